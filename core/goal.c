/*
 * goal.c — recovery goals: a domain, the goal in the person's words, steps, a target date, and a status
 * history.
 *
 * Invariants:
 *  1. goal.add creates a goal (immutable; keyed by its id) with its first status. goal.status events are
 *     all kept.
 *  2. A goal.status names the statuses it replaced ("seen": the goal's heads on its author's device), as
 *     a note amendment does (seen.c, schema 0016). The heads are the statuses nobody replaced; the status
 *     shown (goal list, contact show, due) is the newest head. Two heads are a conflict, listed by
 *     `cairn conflicts` and marked in `goal list`, until a status written after seeing both decides it.
 *     The goal.add's status is replaced by any other status of the goal (its writer held the goal). A
 *     goal.status without "seen" (written before 0016) replaced every older status, as the status shown
 *     then assumed. The report's "status at the end of the period" is the newest status dated in it.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "domain.h"

#include <stdlib.h>
#include <string.h>

static const char *const domains[] = {"recovery", "housing", "employment", "education", "health",
                                      "family",   "legal",   "finances",   "community"};
static const char *const statuses[] = {"active", "achieved", "paused", "revised", "dropped"};

/* The status shown for goal `g`: the newest head (invariant 2), so a status that a later one replaced is
 * never shown, even when its clock ran ahead; the newest status if a forged history leaves no head. */
#define GOAL_SHOWN(g)                                                                                    \
	"coalesce((SELECT status FROM goal_status_heads h WHERE h.goal = " g " ORDER BY hlc DESC, "       \
	"device DESC LIMIT 1), (SELECT status FROM goal_status s WHERE s.goal = " g " ORDER BY hlc DESC, " \
	"device DESC LIMIT 1))"

static int insert_status(cairn_journal *j, const cairn_event *ev, json_t *status, json_t *date, json_t *note)
{
	sqlite3_stmt *st;
	int rc;
	if (!json_is_string(status) || !json_is_string(date))
		return cairn__apply_bad(ev, "status and date are required strings");
	rc = cairn__prepare(j, &st,
	                    "INSERT OR IGNORE INTO goal_status (goal, hlc, device, status, date, note) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	cairn__bind_json_str(st, 4, status);
	cairn__bind_json_str(st, 5, date);
	cairn__bind_json_str(st, 6, note);
	return cairn__step_done(j, st, "recording a goal status");
}

static int apply_add(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *steps = json_object_get(body, "steps"), *date = json_object_get(body, "date");
	sqlite3_stmt *st;
	char *stext;
	int rc;
	if (!json_is_string(json_object_get(body, "contact")) || !json_is_string(json_object_get(body, "domain")) ||
	    !json_is_string(json_object_get(body, "text")) || !json_is_string(date) || !json_is_array(steps))
		return cairn__apply_bad(ev, "contact, domain, text, date and steps are required");
	rc = cairn__prepare(j, &st,
	                    "INSERT INTO goals (entity, contact, domain, text, steps, target, date, hlc, "
	                    "device) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	                    CAIRN__FIRST_WRITER_WINS("goals",
	                        "contact = excluded.contact, "
	                        "domain = excluded.domain, "
	                        "text = excluded.text, "
	                        "steps = excluded.steps, "
	                        "target = excluded.target, "
	                        "date = excluded.date"));
	if (rc)
		return rc;
	stext = json_dumps(steps, JSON_COMPACT);
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	cairn__bind_json_str(st, 2, json_object_get(body, "contact"));
	cairn__bind_json_str(st, 3, json_object_get(body, "domain"));
	cairn__bind_json_str(st, 4, json_object_get(body, "text"));
	sqlite3_bind_text(st, 5, stext ? stext : "[]", -1, SQLITE_TRANSIENT);
	cairn__bind_json_str(st, 6, json_object_get(body, "target"));
	cairn__bind_json_str(st, 7, date);
	sqlite3_bind_int64(st, 8, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 9, ev->device, -1, SQLITE_STATIC);
	free(stext);
	if ((rc = cairn__step_done(j, st, "recording a goal")) ||
	    (rc = insert_status(j, ev, json_object_get(body, "status"), date, NULL)))
		return rc;
	return cairn__seen_apply(j, &cairn__seen_goals, ev, 1, NULL);
}

static int apply_status(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *seen = json_object_get(body, "seen");
	int rc = insert_status(j, ev, json_object_get(body, "status"), json_object_get(body, "date"),
	                       json_object_get(body, "note"));
	return rc ? rc : cairn__seen_apply(j, &cairn__seen_goals, ev, json_is_array(seen), seen);
}

int cairn_goal_add(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN])
{
	json_t *o = cairn__parse_object(fields_json, "goal fields");
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	if (!json_object_get(o, "status"))
		json_object_set_new(o, "status", json_string("active"));
	if ((rc = cairn__req_str(o, "domain", domains, CAIRN__COUNT(domains), 32)) ||
	    (rc = cairn__req_str(o, "text", NULL, 0, CAIRN__MAX_FIELD)) ||
	    (rc = cairn__str_array(o, "steps", 0, 50, 500)) ||
	    (rc = cairn__req_str(o, "status", statuses, CAIRN__COUNT(statuses), 32)) ||
	    (rc = cairn__date_member(o, "date")))
		goto out;
	if (json_object_get(o, "target") && !json_is_null(json_object_get(o, "target")) &&
	    (rc = cairn__date_member(o, "target")))
		goto out;
	rc = cairn__add_for_contact(j, "goal.add", contact, o, NULL, id_out);
out:
	json_decref(o);
	return rc;
}

int cairn_goal_status(cairn_journal *j, const char *goal, const char *fields_json)
{
	json_t *o = cairn__parse_object(fields_json, "goal status"), *seen;
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	if ((rc = cairn__req_str(o, "status", statuses, CAIRN__COUNT(statuses), 32)) ||
	    (rc = cairn__opt_str(o, "note", NULL, 0, CAIRN__MAX_FIELD)) || (rc = cairn__date_member(o, "date")) ||
	    (rc = cairn__txn_begin(j)))
		goto out;
	/* the statuses it replaces (invariant 2) */
	if (!(rc = cairn__need(j, "goals", "goal", goal)) &&
	    !(rc = cairn__seen_heads(j, &cairn__seen_goals, goal, &seen))) {
		json_object_set_new(o, "seen", seen);
		rc = cairn__append_json(j, "goal.status", goal, o, NULL);
	}
	rc = cairn__txn_end(j, rc);
out:
	json_decref(o);
	return rc;
}

int cairn_goal_list(cairn_journal *j, const char *contact, char **out)
{
	sqlite3_stmt *st;
	int rc;
	if (contact && !cairn__uuid_valid(contact))
		return cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", contact);
#define GOAL_LIST(where)                                                                                              \
	"SELECT json_group_array(json(o)) FROM (SELECT json_object('id', g.entity, 'contact', g.contact, "            \
	" 'domain', g.domain, 'text', g.text, 'steps', json(g.steps), 'target', g.target, 'date', g.date, "           \
	" 'device', g.device, 'hlc', g.hlc, "                                                                         \
	" 'status', " GOAL_SHOWN("g.entity") ", "                                                                    \
	" 'history', (SELECT json_group_array(json_object('status', status, 'date', date, 'note', note, "             \
	"   'hlc', hlc, 'device', device)) FROM (SELECT * FROM goal_status s WHERE s.goal = g.entity "                \
	"   ORDER BY hlc, device)), "                                                                                 \
	" 'conflict', json(iif(EXISTS (SELECT 1 FROM goal_status_conflicts x WHERE x.goal = g.entity), 'true', "      \
	"   'false')), "                                                                                              \
	" 'heads', (SELECT json_group_array(json_object('status', status, 'date', date, 'note', note, "               \
	"   'hlc', hlc, 'device', device)) FROM (SELECT * FROM goal_status_heads h WHERE h.goal = g.entity "          \
	"   ORDER BY hlc DESC, device DESC))) AS o "                                                                  \
	"FROM goals g WHERE " where " ORDER BY g.date, g.hlc, g.entity)"
	rc = cairn__prepare(j, &st, contact ? GOAL_LIST(CAIRN__PERSON("g.contact")) : GOAL_LIST(CAIRN__EVERYONE));
	if (rc)
		return rc;
	if (contact)
		sqlite3_bind_text(st, 1, contact, -1, SQLITE_TRANSIENT);
	rc = cairn__query_text(j, st, out, "[]");
	/* Everyone's goals (their text) are audited here for every person shown; one person's are audited by
	 * the caller that shows them (`goal list --contact`, `contact show`, a disclosure), as the other
	 * per-person lists are. */
	return contact ? rc : cairn__audit_shown(j, rc, out, "id", "goal list");
}

/* Goals set in the period, by domain, with their status at the end of it. */
static int goal_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"domain", "goals set", "active", "achieved", "other"};
	return cairn__report_query(j, r,
		"WITH cur AS (SELECT g.entity, g.domain, (SELECT status FROM goal_status s WHERE s.goal = g.entity "
		"  AND s.date <= ?2 ORDER BY hlc DESC, device DESC LIMIT 1) AS status FROM goals g "
		"  WHERE g.date BETWEEN ?1 AND ?2 AND " CAIRN__IN_SCOPE("g.device") ") "
		"SELECT domain, count(*), sum(status = 'active'), sum(status = 'achieved'), "
		" sum(status NOT IN ('active', 'achieved')) FROM cur GROUP BY domain ORDER BY domain",
		sections, "goals.domain", "Recovery goals by domain", cols, 5);
}

/* An active goal whose target date is near or past. */
static int goal_due(cairn_journal *j, const char *today, int horizon, json_t *items)
{
	return cairn__due_query(j,
		"SELECT g.contact, 'goal target date', g.target, g.entity FROM goals g "
		"WHERE g.target IS NOT NULL AND g.target <= date(?1, ?2 || ' days') "
		"AND " GOAL_SHOWN("g.entity") " = 'active'",
		today, horizon, items);
}

static const cairn__kind goal_kinds[] = {{"goal.add", apply_add}, {"goal.status", apply_status}};
static const char *const goal_tables[] = {"goals",           "goal_status",           "goal_status_listed",
                                          "goal_status_seen", "goal_status_conflicts", "goal_status_unlisted_max"};
static const char *const goal_digest[] = {
	"SELECT 'goals', entity, contact, domain, text, steps, target, date, hlc, device FROM goals ORDER BY entity",
	"SELECT 'goal_status', goal, hlc, device, status, date, note FROM goal_status ORDER BY goal, hlc, device",
	"SELECT 'goal_status_listed', goal, hlc, device FROM goal_status_listed ORDER BY goal, hlc, device",
	"SELECT 'goal_status_seen', goal, hlc, device FROM goal_status_seen ORDER BY goal, hlc, device",
	"SELECT 'goal_status_conflicts', goal, heads FROM goal_status_conflicts ORDER BY goal",
	"SELECT 'goal_status_unlisted_max', goal, hlc, device FROM goal_status_unlisted_max ORDER BY goal",
};

const cairn__module cairn__module_goal = {
	"goal",      goal_kinds,  CAIRN__COUNT(goal_kinds),  goal_tables, CAIRN__COUNT(goal_tables),
	goal_digest, CAIRN__COUNT(goal_digest), goal_report, goal_due,
};
