/*
 * syncstate.c — what the sync engine keeps in the journal: device signing, per-device cursors, segment
 * import (one transaction per segment, or a savepoint per segment in an import group), quarantine and small
 * settings.
 *
 * Invariant: a segment's events and its cursor move together (cairn_import_segment), so a crash between
 * two segments leaves the journal at a segment boundary, and the next round resumes from the cursor.
 */
#include "crypto.h"
#include "error.h"
#include "journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int meta_blob(cairn_journal *j, const char *key, unsigned char *out, size_t n)
{
	int rc = cairn__meta_get_blob(j, key, out, n);
	return rc == CAIRN_ENOTFOUND ? cairn__error(CAIRN_ECORRUPT, "journal '%s' has no valid %s", j->dir, key) : rc;
}

int cairn_device_public_key(cairn_journal *j, unsigned char pk[32]) { return meta_blob(j, "device_pk", pk, 32); }

int cairn_device_sign(cairn_journal *j, const unsigned char *m, size_t n, unsigned char sig[64])
{
	int rc = cairn__meta_sign(j, "device_sk", m, n, sig);
	return rc == CAIRN_ENOTFOUND ? cairn__error(CAIRN_ECORRUPT, "journal '%s' has no valid device_sk", j->dir) : rc;
}

int cairn_cursor_get(cairn_journal *j, const char *device, cairn_cursor *out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT last_seq, last_hash, commit_id FROM cursors WHERE device = ?1");
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->last_seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(out->last_hash, sqlite3_column_blob(st, 1), 32);
		snprintf(out->commit, sizeof(out->commit), "%s", (const char *)sqlite3_column_text(st, 2));
		rc = SQLITE_DONE;
	}
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading a sync cursor");
}

static int cursor_set(cairn_journal *j, const char *device, const cairn_cursor *c)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "INSERT OR REPLACE INTO cursors VALUES (?1, ?2, ?3, ?4)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)c->last_seq);
	sqlite3_bind_blob(st, 3, c->last_hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->commit, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "moving a sync cursor");
}

/* The events of one segment and the cursor, in whatever transaction is open. */
static int import_locked(cairn_journal *j, const char *device, const cairn_event *events, size_t n,
                         const cairn_cursor *cursor, uint64_t *count)
{
	int rc = 0;
	*count = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		if (strcmp(events[i].device, device))
			return cairn__error(CAIRN_ECORRUPT, "segment of '%s' holds an event of '%s'", device,
			                    events[i].device);
		rc = cairn__ingest_locked(j, &events[i]);
		if (rc == 0)
			(*count)++;
		else if (rc == 1)
			rc = 0;
	}
	return rc ? rc : cursor_set(j, device, cursor);
}

/* Inside an import group: a savepoint per segment. The search-index marks and the clock are journal
 * state outside SQLite: a rolled-back segment takes its own back too. */
static int import_in_group(cairn_journal *j, const char *device, const cairn_event *events, size_t n,
                           const cairn_cursor *cursor, uint64_t *count)
{
	size_t nfts = j->nfts;
	uint64_t hlc = j->hlc;
	int rc = cairn__exec(j, "SAVEPOINT segment");
	if (rc)
		return rc;
	rc = import_locked(j, device, events, n, cursor, count);
	if (rc) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", cairn_error_last());
		sqlite3_exec(j->db, "ROLLBACK TO segment; RELEASE segment", NULL, NULL, NULL);
		j->nfts = nfts;
		j->hlc = hlc;
		return cairn__error(rc, "%s", msg);
	}
	return cairn__exec(j, "RELEASE segment");
}

int cairn_import_segment(cairn_journal *j, const char *device, const cairn_event *events, size_t n,
                         const cairn_cursor *cursor, uint64_t *applied)
{
	uint64_t count = 0;
	int rc;
	if (j->in_import)
		rc = import_in_group(j, device, events, n, cursor, &count);
	else if (j->in_batch)
		return cairn__error(CAIRN_EINVAL, "cannot import a segment inside a batch");
	else if ((rc = cairn__txn_begin(j)) == 0)
		rc = cairn__txn_end(j, import_locked(j, device, events, n, cursor, &count));
	if (!rc && applied)
		*applied = count;
	return rc;
}

int cairn_import_begin(cairn_journal *j)
{
	int rc = cairn_batch_begin(j); /* which starts the checkpoint helper */
	if (!rc)
		j->in_import = 1;
	return rc;
}

int cairn_import_commit(cairn_journal *j)
{
	if (!j->in_import)
		return cairn__error(CAIRN_EINVAL, "no import group is open");
	j->in_import = 0;
	return cairn_batch_commit(j);
}

void cairn_import_finish(cairn_journal *j)
{
	if (j && !j->in_import)
		cairn__checkpointer_stop(j);
}

int cairn_import_rollback(cairn_journal *j)
{
	if (!j->in_import)
		return cairn__error(CAIRN_EINVAL, "no import group is open");
	j->in_import = 0;
	return cairn_batch_rollback(j);
}

int cairn_quarantine_segment(cairn_journal *j, const char *device, const char *commit, const char *reason)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO segment_quarantine VALUES (?1, ?2, ?3, ?4)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, commit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "quarantining a segment");
}

int cairn_quarantine_has(cairn_journal *j, const char *device, const char *commit)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT 1 FROM segment_quarantine WHERE device = ?1 AND commit_id = ?2");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, commit, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading the quarantine");
}

int cairn_quarantine_list(cairn_journal *j, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(
	        j, &st,
	        "SELECT json_group_array(json_object('device', device, 'commit', commit_id, "
	        "'reason', reason, 'at', at)) FROM (SELECT * FROM segment_quarantine ORDER BY at, device)");
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = strdup((const char *)sqlite3_column_text(st, 0));
		rc = *out ? SQLITE_DONE : SQLITE_NOMEM;
	}
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "listing the quarantine");
}

int cairn_state_get(cairn_journal *j, const char *key, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT value FROM sync_state WHERE key = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = strdup((const char *)sqlite3_column_text(st, 0));
		rc = *out ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
	} else {
		rc = rc == SQLITE_DONE ? CAIRN_ENOTFOUND : cairn__sqlerr(j, rc, "reading sync state");
	}
	cairn__finalize(j, st);
	return rc;
}

int cairn_state_set(cairn_journal *j, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "INSERT OR REPLACE INTO sync_state VALUES (?1, ?2)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "writing sync state");
}
