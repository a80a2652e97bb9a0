/*
 * session.h — one run of a command against one journal: where it is, unlocking it, resolving ids.
 *
 * Commands validate their arguments first and call session_open() only then, so a typo never costs a
 * passphrase prompt (or an Argon2id run).
 */
#ifndef CAIRN_CLI_SESSION_H
#define CAIRN_CLI_SESSION_H

#include "args.h"
#include "cairn.h"

struct cli_ctx {
	struct cli_opts *opt; /* the global options */
	char *dir;            /* the journal directory, once session_dir() resolved it (malloc'd) */
	cairn_journal *j;     /* the open journal, after session_open() */
	uint64_t seq_open;    /* this device's last seq when opened (to tell a running agent of writes) */
	int seq_known;        /* seq_open is set: an agent was running then */
};

/* Resolve the journal directory: --dir, $CAIRN_DIR, $XDG_DATA_HOME/cairn, ~/.local/share/cairn. */
int session_dir(struct cli_ctx *ctx);
/* ctx->dir for messages ("~/.local/share/cairn"). */
const char *session_dir_shown(const struct cli_ctx *ctx, char *buf, size_t n);
/* Whether the journal directory holds a key file (or something there cannot be checked). */
int session_has_key(const struct cli_ctx *ctx);
/* Exit code 4 with a message saying what is missing, unless the directory holds a key file. */
int session_check_journal(struct cli_ctx *ctx);
/* Read the passphrase and open the journal (on a terminal, three tries). Returns 0 or an exit code. */
int session_open(struct cli_ctx *ctx);
/* Resolve an id or unique prefix of a record of `type` ("contact", "note", "referral"). */
int session_resolve(struct cli_ctx *ctx, const char *type, const char *arg, char out[CAIRN_ID_LEN]);
/*
 * The person whose record a command is about to show (`contact show ARG`, `goal list --contact ARG`):
 * ARG is resolved into `out` and the view is recorded in the audit trail as `what` ("goal list") before
 * anything of the record is read; when the entry cannot be written, nothing may be shown (42 CFR Part 2).
 * ARG NULL (a list of the whole caseload, not audited) only opens the journal. Returns 0 or an exit code.
 */
int session_view_contact(struct cli_ctx *ctx, const char *arg, const char *what, char out[CAIRN_ID_LEN]);
/*
 * Resolve an id or prefix among the records of every type a table may show (what `log --entity` takes):
 * 0 and the full id in `out`; 1 when it names records of two types; CAIRN_ENOTFOUND, CAIRN_EAMBIGUOUS
 * (two records of one type) or another library error otherwise. The journal must be open.
 */
int session_resolve_any(struct cli_ctx *ctx, const char *prefix, char out[CAIRN_ID_LEN]);

/*
 * The short form of an id for tables: its shortest prefix of at least 8 characters that names it alone
 * among records of `type` ("*": among the records of every type together, as `log --entity` needs;
 * NULL: just 8 characters). UUIDv7 ids begin with a timestamp, so records made in the same minute share
 * their first 8 characters and a fixed-length cut would be ambiguous; and a prefix that ends inside the
 * timestamp is made longer while records made later could still take it.
 */
void session_abbrev(struct cli_ctx *ctx, const char *type, const char *id, char out[CAIRN_ID_LEN]);
/* The record type an event kind is about ("note.amend" -> "note"), NULL when not a record. */
const char *session_kind_type(const char *kind);
/* Close the journal and forget the directory. */
void session_close(struct cli_ctx *ctx);

#endif
