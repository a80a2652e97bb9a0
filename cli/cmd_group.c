/*
 * cmd_group.c — `cairn group add|list`: peer-led support group sessions (topic, facilitator,
 * attendees). Attendance shows in each attendee's record: `cairn group list --contact ID`.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "domain_card.h"
#include "output.h"
#include "table.h"

static const struct cli_opt add_opts[] = {
        {"facilitator", 0, "NAME", "who led the session", CLI_OPT_REQUIRED},
        {"attendee", 'a', "ID", "a contact who attended (repeat for each)", CLI_OPT_MULTI | CLI_OPT_REQUIRED},
        {"date", 0, "YYYY-MM-DD", "when (default: today)", 0},
        {"minutes", 0, "N", "how long, in minutes", 0},
        CLI_OPT_END,
};
static const struct cli_opt list_opts[] = {
        {"contact", 0, "ID", "only the sessions this person attended; audited", 0},
        CLI_OPT_END,
};

static int attendees(struct cli_ctx *ctx, const struct cli_args *a, json_t *list)
{
	char id[CAIRN_ID_LEN];
	int i, rc;

	for (i = 0; i < args_count(a, "attendee"); i++) {
		if ((rc = session_resolve(ctx, "contact", args_nth(a, "attendee", i), id)))
			return rc;
		json_array_append_new(list, json_string(id));
	}
	return 0;
}

static int run_add(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *date = args_get(a, "date"), *min = args_get(a, "minutes");
	unsigned long long minutes = 0;
	char id[CAIRN_ID_LEN], *body = NULL;
	json_t *o, *list = json_array();
	int i, rc;

	for (i = 0; i < args_count(a, "attendee"); i++)
		if (check_id(args_nth(a, "attendee", i), "--attendee"))
			goto usage;
	if (check_line(a->pos[0], "TOPIC", 200) || check_line(args_get(a, "facilitator"), "--facilitator", 200) ||
	    (date && check_date(date, "--date")) || (min && check_uint(min, "--minutes", 0, 1440, &minutes)))
		goto usage;
	if ((rc = attendees(ctx, a, list))) {
		json_decref(list);
		return rc;
	}
	o = json_pack("{s:s,s:s,s:o,s:s?}", "topic", a->pos[0], "facilitator", args_get(a, "facilitator"), "attendees",
	              list, "date", date);
	if (o && min)
		json_object_set_new(o, "minutes", json_integer((json_int_t)minutes));
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = cairn_group_add(ctx->j, body, id);
	out_wipe_free(body);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{s:s}", "id", id), id, "Recorded group session %s.", id);
usage:
	json_decref(list);
	return CLI_EXIT_USAGE;
}

static int render_list(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"DATE", "TOPIC", "FACILITATOR", "ATTENDEES", "ID", NULL};
	const json_t *g;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (!ctx->opt->quiet)
			printf("No group sessions.\n");
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(doc, i, g)
	{
		char n[16];

		json_t *count = json_object_get(g, "attendee_count"); /* a person's sessions: a head count */
		snprintf(n, sizeof(n), "%lld",
		         count ? (long long)json_integer_value(count)
		               : (long long)json_array_size(json_object_get(g, "attendees")));
		if (table_add(&t, (const char *const[]){js_str(g, "date"), js_str(g, "topic"), js_str(g, "facilitator"),
		                                        n, js_str(g, "id")})) {
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
	return domain_list_by_contact(ctx, a, "group list", cairn_group_list, render_list);
}

const struct cli_sub cmd_group_subs[] = {
        {"add", "TOPIC", 1, 1, "Record a peer-led support group session; prints its id.",
         "Examples:\n"
         "  cairn group add \"Coping with cravings\" --facilitator \"Sam Rivera\" -a CONTACT -a OTHER \\\n"
         "      --date 2026-11-02 --minutes 60\n",
         add_opts, run_add},
        {"list", "", 0, 0, "List group sessions (--contact: those a person attended).",
         "Without --contact every attendee is named; with it, the other attendees are a head count.\n" CLI_LIST_AUDITED(
                 "group list") "\n"
                               "Examples:\n"
                               "  cairn group list\n"
                               "  cairn group list --contact CONTACT\n",
         list_opts, run_list},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
