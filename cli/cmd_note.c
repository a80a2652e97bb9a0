/*
 * cmd_note.c — `cairn note add|amend|strike`. Notes are immutable: a correction is an amendment and a
 * mistake is struck (entered in error); the original always stays in the record.
 *
 * Note text can be long and is the most sensitive thing cairn holds. --text puts it in argv, where `ps`
 * and shell history see it, so the help steers people to --text-file or standard input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "output.h"

#define NOTE_MAX (64 * 1024) /* bytes of note text; the library's limit too */

static const char *const note_kinds[] = {"encounter", "phone", "crisis", "group", "outreach", "other", NULL};

#define TEXT_OPTS                                                                                   \
	{"text", 0, "TEXT", "the text (seen by ps and shell history: prefer --text-file or -)", 0}, \
	{                                                                                           \
		"text-file", 0, "FILE", "read the text from FILE ('-': standard input)", 0          \
	}

static const struct cli_opt add_opts[] = {
        TEXT_OPTS,
        {"kind", 0, "KIND", "encounter (default), phone, crisis, group, outreach or other", 0},
        {"date", 0, "YYYY-MM-DD", "when it happened (default: today)", 0},
        {"modality", 0, "M", "how you met: in person, phone, text, video, ...", 0},
        {"minutes", 0, "N", "how long it took, in minutes (0-1440)", 0},
        CLI_OPT_END,
};
static const struct cli_opt amend_opts[] = {
        TEXT_OPTS,
        {"reason", 0, "R", "why the note is corrected", 0},
        CLI_OPT_END,
};
static const struct cli_opt strike_opts[] = {
        {"reason", 0, "R", "why the note was entered in error (required)", CLI_OPT_REQUIRED},
        CLI_OPT_END,
};

/* ---- the text ------------------------------------------------------------------------------------ */

/* Double `*buf` (holding `len` bytes), wiping the old copy: the text is a note about someone. */
static int grow(char **buf, size_t len, size_t *cap)
{
	char *nb = malloc(*cap * 2);

	if (!nb)
		return -1;
	memcpy(nb, *buf, len);
	explicit_bzero(*buf, len);
	free(*buf);
	*buf = nb;
	*cap *= 2;
	return 0;
}

/* Read all of `fd` (at most NOTE_MAX bytes) into a new NUL-terminated buffer. */
static int slurp(int fd, const char *name, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int rc = 0;

	if (!buf)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	for (;;) {
		ssize_t n;

		if (len > NOTE_MAX) {
			rc = cli_usage("the note in %s is too long (at most %d bytes)", name, NOTE_MAX);
			break;
		}
		if (len + 1 == cap && grow(&buf, len, &cap)) {
			rc = cli_fail(CLI_EXIT_FAIL, "out of memory");
			break;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = cli_fail(CLI_EXIT_IO, "cannot read %s: %s", name, strerror(errno));
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (!rc && strlen(buf) != len)
		rc = cli_usage("%s contains NUL bytes: not a text file", name);
	if (rc) {
		explicit_bzero(buf, len);
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

/* Is the passphrase coming from standard input too (--passphrase-fd 0, --passphrase-file /dev/stdin)? */
static int stdin_holds_passphrase(const struct cli_opts *o)
{
	struct stat a, b;

	if (o->pass_fd == 0)
		return 1;
	return o->pass_file && stat(o->pass_file, &a) == 0 && fstat(STDIN_FILENO, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int read_text_file(const struct cli_opts *o, const char *path, char **out)
{
	FILE *f;
	int rc;

	if (!strcmp(path, "-")) {
		if (stdin_holds_passphrase(o))
			return cli_usage("cannot read both the passphrase and the note from standard input");
		if (isatty(STDIN_FILENO))
			cli_note(o, "Type the note, then press Ctrl-D on a new line.");
		return slurp(STDIN_FILENO, "standard input", out);
	}
	f = fopen(path, "re");
	if (!f)
		return cli_usage("cannot open '%s': %s", path, strerror(errno));
	rc = slurp(fileno(f), path, out);
	fclose(f);
	return rc;
}

/* Files end in a newline that is not part of the note. */
static void trim_newlines(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/*
 * The text from exactly one of --text, --text-file FILE or a "-" argument. `--text -` also means
 * standard input: a note consisting of one dash is far less likely than a slip of the fingers.
 */
static int get_text(const struct cli_opts *o, const struct cli_args *a, char **out)
{
	const char *text = args_get(a, "text"), *file = args_get(a, "text-file");
	int dash = a->npos > 1, rc;

	if (a->npos > 1 && strcmp(a->pos[1], "-"))
		return cli_usage("unexpected argument '%s' for '%s' (the text goes in --text, --text-file or -)",
		                 a->pos[1], a->cmd);
	if (!!text + !!file + dash > 1)
		return cli_usage("give only one of --text, --text-file and -");
	if (!text && !file && !dash)
		return cli_usage("missing note text for '%s': give --text TEXT, --text-file FILE or - (standard input)",
		                 a->cmd);
	if (text && strcmp(text, "-")) {
		*out = strdup(text);
		return *out ? check_text(*out, "--text", NOTE_MAX) : cli_fail(CLI_EXIT_FAIL, "out of memory");
	}
	rc = read_text_file(o, file ? file : "-", out);
	if (rc)
		return rc;
	trim_newlines(*out);
	return check_text(*out, file && strcmp(file, "-") ? "the note file" : "the note", NOTE_MAX);
}

/* ---- commands ------------------------------------------------------------------------------------ */

static int check_add_opts(const struct cli_args *a)
{
	const char *kind = args_get(a, "kind"), *date = args_get(a, "date"), *mod = args_get(a, "modality");
	const char *min = args_get(a, "minutes");
	unsigned long long n;

	if (check_id(a->pos[0], "contact id") || (kind && check_enum(kind, "--kind", note_kinds)) ||
	    (date && check_date(date, "--date")) || (mod && check_line(mod, "--modality", 64)) ||
	    (min && check_uint(min, "--minutes", 0, 1440, &n)))
		return CLI_EXIT_USAGE;
	return 0;
}

static json_t *note_fields(const struct cli_args *a, const char *text)
{
	const char *kind = args_get(a, "kind"), *date = args_get(a, "date"), *min = args_get(a, "minutes");
	char today[CHECK_DATE_LEN];
	json_t *obj;

	if (!date) {
		check_today(today);
		date = today;
	}
	obj = json_pack("{s:s,s:s,s:s}", "kind", kind ? kind : "encounter", "date", date, "text", text);
	if (obj && args_get(a, "modality"))
		json_object_set_new(obj, "modality", json_string(args_get(a, "modality")));
	if (obj && min)
		json_object_set_new(obj, "minutes", json_integer(strtoll(min, NULL, 10)));
	return obj;
}

static int store_note(struct cli_ctx *ctx, const char *contact, json_t *obj, char id[CAIRN_ID_LEN])
{
	char *body = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	int rc;

	if (!body)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = cairn_note_add(ctx->j, contact, body, id);
	out_wipe_free(body);
	return rc ? cli_lib_fail(rc) : 0;
}

static int run_add(struct cli_ctx *ctx, const struct cli_args *a)
{
	char contact[CAIRN_ID_LEN], id[CAIRN_ID_LEN], *text = NULL;
	json_t *obj;
	int rc;

	if ((rc = check_add_opts(a)) || (rc = get_text(ctx->opt, a, &text))) {
		out_wipe_free(text);
		return rc;
	}
	obj = note_fields(a, text);
	out_wipe_free(text);
	rc = session_resolve(ctx, "contact", a->pos[0], contact);
	if (!rc)
		rc = store_note(ctx, contact, obj, id);
	json_decref(obj);
	if (rc)
		return rc;
	return out_written(ctx->opt, json_pack("{s:s,s:s}", "id", id, "contact", contact), id,
	                   "Added note %s about contact %s.", id, contact);
}

static int run_amend(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *reason = args_get(a, "reason");
	char id[CAIRN_ID_LEN], *text = NULL;
	int rc;

	if (check_id(a->pos[0], "note id") || (reason && check_line(reason, "--reason", 500)))
		return CLI_EXIT_USAGE;
	if (!(rc = get_text(ctx->opt, a, &text)) && !(rc = session_resolve(ctx, "note", a->pos[0], id))) {
		rc = cairn_note_amend(ctx->j, id, text, reason);
		rc = rc ? cli_lib_fail(rc) : 0;
	}
	out_wipe_free(text);
	if (rc)
		return rc;
	return out_written(ctx->opt, json_pack("{s:s}", "id", id), id,
	                   "Amended note %s (the original text stays in the record).", id);
}

static int run_strike(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *reason = args_get(a, "reason");
	char id[CAIRN_ID_LEN];
	int rc;

	if (check_id(a->pos[0], "note id") || check_line(reason, "--reason", 500))
		return CLI_EXIT_USAGE;
	if ((rc = session_resolve(ctx, "note", a->pos[0], id)))
		return rc;
	if ((rc = cairn_note_strike(ctx->j, id, reason)))
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{s:s,s:b}", "id", id, "struck", 1), id,
	                   "Struck note %s as entered in error (it stays in the record, marked).", id);
}

const struct cli_sub cmd_note_subs[] = {
        {"add", "CONTACT [-]", 1, 2, "Add a note about a contact; prints the new note id.",
         "The text comes from exactly one of --text TEXT, --text-file FILE, or - (standard input;\n"
         "--text - and --text-file - mean the same). Trailing newlines are dropped.\n"
         "Kinds: encounter, phone, crisis, group, outreach, other.\n"
         "\n"
         "Examples:\n"
         "  cairn note add CONTACT --kind outreach --modality \"in person\" --minutes 20 --text-file visit.txt\n"
         "  cairn note add CONTACT --kind phone --date 2026-11-02 --minutes 10 - < call.txt\n",
         add_opts, run_add},
        {"amend", "NOTE [-]", 1, 2, "Correct a note's text; the original stays in the record.",
         "The new text comes from --text, --text-file or - as for 'cairn note add'.\n"
         "An amendment replaces every amendment this journal has of the note. Two made on devices\n"
         "that had not seen each other's are a conflict ('cairn conflicts' lists both texts); the\n"
         "next amendment decides it, on every device it reaches.\n"
         "\n"
         "Examples:\n"
         "  cairn note amend NOTE --text-file fixed.txt --reason \"wrong place: it was Harbor House\"\n",
         amend_opts, run_amend},
        {"strike", "NOTE", 1, 1, "Mark a note as entered in error (it is kept, marked struck).",
         "Examples:\n"
         "  cairn note strike NOTE --reason \"written in the wrong person's record\"\n",
         strike_opts, run_strike},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
