/*
 * reconcile.c — deciding a contact field conflict (cairn_conflict_resolve) and listing the decisions.
 *
 * A decision is an ordinary contact.set that has seen every head of the register, so apply.c
 * (invariant 3) closes the conflict on every device that receives it, whatever the order; nothing new
 * is needed from the merge rules. What this file adds is that the decision says so: the body carries
 * "resolves": {"field", "kept" (1-based position in the conflict list, or null for a new value),
 * "replaced": [{"value","hlc","device"}, ...]}, so the log shows who decided what, when, over which
 * values. apply.c ignores that member. Two offices deciding the same conflict concurrently have not
 * seen each other's decision: that is a new conflict, listed like any other.
 *
 * A merge/delete conflict (apply.c invariant 5) is decided by cairn_conflict_resolve_status: new
 * contact.delete events that have seen the whole merge group, on the survivor when its parity is not the
 * one decided and on every member whose current delete/restore event is part of the conflict (cl jumps by
 * 2 where the parity is already right, so the new event is the current one). The first of them carries
 * "resolves": {"field": "status", "value": "deleted" or "alive", "kept": null, "replaced": [the sides]}.
 */
#include "domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fields[] = {"name", "alias", "dob", "phone", "email", "pronouns", "language", "location"};

/* The heads of a register, newest first (the order `cairn conflicts` shows): [{"value","hlc","device"}]. */
static int heads_of(cairn_journal *j, const char *entity, const char *field, json_t **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "SELECT value, hlc, device FROM contact_writes w WHERE entity = ?1 AND field = ?2 "
	                        "AND NOT EXISTS (SELECT 1 FROM contact_superseded s WHERE s.entity = w.entity "
	                        "AND s.field = w.field AND s.hlc = w.hlc AND s.device = w.device) "
	                        "ORDER BY hlc DESC, device DESC");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	*out = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		json_array_append_new(*out, json_pack("{s:o,s:I,s:s}", "value", v ? json_string(v) : json_null(), "hlc",
		                                      (json_int_t)sqlite3_column_int64(st, 1), "device",
		                                      (const char *)sqlite3_column_text(st, 2)));
	}
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE) {
		json_decref(*out);
		*out = NULL;
		return cairn__sqlerr(j, rc, "reading a conflict");
	}
	return 0;
}

static int check_value(const char *field, const char *value)
{
	if (strlen(value) > CAIRN__MAX_FIELD)
		return cairn__error(CAIRN_EINVAL, "the value for '%s' is too long", field);
	if (!strcmp(field, "dob") && !cairn__date_valid(value))
		return cairn__error(CAIRN_EINVAL, "invalid date '%s' for dob (expected YYYY-MM-DD)", value);
	if (!strcmp(field, "name") && !*value)
		return cairn__error(CAIRN_EINVAL, "a contact's name cannot be empty");
	return 0;
}

static int resolve_locked(cairn_journal *j, const char *contact, const char *field, const char *value, int keep,
                          json_t **result)
{
	json_t *heads = NULL, *seen, *val, *body, *h;
	cairn_event_info info;
	size_t i;
	int rc;

	if ((rc = cairn__need(j, "contacts", "contact", contact)) || (rc = heads_of(j, contact, field, &heads)))
		return rc;
	if (json_array_size(heads) < 2) {
		json_decref(heads);
		return cairn__error(CAIRN_ENOTFOUND,
		                    "field '%s' of contact '%s' has no open conflict (see 'cairn "
		                    "conflicts')",
		                    field, contact);
	}
	if (keep > (int)json_array_size(heads)) {
		rc = cairn__error(CAIRN_EINVAL, "--keep %d: field '%s' has %zu conflicting values (1 to %zu)", keep,
		                  field, json_array_size(heads), json_array_size(heads));
		json_decref(heads);
		return rc;
	}
	if (!keep && (rc = check_value(field, value))) {
		json_decref(heads);
		return rc;
	}
	seen = json_array();
	json_array_foreach(heads, i, h) json_array_append_new(
	        seen, json_pack("[O,O]", json_object_get(h, "hlc"), json_object_get(h, "device")));
	val = keep ? json_incref(json_object_get(json_array_get(heads, (size_t)keep - 1), "value"))
	           : json_string(value);
	body = json_pack("{s:{s:o},s:{s:o},s:{s:s,s:o,s:O}}", "fields", field, val, "seen", field, seen, "resolves",
	                 "field", field, "kept", keep ? json_integer(keep) : json_null(), "replaced", heads);
	rc = body ? cairn__append_json(j, "contact.set", contact, body, &info)
	          : cairn__error(CAIRN_ENOMEM, "out of memory");
	if (!rc)
		*result = json_pack("{s:s,s:s,s:O,s:o,s:O,s:s,s:I}", "contact", contact, "field", field, "value",
		                    json_object_get(json_object_get(body, "fields"), field), "kept",
		                    keep ? json_integer(keep) : json_null(), "replaced", heads, "device", j->device,
		                    "hlc", (json_int_t)info.hlc);
	json_decref(body);
	json_decref(heads);
	return rc;
}

/* The conflicts a contact field decision does not settle: each record decides its own, by a new change
 * that has seen all it replaces. */
static const struct {
	const char *field, *how;
} decided_elsewhere[] = {
        {"note", "a note's conflicting amendments are decided by amending it again (cairn_note_amend), which "
                 "replaces them all"},
        {"goal", "a goal's conflicting statuses are decided by a new status (cairn_goal_status), which replaces "
                 "them all"},
        {"referral", "a referral's clashing outcomes are decided by reopening it with the outcome that stands "
                     "(cairn_referral_status with reopen)"},
        {"plan", "a plan's concurrent versions are decided by writing a new version (cairn_plan_set), which "
                 "replaces them all"},
};

int cairn_conflict_resolve(cairn_journal *j, const char *contact, const char *field, const char *value, int keep,
                           char **out)
{
	json_t *result = NULL;
	int rc;

	*out = NULL;
	for (size_t i = 0; field && i < CAIRN__COUNT(decided_elsewhere); i++)
		if (!strcmp(field, decided_elsewhere[i].field))
			return cairn__error(CAIRN_EINVAL, "%s", decided_elsewhere[i].how);
	if (!field || !cairn__in_list(field, fields, CAIRN__COUNT(fields)))
		return cairn__error(CAIRN_EINVAL, "unknown contact field '%s'", field ? field : "");
	if ((keep > 0) == (value != NULL) || keep < 0)
		return cairn__error(CAIRN_EINVAL, "give either a value or the number of a value to keep");
	if ((rc = cairn__txn_begin(j)))
		return rc;
	if ((rc = cairn__txn_end(j, resolve_locked(j, contact, field, value, keep, &result))))
		return rc;
	*out = result ? json_dumps(result, JSON_COMPACT) : NULL;
	json_decref(result);
	return *out ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
}

int cairn_conflict_decisions(cairn_journal *j, char **out)
{
	sqlite3_stmt *st;
	int rc;
	*out = NULL;
	rc = cairn__prepare(
	        j, &st,
	        "SELECT json_group_array(json(o)) FROM (SELECT json_object('contact', entity, 'field', "
	        " json_extract(body, '$.resolves.field'), 'value', iif(kind = 'contact.delete', "
	        " json_extract(body, '$.resolves.value'), json_extract(body, '$.fields.' || "
	        " json_quote(json_extract(body, '$.resolves.field')))), 'kept', json_extract(body, '$.resolves.kept'), "
	        " 'replaced', json(json_extract(body, '$.resolves.replaced')), 'device', device, 'hlc', hlc, "
	        " 'time', strftime('%Y-%m-%dT%H:%M:%SZ', (hlc >> 16) / 1000, 'unixepoch')) AS o FROM events "
	        " WHERE kind IN ('contact.set', 'contact.delete') AND json_extract(body, '$.resolves') IS NOT NULL "
	        " ORDER BY hlc DESC, device DESC)");
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		*out = strdup(t ? t : "[]");
		rc = *out ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
	} else {
		rc = cairn__sqlerr(j, rc, "listing conflict decisions");
	}
	cairn__finalize(j, st);
	/* a decision shows the values it kept and replaced: audited for every person shown, as the open
	 * conflicts' values are */
	return cairn__audit_shown(j, rc, out, "contact", "conflicts --decided");
}

/* The members to write for a decision, survivor first: (id, cl, part of the conflict). */
static int status_targets(cairn_journal *j, const char *canon, json_t **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "SELECT g.entity, coalesce((SELECT cl FROM contacts c WHERE c.entity = g.entity), 1), "
	                        " EXISTS (SELECT 1 FROM contact_lc_conflicts x WHERE x.entity = g.entity) "
	                        "FROM (SELECT entity FROM contact_canon WHERE canon = ?1 UNION SELECT ?1) g "
	                        "ORDER BY g.entity != ?1, g.entity");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	*out = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(*out,
		                      json_pack("[s,I,b]", (const char *)sqlite3_column_text(st, 0),
		                                (json_int_t)sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2)));
	cairn__finalize(j, st);
	if (rc == SQLITE_DONE)
		return 0;
	json_decref(*out);
	*out = NULL;
	return cairn__sqlerr(j, rc, "reading a merge group");
}

static int status_sides(cairn_journal *j, const char *canon, json_t **out)
{
	sqlite3_stmt *st;
	char *text = NULL;
	int rc = cairn__prepare(j, &st, "SELECT " CAIRN__LC_SIDES("?1"));
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	if ((rc = cairn__query_text(j, st, &text, "[]")))
		return rc;
	*out = json_loads(text, 0, NULL);
	free(text);
	return *out ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
}

static int resolve_status_locked(cairn_journal *j, const char *contact, int alive, json_t **result)
{
	char canon[CAIRN_ID_LEN];
	json_t *sides = NULL, *targets = NULL, *seen = NULL, *t;
	cairn_event_info info = {0};
	size_t i, written = 0;
	int rc;

	if ((rc = cairn__need(j, "contacts", "contact", contact)) || (rc = cairn__canon_of(j, contact, canon)) ||
	    (rc = status_sides(j, canon, &sides)))
		return rc;
	if (!json_array_size(sides)) {
		json_decref(sides);
		return cairn__error(CAIRN_ENOTFOUND,
		                    "contact '%s' has no open merge/delete conflict (see 'cairn conflicts')", contact);
	}
	if ((rc = status_targets(j, canon, &targets)))
		goto out;
	/* what the decision has seen: every member of the person, with its cl (the targets' first two columns) */
	seen = json_object();
	json_array_foreach(targets, i, t)
	        json_object_set(seen, json_string_value(json_array_get(t, 0)), json_array_get(t, 1));
	json_array_foreach(targets, i, t)
	{
		const char *id = json_string_value(json_array_get(t, 0));
		json_int_t cl = json_integer_value(json_array_get(t, 1));
		int part = json_is_true(json_array_get(t, 2)), survivor = i == 0;
		json_t *body;
		/* the survivor decides what is shown; a member in the conflict needs a new current event */
		if (!part && !(survivor && (cl % 2 == 1) != (alive != 0)))
			continue;
		cl += (cl % 2 == 1) != (alive != 0) ? 1 : 2;
		body = json_pack("{s:I,s:O}", "cl", cl, "seen", seen);
		if (body && !written)
			json_object_set_new(body, "resolves",
			                    json_pack("{s:s,s:s,s:n,s:O}", "field", "status", "value",
			                              alive ? "alive" : "deleted", "kept", "replaced", sides));
		rc = body ? cairn__append_json(j, "contact.delete", id, body, written ? NULL : &info)
		          : cairn__error(CAIRN_ENOMEM, "out of memory");
		json_decref(body);
		if (rc)
			goto out;
		written++;
	}
	*result = json_pack("{s:s,s:s,s:s,s:n,s:O,s:I,s:s,s:I}", "contact", canon, "field", "status", "value",
	                    alive ? "alive" : "deleted", "kept", "replaced", sides, "events", (json_int_t)written,
	                    "device", j->device, "hlc", (json_int_t)info.hlc);
	rc = *result ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
out:
	json_decref(targets);
	json_decref(seen);
	json_decref(sides);
	return rc;
}

int cairn_conflict_resolve_status(cairn_journal *j, const char *contact, int alive, char **out)
{
	json_t *result = NULL;
	int rc;

	*out = NULL;
	if ((rc = cairn__txn_begin(j)))
		return rc;
	if ((rc = cairn__txn_end(j, resolve_status_locked(j, contact, alive, &result))))
		return rc;
	*out = json_dumps(result, JSON_COMPACT);
	json_decref(result);
	return *out ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
}
