/*
 * cmd_plan.c — `cairn plan set|show|history|print|conflicts`: relapse-prevention plans and safety plans
 * (Stanley-Brown's six steps plus what matters most), versioned. `set` writes a new version: the
 * sections given replace the current ones, the rest carry over. Two devices editing offline keep both
 * versions; the plan is flagged until someone writes a version having seen both.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "output.h"
#include "table.h"

static const char *const types[] = {"relapse", "safety", NULL};

/* Option -> section, and the headings of the printed plan, in order. */
struct section {
	const char *opt, *name, *relapse_title, *safety_title;
};
static const struct section sections[] = {
        {"trigger", "triggers", "My triggers", NULL},
        {"warning-sign", "warning_signs", "Warning signs", "Step 1. Warning signs that a crisis may be developing"},
        {"coping", "coping", "What I can do (coping strategies)",
         "Step 2. Internal coping strategies: things I can do on my own"},
        {"distraction", "distractions", NULL, "Step 3. People and social settings that provide distraction"},
        {"person", "people", "People I can call", NULL},
        {"helper", "helpers", NULL, "Step 4. People I can ask for help"},
        {"professional", "professionals", NULL, "Step 5. Professionals and agencies to contact in a crisis"},
        {"place", "places", "Places I avoid", NULL},
        {"environment", "environment", NULL, "Step 6. Making the environment safe"},
        {"reason", "reasons", NULL, "The one thing most important to me and worth living for"},
        {NULL, NULL, NULL, NULL},
};

#define TYPE_OPT                                                                                                \
	{                                                                                                       \
		"type", 't', "T", "relapse (relapse-prevention plan) or safety (safety plan)", CLI_OPT_REQUIRED \
	}

static const struct cli_opt set_opts[] = {
        TYPE_OPT,
        {"trigger", 0, "TEXT", "relapse: a trigger (repeat for several)", CLI_OPT_MULTI},
        {"warning-sign", 0, "TEXT", "a warning sign", CLI_OPT_MULTI},
        {"coping", 0, "TEXT", "a coping strategy (safety: internal, on my own)", CLI_OPT_MULTI},
        {"person", 0, "TEXT", "relapse: a person to call (name and number)", CLI_OPT_MULTI},
        {"place", 0, "TEXT", "relapse: a place to avoid", CLI_OPT_MULTI},
        {"distraction", 0, "TEXT", "safety: a person or social setting that distracts", CLI_OPT_MULTI},
        {"helper", 0, "TEXT", "safety: a person to ask for help", CLI_OPT_MULTI},
        {"professional", 0, "TEXT", "safety: a professional or agency (988 is always listed)", CLI_OPT_MULTI},
        {"environment", 0, "TEXT", "safety: a step making the environment safe", CLI_OPT_MULTI},
        {"reason", 0, "TEXT", "safety: what matters most to the person", CLI_OPT_MULTI},
        {"clear", 0, "SECTION", "empty a section (by its option name, e.g. --clear place)", CLI_OPT_MULTI},
        CLI_OPT_END,
};
static const struct cli_opt show_opts[] = {
        TYPE_OPT,
        {"version", 0, "ID", "show this version instead of the current one", 0},
        CLI_OPT_END,
};
static const struct cli_opt type_opts[] = {TYPE_OPT, CLI_OPT_END};

static const struct section *by_opt(const char *opt)
{
	const struct section *s;

	for (s = sections; s->opt; s++)
		if (!strcmp(s->opt, opt))
			return s;
	return NULL;
}

/* The sections given on the command line, as {"triggers": [...], ...}. */
static int build_sections(const struct cli_args *a, json_t *o)
{
	const struct section *s;
	int i;

	for (s = sections; s->opt; s++) {
		json_t *list;

		if (!args_count(a, s->opt))
			continue;
		list = json_array();
		for (i = 0; i < args_count(a, s->opt); i++) {
			if (check_line(args_nth(a, s->opt, i), s->opt, 500)) {
				json_decref(list);
				return CLI_EXIT_USAGE;
			}
			json_array_append_new(list, json_string(args_nth(a, s->opt, i)));
		}
		json_object_set_new(o, s->name, list);
	}
	for (i = 0; i < args_count(a, "clear"); i++) {
		s = by_opt(args_nth(a, "clear", i));
		if (!s)
			return cli_usage("unknown section '%s' for --clear (use an option name: trigger, coping, ...)",
			                 args_nth(a, "clear", i));
		if (json_object_get(o, s->name))
			return cli_usage("cannot both set and clear --%s", s->opt);
		json_object_set_new(o, s->name, json_array());
	}
	return 0;
}

static int run_set(struct cli_ctx *ctx, const struct cli_args *a)
{
	char contact[CAIRN_ID_LEN], id[CAIRN_ID_LEN], *body;
	json_t *o = json_object();
	int rc;

	if (check_id(a->pos[0], "contact id") || check_enum(args_get(a, "type"), "--type", types)) {
		json_decref(o);
		return CLI_EXIT_USAGE;
	}
	if ((rc = build_sections(a, o))) {
		json_decref(o);
		return rc;
	}
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	/* with no section given, the library writes a version only to decide a conflict */
	if (!(rc = session_resolve(ctx, "contact", a->pos[0], contact)) &&
	    (rc = cairn_plan_set(ctx->j, contact, args_get(a, "type"), body, id)))
		rc = cli_lib_fail(rc);
	out_wipe_free(body);
	if (rc)
		return rc;
	return out_written(ctx->opt,
	                   json_pack("{s:s,s:s,s:s}", "id", id, "contact", contact, "type", args_get(a, "type")), id,
	                   "Wrote version %s of the %s plan.", id, args_get(a, "type"));
}

static void print_sections(const json_t *secs, const char *type)
{
	const struct section *s;
	int safety = !strcmp(type, "safety");

	for (s = sections; s->opt; s++) {
		const char *title = safety ? s->safety_title : s->relapse_title;
		const json_t *list = json_object_get(secs, s->name), *v;
		size_t i;

		if (!title)
			continue;
		printf("\n%s\n", title);
		if (!json_array_size(list))
			printf("  -\n");
		json_array_foreach(list, i, v)
		{
			fputs("  - ", stdout);
			out_safe(stdout, json_string_value(v), 1);
			fputc('\n', stdout);
		}
	}
}

static int render_show(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;

	printf("%s plan, version %s of %s (%lld version%s)\n",
	       strcmp(js_str(doc, "type"), "safety") ? "Relapse-prevention" : "Safety", js_str(doc, "version"),
	       js_str(doc, "date"), js_int(doc, "versions"), js_int(doc, "versions") == 1 ? "" : "s");
	if (js_true(doc, "conflict"))
		printf("Needs review: %zu versions were written without seeing each other (see 'plan history').\n",
		       json_array_size(json_object_get(doc, "heads")));
	print_sections(json_object_get(doc, "sections"), js_str(doc, "type"));
	(void)ctx;
	return 0;
}

static int resolve_args(struct cli_ctx *ctx, const struct cli_args *a, char contact[CAIRN_ID_LEN])
{
	if (check_id(a->pos[0], "contact id") || check_enum(args_get(a, "type"), "--type", types))
		return CLI_EXIT_USAGE;
	return session_resolve(ctx, "contact", a->pos[0], contact);
}

static int run_show(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *ver = args_get(a, "version");
	char contact[CAIRN_ID_LEN], vid[CAIRN_ID_LEN], *text = NULL;
	int rc;

	if (ver && check_id(ver, "version id"))
		return CLI_EXIT_USAGE;
	if ((rc = resolve_args(ctx, a, contact)))
		return rc;
	if (ver && (rc = session_resolve(ctx, "plan version", ver, vid)))
		return rc;
	if ((rc = cairn_audit_view(ctx->j, contact, "plan show")))
		return cli_lib_fail(rc);
	rc = cairn_plan_show(ctx->j, contact, args_get(a, "type"), ver ? vid : NULL, &text);
	return out_query(ctx->opt, rc, text, render_show, ctx);
}

static int render_history(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"VERSION", "DATE", "DEVICE", "CURRENT", NULL};
	const json_t *v;
	struct table t;
	size_t i;

	table_init(&t, head);
	table_fixed(&t, 0);
	json_array_foreach(doc, i, v)
	{
		if (table_add(&t, (const char *const[]){js_str(v, "version"), js_str(v, "date"), js_str(v, "device"),
		                                        js_true(v, "head") ? "yes" : ""})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_history(struct cli_ctx *ctx, const struct cli_args *a)
{
	char contact[CAIRN_ID_LEN], *text = NULL;
	int rc = resolve_args(ctx, a, contact);

	if (rc)
		return rc;
	if ((rc = cairn_audit_view(ctx->j, contact, "plan history")))
		return cli_lib_fail(rc);
	rc = cairn_plan_history(ctx->j, contact, args_get(a, "type"), &text);
	return out_query(ctx->opt, rc, text, render_history, ctx);
}

/* The person's name, for the heading of the printed plan. */
static json_t *person(struct cli_ctx *ctx, const char *contact)
{
	char *text = NULL;
	json_t *doc = NULL;

	if (cairn_contact_show(ctx->j, contact, &text) == 0)
		doc = json_loads(text, 0, NULL);
	out_free_text(text);
	return doc;
}

static int run_print(struct cli_ctx *ctx, const struct cli_args *a)
{
	char contact[CAIRN_ID_LEN], *text = NULL;
	const char *type = args_get(a, "type");
	json_t *doc, *who;
	int rc = resolve_args(ctx, a, contact);

	if (rc)
		return rc;
	if ((rc = cairn_audit_view(ctx->j, contact, "plan print")))
		return cli_lib_fail(rc);
	if ((rc = cairn_plan_show(ctx->j, contact, type, NULL, &text)))
		return cli_lib_fail(rc);
	doc = out_parse(text);
	out_free_text(text);
	if (!doc)
		return CLI_EXIT_FAIL;
	if (js_true(doc, "conflict"))
		cli_warn("this plan has versions written without seeing each other; printing the newest "
		         "(review them with 'cairn plan history')");
	who = person(ctx, contact);
	if (ctx->opt->json) {
		json_object_set_new(doc, "name", json_string(js_str(json_object_get(who, "fields"), "name")));
		json_decref(who);
		return out_json(ctx->opt, doc);
	}
	printf("%s\n", strcmp(type, "safety") ? "MY RELAPSE-PREVENTION PLAN" : "MY SAFETY PLAN");
	fputs("Name: ", stdout);
	out_safe(stdout,
	         js_str(json_object_get(who, "fields"), "name") ? js_str(json_object_get(who, "fields"), "name") : "",
	         1);
	printf("\nDate: %s\n", js_str(doc, "date"));
	print_sections(json_object_get(doc, "sections"), type);
	if (!strcmp(type, "safety"))
		printf("\nIn a crisis, call or text 988 (Suicide & Crisis Lifeline), or call 911.\n");
	json_decref(who);
	json_decref(doc);
	return 0;
}

static int render_conflicts(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"CONTACT", "TYPE", "VERSIONS", NULL};
	const json_t *c;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (!ctx->opt->quiet)
			printf("No plans need review.\n");
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(doc, i, c)
	{
		char n[16];

		snprintf(n, sizeof(n), "%zu", json_array_size(json_object_get(c, "heads")));
		if (table_add(&t, (const char *const[]){js_str(c, "contact"), js_str(c, "type"), n})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_conflicts(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *text = NULL;
	int rc = session_open(ctx);

	(void)a;
	if (rc)
		return rc;
	rc = cairn_plan_conflicts(ctx->j, &text);
	return out_query(ctx->opt, rc, text, render_conflicts, ctx);
}

const struct cli_sub cmd_plan_subs[] = {
        {"set", "CONTACT", 1, 1, "Write a new version of a person's plan; prints the version id.",
         "Relapse-prevention sections: --trigger, --warning-sign, --coping, --person, --place.\n"
         "Safety plan (Stanley-Brown): --warning-sign, --coping, --distraction, --helper,\n"
         "--professional (988 is always added), --environment, --reason. Each option replaces\n"
         "that whole section (repeat it for several entries); sections not given are carried over.\n"
         "Every version is kept. Versions written on two devices without seeing each other are\n"
         "both kept and the plan is flagged ('cairn conflicts', 'plan conflicts') until a new\n"
         "version is written; with no section given, 'plan set' writes the newest version again,\n"
         "which decides it (copy what the other version had with the section options).\n"
         "\n"
         "Examples:\n"
         "  cairn plan set CONTACT --type relapse --trigger payday --coping \"call my sponsor\" \\\n"
         "      --person \"Luis 555-0187\" --place \"the Anchor bar\"\n"
         "  cairn plan set CONTACT -t safety --warning-sign \"not sleeping\" --helper \"my sister 555-0199\"\n"
         "  cairn plan set CONTACT -t safety                # decide a conflict: the newest version stands\n",
         set_opts, run_set},
        {"show", "CONTACT", 1, 1, "Show a person's current plan (or one version); audited.",
         "Examples:\n"
         "  cairn plan show CONTACT --type safety\n"
         "  cairn plan show CONTACT --type relapse --version VERSION\n",
         show_opts, run_show},
        {"history", "CONTACT", 1, 1, "List every version of a person's plan; audited.",
         "Examples:\n"
         "  cairn plan history CONTACT --type relapse\n",
         type_opts, run_history},
        {"print", "CONTACT", 1, 1, "Print a clean one-page plan the person can keep; audited.",
         "Examples:\n"
         "  cairn plan print CONTACT --type safety > ana-safety-plan.txt\n",
         type_opts, run_print},
        {"conflicts", "", 0, 0, "List plans with concurrent versions awaiting review.",
         "Examples:\n"
         "  cairn plan conflicts\n",
         cli_no_opts, run_conflicts},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
