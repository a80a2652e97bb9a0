/* cmd_init.c — `cairn init` and `cairn passwd`: creating a journal and changing its passphrase. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
        {"remote", 0, "URL", "the office's central repository: remote 'central' (URL as for 'remote add')", 0},
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

/* Everything `init` can check before it asks for a passphrase and creates anything. */
static int check_init_args(const struct cli_args *a, const char **url, char *buf, size_t n)
{
	const char *join = args_get(a, "join"), *jpf = args_get(a, "join-passphrase-file");
	int rc, fd;

	*url = NULL;
#ifdef CAIRN_HAVE_SYNC
	const char *org = args_get(a, "org");
	if (org && !args_get(a, "remote"))
		return cli_usage("--org needs --remote URL (the office's central repository)");
	if (org && (strlen(org) != 64 || strspn(org, "0123456789abcdefABCDEF") != 64))
		return cli_usage("--org takes the office's org key fingerprint (64 hex digits, printed by 'cairn "
		                 "office init'), not '%s'",
		                 org);
	if (args_get(a, "remote") && (rc = cli_remote_url(args_get(a, "remote"), url, buf, n)))
		return rc;
#else
	(void)buf;
	(void)n;
#endif
	if (args_get(a, "worker") && (rc = check_line(args_get(a, "worker"), "--worker", 200)))
		return rc;
	if (!join)
		return 0;
	if (access(join, R_OK) != 0)
		return cli_fail(CLI_EXIT_NOTFOUND, "cannot read join file '%s': %s", join, strerror(errno));
	if (jpf && access(jpf, R_OK) != 0)
		return cli_usage("cannot read --join-passphrase-file '%s': %s", jpf, strerror(errno));
	if (!jpf) {
		if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
			return cli_usage("no passphrase for the join file: run in a terminal or pass "
			                 "--join-passphrase-file FILE");
		close(fd);
	}
	return 0;
}

/* The new passphrase (twice on a terminal), read before anything is created. */
static int read_new_pass(struct cli_ctx *ctx, const char *kdf, cairn_init_options *io, struct pass *p, char *shown,
                         size_t n)
{
	struct pass_source src;
	char prompt[600];
	int rc;

	if ((rc = parse_kdf(kdf, &io->kdf)) || (rc = session_dir(ctx)))
		return rc;
	session_dir_shown(ctx, shown, n);
	/* Say so before asking for a passphrase twice; the library checks again (CAIRN_EEXISTS). */
	if (session_has_key(ctx))
		return cli_fail(CLI_EXIT_EXISTS, "a journal already exists in '%s'", shown);
	if ((rc = pass_source_open(&src, ctx->opt)))
		return rc;
	snprintf(prompt, sizeof(prompt), "New passphrase for %s: ", shown);
	rc = pass_read(&src, p, prompt, "Repeat the passphrase: ", "passphrase");
	pass_source_close(&src);
	return rc;
}

static int create_journal(struct cli_ctx *ctx, const cairn_init_options *io, const struct pass *p)
{
	int rc = make_parents(ctx->dir);

	if (!rc && (rc = cairn_journal_init(ctx->dir, p->buf, p->len, io)))
		rc = cli_lib_fail(rc);
	return rc;
}

/*
 * A failed `init` takes back what it made, so that the same command can simply run again: the files
 * below that were not there before (logs.git/cairn.lock: the sync lock, in a logs.git that was), and the
 * directories it created. Nothing that was there is touched.
 */
static const char *const made_names[CLI_UNDO_NAMES] = {
        "key",     "journal.db", "journal.db-wal", "journal.db-shm", "journal.db-journal", "logs.git/cairn.lock",
        "logs.git"};
#define N_MADE CLI_UNDO_NAMES

/* "a/b/" -> "a/b", "a/b" -> "a": the parent, in place. Returns 0 at the top. */
static int up(char *p, int strip_only)
{
	char *s;
	size_t l = strlen(p);

	while (l > 1 && p[l - 1] == '/')
		p[--l] = '\0';
	if (strip_only)
		return 1;
	if (!(s = strrchr(p, '/')) || s == p)
		return 0;
	*s = '\0';
	return up(p, 1);
}

/*
 * The journal directory as the kernel will find it: the real path of its longest existing prefix, then
 * the components still to be made, none of them "." or "..". Checked and undone by name, "new/../mine"
 * would name "mine" only once "new" was made: a failed run would then remove what was already there.
 */
static int resolve_new_dir(struct cli_ctx *ctx)
{
	char *copy = strdup(ctx->dir), *comp[256], *save = NULL, *c, real[PATH_MAX], prefix[PATH_MAX], *out;
	size_t nc = 0, k, need;
	int found = 0;

	if (!copy)
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	for (c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (nc == sizeof(comp) / sizeof(comp[0])) {
			free(copy);
			return cli_usage("'%s' has too many components", ctx->dir);
		}
		comp[nc++] = c;
	}
	for (k = nc + 1; !found && k-- > 0;) { /* the longest prefix that exists */
		int len = snprintf(prefix, sizeof(prefix), "%s", ctx->dir[0] == '/' ? "/" : (k ? "" : "."));
		for (size_t i = 0; i < k && len < (int)sizeof(prefix); i++)
			len += snprintf(prefix + len, sizeof(prefix) - (size_t)len, "%s%s", i ? "/" : "", comp[i]);
		if (len >= (int)sizeof(prefix)) {
			free(copy);
			return cli_usage("'%s' is too long", ctx->dir);
		}
		if (realpath(prefix, real))
			found = 1;
		else if (errno != ENOENT && errno != ENOTDIR) {
			free(copy);
			return cli_fail(CLI_EXIT_IO, "cannot use '%s': %s", ctx->dir, strerror(errno));
		}
	}
	if (!found) {
		free(copy);
		return cli_fail(CLI_EXIT_IO, "cannot use '%s': no part of it can be found", ctx->dir);
	}
	need = strlen(real) + 1;
	for (size_t i = k; i < nc; i++) {
		if (!strcmp(comp[i], ".") || !strcmp(comp[i], "..")) {
			int dots = (int)strlen(comp[i]); /* the message outlives copy */
			free(copy);
			return cli_usage("'%s' goes through '%s' after a directory that does not exist yet; give the "
			                 "directory without it",
			                 ctx->dir, dots == 1 ? "." : "..");
		}
		need += strlen(comp[i]) + 1;
	}
	if (!(out = malloc(need))) {
		free(copy);
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	}
	snprintf(out, need, "%s", real);
	for (size_t i = k; i < nc; i++) {
		if (strcmp(out, "/"))
			strcat(out, "/");
		strcat(out, comp[i]);
	}
	free(copy);
	free(ctx->dir);
	ctx->dir = out;
	return 0;
}

static int undo_note(struct cli_undo *u, const char *dir)
{
	char path[4200], *p;
	struct stat st;

	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < N_MADE; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, made_names[i]);
		u->had[i] = lstat(path, &st) == 0 || errno != ENOENT; /* when in doubt, it was there */
	}
	if (!(u->dir = strdup(dir)) || !(p = strdup(dir)))
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	up(u->dir, 1);
	up(p, 1);
	while (lstat(p, &st) != 0 && errno == ENOENT) {
		u->top = strlen(p);
		if (!up(p, 0))
			break;
	}
	free(p);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0 && errno != ENOENT)
		cli_warn("could not remove '%s': %s", path, strerror(errno));
	return 0;
}

void cli_rm_tree(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

void cli_undo_run(struct cli_ctx *ctx, struct cli_undo *u)
{
	char path[4200];
	int db_had = 0;

	for (size_t i = 0; i < N_MADE; i++)
		db_had |= u->had[i] && strncmp(made_names[i], "logs.git", 8);
	/* Nothing this run did not create: a journal another init made meanwhile (EEXISTS) stays whole. */
	for (size_t i = 0; !u->created && i < N_MADE; i++)
		u->had[i] = 1;
	if (ctx->j) {
		/* The key file and database as a wipe removes them (overwritten first), when all are ours. */
		if (!db_had)
			cairn_journal_destroy(ctx->j);
		cairn_journal_free(ctx->j);
		ctx->j = NULL;
	}
	for (size_t i = 0; i < N_MADE; i++) {
		if (u->had[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", u->dir, made_names[i]);
		if (!strcmp(made_names[i], "logs.git"))
			cli_rm_tree(path);
		else if (unlink(path) != 0 && errno != ENOENT)
			cli_warn("could not remove '%s': %s", path, strerror(errno));
	}
	while (u->top && strlen(u->dir) >= u->top) {
		if (rmdir(u->dir) != 0) {
			if (errno != ENOENT)
				cli_warn("could not remove '%s': %s", u->dir, strerror(errno));
			break;
		}
		if (!up(u->dir, 0))
			break;
	}
}

void cli_undo_free(struct cli_undo *u)
{
	free(u->dir);
	u->dir = NULL;
}

int cli_create_journal(struct cli_ctx *ctx, const char *kdf, struct pass *out, char *shown, size_t n,
                       struct cli_undo *u)
{
	cairn_init_options io = CAIRN_INIT_OPTIONS_INIT;
	struct pass p = {NULL, 0};
	int rc;

	memset(u, 0, sizeof(*u));
	if (!(rc = session_dir(ctx)) && !(rc = resolve_new_dir(ctx)) &&
	    !(rc = read_new_pass(ctx, kdf, &io, &p, shown, n)) && !(rc = undo_note(u, ctx->dir))) {
		rc = create_journal(ctx, &io, &p);
		u->created = rc == 0;
		if (rc)
			cli_undo_run(ctx, u); /* the directories it made */
	}
	if (rc)
		pass_free(&p);
	else
		*out = p;
	return rc;
}

/* Only once everything succeeded: the device id the library minted. */
static int report_init(struct cli_ctx *ctx, const char *shown)
{
	const char *dev = cairn_journal_device(ctx->j);

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

#ifdef CAIRN_HAVE_SYNC
/* `init --remote URL [--org KEY]`: the central remote and the pinned org key, with its enrollment request. */
static int add_central(struct cli_ctx *ctx, cairn_sync **s, const char *url, const char *org)
{
	int rc = cairn_sync_open(s, ctx->j);

	if (!rc)
		rc = cairn_remote_add(*s, "central", url, NULL);
	if (!rc && org)
		rc = cairn_sync_enroll(*s, org);
	return rc ? cli_lib_fail(rc) : 0;
}

/* The first round sends the request; an office out of reach only delays it, so the journal stays. */
static void first_sync(struct cli_ctx *ctx, cairn_sync *s, const char *org)
{
	if (cairn_sync_run(s, "central", NULL, NULL, NULL))
		cli_warn("could not reach remote 'central' (%s): the enrollment request goes out with the next "
		         "'cairn sync'",
		         cairn_error_last());
	else if (org)
		cli_note(ctx->opt, "asked the office to enroll this device; until it does, records stay here");
}
#endif

static int run_init(struct cli_ctx *ctx, const struct cli_args *a)
{
	cairn_init_options io = CAIRN_INIT_OPTIONS_INIT;
	struct pass p = {NULL, 0}, jp = {NULL, 0};
	const char *join = args_get(a, "join"), *worker = args_get(a, "worker"), *url = NULL;
	char shown[512], buf[4096];
	struct cli_undo u = {0, NULL, 0, {0}};
	int rc;
#ifdef CAIRN_HAVE_SYNC
	cairn_sync *s = NULL;
#endif

	if ((rc = check_init_args(a, &url, buf, sizeof(buf))) || (rc = session_dir(ctx)) ||
	    (rc = resolve_new_dir(ctx)) ||
	    (rc = read_new_pass(ctx, args_get(a, "kdf"), &io, &p, shown, sizeof(shown))) ||
	    (join && (rc = pass_read_join(args_get(a, "join-passphrase-file"), &jp, 0))) ||
	    (rc = undo_note(&u, ctx->dir)))
		goto out;
	rc = create_journal(ctx, &io, &p);
	u.created = rc == 0;
	if (!rc && (rc = cairn_journal_open(&ctx->j, ctx->dir, p.buf, p.len)))
		rc = cli_fail(cli_exit_code(rc), "cannot open the new journal in '%s': %s", shown, cairn_error_last());
	if (!rc && worker && (rc = cairn_worker_set(ctx->j, worker)))
		rc = cli_lib_fail(rc);
	/* A wrong join passphrase shows only here (the Argon2id unwrap needs the journal). */
	if (!rc && join && (rc = cairn_team_join(ctx->j, join, jp.buf, jp.len)))
		rc = cli_lib_fail(rc);
#ifdef CAIRN_HAVE_SYNC
	if (!rc && url)
		rc = add_central(ctx, &s, url, args_get(a, "org"));
	if (rc) {
		cairn_sync_free(s);
		s = NULL;
	}
#endif
	if (rc) {
		cli_undo_run(ctx, &u);
		goto out;
	}
	rc = report_init(ctx, shown);
	if (join)
		cli_note(ctx->opt, "joined the team of %s", join);
#ifdef CAIRN_HAVE_SYNC
	if (s)
		first_sync(ctx, s, args_get(a, "org"));
	cairn_sync_free(s);
#endif
out:
	cli_undo_free(&u);
	pass_free(&p);
	pass_free(&jp);
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
         "approves it ('cairn office enroll approve'), records are kept here and nothing is sealed.\n"
         "The join file, --org, --remote and the passphrase files are checked before anything is\n"
         "created. A step that fails later (a wrong join passphrase) removes what this run created, so\n"
         "the same command can simply run again; nothing that was there before is touched.\n"
         "\n"
         "Examples:\n"
         "  cairn init --worker \"Sam Rivera\"\n"
         "  cairn init --worker \"Jo Park\" --join team.join --join-passphrase-file join.pass\n"
         "  cairn init --remote ssh://git@office.example/srv/git/central.git --org FINGERPRINT\n",
         init_opts, run_init},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_passwd_subs[] = {
        {NULL, "", 0, 0, "Change the journal's passphrase (the data is not re-encrypted).",
         "On a terminal: the current passphrase, then the new one twice.\n"
         "With --passphrase-file FILE (or --passphrase-fd N): line 1 is the current passphrase and\n"
         "line 2 the new one, unless --new-passphrase-file gives the new one. A wrong current\n"
         "passphrase exits 3 and leaves the key file untouched.\n"
         "\n"
         "Examples:\n"
         "  cairn passwd\n"
         "  cairn passwd --new-passphrase-file new.pass\n",
         passwd_opts, run_passwd},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
