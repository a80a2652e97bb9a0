/*
 * cmd_crisis.c — `cairn crisis open|stamp|set|intervention|screen|link|link-person|handoff|followup|
 * list|show`.
 *
 * Each member of a mobile crisis team records on their own device, offline. A teammate joins with the id
 * read aloud or scanned (`open --join ID`, 8 characters are enough); when they could not learn it, two
 * records of one call are joined later with `link`. Every member's value of every field is kept: the
 * library flags disagreements for review, and a write made after seeing them resolves them.
 * Times: "YYYY-MM-DD HH:MM[:SS]" or "HH:MM" (today) in local time, or UTC "YYYY-MM-DDTHH:MM:SSZ".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "cli.h"
#include "output.h"
#include "table.h"

static const char *const sources[] = {"988", "911", "walk-in", "self", "family", "police", "other", NULL};
static const char *const locations[] = {"home",       "street",         "shelter", "school", "workplace", "public",
                                        "healthcare", "police-station", "phone",   "other",  NULL};
static const char *const dispositions[] = {"stabilised-in-place",
                                           "voluntary-transport",
                                           "involuntary-hold",
                                           "emergency-department",
                                           "crisis-stabilisation-unit",
                                           "referral",
                                           "police-custody",
                                           "other",
                                           NULL};
static const char *const police_roles[] = {"none",      "requested-by-team", "on-scene-support", "co-responder",
                                           "transport", "custody",           "initiated-call",   NULL};
static const char *const roles[] = {"lead", "clinician", "peer", "nurse", "medic", "other", NULL};
static const char *const stamps[] = {"received", "dispatched", "arrived", "cleared", NULL};
static const char *const results[] = {"reached", "unreachable", "declined", "other", NULL};
static const char *const interventions[] = {
        "de-escalation",    "safety-planning", "counselling",   "peer-support", "medication", "means-restriction",
        "resource-linkage", "family-support",  "medical-check", "other",        NULL};

#define TIME_HELP "time: YYYY-MM-DD HH:MM, HH:MM (today, local) or YYYY-MM-DDTHH:MM:SSZ (default: now)"

static const struct cli_opt open_opts[] = {
        {"source", 0, "S", "988, 911, walk-in, self, family, police or other (required unless --join)", 0},
        {"location", 0, "L",
         "home, street, shelter, school, workplace, public, healthcare, police-station, phone, other", 0},
        {"received", 0, "TIME", "when the call came in; " TIME_HELP, 0},
        {"contact", 0, "ID", "the person, when known (default: a new unnamed contact, linked later)", 0},
        {"role", 0, "R", "your role: lead, clinician, peer, nurse, medic or other", 0},
        {"join", 0, "ID", "join a teammate's crisis: its id or at least 8 characters of it", 0},
        {"followup-hours", 0, "N", "follow-up due this many hours after the call (default 24)", 0},
        CLI_OPT_END,
};
static const struct cli_opt stamp_opts[] = {
        {"at", 0, "TIME", TIME_HELP, 0},
        CLI_OPT_END,
};
static const struct cli_opt set_opts[] = {
        {"disposition", 0, "D",
         "stabilised-in-place, voluntary-transport, involuntary-hold, emergency-department, "
         "crisis-stabilisation-unit, referral, police-custody or other",
         0},
        {"police", 0, "ROLE",
         "law enforcement: none, requested-by-team, on-scene-support, co-responder, transport, custody, "
         "initiated-call",
         0},
        {"source", 0, "S", "correct the source", 0},
        {"location", 0, "L", "correct the location type", 0},
        CLI_OPT_END,
};
static const struct cli_opt intervention_opts[] = {
        {"at", 0, "TIME", TIME_HELP, 0},
        {"detail", 0, "TEXT", "a short remark (no names: use notes for narrative)", 0},
        CLI_OPT_END,
};
static const struct cli_opt screen_opts[] = {
        {"instrument", 0, "ID", "cssrs-screen-1 (default) or danger-others-1", 0},
        {"yes", 0, "ITEM", "an item answered yes (repeat; every other item is no)", CLI_OPT_MULTI},
        CLI_OPT_END,
};
static const struct cli_opt handoff_opts[] = {
        {"to", 0, "WHO", "the worker or team who does the follow-up", CLI_OPT_REQUIRED},
        CLI_OPT_END,
};
static const struct cli_opt followup_opts[] = {
        {"at", 0, "TIME", TIME_HELP, 0},
        {"result", 0, "R", "reached, unreachable, declined or other (default reached)", 0},
        CLI_OPT_END,
};
static const struct cli_opt list_opts[] = {
        {"from", 0, "YYYY-MM-DD", "received on or after", 0},
        {"to", 0, "YYYY-MM-DD", "received on or before", 0},
        {"open", 0, NULL, "only crises whose follow-up is not done", 0},
        CLI_OPT_END,
};

/* A time as the user typed it -> UTC "YYYY-MM-DDTHH:MM:SSZ". 0 or a usage exit code (message printed). */
static int parse_time(const char *s, const char *what, char out[21])
{
	struct tm tm;
	time_t t;
	char date[CHECK_DATE_LEN];
	int h = -1, m = -1, sec = 0, n = 0;

	memset(&tm, 0, sizeof(tm));
	if (!s) {
		t = time(NULL);
	} else if (strlen(s) == 20 && s[10] == 'T' && s[19] == 'Z') {
		snprintf(date, sizeof(date), "%.10s", s);
		if (check_date(date, what) || sscanf(s + 11, "%2d:%2d:%2dZ%n", &h, &m, &sec, &n) != 3 || n != 9 ||
		    h > 23 || m > 59 || sec > 59)
			return cli_usage("invalid time '%s' for %s (expected YYYY-MM-DDTHH:MM:SSZ)", s, what);
		snprintf(out, 21, "%s", s);
		return 0;
	} else {
		const char *clock = s;
		if (strlen(s) > 10 && s[10] == ' ') {
			snprintf(date, sizeof(date), "%.10s", s);
			if (check_date(date, what))
				return CLI_EXIT_USAGE;
			clock = s + 11;
		} else {
			check_today(date);
		}
		if ((sscanf(clock, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3 || n != 8 || (int)strlen(clock) != 8) &&
		    (sec = 0, sscanf(clock, "%2d:%2d%n", &h, &m, &n) != 2 || n != 5 || strlen(clock) != 5))
			return cli_usage(
			        "invalid time '%s' for %s (expected HH:MM, YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM:SSZ)",
			        s, what);
		if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
			return cli_usage(
			        "invalid time '%s' for %s (expected HH:MM, YYYY-MM-DD HH:MM or YYYY-MM-DDTHH:MM:SSZ)",
			        s, what);
		sscanf(date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		tm.tm_hour = h;
		tm.tm_min = m;
		tm.tm_sec = sec;
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

/* Local "YYYY-MM-DD HH:MM" of a stored UTC time, for humans. */
static const char *local_time(const char *utc, char buf[20])
{
	struct tm tm;
	time_t t;

	if (!utc || strlen(utc) != 20)
		return utc ? utc : "-";
	memset(&tm, 0, sizeof(tm));
	if (sscanf(utc, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	           &tm.tm_sec) != 6)
		return utc;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	localtime_r(&t, &tm);
	strftime(buf, 20, "%Y-%m-%d %H:%M", &tm);
	return buf;
}

static int crisis_resolve(struct cli_ctx *ctx, const char *arg, char out[CAIRN_ID_LEN])
{
	int rc;

	if (check_id(arg, "crisis id"))
		return CLI_EXIT_USAGE;
	if ((rc = session_open(ctx)))
		return rc;
	rc = cairn_crisis_resolve(ctx->j, arg, out);
	return rc ? cli_lib_fail(rc) : 0;
}

/* Hand `obj` (released) to cairn_crisis_set on `id`. */
static int store_set(struct cli_ctx *ctx, const char *id, json_t *obj)
{
	char *body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	int rc;

	json_decref(obj);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = cairn_crisis_set(ctx->j, id, body);
	out_wipe_free(body);
	return rc ? cli_lib_fail(rc) : 0;
}

static int check_open_args(const struct cli_args *a)
{
	unsigned long long hours;
	const char *v;

	if (((v = args_get(a, "source")) && check_enum(v, "--source", sources)) ||
	    ((v = args_get(a, "location")) && check_enum(v, "--location", locations)) ||
	    ((v = args_get(a, "role")) && check_enum(v, "--role", roles)) ||
	    ((v = args_get(a, "contact")) && check_id(v, "contact id")) ||
	    ((v = args_get(a, "followup-hours")) && check_uint(v, "--followup-hours", 1, 720, &hours)))
		return CLI_EXIT_USAGE;
	if ((v = args_get(a, "join"))) {
		if (check_id(v, "crisis id to join"))
			return CLI_EXIT_USAGE;
		if (strlen(v) < 8)
			return cli_usage("give at least 8 characters of the crisis id to --join");
	} else if (!args_get(a, "source")) {
		return cli_usage(
		        "missing --source for 'cairn crisis open' (988, 911, walk-in, self, family, police, other)");
	}
	return 0;
}

static int run_open(struct cli_ctx *ctx, const struct cli_args *a)
{
	static const char *const plain[] = {"source", "location", "role", "join", NULL};
	char received[21], contact[CAIRN_ID_LEN], id[CAIRN_ID_LEN], *body;
	json_t *obj;
	int rc, i;

	if (check_open_args(a))
		return CLI_EXIT_USAGE;
	if (args_get(a, "received") && (rc = parse_time(args_get(a, "received"), "--received", received)))
		return rc;
	if (args_get(a, "contact") && (rc = session_resolve(ctx, "contact", args_get(a, "contact"), contact)))
		return rc;
	if ((rc = session_open(ctx)))
		return rc;
	obj = json_object();
	for (i = 0; plain[i]; i++)
		if (args_get(a, plain[i]))
			json_object_set_new(obj, plain[i], json_string(args_get(a, plain[i])));
	if (args_get(a, "received"))
		json_object_set_new(obj, "received", json_string(received));
	if (args_get(a, "contact"))
		json_object_set_new(obj, "contact", json_string(contact));
	if (args_get(a, "followup-hours"))
		json_object_set_new(obj, "followup_hours", json_string(args_get(a, "followup-hours")));
	body = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = cairn_crisis_open(ctx->j, body, id);
	out_wipe_free(body);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{s:s,s:b}", "id", id, "joined", args_get(a, "join") != NULL), id,
	                   args_get(a, "join") ? "Joined crisis %s." : "Opened crisis %s.", id);
}

static int run_stamp(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN], at[21];
	int rc;

	if (check_id(a->pos[0], "crisis id") || check_enum(a->pos[1], "STAMP", stamps))
		return CLI_EXIT_USAGE;
	if ((rc = parse_time(args_get(a, "at"), "--at", at)) || (rc = crisis_resolve(ctx, a->pos[0], id)) ||
	    (rc = store_set(ctx, id, json_pack("{s:s}", a->pos[1], at))))
		return rc;
	return out_written(ctx->opt, json_pack("{s:s,s:s,s:s}", "id", id, "stamp", a->pos[1], "at", at), id,
	                   "Stamped %s at %s for crisis %s.", a->pos[1], at, id);
}

static int run_set(struct cli_ctx *ctx, const struct cli_args *a)
{
	static const struct {
		const char *opt;
		const char *const *values;
	} opts[] = {
	        {"disposition", dispositions}, {"police", police_roles}, {"source", sources}, {"location", locations}};
	char id[CAIRN_ID_LEN], what[24];
	json_t *obj;
	size_t i;
	int rc;

	if (check_id(a->pos[0], "crisis id"))
		return CLI_EXIT_USAGE;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		snprintf(what, sizeof(what), "--%s", opts[i].opt);
		if (args_get(a, opts[i].opt) && check_enum(args_get(a, opts[i].opt), what, opts[i].values))
			return CLI_EXIT_USAGE;
	}
	obj = json_object();
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (args_get(a, opts[i].opt))
			json_object_set_new(obj, opts[i].opt, json_string(args_get(a, opts[i].opt)));
	if (!json_object_size(obj)) {
		json_decref(obj);
		return cli_usage("nothing to record: give --disposition, --police, --source or --location");
	}
	if ((rc = crisis_resolve(ctx, a->pos[0], id))) {
		json_decref(obj);
		return rc;
	}
	json_incref(obj);
	if ((rc = store_set(ctx, id, obj))) {
		json_decref(obj);
		return rc;
	}
	json_object_set_new(obj, "id", json_string(id));
	return out_written(ctx->opt, obj, id, "Recorded for crisis %s.", id);
}

static int run_intervention(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *detail = args_get(a, "detail");
	char id[CAIRN_ID_LEN], at[21], *body;
	json_t *obj;
	int rc;

	if (check_id(a->pos[0], "crisis id") || check_enum(a->pos[1], "TYPE", interventions) ||
	    (detail && check_line(detail, "--detail", 500)))
		return CLI_EXIT_USAGE;
	if ((rc = parse_time(args_get(a, "at"), "--at", at)) || (rc = crisis_resolve(ctx, a->pos[0], id)))
		return rc;
	obj = json_pack("{s:s,s:s}", "type", a->pos[1], "at", at);
	if (obj && detail)
		json_object_set_new(obj, "detail", json_string(detail));
	body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = cairn_crisis_intervention(ctx->j, id, body);
	out_wipe_free(body);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "type", a->pos[1]), id,
	                   "Recorded %s for crisis %s.", a->pos[1], id);
}

/* The item ids of an instrument, from the library's own definition (schema data). */
static int run_screen(struct cli_ctx *ctx, const struct cli_args *a)
{
	static const struct {
		const char *id;
		const char *const items[8];
	} known[] = {
	        {"cssrs-screen-1",
	         {"wish_dead", "thoughts", "method", "intent", "plan", "behavior_3mo", "behavior_ever", NULL}},
	        {"danger-others-1", {"anger", "threat", "weapon", "violence", NULL}},
	};
	const char *inst = args_get(a, "instrument") ? args_get(a, "instrument") : "cssrs-screen-1";
	char id[CAIRN_ID_LEN], *body;
	json_t *answers;
	size_t k;
	int rc, i;

	if (check_id(a->pos[0], "crisis id"))
		return CLI_EXIT_USAGE;
	for (k = 0; k < sizeof(known) / sizeof(known[0]) && strcmp(known[k].id, inst); k++)
		;
	if (k == sizeof(known) / sizeof(known[0]))
		return cli_usage("unknown instrument '%s' (expected cssrs-screen-1 or danger-others-1)", inst);
	for (i = 0; args_nth(a, "yes", i); i++)
		if (check_enum(args_nth(a, "yes", i), "--yes", known[k].items))
			return CLI_EXIT_USAGE;
	if ((rc = crisis_resolve(ctx, a->pos[0], id)))
		return rc;
	answers = json_object();
	for (i = 0; known[k].items[i]; i++)
		json_object_set_new(answers, known[k].items[i], json_false());
	for (i = 0; args_nth(a, "yes", i); i++)
		json_object_set_new(answers, args_nth(a, "yes", i), json_true());
	body = json_dumps(answers, JSON_COMPACT);
	json_decref(answers);
	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = cairn_crisis_screen(ctx->j, id, inst, body);
	free(body);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "instrument", inst), id,
	                   "Recorded a %s screen for crisis %s.", inst, id);
}

static int run_link(struct cli_ctx *ctx, const struct cli_args *a)
{
	char x[CAIRN_ID_LEN], y[CAIRN_ID_LEN];
	int rc;

	if (check_id(a->pos[0], "crisis id") || check_id(a->pos[1], "crisis id"))
		return CLI_EXIT_USAGE;
	if ((rc = crisis_resolve(ctx, a->pos[0], x)) || (rc = crisis_resolve(ctx, a->pos[1], y)))
		return rc;
	if ((rc = cairn_crisis_link(ctx->j, x, y)))
		return cli_lib_fail(rc);
	if ((rc = cairn_crisis_resolve(ctx->j, x, x)))
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{s:s}", "id", x), x, "Linked: one crisis %s.", x);
}

static int run_link_person(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN], contact[CAIRN_ID_LEN];
	int rc;

	if (check_id(a->pos[0], "crisis id") || check_id(a->pos[1], "contact id"))
		return CLI_EXIT_USAGE;
	if ((rc = crisis_resolve(ctx, a->pos[0], id)) || (rc = session_resolve(ctx, "contact", a->pos[1], contact)) ||
	    (rc = store_set(ctx, id, json_pack("{s:s}", "contact", contact))))
		return rc;
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "contact", contact), id,
	                   "Crisis %s is about contact %s.", id, contact);
}

static int run_handoff(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *to = args_get(a, "to");
	char id[CAIRN_ID_LEN];
	int rc;

	if (check_id(a->pos[0], "crisis id") || check_line(to, "--to", 200))
		return CLI_EXIT_USAGE;
	if ((rc = crisis_resolve(ctx, a->pos[0], id)) ||
	    (rc = store_set(ctx, id, json_pack("{s:s}", "followup_to", to))))
		return rc;
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "to", to), id,
	                   "The follow-up of crisis %s is now with %s.", id, to);
}

static int run_followup(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *result = args_get(a, "result") ? args_get(a, "result") : "reached";
	char id[CAIRN_ID_LEN], at[21];
	int rc;

	if (check_id(a->pos[0], "crisis id") || check_enum(result, "--result", results))
		return CLI_EXIT_USAGE;
	if ((rc = parse_time(args_get(a, "at"), "--at", at)) || (rc = crisis_resolve(ctx, a->pos[0], id)) ||
	    (rc = store_set(ctx, id, json_pack("{s:s,s:s}", "followup_done", at, "followup_result", result))))
		return rc;
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "followup_done", at), id,
	                   "Follow-up of crisis %s done (%s).", id, result);
}

static int render_list(void *ud, const json_t *doc)
{
	struct cli_ctx *ctx = ud;
	static const char *const head[] = {"ID",          "RECEIVED",  "SOURCE", "CONTACT",
	                                   "DISPOSITION", "FOLLOW-UP", "REVIEW", NULL};
	const json_t *r;
	struct table t;
	size_t i;

	(void)ctx;
	if (!json_array_size(doc)) {
		if (ctx->opt->out_tty && !ctx->opt->quiet)
			printf("No crises.\n");
		return 0;
	}
	table_init(&t, head);
	table_fixed(&t, 0);
	json_array_foreach(doc, i, r)
	{
		char sid[CAIRN_ID_LEN], rec[20], due[20], fu[32], review[16];
		const json_t *rv = json_object_get(r, "review");

		snprintf(sid, sizeof(sid), "%.13s", js_str(r, "id") ? js_str(r, "id") : "");
		if (js_str(r, "followup_done"))
			snprintf(fu, sizeof(fu), "done");
		else
			snprintf(fu, sizeof(fu), "due %s", local_time(js_str(r, "followup_due"), due));
		snprintf(review, sizeof(review), "%s", json_array_size(rv) ? "yes" : "");
		if (table_add(&t,
		              (const char *const[]){sid, local_time(js_str(r, "received"), rec), js_str(r, "source"),
		                                    js_str(r, "contact_name"), js_str(r, "disposition"), fu, review})) {
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
	const char *from = args_get(a, "from"), *to = args_get(a, "to");
	char *text = NULL;
	int rc;

	if ((from && check_date(from, "--from")) || (to && check_date(to, "--to")))
		return CLI_EXIT_USAGE;
	if (from && to && strcmp(from, to) > 0) /* as report and export gpra say: not an empty list */
		return cli_usage("--from %s is after --to %s", from, to);
	if ((rc = session_open(ctx)))
		return rc;
	rc = cairn_crisis_list(ctx->j, from, to, args_count(a, "open") > 0, &text);
	return out_query(ctx->opt, rc, text, render_list, ctx);
}

static void show_field(const json_t *doc, const char *field, const char *label, int is_time)
{
	const json_t *e, *rv = json_object_get(doc, "review"), *x;
	char buf[20];
	size_t i, n = 0;
	int review = 0;

	json_array_foreach(rv, i, x) review |= json_is_string(x) && !strcmp(json_string_value(x), field);
	printf("  %-16s", label);
	out_safe(stdout,
	         is_time ? local_time(js_str(doc, field), buf) : (js_str(doc, field) ? js_str(doc, field) : "-"), 1);
	printf("%s\n", review ? "   ** members disagree: review **" : "");
	json_array_foreach(json_object_get(doc, "entries"), i, e)
	{
		if (strcmp(js_str(e, "field") ? js_str(e, "field") : "", field))
			continue;
		n++;
		if (!review && json_array_size(json_object_get(doc, "records")) < 2 && n == 1)
			continue; /* shown above; the per-member list matters when there is more than one */
		printf("  %-16s  %s %s by %s%s\n", "",
		       is_time ? local_time(js_str(e, "value"), buf)
		               : (js_str(e, "value") ? js_str(e, "value") : "(cleared)"),
		       "", js_str(e, "device") ? js_str(e, "device") : "?",
		       js_true(e, "current") ? "" : " (superseded)");
	}
}

static int render_show(void *ud, const json_t *doc)
{
	static const struct {
		const char *field, *label;
		int time;
	} rows[] = {
	        {"source", "source", 0},
	        {"location", "location", 0},
	        {"received", "received", 1},
	        {"dispatched", "dispatched", 1},
	        {"arrived", "arrived", 1},
	        {"cleared", "cleared", 1},
	        {"disposition", "disposition", 0},
	        {"police", "law enforcement", 0},
	        {"followup_to", "follow-up by", 0},
	        {"followup_done", "follow-up done", 1},
	};
	const json_t *x;
	char buf[20];
	size_t i;

	(void)ud;
	printf("Crisis %s\n  %-16s", js_str(doc, "id"), "person");
	out_safe(stdout, js_str(doc, "contact_name") ? js_str(doc, "contact_name") : "-", 1);
	printf("  [%s]\n", js_str(doc, "contact") ? js_str(doc, "contact") : "-");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		show_field(doc, rows[i].field, rows[i].label, rows[i].time);
	if (!js_str(doc, "followup_done"))
		printf("  %-16s%s\n", "follow-up due", local_time(js_str(doc, "followup_due"), buf));
	printf("\nTeam\n");
	json_array_foreach(json_object_get(doc, "members"), i, x)
	        printf("  %s  %s%s\n", js_str(x, "device"), js_str(x, "role") ? js_str(x, "role") : "member",
	               js_true(x, "by_prefix") ? " (joined by id prefix)" : "");
	if (json_array_size(json_object_get(doc, "interventions")))
		printf("\nInterventions\n");
	json_array_foreach(json_object_get(doc, "interventions"), i, x)
	{
		printf("  %s  %s by %s", local_time(js_str(x, "at"), buf), js_str(x, "type"), js_str(x, "device"));
		if (js_str(x, "detail")) {
			fputs(": ", stdout);
			out_safe(stdout, js_str(x, "detail"), 1);
		}
		putchar('\n');
	}
	if (json_array_size(json_object_get(doc, "screens")))
		printf("\nRisk screens\n");
	json_array_foreach(json_object_get(doc, "screens"), i, x)
	        printf("  %s: %s (by %s)\n", js_str(x, "instrument"), js_str(x, "level"), js_str(x, "device"));
	if (json_array_size(json_object_get(doc, "records")) > 1) {
		printf("\nLinked records\n");
		json_array_foreach(json_object_get(doc, "records"), i, x) printf("  %s\n", json_string_value(x));
	}
	return 0;
}

static int run_show(struct cli_ctx *ctx, const struct cli_args *a)
{
	char id[CAIRN_ID_LEN], *text = NULL;
	int rc = crisis_resolve(ctx, a->pos[0], id);

	if (rc)
		return rc;
	/* The card names the person, their screens and disposition: audited for the person the record names
	 * (42 CFR Part 2); without the entry nothing is shown. */
	if ((rc = cairn_audit_record(ctx->j, id, "crisis show")))
		return cli_lib_fail(rc);
	rc = cairn_crisis_show(ctx->j, id, &text);
	return out_query(ctx->opt, rc, text, render_show, ctx);
}

const struct cli_sub cmd_crisis_subs[] = {
        {"open", "", 0, 0, "Open a crisis record (or join a teammate's); prints its id.",
         "Without --contact a new unnamed contact ('unknown (crisis DATE TIME)') is created: link the\n"
         "person later with 'cairn crisis link-person' or merge contacts with 'cairn contact merge'.\n"
         "--join with an id this device does not hold yet opens a record of its own that is joined to the\n"
         "teammate's as soon as both are on one device (after a sync).\n"
         "\n"
         "Examples:\n"
         "  cairn crisis open --source 988 --location home --received \"2026-11-02 22:15\" --role peer\n"
         "  cairn crisis open --source walk-in --location shelter --contact CONTACT --role lead\n"
         "  cairn crisis open --join CRISIS --role clinician\n",
         open_opts, run_open},
        {"stamp", "ID STAMP", 2, 2, "Stamp received, dispatched, arrived or cleared (default: now).",
         "Every member's stamp is kept. The crisis shows the earliest; stamps more than 2 minutes apart\n"
         "are flagged for review. A stamp made after seeing the others replaces them (a decision).\n"
         "\n"
         "Examples:\n"
         "  cairn crisis stamp CRISIS dispatched --at \"2026-11-02 22:18\"\n"
         "  cairn crisis stamp CRISIS arrived --at \"2026-11-02 22:41\"\n"
         "  cairn crisis stamp CRISIS cleared\n",
         stamp_opts, run_stamp},
        {"set", "ID", 1, 1, "Record the disposition, law-enforcement role, source or location.",
         "Members who record different values are all kept and the field is flagged for review; recording\n"
         "it again after a sync settles it.\n"
         "\n"
         "Examples:\n"
         "  cairn crisis set CRISIS --disposition stabilised-in-place --police none\n",
         set_opts, run_set},
        {"intervention", "ID TYPE", 2, 2, "Record an intervention.",
         "TYPE: de-escalation, safety-planning, counselling, peer-support, medication, means-restriction,\n"
         "resource-linkage, family-support, medical-check, other.\n"
         "\n"
         "Examples:\n"
         "  cairn crisis intervention CRISIS de-escalation --detail \"moved to a quiet room\"\n"
         "  cairn crisis intervention CRISIS safety-planning --at \"2026-11-02 23:05\"\n",
         intervention_opts, run_intervention},
        {"screen", "ID", 1, 1, "Record a risk screen; its level is scored from the instrument's definition.",
         "cssrs-screen-1 items: wish_dead, thoughts, method, intent, plan, behavior_3mo, behavior_ever.\n"
         "danger-others-1 items: anger, threat, weapon, violence.\n"
         "\n"
         "Examples:\n"
         "  cairn crisis screen CRISIS --yes wish_dead --yes thoughts\n"
         "  cairn crisis screen CRISIS --instrument danger-others-1 --yes anger\n",
         screen_opts, run_screen},
        {"link", "ID OTHER", 2, 2, "Two records are the same call (opened separately); the smallest id survives.",
         "Examples:\n"
         "  cairn crisis link CRISIS OTHER\n",
         cli_no_opts, run_link},
        {"link-person", "ID CONTACT", 2, 2, "Say who the person was (replaces the unnamed contact).",
         "Examples:\n"
         "  cairn crisis link-person CRISIS CONTACT\n",
         cli_no_opts, run_link_person},
        {"handoff", "ID", 1, 1, "Move the follow-up to another worker or team.",
         "Examples:\n"
         "  cairn crisis handoff CRISIS --to \"Mobile Team B\"\n",
         handoff_opts, run_handoff},
        {"followup", "ID", 1, 1, "Record that the follow-up was done.",
         "Examples:\n"
         "  cairn crisis followup CRISIS --result reached\n"
         "  cairn crisis followup CRISIS --result unreachable --at \"2026-11-03 10:30\"\n",
         followup_opts, run_followup},
        {"list", "", 0, 0, "List crises, newest first.",
         "Examples:\n"
         "  cairn crisis list --open\n"
         "  cairn crisis list --from 2026-11-01 --to 2026-11-30\n",
         list_opts, run_list},
        {"show", "ID", 1, 1, "Show a crisis with every member's entries and who wrote each.",
         "The view is recorded in the audit trail of the person the crisis names ('cairn audit PERSON').\n"
         "\n"
         "Examples:\n"
         "  cairn crisis show CRISIS\n",
         cli_no_opts, run_show},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
