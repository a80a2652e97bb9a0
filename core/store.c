/*
 * store.c — the journal database: open through the encrypting VFS, apply the embedded migrations, map
 * SQLite's errors to cairn's. Everything here runs on one connection owned by the journal handle.
 */
#include "error.h"
#include "journal.h"
#include "schema.h"
#include "vfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cairn__sqlerr(cairn_journal *j, int rc, const char *what)
{
	/* The VFS knows more than SQLite's code: which page failed authentication, what it refused. */
	if (j && j->db && (rc & 0xff) == SQLITE_IOERR) {
		int v = cairn__vfs_error(j->db);
		if (v)
			return v;
	}
	const char *msg = j && j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc);
	if (j && j->ro_code && (rc & 0xff) == SQLITE_READONLY)
		return cairn__error(j->ro_code, "%s", j->ro_why); /* why it is read-only says more */
	if (j && j->db &&
	    ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_CANTOPEN ||
	     (rc & 0xff) == SQLITE_READONLY)) {
		int e = sqlite3_system_errno(j->db);
		if (e == ENOSPC || e == EDQUOT || (rc & 0xff) == SQLITE_FULL)
			return cairn__error(
			        CAIRN_ENOSPC,
			        "the file system holding journal '%s' is full while %s: free some space and "
			        "try again (nothing recorded is lost)",
			        j->dir, what);
		if (e == EROFS)
			return cairn__error(CAIRN_EIO, "journal '%s' is on a read-only file system while %s", j->dir,
			                    what);
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return cairn__error(CAIRN_EBUSY, "journal '%s' is busy (another cairn process holds it): %s",
		                    j ? j->dir : "?", what);
	case SQLITE_FULL:
		return cairn__error(CAIRN_ENOSPC, "the file system holding journal '%s' is full while %s",
		                    j ? j->dir : "?", what);
	case SQLITE_NOMEM: return cairn__error(CAIRN_ENOMEM, "out of memory while %s", what);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return cairn__error(CAIRN_ECORRUPT, "journal database '%s' is corrupt (%s) while %s",
		                    j ? j->db_path : "?", msg, what);
	case SQLITE_READONLY:
		return cairn__error(CAIRN_EIO, "journal '%s' is read-only (%s) while %s", j ? j->dir : "?", msg, what);
	case SQLITE_IOERR:
		if (rc == SQLITE_IOERR_AUTH)
			return cairn__error(CAIRN_ETAMPER,
			                    "journal database '%s' failed authentication (modified file or wrong key) "
			                    "while %s",
			                    j ? j->db_path : "?", what);
		return cairn__error(CAIRN_EIO, "i/o error on journal '%s' (%s) while %s", j ? j->db_path : "?", msg,
		                    what);
	case SQLITE_CONSTRAINT: return cairn__error(CAIRN_EINVAL, "constraint failed (%s) while %s", msg, what);
	default: return cairn__error(CAIRN_ERROR, "database error (%s) while %s", msg, what);
	}
}

int cairn__exec(cairn_journal *j, const char *sql)
{
	int rc = sqlite3_exec(j->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : cairn__sqlerr(j, rc, "executing a statement");
}

int cairn__prepare(cairn_journal *j, sqlite3_stmt **st, const char *sql)
{
	int i, rc;
	for (i = 0; i < j->ncache; i++) {
		if (j->cache[i].out || strcmp(j->cache[i].sql, sql))
			continue;
		j->cache[i].out = 1;
		*st = j->cache[i].st;
		return 0;
	}
	rc = sqlite3_prepare_v3(j->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	if (rc != SQLITE_OK) {
		*st = NULL;
		return cairn__sqlerr(j, rc, "preparing a statement");
	}
	if (j->ncache < (int)(sizeof(j->cache) / sizeof(j->cache[0]))) {
		char *copy = strdup(sql);
		if (copy) {
			j->cache[j->ncache].sql = copy;
			j->cache[j->ncache].st = *st;
			j->cache[j->ncache++].out = 1;
		}
	}
	return 0;
}

void cairn__finalize(cairn_journal *j, sqlite3_stmt *st)
{
	for (int i = 0; i < j->ncache; i++) {
		if (j->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			j->cache[i].out = 0;
			return;
		}
	}
	sqlite3_finalize(st); /* not cached: the cache was full, or the statement was already handed out */
}

static void cache_clear(cairn_journal *j)
{
	for (int i = 0; i < j->ncache; i++) {
		sqlite3_finalize(j->cache[i].st);
		free(j->cache[i].sql);
	}
	j->ncache = 0;
}

int cairn__meta_get_int(cairn_journal *j, const char *key, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT value FROM meta WHERE key = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = CAIRN_ENOTFOUND;
	} else {
		rc = cairn__sqlerr(j, rc, "reading journal metadata");
	}
	cairn__finalize(j, st);
	return rc;
}

int cairn__meta_get_text(cairn_journal *j, const char *key, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT value FROM meta WHERE key = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		*out = strdup(v ? v : "");
		rc = *out ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = CAIRN_ENOTFOUND;
	} else {
		rc = cairn__sqlerr(j, rc, "reading journal metadata");
	}
	cairn__finalize(j, st);
	return rc;
}

static int meta_set(cairn_journal *j, const char *key, int type, int64_t i, const void *p, size_t n)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (type == SQLITE_INTEGER)
		sqlite3_bind_int64(st, 2, i);
	else if (type == SQLITE_TEXT)
		sqlite3_bind_text(st, 2, p, (int)n, SQLITE_STATIC);
	else
		sqlite3_bind_blob(st, 2, p, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "writing journal metadata");
}

int cairn__meta_set_int(cairn_journal *j, const char *key, int64_t v)
{
	return meta_set(j, key, SQLITE_INTEGER, v, NULL, 0);
}

int cairn__meta_set_text(cairn_journal *j, const char *key, const char *v)
{
	return meta_set(j, key, SQLITE_TEXT, 0, v, strlen(v));
}

int cairn__meta_set_blob(cairn_journal *j, const char *key, const void *v, size_t n)
{
	return meta_set(j, key, SQLITE_BLOB, 0, v, n);
}

/* The highest migration recorded, 0 for a new database. */
static int schema_version(cairn_journal *j, int *out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='migrations'");
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	int have = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	cairn__finalize(j, st);
	if (have < 0)
		return cairn__sqlerr(j, rc, "reading the schema");
	*out = 0;
	if (!have)
		return 0;
	rc = cairn__prepare(j, &st, "SELECT coalesce(max(version), 0) FROM migrations");
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	cairn__finalize(j, st);
	return rc == SQLITE_ROW ? 0 : cairn__sqlerr(j, rc, "reading the schema version");
}

/* Migrations that fill their tables from the log in C, with the parser apply uses (a migration's SQL
 * reads JSON with SQLite's rules, which differ on escaped keys): run in the migration's transaction. */
static const struct {
	int version;
	int (*fill)(struct cairn_journal *j);
} migration_fills[] = {{16, cairn__seen_backfill}};

static int apply_migration(cairn_journal *j, const cairn__migration *m)
{
	sqlite3_stmt *st;
	int rc = cairn__exec(j, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	rc = cairn__exec(j, "CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, "
	                    "name TEXT NOT NULL, applied INTEGER NOT NULL) STRICT");
	if (!rc)
		rc = cairn__exec(j, m->sql);
	for (size_t i = 0; i < sizeof(migration_fills) / sizeof(migration_fills[0]) && !rc; i++)
		if (migration_fills[i].version == m->version)
			rc = migration_fills[i].fill(j);
	if (!rc)
		rc = cairn__prepare(j, &st, "INSERT INTO migrations VALUES (?1, ?2, ?3)");
	if (!rc) {
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
		int s = sqlite3_step(st);
		cairn__finalize(j, st);
		if (s != SQLITE_DONE)
			rc = cairn__sqlerr(j, s, "recording a migration");
	}
	if (rc) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return cairn__exec(j, "COMMIT");
}

static int migrate(cairn_journal *j)
{
	int have = 0, rc = schema_version(j, &have);
	int newest = cairn__migration_count ? cairn__migrations[cairn__migration_count - 1].version : 0;
	if (rc)
		return rc;
	if (have > newest)
		return cairn__error(CAIRN_ENEWER,
		                    "journal '%s' has schema version %d, newer than this cairn supports (%d); "
		                    "upgrade cairn",
		                    j->dir, have, newest);
	for (int i = 0; i < cairn__migration_count; i++) {
		if (cairn__migrations[i].version <= have)
			continue;
		if ((rc = apply_migration(j, &cairn__migrations[i])))
			return rc;
		cairn__log(CAIRN_LOG_INFO, "applied migration %s", cairn__migrations[i].name);
	}
	return 0;
}

/*
 * A journal on a full or read-only file system cannot be opened for writing (WAL mode needs its -shm and
 * -wal files), but can still be read: open it read-only, and let every write fail with the reason.
 */
static int open_read_only(cairn_journal *j, const unsigned char key[32], int rc)
{
	j->ro_code = rc;
	snprintf(j->ro_why, sizeof(j->ro_why), "%s", cairn_error_last());
	if (cairn__vfs_open(&j->db, j->db_path, key, SQLITE_OPEN_READONLY | CAIRN_VFS_OPEN_NO_SHM) != 0) {
		cairn__log(CAIRN_LOG_DEBUG, "opening read-only failed too: %s", cairn_error_last());
		j->ro_code = 0;
		return cairn__error(rc, "%s", j->ro_why); /* the first failure says more */
	}
	cairn__log(CAIRN_LOG_WARN, "opened journal '%s' read-only: %s", j->dir, j->ro_why);
	return 0;
}

int cairn__store_open(cairn_journal *j, const unsigned char key[32], int create)
{
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = cairn__vfs_open(&j->db, j->db_path, key, flags);
	if ((rc == CAIRN_ENOSPC || rc == CAIRN_EIO) && !create)
		rc = open_read_only(j, key, rc);
	if (rc)
		return rc;
	sqlite3_busy_timeout(j->db, 10000);
	/* A larger page cache: every miss costs a read and a decryption. */
	sqlite3_exec(j->db, "PRAGMA cache_size=-32768", NULL, NULL, NULL);
	if ((rc = migrate(j))) {
		cache_clear(j);
		cairn__vfs_close(j->db);
		j->db = NULL;
	}
	return rc;
}

void cairn__store_close(cairn_journal *j)
{
	if (!j->db)
		return;
	cache_clear(j);
	cairn__vfs_close(j->db);
	j->db = NULL;
}

int cairn__read_begin(cairn_journal *j, int *own)
{
	*own = !j->in_txn && sqlite3_get_autocommit(j->db);
	return *own ? cairn__exec(j, "BEGIN") : 0;
}

void cairn__read_end(cairn_journal *j, int own)
{
	if (own)
		sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL);
}
