/* init.h — creating a journal, shared by `cairn init` and `cairn office init`. */
#ifndef CAIRN_CLI_INIT_H
#define CAIRN_CLI_INIT_H

#include <stddef.h>

#include "passphrase.h"
#include "session.h"

/*
 * Resolve the directory, refuse an existing journal, read the new passphrase (twice on a terminal) and
 * create the journal with Argon2id cost `kdf` (NULL: default). On success *out holds the passphrase (the
 * caller frees it with pass_free) and `shown` the directory for messages. Returns 0 or an exit code.
 */
int cli_create_journal(struct cli_ctx *ctx, const char *kdf, struct pass *out, char *shown, size_t n);

#ifdef CAIRN_HAVE_SYNC
/*
 * Check a remote URL before anything asks for a passphrase (`remote add`, `init --remote`): a path, made
 * absolute in `buf`, file:///path, git://, ssh://, http(s):// or scp-like user@host:path. *out is the URL
 * to store (`url` or `buf`). Prints why and returns an exit code when cairn could not sync with it.
 */
int cli_remote_url(const char *url, const char **out, char *buf, size_t n);
#endif

#endif
