/*
 * cmd_agent.c — `cairn agent`, `cairn lock`, `cairn unlock`: the sync agent that syncs whenever a remote
 * can be reached, and holds the unlocked session so that other commands skip the passphrase (and its
 * Argon2id cost). The daemon itself is sync/agent.c; this file starts it and talks to it.
 */
#ifdef CAIRN_HAVE_AGENT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn_agent.h"
#include "cli.h"
#include "output.h"
#include "passphrase.h"
#include "table.h"

static const struct cli_opt agent_opts[] = {
        {"detach", 0, NULL, "run in the background (logs to DIR/agent.log unless --log-file)", 0},
        {"locked", 0, NULL, "start locked: no passphrase now, 'cairn unlock' later", 0},
        {"config", 0, "FILE", "agent settings (default $XDG_CONFIG_HOME/cairn/config)", 0},
        {"log-file", 0, "FILE", "append the log to FILE instead of stderr", 0},
        {"log-level", 0, "LEVEL", "error, warn, info (default) or debug", 0},
        CLI_OPT_END,
};

static int agent_fail(struct cli_ctx *ctx, int rc)
{
	char shown[512];
	if (rc == CAIRN_ENOTFOUND)
		return cli_fail(CLI_EXIT_NOTFOUND, "no agent runs for '%s': start one with 'cairn agent --detach'",
		                session_dir_shown(ctx, shown, sizeof(shown)));
	return cli_lib_fail(rc);
}

/* ---- status ---- */

static int render_agent(void *ud, const json_t *doc)
{
	static const char *const head[] = {"REMOTE",     "REACHABLE", "LAST SUCCESS", "NEXT ATTEMPT", "FAILURES",
	                                   "LAST ERROR", NULL};
	struct cli_ctx *ctx = ud;
	const json_t *r;
	struct table t;
	size_t i;
	const char *round = js_str(doc, "round");
	printf("agent pid %lld: %s, %s\n", js_int(doc, "pid"), js_true(doc, "locked") ? "locked" : "unlocked",
	       round ? "syncing" : "idle");
	if (!json_array_size(json_object_get(doc, "remotes"))) {
		cli_note(ctx->opt, "no remotes yet: cairn remote add NAME URL");
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(json_object_get(doc, "remotes"), i, r)
	{
		const json_t *re = json_object_get(r, "reachable");
		char fails[16];
		snprintf(fails, sizeof(fails), "%lld", js_int(r, "failures"));
		const char *row[] = {js_str(r, "name"),
		                     json_is_null(re) || !re ? "?"
		                     : json_is_true(re)      ? "yes"
		                                             : "no",
		                     js_str(r, "last_success") ? js_str(r, "last_success") : "never",
		                     js_str(r, "next_attempt") ? js_str(r, "next_attempt") : "(locked)",
		                     fails,
		                     js_str(r, "last_error") ? js_str(r, "last_error") : ""};
		table_add(&t, row);
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int agent_status(struct cli_ctx *ctx)
{
	char *text = NULL;
	int rc = session_dir(ctx);
	if (rc)
		return rc;
	if ((rc = cairn_agent_request(ctx->dir, "status", &text)))
		return agent_fail(ctx, rc);
	return out_query(ctx->opt, 0, text, render_agent, ctx);
}

/* ---- start ---- */

/*
 * Read the passphrase (terminal, --passphrase-file or --passphrase-fd) and hand it to `use`, with three
 * tries on a terminal, as any command does. `use` returns 0 or a CAIRN_E* code; this returns an exit code.
 */
typedef int (*pass_use_fn)(struct cli_ctx *ctx, const struct pass *p, void *ud);
static int with_passphrase(struct cli_ctx *ctx, pass_use_fn use, void *ud)
{
	struct pass_source src;
	char shown[512], prompt[600];
	int rc, tries;
	if ((rc = pass_source_open(&src, ctx->opt)))
		return rc;
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", session_dir_shown(ctx, shown, sizeof(shown)));
	for (tries = 1;; tries++) {
		struct pass p = {NULL, 0};
		if ((rc = pass_read(&src, &p, prompt, NULL, "passphrase")))
			break;
		rc = use(ctx, &p, ud);
		pass_free(&p);
		if (rc == CAIRN_EAUTH && src.tty && tries < 3) {
			cli_lib_fail(rc);
			continue;
		}
		rc = rc ? agent_fail(ctx, rc) : 0;
		break;
	}
	pass_source_close(&src);
	return rc;
}

/* The agent's initial key, unless --locked. */
static int use_for_start(struct cli_ctx *ctx, const struct pass *p, void *ud)
{
	unsigned char *key = NULL;
	int rc = cairn_key_unlock(&key, ctx->dir, p->buf ? p->buf : "", p->len);
	if (!rc)
		rc = cairn_agent_set_key(ud, key);
	cairn_key_free(key);
	return rc;
}

/* Close the descriptors this process was given by whoever started it (those without close-on-exec:
 * every one cairn opens has it, the agent's claim and log included). */
static void close_inherited(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int self = d ? dirfd(d) : -1;

	if (!d) {
		for (int fd = 3; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) == 0) /* open, and no FD_CLOEXEC */
				close(fd);
		return;
	}
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (fd >= 3 && fd != self && fcntl(fd, F_GETFD) == 0)
			close(fd);
	}
	closedir(d);
}

/* Fork; the parent waits for the child's "ready" line (the socket listens) and reports its pid. */
static int detach(struct cli_ctx *ctx, int fds[2], const char *log)
{
	char buf[8] = "";
	pid_t pid = fork();
	if (pid < 0)
		return cli_fail(CLI_EXIT_FAIL, "cannot start the agent in the background: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		close(fds[0]);
		setsid();
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			close(null);
		}
		/* A daemon keeps nothing of its starter: not its working directory (a USB stick could not be
		 * unmounted), nor a descriptor it passed by accident (--passphrase-fd 3, the write end of a
		 * pipe someone waits on). The journal's path was made absolute before (run_agent). */
		close_inherited();
		if (chdir("/") != 0)
			return cli_fail(CLI_EXIT_FAIL, "cannot leave the working directory: %s", strerror(errno));
		return -1; /* the child goes on to run the agent */
	}
	close(fds[1]);
	while (read(fds[0], buf, sizeof(buf) - 1) < 0 && errno == EINTR)
		;
	close(fds[0]);
	if (strncmp(buf, "ready", 5))
		return cli_fail(CLI_EXIT_FAIL, "the agent did not start: see its log '%s'", log);
	if (ctx->opt->json)
		return out_json(ctx->opt, json_pack("{sisbss}", "pid", (int)pid, "detached", 1, "log", log));
	if (!ctx->opt->quiet)
		printf("cairn agent started (pid %d); log: %s\n", (int)pid, log);
	return 0;
}

static int run_agent(struct cli_ctx *ctx, const struct cli_args *a)
{
	static const char *const levels[] = {"error", "warn", "info", "debug", NULL};
	cairn_agent_options o = CAIRN_AGENT_OPTIONS_INIT;
	const char *lvl = args_get(a, "log-level");
	int fds[2] = {-1, -1}, rc, detached = args_count(a, "detach") > 0;
	char log[4200], absdir[PATH_MAX], abscfg[PATH_MAX];
	cairn_agent *ag = NULL;
	if (a->npos && strcmp(a->pos[0], "status"))
		return cli_usage("'%s' is not an agent command: 'cairn agent' runs it, 'cairn agent status' asks it",
		                 a->pos[0]);
	if (a->npos)
		return agent_status(ctx);
	if (lvl) {
		for (o.log_level = 0; levels[o.log_level] && strcmp(levels[o.log_level], lvl); o.log_level++)
			;
		if (!levels[o.log_level])
			return cli_usage("--log-level takes error, warn, info or debug, not '%s'", lvl);
	}
	if ((rc = session_check_journal(ctx)))
		return rc;
	o.dir = ctx->dir;
	if (detached && !(o.dir = realpath(ctx->dir, absdir))) /* the daemon leaves the working directory */
		return cli_fail(CLI_EXIT_NOTFOUND, "cannot resolve '%s': %s", ctx->dir, strerror(errno));
	o.config = args_get(a, "config");
	/* SIGHUP reloads it, after the daemon left the working directory */
	if (detached && o.config && !(o.config = realpath(args_get(a, "config"), abscfg)))
		return cli_fail(CLI_EXIT_NOTFOUND, "cannot read the agent config '%s': %s", args_get(a, "config"),
		                strerror(errno));
	o.log_file = args_get(a, "log-file");
	if (detached && !o.log_file) {
		snprintf(log, sizeof(log), "%s/agent.log", o.dir);
		o.log_file = log;
	}
	if (detached && pipe2(fds, O_CLOEXEC))
		return cli_fail(CLI_EXIT_FAIL, "cannot create a pipe: %s", strerror(errno));
	o.ready_fd = fds[1];
	if ((rc = cairn_agent_open(&ag, &o)))
		goto out_fail;
	if (!args_count(a, "locked") && (rc = with_passphrase(ctx, use_for_start, ag)))
		goto out;
	if (detached && (rc = detach(ctx, fds, o.log_file)) >= 0)
		goto out; /* the parent */
	if (detached && (rc = cairn_agent_forked(ag)))
		goto out_fail;
	rc = cairn_agent_run(ag);
	if (rc)
		rc = cli_lib_fail(rc);
	goto out;
out_fail:
	rc = rc == CAIRN_EEXISTS ? cli_fail(CLI_EXIT_EXISTS, "%s", cairn_error_last()) : cli_lib_fail(rc);
out:
	if (fds[0] >= 0 && !detached)
		close(fds[0]);
	cairn_agent_free(ag);
	return rc;
}

const struct cli_sub cmd_agent_subs[] = {
        {NULL, "[status]", 0, 1, "Run the sync agent, or show what it is doing.",
         "The agent syncs with every remote soon after a change, every few minutes for what others\n"
         "wrote, and at once when a network or a USB stick appears; failures back off. While it runs\n"
         "unlocked, other commands use its session and ask for no passphrase. It locks itself (wipes\n"
         "the key) after an idle time and on 'cairn lock'. SIGHUP reloads the config, SIGTERM stops it\n"
         "after the current round. Settings: README, section 'The sync agent'.\n"
         "'cairn agent status' shows, per remote: reachable, last success, last error, next attempt.\n"
         "\n"
         "Examples:\n"
         "  cairn agent --detach\n"
         "  cairn agent status\n"
         "  cairn sync --now\n",
         agent_opts, run_agent},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

/* ---- lock / unlock ---- */

static int run_lock(struct cli_ctx *ctx, const struct cli_args *a)
{
	int rc = session_dir(ctx);
	(void)a;
	if (rc)
		return rc;
	if ((rc = cairn_agent_request(ctx->dir, "lock", NULL)))
		return agent_fail(ctx, rc);
	return out_written(ctx->opt, json_pack("{ss}", "id", "locked"), "locked",
	                   "the agent is locked: its key is wiped ('cairn unlock' to resume)");
}

static int use_for_unlock(struct cli_ctx *ctx, const struct pass *p, void *ud)
{
	(void)ud;
	return cairn_agent_unlock(ctx->dir, p->buf ? p->buf : "", p->len);
}

static int run_unlock(struct cli_ctx *ctx, const struct cli_args *a)
{
	int rc;
	(void)a;
	if ((rc = session_check_journal(ctx)) || (rc = with_passphrase(ctx, use_for_unlock, NULL)))
		return rc;
	return out_written(ctx->opt, json_pack("{ss}", "id", "unlocked"), "unlocked",
	                   "the agent is unlocked: commands use its session");
}

const struct cli_sub cmd_lock_subs[] = {
        {NULL, "", 0, 0, "Lock the running agent: it wipes its key and stops syncing.",
         "Commands ask for the passphrase again until 'cairn unlock'.\n"
         "\n"
         "Examples:\n"
         "  cairn lock\n",
         cli_no_opts, run_lock},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

const struct cli_sub cmd_unlock_subs[] = {
        {NULL, "", 0, 0, "Unlock the running agent with the journal's passphrase.",
         "The passphrase is read without echo (or from --passphrase-file / --passphrase-fd) and sent\n"
         "over the agent's socket, never as an argument.\n"
         "\n"
         "Examples:\n"
         "  cairn unlock\n",
         cli_no_opts, run_unlock},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
#endif
