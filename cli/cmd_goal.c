/*
 * cmd_goal.c — `cairn goal add|status|list`: recovery goals in the person's own words, by domain, with
 * steps, a target date and a status history (every change is kept).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "domain_card.h"
#include "output.h"
#include "table.h"

static const char *const domains[] = {"recovery", "housing", "employment", "education", "health",
                                      "family",   "legal",   "finances",   "community", NULL};
static const char *const statuses[] = {"active", "achieved", "paused", "revised", "dropped", NULL};

static const struct cli_opt add_opts[] = {
        {"domain", 0, "D",
         "recovery, housing, employment, education, health, family (and relationships), legal, finances or community",
         CLI_OPT_REQUIRED},
        {"step", 0, "TEXT", "a step towards the goal (repeat for several, in order)", CLI_OPT_MULTI},
        {"target", 0, "YYYY-MM-DD", "the target date", 0},
        {"date", 0, "YYYY-MM-DD", "when the goal was set (default: today)", 0},
        CLI_OPT_END,
};
static const struct cli_opt status_opts[] = {
        {"note", 0, "TEXT", "a short remark kept with the status", 0},
        {"date", 0, "YYYY-MM-DD", "when (default: today)", 0},
        CLI_OPT_END,
};
static const struct cli_opt list_opts[] = {
        {"contact", 0, "ID", "only this person's goals; audited", 0},
        CLI_OPT_END,
};

static int store(int rc, char *body)
{
	out_wipe_free(body);
	return rc ? cli_lib_fail(rc) : 0;
}

static int run_add(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *target = args_get(a, "target"), *date = args_get(a, "date");
	char contact[CAIRN_ID_LEN], id[CAIRN_ID_LEN], *body;
	json_t *o, *steps = json_array();
	int i, rc;

	if (check_id(a->pos[0], "contact id") || check_line(a->pos[1], "GOAL", 1000) ||
	    check_enum(args_get(a, "domain"), "--domain", domains) || (target && check_date(target, "--target")) ||
	    (date && check_date(date, "--date"))) {
		json_decref(steps);
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < args_count(a, "step"); i++) {
		if (check_line(args_nth(a, "step", i), "--step", 500)) {
			json_decref(steps);
			return CLI_EXIT_USAGE;
		}
		json_array_append_new(steps, json_string(args_nth(a, "step", i)));
	}
	o = json_pack("{s:s,s:s,s:o,s:s?,s:s?}", "text", a->pos[1], "domain", args_get(a, "domain"), "steps", steps,
	              "target", target, "date", date);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	if ((rc = session_resolve(ctx, "contact", a->pos[0], contact))) {
		out_wipe_free(body);
		return rc;
	}
	if ((rc = store(cairn_goal_add(ctx->j, contact, body, id), body)))
		return rc;
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "contact", contact), id, "Added goal %s.", id);
}

static int run_status(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *note = args_get(a, "note"), *date = args_get(a, "date");
	char id[CAIRN_ID_LEN], *body;
	json_t *o;
	int rc;

	if (check_id(a->pos[0], "goal id") || check_enum(a->pos[1], "STATUS", statuses) ||
	    (note && check_line(note, "--note", 500)) || (date && check_date(date, "--date")))
		return CLI_EXIT_USAGE;
	if ((rc = session_resolve(ctx, "goal", a->pos[0], id)))
		return rc;
	o = json_pack("{s:s,s:s?,s:s?}", "status", a->pos[1], "note", note, "date", date);
	body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	if ((rc = store(cairn_goal_status(ctx->j, id, body), body)))
		return rc;
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "status", a->pos[1]), id, "Goal %s is now %s.",
	                   id, a->pos[1]);
}

static int render_list(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"ID", "CONTACT", "DOMAIN", "GOAL", "STEPS", "TARGET", "STATUS", NULL};
	const json_t *g;
	struct table t;
	size_t i, conflicts = 0;

	if (!json_array_size(doc)) {
		if (!ctx->opt->quiet)
			printf("No goals.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 0);
	json_array_foreach(doc, i, g)
	{
		char sid[CAIRN_ID_LEN], scon[CAIRN_ID_LEN], steps[16], status[128];

		snprintf(sid, sizeof(sid), "%s", js_str(g, "id"));
		session_abbrev(ctx, "contact", js_str(g, "contact"), scon);
		snprintf(steps, sizeof(steps), "%zu", json_array_size(json_object_get(g, "steps")));
		domain_goal_status(g, status, sizeof(status));
		conflicts += js_true(g, "conflict");
		if (table_add(&t, (const char *const[]){sid, scon, js_str(g, "domain"), js_str(g, "text"), steps,
		                                        js_str(g, "target"), status})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	if (conflicts && ctx->opt->out_tty && !ctx->opt->quiet)
		printf("\nA goal in conflict had its status changed on two devices that had not seen each other;\n"
		       "decide it with a new status: cairn goal status GOAL STATUS\n");
	return 0;
}

static int run_list(struct cli_ctx *ctx, const struct cli_args *a)
{
	return domain_list_by_contact(ctx, a, "goal list", cairn_goal_list, render_list);
}

const struct cli_sub cmd_goal_subs[] = {
        {"add", "CONTACT GOAL", 2, 2, "Add a recovery goal in the person's own words; prints the goal id.",
         "Examples:\n"
         "  cairn goal add CONTACT \"get my own apartment\" --domain housing \\\n"
         "      --step \"apply for a housing voucher\" --step \"save first month's rent\" --target 2027-06-30\n",
         add_opts, run_add},
        {"status", "ID STATUS", 2, 2, "Record a goal's status: active, achieved, paused, revised or dropped.",
         "Every status is kept in the goal's history (--json: \"history\"). A new status replaces\n"
         "every status this device shows for the goal. When two devices changed a goal's status\n"
         "without either seeing the other's change, the goal is in conflict after they sync: 'goal\n"
         "list' marks it (conflict: S1 | S2) and 'cairn conflicts' lists it (FIELD 'goal ID'),\n"
         "on every device, until a new status decides it. The status shown meanwhile is the newest.\n"
         "(A device on an older cairn names nothing: its statuses replace every older one, as before.)\n"
         "\n"
         "Examples:\n"
         "  cairn goal status GOAL achieved --note \"signed the lease\"\n"
         "  cairn goal status GOAL paused --date 2026-11-02\n",
         status_opts, run_status},
        {"list", "", 0, 0, "List goals with their current status.",
         "STATUS is the newest status, or 'conflict: S1 | S2' when two devices changed it without\n"
         "either seeing the other (--json: \"conflict\", and \"heads\": the competing statuses).\n" CLI_LIST_AUDITED(
                 "goal list") "\n"
                              "Examples:\n"
                              "  cairn goal list\n"
                              "  cairn goal list --contact CONTACT\n",
         list_opts, run_list},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
