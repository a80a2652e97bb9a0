/* output.c — errors, exit codes, JSON and id output. See output.h for the stream discipline. */
#include "output.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn.h"
#include "text.h"

int cli_exit_code(int rc)
{
	switch (rc) {
	case CAIRN_OK: return CLI_EXIT_OK;
	case CAIRN_EINVAL:
	case CAIRN_EAMBIGUOUS: return CLI_EXIT_USAGE;
	case CAIRN_EAUTH: return CLI_EXIT_AUTH;
	case CAIRN_ENOTFOUND: return CLI_EXIT_NOTFOUND;
	case CAIRN_ECORRUPT:
	case CAIRN_ETAMPER: return CLI_EXIT_CORRUPT;
	case CAIRN_ECONFLICT:
	case CAIRN_EFORK: return CLI_EXIT_CONFLICT;
	case CAIRN_EOFFLINE:
	case CAIRN_EREJECTED: return CLI_EXIT_OFFLINE;
	case CAIRN_ENEWER: return CLI_EXIT_NEWER;
	case CAIRN_EEXISTS: return CLI_EXIT_EXISTS;
	case CAIRN_EIO:
	case CAIRN_ENOSPC:
	case CAIRN_EBUSY: return CLI_EXIT_IO;
	case CAIRN_ECONSENT: return CLI_EXIT_CONSENT;
	default: return CLI_EXIT_FAIL; /* CAIRN_ERROR, CAIRN_ENOMEM, codes newer than this binary */
	}
}

void cli_print_exit_codes(FILE *f)
{
	fputs("Exit codes:\n"
	      "   0  success\n"
	      "   1  generic failure\n"
	      "   2  usage error (bad arguments, unknown command or option, invalid value)\n"
	      "   3  wrong passphrase\n"
	      "   4  not found (no journal, no key file, no such record)\n"
	      "   5  corrupt or tampered data\n"
	      "   6  conflict or fork\n"
	      "   7  offline or rejected by a remote (sync)\n"
	      "   8  journal written by a newer cairn\n"
	      "   9  already exists\n"
	      "  10  I/O error, disk full or journal busy\n"
	      "  11  refused: no active consent covers this disclosure (42 CFR Part 2)\n",
	      f);
}

static void vprefixed(const char *prefix, const char *fmt, va_list ap) CLI_PRINTF(2, 0);
static void vprefixed(const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024];
	char *clean;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One line, whatever a quoted argument or a library message held. */
	clean = text_clean(msg, 1);
	fprintf(stderr, "cairn: %s%s\n", prefix, clean ? clean : msg);
	free(clean);
}

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprefixed("", fmt, ap);
	va_end(ap);
	return code;
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprefixed("", fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprefixed("warning: ", fmt, ap);
	va_end(ap);
}

/* Friendly lines may quote record data (a name): format, then clean, then print. */
static void vsafe_line(FILE *f, const char *fmt, va_list ap) CLI_PRINTF(2, 0);
static void vsafe_line(FILE *f, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	out_safe(f, msg, 0);
	fputc('\n', f);
}

void cli_note(const struct cli_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet)
		return;
	va_start(ap, fmt);
	vsafe_line(stderr, fmt, ap);
	va_end(ap);
}

int cli_lib_fail(int rc)
{
	const char *msg = cairn_error_last();

	if (!msg || !*msg)
		msg = cairn_strerror(rc);
	return cli_fail(cli_exit_code(rc), "%s", msg);
}

int out_json(const struct cli_opts *o, json_t *v)
{
	size_t flags = o->out_tty ? JSON_INDENT(2) : JSON_COMPACT;
	int rc;

	if (!v)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	rc = json_dumpf(v, stdout, flags | JSON_ENCODE_ANY);
	json_decref(v);
	if (rc)
		return cli_fail(CLI_EXIT_IO, "cannot write output");
	fputc('\n', stdout);
	return 0;
}

json_t *out_parse(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text ? text : "", JSON_DECODE_ANY, &err);

	/* The library promises JSON; if that breaks, say where without echoing record data. */
	if (!v)
		cli_fail(CLI_EXIT_FAIL, "the library returned malformed JSON (line %d, column %d)", err.line,
		         err.column);
	return v;
}

void out_free_text(char *text)
{
	if (text)
		explicit_bzero(text, strlen(text));
	cairn_free(text);
}

int out_written(const struct cli_opts *o, json_t *obj, const char *id, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return out_json(o, obj);
	json_decref(obj);
	if (!o->out_tty || o->quiet) {
		if (id && *id) /* nothing to name (a publication): silence, not an empty line */
			printf("%s\n", id);
		return 0;
	}
	va_start(ap, fmt);
	vsafe_line(stdout, fmt, ap);
	va_end(ap);
	return 0;
}

void out_safe(FILE *f, const char *s, int oneline)
{
	char *clean = text_clean(s ? s : "", oneline);

	if (clean)
		fputs(clean, f);
	free(clean);
}

void out_indented(FILE *f, const char *text, int indent)
{
	char *clean = text_clean(text ? text : "", 0);
	const char *line, *nl;

	if (!clean)
		return;
	for (line = clean; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line); /* the last line has no newline */
		fprintf(f, "%*s%.*s\n", indent, "", (int)(nl - line), line);
		if (!*nl)
			break;
	}
	explicit_bzero(clean, strlen(clean));
	free(clean);
}

void out_path(char *buf, size_t n, const char *path)
{
	const char *home = getenv("HOME");
	size_t hl = home ? strlen(home) : 0;

	if (hl > 1 && !strncmp(path, home, hl) && (path[hl] == '/' || !path[hl]))
		snprintf(buf, n, "~%s", path + hl);
	else
		snprintf(buf, n, "%s", path);
}

void out_wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

const char *js_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

char *js_list(const json_t *o, const char *key)
{
	const json_t *arr = json_object_get(o, key), *v;
	size_t i, n = 1;
	char *out;

	json_array_foreach(arr, i, v) n += (json_is_string(v) ? strlen(json_string_value(v)) : 0) + 2;
	if (!(out = malloc(n)))
		return NULL;
	out[0] = '\0';
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v))
			continue;
		if (out[0])
			strcat(out, ", ");
		strcat(out, json_string_value(v));
	}
	return out;
}

long long js_int(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

int js_true(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0);
}

void out_hlc_time(char *buf, size_t n, unsigned long long hlc, int seconds)
{
	time_t secs = (time_t)((hlc >> 16) / 1000);
	struct tm tm;

	if (!hlc || !localtime_r(&secs, &tm)) {
		snprintf(buf, n, "?");
		return;
	}
	strftime(buf, n, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
}

int out_query(const struct cli_opts *o, int rc, char *text, out_render_fn render, void *ud)
{
	json_t *doc;

	if (rc) {
		out_free_text(text);
		return cli_lib_fail(rc);
	}
	doc = out_parse(text);
	out_free_text(text);
	if (!doc)
		return CLI_EXIT_FAIL;
	if (o->json)
		return out_json(o, doc);
	rc = render(ud, doc);
	json_decref(doc);
	return rc;
}

char *out_value_text(const json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (!v || json_is_null(v))
		return strdup("(cleared)");
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}
