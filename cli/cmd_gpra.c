/*
 * cmd_gpra.c — `cairn gpra interview|list|export`, and cmd_export_gpra (`cairn export gpra`, cmd_export.c).
 *
 * GPRA grant reporting: an intake interview, a 6-month follow-up (window 5 to 8 months after intake; the
 * program must reach 80 %) and a discharge interview per client. `cairn due` lists follow-ups in or near
 * their window, `cairn report` shows the rate, and the export is a CSV keyed by a pseudonymous client id
 * (docs/gpra.md): no name, note or phone number leaves in it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "domain_card.h"
#include "outfile.h"
#include "output.h"
#include "table.h"

static const char *const types[] = {"intake", "followup", "discharge", NULL};
static const char *const reasons[] = {"unreachable", "refused",  "incarcerated", "hospitalised",
                                      "moved",       "deceased", "other",        NULL};

static const struct cli_opt interview_opts[] = {
        {"grant", 0, "NUMBER", "the grant the interview is reported under (case-insensitive)", CLI_OPT_REQUIRED},
        {"type", 0, "T", "intake, followup (6-month) or discharge", CLI_OPT_REQUIRED},
        {"date", 0, "YYYY-MM-DD", "when it took place (default: today)", 0},
        {"not-conducted", 0, "REASON",
         "attempted but not conducted: unreachable, refused, incarcerated, hospitalised, moved, deceased, other", 0},
        {"barc10", 0, "S1,...,S10", "BARC-10 recovery capital: ten item scores from 1 to 6", 0},
        CLI_OPT_END,
};
static const struct cli_opt list_opts[] = {
        {"contact", 0, "ID", "only this contact's interviews; audited", 0},
        CLI_OPT_END,
};
const struct cli_opt cmd_export_gpra_opts[] = {
        {"grant", 0, "NUMBER", "the grant to export (case-insensitive)", CLI_OPT_REQUIRED},
        {"from", 0, "YYYY-MM-DD", "interviews on or after", CLI_OPT_REQUIRED},
        {"to", 0, "YYYY-MM-DD", "interviews on or before", CLI_OPT_REQUIRED},
        {"output", 'o', "FILE", "write the CSV to a new FILE (mode 0600; an existing file is never replaced)", 0},
        CLI_OPT_END,
};

/* "4,5,6,..." -> a JSON array of ten scores, or NULL after printing a usage error. */
static json_t *parse_barc10(const char *s)
{
	json_t *arr = json_array();
	const char *p = s;

	while (arr && *p) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < 1 || v > 6 || (*end && *end != ',') || json_array_size(arr) == 10)
			break;
		json_array_append_new(arr, json_integer(v));
		p = *end ? end + 1 : end;
	}
	if (!arr || *p || json_array_size(arr) != 10) {
		json_decref(arr);
		cli_usage("invalid --barc10 '%s' (expected ten scores from 1 to 6, separated by commas)", s);
		return NULL;
	}
	return arr;
}

static int run_interview(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *grant = args_get(a, "grant"), *type = args_get(a, "type"), *date = args_get(a, "date"),
	           *reason = args_get(a, "not-conducted"), *barc = args_get(a, "barc10");
	char contact[CAIRN_ID_LEN], id[CAIRN_ID_LEN], *body;
	json_t *obj, *scores = NULL;
	int rc;

	if (check_id(a->pos[0], "contact id") || check_line(grant, "--grant", 32) ||
	    check_enum(type, "--type", types) || (date && check_date(date, "--date")) ||
	    (reason && check_enum(reason, "--not-conducted", reasons)))
		return CLI_EXIT_USAGE;
	if (barc && !(scores = parse_barc10(barc)))
		return CLI_EXIT_USAGE;
	if ((rc = session_resolve(ctx, "contact", a->pos[0], contact))) {
		json_decref(scores);
		return rc;
	}
	obj = json_pack("{s:s,s:s,s:b}", "grant", grant, "type", type, "conducted", reason == NULL);
	if (date)
		json_object_set_new(obj, "date", json_string(date));
	if (reason)
		json_object_set_new(obj, "reason", json_string(reason));
	if (scores)
		json_object_set_new(obj, "barc10", scores);
	body = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = cairn_gpra_interview(ctx->j, contact, body, id);
	out_wipe_free(body);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "contact", contact), id,
	                   "Recorded the %s interview %s.", type, id);
}

static int render_list(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"ID", "CONTACT", "GRANT", "TYPE", "DATE", "CONDUCTED", NULL};
	const json_t *r;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (ctx->opt->out_tty && !ctx->opt->quiet)
			printf("No GPRA interviews.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 0);
	json_array_foreach(doc, i, r)
	{
		char sid[CAIRN_ID_LEN], scon[CAIRN_ID_LEN], done[40];

		snprintf(sid, sizeof(sid), "%.13s", js_str(r, "id") ? js_str(r, "id") : "");
		session_abbrev(ctx, "contact", js_str(r, "contact"), scon);
		snprintf(done, sizeof(done), "%s",
		         js_true(r, "conducted") ? "yes"
		         : js_str(r, "reason")   ? js_str(r, "reason")
		                                 : "no");
		if (table_add(&t, (const char *const[]){sid, scon, js_str(r, "grant"), js_str(r, "type"),
		                                        js_str(r, "date"), done})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_list(struct cli_ctx *ctx, const struct cli_args *a)
{
	return domain_list_by_contact(ctx, a, "gpra list", cairn_gpra_list, render_list);
}

/* `cairn export gpra` (and `cairn gpra export`): the grant's CSV. */
int cmd_export_gpra(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *grant = args_get(a, "grant"), *from = args_get(a, "from"), *to = args_get(a, "to"),
	           *path = args_get(a, "output");
	struct outfile of = {0};
	char *csv = NULL;
	int rc;

	if (check_line(grant, "--grant", 32) || check_date(from, "--from") || check_date(to, "--to"))
		return CLI_EXIT_USAGE;
	if (strcmp(from, to) > 0)
		return cli_usage("--to %s is before --from %s", to, from);
	if ((rc = session_open(ctx)) || (path && (rc = outfile_open(&of, path))))
		return rc;
	if ((rc = cairn_gpra_export(ctx->j, grant, from, to, &csv))) {
		outfile_close(&of, 0);
		return cli_lib_fail(rc);
	}
	if (path) {
		fputs(csv, of.f);
		if (!(rc = outfile_close(&of, 1)))
			rc = outfile_written(ctx->opt,
			                     json_pack("{s:s,s:s,s:s}", "grant", grant, "from", from, "to", to), path,
			                     "Wrote the GPRA export of grant %s to %s.", grant, path);
	} else if (ctx->opt->json) {
		rc = out_json(ctx->opt,
		              json_pack("{s:s,s:s,s:s,s:s}", "grant", grant, "from", from, "to", to, "csv", csv));
	} else {
		fputs(csv, stdout);
	}
	out_wipe_free(csv);
	return rc;
}

#define EXPORT_DETAILS                                                                                  \
	"Keyed by a pseudonymous client id (keyed BLAKE2b under the program's secret): stable across\n" \
	"exports, never a name, note or phone number. Columns: docs/gpra.md. --output creates FILE\n"   \
	"(mode 0600) and refuses one that exists (exit 9); it prints the file name, with --json\n"      \
	"{\"file\",\"grant\",\"from\",\"to\"}.\n"

const struct cli_sub cmd_gpra_subs[] = {
        {"interview", "CONTACT", 1, 1, "Record a GPRA interview (intake, 6-month follow-up or discharge).",
         "The 6-month follow-up is due 6 months after the first intake and counts when it is done\n"
         "between 5 and 8 months after it. 'cairn due' lists it from 5 months on.\n"
         "\n"
         "Examples:\n"
         "  cairn gpra interview CONTACT --grant TI-084512 --type intake --date 2026-05-04 \\\n"
         "      --barc10 4,4,3,4,5,3,3,4,4,3\n"
         "  cairn gpra interview CONTACT --grant TI-084512 --type followup --not-conducted unreachable\n",
         interview_opts, run_interview},
        {"list", "", 0, 0, "List GPRA interviews.",
         CLI_LIST_AUDITED("gpra list") "\n"
                                       "Examples:\n"
                                       "  cairn gpra list\n"
                                       "  cairn gpra list --contact CONTACT\n",
         list_opts, run_list},
        {"export", "", 0, 0, "Write the GPRA CSV of a grant (same as 'cairn export gpra').",
         EXPORT_DETAILS "\n"
                        "Examples:\n"
                        "  cairn gpra export --grant TI-084512 --from 2025-10-01 --to 2026-09-30 -o gpra-fy2026.csv\n",
         cmd_export_gpra_opts, cmd_export_gpra},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
