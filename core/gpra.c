/*
 * gpra.c — GPRA interviews for grant reporting: intake, 6-month follow-up, discharge; what is due, the
 * follow-up rate, and a pseudonymous CSV export (docs/gpra.md has the columns and the rules).
 *
 * Invariants:
 *  1. An interview is immutable once recorded (gpra.interview, keyed by its id); a correction is a new
 *     interview. Follow-up status is computed from the set of interviews at query time, never stored.
 *  2. The 6-month follow-up of a client (a contact's surviving id, per grant) is due 6 months after their
 *     first conducted intake; it counts when conducted within the window [intake + 5 months,
 *     intake + 8 months] (SQLite's date arithmetic, 'start + N months').
 *  3. The export names a client only by a pseudonym: keyed BLAKE2b-256 of (grant, surviving contact id)
 *     under the program's secret. The secret is an event (gpra.secret) so every device and the office
 *     hold the same one; when devices minted one each before syncing, the one with the smallest
 *     (hlc, device) is used everywhere, so pseudonyms converge with the journals.
 *  4. A grant number is case-insensitive: it is upper-cased (ASCII) when recorded, when applied (an event
 *     from another or an older device may carry lower case), when exporting and in the pseudonym, so
 *     `sm-1` and `SM-1` are one grant and an upper-case grant's pseudonyms are what they always were.
 *     Migration 0012 upper-cased the grants of journals made before.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "crisis.h"
#include "crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const types[] = {"intake", "followup", "discharge"};
static const char *const reasons[] = {"unreachable", "refused", "incarcerated", "hospitalised", "moved",
                                      "deceased",    "other"};

#define bad cairn__apply_bad
#define step_done cairn__step_done
#define bind_str cairn__bind_json_str

/* `n` bytes of `g` upper-cased (ASCII only, whatever SQLite's upper() was built with; invariant 4). */
static void grant_upper(char *out, const char *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = g[i] >= 'a' && g[i] <= 'z' ? (char)(g[i] - 'a' + 'A') : g[i];
	out[n] = 0;
}

/* ---- apply ---- */

static int apply_interview(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *contact = json_object_get(body, "contact"), *grant = json_object_get(body, "grant"),
	       *type = json_object_get(body, "type"), *date = json_object_get(body, "date"),
	       *conducted = json_object_get(body, "conducted"), *barc = json_object_get(body, "barc10");
	sqlite3_stmt *st;
	char *btext = NULL, *g;
	int rc;
	if (!json_is_string(contact) || !json_is_string(grant) || !json_is_string(type) || !json_is_string(date) ||
	    !json_is_boolean(conducted))
		return bad(ev, "contact, grant, type, date and conducted are required");
	if (barc && !json_is_null(barc) && !json_is_array(barc))
		return bad(ev, "barc10 is not an array");
	if ((rc = cairn__prepare(j, &st, "INSERT INTO gpra_interviews (entity, contact, grant_no, type, "
	                                 "date, conducted, reason, barc10, hlc, device) "
	                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	                                 CAIRN__FIRST_WRITER_WINS("gpra_interviews",
	                                     "contact = excluded.contact, "
	                                     "grant_no = excluded.grant_no, "
	                                     "type = excluded.type, "
	                                     "date = excluded.date, "
	                                     "conducted = excluded.conducted, "
	                                     "reason = excluded.reason, "
	                                     "barc10 = excluded.barc10"))))
		return rc;
	/* Any length: the event may come from a device that did not check it. */
	if (!(g = malloc(json_string_length(grant) + 1))) {
		cairn__finalize(j, st);
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	}
	grant_upper(g, json_string_value(grant), json_string_length(grant));
	if (json_is_array(barc))
		btext = json_dumps(barc, JSON_COMPACT);
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	bind_str(st, 2, contact);
	sqlite3_bind_text(st, 3, g, (int)json_string_length(grant), SQLITE_TRANSIENT);
	bind_str(st, 4, type);
	bind_str(st, 5, date);
	sqlite3_bind_int(st, 6, json_is_true(conducted));
	bind_str(st, 7, json_object_get(body, "reason"));
	if (btext)
		sqlite3_bind_text(st, 8, btext, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 10, ev->device, -1, SQLITE_STATIC);
	free(btext);
	free(g);
	return step_done(j, st, "recording a GPRA interview");
}

static int apply_secret(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *secret = json_object_get(body, "secret");
	sqlite3_stmt *st;
	int rc;
	/* checked, not decoded: the key itself is only ever held in the export's secure memory */
	if (!json_is_string(secret) || json_string_length(secret) != 64 ||
	    strspn(json_string_value(secret), "0123456789abcdefABCDEF") != 64)
		return bad(ev, "secret is not 64 hex digits");
	if ((rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO gpra_secrets (hlc, device, secret) VALUES (?1, ?2, ?3)")))
		return rc;
	sqlite3_bind_int64(st, 1, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 2, ev->device, -1, SQLITE_STATIC);
	bind_str(st, 3, secret);
	return step_done(j, st, "recording the GPRA secret");
}

/* ---- the domain API ---- */

#define WELL_FORMED "length(secret) = 64 AND secret NOT GLOB '*[^0-9a-fA-F]*'"

static int have_secret(cairn_journal *j)
{
	sqlite3_stmt *st;
	/* a well-formed one: a damaged one stored before apply checked them is passed over (load_secret) */
	int rc = cairn__prepare(j, &st, "SELECT 1 FROM gpra_secrets WHERE " WELL_FORMED " LIMIT 1");
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading the GPRA secret");
}

/* Mint the program's pseudonym secret unless one is known here (invariant 3). Inside a transaction. */
static int ensure_secret(cairn_journal *j)
{
	unsigned char raw[32];
	char hex[65];
	json_t *body;
	int rc = have_secret(j);
	if (rc)
		return rc < 0 ? rc : 0;
	cairn__random(raw, sizeof(raw));
	cairn__hex(hex, raw, sizeof(raw));
	cairn__wipe(raw, sizeof(raw));
	body = json_pack("{ss}", "secret", hex);
	rc = cairn__append_json(j, "gpra.secret", NULL, body, NULL);
	cairn__wipe(hex, sizeof(hex));
	json_decref(body);
	return rc;
}

static int check_grant(const char *g)
{
	size_t n = g ? strlen(g) : 0;
	if (n == 0 || n > 32)
		return cairn__error(CAIRN_EINVAL, "a grant number is 1 to 32 letters, digits or dashes");
	for (size_t i = 0; i < n; i++)
		if (!((g[i] >= '0' && g[i] <= '9') || (g[i] >= 'A' && g[i] <= 'Z') || (g[i] >= 'a' && g[i] <= 'z') ||
		      g[i] == '-'))
			return cairn__error(CAIRN_EINVAL, "invalid grant number '%s' (letters, digits and dashes)", g);
	return 0;
}

static int check_barc10(json_t *b)
{
	size_t i;
	json_t *v;
	if (!b || json_is_null(b))
		return 0;
	if (!json_is_array(b) || json_array_size(b) != 10)
		return cairn__error(CAIRN_EINVAL, "barc10 needs 10 item scores");
	json_array_foreach(b, i, v) if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 6)
		return cairn__error(CAIRN_EINVAL, "barc10 item %zu must be a whole number from 1 to 6", i + 1);
	return 0;
}

int cairn_gpra_interview(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN])
{
	json_t *o = cairn__parse_object(fields_json, "interview fields"), *grant;
	cairn_event_info info;
	char g[33];
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	if (!json_object_get(o, "conducted"))
		json_object_set_new(o, "conducted", json_true());
	if ((rc = cairn__req_str(o, "type", types, CAIRN__COUNT(types), 16)) ||
	    (rc = cairn__req_str(o, "grant", NULL, 0, 32)) ||
	    (rc = check_grant(json_string_value(json_object_get(o, "grant")))) ||
	    (rc = cairn__past_date_member(o, "date")) ||
	    (rc = cairn__opt_str(o, "reason", reasons, CAIRN__COUNT(reasons), 16)) ||
	    (rc = check_barc10(json_object_get(o, "barc10"))))
		goto out;
	if (!json_is_boolean(json_object_get(o, "conducted"))) {
		rc = cairn__error(CAIRN_EINVAL, "'conducted' must be true or false");
		goto out;
	}
	if (json_is_false(json_object_get(o, "conducted")) != (json_object_get(o, "reason") != NULL)) {
		rc = cairn__error(CAIRN_EINVAL, "an interview not conducted needs a reason, and only then");
		goto out;
	}
	/* The export would report answers to an interview that never took place. */
	if (json_is_false(json_object_get(o, "conducted")) && json_object_get(o, "barc10") &&
	    !json_is_null(json_object_get(o, "barc10"))) {
		rc = cairn__error(CAIRN_EINVAL, "an interview not conducted has no answers (barc10)");
		goto out;
	}
	grant = json_object_get(o, "grant");
	grant_upper(g, json_string_value(grant), json_string_length(grant)); /* checked: 1 to 32 characters */
	json_object_set_new(o, "grant", json_string(g));
	json_object_set_new(o, "contact", json_string(contact ? contact : ""));
	if ((rc = cairn__txn_begin(j)))
		goto out;
	rc = cairn__need(j, "contacts", "contact", contact);
	if (!rc)
		rc = ensure_secret(j);
	if (!rc)
		rc = cairn__append_json(j, "gpra.interview", NULL, o, &info);
	rc = cairn__txn_end(j, rc);
	if (!rc && id_out)
		memcpy(id_out, info.entity, CAIRN_ID_LEN);
out:
	json_decref(o);
	return rc;
}


int cairn_gpra_list(cairn_journal *j, const char *contact, char **out)
{
	sqlite3_stmt *st;
#define GPRA_LIST(where)                                                                                    \
	"SELECT json_group_array(json_object('id', entity, 'contact', c, 'grant', grant_no, 'type', type, " \
	" 'date', date, 'conducted', json(iif(conducted, 'true', 'false')), 'reason', reason, "             \
	" 'barc10', json(barc10), 'device', device)) FROM (SELECT *, " CAIRN__CANON("contact") " AS c "     \
	" FROM gpra_interviews WHERE " where " ORDER BY date, entity)"
	int rc = cairn__prepare(j, &st,
	                        contact ? GPRA_LIST(CAIRN__PERSON("contact")) : GPRA_LIST(CAIRN__EVERYONE));
	if (rc)
		return rc;
	if (contact)
		sqlite3_bind_text(st, 1, contact, -1, SQLITE_STATIC);
	rc = cairn__query_text(j, st, out, "[]");
	/* everyone's interviews are audited for every person shown; one person's by the caller */
	return contact ? rc : cairn__audit_shown(j, rc, out, "id", "gpra list");
}

/*
 * One row per client (surviving contact, grant) with a conducted intake: the first intake's date, the
 * window and target dates, and the date of the first conducted follow-up inside the window / outside it.
 */
#define CLIENTS_SQL                                                                                                         \
	"WITH iv AS (SELECT " CAIRN__CANON("contact") " AS client, grant_no, type, date, conducted FROM gpra_interviews), " \
	"intake AS (SELECT client, grant_no, min(date) AS d FROM iv WHERE type = 'intake' AND conducted "                   \
	"  GROUP BY client, grant_no), "                                                                                    \
	"c AS (SELECT client, grant_no, d, date(d, '+5 months') AS open, date(d, '+6 months') AS target, "                  \
	"  date(d, '+8 months') AS close FROM intake) "                                                                     \
	"SELECT client, grant_no, d, open, target, close, "                                                                 \
	" (SELECT min(date) FROM iv WHERE iv.client = c.client AND iv.grant_no = c.grant_no AND type = 'followup' "         \
	"   AND conducted AND date BETWEEN open AND close) AS ontime, "                                                     \
	" (SELECT min(date) FROM iv WHERE iv.client = c.client AND iv.grant_no = c.grant_no AND type = 'followup' "         \
	"   AND conducted AND date > close) AS late, "                                                                      \
	" (SELECT min(date) FROM iv WHERE iv.client = c.client AND iv.grant_no = c.grant_no AND type = 'followup' "         \
	"   AND conducted AND date < open AND date >= d) AS early FROM c "

static int gpra_due(cairn_journal *j, const char *today, int horizon_days, json_t *items)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "SELECT * FROM (" CLIENTS_SQL ") WHERE ontime IS NULL AND late IS NULL AND early IS NULL "
	                        "AND open <= date(?1, '+' || ?2 || ' days') AND ?1 <= close ORDER BY target, client");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, horizon_days);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char what[160];
		const char *target = (const char *)sqlite3_column_text(st, 4);
		snprintf(what, sizeof(what), "GPRA 6-month follow-up (grant %s, window %s to %s)",
		         (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 3),
		         (const char *)sqlite3_column_text(st, 5));
		json_t *it = json_pack("{s:s,s:s,s:s,s:n,s:b,s:s,s:s,s:s}", "contact",
		                       (const char *)sqlite3_column_text(st, 0), "what", what, "due", target, "ref",
		                       "overdue", strcmp(today, target) > 0, "grant", (const char *)sqlite3_column_text(st, 1),
		                       "window_open", (const char *)sqlite3_column_text(st, 3), "window_close",
		                       (const char *)sqlite3_column_text(st, 5));
		if (!it || json_array_append_new(items, it)) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "listing GPRA follow-ups");
}

/*
 * The follow-up rate per grant, over clients whose 6-month target date is in the period: on time (within
 * the window) over those whose follow-up was done or whose window has closed (by r->today). Pending
 * clients (window still open, nothing yet) are counted but are not in the rate.
 */
static int gpra_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	sqlite3_stmt *st;
	json_t *rows = json_array(), *s;
	int rc = cairn__prepare(
		j, &st,
		"SELECT grant_no, count(*), sum(ontime IS NOT NULL), "
		" sum(ontime IS NULL AND late IS NOT NULL), sum(ontime IS NULL AND late IS NULL AND early IS NOT NULL), "
		" sum(ontime IS NULL AND late IS NULL AND early IS NULL AND ?3 > close), "
		" sum(ontime IS NULL AND late IS NULL AND early IS NULL AND ?3 <= close) "
		"FROM (" CLIENTS_SQL ") c WHERE target BETWEEN ?1 AND ?2 AND EXISTS (SELECT 1 FROM gpra_interviews g "
		" WHERE g.type = 'intake' AND g.grant_no = c.grant_no AND " CAIRN__CANON("g.contact") " = c.client AND "
		CAIRN__IN_SCOPE("g.device") ") GROUP BY grant_no ORDER BY grant_no");
	if (rc) {
		json_decref(rows);
		return rc;
	}
	sqlite3_bind_text(st, 1, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->today, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_int_t n[6];
		for (int i = 0; i < 6; i++)
			n[i] = sqlite3_column_int64(st, i + 1);
		json_int_t denom = n[0] - n[5];
		json_array_append_new(
			rows, json_pack("[sIIIIIIo]", (const char *)sqlite3_column_text(st, 0), n[0], n[1], n[2], n[3], n[4],
		                        n[5],
		                        denom ? json_real((double)(long long)(1000.0 * (double)n[1] / (double)denom + 0.5) / 10.0)
		                              : json_null()));
	}
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		return cairn__sqlerr(j, rc, "computing the GPRA follow-up rate");
	}
	s = json_pack("{s:s,s:s,s:[ssssssss],s:o}", "id", "gpra.followup", "title",
	              "GPRA 6-month follow-ups (target date in the period; goal 80 %)", "columns", "grant", "clients",
	              "on time", "late", "early", "missed", "pending", "follow-up rate %", "rows", rows);
	if (!s || json_array_append_new(sections, s))
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	return 0;
}

/* ---- export ---- */

static int load_secret(cairn_journal *j, unsigned char *key)
{
	sqlite3_stmt *st;
	/* the first well-formed one: a journal may hold a damaged secret stored before apply checked them,
	 * and every device passes over the same one, so pseudonyms still agree */
	int rc = cairn__prepare(j, &st,
	                        "SELECT secret FROM gpra_secrets WHERE " WELL_FORMED " ORDER BY hlc, device LIMIT 1");
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = cairn__unhex(key, 32, (const char *)sqlite3_column_text(st, 0))
		             ? cairn__error(CAIRN_ECORRUPT, "the GPRA secret is damaged")
		             : 0;
	else
		rc = rc == SQLITE_DONE ? cairn__error(CAIRN_ENOTFOUND, "no GPRA secret") : cairn__sqlerr(j, rc, "reading");
	cairn__finalize(j, st);
	return rc;
}

static void pseudonym(const unsigned char *key, const char *grant, const char *client, char out[22])
{
	static const char domain[] = "cairn-gpra-client-v1";
	unsigned char h[CAIRN_HASH_BYTES];
	cairn__hash_state s;
	cairn__hash_keyed_init(&s, key);
	cairn__hash_update(&s, domain, sizeof(domain)); /* with its NUL: fields are NUL-separated */
	cairn__hash_update(&s, grant, strlen(grant) + 1);
	cairn__hash_update(&s, client, strlen(client));
	cairn__hash_final(&s, h);
	out[0] = 'G';
	cairn__hex(out + 1, h, 10);
}

struct buf {
	char *p;
	size_t n, cap;
};

static int put(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->cap ? 2 * b->cap : 4096) + n;
		char *p = realloc(b->p, cap);
		if (!p)
			return cairn__error(CAIRN_ENOMEM, "out of memory");
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n + 1);
	b->n += n;
	return 0;
}

#define EXPORT_HEADER                                                                                          \
	"client_id,grant_id,interview_type,interview_date,conducted,not_conducted_reason,intake_date,"            \
	"days_since_intake,followup_window,barc10_q1,barc10_q2,barc10_q3,barc10_q4,barc10_q5,barc10_q6,barc10_q7," \
	"barc10_q8,barc10_q9,barc10_q10,barc10_total\r\n"

static int export_row(struct buf *b, const unsigned char *key, sqlite3_stmt *st)
{
	char line[512], id[22];
	const char *grant = (const char *)sqlite3_column_text(st, 1), *type = (const char *)sqlite3_column_text(st, 2),
	           *intake = (const char *)sqlite3_column_text(st, 6), *window = (const char *)sqlite3_column_text(st, 8),
	           *reason = (const char *)sqlite3_column_text(st, 5), *barc = (const char *)sqlite3_column_text(st, 9);
	json_t *items = barc ? json_loads(barc, 0, NULL) : NULL;
	int n, rc;
	pseudonym(key, grant, (const char *)sqlite3_column_text(st, 0), id);
	n = snprintf(line, sizeof(line), "%s,%s,%s,%s,%d,%s,%s,", id, grant, type, (const char *)sqlite3_column_text(st, 3),
	             sqlite3_column_int(st, 4), reason ? reason : "", intake ? intake : "");
	if (sqlite3_column_type(st, 7) != SQLITE_NULL)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%lld", (long long)sqlite3_column_int64(st, 7));
	n += snprintf(line + n, sizeof(line) - (size_t)n, ",%s", window ? window : "");
	if (json_array_size(items) == 10) {
		long long total = 0;
		for (size_t i = 0; i < 10; i++) {
			total += json_integer_value(json_array_get(items, i));
			n += snprintf(line + n, sizeof(line) - (size_t)n, ",%lld",
			              (long long)json_integer_value(json_array_get(items, i)));
		}
		snprintf(line + n, sizeof(line) - (size_t)n, ",%lld\r\n", total);
	} else {
		snprintf(line + n, sizeof(line) - (size_t)n, ",,,,,,,,,,,\r\n");
	}
	json_decref(items);
	rc = put(b, line);
	cairn__wipe(line, sizeof(line));
	return rc;
}

static int export_locked(cairn_journal *j, const char *grant, const char *from, const char *to, unsigned char *key,
                         struct buf *b)
{
	sqlite3_stmt *st;
	int rc;
	if ((rc = ensure_secret(j)) || (rc = load_secret(j, key)) || (rc = put(b, EXPORT_HEADER)))
		return rc;
	/* Columns: client, grant, type, date, conducted, reason, intake date, days since intake, window, barc10. */
	rc = cairn__prepare(
		j, &st,
		"WITH iv AS (SELECT " CAIRN__CANON("contact") " AS client, * FROM gpra_interviews WHERE grant_no = ?1), "
		"intake AS (SELECT client, min(date) AS d FROM iv WHERE type = 'intake' AND conducted GROUP BY client) "
		"SELECT iv.client, grant_no, type, date, conducted, reason, i.d, "
		" CAST(julianday(date) - julianday(i.d) AS INTEGER), "
		" CASE WHEN type != 'followup' OR i.d IS NULL THEN NULL "
		"  WHEN date < date(i.d, '+5 months') THEN 'early' WHEN date > date(i.d, '+8 months') THEN 'late' "
		"  ELSE 'on-time' END, barc10 "
		"FROM iv LEFT JOIN intake i ON i.client = iv.client WHERE date BETWEEN ?2 AND ?3 "
		"ORDER BY date, iv.entity");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, grant, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = export_row(b, key, st)))
			break;
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : rc > 0 ? cairn__sqlerr(j, rc, "exporting GPRA interviews") : rc;
}

int cairn_gpra_export(cairn_journal *j, const char *grant, const char *from, const char *to, char **csv_out)
{
	struct buf b = {0};
	unsigned char *key;
	char g[33];
	int rc;
	if ((rc = check_grant(grant)))
		return rc;
	grant_upper(g, grant, strlen(grant)); /* stored upper-cased (invariant 4) */
	if (!cairn__date_valid(from) || !cairn__date_valid(to))
		return cairn__error(CAIRN_EINVAL, "invalid period (expected YYYY-MM-DD for --from and --to)");
	if (strcmp(from, to) > 0)
		return cairn__error(CAIRN_EINVAL, "the period ends (%s) before it starts (%s)", to, from);
	if (!(key = cairn__secure_alloc(32)))
		return CAIRN_ENOMEM;
	/* A write transaction: the first export of a program mints its secret (invariant 3). */
	if (!(rc = cairn__txn_begin(j)))
		rc = cairn__txn_end(j, export_locked(j, g, from, to, key, &b));
	cairn__secure_free(key);
	if (rc) {
		if (b.p)
			cairn__wipe(b.p, b.cap);
		free(b.p);
		return rc;
	}
	*csv_out = b.p;
	return 0;
}

/* ---- the module ---- */

static const cairn__kind gpra_kinds[] = {
	{"gpra.interview", apply_interview},
	{"gpra.secret", apply_secret},
};

static const char *const gpra_tables[] = {"gpra_interviews", "gpra_secrets"};

static const char *const gpra_digest[] = {
	"SELECT 'gpra_interviews', entity, contact, grant_no, type, date, conducted, reason, barc10, hlc, device "
	"FROM gpra_interviews ORDER BY entity",
	"SELECT 'gpra_secrets', hlc, device, secret FROM gpra_secrets ORDER BY hlc, device",
};

const cairn__module cairn__module_gpra = {
	"gpra",      gpra_kinds,  CAIRN__COUNT(gpra_kinds), gpra_tables, CAIRN__COUNT(gpra_tables),
	gpra_digest, CAIRN__COUNT(gpra_digest), gpra_report, gpra_due,
};
