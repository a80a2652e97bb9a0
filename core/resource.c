/*
 * resource.c — the resource directory (an HSDS subset: organisation, service, location, phone, hours,
 * categories), published by the office and synced read-only to devices, searchable offline.
 *
 * Merge rule: every version is kept (resource_versions); the current one is the latest by (hlc, device),
 * recomputed from all versions of the resource each time one arrives.
 *
 * Who may publish: only an office device should author resource.* events. The roster that says which
 * devices are the office's arrives with the office branch; until then may_publish() accepts every
 * device. It is the one place to change (for events from other devices too, which apply ignores when
 * they fail it, so a worker's device cannot rewrite the directory).
 */
#include "domain.h"

#include <stdlib.h>
#include <string.h>

static int may_publish(cairn_journal *j, const char *device)
{
	(void)j;
	(void)device;
	return 1; /* TODO(office): only devices the roster lists as the office's */
}

static int apply_set(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	sqlite3_stmt *st;
	char *text;
	int rc;
	if (!json_is_string(json_object_get(body, "name")))
		return cairn__apply_bad(ev, "name is required");
	if (!may_publish(j, ev->device))
		return 0; /* kept in the log, never in the directory */
	rc = cairn__prepare(j, &st,
	                    "INSERT OR IGNORE INTO resource_versions (resource, hlc, device, body) VALUES "
	                    "(?1, ?2, ?3, ?4)");
	if (rc)
		return rc;
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, text ? text : "{}", -1, SQLITE_TRANSIENT);
	free(text);
	if ((rc = cairn__step_done(j, st, "recording a resource")))
		return rc;
	rc = cairn__prepare(j, &st,
	                    "INSERT OR REPLACE INTO resources (entity, hlc, device, body) SELECT resource, "
	                    "hlc, device, "
	                    "body FROM resource_versions WHERE resource = ?1 ORDER BY hlc DESC, device DESC LIMIT 1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	return cairn__step_done(j, st, "recording a resource");
}

static int check_fields(json_t *o, int creating)
{
	static const char *const known[] = {"name", "organization", "categories", "phone", "address", "hours",
	                                    "url", "description"};
	const char *k;
	json_t *v;
	int rc;
	json_object_foreach(o, k, v)
	{
		(void)v;
		if (!cairn__in_list(k, known, CAIRN__COUNT(known)))
			return cairn__error(CAIRN_EINVAL, "unknown resource field '%s'", k);
	}
	if ((creating && (rc = cairn__req_str(o, "name", NULL, 0, 200))) || (rc = cairn__opt_str(o, "name", NULL, 0, 200)) ||
	    (rc = cairn__opt_str(o, "organization", NULL, 0, 200)) || (rc = cairn__opt_str(o, "phone", NULL, 0, 100)) ||
	    (rc = cairn__opt_str(o, "address", NULL, 0, 500)) || (rc = cairn__opt_str(o, "hours", NULL, 0, 500)) ||
	    (rc = cairn__opt_str(o, "url", NULL, 0, 500)) ||
	    (rc = cairn__opt_str(o, "description", NULL, 0, CAIRN__MAX_FIELD)))
		return rc;
	if (json_object_get(o, "categories") && (rc = cairn__str_array(o, "categories", 0, 20, 64)))
		return rc;
	return 0;
}

/* The current fields of a resource, or an empty object when new. */
static int current(cairn_journal *j, const char *id, json_t **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT body FROM resources WHERE entity = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL) : NULL;
	cairn__finalize(j, st);
	if (rc == SQLITE_DONE)
		return cairn__error(CAIRN_ENOTFOUND, "no resource '%s'", id);
	if (rc != SQLITE_ROW)
		return cairn__sqlerr(j, rc, "reading a resource");
	return *out ? 0 : cairn__error(CAIRN_ECORRUPT, "resource '%s' is not readable", id);
}

int cairn_resource_set(cairn_journal *j, const char *id, const char *fields_json, char id_out[CAIRN_ID_LEN])
{
	cairn_event_info info;
	json_t *o = cairn__parse_object(fields_json, "resource fields"), *body = NULL;
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	if ((rc = check_fields(o, id == NULL)) || (rc = cairn__txn_begin(j)))
		goto out;
	if (!may_publish(j, cairn_journal_device(j)))
		rc = cairn__error(CAIRN_EINVAL, "only the office publishes the resource directory");
	else if (id && !cairn__uuid_valid(id))
		rc = cairn__error(CAIRN_EINVAL, "malformed resource id '%s'", id);
	else if (!id)
		body = json_incref(o);
	else if (!(rc = current(j, id, &body)))
		json_object_update(body, o);
	if (!rc)
		rc = cairn__append_json(j, "resource.set", id, body, &info);
	rc = cairn__txn_end(j, rc);
	if (!rc && id_out)
		memcpy(id_out, info.entity, CAIRN_ID_LEN);
out:
	json_decref(body);
	json_decref(o);
	return rc;
}

#define RESOURCE_JSON                                                                                        \
	"json_patch(json_object('id', r.entity, 'device', r.device, 'hlc', r.hlc, "                            \
	"'versions', (SELECT count(*) FROM resource_versions v WHERE v.resource = r.entity)), r.body)"

int cairn_resource_search(cairn_journal *j, const char *query, const char *category, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(
		j, &st,
		"SELECT json_group_array(json(o)) FROM (SELECT " RESOURCE_JSON " AS o FROM resources r "
		"WHERE (?1 IS NULL OR instr(lower(coalesce(json_extract(r.body, '$.name'), '') || ' ' || "
		"  coalesce(json_extract(r.body, '$.organization'), '') || ' ' || "
		"  coalesce(json_extract(r.body, '$.description'), '') || ' ' || "
		"  coalesce(json_extract(r.body, '$.categories'), '') || ' ' || "
		"  coalesce(json_extract(r.body, '$.address'), '')), lower(?1)) > 0) "
		"AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(r.body, '$.categories') c WHERE c.value = ?2)) "
		"ORDER BY lower(json_extract(r.body, '$.name')), r.entity)");
	if (rc)
		return rc;
	if (query && *query)
		sqlite3_bind_text(st, 1, query, -1, SQLITE_TRANSIENT);
	if (category)
		sqlite3_bind_text(st, 2, category, -1, SQLITE_TRANSIENT);
	return cairn__query_text(j, st, out, "[]");
}

int cairn_resource_show(cairn_journal *j, const char *id, char **out)
{
	sqlite3_stmt *st;
	int rc;
	if (!cairn__uuid_valid(id))
		return cairn__error(CAIRN_EINVAL, "malformed resource id '%s'", id ? id : "");
	if ((rc = cairn__need(j, "resources", "resource", id)))
		return rc;
	rc = cairn__prepare(j, &st, "SELECT " RESOURCE_JSON " FROM resources r WHERE r.entity = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	return cairn__query_text(j, st, out, "{}");
}

static int resource_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"category", "resources"};
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "SELECT c.value, count(*) FROM resources r, json_each(r.body, '$.categories') c WHERE "
	                        CAIRN__IN_SCOPE("r.device") " "
	                        "GROUP BY c.value ORDER BY c.value");
	(void)r;
	if (rc)
		return rc;
	return cairn__report_rows(j, st, sections, "resources.category", "Resource directory by category", cols, 2);
}

static const cairn__kind resource_kinds[] = {{"resource.set", apply_set}};
static const char *const resource_tables[] = {"resource_versions", "resources"};
static const char *const resource_digest[] = {
	"SELECT 'resource_versions', resource, hlc, device, body FROM resource_versions ORDER BY resource, hlc, device",
	"SELECT 'resources', entity, hlc, device, body FROM resources ORDER BY entity",
};

const cairn__module cairn__module_resource = {
	"resource",      resource_kinds,  CAIRN__COUNT(resource_kinds),  resource_tables, CAIRN__COUNT(resource_tables),
	resource_digest, CAIRN__COUNT(resource_digest), resource_report, NULL,
};
