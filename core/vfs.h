/*
 * vfs.h — the encrypting SQLite VFS (XChaCha20-Poly1305 per page, libsodium).
 *
 * cairn__vfs_open() opens `path` through a VFS instance bound to `key` (copied into secure memory) and
 * configures the connection so no plaintext can reach the disk: page size 4096 with 40 reserved bytes
 * (24-byte nonce + 16-byte tag), WAL journal, temp_store=MEMORY, mmap off, foreign temp files refused.
 * cairn__vfs_close() closes the connection and wipes the key. Errors: CAIRN_ETAMPER when a page fails
 * authentication (wrong key or modified file), CAIRN_EIO, CAIRN_ENOMEM; message set.
 *
 * After open, a page that fails authentication makes the SQLite call that read it fail with SQLITE_IOERR
 * (extended code SQLITE_IOERR_AUTH). Callers turn that into CAIRN_ETAMPER with cairn__vfs_error(), which
 * names the page and the file. The on-disk layout is in docs/formats.md ("Encrypted pages (VFS)").
 */
#ifndef CAIRN_VFS_H
#define CAIRN_VFS_H

#include <sqlite3.h>
#include <stddef.h>

#define CAIRN_PAGE_SIZE 4096
#define CAIRN_PAGE_RESERVE 40

/* Which file of a database a page lives in (the role byte of the associated data). */
#define CAIRN_VFS_ROLE_DB 1
#define CAIRN_VFS_ROLE_WAL 2
#define CAIRN_VFS_ROLE_JOURNAL 3

/*
 * flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE or SQLITE_OPEN_READONLY, optionally with
 * CAIRN_VFS_OPEN_NO_SHM (with READONLY): never write the -shm file, which a full or read-only file
 * system cannot hold; SQLite reads the WAL into memory when the -shm cannot be used.
 */
#define CAIRN_VFS_OPEN_NO_SHM 0x40000000
int cairn__vfs_open(sqlite3 **out, const char *path, const unsigned char key[32], int flags);
/* A second read-write connection to the database of `db`, with its own copy of the key (checkpoint.c). */
int cairn__vfs_open_sibling(sqlite3 **out, sqlite3 *db);
/* Close the connection (finalizing statements left open, with a warning), unregister the VFS, wipe the
 * key. Accepts NULL. */
void cairn__vfs_close(sqlite3 *db);

/*
 * The most recent page of `db`'s files that failed authentication: returns 1 and sets *pgno (the database
 * page number) and *role (CAIRN_VFS_ROLE_*) when there was one since open or since the last
 * cairn__vfs_error(); 0 otherwise (the out-parameters may be NULL). `db` must come from cairn__vfs_open().
 */
int cairn__vfs_last_auth_failure(sqlite3 *db, unsigned *pgno, int *role);

/*
 * How many pages `db`'s connection has sealed (encrypted) and opened (authenticated and decrypted, or
 * tried to) since it was opened, in all its files: what the cipher costs a workload (bench/bench_vfs.c).
 * Zeros when `db` does not come from cairn__vfs_open().
 */
void cairn__vfs_counts(sqlite3 *db, unsigned long long *seals, unsigned long long *unseals);

/*
 * Explain a failed SQLite call on `db` with what the VFS knows, and forget it: a page that failed
 * authentication gives CAIRN_ETAMPER ("page 17 of '/x/journal.db' failed authentication (modified
 * file)"); a write the VFS refused (a page 1 with the wrong geometry, a temporary file) gives CAIRN_EIO
 * with the reason. Returns that code with the error set, or 0 when the VFS recorded nothing, in which
 * case the caller maps the SQLite error itself.
 */
int cairn__vfs_error(sqlite3 *db);

/*
 * Read database page `pgno` of the main file straight through the VFS (no page cache, no locks): the
 * plaintext with the reserved bytes zeroed, or an SQLite error code (SQLITE_IOERR_AUTH when the page
 * fails authentication, SQLITE_IOERR_SHORT_READ past the end of the file). For tests and diagnostics.
 */
int cairn__vfs_read_page(sqlite3 *db, unsigned pgno, unsigned char buf[CAIRN_PAGE_SIZE]);

/*
 * The page codec over a file held in memory, for the fuzzer (tests/fuzz/fuzz_vfs.c): the VFS's own read,
 * write and truncate paths for a file of `role` (CAIRN_VFS_ROLE_*), with `key`, on bytes that never
 * touch a disk. No locks, no retry delays. cairn__vfs_mem_reset() replaces the file's bytes (and role)
 * and forgets any frame header a write left pending. Returns SQLite codes like the VFS's methods.
 */
typedef struct cairn__vfs_mem cairn__vfs_mem;
int cairn__vfs_mem_new(cairn__vfs_mem **out, const unsigned char key[32]);
void cairn__vfs_mem_free(cairn__vfs_mem *m);
int cairn__vfs_mem_reset(cairn__vfs_mem *m, int role, const void *bytes, size_t n);
int cairn__vfs_mem_read(cairn__vfs_mem *m, void *buf, int amt, sqlite3_int64 off);
int cairn__vfs_mem_write(cairn__vfs_mem *m, const void *buf, int amt, sqlite3_int64 off);
int cairn__vfs_mem_truncate(cairn__vfs_mem *m, sqlite3_int64 size);
/* The file's bytes as they would be on disk (borrowed until the next call on `m`). */
const unsigned char *cairn__vfs_mem_bytes(const cairn__vfs_mem *m, size_t *size);

#endif
