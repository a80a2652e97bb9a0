/*
 * main.c — the `cairn` command: process setup, the command table, dispatch and help.
 *
 * Exit codes (documented in `cairn --help`; mapped from library errors by cli_exit_code() in output.c):
 *    0 success                          6 conflict or fork
 *    1 generic failure                  7 offline or rejected by a remote (sync)
 *    2 usage error (bad arguments)      8 journal written by a newer cairn
 *    3 wrong passphrase                 9 already exists
 *    4 not found (journal, key, record) 10 I/O error, disk full or journal busy
 *    5 corrupt or tampered data        11 disclosure refused: no consent
 *
 * Passphrases are read from the terminal, --passphrase-file or --passphrase-fd, never from argv or the
 * environment. Data goes to stdout, everything else to stderr (see output.h).
 */
#include <jansson.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "output.h"
#include "session.h"

const struct cli_opt cli_no_opts[] = {CLI_OPT_END};

static const struct cli_command commands[] = {
        {"init", "create a new encrypted journal", cmd_init_subs},
        {"passwd", "change the journal's passphrase", cmd_passwd_subs},
        {"contact", "add, change, list, show, merge, delete and restore people", cmd_contact_subs},
        {"note", "add, amend and strike notes about a person", cmd_note_subs},
        {"referral", "refer a person somewhere and track the referral's status", cmd_referral_subs},
        {"search", "search names and note text", cmd_search_subs},
        {"log", "show the event log, newest first", cmd_log_subs},
        {"digest", "print the state digest (equal journals have equal digests)", cmd_digest_subs},
        {"conflicts", "list concurrent edits waiting for review", cmd_conflicts_subs},
        {"status", "show journal statistics (alias: stats)", cmd_status_subs},
        {"stats", NULL, cmd_status_subs}, /* alias: no summary keeps it out of the list */
        {"duplicates", "list people likely recorded twice, with scores and reasons", cmd_duplicates_subs},
        {"resolve", "decide a conflict: keep one value or set another", cmd_resolve_subs},
        {"export", "export records: a FHIR R4 Bundle (a disclosure) or the GPRA grant CSV", cmd_export_subs},
        {"report", "program report for a period: table, CSV, JSON or offline HTML", cmd_report_subs},
        {"due", "list what is due per person: follow-ups, referral updates, expiring consents", cmd_due_subs},
        {"consent", "record, revoke and list consents to disclose (42 CFR Part 2)", cmd_consent_subs},
        {"disclose", "export a person's record to a recipient, under their consent", cmd_disclose_subs},
        {"disclosures", "list the disclosures of a person's record (accounting)", cmd_disclosures_subs},
        {"audit", "show who viewed or exported a person's record", cmd_audit_subs},
        {"worker", "show or set the name of the worker using this device", cmd_worker_subs},
        {"goal", "add recovery goals and track their status", cmd_goal_subs},
        {"plan", "relapse-prevention and safety plans: versioned, printable", cmd_plan_subs},
        {"assess", "record assessments (BARC-10, ...) and see each person's trend", cmd_assess_subs},
        {"resource", "the resource directory: publish, search offline, show", cmd_resource_subs},
        {"group", "record peer-led support group sessions and attendance", cmd_group_subs},
        {"review", "list notes awaiting a supervisor's sign-off", cmd_review_subs},
        {"signoff", "sign off another worker's note as supervisor", cmd_signoff_subs},
        {"crisis", "mobile crisis events: open, stamp, record, link, hand off, follow up", cmd_crisis_subs},
        {"gpra", "GPRA grant interviews (intake, 6-month follow-up, discharge) and their export", cmd_gpra_subs},
#ifdef CAIRN_HAVE_SYNC
        {"team", "create or join a team (its shared key travels in a sealed join file)", cmd_team_subs},
        {"remote", "add, list and remove places to sync with (central repo, USB stick, peer)", cmd_remote_subs},
        {"sync", "exchange encrypted logs with remotes; 'sync status' shows each log", cmd_sync_subs},
        {"office", "run the central office: org key, enrollment, revocation, wipe orders", cmd_office_subs},
        {"hook", "checks git runs on every push to a central repository or hub", cmd_hook_subs},
        {"serve", "serve this device's logs to teammates in the field (git daemon)", cmd_serve_subs},
#endif
#ifdef CAIRN_HAVE_AGENT
        {"agent", "run the sync agent (syncs whenever it can; holds the session); 'agent status'", cmd_agent_subs},
        {"lock", "lock the running agent (wipe its key)", cmd_lock_subs},
        {"unlock", "unlock the running agent with the passphrase", cmd_unlock_subs},
#endif
        {NULL, NULL, NULL},
};

static const struct cli_command *find_command(const char *name)
{
	const struct cli_command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int has_subs(const struct cli_command *c) { return c->subs[0].name != NULL; }

static const struct cli_sub *find_sub(const struct cli_command *c, const char *name)
{
	const struct cli_sub *s;

	for (s = c->subs; s->run; s++)
		if (s->name && !strcmp(s->name, name))
			return s;
	return NULL;
}

/* ---- help ---------------------------------------------------------------------------------------- */

static void print_main_help(FILE *f)
{
	const struct cli_command *c;

	fputs("usage: cairn [--dir DIR] [--passphrase-file FILE | --passphrase-fd N] [--json] [--quiet]\n"
	      "             COMMAND [ARGS]\n\n"
	      "cairn keeps an encrypted, offline record of the people you support: contacts, notes,\n"
	      "referrals, goals, plans, consents, assessments and crisis events. Nothing is ever deleted:\n"
	      "corrections and deletions are new entries in the log. Exit codes, the same for every command,\n"
	      "are listed under 'Exit codes' near the end of this help.\n\n"
	      "Commands:\n",
	      f);
	for (c = commands; c->name; c++)
		if (c->summary)
			fprintf(f, "  %-13s%s\n", c->name, c->summary);
	fputs("  help         show help for a command (cairn help COMMAND [SUBCOMMAND])\n\n"
	      "Global options (before or after the command):\n",
	      f);
	args_print_opt_list(f, args_global_opts());
	fputs("\nPassphrases are read from the terminal with echo off, or from --passphrase-file /\n"
	      "--passphrase-fd (first line, trailing newline removed; for 'cairn passwd' line 2 is the new\n"
	      "passphrase). They are never accepted as an argument or from the environment. Without a\n"
	      "terminal or one of those options, cairn stops.\n\n"
	      "Ids: give a full id or a unique prefix of at least 4 characters. Tables show the shortest\n"
	      "unique prefix (8 characters or more), --json full ids. Write commands print the new or\n"
	      "changed id alone on stdout when it is not a terminal, so\n"
	      "id=$(cairn contact add NAME --passphrase-file F) works.\n\n"
	      "Examples (a first day: create the journal, add a person, write a note, sync):\n"
	      "  cairn init --worker \"Sam Rivera\"\n"
	      "  id=$(cairn contact add \"Ana Diaz\" --phone 555-0142)\n"
	      "  cairn note add \"$id\" --kind outreach --minutes 20 --text-file visit.txt\n"
	      "  cairn sync                  # with every remote ('cairn help remote')\n\n",
	      f);
	cli_print_exit_codes(f);
	fputs("\nEnvironment: CAIRN_DIR (journal directory), CAIRN_DEBUG=1 (library debug messages).\n"
	      "See 'cairn help COMMAND' for the options and examples of each command.\n",
	      f);
}

/* "usage: cairn note add CONTACT [-] [--text TEXT] ...", wrapped. */
static void print_usage_line(FILE *f, const struct cli_command *c, const struct cli_sub *s)
{
	int col = fprintf(f, "usage: cairn %s", c->name), indent;

	if (s->name)
		col += fprintf(f, " %s", s->name);
	indent = col + 1;
	if (s->args && *s->args)
		col += fprintf(f, " %s", s->args);
	args_print_synopsis_opts(f, s->opts, col, indent);
	fputc('\n', f);
}

static void print_sub_body(FILE *f, const struct cli_sub *s)
{
	fprintf(f, "\n%s\n", s->summary);
	if (s->opts[0].name) {
		fputs("\nOptions:\n", f);
		args_print_opt_list(f, s->opts);
	}
	if (s->details)
		fprintf(f, "\n%s", s->details);
}

static void print_globals_hint(FILE *f)
{
	fputs("\nGlobal options --dir, --passphrase-file, --passphrase-fd, --json and --quiet work with every\n"
	      "command; see 'cairn --help' (also for exit codes).\n",
	      f);
}

static void print_sub_help(FILE *f, const struct cli_command *c, const struct cli_sub *s)
{
	print_usage_line(f, c, s);
	print_sub_body(f, s);
	print_globals_hint(f);
}

/* A family's help is complete: every subcommand with every option, so one page answers everything. */
static void print_family_help(FILE *f, const struct cli_command *c)
{
	const struct cli_sub *s;

	int width = 7;
	fprintf(f, "usage: cairn %s COMMAND [ARGS]\n\n%s.\n\nCommands:\n", c->name, c->summary);
	for (s = c->subs; s->run; s++)
		if ((int)strlen(s->name) > width)
			width = (int)strlen(s->name);
	for (s = c->subs; s->run; s++)
		fprintf(f, "  %-*s  %s\n", width, s->name, s->summary);
	for (s = c->subs; s->run; s++) {
		fputs("\n----\n", f);
		print_usage_line(f, c, s);
		print_sub_body(f, s);
	}
	print_globals_hint(f);
}

static int print_version(const struct cli_opts *o)
{
	if (o->json)
		return out_json(o, json_pack("{s:s}", "version", cairn_version()));
	printf("cairn %s\n", cairn_version());
	return 0;
}

/* `cairn help [COMMAND [SUBCOMMAND]]` */
static int run_help(int argc, char **argv)
{
	const struct cli_command *c;
	const struct cli_sub *s;

	if (argc == 0 || !strcmp(argv[0], "help") || !strcmp(argv[0], "--help")) { /* "cairn help help" */
		print_main_help(stdout);
		return 0;
	}
	c = find_command(argv[0]);
	if (!c)
		return cli_usage("'%s' is not a cairn command. See 'cairn --help'.", argv[0]);
	if (!has_subs(c)) {
		print_sub_help(stdout, c, &c->subs[0]);
		return 0;
	}
	if (argc == 1) {
		print_family_help(stdout, c);
		return 0;
	}
	s = find_sub(c, argv[1]);
	if (!s)
		return cli_usage("'%s' is not a cairn %s command. See 'cairn %s --help'.", argv[1], c->name, c->name);
	print_sub_help(stdout, c, s);
	return 0;
}

/* ---- dispatch ------------------------------------------------------------------------------------ */

/* The k-th word of a positional synopsis ("CONTACT [-]" -> "CONTACT"), for "missing X" messages. */
static void nth_word(char *out, size_t n, const char *words, int k)
{
	const char *p = words;

	while (k-- > 0 && (p = strchr(p, ' ')))
		p++;
	if (!p || !*p)
		p = "argument";
	snprintf(out, n, "%.*s", (int)strcspn(p, " "), p);
}

static int check_positionals(const struct cli_sub *s, const struct cli_args *a)
{
	char word[32];

	if (a->npos < s->min_args) {
		nth_word(word, sizeof(word), s->args, a->npos);
		return cli_usage("missing %s for '%s'. See '%s --help'.", word, a->cmd, a->cmd);
	}
	if (s->max_args >= 0 && a->npos > s->max_args)
		return cli_usage("unexpected argument '%s' for '%s'%s. See '%s --help'.", a->pos[s->max_args], a->cmd,
		                 s->max_args == 1 ? " (quote a value that contains spaces)" : "", a->cmd);
	return 0;
}

static int check_required(const struct cli_sub *s, const struct cli_args *a)
{
	const struct cli_opt *o;

	for (o = s->opts; o->name; o++)
		if ((o->flags & CLI_OPT_REQUIRED) && !args_count(a, o->name))
			return cli_usage("missing --%s %s for '%s'. See '%s --help'.", o->name, o->arg ? o->arg : "",
			                 a->cmd, a->cmd);
	return 0;
}

static int run_sub(struct cli_ctx *ctx, const struct cli_command *c, const struct cli_sub *s, int argc, char **argv)
{
	struct cli_args a;
	char name[64];
	int rc;

	snprintf(name, sizeof(name), "cairn %s%s%s", c->name, s->name ? " " : "", s->name ? s->name : "");
	rc = args_parse(&a, name, s->opts, argc, argv, ctx->opt);
	if (!rc && ctx->opt->version)
		rc = print_version(ctx->opt);
	else if (!rc && ctx->opt->help)
		print_sub_help(stdout, c, s);
	else if (!rc && !(rc = check_positionals(s, &a)) && !(rc = check_required(s, &a)))
		rc = s->run(ctx, &a);
	args_free(&a);
	return rc;
}

static int run_command(struct cli_ctx *ctx, const struct cli_command *c, int argc, char **argv)
{
	const struct cli_sub *s;
	int k = 0, rc;

	if (!has_subs(c))
		return run_sub(ctx, c, &c->subs[0], argc, argv);
	/* A format-like family takes its subcommand as an option too: `cairn export --fhir` = `export fhir`. */
	if (argc > 0 && !strncmp(argv[0], "--", 2) && argv[0][2] && find_sub(c, argv[0] + 2))
		argv[0] += 2;
	/* Global options may sit between the family and the subcommand: `cairn contact --json list`. */
	rc = args_parse_global(ctx->opt, argc, argv, &k);
	if (rc)
		return rc;
	if (ctx->opt->version)
		return print_version(ctx->opt);
	if (k == argc) {
		if (ctx->opt->help) {
			print_family_help(stdout, c);
			return 0;
		}
		return cli_usage("missing %s command. See 'cairn %s --help'.", c->name, c->name);
	}
	s = find_sub(c, argv[k]);
	if (!s)
		return cli_usage("'%s' is not a cairn %s command. See 'cairn %s --help'.", argv[k], c->name, c->name);
	return run_sub(ctx, c, s, argc - k - 1, argv + k + 1);
}

/* ---- process setup ------------------------------------------------------------------------------- */

/* Library diagnostics: warnings and errors always, the rest only when debugging. */
static void on_log(cairn_log_level level, const char *msg, void *ud)
{
	const struct cli_opts *o = ud;

	if (level <= CAIRN_LOG_WARN)
		cli_warn("%s", msg);
	else if (o->debug) {
		fputs("cairn: debug: ", stderr);
		out_safe(stderr, msg, 1);
		fputc('\n', stderr);
	}
}

/* jansson holds record data (names, notes) while we print it: wipe every block it frees. */
static void *wiping_malloc(size_t n) { return malloc(n); }

static void wiping_free(void *p)
{
	if (p)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

static void setup(struct cli_opts *o)
{
	const char *dbg = getenv("CAIRN_DEBUG");

	/* Record data and keys in memory must not end up in a core file, nor be readable via ptrace by
	 * other processes of the same user. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	umask(077);
	setlocale(LC_CTYPE, ""); /* for display widths only; numbers and JSON stay locale-independent */
	json_set_alloc_funcs(wiping_malloc, wiping_free);
	o->pass_fd = -1;
	o->out_tty = isatty(STDOUT_FILENO);
	o->debug = dbg && !strcmp(dbg, "1");
	cairn_log_set(on_log, o);
}

static int finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (rc == 0)
			rc = cli_fail(CLI_EXIT_IO, "cannot write the output");
	}
	return rc;
}

static int dispatch(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command *c;
	int k = 0, rc;

	rc = args_parse_global(ctx->opt, argc, argv, &k);
	if (rc)
		return rc;
	if (ctx->opt->version)
		return print_version(ctx->opt);
	if (k == argc) {
		if (ctx->opt->help) {
			print_main_help(stdout);
			return 0;
		}
		return cli_usage("no command given. See 'cairn --help'.");
	}
	if (!strcmp(argv[k], "help"))
		return run_help(argc - k - 1, argv + k + 1);
	c = find_command(argv[k]);
	if (!c)
		return cli_usage("'%s' is not a cairn command. See 'cairn --help'.", argv[k]);
	return run_command(ctx, c, argc - k - 1, argv + k + 1);
}

int main(int argc, char **argv)
{
	struct cli_opts opts;
	struct cli_ctx ctx;
	int rc;

	memset(&opts, 0, sizeof(opts));
	memset(&ctx, 0, sizeof(ctx));
	setup(&opts);
	ctx.opt = &opts;
	rc = dispatch(&ctx, argc - 1, argv + 1);
	session_close(&ctx);
	cairn_log_set(NULL, NULL);
	return finish(rc);
}
