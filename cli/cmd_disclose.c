/*
 * cmd_disclose.c — `cairn disclose` (export a person's record to an outside recipient) and
 * `cairn disclosures` (the accounting of disclosures, 42 CFR Part 2).
 *
 * The gate is the library's (cairn_disclose_via): without an active consent naming the recipient and
 * purpose and covering what is sent, nothing is written and the command exits 11 naming what is missing;
 * --emergency REASON records a disclosure without consent as an emergency. The export carries the
 * redisclosure notice (42 CFR 2.32). The output file is created (0600, never overwritten: outfile.c)
 * before the consent is checked, so a disclosure is never recorded for an export that could not be
 * written; it is removed again when the disclosure is refused or the export fails.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "outfile.h"
#include "output.h"
#include "table.h"

static const struct cli_opt disclose_opts[] = {
        {"to", 0, "RECIPIENT", "who receives the record (as named on the consent)", CLI_OPT_REQUIRED},
        {"purpose", 0, "TEXT", "why (as named on the consent)", CLI_OPT_REQUIRED},
        {"what", 0, "LIST",
         "what is sent, comma-separated: identity, notes, referrals, goals, plans, assessments, groups",
         CLI_OPT_REQUIRED},
        {"emergency", 0, "REASON", "a medical emergency: disclose without consent, recorded as such", 0},
        {"output", 'o', "FILE", "write the export to a new FILE (mode 0600, never overwritten; default: stdout)", 0},
        {"out", 0, "FILE", "the old name of --output (deprecated)", 0},
        CLI_OPT_END,
};

/* --output, or its old name --out (the parser has no hidden aliases: both are listed, one may be given). */
static const char *output_arg(const struct cli_args *a)
{
	return args_get(a, "output") ? args_get(a, "output") : args_get(a, "out");
}

static int check_disclose(const struct cli_args *a)
{
	const char *e = args_get(a, "emergency");

	if (check_id(a->pos[0], "contact id") || check_line(args_get(a, "to"), "--to", 200) ||
	    check_line(args_get(a, "purpose"), "--purpose", 200) || check_line(args_get(a, "what"), "--what", 200) ||
	    (e && check_line(e, "--emergency", 500)) || (output_arg(a) && check_nonempty(output_arg(a), "--output")))
		return CLI_EXIT_USAGE;
	if (args_get(a, "output") && args_get(a, "out"))
		return cli_usage("give --output once (--out is its old name)");
	return 0;
}

/*
 * The id of the disclosure just recorded for `contact`: the newest of its accounting (the library gives no
 * id back, and an entry recorded now carries the journal's newest clock). JSON null, after a warning, when
 * it cannot be read: the export is written by then.
 */
static json_t *last_disclosure(struct cli_ctx *ctx, const char *contact)
{
	char *text = NULL;
	int rc = cairn_disclosure_list(ctx->j, contact, &text);
	json_t *all = rc ? NULL : out_parse(text), *id;

	out_free_text(text);
	id = json_string(js_str(json_array_get(all, 0), "id") ? js_str(json_array_get(all, 0), "id") : "");
	json_decref(all);
	if (!id || !*json_string_value(id)) {
		json_decref(id);
		cli_warn("cannot read back the disclosure just recorded (see 'cairn disclosures')");
		return json_null();
	}
	return id;
}

/* The export to stdout, or to the file `of` (then reported with the disclosure's id). */
static int emit(struct cli_ctx *ctx, json_t *doc, struct outfile *of, const char *path, const char *contact,
                const char *consent)
{
	char *text;
	int rc;

	if (!of->f)
		return out_json(ctx->opt, doc);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(doc);
	if (!text)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	fputs(text, of->f);
	fputc('\n', of->f);
	out_wipe_free(text);
	if ((rc = outfile_close(of, 1)))
		return rc;
	return outfile_written(ctx->opt,
	                       ctx->opt->json ? json_pack("{s:o,s:s,s:s?}", "id", last_disclosure(ctx, contact),
	                                                  "contact", contact, "consent", consent)
	                                      : NULL,
	                       path, "Wrote the export to %s (disclosure recorded%s).", path,
	                       consent ? "" : " as an emergency");
}

static int run_disclose(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *path = output_arg(a), *what = args_get(a, "what");
	char id[CAIRN_ID_LEN], *consent = NULL, *text = NULL;
	struct outfile of = {0};
	json_t *doc, *rec = NULL;
	int rc;

	if (check_disclose(a))
		return CLI_EXIT_USAGE;
	if ((rc = session_resolve(ctx, "contact", a->pos[0], id)) || (path && (rc = outfile_open(&of, path))))
		return rc;
	rc = cairn_disclose_via(ctx->j, "export", id, args_get(a, "to"), args_get(a, "purpose"), what,
	                        args_get(a, "emergency"), &consent);
	if (rc) {
		outfile_close(&of, 0);
		return cli_lib_fail(rc);
	}
	doc = json_pack("{s:s,s:{s:s,s:s,s:s,s:s?,s:s?}}", "notice", cairn_redisclosure_notice(), "disclosure",
	                "recipient", args_get(a, "to"), "purpose", args_get(a, "purpose"), "what", what, "consent",
	                consent, "emergency", consent ? NULL : args_get(a, "emergency"));
	if ((rc = cairn_disclosure_record(ctx->j, id, what, &text)))
		rc = cli_lib_fail(rc);
	else if (!(rec = out_parse(text)))
		rc = CLI_EXIT_FAIL;
	out_free_text(text);
	if (rc || !doc) {
		json_decref(doc);
		json_decref(rec);
		rc = rc ? rc : cli_fail(CLI_EXIT_FAIL, "out of memory");
	} else {
		json_object_set_new(doc, "record", rec);
		rc = emit(ctx, doc, &of, path, id, consent);
	}
	outfile_close(&of, 0); /* a failed export leaves no file (nothing to do once emit closed it) */
	cairn_free(consent);
	return rc;
}

static int render_disclosures(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"TIME", "TO", "PURPOSE", "WHAT", "CHANNEL", "UNDER", "WORKER", NULL};
	const json_t *d;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (!ctx->opt->quiet)
			printf("No disclosures.\n");
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(doc, i, d)
	{
		char under[CAIRN_ID_LEN + 32], sid[CAIRN_ID_LEN], *what = js_list(d, "what");

		if (js_str(d, "consent")) {
			session_abbrev(ctx, "consent", js_str(d, "consent"), sid);
			snprintf(under, sizeof(under), "consent %s", sid);
		} else
			snprintf(under, sizeof(under), "EMERGENCY");
		if (table_add(&t,
		              (const char *const[]){js_str(d, "time"), js_str(d, "recipient"), js_str(d, "purpose"),
		                                    what, js_str(d, "channel"), under,
		                                    js_str(d, "worker") ? js_str(d, "worker") : js_str(d, "device")})) {
			out_wipe_free(what);
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
		out_wipe_free(what);
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_disclosures(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN], *text = NULL;
	int rc = session_view_contact(ctx, a->pos[0], "disclosures", id);

	if (rc)
		return rc;
	rc = cairn_disclosure_list(ctx->j, id, &text);
	return out_query(ctx->opt, rc, text, render_disclosures, ctx);
}

const struct cli_sub cmd_disclose_subs[] = {
        {NULL, "CONTACT", 1, 1, "Export a person's record to an outside recipient, under their consent.",
         "Refused (exit 11, nothing written) unless an active consent of the person names the\n"
         "recipient (--to) and purpose and covers every category of --what; the message names\n"
         "what is missing. --emergency REASON discloses without consent in a medical emergency and\n"
         "records it as such. Every disclosure appends an accounting entry (see 'cairn disclosures')\n"
         "and an audit entry. The export is JSON with the 42 CFR 2.32 redisclosure notice, the\n"
         "disclosure and the record limited to --what.\n"
         "\n"
         "--output creates FILE (mode 0600) and refuses one that exists (exit 9). It prints the file\n"
         "name; with --json {\"id\" (the disclosure),\"contact\",\"consent\",\"file\"}.\n"
         "\n"
         "Examples:\n"
         "  cairn disclose CONTACT --to \"Bayside Clinic\" --purpose \"care coordination\" \\\n"
         "      --what identity,referrals -o ana-bayside.json\n",
         disclose_opts, run_disclose},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_disclosures_subs[] = {
        {NULL, "CONTACT", 1, 1, "List the disclosures of a person's record (42 CFR Part 2 accounting).",
         "Each entry: when, to whom, for what purpose, what was sent, by which path, under which\n"
         "consent (or EMERGENCY) and by which worker. Entries are never removed. Viewing them is\n"
         "recorded in the audit trail ('cairn audit CONTACT').\n"
         "\n"
         "Examples:\n"
         "  cairn disclosures CONTACT\n",
         cli_no_opts, run_disclosures},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
