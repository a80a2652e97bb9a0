/*
 * rotate.c — continuing under a new device id after a restore from an old backup (DESIGN.md: "a fork of
 * the device's own log is detected before writing; the device continues under a new device id").
 *
 * A restored device has written events whose (device, seq) were already published with other content.
 * They must not be published (that would fork its log for everyone) and must not be lost. In one
 * transaction: mint a new identity; move the unpublished own events (seq > keep) to the quarantine table
 * (reason names their new identity) and re-author them under the new device, rewriting `seen` versions
 * that pointed at them; then rebuild every materialized table from the events (apply is order-independent,
 * so a rebuild equals what any other device computes from the same events).
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "crypto.h"
#include "model.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int rebuild(cairn_journal *j)
{
	char sql[96];
	sqlite3_stmt *st;
	int rc = 0;
	for (size_t m = 0; cairn__modules[m]; m++)
		for (size_t i = 0; i < cairn__modules[m]->ntables && !rc; i++) {
			snprintf(sql, sizeof(sql), "DELETE FROM %s", cairn__modules[m]->tables[i]);
			rc = cairn__exec(j, sql);
		}
	/* A device's resource directory is the office's document, not its events: adopt it again. */
	if (!rc)
		rc = cairn__exec(j, "DELETE FROM sync_state WHERE key = 'resource_directory'");
	if (rc || (rc = cairn__prepare(j, &st, "SELECT device, seq, hlc, kind, entity, body, schema FROM events")))
		return rc;
	return cairn__apply_rows(j, st, NULL);
}

typedef struct {
	uint64_t seq, hlc, newhlc;
	int schema;
	char *kind, *entity, *body;
} moved;

/* Point `seen` versions of re-authored writes at their new (hlc, device). */
static char *rewrite_seen(const char *body, const moved *m, size_t n, const char *old, const char *dev)
{
	json_t *o = json_loads(body, 0, NULL), *seen = json_object_get(o, "seen"), *arr, *v;
	const char *field;
	size_t i;
	char *out;
	json_object_foreach(seen, field, arr)
	{
		json_array_foreach(arr, i, v)
		{
			if (strcmp(json_string_value(json_array_get(v, 1)) ? json_string_value(json_array_get(v, 1)) : "", old))
				continue;
			uint64_t h = (uint64_t)json_integer_value(json_array_get(v, 0));
			for (size_t k = 0; k < n; k++)
				if (m[k].hlc == h) {
					json_array_set_new(v, 0, json_integer((json_int_t)m[k].newhlc));
					json_array_set_new(v, 1, json_string(dev));
				}
		}
	}
	out = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : strdup(body);
	json_decref(o);
	return out;
}

static int quarantine_moved(cairn_journal *j, const char *old, const moved *m, const char *reason)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "INSERT INTO quarantine (device, seq, hlc, kind, entity, body, schema, hash, reason, "
	                        "at) SELECT device, seq, hlc, kind, entity, body, schema, hash, ?3, ?4 FROM events "
	                        "WHERE device = ?1 AND seq = ?2");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)m->seq);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "quarantining a re-authored event");
}

static int rotate_locked(cairn_journal *j, uint64_t keep, const char *old, moved **out, size_t *nout)
{
	sqlite3_stmt *st;
	moved *m = NULL;
	size_t n = 0, cap = 0;
	char reason[160];
	int rc = cairn__prepare(j, &st,
	                        "SELECT seq, hlc, kind, entity, body, schema FROM events WHERE device = ?1 AND seq > ?2 "
	                        "ORDER BY seq");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)keep);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			void *p = realloc(m, cap * sizeof(*m));
			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			m = p;
		}
		m[n].seq = (uint64_t)sqlite3_column_int64(st, 0);
		m[n].hlc = (uint64_t)sqlite3_column_int64(st, 1);
		m[n].kind = strdup((const char *)sqlite3_column_text(st, 2));
		m[n].entity = strdup((const char *)sqlite3_column_text(st, 3));
		m[n].body = strdup((const char *)sqlite3_column_text(st, 4));
		m[n++].schema = sqlite3_column_int(st, 5);
	}
	cairn__finalize(j, st);
	*out = m;
	*nout = n;
	if (rc != SQLITE_DONE)
		return cairn__sqlerr(j, rc, "reading unpublished events");
	if ((rc = cairn__identity_new(j)))
		return rc;
	snprintf(reason, sizeof(reason), "restored from a backup: re-authored as device %s", j->device);
	for (size_t i = 0; i < n; i++)
		if ((rc = quarantine_moved(j, old, &m[i], reason)))
			return rc;
	if ((rc = cairn__prepare(j, &st, "DELETE FROM events WHERE device = ?1 AND seq > ?2")))
		return rc;
	sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)keep);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE)
		return cairn__sqlerr(j, rc, "removing unpublished events");
	j->next_seq = 1;
	for (size_t i = 0; i < n; i++) {
		char *body = rewrite_seen(m[i].body, m, i, old, j->device);
		cairn_event_info info;
		rc = body ? cairn__append_locked(j, m[i].kind, m[i].entity, body, &info) : CAIRN_ENOMEM;
		m[i].newhlc = info.hlc;
		free(body);
		if (rc)
			return rc;
	}
	return rebuild(j);
}

int cairn_device_rotate(cairn_journal *j, uint64_t keep, char old_out[CAIRN_DEVICE_LEN])
{
	char old[CAIRN_DEVICE_LEN];
	moved *m = NULL;
	size_t n = 0;
	int rc;
	if (j->in_batch)
		return cairn__error(CAIRN_EINVAL, "cannot change identity inside a batch");
	memcpy(old, j->device, sizeof(old));
	if ((rc = cairn__txn_begin(j)))
		return rc;
	rc = rotate_locked(j, keep, old, &m, &n);
	rc = cairn__txn_end(j, rc);
	if (rc)
		memcpy(j->device, old, sizeof(old)); /* rolled back: still the old identity */
	else if (old_out)
		memcpy(old_out, old, CAIRN_DEVICE_LEN);
	for (size_t i = 0; i < n; i++) {
		free(m[i].kind);
		free(m[i].entity);
		if (m[i].body) {
			cairn__wipe(m[i].body, strlen(m[i].body));
			free(m[i].body);
		}
	}
	free(m);
	if (!rc)
		cairn__log(CAIRN_LOG_WARN,
		           "this device's log elsewhere differs from what this journal sealed (journal restored from a "
		           "backup, or its log repository lost): %zu unpublished events continue as device %s",
		           n, j->device);
	return rc;
}
