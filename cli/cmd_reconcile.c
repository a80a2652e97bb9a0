/*
 * cmd_reconcile.c — the central office's review commands: `cairn duplicates` (likely same person) and
 * `cairn resolve` (decide a field conflict, or a merge/delete conflict: CONTACT deleted|alive). Neither
 * changes anything by itself being run: duplicates only proposes (merging is `cairn contact merge`), and
 * resolve writes one decision (for a merge/delete conflict, one event per record that needs one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "output.h"
#include "table.h"

static const char *const fields[] = {"name",     "alias",    "dob",      "phone", "email",
                                     "pronouns", "language", "location", NULL};

static const struct cli_opt dup_opts[] = {
        {"min-score", 0, "S", "propose pairs scoring at least S, from 0.01 to 1 (default 0.75)", 0},
        {"limit", 0, "N", "at most N pairs, best first", 0},
        CLI_OPT_END,
};

static const struct cli_opt resolve_opts[] = {
        {"keep", 0, "N", "keep the N-th value as 'cairn conflicts' lists them (1 = newest)", 0},
        {"value", 0, "V", "set this value instead of any of them", 0},
        CLI_OPT_END,
};

/* ---- duplicates ---- */

static int render_dups(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"SCORE", "ID", "NAME", "ID", "NAME", "WHY", NULL};
	const json_t *pairs = json_object_get(doc, "pairs"), *p, *r;
	struct table t;
	size_t i, k;

	if (!json_array_size(pairs)) {
		if (ctx->opt->out_tty && !ctx->opt->quiet)
			printf("No likely duplicates among %lld people.\n", js_int(doc, "contacts"));
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 1);
	table_fixed(&t, 3);
	json_array_foreach(pairs, i, p)
	{
		char score[16], ida[CAIRN_ID_LEN], idb[CAIRN_ID_LEN], why[600] = "";
		size_t off = 0;

		snprintf(score, sizeof(score), "%.2f", json_real_value(json_object_get(p, "score")));
		session_abbrev(ctx, "contact", js_str(p, "a"), ida);
		session_abbrev(ctx, "contact", js_str(p, "b"), idb);
		json_array_foreach(json_object_get(p, "reasons"), k, r) if (off < sizeof(why)) off +=
		        (size_t)snprintf(why + off, sizeof(why) - off, "%s%s", k ? "; " : "", json_string_value(r));
		if (table_add(&t,
		              (const char *const[]){score, ida, js_str(p, "a_name"), idb, js_str(p, "b_name"), why})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	if (ctx->opt->out_tty && !ctx->opt->quiet)
		printf("\n%zu pairs among %lld people. Merge a pair: cairn contact merge ID ID\n",
		       json_array_size(pairs), js_int(doc, "contacts"));
	return 0;
}

static int run_duplicates(struct cli_ctx *ctx, const struct cli_args *a)
{
	cairn_dedupe_options o = CAIRN_DEDUPE_OPTIONS_INIT;
	const char *min = args_get(a, "min-score"), *limit = args_get(a, "limit");
	unsigned long long n = 0;
	char *text = NULL, *end = NULL;
	int rc;

	if (min) {
		o.min_score = strtod(min, &end);
		if (!*min || *end || !(o.min_score >= 0.01 && o.min_score <= 1))
			return cli_usage("invalid value '%s' for --min-score (expected a number from 0.01 to 1)", min);
	}
	if (limit && check_uint(limit, "--limit", 1, 1000000000ull, &n))
		return CLI_EXIT_USAGE;
	o.limit = (size_t)n;
	if ((rc = session_open(ctx)))
		return rc;
	rc = cairn_duplicates(ctx->j, &o, &text);
	return out_query(ctx->opt, rc, text, render_dups, ctx);
}

/* ---- resolve ---- */

/* FIELD names a record's conflict as `cairn conflicts` lists it: "note", or "note ID" typed as shown. */
static int is_record_field(const char *field, const char *record)
{
	size_t n = strlen(record);
	return !strncmp(field, record, n) && (field[n] == '\0' || field[n] == ' ');
}

/* The conflicts of records that decide their own ('note ID', 'goal ID', ...): how. */
static const struct {
	const char *record, *how;
} decided_elsewhere[] = {
        {"note", "a note's conflicting amendments are decided by amending it again, which replaces them all: "
                 "cairn note amend NOTE --text TEXT"},
        {"goal", "a goal's conflicting statuses are decided by a new status, which replaces them all: cairn goal "
                 "status GOAL STATUS"},
        {"referral", "a referral's clashing outcomes are decided by recording the one that stands in a new "
                     "round: cairn referral status REFERRAL STATE --reopen"},
        {"plan", "a plan's concurrent versions are decided by writing a new version, which replaces them all: "
                 "cairn plan set CONTACT --type TYPE"},
};

/* The arguments of `cairn resolve CONTACT FIELD --keep N|--value V`, or of `CONTACT deleted|alive`
 * (a merge/delete conflict: *status 1, *alive). */
static int resolve_args(const struct cli_args *a, int *status, int *alive, unsigned long long *k)
{
	const char *field = a->pos[1], *value = args_get(a, "value"), *keep = args_get(a, "keep");

	*status = !strcmp(field, "deleted") || !strcmp(field, "alive");
	*alive = !strcmp(field, "alive");
	if (check_id(a->pos[0], "contact id"))
		return CLI_EXIT_USAGE;
	if (*status)
		return value || keep ? cli_usage("'cairn resolve CONTACT %s' takes no --keep or --value. See 'cairn "
		                                 "resolve --help'.",
		                                 field)
		                     : 0;
	if (!strcmp(field, "status"))
		return cli_usage(
		        "a merge/delete conflict (FIELD status) is decided with 'cairn resolve CONTACT deleted' "
		        "or 'cairn resolve CONTACT alive'");
	for (size_t i = 0; i < sizeof(decided_elsewhere) / sizeof(decided_elsewhere[0]); i++)
		if (is_record_field(field, decided_elsewhere[i].record))
			return cli_usage("%s", decided_elsewhere[i].how);
	if (check_enum(field, "FIELD", fields))
		return CLI_EXIT_USAGE;
	if (!value == !keep)
		return cli_usage("give --keep N or --value V for 'cairn resolve'. See 'cairn resolve --help'.");
	if (keep && check_uint(keep, "--keep", 1, 1000, k))
		return CLI_EXIT_USAGE;
	if (value && (!strcmp(field, "dob") ? check_dob(value, "--value") : check_line(value, "--value", 1000)))
		return CLI_EXIT_USAGE;
	return 0;
}

static int run_resolve(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *field = a->pos[1], *value = args_get(a, "value");
	char id[CAIRN_ID_LEN], *text = NULL, when[32], msg[1400];
	unsigned long long k = 0;
	int rc, status, alive;
	json_t *doc;

	if ((rc = resolve_args(a, &status, &alive, &k)) || (rc = session_resolve(ctx, "contact", a->pos[0], id)))
		return rc;
	rc = status ? cairn_conflict_resolve_status(ctx->j, id, alive, &text)
	            : cairn_conflict_resolve(ctx->j, id, field, value, (int)k, &text);
	if (rc)
		return cli_lib_fail(rc);
	doc = out_parse(text);
	out_free_text(text);
	if (!doc)
		return CLI_EXIT_FAIL;
	if (ctx->opt->json)
		return out_json(ctx->opt, doc);
	out_hlc_time(when, sizeof(when), (unsigned long long)js_int(doc, "hlc"), 0);
	if (!ctx->opt->out_tty || ctx->opt->quiet) {
		printf("%s\n", js_str(doc, "contact"));
	} else if (status) {
		snprintf(msg, sizeof(msg),
		         "Resolved the merge/delete conflict of %s: %s (deciding %zu sides, %lld events), by device %s "
		         "at %s.",
		         js_str(doc, "contact"), field, json_array_size(json_object_get(doc, "replaced")),
		         js_int(doc, "events"), js_str(doc, "device"), when);
		out_safe(stdout, msg, 1);
		putchar('\n');
	} else {
		char *v = out_value_text(json_object_get(doc, "value"));

		snprintf(msg, sizeof(msg), "Resolved %s of %s: \"%s\" (replacing %zu values), by device %s at %s.",
		         field, id, v ? v : "?", json_array_size(json_object_get(doc, "replaced")),
		         js_str(doc, "device"), when);
		out_safe(stdout, msg, 1);
		putchar('\n');
		out_wipe_free(v);
	}
	json_decref(doc);
	return 0;
}

const struct cli_sub cmd_duplicates_subs[] = {
        {NULL, "", 0, 0, "List people who are likely recorded twice, with a score and the reasons.",
         "Compares names (typos, nicknames such as Bob/Robert, first and last swapped, accents and\n"
         "punctuation), date of birth (equal or transposed), phone and alias. Only people who share\n"
         "a name sound, a date of birth or a phone number are compared, so it scales to large\n"
         "offices. Merged people count once and are never proposed again. Nothing is merged: review\n"
         "each pair, then 'cairn contact merge ID ID'. The output holds names: keep it on this machine.\n"
         "\n"
         "Examples:\n"
         "  cairn duplicates\n"
         "  cairn duplicates --min-score 0.6 --limit 20\n",
         dup_opts, run_duplicates},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_resolve_subs[] = {
        {NULL, "CONTACT FIELD|deleted|alive", 2, 2, "Decide a conflict: keep one of the values, or set another.",
         "FIELD: name, alias, dob, phone, email, pronouns, language or location. 'cairn conflicts'\n"
         "lists each conflict's values newest first, numbered from 1, with who wrote them and when.\n"
         "The decision is an event that has seen every value, so it closes the conflict on every\n"
         "device it reaches; the replaced values stay in the record and the decision is listed by\n"
         "'cairn conflicts --decided' (who, when, what was replaced). Two decisions made at the same\n"
         "time on two devices are themselves a new conflict.\n"
         "\n"
         "'deleted' or 'alive' (no --keep or --value) decides a 'status' conflict: the person was\n"
         "merged on one device and deleted or restored on another, neither seeing the other. The\n"
         "decision deletes or keeps the whole merged person, with delete/restore events that have\n"
         "seen every record of it, so it closes the conflict on every device it reaches. Until then\n"
         "'cairn contact delete', 'restore' and 'merge' refuse that person (exit 6). Two opposite\n"
         "status decisions made at the same time on two devices are not a new conflict: 'deleted'\n"
         "wins on every device (both decisions stay in the log).\n"
         "A note's conflict (FIELD 'note ID') is decided by amending the note: 'cairn note amend'.\n"
         "A goal's (FIELD 'goal ID') by a new status: 'cairn goal status GOAL STATUS'.\n"
         "A plan's (FIELD 'plan TYPE') by a new version: 'cairn plan set CONTACT --type TYPE'.\n"
         "A referral's (FIELD 'referral ID') by the outcome that stands, in a new round:\n"
         "'cairn referral status REFERRAL STATE --reopen'.\n"
         "\n"
         "Examples:\n"
         "  cairn conflicts\n"
         "  cairn resolve CONTACT phone --keep 1\n"
         "  cairn resolve CONTACT phone --value 555-0188\n"
         "  cairn resolve CONTACT alive\n",
         resolve_opts, run_resolve},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
