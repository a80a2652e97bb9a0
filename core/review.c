/*
 * review.c — supervision: a supervisor signs off a note (note.signoff, an event signed like every other
 * by the supervisor's device, carrying the supervisor's worker name). Sign-offs are kept, never removed;
 * a note awaits review while it has no sign-off that counts and is not struck.
 *
 * Who is a supervisor: the office says so in the roster (device flag, 'cairn office supervisor'). Once
 * a journal holds a roster, a sign-off counts only when its device is a supervisor there, checked when
 * counting (so the rule is the same whatever order events and rosters arrive in) and, for a clear
 * message, when signing. A team without an office (no roster) trusts any teammate but the author.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "domain.h"

#include <stdlib.h>
#include <string.h>

static int apply_signoff(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	sqlite3_stmt *st;
	int rc;
	if (!json_is_string(json_object_get(body, "supervisor")))
		return cairn__apply_bad(ev, "supervisor is required");
	rc = cairn__prepare(j, &st,
	                    "INSERT OR IGNORE INTO note_signoffs (note, hlc, device, supervisor, comment) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	cairn__bind_json_str(st, 4, json_object_get(body, "supervisor"));
	cairn__bind_json_str(st, 5, json_object_get(body, "comment"));
	return cairn__step_done(j, st, "recording a sign-off");
}

/* The device that wrote the note, to refuse signing one's own. */
static int note_author(cairn_journal *j, const char *note, char dev[CAIRN_DEVICE_LEN])
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT device, EXISTS (SELECT 1 FROM note_strikes s WHERE s.note = ?1) "
	                                "FROM notes WHERE entity = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, note, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(dev, CAIRN_DEVICE_LEN, "%s", sqlite3_column_int(st, 1) ? "" : (const char *)sqlite3_column_text(st, 0));
	cairn__finalize(j, st);
	return rc == SQLITE_ROW ? 0 : cairn__sqlerr(j, rc, "reading a note");
}

/* A sign-off by the device in column `s`.device of note `n` counts (see the top of this file): never the
 * note's own device, and once there is a roster, only a supervisor's. */
#define COUNTS(s, n)                                                                                         \
	"(" s ".device <> " n ".device AND (NOT EXISTS (SELECT 1 FROM roster_devices) OR EXISTS (SELECT 1 FROM "  \
	"roster_devices r WHERE r.device = " s ".device AND r.supervisor = 1)))"

static int is_supervisor(cairn_journal *j)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT NOT EXISTS (SELECT 1 FROM roster_devices) OR EXISTS (SELECT 1 FROM "
	                                "roster_devices WHERE device = ?1 AND supervisor = 1)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, cairn_journal_device(j), -1, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : cairn__sqlerr(j, sqlite3_errcode(j->db),
	                                                                              "reading the roster");
	cairn__finalize(j, st);
	return rc;
}

static int signoff_locked(cairn_journal *j, const char *note, json_t *body)
{
	char dev[CAIRN_DEVICE_LEN];
	int rc;
	if ((rc = cairn__need(j, "notes", "note", note)) || (rc = note_author(j, note, dev)))
		return rc;
	if (!dev[0])
		return cairn__error(CAIRN_EINVAL, "note '%s' is struck (entered in error); nothing to sign off", note);
	if (!strcmp(dev, cairn_journal_device(j)))
		return cairn__error(CAIRN_EINVAL, "note '%s' was written on this device: a supervisor signs off "
		                                  "another worker's notes", note);
	if ((rc = is_supervisor(j)) < 0)
		return rc;
	if (!rc)
		return cairn__error(CAIRN_EINVAL, "this device is not a supervisor in the office's roster (the office "
		                                  "makes one with 'cairn office supervisor %s')", cairn_journal_device(j));
	return cairn__append_json(j, "note.signoff", note, body, NULL);
}

int cairn_note_signoff(cairn_journal *j, const char *note, const char *comment)
{
	char *worker = NULL;
	json_t *body;
	int rc;
	if (comment && strlen(comment) > CAIRN__MAX_FIELD)
		return cairn__error(CAIRN_EINVAL, "comment too long");
	if ((rc = cairn__txn_begin(j)))
		return rc;
	if (!(worker = cairn__worker(j)))
		return cairn__txn_end(j, cairn__error(CAIRN_EINVAL, "set your name first ('cairn worker NAME'): a sign-off "
		                                                    "names the supervisor"));
	body = json_pack("{s:s,s:s?}", "supervisor", worker, "comment", comment);
	free(worker);
	rc = body ? signoff_locked(j, note, body) : cairn__error(CAIRN_EINVAL, "comment is not valid UTF-8");
	json_decref(body);
	return cairn__txn_end(j, rc);
}

int cairn_review_list(cairn_journal *j, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(
		j, &st,
		"SELECT json_group_array(json(o)) FROM (SELECT json_object('id', n.entity, 'contact', n.contact, "
		" 'name', (SELECT value FROM contact_fields f WHERE f.entity = n.contact AND f.field = 'name'), "
		" 'kind', n.kind, 'date', n.date, 'device', n.device, 'minutes', n.minutes) AS o FROM notes n "
		"WHERE NOT EXISTS (SELECT 1 FROM note_signoffs s WHERE s.note = n.entity AND " COUNTS("s", "n") ") "
		" AND " CAIRN__NOTE_LIVE("n.entity") " "
		"ORDER BY n.date, n.hlc, n.entity)");
	/* Which notes of which person await sign-off: audited for every person shown. */
	return rc ? rc : cairn__audit_shown(j, cairn__query_text(j, st, out, "[]"), out, "id", "review");
}

static int review_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"notes", "signed off", "awaiting sign-off"};
	return cairn__report_query(j, r,
		"SELECT count(*), sum(EXISTS (SELECT 1 FROM note_signoffs s WHERE s.note = n.entity AND " COUNTS("s", "n") ")), "
		" sum(NOT EXISTS (SELECT 1 FROM note_signoffs s WHERE s.note = n.entity AND " COUNTS("s", "n") ")) FROM notes n "
		"WHERE n.date BETWEEN ?1 AND ?2 AND " CAIRN__NOTE_LIVE("n.entity") " AND "
		CAIRN__IN_SCOPE("n.device"),
		sections, "supervision.signoff", "Supervision: note sign-off", cols, 3);
}

static const cairn__kind review_kinds[] = {{"note.signoff", apply_signoff}};
static const char *const review_tables[] = {"note_signoffs"};
static const char *const review_digest[] = {
	"SELECT 'note_signoffs', note, hlc, device, supervisor, comment FROM note_signoffs ORDER BY note, hlc, device",
};

const cairn__module cairn__module_review = {
	"review",      review_kinds,  CAIRN__COUNT(review_kinds),  review_tables, CAIRN__COUNT(review_tables),
	review_digest, CAIRN__COUNT(review_digest), review_report, NULL,
};
