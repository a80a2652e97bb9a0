/* init.h — creating a journal, shared by `cairn init` and `cairn office init`. */
#ifndef CAIRN_CLI_INIT_H
#define CAIRN_CLI_INIT_H

#include <stddef.h>

#include "passphrase.h"
#include "session.h"

/* What a failed init takes back: only what this run made (the files of a journal, its directories). */
#define CLI_UNDO_NAMES 7
struct cli_undo {
	int created;             /* this run created the key file and database (else they are not its to remove) */
	char *dir;               /* the journal directory, resolved, without trailing slashes (owned) */
	size_t top;              /* length of the outermost directory this run creates; 0: none */
	int had[CLI_UNDO_NAMES]; /* the journal's file i was there before */
};

/*
 * Resolve the directory, refuse an existing journal, read the new passphrase (twice on a terminal) and
 * create the journal with Argon2id cost `kdf` (NULL: default). On success *out holds the passphrase (the
 * caller frees it with pass_free), `shown` the directory for messages, and `u` what cli_undo_run removes
 * if a later step fails. The caller calls cli_undo_free(u) in every case. Returns 0 or an exit code.
 */
int cli_create_journal(struct cli_ctx *ctx, const char *kdf, struct pass *out, char *shown, size_t n,
                       struct cli_undo *u);

/* Remove what the run recorded in `u` made (closing ctx->j first). Nothing that was there is touched. */
void cli_undo_run(struct cli_ctx *ctx, struct cli_undo *u);
void cli_undo_free(struct cli_undo *u);

/* Remove `path` and everything under it, without following links; warns about what stays. */
void cli_rm_tree(const char *path);

#ifdef CAIRN_HAVE_SYNC
/*
 * Check a remote URL before anything asks for a passphrase (`remote add`, `init --remote`): a path, made
 * absolute in `buf`, file:///path, git://, ssh://, http(s):// or scp-like user@host:path. *out is the URL
 * to store (`url` or `buf`). Prints why and returns an exit code when cairn could not sync with it.
 */
int cli_remote_url(const char *url, const char **out, char *buf, size_t n);
#endif

#endif
