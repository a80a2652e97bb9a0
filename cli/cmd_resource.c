/*
 * cmd_resource.c — `cairn resource add|set|search|show`: the resource directory (organisations,
 * services, locations, phones, hours, categories), published by the office and searchable offline.
 * `cairn referral add --resource ID` fills the referral from a resource.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "output.h"
#include "table.h"

#ifdef CAIRN_HAVE_SYNC
#include "cairn_sync.h"
#endif

#define FIELD_OPTS                                                                                                    \
	{"organization", 0, "ORG", "the organisation that offers it", 0},                                             \
	        {"category", 0, "C", "a category, e.g. housing, treatment, mat (repeat for several)", CLI_OPT_MULTI}, \
	        {"phone", 0, "P", "phone number", 0}, {"address", 0, "A", "where it is", 0},                          \
	        {"hours", 0, "H", "opening hours, e.g. 'Mon-Fri 9-5'", 0}, {"url", 0, "URL", "web address", 0},       \
	{                                                                                                             \
		"description", 0, "TEXT", "what it offers, who is eligible", 0                                        \
	}

static const struct cli_opt add_opts[] = {FIELD_OPTS, CLI_OPT_END};
static const struct cli_opt set_opts[] = {{"name", 0, "NAME", "the service's name", 0}, FIELD_OPTS, CLI_OPT_END};
static const struct cli_opt search_opts[] = {
        {"category", 0, "C", "only resources in this category", 0},
        CLI_OPT_END,
};

static int build(const struct cli_args *a, const char *name, json_t **out)
{
	static const char *const lines[] = {"name",  "organization", "phone",       "address",
	                                    "hours", "url",          "description", NULL};
	json_t *o = json_object(), *cats;
	int i;

	if (name)
		json_object_set_new(o, "name", json_string(name));
	for (i = 0; lines[i]; i++) {
		const char *v = !strcmp(lines[i], "name") && name ? name : args_get(a, lines[i]);

		if (!v)
			continue;
		if (check_line(v, lines[i], 1000)) {
			json_decref(o);
			return CLI_EXIT_USAGE;
		}
		json_object_set_new(o, lines[i], json_string(v));
	}
	if (args_count(a, "category")) {
		cats = json_array();
		for (i = 0; i < args_count(a, "category"); i++) {
			if (check_line(args_nth(a, "category", i), "--category", 64)) {
				json_decref(cats);
				json_decref(o);
				return CLI_EXIT_USAGE;
			}
			json_array_append_new(cats, json_string(args_nth(a, "category", i)));
		}
		json_object_set_new(o, "categories", cats);
	}
	*out = o;
	return 0;
}

static int store(struct cli_ctx *ctx, const char *id, json_t *o, char out[CAIRN_ID_LEN])
{
	char *body = json_dumps(o, JSON_COMPACT);
	int rc;

	json_decref(o);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = cairn_resource_set(ctx->j, id, body, out);
	out_wipe_free(body);
	if (rc)
		return cli_lib_fail(rc);
#ifdef CAIRN_HAVE_SYNC
	/* Only an office gets here: the new version goes to the central repository at once. A failure
	 * leaves the change recorded (so the command succeeds and prints its id: a retry would make a
	 * second resource); the next change, a roster update or 'cairn office publish' publishes it. */
	char *repo = NULL;
	if (!(rc = cairn_state_get(ctx->j, "office.repo", &repo)))
		rc = cairn_office_publish(ctx->j, repo);
	free(repo);
	if (rc)
		cli_warn("recorded, but not published to the central repository: %s (run 'cairn office publish')",
		         cairn_error_last());
#endif
	return 0;
}

static int run_add(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN];
	json_t *o = NULL;
	int rc;

	if (check_line(a->pos[0], "NAME", 200) || (rc = build(a, a->pos[0], &o)))
		return CLI_EXIT_USAGE;
	if ((rc = session_open(ctx))) {
		json_decref(o);
		return rc;
	}
	if ((rc = store(ctx, NULL, o, id)))
		return rc;
	return out_written(ctx->opt, json_pack("{s:s}", "id", id), id, "Added resource %s (%s).", id, a->pos[0]);
}

static int run_set(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN], out[CAIRN_ID_LEN];
	json_t *o = NULL;
	int rc;

	if (check_id(a->pos[0], "resource id") || build(a, NULL, &o))
		return CLI_EXIT_USAGE;
	if (!json_object_size(o)) {
		json_decref(o);
		return cli_usage("nothing to change: give at least one of --name, --organization, --category, --phone, "
		                 "--address, --hours, --url or --description");
	}
	if ((rc = session_resolve(ctx, "resource", a->pos[0], id))) {
		json_decref(o);
		return rc;
	}
	if ((rc = store(ctx, id, o, out)))
		return rc;
	return out_written(ctx->opt, json_pack("{s:s}", "id", id), id, "Updated resource %s.", id);
}

static int render_list(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"ID", "NAME", "ORGANIZATION", "CATEGORIES", "PHONE", "HOURS", NULL};
	const json_t *r;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (!ctx->opt->quiet)
			printf("No resources found.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 0);
	json_array_foreach(doc, i, r)
	{
		char cats[300] = "";
		const json_t *c;
		size_t k;

		json_array_foreach(json_object_get(r, "categories"), k, c)
		{
			size_t n = strlen(cats);

			snprintf(cats + n, sizeof(cats) - n, "%s%s", k ? ", " : "", json_string_value(c));
		}
		if (table_add(&t, (const char *const[]){js_str(r, "id"), js_str(r, "name"), js_str(r, "organization"),
		                                        cats, js_str(r, "phone"), js_str(r, "hours")})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_search(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *cat = args_get(a, "category");
	char *text = NULL;
	int rc;

	if ((a->npos && check_line(a->pos[0], "TEXT", 200)) || (cat && check_line(cat, "--category", 64)))
		return CLI_EXIT_USAGE;
	if ((rc = session_open(ctx)))
		return rc;
	rc = cairn_resource_search(ctx->j, a->npos ? a->pos[0] : NULL, cat, &text);
	return out_query(ctx->opt, rc, text, render_list, ctx);
}

static int render_show(void *ud, const json_t *doc)
{
	static const char *const keys[] = {"id",    "name", "organization", "phone", "address",
	                                   "hours", "url",  "description",  NULL};
	int i;

	(void)ud;
	for (i = 0; keys[i]; i++)
		if (js_str(doc, keys[i])) {
			printf("%-13s", keys[i]);
			out_safe(stdout, js_str(doc, keys[i]), 1);
			fputc('\n', stdout);
		}
	return 0;
}

static int run_show(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN], *text = NULL;
	int rc = session_resolve(ctx, "resource", a->pos[0], id);

	if (rc)
		return rc;
	rc = cairn_resource_show(ctx->j, id, &text);
	return out_query(ctx->opt, rc, text, render_show, ctx);
}

const struct cli_sub cmd_resource_subs[] = {
        {"add", "NAME", 1, 1, "Publish a resource (a service of an organisation); prints its id. Office only.",
         "Only the office publishes the directory (run it with the office's --dir): each change is written\n"
         "to the central repository at once, signed by the org key and encrypted for every team. Devices\n"
         "receive it whole when they sync and can search it offline, but cannot change it: on a device\n"
         "this command fails (exit 2), and a changed resource sent from any device is never applied.\n"
         "\n"
         "Examples:\n"
         "  cairn --dir /srv/cairn/office resource add \"Bayside Clinic MAT program\" \\\n"
         "      --organization \"Bayside Clinic\" --category mat --phone 555-0123 --hours \"Mon-Fri 8-4\"\n",
         add_opts, run_add},
        {"set", "ID", 1, 1, "Change fields of a resource (a new version; every version is kept). Office only.",
         "Examples:\n"
         "  cairn --dir /srv/cairn/office resource set RESOURCE --hours \"Mon-Sun 6pm-8am\"\n",
         set_opts, run_set},
        {"search", "[TEXT]", 0, 1, "Search the directory offline (names, organisations, descriptions).",
         "Examples:\n"
         "  cairn resource search shelter\n"
         "  cairn resource search --category housing\n",
         search_opts, run_search},
        {"show", "ID", 1, 1, "Show one resource.",
         "Examples:\n"
         "  cairn resource show RESOURCE\n",
         cli_no_opts, run_show},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
