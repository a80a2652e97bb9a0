/*
 * outfile.h — the one way a command writes its document to --output FILE.
 *
 * These files hold people's records (or counts about them), so FILE has mode 0600 and never replaces
 * anything: an existing FILE, or a symbolic link there, is refused with exit 9 before any work is done
 * (and before any disclosure is recorded). The document is written to a temporary file beside FILE and
 * linked to its name only when complete (link(), unlike rename(), refuses an existing name), so a failed
 * or killed command never leaves half a document under FILE's name.
 */
#ifndef CAIRN_CLI_OUTFILE_H
#define CAIRN_CLI_OUTFILE_H

#include <jansson.h>
#include <stdio.h>

#include "args.h"
#include "output.h"

struct outfile {
	FILE *f;
	char *path;
	char *tmp; /* the temporary file beside path */
};

/* Start writing `path` (mode 0600). Returns 0 or an exit code: 9 when it exists, 4 when its folder does
 * not, 2 for an empty name or a folder name, 10 otherwise (message printed). */
int outfile_open(struct outfile *o, const char *path);
/* Finish: `ok` flushes, fsyncs and closes the file and gives it its name; otherwise, or when that fails,
 * nothing is left.
 * Returns an exit code. Does nothing on a struct that outfile_open() did not open. */
int outfile_close(struct outfile *o, int ok);
/* outfile_close() after the command's work ended with exit code `rc`: the file is kept only when `rc`
 * is 0 and closing it works. Returns `rc`, else the close's exit code. */
int outfile_end(struct outfile *o, int rc);

/*
 * Report a written file the same way for every command: --json prints `obj` (NULL: {}) with "file" set to
 * `path` as given; otherwise the bare path when stdout is not a terminal or with --quiet, else the
 * friendly sentence. Releases `obj`. Returns an exit code.
 */
int outfile_written(const struct cli_opts *o, json_t *obj, const char *path, const char *fmt, ...) CLI_PRINTF(4, 5);

#endif
