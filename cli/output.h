/*
 * output.h — what the `cairn` command prints: errors and exit codes, JSON documents, written ids.
 *
 * Streams: data (tables, cards, JSON, ids) goes to stdout; errors, warnings and prompts never do, so
 * `id=$(cairn contact add ...)` and `cairn --json ... | jq` always see clean output. An error is one line
 * on stderr starting "cairn: ".
 *
 * Exit codes (also in `cairn --help`; cli_exit_code() is the one place that maps library errors):
 *    0  success
 *    1  generic failure
 *    2  usage error: bad arguments, unknown command or option, invalid value
 *    3  wrong passphrase (CAIRN_EAUTH)
 *    4  not found: no journal, no key file, no such record (CAIRN_ENOTFOUND)
 *    5  corrupt or tampered data (CAIRN_ECORRUPT, CAIRN_ETAMPER)
 *    6  conflict or fork (CAIRN_ECONFLICT, CAIRN_EFORK)
 *    7  offline or rejected by a remote (CAIRN_EOFFLINE, CAIRN_EREJECTED)
 *    8  journal written by a newer cairn (CAIRN_ENEWER)
 *    9  already exists (CAIRN_EEXISTS)
 *   10  I/O error, disk full or journal busy (CAIRN_EIO, CAIRN_ENOSPC, CAIRN_EBUSY)
 *   11  a disclosure refused: no active consent covers it (CAIRN_ECONSENT)
 */
#ifndef CAIRN_CLI_OUTPUT_H
#define CAIRN_CLI_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

#include "args.h"

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_AUTH = 3,
	CLI_EXIT_NOTFOUND = 4,
	CLI_EXIT_CORRUPT = 5,
	CLI_EXIT_CONFLICT = 6,
	CLI_EXIT_OFFLINE = 7,
	CLI_EXIT_NEWER = 8,
	CLI_EXIT_EXISTS = 9,
	CLI_EXIT_IO = 10,
	CLI_EXIT_CONSENT = 11,
};

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* The exit code for a negative CAIRN_E* code. */
int cli_exit_code(int cairn_rc);
/* The exit code list for `cairn --help`. */
void cli_print_exit_codes(FILE *f);

/* Print "cairn: MESSAGE" on stderr (control characters replaced) and return `code`. */
int cli_fail(int code, const char *fmt, ...) CLI_PRINTF(2, 3);
/* cli_fail(CLI_EXIT_USAGE, ...). */
int cli_usage(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Report a library failure: cairn_error_last() (or the generic text for `rc`); returns its exit code. */
int cli_lib_fail(int rc);
/* "cairn: warning: MESSAGE" on stderr. */
void cli_warn(const char *fmt, ...) CLI_PRINTF(1, 2);
/* A friendly line on stderr, left out with --quiet (progress, hints). */
void cli_note(const struct cli_opts *o, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Print a JSON value (pretty on a terminal, compact otherwise) and release it. Returns an exit code. */
int out_json(const struct cli_opts *o, json_t *v);
/* Parse a JSON document returned by the library, for printing or rendering. Prints an error on failure. */
json_t *out_parse(const char *text);
/* Wipe and release a JSON document the library returned (it holds record data). Accepts NULL. */
void out_free_text(char *text);

/*
 * Report a write. --json: `obj` (which holds at least "id"). Otherwise the bare `id` when stdout is not a
 * terminal or with --quiet, so `id=$(cairn ...)` works, else the friendly sentence. Releases `obj`.
 */
int out_written(const struct cli_opts *o, json_t *obj, const char *id, const char *fmt, ...) CLI_PRINTF(4, 5);

/*
 * Print the result of a library query: `rc` and `text` as the query returned them (call the query
 * first: C leaves the order of evaluation of arguments open). With --json the document is re-serialised
 * as is; otherwise `render(ud, doc)` draws it for humans. Frees `text`; returns an exit code.
 */
typedef int (*out_render_fn)(void *ud, const json_t *doc);
int out_query(const struct cli_opts *o, int rc, char *text, out_render_fn render, void *ud);

/* A JSON scalar for humans: a string as is, null as "(cleared)", anything else as compact JSON.
 * malloc'd; release with out_wipe_free(). */
char *out_value_text(const json_t *v);

/* Wipe and free a JSON text this program built (json_dumps) to hand record fields to the library. */
void out_wipe_free(char *s);

/* Reading the library's JSON: a missing or mistyped member reads as NULL / 0 rather than failing, so a
 * field added or renamed in the library degrades the display instead of breaking the command. */
const char *js_str(const json_t *o, const char *key);
long long js_int(const json_t *o, const char *key);
int js_true(const json_t *o, const char *key);
/* A list member of strings as "a, b, c" for a table cell (malloc'd; "" when it is no list; NULL when out
 * of memory). Release it with out_wipe_free(): it may name what a person consented to. */
char *js_list(const json_t *o, const char *key);
/* Local "YYYY-MM-DD HH:MM" (":SS" with `seconds`) of a hybrid logical clock value (48-bit milliseconds,
 * 16-bit counter). */
void out_hlc_time(char *buf, size_t n, unsigned long long hlc, int seconds);

/* Write `s` to `f` made safe for a terminal (see text_clean); `oneline` turns newlines into spaces. */
void out_safe(FILE *f, const char *s, int oneline);

/* Write multi-line text with every line indented by `indent` spaces, made safe for a terminal. */
void out_indented(FILE *f, const char *text, int indent);

/* `path` for messages, with $HOME shown as "~". */
void out_path(char *buf, size_t n, const char *path);

#endif
