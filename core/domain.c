/*
 * domain.c — helpers shared by the record families of issue 6 (see domain.h), and the worker name: the
 * person using this device, put into audit and disclosure events so that "who saw what" names a person,
 * not only a device id.
 */
#include "domain.h"

#include <stdlib.h>
#include <string.h>

int cairn__query_text(cairn_journal *j, sqlite3_stmt *st, char **out, const char *dflt)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		*out = strdup(t ? t : dflt);
		rc = *out ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
	} else {
		rc = cairn__sqlerr(j, rc, "running a query");
	}
	cairn__finalize(j, st);
	return rc;
}

static json_t *cell(sqlite3_stmt *st, int c)
{
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, c));
	case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, c));
	case SQLITE_NULL: return json_null();
	default: return json_string((const char *)sqlite3_column_text(st, c));
	}
}

int cairn__report_rows(cairn_journal *j, sqlite3_stmt *st, json_t *sections, const char *id, const char *title,
                       const char *const *columns, size_t ncolumns)
{
	json_t *cols = json_array(), *rows = json_array();
	int rc;
	for (size_t i = 0; i < ncolumns; i++)
		json_array_append_new(cols, json_string(columns[i]));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_array();
		for (int c = 0; c < sqlite3_column_count(st); c++)
			json_array_append_new(row, cell(st, c));
		json_array_append_new(rows, row);
	}
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE) {
		json_decref(cols);
		json_decref(rows);
		return cairn__sqlerr(j, rc, "writing a report section");
	}
	json_array_append_new(sections,
	                      json_pack("{s:s,s:s,s:o,s:o}", "id", id, "title", title, "columns", cols, "rows", rows));
	return 0;
}

int cairn__report_query(cairn_journal *j, const cairn__report_range *r, const char *sql, json_t *sections,
                        const char *id, const char *title, const char *const *columns, size_t ncolumns)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, sql);
	if (rc)
		return rc;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_text(st, 1, r->from, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, r->to, -1, SQLITE_STATIC);
	return cairn__report_rows(j, st, sections, id, title, columns, ncolumns);
}

int cairn__str_array(json_t *o, const char *key, int required, size_t maxn, size_t max)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;
	if (!a || json_is_null(a)) {
		if (required)
			return cairn__error(CAIRN_EINVAL, "'%s' is required", key);
		json_object_set_new(o, key, json_array());
		return 0;
	}
	if (!json_is_array(a))
		return cairn__error(CAIRN_EINVAL, "'%s' must be a list of strings", key);
	if (required && json_array_size(a) == 0)
		return cairn__error(CAIRN_EINVAL, "'%s' needs at least one entry", key);
	if (json_array_size(a) > maxn)
		return cairn__error(CAIRN_EINVAL, "'%s' has more than %zu entries", key, maxn);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0)
			return cairn__error(CAIRN_EINVAL, "'%s' entry %zu must be a non-empty string", key, i + 1);
		if (json_string_length(v) > max)
			return cairn__error(CAIRN_EINVAL, "'%s' entry %zu is longer than %zu characters", key, i + 1,
			                    max);
	}
	return 0;
}

int cairn__add_for_contact(cairn_journal *j, const char *kind, const char *contact, json_t *o,
                           int (*check)(cairn_journal *j, json_t *o), char id_out[CAIRN_ID_LEN])
{
	cairn_event_info info;
	int rc;
	json_object_set_new(o, "contact", json_string(contact ? contact : ""));
	if ((rc = cairn__txn_begin(j)))
		return rc;
	rc = cairn__need(j, "contacts", "contact", contact);
	if (!rc && check)
		rc = check(j, o);
	if (!rc)
		rc = cairn__append_json(j, kind, NULL, o, &info);
	rc = cairn__txn_end(j, rc);
	if (!rc && id_out)
		memcpy(id_out, info.entity, CAIRN_ID_LEN);
	return rc;
}

char *cairn__worker(cairn_journal *j)
{
	char *w = NULL;
	if (cairn__meta_get_text(j, "worker", &w))
		return NULL;
	return w;
}

int cairn_worker_set(cairn_journal *j, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > 200)
		return cairn__error(CAIRN_EINVAL, "a worker name must be 1 to 200 characters");
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return cairn__error(CAIRN_EINVAL, "a worker name cannot hold control characters");
	return cairn__meta_set_text(j, "worker", name);
}

int cairn_worker_get(cairn_journal *j, char **out)
{
	int rc = cairn__meta_get_text(j, "worker", out);
	if (rc == CAIRN_ENOTFOUND)
		return cairn__error(CAIRN_ENOTFOUND, "no worker name is set for this device (cairn worker NAME)");
	return rc;
}
