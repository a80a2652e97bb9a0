/*
 * domain.h — helpers shared by the record families of issue 6 (goal.c, plan.c, consent.c, assess.c,
 * resource.c, group.c, audit.c, review.c, due.c). Internal.
 */
#ifndef CAIRN_DOMAIN_H
#define CAIRN_DOMAIN_H

#include "model.h"

/* due.c: append {"contact","what","due","ref","overdue"} for each row (contact, what, due, ref) of `st`,
 * then release `st`. */
int cairn__due_rows(cairn_journal *j, sqlite3_stmt *st, const char *today, json_t *items);

/* Prepare `sql`, bind ?1 today and ?2 horizon (days), and add its rows as cairn__due_rows() does. */
int cairn__due_query(cairn_journal *j, const char *sql, const char *today, int horizon, json_t *items);

/* Prepare `sql`, bind ?1 r->from and ?2 r->to when it uses them, and add the section (cairn__report_rows). */
int cairn__report_query(cairn_journal *j, const cairn__report_range *r, const char *sql, json_t *sections,
                        const char *id, const char *title, const char *const *columns, size_t ncolumns);

/* Run a prepared statement yielding one JSON text; *out gets a malloc'd copy (`dflt` when NULL). */
int cairn__query_text(cairn_journal *j, sqlite3_stmt *st, char **out, const char *dflt);

/* seen.c: a family of records whose changes name the versions they replaced (note amendments, goal
 * statuses): tables PREFIX_listed, PREFIX_seen, PREFIX_conflicts and the view PREFIX_heads, keyed by KEY. */
typedef struct {
	const char *prefix, *key;
	const char *versions;    /* the table of the versions: note_amends, goal_status */
	const char *change_kind; /* the event that changes the record: note.amend, goal.status */
	const char *first_kind;  /* the event whose version replaced nothing (goal.add), or NULL */
	const char *what;        /* words an error */
} cairn__seen_family;
extern const cairn__seen_family cairn__seen_notes, cairn__seen_goals;

/* Apply the history part of change `ev` of family `f`: when `listed`, the change names what it replaced,
 * which is `seen` ([[hlc, device], ...]; malformed entries skipped; may be NULL); then recompute whether
 * its record (ev->entity) is in conflict. */
int cairn__seen_apply(cairn_journal *j, const cairn__seen_family *f, const cairn_event *ev, int listed, json_t *seen);
/* What a new change of record `entity` replaces, its "seen": every head of the record, so it also decides
 * a conflict ([[hlc, device], ...], *out the caller's to json_decref). */
int cairn__seen_heads(cairn_journal *j, const cairn__seen_family *f, const char *entity, json_t **out);

/* The versions a writer has seen (a change names them as "seen"), as [[hlc, device], ...]: the rows
 * (hlc, device) of `sql`, with ?1 `a` and ?2 `b` bound. *out is the caller's to json_decref. */
int cairn__heads_of(cairn_journal *j, const char *sql, const char *a, const char *b, json_t **out);

/* The heads of the plan (person `p`, merged or not, type `t`), as SQL rows of plan_versions: the versions
 * no other version of the same plan has seen (plan.c rule 2), as plan_heads keeps them (rule 3). */
#define CAIRN__PLAN_HEADS(p, t)                                                                              \
	"(SELECT v.* FROM plan_heads h CROSS JOIN plan_versions v ON v.entity = h.version WHERE h.type = " t \
	" AND h.contact IN " CAIRN__GROUP(p) ")"

/* The plans with more than one head (schema 0019), as (person: the survivor, type, heads). INDEXED BY:
 * the index has the table's own key, so the planner would scan every plan rather than what is open. */
#define CAIRN__PLAN_CONFLICTS \
	"(SELECT person, type, heads FROM plan_counts INDEXED BY plan_counts_open WHERE heads > 1)"

/* plan_values.c: in `*doc`, a cairn_conflict_values document, set the "value" of each head of every plan
 * in conflict from its "sections" (what it holds where another head differs). Replaces *doc (the old text
 * wiped and freed). */
int cairn__plan_values(char **doc);

/* plan.c: recompute plan_heads and plan_counts (schemas 0017, 0019) for every plan of `contact`'s merge group;
 * apply.c calls it when a merge joins a group, since which versions make one plan depends on who is
 * merged. */
int cairn__plan_regroup(cairn_journal *j, const char *contact);

/* Append a report section {"id","title","columns","rows"} whose rows are the rows of `st` (released). */
int cairn__report_rows(cairn_journal *j, sqlite3_stmt *st, json_t *sections, const char *id, const char *title,
                       const char *const *columns, size_t ncolumns);

/*
 * Append a `kind` event about `contact` (a new entity; body `o` gains "contact"): in one transaction the
 * person must exist, then `check` (may be NULL) may refuse. `id_out` (may be NULL) gets the new id.
 */
int cairn__add_for_contact(cairn_journal *j, const char *kind, const char *contact, json_t *o,
                           int (*check)(cairn_journal *j, json_t *o), char id_out[CAIRN_ID_LEN]);

/* This device's worker name (settings: `cairn worker NAME`), or NULL when none; malloc'd. */
char *cairn__worker(cairn_journal *j);

/* A note not struck as entered in error, as SQL over the note's id. */
#define CAIRN__NOTE_LIVE(n) "NOT EXISTS (SELECT 1 FROM note_strikes s WHERE s.note = " n ")"

/* The person a contact id stands for now, as SQL: the canonical id of its merge group, or itself. */
#define CAIRN__CANON(e) "coalesce((SELECT canon FROM contact_canon k WHERE k.entity = " e "), " e ")"

/* The members of a person's merge group, as SQL: "x IN " CAIRN__GROUP("?1"). */
#define CAIRN__GROUP(e)                                                                                      \
	"(SELECT entity FROM contact_canon WHERE canon = (SELECT coalesce((SELECT canon FROM contact_canon " \
	"WHERE entity = " e "), " e ")) UNION SELECT " e ")"

/*
 * Merge/delete conflicts (apply.c invariant 5, schema/0014). CAIRN__LC_CONFLICTED: whether the person whose
 * canonical id is `canon` has one. CAIRN__LC_SIDES: its two sides as a JSON array, newest first: the current
 * delete/restore events ({"value": "deleted" or "restored", "contact", "cl", "hlc", "device"}) and the merge
 * events ({"value": "merged", "merged": [a, b], "hlc", "device"}) that did not see each other.
 */
#define CAIRN__LC_CONFLICTED(canon)                                                                                             \
	"EXISTS (SELECT 1 FROM contact_canon k CROSS JOIN contact_lc_conflicts x ON x.entity = k.entity WHERE k.canon = " canon \
	")"
#define CAIRN__LC_SIDES(canon)                                                                                       \
	"(SELECT json_group_array(json(o)) FROM (SELECT o FROM ("                                                    \
	" SELECT json_object('value', iif((l.cl & 1) = 0, 'deleted', 'restored'), 'contact', l.entity, 'cl', l.cl, " \
	"  'hlc', l.hlc, 'device', l.device) AS o, l.hlc AS h, l.device AS d FROM contact_canon k "                  \
	"  CROSS JOIN contact_lc_conflicts x ON x.entity = k.entity CROSS JOIN contact_lifecycle l "                 \
	"  ON l.entity = x.entity AND l.hlc = x.hlc AND l.device = x.device WHERE k.canon = " canon                  \
	" UNION SELECT json_object('value', 'merged', 'merged', json_array(f.a, f.b), 'hlc', f.hlc, "                \
	"  'device', f.device), f.hlc, f.device FROM contact_canon k CROSS JOIN contact_lc_conflicts x "             \
	"  ON x.entity = k.entity CROSS JOIN contact_merges f ON f.a = x.a AND f.b = x.b WHERE k.canon = " canon     \
	") ORDER BY h DESC, d DESC))"

/*
 * The filter of a list that is one person's (`col` in ?1's merge group) or everyone's ("1"): a list
 * builds its SQL twice, once with each, and prepares the one it needs. The single form "?1 IS NULL OR
 * col IN ..." made SQLite scan the whole table to list one person's records (the contact indexes unused).
 */
#define CAIRN__PERSON(col) col " IN " CAIRN__GROUP("?1")
#define CAIRN__EVERYONE "1"

/* The categories of a disclosure ("identity,notes", comma-separated, spaces around words allowed) as a
 * JSON array of known words (*out, the caller's); CAIRN_EINVAL for an unknown or empty list. consent.c. */
int cairn__parse_what(const char *what, json_t **out);

/* A consent's status as SQL over `consents c`, with ?2 today: revoked from the earliest revocation date,
 * expired after `expires`, else active. Shared with the FHIR export (fhir.c). */
#define CAIRN__CONSENT_STATUS                                                                                      \
	"CASE WHEN (SELECT min(date) FROM consent_revocations v WHERE v.consent = c.entity) <= ?2 THEN 'revoked' " \
	"WHEN c.expires IS NOT NULL AND c.expires < ?2 THEN 'expired' ELSE 'active' END"

/* A JSON array of non-empty strings, each at most `max` bytes, at most `maxn` of them. */
int cairn__str_array(json_t *o, const char *key, int required, size_t maxn, size_t max);

/* consent.c: append an audit event (what: "contact show", "plan print", "export", ...) inside an open
 * transaction. */
int cairn__audit_locked(cairn_journal *j, const char *contact, const char *what);

/*
 * The people the events of a common table expression `ev(entity, body)` are about, as SQL yielding one
 * contact id a row, each merge group once (by its survivor): a contact's own events; the contact of a
 * note, referral, goal, plan version, consent, disclosure, assessment, GPRA interview or audit entry
 * (the events of a note's amendment, strike and sign-off, a referral's status, a goal's status and a
 * consent's revocation carry the record's id); each attendee of a group session; the person a crisis
 * (or the crisis it was linked into) names; and a known contact a body names at its top level
 * ("contact": an event of a kind this binary cannot apply yet). audit.c. CAIRN__EV_PEOPLE: the same as
 * pairs (e: the event's entity, c: a contact id, not yet resolved through merges), for telling which
 * events have a known person at all.
 */
/* clang-format off */
#define CAIRN__EV_PEOPLE                                                                                \
	"SELECT ev.entity AS e, c.entity AS c FROM ev JOIN contacts c ON c.entity = ev.entity "         \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN notes x ON x.entity = ev.entity "               \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN referrals x ON x.entity = ev.entity "           \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN goals x ON x.entity = ev.entity "               \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN plan_versions x ON x.entity = ev.entity "       \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN consents x ON x.entity = ev.entity "            \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN disclosures x ON x.entity = ev.entity "         \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN assessments x ON x.entity = ev.entity "         \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN gpra_interviews x ON x.entity = ev.entity "     \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN audit_events x ON x.entity = ev.entity "        \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN group_attendance x ON x.session = ev.entity "   \
	"UNION SELECT ev.entity, x.contact FROM ev JOIN crises x ON x.entity = "                        \
	"  coalesce((SELECT canon FROM crisis_canon k WHERE k.entity = ev.entity), ev.entity) "         \
	"UNION SELECT ev.entity, c.entity FROM ev JOIN contacts c ON c.entity = "                       \
	"  iif(json_valid(ev.body), json_extract(ev.body, '$.contact'), NULL)"
#define CAIRN__PEOPLE_OF_EV                                                                             \
	"SELECT DISTINCT " CAIRN__CANON("p.c") " FROM (" CAIRN__EV_PEOPLE ") p WHERE p.c IS NOT NULL ORDER BY 1"
/* Kinds whose events are about nobody: their bodies need no audit entry (cairn_log). */
#define CAIRN__PERSONLESS_KINDS "('resource.set', 'gpra.secret')"
/* clang-format on */

/* Append an audit.view `what` for each contact id the rows of `st` give (column 0), inside an open
 * transaction; releases `st`. `record` (or NULL): the one record seen, kept in each entry's body. */
int cairn__audit_people_locked(cairn_journal *j, sqlite3_stmt *st, const char *what, const char *record);

/*
 * The last step of a caseload view that shows record content (cairn_search, cairn_review_list,
 * cairn_goal_list for everyone, cairn_conflict_values): `rc` is the view's result and *out its JSON
 * array. When the array is not empty, one audit.view `what` is appended, in one transaction, for each
 * person its records belong to (the record id is each element's `member`; people as
 * cairn_audit_record finds them, each merge group once), before *out reaches the caller. When an entry
 * cannot be written, *out is wiped and freed (NULL) and the error returned: nothing is shown unaudited.
 * An empty array writes nothing and opens no transaction.
 */
int cairn__audit_shown(cairn_journal *j, int rc, char **out, const char *member, const char *what);

/* CAIRN_EINVAL when a batch is open: a view audited in the library (`what`) must not run inside one. */
int cairn__audit_unbatched(cairn_journal *j, const char *what);

/* When `rc` is an error, wipe and free *out (a view's document, may be NULL) and set it NULL; returns rc. */
int cairn__view_fail(int rc, char **out);

#endif
