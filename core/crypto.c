/* crypto.c — thin wrappers over libsodium so only this file (and vfs/keyfile) include sodium.h. */
#include "crypto.h"
#include "error.h"

#include "cairn.h"
#include <sodium.h>
#include <string.h>

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

void cairn__random_ids(void *buf, size_t n)
{
	static _Thread_local unsigned char pool[4096];
	static _Thread_local size_t left;
	unsigned char *out = buf;
	while (n) {
		if (!left) {
			randombytes_buf(pool, sizeof(pool));
			left = sizeof(pool);
		}
		size_t k = n < left ? n : left;
		memcpy(out, pool + sizeof(pool) - left, k);
		sodium_memzero(pool + sizeof(pool) - left, k); /* served bytes are never served twice */
		left -= k;
		out += k;
		n -= k;
	}
}

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

void cairn__hash_keyed_init(cairn__hash_state *st, const unsigned char key[CAIRN_KEY_BYTES])
{
	crypto_generichash_init((crypto_generichash_state *)st->opaque, key, CAIRN_KEY_BYTES, CAIRN_HASH_BYTES);
}

void cairn__hex(char *out, const unsigned char *in, size_t n) { sodium_bin2hex(out, 2 * n + 1, in, n); }

void cairn__sign_keypair(unsigned char pk[CAIRN_SIGN_PK_BYTES], unsigned char *sk) { crypto_sign_keypair(pk, sk); }

void cairn__sign(unsigned char sig[CAIRN_SIGN_BYTES], const void *m, size_t n, const unsigned char *sk)
{
	crypto_sign_detached(sig, NULL, m, n, sk);
}

int cairn__sign_verify(const unsigned char sig[CAIRN_SIGN_BYTES], const void *m, size_t n,
                       const unsigned char pk[CAIRN_SIGN_PK_BYTES])
{
	return crypto_sign_verify_detached(sig, m, n, pk) == 0;
}

void cairn__kdf_limits(int level, unsigned long long *ops, size_t *mem)
{
	switch (level) {
	case CAIRN_KDF_MIN:
		*ops = crypto_pwhash_OPSLIMIT_MIN;
		*mem = crypto_pwhash_MEMLIMIT_MIN;
		break;
	case CAIRN_KDF_INTERACTIVE:
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		break;
	default: *ops = crypto_pwhash_OPSLIMIT_MODERATE; *mem = crypto_pwhash_MEMLIMIT_MODERATE;
	}
}

int cairn__kdf(unsigned char out[32], const char *pass, size_t passlen, const unsigned char salt[16],
               unsigned long long ops, size_t mem)
{
	if (crypto_pwhash(out, 32, pass, passlen, salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return cairn__error(CAIRN_ENOMEM, "not enough memory for the passphrase key derivation");
	return 0;
}

void cairn__aead_seal(unsigned char *c, unsigned char nonce[CAIRN_AEAD_NONCE], const unsigned char *m, size_t mlen,
                      const unsigned char *ad, size_t adlen, const unsigned char key[32])
{
	randombytes_buf(nonce, CAIRN_AEAD_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(c, NULL, m, mlen, ad, adlen, NULL, nonce, key);
}

void cairn__aead_seal_with(unsigned char *c, const unsigned char *m, size_t mlen, const unsigned char *ad, size_t adlen,
                           const unsigned char nonce[CAIRN_AEAD_NONCE], const unsigned char key[32])
{
	crypto_aead_xchacha20poly1305_ietf_encrypt(c, NULL, m, mlen, ad, adlen, NULL, nonce, key);
}

int cairn__aead_open(unsigned char *m, const unsigned char *c, size_t clen, const unsigned char *ad, size_t adlen,
                     const unsigned char nonce[CAIRN_AEAD_NONCE], const unsigned char key[32])
{
	return crypto_aead_xchacha20poly1305_ietf_decrypt(m, NULL, NULL, c, clen, ad, adlen, nonce, key) == 0 ? 0 : -1;
}

int cairn__unhex(unsigned char *out, size_t outlen, const char *hex)
{
	size_t n = 0;
	if (!hex || strlen(hex) != 2 * outlen)
		return -1;
	return sodium_hex2bin(out, outlen, hex, 2 * outlen, NULL, &n, NULL) == 0 && n == outlen ? 0 : -1;
}

int cairn__seal(unsigned char *c, const unsigned char *m, size_t mlen, const unsigned char ed_pk[32])
{
	unsigned char xpk[crypto_box_PUBLICKEYBYTES];
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, ed_pk) != 0)
		return -1;
	return crypto_box_seal(c, m, mlen, xpk) == 0 ? 0 : -1;
}

int cairn__seal_open(unsigned char *m, const unsigned char *c, size_t clen, const unsigned char ed_pk[32],
                     const unsigned char *ed_sk)
{
	unsigned char xpk[crypto_box_PUBLICKEYBYTES];
	unsigned char *xsk = sodium_malloc(crypto_box_SECRETKEYBYTES);
	int rc = -1;
	if (!xsk)
		return -1;
	if (clen >= crypto_box_SEALBYTES && crypto_sign_ed25519_pk_to_curve25519(xpk, ed_pk) == 0 &&
	    crypto_sign_ed25519_sk_to_curve25519(xsk, ed_sk) == 0)
		rc = crypto_box_seal_open(m, c, clen, xpk, xsk) == 0 ? 0 : -1;
	sodium_free(xsk);
	return rc;
}
