/*
 * args.h — command-line option parsing for the `cairn` command.
 *
 * Each (sub)command declares its options in a static table of struct cli_opt; the same table drives the
 * parser and the --help text, so help can never forget an option. Global options (--dir, --json, ...)
 * are accepted before the command name and anywhere among the command's own options, and are stored in
 * struct cli_opts, the one piece of process-wide state the CLI has (owned by main()).
 */
#ifndef CAIRN_CLI_ARGS_H
#define CAIRN_CLI_ARGS_H

#include <stdio.h>

/* The parsed global options. main() owns the only instance and passes it down by pointer. */
struct cli_opts {
	const char *dir;       /* --dir (NULL: $CAIRN_DIR, $XDG_DATA_HOME/cairn, ~/.local/share/cairn) */
	const char *pass_file; /* --passphrase-file */
	int pass_fd;           /* --passphrase-fd, -1 when not given */
	int json;              /* --json: exactly one JSON document on stdout */
	int quiet;             /* --quiet: no friendly chatter, ids only */
	int help;              /* -h/--help */
	int version;           /* --version */
	int out_tty;           /* stdout is a terminal: pretty JSON, truncated tables, friendly lines */
	int debug;             /* CAIRN_DEBUG=1: library debug messages on stderr */
};

#define CLI_OPT_MULTI 1u    /* may be given more than once (args_nth() walks the values) */
#define CLI_OPT_REQUIRED 2u /* must be given; shown outside brackets in the synopsis */

struct cli_opt {
	const char *name; /* long name without the dashes; NULL ends a table */
	char short_name;  /* one-letter alias, 0 when none */
	const char *arg;  /* placeholder for the value in help ("DATE"); NULL for a flag */
	const char *help; /* one line */
	unsigned flags;   /* CLI_OPT_* */
};
#define CLI_OPT_END                    \
	{                              \
		NULL, 0, NULL, NULL, 0 \
	}

/* One occurrence of an option on the command line. */
struct cli_hit {
	const struct cli_opt *opt;
	const char *val; /* NULL for a flag */
};

struct cli_args {
	const char *cmd;  /* "cairn contact add", for messages */
	const char **pos; /* positional arguments, borrowed from argv */
	int npos;
	struct cli_hit *hits; /* options in command-line order */
	int nhits;
};

/*
 * Parse the global options at the start of argv (argv[0] is the first argument to look at, not the
 * program name). *next receives the index of the first argument that is not one (a command name, or
 * argc). Returns 0 or an exit code (message printed).
 */
int args_parse_global(struct cli_opts *g, int argc, char **argv, int *next);

/*
 * Parse a command's arguments (argv[0] is the first argument after the command name). Options from
 * `opts` go to `a`, global options to `g`. Positional arguments are kept in order; "--" ends options and
 * "-" is a positional. Returns 0 or an exit code (message printed). Free `a` with args_free() either way.
 */
int args_parse(struct cli_args *a, const char *cmd, const struct cli_opt *opts, int argc, char **argv,
               struct cli_opts *g);
void args_free(struct cli_args *a);

/* The value of the last occurrence of option `name`, or NULL (also NULL for flags). */
const char *args_get(const struct cli_args *a, const char *name);
/* How many times option `name` was given. */
int args_count(const struct cli_args *a, const char *name);
/* The value of the k-th (0-based) occurrence of option `name`, or NULL. */
const char *args_nth(const struct cli_args *a, const char *name, int k);

/* Help: "--name ARG" as shown in synopses, and the aligned option list. */
void args_print_opt_list(FILE *f, const struct cli_opt *opts);
/* The options of a synopsis line, wrapped before column 100; `col` is where the line is now and
 * continuation lines are indented to `indent`. */
void args_print_synopsis_opts(FILE *f, const struct cli_opt *opts, int col, int indent);
/* The table of global options, for `cairn --help`. */
const struct cli_opt *args_global_opts(void);

#endif
