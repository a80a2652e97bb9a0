/*
 * cmd_referral.c — `cairn referral add|status|list`.
 *
 * States are the FHIR R4 Task statuses the Gravity SDOH referral guide uses (plus on-hold as a flag), so
 * what is typed here exports without translation. The library joins concurrent status events as a
 * lattice; `--reopen` starts a new generation, the only way back from a terminal state.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "domain_card.h"
#include "output.h"
#include "table.h"

static const char *const categories[] = {"housing", "treatment", "mat",   "mental-health", "employment", "mutual-help",
                                         "medical", "benefits",  "legal", "other",         NULL};
static const char *const states[] = {"draft",     "requested", "received", "accepted",  "in-progress",      "on-hold",
                                     "completed", "failed",    "rejected", "cancelled", "entered-in-error", NULL};
static const char *const outcomes[] = {"placed",   "waitlisted",  "no-capacity", "not-eligible",
                                       "declined", "unreachable", "other",       NULL};
static const char *const reporters[] = {"referrer", "receiver", "person", NULL};

static const struct cli_opt add_opts[] = {
        {"category", 0, "C",
         "housing, treatment, mat, mental-health, employment, mutual-help, medical, benefits, legal or other", 0},
        {"to", 0, "ORG", "the organisation or service referred to (or --resource)", 0},
        {"resource", 0, "ID", "refer to a resource of the directory (fills --to, and --category when it fits)", 0},
        {"share", 0, "LIST", "send information with the referral (identity, notes, ...): needs the person's consent",
         0},
        {"purpose", 0, "TEXT", "with --share: the purpose, as on the consent (default: referral)", 0},
        {"emergency", 0, "REASON", "with --share: a medical emergency, shared without consent and recorded as such", 0},
        {"reason", 0, "R", "why (what the person needs)", 0},
        {"date", 0, "YYYY-MM-DD", "when the referral was made (default: today)", 0},
        CLI_OPT_END,
};
static const struct cli_opt status_opts[] = {
        {"outcome", 0, "O", "placed, waitlisted, no-capacity, not-eligible, declined, unreachable or other", 0},
        {"reporter", 0, "WHO", "who reported it: referrer, receiver (the organisation) or person", 0},
        {"note", 0, "N", "a short remark kept with the status", 0},
        {"reopen", 0, NULL, "start a new round after a terminal state (completed, failed, ...)", 0},
        CLI_OPT_END,
};
static const struct cli_opt list_opts[] = {
        {"contact", 0, "ID", "only the referrals of this contact; audited", 0},
        CLI_OPT_END,
};

/* The fields as JSON text for the library; `obj` is released. NULL when out of memory. */
static char *fields_text(json_t *obj)
{
	char *body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	if (!body)
		cli_fail(CLI_EXIT_FAIL, "out of memory");
	return body;
}

static int store_add(struct cli_ctx *ctx, const char *contact, json_t *obj, char id[CAIRN_ID_LEN])
{
	char *body = fields_text(obj);
	int rc;

	if (!body)
		return CLI_EXIT_FAIL;
	rc = cairn_referral_add(ctx->j, contact, body, id);
	out_wipe_free(body);
	return rc ? cli_lib_fail(rc) : 0;
}

static int store_status(struct cli_ctx *ctx, const char *referral, json_t *obj)
{
	char *body = fields_text(obj);
	int rc;

	if (!body)
		return CLI_EXIT_FAIL;
	rc = cairn_referral_status(ctx->j, referral, body);
	out_wipe_free(body);
	return rc ? cli_lib_fail(rc) : 0;
}

/*
 * --resource ID: the recipient is the resource's organisation (else its name) and the category its first
 * category that is a referral category, unless --to / --category say otherwise. `res` keeps the strings.
 */
static int from_resource(struct cli_ctx *ctx, const char *arg, const char **to, const char **cat, json_t **res)
{
	char id[CAIRN_ID_LEN], *text = NULL;
	const json_t *c;
	size_t i;
	int rc;

	if ((rc = session_resolve(ctx, "resource", arg, id)))
		return rc;
	if ((rc = cairn_resource_show(ctx->j, id, &text)))
		return cli_lib_fail(rc);
	*res = out_parse(text);
	out_free_text(text);
	if (!*res)
		return CLI_EXIT_FAIL;
	if (!*to)
		*to = js_str(*res, "organization") ? js_str(*res, "organization") : js_str(*res, "name");
	json_array_foreach(json_object_get(*res, "categories"), i, c)
	{
		int k;

		for (k = 0; !*cat && categories[k]; k++)
			if (json_is_string(c) && !strcmp(categories[k], json_string_value(c)))
				*cat = categories[k];
	}
	if (!*cat)
		return cli_usage("resource %s has no referral category: give --category", arg);
	return 0;
}

static int check_add(const struct cli_args *a)
{
	const char *cat = args_get(a, "category"), *to = args_get(a, "to"), *reason = args_get(a, "reason");
	const char *date = args_get(a, "date"), *res = args_get(a, "resource"), *share = args_get(a, "share");
	const char *purpose = args_get(a, "purpose"), *em = args_get(a, "emergency");

	if (check_id(a->pos[0], "contact id") || (cat && check_enum(cat, "--category", categories)) ||
	    (to && check_line(to, "--to", 200)) || (reason && check_line(reason, "--reason", 500)) ||
	    (date && check_date(date, "--date")) || (res && check_id(res, "resource id")) ||
	    (share && check_line(share, "--share", 200)) || (purpose && check_line(purpose, "--purpose", 200)) ||
	    (em && check_line(em, "--emergency", 500)))
		return CLI_EXIT_USAGE;
	if (!res && !to)
		return cli_usage("missing --to ORG (or --resource ID) for 'cairn referral add'");
	if (!res && !cat)
		return cli_usage("missing --category C for 'cairn referral add'");
	if ((purpose || em) && !share)
		return cli_usage("--purpose and --emergency go with --share LIST");
	return 0;
}

/* --share: information leaves with the referral, so it passes the consent gate (and is accounted for). */
static int share(struct cli_ctx *ctx, const struct cli_args *a, const char *contact, const char *to, char **consent)
{
	const char *purpose = args_get(a, "purpose") ? args_get(a, "purpose") : "referral";
	int rc;

	if (!args_get(a, "share"))
		return 0;
	rc = cairn_disclose_via(ctx->j, "referral", contact, to, purpose, args_get(a, "share"),
	                        args_get(a, "emergency"), consent);
	return rc ? cli_lib_fail(rc) : 0;
}

static int run_add(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *cat = args_get(a, "category"), *to = args_get(a, "to"), *reason = args_get(a, "reason");
	const char *date = args_get(a, "date");
	char contact[CAIRN_ID_LEN], id[CAIRN_ID_LEN], today[CHECK_DATE_LEN], *consent = NULL;
	json_t *obj, *res = NULL;
	int rc;

	if (check_add(a))
		return CLI_EXIT_USAGE;
	if (!date) {
		check_today(today);
		date = today;
	}
	if ((rc = session_resolve(ctx, "contact", a->pos[0], contact)) ||
	    (args_get(a, "resource") && (rc = from_resource(ctx, args_get(a, "resource"), &to, &cat, &res))) ||
	    (rc = share(ctx, a, contact, to, &consent)))
		goto out;
	obj = json_pack("{s:s,s:s,s:s}", "category", cat, "to", to, "date", date);
	if (obj && reason)
		json_object_set_new(obj, "reason", json_string(reason));
	if ((rc = store_add(ctx, contact, obj, id)))
		goto out;
	rc = out_written(ctx->opt, json_pack("{s:s,s:s,s:s?}", "id", id, "contact", contact, "consent", consent), id,
	                 "Added referral %s (%s -> %s).", id, cat, to);
out:
	cairn_free(consent);
	json_decref(res);
	return rc;
}

static int check_status_args(const struct cli_args *a)
{
	const char *outcome = args_get(a, "outcome"), *reporter = args_get(a, "reporter");
	const char *note = args_get(a, "note");

	if (check_id(a->pos[0], "referral id") || check_enum(a->pos[1], "STATE", states) ||
	    (outcome && check_enum(outcome, "--outcome", outcomes)) ||
	    (reporter && check_enum(reporter, "--reporter", reporters)) || (note && check_line(note, "--note", 500)))
		return CLI_EXIT_USAGE;
	return 0;
}

static json_t *status_fields(const struct cli_args *a)
{
	static const char *const optional[] = {"outcome", "reporter", "note", NULL};
	json_t *obj = json_pack("{s:s}", "state", a->pos[1]);
	int i;

	for (i = 0; obj && optional[i]; i++)
		if (args_get(a, optional[i]))
			json_object_set_new(obj, optional[i], json_string(args_get(a, optional[i])));
	if (obj && args_count(a, "reopen"))
		json_object_set_new(obj, "reopen", json_true());
	return obj;
}

static int run_status(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN];
	int rc;

	if (check_status_args(a))
		return CLI_EXIT_USAGE;
	if ((rc = session_resolve(ctx, "referral", a->pos[0], id)) || (rc = store_status(ctx, id, status_fields(a))))
		return rc;
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "state", a->pos[1]), id,
	                   "Recorded '%s' for referral %s.", a->pos[1], id);
}

/* "accepted, on hold, needs review" */
static void state_cell(char *buf, size_t n, const json_t *r)
{
	snprintf(buf, n, "%s%s%s%s", js_str(r, "state") ? js_str(r, "state") : "?",
	         js_true(r, "on_hold") ? ", on hold" : "", js_true(r, "review") ? ", needs review" : "",
	         js_true(r, "struck") ? ", entered in error" : "");
}

static int render_list(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	const struct cli_opts *o = ctx->opt;
	static const char *const head[] = {"ID", "CONTACT", "CATEGORY", "TO", "STATE", "OUTCOME", "DATE", NULL};
	const json_t *r;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (o->out_tty && !o->quiet)
			printf("No referrals.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 0);
	json_array_foreach(doc, i, r)
	{
		char sid[CAIRN_ID_LEN], scon[CAIRN_ID_LEN], state[96];
		const char *who = js_str(r, "contact_name");

		session_abbrev(ctx, "referral", js_str(r, "id"), sid);
		if (!who)
			session_abbrev(ctx, "contact", js_str(r, "contact"), scon);
		state_cell(state, sizeof(state), r);
		if (table_add(&t, (const char *const[]){sid, who ? who : scon, js_str(r, "category"), js_str(r, "to"),
		                                        state, js_str(r, "outcome"), js_str(r, "date")})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, o->out_tty);
	table_free(&t);
	return 0;
}

static int run_list(struct cli_ctx *ctx, const struct cli_args *a)
{
	return domain_list_by_contact(ctx, a, "referral list", cairn_referral_list, render_list);
}

const struct cli_sub cmd_referral_subs[] = {
        {"add", "CONTACT", 1, 1, "Refer a contact somewhere; prints the new referral id.",
         "--resource ID takes the recipient from the resource directory. --share LIST sends\n"
         "information with the referral to the outside organisation: allowed only under the\n"
         "person's active consent naming that organisation, the purpose (--purpose, default\n"
         "referral) and the information (else exit 11, nothing recorded); it is accounted for\n"
         "in 'cairn disclosures'.\n"
         "\n"
         "Examples:\n"
         "  cairn referral add CONTACT --category housing --to \"Harbor House\" --reason \"needs a bed tonight\"\n"
         "  cairn referral add CONTACT --resource RESOURCE --date 2026-11-02\n"
         "  cairn referral add CONTACT --category mat --to \"Bayside Clinic\" --share identity,notes \\\n"
         "      --purpose \"care coordination\"\n",
         add_opts, run_add},
        {"status", "ID STATE", 2, 2, "Record a referral's status (its history is kept).",
         "STATE: draft, requested, received, accepted, in-progress, on-hold, completed, failed,\n"
         "rejected, cancelled, entered-in-error. On-hold lasts until the next status. A terminal\n"
         "state (completed, failed, rejected, cancelled) only changes again with --reopen.\n"
         "\n"
         "Examples:\n"
         "  cairn referral status REFERRAL accepted --reporter receiver\n"
         "  cairn referral status REFERRAL completed --outcome placed --note \"moved in 2026-11-30\"\n"
         "  cairn referral status REFERRAL requested --reopen\n",
         status_opts, run_status},
        {"list", "", 0, 0, "List referrals with their current status.",
         CLI_LIST_AUDITED("referral list") "\n"
                                           "Examples:\n"
                                           "  cairn referral list\n"
                                           "  cairn referral list --contact CONTACT\n",
         list_opts, run_list},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
