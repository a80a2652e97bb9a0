/* crypto.c — thin wrappers over libsodium so only this file (and vfs/keyfile) include sodium.h. */
#include "crypto.h"
#include "error.h"

#include <sodium.h>

_Static_assert(sizeof(crypto_generichash_state) <= sizeof(cairn__hash_state),
               "cairn__hash_state too small for libsodium's state");

int cairn__crypto_init(void)
{
	if (sodium_init() < 0)
		return cairn__error(CAIRN_ERROR, "libsodium failed to initialise");
	return 0;
}

void *cairn__secure_alloc(size_t n)
{
	void *p = sodium_malloc(n);
	if (!p)
		cairn__error(CAIRN_ENOMEM, "cannot allocate %zu bytes of locked memory", n);
	return p;
}

void cairn__secure_free(void *p) { sodium_free(p); }
void cairn__wipe(void *p, size_t n) { sodium_memzero(p, n); }
void cairn__random(void *buf, size_t n) { randombytes_buf(buf, n); }
uint32_t cairn__random_u32(void) { return randombytes_random(); }

int cairn__ct_equal(const void *a, const void *b, size_t n) { return sodium_memcmp(a, b, n) == 0; }

void cairn__hash(unsigned char out[CAIRN_HASH_BYTES], const void *data, size_t n)
{
	crypto_generichash(out, CAIRN_HASH_BYTES, data, n, NULL, 0);
}

void cairn__hash_init(cairn__hash_state *st)
{
	crypto_generichash_init((crypto_generichash_state *)st->opaque, NULL, 0, CAIRN_HASH_BYTES);
}

void cairn__hash_update(cairn__hash_state *st, const void *data, size_t n)
{
	crypto_generichash_update((crypto_generichash_state *)st->opaque, data, n);
}

void cairn__hash_final(cairn__hash_state *st, unsigned char out[CAIRN_HASH_BYTES])
{
	crypto_generichash_final((crypto_generichash_state *)st->opaque, out, CAIRN_HASH_BYTES);
}

void cairn__hex(char *out, const unsigned char *in, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

void cairn__sign_keypair(unsigned char pk[CAIRN_SIGN_PK_BYTES], unsigned char *sk)
{
	crypto_sign_keypair(pk, sk);
}

void cairn__sign(unsigned char sig[CAIRN_SIGN_BYTES], const void *m, size_t n, const unsigned char *sk)
{
	crypto_sign_detached(sig, NULL, m, n, sk);
}

int cairn__sign_verify(const unsigned char sig[CAIRN_SIGN_BYTES], const void *m, size_t n,
                       const unsigned char pk[CAIRN_SIGN_PK_BYTES])
{
	return crypto_sign_verify_detached(sig, m, n, pk) == 0;
}
