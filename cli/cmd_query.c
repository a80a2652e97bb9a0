/* cmd_query.c — the read-only commands: search, log, digest, conflicts, status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "output.h"
#include "table.h"

static const struct cli_opt log_opts[] = {
        {"bodies", 0, NULL, "with --json, include each event's body (record content; audited)", 0},
        {"device", 0, "D", "only events written by device D (16 hex digits)", 0},
        {"entity", 0, "ID",
         "only events about one record: a contact, note, referral, goal, consent, crisis, assessment, group "
         "or audit entry (id or prefix); audited",
         0},
        {"max-count", 'n', "N", "show at most N events (the newest)", 0},
        CLI_OPT_END,
};

/* ---- search -------------------------------------------------------------------------------------- */

/* The words of `cairn search two words` as one query, so quoting is optional. */
static char *join_args(const struct cli_args *a)
{
	size_t n = 1;
	char *q;
	int i;

	for (i = 0; i < a->npos; i++)
		n += strlen(a->pos[i]) + 1;
	q = malloc(n);
	if (!q)
		return NULL;
	q[0] = '\0';
	for (i = 0; i < a->npos; i++) {
		if (i)
			strcat(q, " ");
		strcat(q, a->pos[i]);
	}
	return q;
}

static int render_search(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	const struct cli_opts *o = ctx->opt;
	static const char *const head[] = {"TYPE", "ID", "NAME", "DATE", "MATCH", NULL};
	const json_t *r;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (o->out_tty && !o->quiet)
			printf("Nothing found.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 1);
	json_array_foreach(doc, i, r)
	{
		char sid[CAIRN_ID_LEN];
		const char *type = js_str(r, "type");

		session_abbrev(ctx, type && (!strcmp(type, "contact") || !strcmp(type, "note")) ? type : NULL,
		               js_str(r, "id"), sid);
		if (table_add(&t, (const char *const[]){js_str(r, "type"), sid, js_str(r, "name"), js_str(r, "date"),
		                                        js_str(r, "snippet")})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, o->out_tty);
	table_free(&t);
	return 0;
}

static int run_search(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *q = join_args(a), *text = NULL;
	int rc;

	if (!q)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = check_line(q, "TEXT", 500);
	if (!rc && !(rc = session_open(ctx))) {
		rc = cairn_search(ctx->j, q, &text);
		rc = out_query(ctx->opt, rc, text, render_search, ctx);
	}
	out_wipe_free(q);
	return rc;
}

/* ---- log ----------------------------------------------------------------------------------------- */

/* --entity may name any kind of record: the prefix must pick exactly one among them all. */
static int resolve_entity(struct cli_ctx *ctx, const char *arg, char out[CAIRN_ID_LEN])
{
	int rc;

	if ((rc = session_open(ctx)))
		return rc;
	rc = session_resolve_any(ctx, arg, out);
	if (rc == 1)
		return cli_usage("ambiguous id '%s' for --entity: it matches more than one record", arg);
	if (rc == CAIRN_ENOTFOUND)
		return cli_fail(CLI_EXIT_NOTFOUND,
		                "no record (contact, note, referral, goal, consent, crisis, assessment, "
		                "group or audit entry) matches '%s'",
		                arg);
	return rc ? cli_lib_fail(rc) : 0;
}

static int render_log(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	const struct cli_opts *o = ctx->opt;
	static const char *const head[] = {"TIME", "DEVICE", "SEQ", "KIND", "ENTITY", NULL};
	const json_t *e;
	struct table t;
	size_t i;

	if (!json_array_size(doc)) {
		if (o->out_tty && !o->quiet)
			printf("The log is empty.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 0);
	table_fixed(&t, 1);
	table_fixed(&t, 3);
	table_fixed(&t, 4);
	json_array_foreach(doc, i, e)
	{
		char when[32], seq[24], sent[CAIRN_ID_LEN];

		out_hlc_time(when, sizeof(when), (unsigned long long)js_int(e, "hlc"), 1);
		snprintf(seq, sizeof(seq), "%lld", js_int(e, "seq"));
		/* --entity takes any kind of record, so the prefix must be unique across all of them. */
		session_abbrev(ctx, session_kind_type(js_str(e, "kind")) ? "*" : NULL, js_str(e, "entity"), sent);
		if (table_add(&t, (const char *const[]){when, js_str(e, "device"), seq, js_str(e, "kind"), sent})) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, o->out_tty);
	table_free(&t);
	return 0;
}

static int run_log(struct cli_ctx *ctx, const struct cli_args *a)
{
	cairn_log_options lo = CAIRN_LOG_OPTIONS_INIT;
	const char *dev = args_get(a, "device"), *ent = args_get(a, "entity"), *n = args_get(a, "max-count");
	char entity[CAIRN_ID_LEN], *text = NULL;
	unsigned long long limit = 0;
	int rc;

	if ((dev && check_device(dev, "--device")) || (ent && check_id(ent, "id for --entity")) ||
	    (n && check_uint(n, "-n", 1, 1000000000ULL, &limit)))
		return CLI_EXIT_USAGE;
	if (args_count(a, "bodies") && !ctx->opt->json)
		return cli_usage("--bodies goes with --json: the table shows no bodies");
	if ((rc = ent ? resolve_entity(ctx, ent, entity) : session_open(ctx)))
		return rc;
	lo.device = dev;
	lo.entity = ent ? entity : NULL;
	lo.limit = limit;
	lo.bodies = args_count(a, "bodies") > 0;
	rc = cairn_log(ctx->j, &lo, &text);
	return out_query(ctx->opt, rc, text, render_log, ctx);
}

/* ---- digest, conflicts, status ------------------------------------------------------------------- */

static int run_digest(struct cli_ctx *ctx, const struct cli_args *a)
{
	char hex[CAIRN_DIGEST_LEN];
	int rc;

	(void)a;
	if ((rc = session_open(ctx)))
		return rc;
	if ((rc = cairn_digest(ctx->j, hex)))
		return cli_lib_fail(rc);
	if (ctx->opt->json)
		return out_json(ctx->opt, json_pack("{s:s}", "digest", hex));
	printf("%s\n", hex);
	return 0;
}

char *cli_conflict_value(struct cli_ctx *ctx, const json_t *side)
{
	const json_t *m = json_object_get(side, "merged"), *c = json_object_get(side, "contact");
	const json_t *v = json_object_get(side, "value");
	char a[CAIRN_ID_LEN], b[CAIRN_ID_LEN], buf[128];

	if (!json_is_string(v) || (!(json_array_size(m) == 2) && !json_is_string(c)))
		return out_value_text(v);
	session_abbrev(ctx, "contact", json_string_value(c ? c : json_array_get(m, 0)), a);
	if (c) {
		snprintf(buf, sizeof(buf), "%s %s", json_string_value(v), a);
	} else {
		session_abbrev(ctx, "contact", json_string_value(json_array_get(m, 1)), b);
		snprintf(buf, sizeof(buf), "%s %s + %s", json_string_value(v), a, b);
	}
	return strdup(buf);
}

/* One conflict's values as a cell, numbered for `cairn resolve --keep N`, with who and when:
 * 1) "555-1234" (0a1b2c3d 2026-11-23 14:02) | 2) "555-9999" (11223344 2026-11-23 13:58). */
static char *conflict_values(struct cli_ctx *ctx, const json_t *c)
{
	const json_t *v;
	size_t i, n = 1;
	char *out = NULL, num[24] = "";
	/* numbered for --keep only where --keep decides: a field's values, not a note's, a goal's, a plan's,
	 * a referral's or a person's status */
	int numbered = !js_str(c, "note") && !js_str(c, "goal") && !js_str(c, "plan") && !js_str(c, "referral") &&
	               !js_str(c, "kind");

	json_array_foreach(json_object_get(c, "values"), i, v)
	{
		char *val = cli_conflict_value(ctx, v);
		const char *dev = js_str(v, "device");
		char when[32];
		size_t add = (val ? strlen(val) : 1) + 64;
		char *nb = realloc(out, n + add);

		if (!nb) {
			out_wipe_free(val);
			break;
		}
		out = nb;
		if (i == 0)
			out[0] = '\0';
		out_hlc_time(when, sizeof(when), (unsigned long long)js_int(v, "hlc"), 0);
		if (numbered)
			snprintf(num, sizeof(num), "%zu) ", i + 1);
		n += (size_t)snprintf(out + strlen(out), add, "%s%s\"%s\" (%.8s %s)", i ? " | " : "", num,
		                      val ? val : "?", dev ? dev : "?", when);
		out_wipe_free(val);
	}
	return out;
}

static int render_conflicts(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	const struct cli_opts *o = ctx->opt;
	static const char *const head[] = {"CONTACT", "NAME", "FIELD", "VALUES", NULL};
	const json_t *c;
	struct table t;
	size_t i;
	int rc = 0;

	if (!json_array_size(doc)) {
		if (o->out_tty && !o->quiet)
			printf("No conflicts.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 0);
	json_array_foreach(doc, i, c)
	{
		char scon[CAIRN_ID_LEN], snote[CAIRN_ID_LEN], field[CAIRN_ID_LEN + 16], *vals = conflict_values(ctx, c);

		session_abbrev(ctx, "contact", js_str(c, "contact"), scon);
		snprintf(field, sizeof(field), "%s", js_str(c, "field"));
		if (js_str(c, "note")) { /* two amendments of one note: "note 01a2b3c4" */
			session_abbrev(ctx, "note", js_str(c, "note"), snote);
			snprintf(field, sizeof(field), "note %s", snote);
		} else if (js_str(c, "goal")) { /* two statuses of one goal: "goal 01a2b3c4" */
			session_abbrev(ctx, "goal", js_str(c, "goal"), snote);
			snprintf(field, sizeof(field), "goal %s", snote);
		} else if (js_str(c, "referral")) { /* two outcomes of one referral: "referral 01a2b3c4" */
			session_abbrev(ctx, "referral", js_str(c, "referral"), snote);
			snprintf(field, sizeof(field), "referral %s", snote);
		} else if (js_str(c, "plan")) { /* two versions of one plan: "plan safety" */
			snprintf(field, sizeof(field), "plan %.16s", js_str(c, "plan"));
		}
		rc = table_add(&t, (const char *const[]){scon, js_str(c, "name"), field, vals});
		out_wipe_free(vals);
		if (rc) {
			table_free(&t);
			return cli_fail(CLI_EXIT_FAIL, "out of memory");
		}
	}
	table_print(&t, stdout, o->out_tty);
	table_free(&t);
	if (o->out_tty && !o->quiet)
		printf("\nDecide a conflict: cairn resolve CONTACT FIELD --keep N (or --value V);\n"
		       "a merge made while the person was deleted or restored elsewhere (FIELD status):\n"
		       "cairn resolve CONTACT deleted (or alive); a note amended on two devices (FIELD note ID):\n"
		       "cairn note amend NOTE; a goal's status changed on two devices (FIELD goal ID):\n"
		       "cairn goal status GOAL STATUS; a plan changed on two devices (FIELD plan TYPE):\n"
		       "cairn plan set CONTACT --type TYPE; a referral's outcome recorded two ways\n"
		       "(FIELD referral ID): cairn referral status REFERRAL STATE --reopen\n");
	return 0;
}

/* Decisions made with `cairn resolve`: who, when, what was kept and what it replaced. */
static int render_decisions(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"WHEN", "CONTACT", "FIELD", "DECIDED", "BY", "REPLACED", NULL};
	const json_t *d;
	struct table t;
	size_t i;
	int rc = 0;

	if (!json_array_size(doc)) {
		if (ctx->opt->out_tty && !ctx->opt->quiet)
			printf("No conflicts have been decided.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 1);
	json_array_foreach(doc, i, d)
	{
		char when[32], scon[CAIRN_ID_LEN], *val = out_value_text(json_object_get(d, "value")), *vals;
		json_t *wrap = json_pack("{s:O}", "values", json_object_get(d, "replaced"));

		out_hlc_time(when, sizeof(when), (unsigned long long)js_int(d, "hlc"), 0);
		session_abbrev(ctx, "contact", js_str(d, "contact"), scon);
		vals = conflict_values(ctx, wrap);
		rc = table_add(&t,
		               (const char *const[]){when, scon, js_str(d, "field"), val, js_str(d, "device"), vals});
		out_wipe_free(val);
		out_wipe_free(vals);
		json_decref(wrap);
		if (rc) {
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
	int rc, decided = args_count(a, "decided");

	if ((rc = session_open(ctx)))
		return rc;
	rc = decided ? cairn_conflict_decisions(ctx->j, &text) : cairn_conflict_values(ctx->j, &text);
	return out_query(ctx->opt, rc, text, decided ? render_decisions : render_conflicts, ctx);
}

static const struct cli_opt conflicts_opts[] = {
        {"decided", 0, NULL, "list the decisions made with 'cairn resolve' instead (who, when, what)", 0},
        CLI_OPT_END,
};

/* Where the journal is, then every member of the stats object as "name  value", in the library's order. */
static int render_stats(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	char shown[512];
	const char *key;
	const json_t *v;
	int w = 7; /* strlen("journal") */

	json_object_foreach((json_t *)doc, key, v) if ((int)strlen(key) > w) w = (int)strlen(key);
	printf("%-*s  ", w, "journal");
	out_safe(stdout, session_dir_shown(ctx, shown, sizeof(shown)), 1);
	putchar('\n');
	json_object_foreach((json_t *)doc, key, v)
	{
		char *val = out_value_text(v);

		printf("%-*s  ", w, key);
		out_safe(stdout, val ? val : "?", 1);
		putchar('\n');
		out_wipe_free(val);
	}
	return 0;
}

static int run_status(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *text = NULL;
	int rc;

	(void)a;
	if ((rc = session_open(ctx)))
		return rc;
	rc = cairn_journal_stats(ctx->j, &text);
	return out_query(ctx->opt, rc, text, render_stats, ctx);
}

const struct cli_sub cmd_search_subs[] = {
        {NULL, "TEXT...", 1, -1, "Search contact names and note text.",
         "Several words are searched together, as one query; at most 200 hits, best first.\n"
         "Deleted people and their notes, and notes struck as entered in error, are not found.\n"
         "Reading is audited ('cairn audit PERSON'): every person a hit shows (by name or by a\n"
         "note) gets one 'search' entry before anything is shown; if the entries cannot be\n"
         "written, nothing is shown. A search that finds nothing records nothing.\n"
         "\n"
         "Examples:\n"
         "  cairn search naloxone\n"
         "  cairn search Harbor St\n",
         cli_no_opts, run_search},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_log_subs[] = {
        {NULL, "", 0, 0, "Show the event log, newest first.",
         "Every change is an event; nothing is ever removed from the log. The log shows when, which\n"
         "device, what kind and which record, not what was written: bodies (note text, contact fields)\n"
         "only with --bodies and --json. Reading is audited ('cairn audit PERSON'): --entity records a\n"
         "'log' entry for the record's person, --bodies a 'log --bodies' entry for every person the\n"
         "events shown are about.\n"
         "\n"
         "Examples:\n"
         "  cairn log -n 20\n"
         "  cairn log --entity CONTACT\n"
         "  cairn log --device DEVICE -n 50\n"
         "  cairn --json log --entity NOTE --bodies\n",
         log_opts, run_log},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_digest_subs[] = {
        {NULL, "", 0, 0, "Print the state digest.",
         "Two journals holding the same events have the same digest, whatever order the events\n"
         "arrived in: compare digests to check that devices agree.\n"
         "\n"
         "Examples:\n"
         "  cairn digest\n",
         cli_no_opts, run_digest},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_conflicts_subs[] = {
        {NULL, "", 0, 0,
         "List what two devices changed without seeing each other: fields, notes, goals, plans, referrals.",
         "Every value is kept, numbered newest first with the device that wrote it and when, until\n"
         "someone decides with 'cairn resolve CONTACT FIELD --keep N' (or --value V).\n"
         "A note amended on two devices that had not seen each other's amendment is listed as\n"
         "'note ID' with both texts; the note shows the newest until someone amends it again\n"
         "('cairn note amend NOTE'), which replaces them both. A struck note's conflict is dropped.\n"
         "A goal whose status was changed on two devices, neither seeing the other, is listed as\n"
         "'goal ID' with both statuses; the goal shows the newest until someone records a new\n"
         "status ('cairn goal status GOAL STATUS'), which replaces them both.\n"
         "A relapse-prevention or safety plan changed on two devices, neither seeing the other, is\n"
         "listed as 'plan TYPE' with the sections where the versions differ; the plan shows the\n"
         "newest until someone writes a new version ('cairn plan set CONTACT --type TYPE', with\n"
         "changes, or with none to let the newest stand), which replaces them all ('plan history'\n"
         "shows each).\n"
         "A referral recorded with two different outcomes (completed on one device, failed on\n"
         "another, neither seeing the other) is listed as 'referral ID' with both; the referral\n"
         "shows the one that ranks first (completed, failed, rejected, cancelled) and 'needs\n"
         "review' until someone records the outcome that stands with 'cairn referral status\n"
         "REFERRAL STATE --reopen', which starts a new round.\n"
         "FIELD 'status': a person was merged on one device and deleted (or restored) on another,\n"
         "neither seeing the other. Both sides are listed (\"deleted ID\" or \"restored ID\", \"merged\n"
         "ID + ID\", with device and time); the person shows as the merge survivor's delete says\n"
         "('shown' in --json) until someone decides with 'cairn resolve CONTACT deleted' (or alive).\n"
         "The values are record content, so the list is audited ('cairn audit PERSON'): every\n"
         "person shown gets one 'conflicts' entry before anything is shown; if the entries cannot\n"
         "be written, nothing is shown. No conflicts, no entry. --decided shows the values each\n"
         "decision kept and replaced, and is audited the same way ('conflicts --decided').\n"
         "\n"
         "Examples:\n"
         "  cairn conflicts\n"
         "  cairn conflicts --decided\n",
         conflicts_opts, run_conflicts},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_status_subs[] = {
        {NULL, "", 0, 0, "Show where the journal is and what it holds (counts only).",
         "Examples:\n"
         "  cairn status\n"
         "  cairn --json status\n",
         cli_no_opts, run_status},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
