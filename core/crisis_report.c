/*
 * crisis_report.c — the crisis sections of `cairn report` (model.h report writer). Aggregates only.
 *
 * Definitions (docs/crisis.md says the same; tests/crisis/report_check.py recomputes each from its seed):
 *  - An event is in the period when the local date of its `received` stamp is in [from, to]; --team keeps
 *    events whose team is that team.
 *  - Intervals (received->dispatched, received->arrived, arrived->cleared) use events with both stamps and
 *    a non-negative difference, in minutes. Median and 90th percentile interpolate linearly between the
 *    closest ranks of the sorted values (position p * (n - 1), as numpy's default). Rounded to 0.1.
 *  - Resolved in the community: disposition stabilised-in-place, voluntary-transport, referral or
 *    crisis-stabilisation-unit, over events with a disposition (no ED, no custody, no involuntary hold).
 *  - Law-enforcement involvement: a police role other than "none", over all events.
 *  - Follow-up: done at most 24 hours after `received`, after 24 and at most 48, after 48 and at most 72,
 *    or later or not done, over all events. Disjoint rows that add up to the events (crisis.summary): a
 *    reader could subtract cumulative rows (within 24, 48, 72 h) and get a small count never hidden.
 *  - Response intervals: the events an interval counts are hidden, with its median and p90, when the
 *    events it leaves out (crisis.summary events minus them) are a small count; for received to arrived,
 *    so are the non-zero rows of the arrival histogram, which add up to those events.
 *  - Percentages are rounded to 0.1; a percentage over nothing is null; a percentage whose numerator,
 *    denominator or their difference is a small count shows the suppression marker (cells.c).
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "crisis.h"

#include <stdlib.h>
#include <string.h>

static const char *const sources[] = {"988", "911", "walk-in", "self", "family", "police", "other"};
static const char *const dispositions[] = {"stabilised-in-place",       "voluntary-transport",
                                           "involuntary-hold",          "emergency-department",
                                           "crisis-stabilisation-unit", "referral",
                                           "police-custody",            "other"};
static const char *const community[] = {"stabilised-in-place", "voluntary-transport", "referral",
                                        "crisis-stabilisation-unit"};
static const int buckets[] = {10, 20, 30, 45, 60, 90}; /* received->arrived histogram edges, minutes */
static const int followup_hours[] = {24, 48, 72};

#define NSRC CAIRN__COUNT(sources)
#define NDISP CAIRN__COUNT(dispositions)
#define NBUCKET (CAIRN__COUNT(buckets) + 1)

struct series {
	double *v;
	size_t n, cap;
};

struct tally {
	size_t events, with_disp, in_community, police, review;
	size_t by_source[NSRC + 1], by_disp[NDISP + 1]; /* last: none recorded */
	size_t followup[CAIRN__COUNT(followup_hours) + 1]; /* disjoint; last: later or not done */
	size_t hist[NBUCKET];
	struct series iv[3]; /* received->dispatched, received->arrived, arrived->cleared (minutes) */
};

static int push(struct series *s, double x)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		double *p = realloc(s->v, cap * sizeof(*p));
		if (!p)
			return cairn__error(CAIRN_ENOMEM, "out of memory");
		s->v = p;
		s->cap = cap;
	}
	s->v[s->n++] = x;
	return 0;
}

static size_t index_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, list[i]))
			return i;
	return n;
}

/* Minutes from stamp a to stamp b, or -1 when either is missing or b is before a. */
static double minutes(const unsigned char *a, const unsigned char *b)
{
	int64_t ta = cairn__crisis_time((const char *)a), tb = cairn__crisis_time((const char *)b);
	return ta < 0 || tb < 0 || tb < ta ? -1 : (double)(tb - ta) / 60.0;
}

static int add_row(struct tally *t, sqlite3_stmt *st)
{
	const unsigned char *rec = sqlite3_column_text(st, 0), *dis = sqlite3_column_text(st, 1),
	                    *arr = sqlite3_column_text(st, 2), *clr = sqlite3_column_text(st, 3),
	                    *disp = sqlite3_column_text(st, 5), *pol = sqlite3_column_text(st, 6),
	                    *done = sqlite3_column_text(st, 7);
	double m[3] = {minutes(rec, dis), minutes(rec, arr), minutes(arr, clr)};
	int rc;
	t->events++;
	t->by_source[index_of((const char *)sqlite3_column_text(st, 4), sources, NSRC)]++;
	t->by_disp[index_of((const char *)disp, dispositions, NDISP)]++;
	if (disp) {
		t->with_disp++;
		t->in_community += index_of((const char *)disp, community, CAIRN__COUNT(community)) <
		                   CAIRN__COUNT(community);
	}
	t->police += pol && strcmp((const char *)pol, "none");
	t->review += sqlite3_column_int(st, 8) > 0;
	double f = minutes(rec, done);
	size_t fb = 0;
	while (fb < CAIRN__COUNT(followup_hours) && !(f >= 0 && f <= followup_hours[fb] * 60.0))
		fb++;
	t->followup[fb]++;
	for (int i = 0; i < 3; i++)
		if (m[i] >= 0 && (rc = push(&t->iv[i], m[i])))
			return rc;
	if (m[1] >= 0) {
		size_t b = 0;
		while (b < CAIRN__COUNT(buckets) && m[1] >= buckets[b])
			b++;
		t->hist[b]++;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Half away from zero, for the non-negative values here (no libm in core). */
static double round1(double x) { return (double)(long long)(x * 10.0 + 0.5) / 10.0; }

/* Linear interpolation between closest ranks (the series must be sorted). */
static json_t *quantile(const struct series *s, double p)
{
	if (!s->n)
		return json_null();
	double pos = p * (double)(s->n - 1);
	size_t lo = (size_t)pos, hi = lo + 1 < s->n ? lo + 1 : lo;
	return json_real(round1(s->v[lo] + (s->v[hi] - s->v[lo]) * (pos - (double)lo)));
}

/* n / d in %, suppressed when n, d or d - n is a small count (cells.c): the counts are not all shown. */
static json_t *percent(const cairn__report_range *r, size_t n, size_t d)
{
	return cairn__report_share(r, (json_int_t)n, (json_int_t)d);
}

static int section(json_t *sections, const char *id, const char *title, json_t *columns, json_t *rows,
                   json_t *chart)
{
	json_t *s = json_pack("{s:s,s:s,s:o,s:o}", "id", id, "title", title, "columns", columns, "rows", rows);
	if (s && chart)
		json_object_set_new(s, "chart", chart);
	if (!s || json_array_append_new(sections, s))
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	return 0;
}

static int write_sections(const cairn__report_range *r, const struct tally *t, json_t *sections)
{
	static const char *const intervals[] = {"received to dispatched", "received to arrived",
	                                        "arrived to cleared"};
	json_t *rows;
	char label[32];
	int rc, hide_arrival = 0; /* the arrival histogram adds up to the received-to-arrived events */

	rows = json_pack("[[s,I],[s,o],[s,o],[s,o],[s,I]]", "events", (json_int_t)t->events,
	                 "resolved in the community %", percent(r, t->in_community, t->with_disp),
	                 "law enforcement involved %", percent(r, t->police, t->events), "events with a disposition %",
	                 percent(r, t->with_disp, t->events), "events with values under review", (json_int_t)t->review);
	if ((rc = section(sections, "crisis.summary", "Crisis events: summary", json_pack("[ss]", "measure", "value"),
	                  rows, NULL)))
		return rc;

	rows = json_array();
	for (size_t i = 0; i <= NSRC; i++)
		if (i < NSRC || t->by_source[i])
			json_array_append_new(rows, json_pack("[sIo]", i < NSRC ? sources[i] : "not recorded",
			                                       (json_int_t)t->by_source[i], percent(r, t->by_source[i], t->events)));
	if ((rc = section(sections, "crisis.source", "Crisis events by source", json_pack("[sss]", "source", "events", "%"),
	                  rows, json_pack("{s:s,s:i,s:i}", "type", "bar", "label", 0, "value", 1))))
		return rc;

	rows = json_array();
	for (size_t i = 0; i <= NDISP; i++)
		if (i < NDISP || t->by_disp[i])
			json_array_append_new(rows, json_pack("[sIo]", i < NDISP ? dispositions[i] : "not recorded",
			                                       (json_int_t)t->by_disp[i], percent(r, t->by_disp[i], t->events)));
	if ((rc = section(sections, "crisis.disposition", "Crisis events by disposition",
	                  json_pack("[sss]", "disposition", "events", "%"), rows,
	                  json_pack("{s:s,s:i,s:i}", "type", "bar", "label", 0, "value", 1))))
		return rc;

	rows = json_array();
	for (int i = 0; i < 3; i++) {
		size_t left = t->events - t->iv[i].n; /* events without both stamps: a count (see above) */
		int hide = r->min_cell > 1 && left > 0 && left < (size_t)r->min_cell;
		hide_arrival |= hide && i == 1;
		if (hide)
			json_array_append_new(rows, json_pack("[ssss]", intervals[i], CAIRN__REPORT_MARK, CAIRN__REPORT_MARK,
			                                       CAIRN__REPORT_MARK));
		else
			json_array_append_new(rows, json_pack("[sIoo]", intervals[i], (json_int_t)t->iv[i].n,
			                                      quantile(&t->iv[i], 0.5), quantile(&t->iv[i], 0.9)));
	}
	if ((rc = section(sections, "crisis.response", "Crisis response times (minutes)",
	                  json_pack("[ssss]", "interval", "events", "median", "p90"), rows, NULL)))
		return rc;

	rows = json_array();
	for (size_t b = 0; b < NBUCKET; b++) {
		if (b == 0)
			snprintf(label, sizeof(label), "under %d", buckets[0]);
		else if (b < CAIRN__COUNT(buckets))
			snprintf(label, sizeof(label), "%d to %d", buckets[b - 1], buckets[b]);
		else
			snprintf(label, sizeof(label), "%d or more", buckets[b - 1]);
		json_array_append_new(rows, hide_arrival && t->hist[b]
		                                    ? json_pack("[ss]", label, CAIRN__REPORT_MARK)
		                                    : json_pack("[sI]", label, (json_int_t)t->hist[b]));
	}
	if ((rc = section(sections, "crisis.arrival", "Minutes from call received to arrival",
	                  json_pack("[ss]", "minutes", "events"), rows,
	                  json_pack("{s:s,s:i,s:i}", "type", "bar", "label", 0, "value", 1))))
		return rc;

	rows = json_array();
	for (size_t i = 0; i <= CAIRN__COUNT(followup_hours); i++) {
		if (!i)
			snprintf(label, sizeof(label), "within %d h", followup_hours[0]);
		else if (i < CAIRN__COUNT(followup_hours))
			snprintf(label, sizeof(label), "%d to %d h", followup_hours[i - 1], followup_hours[i]);
		else
			snprintf(label, sizeof(label), "later or not done");
		json_array_append_new(rows, json_pack("[sIo]", label, (json_int_t)t->followup[i],
		                                      percent(r, t->followup[i], t->events)));
	}
	return section(sections, "crisis.followup", "Crisis follow-ups by hours from the call",
	               json_pack("[sss]", "follow-up done", "events", "%"), rows, NULL);
}

int cairn__crisis_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	struct tally t;
	sqlite3_stmt *st;
	int rc;
	memset(&t, 0, sizeof(t));
	char lo[21], hi[21];
	/* Local dates [from, to] are the UTC instants [local midnight of from, local midnight after to): an
	 * index range on the UTC text, with no conversion per row. */
	cairn__crisis_iso(lo, cairn__crisis_local_midnight(r->from, 0));
	cairn__crisis_iso(hi, cairn__crisis_local_midnight(r->to, 1));
	rc = cairn__prepare(j, &st,
	                    "SELECT received, dispatched, arrived, cleared, source, disposition, police, followup_done, "
	                    "review FROM crises WHERE received >= ?1 AND received < ?2 AND EXISTS (SELECT 1 FROM (SELECT crisis, "
	                    "device FROM crisis_opens UNION ALL SELECT crisis, device FROM crisis_writes UNION ALL SELECT "
	                    "crisis, device FROM crisis_interventions) x WHERE (x.crisis = crises.entity OR x.crisis IN "
	                    "(SELECT k.entity FROM crisis_canon k WHERE k.canon = crises.entity)) AND "
	                    CAIRN__IN_SCOPE("x.device") ") "
	                    /* A crisis that names its responding team counts for that team only. */
	                    "AND (?3 IS NULL OR team IS NULL OR team = lower(?3))");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, lo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_TRANSIENT);
	if (r->team && strlen(r->team) == 32 && strspn(r->team, "0123456789abcdefABCDEF") == 32)
		sqlite3_bind_text(st, 3, r->team, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = add_row(&t, st)))
			break;
	cairn__finalize(j, st);
	if (rc == SQLITE_DONE) {
		for (int i = 0; i < 3; i++)
			if (t.iv[i].n) /* qsort(NULL, 0, ...) is undefined */
				qsort(t.iv[i].v, t.iv[i].n, sizeof(double), cmp_double);
		rc = write_sections(r, &t, sections);
	} else if (rc > 0) {
		rc = cairn__sqlerr(j, rc, "reading crisis events");
	}
	for (int i = 0; i < 3; i++)
		free(t.iv[i].v);
	return rc;
}
