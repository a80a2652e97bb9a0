/*
 * fuzz_cli_session.c — session.h for the CLI fuzzer: everything that would find, unlock or read a
 * journal stops the command with FUZZ_CLI_STOP instead (no directory, no passphrase, no file). What a
 * command checks before it opens its session (cli.h: arguments first) runs for real; so does the id
 * check that session_resolve() makes before it opens one.
 */
#include "fuzz_cli.h"
#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "output.h"

int session_dir(struct cli_ctx *ctx)
{
	(void)ctx;
	return FUZZ_CLI_STOP;
}

const char *session_dir_shown(const struct cli_ctx *ctx, char *buf, size_t n)
{
	(void)ctx;
	snprintf(buf, n, "%s", "");
	return buf;
}

int session_has_key(const struct cli_ctx *ctx)
{
	(void)ctx;
	return 0;
}

int session_check_journal(struct cli_ctx *ctx) { return session_dir(ctx); }

int session_open(struct cli_ctx *ctx) { return session_dir(ctx); }

int session_resolve(struct cli_ctx *ctx, const char *type, const char *arg, char out[CAIRN_ID_LEN])
{
	char what[32];

	(void)out;
	snprintf(what, sizeof(what), "%s id", type);
	if (check_id(arg, what))
		return CLI_EXIT_USAGE;
	return session_open(ctx);
}

int session_view_contact(struct cli_ctx *ctx, const char *arg, const char *what, char out[CAIRN_ID_LEN])
{
	(void)what;
	return arg ? session_resolve(ctx, "contact", arg, out) : session_open(ctx);
}

int session_resolve_any(struct cli_ctx *ctx, const char *prefix, char out[CAIRN_ID_LEN])
{
	(void)prefix;
	(void)out;
	return session_open(ctx);
}

void session_abbrev(struct cli_ctx *ctx, const char *type, const char *id, char out[CAIRN_ID_LEN])
{
	(void)ctx;
	(void)type;
	snprintf(out, CAIRN_ID_LEN, "%.8s", id ? id : "");
}

const char *session_kind_type(const char *kind)
{
	(void)kind;
	return NULL;
}

void session_close(struct cli_ctx *ctx)
{
	free(ctx->dir);
	ctx->dir = NULL;
}
