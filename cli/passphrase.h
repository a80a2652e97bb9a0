/*
 * passphrase.h — reading passphrases: from the terminal with echo off, or one line at a time from
 * --passphrase-file / --passphrase-fd. Never from argv or the environment (both leak through /proc and
 * shell history).
 *
 * A passphrase lives in its own locked page (mlock: never swapped; MADV_DONTDUMP: never in a core file)
 * and is wiped by pass_free() as soon as the library has used it.
 */
#ifndef CAIRN_CLI_PASSPHRASE_H
#define CAIRN_CLI_PASSPHRASE_H

#include <stddef.h>

#include "args.h"

#define PASS_MAX 1023 /* bytes; a longer line is refused rather than silently cut */

struct pass {
	char *buf; /* NUL-terminated, in a locked page; NULL when empty */
	size_t len;
};

/* Where passphrases come from. Successive pass_read() calls read successive lines from a file or fd. */
struct pass_source {
	int fd;           /* the file, fd, or /dev/tty */
	int owned;        /* fd was opened here and is closed by pass_source_close() */
	int tty;          /* interactive: prompts, echo off, confirmation */
	const char *name; /* for messages: the file name, "file descriptor N" or "the terminal" */
	char label[32];
	int lines; /* lines read so far */
};

/* Open --passphrase-file, --passphrase-fd or /dev/tty, in that order. Returns 0 or an exit code. */
int pass_source_open(struct pass_source *src, const struct cli_opts *o);
/* Open a passphrase file given by name (--new-passphrase-file). */
int pass_source_open_file(struct pass_source *src, const char *path);
void pass_source_close(struct pass_source *src);

/*
 * Read one passphrase. On a terminal, `prompt` is shown and, when `confirm` is non-NULL, the passphrase
 * is asked again with that prompt and both must match. From a file, the next line is taken (`what`
 * names it in messages: "passphrase", "new passphrase"). Returns 0 or an exit code (message printed).
 */
int pass_read(struct pass_source *src, struct pass *out, const char *prompt, const char *confirm, const char *what);
/* A join file's own passphrase: from `file` (--join-passphrase-file) when given, else the terminal
 * (asked twice when `confirm`). Returns 0 or an exit code. */
int pass_read_join(const char *file, struct pass *out, int confirm);
/* Wipe and release. Accepts an empty struct. */
void pass_free(struct pass *p);

#endif
