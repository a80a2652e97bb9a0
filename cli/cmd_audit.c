/*
 * cmd_audit.c — `cairn audit CONTACT` (who viewed or exported a person's record, from every device after
 * sync) and `cairn worker [NAME]` (the name of the person using this device, put into audit and
 * disclosure entries).
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "cli.h"
#include "output.h"
#include "table.h"

static int render_audit(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"TIME", "WORKER", "DEVICE", "WHAT", NULL};
	const json_t *e;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (!ctx->opt->quiet)
			printf("Nobody has viewed this record.\n");
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(doc, i, e)
	{
		if (table_add(&t,
		              (const char *const[]){js_str(e, "time"), js_str(e, "worker") ? js_str(e, "worker") : "?",
		                                    js_str(e, "device"), js_str(e, "what")})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_audit(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN], *text = NULL;
	int rc = session_resolve(ctx, "contact", a->pos[0], id);

	if (rc)
		return rc;
	rc = cairn_audit_list(ctx->j, id, &text);
	return out_query(ctx->opt, rc, text, render_audit, ctx);
}

static int run_worker(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *name = NULL;
	int rc;

	if (a->npos && check_line(a->pos[0], "NAME", 200))
		return CLI_EXIT_USAGE;
	if ((rc = session_open(ctx)))
		return rc;
	if (a->npos) {
		if ((rc = cairn_worker_set(ctx->j, a->pos[0])))
			return cli_lib_fail(rc);
		return out_written(ctx->opt,
		                   json_pack("{s:s,s:s}", "id", cairn_journal_device(ctx->j), "worker", a->pos[0]),
		                   a->pos[0], "This device's worker is now %s.", a->pos[0]);
	}
	if ((rc = cairn_worker_get(ctx->j, &name)))
		return cli_lib_fail(rc);
	if (ctx->opt->json)
		rc = out_json(ctx->opt, json_pack("{s:s,s:s}", "device", cairn_journal_device(ctx->j), "worker", name));
	else
		printf("%s\n", name);
	cairn_free(name);
	return rc;
}

const struct cli_sub cmd_audit_subs[] = {
        {NULL, "CONTACT", 1, 1, "Show who viewed or exported a person's record, newest first.",
         "Viewing a person's record appends an audit entry (device, worker, what, when) before\n"
         "anything is shown: contact show, plan show/history/print, the --contact lists of\n"
         "referrals, goals, groups, assessments, consents and GPRA interviews, disclosures,\n"
         "crisis show, log --entity and log --bodies; so does every disclosure. The caseload\n"
         "views that show record content add one entry for every person they show: search,\n"
         "review, goal list and conflicts. Entries sync like any other record, so this lists\n"
         "views made on every device of the team once they have synced. The other caseload views\n"
         "(contact list, the other lists without --contact, due, duplicates, conflicts --decided,\n"
         "log without --entity or --bodies) are not audited.\n"
         "\n"
         "Examples:\n"
         "  cairn audit CONTACT\n",
         cli_no_opts, run_audit},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_worker_subs[] = {
        {NULL, "[NAME]", 0, 1, "Show or set the name of the worker using this device.",
         "The name goes into audit and disclosure entries (who saw what). It is a setting of this\n"
         "journal, not a record; set it once per device.\n"
         "\n"
         "Examples:\n"
         "  cairn worker\n"
         "  cairn worker \"Sam Rivera\"\n",
         cli_no_opts, run_worker},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
