/*
 * resource.c — the resource directory (an HSDS subset: organisation, service, location, phone, hours,
 * categories), published by the office and synced read-only to devices, searchable offline.
 *
 * Merge rule: every version is kept (resource_versions); the current one is the latest by (hlc, device),
 * recomputed from all versions of the resource each time one arrives.
 *
 * Who publishes: only the office. It authors resource.set events in its own journal (which holds the org
 * key); those never leave it as events (the office seals no log). Devices receive the whole directory as
 * one org-signed, team-encrypted document (sync/directory.c) and adopt it here, replacing theirs. A
 * resource.set event from any other device (a modified client) stays in the log and is never applied,
 * on devices and at the office alike, so nobody but the office can change what workers refer people to.
 */
#include "domain.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIRECTORY_STATE "resource_directory"

static int is_office(cairn_journal *j)
{
	unsigned char pk[32];
	int rc = cairn_org_public_key(j, pk);
	if (rc == CAIRN_ENOTFOUND)
		cairn_error_clear();
	return rc == 0;
}

/* The office's own events (under its current identity: a rotation re-authors them all, since the office
 * publishes no log). */
static int may_publish(cairn_journal *j, const char *device)
{
	return !strcmp(device, cairn_journal_device(j)) && is_office(j);
}

/* The current version of `resource`, from all of its versions. */
static int recompute(cairn_journal *j, const char *resource)
{
	sqlite3_stmt *st;
	int rc =
	        cairn__prepare(j, &st,
	                       "INSERT OR REPLACE INTO resources (entity, hlc, device, body) SELECT resource, hlc, "
	                       "device, body FROM resource_versions WHERE resource = ?1 ORDER BY hlc DESC, device DESC "
	                       "LIMIT 1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, resource, -1, SQLITE_STATIC);
	return cairn__step_done(j, st, "recording a resource");
}

static int add_version(cairn_journal *j, const char *resource, int64_t hlc, const char *device, json_t *body)
{
	sqlite3_stmt *st;
	char *text;
	int rc = cairn__prepare(j, &st,
	                        "INSERT OR IGNORE INTO resource_versions (resource, hlc, device, body) VALUES "
	                        "(?1, ?2, ?3, ?4)");
	if (rc)
		return rc;
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	sqlite3_bind_text(st, 1, resource, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, hlc);
	sqlite3_bind_text(st, 3, device, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, text ? text : "{}", -1, SQLITE_TRANSIENT);
	free(text);
	return cairn__step_done(j, st, "recording a resource");
}

static int apply_set(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	int rc;
	if (!json_is_string(json_object_get(body, "name")))
		return cairn__apply_bad(ev, "name is required");
	if (!may_publish(j, ev->device))
		return 0; /* kept in the log, never in the directory */
	if ((rc = add_version(j, ev->entity, (int64_t)ev->hlc, ev->device, body)))
		return rc;
	return recompute(j, ev->entity);
}

static int check_fields(json_t *o, int creating)
{
	static const char *const known[] = {"name",    "organization", "categories", "phone",
	                                    "address", "hours",        "url",        "description"};
	const char *k;
	json_t *v;
	int rc;
	json_object_foreach(o, k, v)
	{
		(void)v;
		if (!cairn__in_list(k, known, CAIRN__COUNT(known)))
			return cairn__error(CAIRN_EINVAL, "unknown resource field '%s'", k);
	}
	if ((creating && (rc = cairn__req_str(o, "name", NULL, 0, 200))) ||
	    (rc = cairn__opt_str(o, "name", NULL, 0, 200)) || (rc = cairn__opt_str(o, "organization", NULL, 0, 200)) ||
	    (rc = cairn__opt_str(o, "phone", NULL, 0, 100)) || (rc = cairn__opt_str(o, "address", NULL, 0, 500)) ||
	    (rc = cairn__opt_str(o, "hours", NULL, 0, 500)) || (rc = cairn__opt_str(o, "url", NULL, 0, 500)) ||
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
	if (!is_office(j))
		rc = cairn__error(CAIRN_EINVAL, "only the office publishes the resource directory: this device "
		                                "receives it read-only when it syncs");
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

#define RESOURCE_JSON                                                               \
	"json_patch(json_object('id', r.entity, 'device', r.device, 'hlc', r.hlc, " \
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

int cairn_resource_directory(cairn_journal *j, char **out)
{
	sqlite3_stmt *st;
	/* At the office, its own versions only: a journal from before publishing was restricted may hold
	 * others. A device holds the office's. */
	int rc = cairn__prepare(
	        j, &st,
	        "SELECT json_group_array(json_object('resource', resource, 'hlc', hlc, 'device', device, "
	        "'body', json(body))) FROM (SELECT * FROM resource_versions WHERE ?2 OR device = ?1 "
	        "ORDER BY resource, hlc, device)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, cairn_journal_device(j), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, !is_office(j));
	return cairn__query_text(j, st, out, "[]");
}

int cairn_resource_directory_version(cairn_journal *j, uint64_t *version)
{
	char *v = NULL;
	int rc = cairn_state_get(j, DIRECTORY_STATE, &v);
	*version = 0;
	if (rc == CAIRN_ENOTFOUND) {
		cairn_error_clear();
		return 0;
	}
	if (!rc)
		*version = strtoull(v, NULL, 10);
	free(v);
	return rc;
}

/* One entry of a published directory, checked as strictly as the office's own resource.set. */
static int adopt_one(cairn_journal *j, size_t i, json_t *e)
{
	json_t *hlc = json_object_get(e, "hlc"), *body = json_object_get(e, "body");
	const char *res = json_string_value(json_object_get(e, "resource"));
	const char *dev = json_string_value(json_object_get(e, "device"));
	if (!json_is_object(e) || !res || !cairn__uuid_valid(res) || !dev || !cairn__device_valid(dev) ||
	    !json_is_integer(hlc) || json_integer_value(hlc) < 0 || !json_is_object(body) || check_fields(body, 1))
		return cairn__error(CAIRN_ECORRUPT, "the published resource directory is malformed (entry %zu)", i);
	return add_version(j, res, (int64_t)json_integer_value(hlc), dev, body);
}

int cairn_resource_directory_adopt(cairn_journal *j, uint64_t version, const char *json)
{
	json_t *a, *e;
	uint64_t held;
	char num[24];
	size_t i;
	int rc;
	if (is_office(j))
		return cairn__error(CAIRN_EINVAL, "the office's resource directory is its own: it adopts none");
	if ((rc = cairn_resource_directory_version(j, &held)) || version <= held)
		return rc;
	if (!(a = json_loads(json, JSON_REJECT_DUPLICATES, NULL)) || !json_is_array(a)) {
		json_decref(a);
		return cairn__error(CAIRN_ECORRUPT, "the published resource directory is not a JSON array");
	}
	if ((rc = cairn__txn_begin(j)))
		goto out;
	rc = cairn__exec(j, "DELETE FROM resource_versions; DELETE FROM resources");
	json_array_foreach(a, i, e)
	{
		if (rc || (rc = adopt_one(j, i, e)))
			break;
	}
	/* Every resource's current version at once (what recompute() picks for one). */
	if (!rc)
		rc = cairn__exec(
		        j, "INSERT INTO resources (entity, hlc, device, body) SELECT resource, hlc, device, body "
		           "FROM resource_versions v WHERE NOT EXISTS (SELECT 1 FROM resource_versions w WHERE "
		           "w.resource = v.resource AND (w.hlc > v.hlc OR (w.hlc = v.hlc AND w.device > v.device)))");
	snprintf(num, sizeof(num), "%" PRIu64, version);
	if (!rc)
		rc = cairn_state_set(j, DIRECTORY_STATE, num);
	rc = cairn__txn_end(j, rc);
out:
	json_decref(a);
	return rc;
}

static int resource_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"category", "resources"};
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        /* Not scoped to the report's devices: the directory is the whole org's, and
	                         * its author (the office) is in no team. */
	                        "SELECT c.value, count(*) FROM resources r, json_each(r.body, '$.categories') c "
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
        "resource",
        resource_kinds,
        CAIRN__COUNT(resource_kinds),
        resource_tables,
        CAIRN__COUNT(resource_tables),
        resource_digest,
        CAIRN__COUNT(resource_digest),
        resource_report,
        NULL,
};
