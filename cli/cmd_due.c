/*
 * cmd_due.c — `cairn due`: what is due per person (follow-up assessments, referrals awaiting an update,
 * expiring consents, crisis follow-ups — each record family contributes its own; see cairn_due()).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "output.h"
#include "table.h"

static const struct cli_opt due_opts[] = {
        {"today", 0, "YYYY-MM-DD", "the day to count from (default: today)", 0},
        {"within", 0, "DAYS", "also list what falls due in the next DAYS days (default 7, at most 3660)", 0},
        CLI_OPT_END,
};

static int render_due(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"DUE", "PERSON", "WHAT", "REF", NULL};
	const json_t *it;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (!ctx->opt->quiet)
			printf("Nothing due.\n");
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(doc, i, it)
	{
		char due[40], scon[CAIRN_ID_LEN], sref[CAIRN_ID_LEN];
		const char *who = js_str(it, "name");

		snprintf(due, sizeof(due), "%s%s", js_str(it, "due") ? js_str(it, "due") : "?",
		         js_true(it, "overdue") ? " (overdue)" : "");
		session_abbrev(ctx, "contact", js_str(it, "contact"), scon);
		snprintf(sref, sizeof(sref), "%s", js_str(it, "ref") ? js_str(it, "ref") : "");
		if (table_add(&t, (const char *const[]){due, who ? who : scon, js_str(it, "what"), sref})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_due(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *today = args_get(a, "today"), *within = args_get(a, "within");
	unsigned long long days = 7;
	char *text = NULL;
	int rc;

	if ((today && check_date(today, "--today")) || (within && check_uint(within, "--within", 0, 3660, &days)))
		return CLI_EXIT_USAGE;
	if ((rc = session_open(ctx)))
		return rc;
	rc = cairn_due(ctx->j, today, (int)days, &text);
	return out_query(ctx->opt, rc, text, render_due, ctx);
}

const struct cli_sub cmd_due_subs[] = {
        {NULL, "", 0, 0, "List what is due per person, soonest first.",
         "Lists follow-up assessments (each instrument's interval after the person's latest\n"
         "assessment, e.g. 180 days for BARC-10), referrals with no update for 14 days (journal setting\n"
         "referral_update_days), consents that expire, and crisis follow-ups: everything due by\n"
         "--today plus --within days. Overdue items are marked. --json: [{\"contact\",\"name\",\"what\",\n"
         "\"due\",\"ref\",\"overdue\"}].\n"
         "\n"
         "Examples:\n"
         "  cairn due\n"
         "  cairn due --within 30\n",
         due_opts, run_due},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
