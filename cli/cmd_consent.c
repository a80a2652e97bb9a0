/*
 * cmd_consent.c — `cairn consent grant|revoke|list`: consent to disclose under 42 CFR Part 2 (section
 * 2.31: the person, who may disclose, the recipient, what and how much, the purpose, the expiry, the
 * revocability statement, the signature). Every disclosure path checks them through cairn_disclose().
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "output.h"
#include "table.h"

static const char *const methods[] = {"wet", "verbal-witnessed", "electronic", NULL};

static const struct cli_opt grant_opts[] = {
        {"from", 0, "PROGRAM", "who may disclose (the program or person named on the form)", CLI_OPT_REQUIRED},
        {"to", 0, "RECIPIENT", "the recipient (organisation or person)", CLI_OPT_REQUIRED},
        {"info", 0, "LIST",
         "what may be disclosed, comma-separated: identity, notes, referrals, goals, plans, assessments, crisis, "
         "groups or all",
         CLI_OPT_REQUIRED},
        {"amount", 0, "TEXT", "how much and what kind of information, in words", 0},
        {"purpose", 0, "TEXT", "the purpose of the disclosure", CLI_OPT_REQUIRED},
        {"expires", 0, "YYYY-MM-DD", "the date the consent expires", 0},
        {"until-event", 0, "TEXT", "or the event or condition on which it expires", 0},
        {"revocable", 0, "TEXT", "the revocability statement given (default: the standard statement)", 0},
        {"signed-by", 0, "NAME", "who signed", CLI_OPT_REQUIRED},
        {"signed-on", 0, "YYYY-MM-DD", "when (default: today)", 0},
        {"method", 0, "M", "wet, verbal-witnessed or electronic", CLI_OPT_REQUIRED},
        {"witness", 0, "NAME", "the witness of a verbal consent", 0},
        CLI_OPT_END,
};
static const struct cli_opt revoke_opts[] = {
        {"date", 0, "YYYY-MM-DD", "revoked from this day (default: today)", 0},
        {"reason", 0, "TEXT", "why, in the person's words if given", 0},
        CLI_OPT_END,
};
static const struct cli_opt list_opts[] = {
        {"contact", 0, "ID", "only this person's consents; audited", 0},
        {"today", 0, "YYYY-MM-DD", "judge expiry as of this day (default: today)", 0},
        CLI_OPT_END,
};

/* --info "notes,referrals" as a JSON array (the library checks the categories). */
static json_t *info_list(const char *s)
{
	json_t *a = json_array();

	while (a && *s) {
		size_t n = strcspn(s, ",");

		if (n)
			json_array_append_new(a, json_stringn(s, n));
		s += n + (s[n] == ',');
	}
	return a;
}

static int check_grant(const struct cli_args *a)
{
	static const char *const lines[] = {"from",    "to",          "purpose", "signed-by",
	                                    "witness", "until-event", "amount",  NULL};
	int i;

	for (i = 0; lines[i]; i++)
		if (args_get(a, lines[i]) && check_line(args_get(a, lines[i]), lines[i], 500))
			return CLI_EXIT_USAGE;
	if (check_line(args_get(a, "info"), "--info", 200) || check_enum(args_get(a, "method"), "--method", methods) ||
	    (args_get(a, "expires") && check_date(args_get(a, "expires"), "--expires")) ||
	    (args_get(a, "signed-on") && check_date(args_get(a, "signed-on"), "--signed-on")) ||
	    (args_get(a, "revocable") && check_text(args_get(a, "revocable"), "--revocable", 1000)))
		return CLI_EXIT_USAGE;
	if (!args_get(a, "expires") && !args_get(a, "until-event"))
		return cli_usage("a consent needs an expiry: give --expires DATE or --until-event TEXT");
	if (!strcmp(args_get(a, "method"), "verbal-witnessed") && !args_get(a, "witness"))
		return cli_usage("a verbal consent needs --witness NAME");
	return 0;
}

static json_t *grant_fields(const struct cli_args *a)
{
	static const char *const map[][2] = {
	        {"from", "discloser"},      {"to", "recipient"},          {"amount", "amount"},
	        {"purpose", "purpose"},     {"expires", "expires"},       {"until-event", "expiry_event"},
	        {"revocable", "revocable"}, {"signed-by", "signed_name"}, {"signed-on", "signed_date"},
	        {"method", "method"},       {"witness", "witness"},
	};
	json_t *o = json_object();
	size_t i;

	for (i = 0; o && i < sizeof(map) / sizeof(map[0]); i++)
		if (args_get(a, map[i][0]))
			json_object_set_new(o, map[i][1], json_string(args_get(a, map[i][0])));
	if (o)
		json_object_set_new(o, "info", info_list(args_get(a, "info")));
	return o;
}

static int run_grant(struct cli_ctx *ctx, const struct cli_args *a)
{
	char contact[CAIRN_ID_LEN], id[CAIRN_ID_LEN], *body;
	json_t *o;
	int rc;

	if (check_id(a->pos[0], "contact id") || check_grant(a))
		return CLI_EXIT_USAGE;
	if ((rc = session_resolve(ctx, "contact", a->pos[0], contact)))
		return rc;
	o = grant_fields(a);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = cairn_consent_grant(ctx->j, contact, body, id);
	out_wipe_free(body);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "contact", contact), id,
	                   "Recorded consent %s (to %s).", id, args_get(a, "to"));
}

static int run_revoke(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *date = args_get(a, "date"), *reason = args_get(a, "reason");
	char id[CAIRN_ID_LEN];
	int rc;

	if (check_id(a->pos[0], "consent id") || (date && check_date(date, "--date")) ||
	    (reason && check_line(reason, "--reason", 500)))
		return CLI_EXIT_USAGE;
	if ((rc = session_resolve(ctx, "consent", a->pos[0], id)))
		return rc;
	if ((rc = cairn_consent_revoke(ctx->j, id, date, reason)))
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{s:s,s:b}", "id", id, "revoked", 1), id, "Revoked consent %s.", id);
}

static int render_list(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"ID", "CONTACT", "TO", "PURPOSE", "INFO", "EXPIRES", "STATUS", NULL};
	const json_t *c;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (!ctx->opt->quiet)
			printf("No consents.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 0);
	json_array_foreach(doc, i, c)
	{
		char sid[CAIRN_ID_LEN], scon[CAIRN_ID_LEN], *info = js_list(c, "info");
		const char *exp = js_str(c, "expires") ? js_str(c, "expires") : js_str(c, "expiry_event");

		session_abbrev(ctx, "consent", js_str(c, "id"), sid);
		session_abbrev(ctx, "contact", js_str(c, "contact"), scon);
		if (table_add(&t, (const char *const[]){sid, scon, js_str(c, "recipient"), js_str(c, "purpose"), info,
		                                        exp, js_str(c, "status")})) {
			out_wipe_free(info);
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
		out_wipe_free(info);
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_list(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *who = args_get(a, "contact"), *today = args_get(a, "today");
	char contact[CAIRN_ID_LEN], *text = NULL;
	int rc;

	if ((who && check_id(who, "contact id")) || (today && check_date(today, "--today")))
		return CLI_EXIT_USAGE;
	if ((rc = session_view_contact(ctx, who, "consent list", contact)))
		return rc;
	rc = cairn_consent_list(ctx->j, who ? contact : NULL, today, &text);
	return out_query(ctx->opt, rc, text, render_list, ctx);
}

const struct cli_sub cmd_consent_subs[] = {
        {"grant", "CONTACT", 1, 1, "Record a person's consent to disclose; prints the consent id.",
         "The elements 42 CFR Part 2 asks for: who may disclose (--from), the recipient (--to), what\n"
         "and how much (--info, --amount), the purpose, the expiry (--expires and/or --until-event),\n"
         "the revocability statement and the signature (--signed-by, --signed-on, --method).\n"
         "A disclosure (cairn disclose, a referral carrying notes, an export with identities) is\n"
         "allowed only under an active consent naming its recipient and purpose and covering its\n"
         "information; otherwise it is refused (exit 11) with a message naming what is missing.\n"
         "\n"
         "Examples:\n"
         "  cairn consent grant CONTACT --from \"Harbor Peer Recovery\" --to \"Bayside Clinic\" \\\n"
         "      --info identity,notes,referrals --purpose \"care coordination\" --signed-by \"Ana Diaz\" \\\n"
         "      --method wet --expires 2027-11-02\n",
         grant_opts, run_grant},
        {"revoke", "ID", 1, 1, "Revoke a consent (it stays in the record, marked revoked).",
         "Examples:\n"
         "  cairn consent revoke CONSENT --reason \"does not want Bayside to get updates\"\n",
         revoke_opts, run_revoke},
        {"list", "", 0, 0, "List consents with their status (active, revoked or expired).",
         CLI_LIST_AUDITED("consent list") "\n"
                                          "Examples:\n"
                                          "  cairn consent list\n"
                                          "  cairn consent list --contact CONTACT\n",
         list_opts, run_list},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
