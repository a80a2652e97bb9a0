/*
 * outfile.h — writing a command's document to --output FILE, all or nothing.
 *
 * The document goes to a temporary file beside FILE (mode 0600: an export holds records), is flushed and
 * fsync'd, and is renamed over FILE only when complete, so a full disk or a kill never leaves half a
 * report where the last good one was.
 */
#ifndef CAIRN_CLI_OUTFILE_H
#define CAIRN_CLI_OUTFILE_H

#include <stdio.h>

struct outfile {
	FILE *f;
	char *path, *tmp;
};

/* Open `path` for writing (through a temporary file). Returns 0 or an exit code (message printed). */
int outfile_open(struct outfile *o, const char *path);
/* Finish: `ok` renames the temporary file over the target; otherwise it is removed. Returns an exit code. */
int outfile_close(struct outfile *o, int ok);

#endif
