/*
 * due.c — what is due per person (cairn_due): every module's due writer (model.h) appends its items, then
 * each item is moved to the person's surviving id (merged contacts), items of deleted people are dropped,
 * the name is added for the worker's own screen, and the list is sorted by (due, contact, what, ref).
 *
 * Also the due writer for referrals (a referral that is open and has had no status event for
 * `referral_update_days` days — a journal setting, 14 by default — is due for an update).
 */
#include "domain.h"

#include <stdlib.h>
#include <string.h>

#define MAX_HORIZON 3660
#define REFERRAL_UPDATE_DAYS 14

/* Add {"contact","what","due","ref","overdue"} for each row (contact, what, due, ref) of `st`. */
int cairn__due_rows(cairn_journal *j, sqlite3_stmt *st, const char *today, json_t *items)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *due = (const char *)sqlite3_column_text(st, 2);
		json_t *ref = sqlite3_column_type(st, 3) == SQLITE_NULL
		                      ? json_null()
		                      : json_string((const char *)sqlite3_column_text(st, 3));
		json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:o,s:b}", "contact",
		                                       (const char *)sqlite3_column_text(st, 0), "what",
		                                       (const char *)sqlite3_column_text(st, 1), "due", due, "ref", ref,
		                                       "overdue", strcmp(due, today) < 0));
	}
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "listing what is due");
}

int cairn__due_query(cairn_journal *j, const char *sql, const char *today, int horizon, json_t *items)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, sql);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, horizon);
	return cairn__due_rows(j, st, today, items);
}

static int referral_due(cairn_journal *j, const char *today, int horizon, json_t *items)
{
	int64_t days = REFERRAL_UPDATE_DAYS;
	sqlite3_stmt *st;
	int rc = cairn__meta_get_int(j, "referral_update_days", &days);
	if (rc && rc != CAIRN_ENOTFOUND)
		return rc;
	/* Open: requested .. in-progress (ranks 2-5) or on hold, not struck. */
	rc = cairn__prepare(j, &st,
	                    "SELECT contact, 'referral update', due, referral FROM ("
	                    " SELECT r.contact, s.referral, date((SELECT max(hlc) FROM referral_events e "
	                    "   WHERE e.referral = s.referral) / 65536 / 1000, 'unixepoch', ?3 || ' days') AS due "
	                    " FROM referral_state s JOIN referrals r ON r.entity = s.referral "
	                    " WHERE NOT s.struck AND (s.on_hold OR s.state IN ('draft', 'requested', 'received', "
	                    "   'accepted', 'in-progress'))) "
	                    "WHERE due <= date(?1, ?2 || ' days')");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, horizon);
	sqlite3_bind_int64(st, 3, days);
	return cairn__due_rows(j, st, today, items);
}

const cairn__module cairn__module_followups = {
        "followups", NULL, 0, NULL, 0, NULL, 0, NULL, referral_due,
};

static int cmp_item(const void *a, const void *b)
{
	static const char *const keys[] = {"due", "contact", "what", "ref"};
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	for (size_t i = 0; i < CAIRN__COUNT(keys); i++) {
		const char *s = json_string_value(json_object_get(x, keys[i]));
		const char *t = json_string_value(json_object_get(y, keys[i]));
		int c = strcmp(s ? s : "", t ? t : "");
		if (c)
			return c;
	}
	return 0;
}

/* Move an item to the surviving id of its person and name them; 0 when the person is deleted. */
static int resolve_person(cairn_journal *j, json_t *item, int *keep)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(
	        j, &st,
	        "WITH me(id) AS (SELECT coalesce((SELECT canon FROM contact_canon WHERE entity = ?1), ?1)) "
	        "SELECT me.id, (SELECT value FROM contact_fields f WHERE f.entity = me.id AND f.field = 'name'), "
	        " coalesce((SELECT cl % 2 FROM contacts WHERE entity = me.id), 1) FROM me");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(item, "contact")), -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		json_object_set_new(item, "contact", json_string((const char *)sqlite3_column_text(st, 0)));
		json_object_set_new(item, "name",
		                    sqlite3_column_type(st, 1) == SQLITE_NULL
		                            ? json_null()
		                            : json_string((const char *)sqlite3_column_text(st, 1)));
		*keep = sqlite3_column_int(st, 2);
	}
	cairn__finalize(j, st);
	return rc == SQLITE_ROW ? 0 : cairn__sqlerr(j, rc, "naming a person");
}

static int collect(cairn_journal *j, const char *today, int horizon, json_t *items)
{
	int rc = 0;
	for (size_t m = 0; cairn__modules[m] && !rc; m++)
		if (cairn__modules[m]->due)
			rc = cairn__modules[m]->due(j, today, horizon, items);
	return rc;
}

int cairn_due(cairn_journal *j, const char *today, int horizon_days, char **out)
{
	char now[11];
	json_t *items = json_array(), *kept = json_array(), **v = NULL;
	size_t n = 0;
	int rc, own = 0;
	if (!today) {
		cairn__today(now);
		today = now;
	}
	if (!cairn__date_valid(today))
		rc = cairn__error(CAIRN_EINVAL, "invalid date '%s' for today (expected YYYY-MM-DD)", today);
	else if (horizon_days < 0 || horizon_days > MAX_HORIZON)
		rc = cairn__error(CAIRN_EINVAL, "horizon %d days is out of range (0 to %d)", horizon_days, MAX_HORIZON);
	else if (!(rc = cairn__read_begin(j, &own))) { /* one consistent state */
		rc = collect(j, today, horizon_days, items);
		for (size_t i = 0; !rc && i < json_array_size(items); i++) {
			int keep = 1;
			json_t *it = json_array_get(items, i);
			if (!(rc = resolve_person(j, it, &keep)) && keep)
				json_array_append(kept, it);
		}
		cairn__read_end(j, own);
	}
	if (!rc && (n = json_array_size(kept)) && !(v = malloc(n * sizeof(*v))))
		rc = cairn__error(CAIRN_ENOMEM, "out of memory");
	if (!rc) {
		for (size_t i = 0; i < n; i++)
			v[i] = json_array_get(kept, i);
		if (n)
			qsort(v, n, sizeof(*v), cmp_item);
		json_t *sorted = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append(sorted, v[i]);
		*out = json_dumps(sorted, JSON_COMPACT);
		json_decref(sorted);
		if (!*out)
			rc = cairn__error(CAIRN_ENOMEM, "out of memory");
	}
	free(v);
	json_decref(items);
	json_decref(kept);
	return rc;
}
