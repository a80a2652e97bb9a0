/*
 * vfs.h — the encrypting SQLite VFS (XChaCha20-Poly1305 per page, libsodium).
 *
 * cairn__vfs_open() opens `path` through a VFS instance bound to `key` (copied into secure memory) and
 * configures the connection so no plaintext can reach the disk: page size 4096 with 40 reserved bytes
 * (24-byte nonce + 16-byte tag), WAL journal, temp_store=MEMORY, mmap off, foreign temp files refused.
 * cairn__vfs_close() closes the connection and wipes the key. Errors: CAIRN_ETAMPER when a page fails
 * authentication (wrong key or modified file), CAIRN_EIO, CAIRN_ENOMEM; message set.
 */
#ifndef CAIRN_VFS_H
#define CAIRN_VFS_H

#include <sqlite3.h>

#define CAIRN_PAGE_SIZE 4096
#define CAIRN_PAGE_RESERVE 40

/* flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE or SQLITE_OPEN_READONLY */
int cairn__vfs_open(sqlite3 **out, const char *path, const unsigned char key[32], int flags);
void cairn__vfs_close(sqlite3 *db);

#endif
