/*
 * cmd_report.c — `cairn report [SECTION]`: the program report for a period, as a table, CSV, JSON or one
 * self-contained HTML file.
 *
 * The library computes every section (core/report.c and each record family's writer); this file only
 * picks sections and draws them. A report holds counts only, with small cells suppressed (core/cells.c)
 * unless --min-cell 0 / --no-suppression says otherwise, so it may leave the program; --output still
 * creates a new file with mode 0600 and never replaces one (outfile.c).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "outfile.h"
#include "output.h"
#include "report_render.h"

static const char *const formats[] = {"table", "csv", "json", "html", NULL};

static const struct cli_opt report_opts[] = {
        {"from", 0, "YYYY-MM-DD", "first day of the period", CLI_OPT_REQUIRED},
        {"to", 0, "YYYY-MM-DD", "last day of the period (inclusive)", CLI_OPT_REQUIRED},
        {"team", 0, "TEAM",
         "only what this team's devices recorded (its 32-hex-digit id, or at the office its name; default: everyone)",
         0},
        {"format", 0, "F", "table (default), csv, json or html", 0},
        {"min-cell", 0, "N",
         "hide counts from 1 to N-1 and the cells that reveal them (default 11, at least 5; 0: none)", 0},
        {"no-suppression", 0, NULL, "show small counts: for use inside the program only (same as --min-cell 0)", 0},
        {"output", 'o', "FILE", "write to a new FILE (mode 0600; an existing file is never replaced)", 0},
        CLI_OPT_END,
};

/* Keep the sections whose id starts with `prefix`; exit code 2 when none does. */
static int pick_sections(json_t *doc, const char *prefix)
{
	json_t *all = json_object_get(doc, "sections"), *kept = json_array(), *s;
	char ids[512] = "";
	size_t i, off = 0;

	json_array_foreach(all, i, s)
	{
		const char *id = json_string_value(json_object_get(s, "id"));

		if (id && !strncmp(id, prefix, strlen(prefix)))
			json_array_append(kept, s);
		if (id && off < sizeof(ids))
			off += (size_t)snprintf(ids + off, sizeof(ids) - off, "%s%s", i ? ", " : "", id);
	}
	if (!json_array_size(kept)) {
		json_decref(kept);
		return cli_usage("no report section starts with '%s' (sections: %s)", prefix, ids);
	}
	json_object_set_new(doc, "sections", kept);
	return 0;
}

static int render(FILE *f, const char *format, const json_t *doc, int fit)
{
	if (!strcmp(format, "json"))
		return json_dumpf(doc, f, (fit ? JSON_INDENT(2) : JSON_COMPACT)) || fputc('\n', f) == EOF;
	if (!strcmp(format, "csv"))
		return report_render_csv(f, doc);
	if (!strcmp(format, "html"))
		return report_render_html(f, doc);
	return report_render_table(f, doc, fit);
}

static int check_args(const struct cli_args *a, const struct cli_opts *g, const char **format, int *min_cell)
{
	const char *from = args_get(a, "from"), *to = args_get(a, "to"), *team = args_get(a, "team"),
	           *min = args_get(a, "min-cell");
	unsigned long long n = CAIRN_REPORT_MIN_CELL;

	*format = args_get(a, "format");
	if (check_date(from, "--from") || check_date(to, "--to") ||
	    (*format && check_enum(*format, "--format", formats)) ||
	    (min && check_uint(min, "--min-cell", 0, 1000, &n)))
		return CLI_EXIT_USAGE;
	if (args_count(a, "no-suppression")) {
		if (min && n)
			return cli_usage("--no-suppression and --min-cell %s contradict each other; give one", min);
		n = 0;
	}
	if (n >= 2 && n <= 4)
		return cli_usage("--min-cell %llu is too low to protect anyone (two hidden cells with a known sum of 2 "
		                 "are 1 and 1): use 5 or more, or 0 for an unsuppressed internal report",
		                 n);
	*min_cell = (int)n;
	if (strcmp(from, to) > 0)
		return cli_usage("--from %s is after --to %s", from, to);
	if (team && (!*team || strlen(team) > 64))
		return cli_usage("invalid team '%s' for --team (expected a team name or 32 hex digits)", team);
	/* With --output, --json is about the line that names the file, not the file's format. */
	if (g->json && *format && strcmp(*format, "json") && !args_get(a, "output"))
		return cli_usage("--json and --format %s contradict each other; give one", *format);
	if (!*format)
		*format = g->json ? "json" : "table";
	return 0;
}

struct job {
	const struct cli_ctx *ctx;
	const struct cli_args *a;
	const char *format;
	int min_cell; /* --min-cell (0: not suppressed) */
	FILE *out;    /* --output, or NULL for stdout */
};

/* Pick, then draw. `doc` is ours to change: out_query releases it after. */
static int draw(void *ud, const json_t *cdoc)
{
	const struct job *job = ud;
	json_t *doc = (json_t *)cdoc;
	int rc;

	if (job->a->npos && (rc = pick_sections(doc, job->a->pos[0])))
		return rc;
	if (render(job->out ? job->out : stdout, job->format, doc, !job->out && job->ctx->opt->out_tty))
		return cli_fail(CLI_EXIT_FAIL, "cannot render the report");
	return 0;
}

static int run_report(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *path = args_get(a, "output");
	struct job job = {ctx, a, NULL, CAIRN_REPORT_MIN_CELL, NULL};
	struct outfile of = {0};
	struct cli_opts plain;
	char *text = NULL;
	int rc;

	if ((rc = check_args(a, ctx->opt, &job.format, &job.min_cell)) || (rc = session_open(ctx)))
		return rc;
	/* The file before the work: an existing one is refused without computing the report. */
	if (path && (rc = outfile_open(&of, path)))
		return rc;
	job.out = of.f;
	rc = cairn_report_min_cell(ctx->j, args_get(a, "from"), args_get(a, "to"), args_get(a, "team"), job.min_cell,
	                           &text);
	/* --json is one of our formats: the document is filtered before it is printed. */
	plain = *ctx->opt;
	plain.json = 0;
	rc = out_query(&plain, rc, text, draw, &job);
	if (!path)
		return rc;
	if ((rc = outfile_end(&of, rc)))
		return rc;
	return outfile_written(
	        ctx->opt,
	        json_pack("{s:s,s:s,s:s,s:i}", "format", job.format, "from", args_get(a, "from"), "to",
	                  args_get(a, "to"), "min_cell", job.min_cell),
	        path, job.min_cell > 1 ? "Wrote the %s report to %s." : "Wrote the %s report to %s (NOT SUPPRESSED).",
	        job.format, path);
}

const struct cli_sub cmd_report_subs[] = {
        {NULL, "[SECTION]", 0, 1, "Program report for a period: counts, funnels and caseloads.",
         "SECTION keeps only the sections whose id starts with it (contacts, encounters,\n"
         "referrals.category, referrals.funnel, caseload, and those of other record families such as\n"
         "crisis, assessments, consents). Sections hold counts only: no names, notes or phone numbers.\n"
         "\n"
         "A person is counted once across merged records; deleted people and notes or referrals\n"
         "entered in error are not counted. New: first recorded in the period. Active: a note or a\n"
         "referral dated in the period. The funnel counts referrals dated in the period that reached\n"
         "each state, with the median days from the referral's date to the first time it did.\n"
         "\n"
         "Small cells are suppressed, since a report leaves the program (42 CFR Part 2): a count of\n"
         "people or events from 1 to 10, and every cell from which one could be worked out (the next\n"
         "smallest of its row or column, the row's total, rates and medians over it), shows as *; zero\n"
         "is shown. --min-cell N moves the threshold; --min-cell 0 or --no-suppression shows every\n"
         "count, and the report says so at its top (json: \"suppression\"; csv: a 'suppression' row).\n"
         "\n"
         "Formats: table (aligned columns), csv (RFC 4180; each section starts with a header row\n"
         "'section,<columns>'), json (the library's document, also with --json) and html (one file\n"
         "with inline bar charts that opens offline: no script, no link, no URL).\n"
         "\n"
         "--output creates FILE (mode 0600) and refuses one that exists (exit 9). It prints the file\n"
         "name; with --json {\"file\",\"format\",\"from\",\"to\",\"min_cell\"} (the file is json\n"
         "unless --format says).\n"
         "\n"
         "Examples:\n"
         "  cairn report --from 2026-07-01 --to 2026-09-30\n"
         "  cairn report referrals.funnel --from 2026-07-01 --to 2026-09-30 --format csv\n"
         "  cairn report --from 2026-07-01 --to 2026-09-30 --format html -o q3-report.html\n"
         "  cairn report --from 2026-09-01 --to 2026-09-30 --team north --no-suppression   # in-house\n",
         report_opts, run_report},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
