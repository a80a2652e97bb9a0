/*
 * fhir.c — the FHIR R4 export (cairn_export_fhir): a Bundle of type "collection" holding Patient
 * (contacts), Encounter (notes), ServiceRequest + Task (referrals; the states are FHIR Task statuses
 * already), Consent (consents, with their revocations) and Observation (assessments): see `writers`.
 *
 * What is left out, on purpose: deleted people, notes and referrals entered in error (a struck note may be
 * about the wrong person: disclosing it would be a second error), and note text unless asked for.
 * Merged records are exported as one active Patient that "replaces" the inactive others.
 *
 * An export with identities is a 42 CFR Part 2 disclosure. The consent gate and the accounting of
 * disclosures are the caller's (cmd_export.c); the bundle itself carries the redisclosure notice of
 * 42 CFR 2.32 in an extension of Bundle.meta, and Bundle.meta.security labels it 42CFRPart2 and NORDSCLCD
 * (no redisclosure without consent), so the notice travels with the data.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "fhir.h"
#include "crypto.h"
#include "domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ACT "http://terminology.hl7.org/CodeSystem/v3-ActCode"
#define NOTICE_URL "https://cairn.invalid/fhir/StructureDefinition/redisclosure-notice"


/* ---- helpers for writers ---- */

int cairn__fhir_has_patient(const struct cairn__fhir_ctx *x, const char *id)
{
	return id && json_object_get(x->patients, id) != NULL;
}

json_t *cairn__fhir_ref(const char *id)
{
	char url[64];
	snprintf(url, sizeof(url), "urn:uuid:%s", id);
	return json_pack("{s:s}", "reference", url);
}

/* Drop nulls, and arrays and objects left empty; returns 1 when `v` itself is now empty. */
static int prune(json_t *v)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *m;
		void *tmp;
		json_object_foreach_safe(v, tmp, k, m)
			if (json_is_null(m) || prune(m))
				json_object_del(v, k);
		return json_object_size(v) == 0;
	}
	if (json_is_array(v)) {
		for (size_t i = json_array_size(v); i-- > 0;)
			if (json_is_null(json_array_get(v, i)) || prune(json_array_get(v, i)))
				json_array_remove(v, i);
		return json_array_size(v) == 0;
	}
	return 0;
}

int cairn__fhir_entry(json_t *entries, const char *id, json_t *r)
{
	char url[64];
	if (!r)
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	prune(r);
	snprintf(url, sizeof(url), "urn:uuid:%s", id);
	return json_array_append_new(entries, json_pack("{s:s,s:o}", "fullUrl", url, "resource", r))
	               ? cairn__error(CAIRN_ENOMEM, "out of memory")
	               : 0;
}

static json_t *str_or_null(sqlite3_stmt *st, int c)
{
	const char *s = (const char *)sqlite3_column_text(st, c);
	return s ? json_string(s) : json_null();
}

/* A writer's query: `one` with ?1 bound to the person of an export for one person, else `all`; ?2 (if
 * used) is today; `row` turns one row into entries. */
static int each_row(cairn_journal *j, struct cairn__fhir_ctx *x, json_t *entries, const char *one, const char *all,
                    int (*row)(struct cairn__fhir_ctx *, sqlite3_stmt *, json_t *))
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, x->contact ? one : all), s;
	if (rc)
		return rc;
	if (x->contact)
		sqlite3_bind_text(st, 1, x->contact, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, x->today, -1, SQLITE_STATIC);
	while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW)
		rc = row(x, st, entries);
	if (!rc && s != SQLITE_DONE)
		rc = cairn__sqlerr(j, s, "reading records for the FHIR export");
	cairn__finalize(j, st);
	return rc;
}

#define FIELD(f) "(SELECT value FROM contact_fields v WHERE v.entity = c.entity AND v.field = '" f "')"
/* A query of the export, once for one person's merge group and once for everyone (CAIRN__PERSON). */
#define BOTH(q, col) q(CAIRN__PERSON(col)), q(CAIRN__EVERYONE)

/* ---- Patient ---- */

/* Append `item` to the array r[key] when `value` (the item's payload) is present; else drop it. */
static void push(json_t *r, const char *key, const unsigned char *value, json_t *item)
{
	if (!value || !item) {
		json_decref(item);
		return;
	}
	if (!json_object_get(r, key))
		json_object_set_new(r, key, json_array());
	json_array_append_new(json_object_get(r, key), item);
}

static int patient_row(struct cairn__fhir_ctx *x, sqlite3_stmt *st, json_t *entries)
{
	const char *id = (const char *)sqlite3_column_text(st, 0), *canon = (const char *)sqlite3_column_text(st, 1);
	json_t *p = json_pack("{s:s,s:s,s:b,s:o}", "resourceType", "Patient", "id", id, "active", !strcmp(id, canon),
	                      "birthDate", str_or_null(st, 4));
#define COL(c) sqlite3_column_text(st, c)
	push(p, "name", COL(2), json_pack("{s:s,s:o}", "use", "usual", "text", str_or_null(st, 2)));
	push(p, "name", COL(3), json_pack("{s:s,s:o}", "use", "nickname", "text", str_or_null(st, 3)));
	push(p, "telecom", COL(5), json_pack("{s:s,s:o}", "system", "phone", "value", str_or_null(st, 5)));
	push(p, "telecom", COL(6), json_pack("{s:s,s:o}", "system", "email", "value", str_or_null(st, 6)));
	push(p, "communication", COL(7), json_pack("{s:{s:o}}", "language", "text", str_or_null(st, 7)));
	push(p, "address", COL(8), json_pack("{s:o}", "text", str_or_null(st, 8)));
#undef COL
	json_object_set_new(x->patients, id, json_string(canon));
	return cairn__fhir_entry(entries, id, p);
}

/* Merged records: the survivor replaces the others, each replaced-by the survivor (both in the bundle). */
static int patient_links(struct cairn__fhir_ctx *x, json_t *entries)
{
	json_t *e, *byid = json_object();
	size_t i;
	json_array_foreach(entries, i, e) {
		json_t *r = json_object_get(e, "resource");
		if (!strcmp(json_string_value(json_object_get(r, "resourceType")), "Patient"))
			json_object_set(byid, json_string_value(json_object_get(r, "id")), r);
	}
	json_array_foreach(entries, i, e) {
		json_t *r = json_object_get(e, "resource"), *canon, *survivor;
		const char *id = json_string_value(json_object_get(r, "id"));
		if (strcmp(json_string_value(json_object_get(r, "resourceType")), "Patient") ||
		    !(canon = json_object_get(x->patients, id)) || !strcmp(json_string_value(canon), id) ||
		    !(survivor = json_object_get(byid, json_string_value(canon))))
			continue;
		if (!json_object_get(r, "link"))
			json_object_set_new(r, "link", json_array());
		json_array_append_new(json_object_get(r, "link"),
		                      json_pack("{s:o,s:s}", "other", cairn__fhir_ref(json_string_value(canon)), "type",
		                                "replaced-by"));
		if (!json_object_get(survivor, "link"))
			json_object_set_new(survivor, "link", json_array());
		json_array_append_new(json_object_get(survivor, "link"),
		                      json_pack("{s:o,s:s}", "other", cairn__fhir_ref(id), "type", "replaces"));
	}
	json_decref(byid);
	return 0;
}

#define PATIENT_SQL(where)                                                                                            \
	"SELECT c.entity, " CAIRN__CANON("c.entity") ", " FIELD("name") ", " FIELD("alias") ", " FIELD("dob") ", "           \
	FIELD("phone") ", " FIELD("email") ", " FIELD("language") ", " FIELD("location")                              \
	" FROM contacts c WHERE c.cl % 2 = 1 AND " where                                                             \
	/* a person is deleted with the survivor of their merge group (a survivor not here yet: alive) */              \
	" AND coalesce((SELECT k.cl % 2 FROM contacts k WHERE k.entity = " CAIRN__CANON("c.entity") "), 1) = 1"      \
	" ORDER BY c.entity"

static int patients(cairn_journal *j, struct cairn__fhir_ctx *x, json_t *entries)
{
	int rc = each_row(j, x, entries, BOTH(PATIENT_SQL, "c.entity"), patient_row);
	return rc ? rc : patient_links(x, entries);
}

/* ---- Encounter ---- */

/* Narrative XHTML for the note text: escaped, in the one div FHIR requires. */
static json_t *narrative(const char *text)
{
	size_t n = strlen(text), o = 0;
	char *buf = malloc(6 * n + 64);
	json_t *v;
	if (!buf)
		return NULL;
	o += (size_t)sprintf(buf, "<div xmlns=\"http://www.w3.org/1999/xhtml\">");
	for (const char *s = text; *s; s++) {
		const char *rep = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" : *s == '"' ? "&quot;" : NULL;
		if (rep)
			o += (size_t)sprintf(buf + o, "%s", rep);
		else
			buf[o++] = *s;
	}
	strcpy(buf + o, "</div>");
	v = json_pack("{s:s,s:s}", "status", "generated", "div", buf);
	explicit_bzero(buf, o);
	free(buf);
	return v;
}

static int encounter_row(struct cairn__fhir_ctx *x, sqlite3_stmt *st, json_t *entries)
{
	const char *id = (const char *)sqlite3_column_text(st, 0), *contact = (const char *)sqlite3_column_text(st, 1);
	const char *kind = (const char *)sqlite3_column_text(st, 2);
	json_t *e;
	if (!cairn__fhir_has_patient(x, contact))
		return 0; /* its person is not in the bundle (deleted, or not arrived yet) */
	e = json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:[{s:s}],s:o,s:{s:o}}", "resourceType", "Encounter", "id", id,
	              "status", "finished", "class", "system", ACT, "code", !strcmp(kind, "phone") ? "VR" : "FLD",
	              "type", "text", kind, "subject", cairn__fhir_ref(contact), "period", "start", str_or_null(st, 3));
	if (e && sqlite3_column_type(st, 4) == SQLITE_INTEGER)
		json_object_set_new(e, "length", json_pack("{s:I,s:s,s:s,s:s}", "value",
		                                           (json_int_t)sqlite3_column_int64(st, 4), "unit", "min", "system",
		                                           "http://unitsofmeasure.org", "code", "min"));
	if (e && x->with_text)
		json_object_set_new(e, "text", narrative((const char *)sqlite3_column_text(st, 5)));
	return cairn__fhir_entry(entries, id, e);
}

#define ENCOUNTER_SQL(where)                                                                                          \
	"SELECT n.entity, n.contact, n.kind, n.date, n.minutes, coalesce((SELECT text FROM note_amends a "            \
	" WHERE a.note = n.entity ORDER BY hlc DESC, device DESC LIMIT 1), n.text) FROM notes n "                     \
	"WHERE " CAIRN__NOTE_LIVE("n.entity") " AND " where                                                           \
	" ORDER BY n.date, n.entity"

static int encounters(cairn_journal *j, struct cairn__fhir_ctx *x, json_t *entries)
{
	return each_row(j, x, entries, BOTH(ENCOUNTER_SQL, "n.contact"), encounter_row);
}

/* ---- ServiceRequest + Task ---- */

/* The Task's id: a UUID (version 8) derived from the referral's, so an export is reproducible. */
static void task_id(const char *referral, char out[CAIRN_ID_LEN])
{
	unsigned char h[CAIRN_HASH_BYTES];
	char in[64];
	snprintf(in, sizeof(in), "cairn-task:%s", referral);
	cairn__hash(h, in, strlen(in));
	h[6] = (unsigned char)((h[6] & 0x0f) | 0x80);
	h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
	snprintf(out, CAIRN_ID_LEN, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1],
	         h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
}

static const char *request_status(const char *task, int on_hold)
{
	if (on_hold)
		return "on-hold";
	if (!strcmp(task, "draft") || !strcmp(task, "completed"))
		return task;
	if (!strcmp(task, "failed") || !strcmp(task, "rejected") || !strcmp(task, "cancelled"))
		return "revoked";
	return "active";
}

static int referral_row(struct cairn__fhir_ctx *x, sqlite3_stmt *st, json_t *entries)
{
	const char *id = (const char *)sqlite3_column_text(st, 0), *contact = (const char *)sqlite3_column_text(st, 1);
	const char *state = (const char *)sqlite3_column_text(st, 5);
	int on_hold = sqlite3_column_int(st, 6), rc;
	char tid[CAIRN_ID_LEN], modified[32];
	time_t t = (time_t)((uint64_t)sqlite3_column_int64(st, 9) >> 16) / 1000;
	struct tm tm;
	json_t *sr, *task;
	if (!cairn__fhir_has_patient(x, contact))
		return 0;
	gmtime_r(&t, &tm);
	strftime(modified, sizeof(modified), "%Y-%m-%dT%H:%M:%SZ", &tm);
	task_id(id, tid);
	sr = json_pack("{s:s,s:s,s:s,s:s,s:[{s:o}],s:{s:o},s:o,s:o,s:[{s:o}],s:[{s:o}]}", "resourceType",
	               "ServiceRequest", "id", id, "status", request_status(state, on_hold), "intent", "order",
	               "category", "text", str_or_null(st, 2), "code", "text", str_or_null(st, 2), "subject",
	               cairn__fhir_ref(contact), "authoredOn", str_or_null(st, 4), "performer", "display",
	               str_or_null(st, 3), "reasonCode", "text", str_or_null(st, 10));
	if ((rc = cairn__fhir_entry(entries, id, sr)))
		return rc;
	task = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:{s:o},s:{s:o},s:o}", "resourceType", "Task", "id", tid,
	                 "status", on_hold ? "on-hold" : state, "intent", "order", "focus", cairn__fhir_ref(id), "for",
	                 cairn__fhir_ref(contact), "authoredOn", str_or_null(st, 4), "lastModified", modified,
	                 "statusReason", "text", str_or_null(st, 7), "owner", "display", str_or_null(st, 3),
	                 "businessStatus", sqlite3_column_type(st, 8) == SQLITE_NULL
	                                         ? json_null()
	                                         : json_pack("{s:s+}", "text", "reported by ",
	                                                     (const char *)sqlite3_column_text(st, 8)));
	return cairn__fhir_entry(entries, tid, task);
}

#define REFERRAL_SQL(where)                                                                                           \
	"SELECT r.entity, r.contact, r.category, r.target, r.date, s.state, s.on_hold, s.outcome, "                   \
	" s.reporter, s.hlc, r.reason FROM referrals r JOIN referral_state s ON s.referral = r.entity "               \
	"WHERE s.struck = 0 AND " where " ORDER BY r.date, r.entity"

static int referrals(cairn_journal *j, struct cairn__fhir_ctx *x, json_t *entries)
{
	return each_row(j, x, entries, BOTH(REFERRAL_SQL, "r.contact"), referral_row);
}

/* ---- Consent ---- */

#define CONSENT_EXT "https://cairn.invalid/fhir/StructureDefinition/consent-"

/* A Coding in cairn's own code system for the consent's information categories (identity, notes, ...). */
static json_t *info_classes(const char *infos)
{
	json_t *in = json_loads(infos, 0, NULL), *out = json_array(), *v;
	size_t i;
	json_array_foreach(in, i, v) {
		if (json_is_string(v))
			json_array_append_new(out, json_pack("{s:s,s:O}", "system", "https://cairn.invalid/fhir/CodeSystem/"
			                                     "consent-info", "code", v));
	}
	json_decref(in);
	return out;
}

/* An extension {url, value[x]: string} when the column is present, else null (pruned). */
static json_t *ext(const char *name, const char *type, sqlite3_stmt *st, int c)
{
	char url[128];
	if (sqlite3_column_type(st, c) == SQLITE_NULL)
		return json_null();
	snprintf(url, sizeof(url), CONSENT_EXT "%s", name);
	return json_pack("{s:s,s:o}", "url", url, type, str_or_null(st, c));
}

/*
 * Status is core/consent.c's rule (CAIRN__CONSENT_STATUS) as of today: revoked or expired is "inactive".
 * The revocation date, the expiry event, the signature method and the witness have no R4 element of their
 * own: they travel as extensions. The information categories are provision.class codings.
 */
static int consent_row(struct cairn__fhir_ctx *x, sqlite3_stmt *st, json_t *entries)
{
	const char *id = (const char *)sqlite3_column_text(st, 0), *contact = (const char *)sqlite3_column_text(st, 1);
	const char *status = (const char *)sqlite3_column_text(st, 2);
	const char *to = (const char *)sqlite3_column_text(st, 4);
	json_t *r;
	if (!cairn__fhir_has_patient(x, contact) || (x->recipient && (!to || strcmp(x->recipient, to))))
		return 0;
	r = json_pack("{s:s,s:s,s:s,s:{s:[{s:s,s:s,s:s}]},s:[{s:[{s:s,s:s,s:s}]}],s:o,s:o,s:[{s:o}],s:[{s:s}],"
	              "s:{s:s,s:{s:o,s:o},s:[{s:{s:[{s:s,s:s,s:s}]},s:{s:o}}],s:[{s:o}],s:o},s:[o,o,o,o]}",
	              "resourceType", "Consent", "id", id, "status", strcmp(status, "active") ? "inactive" : "active",
	              "scope", "coding", "system", "http://terminology.hl7.org/CodeSystem/consentscope", "code",
	              "patient-privacy", "display", "Privacy Consent", "category", "coding", "system",
	              "http://loinc.org", "code", "59284-0", "display", "Consent Document", "patient",
	              cairn__fhir_ref(contact), "dateTime", str_or_null(st, 9), "organization", "display",
	              str_or_null(st, 3), "policy", "uri", "https://www.ecfr.gov/current/title-42/section-2.31",
	              "provision", "type", "permit", "period", "start", str_or_null(st, 9), "end", str_or_null(st, 7),
	              "actor", "role", "coding", "system", "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
	              "code", "IRCP", "display", "information recipient", "reference", "display", str_or_null(st, 4),
	              "purpose", "display", str_or_null(st, 6), "class",
	              info_classes((const char *)sqlite3_column_text(st, 5)), "extension",
	              ext("revoked", "valueDate", st, 10), ext("expiry-event", "valueString", st, 8),
	              ext("signature-method", "valueCode", st, 11), ext("witness", "valueString", st, 12));
	return cairn__fhir_entry(entries, id, r);
}

#define CONSENT_SQL(where)                                                                                            \
	"SELECT c.entity, c.contact, " CAIRN__CONSENT_STATUS ", c.discloser, c.recipient, c.info, "                   \
	" c.purpose, c.expires, c.expiry_event, c.signed_date, (SELECT min(date) FROM "                               \
	" consent_revocations v WHERE v.consent = c.entity), c.method, c.witness FROM consents c WHERE " where        \
	" ORDER BY c.signed_date, c.entity"

static int consents(cairn_journal *j, struct cairn__fhir_ctx *x, json_t *entries)
{
	return each_row(j, x, entries, BOTH(CONSENT_SQL, "c.contact"), consent_row);
}

/* ---- Observation (assessments) ---- */

static int observation_row(struct cairn__fhir_ctx *x, sqlite3_stmt *st, json_t *entries)
{
	const char *id = (const char *)sqlite3_column_text(st, 0), *contact = (const char *)sqlite3_column_text(st, 1);
	json_t *items, *comp, *v, *r;
	size_t i;
	if (!cairn__fhir_has_patient(x, contact))
		return 0;
	items = json_loads((const char *)sqlite3_column_text(st, 5), 0, NULL);
	comp = json_array();
	json_array_foreach(items, i, v) {
		char code[32];
		snprintf(code, sizeof(code), "item %zu", i + 1);
		json_array_append_new(comp, json_pack("{s:{s:s},s:I}", "code", "text", code, "valueInteger",
		                                      (json_int_t)json_integer_value(v)));
	}
	json_decref(items);
	r = json_pack("{s:s,s:s,s:s,s:[{s:[{s:s,s:s,s:s}]}],s:{s:o},s:o,s:o,s:I,s:o}", "resourceType", "Observation",
	              "id", id, "status", "final", "category", "coding", "system",
	              "http://terminology.hl7.org/CodeSystem/observation-category", "code", "survey", "display",
	              "Survey", "code", "text", str_or_null(st, 2), "subject", cairn__fhir_ref(contact),
	              "effectiveDateTime", str_or_null(st, 3), "valueInteger", (json_int_t)sqlite3_column_int64(st, 4),
	              "component", comp);
	return cairn__fhir_entry(entries, id, r);
}

#define OBSERVATION_SQL(where)                                                                                        \
	"SELECT a.entity, a.contact, coalesce(i.name, a.instrument), a.date, a.total, a.items "                       \
	"FROM assessments a LEFT JOIN instruments i ON i.id = a.instrument WHERE " where " ORDER BY a.date, a.entity"

static int observations(cairn_journal *j, struct cairn__fhir_ctx *x, json_t *entries)
{
	return each_row(j, x, entries, BOTH(OBSERVATION_SQL, "a.contact"), observation_row);
}

/*
 * The writers, Patient first (the others reference it).
 */
static const cairn__fhir_fn writers[] = {patients, encounters, referrals, consents, observations};

int cairn_export_fhir(cairn_journal *j, const cairn_fhir_options *opts, char **out)
{
	cairn_fhir_options dflt = CAIRN_FHIR_OPTIONS_INIT;
	struct cairn__fhir_ctx x = {0};
	char bid[CAIRN_ID_LEN], now[32];
	json_t *entries = json_array(), *bundle = NULL;
	time_t t = time(NULL);
	struct tm tm;
	int rc = 0, own;

	*out = NULL;
	if (!opts)
		opts = &dflt;
	if (opts->contact && !cairn__uuid_valid(opts->contact)) {
		json_decref(entries);
		return cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", opts->contact);
	}
	x.contact = opts->contact;
	x.with_text = opts->with_note_text;
	x.recipient = opts->recipient;
	x.patients = json_object();
	cairn__today(x.today);
	if ((rc = cairn__read_begin(j, &own)))
		goto out;
	for (size_t i = 0; !rc && i < CAIRN__COUNT(writers); i++)
		rc = writers[i](j, &x, entries);
	cairn__read_end(j, own);
	if (!rc && x.contact && !json_object_size(x.patients))
		rc = cairn__error(CAIRN_ENOTFOUND, "no living contact '%s' to export", x.contact);
	if (rc)
		goto out;
	cairn__uuid7(bid);
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	bundle = json_pack("{s:s,s:s,s:{s:s,s:[{s:s,s:s,s:s},{s:s,s:s,s:s}],s:[{s:s,s:s}]},s:s,s:s,s:O}",
	                   "resourceType", "Bundle", "id", bid, "meta", "lastUpdated", now, "security", "system", ACT,
	                   "code", "42CFRPart2", "display", "42 CFR Part 2", "system", ACT, "code", "NORDSCLCD",
	                   "display", "no redisclosure without consent directive", "extension", "url", NOTICE_URL,
	                   "valueString", cairn_redisclosure_notice(), "type", "collection", "timestamp", now, "entry", entries);
	*out = bundle ? json_dumps(bundle, JSON_COMPACT) : NULL;
	rc = *out ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
out:
	json_decref(bundle);
	json_decref(entries);
	json_decref(x.patients);
	return rc;
}
