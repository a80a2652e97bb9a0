/*
 * crypto.h — the only door to libsodium for the rest of core (with vfs.c and keyfile.c).
 * Secrets live in sodium_malloc memory (guard pages, mlock'd, wiped on free).
 */
#ifndef CAIRN_CRYPTO_H
#define CAIRN_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CAIRN_KEY_BYTES 32
#define CAIRN_HASH_BYTES 32

int cairn__crypto_init(void);

/* Secure memory: NULL on failure (error set). cairn__secure_free wipes and accepts NULL. */
void *cairn__secure_alloc(size_t n);
void cairn__secure_free(void *p);
void cairn__wipe(void *p, size_t n);

void cairn__random(void *buf, size_t n);
uint32_t cairn__random_u32(void);
/* Random bytes for identifiers (not keys, not nonces): served from a per-thread buffer refilled from the
 * system CSPRNG, because one getrandom() per UUID cost a third of an append. */
void cairn__random_ids(void *buf, size_t n);

/* Constant-time equality: 1 when equal. */
int cairn__ct_equal(const void *a, const void *b, size_t n);

/* BLAKE2b-256, one-shot and incremental. The state is opaque; sized for libsodium's 384-byte state. */
void cairn__hash(unsigned char out[CAIRN_HASH_BYTES], const void *data, size_t n);
typedef struct {
	_Alignas(64) unsigned char opaque[512];
} cairn__hash_state;
void cairn__hash_init(cairn__hash_state *st);
void cairn__hash_update(cairn__hash_state *st, const void *data, size_t n);
void cairn__hash_final(cairn__hash_state *st, unsigned char out[CAIRN_HASH_BYTES]);
/* Keyed BLAKE2b-256 (a MAC / pseudonym function): continue with cairn__hash_update and _final. */
void cairn__hash_keyed_init(cairn__hash_state *st, const unsigned char key[CAIRN_KEY_BYTES]);

/* Ed25519 device identity. */
#define CAIRN_SIGN_PK_BYTES 32
#define CAIRN_SIGN_SK_BYTES 64
#define CAIRN_SIGN_BYTES 64
void cairn__sign_keypair(unsigned char pk[CAIRN_SIGN_PK_BYTES], unsigned char *sk);
void cairn__sign(unsigned char sig[CAIRN_SIGN_BYTES], const void *m, size_t n, const unsigned char *sk);
int cairn__sign_verify(const unsigned char sig[CAIRN_SIGN_BYTES], const void *m, size_t n,
                       const unsigned char pk[CAIRN_SIGN_PK_BYTES]); /* 1 valid */

/* Argon2id (for join files; keyfile.c has its own format). out: 32 bytes. */
void cairn__kdf_limits(int level, unsigned long long *ops, size_t *mem);
int cairn__kdf(unsigned char out[32], const char *pass, size_t passlen, const unsigned char salt[16],
               unsigned long long ops, size_t mem);
#define CAIRN_AEAD_NONCE 24
#define CAIRN_AEAD_TAG 16
/* XChaCha20-Poly1305-IETF with a fresh random nonce written to `nonce`. c: m_len + 16 bytes. */
void cairn__aead_seal(unsigned char *c, unsigned char nonce[CAIRN_AEAD_NONCE], const unsigned char *m, size_t mlen,
                      const unsigned char *ad, size_t adlen, const unsigned char key[32]);
/* Same with a caller-chosen nonce (it must be fresh and random, e.g. part of an authenticated header). */
void cairn__aead_seal_with(unsigned char *c, const unsigned char *m, size_t mlen, const unsigned char *ad, size_t adlen,
                           const unsigned char nonce[CAIRN_AEAD_NONCE], const unsigned char key[32]);
/* 0 on success, -1 when authentication fails. m: clen - 16 bytes. */
int cairn__aead_open(unsigned char *m, const unsigned char *c, size_t clen, const unsigned char *ad, size_t adlen,
                     const unsigned char nonce[CAIRN_AEAD_NONCE], const unsigned char key[32]);
int cairn__unhex(unsigned char *out, size_t outlen, const char *hex); /* 0 when exactly outlen bytes */

void cairn__hex(char *out, const unsigned char *in, size_t n); /* out: 2n+1 bytes */

/* crypto_box_seal to an Ed25519 identity (its X25519 form). c: mlen + 48 bytes. 0, or -1 for a bad key. */
#define CAIRN_SEAL_BYTES 48
int cairn__seal(unsigned char *c, const unsigned char *m, size_t mlen, const unsigned char ed_pk[32]);
/* Open what cairn__seal made for the Ed25519 key pair (pk, sk). m: clen - 48 bytes. 0, or -1. */
int cairn__seal_open(unsigned char *m, const unsigned char *c, size_t clen, const unsigned char ed_pk[32],
                     const unsigned char *ed_sk);

#endif
