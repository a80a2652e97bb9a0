/*
 * plan.c — relapse-prevention plans and safety plans (Stanley-Brown), versioned.
 *
 * Merge rules:
 *  1. A version is an event (plan.version) holding every section; it is never changed or removed.
 *  2. A plan is identified by (person, type). A version names the versions its author had seen (the
 *     heads of the plan on that device); the heads of a plan are the versions no other version of the
 *     same plan has seen (a version naming another person's cannot hide that person's plan). One
 *     head: that is the plan. Two or more: versions were written concurrently (two devices offline);
 *     all are kept, the newest (hlc, device) is shown and the plan is flagged for review until a
 *     version that has seen all of them is written. Heads are computed from the set of versions and
 *     seen-edges at query time, so no derived row depends on the order events arrived in.
 *  3. plan_heads and plan_counts (schemas 0017, 0019) keep the heads and each plan's number of them, so that
 *     listing conflicts costs what is open. A version that arrives is a head unless a version of its
 *     plan has seen it, and the versions it names stop being heads of its plan; the count moves by the
 *     difference (arrived). A merge, or a reused id moving a version, recomputes the plans concerned
 *     from all their versions (rebuild). Each leaves what the versions and merges define, so the rows
 *     are the same whatever the order. Only relapse and safety plans have heads.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const types[] = {"relapse", "safety"};
static const char *const relapse_sections[] = {"triggers", "warning_signs", "coping", "people", "places"};
static const char *const safety_sections[] = {"warning_signs", "coping",      "distractions", "helpers",
                                              "professionals", "environment", "reasons"};
#define LIFELINE "988 Suicide & Crisis Lifeline: call or text 988"

/* The plan (contact, type) a stored version belongs to (both NULL when it is not stored). Caller frees. */
static int stored_plan(cairn_journal *j, const char *version, char **contact, char **type)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT contact, type FROM plan_versions WHERE entity = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, version, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*contact = strdup((const char *)sqlite3_column_text(st, 0));
		*type = strdup((const char *)sqlite3_column_text(st, 1));
		rc = *contact && *type ? SQLITE_DONE : SQLITE_NOMEM;
	}
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading a plan version");
}

/* Run each of `sql` with ?1 `contact`, ?2 `type` (NULL: left unbound, every type) and ?3 `version`; the
 * rows the last one changed in *changed (may be NULL). */
static int run(cairn_journal *j, const char *const *sql, size_t n, const char *contact, const char *type,
               const char *version, int *changed)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st;
		int rc = cairn__prepare(j, &st, sql[i]);
		if (rc)
			return rc;
		sqlite3_bind_text(st, 1, contact, -1, SQLITE_STATIC);
		if (type)
			sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
		if (version)
			sqlite3_bind_text(st, 3, version, -1, SQLITE_STATIC);
		if ((rc = cairn__step_done(j, st, "recomputing a plan's heads")))
			return rc;
		if (changed)
			*changed = sqlite3_changes(j->db);
	}
	return 0;
}

/* Only the two plans cairn shows and decides have heads: a version of another type (only a modified
 * client writes one) is kept in the history and raises nothing nobody could decide. */
#define PLAN_TYPE(t) t " IN ('relapse', 'safety')"

/* The plans of `contact`'s person of `type` (NULL: every type), recomputed from all their versions: after
 * a merge joined two people, or a reused id moved a version from one plan to another. */
static int rebuild(cairn_journal *j, const char *contact, const char *type)
{
	static const char *const sql[] = {
		"DELETE FROM plan_heads WHERE (?2 IS NULL OR type = ?2) AND contact IN " CAIRN__GROUP("?1"),
		"INSERT OR REPLACE INTO plan_heads (version, contact, type) SELECT v.entity, v.contact, v.type "
		"FROM plan_versions v WHERE v.contact IN " CAIRN__GROUP("?1") " AND (?2 IS NULL OR v.type = ?2) "
		" AND " PLAN_TYPE("v.type") " AND NOT EXISTS (SELECT 1 FROM plan_seen s JOIN plan_versions w "
		"  ON w.entity = s.version WHERE s.seen = v.entity AND w.type = v.type AND w.contact IN "
		CAIRN__GROUP("?1") ")",
		"DELETE FROM plan_counts WHERE (?2 IS NULL OR type = ?2) AND person IN " CAIRN__GROUP("?1"),
		"INSERT INTO plan_counts (person, type, heads) SELECT " CAIRN__CANON("?1") ", type, count(*) "
		"FROM plan_heads WHERE contact IN " CAIRN__GROUP("?1") " AND (?2 IS NULL OR type = ?2) GROUP BY type",
	};
	return run(j, sql, CAIRN__COUNT(sql), contact, type, NULL, NULL);
}

/* Version `version` of the plan (`contact`'s person, `type`) arrived with its seen rows: it is a head
 * unless a version of its plan has seen it, and what it names stops being a head of its plan; the plan's
 * count of heads moves by the difference. A lookup per name, whatever the plan's history or its number
 * of heads; whatever the order, this leaves the heads the versions define (a name arriving before its
 * version is found by that version's own lookup). */
static int arrived(cairn_journal *j, const char *contact, const char *type, const char *version)
{
	static const char *const add[] = {
		"INSERT OR IGNORE INTO plan_heads (version, contact, type) SELECT ?3, ?1, ?2 WHERE NOT EXISTS "
		" (SELECT 1 FROM plan_seen s JOIN plan_versions w ON w.entity = s.version WHERE s.seen = ?3 "
		"  AND w.type = ?2 AND w.contact IN " CAIRN__GROUP("?1") ")",
	};
	static const char *const drop[] = {
		"DELETE FROM plan_heads WHERE version IN (SELECT seen FROM plan_seen WHERE version = ?3) AND type = ?2 "
		" AND contact IN " CAIRN__GROUP("?1"),
	};
	static const char *const count[] = {
		"INSERT INTO plan_counts (person, type, heads) VALUES (" CAIRN__CANON("?1") ", ?2, CAST(?3 AS INTEGER)) "
		"ON CONFLICT (person, type) DO UPDATE SET heads = heads + excluded.heads",
	};
	char delta[24];
	int added = 0, dropped = 0, rc;
	if (!cairn__in_list(type, types, CAIRN__COUNT(types)))
		return 0;
	if ((rc = run(j, add, 1, contact, type, version, &added)) || (rc = run(j, drop, 1, contact, type, version, &dropped)) ||
	    added == dropped)
		return rc;
	snprintf(delta, sizeof(delta), "%d", added - dropped);
	return run(j, count, 1, contact, type, delta, NULL);
}

int cairn__plan_regroup(cairn_journal *j, const char *contact) { return rebuild(j, contact, NULL); }

static int apply_version(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *sections = json_object_get(body, "sections"), *seen = json_object_get(body, "seen"), *v;
	sqlite3_stmt *st;
	char *text, *was_contact = NULL, *was_type = NULL, *now_contact = NULL, *now_type = NULL;
	size_t i;
	int rc;
	if (!json_is_string(json_object_get(body, "contact")) || !json_is_string(json_object_get(body, "type")) ||
	    !json_is_string(json_object_get(body, "date")) || !json_is_object(sections) ||
	    (seen && !json_is_array(seen)))
		return cairn__apply_bad(ev, "contact, type, date and sections are required");
	if ((rc = stored_plan(j, ev->entity, &was_contact, &was_type)))
		return rc;
	rc = cairn__prepare(j, &st,
	                    "INSERT INTO plan_versions (entity, contact, type, body, date, hlc, device) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	                    CAIRN__FIRST_WRITER_WINS("plan_versions",
	                        "contact = excluded.contact, "
	                        "type = excluded.type, "
	                        "body = excluded.body, "
	                        "date = excluded.date"));
	if (rc)
		return rc;
	text = json_dumps(sections, JSON_COMPACT | JSON_SORT_KEYS);
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	cairn__bind_json_str(st, 2, json_object_get(body, "contact"));
	cairn__bind_json_str(st, 3, json_object_get(body, "type"));
	sqlite3_bind_text(st, 4, text ? text : "{}", -1, SQLITE_TRANSIENT);
	cairn__bind_json_str(st, 5, json_object_get(body, "date"));
	sqlite3_bind_int64(st, 6, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 7, ev->device, -1, SQLITE_STATIC);
	free(text);
	if ((rc = cairn__step_done(j, st, "recording a plan version")))
		goto out;
	json_array_foreach(seen, i, v)
	{
		if (!json_is_string(v)) {
			rc = cairn__apply_bad(ev, "a seen version is not an id");
			goto out;
		}
		if (!strcmp(json_string_value(v), ev->entity))
			continue; /* a version cannot replace itself (only a modified client names it) */
		if ((rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO plan_seen (version, seen) VALUES (?1, ?2)")))
			goto out;
		sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
		cairn__bind_json_str(st, 2, v);
		if ((rc = cairn__step_done(j, st, "recording a plan version")))
			goto out;
	}
	/* A copy with a smaller (hlc, device) moves a stored version to its plan (first writer wins: only a
	 * reused or forged id has two copies): both plans are recomputed whole. */
	if (!(rc = stored_plan(j, ev->entity, &now_contact, &now_type)) && was_contact &&
	    (strcmp(was_contact, now_contact) || strcmp(was_type, now_type))) {
		if (!(rc = rebuild(j, was_contact, was_type)))
			rc = rebuild(j, now_contact, now_type);
	} else if (!rc) {
		rc = arrived(j, now_contact, now_type, ev->entity);
	}
out:
	free(now_contact);
	free(now_type);
	free(was_contact);
	free(was_type);
	return rc;
}

#define VERSIONS "vs AS (SELECT * FROM plan_versions v WHERE v.type = ?2 AND v.contact IN " CAIRN__GROUP("?1") ")"
/* A version is replaced only by a version of the same plan (the same person, merged or not, and type): a
 * version naming another person's (only a modified client writes one) must not hide that person's plan. */
#define HEADS                                                                                                         \
	"heads AS (SELECT * FROM vs WHERE NOT EXISTS (SELECT 1 FROM plan_seen s JOIN vs w ON w.entity = s.version "   \
	"WHERE s.seen = vs.entity))"

/* The heads of the plan (a JSON array of ids) and the sections of the newest head (NULL when none). */
static int current(cairn_journal *j, const char *contact, const char *type, json_t **heads, json_t **sections)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "WITH " VERSIONS ", " HEADS " SELECT entity, body FROM heads "
	                                "ORDER BY hlc DESC, device DESC");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, contact, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
	*heads = json_array();
	*sections = NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_array_append_new(*heads, json_string((const char *)sqlite3_column_text(st, 0)));
		if (!*sections)
			*sections = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
	}
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading a plan");
}

static int check_sections(json_t *given, const char *type)
{
	const char *const *names = strcmp(type, "safety") ? relapse_sections : safety_sections;
	size_t n = strcmp(type, "safety") ? CAIRN__COUNT(relapse_sections) : CAIRN__COUNT(safety_sections);
	const char *k;
	json_t *v;
	int rc;
	json_object_foreach(given, k, v)
	{
		(void)v;
		if (!cairn__in_list(k, names, n))
			return cairn__error(CAIRN_EINVAL, "'%s' is not a section of a %s plan", k, type);
		if ((rc = cairn__str_array(given, k, 0, 50, 500)))
			return rc;
	}
	return 0;
}

/* A safety plan always lists the 988 Lifeline among the professionals and agencies to contact. */
static void ensure_lifeline(json_t *sections)
{
	json_t *p = json_object_get(sections, "professionals"), *v;
	size_t i;
	if (!json_is_array(p)) {
		json_object_set_new(sections, "professionals", json_array());
		p = json_object_get(sections, "professionals");
	}
	json_array_foreach(p, i, v)
	{
		/* a version from another device may hold anything there: apply checks that sections is an object */
		if (json_is_string(v) && strstr(json_string_value(v), "988"))
			return;
	}
	json_array_append_new(p, json_string(LIFELINE));
}

static int set_locked(cairn_journal *j, const char *contact, const char *type, json_t *given, cairn_event_info *info)
{
	json_t *heads = NULL, *sections = NULL, *body;
	const char *k;
	json_t *v;
	char today[11];
	int rc;
	if ((rc = cairn__need(j, "contacts", "contact", contact)) || (rc = current(j, contact, type, &heads, &sections)))
		return rc;
	/* With no section given, a version only decides a conflict: the newest version again, having seen them
	 * all. Otherwise it would repeat the plan. */
	if (!json_object_size(given) && json_array_size(heads) < 2) {
		json_decref(heads);
		json_decref(sections);
		return cairn__error(CAIRN_EINVAL, "nothing to write: give at least one section (a version with none only "
		                                  "decides a conflict, and this plan has none)");
	}
	if (!json_is_object(sections)) {
		json_decref(sections);
		sections = json_object();
	}
	json_object_foreach(given, k, v) json_object_set(sections, k, v);
	if (!strcmp(type, "safety"))
		ensure_lifeline(sections);
	cairn__today(today);
	body = json_pack("{s:s,s:s,s:s,s:o,s:o}", "contact", contact, "type", type, "date", today, "sections", sections,
	                 "seen", heads);
	rc = body ? cairn__append_json(j, "plan.version", NULL, body, info)
	          : cairn__error(CAIRN_EINVAL, "plan text is not valid UTF-8");
	json_decref(body);
	return rc;
}

int cairn_plan_set(cairn_journal *j, const char *contact, const char *type, const char *sections_json,
                   char id_out[CAIRN_ID_LEN])
{
	cairn_event_info info;
	json_t *given;
	int rc;
	if (!type || !cairn__in_list(type, types, CAIRN__COUNT(types)))
		return cairn__error(CAIRN_EINVAL, "unknown plan type '%s' (relapse or safety)", type ? type : "");
	if (!(given = cairn__parse_object(sections_json, "plan sections")))
		return CAIRN_EINVAL;
	if (!(rc = check_sections(given, type)) && !(rc = cairn__txn_begin(j))) {
		rc = cairn__txn_end(j, set_locked(j, contact, type, given, &info));
		if (!rc && id_out)
			memcpy(id_out, info.entity, CAIRN_ID_LEN);
	}
	json_decref(given);
	return rc;
}

static int check_args(const char *contact, const char *type)
{
	if (!cairn__uuid_valid(contact))
		return cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", contact ? contact : "");
	if (!type || !cairn__in_list(type, types, CAIRN__COUNT(types)))
		return cairn__error(CAIRN_EINVAL, "unknown plan type '%s' (relapse or safety)", type ? type : "");
	return 0;
}

int cairn_plan_show(cairn_journal *j, const char *contact, const char *type, const char *version, char **out)
{
	sqlite3_stmt *st;
	int rc;
	if ((rc = check_args(contact, type)))
		return rc;
	rc = cairn__prepare(
		j, &st,
		"WITH " VERSIONS ", " HEADS ", cur AS (SELECT * FROM vs WHERE entity = coalesce(?3, "
		" (SELECT entity FROM heads ORDER BY hlc DESC, device DESC LIMIT 1))) "
		"SELECT json_object('contact', ?1, 'type', ?2, 'version', cur.entity, 'date', cur.date, "
		" 'device', cur.device, 'hlc', cur.hlc, 'sections', json(cur.body), "
		" 'versions', (SELECT count(*) FROM vs), "
		" 'heads', (SELECT json_group_array(entity) FROM (SELECT entity FROM heads ORDER BY hlc, device)), "
		" 'conflict', json(iif((SELECT count(*) FROM heads) > 1, 'true', 'false'))) FROM cur");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, contact, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
	if (version)
		sqlite3_bind_text(st, 3, version, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		cairn__finalize(j, st);
		return version ? cairn__error(CAIRN_ENOTFOUND, "no version '%s' of this person's %s plan", version, type)
		               : cairn__error(CAIRN_ENOTFOUND, "contact '%s' has no %s plan yet", contact, type);
	}
	sqlite3_reset(st);
	return cairn__query_text(j, st, out, "{}");
}

int cairn_plan_history(cairn_journal *j, const char *contact, const char *type, char **out)
{
	sqlite3_stmt *st;
	int rc;
	if ((rc = check_args(contact, type)))
		return rc;
	rc = cairn__prepare(
		j, &st,
		"WITH " VERSIONS ", " HEADS " SELECT json_group_array(json(o)) FROM (SELECT json_object('version', "
		" vs.entity, 'date', vs.date, 'device', vs.device, 'hlc', vs.hlc, "
		" 'head', json(iif(vs.entity IN (SELECT entity FROM heads), 'true', 'false')), "
		" 'seen', (SELECT json_group_array(seen) FROM plan_seen s WHERE s.version = vs.entity), "
		" 'sections', json(vs.body)) AS o FROM vs ORDER BY vs.hlc, vs.device)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, contact, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
	return cairn__query_text(j, st, out, "[]");
}

/* Every plan's heads (plan_heads, rule 3), with the person they belong to (the survivor). */
#define PLAN_HEADS                                                                                       \
	"ph AS (SELECT " CAIRN__CANON("h.contact") " AS person, h.type, h.version AS entity, v.hlc, v.device " \
	" FROM plan_heads h CROSS JOIN plan_versions v ON v.entity = h.version)"

int cairn_plan_conflicts(cairn_journal *j, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(
		j, &st,
		"SELECT json_group_array(json(o)) FROM (SELECT json_object('contact', p.person, 'type', p.type, "
		" 'heads', (SELECT json_group_array(entity) FROM (SELECT h.entity FROM " CAIRN__PLAN_HEADS("p.person", "p.type")
		" h ORDER BY h.hlc, h.device))) AS o FROM " CAIRN__PLAN_CONFLICTS " p ORDER BY p.person, p.type)");
	return rc ? rc : cairn__query_text(j, st, out, "[]");
}

static int plan_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"type", "people with a plan", "versions in period", "needing review"};
	return cairn__report_query(j, r,
		"WITH " PLAN_HEADS ", t(type) AS (VALUES ('relapse'), ('safety')) "
		"SELECT t.type, (SELECT count(DISTINCT person) FROM ph WHERE ph.type = t.type AND " CAIRN__IN_SCOPE("ph.device") "), "
		" (SELECT count(*) FROM plan_versions v WHERE v.type = t.type AND v.date BETWEEN ?1 AND ?2 AND "
		CAIRN__IN_SCOPE("v.device") "), "
		" (SELECT count(*) FROM (SELECT 1 FROM ph WHERE ph.type = t.type AND " CAIRN__IN_SCOPE("ph.device")
		" GROUP BY person HAVING count(*) > 1)) "
		"FROM t ORDER BY t.type",
		sections, "plans.type", "Relapse-prevention and safety plans", cols, 4);
}

static const cairn__kind plan_kinds[] = {{"plan.version", apply_version}};
static const char *const plan_tables[] = {"plan_versions", "plan_seen", "plan_heads", "plan_counts"};
static const char *const plan_digest[] = {
	"SELECT 'plan_versions', entity, contact, type, body, date, hlc, device FROM plan_versions ORDER BY entity",
	"SELECT 'plan_seen', version, seen FROM plan_seen ORDER BY version, seen",
	"SELECT 'plan_conflicts', person, type, heads FROM plan_counts WHERE heads > 1 ORDER BY person, type",
};

const cairn__module cairn__module_plan = {
	"plan",      plan_kinds,  CAIRN__COUNT(plan_kinds),  plan_tables, CAIRN__COUNT(plan_tables),
	plan_digest, CAIRN__COUNT(plan_digest), plan_report, NULL,
};
