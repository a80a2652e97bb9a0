/*
 * query.c — read-only queries. Results are built as JSON by SQLite's JSON functions, so the CLI's tables
 * and its --json output come from one document.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "crypto.h"
#include "domain.h"
#include "error.h"
#include "journal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run a statement yielding one text value; *out gets a malloc'd copy ("[]" when NULL). */
static int one_text(cairn_journal *j, sqlite3_stmt *st, char **out, const char *dflt)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		*out = strdup(t ? t : dflt);
		rc = *out ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
	} else {
		rc = cairn__sqlerr(j, rc, "running a query");
	}
	cairn__finalize(j, st);
	return rc;
}

static const char *table_of(const char *type)
{
	if (!strcmp(type, "contact"))
		return "contacts";
	if (!strcmp(type, "note"))
		return "notes";
	if (!strcmp(type, "referral"))
		return "referrals";
	/* issue 6 record families (schema/0004_domain.sql) */
	if (!strcmp(type, "goal"))
		return "goals";
	if (!strcmp(type, "consent"))
		return "consents";
	if (!strcmp(type, "assessment"))
		return "assessments";
	if (!strcmp(type, "resource"))
		return "resources";
	if (!strcmp(type, "group"))
		return "group_sessions";
	if (!strcmp(type, "plan version"))
		return "plan_versions";
	if (!strcmp(type, "crisis"))
		return "crises";
	if (!strcmp(type, "audit"))
		return "audit_events";
	return NULL;
}

int cairn_id_resolve(cairn_journal *j, const char *type, const char *prefix, char id_out[CAIRN_ID_LEN])
{
	const char *table = table_of(type);
	char sql[160], lower[CAIRN_ID_LEN];
	sqlite3_stmt *st;
	size_t n = prefix ? strlen(prefix) : 0;
	int rc, found = 0;
	if (!table)
		return cairn__error(CAIRN_EINVAL, "unknown record type '%s'", type);
	if (n < 4 || n > 36)
		return cairn__error(CAIRN_EINVAL, "malformed %s id '%s' (give at least 4 characters of it)", type,
		                    prefix ? prefix : "");
	for (size_t i = 0; i <= n; i++) {
		char c = (char)tolower((unsigned char)prefix[i]);
		if (c && !isxdigit((unsigned char)c) && c != '-')
			return cairn__error(CAIRN_EINVAL, "malformed %s id '%s'", type, prefix);
		lower[i] = c;
	}
	snprintf(sql, sizeof(sql), "SELECT entity FROM %s WHERE entity >= ?1 AND entity < ?1 || '~' LIMIT 2",
	         table);
	if ((rc = cairn__prepare(j, &st, sql)))
		return rc;
	sqlite3_bind_text(st, 1, lower, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (found++ == 0)
			snprintf(id_out, CAIRN_ID_LEN, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE)
		return cairn__sqlerr(j, rc, "resolving an id");
	if (!found)
		return cairn__error(CAIRN_ENOTFOUND, "no %s with id '%s'", type, prefix);
	if (found > 1)
		return cairn__error(CAIRN_EAMBIGUOUS, "%s id '%s' is ambiguous; give more characters", type,
		                    prefix);
	return 0;
}

#define FIELDS_OF(e) \
	"(SELECT json_group_object(field, value) FROM contact_fields f WHERE f.entity = " e \
	" AND value IS NOT NULL)"
#define NAME_OF(e) "(SELECT value FROM contact_fields f WHERE f.entity = " e " AND f.field = 'name')"
/* A note amended on two devices neither seeing the other (schema 0015), and not struck. */
#define NOTE_IN_CONFLICT(n) \
	"(EXISTS (SELECT 1 FROM note_amend_conflicts x WHERE x.note = " n ") AND " CAIRN__NOTE_LIVE(n) ")"
/* The goals whose statuses were changed on two devices neither seeing the other (schema 0016), as (goal,
 * contact: the person's surviving id, heads); a goal not arrived yet shows nothing. */
#define GOAL_CONFLICTS                                                                                   \
	"(SELECT g.entity AS goal, " CAIRN__CANON("g.contact") " AS contact, x.heads AS heads "          \
	" FROM goal_status_conflicts x CROSS JOIN goals g ON g.entity = x.goal)"
/* The referrals whose winning generation holds two different terminal states (apply.c: one recorded
 * completed, another failed, neither seeing the other), as (referral, contact: the person's surviving id,
 * heads: the distinct states); a struck referral's clash is moot, and one not arrived yet shows nothing. */
#define REFERRAL_CLASHES                                                                                      \
	"(SELECT s.referral AS referral, " CAIRN__CANON("r.contact") " AS contact, r.target AS target, s.gen AS gen, " \
	" (SELECT count(DISTINCT e.state) FROM referral_events e WHERE e.referral = s.referral AND e.gen = s.gen "    \
	"  AND e.rank >= 6) AS heads FROM referral_state s CROSS JOIN referrals r ON r.entity = s.referral "          \
	" WHERE s.review AND NOT s.struck)"
/* The ids of survivor `e`'s merge group (CAIRN__GROUP for an id known to be the survivor: no lookup). */
#define SURVIVOR_GROUP(e) "(SELECT k.entity FROM contact_canon k WHERE k.canon = " e " UNION SELECT " e ")"
#define MERGED_AWAY(e) "EXISTS (SELECT 1 FROM contact_canon k WHERE k.entity = " e " AND k.canon != " e ")"
/* The person a contact id stands for is not deleted (the survivor of its merge group decides; a person not
 * known yet, whose record has not arrived, counts as alive). */
#define PERSON_ALIVE(e) "coalesce((SELECT cl % 2 = 1 FROM contacts p WHERE p.entity = " CAIRN__CANON(e) "), 1)"

int cairn_contact_list(cairn_journal *j, int include_deleted, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(
		j, &st,
		"SELECT json_group_array(json(obj)) FROM (SELECT json_patch(json_object('id', c.entity, "
		" 'deleted', json(iif(c.cl % 2 = 0, 'true', 'false')), "
		" 'conflicts', (SELECT count(*) FROM contact_fields f WHERE f.entity = c.entity AND heads > 1) "
		"  + " CAIRN__LC_CONFLICTED("c.entity") " + (SELECT count(*) FROM notes n WHERE n.contact = c.entity "
		"  AND " NOTE_IN_CONFLICT("n.entity") ") + iif(EXISTS (SELECT 1 FROM goal_status_conflicts), (SELECT count(*) FROM goals g "
		"  CROSS JOIN goal_status_conflicts x ON x.goal = g.entity WHERE g.contact IN " SURVIVOR_GROUP("c.entity") "), 0) "
		"  + (SELECT count(*) FROM plan_counts p WHERE p.person = c.entity AND p.heads > 1) "
		"  + iif(EXISTS (SELECT 1 FROM referral_state WHERE review AND NOT struck), (SELECT count(*) FROM "
		"  referrals r CROSS JOIN referral_state s ON s.referral = r.entity WHERE s.review AND NOT s.struck "
		"  AND r.contact IN " SURVIVOR_GROUP("c.entity") "), 0)), "
		FIELDS_OF("c.entity") ") AS obj, " NAME_OF("c.entity") " AS name "
		"FROM contacts c WHERE NOT " MERGED_AWAY("c.entity") " AND (?1 OR c.cl % 2 = 1) "
		"ORDER BY name COLLATE NOCASE, c.entity)");
	if (rc)
		return rc;
	sqlite3_bind_int(st, 1, include_deleted);
	return one_text(j, st, out, "[]");
}

static const char *const note_json =
	"json_object('id', n.entity, 'contact', n.contact, 'kind', n.kind, 'date', n.date, "
	" 'modality', n.modality, 'minutes', n.minutes, 'device', n.device, 'hlc', n.hlc, "
	" 'text', coalesce((SELECT text FROM note_amends a WHERE a.note = n.entity ORDER BY hlc DESC, device DESC "
	"   LIMIT 1), n.text), "
	" 'original_text', n.text, "
	" 'amendments', (SELECT json_group_array(json_object('text', text, 'reason', reason, 'hlc', hlc, "
	"   'device', device)) FROM (SELECT * FROM note_amends a WHERE a.note = n.entity ORDER BY hlc, device)), "
	" 'conflict', json(iif(" NOTE_IN_CONFLICT("n.entity") ", 'true', 'false')), "
	" 'struck', json(iif(EXISTS (SELECT 1 FROM note_strikes s WHERE s.note = n.entity), 'true', 'false')), "
	" 'strike_reason', (SELECT reason FROM note_strikes s WHERE s.note = n.entity ORDER BY hlc LIMIT 1))";

static const char *const referral_json =
	"json_object('id', r.entity, 'contact', r.contact, 'contact_name', " NAME_OF("r.contact") ", "
	" 'category', r.category, 'to', r.target, 'reason', r.reason, 'date', r.date, 'device', r.device, "
	" 'state', s.state, 'gen', s.gen, 'on_hold', json(iif(s.on_hold, 'true', 'false')), "
	" 'review', json(iif(s.review, 'true', 'false')), 'struck', json(iif(s.struck, 'true', 'false')), "
	" 'outcome', s.outcome, 'reporter', s.reporter, "
	" 'history', (SELECT json_group_array(json_object('state', state, 'gen', gen, 'outcome', outcome, "
	"   'reporter', reporter, 'note', note, 'hlc', hlc, 'device', device)) FROM (SELECT * FROM "
	"   referral_events e WHERE e.referral = r.entity ORDER BY gen, hlc, device)))";


int cairn_contact_show(cairn_journal *j, const char *id, char **out)
{
	sqlite3_stmt *st;
	char sql[9000];
	int rc;
	if (!cairn__uuid_valid(id))
		return cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", id ? id : "");
	snprintf(
		sql, sizeof(sql),
		"WITH me(id) AS (SELECT coalesce((SELECT canon FROM contact_canon WHERE entity = ?1), ?1)) "
		"SELECT json_object('id', c.entity, 'deleted', json(iif(c.cl %% 2 = 0, 'true', 'false')), "
		" 'created_hlc', c.created, 'fields', json(" FIELDS_OF("c.entity") "), "
		" 'merged', (SELECT json_group_array(entity) FROM contact_canon k WHERE k.canon = c.entity "
		"   AND k.entity != c.entity), "
		" 'merged_fields', (SELECT json_group_object(entity, json(" FIELDS_OF("k.entity") ")) FROM "
		"   contact_canon k WHERE k.canon = c.entity AND k.entity != c.entity), "
		" 'conflicts', (SELECT json_group_array(json(o)) FROM ("
		"   SELECT json_object('field', f.field, 'values', "
		"   (SELECT json_group_array(json_object('value', w.value, 'hlc', w.hlc, 'device', w.device)) "
		"    FROM contact_writes w WHERE w.entity = f.entity AND w.field = f.field AND NOT EXISTS "
		"    (SELECT 1 FROM contact_superseded s WHERE s.entity = w.entity AND s.field = w.field "
		"     AND s.hlc = w.hlc AND s.device = w.device))) AS o, 0 AS k, f.field AS fo FROM contact_fields f "
		"   WHERE f.entity = c.entity AND f.heads > 1 "
		"   UNION ALL SELECT json_object('field', 'status', 'kind', 'merge-delete', 'values', "
		"    json(" CAIRN__LC_SIDES("c.entity") ")), 1, 'status' WHERE " CAIRN__LC_CONFLICTED("c.entity") " ORDER BY k, fo)), "
		" 'notes', (SELECT json_group_array(json(nj)) FROM (SELECT %s AS nj FROM notes n "
		"   WHERE n.contact IN " CAIRN__GROUP("c.entity") " ORDER BY n.date, n.hlc, n.device)), "
		" 'referrals', (SELECT json_group_array(json(rj)) FROM (SELECT %s AS rj FROM referrals r "
		"   JOIN referral_state s ON s.referral = r.entity WHERE r.contact IN " CAIRN__GROUP("c.entity")
		" ORDER BY r.date, r.hlc))) "
		"FROM contacts c, me WHERE c.entity = me.id",
		note_json, referral_json);
	if ((rc = cairn__prepare(j, &st, sql)))
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		cairn__finalize(j, st);
		return cairn__error(CAIRN_ENOTFOUND, "no contact '%s'", id);
	}
	sqlite3_reset(st);
	return one_text(j, st, out, "{}");
}

int cairn_referral_list(cairn_journal *j, const char *contact, char **out)
{
	sqlite3_stmt *st;
	char sql[4000];
	int rc;
	if (contact && !cairn__uuid_valid(contact))
		return cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", contact);
	snprintf(sql, sizeof(sql),
	         "SELECT json_group_array(json(rj)) FROM (SELECT %s AS rj FROM referrals r "
	         "JOIN referral_state s ON s.referral = r.entity "
	         "WHERE %s ORDER BY r.date, r.hlc, r.entity)",
	         referral_json, contact ? CAIRN__PERSON("r.contact") : CAIRN__EVERYONE);
	if ((rc = cairn__prepare(j, &st, sql)))
		return rc;
	if (contact)
		sqlite3_bind_text(st, 1, contact, -1, SQLITE_STATIC);
	rc = one_text(j, st, out, "[]");
	/* everyone's referrals (reason, destination, status) are audited for every person shown; one person's
	 * by the caller that shows them, as goal list */
	return contact ? rc : cairn__audit_shown(j, rc, out, "id", "referral list");
}

/* Turn free text into an FTS5 query of quoted terms (all must match), so user input is never syntax. */
static char *fts_query(const char *text)
{
	size_t n = strlen(text);
	char *q = malloc(3 * n + 3), *p = q;
	int in_word = 0;
	if (!q)
		return NULL;
	for (const char *s = text; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int word = isalnum(c) || c >= 0x80;
		if (word && !in_word) {
			if (p != q)
				*p++ = ' ';
			*p++ = '"';
		} else if (!word && in_word) {
			*p++ = '"';
		}
		if (word)
			*p++ = (char)c;
		in_word = word;
	}
	if (in_word)
		*p++ = '"';
	*p = '\0';
	return q;
}

int cairn_search(cairn_journal *j, const char *query, char **out)
{
	sqlite3_stmt *st;
	char *q;
	int rc;
	if (!query || !*query)
		return cairn__error(CAIRN_EINVAL, "nothing to search for");
	if (!(q = fts_query(query)))
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	if (!*q) {
		free(q);
		return cairn__error(CAIRN_EINVAL, "search text '%s' has no words", query);
	}
	rc = cairn__prepare(
		j, &st,
		"SELECT json_group_array(json(o)) FROM ("
		" SELECT json_object('type', 'contact', 'id', c.entity, 'contact', c.entity, "
		"   'name', " NAME_OF("c.entity") ", 'snippet', snippet(contact_fts, 0, '[', ']', '…', 12)) AS o, "
		"   rank FROM contact_fts JOIN contacts c ON c.rowid = contact_fts.rowid "
		"   WHERE contact_fts MATCH ?1 AND " PERSON_ALIVE("c.entity") " "
		" UNION ALL "
		" SELECT json_object('type', 'note', 'id', n.entity, 'contact', n.contact, "
		"   'name', " NAME_OF("n.contact") ", 'date', n.date, "
		"   'snippet', snippet(note_fts, 0, '[', ']', '…', 12)) AS o, rank "
		"   FROM note_fts JOIN notes n ON n.rowid = note_fts.rowid WHERE note_fts MATCH ?1 "
		/* a note struck as entered in error (even about the wrong person), or about a deleted person, is
		 * not found: it stays in the person's record and the log, marked, not in the caseload search */
		"   AND " CAIRN__NOTE_LIVE("n.entity") " "
		"   AND " PERSON_ALIVE("n.contact") " "
		" ORDER BY rank LIMIT 200)");
	if (rc) {
		free(q);
		return rc;
	}
	sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
	free(q);
	/* Names and note snippets: an audit entry for every person a hit shows (42 CFR Part 2). */
	return cairn__audit_shown(j, one_text(j, st, out, "[]"), out, "id", "search");
}

/* The notes with amendments made without seeing each other (schema 0015), as (note, contact, heads): a
 * struck note's conflict is moot, and a note not arrived yet shows nothing. */
#define NOTE_CONFLICTS                                                                                   \
	"(SELECT n.entity AS note, n.contact AS contact, x.heads AS heads FROM note_amend_conflicts x "     \
	" CROSS JOIN notes n ON n.entity = x.note WHERE " CAIRN__NOTE_LIVE("n.entity") ")"
/* The people with an open merge/delete conflict (apply.c invariant 5), as a table of their survivors. */
#define LC_PEOPLE                                                                                          \
	"(SELECT k.canon AS canon, min(x.entity) AS member FROM contact_lc_conflicts x CROSS JOIN " \
	"contact_canon k ON k.entity = x.entity GROUP BY k.canon)"

int cairn_conflict_list(cairn_journal *j, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(
		j, &st,
		"SELECT json_group_array(json(o)) FROM (SELECT json_object('contact', f.entity, 'field', f.field, "
		" 'heads', f.heads) AS o, f.entity AS e, f.field AS fo FROM contact_fields f WHERE f.heads > 1 "
		" UNION ALL SELECT json_object('contact', p.canon, 'field', 'status', 'heads', "
		"  json_array_length(" CAIRN__LC_SIDES("p.canon") ")), p.canon, 'status' FROM " LC_PEOPLE " p "
		" UNION ALL SELECT json_object('contact', c.contact, 'field', 'note', 'note', c.note, "
		" 'heads', c.heads), c.contact, 'note ' || c.note FROM " NOTE_CONFLICTS " c "
		" UNION ALL SELECT json_object('contact', c.contact, 'field', 'goal', 'goal', c.goal, "
		" 'heads', c.heads), c.contact, 'goal ' || c.goal FROM " GOAL_CONFLICTS " c "
		" UNION ALL SELECT json_object('contact', p.person, 'field', 'plan', 'plan', p.type, "
		" 'heads', p.heads), p.person, 'plan ' || p.type FROM " CAIRN__PLAN_CONFLICTS " p "
		" UNION ALL SELECT json_object('contact', c.contact, 'field', 'referral', 'referral', c.referral, "
		" 'heads', c.heads), c.contact, 'referral ' || c.referral FROM " REFERRAL_CLASHES " c ORDER BY e, fo)");
	return rc ? rc : one_text(j, st, out, "[]");
}

int cairn_conflict_values(cairn_journal *j, char **out)
{
	/* In three literals, each within what C99 compilers must support; joined at run time. */
	static const char head[] =
		"SELECT json_group_array(json(o)) FROM (SELECT json_object('contact', f.entity, 'name', "
		NAME_OF("f.entity") ", 'field', f.field, 'values', "
		" (SELECT json_group_array(json_object('value', w.value, 'hlc', w.hlc, 'device', w.device)) "
		"  FROM (SELECT * FROM contact_writes w WHERE w.entity = f.entity AND w.field = f.field AND NOT EXISTS "
		"  (SELECT 1 FROM contact_superseded s WHERE s.entity = w.entity AND s.field = w.field "
		"   AND s.hlc = w.hlc AND s.device = w.device) ORDER BY hlc DESC, device DESC) w), 'record', f.entity) AS o, "
		" f.entity AS e, f.field AS fo FROM contact_fields f WHERE f.heads > 1 "
		"UNION ALL SELECT json_object('contact', p.canon, 'name', " NAME_OF("p.canon") ", 'field', 'status', "
		" 'kind', 'merge-delete', 'shown', iif((SELECT cl FROM contacts c WHERE c.entity = p.canon) % 2 = 0, "
		" 'deleted', 'alive'), 'values', json(" CAIRN__LC_SIDES("p.canon") "), 'record', p.member), p.canon, 'status' "
		"FROM " LC_PEOPLE " p "
		"UNION ALL SELECT json_object('contact', c.contact, 'name', " NAME_OF("c.contact") ", 'field', 'note', "
		" 'note', c.note, 'values', (SELECT json_group_array(json_object('value', h.text, 'hlc', h.hlc, "
		"  'device', h.device)) FROM (SELECT * FROM note_amend_heads h WHERE h.note = c.note "
		"  ORDER BY hlc DESC, device DESC) h), 'record', c.note), c.contact, 'note ' || c.note "
		"FROM " NOTE_CONFLICTS " c ";
	static const char goals[] =
		"UNION ALL SELECT json_object('contact', c.contact, 'name', " NAME_OF("c.contact") ", 'field', 'goal', "
		" 'goal', c.goal, 'text', (SELECT text FROM goals g WHERE g.entity = c.goal), 'values', "
		" (SELECT json_group_array(json_object('value', h.status, 'date', h.date, 'note', h.note, 'hlc', h.hlc, "
		"  'device', h.device)) FROM (SELECT * FROM goal_status_heads h WHERE h.goal = c.goal "
		"  ORDER BY hlc DESC, device DESC) h), 'record', c.goal), c.contact, 'goal ' || c.goal "
		"FROM " GOAL_CONFLICTS " c ";
	static const char plans[] =
		"UNION ALL SELECT json_object('contact', p.person, 'name', " NAME_OF("p.person") ", 'field', 'plan', "
		" 'plan', p.type, 'values', (SELECT json_group_array(json_object('value', NULL, "
		"  'version', h.entity, 'date', h.date, 'sections', json(h.body), 'hlc', h.hlc, 'device', h.device)) "
		"  FROM (SELECT * FROM " CAIRN__PLAN_HEADS("p.person", "p.type") " h ORDER BY h.hlc DESC, h.device DESC) h), "
		" 'record', (SELECT h.entity FROM " CAIRN__PLAN_HEADS("p.person", "p.type") " h LIMIT 1)), p.person, "
		" 'plan ' || p.type FROM " CAIRN__PLAN_CONFLICTS " p "
		"UNION ALL SELECT json_object('contact', c.contact, 'name', " NAME_OF("c.contact") ", 'field', 'referral', "
		" 'referral', c.referral, 'to', c.target, 'values', (SELECT json_group_array(json_object('value', "
		"  e.state || coalesce(' (' || e.outcome || ')', ''), 'state', e.state, 'outcome', e.outcome, "
		"  'reporter', e.reporter, 'note', e.note, 'hlc', e.hlc, 'device', e.device)) FROM (SELECT * FROM "
		"  referral_events e WHERE e.referral = c.referral AND e.gen = c.gen AND e.rank >= 6 "
		"  ORDER BY e.hlc DESC, e.device DESC) e), 'record', c.referral), c.contact, 'referral ' || c.referral "
		"FROM " REFERRAL_CLASHES " c ORDER BY e, fo)";
	char sql[sizeof(head) + sizeof(goals) + sizeof(plans)];
	sqlite3_stmt *st;
	int rc;
	snprintf(sql, sizeof(sql), "%s%s%s", head, goals, plans);
	rc = cairn__prepare(j, &st, sql);
	/* The conflicting values are record content: audited for every person shown, found through the record
	 * the values belong to (a note's person is found even before their record has arrived). */
	if (rc || (rc = one_text(j, st, out, "[]")))
		return rc;
	/* a plan's values: what each head holds where another differs (plan_values.c) */
	if (strstr(*out, "\"field\":\"plan\"") && (rc = cairn__plan_values(out))) {
		cairn__wipe(*out, strlen(*out));
		free(*out);
		*out = NULL;
		return rc;
	}
	return cairn__audit_shown(j, 0, out, "record", "conflicts");
}

/* cairn_log's filter (?1 device, ?2 entity). One statement per filter combination: "?1 IS NULL OR
 * device = ?1" cannot use an index, and the history of one person (--entity) scanned every event. */
static const char *log_filter(const cairn_log_options *opts)
{
	return opts->device && opts->entity ? "device = ?1 AND entity = ?2"
	       : opts->device               ? "device = ?1 AND ?2 IS NULL"
	       : opts->entity               ? "?1 IS NULL AND entity = ?2"
	                                    : "?1 IS NULL AND ?2 IS NULL";
}

/* Prepare `sql` (cairn_log's query or the people its events are about) and bind the filter and limit. */
static int log_prepare(cairn_journal *j, const cairn_log_options *opts, const char *sql, sqlite3_stmt **st)
{
	int rc = cairn__prepare(j, st, sql);
	if (rc)
		return rc;
	if (opts->device)
		sqlite3_bind_text(*st, 1, opts->device, -1, SQLITE_STATIC);
	if (opts->entity)
		sqlite3_bind_text(*st, 2, opts->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(*st, 3, opts->limit ? (int64_t)opts->limit : -1);
	return 0;
}

/* cairn_log: a body shown (its event is about nobody, or about a person the journal knows). */
#define SHOWN "kind IN " CAIRN__PERSONLESS_KINDS " OR entity IN held"

int cairn_log(cairn_journal *j, const cairn_log_options *opts, char **out)
{
	cairn_log_options dflt = CAIRN_LOG_OPTIONS_INIT;
	sqlite3_stmt *st;
	char sql[6000];
	int rc, bodies, audit;
	*out = NULL;
	if (!opts)
		opts = &dflt;
	bodies = opts->version >= 2 && opts->bodies;
	/* A body is record content, and one record's history is its person's: both are audited (42 CFR
	 * Part 2) in the transaction that reads them, and nothing is returned unless the entries are written. */
	audit = bodies || opts->entity;
	if (audit && ((rc = cairn__audit_unbatched(j, bodies ? "log --bodies" : "log")) || (rc = cairn__txn_begin(j))))
		return rc;
	/* A body whose person cannot be found (its record is not held yet: an amendment, status or sign-off
	 * that arrived before its note, referral or goal) cannot be audited: it is withheld, not shown. */
	snprintf(sql, sizeof(sql),
	         "WITH ev AS MATERIALIZED (SELECT device, seq, hlc, kind, entity, body FROM events WHERE %s "
	         " ORDER BY hlc DESC, device DESC LIMIT ?3)%s "
	         "SELECT json_group_array(json(o)) FROM (SELECT %sjson_object('device', device, 'seq', seq, "
	         " 'hlc', hlc, 'time', strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', (hlc >> 16) / 1000.0, 'unixepoch'), "
	         " 'kind', kind, 'entity', entity)%s AS o FROM ev ORDER BY hlc DESC, device DESC)",
	         log_filter(opts),
	         bodies ? ", held AS (SELECT p.e FROM (" CAIRN__EV_PEOPLE ") p WHERE p.c IS NOT NULL)" : "",
	         bodies ? "json_set(" : "",
	         bodies ? ", iif(" SHOWN ", '$.body', '$.withheld'), iif(" SHOWN ", json(body), "
	                  "'the record it belongs to is not held, so whose it is is unknown'))"
	                : "");
	if (!(rc = log_prepare(j, opts, sql, &st)))
		rc = one_text(j, st, out, "[]");
	if (!audit)
		return rc;
	snprintf(sql, sizeof(sql),
	         "WITH ev AS MATERIALIZED (SELECT entity, body FROM events WHERE %s "
	         " ORDER BY hlc DESC, device DESC LIMIT ?3) " CAIRN__PEOPLE_OF_EV,
	         log_filter(opts));
	if (!rc && !(rc = log_prepare(j, opts, sql, &st)))
		rc = cairn__audit_people_locked(j, st, bodies ? "log --bodies" : "log", opts->entity);
	return cairn__view_fail(cairn__txn_end(j, rc), out);
}

int cairn_journal_stats(cairn_journal *j, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(
		j, &st,
		"SELECT json_object('device', ?1, 'events', (SELECT count(*) FROM events), "
		" 'own_events', (SELECT count(*) FROM events WHERE device = ?1), "
		" 'devices', (SELECT count(DISTINCT device) FROM events), "
		" 'contacts', (SELECT count(*) FROM contacts c WHERE cl % 2 = 1 AND NOT " MERGED_AWAY("c.entity") "), "
		" 'notes', (SELECT count(*) FROM notes), 'referrals', (SELECT count(*) FROM referrals), "
		" 'conflicts', (SELECT count(*) FROM contact_fields WHERE heads > 1) + (SELECT count(*) FROM " LC_PEOPLE ") "
		"   + (SELECT count(*) FROM " NOTE_CONFLICTS ") + (SELECT count(*) FROM " GOAL_CONFLICTS ") "
		"   + (SELECT count(*) FROM " CAIRN__PLAN_CONFLICTS ") + (SELECT count(*) FROM " REFERRAL_CLASHES "), "
		" 'quarantined', (SELECT count(*) FROM quarantine), "
		" 'schema', (SELECT max(version) FROM migrations))");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, j->device, -1, SQLITE_STATIC);
	return one_text(j, st, out, "{}");
}
