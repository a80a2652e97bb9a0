/*
 * assess.c — assessments (BARC-10 and whatever instruments a program adds to the `instruments` table)
 * and the follow-ups they make due.
 *
 * Validation against the instrument (item count, each item's range) happens where the worker types; the
 * apply function recomputes the total from the items, so a total never disagrees with its items. An
 * assessment is immutable (keyed by its id).
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "domain.h"

#include <stdlib.h>
#include <string.h>

static int apply_add(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *items = json_object_get(body, "items"), *v;
	sqlite3_stmt *st;
	json_int_t total = 0;
	char *text;
	size_t i;
	int rc;
	if (!json_is_string(json_object_get(body, "contact")) || !json_is_string(json_object_get(body, "instrument")) ||
	    !json_is_string(json_object_get(body, "date")) || !json_is_array(items) || !json_array_size(items))
		return cairn__apply_bad(ev, "contact, instrument, date and items are required");
	json_array_foreach(items, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < -1000 || json_integer_value(v) > 1000)
			return cairn__apply_bad(ev, "an item is not a small integer");
		total += json_integer_value(v);
	}
	rc = cairn__prepare(j, &st,
	                    "INSERT INTO assessments (entity, contact, instrument, date, items, total, hlc, "
	                    "device) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	                    CAIRN__FIRST_WRITER_WINS("assessments",
	                        "contact = excluded.contact, "
	                        "instrument = excluded.instrument, "
	                        "date = excluded.date, "
	                        "items = excluded.items, "
	                        "total = excluded.total"));
	if (rc)
		return rc;
	text = json_dumps(items, JSON_COMPACT);
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	cairn__bind_json_str(st, 2, json_object_get(body, "contact"));
	cairn__bind_json_str(st, 3, json_object_get(body, "instrument"));
	cairn__bind_json_str(st, 4, json_object_get(body, "date"));
	sqlite3_bind_text(st, 5, text ? text : "[]", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, (int64_t)total);
	sqlite3_bind_int64(st, 7, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 8, ev->device, -1, SQLITE_STATIC);
	free(text);
	return cairn__step_done(j, st, "recording an assessment");
}

/* Check the items against the instrument's definition. */
static int validate(cairn_journal *j, json_t *o)
{
	const char *instrument = json_string_value(json_object_get(o, "instrument"));
	json_t *items = json_object_get(o, "items");
	sqlite3_stmt *st;
	int64_t n = 0, lo = 0, hi = 0;
	json_t *v;
	size_t i;
	int rc = cairn__prepare(j, &st, "SELECT nitems, min_score, max_score FROM instruments WHERE id = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, instrument, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
		lo = sqlite3_column_int64(st, 1);
		hi = sqlite3_column_int64(st, 2);
	}
	cairn__finalize(j, st);
	if (rc == SQLITE_DONE)
		return cairn__error(CAIRN_ENOTFOUND, "unknown instrument '%s' (see 'cairn assess instruments')", instrument);
	if (rc != SQLITE_ROW)
		return cairn__sqlerr(j, rc, "reading an instrument");
	if (!json_is_array(items))
		return cairn__error(CAIRN_EINVAL, "the items of a %s must be a list of scores", instrument);
	if ((int64_t)json_array_size(items) != n)
		return cairn__error(CAIRN_EINVAL, "%s has %lld items, %zu given (scores %lld-%lld, in item order)", instrument,
		                    (long long)n, json_array_size(items), (long long)lo, (long long)hi);
	json_array_foreach(items, i, v)
	{
		if (json_is_null(v))
			return cairn__error(CAIRN_EINVAL, "item %zu of %s is missing (every item needs a score %lld-%lld)",
			                    i + 1, instrument, (long long)lo, (long long)hi);
		if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
			return cairn__error(CAIRN_EINVAL, "item %zu of %s is out of range: scores are whole numbers %lld-%lld",
			                    i + 1, instrument, (long long)lo, (long long)hi);
	}
	return 0;
}

int cairn_assess_add(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN])
{
	json_t *o = cairn__parse_object(fields_json, "assessment fields");
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	if ((rc = cairn__req_str(o, "instrument", NULL, 0, 64)) || (rc = cairn__date_member(o, "date")))
		goto out;
	rc = cairn__add_for_contact(j, "assess.add", contact, o, validate, id_out);
out:
	json_decref(o);
	return rc;
}

int cairn_assess_list(cairn_journal *j, const char *contact, const char *instrument, char **out)
{
	sqlite3_stmt *st;
	int rc;
	if (contact && !cairn__uuid_valid(contact))
		return cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", contact);
#define ASSESS_LIST(where)                                                                                  \
	"SELECT json_group_array(json(o)) FROM (SELECT json_object('id', entity, 'contact', contact, "      \
	" 'instrument', instrument, 'date', date, 'items', json(items), 'total', total, 'device', device, " \
	" 'change', total - lag(total) OVER (PARTITION BY " CAIRN__CANON("a.contact") ", instrument "       \
	"   ORDER BY date, hlc, device)) AS o "                                                             \
	"FROM assessments a WHERE " where " AND (?2 IS NULL OR a.instrument = ?2) ORDER BY a.date, a.hlc, a.device)"
	rc = cairn__prepare(j, &st,
	                    contact ? ASSESS_LIST(CAIRN__PERSON("a.contact")) : ASSESS_LIST(CAIRN__EVERYONE));
	if (rc)
		return rc;
	if (contact)
		sqlite3_bind_text(st, 1, contact, -1, SQLITE_TRANSIENT);
	if (instrument)
		sqlite3_bind_text(st, 2, instrument, -1, SQLITE_TRANSIENT);
	rc = cairn__query_text(j, st, out, "[]");
	/* everyone's scores are audited for every person shown; one person's by the caller, as goal list */
	return contact ? rc : cairn__audit_shown(j, rc, out, "id", "assess list");
}

int cairn_instrument_list(cairn_journal *j, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(
		j, &st,
		"SELECT json_group_array(json(o)) FROM (SELECT json_object('id', i.id, 'name', i.name, "
		" 'nitems', i.nitems, 'min', i.min_score, 'max', i.max_score, 'followup_days', i.followup_days, "
		" 'scale', i.scale, 'items', (SELECT json_group_array(text) FROM (SELECT text FROM instrument_items t "
		"   WHERE t.instrument = i.id ORDER BY n))) AS o FROM instruments i ORDER BY i.id)");
	return rc ? rc : cairn__query_text(j, st, out, "[]");
}

/* Per instrument: assessments in the period, people, mean total of each person's first and latest. */
static int assess_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"instrument", "assessments", "people", "mean first total",
	                                   "mean latest total", "people assessed twice or more"};
	return cairn__report_query(j, r,
		"WITH a AS (SELECT " CAIRN__CANON("x.contact") " AS person, instrument, date, total, "
		"  row_number() OVER w AS n, count(*) OVER (PARTITION BY " CAIRN__CANON("x.contact") ", instrument) AS c, "
		"  row_number() OVER (PARTITION BY " CAIRN__CANON("x.contact") ", instrument "
		"  ORDER BY date DESC, hlc DESC, device DESC) AS last "
		"  FROM assessments x WHERE date BETWEEN ?1 AND ?2 AND " CAIRN__IN_SCOPE("x.device") " "
		"  WINDOW w AS (PARTITION BY " CAIRN__CANON("x.contact") ", instrument ORDER BY date, hlc, device)) "
		"SELECT instrument, count(*), count(DISTINCT person), round(avg(iif(n = 1, total, NULL)), 1), "
		" round(avg(iif(last = 1, total, NULL)), 1), count(DISTINCT iif(c > 1, person, NULL)) FROM a "
		"GROUP BY instrument ORDER BY instrument",
		sections, "assessments.trend", "Assessments: first and latest totals", cols,
		6);
}

/* A follow-up is due `followup_days` after each person's latest assessment with an instrument. */
static int assess_due(cairn_journal *j, const char *today, int horizon, json_t *items)
{
	return cairn__due_query(j,
		"SELECT person, instrument || ' follow-up', due, ref FROM (SELECT person, instrument, "
		"  date(max(date), '+' || followup_days || ' days') AS due, NULL AS ref FROM ("
		"   SELECT " CAIRN__CANON("a.contact") " AS person, "
		"   a.instrument, a.date, i.followup_days FROM assessments a JOIN instruments i ON i.id = a.instrument "
		"   WHERE i.followup_days IS NOT NULL) GROUP BY person, instrument) "
		"WHERE due <= date(?1, ?2 || ' days')",
		today, horizon, items);
}

static const cairn__kind assess_kinds[] = {{"assess.add", apply_add}};
static const char *const assess_tables[] = {"assessments"};
static const char *const assess_digest[] = {
	"SELECT 'assessments', entity, contact, instrument, date, items, total, hlc, device FROM assessments "
	"ORDER BY entity",
};

const cairn__module cairn__module_assess = {
	"assess",      assess_kinds,  CAIRN__COUNT(assess_kinds),  assess_tables, CAIRN__COUNT(assess_tables),
	assess_digest, CAIRN__COUNT(assess_digest), assess_report, assess_due,
};
