/* session.c — finding and unlocking the journal. See session.h. */
#include "session.h"

#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef CAIRN_HAVE_AGENT
#include "cairn_agent.h"
#endif
#include "check.h"
#include "output.h"
#include "passphrase.h"

#define OPEN_TRIES 3

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s/%s", a, b);
	return s;
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return h;
	pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
}

int session_dir(struct cli_ctx *ctx)
{
	const char *env;

	if (ctx->dir)
		return 0;
	if (ctx->opt->dir)
		ctx->dir = strdup(ctx->opt->dir);
	else if ((env = getenv("CAIRN_DIR")) && *env)
		ctx->dir = strdup(env);
	else if ((env = getenv("XDG_DATA_HOME")) && env[0] == '/') /* XDG: relative values are ignored */
		ctx->dir = join(env, "cairn");
	else if ((env = home_dir()))
		ctx->dir = join(env, ".local/share/cairn");
	else
		return cli_usage("cannot find your home directory: pass --dir DIR or set CAIRN_DIR");
	if (!ctx->dir)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	return 0;
}

const char *session_dir_shown(const struct cli_ctx *ctx, char *buf, size_t n)
{
	out_path(buf, n, ctx->dir ? ctx->dir : "");
	return buf;
}

static int exists(const char *dir, const char *name)
{
	char *p = join(dir, name);
	struct stat st;
	int rc;

	if (!p)
		return 0;
	rc = stat(p, &st) == 0 || errno != ENOENT;
	free(p);
	return rc;
}

int session_has_key(const struct cli_ctx *ctx) { return exists(ctx->dir, "key"); }

/*
 * cairn.h documents the layout (`key`, `journal.db`), so the CLI can say which part is missing before it
 * asks for a passphrase that could not be used anyway. Anything unusual is left to the library.
 */
int session_check_journal(struct cli_ctx *ctx)
{
	char shown[512];
	struct stat st;
	int rc = session_dir(ctx);

	if (rc)
		return rc;
	session_dir_shown(ctx, shown, sizeof(shown));
	if (stat(ctx->dir, &st) < 0 && errno == ENOENT)
		return cli_fail(CLI_EXIT_NOTFOUND,
		                "no journal in '%s': run 'cairn init' to create one, or pass --dir DIR", shown);
	if (session_has_key(ctx))
		return 0;
	if (exists(ctx->dir, "journal.db"))
		return cli_fail(CLI_EXIT_NOTFOUND,
		                "the key file '%s/key' is missing: the journal cannot be unlocked without it "
		                "(restore it from a backup)",
		                shown);
	return cli_fail(CLI_EXIT_NOTFOUND, "no journal in '%s': run 'cairn init' to create one, or pass --dir DIR",
	                shown);
}

static int try_open(struct cli_ctx *ctx, struct pass_source *src, const char *prompt)
{
	struct pass p = {NULL, 0};
	int rc = pass_read(src, &p, prompt, NULL, "passphrase");

	if (rc)
		return rc;
	rc = cairn_journal_open(&ctx->j, ctx->dir, p.buf, p.len);
	pass_free(&p);
	return rc;
}

#ifdef CAIRN_HAVE_AGENT
/*
 * A running, unlocked agent lends its session: the data key comes over its 0600 socket into locked
 * memory, and the command skips the passphrase and Argon2id. CAIRN_NO_AGENT=1 opts out. Any failure
 * (no agent, locked, key refused) falls back to the passphrase silently.
 */
static int agent_running(const struct cli_ctx *ctx)
{
	const char *off = getenv("CAIRN_NO_AGENT");

	return !(off && !strcmp(off, "1")) && exists(ctx->dir, "agent.sock");
}

static void note_seq(struct cli_ctx *ctx)
{
	ctx->seq_known =
	        agent_running(ctx) && !cairn_events_max_seq(ctx->j, cairn_journal_device(ctx->j), &ctx->seq_open);
}

static int open_from_agent(struct cli_ctx *ctx)
{
	unsigned char *key = NULL;
	int rc;

	if (!agent_running(ctx) || cairn_agent_get_key(ctx->dir, &key)) {
		cairn_error_clear();
		return -1;
	}
	rc = cairn_journal_open_key(&ctx->j, ctx->dir, key);
	cairn_key_free(key);
	if (rc) {
		ctx->j = NULL;
		cairn_error_clear();
		return -1;
	}
	return 0;
}

/* After a write, tell the agent (it syncs one debounce later); a command that wrote nothing is silent. */
static void poke_agent(struct cli_ctx *ctx)
{
	uint64_t seq;

	if (ctx->j && ctx->seq_known && !cairn_events_max_seq(ctx->j, cairn_journal_device(ctx->j), &seq) &&
	    seq != ctx->seq_open)
		cairn_agent_request(ctx->dir, "changed", NULL);
	cairn_error_clear();
}
#else
static void note_seq(struct cli_ctx *ctx) { (void)ctx; }
static int open_from_agent(struct cli_ctx *ctx)
{
	(void)ctx;
	return -1;
}
static void poke_agent(struct cli_ctx *ctx) { (void)ctx; }
#endif

int session_open(struct cli_ctx *ctx)
{
	struct pass_source src;
	char shown[512], prompt[600];
	int rc, tries;

	if (ctx->j)
		return 0;
	rc = session_check_journal(ctx);
	if (rc)
		return rc;
	if (open_from_agent(ctx) == 0) {
		note_seq(ctx);
		return 0;
	}
	rc = pass_source_open(&src, ctx->opt);
	if (rc)
		return rc;
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", session_dir_shown(ctx, shown, sizeof(shown)));
	for (tries = 1;; tries++) {
		rc = try_open(ctx, &src, prompt);
		if (rc > 0) /* our own exit code: the message is out */
			break;
		if (rc == 0)
			break;
		/* Someone typing gets another go; a file would just give the same wrong line again. */
		if (rc == CAIRN_EAUTH && src.tty && tries < OPEN_TRIES) {
			cli_lib_fail(rc);
			continue;
		}
		rc = cli_lib_fail(rc);
		break;
	}
	pass_source_close(&src);
	if (rc == 0)
		note_seq(ctx);
	return rc;
}

int session_resolve(struct cli_ctx *ctx, const char *type, const char *arg, char out[CAIRN_ID_LEN])
{
	char what[32];
	int rc;

	snprintf(what, sizeof(what), "%s id", type);
	if (check_id(arg, what))
		return CLI_EXIT_USAGE;
	rc = session_open(ctx);
	if (rc)
		return rc;
	rc = cairn_id_resolve(ctx->j, type, arg, out);
	return rc ? cli_lib_fail(rc) : 0;
}

int session_view_contact(struct cli_ctx *ctx, const char *arg, const char *what, char out[CAIRN_ID_LEN])
{
	int rc;

	if (!arg)
		return session_open(ctx);
	if ((rc = session_resolve(ctx, "contact", arg, out)))
		return rc;
	rc = cairn_audit_view(ctx->j, out, what);
	return rc ? cli_lib_fail(rc) : 0;
}

/* Whether a record made from now on could still share the first `n` characters of UUIDv7 `id`. Its first 12 hex
 * digits are the creation time in ms: a prefix that ends inside them names a window of time, and a record made
 * while that window is open takes the same prefix, which made a short id printed a moment earlier ambiguous
 * (a view of an audit entry records a new one). Past the time, one random digit is enough. */
static int window_open(const char *id, size_t n, uint64_t now_ms)
{
	uint64_t ms = 0, end;
	int digits = 0;
	size_t i;

	for (i = 0; i < 13 && id[i]; i++) {
		int v = id[i] >= 'a' ? id[i] - 'a' + 10 : id[i] - '0';

		if (id[i] == '-')
			continue;
		if (v < 0 || v > 15)
			return 0; /* not a UUID: nothing to keep open */
		ms = ms << 4 | (uint64_t)v;
		digits += i < n;
	}
	if (digits == 12) /* the whole time, then the version digit: one random digit after it */
		return n < 16;
	end = ms | ((UINT64_C(1) << (4 * (12 - digits))) - 1);
	return end >= now_ms;
}

/* The record types an id shown in a table may be of ("*"). */
static const char *const id_types[] = {"contact",    "note",  "referral", "goal",  "consent",
                                       "assessment", "group", "crisis",   "audit", NULL};

int session_resolve_any(struct cli_ctx *ctx, const char *prefix, char out[CAIRN_ID_LEN])
{
	char id[CAIRN_ID_LEN];
	int i, rc, found = 0;

	for (i = 0; id_types[i]; i++) {
		if ((rc = cairn_id_resolve(ctx->j, id_types[i], prefix, id)) == CAIRN_ENOTFOUND)
			continue;
		if (rc)
			return rc;
		if (found++ && strcmp(id, out))
			return 1;
		memcpy(out, id, CAIRN_ID_LEN);
	}
	return found ? 0 : CAIRN_ENOTFOUND;
}

/* Whether `prefix` names `id` alone among the records of `type`, or of every type for "*" (what `log --entity`
 * takes: a prefix unique among contacts and among notes still names two records when it matches one of each). */
static int names_alone(struct cli_ctx *ctx, const char *type, const char *prefix, const char *id)
{
	char full[CAIRN_ID_LEN];
	int rc = strcmp(type, "*") ? cairn_id_resolve(ctx->j, type, prefix, full)
	                           : session_resolve_any(ctx, prefix, full);

	return rc == 0 ? !strcmp(full, id) : rc != CAIRN_EAMBIGUOUS && rc != 1;
}

void session_abbrev(struct cli_ctx *ctx, const char *type, const char *id, char out[CAIRN_ID_LEN])
{
	char prefix[CAIRN_ID_LEN];
	size_t n = 8, len;
	struct timespec ts;
	uint64_t now_ms;

	if (!id)
		id = "";
	len = strlen(id);
	if (type && ctx->j && len > 8) {
		clock_gettime(CLOCK_REALTIME, &ts);
		now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		/* Ids made in one second share their first 8 characters, and a table of consents showed the same 8 on
		 * every row, none of them usable: take the shortest prefix (never ending on a dash) that names the
		 * record alone and that no record made later can share. */
		for (; n < len; n++) {
			if (id[n - 1] == '-' || window_open(id, n, now_ms))
				continue;
			snprintf(prefix, sizeof(prefix), "%.*s", (int)n, id);
			if (names_alone(ctx, type, prefix, id))
				break;
		}
		cairn_error_clear(); /* an ambiguous probe is not an error of this command */
	}
	snprintf(out, CAIRN_ID_LEN, "%.*s", (int)n, id);
}

const char *session_kind_type(const char *kind)
{
	int i;

	for (i = 0; kind && id_types[i]; i++)
		if (!strncmp(kind, id_types[i], strlen(id_types[i])) && kind[strlen(id_types[i])] == '.')
			return id_types[i];
	return NULL;
}

void session_close(struct cli_ctx *ctx)
{
	poke_agent(ctx);
	cairn_journal_free(ctx->j);
	ctx->j = NULL;
	free(ctx->dir);
	ctx->dir = NULL;
}
