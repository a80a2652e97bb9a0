/*
 * cells.c — small-cell suppression of the program report (cairn_report_min_cell). A report leaves the
 * program (funders, the county, the grant system); a count of 1 in a one-day or one-team report tells
 * whoever knows who was seen that day a 42 CFR Part 2 fact. So every count of people or events from 1 to
 * min_cell - 1 is hidden, and so is every cell from which a hidden count could be worked out.
 *
 * Each section's columns have a role (the table below; README "Reports" says the same to readers):
 *   l  a label, or a number that counts no people or events (the resource directory): shown;
 *   c  a count in an additive column: the rows add up to a total the reader may know (another section,
 *      the same report for a wider period...);
 *   s  a count in a column whose rows do not add up (people seen per kind: one person, several kinds);
 *   T  a row's total, and p its parts (the parts add up to it): counts, additive down their columns too;
 *   d  derived from the row's counts (a rate, mean, median, sum of minutes): hidden with any count of
 *      its row.
 * A section missing from the table is treated by its cells: integers as c, reals as d, the rest as l.
 *
 * The rules, applied until nothing changes:
 *  1. primary: a count from 1 to min_cell - 1 is hidden (zero is shown: it reveals nobody);
 *  2. complementary, per group of counts whose sum the reader may know (each c/T/p column; the parts of
 *     each row with a total): once a cell of the group is hidden, at least two must be, together at
 *     least min_cell, so subtraction recovers neither; the next smallest non-zero shown cell of the group
 *     is hidden until that holds; when a row's parts run out, its total is hidden instead;
 *  3. a d cell is hidden when any count in its row is;
 *  4. a same-row relation (row_relations: a cell bounded by the difference of two others) hides another
 *     count of the row with it, and rules 2 to 4 run again;
 *  5. after every section: a figure a writer worked out from another section's counts (derived) is
 *     hidden when any cell of that section is.
 * Every hidden cell shows the same marker, whatever the rule: a reader cannot tell a primary cell from
 * a complementary one (with "<11" for primaries only, a complementary cell would be known to be 11 or
 * more, which can pin a primary down). Percentages a writer computes from counts it does not show
 * (crisis.summary) go through cairn__report_share instead.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#define MARK CAIRN__REPORT_MARK

static const struct {
	const char *id, *roles;
} section_roles[] = {
        {"contacts", "ls"},           {"encounters", "lcsd"},         {"referrals.category", "lTppp"},
        {"referrals.funnel", "lscd"}, {"caseload", "lscc"},           {"assessments.trend", "lcsdds"},
        {"audit.views", "lcs"},       {"consents.status", "lc"},      {"disclosures.channel", "lcc"},
        {"goals.domain", "lTppp"},    {"groups.attendance", "ccc"},   {"plans.type", "lscs"},
        {"resources.category", "ll"}, {"supervision.signoff", "Tpp"}, {"gpra.followup", "lTpppppd"},
        {"crisis.summary", "ls"},     {"crisis.source", "lcd"},       {"crisis.disposition", "lcd"},
        {"crisis.response", "lsdd"},  {"crisis.arrival", "lc"},       {"crisis.followup", "lcd"},
};

/*
 * Same-row relations a reader can use: when column `hidden` of a row is hidden, column `also` is hidden
 * too. assessments.trend: assessments = people + repeat assessments, and "people assessed twice or more"
 * is at most the repeats (exactly 1 when assessments - people is 1), so a hidden last column hides the
 * row's assessments (a count of its column: complementary suppression follows).
 */
static const struct {
	const char *id;
	size_t hidden, also;
} row_relations[] = {
        {"assessments.trend", 5, 1},
};

/*
 * Figures of one section worked out from the counts of another (the writer computed them before
 * suppression): the value of the row labelled `label` in section `id` is hidden when any cell of section
 * `from` is. crisis.summary: "resolved in the community %" x "events with a disposition %" x events gives
 * the sum of the community rows of crisis.disposition, and "events with a disposition %" x events gives
 * the events with a disposition (events minus the "not recorded" row): with one of those rows hidden,
 * either figure and the shown rows pin it down.
 */
static const struct {
	const char *id, *label, *from;
} derived[] = {
        {"crisis.summary", "resolved in the community %", "crisis.disposition"},
        {"crisis.summary", "events with a disposition %", "crisis.disposition"},
};

const char *cairn__report_roles(const char *id)
{
	for (size_t i = 0; id && i < CAIRN__COUNT(section_roles); i++)
		if (!strcmp(section_roles[i].id, id))
			return section_roles[i].roles;
	return NULL;
}

json_t *cairn__report_share(const cairn__report_range *r, json_int_t n, json_int_t d)
{
	json_int_t m = r->min_cell, rest = d - n;
	if (!d)
		return json_null();
	if (m > 1 && ((n > 0 && n < m) || (d > 0 && d < m) || (rest > 0 && rest < m)))
		return json_string(MARK);
	return json_real((double)(long long)(1000.0 * (double)n / (double)d + 0.5) / 10.0);
}

/* One section's cells: role, value and state, row-major. */
struct grid {
	size_t nrows, ncols;
	char *role;       /* per cell: l c s T p d */
	json_int_t *val;  /* counts only */
	unsigned char *h; /* hidden */
};

static int is_count(char role) { return role == 'c' || role == 's' || role == 'T' || role == 'p'; }

/*
 * Rule 2 for one group (`n` cell indexes into g, `fallback` a cell to hide when the group runs out, or
 * -1). Returns 1 when it hid a cell.
 */
static int complete(struct grid *g, const size_t *cells, size_t n, long fallback, json_int_t min)
{
	size_t hidden = 0, pick = 0;
	json_int_t sum = 0, best = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = cells[i];
		if (g->h[k]) {
			hidden++;
			sum += g->val[k];
		} else if (g->val[k] > 0 && (!best || g->val[k] < best)) {
			best = g->val[k];
			pick = k;
		}
	}
	if (!hidden || (hidden >= 2 && sum >= min))
		return 0;
	if (best) {
		g->h[pick] = 1;
		return 1;
	}
	if (fallback >= 0 && !g->h[fallback]) {
		g->h[fallback] = 1;
		return 1;
	}
	return 0;
}

/* Rules 2 over every group of the grid, once. Returns 1 when any cell was hidden. */
static int complete_all(struct grid *g, size_t *cells, json_int_t min)
{
	int changed = 0;
	for (size_t c = 0; c < g->ncols; c++) {
		size_t n = 0;
		for (size_t r = 0; r < g->nrows; r++) {
			size_t k = r * g->ncols + c;
			if (is_count(g->role[k]) && g->role[k] != 's')
				cells[n++] = k;
		}
		changed |= complete(g, cells, n, -1, min);
	}
	for (size_t r = 0; r < g->nrows; r++) {
		size_t n = 0;
		long total = -1;
		for (size_t c = 0; c < g->ncols; c++) {
			size_t k = r * g->ncols + c;
			if (g->role[k] == 'p')
				cells[n++] = k;
			else if (g->role[k] == 'T')
				total = (long)k;
		}
		if (total >= 0)
			changed |= complete(g, cells, n, total, min);
	}
	return changed;
}

/* The row relations of section `id` (row_relations) over the grid, once. Returns 1 when any cell was hidden. */
static int relate_all(struct grid *g, const char *id)
{
	int changed = 0;
	for (size_t i = 0; id && i < CAIRN__COUNT(row_relations); i++) {
		if (strcmp(row_relations[i].id, id) || row_relations[i].hidden >= g->ncols ||
		    row_relations[i].also >= g->ncols)
			continue;
		for (size_t r = 0; r < g->nrows; r++) {
			size_t h = r * g->ncols + row_relations[i].hidden, a = r * g->ncols + row_relations[i].also;
			if (g->h[h] && !g->h[a] && is_count(g->role[a]) && g->val[a]) {
				g->h[a] = 1;
				changed = 1;
			}
		}
	}
	return changed;
}

/* The role of cell `v` in a column whose declared role is `r` (0: none declared). */
static char role_of(char r, const json_t *v)
{
	if (!r || r == '?')
		r = json_is_integer(v) ? 'c' : json_is_real(v) ? 'd' : 'l';
	/* A count column's cell that holds no count (a writer's own share, a null) is left as it is. */
	if (is_count(r) && !json_is_integer(v))
		return 'l';
	return r;
}

/* Suppress one section in place. */
static int suppress_section(json_t *s, json_int_t min)
{
	json_t *rows = json_object_get(s, "rows"), *row;
	const char *roles = cairn__report_roles(json_string_value(json_object_get(s, "id")));
	struct grid g = {json_array_size(rows), json_array_size(json_object_get(s, "columns")), NULL, NULL, NULL};
	size_t cells = g.nrows * g.ncols, r, *scratch;
	int rc = 0;
	if (!cells)
		return 0;
	g.role = calloc(cells, 1);
	g.val = calloc(cells, sizeof(*g.val));
	g.h = calloc(cells, 1);
	scratch = calloc(g.nrows > g.ncols ? g.nrows : g.ncols, sizeof(*scratch));
	if (!g.role || !g.val || !g.h || !scratch) {
		rc = cairn__error(CAIRN_ENOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(rows, r, row) for (size_t c = 0; c < g.ncols; c++)
	{
		size_t k = r * g.ncols + c;
		json_t *v = json_array_get(row, c);
		g.role[k] = role_of(roles && c < strlen(roles) ? roles[c] : 0, v);
		if (is_count(g.role[k])) {
			g.val[k] = json_integer_value(v);
			g.h[k] = g.val[k] > 0 && g.val[k] < min; /* rule 1 */
		}
	}
	while (complete_all(&g, scratch, min) | relate_all(&g, json_string_value(json_object_get(s, "id"))))
		;
	for (r = 0; r < g.nrows; r++) {
		int any = 0;
		for (size_t c = 0; c < g.ncols; c++)
			any |= g.h[r * g.ncols + c];
		for (size_t c = 0; c < g.ncols && any; c++)
			if (g.role[r * g.ncols + c] == 'd' && !json_is_null(json_array_get(json_array_get(rows, r), c)))
				g.h[r * g.ncols + c] = 1; /* rule 3 */
	}
	for (size_t k = 0; k < cells; k++)
		if (g.h[k])
			json_array_set_new(json_array_get(rows, k / g.ncols), k % g.ncols, json_string(MARK));
out:
	free(g.role);
	free(g.val);
	free(g.h);
	free(scratch);
	return rc;
}

static int text_is(const json_t *v, const char *text)
{
	return json_is_string(v) && !strcmp(json_string_value(v), text);
}

static json_t *find_section(const json_t *sections, const char *id)
{
	json_t *s;
	size_t i;
	json_array_foreach(sections, i, s) if (text_is(json_object_get(s, "id"), id)) return s;
	return NULL;
}

static int any_marked(const json_t *s)
{
	const json_t *row, *v;
	size_t r, c;
	json_array_foreach(json_object_get(s, "rows"), r, row)
	        json_array_foreach(row, c, v) if (text_is(v, MARK)) return 1;
	return 0;
}

/* The derived figures (above) whose source section has a hidden cell. */
static void hide_derived(json_t *sections)
{
	json_t *s, *row;
	size_t r;
	for (size_t i = 0; i < CAIRN__COUNT(derived); i++) {
		const json_t *from = find_section(sections, derived[i].from);
		if (!from || !any_marked(from) || !(s = find_section(sections, derived[i].id)))
			continue;
		json_array_foreach(json_object_get(s, "rows"), r,
		                   row) if (text_is(json_array_get(row, 0), derived[i].label) &&
		                            !json_is_null(json_array_get(row, 1)))
		        json_array_set_new(row, 1, json_string(MARK));
	}
}

/* How many cells of `sections` show the marker (the writers' own shares too). */
static json_int_t marked(const json_t *sections)
{
	const json_t *s, *row, *v;
	json_int_t n = 0;
	size_t i, r, c;
	json_array_foreach(sections, i, s) json_array_foreach(json_object_get(s, "rows"), r, row)
	        json_array_foreach(row, c, v) n += text_is(v, MARK);
	return n;
}

int cairn__report_suppress(json_t *doc, json_int_t min)
{
	json_t *s, *note;
	size_t i;
	int rc;
	if (min <= 1) {
		note = json_pack("{s:i,s:s}", "min_cell", 0, "note",
		                 "NOT SUPPRESSED: small counts are shown as they are. For use inside the program only: "
		                 "this report can identify people (42 CFR Part 2); do not release it.");
	} else {
		json_array_foreach(json_object_get(doc, "sections"), i,
		                   s) if ((rc = suppress_section(s, min))) return rc;
		hide_derived(json_object_get(doc, "sections"));
		char text[320];
		snprintf(
		        text, sizeof(text),
		        "Small cells suppressed: a count from 1 to %lld, and every cell from which one could be worked "
		        "out (another count of its row or column, a total, a rate or a median), shows as %s. Zero is "
		        "shown.",
		        (long long)min - 1, MARK);
		note = json_pack("{s:I,s:s,s:I,s:s}", "min_cell", min, "marker", MARK, "cells",
		                 marked(json_object_get(doc, "sections")), "note", text);
	}
	if (!note || json_object_set_new(doc, "suppression", note))
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	return 0;
}
