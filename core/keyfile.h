/*
 * keyfile.h — the key file: a random 32-byte data key wrapped (XChaCha20-Poly1305) by a key derived from
 * the passphrase with Argon2id. Format in docs/formats.md. Writes are atomic (temp file + fsync + rename).
 */
#ifndef CAIRN_KEYFILE_H
#define CAIRN_KEYFILE_H

#include "cairn.h"
#include <stddef.h>

/* Create a new key file with a fresh random data key; *key_out is sodium_malloc'd (cairn__secure_free). */
int cairn__keyfile_create(const char *path, const char *pass, size_t passlen, cairn_kdf_level kdf,
                          unsigned char **key_out);
/* Unwrap: CAIRN_EAUTH wrong passphrase, CAIRN_ENOTFOUND missing, CAIRN_ECORRUPT malformed. */
int cairn__keyfile_unlock(const char *path, const char *pass, size_t passlen, unsigned char **key_out);
/* Rewrap under a new passphrase, atomically; the data key is unchanged. */
int cairn__keyfile_rewrap(const char *path, const char *oldpass, size_t oldlen, const char *newpass, size_t newlen,
                          cairn_kdf_level kdf);

#endif
