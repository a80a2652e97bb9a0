/*
 * records.c — the domain API (cairn_contact_set, cairn_note_add, ...): validate the caller's input, build
 * the event body, append it. Validation lives here, at the edge where a person typed something; apply.c
 * only checks what it needs to stay safe with events from other devices.
 */
#include "domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const contact_fields[] = {"name",  "alias",    "dob",      "phone",
                                             "email", "pronouns", "language", "location"};
static const char *const note_kinds[] = {"encounter", "phone", "crisis", "group", "outreach", "other"};
static const char *const categories[] = {"housing",     "treatment", "mat",      "mental-health", "employment",
                                         "mutual-help", "medical",   "benefits", "legal",         "other"};
static const char *const outcomes[] = {"placed",   "waitlisted",  "no-capacity", "not-eligible",
                                       "declined", "unreachable", "other"};
static const char *const reporters[] = {"referrer", "receiver", "person"};

#define COUNT CAIRN__COUNT
#define MAX_TEXT CAIRN__MAX_TEXT
#define MAX_FIELD CAIRN__MAX_FIELD

int cairn__in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

int cairn__date_valid(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, n = 0;
	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
		return 0;
	if (s[4] != '-' || s[7] != '-' || y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

void cairn__today(char out[11])
{
	time_t t = (time_t)(cairn__clock_ms() / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

json_t *cairn__parse_object(const char *json, const char *what)
{
	json_error_t err;
	json_t *o = json_loads(json ? json : "{}", JSON_REJECT_DUPLICATES, &err);
	if (!json_is_object(o)) {
		json_decref(o);
		cairn__error(CAIRN_EINVAL, "%s is not a JSON object: %s", what, err.text);
		return NULL;
	}
	return o;
}

/* Optional string member; checks length and, when `list` is given, membership. */
int cairn__opt_str(json_t *o, const char *key, const char *const *list, size_t n, size_t max)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cairn__error(CAIRN_EINVAL, "'%s' must be a string", key);
	if (json_string_length(v) > max)
		return cairn__error(CAIRN_EINVAL, "'%s' is longer than %zu characters", key, max);
	if (list && !cairn__in_list(json_string_value(v), list, n))
		return cairn__error(CAIRN_EINVAL, "unknown %s '%s'", key, json_string_value(v));
	return 0;
}

int cairn__req_str(json_t *o, const char *key, const char *const *list, size_t n, size_t max)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return cairn__error(CAIRN_EINVAL, "'%s' is required", key);
	return cairn__opt_str(o, key, list, n, max);
}

/* Default the date to today, or check it. */
int cairn__date_member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	char d[11];
	if (!v || json_is_null(v)) {
		cairn__today(d);
		json_object_set_new(o, key, json_string(d));
		return 0;
	}
	if (!json_is_string(v) || !cairn__date_valid(json_string_value(v)))
		return cairn__error(CAIRN_EINVAL, "invalid date '%s' for %s (expected YYYY-MM-DD)",
		                    json_is_string(v) ? json_string_value(v) : "?", key);
	return 0;
}

int cairn__past_date_member(json_t *o, const char *key)
{
	char today[11];
	int rc = cairn__date_member(o, key);
	if (rc)
		return rc;
	cairn__today(today);
	/* YYYY-MM-DD compares as text; a date that has not come yet is a typo (2062 for 2026), not a record */
	if (strcmp(json_string_value(json_object_get(o, key)), today) > 0)
		return cairn__error(CAIRN_EINVAL, "%s %s is in the future (today is %s)", key,
		                    json_string_value(json_object_get(o, key)), today);
	return 0;
}

int cairn__append_json(cairn_journal *j, const char *kind, const char *entity, json_t *body, cairn_event_info *info)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;
	if (!text)
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	rc = cairn__append_locked_obj(j, kind, entity, text, body, info);
	free(text);
	return rc;
}

/* Does a record of this table with this id exist? 1 yes, 0 no, <0 error. */
int cairn__exists(cairn_journal *j, const char *table, const char *id)
{
	char sql[128];
	sqlite3_stmt *st;
	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE entity = ?1", table);
	int rc = cairn__prepare(j, &st, sql);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "looking up a record");
}

int cairn__need(cairn_journal *j, const char *table, const char *type, const char *id)
{
	if (!id || !cairn__uuid_valid(id))
		return cairn__error(CAIRN_EINVAL, "malformed %s id '%s'", type, id ? id : "");
	int rc = cairn__exists(j, table, id);
	if (rc == 0)
		return cairn__error(CAIRN_ENOTFOUND, "no %s '%s'", type, id);
	return rc < 0 ? rc : 0;
}

/* ---- contacts ---- */

static int validate_contact_fields(json_t *fields, int creating)
{
	const char *k;
	json_t *v;
	if (json_object_size(fields) == 0)
		return cairn__error(CAIRN_EINVAL, "no contact fields given");
	json_object_foreach(fields, k, v)
	{
		if (!cairn__in_list(k, contact_fields, COUNT(contact_fields)))
			return cairn__error(CAIRN_EINVAL, "unknown contact field '%s'", k);
		if (json_is_null(v))
			continue;
		if (!json_is_string(v))
			return cairn__error(CAIRN_EINVAL, "contact field '%s' must be a string", k);
		if (json_string_length(v) > MAX_FIELD)
			return cairn__error(CAIRN_EINVAL, "contact field '%s' is too long", k);
		if (!strcmp(k, "dob") && !cairn__date_valid(json_string_value(v)))
			return cairn__error(CAIRN_EINVAL, "invalid date '%s' for dob (expected YYYY-MM-DD)",
			                    json_string_value(v));
	}
	if (creating && !json_is_string(json_object_get(fields, "name")))
		return cairn__error(CAIRN_EINVAL, "a new contact needs a name");
	if (json_is_null(json_object_get(fields, "name")) || (json_is_string(json_object_get(fields, "name")) &&
	                                                      json_string_length(json_object_get(fields, "name")) == 0))
		return cairn__error(CAIRN_EINVAL, "a contact's name cannot be empty");
	return 0;
}

/* domain.h */
int cairn__heads_of(cairn_journal *j, const char *sql, const char *a, const char *b, json_t **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, sql);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	*out = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(*out, json_pack("[Is]", (json_int_t)sqlite3_column_int64(st, 0),
		                                      (const char *)sqlite3_column_text(st, 1)));
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading what a change replaces");
}

/* The versions of a register this writer has seen: its current heads (invariant 3 in apply.c). */
static int seen_heads(cairn_journal *j, const char *entity, const char *field, json_t **out)
{
	return cairn__heads_of(j,
	                       "SELECT hlc, device FROM contact_writes w WHERE entity = ?1 AND field = ?2 "
	                       "AND NOT EXISTS (SELECT 1 FROM contact_superseded s WHERE s.entity = w.entity "
	                       "AND s.field = w.field AND s.hlc = w.hlc AND s.device = w.device) "
	                       "ORDER BY hlc, device",
	                       entity, field, out);
}

static int contact_set_locked(cairn_journal *j, const char *entity, json_t *fields, cairn_event_info *info)
{
	json_t *seen = json_object(), *body;
	char canon[CAIRN_ID_LEN];
	const char *k;
	json_t *v;
	int rc = 0;
	if (entity) {
		/* A merged-away id still finds the person: the change goes to the record that shows them. */
		if ((rc = cairn__need(j, "contacts", "contact", entity)) || (rc = cairn__canon_of(j, entity, canon)))
			goto out;
		entity = canon;
		json_object_foreach(fields, k, v)
		{
			json_t *heads;
			if ((rc = seen_heads(j, entity, k, &heads)))
				goto out;
			if (json_array_size(heads))
				json_object_set_new(seen, k, heads);
			else
				json_decref(heads);
		}
	}
	body = json_pack("{sOsO}", "fields", fields, "seen", seen);
	rc = cairn__append_json(j, "contact.set", entity, body, info);
	json_decref(body);
out:
	json_decref(seen);
	return rc;
}

int cairn_contact_set(cairn_journal *j, const char *entity, const char *fields_json, char id_out[CAIRN_ID_LEN])
{
	cairn_event_info info;
	json_t *fields = cairn__parse_object(fields_json, "contact fields");
	int rc;
	if (!fields)
		return CAIRN_EINVAL;
	if ((rc = validate_contact_fields(fields, entity == NULL)) || (rc = cairn__txn_begin(j)))
		goto out;
	rc = cairn__txn_end(j, contact_set_locked(j, entity, fields, &info));
	if (!rc && id_out)
		memcpy(id_out, info.entity, CAIRN_ID_LEN);
out:
	json_decref(fields);
	return rc;
}

int cairn__canon_of(cairn_journal *j, const char *id, char out[CAIRN_ID_LEN])
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT coalesce((SELECT canon FROM contact_canon WHERE entity = ?1), ?1)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, CAIRN_ID_LEN, "%s", (const char *)sqlite3_column_text(st, 0));
	cairn__finalize(j, st);
	return rc == SQLITE_ROW ? 0 : cairn__sqlerr(j, rc, "reading a merge");
}

/* Add {member: cl} for every member of the person whose survivor is `canon` to the object `seen` (the
 * "seen" of a contact.delete or contact.merge, apply.c invariant 5). */
static int group_seen(cairn_journal *j, const char *canon, json_t *seen)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "SELECT g.entity, coalesce((SELECT cl FROM contacts c WHERE c.entity = g.entity), 1) "
	                        "FROM (SELECT entity FROM contact_canon WHERE canon = ?1 UNION SELECT ?1) g");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(seen, (const char *)sqlite3_column_text(st, 0),
		                    json_integer((json_int_t)sqlite3_column_int64(st, 1)));
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading a merge group");
}

/* The person's survivor's cl (odd = alive) and whether a merge/delete conflict is open on them. */
static int person_state(cairn_journal *j, const char *canon, int64_t *cl, int *conflicted)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(
	        j, &st, "SELECT coalesce((SELECT cl FROM contacts WHERE entity = ?1), 1), " CAIRN__LC_CONFLICTED("?1"));
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*cl = sqlite3_column_int64(st, 0);
		*conflicted = sqlite3_column_int(st, 1);
	}
	cairn__finalize(j, st);
	return rc == SQLITE_ROW ? 0 : cairn__sqlerr(j, rc, "reading a contact");
}

/* The refusal of a plain delete, restore or merge of a person whose merge/delete conflict is open. */
static int lc_refused(const char *canon)
{
	return cairn__error(CAIRN_ECONFLICT,
	                    "contact '%s' was merged and deleted (or restored) on two devices without either seeing "
	                    "the other; decide first: cairn resolve %s deleted|alive",
	                    canon, canon);
}

/* A merge joins two live people: not a deleted one (restore it first), not one whose merge/delete
 * conflict is open (a merge that saw both sides would close it without anyone deciding; apply.c 5). */
static int mergeable(cairn_journal *j, const char *id, const char *canon)
{
	int64_t cl;
	int conflicted, rc = person_state(j, canon, &cl, &conflicted);
	if (rc)
		return rc;
	if (conflicted)
		return lc_refused(canon);
	if (cl % 2 == 0)
		return cairn__error(CAIRN_EINVAL,
		                    "contact '%s' is deleted; restore it first (cairn contact restore %s)", id, id);
	return 0;
}

static int merge_locked(cairn_journal *j, const char *a, const char *b)
{
	char ca[CAIRN_ID_LEN], cb[CAIRN_ID_LEN];
	json_t *body, *seen;
	int rc;
	if ((rc = cairn__need(j, "contacts", "contact", a)) || (rc = cairn__need(j, "contacts", "contact", b)))
		return rc;
	if ((rc = cairn__canon_of(j, a, ca)) || (rc = cairn__canon_of(j, b, cb)))
		return rc;
	if (!strcmp(ca, cb))
		return cairn__error(CAIRN_EINVAL, "contacts '%s' and '%s' are already the same person", a, b);
	if ((rc = mergeable(j, a, ca)) || (rc = mergeable(j, b, cb)))
		return rc;
	/* every member of both people as this device sees them (apply.c invariant 5) */
	seen = json_object();
	if ((rc = group_seen(j, ca, seen)) || (rc = group_seen(j, cb, seen))) {
		json_decref(seen);
		return rc;
	}
	body = json_pack("{ssso}", "other", b, "seen", seen);
	rc = cairn__append_json(j, "contact.merge", a, body, NULL);
	json_decref(body);
	return rc;
}

int cairn_contact_merge(cairn_journal *j, const char *a, const char *b)
{
	int rc = cairn__txn_begin(j);
	return rc ? rc : cairn__txn_end(j, merge_locked(j, a, b));
}

static int delete_locked(cairn_journal *j, const char *id, int alive)
{
	int64_t cl = 0;
	json_t *body, *seen;
	int rc, conflicted;
	char canon[CAIRN_ID_LEN];
	if ((rc = cairn__need(j, "contacts", "contact", id)) || (rc = cairn__canon_of(j, id, canon)))
		return rc;
	id = canon; /* as in contact_set_locked: the person, whichever of their ids was given */
	if ((rc = person_state(j, id, &cl, &conflicted)))
		return rc;
	/* a plain delete or restore would close only part of it: the decision is cairn_conflict_resolve_status */
	if (conflicted)
		return lc_refused(id);
	if ((cl % 2 == 1) == (alive != 0))
		return cairn__error(CAIRN_EINVAL, "contact '%s' is already %s", id, alive ? "active" : "deleted");
	seen = json_object(); /* the person's merge group as this device sees it (apply.c invariant 5) */
	if ((rc = group_seen(j, id, seen))) {
		json_decref(seen);
		return rc;
	}
	body = json_pack("{sIso}", "cl", (json_int_t)(cl + 1), "seen", seen);
	rc = cairn__append_json(j, "contact.delete", id, body, NULL);
	json_decref(body);
	return rc;
}

int cairn_contact_delete(cairn_journal *j, const char *id, int alive)
{
	int rc = cairn__txn_begin(j);
	return rc ? rc : cairn__txn_end(j, delete_locked(j, id, alive));
}

/* ---- notes ---- */

int cairn_note_add(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN])
{
	cairn_event_info info;
	json_t *o = cairn__parse_object(fields_json, "note fields"), *min;
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	if (!json_object_get(o, "kind"))
		json_object_set_new(o, "kind", json_string("encounter"));
	min = json_object_get(o, "minutes");
	if ((rc = cairn__req_str(o, "text", NULL, 0, MAX_TEXT)) ||
	    (rc = cairn__req_str(o, "kind", note_kinds, COUNT(note_kinds), 32)) ||
	    (rc = cairn__opt_str(o, "modality", NULL, 0, 64)) || (rc = cairn__past_date_member(o, "date")))
		goto out;
	if (min && !json_is_null(min) &&
	    (!json_is_integer(min) || json_integer_value(min) < 0 || json_integer_value(min) > 1440)) {
		rc = cairn__error(CAIRN_EINVAL, "minutes must be a whole number from 0 to 1440");
		goto out;
	}
	json_object_set_new(o, "contact", json_string(contact ? contact : ""));
	if ((rc = cairn__txn_begin(j)))
		goto out;
	rc = cairn__need(j, "contacts", "contact", contact);
	if (!rc)
		rc = cairn__append_json(j, "note.add", NULL, o, &info);
	rc = cairn__txn_end(j, rc);
	if (!rc && id_out)
		memcpy(id_out, info.entity, CAIRN_ID_LEN);
out:
	json_decref(o);
	return rc;
}

static int struck(cairn_journal *j, const char *note)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT 1 FROM note_strikes WHERE note = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, note, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_ROW;
}

static int note_change(cairn_journal *j, const char *note, const char *kind, json_t *body)
{
	int rc = cairn__need(j, "notes", "note", note);
	if (rc)
		return rc;
	if ((rc = struck(j, note)) != 0)
		return rc < 0 ? rc : cairn__error(CAIRN_EINVAL, "note '%s' is struck (entered in error)", note);
	if (!strcmp(kind, "note.amend")) {
		/* the amendments this one replaces (schema 0015) */
		json_t *seen;
		if ((rc = cairn__seen_heads(j, &cairn__seen_notes, note, &seen)))
			return rc;
		json_object_set_new(body, "seen", seen);
	}
	return cairn__append_json(j, kind, note, body, NULL);
}

int cairn_note_amend(cairn_journal *j, const char *note, const char *text, const char *reason)
{
	json_t *body;
	int rc;
	if (!text || !*text)
		return cairn__error(CAIRN_EINVAL, "an amendment needs text");
	if (strlen(text) > MAX_TEXT || (reason && strlen(reason) > MAX_FIELD))
		return cairn__error(CAIRN_EINVAL, "amendment too long");
	body = reason ? json_pack("{ssss}", "text", text, "reason", reason) : json_pack("{ss}", "text", text);
	if (!body)
		return cairn__error(CAIRN_EINVAL, "text is not valid UTF-8");
	rc = cairn__txn_begin(j);
	if (!rc)
		rc = cairn__txn_end(j, note_change(j, note, "note.amend", body));
	json_decref(body);
	return rc;
}

int cairn_note_strike(cairn_journal *j, const char *note, const char *reason)
{
	json_t *body;
	int rc;
	if (reason && strlen(reason) > MAX_FIELD)
		return cairn__error(CAIRN_EINVAL, "reason too long");
	body = reason ? json_pack("{ss}", "reason", reason) : json_object();
	if (!body)
		return cairn__error(CAIRN_EINVAL, "reason is not valid UTF-8");
	rc = cairn__txn_begin(j);
	if (!rc)
		rc = cairn__txn_end(j, note_change(j, note, "note.strike", body));
	json_decref(body);
	return rc;
}

/* ---- referrals ---- */

int cairn_referral_add(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN])
{
	cairn_event_info info;
	json_t *o = cairn__parse_object(fields_json, "referral fields");
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	if ((rc = cairn__req_str(o, "category", categories, COUNT(categories), 32)) ||
	    (rc = cairn__req_str(o, "to", NULL, 0, MAX_FIELD)) ||
	    (rc = cairn__opt_str(o, "reason", NULL, 0, MAX_TEXT)) || (rc = cairn__date_member(o, "date")))
		goto out;
	json_object_del(o, "state");
	json_object_set_new(o, "contact", json_string(contact ? contact : ""));
	if ((rc = cairn__txn_begin(j)))
		goto out;
	rc = cairn__need(j, "contacts", "contact", contact);
	if (!rc)
		rc = cairn__append_json(j, "referral.add", NULL, o, &info);
	rc = cairn__txn_end(j, rc);
	if (!rc && id_out)
		memcpy(id_out, info.entity, CAIRN_ID_LEN);
out:
	json_decref(o);
	return rc;
}

static int referral_current(cairn_journal *j, const char *ref, int64_t *gen, int *rank, int *is_struck)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT gen, state, struck FROM referral_state WHERE referral = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	*gen = 0;
	*rank = 0;
	*is_struck = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*gen = sqlite3_column_int64(st, 0);
		*rank = cairn__referral_rank((const char *)sqlite3_column_text(st, 1));
		*is_struck = sqlite3_column_int(st, 2);
	}
	cairn__finalize(j, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading a referral");
}

static int status_locked(cairn_journal *j, const char *ref, json_t *o)
{
	const char *state = json_string_value(json_object_get(o, "state"));
	int reopen = json_is_true(json_object_get(o, "reopen"));
	int rank, is_struck, rc;
	int64_t gen;
	if ((rc = cairn__need(j, "referrals", "referral", ref)) ||
	    (rc = referral_current(j, ref, &gen, &rank, &is_struck)))
		return rc;
	if (is_struck)
		return cairn__error(CAIRN_EINVAL, "referral '%s' was entered in error", ref);
	int want = cairn__referral_rank(state);
	if (reopen) {
		gen++;
	} else if (want > 0 && want <= rank && rank < 6) {
		return cairn__error(CAIRN_EINVAL, "referral '%s' is already past '%s'; use --reopen to start again",
		                    ref, state);
	} else if (want >= 0 && rank >= 6) {
		return cairn__error(CAIRN_EINVAL, "referral '%s' is closed; use --reopen to start again", ref);
	}
	json_object_del(o, "reopen");
	json_object_set_new(o, "gen", json_integer(gen));
	return cairn__append_json(j, "referral.status", ref, o, NULL);
}

int cairn_referral_status(cairn_journal *j, const char *referral, const char *fields_json)
{
	json_t *o = cairn__parse_object(fields_json, "referral status");
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	if (!json_object_get(o, "state") && json_is_true(json_object_get(o, "reopen")))
		json_object_set_new(o, "state", json_string("requested"));
	if ((rc = cairn__req_str(o, "state", NULL, 0, 32)))
		goto out;
	if (cairn__referral_rank(json_string_value(json_object_get(o, "state"))) < -1) {
		rc = cairn__error(CAIRN_EINVAL, "unknown referral state '%s'",
		                  json_string_value(json_object_get(o, "state")));
		goto out;
	}
	if ((rc = cairn__opt_str(o, "outcome", outcomes, COUNT(outcomes), 32)) ||
	    (rc = cairn__opt_str(o, "reporter", reporters, COUNT(reporters), 32)) ||
	    (rc = cairn__opt_str(o, "note", NULL, 0, MAX_TEXT)))
		goto out;
	if ((rc = cairn__txn_begin(j)))
		goto out;
	rc = cairn__txn_end(j, status_locked(j, referral, o));
out:
	json_decref(o);
	return rc;
}
