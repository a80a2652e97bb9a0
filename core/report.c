/*
 * report.c — the program report (cairn_report): every module's report writer in catalog order, and the
 * core sections (contacts, encounters, referrals, caseload) as a module with no kinds of its own.
 *
 * Invariants:
 *  1. A report is aggregates only: counts, medians, device ids. No name, note, phone or free text of a
 *     record ever enters a section (categories and kinds are fixed vocabularies).
 *  2. A report reads one consistent state: every writer runs inside one read transaction.
 *  3. The scope (a team, or everyone) is the set of authoring devices in temp.report_devices, filled
 *     once per report; writers filter with CAIRN__IN_SCOPE (model.h), so a team's report counts what
 *     its own devices recorded.
 *  4. Small cells are suppressed (cells.c) after every writer ran, over the whole document: writers
 *     compute true figures; only a percentage of counts a writer does not show is suppressed by the
 *     writer itself (cairn__report_share).
 *
 * Definitions (what a number means; README "Reports" repeats them for readers of the report):
 *  - a person is a contact's surviving id (merged contacts count once); deleted people are not counted;
 *  - new: people whose first field write was made in the period (its UTC date) by a device in scope;
 *  - active: people with a note or a referral dated in the period, written by a device in scope;
 *  - notes and referrals entered in error (struck) are never counted;
 *  - funnel: referrals dated in the period that have a status event of each state (any generation), and
 *    the median days from the referral's date to the first such event.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "domain.h"
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A person who still exists (not deleted). */
#define ALIVE(e) "EXISTS (SELECT 1 FROM contacts p WHERE p.entity = " e " AND p.cl % 2 = 1)"
#define IN_RANGE(d) "(" d " BETWEEN ?1 AND ?2)"

static int date_check(const char *d, const char *what)
{
	if (!d || !cairn__date_valid(d))
		return cairn__error(CAIRN_EINVAL, "invalid date '%s' for %s (expected YYYY-MM-DD)", d ? d : "", what);
	return 0;
}

static json_t *cell_of(sqlite3_stmt *st, int c)
{
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_INTEGER: return json_integer((json_int_t)sqlite3_column_int64(st, c));
	case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, c));
	case SQLITE_NULL: return json_null();
	default: return json_string((const char *)sqlite3_column_text(st, c));
	}
}

json_t *cairn__report_section(const char *id, const char *title, const char *const *columns, size_t ncols,
                              int chart_label, int chart_value)
{
	json_t *cols = json_array(), *s;
	for (size_t i = 0; cols && i < ncols; i++)
		json_array_append_new(cols, json_string(columns[i]));
	s = json_pack("{s:s,s:s,s:o,s:[]}", "id", id, "title", title, "columns", cols, "rows");
	if (s && chart_label >= 0 && chart_value >= 0)
		json_object_set_new(s, "chart", json_pack("{s:s,s:i,s:i}", "type", "bar", "label", chart_label, "value",
		                                          chart_value));
	return s;
}

int cairn__report_sql(cairn_journal *j, const cairn__report_range *r, json_t *sections, json_t *section,
                      const char *sql)
{
	json_t *rows = json_object_get(section, "rows");
	sqlite3_stmt *st;
	int rc, n;
	if (!rows) {
		json_decref(section);
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	}
	if ((rc = cairn__prepare(j, &st, sql))) {
		json_decref(section);
		return rc;
	}
	sqlite3_bind_text(st, 1, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->today, -1, SQLITE_STATIC);
	n = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_array();
		for (int c = 0; c < n; c++)
			json_array_append_new(row, cell_of(st, c));
		json_array_append_new(rows, row);
	}
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE) {
		json_decref(section);
		return cairn__sqlerr(j, rc, "computing a report section");
	}
	return json_array_append_new(sections, section) ? cairn__error(CAIRN_ENOMEM, "out of memory") : 0;
}

/* ---- the core sections ---- */

static int contacts_section(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"measure", "people"};
	return cairn__report_sql(
		j, r, sections, cairn__report_section("contacts", "People: new and active", cols, 2, 0, 1),
		"SELECT 'new', count(*) FROM contacts c WHERE " CAIRN__CANON("c.entity") " = c.entity AND c.cl % 2 = 1 "
		" AND " IN_RANGE(CAIRN__HLC_DATE("c.created")) " AND EXISTS (SELECT 1 FROM contact_writes w "
		"  WHERE w.entity = c.entity AND w.hlc = c.created AND " CAIRN__IN_SCOPE("w.device") ") "
		"UNION ALL SELECT 'active', count(DISTINCT who) FROM ("
		" SELECT " CAIRN__CANON("n.contact") " AS who FROM notes n WHERE " IN_RANGE("n.date") " AND "
		CAIRN__NOTE_LIVE("n.entity") " AND " CAIRN__IN_SCOPE("n.device") " UNION ALL "
		" SELECT " CAIRN__CANON("f.contact") " FROM referrals f JOIN referral_state s ON s.referral = f.entity "
		" WHERE " IN_RANGE("f.date") " AND s.struck = 0 AND " CAIRN__IN_SCOPE("f.device") ") "
		"WHERE " ALIVE("who"));
}

static int encounters_section(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"kind", "notes", "people", "minutes"};
	return cairn__report_sql(
		j, r, sections, cairn__report_section("encounters", "Encounters by kind", cols, 4, 0, 1),
		"SELECT kind, count(*), count(DISTINCT " CAIRN__CANON("n.contact") "), coalesce(sum(minutes), 0) "
		"FROM notes n WHERE " IN_RANGE("n.date") " AND " CAIRN__NOTE_LIVE("n.entity") " AND "
		CAIRN__IN_SCOPE("n.device") " GROUP BY kind ORDER BY count(*) DESC, kind");
}

#define REFERRALS_JOIN "FROM referrals f JOIN referral_state s ON s.referral = f.entity "
#define REFERRALS_WHERE "WHERE " IN_RANGE("f.date") " AND s.struck = 0 AND " CAIRN__IN_SCOPE("f.device")
#define REFERRALS_IN_RANGE REFERRALS_JOIN REFERRALS_WHERE

static int categories_section(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"category", "referrals", "completed", "open", "closed otherwise"};
	return cairn__report_sql(
		j, r, sections,
		cairn__report_section("referrals.category", "Referrals by category", cols, 5, 0, 1),
		"SELECT category, count(*), sum(s.state = 'completed'), "
		" sum(s.state IN ('draft', 'requested', 'received', 'accepted', 'in-progress')), "
		" sum(s.state IN ('failed', 'rejected', 'cancelled')) " REFERRALS_IN_RANGE
		" GROUP BY category ORDER BY count(*) DESC, category");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of v[0..n), sorted in place; rounded to a tenth of a day. */
static double median(double *v, size_t n)
{
	double m;
	qsort(v, n, sizeof(*v), cmp_double);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return (double)(long long)(m * 10 + (m < 0 ? -0.5 : 0.5)) / 10;
}

/*
 * One row per state in funnel order: how many referrals of the period reached it, and the median days
 * from the referral's date to its first event of that state. The medians are computed here, not in SQL:
 * SQLite 3.40 has no percentile function.
 */
static int funnel_section(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const states[] = {"requested", "received", "accepted", "in-progress",
	                                     "completed", "failed",   "rejected", "cancelled"};
	static const char *const cols[] = {"state", "reached", "now in state", "median days"};
	json_t *sec = cairn__report_section("referrals.funnel", "Referrals: status funnel", cols, 4, 0, 1);
	json_t *rows = json_object_get(sec, "rows");
	sqlite3_stmt *st = NULL, *now = NULL;
	double *days = NULL;
	size_t cap = 0;
	int rc = 0;
	if (!rows) {
		rc = cairn__error(CAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = cairn__prepare(j, &st,
	                         "SELECT julianday((min(e.hlc) >> 16) / 1000.0, 'unixepoch') - julianday(f.date) "
	                         REFERRALS_JOIN "JOIN referral_events e ON e.referral = f.entity AND e.state = ?4 "
	                         REFERRALS_WHERE " GROUP BY f.entity")))
		goto out;
	if ((rc = cairn__prepare(j, &now, "SELECT count(*) " REFERRALS_IN_RANGE " AND s.state = ?4")))
		goto out;
	for (size_t i = 0; i < CAIRN__COUNT(states) && !rc; i++) {
		size_t n = 0;
		json_int_t current = 0;
		for (sqlite3_stmt *q = st; q; q = q == st ? now : NULL) {
			sqlite3_bind_text(q, 1, r->from, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, r->to, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 4, states[i], -1, SQLITE_STATIC);
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				double *p = realloc(days, (cap = cap ? 2 * cap : 256) * sizeof(*p));
				if (!p) {
					rc = cairn__error(CAIRN_ENOMEM, "out of memory");
					goto out;
				}
				days = p;
			}
			days[n++] = sqlite3_column_double(st, 0);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE || (rc = sqlite3_step(now)) != SQLITE_ROW) {
			rc = cairn__sqlerr(j, rc, "computing the referral funnel");
			goto out;
		}
		current = sqlite3_column_int64(now, 0);
		sqlite3_reset(now);
		json_array_append_new(rows, json_pack("[s,I,I,o]", states[i], (json_int_t)n, current,
		                                      n ? json_real(median(days, n)) : json_null()));
		rc = 0;
	}
out:
	if (st)
		cairn__finalize(j, st);
	if (now)
		cairn__finalize(j, now);
	free(days);
	if (rc) {
		json_decref(sec);
		return rc;
	}
	return json_array_append_new(sections, sec) ? cairn__error(CAIRN_ENOMEM, "out of memory") : 0;
}

static int caseload_section(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"worker (device)", "people", "notes", "referrals"};
	return cairn__report_sql(
		j, r, sections, cairn__report_section("caseload", "Caseload per worker", cols, 4, 0, 1),
		"SELECT device, count(DISTINCT who), sum(what = 'n'), sum(what = 'r') FROM ("
		" SELECT n.device AS device, " CAIRN__CANON("n.contact") " AS who, 'n' AS what FROM notes n "
		"  WHERE " IN_RANGE("n.date") " AND " CAIRN__NOTE_LIVE("n.entity") " AND " CAIRN__IN_SCOPE("n.device")
		" UNION ALL SELECT f.device, " CAIRN__CANON("f.contact") ", 'r' " REFERRALS_IN_RANGE ") "
		"WHERE " ALIVE("who") " GROUP BY device ORDER BY count(DISTINCT who) DESC, device");
}

static int core_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	int rc;
	if ((rc = contacts_section(j, r, sections)) || (rc = encounters_section(j, r, sections)) ||
	    (rc = categories_section(j, r, sections)) || (rc = funnel_section(j, r, sections)))
		return rc;
	return caseload_section(j, r, sections);
}

const cairn__module cairn__module_report = {
	"report", NULL, 0, NULL, 0, NULL, 0, core_report, NULL,
};

/* ---- the scope and the document ---- */

static int is_team_hex(const char *team)
{
	size_t n = strlen(team);
	return n == 2 * CAIRN_TEAM_BYTES && strspn(team, "0123456789abcdefABCDEF") == n;
}

/* A team named by its id (32 hex digits) or, at the office, by its name; `hex` receives the id. */
static int team_resolve(cairn_journal *j, const char *team, char hex[2 * CAIRN_TEAM_BYTES + 1])
{
	unsigned char id[CAIRN_TEAM_BYTES];
	int rc;
	if (is_team_hex(team)) {
		snprintf(hex, 2 * CAIRN_TEAM_BYTES + 1, "%s", team);
		return 0;
	}
	if (!*team || strlen(team) > 64)
		return cairn__error(CAIRN_EINVAL, "malformed team '%s' (expected a team name or %d hex digits)", team,
		                    2 * CAIRN_TEAM_BYTES);
	if ((rc = cairn_office_team_id(j, team, id)) == CAIRN_ENOTFOUND)
		return cairn__error(CAIRN_ENOTFOUND, "no team '%s' in this journal", team);
	for (int i = 0; !rc && i < CAIRN_TEAM_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	return rc;
}

/*
 * The devices whose records a report counts. Everyone: every device that wrote an event. A team: the
 * devices the roster puts in it (roster_devices, recorded by the sync engine each time this journal
 * adopts a verified roster, and by the office when it signs one), revoked ones included: what they
 * wrote before revocation is still their team's. Before any roster (join-file teams, no office) the
 * journal cannot know a device's team, so it approximates: the team's members this journal knows (join
 * file, itself) and, when this journal holds the key of no other team, every device whose events it
 * holds (segments of a team it has no key for are never read). Either way the team must be one whose
 * key this journal holds: a report of a team it cannot read would count nothing and look true.
 */
/* `hex` gets the team's id when `team` is given (by name or id): what the crisis team filter compares. */
static int fill_scope(cairn_journal *j, const char *team, char hex[2 * CAIRN_TEAM_BYTES + 1])
{
	sqlite3_stmt *st;
	int rc, only, roster;
	if ((rc = cairn__exec(j, "CREATE TEMP TABLE IF NOT EXISTS report_devices (device TEXT PRIMARY KEY); "
	                         "DELETE FROM temp.report_devices")))
		return rc;
	if (!team)
		return cairn__exec(j, "INSERT INTO temp.report_devices SELECT DISTINCT device FROM events");
	if ((rc = team_resolve(j, team, hex)))
		return rc;
	if ((rc = cairn__prepare(j, &st, "SELECT count(*) FILTER (WHERE lower(hex(team)) = lower(?1)), "
	                                 "count(DISTINCT team), EXISTS (SELECT 1 FROM roster_devices) FROM teams")))
		return rc;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	only = rc == SQLITE_ROW && sqlite3_column_int(st, 1) == 1;
	roster = rc == SQLITE_ROW && sqlite3_column_int(st, 2);
	if (rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 0)
		rc = SQLITE_DONE;
	cairn__finalize(j, st);
	if (rc == SQLITE_DONE)
		return cairn__error(CAIRN_ENOTFOUND, "no team '%s' in this journal", team);
	if (rc != SQLITE_ROW)
		return cairn__sqlerr(j, rc, "looking up a team");
	if ((rc = cairn__prepare(j, &st, roster ? "INSERT OR IGNORE INTO temp.report_devices SELECT device FROM "
	                                          "roster_devices WHERE lower(hex(team)) = lower(?3)"
	                                        : "INSERT OR IGNORE INTO temp.report_devices SELECT device FROM members "
	                                          "UNION SELECT ?1 UNION SELECT DISTINCT device FROM events WHERE ?2")))
		return rc;
	sqlite3_bind_text(st, 1, j->device, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, only);
	sqlite3_bind_text(st, 3, hex, -1, SQLITE_STATIC);
	return cairn__step_done(j, st, "listing a team's devices");
}

int cairn_report(cairn_journal *j, const char *from, const char *to, const char *team, char **out)
{
	return cairn_report_min_cell(j, from, to, team, CAIRN_REPORT_MIN_CELL, out);
}

int cairn_report_min_cell(cairn_journal *j, const char *from, const char *to, const char *team, int min_cell,
                          char **out)
{
	char today[11];
	cairn__report_range r = {from, to, team, today, min_cell};
	json_t *sections, *doc;
	int rc, own;
	*out = NULL;
	if (min_cell < 0 || min_cell > 1000)
		return cairn__error(CAIRN_EINVAL, "invalid small-cell threshold %d (0 to 1000; 0: no suppression)",
		                    min_cell);
	/* At 2 every hidden pair with a known sum of 2 is 1 and 1: a threshold this low protects nobody. */
	if (min_cell >= 2 && min_cell < CAIRN__MIN_CELL_FLOOR)
		return cairn__error(CAIRN_EINVAL,
		                    "small-cell threshold %d is too low to protect anyone (use %d or more, or 0 for "
		                    "an unsuppressed internal report)",
		                    min_cell, CAIRN__MIN_CELL_FLOOR);
	if ((rc = date_check(from, "--from")) || (rc = date_check(to, "--to")))
		return rc;
	if (strcmp(from, to) > 0)
		return cairn__error(CAIRN_EINVAL, "the period starts (%s) after it ends (%s)", from, to);
	cairn__today(today);
	if (!(sections = json_array()))
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	/* One read transaction (invariant 2); the temp table lives in memory (temp_store=MEMORY). */
	if ((rc = cairn__read_begin(j, &own))) {
		json_decref(sections);
		return rc;
	}
	/* The core sections first, then every other family's in catalog order. */
	char hex[2 * CAIRN_TEAM_BYTES + 1] = "";
	if (!(rc = fill_scope(j, team, hex))) {
		r.team = team ? hex : NULL; /* a team given by name filters crises like one given by id */
		rc = core_report(j, &r, sections);
	}
	for (size_t m = 0; !rc && cairn__modules[m]; m++)
		if (cairn__modules[m]->report && cairn__modules[m] != &cairn__module_report)
			rc = cairn__modules[m]->report(j, &r, sections);
	cairn__read_end(j, own);
	if (rc) {
		json_decref(sections);
		return rc;
	}
	doc = json_pack("{s:s,s:s,s:s?,s:s,s:o}", "from", from, "to", to, "team", team, "today", today, "sections",
	                sections);
	if (!doc)
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	if (!(rc = cairn__report_suppress(doc, min_cell)) && !(*out = json_dumps(doc, JSON_COMPACT)))
		rc = cairn__error(CAIRN_ENOMEM, "out of memory");
	json_decref(doc);
	return rc;
}
