/*
 * cmd_assess.c — `cairn assess add|list|instruments`: short assessments such as BARC-10 (ten items
 * scored 1-6, total 10-60). Instruments are data (the `instruments` table), so the checks of count and
 * range are the library's, against the definition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "output.h"
#include "table.h"

static const struct cli_opt add_opts[] = {
        {"instrument", 'i', "ID", "the instrument (default barc10; see 'cairn assess instruments')", 0},
        {"items", 0, "LIST", "the item scores in order, comma-separated (BARC-10: ten scores 1-6)", CLI_OPT_REQUIRED},
        {"date", 0, "YYYY-MM-DD", "when (default: today)", 0},
        CLI_OPT_END,
};
static const struct cli_opt list_opts[] = {
        {"contact", 0, "ID", "only this person's assessments (their trend); audited", 0},
        {"instrument", 'i', "ID", "only this instrument", 0},
        CLI_OPT_END,
};

/* "6,5,,4" -> [6,5,null,4]; an empty score is a missing item (the library names it). */
static int parse_items(const char *s, json_t **out)
{
	json_t *a = json_array();
	int k = 1;

	for (;; k++) {
		size_t n = strcspn(s, ",");
		char buf[16];
		unsigned long long v;

		snprintf(buf, sizeof(buf), "%.*s", (int)(n < 15 ? n : 15), s);
		if (n == 0)
			json_array_append_new(a, json_null());
		else if (n > 6 || buf[strspn(buf, "0123456789")] != '\0' || sscanf(buf, "%llu", &v) != 1) {
			json_decref(a);
			return cli_usage("item %d of --items ('%.*s') is not a whole number", k, (int)n, s);
		} else
			json_array_append_new(a, json_integer((json_int_t)v));
		if (!s[n])
			break;
		s += n + 1;
	}
	*out = a;
	return 0;
}

static int run_add(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *inst = args_get(a, "instrument") ? args_get(a, "instrument") : "barc10";
	const char *date = args_get(a, "date");
	char contact[CAIRN_ID_LEN], id[CAIRN_ID_LEN], *body;
	json_t *items = NULL, *o;
	int rc;

	if (check_id(a->pos[0], "contact id") || check_line(inst, "--instrument", 64) ||
	    (date && check_date(date, "--date")))
		return CLI_EXIT_USAGE;
	if ((rc = parse_items(args_get(a, "items"), &items)))
		return rc;
	o = json_pack("{s:s,s:o,s:s?}", "instrument", inst, "items", items, "date", date);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	if (!(rc = session_resolve(ctx, "contact", a->pos[0], contact)) &&
	    (rc = cairn_assess_add(ctx->j, contact, body, id)))
		rc = cli_lib_fail(rc);
	out_wipe_free(body);
	if (rc)
		return rc;
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "contact", contact), id,
	                   "Recorded %s assessment %s.", inst, id);
}

static int render_list(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"DATE", "CONTACT", "INSTRUMENT", "TOTAL", "CHANGE", "ID", NULL};
	const json_t *r;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (!ctx->opt->quiet)
			printf("No assessments.\n");
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(doc, i, r)
	{
		char scon[CAIRN_ID_LEN], total[24], change[24] = "";

		session_abbrev(ctx, "contact", js_str(r, "contact"), scon);
		snprintf(total, sizeof(total), "%lld", js_int(r, "total"));
		if (json_is_integer(json_object_get(r, "change")))
			snprintf(change, sizeof(change), "%+lld", js_int(r, "change"));
		if (table_add(&t, (const char *const[]){js_str(r, "date"), scon, js_str(r, "instrument"), total, change,
		                                        js_str(r, "id")})) {
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
	const char *who = args_get(a, "contact"), *inst = args_get(a, "instrument");
	char contact[CAIRN_ID_LEN], *text = NULL;
	int rc;

	if ((who && check_id(who, "contact id")) || (inst && check_line(inst, "--instrument", 64)))
		return CLI_EXIT_USAGE;
	if ((rc = session_view_contact(ctx, who, "assess list", contact)))
		return rc;
	rc = cairn_assess_list(ctx->j, who ? contact : NULL, inst, &text);
	return out_query(ctx->opt, rc, text, render_list, ctx);
}

static int render_instruments(void *ud, const json_t *doc)
{
	const json_t *in, *item;
	size_t i, k;

	(void)ud;
	json_array_foreach(doc, i, in)
	{
		printf("%s%s: %s\n  %lld items scored %lld-%lld; follow-up every %lld days\n  %s\n", i ? "\n" : "",
		       js_str(in, "id"), js_str(in, "name"), js_int(in, "nitems"), js_int(in, "min"), js_int(in, "max"),
		       js_int(in, "followup_days"), js_str(in, "scale") ? js_str(in, "scale") : "");
		json_array_foreach(json_object_get(in, "items"), k, item)
		        printf("  %2zu. %s\n", k + 1, json_string_value(item));
	}
	return 0;
}

static int run_instruments(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *text = NULL;
	int rc = session_open(ctx);

	(void)a;
	if (rc)
		return rc;
	rc = cairn_instrument_list(ctx->j, &text);
	return out_query(ctx->opt, rc, text, render_instruments, ctx);
}

const struct cli_sub cmd_assess_subs[] = {
        {"add", "CONTACT", 1, 1, "Record an assessment; prints its id.",
         "--items gives every item's score in order: BARC-10 has ten items scored 1 (strongly\n"
         "disagree) to 6 (strongly agree), total 10-60. A missing, extra or out-of-range item is\n"
         "refused with a message naming it. A follow-up falls due after the instrument's interval\n"
         "(BARC-10: 180 days; see 'cairn due').\n"
         "\n"
         "Examples:\n"
         "  cairn assess add CONTACT --items 4,5,3,4,5,4,3,5,4,4\n"
         "  cairn assess add CONTACT -i barc10 --items 5,5,4,4,5,4,4,5,5,4 --date 2026-11-02\n",
         add_opts, run_add},
        {"list", "", 0, 0, "List assessments with totals and the change from the person's previous one.",
         CLI_LIST_AUDITED("assess list") "\n"
                                         "Examples:\n"
                                         "  cairn assess list\n"
                                         "  cairn assess list --contact CONTACT\n",
         list_opts, run_list},
        {"instruments", "", 0, 0, "List the instruments and their items.",
         "Instruments are data: a program adds its own with rows in the instruments and\n"
         "instrument_items tables (schema/0004_domain.sql shows BARC-10's).\n"
         "\n"
         "Examples:\n"
         "  cairn assess instruments\n",
         cli_no_opts, run_instruments},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
