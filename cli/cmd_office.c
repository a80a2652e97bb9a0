/*
 * cmd_office.c — `cairn office` (the central office: org key, central repository, enrollment, revocation,
 * wipe orders), `cairn hook pre-receive` (what the central repository runs on every push) and
 * `cairn serve` (a device serving its log repository to teammates in the field).
 *
 * The office is a journal of its own (its data directory, --dir): the org signing key and every team key
 * live only inside it, encrypted like any journal.
 */
#ifdef CAIRN_HAVE_SYNC
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn_sync.h"
#include "check.h"
#include "cli.h"
#include "init.h"
#include "output.h"
#include "table.h"

/* The command a hook runs: this very binary, by absolute path. */
static int hook_command(char *out, size_t n)
{
	char exe[4096];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k <= 0)
		return cli_fail(CLI_EXIT_IO, "cannot find the cairn binary: %s", strerror(errno));
	exe[k] = '\0';
	snprintf(out, n, "%s", exe);
	return 0;
}

static int office_repo(struct cli_ctx *ctx, char **repo)
{
	int rc = cairn_state_get(ctx->j, "office.repo", repo);
	if (rc == CAIRN_ENOTFOUND)
		return cli_fail(CLI_EXIT_NOTFOUND, "'%s' is not an office data directory (run 'cairn office init')",
		                ctx->dir);
	return rc ? cli_lib_fail(rc) : 0;
}

/* The nearest part of the repository's path that exists must be a directory (libgit2 would say "directory
 * exists" about a file in the way, and only once the office journal is made). */
static int repo_parent_ok(const char *repo)
{
	char p[4096], *slash;
	struct stat st;

	snprintf(p, sizeof(p), "%s", repo);
	while ((slash = strrchr(p, '/')) && slash != p) {
		*slash = '\0';
		if (stat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				return 0;
			return cli_usage("cannot create the central repository '%s': '%s' is not a directory", repo, p);
		}
		if (errno != ENOENT && errno != ENOTDIR) /* ENOTDIR: a file further up, found next */
			return cli_fail(CLI_EXIT_IO, "cannot create the central repository '%s': %s: %s", repo, p,
			                strerror(errno));
	}
	return 0;
}

static const struct cli_opt init_opts[] = {
        {"repo", 0, "PATH", "where to create the central bare repository (default: DIR/central.git)", 0},
        {"kdf", 0, "LEVEL", "Argon2id cost of the office journal: default, interactive, min (tests only)", 0},
        CLI_OPT_END,
};

static int run_init(struct cli_ctx *ctx, const struct cli_args *a)
{
	struct pass p = {NULL, 0};
	char shown[512], repo[4096], cmd[4200], hex[65];
	unsigned char pk[32];
	cairn_sync *s = NULL;
	struct cli_undo u;
	int rc;
	if ((rc = hook_command(cmd, sizeof(cmd))) || (rc = session_dir(ctx)))
		return rc;
	if (args_get(a, "repo") && args_get(a, "repo")[0] != '/') {
		char cwd[2048];
		snprintf(repo, sizeof(repo), "%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".", args_get(a, "repo"));
	} else {
		snprintf(repo, sizeof(repo), "%s", args_get(a, "repo") ? args_get(a, "repo") : "");
	}
	if (!repo[0])
		snprintf(repo, sizeof(repo), "%s/central.git", ctx->dir);
	/* Before a passphrase is asked and a journal made: the office creates its repository itself. */
	if (access(repo, F_OK) == 0)
		return cli_fail(CLI_EXIT_EXISTS,
		                "'%s' already exists: the office creates its central repository "
		                "(choose another --repo)",
		                repo);
	if ((rc = repo_parent_ok(repo)))
		return rc;
	if ((rc = cli_create_journal(ctx, args_get(a, "kdf"), &p, shown, sizeof(shown), &u))) {
		cli_undo_free(&u);
		return rc;
	}
	rc = cairn_journal_open(&ctx->j, ctx->dir, p.buf, p.len);
	pass_free(&p);
	if (!rc && !(rc = cairn_office_init_repo(ctx->j, repo, cmd)) &&
	    !(rc = cairn_state_set(ctx->j, "office.repo", repo)) && !(rc = cairn_org_public_key(ctx->j, pk)) &&
	    !(rc = cairn_sync_open(&s, ctx->j)))
		rc = cairn_remote_add(s, "central", repo, NULL);
	cairn_sync_free(s);
	if (rc) {
		/* Take back this run's journal and repository (it did not exist), so that the command can run
		 * again as it is once the cause is mended. */
		rc = cli_lib_fail(rc);
		cli_rm_tree(repo);
		cli_undo_run(ctx, &u);
	}
	cli_undo_free(&u);
	if (rc)
		return rc;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", pk[i]);
	if (ctx->opt->json)
		return out_json(ctx->opt, json_pack("{ssssss}", "fingerprint", hex, "repo", repo, "dir", ctx->dir));
	printf("%s\n", hex);
	cli_note(ctx->opt,
	         "created the office in %s and the central repository %s; devices join with\n"
	         "  cairn init --remote URL --org %s",
	         shown, repo, hex);
	return 0;
}

static int open_office(struct cli_ctx *ctx, char **repo)
{
	int rc = session_open(ctx);
	return rc ? rc : office_repo(ctx, repo);
}

static int render_requests(void *ud, const json_t *doc)
{
	static const char *const head[] = {"DEVICE", "STATE", NULL};
	struct cli_ctx *ctx = ud;
	struct table t;
	const json_t *r;
	size_t i;
	if (!json_array_size(doc)) {
		cli_note(ctx->opt, "no enrollment requests yet");
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(doc, i, r)
	{
		const char *row[] = {js_str(r, "device"), js_str(r, "state")};
		table_add(&t, row);
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_enroll_list(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *repo = NULL, *text = NULL;
	int rc = open_office(ctx, &repo);
	(void)a;
	if (rc)
		return rc;
	rc = cairn_office_enroll_list(ctx->j, repo, &text);
	free(repo);
	return out_query(ctx->opt, rc, text, render_requests, ctx);
}

typedef int (*office_fn)(cairn_journal *, const char *, const char *);

static int office_change(struct cli_ctx *ctx, const struct cli_args *a, office_fn fn, const char *done)
{
	char *repo = NULL;
	int rc = check_device(a->pos[0], "DEVICE");
	if (rc || (rc = open_office(ctx, &repo)))
		return rc;
	rc = fn(ctx->j, repo, a->pos[0]);
	free(repo);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{ss}", "id", a->pos[0]), a->pos[0], "%s %s", done, a->pos[0]);
}

static int run_approve(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *repo = NULL;
	int rc = open_office(ctx, &repo);
	if (rc)
		return rc;
	rc = cairn_office_approve(ctx->j, repo, a->pos[0], args_get(a, "team"));
	free(repo);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{ssss}", "id", a->pos[0], "team", args_get(a, "team")), a->pos[0],
	                   "enrolled %s in team %s (the next sync of the device brings its key)", a->pos[0],
	                   args_get(a, "team"));
}

static int run_deny(struct cli_ctx *ctx, const struct cli_args *a)
{
	return office_change(ctx, a, cairn_office_deny, "denied");
}

static int run_revoke(struct cli_ctx *ctx, const struct cli_args *a)
{
	return office_change(ctx, a, cairn_office_revoke, "revoked (new key epoch for its team)");
}

static int supervisor_on(cairn_journal *j, const char *repo, const char *device)
{
	return cairn_office_supervisor(j, repo, device, 1);
}

static int supervisor_off(cairn_journal *j, const char *repo, const char *device)
{
	return cairn_office_supervisor(j, repo, device, 0);
}

static int run_supervisor(struct cli_ctx *ctx, const struct cli_args *a)
{
	int off = args_count(a, "off") > 0;
	return office_change(ctx, a, off ? supervisor_off : supervisor_on,
	                     off ? "no longer a supervisor:" : "made a supervisor (its sign-offs count):");
}

static int run_publish(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *repo = NULL;
	int rc = open_office(ctx, &repo);
	(void)a;
	if (rc)
		return rc;
	rc = cairn_office_publish(ctx->j, repo);
	free(repo);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{sb}", "published", 1), "", "published the resource directory");
}

static int run_wipe(struct cli_ctx *ctx, const struct cli_args *a)
{
	return office_change(ctx, a, cairn_office_wipe, "ordered a wipe of");
}

static int render_devices(void *ud, const json_t *doc)
{
	static const char *const head[] = {"DEVICE", "TEAM", "STATUS", "LAST SEQ", "SYNCED", "LAST SEEN", "WIPE", NULL};
	struct cli_ctx *ctx = ud;
	struct table t;
	const json_t *d;
	size_t i;
	table_init(&t, head);
	json_array_foreach(doc, i, d)
	{
		char seq[24], synced[40];
		snprintf(seq, sizeof(seq), "%lld%s", js_int(d, "last_seq"),
		         js_true(d, "head_signed") ? "" : " (unsigned)");
		if (js_true(d, "fully_synced"))
			snprintf(synced, sizeof(synced), "yes (signed)");
		else if (js_int(d, "synced_seq"))
			snprintf(synced, sizeof(synced), "at seq %lld", js_int(d, "synced_seq"));
		else
			snprintf(synced, sizeof(synced), "-");
		const char *row[] = {js_str(d, "device"),
		                     js_str(d, "team"),
		                     js_str(d, "status"),
		                     seq,
		                     synced,
		                     js_str(d, "last_seen"),
		                     js_true(d, "wipe") ? "pending" : ""};
		table_add(&t, row);
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_devices(struct cli_ctx *ctx, const struct cli_args *a)
{
	char *repo = NULL, *text = NULL;
	int rc = open_office(ctx, &repo);
	(void)a;
	if (rc)
		return rc;
	rc = cairn_office_devices(ctx->j, repo, &text);
	free(repo);
	return out_query(ctx->opt, rc, text, render_devices, ctx);
}

/* `cairn office enroll list|approve|deny` are one family in the table: "enroll" takes the verb. */
static int run_enroll(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *verb = a->pos[0];
	if (!strcmp(verb, "list"))
		return a->npos == 1 ? run_enroll_list(ctx, a) : cli_usage("'cairn office enroll list' takes no DEVICE");
	if (strcmp(verb, "approve") && strcmp(verb, "deny")) /* the verb first: 'enroll bogus' is no missing DEVICE */
		return cli_usage("'%s' is not a cairn office enroll command (list, approve, deny)", verb);
	if (a->npos != 2)
		return cli_usage("'cairn office enroll %s' needs a DEVICE. See 'cairn office --help'.", verb);
	struct cli_args b = *a;
	b.pos = a->pos + 1;
	b.npos = 1;
	if (!strcmp(verb, "approve")) {
		if (!args_get(a, "team"))
			return cli_usage("missing --team NAME for 'cairn office enroll approve'");
		return run_approve(ctx, &b);
	}
	return run_deny(ctx, &b);
}

static const struct cli_opt enroll_opts[] = {
        {"team", 0, "NAME",
         "approve: the team the device joins (created when new; the 32-hex id of a "
         "join-file team the office joined keeps that team's key)",
         0},
        CLI_OPT_END,
};

static const struct cli_opt supervisor_opts[] = {
        {"off", 0, NULL, "no longer a supervisor: its sign-offs stop counting (they stay in the record)", 0},
        CLI_OPT_END,
};

const struct cli_sub cmd_office_subs[] = {
        {"init", "", 0, 0, "Create the office: org signing key, office journal and central repository.",
         "The office's data directory (--dir) is an encrypted journal holding the org signing key and\n"
         "every team key. The central repository is a bare git repository made append-only\n"
         "(receive.denyNonFastForwards, receive.denyDeletes, receive.fsckObjects) with 'cairn hook\n"
         "pre-receive' installed. Prints the org key fingerprint devices pin with 'cairn init --org'.\n"
         "Serve the repository with ssh, git http-backend or git daemon (docs/office.md).\n"
         "\n"
         "Examples:\n"
         "  cairn --dir /srv/cairn/office office init --repo /srv/git/central.git\n",
         init_opts, run_init},
        {"enroll", "list | approve DEVICE --team NAME | deny DEVICE", 1, 2,
         "List enrollment requests, or approve or deny one.",
         "approve puts the device in a team in a new signed roster version, with every key epoch of\n"
         "the team sealed to the device's key. A team named for the first time is created.\n"
         "\n"
         "Examples:\n"
         "  cairn --dir /srv/cairn/office office enroll list\n"
         "  cairn --dir /srv/cairn/office office enroll approve DEVICE --team north\n"
         "  cairn --dir /srv/cairn/office office enroll deny DEVICE\n",
         enroll_opts, run_enroll},
        {"revoke", "DEVICE", 1, 1, "Revoke a device: its later segments are refused; its team gets a new key.",
         "The roster records the last seq the office accepted from the device; the hook refuses\n"
         "anything after it and every device quarantines it. The team's new key epoch is sealed to\n"
         "the remaining members only.\n"
         "\n"
         "Examples:\n"
         "  cairn --dir /srv/cairn/office office revoke DEVICE\n",
         cli_no_opts, run_revoke},
        {"supervisor", "DEVICE", 1, 1, "Make an enrolled device a supervisor (or, with --off, no longer).",
         "Once devices hold the office's roster, only a supervisor's 'cairn signoff' counts: 'cairn\n"
         "review' lists a note until a supervisor signed it off, and 'cairn signoff' on another device\n"
         "is refused. A revoked supervisor's earlier sign-offs still count; --off withdraws them.\n"
         "\n"
         "Examples:\n"
         "  cairn --dir /srv/cairn/office office supervisor DEVICE\n"
         "  cairn --dir /srv/cairn/office office supervisor DEVICE --off\n",
         supervisor_opts, run_supervisor},
        {"publish", "", 0, 0, "Publish the resource directory to the central repository again.",
         "'cairn resource add|set' and every roster change publish it already; this is for after one of\n"
         "those warned that publishing failed. Each publication is a new version for every team.\n"
         "\n"
         "Examples:\n"
         "  cairn --dir /srv/cairn/office office publish\n",
         cli_no_opts, run_publish},
        {"wipe", "DEVICE", 1, 1, "Order a device to push what it has not pushed, then destroy its keys.",
         "At the end of its next sync round that a remote confirms, the device overwrites and\n"
         "deletes its key file and deletes its database. A revoked device wipes without pushing.\n"
         "\n"
         "Examples:\n"
         "  cairn --dir /srv/cairn/office office wipe DEVICE\n",
         cli_no_opts, run_wipe},
        {"devices", "", 0, 0, "List devices: team, status, last seq, signed head, last seen, pending wipe.",
         "LAST SEQ is the tip of the device's log in the central repository. SYNCED is 'yes (signed)'\n"
         "when the device's own signed head says that tip held everything it had written when it last\n"
         "pushed (a relay can bring a log further than the device's last claim: 'at seq N'). LAST SEEN\n"
         "is the last update of its refs (the repository's reflog).\n"
         "\n"
         "Examples:\n"
         "  cairn --dir /srv/cairn/office office devices\n",
         cli_no_opts, run_devices},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

/* ---- hook ---------------------------------------------------------------------------------------- */

static int run_hook(struct cli_ctx *ctx, const struct cli_args *a)
{
	int rc;
	(void)ctx;
	(void)a;
	rc = cairn_hook_pre_receive(stdin, stderr);
	if (rc < 0)
		return cli_lib_fail(rc);
	return rc ? CLI_EXIT_OFFLINE : 0;
}

const struct cli_sub cmd_hook_subs[] = {
        {"pre-receive", "", 0, 0, "Check a push (git runs this in the central repository or a hub).",
         "Reads git's 'old new ref' lines on stdin. Accepts appends to logs/<device> whose new\n"
         "segments are signed by that device's enrolled key, roster versions signed by the org key\n"
         "pinned in the repository (cairn.orgkey), and signed enrollment requests; refuses deletions,\n"
         "rewrites and anything else, one line per refused ref. Needs no passphrase. Exit 7 on refusal.\n"
         "\n"
         "Examples:\n"
         "  # git runs it; check by hand that it works in the repository (no refs given: exit 0):\n"
         "  cd /srv/git/central.git && cairn hook pre-receive < /dev/null\n",
         cli_no_opts, run_hook},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

/* ---- serve --------------------------------------------------------------------------------------- */

static const struct cli_opt serve_opts[] = {
        {"listen", 0, "ADDR:PORT", "where to listen (default 0.0.0.0:9418; PORT 1-65535; IPv6: [::1]:9418)", 0},
        CLI_OPT_END,
};

/*
 * ADDR:PORT into git daemon's --listen and --port. Port 0 is refused: git daemon takes it for 9418, and a
 * port the system picked could not be told to teammates before the daemon runs (it replaces this process).
 */
static int parse_listen(const char *listen, char *host, size_t n, unsigned *port)
{
	const char *colon = strrchr(listen, ':');
	unsigned long long v;
	size_t hl;
	int rc;
	if (!colon || colon == listen || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return cli_usage("--listen takes ADDR:PORT (e.g. 0.0.0.0:9418), not '%s'", listen);
	hl = (size_t)(colon - listen);
	if (listen[0] == '[' ? hl < 3 || listen[hl - 1] != ']' : memchr(listen, ':', hl) != NULL)
		return cli_usage("--listen takes an IPv6 address in brackets ([::1]:9418), not '%s'", listen);
	if (listen[0] == '[')
		snprintf(host, n, "%.*s", (int)hl - 2, listen + 1);
	else
		snprintf(host, n, "%.*s", (int)hl, listen);
	if (strspn(colon + 1, "0") == strlen(colon + 1))
		return cli_usage("--listen needs a fixed port teammates can add (1-65535), not 0");
	if ((rc = check_uint(colon + 1, "the port of --listen", 1, 65535, &v)))
		return rc;
	*port = (unsigned)v;
	return 0;
}

/* Bind once here, so that what is announced is an address the daemon can take (it fails only after). */
static int probe_listen(const char *host, unsigned port, const char *shown)
{
	struct addrinfo hints, *res, *ai;
	char ps[8];
	int err, fd, ok = 0, e = 0, one = 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(ps, sizeof(ps), "%u", port);
	if ((err = getaddrinfo(host, ps, &hints, &res)))
		return cli_fail(CLI_EXIT_USAGE, "cannot listen on %s: %s", shown, gai_strerror(err));
	/* As git daemon: serving on one of the addresses is serving. */
	for (ai = res; ai; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			ok = 1;
		else
			e = errno;
		close(fd);
	}
	freeaddrinfo(res);
	return ok ? 0 : cli_fail(CLI_EXIT_FAIL, "cannot listen on %s: %s", shown, strerror(e));
}

static int run_serve(struct cli_ctx *ctx, const struct cli_args *a)
{
	const char *listen = args_get(a, "listen") ? args_get(a, "listen") : "0.0.0.0:9418";
	char host[256], addr[300], cmd[4200], repo[4200], base[4096], daemon[4200], lopt[300], popt[64];
	unsigned port = 0;
	FILE *p;
	int rc, v6, any;
	if ((rc = parse_listen(listen, host, sizeof(host), &port)))
		return rc;
	v6 = strchr(host, ':') != NULL;
	any = !strcmp(host, "0.0.0.0") || !strcmp(host, "::");
	snprintf(addr, sizeof(addr), v6 ? "[%s]:%u" : "%s:%u", host, port);
	if ((rc = session_dir(ctx)) || (rc = session_check_journal(ctx)) || (rc = hook_command(cmd, sizeof(cmd))))
		return rc;
	snprintf(repo, sizeof(repo), "%s/logs.git", ctx->dir);
	if (access(repo, F_OK) != 0)
		return cli_fail(CLI_EXIT_NOTFOUND, "'%s' has no log repository yet: run 'cairn sync' once first",
		                ctx->dir);
	if ((rc = cairn_repo_guard(repo, NULL, cmd)))
		return cli_lib_fail(rc);
	/* Debian's git daemon, receive-pack on; the hook above judges every push. */
	if (!(p = popen("git --exec-path", "r")) || !fgets(base, sizeof(base), p)) {
		if (p)
			pclose(p);
		return cli_fail(CLI_EXIT_FAIL, "cannot find git (apt install git)");
	}
	pclose(p);
	base[strcspn(base, "\n")] = '\0';
	snprintf(daemon, sizeof(daemon), "%s/git-daemon", base);
	if ((rc = probe_listen(host, port, addr)))
		return rc;
	snprintf(lopt, sizeof(lopt), "--listen=%s", host);
	snprintf(popt, sizeof(popt), "--port=%u", port);
	snprintf(base, sizeof(base), "--base-path=%s", ctx->dir);
	if (any) /* a wildcard is no address a teammate can dial */
		cli_note(ctx->opt,
		         "serving %s on port %u of every address of this device (teammates: cairn remote add hub "
		         "git://ADDRESS:%u/logs.git, with this device's ADDRESS)",
		         repo, port, port);
	else
		cli_note(ctx->opt,
		         "serving %s as git://%s/logs.git (teammates: cairn remote add hub git://%s/logs.git)", repo,
		         addr, addr);
	fflush(stderr);
	/* exec: the daemon takes this process's place (and pid), so a supervisor stops it directly. */
	execl(daemon, daemon, "--reuseaddr", "--strict-paths", "--export-all", "--enable=receive-pack",
	      "--informative-errors", base, lopt, popt, repo, (char *)NULL);
	return cli_fail(CLI_EXIT_FAIL, "cannot run '%s': %s", daemon, strerror(errno));
}

const struct cli_sub cmd_serve_subs[] = {
        {NULL, "", 0, 0, "Serve this device's log repository to teammates (a field hub, no office needed).",
         "Runs git daemon with receive-pack on over DIR/logs.git, guarded like the central repository:\n"
         "append-only settings and 'cairn hook pre-receive' (unsigned, forged, unenrolled or\n"
         "rewriting pushes are refused). Teammates add it as one more remote; what it receives goes\n"
         "on to the central repository with this device's next 'cairn sync' (store and forward).\n"
         "No passphrase is needed. git:// is neither authenticated nor encrypted: segments are.\n"
         "--listen takes a fixed PORT (1-65535; 0 is refused, teammates must know it in advance); the\n"
         "address is checked before the daemon starts, and the URL teammates add is printed.\n"
         "\n"
         "Examples:\n"
         "  cairn serve --listen 0.0.0.0:9418\n"
         "  cairn remote add hub git://192.168.1.20:9418/logs.git    # on a teammate's device\n",
         serve_opts, run_serve},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
#endif
