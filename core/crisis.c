/*
 * crisis.c — mobile crisis events: one record per call, written by every member of the team on their own
 * device, offline, in any order (schema/0005_crisis.sql).
 *
 * Invariants (on top of apply.c's: idempotent, order-independent, tolerant of early events):
 *  1. A crisis field (source, the four stamps, disposition, police role, contact, follow-up ...) is a
 *     register over crisis_writes, as contact fields are: every write names the versions its author had
 *     seen, and the heads are the writes nobody has seen. No write is ever dropped.
 *  2. The shown value of a stamp (received, dispatched, arrived, cleared, followup_done) is the EARLIEST
 *     time among the heads: two members who both stamp "arrived" arrived when the first of them did.
 *     Heads more than CRISIS_STAMP_SLACK seconds apart are flagged for review.
 *     The shown value of any other field is the head with the greatest (hlc, device); heads holding
 *     different values are flagged for review. A later write that has seen every head resolves the
 *     review, and that decision is an event like any other.
 *  3. Records of one call opened separately (a teammate offline who could not learn the id, or who was
 *     given only a prefix of it) are joined by an alias graph: `crisis.link` adds an edge, an open with a
 *     `join` prefix adds an edge to every crisis whose id starts with it, whichever arrives first. The
 *     smallest id of a component survives; `crises` holds one row per surviving id, computed over the
 *     writes of the whole component, and is recomputed whenever the component grows.
 *  4. Interventions, screens and open/join rows stay on the record they were written on; queries gather
 *     them over the component, so every member's entries and who wrote each are shown.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "crisis.h"
#include "crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CRISIS_STAMP_SLACK 120 /* seconds: two phones stamping one arrival a minute apart agree */
#define CRISIS_FUTURE_SLACK 600 /* seconds: a stamp typed a few minutes ahead is a rounded clock, not a typo */
#define CRISIS_JOIN_MIN 13     /* characters of an id to join a crisis not synced yet: its ms time */

static const char *const sources[] = {"988", "911", "walk-in", "self", "family", "police", "other"};
static const char *const locations[] = {"home",   "street",     "shelter",         "school", "workplace",
                                        "public", "healthcare", "police-station", "phone",  "other"};
static const char *const dispositions[] = {"stabilised-in-place",       "voluntary-transport",
                                           "involuntary-hold",          "emergency-department",
                                           "crisis-stabilisation-unit", "referral",
                                           "police-custody",            "other"};
static const char *const police_roles[] = {"none",      "requested-by-team", "on-scene-support", "co-responder",
                                           "transport", "custody",           "initiated-call"};
static const char *const results[] = {"reached", "unreachable", "declined", "other"};
static const char *const roles[] = {"lead", "clinician", "peer", "nurse", "medic", "other"};
static const char *const interventions[] = {"de-escalation",    "safety-planning", "counselling",
                                            "peer-support",     "medication",      "means-restriction",
                                            "resource-linkage", "family-support",  "medical-check",
                                            "other"};

enum { F_TEXT, F_STAMP, F_ENUM, F_CONTACT, F_HOURS };

/* The registers, in the column order of `crises`. */
static const struct field {
	const char *name;
	int type;
	const char *const *values;
	size_t n;
} fields[] = {
	{"received", F_STAMP, NULL, 0},
	{"dispatched", F_STAMP, NULL, 0},
	{"arrived", F_STAMP, NULL, 0},
	{"cleared", F_STAMP, NULL, 0},
	{"source", F_ENUM, sources, CAIRN__COUNT(sources)},
	{"location", F_ENUM, locations, CAIRN__COUNT(locations)},
	{"disposition", F_ENUM, dispositions, CAIRN__COUNT(dispositions)},
	{"police", F_ENUM, police_roles, CAIRN__COUNT(police_roles)},
	{"contact", F_CONTACT, NULL, 0},
	{"team", F_TEXT, NULL, 0},
	{"followup_hours", F_HOURS, NULL, 0},
	{"followup_to", F_TEXT, NULL, 0},
	{"followup_done", F_STAMP, NULL, 0},
	{"followup_result", F_ENUM, results, CAIRN__COUNT(results)},
};

#define bad cairn__apply_bad
#define step_done cairn__step_done
#define bind_str cairn__bind_json_str

static const struct field *find_field(const char *name)
{
	for (size_t i = 0; i < CAIRN__COUNT(fields); i++)
		if (!strcmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

/* Parsed by hand: the report parses several stamps per crisis, and sscanf + timegm cost most of it. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int64_t cairn__crisis_time(const char *s)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, h, mi, se, leap;
	if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != 'Z')
		return -1;
	y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
	h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap) || h < 0 ||
	    h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
		return -1;
	/* Days from the civil date (H. Hinnant's algorithm), March-based years. */
	y -= m <= 2;
	int era = y / 400, yoe = y - era * 400, doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t days = (int64_t)era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
	return days * 86400 + h * 3600 + mi * 60 + se;
}

void cairn__crisis_iso(char out[21], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The UTC instant at which local date `date` (YYYY-MM-DD) plus `days` begins. */
int64_t cairn__crisis_local_midnight(const char *date, int days)
{
	struct tm tm = {0};
	tm.tm_year = digits(date, 4) - 1900;
	tm.tm_mon = digits(date + 5, 2) - 1;
	tm.tm_mday = digits(date + 8, 2) + days;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

static void time_now(char out[21])
{
	time_t t = (time_t)(cairn__clock_ms() / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- the alias graph ---- */

static int canon_of(cairn_journal *j, const char *id, char out[CAIRN_ID_LEN])
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT coalesce((SELECT canon FROM crisis_canon WHERE entity = ?1), ?1)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, CAIRN_ID_LEN, "%s", (const char *)sqlite3_column_text(st, 0));
	cairn__finalize(j, st);
	return rc == SQLITE_ROW ? 0 : cairn__sqlerr(j, rc, "reading a crisis link");
}

/* The heads of one register over the component of `canon` (invariant 1), newest first. */
#define HEADS_SQL                                                                                             \
	"SELECT value, hlc, device FROM crisis_writes w "                                                    \
	"WHERE (crisis = ?1 OR crisis IN (SELECT entity FROM crisis_canon WHERE canon = ?1)) AND field = ?2 " \
	"AND NOT EXISTS (SELECT 1 FROM crisis_superseded s WHERE s.field = w.field AND s.hlc = w.hlc "        \
	"AND s.device = w.device) ORDER BY hlc DESC, device DESC"

static int set_review(cairn_journal *j, const char *canon, const char *field, int review)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        review ? "INSERT OR IGNORE INTO crisis_review (crisis, field) VALUES (?1, ?2)"
	                               : "DELETE FROM crisis_review WHERE crisis = ?1 AND field = ?2");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	if ((rc = step_done(j, st, "flagging a crisis for review")))
		return rc;
	if ((rc = cairn__prepare(j, &st, "UPDATE crises SET review = (SELECT count(*) FROM crisis_review "
	                                 "WHERE crisis = ?1) WHERE entity = ?1")))
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	return step_done(j, st, "flagging a crisis for review");
}

/* Invariant 2: the value of one register of a surviving crisis, and whether it needs review. */
static int recompute_field(cairn_journal *j, const char *canon, const struct field *f)
{
	sqlite3_stmt *st;
	char sql[96], *value = NULL;
	int heads = 0, review = 0, have = 0, rc;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	if ((rc = cairn__prepare(j, &st, HEADS_SQL)))
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		heads++;
		if (f->type == F_STAMP) {
			int64_t t = cairn__crisis_time(v);
			if (t < 0)
				continue; /* a cleared stamp (null) or a malformed one takes no part */
			if (t < lo) {
				free(value);
				value = strdup(v);
			}
			lo = t < lo ? t : lo;
			hi = t > hi ? t : hi;
			have = 1;
			continue;
		}
		if (heads == 1) {
			value = v ? strdup(v) : NULL;
			have = v != NULL;
		} else if ((v == NULL) != (value == NULL) || (v && value && strcmp(v, value))) {
			review = 1;
		}
	}
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE) {
		free(value);
		return cairn__sqlerr(j, rc, "reading a crisis field");
	}
	if (f->type == F_STAMP)
		review = have && hi - lo > CRISIS_STAMP_SLACK;
	snprintf(sql, sizeof(sql), "UPDATE crises SET %s = ?2 WHERE entity = ?1", f->name);
	if ((rc = cairn__prepare(j, &st, sql))) {
		free(value);
		return rc;
	}
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	if (have && value)
		sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
	free(value);
	if ((rc = step_done(j, st, "updating a crisis")))
		return rc;
	return set_review(j, canon, f->name, review);
}

static int ensure_crisis(cairn_journal *j, const char *canon)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO crises (entity) VALUES (?1)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	return step_done(j, st, "recording a crisis");
}

/* Invariant 3: after the component of `canon` grew, only its smallest id keeps a row, over all writes. */
static int recompute_component(cairn_journal *j, const char *canon)
{
	static const char *const drop[] = {
		"DELETE FROM crises WHERE entity IN (SELECT entity FROM crisis_canon WHERE canon = ?1) "
		"AND entity != ?1",
		"DELETE FROM crisis_review WHERE crisis IN (SELECT entity FROM crisis_canon WHERE canon = ?1) "
		"AND crisis != ?1",
	};
	sqlite3_stmt *st;
	int rc;
	for (size_t i = 0; i < CAIRN__COUNT(drop); i++) {
		if ((rc = cairn__prepare(j, &st, drop[i])))
			return rc;
		sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
		if ((rc = step_done(j, st, "joining crisis records")))
			return rc;
	}
	if ((rc = ensure_crisis(j, canon)))
		return rc;
	for (size_t i = 0; i < CAIRN__COUNT(fields); i++)
		if ((rc = recompute_field(j, canon, &fields[i])))
			return rc;
	return 0;
}

static int add_edge(cairn_journal *j, const char *a, const char *b)
{
	char canon[CAIRN_ID_LEN];
	sqlite3_stmt *st;
	int rc;
	if (!strcmp(a, b))
		return 0;
	if ((rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO crisis_edges (a, b) VALUES (min(?1, ?2), max(?1, ?2))")))
		return rc;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if ((rc = step_done(j, st, "linking crisis records")))
		return rc;
	rc = cairn__prepare(j, &st,
	                    "WITH RECURSIVE comp(id) AS (SELECT ?1 UNION "
	                    "  SELECT CASE WHEN e.a = comp.id THEN e.b ELSE e.a END FROM crisis_edges e "
	                    "  JOIN comp ON e.a = comp.id OR e.b = comp.id) "
	                    "INSERT OR REPLACE INTO crisis_canon (entity, canon) "
	                    "SELECT id, (SELECT min(id) FROM comp) FROM comp");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if ((rc = step_done(j, st, "linking crisis records")) || (rc = canon_of(j, a, canon)))
		return rc;
	return recompute_component(j, canon);
}

/* Edges implied by join prefixes, in both arrival orders (invariant 3). */
static int link_by_prefix(cairn_journal *j, const char *entity, const char *joinp)
{
	sqlite3_stmt *st;
	char (*ids)[CAIRN_ID_LEN] = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (joinp)
		rc = cairn__prepare(j, &st,
		                    "SELECT DISTINCT crisis FROM crisis_opens WHERE joinp IS NULL "
		                    "AND crisis >= ?1 AND crisis < ?1 || '~' AND crisis != ?2");
	else
		rc = cairn__prepare(j, &st,
		                    "SELECT DISTINCT crisis FROM crisis_opens WHERE joinp IS NOT NULL "
		                    "AND substr(?2, 1, length(joinp)) = joinp AND crisis != ?2");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, joinp ? joinp : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, entity, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			void *p = realloc(ids, (cap = cap ? 2 * cap : 4) * sizeof(*ids));
			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			ids = p;
		}
		snprintf(ids[n++], CAIRN_ID_LEN, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	cairn__finalize(j, st);
	rc = rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "finding a crisis by prefix");
	for (size_t i = 0; i < n && !rc; i++)
		rc = add_edge(j, entity, ids[i]);
	free(ids);
	return rc;
}

/* ---- apply ---- */

static int insert_write(cairn_journal *j, const cairn_event *ev, const char *field, json_t *v)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "INSERT OR IGNORE INTO crisis_writes (crisis, field, value, hlc, device) "
	                        "VALUES (?1, ?2, ?3, ?4, ?5)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	bind_str(st, 3, v);
	sqlite3_bind_int64(st, 4, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 5, ev->device, -1, SQLITE_STATIC);
	return step_done(j, st, "recording a crisis field");
}

static int insert_seen(cairn_journal *j, const cairn_event *ev, const char *field, json_t *seen)
{
	size_t i;
	json_t *v;
	json_array_foreach(seen, i, v)
	{
		json_t *h = json_array_get(v, 0), *d = json_array_get(v, 1);
		sqlite3_stmt *st;
		int rc;
		if (json_array_size(v) != 2 || !json_is_integer(h) || !json_is_string(d))
			return bad(ev, "a seen version is not [hlc, device]");
		if ((rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO crisis_superseded (field, hlc, device) "
		                                 "VALUES (?1, ?2, ?3)")))
			return rc;
		sqlite3_bind_text(st, 1, field, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)json_integer_value(h));
		bind_str(st, 3, d);
		if ((rc = step_done(j, st, "recording a superseded crisis field")))
			return rc;
	}
	return 0;
}

/* The registers of a crisis.open or crisis.set body. Unknown fields (a newer cairn) are kept, not shown. */
static int apply_fields(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *fs = json_object_get(body, "fields"), *seen = json_object_get(body, "seen"), *v;
	char canon[CAIRN_ID_LEN];
	const char *name;
	int rc;
	if (fs && !json_is_object(fs))
		return bad(ev, "fields is not an object");
	if (seen && !json_is_object(seen))
		return bad(ev, "seen is not an object");
	if ((rc = canon_of(j, ev->entity, canon)) || (rc = ensure_crisis(j, canon)))
		return rc;
	json_object_foreach(fs, name, v)
	{
		json_t *s = seen ? json_object_get(seen, name) : NULL;
		const struct field *f = find_field(name);
		if (!json_is_string(v) && !json_is_null(v))
			return bad(ev, "a crisis field is not a string or null");
		if (s && !json_is_array(s))
			return bad(ev, "seen versions are not an array");
		if ((rc = insert_write(j, ev, name, v)) || (s && (rc = insert_seen(j, ev, name, s))))
			return rc;
		if (f && (rc = recompute_field(j, canon, f)))
			return rc;
	}
	return 0;
}

static int insert_open(cairn_journal *j, const cairn_event *ev, json_t *body, json_t *joinp)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "INSERT OR IGNORE INTO crisis_opens (crisis, hlc, device, role, joinp) "
	                        "VALUES (?1, ?2, ?3, ?4, ?5)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	bind_str(st, 4, json_object_get(body, "role"));
	bind_str(st, 5, joinp);
	return step_done(j, st, "recording a crisis member");
}

static int apply_open(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *joinp = json_object_get(body, "join");
	int rc;
	if (joinp && (!json_is_string(joinp) || json_string_length(joinp) < 8 || json_string_length(joinp) > 36))
		return bad(ev, "join is not an id prefix of 8 to 36 characters");
	if ((rc = insert_open(j, ev, body, joinp)) || (rc = apply_fields(j, ev, body)))
		return rc;
	return link_by_prefix(j, ev->entity, joinp ? json_string_value(joinp) : NULL);
}

static int apply_join(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	char canon[CAIRN_ID_LEN];
	int rc;
	if ((rc = insert_open(j, ev, body, NULL)) || (rc = canon_of(j, ev->entity, canon)) ||
	    (rc = ensure_crisis(j, canon)))
		return rc;
	/* A join names the crisis in full: it is a member of that record, not a record of its own, but it
	 * may be the first event here of a crisis opened elsewhere; prefix joins can match it as well. */
	return link_by_prefix(j, ev->entity, NULL);
}

static int apply_set(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	if (!json_is_object(json_object_get(body, "fields")) || !json_object_size(json_object_get(body, "fields")))
		return bad(ev, "no fields");
	return apply_fields(j, ev, body);
}

static int apply_link(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *other = json_object_get(body, "other");
	if (!json_is_string(other) || !cairn__uuid_valid(json_string_value(other)) ||
	    !strcmp(json_string_value(other), ev->entity))
		return bad(ev, "other is not a distinct crisis id");
	return add_edge(j, ev->entity, json_string_value(other));
}

static int apply_intervention(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *type = json_object_get(body, "type"), *at = json_object_get(body, "at");
	char canon[CAIRN_ID_LEN];
	sqlite3_stmt *st;
	int rc;
	if (!json_is_string(type) || !json_is_string(at))
		return bad(ev, "type and at are required strings");
	if ((rc = canon_of(j, ev->entity, canon)) || (rc = ensure_crisis(j, canon)))
		return rc;
	if ((rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO crisis_interventions (crisis, hlc, device, type, "
	                                 "at, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")))
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	bind_str(st, 4, type);
	bind_str(st, 5, at);
	bind_str(st, 6, json_object_get(body, "detail"));
	return step_done(j, st, "recording an intervention");
}

static int apply_screen(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *inst = json_object_get(body, "instrument"), *ans = json_object_get(body, "answers"),
	       *level = json_object_get(body, "level");
	char canon[CAIRN_ID_LEN], *text;
	sqlite3_stmt *st;
	int rc;
	if (!json_is_string(inst) || !json_is_object(ans) || !json_is_string(level))
		return bad(ev, "instrument, answers and level are required");
	if ((rc = canon_of(j, ev->entity, canon)) || (rc = ensure_crisis(j, canon)))
		return rc;
	if ((rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO crisis_screens (crisis, hlc, device, instrument, "
	                                 "answers, level) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")))
		return rc;
	text = json_dumps(ans, JSON_COMPACT | JSON_SORT_KEYS);
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	bind_str(st, 4, inst);
	sqlite3_bind_text(st, 5, text ? text : "{}", -1, SQLITE_TRANSIENT);
	bind_str(st, 6, level);
	free(text);
	return step_done(j, st, "recording a risk screen");
}

/* ---- the domain API: validation where a person typed ---- */

/* A crisis id or unique prefix (>= 4 characters; >= 8 for a join) -> the surviving id. */
int cairn_crisis_resolve(cairn_journal *j, const char *prefix, char id_out[CAIRN_ID_LEN])
{
	char lower[CAIRN_ID_LEN], first[CAIRN_ID_LEN] = "";
	sqlite3_stmt *st;
	size_t n = prefix ? strlen(prefix) : 0;
	int rc, found = 0;
	if (n < 4 || n > 36)
		return cairn__error(CAIRN_EINVAL, "malformed crisis id '%s' (give at least 4 characters of it)",
		                    prefix ? prefix : "");
	for (size_t i = 0; i <= n; i++) {
		char c = prefix[i] >= 'A' && prefix[i] <= 'F' ? (char)(prefix[i] + 32) : prefix[i];
		if (c && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
			return cairn__error(CAIRN_EINVAL, "malformed crisis id '%s'", prefix);
		lower[i] = c;
	}
	if ((rc = cairn__prepare(j, &st,
	                         "SELECT DISTINCT coalesce(k.canon, o.crisis) FROM (SELECT crisis FROM crisis_opens "
	                         "WHERE crisis >= ?1 AND crisis < ?1 || '~' UNION SELECT entity FROM crises "
	                         "WHERE entity >= ?1 AND entity < ?1 || '~') o "
	                         "LEFT JOIN crisis_canon k ON k.entity = o.crisis LIMIT 2")))
		return rc;
	sqlite3_bind_text(st, 1, lower, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (found++ == 0)
			snprintf(first, sizeof(first), "%s", (const char *)sqlite3_column_text(st, 0));
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE)
		return cairn__sqlerr(j, rc, "resolving a crisis id");
	if (!found)
		return cairn__error(CAIRN_ENOTFOUND, "no crisis with id '%s'", prefix);
	if (found > 1)
		return cairn__error(CAIRN_EAMBIGUOUS, "crisis id '%s' is ambiguous; give more characters", prefix);
	memcpy(id_out, first, CAIRN_ID_LEN);
	return 0;
}

/*
 * A time typed on this device: well formed, and not later than this device's clock allows. Times in
 * the future are typos (a local time given with Z, 2062 for 2026) that would sort the crisis wrongly in
 * every report; they are refused here, where the person typing can fix them. Events from other devices
 * are not checked against this clock (theirs may differ).
 */
static int stamp_valid(const char *s, const char *what)
{
	int64_t t = cairn__crisis_time(s), now = (int64_t)(cairn__clock_ms() / 1000);
	char limit[21];
	if (t < 0)
		return cairn__error(CAIRN_EINVAL, "invalid time '%s' for %s (expected YYYY-MM-DDTHH:MM:SSZ, in UTC)", s,
		                    what);
	if (t > now + CRISIS_FUTURE_SLACK) {
		cairn__crisis_iso(limit, now);
		return cairn__error(CAIRN_EINVAL, "%s %s is in the future (it is now %s)", what, s, limit);
	}
	return 0;
}

static int check_value(const struct field *f, json_t *v)
{
	const char *s = json_string_value(v);
	if (json_is_null(v))
		return f->type == F_STAMP && strcmp(f->name, "received")
		               ? 0
		               : cairn__error(CAIRN_EINVAL, "crisis field '%s' cannot be cleared", f->name);
	if (!s)
		return cairn__error(CAIRN_EINVAL, "crisis field '%s' must be a string", f->name);
	switch (f->type) {
	case F_STAMP:
		return stamp_valid(s, f->name);
	case F_ENUM:
		return cairn__in_list(s, f->values, f->n) ? 0 : cairn__error(CAIRN_EINVAL, "unknown %s '%s'", f->name, s);
	case F_CONTACT:
		return cairn__uuid_valid(s) ? 0 : cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", s);
	case F_HOURS: {
		char *end;
		long h = strtol(s, &end, 10);
		return *s && !*end && h >= 1 && h <= 720
		               ? 0
		               : cairn__error(CAIRN_EINVAL, "followup_hours must be a whole number from 1 to 720");
	}
	default:
		return json_string_length(v) && json_string_length(v) <= 200
		               ? 0
		               : cairn__error(CAIRN_EINVAL, "crisis field '%s' must be 1 to 200 characters", f->name);
	}
}

static int validate_fields(cairn_journal *j, json_t *fs)
{
	const char *k;
	json_t *v;
	int rc;
	json_object_foreach(fs, k, v)
	{
		const struct field *f = find_field(k);
		if (!f)
			return cairn__error(CAIRN_EINVAL, "unknown crisis field '%s'", k);
		if ((rc = check_value(f, v)))
			return rc;
		if (f->type == F_CONTACT && (rc = cairn__need(j, "contacts", "contact", json_string_value(v))))
			return rc;
	}
	return 0;
}

/* The heads this writer has seen, over the component of `canon` (invariant 1). */
static int seen_heads(cairn_journal *j, const char *canon, const char *field, json_t **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, HEADS_SQL);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	*out = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(*out, json_pack("[Is]", (json_int_t)sqlite3_column_int64(st, 1),
		                                      (const char *)sqlite3_column_text(st, 2)));
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading a crisis field");
}

static int exists_crisis(cairn_journal *j, const char *canon)
{
	int rc = cairn__exists(j, "crises", canon);
	if (rc == 0)
		return cairn__error(CAIRN_ENOTFOUND, "no crisis '%s'", canon);
	return rc < 0 ? rc : 0;
}

static int set_locked(cairn_journal *j, const char *crisis, json_t *fs)
{
	char canon[CAIRN_ID_LEN];
	json_t *seen, *body;
	const char *k;
	json_t *v;
	int rc;
	if (!crisis || !cairn__uuid_valid(crisis))
		return cairn__error(CAIRN_EINVAL, "malformed crisis id '%s'", crisis ? crisis : "");
	if ((rc = canon_of(j, crisis, canon)) || (rc = exists_crisis(j, canon)) || (rc = validate_fields(j, fs)))
		return rc;
	seen = json_object();
	json_object_foreach(fs, k, v)
	{
		json_t *heads;
		if ((rc = seen_heads(j, canon, k, &heads))) {
			json_decref(seen);
			return rc;
		}
		json_object_set_new(seen, k, heads);
	}
	body = json_pack("{sOso}", "fields", fs, "seen", seen);
	rc = cairn__append_json(j, "crisis.set", canon, body, NULL);
	json_decref(body);
	return rc;
}

int cairn_crisis_set(cairn_journal *j, const char *crisis, const char *fields_json)
{
	json_t *fs = cairn__parse_object(fields_json, "crisis fields");
	int rc;
	if (!fs)
		return CAIRN_EINVAL;
	if (!json_object_size(fs))
		rc = cairn__error(CAIRN_EINVAL, "no crisis fields given");
	else if (!(rc = cairn__txn_begin(j)))
		rc = cairn__txn_end(j, set_locked(j, crisis, fs));
	json_decref(fs);
	return rc;
}

/* An unnamed contact for a person not known yet: linked or merged later. */
static int placeholder_contact(cairn_journal *j, const char *received, char id[CAIRN_ID_LEN])
{
	char name[64], local[17];
	time_t t = (time_t)cairn__crisis_time(received);
	struct tm tm;
	cairn_event_info info;
	json_t *body;
	int rc;
	localtime_r(&t, &tm);
	strftime(local, sizeof(local), "%Y-%m-%d %H:%M", &tm);
	snprintf(name, sizeof(name), "unknown (crisis %s)", local);
	body = json_pack("{s{ss}s{}}", "fields", "name", name, "seen");
	rc = cairn__append_json(j, "contact.set", NULL, body, &info);
	json_decref(body);
	if (!rc)
		memcpy(id, info.entity, CAIRN_ID_LEN);
	return rc;
}

static void team_hex(cairn_journal *j, char out[2 * CAIRN_TEAM_BYTES + 1])
{
	unsigned char team[CAIRN_TEAM_BYTES];
	uint32_t epoch;
	out[0] = 0;
	if (cairn_team_current(j, team, &epoch, NULL) == 0)
		cairn__hex(out, team, sizeof(team));
	cairn_error_clear();
}

static int open_locked(cairn_journal *j, json_t *o, char id_out[CAIRN_ID_LEN])
{
	json_t *fs = json_object_get(o, "fields"), *join = json_object_get(o, "join"), *body;
	char contact[CAIRN_ID_LEN], team[2 * CAIRN_TEAM_BYTES + 1], joined[CAIRN_ID_LEN], now[21];
	cairn_event_info info;
	int rc;
	if (join) {
		rc = cairn_crisis_resolve(j, json_string_value(join), joined);
		if (rc == 0 || (rc == CAIRN_ENOTFOUND && json_string_length(join) == 36)) {
			/* Known here, or named in full: a member of that record (fields, if any, follow as a set). */
			if (rc)
				snprintf(joined, sizeof(joined), "%s", json_string_value(join));
			cairn_error_clear();
			body = json_pack("{s:O*}", "role", json_object_get(o, "role"));
			rc = cairn__append_json(j, "crisis.join", joined, body, &info);
			json_decref(body);
			if (!rc && json_object_size(fs))
				rc = set_locked(j, joined, fs);
			if (!rc)
				memcpy(id_out, joined, CAIRN_ID_LEN);
			return rc;
		}
		if (rc != CAIRN_ENOTFOUND)
			return rc;
		/* Not here yet: a record of our own, joined when the other arrives. The first 8 characters of a
		 * UUIDv7 are its time in 65-second steps (two calls opened in one minute share them); 13 are
		 * its full millisecond time, which two calls practically never share. */
		if (json_string_length(join) < CRISIS_JOIN_MIN)
			return cairn__error(CAIRN_ENOTFOUND,
			                    "crisis '%s' is not on this device yet; give at least %d characters of its id "
			                    "(e.g. 01a208cf-527e) to join it before it syncs",
			                    json_string_value(join), CRISIS_JOIN_MIN);
		cairn_error_clear();
	} else {
		if (!json_object_get(fs, "received")) {
			time_now(now);
			json_object_set_new(fs, "received", json_string(now));
		}
		if (!json_object_get(fs, "source"))
			return cairn__error(CAIRN_EINVAL, "a new crisis needs a source (988, 911, walk-in, ...)");
		if (!json_object_get(fs, "followup_hours"))
			json_object_set_new(fs, "followup_hours", json_string("24"));
		if (!json_object_get(fs, "contact")) {
			if ((rc = placeholder_contact(j, json_string_value(json_object_get(fs, "received")), contact)))
				return rc;
			json_object_set_new(fs, "contact", json_string(contact));
		}
	}
	team_hex(j, team);
	if (*team && !json_object_get(fs, "team"))
		json_object_set_new(fs, "team", json_string(team));
	if ((rc = validate_fields(j, fs)))
		return rc;
	rc = cairn__append_json(j, "crisis.open", NULL, o, &info);
	if (!rc)
		memcpy(id_out, info.entity, CAIRN_ID_LEN);
	return rc;
}

int cairn_crisis_open(cairn_journal *j, const char *fields_json, char id_out[CAIRN_ID_LEN])
{
	json_t *fs = cairn__parse_object(fields_json, "crisis fields"), *o = NULL, *join, *role;
	char id[CAIRN_ID_LEN];
	int rc;
	if (!fs)
		return CAIRN_EINVAL;
	join = json_incref(json_object_get(fs, "join"));
	role = json_incref(json_object_get(fs, "role"));
	json_object_del(fs, "join");
	json_object_del(fs, "role");
	if (join && (!json_is_string(join) || json_string_length(join) < 8 || json_string_length(join) > 36)) {
		rc = cairn__error(CAIRN_EINVAL, "a crisis to join needs at least 8 characters of its id");
		goto out;
	}
	if (role && (!json_is_string(role) || !cairn__in_list(json_string_value(role), roles, CAIRN__COUNT(roles)))) {
		rc = cairn__error(CAIRN_EINVAL, "unknown role '%s'", json_is_string(role) ? json_string_value(role) : "?");
		goto out;
	}
	o = json_pack("{sO}", "fields", fs);
	if (join) {
		char lower[CAIRN_ID_LEN];
		size_t n = json_string_length(join);
		for (size_t i = 0; i <= n; i++) {
			char c = json_string_value(join)[i];
			lower[i] = c >= 'A' && c <= 'F' ? (char)(c + 32) : c;
		}
		json_object_set_new(o, "join", json_string(lower));
	}
	if (role)
		json_object_set(o, "role", role);
	if (!(rc = cairn__txn_begin(j)))
		rc = cairn__txn_end(j, open_locked(j, o, id));
	if (!rc && id_out)
		memcpy(id_out, id, CAIRN_ID_LEN);
out:
	json_decref(o);
	json_decref(fs);
	json_decref(join);
	json_decref(role);
	return rc;
}

static int link_locked(cairn_journal *j, const char *a, const char *b)
{
	char ca[CAIRN_ID_LEN], cb[CAIRN_ID_LEN];
	json_t *body;
	int rc;
	if ((rc = canon_of(j, a, ca)) || (rc = canon_of(j, b, cb)) || (rc = exists_crisis(j, ca)) ||
	    (rc = exists_crisis(j, cb)))
		return rc;
	if (!strcmp(ca, cb))
		return cairn__error(CAIRN_EINVAL, "crises '%s' and '%s' are already one record", a, b);
	body = json_pack("{ss}", "other", cb);
	rc = cairn__append_json(j, "crisis.link", ca, body, NULL);
	json_decref(body);
	return rc;
}

int cairn_crisis_link(cairn_journal *j, const char *a, const char *b)
{
	int rc;
	if (!a || !b || !cairn__uuid_valid(a) || !cairn__uuid_valid(b))
		return cairn__error(CAIRN_EINVAL, "malformed crisis id");
	rc = cairn__txn_begin(j);
	return rc ? rc : cairn__txn_end(j, link_locked(j, a, b));
}

static int entry_locked(cairn_journal *j, const char *crisis, const char *kind, json_t *body)
{
	char canon[CAIRN_ID_LEN];
	int rc;
	if (!crisis || !cairn__uuid_valid(crisis))
		return cairn__error(CAIRN_EINVAL, "malformed crisis id '%s'", crisis ? crisis : "");
	if ((rc = canon_of(j, crisis, canon)) || (rc = exists_crisis(j, canon)))
		return rc;
	return cairn__append_json(j, kind, canon, body, NULL);
}

static int append_entry(cairn_journal *j, const char *crisis, const char *kind, json_t *body)
{
	int rc = cairn__txn_begin(j);
	return rc ? rc : cairn__txn_end(j, entry_locked(j, crisis, kind, body));
}

int cairn_crisis_intervention(cairn_journal *j, const char *crisis, const char *fields_json)
{
	json_t *o = cairn__parse_object(fields_json, "intervention");
	char now[21];
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	if (!json_object_get(o, "at")) {
		time_now(now);
		json_object_set_new(o, "at", json_string(now));
	}
	if ((rc = cairn__req_str(o, "type", interventions, CAIRN__COUNT(interventions), 32)) ||
	    (rc = cairn__req_str(o, "at", NULL, 0, 20)) || (rc = cairn__opt_str(o, "detail", NULL, 0, CAIRN__MAX_FIELD)))
		goto out;
	if ((rc = stamp_valid(json_string_value(json_object_get(o, "at")), "intervention time")))
		goto out;
	rc = append_entry(j, crisis, "crisis.intervention", o);
out:
	json_decref(o);
	return rc;
}

/* Score a screen from the instrument's data: the highest level of any item answered yes. */
static int score_screen(cairn_journal *j, const char *instrument, json_t *answers, char level[32])
{
	sqlite3_stmt *st;
	json_t *levels = NULL, *items = NULL, *it;
	size_t i, best = 0;
	int rc = cairn__prepare(j, &st, "SELECT levels, items FROM crisis_instruments WHERE id = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, instrument, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		levels = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		items = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
	}
	cairn__finalize(j, st);
	if (rc == SQLITE_DONE)
		return cairn__error(CAIRN_ENOTFOUND, "no risk-screen instrument '%s'", instrument);
	rc = json_is_array(levels) && json_is_array(items) ? 0 : cairn__error(CAIRN_ECORRUPT, "instrument '%s' is damaged", instrument);
	if (!rc) {
		const char *k;
		json_t *v;
		json_object_foreach(answers, k, v)
		{
			int known = 0;
			if (!json_is_boolean(v)) {
				rc = cairn__error(CAIRN_EINVAL, "answer '%s' must be yes or no", k);
				break;
			}
			json_array_foreach(items, i, it) if (!strcmp(json_string_value(json_object_get(it, "id")), k))
			{
				known = 1;
				if (json_is_true(v))
					for (size_t l = 0; l < json_array_size(levels); l++)
						if (!strcmp(json_string_value(json_array_get(levels, l)),
						            json_string_value(json_object_get(it, "level"))) &&
						    l > best)
							best = l;
			}
			if (!known) {
				rc = cairn__error(CAIRN_EINVAL, "instrument '%s' has no item '%s'", instrument, k);
				break;
			}
		}
	}
	if (!rc && json_object_size(answers) != json_array_size(items))
		rc = cairn__error(CAIRN_EINVAL, "instrument '%s' has %zu items; %zu answered", instrument,
		                  json_array_size(items), json_object_size(answers));
	if (!rc)
		snprintf(level, 32, "%s", json_string_value(json_array_get(levels, best)));
	json_decref(levels);
	json_decref(items);
	return rc;
}

static int screen_locked(cairn_journal *j, const char *crisis, const char *instrument, json_t *answers)
{
	char level[32];
	json_t *body;
	int rc = score_screen(j, instrument, answers, level);
	if (rc)
		return rc;
	body = json_pack("{sssOss}", "instrument", instrument, "answers", answers, "level", level);
	rc = entry_locked(j, crisis, "crisis.screen", body);
	json_decref(body);
	return rc;
}

int cairn_crisis_screen(cairn_journal *j, const char *crisis, const char *instrument, const char *answers_json)
{
	json_t *a = cairn__parse_object(answers_json, "screen answers");
	int rc;
	if (!a)
		return CAIRN_EINVAL;
	if (!instrument || !*instrument)
		rc = cairn__error(CAIRN_EINVAL, "a risk screen needs an instrument");
	else if (!(rc = cairn__txn_begin(j)))
		rc = cairn__txn_end(j, screen_locked(j, crisis, instrument, a));
	json_decref(a);
	return rc;
}

/* ---- queries ---- */

#define COMPONENT(e) "(SELECT " e " UNION SELECT entity FROM crisis_canon WHERE canon = " e ")"
#define CRISIS_JSON                                                                                              \
	"json_object('id', c.entity, 'received', c.received, 'dispatched', c.dispatched, 'arrived', c.arrived, " \
	" 'cleared', c.cleared, 'source', c.source, 'location', c.location, 'disposition', c.disposition, "      \
	" 'police', c.police, 'contact', " CAIRN__CANON("c.contact") ", "                                        \
	" 'contact_name', (SELECT value FROM contact_fields f WHERE f.entity = " CAIRN__CANON("c.contact")       \
	"   AND f.field = 'name'), 'team', c.team, "                                                             \
	" 'followup_due', strftime('%Y-%m-%dT%H:%M:%SZ', c.received, '+' || coalesce(c.followup_hours, 24) || "  \
	"   ' hours'), 'followup_to', c.followup_to, 'followup_done', c.followup_done, "                         \
	" 'followup_result', c.followup_result, "                                                                \
	" 'review', (SELECT json_group_array(field) FROM (SELECT field FROM crisis_review r "                    \
	"   WHERE r.crisis = c.entity ORDER BY field)))"

int cairn_crisis_list(cairn_journal *j, const char *from, const char *to, int open_only, char **out)
{
	sqlite3_stmt *st;
	int rc;
	if ((from && !cairn__date_valid(from)) || (to && !cairn__date_valid(to)))
		return cairn__error(CAIRN_EINVAL, "invalid date (expected YYYY-MM-DD)");
	rc = cairn__prepare(j, &st,
	                    "SELECT json_group_array(json(obj)) FROM (SELECT " CRISIS_JSON " AS obj FROM crises c "
	                    "WHERE (?1 IS NULL OR date(c.received, 'localtime') >= ?1) "
	                    "AND (?2 IS NULL OR date(c.received, 'localtime') <= ?2) "
	                    "AND (NOT ?3 OR c.followup_done IS NULL) ORDER BY c.received DESC, c.entity)");
	if (rc)
		return rc;
	if (from)
		sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	if (to)
		sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, open_only);
	return cairn__query_text(j, st, out, "[]");
}

int cairn_crisis_show(cairn_journal *j, const char *crisis, char **out)
{
	char canon[CAIRN_ID_LEN];
	sqlite3_stmt *st;
	int rc;
	if (!crisis || !cairn__uuid_valid(crisis))
		return cairn__error(CAIRN_EINVAL, "malformed crisis id '%s'", crisis ? crisis : "");
	if ((rc = canon_of(j, crisis, canon)) || (rc = exists_crisis(j, canon)))
		return rc;
	rc = cairn__prepare(
		j, &st,
		"SELECT json_patch(" CRISIS_JSON ", json_object("
		" 'records', (SELECT json_group_array(id) FROM (SELECT ?1 AS id UNION SELECT entity FROM crisis_canon "
		"   WHERE canon = ?1 ORDER BY 1)), "
		" 'members', (SELECT json_group_array(json_object('device', device, 'role', role, 'joined', hlc, "
		"   'by_prefix', json(iif(joinp IS NULL, 'false', 'true')))) FROM (SELECT device, role, hlc, joinp "
		"   FROM crisis_opens WHERE crisis IN " COMPONENT("?1") " UNION ALL "
		/* Anyone else who wrote on it (a member who never opened or joined, the office) is a member too. */
		"   SELECT device, NULL, min(hlc), NULL FROM (SELECT device, hlc FROM crisis_writes WHERE crisis IN "
		COMPONENT("?1") " UNION ALL SELECT device, hlc FROM crisis_interventions WHERE crisis IN " COMPONENT("?1")
		"   UNION ALL SELECT device, hlc FROM crisis_screens WHERE crisis IN " COMPONENT("?1") ") w "
		"   WHERE device NOT IN (SELECT device FROM crisis_opens WHERE crisis IN " COMPONENT("?1") ") "
		"   GROUP BY device ORDER BY 3, 1)), "
		" 'entries', (SELECT json_group_array(json_object('field', field, 'value', value, 'hlc', hlc, "
		"   'device', device, 'record', crisis, 'current', json(iif(EXISTS (SELECT 1 FROM crisis_superseded s "
		"   WHERE s.field = w.field AND s.hlc = w.hlc AND s.device = w.device), 'false', 'true')))) "
		"   FROM (SELECT * FROM crisis_writes WHERE crisis IN " COMPONENT("?1") " ORDER BY field, hlc, device) w), "
		" 'interventions', (SELECT json_group_array(json_object('type', type, 'at', at, 'detail', detail, "
		"   'hlc', hlc, 'device', device)) FROM (SELECT * FROM crisis_interventions WHERE crisis IN "
		COMPONENT("?1") " ORDER BY at, hlc, device)), "
		" 'screens', (SELECT json_group_array(json_object('instrument', instrument, 'answers', json(answers), "
		"   'level', level, 'hlc', hlc, 'device', device)) FROM (SELECT * FROM crisis_screens WHERE crisis IN "
		COMPONENT("?1") " ORDER BY hlc, device)))) FROM crises c WHERE c.entity = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	return cairn__query_text(j, st, out, "{}");
}

/* ---- due list ---- */

/* Due by the end of local day today + horizon: the instant is computed once, and the partial index on
 * open follow-ups keeps the scan to crises whose follow-up is not done. */
static int crisis_due(cairn_journal *j, const char *today, int horizon_days, json_t *items)
{
	int64_t limit = cairn__crisis_local_midnight(today, horizon_days + 1);
	char before[21];
	sqlite3_stmt *st;
	int rc;
	cairn__crisis_iso(before, limit - 3600); /* the shortest follow-up is an hour */
	rc = cairn__prepare(j, &st,
	                    "SELECT " CAIRN__CANON("contact") ", received, entity, followup_to, followup_hours FROM crises "
	                    "WHERE followup_done IS NULL AND received IS NOT NULL AND received < ?1 "
	                    "ORDER BY received, entity");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, before, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *to = (const char *)sqlite3_column_text(st, 3), *hours = (const char *)sqlite3_column_text(st, 4);
		int64_t due = cairn__crisis_time((const char *)sqlite3_column_text(st, 1)) + 3600 * (hours ? atol(hours) : 24);
		time_t t = (time_t)due;
		struct tm tm;
		char date[11];
		if (due >= limit)
			continue;
		localtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		json_t *it = json_pack("{s:s?,s:s,s:s,s:s,s:b}", "contact", (const char *)sqlite3_column_text(st, 0),
		                       "what", "crisis follow-up", "due", date, "ref", (const char *)sqlite3_column_text(st, 2),
		                       "overdue", strcmp(date, today) < 0);
		if (it && to)
			json_object_set_new(it, "to", json_string(to));
		if (!it || json_array_append_new(items, it)) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "listing crisis follow-ups");
}

/* ---- the module ---- */

static const cairn__kind crisis_kinds[] = {
	{"crisis.open", apply_open},   {"crisis.join", apply_join},
	{"crisis.set", apply_set},     {"crisis.link", apply_link},
	{"crisis.intervention", apply_intervention}, {"crisis.screen", apply_screen},
};

static const char *const crisis_tables[] = {
	"crisis_opens", "crisis_writes", "crisis_superseded",    "crisis_edges",  "crisis_canon",
	"crises",       "crisis_review", "crisis_interventions", "crisis_screens",
};

static const char *const crisis_digest[] = {
	"SELECT 'crisis_opens', crisis, hlc, device, role, joinp FROM crisis_opens ORDER BY crisis, hlc, device",
	"SELECT 'crisis_writes', crisis, field, value, hlc, device FROM crisis_writes "
	"ORDER BY crisis, field, hlc, device",
	"SELECT 'crisis_superseded', field, hlc, device FROM crisis_superseded ORDER BY field, hlc, device",
	"SELECT 'crisis_edges', a, b FROM crisis_edges ORDER BY a, b",
	"SELECT 'crisis_canon', entity, canon FROM crisis_canon ORDER BY entity",
	"SELECT 'crises', entity, received, dispatched, arrived, cleared, source, location, disposition, police, "
	"contact, team, followup_hours, followup_to, followup_done, followup_result, review FROM crises "
	"ORDER BY entity",
	"SELECT 'crisis_review', crisis, field FROM crisis_review ORDER BY crisis, field",
	"SELECT 'crisis_interventions', crisis, hlc, device, type, at, detail FROM crisis_interventions "
	"ORDER BY crisis, hlc, device",
	"SELECT 'crisis_screens', crisis, hlc, device, instrument, answers, level FROM crisis_screens "
	"ORDER BY crisis, hlc, device",
};

const cairn__module cairn__module_crisis = {
	"crisis",      crisis_kinds,  CAIRN__COUNT(crisis_kinds), crisis_tables, CAIRN__COUNT(crisis_tables),
	crisis_digest, CAIRN__COUNT(crisis_digest), cairn__crisis_report, crisis_due,
};
