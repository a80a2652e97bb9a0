/*
 * office.c — what the central office and an enrolled device keep in their journals for the roster:
 * the org signing key (the office's journal only), team keys unsealed from the roster, team names, and
 * the destruction of a journal on a wipe order.
 *
 * Invariants:
 *  1. The org secret key and the device secret key never leave this file except as a signature or an
 *     unsealed team key in sodium_malloc memory.
 *  2. The office stores team keys with current = 0: it reads every team and seals none of its own
 *     events into a team log.
 */
#include "crypto.h"
#include "error.h"
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cairn__meta_get_blob(cairn_journal *j, const char *key, unsigned char *out, size_t n)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT value FROM meta WHERE key = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(st, 0) == n) {
		memcpy(out, sqlite3_column_blob(st, 0), n);
		rc = 0;
	} else if (rc == SQLITE_ROW) {
		rc = cairn__error(CAIRN_ECORRUPT, "journal '%s' holds a damaged %s", j->dir, key);
	} else if (rc == SQLITE_DONE) {
		rc = CAIRN_ENOTFOUND;
	} else {
		rc = cairn__sqlerr(j, rc, "reading keys");
	}
	cairn__finalize(j, st);
	return rc;
}

int cairn_org_key_create(cairn_journal *j, unsigned char pk[32])
{
	unsigned char *sk;
	int rc = cairn__meta_get_blob(j, "org_pk", pk, 32);
	if (rc == 0)
		return cairn__error(CAIRN_EEXISTS, "journal '%s' already holds an org key", j->dir);
	if (rc != CAIRN_ENOTFOUND)
		return rc;
	if (!(sk = cairn__secure_alloc(CAIRN_SIGN_SK_BYTES)))
		return CAIRN_ENOMEM;
	cairn__sign_keypair(pk, sk);
	if (!(rc = cairn__exec(j, "BEGIN IMMEDIATE"))) {
		rc = cairn__meta_set_blob(j, "org_pk", pk, 32);
		if (!rc)
			rc = cairn__meta_set_blob(j, "org_sk", sk, CAIRN_SIGN_SK_BYTES);
		rc = cairn__txn_end_plain(j, rc);
	}
	cairn__secure_free(sk);
	return rc;
}

int cairn_org_public_key(cairn_journal *j, unsigned char pk[32])
{
	int rc = cairn__meta_get_blob(j, "org_pk", pk, 32);
	if (rc == CAIRN_ENOTFOUND)
		return cairn__error(CAIRN_ENOTFOUND, "journal '%s' is not an office (run 'cairn office init')", j->dir);
	return rc;
}

int cairn__meta_sign(cairn_journal *j, const char *key, const unsigned char *m, size_t n, unsigned char sig[64])
{
	unsigned char *sk = cairn__secure_alloc(CAIRN_SIGN_SK_BYTES);
	int rc;
	if (!sk)
		return CAIRN_ENOMEM;
	rc = cairn__meta_get_blob(j, key, sk, CAIRN_SIGN_SK_BYTES);
	if (!rc)
		cairn__sign(sig, m, n, sk);
	cairn__secure_free(sk);
	return rc;
}

int cairn_org_sign(cairn_journal *j, const unsigned char *m, size_t n, unsigned char sig[64])
{
	int rc = cairn__meta_sign(j, "org_sk", m, n, sig);
	if (rc == CAIRN_ENOTFOUND)
		return cairn__error(CAIRN_ENOTFOUND, "journal '%s' is not an office (run 'cairn office init')", j->dir);
	return rc;
}

int cairn_device_unseal(cairn_journal *j, const unsigned char *c, size_t clen, unsigned char **key_out)
{
	unsigned char pk[32], *sk = NULL, *key = NULL;
	int rc;
	*key_out = NULL;
	if (clen != 32 + CAIRN_SEAL_BYTES)
		return cairn__error(CAIRN_ECORRUPT, "a sealed team key has the wrong size");
	if (!(sk = cairn__secure_alloc(CAIRN_SIGN_SK_BYTES)) || !(key = cairn__secure_alloc(32))) {
		rc = CAIRN_ENOMEM;
		goto out;
	}
	if ((rc = cairn__meta_get_blob(j, "device_pk", pk, 32)) ||
	    (rc = cairn__meta_get_blob(j, "device_sk", sk, CAIRN_SIGN_SK_BYTES)))
		goto out;
	if (cairn__seal_open(key, c, clen, pk, sk)) {
		rc = cairn__error(CAIRN_ETAMPER, "a team key sealed to this device does not open (modified roster?)");
		goto out;
	}
	*key_out = key;
	key = NULL;
out:
	cairn__secure_free(sk);
	cairn__secure_free(key);
	return rc;
}

int cairn_team_key_store(cairn_journal *j, const unsigned char team[CAIRN_TEAM_BYTES], uint32_t epoch,
                         const unsigned char key[32], int current)
{
	sqlite3_stmt *st;
	int rc = cairn__exec(j, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	/* A team's key for an epoch never changes: another one under the same (team, epoch) would make
	 * everything sealed with the first unreadable here. Refused, not replaced. */
	if (!(rc = cairn__prepare(j, &st, "SELECT key FROM teams WHERE team = ?1 AND epoch = ?2"))) {
		sqlite3_bind_blob(st, 1, team, CAIRN_TEAM_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, epoch);
		int step = sqlite3_step(st);
		if (step == SQLITE_ROW &&
		    (sqlite3_column_bytes(st, 0) != 32 || !cairn__ct_equal(sqlite3_column_blob(st, 0), key, 32)))
			rc = cairn__error(CAIRN_EEXISTS,
			                  "a different key of this team for epoch %u is already stored here: refused "
			                  "(a roster signed again after a rollback?)",
			                  (unsigned)epoch);
		else if (step != SQLITE_ROW && step != SQLITE_DONE)
			rc = cairn__sqlerr(j, step, "reading a team key");
		cairn__finalize(j, st);
	}
	if (!rc && current)
		rc = cairn__exec(j, "UPDATE teams SET current = 0");
	if (!rc && !(rc = cairn__prepare(j, &st, "INSERT OR REPLACE INTO teams VALUES (?1, ?2, ?3, ?4)"))) {
		sqlite3_bind_blob(st, 1, team, CAIRN_TEAM_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, epoch);
		sqlite3_bind_blob(st, 3, key, 32, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, current != 0);
		rc = sqlite3_step(st);
		cairn__finalize(j, st);
		rc = rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "storing a team key");
	}
	return cairn__txn_end_plain(j, rc);
}

int cairn_office_team_id(cairn_journal *j, const char *name, unsigned char team[CAIRN_TEAM_BYTES])
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT team FROM office_teams WHERE name = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CAIRN_TEAM_BYTES) {
		memcpy(team, sqlite3_column_blob(st, 0), CAIRN_TEAM_BYTES);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? CAIRN_ENOTFOUND : cairn__sqlerr(j, rc, "reading team names");
	}
	cairn__finalize(j, st);
	return rc;
}

int cairn_office_team_name(cairn_journal *j, const unsigned char team[CAIRN_TEAM_BYTES], char **name)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT name FROM office_teams WHERE team = ?1");
	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, team, CAIRN_TEAM_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = (*name = strdup((const char *)sqlite3_column_text(st, 0))) ? 0 : CAIRN_ENOMEM;
	else
		rc = rc == SQLITE_DONE ? CAIRN_ENOTFOUND : cairn__sqlerr(j, rc, "reading team names");
	cairn__finalize(j, st);
	return rc;
}

int cairn_office_team_add(cairn_journal *j, const char *name, const unsigned char team[CAIRN_TEAM_BYTES])
{
	sqlite3_stmt *st;
	int rc;
	if (!name || !*name || strlen(name) > 64)
		return cairn__error(CAIRN_EINVAL, "a team name has 1 to 64 characters");
	if ((rc = cairn__prepare(j, &st, "INSERT INTO office_teams VALUES (?1, ?2)")))
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, team, CAIRN_TEAM_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	if (rc == SQLITE_CONSTRAINT)
		return cairn__error(CAIRN_EEXISTS, "team '%s' (or its id) already exists", name);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "naming a team");
}

/* The recorded version lives beside the rows, in the same transaction: rows and version never disagree. */
int cairn_roster_devices_set(cairn_journal *j, uint64_t version, const cairn_roster_entry *devs, size_t n)
{
	sqlite3_stmt *st = NULL;
	char num[32];
	int rc = cairn__exec(j, "BEGIN IMMEDIATE");
	if (rc)
		return rc;
	if ((rc = cairn__prepare(j, &st,
	                         "SELECT 1 FROM sync_state WHERE key = 'roster_devices' AND "
	                         "CAST(value AS INTEGER) >= ?1")))
		return cairn__txn_end_plain(j, rc);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)version);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE)
		return cairn__txn_end_plain(j, rc == SQLITE_ROW ? 0 : cairn__sqlerr(j, rc, "reading roster devices"));
	if ((rc = cairn__exec(j, "DELETE FROM roster_devices")) ||
	    (rc = cairn__prepare(j, &st,
	                         "INSERT OR REPLACE INTO roster_devices (device, team, status, supervisor) "
	                         "VALUES (?1, ?2, ?3, ?4)")))
		return cairn__txn_end_plain(j, rc);
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_bind_text(st, 1, devs[i].device, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, devs[i].team, CAIRN_TEAM_BYTES, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, devs[i].revoked ? "revoked" : "enrolled", -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, devs[i].supervisor != 0);
		rc = sqlite3_step(st) == SQLITE_DONE
		             ? 0
		             : cairn__sqlerr(j, sqlite3_errcode(j->db), "recording roster devices");
		sqlite3_reset(st);
	}
	cairn__finalize(j, st);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)version);
	if (!rc && !(rc = cairn__prepare(j, &st, "INSERT OR REPLACE INTO sync_state VALUES ('roster_devices', ?1)"))) {
		sqlite3_bind_text(st, 1, num, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE
		             ? 0
		             : cairn__sqlerr(j, sqlite3_errcode(j->db), "recording roster devices");
		cairn__finalize(j, st);
	}
	return cairn__txn_end_plain(j, rc);
}

/* Overwrite a file's bytes in place (and sync) before it is unlinked: the key file wraps the data key. */
static int shred(const char *path)
{
	struct stat sb;
	unsigned char junk[4096];
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : cairn__error(CAIRN_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &sb) == 0)
		for (off_t off = 0; off < sb.st_size && !rc; off += (off_t)sizeof(junk)) {
			size_t k =
			        (size_t)(sb.st_size - off) < sizeof(junk) ? (size_t)(sb.st_size - off) : sizeof(junk);
			cairn__random(junk, k);
			if (pwrite(fd, junk, k, off) != (ssize_t)k)
				rc = cairn__error(CAIRN_EIO, "cannot overwrite '%s': %s", path, strerror(errno));
		}
	if (!rc && fsync(fd) != 0)
		rc = cairn__error(CAIRN_EIO, "cannot sync '%s': %s", path, strerror(errno));
	close(fd);
	if (!rc && unlink(path) != 0)
		rc = cairn__error(CAIRN_EIO, "cannot remove '%s': %s", path, strerror(errno));
	return rc;
}

int cairn_journal_destroy(cairn_journal *j)
{
	static const char *const files[] = {"key", "journal.db", "journal.db-wal", "journal.db-journal"};
	char path[4200];
	int rc = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", j->dir, files[i]);
		int r = shred(path);
		if (r && !rc)
			rc = r;
	}
	/* The wal-index holds no record data, and SQLite still has it mapped: unlink only. */
	snprintf(path, sizeof(path), "%s/journal.db-shm", j->dir);
	unlink(path);
	int dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return rc;
}

int cairn_roster_device_revoked(cairn_journal *j, const char *device)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT status = 'revoked' FROM roster_devices WHERE device = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW    ? sqlite3_column_int(st, 0)
	     : rc == SQLITE_DONE ? 0
	                         : cairn__sqlerr(j, rc, "reading the roster");
	cairn__finalize(j, st);
	return rc;
}
