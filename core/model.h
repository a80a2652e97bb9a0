/*
 * model.h — the seam between the journal and the record kinds (internal).
 *
 * Each family of records (contacts/notes/referrals in apply.c and records.c; goals, plans, consents,
 * crisis events, ... in their own files) is one cairn__module: the event kinds it applies, the
 * materialized tables it owns (cleared when the state is rebuilt) and the canonical queries that feed
 * the state digest. catalog.c lists the modules. Adding a family means adding a module there and a
 * migration in schema/; nothing in apply.c, digest.c or rotate.c changes.
 *
 * Apply functions must keep apply.c's invariants: idempotent, order-independent (derived rows are
 * recomputed from all rows of their key), and tolerant of events that arrive before what they name.
 */
#ifndef CAIRN_MODEL_H
#define CAIRN_MODEL_H

#include "error.h"
#include "journal.h"

#include <jansson.h>

typedef int (*cairn__apply_fn)(cairn_journal *j, const cairn_event *ev, json_t *body);

typedef struct {
	const char *kind; /* e.g. "goal.set" */
	cairn__apply_fn fn;
} cairn__kind;

/* The period and scope of a report (cairn_report). Dates are YYYY-MM-DD, inclusive. */
typedef struct {
	const char *from, *to;
	const char *team;  /* a team id (hex) or NULL for every team */
	const char *today; /* YYYY-MM-DD: "now" for ages, due dates and expiries */
	int min_cell;      /* counts from 1 to min_cell - 1 are suppressed (cells.c); 0 or 1: none */
} cairn__report_range;

/*
 * A report section writer appends sections to the JSON array `sections`, each
 *   {"id": "referrals.funnel", "title": "Referrals: status funnel",
 *    "columns": ["state", "referrals", "median days"], "rows": [["requested", 12, 3.5], ...],
 *    "chart": {"type": "bar", "label": 0, "value": 1}}          (chart optional; column indexes)
 * Cells are strings, integers, reals or null. Sections never carry names, notes or phone numbers
 * unless r->identities asks for them (a disclosure, see consent rules).
 */
typedef int (*cairn__report_fn)(cairn_journal *j, const cairn__report_range *r, json_t *sections);

/*
 * Helpers for report writers (report.c). While a report runs, temp.report_devices lists the devices in
 * its scope (a team's, or all): count a row only when CAIRN__IN_SCOPE(its authoring device column).
 * CAIRN__HLC_DATE: the UTC date (YYYY-MM-DD) of a hybrid logical clock value.
 */
#define CAIRN__IN_SCOPE(dev) "(" dev " IN (SELECT device FROM temp.report_devices))"
#define CAIRN__HLC_DATE(h) "date((" h " >> 16) / 1000, 'unixepoch')"
/* A new section {"id","title","columns","rows":[]} with a bar chart of (label, value) columns (-1: none). */
json_t *cairn__report_section(const char *id, const char *title, const char *const *columns, size_t ncols,
                              int chart_label, int chart_value);
/* Append one row per result row of `sql` (?1 from, ?2 to, ?3 today bound) to `section`, then append the
 * section to `sections`. Takes ownership of `section` (NULL: out of memory). */
int cairn__report_sql(cairn_journal *j, const cairn__report_range *r, json_t *sections, json_t *section,
                      const char *sql);

/*
 * Small-cell suppression (cells.c). cairn__report_roles: the role of each column of section `id` ("lcsTpd",
 * see cells.c), NULL for a section it does not know (then judged by its cells). cairn__report_share: the
 * percentage n / d (0.1), null when d is 0, the suppression marker when n, d or d - n is from 1 to
 * r->min_cell - 1: for a writer's percentages of counts it does not show. cairn__report_suppress: hide
 * the small cells of every section of `doc` and set doc.suppression (min <= 1: none, and says so).
 */
#define CAIRN__REPORT_MARK "*"  /* what a hidden cell shows */
#define CAIRN__MIN_CELL_FLOOR 5 /* the lowest threshold that suppresses (2 to 4 are refused) */
const char *cairn__report_roles(const char *id);
json_t *cairn__report_share(const cairn__report_range *r, json_int_t n, json_int_t d);
int cairn__report_suppress(json_t *doc, json_int_t min);

/*
 * A due-list writer appends items to the JSON array `items`, each
 *   {"contact": id, "what": "barc10 follow-up", "due": "YYYY-MM-DD", "ref": id-or-null,
 *    "overdue": bool}
 * for everything due by `today` + `horizon_days`.
 */
typedef int (*cairn__due_fn)(cairn_journal *j, const char *today, int horizon_days, json_t *items);

typedef struct {
	const char *name;
	const cairn__kind *kinds;
	size_t nkinds;
	const char *const *tables; /* materialized tables (incl. search indexes) this module fills */
	size_t ntables;
	const char *const *digest; /* "SELECT 'table', col, ... FROM table ORDER BY <primary key>" */
	size_t ndigest;
	cairn__report_fn report; /* may be NULL */
	cairn__due_fn due;       /* may be NULL */
} cairn__module;

#define CAIRN__COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* NULL-terminated, in a fixed order (the digest depends on it). */
extern const cairn__module *const cairn__modules[];

/* ---- helpers for apply functions (apply.c) ---- */

/* CAIRN_EINVAL naming the event: "event <dev>/<seq> (<kind>) is malformed: <what>". */
int cairn__apply_bad(const cairn_event *ev, const char *what);
/* Step a statement to DONE and release it; a failure maps through cairn__sqlerr with `what`. */
int cairn__step_done(cairn_journal *j, sqlite3_stmt *st, const char *what);
/* Bind a JSON string member, or NULL when it is absent or not a string. */
void cairn__bind_json_str(sqlite3_stmt *st, int i, json_t *v);

/* ---- helpers for the domain API (records.c): validation at the edge where a person typed ---- */

int cairn__in_list(const char *s, const char *const *list, size_t n);
void cairn__today(char out[11]);
/* Parse a JSON object (NULL text: "{}"); NULL with CAIRN_EINVAL set otherwise. Caller decrefs. */
json_t *cairn__parse_object(const char *json, const char *what);
/* Optional / required string member: type, length and, when `list` is given, membership. */
int cairn__opt_str(json_t *o, const char *key, const char *const *list, size_t n, size_t max);
int cairn__req_str(json_t *o, const char *key, const char *const *list, size_t n, size_t max);
/* Default the date member to today, or check it is a real YYYY-MM-DD date. */
int cairn__date_member(json_t *o, const char *key);
/* The same for the date something happened (a note, a signature, a revocation): not after today. */
int cairn__past_date_member(json_t *o, const char *key);
/* Append `body` (serialized canonically) as a local event. */
int cairn__append_json(cairn_journal *j, const char *kind, const char *entity, json_t *body, cairn_event_info *info);
/* Does a row with entity = id exist in `table`? 1 yes, 0 no, <0 error. */
int cairn__exists(cairn_journal *j, const char *table, const char *id);
/* 0 when `id` is a well-formed id of an existing `type` record in `table`; EINVAL/ENOTFOUND otherwise. */
int cairn__need(cairn_journal *j, const char *table, const char *type, const char *id);

/* Merge groups (records.c): the surviving id of `id`'s person (itself when unmerged). */
int cairn__canon_of(cairn_journal *j, const char *id, char out[CAIRN_ID_LEN]);

/*
 * Two creation events naming one entity (a buggy or hostile device reusing an id) must not leave the row
 * to whichever arrived first: the smallest (hlc, device) wins on every replica (apply.c invariant 2).
 * Appended to "INSERT INTO table (entity, ..., hlc, device) VALUES (...)"; `columns` sets the others.
 */
#define CAIRN__FIRST_WRITER_WINS(table, columns)                                                    \
	"ON CONFLICT (entity) DO UPDATE SET hlc = excluded.hlc, device = excluded.device, " columns \
	" WHERE (excluded.hlc, excluded.device) < (" table ".hlc, " table ".device)"

#define CAIRN__MAX_TEXT (64 * 1024)
#define CAIRN__MAX_FIELD 1000

#endif
