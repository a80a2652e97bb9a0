/*
 * disclosure.c — what a disclosure sends: a person's record cut down to the categories the consent
 * covers, by the same rules as the FHIR export (fhir.c), so that every way a record leaves says the same.
 *
 * The rules (42 CFR Part 2 allows only what the consent names, about the person who consented):
 *  - a note or referral struck as entered in error is left out: it may be about somebody else, and
 *    sending it would be a second error;
 *  - an amended note is sent as it reads now; the wording it replaced and the amendments' own text stay
 *    (only "amended": true says that it was corrected);
 *  - without "identity" no name goes out: not the fields, not a merged record's fields, not the name a
 *    referral carries;
 *  - a group session says how many attended, never who: the others did not consent;
 *  - conflicts (both values of a field edited twice offline) stay: they are the program's review work.
 * The gate (cairn_disclose_via) is the caller's, before this.
 */
#include "domain.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parsed categories `what` name category `k`, or "all". */
static int covers(const json_t *what, const char *k)
{
	const json_t *w;
	size_t i;
	json_array_foreach(what, i, w)
	{
		if (!strcmp(json_string_value(w), k) || !strcmp(json_string_value(w), "all"))
			return 1;
	}
	return 0;
}

/* The query's `text` (rc from the query) parsed into *out; the text is wiped and freed. Called with the
 * query already run: the order in which arguments are evaluated is unspecified. */
static int parsed(int rc, char *text, json_t **out)
{
	*out = NULL;
	if (!rc && !(*out = json_loads(text ? text : "null", 0, NULL)))
		rc = cairn__error(CAIRN_ERROR, "cannot read back a record to disclose");
	if (text)
		sodium_memzero(text, strlen(text));
	cairn_free(text);
	return rc;
}

/* Keep the entries of array `a` that are not struck. */
static void drop_struck(json_t *a)
{
	for (size_t i = json_array_size(a); i-- > 0;)
		if (json_is_true(json_object_get(json_array_get(a, i), "struck")))
			json_array_remove(a, i);
}

static void trim_notes(json_t *notes)
{
	json_t *n;
	size_t i;
	drop_struck(notes);
	json_array_foreach(notes, i, n)
	{
		json_object_set_new(n, "amended", json_boolean(json_array_size(json_object_get(n, "amendments")) > 0));
		json_object_del(n, "original_text");
		json_object_del(n, "amendments");
		json_object_del(n, "struck");
		json_object_del(n, "strike_reason");
	}
}

static void trim_referrals(json_t *refs, int identity)
{
	json_t *r;
	size_t i;
	drop_struck(refs);
	json_array_foreach(refs, i, r)
	{
		json_object_del(r, "struck");
		if (!identity)
			json_object_del(r, "contact_name");
	}
}

/* The contact card: the categories covered, cut as above. */
static int card(cairn_journal *j, const char *contact, const json_t *what, json_t *rec)
{
	char *text = NULL;
	json_t *show;
	int rc = cairn_contact_show(j, contact, &text), identity = covers(what, "identity");
	if ((rc = parsed(rc, text, &show)))
		return rc;
	if (!identity) {
		json_object_del(show, "fields");
		json_object_del(show, "merged_fields");
	}
	if (covers(what, "notes"))
		trim_notes(json_object_get(show, "notes"));
	else
		json_object_del(show, "notes");
	if (covers(what, "referrals"))
		trim_referrals(json_object_get(show, "referrals"), identity);
	else
		json_object_del(show, "referrals");
	json_object_del(show, "conflicts");
	json_object_set_new(rec, "contact", show);
	return 0;
}

static int plan(cairn_journal *j, const char *contact, const char *type, json_t *plans)
{
	char *text = NULL;
	json_t *p;
	int rc = cairn_plan_show(j, contact, type, NULL, &text);
	if (rc == CAIRN_ENOTFOUND) { /* no plan of this type: nothing to send */
		cairn_error_clear();
		return 0;
	}
	if (!(rc = parsed(rc, text, &p))) /* text is set by now */
		json_object_set_new(plans, type, p);
	return rc;
}

int cairn_disclosure_record(cairn_journal *j, const char *contact, const char *what_list, char **out)
{
	json_t *rec, *v, *what = NULL;
	char *text = NULL;
	int rc;

	*out = NULL;
	if ((rc = cairn__parse_what(what_list, &what)))
		return rc;
	if (!(rec = json_object())) {
		json_decref(what);
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	}
	rc = card(j, contact, what, rec);
	if (!rc && covers(what, "goals")) {
		rc = cairn_goal_list(j, contact, &text);
		if (!(rc = parsed(rc, text, &v)))
			json_object_set_new(rec, "goals", v);
	}
	if (!rc && covers(what, "assessments")) {
		rc = cairn_assess_list(j, contact, NULL, &text);
		if (!(rc = parsed(rc, text, &v)))
			json_object_set_new(rec, "assessments", v);
	}
	if (!rc && covers(what, "groups")) {
		rc = cairn_group_list(j, contact, &text); /* a head count, never the other attendees */
		if (!(rc = parsed(rc, text, &v)))
			json_object_set_new(rec, "groups", v);
	}
	if (!rc && covers(what, "plans")) {
		json_object_set_new(rec, "plans", v = json_object());
		if (!(rc = plan(j, contact, "relapse", v)))
			rc = plan(j, contact, "safety", v);
	}
	if (!rc && !(*out = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS)))
		rc = cairn__error(CAIRN_ENOMEM, "out of memory");
	json_decref(rec);
	json_decref(what);
	return rc;
}
