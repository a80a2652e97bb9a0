/* domain_card.c — goals, plans, groups, assessments and consents on a person's card. See domain_card.h. */
#include "domain_card.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "output.h"

typedef int (*part_fn)(cairn_journal *j, const char *contact, char **out);

static int goals(cairn_journal *j, const char *c, char **out) { return cairn_goal_list(j, c, out); }
static int groups(cairn_journal *j, const char *c, char **out) { return cairn_group_list(j, c, out); }
static int assessments(cairn_journal *j, const char *c, char **out) { return cairn_assess_list(j, c, NULL, out); }
static int consents(cairn_journal *j, const char *c, char **out) { return cairn_consent_list(j, c, NULL, out); }

/* The person's plans, without their sections: [{"type","version","date","versions","conflict","heads"}]. */
static int plans(cairn_journal *j, const char *c, char **out)
{
	static const char *const types[] = {"safety", "relapse"};
	json_t *arr = json_array();
	int rc = arr ? 0 : cairn_error_set(CAIRN_ENOMEM, "out of memory");

	for (size_t i = 0; !rc && i < sizeof(types) / sizeof(types[0]); i++) {
		char *one = NULL;
		json_t *p;

		rc = cairn_plan_show(j, c, types[i], NULL, &one);
		if (rc == CAIRN_ENOTFOUND) { /* no plan of this type */
			rc = 0;
			continue;
		}
		if (!rc && (p = json_loads(one, 0, NULL))) {
			json_object_del(p, "sections");
			json_array_append_new(arr, p);
		}
		out_free_text(one);
	}
	if (!rc && !(*out = json_dumps(arr, JSON_COMPACT)))
		rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
	json_decref(arr);
	return rc;
}

int domain_card_extend(struct cli_ctx *ctx, const char *id, char **text)
{
	static const struct {
		const char *key;
		part_fn fn;
	} parts[] = {{"goals", goals},
	             {"plans", plans},
	             {"groups", groups},
	             {"assessments", assessments},
	             {"consents", consents}};
	json_t *doc = json_loads(*text, 0, NULL);
	size_t i;
	int rc = 0;

	if (!doc)
		return cairn_error_set(CAIRN_ERROR, "cannot read the contact document");
	for (i = 0; !rc && i < sizeof(parts) / sizeof(parts[0]); i++) {
		char *part = NULL;

		if (!(rc = parts[i].fn(ctx->j, id, &part)))
			json_object_set_new(doc, parts[i].key, json_loads(part, 0, NULL));
		out_free_text(part);
	}
	if (!rc) {
		char *t = json_dumps(doc, JSON_COMPACT);

		if (!t)
			rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
		else {
			out_free_text(*text);
			*text = t;
		}
	}
	json_decref(doc);
	return rc;
}

void domain_goal_status(const json_t *goal, char *buf, size_t n)
{
	const json_t *h;
	size_t i, off;

	if (!js_true(goal, "conflict")) {
		snprintf(buf, n, "%s", js_str(goal, "status"));
		return;
	}
	off = (size_t)snprintf(buf, n, "conflict:");
	json_array_foreach(json_object_get(goal, "heads"), i, h) if (off < n) off +=
	        (size_t)snprintf(buf + off, n - off, "%s%s", i ? " | " : " ", js_str(h, "status"));
}

void domain_card_render(struct cli_ctx *ctx, const json_t *doc)
{
	const json_t *arr, *v;
	size_t i;

	(void)ctx;
	if (json_array_size(arr = json_object_get(doc, "goals")))
		printf("\nGoals (%zu)\n", json_array_size(arr));
	json_array_foreach(arr, i, v)
	{
		char status[128];

		/* out_safe: another device's record may hold anything (apply checks types, not words) */
		domain_goal_status(v, status, sizeof(status));
		fputs("  ", stdout);
		out_safe(stdout, js_str(v, "date"), 1);
		fputs("  ", stdout);
		out_safe(stdout, js_str(v, "domain"), 1);
		fputs(" [", stdout);
		out_safe(stdout, status, 1);
		fputs("]: ", stdout);
		out_safe(stdout, js_str(v, "text"), 1);
		putchar('\n');
	}
	if (json_array_size(arr = json_object_get(doc, "plans")))
		printf("\nPlans (%zu)\n", json_array_size(arr));
	json_array_foreach(arr, i, v)
	{
		long long n = js_int(v, "versions");

		/* out_safe: another device's record may hold anything (apply checks types, not words) */
		fputs("  ", stdout);
		out_safe(stdout, js_str(v, "date"), 1);
		printf("  %s plan, %lld version%s",
		       strcmp(js_str(v, "type"), "safety") ? "relapse-prevention" : "safety", n, n == 1 ? "" : "s");
		if (js_true(v, "conflict"))
			printf("  CONFLICT: %zu versions written without seeing each other (cairn conflicts)",
			       json_array_size(json_object_get(v, "heads")));
		putchar('\n');
	}
	if (json_array_size(arr = json_object_get(doc, "groups")))
		printf("\nGroups attended (%zu)\n", json_array_size(arr));
	json_array_foreach(arr, i, v)
	{
		fputs("  ", stdout);
		out_safe(stdout, js_str(v, "date"), 1);
		fputs("  ", stdout);
		out_safe(stdout, js_str(v, "topic"), 1);
		fputs(" (facilitator ", stdout);
		out_safe(stdout, js_str(v, "facilitator"), 1);
		puts(")");
	}
	if (json_array_size(arr = json_object_get(doc, "assessments")))
		printf("\nAssessments (%zu)\n", json_array_size(arr));
	json_array_foreach(arr, i, v)
	{
		fputs("  ", stdout);
		out_safe(stdout, js_str(v, "date"), 1);
		fputs("  ", stdout);
		out_safe(stdout, js_str(v, "instrument"), 1);
		printf(" total %lld\n", js_int(v, "total"));
	}
	if (json_array_size(arr = json_object_get(doc, "consents")))
		printf("\nConsents (%zu)\n", json_array_size(arr));
	json_array_foreach(arr, i, v)
	{
		fputs("  to ", stdout);
		out_safe(stdout, js_str(v, "recipient"), 1);
		fputs(" for ", stdout);
		out_safe(stdout, js_str(v, "purpose"), 1);
		printf(": %s\n", js_str(v, "status"));
	}
}

int domain_list_by_contact(struct cli_ctx *ctx, const struct cli_args *a, const char *what, domain_list_fn fn,
                           out_render_fn render)
{
	const char *who = args_get(a, "contact");
	char contact[CAIRN_ID_LEN], *text = NULL;
	int rc;

	if (who && check_id(who, "contact id"))
		return CLI_EXIT_USAGE;
	if ((rc = session_view_contact(ctx, who, what, contact)))
		return rc;
	rc = fn(ctx->j, who ? contact : NULL, &text);
	return out_query(ctx->opt, rc, text, render, ctx);
}
