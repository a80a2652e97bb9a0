/*
 * args.c — option parsing shared by every command.
 *
 * Why not getopt_long: its permutation rules differ between libcs, it cannot tell a command's options
 * from the global ones, and its messages do not name the command. This parser is small and strict:
 *  1. An option that takes a value always consumes the next argument (so `--text --json` records the
 *     text "--json", as getopt would), or the part after '=' ("--dob=1990-01-02").
 *  2. Unknown options, missing values, values given to flags and repeated single-valued options are
 *     usage errors that name the option: a typo must never be recorded silently into someone's file.
 *  3. "--" ends the options; "-" is a positional (standard input).
 */
#include "args.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "output.h"

static const struct cli_opt global_opts[] = {
        {"dir", 0, "DIR", "journal directory (default: $CAIRN_DIR, $XDG_DATA_HOME/cairn, ~/.local/share/cairn)", 0},
        {"passphrase-file", 0, "FILE", "read the passphrase from the first line of FILE (keep it mode 600)", 0},
        {"passphrase-fd", 0, "N", "read the passphrase from the first line of open file descriptor N", 0},
        {"json", 0, NULL, "print exactly one JSON document on stdout (full ids, for scripts)", 0},
        {"quiet", 'q', NULL, "no friendly messages: print only ids and data", 0},
        {"help", 'h', NULL, "show help (also: cairn help COMMAND)", 0},
        {"version", 0, NULL, "print the version and exit", 0},
        CLI_OPT_END,
};

const struct cli_opt *args_global_opts(void) { return global_opts; }

static const struct cli_opt *find_long(const struct cli_opt *opts, const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && memcmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, char c)
{
	for (; opts && opts->name; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

/* How an option is spelled in messages: the form the user typed. */
static void opt_label(char *buf, size_t n, const struct cli_opt *o, int as_short)
{
	if (as_short)
		snprintf(buf, n, "-%c", o->short_name);
	else
		snprintf(buf, n, "--%s", o->name);
}

static int set_once(const char **slot, const char *val, const char *label)
{
	if (*slot)
		return cli_usage("option %s given more than once", label);
	*slot = val;
	return 0;
}

/* Store a global option in `g`. */
static int apply_global(struct cli_opts *g, const struct cli_opt *o, const char *val, const char *label)
{
	unsigned long long fd;

	if (!strcmp(o->name, "dir"))
		return check_nonempty(val, label) ? CLI_EXIT_USAGE : set_once(&g->dir, val, label);
	if (!strcmp(o->name, "passphrase-file")) {
		if (g->pass_fd >= 0)
			return cli_usage("use only one of --passphrase-file and --passphrase-fd");
		return check_nonempty(val, label) ? CLI_EXIT_USAGE : set_once(&g->pass_file, val, label);
	}
	if (!strcmp(o->name, "passphrase-fd")) {
		if (g->pass_file)
			return cli_usage("use only one of --passphrase-file and --passphrase-fd");
		if (g->pass_fd >= 0)
			return cli_usage("option %s given more than once", label);
		if (check_uint(val, label, 0, 1024 * 1024, &fd))
			return CLI_EXIT_USAGE;
		g->pass_fd = (int)fd;
		return 0;
	}
	if (!strcmp(o->name, "json"))
		g->json = 1;
	else if (!strcmp(o->name, "quiet"))
		g->quiet = 1;
	else if (!strcmp(o->name, "help"))
		g->help = 1;
	else if (!strcmp(o->name, "version"))
		g->version = 1;
	return 0;
}

/*
 * Recognise the option argv[*i] (it starts with '-') among `opts` and the global ones. Returns 0 and
 * fills *o, *val and the label to use in messages (advancing *i past a separate value), or an exit code
 * with the message printed. `cmd` names the command in messages (NULL before the command name).
 */
static int match_option(const char *cmd, const struct cli_opt *opts, int argc, char **argv, int *i,
                        const struct cli_opt **o, const char **val, char *label, size_t labeln)
{
	const char *s = argv[*i];
	const char *eq = NULL;
	const char *name;
	size_t len;
	int as_short = s[1] != '-';

	*o = NULL;
	*val = NULL;
	if (as_short) {
		name = s + 1;
		len = 1;
		*o = find_short(opts, *name);
		if (!*o)
			*o = find_short(global_opts, *name);
		if (*o && s[2])
			eq = s + 1; /* "-n5": the value follows the letter */
	} else {
		name = s + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		*o = find_long(opts, name, len);
		if (!*o)
			*o = find_long(global_opts, name, len);
	}
	if (!*o) {
		/* Name what was typed: all of "-json", but "--dob" without its "=value". */
		int shown = as_short ? (int)strlen(s) : (int)len + 2;

		if (cmd)
			return cli_usage("unknown option '%.*s' for '%s'. See '%s --help'.", shown, s, cmd, cmd);
		return cli_usage("unknown option '%.*s'. See 'cairn --help'.", shown, s);
	}
	opt_label(label, labeln, *o, as_short);
	if (!(*o)->arg) {
		if (eq)
			return cli_usage("option %s takes no value", label);
		return 0;
	}
	if (eq) {
		*val = eq + 1;
		return 0;
	}
	if (*i + 1 >= argc)
		return cli_usage("missing value for %s (expected %s)", label, (*o)->arg);
	*val = argv[++*i];
	return 0;
}

static int is_global(const struct cli_opt *o)
{
	return o >= global_opts && o < global_opts + sizeof(global_opts) / sizeof(global_opts[0]);
}

int args_parse_global(struct cli_opts *g, int argc, char **argv, int *next)
{
	int i;

	for (i = 0; i < argc; i++) {
		const struct cli_opt *o;
		const char *val;
		char label[64];
		int rc;

		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || !argv[i][1])
			break;
		rc = match_option(NULL, NULL, argc, argv, &i, &o, &val, label, sizeof(label));
		if (rc)
			return rc;
		rc = apply_global(g, o, val, label);
		if (rc)
			return rc;
	}
	*next = i;
	return 0;
}

static int add_hit(struct cli_args *a, const struct cli_opt *o, const char *val, const char *label)
{
	if (!(o->flags & CLI_OPT_MULTI) && args_count(a, o->name) > 0)
		return cli_usage("option %s given more than once", label);
	a->hits[a->nhits].opt = o;
	a->hits[a->nhits].val = val;
	a->nhits++;
	return 0;
}

int args_parse(struct cli_args *a, const char *cmd, const struct cli_opt *opts, int argc, char **argv,
               struct cli_opts *g)
{
	int i, only_pos = 0;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	/* At most one entry per argument: sizing both arrays by argc needs no growth logic. */
	a->pos = calloc((size_t)argc + 1, sizeof(*a->pos));
	a->hits = calloc((size_t)argc + 1, sizeof(*a->hits));
	if (!a->pos || !a->hits)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	for (i = 0; i < argc; i++) {
		const struct cli_opt *o;
		const char *val;
		char label[64];
		int rc;

		if (only_pos || argv[i][0] != '-' || !argv[i][1]) {
			a->pos[a->npos++] = argv[i];
			continue;
		}
		if (!strcmp(argv[i], "--")) {
			only_pos = 1;
			continue;
		}
		rc = match_option(cmd, opts, argc, argv, &i, &o, &val, label, sizeof(label));
		if (!rc)
			rc = is_global(o) ? apply_global(g, o, val, label) : add_hit(a, o, val, label);
		if (rc)
			return rc;
	}
	return 0;
}

void args_free(struct cli_args *a)
{
	free(a->pos);
	free(a->hits);
	a->pos = NULL;
	a->hits = NULL;
	a->npos = a->nhits = 0;
}

const char *args_nth(const struct cli_args *a, const char *name, int k)
{
	int i;

	for (i = 0; i < a->nhits; i++)
		if (!strcmp(a->hits[i].opt->name, name) && k-- == 0)
			return a->hits[i].val;
	return NULL;
}

int args_count(const struct cli_args *a, const char *name)
{
	int i, n = 0;

	for (i = 0; i < a->nhits; i++)
		n += !strcmp(a->hits[i].opt->name, name);
	return n;
}

const char *args_get(const struct cli_args *a, const char *name)
{
	const char *v = NULL;
	int i;

	for (i = 0; i < a->nhits; i++)
		if (!strcmp(a->hits[i].opt->name, name))
			v = a->hits[i].val;
	return v;
}

static int opt_width(const struct cli_opt *o)
{
	int w = (int)strlen(o->name) + 2;

	if (o->short_name)
		w += 4; /* "-x, " */
	if (o->arg)
		w += 1 + (int)strlen(o->arg);
	return w;
}

/* `text` then `tail`, from column `col`, broken between words before column HELP_WIDTH; later lines
 * start at `col` too. A word longer than a line stays whole. */
#define HELP_WIDTH 100
static void print_wrapped(FILE *f, const char *text, const char *tail, int col)
{
	char buf[1024];
	int at = col;

	snprintf(buf, sizeof(buf), "%s%s", text, tail);
	for (char *w = buf, *end; *w; w = end) {
		int len;
		while (*w == ' ')
			w++;
		end = w + strcspn(w, " ");
		len = (int)(end - w);
		if (!len)
			break;
		if (at > col && at + 1 + len > HELP_WIDTH) {
			fprintf(f, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', f);
			at++;
		}
		fwrite(w, 1, (size_t)len, f);
		at += len;
	}
	fputc('\n', f);
}

void args_print_opt_list(FILE *f, const struct cli_opt *opts)
{
	const struct cli_opt *o;
	int w = 0;

	for (o = opts; o->name; o++)
		if (opt_width(o) > w)
			w = opt_width(o);
	for (o = opts; o->name; o++) {
		int n = 0;

		fputs("  ", f);
		if (o->short_name)
			n += fprintf(f, "-%c, ", o->short_name);
		n += fprintf(f, "--%s", o->name);
		if (o->arg)
			n += fprintf(f, " %s", o->arg);
		fprintf(f, "%*s  ", w - n, "");
		print_wrapped(f, o->help, (o->flags & CLI_OPT_MULTI) ? " (repeatable)" : "", w + 4);
	}
}

void args_print_synopsis_opts(FILE *f, const struct cli_opt *opts, int col, int indent)
{
	const struct cli_opt *o;

	for (o = opts; o->name; o++) {
		int req = (o->flags & CLI_OPT_REQUIRED) != 0;
		char tok[96];
		int n;

		if (o->short_name)
			n = snprintf(tok, sizeof(tok), "%s-%c%s%s%s", req ? "" : "[", o->short_name, o->arg ? " " : "",
			             o->arg ? o->arg : "", req ? "" : "]");
		else
			n = snprintf(tok, sizeof(tok), "%s--%s%s%s%s", req ? "" : "[", o->name, o->arg ? " " : "",
			             o->arg ? o->arg : "", req ? "" : "]");
		if (col + 1 + n > HELP_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else {
			fputc(' ', f);
			col++;
		}
		fputs(tok, f);
		col += n;
	}
}
