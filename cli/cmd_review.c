/*
 * cmd_review.c — supervision: `cairn review` lists notes awaiting sign-off, `cairn signoff NOTE` signs
 * one off (an event of the supervisor's device, carrying the supervisor's worker name).
 */
#include <stdio.h>

#include "check.h"
#include "cli.h"
#include "output.h"
#include "table.h"

static const struct cli_opt signoff_opts[] = {
        {"comment", 0, "TEXT", "the supervisor's remark", 0},
        CLI_OPT_END,
};

static int render_review(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"DATE", "PERSON", "KIND", "DEVICE", "NOTE", NULL};
	const json_t *n;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (!ctx->opt->quiet)
			printf("No notes await sign-off.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 4);
	json_array_foreach(doc, i, n)
	{
		char sid[CAIRN_ID_LEN];

		session_abbrev(ctx, "note", js_str(n, "id"), sid);
		if (table_add(&t, (const char *const[]){js_str(n, "date"), js_str(n, "name"), js_str(n, "kind"),
		                                        js_str(n, "device"), sid})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_review(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *text = NULL;
	int rc = session_open(ctx);

	(void)a;
	if (rc)
		return rc;
	rc = cairn_review_list(ctx->j, &text);
	return out_query(ctx->opt, rc, text, render_review, ctx);
}

static int run_signoff(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *comment = args_get(a, "comment");
	char id[CAIRN_ID_LEN];
	int rc;

	if (check_id(a->pos[0], "note id") || (comment && check_line(comment, "--comment", 500)))
		return CLI_EXIT_USAGE;
	if ((rc = session_resolve(ctx, "note", a->pos[0], id)))
		return rc;
	if ((rc = cairn_note_signoff(ctx->j, id, comment)))
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{s:s,s:b}", "id", id, "signed_off", 1), id, "Signed off note %s.", id);
}

const struct cli_sub cmd_review_subs[] = {
        {NULL, "", 0, 0, "List notes awaiting a supervisor's sign-off, oldest first.",
         "Sign one off with 'cairn signoff NOTE'. Struck notes need no sign-off.\n"
         "Reading is audited ('cairn audit PERSON'): every person whose notes are listed gets one\n"
         "'review' entry before anything is shown; if the entries cannot be written, nothing is\n"
         "shown. An empty list records nothing.\n"
         "\n"
         "Examples:\n"
         "  cairn review\n",
         cli_no_opts, run_review},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_signoff_subs[] = {
        {NULL, "NOTE", 1, 1, "Sign off another worker's note as supervisor.",
         "Needs this device's worker name ('cairn worker NAME'); notes written on this device\n"
         "cannot be signed off here. The sign-off is an event and syncs like any other.\n"
         "\n"
         "Examples:\n"
         "  cairn review\n"
         "  cairn signoff NOTE --comment \"clear and complete\"\n",
         signoff_opts, run_signoff},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
