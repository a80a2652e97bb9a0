/*
 * vfs.c — the encrypting SQLite VFS. Every page SQLite writes to a journal's database file, its WAL or
 * its rollback journal is sealed with XChaCha20-Poly1305 (libsodium) on the way to the disk and
 * authenticated on the way back. The VFS wraps SQLite's own "unix" VFS; one instance exists per
 * connection and holds that connection's data key. The byte layout is in docs/formats.md.
 *
 * Invariants. Each of them, broken, silently leaks records or loses them.
 *
 *  1. No plaintext page reaches the disk. Every write is classified by the role of its file (database,
 *     WAL, rollback journal) and by its OFFSET: a whole page is sealed; the few clear structures SQLite
 *     needs to recover (WAL header, frame headers, journal headers, record page numbers and checksums)
 *     pass through; anything else is refused with SQLITE_IOERR_WRITE. Why: a write we do not understand
 *     could hold record data, and failing a transaction loses nothing.
 *
 *  2. A page on disk is [0,4056) ciphertext, [4056,4080) nonce, [4080,4096) tag. SQLite itself leaves
 *     the last 40 bytes of every page unused (SQLITE_FCNTL_RESERVE_BYTES = 40, set before the first
 *     write), so files keep SQLite's sizes and offsets and no translation layer is needed. The nonce is
 *     fresh and random on every write (next_nonce(), fork-aware): 192-bit nonces make random nonces safe
 *     however often a page is rewritten.
 *
 *  3. The associated data binds a page to its place: role ‖ page number, plus the frame's commit marker,
 *     the WAL header's salts and the frame's offset in the WAL, plus the record's offset in the journal. Why: a page copied to
 *     another page number, another file, another frame or another WAL generation fails authentication.
 *     (The salts are the WAL header's, not the frame header's copy: see aad_wal().)
 *
 *  4. Reads return the reserved 40 bytes as zeros, and writes whose reserved bytes are not zero are
 *     refused. Why: SQLite checksums each WAL frame over the page image it wrote (reserve included) and
 *     re-checks those checksums in recovery over what we return. Returning the nonce and tag there would
 *     fail every checksum after a crash, and recovery would silently drop committed transactions.
 *
 *  5. Page 1 is written only if its header says page size 4096 and 40 reserved bytes (byte 20). Why:
 *     with any other geometry SQLite would keep record data in the bytes we overwrite with nonce and tag.
 *
 *  6. Page 1 is encrypted whole, the 100-byte header included, so stock SQLite cannot even read the
 *     schema. SQLite reads pieces of it (100 bytes at 0, 16 at 24): we decrypt the whole page and slice.
 *
 *  7. A page that fails authentication is an error (SQLITE_IOERR_AUTH, recorded for cairn__vfs_error()),
 *     never data: except in one read shape, a WHOLE WAL frame (header and page in one read), which
 *     SQLite issues only to validate frames (walIndexRecover, walRewriteChecksums). There the page reads
 *     as zeros with SQLITE_OK, and its header with salts that differ from the WAL header's: SQLite takes
 *     the frame as the end of the log (a checksum alone would not do: it is keyless). Why:
 *     a crash can tear the last frame; as an I/O error it would leave the database unopenable.
 *     Consequence: a modified frame in the WAL reads as a truncated WAL (the transactions from that
 *     frame on are dropped, with a warning in the log) — which an attacker able to write the file could
 *     do anyway by truncating it. Once the wal-index is built, SQLite reads pages, not frames, and a
 *     modified frame then fails loudly.
 *
 *  8. A page that is not all in the file: if none of it is, the read is SQLite's short read (zeros,
 *     SQLITE_IOERR_SHORT_READ), in a WAL, a journal, or a database file that is still empty; otherwise
 *     it cannot be authenticated (invariant 7). Why: SQLite takes a short read as a page of zeros.
 *
 *  9. Journal records are found by offset, never by write size (a journal header write can be exactly
 *     one page long when the sector size is 4096). Headers sit at multiples of the sector size (a power
 *     of two, at least 32) and records are 4 + 4096 + 4 bytes, a multiple of 8, so a record's page
 *     always starts at an offset ≡ 4 (mod 8) and a header at ≡ 0 (mod 8), however many headers a
 *     transaction wrote (a new one follows each mid-transaction journal sync). The header fields that
 *     make this true (magic, sector size, page size) are checked on every header write.
 *
 * 10. No temporary files and no memory mapping. xOpen refuses every file but the main database, its
 *     WAL and its rollback journal (temp_store=MEMORY keeps the others in memory); the I/O methods are
 *     version 2, so SQLite never asks for xFetch, and mmap_size is 0. Why: either would put plaintext
 *     on disk or let SQLite read the ciphertext as if it were pages.
 *
 * 11. Powersafe overwrite is always claimed. Why: SQLite then pads nothing and never splits a frame
 *     write at a sync point (a split page would be refused by invariant 1), and uses 512-byte journal
 *     headers.
 *
 * 12. The -shm wal-index passes through: it holds page numbers, frame counts and checksums, no records.
 *
 * 13. The data key lives only in sodium_malloc memory (read-only after it is copied in), one copy per
 *     connection, and is wiped when the connection closes; so does the key of the nonce stream.
 */
#include "vfs.h"

#include "crypto.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE CAIRN_PAGE_SIZE
#define CIPHER_BYTES (PAGE - CAIRN_PAGE_RESERVE)
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
_Static_assert(NONCE_BYTES + TAG_BYTES == CAIRN_PAGE_RESERVE, "reserve must hold exactly nonce and tag");

#define WAL_HDR 32               /* WAL file header */
#define FRAME_HDR 24             /* WAL frame header */
#define FRAME (FRAME_HDR + PAGE) /* a whole WAL frame */
#define JRNL_FIELDS 28           /* the meaningful bytes of a journal header */
#define READ_TRIES 3             /* see db_read_page() */

/* Internal result of one page: decrypted, beyond the end of the file, or failed authentication. */
enum { PAGE_OK = 0, PAGE_SHORT = 1, PAGE_BAD = 2 };

/* Where nonces come from: see next_nonce(). In sodium_malloc memory. */
typedef struct {
	unsigned char key[32];
	uint64_t counter;
	unsigned generation; /* of fork_generation */
} nonce_stream;

typedef struct cvfs {
	sqlite3_vfs vfs;
	sqlite3_vfs *base;
	unsigned char *key; /* 32 bytes of sodium_malloc memory, read-only */
	nonce_stream *nonces;
	char name[40];
	struct {
		int set;
		unsigned pgno;
		int role;
		char file[512];
	} auth;                            /* the last page that failed authentication */
	char refused[640];                 /* why the last refused write or open was refused; "" when none */
	unsigned long long seals, unseals; /* pages sealed and opened, for cairn__vfs_counts() */
} cvfs;

typedef struct cfile {
	sqlite3_file base;
	cvfs *vfs;
	sqlite3_file *real; /* the unix VFS's file, allocated right after this struct */
	const char *path;   /* SQLite keeps it valid until xClose */
	int role;
	unsigned char *buf;    /* one frame: ciphertext in, or plaintext briefly (wiped after) */
	sqlite3_int64 hdr_off; /* offset of the frame header in hdr, -1 when none */
	int hdr_pending;       /* hdr is not on disk yet: it goes out with its page, in one write (or before any
	                        * other operation on the file, which then reports a failure to write it) */
	unsigned char hdr[FRAME_HDR];
} cfile;

static const unsigned char journal_magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};

/* ---------------------------------------------------------------------------------------------- */
/* Sealing pages                                                                                   */

typedef struct {
	unsigned char b[40];
	size_t n;
} aad;

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void aad_init(aad *a, int role, uint64_t pgno)
{
	a->b[0] = (unsigned char)role;
	put64(a->b + 1, pgno);
	a->n = 9;
}

static void aad_u64(aad *a, uint64_t v)
{
	put64(a->b + a->n, v);
	a->n += 8;
}

/*
 * A WAL frame's page: its page number and commit marker (bytes 0-7 of the frame header), the salts of
 * the WAL header, the frame's offset. The salts come from the WAL header, not from the frame's own copy:
 * a valid frame repeats the header's salts, but SQLite writes frames with zero salts when it will rewrite
 * their checksums at commit (walRewriteChecksums), and reads such pages back before that. The commit
 * marker (the database size after a commit, 0 in a transaction's other frames) is bound because the
 * frame checksum is keyless: without it, a frame in the middle of a transaction could be made a commit,
 * making the first half of a transaction durable. SQLite never changes a frame's marker once written
 * (walRewriteChecksums keeps it; a page rewritten in place belongs to a frame that is not a commit).
 */
static void aad_wal(aad *a, const unsigned char frame_hdr[8], const unsigned char salts[8], sqlite3_int64 frame)
{
	aad_init(a, CAIRN_VFS_ROLE_WAL, get32(frame_hdr));
	memcpy(a->b + a->n, frame_hdr + 4, 4);
	a->n += 4;
	memcpy(a->b + a->n, salts, 8);
	a->n += 8;
	aad_u64(a, (uint64_t)frame);
}

/*
 * Nonces (invariant 2): 24 bytes of a ChaCha20 keystream, under a key drawn from the OS for each VFS
 * instance, at a counter that never repeats. That is as random as randombytes_buf() without its system
 * call per page: getrandom() cost 3 us a call on the development VM, a third of sealing a page. A
 * forked child would go on with its parent's key and counter and reuse nonces, so after a fork every
 * instance draws a new key before its next nonce.
 */
static atomic_uint fork_generation;
static pthread_once_t fork_watch = PTHREAD_ONCE_INIT;

static void on_fork_child(void) { atomic_fetch_add(&fork_generation, 1); }

static void watch_forks(void) { pthread_atfork(NULL, NULL, on_fork_child); }

static void nonce_stream_seed(nonce_stream *s)
{
	randombytes_buf(s->key, sizeof(s->key));
	s->counter = 0;
	s->generation = atomic_load(&fork_generation);
}

static void next_nonce(nonce_stream *s, unsigned char nonce[NONCE_BYTES])
{
	unsigned char counter[8];

	if (s->generation != atomic_load(&fork_generation))
		nonce_stream_seed(s);
	put64(counter, s->counter++);
	crypto_stream_chacha20(nonce, NONCE_BYTES, counter, s->key);
}

static void seal(cvfs *v, unsigned char *dst, const unsigned char *src, const aad *a)
{
	unsigned char *nonce = dst + CIPHER_BYTES;
	unsigned char *tag = nonce + NONCE_BYTES;

	v->seals++;
	next_nonce(v->nonces, nonce);
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(dst, tag, NULL, src, CIPHER_BYTES, a->b, a->n, NULL, nonce,
	                                                    v->key);
}

/* Decrypt a sealed page; dst may be src. Returns PAGE_OK, or PAGE_BAD with dst all zeros. */
static int unseal(cvfs *v, unsigned char *dst, const unsigned char *src, const aad *a)
{
	unsigned char nonce[NONCE_BYTES], tag[TAG_BYTES];
	int rc;

	v->unseals++;
	memcpy(nonce, src + CIPHER_BYTES, NONCE_BYTES);
	memcpy(tag, src + CIPHER_BYTES + NONCE_BYTES, TAG_BYTES);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(dst, NULL, src, CIPHER_BYTES, tag, a->b, a->n, nonce,
	                                                         v->key);
	memset(dst + CIPHER_BYTES, 0, CAIRN_PAGE_RESERVE);
	if (rc != 0) {
		memset(dst, 0, CIPHER_BYTES);
		return PAGE_BAD;
	}
	return PAGE_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Refusals and failures: logged, and kept for cairn__vfs_error()                                  */

static int refuse(cfile *f, int rc, const char *why)
{
	cvfs *v = f->vfs;

	if (f->path)
		snprintf(v->refused, sizeof(v->refused), "%s in '%s'", why, f->path);
	else
		snprintf(v->refused, sizeof(v->refused), "%s", why);
	cairn__log(CAIRN_LOG_ERROR, "the encrypting vfs refused %s", v->refused);
	return rc;
}

static int refuse_shape(cfile *f, const char *op, int amt, sqlite3_int64 off)
{
	char why[96];
	snprintf(why, sizeof(why), "an unexpected %s of %d bytes at offset %lld", op, amt, (long long)off);
	return refuse(f, op[0] == 'w' ? SQLITE_IOERR_WRITE : SQLITE_IOERR_READ, why);
}

static int auth_failed(cfile *f, uint64_t pgno)
{
	cvfs *v = f->vfs;
	v->auth.set = 1;
	v->auth.pgno = (unsigned)pgno;
	v->auth.role = f->role;
	snprintf(v->auth.file, sizeof(v->auth.file), "%s", f->path);
	cairn__log(CAIRN_LOG_ERROR, "page %u of '%s' failed authentication", v->auth.pgno, v->auth.file);
	return SQLITE_IOERR_AUTH;
}

static int is_zero(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Invariants 4 and 5: what a page must look like before it may be sealed. */
static int check_page(cfile *f, const unsigned char *p, uint64_t pgno)
{
	char why[128];
	unsigned size, reserve;

	if (!is_zero(p + CIPHER_BYTES, CAIRN_PAGE_RESERVE)) {
		snprintf(why, sizeof(why), "to write page %llu with data in its reserved bytes",
		         (unsigned long long)pgno);
		return refuse(f, SQLITE_IOERR_WRITE, why);
	}
	if (pgno != 1 || f->role == CAIRN_VFS_ROLE_JOURNAL)
		return SQLITE_OK;
	size = (unsigned)p[16] << 8 | p[17];
	size = size == 1 ? 65536 : size;
	reserve = p[20];
	if (memcmp(p, "SQLite format 3", 16) == 0 && size == PAGE && reserve == CAIRN_PAGE_RESERVE)
		return SQLITE_OK;
	snprintf(why, sizeof(why), "to write page 1 with page size %u and %u reserved bytes (need %d and %d)", size,
	         reserve, PAGE, CAIRN_PAGE_RESERVE);
	return refuse(f, SQLITE_IOERR_WRITE, why);
}

/* ---------------------------------------------------------------------------------------------- */
/* Reading pages                                                                                   */

static int real_read(cfile *f, void *buf, int amt, sqlite3_int64 off)
{
	return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int real_write(cfile *f, const void *buf, int amt, sqlite3_int64 off)
{
	return f->real->pMethods->xWrite(f->real, buf, amt, off);
}

/*
 * SQLite writes a WAL frame as two writes, its 24-byte header then its page. The header is held back and
 * written with the sealed page in one write: a third fewer write calls in every transaction and
 * checkpoint-heavy import, and no small write into the middle of a file page. Anything else that touches
 * the WAL (a read, a sync, a size, a truncate, a close, another write) first writes a header still held.
 */
static int flush_hdr(cfile *f)
{
	if (!f->hdr_pending)
		return SQLITE_OK;
	f->hdr_pending = 0;
	return real_write(f, f->hdr, FRAME_HDR, f->hdr_off);
}

/*
 * Invariant 8: after a short read of the page at `page_off`, none of it in the file or part of it. A
 * database file is read short only while it is empty (a new journal): SQLite takes a short read for a page
 * of zeros, and when the WAL gives the database size it never compares that with the file's. So a page
 * cut off the end of a database that holds any would read as zeros, silently; it is a failure instead.
 */
static int short_page(cfile *f, sqlite3_int64 page_off, int *rc)
{
	sqlite3_int64 size = 0;

	*rc = f->real->pMethods->xFileSize(f->real, &size);
	if (*rc != SQLITE_OK)
		return PAGE_BAD;
	if (f->role == CAIRN_VFS_ROLE_DB && size > 0)
		return PAGE_BAD;
	return size <= page_off ? PAGE_SHORT : PAGE_BAD;
}

/*
 * Read and decrypt database page `pgno` into dst (PAGE bytes). A failure is retried a couple of times:
 * SQLite reads page 1's header once without any lock when it opens a file, and another process can be
 * rewriting that page at the same moment (a torn read). Tampering, unlike a race, does not go away.
 */
static int db_read_page(cfile *f, unsigned char *dst, uint64_t pgno)
{
	sqlite3_int64 off = (sqlite3_int64)(pgno - 1) * PAGE;
	int rc, state;
	aad a;

	aad_init(&a, CAIRN_VFS_ROLE_DB, pgno);
	for (int i = 1;; i++) {
		rc = real_read(f, dst, PAGE, off);
		if (rc == SQLITE_OK)
			state = unseal(f->vfs, dst, dst, &a);
		else if (rc == SQLITE_IOERR_SHORT_READ)
			state = short_page(f, off, &rc);
		if (rc != SQLITE_OK)
			return rc;
		if (state != PAGE_BAD || i == READ_TRIES)
			break;
		f->vfs->base->xSleep(f->vfs->base, 1000);
	}
	if (state == PAGE_OK)
		return SQLITE_OK;
	memset(dst, 0, PAGE);
	return state == PAGE_SHORT ? SQLITE_IOERR_SHORT_READ : auth_failed(f, pgno);
}

/* Database file: whole pages, or pieces of pages (page 1's header) sliced out of decrypted pages. A
 * piece spanning pages that fails on a later page hands back none of the earlier ones (invariant 7 holds
 * for the whole read, not only for the page that failed). */
static int db_read(cfile *f, unsigned char *out, int amt, sqlite3_int64 off)
{
	unsigned char *const out0 = out;
	const int amt0 = amt;
	int rc = SQLITE_OK;

	if (amt == PAGE && off % PAGE == 0)
		return db_read_page(f, out, (uint64_t)(off / PAGE) + 1);
	while (amt > 0 && rc == SQLITE_OK) {
		int in = (int)(off % PAGE);
		int n = PAGE - in < amt ? PAGE - in : amt;
		rc = db_read_page(f, f->buf, (uint64_t)(off / PAGE) + 1);
		memcpy(out, f->buf + in, (size_t)n);
		sodium_memzero(f->buf, PAGE);
		out += n;
		off += n;
		amt -= n;
	}
	if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ)
		sodium_memzero(out0, (size_t)amt0);
	else if (amt > 0)
		memset(out, 0, (size_t)amt);
	return rc;
}

/*
 * The salts of the WAL's current generation (bytes 16..23 of its header), read from the file every time:
 * another process may have started a new generation since we last looked. Zeros when there is no header.
 */
static int wal_salts(cfile *f, unsigned char salts[8])
{
	int rc = real_read(f, salts, 8, 16);
	return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_OK : rc;
}

/* Invariant 7: a whole frame is being validated; a page that fails authentication reads as zeros. */
static int wal_read_frame(cfile *f, unsigned char *buf, sqlite3_int64 frame)
{
	unsigned char salts[8];
	aad a;
	int rc = real_read(f, buf, FRAME, frame);

	if (rc == SQLITE_OK)
		rc = wal_salts(f, salts);
	if (rc != SQLITE_OK) {
		memset(buf + FRAME_HDR, 0, PAGE);
		return rc;
	}
	aad_wal(&a, buf, salts, frame);
	if (unseal(f->vfs, f->buf, buf + FRAME_HDR, &a) == PAGE_OK) {
		memcpy(buf + FRAME_HDR, f->buf, PAGE);
		sodium_memzero(f->buf, PAGE);
		return SQLITE_OK;
	}
	/* A frame left from an earlier generation (a crash or a kept WAL) was sealed under its own salts and
	 * ends the log for SQLite anyway: not worth a warning when it authenticates under those. A frame
	 * that authenticates under neither was modified. */
	aad_wal(&a, buf, buf + 8, frame);
	if (!memcmp(buf + 8, salts, 8) || unseal(f->vfs, f->buf, buf + FRAME_HDR, &a) != PAGE_OK)
		cairn__log(CAIRN_LOG_WARN,
		           "wal frame %lld of '%s' failed authentication; recovery takes it as the end of the log",
		           (long long)((frame - WAL_HDR) / FRAME + 1), f->path);
	else if (frame == WAL_HDR) /* the header is unauthenticated: say so when it empties the log */
		cairn__log(CAIRN_LOG_INFO,
		           "the WAL header of '%s' is newer than its first frame (a crash between the two writes, or a "
		           "modified header): the log is empty",
		           f->path);
	sodium_memzero(f->buf, PAGE);
	memset(buf + FRAME_HDR, 0, PAGE);
	/* The frame checksum is keyless: anyone can make one over a zero page. Salts that differ from the
	 * WAL header's make SQLite's recovery reject the frame whatever its checksum, so the log ends here
	 * and nothing of it (its commit marker and database size least of all) is taken. */
	for (int i = 0; i < 8; i++)
		buf[8 + i] = (unsigned char)(salts[i] ^ 0xff);
	return SQLITE_OK;
}

/* Invariant 8, after a short read of the page at `page_off` (database page `pgno`) into `out`. */
static int short_read(cfile *f, unsigned char *out, sqlite3_int64 page_off, uint32_t pgno)
{
	int rc, state = short_page(f, page_off, &rc);

	memset(out, 0, PAGE);
	if (rc != SQLITE_OK)
		return rc;
	return state == PAGE_SHORT ? SQLITE_IOERR_SHORT_READ : auth_failed(f, pgno);
}

/* A page of a WAL frame, read together with its frame header for the page number. */
static int wal_read_page(cfile *f, unsigned char *out, sqlite3_int64 frame)
{
	unsigned char salts[8];
	int rc = real_read(f, f->buf, FRAME, frame);
	aad a;

	if (rc == SQLITE_IOERR_SHORT_READ)
		return short_read(f, out, frame + FRAME_HDR, get32(f->buf));
	if (rc == SQLITE_OK)
		rc = wal_salts(f, salts);
	if (rc != SQLITE_OK)
		return rc;
	aad_wal(&a, f->buf, salts, frame);
	if (unseal(f->vfs, out, f->buf + FRAME_HDR, &a) != PAGE_OK)
		return auth_failed(f, get32(f->buf));
	return SQLITE_OK;
}

/* WAL: the header and frame headers in clear; whole frames (recovery) and pages (reads, checkpoints). */
static int wal_read(cfile *f, unsigned char *buf, int amt, sqlite3_int64 off)
{
	sqlite3_int64 rel, frame;

	if (off + amt <= WAL_HDR)
		return real_read(f, buf, amt, off);
	if (off < WAL_HDR)
		return refuse_shape(f, "read", amt, off);
	rel = (off - WAL_HDR) % FRAME;
	frame = off - rel;
	if (rel + amt <= FRAME_HDR)
		return real_read(f, buf, amt, off);
	if (rel == 0 && amt == FRAME)
		return wal_read_frame(f, buf, frame);
	if (rel == FRAME_HDR && amt == PAGE)
		return wal_read_page(f, buf, frame);
	return refuse_shape(f, "read", amt, off);
}

/* Rollback journal: a record's page (invariant 9) is decrypted; everything else is clear already. */
static int jrnl_read(cfile *f, unsigned char *buf, int amt, sqlite3_int64 off)
{
	sqlite3_int64 rec = off - 4;
	int rc;
	aad a;

	if (amt != PAGE || off % 8 != 4)
		return real_read(f, buf, amt, off);
	rc = real_read(f, f->buf, 4 + PAGE, rec);
	if (rc == SQLITE_IOERR_SHORT_READ)
		return short_read(f, buf, off, get32(f->buf));
	if (rc != SQLITE_OK)
		return rc;
	aad_init(&a, CAIRN_VFS_ROLE_JOURNAL, get32(f->buf));
	aad_u64(&a, (uint64_t)rec);
	if (unseal(f->vfs, buf, f->buf + 4, &a) != PAGE_OK)
		return auth_failed(f, get32(f->buf));
	return SQLITE_OK;
}

static int x_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	cfile *f = (cfile *)file;

	switch (f->role) {
	case CAIRN_VFS_ROLE_DB: return db_read(f, buf, amt, off);
	case CAIRN_VFS_ROLE_WAL: {
		int rc = flush_hdr(f);
		return rc != SQLITE_OK ? rc : wal_read(f, buf, amt, off);
	}
	default: return jrnl_read(f, buf, amt, off);
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* Writing pages                                                                                   */

/* Seal `page` (checked first) with the associated data `a` and write it at `off`. */
/* Seal `page` and write it at `off`; with `hdr` (a WAL frame header held back), header and page go out
 * together in one write at off - FRAME_HDR. */
static int write_sealed(cfile *f, const unsigned char *hdr, const unsigned char *page, uint64_t pgno, const aad *a,
                        sqlite3_int64 off)
{
	int rc = check_page(f, page, pgno), pre = hdr ? FRAME_HDR : 0;

	if (rc != SQLITE_OK)
		return rc;
	if (hdr)
		memcpy(f->buf, hdr, FRAME_HDR);
	seal(f->vfs, f->buf + pre, page, a);
	return real_write(f, f->buf, pre + PAGE, off - pre);
}

static int db_write(cfile *f, const unsigned char *buf, int amt, sqlite3_int64 off)
{
	uint64_t pgno = (uint64_t)(off / PAGE) + 1;
	aad a;

	if (amt != PAGE || off % PAGE != 0)
		return refuse_shape(f, "write", amt, off);
	aad_init(&a, CAIRN_VFS_ROLE_DB, pgno);
	return write_sealed(f, NULL, buf, pgno, &a, off);
}

/*
 * A frame's page. SQLite writes the frame header just before it (kept in f->hdr), except when it
 * overwrites a page of a frame already written in the same transaction: then the header is on disk.
 * The writer holds the WAL's write lock, and a frame header it writes carries the current salts, so
 * these need not be read from the WAL header — unless they are zero (see aad_wal()).
 */
static int wal_write_page(cfile *f, const unsigned char *page, sqlite3_int64 frame)
{
	unsigned char hdr[FRAME_HDR], salts[8];
	int rc = SQLITE_OK, together = f->hdr_pending && f->hdr_off == frame;
	aad a;

	if (f->hdr_off == frame)
		memcpy(hdr, f->hdr, FRAME_HDR);
	else if ((rc = flush_hdr(f)) == SQLITE_OK)
		rc = real_read(f, hdr, FRAME_HDR, frame);
	f->hdr_pending = 0; /* written below with the page, or already on disk */
	f->hdr_off = -1;
	if (rc == SQLITE_IOERR_SHORT_READ)
		return refuse(f, SQLITE_IOERR_WRITE, "to write a wal page with no frame header before it");
	memcpy(salts, hdr + 8, 8);
	if (rc == SQLITE_OK && is_zero(salts, 8)) /* a frame whose checksums SQLite will rewrite */
		rc = wal_salts(f, salts);
	if (rc != SQLITE_OK)
		return rc;
	aad_wal(&a, hdr, salts, frame);
	return write_sealed(f, together ? hdr : NULL, page, get32(hdr), &a, frame + FRAME_HDR);
}

static int wal_write(cfile *f, const unsigned char *buf, int amt, sqlite3_int64 off)
{
	sqlite3_int64 rel, frame;
	int rc;

	if (off >= WAL_HDR && (off - WAL_HDR) % FRAME == FRAME_HDR && amt == PAGE)
		return wal_write_page(f, buf, off - FRAME_HDR);
	if ((rc = flush_hdr(f)) != SQLITE_OK)
		return rc;
	if (off == 0 && amt == WAL_HDR)
		return real_write(f, buf, amt, off);
	if (off < WAL_HDR)
		return refuse_shape(f, "write", amt, off);
	rel = (off - WAL_HDR) % FRAME;
	frame = off - rel;
	if (rel == 0 && amt == FRAME_HDR) {
		memcpy(f->hdr, buf, FRAME_HDR);
		f->hdr_off = frame;
		f->hdr_pending = 1;
		return SQLITE_OK;
	}
	if (rel == FRAME_HDR && amt == PAGE)
		return wal_write_page(f, buf, frame);
	return refuse_shape(f, "write", amt, off);
}

/*
 * A journal header: magic and record count, checksum seed, database size, sector size, page size; zeros
 * after. When the journal is synced, SQLite first writes the magic and count as zeros and fills them in
 * (a 12-byte write) once the records are on disk, so a crash in between leaves no hot journal.
 */
static int is_jrnl_header(const unsigned char *p, int amt, sqlite3_int64 off)
{
	uint32_t sector, page;

	if (amt < JRNL_FIELDS)
		return 0;
	if (memcmp(p, journal_magic, sizeof(journal_magic)) != 0 && !is_zero(p, 12))
		return 0;
	sector = get32(p + 20);
	page = get32(p + 24);
	/* a header longer than a page is written a page at a time, each piece a copy of the first */
	if (sector < 32 || sector > 65536 || (sector & (sector - 1)) != 0 || off % (sector < PAGE ? sector : PAGE))
		return 0;
	return page == PAGE && is_zero(p + JRNL_FIELDS, (size_t)(amt - JRNL_FIELDS));
}

/* A record's page: its page number was written just before it, at off - 4. */
static int jrnl_write_page(cfile *f, const unsigned char *page, sqlite3_int64 off)
{
	unsigned char pg[4];
	aad a;
	int rc = real_read(f, pg, 4, off - 4);

	if (rc == SQLITE_IOERR_SHORT_READ)
		return refuse(f, SQLITE_IOERR_WRITE, "to write a journal page with no page number before it");
	if (rc != SQLITE_OK)
		return rc;
	aad_init(&a, CAIRN_VFS_ROLE_JOURNAL, get32(pg));
	aad_u64(&a, (uint64_t)(off - 4));
	return write_sealed(f, NULL, page, get32(pg), &a, off);
}

/*
 * Invariant 9. Besides pages, SQLite writes to a journal only headers and short fields: record page
 * numbers and checksums (4 bytes), the record count (12 bytes at a header), a zeroed header (28 bytes,
 * journal_mode=PERSIST) and one zero byte over a stale header's magic.
 */
static int jrnl_write(cfile *f, const unsigned char *buf, int amt, sqlite3_int64 off)
{
	if (amt == PAGE && off % 8 == 4)
		return jrnl_write_page(f, buf, off);
	if (amt <= JRNL_FIELDS || is_jrnl_header(buf, amt, off))
		return real_write(f, buf, amt, off);
	return refuse_shape(f, "write", amt, off);
}

static int x_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
	cfile *f = (cfile *)file;

	switch (f->role) {
	case CAIRN_VFS_ROLE_DB: return db_write(f, buf, amt, off);
	case CAIRN_VFS_ROLE_WAL: return wal_write(f, buf, amt, off);
	default: return jrnl_write(f, buf, amt, off);
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* The rest of the I/O methods pass through to the unix file                                       */

static int x_close(sqlite3_file *file)
{
	cfile *f = (cfile *)file;
	int rc = flush_hdr(f), rc2 = f->real->pMethods->xClose(f->real);

	rc = rc != SQLITE_OK ? rc : rc2;
	sodium_memzero(f->buf, FRAME);
	free(f->buf);
	f->buf = NULL;
	return rc;
}

static int x_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	cfile *f = (cfile *)file;
	int rc = flush_hdr(f);
	f->hdr_off = -1;
	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int x_sync(sqlite3_file *file, int flags)
{
	cfile *f = (cfile *)file;
	int rc = flush_hdr(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int x_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	cfile *f = (cfile *)file;
	int rc = flush_hdr(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int x_lock(sqlite3_file *file, int lock)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xLock(f->real, lock);
}

static int x_unlock(sqlite3_file *file, int lock)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xUnlock(f->real, lock);
}

static int x_check_reserved_lock(sqlite3_file *file, int *out)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int x_file_control(sqlite3_file *file, int op, void *arg)
{
	cfile *f = (cfile *)file;

	if (op == SQLITE_FCNTL_MMAP_SIZE) { /* invariant 10: report and keep mmap off */
		*(sqlite3_int64 *)arg = 0;
		return SQLITE_OK;
	}
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int x_sector_size(sqlite3_file *file)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xSectorSize(f->real);
}

static int x_device_characteristics(sqlite3_file *file)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xDeviceCharacteristics(f->real) | SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}

static int x_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, pp);
}

static int x_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void x_shm_barrier(sqlite3_file *file)
{
	cfile *f = (cfile *)file;
	f->real->pMethods->xShmBarrier(f->real);
}

static int x_shm_unmap(sqlite3_file *file, int del)
{
	cfile *f = (cfile *)file;
	return f->real->pMethods->xShmUnmap(f->real, del);
}

/* Version 2: no xFetch/xUnfetch, so SQLite never memory-maps a file (invariant 10). */
static const sqlite3_io_methods io_methods = {
        2,
        x_close,
        x_read,
        x_write,
        x_truncate,
        x_sync,
        x_file_size,
        x_lock,
        x_unlock,
        x_check_reserved_lock,
        x_file_control,
        x_sector_size,
        x_device_characteristics,
        x_shm_map,
        x_shm_lock,
        x_shm_barrier,
        x_shm_unmap,
        NULL,
        NULL,
};

/* ---------------------------------------------------------------------------------------------- */
/* VFS methods                                                                                     */

static int role_of(int flags)
{
	if (flags & SQLITE_OPEN_MAIN_DB)
		return CAIRN_VFS_ROLE_DB;
	if (flags & SQLITE_OPEN_WAL)
		return CAIRN_VFS_ROLE_WAL;
	if (flags & SQLITE_OPEN_MAIN_JOURNAL)
		return CAIRN_VFS_ROLE_JOURNAL;
	return 0;
}

static int x_open(sqlite3_vfs *pvfs, sqlite3_filename name, sqlite3_file *file, int flags, int *out_flags)
{
	cvfs *v = pvfs->pAppData;
	cfile *f = (cfile *)file;
	int rc;

	memset(f, 0, sizeof(*f));
	f->vfs = v;
	f->path = name;
	f->role = role_of(flags);
	f->hdr_off = -1;
	if (!f->role || !name) /* invariant 10: temp files, statement journals, super-journals */
		return refuse(f, SQLITE_CANTOPEN, "to open a temporary file (temp_store must be memory)");
	f->buf = malloc(FRAME);
	if (!f->buf)
		return SQLITE_NOMEM;
	f->real = (sqlite3_file *)(f + 1);
	f->real->pMethods = NULL;
	rc = v->base->xOpen(v->base, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		if (f->real->pMethods)
			f->real->pMethods->xClose(f->real);
		free(f->buf);
		f->buf = NULL;
		return rc;
	}
	f->base.pMethods = &io_methods;
	return SQLITE_OK;
}

#define BASE(p) (((cvfs *)(p)->pAppData)->base)

static int x_delete(sqlite3_vfs *p, const char *name, int sync_dir)
{
	return BASE(p)->xDelete(BASE(p), name, sync_dir);
}

static int x_access(sqlite3_vfs *p, const char *name, int flags, int *out)
{
	return BASE(p)->xAccess(BASE(p), name, flags, out);
}

static int x_full_pathname(sqlite3_vfs *p, const char *name, int n, char *out)
{
	return BASE(p)->xFullPathname(BASE(p), name, n, out);
}

static void *x_dl_open(sqlite3_vfs *p, const char *name) { return BASE(p)->xDlOpen(BASE(p), name); }

static void x_dl_error(sqlite3_vfs *p, int n, char *msg) { BASE(p)->xDlError(BASE(p), n, msg); }

static void (*x_dl_sym(sqlite3_vfs *p, void *h, const char *sym))(void) { return BASE(p)->xDlSym(BASE(p), h, sym); }

static void x_dl_close(sqlite3_vfs *p, void *h) { BASE(p)->xDlClose(BASE(p), h); }

static int x_randomness(sqlite3_vfs *p, int n, char *out) { return BASE(p)->xRandomness(BASE(p), n, out); }

static int x_sleep(sqlite3_vfs *p, int us) { return BASE(p)->xSleep(BASE(p), us); }

static int x_current_time(sqlite3_vfs *p, double *out) { return BASE(p)->xCurrentTime(BASE(p), out); }

static int x_get_last_error(sqlite3_vfs *p, int n, char *out) { return BASE(p)->xGetLastError(BASE(p), n, out); }

static int x_current_time_int64(sqlite3_vfs *p, sqlite3_int64 *out) { return BASE(p)->xCurrentTimeInt64(BASE(p), out); }

/* ---------------------------------------------------------------------------------------------- */
/* Instances                                                                                       */

static void vfs_free(cvfs *v)
{
	if (!v)
		return;
	sqlite3_vfs_unregister(&v->vfs);
	cairn__secure_free(v->key);
	cairn__secure_free(v->nonces);
	sodium_memzero(v, sizeof(*v));
	free(v);
}

/* An instance over `base`, not registered with SQLite. */
static int vfs_alloc(cvfs **out, const unsigned char key[32], sqlite3_vfs *base)
{
	cvfs *v = calloc(1, sizeof(*v));

	if (!v)
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	v->key = cairn__secure_alloc(CAIRN_KEY_BYTES);
	v->nonces = cairn__secure_alloc(sizeof(*v->nonces));
	if (!v->key || !v->nonces) {
		cairn__secure_free(v->key);
		cairn__secure_free(v->nonces);
		free(v);
		return CAIRN_ENOMEM;
	}
	memcpy(v->key, key, CAIRN_KEY_BYTES);
	sodium_mprotect_readonly(v->key);
	pthread_once(&fork_watch, watch_forks);
	nonce_stream_seed(v->nonces);
	snprintf(v->name, sizeof(v->name), "cairn-%p", (void *)v);
	v->base = base;
	v->vfs = (sqlite3_vfs){
	        2,
	        (int)(sizeof(cfile) + (size_t)base->szOsFile),
	        base->mxPathname,
	        NULL,
	        v->name,
	        v,
	        x_open,
	        x_delete,
	        x_access,
	        x_full_pathname,
	        x_dl_open,
	        x_dl_error,
	        x_dl_sym,
	        x_dl_close,
	        x_randomness,
	        x_sleep,
	        x_current_time,
	        x_get_last_error,
	        x_current_time_int64,
	        NULL,
	        NULL,
	        NULL,
	};
	*out = v;
	return 0;
}

static int vfs_new(cvfs **out, const unsigned char key[32])
{
	sqlite3_vfs *base = sqlite3_vfs_find("unix");
	cvfs *v;
	int rc;

	if (!base)
		return cairn__error(CAIRN_ERROR, "sqlite has no unix vfs");
	if ((rc = vfs_alloc(&v, key, base)))
		return rc;
	if (sqlite3_vfs_register(&v->vfs, 0) != SQLITE_OK) {
		vfs_free(v);
		return cairn__error(CAIRN_ERROR, "cannot register the encrypting vfs");
	}
	*out = v;
	return 0;
}

static cvfs *vfs_of(sqlite3 *db)
{
	sqlite3_vfs *p = NULL;

	if (!db || sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &p) != SQLITE_OK || !p ||
	    p->xOpen != x_open)
		return NULL;
	return p->pAppData;
}

/* ---------------------------------------------------------------------------------------------- */
/* Opening a connection                                                                            */

static int code_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM: return CAIRN_ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return CAIRN_EBUSY;
	case SQLITE_FULL: return CAIRN_ENOSPC;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB: return CAIRN_ECORRUPT;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM: return CAIRN_EIO;
	default: return CAIRN_ERROR;
	}
}

/* The OS error behind a failed writable open: why the directory cannot be written, else SQLite's. */
static int dir_errno(sqlite3 *db, const char *path, int flags)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	if ((flags & SQLITE_OPEN_READWRITE) && access(dir, W_OK) != 0 && (errno == EROFS || errno == EACCES))
		return errno;
	return sqlite3_system_errno(db);
}

/* Why opening `path` failed: what the VFS saw first, then what SQLite says. */
static int open_error(cvfs *v, sqlite3 *db, const char *path, int flags, int rc)
{
	if (v->auth.set && v->auth.pgno == 1 && v->auth.role == CAIRN_VFS_ROLE_DB)
		return cairn__error(CAIRN_ETAMPER,
		                    "journal database '%s' failed authentication (wrong key or modified file)", path);
	if (v->auth.set)
		return cairn__error(CAIRN_ETAMPER, "page %u of '%s' failed authentication (modified file)",
		                    v->auth.pgno, v->auth.file);
	if (v->refused[0])
		return cairn__error(CAIRN_EIO, "cannot open journal database '%s': the encrypting vfs refused %s", path,
		                    v->refused);
	if ((rc & 0xff) == SQLITE_CANTOPEN && !(flags & SQLITE_OPEN_CREATE) && access(path, F_OK) != 0)
		return cairn__error(CAIRN_ENOTFOUND, "no journal database at '%s'", path);
	/* SQLite says "disk I/O error" when its -shm or -wal file cannot grow, and "unable to open database
	 * file" when it cannot make them: the OS error, or the directory, says why. */
	int os = db && (rc & 0xff) != SQLITE_CORRUPT && (rc & 0xff) != SQLITE_NOTADB ? dir_errno(db, path, flags) : 0;
	switch (os) {
	case ENOSPC:
	case EDQUOT:
		return cairn__error(CAIRN_ENOSPC,
		                    "the file system holding journal database '%s' is full: free some space and try "
		                    "again (nothing recorded is lost)",
		                    path);
	case EROFS:
		return cairn__error(
		        CAIRN_EIO,
		        "journal database '%s' is on a read-only file system (remount it read-write to record)", path);
	case EACCES:
	case EPERM:
		return cairn__error(CAIRN_EIO, "no permission to write journal database '%s' or its directory", path);
	}
	return cairn__error(code_of(rc), "cannot open journal database '%s': %s", path,
	                    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* Run one statement; copy the first column of its first row into res (when given). */
static int run(sqlite3 *db, const char *sql, char *res, size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && res) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(res, n, "%s", t ? (const char *)t : "");
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_OK;
	else
		rc = sqlite3_extended_errcode(db);
	sqlite3_finalize(st);
	return rc;
}

/*
 * Settings before anything is written: temp files in memory first, then the page geometry (the reserve
 * only applies to a new database; an existing one keeps the reserve in its header, which invariant 5
 * made right). Returns an SQLite code, or SQLITE_MISUSE when SQLite did not take a setting.
 */
static int configure(sqlite3 *db, int flags)
{
	static const char *const pragmas[] = {
	        "PRAGMA temp_store=MEMORY",  "PRAGMA page_size=4096",   "PRAGMA mmap_size=0",
	        "PRAGMA cell_size_check=ON", "PRAGMA secure_delete=ON", "PRAGMA synchronous=FULL",
	};
	char res[16];
	int reserve = CAIRN_PAGE_RESERVE;
	int rc;

	for (size_t i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++)
		if ((rc = run(db, pragmas[i], NULL, 0)) != SQLITE_OK)
			return rc;
	if ((rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve)) != SQLITE_OK)
		return rc;
	if ((rc = run(db, "PRAGMA temp_store", res, sizeof(res))) != SQLITE_OK)
		return rc;
	if (strcmp(res, "2") != 0)
		return SQLITE_MISUSE;
	if (flags & SQLITE_OPEN_READWRITE) {
		if ((rc = run(db, "PRAGMA journal_mode=WAL", res, sizeof(res))) != SQLITE_OK)
			return rc;
		if (strcmp(res, "wal") != 0)
			return SQLITE_MISUSE;
	}
	/* The first read of the schema: with a wrong key, page 1 has failed by now. */
	return run(db, "SELECT count(*) FROM sqlite_master", NULL, 0);
}

/*
 * A read-only connection that never writes a -shm file. With a WAL that holds frames:
 * "file:PATH?readonly_shm=1", and SQLite reads the WAL into the connection's memory when it cannot use
 * the -shm. Without one, SQLite would still want to create the -shm, so "immutable=1": the database file
 * alone holds everything (no process can write it either: that is why we are here).
 */
static char *shm_free_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(path);
	char *uri = malloc(3 * n + 32), *o = uri;
	struct stat st;
	int wal;

	if (!uri)
		return NULL;
	snprintf(uri, 3 * n + 32, "%s-wal", path);
	wal = stat(uri, &st) == 0 && st.st_size > 0;
	o += sprintf(o, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (isalnum(*p) || strchr("/._-~", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	strcpy(o, wal ? "?readonly_shm=1" : "?immutable=1");
	return uri;
}

int cairn__vfs_open(sqlite3 **out, const char *path, const unsigned char key[32], int flags)
{
	sqlite3 *db = NULL;
	cvfs *v = NULL;
	int rc;

	*out = NULL;
	if (!path || !key)
		return cairn__error(CAIRN_EINVAL, "no path or key for the journal database");
	if ((rc = cairn__crypto_init()) != 0)
		return rc;
	if ((rc = vfs_new(&v, key)) != 0)
		return rc;
	if (flags & CAIRN_VFS_OPEN_NO_SHM) {
		char *uri = shm_free_uri(path);
		rc = uri ? sqlite3_open_v2(uri, &db, (flags & ~CAIRN_VFS_OPEN_NO_SHM) | SQLITE_OPEN_URI, v->name)
		         : SQLITE_NOMEM;
		free(uri);
	} else {
		rc = sqlite3_open_v2(path, &db, flags, v->name);
	}
	if (rc == SQLITE_OK) /* another cairn process may hold the journal for a moment: wait, do not fail */
		sqlite3_busy_timeout(db, 10000);
	if (rc == SQLITE_OK && (rc = configure(db, flags)) == SQLITE_MISUSE)
		rc = cairn__error(CAIRN_ERROR, "sqlite did not take the settings journal database '%s' needs", path);
	else if (rc != SQLITE_OK)
		rc = open_error(v, db, path, flags, rc);
	if (rc != 0)
		goto out_close;
	*out = db;
	return 0;

out_close:
	sqlite3_close(db);
	vfs_free(v);
	return rc;
}

int cairn__vfs_open_sibling(sqlite3 **out, sqlite3 *db)
{
	cvfs *v = vfs_of(db);
	const char *path = sqlite3_db_filename(db, "main");
	*out = NULL;
	if (!v || !path || !*path)
		return cairn__error(CAIRN_EINVAL, "not a journal connection");
	return cairn__vfs_open(out, path, v->key, SQLITE_OPEN_READWRITE);
}

void cairn__vfs_close(sqlite3 *db)
{
	cvfs *v = vfs_of(db);
	sqlite3_stmt *st;

	if (!db)
		return;
	if (sqlite3_close(db) == SQLITE_BUSY) {
		cairn__log(CAIRN_LOG_WARN, "closing a journal database with statements still open");
		while ((st = sqlite3_next_stmt(db, NULL)) != NULL)
			sqlite3_finalize(st);
		if (sqlite3_close(db) != SQLITE_OK) {
			/* Still in use: the VFS and its key must outlive the connection. */
			cairn__log(CAIRN_LOG_ERROR, "cannot close a journal database: %s", sqlite3_errmsg(db));
			return;
		}
	}
	vfs_free(v);
}

void cairn__vfs_counts(sqlite3 *db, unsigned long long *seals, unsigned long long *unseals)
{
	cvfs *v = vfs_of(db);

	*seals = v ? v->seals : 0;
	*unseals = v ? v->unseals : 0;
}

int cairn__vfs_last_auth_failure(sqlite3 *db, unsigned *pgno, int *role)
{
	cvfs *v = vfs_of(db);

	if (!v || !v->auth.set)
		return 0;
	if (pgno)
		*pgno = v->auth.pgno;
	if (role)
		*role = v->auth.role;
	return 1;
}

int cairn__vfs_error(sqlite3 *db)
{
	cvfs *v = vfs_of(db);
	int rc = 0;

	if (!v)
		return 0;
	if (v->auth.set)
		rc = cairn__error(CAIRN_ETAMPER, "page %u of '%s' failed authentication (modified file)", v->auth.pgno,
		                  v->auth.file);
	else if (v->refused[0])
		rc = cairn__error(CAIRN_EIO, "the encrypting vfs refused %s", v->refused);
	v->auth.set = 0;
	v->refused[0] = '\0';
	return rc;
}

int cairn__vfs_read_page(sqlite3 *db, unsigned pgno, unsigned char buf[CAIRN_PAGE_SIZE])
{
	sqlite3_file *file = NULL;

	if (pgno == 0 || !vfs_of(db) ||
	    sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
	    file->pMethods != &io_methods)
		return SQLITE_MISUSE;
	return file->pMethods->xRead(file, buf, PAGE, (sqlite3_int64)(pgno - 1) * PAGE);
}

/* ---------------------------------------------------------------------------------------------- */
/* The page codec over a file in memory (fuzzing)                                                  */

#define MEM_FILE_MAX (4 << 20)

typedef struct {
	sqlite3_file base;
	unsigned char *data;
	size_t size, cap;
} mem_file;

struct cairn__vfs_mem {
	cvfs *v;
	cfile f;
	mem_file real;
	char path[16];
};

/* Like the unix VFS: a read past the end fills with zeros and says so. */
static int mem_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	mem_file *m = (mem_file *)file;
	size_t have = off < 0 || (size_t)off >= m->size ? 0 : m->size - (size_t)off;
	size_t n = have < (size_t)amt ? have : (size_t)amt;

	if (n)
		memcpy(buf, m->data + off, n);
	if (n < (size_t)amt) {
		memset((unsigned char *)buf + n, 0, (size_t)amt - n);
		return SQLITE_IOERR_SHORT_READ;
	}
	return SQLITE_OK;
}

static int mem_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
	mem_file *m = (mem_file *)file;
	size_t end = (size_t)off + (size_t)amt;

	if (off < 0 || end > MEM_FILE_MAX)
		return SQLITE_FULL;
	if (end > m->cap) {
		unsigned char *p = realloc(m->data, end);
		if (!p)
			return SQLITE_IOERR_NOMEM;
		m->data = p;
		m->cap = end;
	}
	if ((size_t)off > m->size)
		memset(m->data + m->size, 0, (size_t)off - m->size);
	memcpy(m->data + off, buf, (size_t)amt);
	if (end > m->size)
		m->size = end;
	return SQLITE_OK;
}

static int mem_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	mem_file *m = (mem_file *)file;
	if (size >= 0 && (size_t)size < m->size)
		m->size = (size_t)size;
	return SQLITE_OK;
}

static int mem_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	*size = (sqlite3_int64)((mem_file *)file)->size;
	return SQLITE_OK;
}

static const sqlite3_io_methods mem_methods = {
        .iVersion = 1,
        .xRead = mem_read,
        .xWrite = mem_write,
        .xTruncate = mem_truncate,
        .xFileSize = mem_file_size,
};

/* The only method of the base VFS the page paths use: db_read_page()'s retry delay, here none. */
static int mem_sleep(sqlite3_vfs *p, int us)
{
	(void)p;
	return us;
}

static sqlite3_vfs mem_base = {.iVersion = 1, .mxPathname = 512, .zName = "cairn-mem", .xSleep = mem_sleep};

int cairn__vfs_mem_new(cairn__vfs_mem **out, const unsigned char key[32])
{
	cairn__vfs_mem *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return SQLITE_NOMEM;
	if ((rc = vfs_alloc(&m->v, key, &mem_base))) {
		free(m);
		return SQLITE_NOMEM;
	}
	m->f.buf = malloc(FRAME);
	if (!m->f.buf) {
		cairn__vfs_mem_free(m);
		return SQLITE_NOMEM;
	}
	snprintf(m->path, sizeof(m->path), "memory");
	m->real.base.pMethods = &mem_methods;
	m->f.base.pMethods = &io_methods;
	m->f.vfs = m->v;
	m->f.real = &m->real.base;
	m->f.path = m->path;
	m->f.role = CAIRN_VFS_ROLE_DB;
	m->f.hdr_off = -1;
	*out = m;
	return SQLITE_OK;
}

void cairn__vfs_mem_free(cairn__vfs_mem *m)
{
	if (!m)
		return;
	vfs_free(m->v); /* unregistering an instance never registered is a no-op */
	free(m->f.buf);
	free(m->real.data);
	free(m);
}

int cairn__vfs_mem_reset(cairn__vfs_mem *m, int role, const void *bytes, size_t n)
{
	m->f.role = role;
	m->f.hdr_off = -1;
	m->f.hdr_pending = 0;
	m->real.size = 0;
	m->v->auth.set = 0;
	m->v->refused[0] = '\0';
	return n ? mem_write(&m->real.base, bytes, (int)n, 0) : SQLITE_OK;
}

int cairn__vfs_mem_read(cairn__vfs_mem *m, void *buf, int amt, sqlite3_int64 off)
{
	return x_read(&m->f.base, buf, amt, off);
}

int cairn__vfs_mem_write(cairn__vfs_mem *m, const void *buf, int amt, sqlite3_int64 off)
{
	return x_write(&m->f.base, buf, amt, off);
}

int cairn__vfs_mem_truncate(cairn__vfs_mem *m, sqlite3_int64 size) { return x_truncate(&m->f.base, size); }

const unsigned char *cairn__vfs_mem_bytes(const cairn__vfs_mem *m, size_t *size)
{
	*size = m->real.size;
	return m->real.data;
}
