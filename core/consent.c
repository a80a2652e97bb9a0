/*
 * consent.c — consents to disclose (42 CFR Part 2, section 2.31), the consent gate every disclosure goes
 * through (cairn_disclose) and the accounting of disclosures (section 2.24: recipient, what, when, under
 * which consent).
 *
 * Merge rules: a consent is immutable once granted (consent.grant, keyed by its id); revocations are
 * separate events (consent.revoke), and a consent with any revocation is revoked from the earliest
 * revocation date, whatever the order they arrive in. Disclosures (disclosure.add) are immutable rows.
 * Nothing is removed, so the accounting is kept for as long as the journal (at least the three years the
 * rule asks for).
 *
 * The gate is in the library, not the CLI, so that every path that discloses (an export, a FHIR export,
 * a referral carrying notes to an outside organisation, a report with identities) refuses the same way
 * and writes its accounting entry in the same transaction as its check.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "domain.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const info_kinds[] = {"identity", "notes", "referrals", "goals", "plans",
                                         "assessments", "crisis", "groups", "all"};
static const char *const methods[] = {"wet", "verbal-witnessed", "electronic"};
static const char *const default_revocable =
	"I understand that I may revoke this consent at any time, orally or in writing, except to the extent "
	"that action has been taken in reliance on it.";

#define bad cairn__apply_bad
#define bind_str cairn__bind_json_str

const char *cairn_redisclosure_notice(void)
{
	return "This record which has been disclosed to you is protected by federal confidentiality rules "
	       "(42 CFR part 2). These rules prohibit you from using or disclosing this record, or testimony "
	       "that describes the information contained in this record, in any civil, criminal, administrative, "
	       "or legislative proceedings by any Federal, State, or local authority, against the patient, unless "
	       "authorized by the consent of the patient, except as provided at 42 CFR 2.12(c)(5) or as "
	       "authorized by a court in accordance with 42 CFR 2.64 or 2.65. In addition, the federal rules "
	       "prohibit you from making any other use or disclosure of this record unless at least one of the "
	       "following applies: (i) further use or disclosure is expressly permitted by the written consent "
	       "of the individual whose information is being disclosed in this record or as otherwise permitted "
	       "by 42 CFR part 2; (ii) you are a covered entity or business associate and have received the "
	       "record for treatment, payment, or health care operations; or (iii) you have received the record "
	       "from a program covered by 42 CFR part 2 for payment or health care operations activities. A "
	       "general authorization for the release of medical or other information is NOT sufficient to meet "
	       "the required elements of written consent to further use or redisclose this record (see 42 CFR "
	       "2.31).";
}

/* ---- apply ---- */

static int apply_grant(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	static const char *const req[] = {"contact", "discloser", "recipient", "purpose", "revocable",
	                                  "signed_name", "signed_date", "method"};
	json_t *info = json_object_get(body, "info");
	sqlite3_stmt *st;
	char *infos;
	int rc;
	for (size_t i = 0; i < CAIRN__COUNT(req); i++)
		if (!json_is_string(json_object_get(body, req[i])))
			return bad(ev, "a required consent element is missing");
	if (!json_is_array(info))
		return bad(ev, "info is not an array");
	rc = cairn__prepare(j, &st,
	                    "INSERT INTO consents (entity, contact, discloser, recipient, info, amount, "
	                    "purpose, expires, expiry_event, revocable, signed_name, signed_date, method, witness, "
	                    "hlc, device) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
	                    CAIRN__FIRST_WRITER_WINS("consents",
	                        "contact = excluded.contact, "
	                        "discloser = excluded.discloser, "
	                        "recipient = excluded.recipient, "
	                        "info = excluded.info, "
	                        "amount = excluded.amount, "
	                        "purpose = excluded.purpose, "
	                        "expires = excluded.expires, "
	                        "expiry_event = excluded.expiry_event, "
	                        "revocable = excluded.revocable, "
	                        "signed_name = excluded.signed_name, "
	                        "signed_date = excluded.signed_date, "
	                        "method = excluded.method, "
	                        "witness = excluded.witness"));
	if (rc)
		return rc;
	infos = json_dumps(info, JSON_COMPACT);
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	bind_str(st, 2, json_object_get(body, "contact"));
	bind_str(st, 3, json_object_get(body, "discloser"));
	bind_str(st, 4, json_object_get(body, "recipient"));
	sqlite3_bind_text(st, 5, infos ? infos : "[]", -1, SQLITE_TRANSIENT);
	bind_str(st, 6, json_object_get(body, "amount"));
	bind_str(st, 7, json_object_get(body, "purpose"));
	bind_str(st, 8, json_object_get(body, "expires"));
	bind_str(st, 9, json_object_get(body, "expiry_event"));
	bind_str(st, 10, json_object_get(body, "revocable"));
	bind_str(st, 11, json_object_get(body, "signed_name"));
	bind_str(st, 12, json_object_get(body, "signed_date"));
	bind_str(st, 13, json_object_get(body, "method"));
	bind_str(st, 14, json_object_get(body, "witness"));
	sqlite3_bind_int64(st, 15, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 16, ev->device, -1, SQLITE_STATIC);
	free(infos);
	return cairn__step_done(j, st, "recording a consent");
}

static int apply_revoke(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *date = json_object_get(body, "date");
	sqlite3_stmt *st;
	int rc;
	if (!json_is_string(date))
		return bad(ev, "date is required");
	rc = cairn__prepare(j, &st,
	                    "INSERT OR IGNORE INTO consent_revocations (consent, hlc, device, date, reason) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	bind_str(st, 4, date);
	bind_str(st, 5, json_object_get(body, "reason"));
	return cairn__step_done(j, st, "revoking a consent");
}

static int apply_disclosure(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *what = json_object_get(body, "what");
	sqlite3_stmt *st;
	char *whats;
	int rc;
	if (!json_is_string(json_object_get(body, "contact")) || !json_is_string(json_object_get(body, "recipient")) ||
	    !json_is_string(json_object_get(body, "purpose")) || !json_is_string(json_object_get(body, "channel")) ||
	    !json_is_array(what))
		return bad(ev, "contact, recipient, purpose, channel and what are required");
	rc = cairn__prepare(j, &st,
	                    "INSERT INTO disclosures (entity, contact, recipient, purpose, what, channel, "
	                    "consent, emergency, worker, hlc, device) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
	                    CAIRN__FIRST_WRITER_WINS("disclosures",
	                        "contact = excluded.contact, recipient = excluded.recipient, "
	                        "purpose = excluded.purpose, what = excluded.what, "
	                        "channel = excluded.channel, consent = excluded.consent, "
	                        "emergency = excluded.emergency, worker = excluded.worker"));
	if (rc)
		return rc;
	whats = json_dumps(what, JSON_COMPACT);
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	bind_str(st, 2, json_object_get(body, "contact"));
	bind_str(st, 3, json_object_get(body, "recipient"));
	bind_str(st, 4, json_object_get(body, "purpose"));
	sqlite3_bind_text(st, 5, whats ? whats : "[]", -1, SQLITE_TRANSIENT);
	bind_str(st, 6, json_object_get(body, "channel"));
	bind_str(st, 7, json_object_get(body, "consent"));
	bind_str(st, 8, json_object_get(body, "emergency"));
	bind_str(st, 9, json_object_get(body, "worker"));
	sqlite3_bind_int64(st, 10, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 11, ev->device, -1, SQLITE_STATIC);
	free(whats);
	return cairn__step_done(j, st, "recording a disclosure");
}

/* ---- granting and revoking ---- */

static int check_info(json_t *o)
{
	json_t *v;
	size_t i;
	int rc = cairn__str_array(o, "info", 1, CAIRN__COUNT(info_kinds), 32);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(o, "info"), i, v)
	{
		if (!cairn__in_list(json_string_value(v), info_kinds, CAIRN__COUNT(info_kinds)))
			return cairn__error(CAIRN_EINVAL,
			                    "unknown information category '%s' (identity, notes, referrals, "
			                    "goals, plans, "
			                    "assessments, crisis, groups or all)",
			                    json_string_value(v));
	}
	return 0;
}

static int check_grant(json_t *o)
{
	int rc;
	if (!json_object_get(o, "revocable"))
		json_object_set_new(o, "revocable", json_string(default_revocable));
	if ((rc = cairn__req_str(o, "discloser", NULL, 0, 200)) || (rc = cairn__req_str(o, "recipient", NULL, 0, 200)) ||
	    (rc = check_info(o)) || (rc = cairn__opt_str(o, "amount", NULL, 0, CAIRN__MAX_FIELD)) ||
	    (rc = cairn__req_str(o, "purpose", NULL, 0, 200)) || (rc = cairn__opt_str(o, "expiry_event", NULL, 0, 500)) ||
	    (rc = cairn__req_str(o, "revocable", NULL, 0, CAIRN__MAX_FIELD)) ||
	    (rc = cairn__req_str(o, "signed_name", NULL, 0, 200)) || (rc = cairn__past_date_member(o, "signed_date")) ||
	    (rc = cairn__req_str(o, "method", methods, CAIRN__COUNT(methods), 32)) ||
	    (rc = cairn__opt_str(o, "witness", NULL, 0, 200)))
		return rc;
	if (json_object_get(o, "expires") && !json_is_null(json_object_get(o, "expires")) &&
	    (rc = cairn__date_member(o, "expires")))
		return rc;
	if (json_is_string(json_object_get(o, "expires")) &&
	    strcmp(json_string_value(json_object_get(o, "expires")), json_string_value(json_object_get(o, "signed_date"))) <
	            0)
		return cairn__error(CAIRN_EINVAL, "the consent expires (%s) before it was signed (%s)",
		                    json_string_value(json_object_get(o, "expires")),
		                    json_string_value(json_object_get(o, "signed_date")));
	if (!json_is_string(json_object_get(o, "expires")) && !json_is_string(json_object_get(o, "expiry_event")))
		return cairn__error(CAIRN_EINVAL, "a consent needs an expiry: a date (expires) or an event or condition "
		                                  "(expiry_event)");
	if (!strcmp(json_string_value(json_object_get(o, "method")), "verbal-witnessed") &&
	    !json_is_string(json_object_get(o, "witness")))
		return cairn__error(CAIRN_EINVAL, "a verbal consent needs the witness's name (witness)");
	return 0;
}

int cairn_consent_grant(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN])
{
	json_t *o = cairn__parse_object(fields_json, "consent fields");
	int rc;
	if (!o)
		return CAIRN_EINVAL;
	if ((rc = check_grant(o)))
		goto out;
	rc = cairn__add_for_contact(j, "consent.grant", contact, o, NULL, id_out);
out:
	json_decref(o);
	return rc;
}

/* A consent is revoked once, and not before it was signed. (Two devices may still both revoke it
 * offline: both revocations are kept, the earliest date counts.) */
static int revocable(cairn_journal *j, const char *consent, const char *date)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "SELECT c.signed_date, (SELECT min(r.date) FROM consent_revocations r WHERE r.consent = "
	                        "c.entity) FROM consents c WHERE c.entity = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, consent, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 1) != SQLITE_NULL)
		rc = cairn__error(CAIRN_EINVAL, "consent '%s' is already revoked (on %s)", consent,
		                  (const char *)sqlite3_column_text(st, 1));
	else if (rc == SQLITE_ROW && strcmp(date, (const char *)sqlite3_column_text(st, 0)) < 0)
		rc = cairn__error(CAIRN_EINVAL, "the revocation (%s) is dated before the consent was signed (%s)", date,
		                  (const char *)sqlite3_column_text(st, 0));
	else
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading a consent");
	cairn__finalize(j, st);
	return rc;
}

int cairn_consent_revoke(cairn_journal *j, const char *consent, const char *date, const char *reason)
{
	json_t *o = json_object();
	int rc = 0;
	if (date)
		json_object_set_new(o, "date", json_string(date));
	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	if ((rc = cairn__past_date_member(o, "date")) ||
	    (rc = cairn__opt_str(o, "reason", NULL, 0, CAIRN__MAX_FIELD)) || (rc = cairn__txn_begin(j)))
		goto out;
	rc = cairn__need(j, "consents", "consent", consent);
	if (!rc)
		rc = revocable(j, consent, json_string_value(json_object_get(o, "date")));
	if (!rc)
		rc = cairn__append_json(j, "consent.revoke", consent, o, NULL);
	rc = cairn__txn_end(j, rc);
out:
	json_decref(o);
	return rc;
}

#define CONSENT_STATUS CAIRN__CONSENT_STATUS

int cairn_consent_list(cairn_journal *j, const char *contact, const char *today, char **out)
{
	char now[11];
	sqlite3_stmt *st;
	int rc;
	if (contact && !cairn__uuid_valid(contact))
		return cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", contact);
	if (!today) {
		cairn__today(now);
		today = now;
	}
#define CONSENT_LIST(where)                                                                                           \
	"SELECT json_group_array(json(o)) FROM (SELECT json_object('id', c.entity, 'contact', c.contact, "            \
	" 'discloser', c.discloser, 'recipient', c.recipient, 'info', json(c.info), 'amount', c.amount, "             \
	" 'purpose', c.purpose, 'expires', c.expires, 'expiry_event', c.expiry_event, "                               \
	" 'revocable', c.revocable, 'signed_name', c.signed_name, 'signed_date', c.signed_date, "                     \
	" 'method', c.method, 'witness', c.witness, 'device', c.device, 'hlc', c.hlc, "                               \
	" 'revoked', (SELECT min(date) FROM consent_revocations v WHERE v.consent = c.entity), "                      \
	" 'status', " CONSENT_STATUS ") AS o FROM consents c "                                                        \
	"WHERE " where " ORDER BY c.signed_date, c.hlc, c.entity)"
	rc = cairn__prepare(j, &st,
	                    contact ? CONSENT_LIST(CAIRN__PERSON("c.contact")) : CONSENT_LIST(CAIRN__EVERYONE));
	if (rc)
		return rc;
	if (contact)
		sqlite3_bind_text(st, 1, contact, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, today, -1, SQLITE_TRANSIENT);
	rc = cairn__query_text(j, st, out, "[]");
	/* everyone's consents (who may learn what, for what) are audited for every person shown; one person's
	 * by the caller */
	return contact ? rc : cairn__audit_shown(j, rc, out, "id", "consent list");
}

/* ---- the gate ---- */

/* Split "notes, referrals" into a JSON array of known categories. */
int cairn__parse_what(const char *what, json_t **out)
{
	json_t *a = json_array();
	const char *p = what ? what : "";
	while (*p) {
		char word[32];
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (e > s) {
			snprintf(word, sizeof(word), "%.*s", (int)(e - s), s);
			if ((size_t)(e - s) >= sizeof(word) || !cairn__in_list(word, info_kinds, CAIRN__COUNT(info_kinds))) {
				json_decref(a);
				return cairn__error(CAIRN_EINVAL,
				                    "unknown information category '%.*s' (identity, notes, "
				                    "referrals, goals, "
				                    "plans, assessments, crisis, groups or all)",
				                    (int)(e - s), s);
			}
			json_array_append_new(a, json_string(word));
		}
		p += n + (p[n] == ',');
	}
	if (!json_array_size(a)) {
		json_decref(a);
		return cairn__error(CAIRN_EINVAL, "say what is disclosed (identity, notes, referrals, ...)");
	}
	*out = a;
	return 0;
}

static int covers(json_t *have, const char *want)
{
	json_t *v;
	size_t i;
	json_array_foreach(have, i, v)
	{
		/* a consent from another device may list anything: apply checks only that info is an array */
		const char *s = json_string_value(v);
		if (s && (!strcmp(s, want) || !strcmp(s, "all")))
			return 1;
	}
	return 0;
}

/* The first category of `want` that `have` does not cover, or NULL. */
static const char *missing_info(json_t *have, json_t *want)
{
	json_t *v;
	size_t i;
	json_array_foreach(want, i, v)
	{
		if (!covers(have, json_string_value(v)))
			return json_string_value(v);
	}
	return NULL;
}

/* Why the closest consent does not do; the most complete failure wins (recipient < status < purpose < info). */
struct verdict {
	int score; /* 0 none, 1 names the recipient, 2 ... active, 3 ... right purpose, 4 match */
	char consent[CAIRN_ID_LEN];
	char why[300];
};

static void judge(sqlite3_stmt *st, const char *recipient, const char *purpose, json_t *want, struct verdict *v)
{
	const char *id = (const char *)sqlite3_column_text(st, 0), *rcpt = (const char *)sqlite3_column_text(st, 1);
	const char *purp = (const char *)sqlite3_column_text(st, 2), *status = (const char *)sqlite3_column_text(st, 4);
	json_t *have = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
	const char *miss = NULL;
	struct verdict c = {0, "", ""};
	snprintf(c.consent, sizeof(c.consent), "%s", id);
	/* The reason names which check failed in the operator's own words (recipient, purpose, information
	 * asked for): never the consent's id, stored purpose or dates, which only the audited `consent list
	 * --contact` shows (a refusal writes no audit entry). */
	if (strcasecmp(rcpt, recipient)) {
		c.score = 0;
	} else if (strcmp(status, "active")) {
		c.score = 1;
		snprintf(c.why, sizeof(c.why), "the consent for '%s' is %s", recipient,
		         !strcmp(status, "revoked") ? "revoked" : "expired");
	} else if (strcasecmp(purp, purpose)) {
		c.score = 2;
		snprintf(c.why, sizeof(c.why), "the consent for '%s' is not for the purpose '%s'", recipient, purpose);
	} else if ((miss = missing_info(have, want))) {
		c.score = 3;
		snprintf(c.why, sizeof(c.why), "the consent for '%s' and '%s' does not cover %s", recipient, purpose,
		         miss);
	} else {
		c.score = 4;
	}
	json_decref(have);
	if (c.score > v->score || !v->consent[0])
		*v = c;
}

static int find_consent(cairn_journal *j, const char *contact, const char *recipient, const char *purpose,
                        json_t *want, struct verdict *v)
{
	char today[11];
	sqlite3_stmt *st;
	int rc;
	cairn__today(today);
	rc = cairn__prepare(j, &st,
	                    "SELECT c.entity, c.recipient, c.purpose, c.info, " CONSENT_STATUS " "
	                    "FROM consents c WHERE c.contact IN " CAIRN__GROUP("?1") " ORDER BY c.hlc, c.entity");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, contact, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, today, -1, SQLITE_TRANSIENT);
	memset(v, 0, sizeof(*v));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && v->score < 4)
		judge(st, recipient, purpose, want, v);
	cairn__finalize(j, st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : cairn__sqlerr(j, rc, "reading consents");
}

static int refuse(const char *contact, const char *recipient, const char *purpose, json_t *want,
                  const struct verdict *v)
{
	char *whats = json_dumps(want, JSON_COMPACT);
	int rc;
	if (!v->consent[0] || v->score == 0)
		rc = cairn__error(CAIRN_ECONSENT,
		                  "no consent of contact '%s' names the recipient '%s' (needed: purpose '%s', "
		                  "information %s); record one with 'cairn consent grant', or, in a medical "
		                  "emergency, give a reason (--emergency REASON)",
		                  contact, recipient, purpose, whats ? whats : "?");
	else
		rc = cairn__error(CAIRN_ECONSENT,
		                  "no active consent covers this disclosure: %s ('cairn consent list --contact' "
		                  "shows it); record one with 'cairn consent grant', or, in a medical emergency, give "
		                  "a reason (--emergency REASON)",
		                  v->why);
	free(whats);
	return rc;
}

static int disclose_locked(cairn_journal *j, const char *channel, const char *contact, const char *recipient,
                           const char *purpose, json_t *want, const char *emergency, char **consent_out)
{
	struct verdict v;
	char *worker;
	json_t *body;
	int rc;
	if ((rc = cairn__need(j, "contacts", "contact", contact)) ||
	    (rc = find_consent(j, contact, recipient, purpose, want, &v)))
		return rc;
	if (v.score < 4 && !emergency)
		return refuse(contact, recipient, purpose, want, &v);
	worker = cairn__worker(j);
	body = json_pack("{s:s,s:s,s:s,s:O,s:s,s:o,s:o,s:o}", "contact", contact, "recipient", recipient, "purpose",
	                 purpose, "what", want, "channel", channel, "consent",
	                 v.score == 4 ? json_string(v.consent) : json_null(), "emergency",
	                 v.score == 4 ? json_null() : json_string(emergency), "worker",
	                 worker ? json_string(worker) : json_null());
	free(worker);
	if (!body)
		return cairn__error(CAIRN_EINVAL, "recipient, purpose or reason is not valid UTF-8");
	rc = cairn__append_json(j, "disclosure.add", NULL, body, NULL);
	json_decref(body);
	if (!rc) /* a disclosure shows the record to someone: the audit trail says so too */
		rc = cairn__audit_locked(j, contact, channel);
	if (!rc && consent_out && v.score == 4 && !(*consent_out = strdup(v.consent)))
		rc = cairn__error(CAIRN_ENOMEM, "out of memory");
	return rc;
}

int cairn_disclose_via(cairn_journal *j, const char *channel, const char *contact, const char *recipient,
                       const char *purpose, const char *what, const char *emergency_reason, char **consent_id_out)
{
	json_t *want = NULL;
	int rc;
	if (consent_id_out)
		*consent_id_out = NULL;
	if (!channel || !*channel || strlen(channel) > 32)
		return cairn__error(CAIRN_EINVAL, "a disclosure needs a channel (export, report, referral, ...)");
	if (!recipient || !*recipient || strlen(recipient) > 200)
		return cairn__error(CAIRN_EINVAL, "a disclosure needs a recipient (at most 200 characters)");
	if (!purpose || !*purpose || strlen(purpose) > 200)
		return cairn__error(CAIRN_EINVAL, "a disclosure needs a purpose (at most 200 characters)");
	if (emergency_reason && (!*emergency_reason || strlen(emergency_reason) > CAIRN__MAX_FIELD))
		return cairn__error(CAIRN_EINVAL, "an emergency disclosure needs a reason (at most %d characters)",
		                    CAIRN__MAX_FIELD);
	if ((rc = cairn__parse_what(what, &want)))
		return rc;
	if (!(rc = cairn__txn_begin(j)))
		rc = cairn__txn_end(j, disclose_locked(j, channel, contact, recipient, purpose, want, emergency_reason,
		                                       consent_id_out));
	json_decref(want);
	if (rc && consent_id_out) {
		free(*consent_id_out);
		*consent_id_out = NULL;
	}
	return rc;
}

int cairn_disclose(cairn_journal *j, const char *contact, const char *recipient, const char *purpose,
                   const char *what, const char *emergency_reason, char **consent_id_out)
{
	return cairn_disclose_via(j, "export", contact, recipient, purpose, what, emergency_reason, consent_id_out);
}

int cairn_disclosure_list(cairn_journal *j, const char *contact, char **out)
{
	sqlite3_stmt *st;
	int rc;
	if (contact && !cairn__uuid_valid(contact))
		return cairn__error(CAIRN_EINVAL, "malformed contact id '%s'", contact);
#define DISCLOSURE_LIST(where)                                                                                        \
	"SELECT json_group_array(json(o)) FROM (SELECT json_object('id', d.entity, 'contact', d.contact, "            \
	" 'recipient', d.recipient, 'purpose', d.purpose, 'what', json(d.what), 'channel', d.channel, "               \
	" 'consent', d.consent, 'emergency', d.emergency, 'worker', d.worker, 'device', d.device, "                   \
	" 'hlc', d.hlc, 'time', strftime('%Y-%m-%dT%H:%M:%SZ', (d.hlc >> 16) / 1000, 'unixepoch')) AS o "             \
	"FROM disclosures d WHERE " where " ORDER BY d.hlc DESC, d.device DESC)"
	rc = cairn__prepare(j, &st,
	                    contact ? DISCLOSURE_LIST(CAIRN__PERSON("d.contact")) : DISCLOSURE_LIST(CAIRN__EVERYONE));
	if (rc)
		return rc;
	if (contact)
		sqlite3_bind_text(st, 1, contact, -1, SQLITE_TRANSIENT);
	return cairn__query_text(j, st, out, "[]");
}

/* ---- report and due ---- */

static int consent_report(cairn_journal *j, const cairn__report_range *r, json_t *sections)
{
	static const char *const cols[] = {"status", "consents"};
	static const char *const dcols[] = {"channel", "with consent", "emergency"};
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "SELECT status, count(*) FROM (SELECT " CONSENT_STATUS " AS status FROM consents c "
	                        "WHERE c.signed_date <= ?3 AND " CAIRN__IN_SCOPE("c.device") ") GROUP BY status ORDER BY status");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 2, r->to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->to, -1, SQLITE_STATIC);
	if ((rc = cairn__report_rows(j, st, sections, "consents.status", "Consents: status at the end of the period",
	                             cols, 2)))
		return rc;
	rc = cairn__prepare(j, &st,
	                    "SELECT channel, sum(consent IS NOT NULL), sum(emergency IS NOT NULL) FROM disclosures "
	                    "WHERE date((hlc >> 16) / 1000, 'unixepoch') BETWEEN ?1 AND ?2 AND " CAIRN__IN_SCOPE("device")
	                    " GROUP BY channel "
	                    "ORDER BY channel");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, r->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->to, -1, SQLITE_STATIC);
	return cairn__report_rows(j, st, sections, "disclosures.channel", "Disclosures (42 CFR Part 2 accounting)",
	                          dcols, 3);
}

/* A consent with an expiry date, not revoked, is due for renewal on that date. */
static int consent_due(cairn_journal *j, const char *today, int horizon, json_t *items)
{
	return cairn__due_query(j,
		"SELECT c.contact, 'consent expires', c.expires, c.entity FROM consents c "
		"WHERE c.expires IS NOT NULL AND c.expires <= date(?1, ?2 || ' days') "
		"AND c.expires >= date(?1, '-30 days') "
		"AND NOT EXISTS (SELECT 1 FROM consent_revocations v WHERE v.consent = c.entity)",
		today, horizon, items);
}

static const cairn__kind consent_kinds[] = {
	{"consent.grant", apply_grant},
	{"consent.revoke", apply_revoke},
	{"disclosure.add", apply_disclosure},
};

static const char *const consent_tables[] = {"consents", "consent_revocations", "disclosures"};

static const char *const consent_digest[] = {
	"SELECT 'consents', entity, contact, discloser, recipient, info, amount, purpose, expires, expiry_event, "
	"revocable, signed_name, signed_date, method, witness, hlc, device FROM consents ORDER BY entity",
	"SELECT 'consent_revocations', consent, hlc, device, date, reason FROM consent_revocations "
	"ORDER BY consent, hlc, device",
	"SELECT 'disclosures', entity, contact, recipient, purpose, what, channel, consent, emergency, worker, hlc, "
	"device FROM disclosures ORDER BY entity",
};

const cairn__module cairn__module_consent = {
	"consent",      consent_kinds,  CAIRN__COUNT(consent_kinds),  consent_tables, CAIRN__COUNT(consent_tables),
	consent_digest, CAIRN__COUNT(consent_digest), consent_report, consent_due,
};
