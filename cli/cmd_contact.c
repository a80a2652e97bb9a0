/*
 * cmd_contact.c — `cairn contact add|set|list|show|merge|delete|restore`: the people.
 *
 * Fields go to the library as one JSON object ({"name": "...", "phone": null} clears the phone); each
 * field is a last-writer-wins register in the journal, so `set` sends only what changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "domain_card.h"
#include "output.h"
#include "table.h"

/* One editable field: its option, how to check it, and whether --clear may remove it. */
struct field {
	const char *name;
	int (*check)(const char *s, const char *what);
	int clearable;
};

static int check_name(const char *s, const char *what) { return check_line(s, what, 200); }
static int check_short(const char *s, const char *what) { return check_line(s, what, 100); }

static const struct field fields[] = {
        {"name", check_name, 0},      {"alias", check_name, 1},    {"dob", check_dob, 1},
        {"phone", check_phone, 1},    {"email", check_email, 1},   {"pronouns", check_short, 1},
        {"language", check_short, 1}, {"location", check_name, 1}, {NULL, NULL, 0},
};

static const char *const clearable[] = {"alias", "dob", "phone", "email", "pronouns", "language", "location", NULL};

#define FIELD_OPTS                                                                                  \
	{"alias", 0, "A", "another name the person goes by (nickname, street name)", 0},            \
	        {"dob", 0, "YYYY-MM-DD", "date of birth", 0}, {"phone", 0, "P", "phone number", 0}, \
	        {"email", 0, "E", "e-mail address", 0},                                             \
	        {"pronouns", 0, "P", "pronouns, e.g. she/her, he/him, they/them", 0},               \
	        {"language", 0, "L", "preferred language", 0},                                      \
	{                                                                                           \
		"location", 0, "L", "where to find the person (usual spot, shelter, area)", 0       \
	}

static const struct cli_opt add_opts[] = {FIELD_OPTS, CLI_OPT_END};
static const struct cli_opt set_opts[] = {
        {"name", 0, "NAME", "the name the person uses", 0},
        FIELD_OPTS,
        {"clear", 0, "FIELD", "remove a field: alias, dob, phone, email, pronouns, language or location",
         CLI_OPT_MULTI},
        CLI_OPT_END,
};
static const struct cli_opt list_opts[] = {
        {"all", 0, NULL, "include deleted contacts", 0},
        CLI_OPT_END,
};

/* ---- writing ------------------------------------------------------------------------------------- */

static int add_clears(const struct cli_args *a, json_t *obj)
{
	int i, n = args_count(a, "clear");

	for (i = 0; i < n; i++) {
		const char *f = args_nth(a, "clear", i);

		if (!strcmp(f, "name"))
			return cli_usage("cannot clear the name; change it with --name");
		if (check_enum(f, "--clear", clearable))
			return CLI_EXIT_USAGE;
		if (json_object_get(obj, f) && !json_is_null(json_object_get(obj, f)))
			return cli_usage("cannot both set and clear --%s", f);
		json_object_set_new(obj, f, json_null());
	}
	return 0;
}

/* Build the fields object from the options (and NAME for `add`), checking each value. */
static int build_fields(const struct cli_args *a, const char *name, json_t **out)
{
	json_t *obj = json_object();
	const struct field *f;
	int rc = 0;

	if (!obj)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	for (f = fields; f->name && !rc; f++) {
		const char *v = !strcmp(f->name, "name") && name ? name : args_get(a, f->name);
		char label[32];

		if (!v)
			continue;
		snprintf(label, sizeof(label), name && !strcmp(f->name, "name") ? "NAME" : "--%s", f->name);
		rc = f->check(v, label);
		if (!rc && json_object_set_new(obj, f->name, json_string(v)))
			rc = cli_fail(CLI_EXIT_FAIL, "out of memory");
	}
	if (!rc)
		rc = add_clears(a, obj);
	if (rc) {
		json_decref(obj);
		return rc;
	}
	*out = obj;
	return 0;
}

/* Hand the fields to the library; `entity` NULL creates a contact and fills `id`. */
static int store_fields(struct cli_ctx *ctx, const char *entity, json_t *obj, char id[CAIRN_ID_LEN])
{
	char *text = json_dumps(obj, JSON_COMPACT);
	int rc;

	if (!text)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = cairn_contact_set(ctx->j, entity, text, id);
	out_wipe_free(text);
	return rc ? cli_lib_fail(rc) : 0;
}

static int run_add(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN];
	json_t *obj = NULL;
	int rc;

	if ((rc = build_fields(a, a->pos[0], &obj)))
		return rc;
	if (!(rc = session_open(ctx)))
		rc = store_fields(ctx, NULL, obj, id);
	json_decref(obj);
	if (rc)
		return rc;
	return out_written(ctx->opt, json_pack("{s:s}", "id", id), id, "Added contact %s (%s).", id, a->pos[0]);
}

static int run_set(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN];
	json_t *obj = NULL;
	int rc;

	if (check_id(a->pos[0], "contact id"))
		return CLI_EXIT_USAGE;
	if ((rc = build_fields(a, NULL, &obj)))
		return rc;
	if (json_object_size(obj) == 0) {
		json_decref(obj);
		return cli_usage("nothing to change: give at least one of --name, --alias, --dob, --phone, --email, "
		                 "--pronouns, --language, --location or --clear FIELD");
	}
	rc = session_resolve(ctx, "contact", a->pos[0], id);
	if (!rc)
		rc = store_fields(ctx, id, obj, NULL);
	json_decref(obj);
	if (rc)
		return rc;
	return out_written(ctx->opt, json_pack("{s:s}", "id", id), id, "Updated contact %s.", id);
}

/*
 * Who survives a merge: the smallest id of the whole group, which may be neither argument when either was
 * merged before. contact show answers for the group under that id, so ask it rather than guess.
 */
static void survivor(struct cli_ctx *ctx, const char *a, const char *b, char out[CAIRN_ID_LEN])
{
	char *text = NULL;
	json_t *doc = NULL;

	snprintf(out, CAIRN_ID_LEN, "%s", strcmp(a, b) < 0 ? a : b);
	if (cairn_contact_show(ctx->j, a, &text) == 0)
		doc = json_loads(text, 0, NULL);
	out_free_text(text);
	if (js_str(doc, "id"))
		snprintf(out, CAIRN_ID_LEN, "%s", js_str(doc, "id"));
	json_decref(doc);
}

static int run_merge(struct cli_ctx *ctx, const struct cli_args *a)
{
	char ida[CAIRN_ID_LEN], idb[CAIRN_ID_LEN], id[CAIRN_ID_LEN];
	int rc;

	if (check_id(a->pos[0], "contact id") || check_id(a->pos[1], "contact id"))
		return CLI_EXIT_USAGE;
	if ((rc = session_resolve(ctx, "contact", a->pos[0], ida)) ||
	    (rc = session_resolve(ctx, "contact", a->pos[1], idb)))
		return rc;
	if (!strcmp(ida, idb))
		return cli_usage("'%s' and '%s' are the same contact", a->pos[0], a->pos[1]);
	if ((rc = cairn_contact_merge(ctx->j, ida, idb)))
		return cli_lib_fail(rc);
	survivor(ctx, ida, idb, id);
	return out_written(ctx->opt, json_pack("{s:s,s:[s,s]}", "id", id, "merged", ida, idb), id,
	                   "Merged %s and %s: one person now, kept as %s.", ida, idb, id);
}

static int set_alive(struct cli_ctx *ctx, const struct cli_args *a, int alive)
{
	char id[CAIRN_ID_LEN];
	int rc;

	if ((rc = session_resolve(ctx, "contact", a->pos[0], id)))
		return rc;
	if ((rc = cairn_contact_delete(ctx->j, id, alive)))
		return cli_lib_fail(rc);
	if (alive)
		return out_written(ctx->opt, json_pack("{s:s,s:b}", "id", id, "deleted", 0), id, "Restored contact %s.",
		                   id);
	return out_written(ctx->opt, json_pack("{s:s,s:b}", "id", id, "deleted", 1), id,
	                   "Deleted contact %s (the record stays in the log; undo with 'cairn contact restore %s').",
	                   id, id);
}

static int run_delete(struct cli_ctx *ctx, const struct cli_args *a) { return set_alive(ctx, a, 0); }
static int run_restore(struct cli_ctx *ctx, const struct cli_args *a) { return set_alive(ctx, a, 1); }

/* ---- list ---------------------------------------------------------------------------------------- */

/* "deleted, 2 conflicts": what needs attention, in one cell. */
static void list_flags(char *buf, size_t n, const json_t *c)
{
	long long nconf = js_int(c, "conflicts");
	int off = 0;

	buf[0] = '\0';
	if (js_true(c, "deleted"))
		off = snprintf(buf, n, "deleted");
	if (nconf > 0)
		snprintf(buf + off, n - (size_t)off, "%s%lld conflict%s", off ? ", " : "", nconf, nconf > 1 ? "s" : "");
}

static int render_list(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	const struct cli_opts *o = ctx->opt;
	static const char *const head[] = {"ID", "NAME", "ALIAS", "DOB", "PHONE", "FLAGS", NULL};
	struct table t;
	const json_t *c;
	size_t i;

	if (!json_array_size(doc)) {
		if (o->out_tty && !o->quiet)
			printf("No contacts yet. Add one with 'cairn contact add NAME'.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 0);
	json_array_foreach(doc, i, c)
	{
		char sid[CAIRN_ID_LEN], flags[64];

		session_abbrev(ctx, "contact", js_str(c, "id"), sid);
		list_flags(flags, sizeof(flags), c);
		if (table_add(&t, (const char *const[]){sid, js_str(c, "name"), js_str(c, "alias"), js_str(c, "dob"),
		                                        js_str(c, "phone"), flags})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, o->out_tty);
	table_free(&t);
	return 0;
}

static int run_list(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *text = NULL;
	int rc = session_open(ctx);

	if (rc)
		return rc;
	rc = cairn_contact_list(ctx->j, args_count(a, "all") > 0, &text);
	return out_query(ctx->opt, rc, text, render_list, ctx);
}

/* ---- show: a card -------------------------------------------------------------------------------- */
/*
 * The library's document (core/query.c): {"id", "deleted", "created_hlc", "fields": {...}, "merged": [ids],
 * "conflicts": [{"field", "values": [{"value", "hlc", "device"}]}], "notes": [...], "referrals": [...]}.
 * Notes carry "original_text" and "amendments" so the card can show the whole history of a correction.
 */

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

static void card_line(const char *label, const char *value)
{
	if (!value || !*value)
		return;
	printf("  %-10s", label);
	out_safe(stdout, value, 1);
	putchar('\n');
}

static void card_head(const json_t *doc)
{
	static const char *const shown[] = {"alias", "pronouns", "dob", "phone", "email", "language", "location", NULL};
	const json_t *f = json_object_get(doc, "fields"), *m;
	char when[32];
	size_t i;

	out_safe(stdout, js_str(f, "name") ? js_str(f, "name") : "(no name)", 1);
	if (js_true(doc, "deleted"))
		printf("   [deleted: 'cairn contact restore' brings it back]");
	putchar('\n');
	card_line("id", js_str(doc, "id"));
	for (i = 0; shown[i]; i++)
		card_line(shown[i], js_str(f, shown[i]));
	json_array_foreach(json_object_get(doc, "merged"), i, m) card_line(i ? "" : "merged", json_string_value(m));
	out_hlc_time(when, sizeof(when), (unsigned long long)js_int(doc, "created_hlc"), 0);
	card_line("created", when);
}

static void card_conflict(struct cli_ctx *ctx, const json_t *c)
{
	const json_t *v;
	size_t i;

	printf("  %s:\n", or_dash(js_str(c, "field")));
	json_array_foreach(json_object_get(c, "values"), i, v)
	{
		char *val = cli_conflict_value(ctx, v);
		char when[32];

		out_hlc_time(when, sizeof(when), (unsigned long long)js_int(v, "hlc"), 0);
		printf("    \"");
		out_safe(stdout, val ? val : "?", 1);
		printf("\"  (device %s, %s)\n", or_dash(js_str(v, "device")), when);
		out_wipe_free(val);
	}
}

static void card_conflicts(struct cli_ctx *ctx, const json_t *doc)
{
	const json_t *arr = json_object_get(doc, "conflicts"), *c;
	size_t i, status = 0;

	if (!json_array_size(arr))
		return;
	json_array_foreach(arr, i, c) status += !strcmp(or_dash(js_str(c, "field")), "status");
	printf("\nConflicts (%zu):", json_array_size(arr));
	if (json_array_size(arr) > status)
		printf(" edited on two devices at once; both values are kept.\n"
		       "Set the field again to resolve: cairn contact set %s --FIELD VALUE\n",
		       or_dash(js_str(doc, "id")));
	if (status)
		printf("%smerged on one device while deleted or restored on another (status), neither\n"
		       "seeing the other. Decide: cairn resolve %s deleted (or alive)\n",
		       json_array_size(arr) > status ? "Also " : " ", or_dash(js_str(doc, "id")));
	json_array_foreach(arr, i, c) card_conflict(ctx, c);
}

static void card_amendment(const json_t *am)
{
	char when[32];

	out_hlc_time(when, sizeof(when), (unsigned long long)js_int(am, "hlc"), 0);
	printf("      amended %s", when);
	if (js_str(am, "reason")) {
		fputs(" (", stdout);
		out_safe(stdout, js_str(am, "reason"), 1);
		putchar(')');
	}
	fputs(":\n", stdout);
	out_indented(stdout, js_str(am, "text"), 8);
}

static void card_note(struct cli_ctx *ctx, const json_t *n)
{
	const json_t *amends = json_object_get(n, "amendments"), *am;
	const char *mod = js_str(n, "modality");
	long long minutes = js_int(n, "minutes");
	char sid[CAIRN_ID_LEN];
	size_t i;

	session_abbrev(ctx, "note", js_str(n, "id"), sid);
	printf("  %s  %s", or_dash(js_str(n, "date")), or_dash(js_str(n, "kind")));
	if (mod) {
		fputs(", ", stdout);
		out_safe(stdout, mod, 1);
	}
	if (minutes > 0)
		printf(", %lld min", minutes);
	printf("  [%s]", sid);
	if (js_true(n, "struck")) {
		fputs("  STRUCK (entered in error)", stdout);
		if (js_str(n, "strike_reason")) {
			fputs(": ", stdout);
			out_safe(stdout, js_str(n, "strike_reason"), 1);
		}
	} else if (js_true(n, "conflict")) {
		fputs("  CONFLICT: amended on two devices, neither seeing the other (cairn conflicts)", stdout);
	}
	putchar('\n');
	/* The original first, then each correction: the card shows what the record holds. */
	out_indented(stdout, js_str(n, "original_text") ? js_str(n, "original_text") : js_str(n, "text"), 6);
	json_array_foreach(amends, i, am) card_amendment(am);
}

static void card_notes(struct cli_ctx *ctx, const json_t *doc)
{
	const json_t *arr = json_object_get(doc, "notes"), *n;
	size_t i;

	if (!json_array_size(arr))
		return;
	printf("\nNotes (%zu)\n", json_array_size(arr));
	json_array_foreach(arr, i, n) card_note(ctx, n);
}

static void card_history(const json_t *r)
{
	const json_t *h;
	size_t i;

	json_array_foreach(json_object_get(r, "history"), i, h)
	{
		char when[32];

		out_hlc_time(when, sizeof(when), (unsigned long long)js_int(h, "hlc"), 0);
		printf("      %s  %s", when, or_dash(js_str(h, "state")));
		if (js_str(h, "outcome") || js_str(h, "reporter"))
			printf(" (%s, reported by %s)", or_dash(js_str(h, "outcome")), or_dash(js_str(h, "reporter")));
		if (js_str(h, "note")) {
			fputs(": ", stdout);
			out_safe(stdout, js_str(h, "note"), 1);
		}
		putchar('\n');
	}
}

static void card_referral(struct cli_ctx *ctx, const json_t *r)
{
	char sid[CAIRN_ID_LEN];

	session_abbrev(ctx, "referral", js_str(r, "id"), sid);
	printf("  %s  %s -> ", or_dash(js_str(r, "date")), or_dash(js_str(r, "category")));
	out_safe(stdout, or_dash(js_str(r, "to")), 1);
	printf("  [%s]\n      now: %s%s%s%s", sid, or_dash(js_str(r, "state")),
	       js_true(r, "on_hold") ? ", on hold" : "",
	       js_true(r, "review") ? ", needs review (clashing outcomes)" : "",
	       js_true(r, "struck") ? ", entered in error" : "");
	if (js_str(r, "outcome"))
		printf(", outcome %s", js_str(r, "outcome"));
	putchar('\n');
	if (js_str(r, "reason")) {
		fputs("      reason: ", stdout);
		out_safe(stdout, js_str(r, "reason"), 1);
		putchar('\n');
	}
	card_history(r);
}

static void card_referrals(struct cli_ctx *ctx, const json_t *doc)
{
	const json_t *arr = json_object_get(doc, "referrals"), *r;
	size_t i;

	if (!json_array_size(arr))
		return;
	printf("\nReferrals (%zu)\n", json_array_size(arr));
	json_array_foreach(arr, i, r) card_referral(ctx, r);
}

static int render_card(void *ud, const json_t *doc)
{
	card_head(doc);
	card_conflicts(ud, doc);
	card_notes(ud, doc);
	card_referrals(ud, doc);
	domain_card_render(ud, doc);
	return 0;
}

static int run_show(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN], *text = NULL;
	/* Viewing a record is audited (42 CFR Part 2): without the audit entry nothing is shown. */
	int rc = session_view_contact(ctx, a->pos[0], "contact show", id);

	if (rc)
		return rc;
	rc = cairn_contact_show(ctx->j, id, &text);
	if (!rc)
		rc = domain_card_extend(ctx, id, &text);
	return out_query(ctx->opt, rc, text, render_card, ctx);
}

const struct cli_sub cmd_contact_subs[] = {
        {"add", "NAME", 1, 1, "Add a person; prints the new contact id.",
         "NAME is the name the person uses (quote it if it has spaces). Dates are real calendar\n"
         "dates; a date of birth cannot be in the future.\n"
         "\n"
         "Examples:\n"
         "  cairn contact add \"Ana Diaz\" --phone 555-0142 --pronouns she/her --language Spanish\n"
         "  cairn contact add \"Marcus Lee\" --alias Moe --location \"Harbor St underpass\"\n",
         add_opts, run_add},
        {"set", "ID", 1, 1, "Change or clear fields of a contact (at least one option).",
         "Each field keeps its history: an edit made on another device at the same time is kept\n"
         "as a conflict (see 'cairn conflicts') instead of being lost.\n"
         "\n"
         "Examples:\n"
         "  cairn contact set CONTACT --phone 555-0199 --location \"Harbor House shelter\"\n"
         "  cairn contact set CONTACT --name \"Ana Diaz-Lopez\" --clear pronouns\n",
         set_opts, run_set},
        {"list", "", 0, 0, "List contacts by name.",
         "Examples:\n"
         "  cairn contact list\n"
         "  cairn contact list --all\n",
         list_opts, run_list},
        {"show", "ID", 1, 1, "Show a contact: fields, conflicts, notes and referrals.",
         "The card also lists the person's goals, plans (the date of the one shown, how many\n"
         "versions, and whether some were written without seeing each other), groups, assessments\n"
         "and consents.\n"
         "Each view is recorded in the audit trail (device, worker, time): see 'cairn audit ID'.\n"
         "\n"
         "Examples:\n"
         "  cairn contact show CONTACT\n",
         cli_no_opts, run_show},
        {"merge", "ID ID", 2, 2, "Record that two contacts are the same person.",
         "The merged person keeps the smallest id of the group (printed); every id still finds them.\n"
         "A deleted person is not merged (restore them first). A merge and a delete of the same\n"
         "person made on two devices without either seeing the other are listed by 'cairn conflicts'\n"
         "(FIELD status) until decided with 'cairn resolve CONTACT deleted' (or alive); until then\n"
         "that person is not merged, deleted or restored (exit 6).\n"
         "\n"
         "Examples:\n"
         "  cairn duplicates\n"
         "  cairn contact merge CONTACT OTHER\n",
         cli_no_opts, run_merge},
        {"delete", "ID", 1, 1, "Delete a contact (it stays in the log and can be restored).",
         "Deletes the whole person, every record merged into it. A delete made while another device\n"
         "merged the person, neither seeing the other, is listed by 'cairn conflicts' (see\n"
         "'cairn contact merge --help').\n"
         "\n"
         "Examples:\n"
         "  cairn contact delete CONTACT\n",
         cli_no_opts, run_delete},
        {"restore", "ID", 1, 1, "Restore a deleted contact.",
         "Examples:\n"
         "  cairn contact list --all\n"
         "  cairn contact restore CONTACT\n",
         cli_no_opts, run_restore},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
