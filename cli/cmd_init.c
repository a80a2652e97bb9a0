/* cmd_init.c — `cairn init` and `cairn passwd`: creating a journal and changing its passphrase. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "cli.h"
#include "init.h"
#include "output.h"
#include "passphrase.h"
#ifdef CAIRN_HAVE_SYNC
#include "cairn_sync.h"
#endif

static const char *const kdf_names[] = {"default", "interactive", "min", NULL};

static const struct cli_opt init_opts[] = {
        {"kdf", 0, "LEVEL",
         "Argon2id cost: default (0.3-1 s per unlock; use this), interactive (faster), "
         "min (for tests only: trivial to brute-force)",
         0},
        {"join", 0, "FILE", "join the team of a join file made by 'cairn team export'", 0},
        {"join-passphrase-file", 0, "FILE", "read the join file's passphrase from FILE (else asked)", 0},
        {"worker", 0, "NAME", "the name of the worker using this device (see 'cairn worker')", 0},
#ifdef CAIRN_HAVE_SYNC
        {"remote", 0, "URL", "the office's central repository: added as remote 'central'", 0},
        {"org", 0, "FINGERPRINT", "the office's org key (from 'cairn office init'): pin it and ask to enroll", 0},
#endif
        CLI_OPT_END,
};

static const struct cli_opt passwd_opts[] = {
        {"kdf", 0, "LEVEL", "Argon2id cost for the new passphrase: default, interactive, min (tests only)", 0},
        {"new-passphrase-file", 0, "FILE", "read the new passphrase from the first line of FILE", 0},
        CLI_OPT_END,
};

static int parse_kdf(const char *s, cairn_kdf_level *out)
{
	if (!s) {
		*out = CAIRN_KDF_DEFAULT;
		return 0;
	}
	if (check_enum(s, "--kdf", kdf_names))
		return CLI_EXIT_USAGE;
	*out = !strcmp(s, "min")           ? CAIRN_KDF_MIN
	       : !strcmp(s, "interactive") ? CAIRN_KDF_INTERACTIVE
	                                   : CAIRN_KDF_DEFAULT;
	if (*out == CAIRN_KDF_MIN)
		cli_warn("--kdf min is for tests only: a passphrase protected with it is cheap to guess");
	return 0;
}

/*
 * The library creates the journal directory but not its parents, and on a fresh account
 * ~/.local/share may not exist yet. Parents made here are private too (mode 0700).
 */
static int make_parents(const char *dir)
{
	char *p = strdup(dir), *s;
	int rc = 0;

	if (!p)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	for (s = p + 1; !rc && (s = strchr(s, '/')); *s++ = '/') {
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = cli_fail(CLI_EXIT_IO, "cannot create directory '%s': %s", p, strerror(errno));
	}
	free(p);
	return rc;
}

/* The journal exists now; open it once to learn the device id the library minted. */
static int report_init(struct cli_ctx *ctx, const struct pass *p, const char *shown)
{
	const char *dev;
	int rc = cairn_journal_open(&ctx->j, ctx->dir, p->buf, p->len);

	if (rc)
		return cli_fail(cli_exit_code(rc), "created the journal in '%s' but cannot open it: %s", shown,
		                cairn_error_last());
	dev = cairn_journal_device(ctx->j);
	if (ctx->opt->json)
		return out_json(ctx->opt, json_pack("{s:s,s:s}", "device", dev, "dir", ctx->dir));
	if (ctx->opt->out_tty && !ctx->opt->quiet) {
		printf("Created an encrypted journal in %s\nThis device is %s.\n"
		       "Keep the passphrase safe: without it nobody, including you, can open the journal.\n",
		       shown, dev);
		return 0;
	}
	printf("%s\n", dev);
	cli_note(ctx->opt, "created an encrypted journal in %s (device %s)", shown, dev);
	return 0;
}

/* `init --join FILE`: adopt the team of a join file with the passphrase still in hand. */
static int join_team(struct cli_ctx *ctx, const struct pass *p, const char *file, const char *pass_file)
{
	struct pass jp = {NULL, 0};
	cairn_journal *j = NULL;
	int rc = pass_read_join(pass_file, &jp, 0);

	if (rc)
		return rc;
	rc = cairn_journal_open(&j, ctx->dir, p->buf, p->len);
	if (!rc)
		rc = cairn_team_join(j, file, jp.buf, jp.len);
	cairn_journal_free(j);
	pass_free(&jp);
	if (rc)
		return cli_lib_fail(rc);
	cli_note(ctx->opt, "joined the team of %s", file);
	return 0;
}

int cli_create_journal(struct cli_ctx *ctx, const char *kdf, struct pass *out, char *shown, size_t n)
{
	cairn_init_options io = CAIRN_INIT_OPTIONS_INIT;
	struct pass_source src;
	struct pass p = {NULL, 0};
	char prompt[600];
	int rc;

	if ((rc = parse_kdf(kdf, &io.kdf)) || (rc = session_dir(ctx)))
		return rc;
	session_dir_shown(ctx, shown, n);
	/* Say so before asking for a passphrase twice; the library checks again (CAIRN_EEXISTS). */
	if (session_has_key(ctx))
		return cli_fail(CLI_EXIT_EXISTS, "a journal already exists in '%s'", shown);
	if ((rc = pass_source_open(&src, ctx->opt)))
		return rc;
	snprintf(prompt, sizeof(prompt), "New passphrase for %s: ", shown);
	rc = pass_read(&src, &p, prompt, "Repeat the passphrase: ", "passphrase");
	pass_source_close(&src);
	if (rc || (rc = make_parents(ctx->dir))) {
		pass_free(&p);
		return rc;
	}
	rc = cairn_journal_init(ctx->dir, p.buf, p.len, &io);
	if (rc) {
		pass_free(&p);
		return cli_lib_fail(rc);
	}
	*out = p;
	return 0;
}

#ifdef CAIRN_HAVE_SYNC
/* `init --remote URL [--org KEY]`: the central remote, the pinned org key, the enrollment request sent. */
static int enroll(struct cli_ctx *ctx, const char *url, const char *org)
{
	cairn_sync *s = NULL;
	int rc = cairn_sync_open(&s, ctx->j);

	if (!rc)
		rc = cairn_remote_add(s, "central", url, NULL);
	if (!rc && org)
		rc = cairn_sync_enroll(s, org);
	if (rc) {
		cairn_sync_free(s);
		return cli_lib_fail(rc);
	}
	rc = cairn_sync_run(s, "central", NULL, NULL, NULL);
	cairn_sync_free(s);
	if (rc)
		cli_warn("could not reach remote 'central' (%s): the enrollment request goes out with the next "
		         "'cairn sync'",
		         cairn_error_last());
	else if (org)
		cli_note(ctx->opt, "asked the office to enroll this device; until it does, records stay here");
	return 0;
}
#endif

static int run_init(struct cli_ctx *ctx, const struct cli_args *a)
{
	struct pass p = {NULL, 0};
	char shown[512];
	int rc;

#ifdef CAIRN_HAVE_SYNC
	if (args_get(a, "org") && !args_get(a, "remote"))
		return cli_usage("--org needs --remote URL (the office's central repository)");
#endif
	if (args_get(a, "worker") && (rc = check_line(args_get(a, "worker"), "--worker", 200)))
		return rc;
	if ((rc = cli_create_journal(ctx, args_get(a, "kdf"), &p, shown, sizeof(shown))))
		return rc;
	rc = report_init(ctx, &p, shown);
	if (!rc && args_get(a, "worker") && (rc = cairn_worker_set(ctx->j, args_get(a, "worker"))))
		rc = cli_lib_fail(rc);
	if (!rc && args_get(a, "join"))
		rc = join_team(ctx, &p, args_get(a, "join"), args_get(a, "join-passphrase-file"));
#ifdef CAIRN_HAVE_SYNC
	if (!rc && args_get(a, "remote"))
		rc = enroll(ctx, args_get(a, "remote"), args_get(a, "org"));
#endif
	pass_free(&p);
	return rc;
}

/* On a terminal, check the current passphrase before asking for a new one twice. */
static int verify_old(struct cli_ctx *ctx, const struct pass *old)
{
	unsigned char *key = NULL;
	int rc = cairn_key_unlock(&key, ctx->dir, old->buf, old->len);

	cairn_key_free(key);
	return rc ? cli_lib_fail(rc) : 0;
}

static int read_new(const struct cli_args *a, struct pass_source *src, struct pass *np)
{
	const char *file = args_get(a, "new-passphrase-file");
	struct pass_source nsrc;
	int rc;

	if (!file)
		return pass_read(src, np, "New passphrase: ", "Repeat the new passphrase: ", "new passphrase");
	if ((rc = pass_source_open_file(&nsrc, file)))
		return rc;
	rc = pass_read(&nsrc, np, NULL, NULL, "new passphrase");
	pass_source_close(&nsrc);
	return rc;
}

static int run_passwd(struct cli_ctx *ctx, const struct cli_args *a)
{
	struct pass_source src;
	struct pass old = {NULL, 0}, np = {NULL, 0};
	cairn_kdf_level kdf;
	char shown[512], prompt[600];
	int rc;

	if ((rc = parse_kdf(args_get(a, "kdf"), &kdf)) || (rc = session_check_journal(ctx)))
		return rc;
	if ((rc = pass_source_open(&src, ctx->opt)))
		return rc;
	snprintf(prompt, sizeof(prompt), "Current passphrase for %s: ", session_dir_shown(ctx, shown, sizeof(shown)));
	rc = pass_read(&src, &old, prompt, NULL, "current passphrase");
	if (!rc && src.tty)
		rc = verify_old(ctx, &old);
	if (!rc)
		rc = read_new(a, &src, &np);
	pass_source_close(&src);
	if (!rc) {
		rc = cairn_journal_passwd(ctx->dir, old.buf, old.len, np.buf, np.len, kdf);
		rc = rc ? cli_lib_fail(rc) : 0;
	}
	pass_free(&old);
	pass_free(&np);
	if (rc)
		return rc;
	if (ctx->opt->json)
		return out_json(ctx->opt, json_pack("{s:s,s:b}", "dir", ctx->dir, "changed", 1));
	if (!ctx->opt->quiet)
		printf("Changed the passphrase of %s.\n", shown);
	return 0;
}

const struct cli_sub cmd_init_subs[] = {
        {NULL, "", 0, 0, "Create a new encrypted journal and print this device's id.",
         "The journal goes in --dir DIR, else $CAIRN_DIR, else $XDG_DATA_HOME/cairn, else\n"
         "~/.local/share/cairn (created with mode 0700). The passphrase is asked twice on the terminal,\n"
         "or read from the first line of --passphrase-file FILE / --passphrase-fd N. It cannot be\n"
         "recovered: keep it somewhere safe. Fails (exit 9) if a journal already exists there.\n"
         "With --remote URL --org FINGERPRINT the device pins the office's org key, adds the central\n"
         "repository as remote 'central' and pushes its signed enrollment request; until the office\n"
         "approves it ('cairn office enroll approve'), records are kept here and nothing is sealed.\n",
         init_opts, run_init},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_passwd_subs[] = {
        {NULL, "", 0, 0, "Change the journal's passphrase (the data is not re-encrypted).",
         "On a terminal: the current passphrase, then the new one twice.\n"
         "With --passphrase-file FILE (or --passphrase-fd N): line 1 is the current passphrase and\n"
         "line 2 the new one, unless --new-passphrase-file gives the new one. A wrong current\n"
         "passphrase exits 3 and leaves the key file untouched.\n",
         passwd_opts, run_passwd},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
