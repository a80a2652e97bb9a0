/*
 * audit.c — who saw whose record: viewing or exporting a person's record appends an audit.view event
 * (device and time are the event's own; the worker name and what was seen are in the body). They are
 * events like any other, so they sync to the team and the office and are never removed.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "crypto.h"
#include "domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int apply_view(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *contact = json_object_get(body, "contact"), *what = json_object_get(body, "what");
	sqlite3_stmt *st;
	int rc;
	if (!json_is_string(contact) || !json_is_string(what))
		return cairn__apply_bad(ev, "contact and what are required strings");
	rc = cairn__prepare(j, &st,
	                    "INSERT INTO audit_events (entity, contact, what, worker, hlc, device) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	                    CAIRN__FIRST_WRITER_WINS("audit_events",
	                        "contact = excluded.contact, "
	                        "what = excluded.what, "
	                        "worker = excluded.worker"));
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	cairn__bind_json_str(st, 2, contact);
	cairn__bind_json_str(st, 3, what);
	cairn__bind_json_str(st, 4, json_object_get(body, "worker"));
	sqlite3_bind_int64(st, 5, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 6, ev->device, -1, SQLITE_STATIC);
	return cairn__step_done(j, st, "recording an audit event");
}

/* An audit.view of `contact`; `record` (or NULL) the record seen, so that a view of a crisis is found
 * again in the trail of the person it names later (cairn_audit_list). */
static int audit_append(cairn_journal *j, const char *contact, const char *what, const char *record)
{
	char *worker = cairn__worker(j);
	json_t *body = json_pack("{s:s,s:s,s:o}", "contact", contact, "what", what, "worker",
	                         worker ? json_string(worker) : json_null());
	int rc;
	free(worker);
	if (body && record && json_object_set_new(body, "record", json_string(record)))
		json_decref(body), body = NULL;
	if (!body)
		return cairn__error(CAIRN_EINVAL, "what is not valid UTF-8");
	rc = cairn__append_json(j, "audit.view", NULL, body, NULL);
	json_decref(body);
	return rc;
}

int cairn__audit_locked(cairn_journal *j, const char *contact, const char *what)
{
	return audit_append(j, contact, what, NULL);
}

static int check_what(const char *what)
{
	if (!what || !*what || strlen(what) > 100)
		return cairn__error(CAIRN_EINVAL, "say what was viewed (at most 100 characters)");
	return 0;
}

int cairn_audit_view(cairn_journal *j, const char *contact, const char *what)
{
	int rc;
	if ((rc = check_what(what)))
		return rc;
	if ((rc = cairn__txn_begin(j)))
		return rc;
	rc = cairn__need(j, "contacts", "contact", contact);
	if (!rc)
		rc = cairn__audit_locked(j, contact, what);
	return cairn__txn_end(j, rc);
}

int cairn__audit_people_locked(cairn_journal *j, sqlite3_stmt *st, const char *what, const char *record)
{
	char (*ids)[CAIRN_ID_LEN] = NULL;
	size_t count = 0, cap = 0, i;
	int rc;
	/* Read them all first: each audit entry is written into a table the statement reads. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		if (!id)
			continue;
		if (strlen(id) >= CAIRN_ID_LEN) { /* fail closed: such a record was shown with no entry for anyone */
			rc = SQLITE_MISMATCH;
			break;
		}
		if (count == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			char(*nids)[CAIRN_ID_LEN] = realloc(ids, ncap * sizeof(*ids));
			if (!nids) {
				rc = SQLITE_NOMEM;
				break;
			}
			ids = nids;
			cap = ncap;
		}
		memcpy(ids[count++], id, strlen(id) + 1);
	}
	rc = rc == SQLITE_DONE ? 0
	   : rc == SQLITE_NOMEM ? cairn__error(CAIRN_ENOMEM, "out of memory")
	   : rc == SQLITE_MISMATCH ? cairn__error(CAIRN_ECORRUPT, "a record to be shown names its person by a "
	                                          "malformed id, so its view cannot be audited: nothing shown")
	                        : cairn__sqlerr(j, rc, "finding whose record was viewed");
	cairn__finalize(j, st);
	for (i = 0; !rc && i < count; i++)
		rc = audit_append(j, ids[i], what, record);
	free(ids);
	return rc;
}

int cairn__audit_shown(cairn_journal *j, int rc, char **out, const char *member, const char *what)
{
	sqlite3_stmt *st;
	char path[32];
	/* Nothing shown, nothing to account for: no transaction, so an empty view works read-only too. */
	if (rc || !strcmp(*out, "[]"))
		return rc;
	snprintf(path, sizeof(path), "$.%s", member);
	if (!(rc = cairn__audit_unbatched(j, what)) && !(rc = cairn__txn_begin(j))) {
		/* The records shown are read back from the document itself: exactly those, and all of them. */
		rc = cairn__prepare(j, &st,
		                    "WITH ev AS MATERIALIZED (SELECT json_extract(value, ?2) AS entity, NULL AS body "
		                    " FROM json_each(?1)) " CAIRN__PEOPLE_OF_EV);
		if (!rc) {
			sqlite3_bind_text(st, 1, *out, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
			rc = cairn__audit_people_locked(j, st, what, NULL);
		}
		rc = cairn__txn_end(j, rc);
	}
	if (rc) {
		char why[512];
		snprintf(why, sizeof(why), "%s", cairn_error_last());
		cairn__error(rc, "%s: nothing shown, its audit entries could not be written: %s", what, why);
	}
	return cairn__view_fail(rc, out);
}

int cairn__audit_unbatched(cairn_journal *j, const char *what)
{
	/* The entries would go into the caller's batch, and its rollback would take them back after the
	 * content was read. */
	if (j->in_batch)
		return cairn__error(CAIRN_EINVAL, "%s shows record content and audits it, so it cannot run inside a "
		                    "batch (a rollback would take its audit entries back)", what);
	return 0;
}

int cairn__view_fail(int rc, char **out)
{
	if (rc && *out) {
		cairn__wipe(*out, strlen(*out));
		free(*out);
		*out = NULL;
	}
	return rc;
}

int cairn_audit_record(cairn_journal *j, const char *entity, const char *what)
{
	sqlite3_stmt *st;
	int rc;
	if ((rc = check_what(what)))
		return rc;
	if ((rc = cairn__txn_begin(j)))
		return rc;
	rc = cairn__need(j, "events", "record", entity);
	if (!rc)
		rc = cairn__prepare(j, &st,
		                    "WITH ev AS MATERIALIZED (SELECT entity, body FROM events WHERE entity = ?1) "
		                    CAIRN__PEOPLE_OF_EV);
	if (!rc) {
		sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
		rc = cairn__audit_people_locked(j, st, what, entity);
	}
	return cairn__txn_end(j, rc);
}

int cairn_audit_list(cairn_journal *j, const char *contact, char **out)
{
	sqlite3_stmt *st;
	int rc;
	if (!cairn__uuid_valid(contact))
		return cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", contact ? contact : "");
	rc = cairn__prepare(
		j, &st,
		/* A view of a crisis made before it named this person (an unnamed placeholder, or the wrong
		 * person, corrected by `crisis link-person`) is theirs too: found now through the crisis, as
		 * merges are, among the views of the contacts those crises ever named (all through indexes). */
		"WITH mine (crisis) AS (SELECT x.entity FROM crises x WHERE x.contact IN " CAIRN__GROUP("?1")
		" UNION SELECT k.entity FROM crisis_canon k JOIN crises x ON x.entity = k.canon "
		" WHERE x.contact IN " CAIRN__GROUP("?1") ") "
		"SELECT json_group_array(json(o)) FROM (SELECT json_object('id', a.entity, 'contact', a.contact, "
		" 'what', a.what, 'worker', a.worker, 'device', a.device, 'hlc', a.hlc, "
		" 'time', strftime('%Y-%m-%dT%H:%M:%SZ', (a.hlc >> 16) / 1000, 'unixepoch')) AS o "
		"FROM audit_events a WHERE a.contact IN (SELECT * FROM " CAIRN__GROUP("?1") " UNION SELECT w.value "
		" FROM crisis_writes w WHERE w.crisis IN mine AND w.field = 'contact') AND (a.contact IN " CAIRN__GROUP("?1") " OR "
		" (SELECT json_extract(e.body, '$.record') FROM events e WHERE e.entity = a.entity "
		"  AND e.kind = 'audit.view' AND json_valid(e.body)) IN mine) "
		"ORDER BY a.hlc DESC, a.device DESC)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, contact, -1, SQLITE_TRANSIENT);
	return cairn__query_text(j, st, out, "[]");
}

static int audit_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"what", "views", "people"};
	return cairn__report_query(j, r,
		"SELECT what, count(*), count(DISTINCT contact) FROM audit_events "
		"WHERE date((hlc >> 16) / 1000, 'unixepoch') BETWEEN ?1 AND ?2 AND " CAIRN__IN_SCOPE("device")
		" GROUP BY what "
		"ORDER BY what",
		sections, "audit.views", "Audit: records viewed or exported", cols, 3);
}

static const cairn__kind audit_kinds[] = {{"audit.view", apply_view}};
static const char *const audit_tables[] = {"audit_events"};
static const char *const audit_digest[] = {
	"SELECT 'audit_events', entity, contact, what, worker, hlc, device FROM audit_events ORDER BY entity",
};

const cairn__module cairn__module_audit = {
	"audit",      audit_kinds,  CAIRN__COUNT(audit_kinds),  audit_tables, CAIRN__COUNT(audit_tables),
	audit_digest, CAIRN__COUNT(audit_digest), audit_report, NULL,
};
