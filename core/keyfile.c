/*
 * keyfile.c — the key file: a random 32-byte data key, wrapped under a passphrase.
 *
 * Format (docs/formats.md, "Key file"): 114 bytes, integers big-endian.
 *
 *   offset size  field
 *        0    8  magic "CAIRNKEY"
 *        8    1  version = 1
 *        9    1  kdf algorithm = 2 (Argon2id v1.3: libsodium's crypto_pwhash_ALG_ARGON2ID13)
 *       10    8  opslimit
 *       18    8  memlimit, in bytes
 *       26   16  salt
 *       42   24  nonce
 *       66   48  wrapped data key: XChaCha20-Poly1305-IETF ciphertext (32) ‖ tag (16) of the data key under
 *                KEK = Argon2id(passphrase, salt, opslimit, memlimit), associated data = bytes [0, 66)
 *
 * Why each choice:
 *  - The header is the associated data, so an edited cost or salt cannot be mistaken for a valid file;
 *    it fails like a wrong passphrase (the two cannot be told apart, by design of the AEAD).
 *  - The costs are read from the file, so a file made on a fast laptop still opens on a slow phone and
 *    the defaults can rise later. They are bounded on read (opslimit <= OPS_CAP, memlimit <= 4 GiB) so
 *    a hostile file cannot make unlock run for hours or exhaust memory.
 *  - Changing the passphrase rewraps the same data key (fresh salt and nonce); the database, encrypted
 *    with the data key, is never touched.
 *  - Writes are atomic: a temporary file (mode 0600) in the same directory, fsync, then link() for a new
 *    file (fails if one exists, with no window) or rename() over the old one, then fsync of the
 *    directory. A crash leaves either the old file or the new one, never a mix.
 *  - The key-encryption key and the data key only ever live in sodium_malloc memory and are wiped.
 */
#include "keyfile.h"

#include "crypto.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KF_MAGIC "CAIRNKEY"
#define KF_VERSION 1
#define KF_ALG 2
#define KF_SALT 16
#define KF_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define KF_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KF_OFF_OPS 10
#define KF_OFF_MEM 18
#define KF_OFF_SALT 26
#define KF_OFF_NONCE (KF_OFF_SALT + KF_SALT)
#define KF_HEADER (KF_OFF_NONCE + KF_NONCE)            /* 66: the associated data */
#define KF_SIZE (KF_HEADER + CAIRN_KEY_BYTES + KF_TAG) /* 114 */

/* Bounds on the costs a key file may ask for: above libsodium's SENSITIVE level, far below harm. */
#define OPS_CAP 10ULL
#define MEM_CAP (4ULL << 30)

_Static_assert(KF_ALG == crypto_pwhash_ALG_ARGON2ID13, "the format fixes Argon2id v1.3 as algorithm 2");
_Static_assert(KF_SALT == crypto_pwhash_SALTBYTES, "salt size");
_Static_assert(KF_SIZE == 114, "key file size");

typedef struct {
	unsigned long long ops;
	size_t mem;
} kdf_cost;

/*
 * DEFAULT is libsodium's MODERATE (ops 3, 256 MiB): 0.50–0.75 s per derivation on the development
 * machine (AMD EPYC, 2 cores; the first call in a process pays the page faults), within the 0.3–1 s
 * goal. INTERACTIVE (ops 2, 64 MiB) took 0.09 s there and SENSITIVE (ops 4, 1 GiB) 2.7 s.
 */
static kdf_cost cost_of(cairn_kdf_level level)
{
	switch (level) {
	case CAIRN_KDF_INTERACTIVE:
		return (kdf_cost){crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
	case CAIRN_KDF_MIN: return (kdf_cost){crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
	default: return (kdf_cost){crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
	}
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---------------------------------------------------------------------------------------------- */
/* Wrapping                                                                                        */

/* Derive the key-encryption key into sodium_malloc memory; NULL with the error set. */
static unsigned char *derive(const char *pass, size_t passlen, const unsigned char *salt, kdf_cost c, const char *path)
{
	unsigned char *kek = cairn__secure_alloc(CAIRN_KEY_BYTES);

	if (!kek)
		return NULL;
	if (crypto_pwhash(kek, CAIRN_KEY_BYTES, pass ? pass : "", passlen, salt, c.ops, c.mem, KF_ALG) != 0) {
		cairn__secure_free(kek);
		cairn__error(CAIRN_ENOMEM, "not enough memory for argon2id (%zu MiB) for key file '%s'", c.mem >> 20,
		             path);
		return NULL;
	}
	return kek;
}

/* Fill `out` with a key file holding `key`, wrapped under `pass` at cost `c`. */
static int wrap(unsigned char out[KF_SIZE], const unsigned char *key, const char *pass, size_t passlen, kdf_cost c,
                const char *path)
{
	unsigned char *kek;

	memcpy(out, KF_MAGIC, 8);
	out[8] = KF_VERSION;
	out[9] = KF_ALG;
	put64(out + KF_OFF_OPS, c.ops);
	put64(out + KF_OFF_MEM, c.mem);
	randombytes_buf(out + KF_OFF_SALT, KF_SALT);
	randombytes_buf(out + KF_OFF_NONCE, KF_NONCE);
	kek = derive(pass, passlen, out + KF_OFF_SALT, c, path);
	if (!kek)
		return cairn_error_last_code();
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + KF_HEADER, NULL, key, CAIRN_KEY_BYTES, out, KF_HEADER, NULL,
	                                           out + KF_OFF_NONCE, kek);
	cairn__secure_free(kek);
	return 0;
}

/* Check what can be checked without the passphrase. */
static int parse(const unsigned char *buf, size_t n, const char *path, kdf_cost *c)
{
	uint64_t ops, mem;

	if (n < 9)
		return cairn__error(CAIRN_ECORRUPT, "key file '%s' is corrupt (truncated: %zu bytes)", path, n);
	if (memcmp(buf, KF_MAGIC, 8) != 0)
		return cairn__error(CAIRN_ECORRUPT, "key file '%s' is corrupt (not a cairn key file)", path);
	if (buf[8] > KF_VERSION)
		return cairn__error(CAIRN_ENEWER,
		                    "key file '%s' has format version %u; this cairn reads version %d "
		                    "(upgrade cairn)",
		                    path, buf[8], KF_VERSION);
	if (buf[8] != KF_VERSION)
		return cairn__error(CAIRN_ECORRUPT, "key file '%s' is corrupt (version %u)", path, buf[8]);
	if (n != KF_SIZE)
		return cairn__error(CAIRN_ECORRUPT, "key file '%s' is corrupt (%s: %zu bytes, expected %d)", path,
		                    n < KF_SIZE ? "truncated" : "trailing data", n, KF_SIZE);
	if (buf[9] != KF_ALG)
		return cairn__error(CAIRN_ECORRUPT, "key file '%s' is corrupt (unknown key derivation %u)", path,
		                    buf[9]);
	ops = get64(buf + KF_OFF_OPS);
	mem = get64(buf + KF_OFF_MEM);
	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > OPS_CAP || mem < crypto_pwhash_MEMLIMIT_MIN || mem > MEM_CAP ||
	    mem > SIZE_MAX)
		return cairn__error(CAIRN_ECORRUPT,
		                    "key file '%s' is corrupt (argon2id cost out of range: "
		                    "opslimit %llu, memlimit %llu)",
		                    path, (unsigned long long)ops, (unsigned long long)mem);
	c->ops = ops;
	c->mem = (size_t)mem;
	return 0;
}

/* Unwrap the data key of key file `buf` into sodium_malloc memory. */
static int unwrap(const unsigned char *buf, size_t n, const char *pass, size_t passlen, const char *path,
                  unsigned char **key_out)
{
	unsigned char *kek, *key;
	kdf_cost c;
	int rc;

	if ((rc = parse(buf, n, path, &c)) != 0)
		return rc;
	key = cairn__secure_alloc(CAIRN_KEY_BYTES);
	if (!key)
		return CAIRN_ENOMEM;
	kek = derive(pass, passlen, buf + KF_OFF_SALT, c, path);
	if (!kek) {
		cairn__secure_free(key);
		return cairn_error_last_code();
	}
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(key, NULL, NULL, buf + KF_HEADER, CAIRN_KEY_BYTES + KF_TAG, buf,
	                                                KF_HEADER, buf + KF_OFF_NONCE, kek);
	cairn__secure_free(kek);
	if (rc != 0) {
		cairn__secure_free(key);
		/* A modified salt, nonce or ciphertext looks exactly like a wrong passphrase: say both. */
		return cairn__error(CAIRN_EAUTH,
		                    "wrong passphrase for key file '%s' (or the file was modified: if the passphrase "
		                    "is right, restore the key file from a backup)",
		                    path);
	}
	*key_out = key;
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Files                                                                                           */

static int errno_code(int e)
{
	switch (e) {
	case ENOENT: return CAIRN_ENOTFOUND;
	case EEXIST: return CAIRN_EEXISTS;
	case ENOSPC:
	case EDQUOT: return CAIRN_ENOSPC;
	case ENOMEM: return CAIRN_ENOMEM;
	default: return CAIRN_EIO;
	}
}

/* Read the whole key file (at most one byte more than a valid one, to see trailing data). */
static int read_keyfile(const char *path, unsigned char *buf, size_t cap, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = 1;

	if (fd < 0 && errno == ENOENT)
		return cairn__error(CAIRN_ENOTFOUND, "no key file at '%s'", path);
	if (fd < 0)
		return cairn__error(errno_code(errno), "cannot open key file '%s': %s", path, strerror(errno));
	for (*n = 0; *n < cap && r != 0;) {
		r = read(fd, buf + *n, cap - *n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return cairn__error(errno_code(e), "cannot read key file '%s': %s", path, strerror(e));
		}
		*n += (size_t)r;
	}
	close(fd);
	return 0;
}

static int write_all(int fd, const unsigned char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Make a rename or link in the directory of `path` durable. */
static int fsync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	int fd, rc = -1;

	if (!dir)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(dir);
	return rc;
}

/* Write the temporary file beside `path`: mode 0600, contents synced. Its name goes to `tmp`. */
static int write_temp(const char *path, const unsigned char *buf, size_t n, char *tmp, size_t tmpsz)
{
	int fd, e;

	snprintf(tmp, tmpsz, "%s.tmp-XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return cairn__error(errno_code(errno), "cannot create key file '%s': %s", path, strerror(errno));
	if (fchmod(fd, 0600) != 0 || write_all(fd, buf, n) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		return cairn__error(errno_code(e), "cannot write key file '%s': %s", path, strerror(e));
	}
	if (close(fd) != 0) {
		e = errno;
		unlink(tmp);
		return cairn__error(errno_code(e), "cannot write key file '%s': %s", path, strerror(e));
	}
	return 0;
}

/*
 * Put `buf` at `path` atomically. A new file is linked into place (link() fails if `path` exists, with
 * no window between the check and the write); a replacement is renamed over the old file.
 */
static int write_keyfile(const char *path, const unsigned char *buf, size_t n, int replace)
{
	size_t tmpsz = strlen(path) + 16;
	char *tmp = malloc(tmpsz);
	int rc, e;

	if (!tmp)
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	if ((rc = write_temp(path, buf, n, tmp, tmpsz)) != 0)
		goto out_free;
	rc = replace ? rename(tmp, path) : link(tmp, path);
	e = errno;
	if (rc != 0 || !replace)
		unlink(tmp);
	if (rc != 0 && e == EEXIST)
		rc = cairn__error(CAIRN_EEXISTS, "key file '%s' already exists", path);
	else if (rc != 0)
		rc = cairn__error(errno_code(e), "cannot write key file '%s': %s", path, strerror(e));
	else if (fsync_dir(path) != 0)
		rc = cairn__error(errno_code(errno), "cannot sync the directory of key file '%s': %s", path,
		                  strerror(errno));
out_free:
	free(tmp);
	return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* The interface                                                                                   */

static int check_args(const char *path, const char *pass, size_t passlen)
{
	if (!path || (!pass && passlen > 0))
		return cairn__error(CAIRN_EINVAL, "no key file path or passphrase");
	return cairn__crypto_init();
}

int cairn__keyfile_create(const char *path, const char *pass, size_t passlen, cairn_kdf_level kdf,
                          unsigned char **key_out)
{
	unsigned char buf[KF_SIZE];
	unsigned char *key;
	int rc;

	*key_out = NULL;
	if ((rc = check_args(path, pass, passlen)) != 0)
		return rc;
	if (access(path, F_OK) == 0) /* fail before a second of argon2id; link() below closes the race */
		return cairn__error(CAIRN_EEXISTS, "key file '%s' already exists", path);
	key = cairn__secure_alloc(CAIRN_KEY_BYTES);
	if (!key)
		return CAIRN_ENOMEM;
	randombytes_buf(key, CAIRN_KEY_BYTES);
	rc = wrap(buf, key, pass, passlen, cost_of(kdf), path);
	if (rc == 0)
		rc = write_keyfile(path, buf, sizeof(buf), 0);
	if (rc != 0) {
		cairn__secure_free(key);
		return rc;
	}
	*key_out = key;
	return 0;
}

int cairn__keyfile_unlock(const char *path, const char *pass, size_t passlen, unsigned char **key_out)
{
	unsigned char buf[KF_SIZE + 1];
	size_t n;
	int rc;

	*key_out = NULL;
	if ((rc = check_args(path, pass, passlen)) != 0)
		return rc;
	if ((rc = read_keyfile(path, buf, sizeof(buf), &n)) != 0)
		return rc;
	return unwrap(buf, n, pass, passlen, path, key_out);
}

int cairn__keyfile_rewrap(const char *path, const char *oldpass, size_t oldlen, const char *newpass, size_t newlen,
                          cairn_kdf_level kdf)
{
	unsigned char buf[KF_SIZE + 1];
	unsigned char *key = NULL;
	size_t n;
	int rc;

	if ((rc = check_args(path, newpass, newlen)) != 0 || (rc = check_args(path, oldpass, oldlen)) != 0)
		return rc;
	if ((rc = read_keyfile(path, buf, sizeof(buf), &n)) != 0)
		return rc;
	if ((rc = unwrap(buf, n, oldpass, oldlen, path, &key)) != 0)
		return rc;
	rc = wrap(buf, key, newpass, newlen, cost_of(kdf), path);
	cairn__secure_free(key);
	if (rc == 0)
		rc = write_keyfile(path, buf, KF_SIZE, 1);
	return rc;
}
