/*
 * cli.h — the command table shared by main.c and the cmd_*.c files (git's builtin pattern).
 *
 * A command is a family of subcommands ("contact add", "contact list") or a single action ("digest",
 * written as one subcommand without a name). main() finds the entry, parses its options from the
 * entry's table, answers --help from the same table, and only then calls `run`. So every option a
 * command accepts appears in its help, and no command parses argv by hand.
 *
 * Adding a command: define its `struct cli_sub` table (ended by an entry with run == NULL) in a
 * cmd_<noun>.c, declare it below and add a row to `commands` in main.c. A `run` function validates its
 * arguments first, then calls session_open() (which asks for the passphrase), and returns an exit code
 * (output.h) after printing any message itself.
 */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include "args.h"
#include "cairn.h"
#include "session.h"

typedef int (*cli_run_fn)(struct cli_ctx *ctx, const struct cli_args *a);

/* The help paragraph of a `list [--contact ID]` whose records are content (42 CFR Part 2): WHAT is the
 * audit entry's name, "referral list". */
#define CLI_LIST_AUDITED(what)                                                                        \
	"Reading is audited ('cairn audit PERSON'): with --contact that person gets a '" what "'\n"   \
	"entry; without it, every person the list shows gets one, before anything is shown. If the\n" \
	"entries cannot be written, nothing is shown (exit 10). Nothing listed, no entry.\n"

struct cli_sub {
	const char *name;       /* "add"; NULL for a command without subcommands */
	const char *args;       /* positional synopsis ("CONTACT"), "" when none */
	int min_args, max_args; /* positional count; max_args -1: no limit */
	const char *summary;    /* one line, for lists */
	const char *details;    /* further help text (may be NULL), printed after the options */
	const struct cli_opt *opts;
	cli_run_fn run; /* NULL ends a table */
};

struct cli_command {
	const char *name;
	const char *summary;
	const struct cli_sub *subs;
};

/* The families, one per cmd_*.c file. */
extern const struct cli_sub cmd_init_subs[];
extern const struct cli_sub cmd_passwd_subs[];
extern const struct cli_sub cmd_contact_subs[];
extern const struct cli_sub cmd_note_subs[];
extern const struct cli_sub cmd_referral_subs[];
extern const struct cli_sub cmd_search_subs[];
extern const struct cli_sub cmd_log_subs[];
extern const struct cli_sub cmd_digest_subs[];
extern const struct cli_sub cmd_conflicts_subs[];
extern const struct cli_sub cmd_status_subs[];
extern const struct cli_sub cmd_report_subs[];
extern const struct cli_sub cmd_duplicates_subs[];
extern const struct cli_sub cmd_resolve_subs[];
extern const struct cli_sub cmd_due_subs[];
extern const struct cli_sub cmd_consent_subs[];
extern const struct cli_sub cmd_disclose_subs[];
extern const struct cli_sub cmd_disclosures_subs[];
extern const struct cli_sub cmd_audit_subs[];
extern const struct cli_sub cmd_worker_subs[];
extern const struct cli_sub cmd_goal_subs[];
extern const struct cli_sub cmd_plan_subs[];
extern const struct cli_sub cmd_assess_subs[];
extern const struct cli_sub cmd_resource_subs[];
extern const struct cli_sub cmd_group_subs[];
extern const struct cli_sub cmd_review_subs[];
extern const struct cli_sub cmd_signoff_subs[];
extern const struct cli_sub cmd_crisis_subs[];
extern const struct cli_sub cmd_gpra_subs[];
/* `cairn export gpra`: a sub-entry for the export family ({"gpra", "", 0, 0, ..., cmd_export_gpra_opts,
 * cmd_export_gpra}); also reachable as `cairn gpra export`. */
extern const struct cli_opt cmd_export_gpra_opts[];
int cmd_export_gpra(struct cli_ctx *ctx, const struct cli_args *a);
/* One value of a conflict as out_value_text() gives it; a side of a merge/delete conflict (field
 * "status") as "deleted ID", "restored ID" or "merged ID + ID", the ids abbreviated (cmd_query.c).
 * Malloc'd; release with out_wipe_free(). */
struct json_t;
char *cli_conflict_value(struct cli_ctx *ctx, const struct json_t *side);
extern const struct cli_sub cmd_report_subs[];
extern const struct cli_sub cmd_duplicates_subs[];
extern const struct cli_sub cmd_resolve_subs[];
extern const struct cli_sub cmd_export_subs[];
#ifdef CAIRN_HAVE_SYNC
extern const struct cli_sub cmd_team_subs[];
extern const struct cli_sub cmd_remote_subs[];
extern const struct cli_sub cmd_sync_subs[];
extern const struct cli_sub cmd_office_subs[];
extern const struct cli_sub cmd_hook_subs[];
extern const struct cli_sub cmd_serve_subs[];
#endif
#ifdef CAIRN_HAVE_AGENT
extern const struct cli_sub cmd_agent_subs[];
extern const struct cli_sub cmd_lock_subs[];
extern const struct cli_sub cmd_unlock_subs[];
#endif

/* Option table of a command that has none of its own. */
extern const struct cli_opt cli_no_opts[];

#endif
