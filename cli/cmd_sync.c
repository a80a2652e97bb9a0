/*
 * cmd_sync.c — `cairn team`, `cairn remote` and `cairn sync`: joining a team, naming the places logs travel
 * through (a central repository, a USB stick, a colleague's laptop), and moving them.
 *
 * Remote credentials are files (--credential-file, --ssh-key), never argv or the environment; the library
 * stores the file names in the log repository's config and reads the files only while it connects.
 */
#ifdef CAIRN_HAVE_SYNC
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn_sync.h"
#include "check.h"
#include "cli.h"
#include "init.h"
#include "output.h"
#include "passphrase.h"
#include "table.h"

/* ---- team ---------------------------------------------------------------------------------------- */

static const struct cli_opt team_export_opts[] = {
        {"join-passphrase-file", 0, "FILE", "read the join file's passphrase from FILE (else asked twice)", 0},
        {"kdf", 0, "LEVEL", "Argon2id cost: default, interactive, min (tests only)", 0},
        CLI_OPT_END,
};
static const struct cli_opt team_join_opts[] = {
        {"join-passphrase-file", 0, "FILE", "read the join file's passphrase from FILE (else asked)", 0},
        CLI_OPT_END,
};

static int run_team_init(struct cli_ctx *ctx, const struct cli_args *a)
{
	unsigned char team[CAIRN_TEAM_BYTES];
	char hex[2 * CAIRN_TEAM_BYTES + 1];
	int rc;
	(void)a;
	if ((rc = session_open(ctx)))
		return rc;
	if ((rc = cairn_team_create(ctx->j, team)))
		return cli_lib_fail(rc);
	for (int i = 0; i < CAIRN_TEAM_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", team[i]);
	return out_written(ctx->opt, json_pack("{ss}", "id", hex), hex,
	                   "created team %s; give colleagues a join file: cairn team export FILE", hex);
}

static int run_team_export(struct cli_ctx *ctx, const struct cli_args *a)
{
	static const char *const kdfs[] = {"default", "interactive", "min", NULL};
	const char *k = args_get(a, "kdf");
	cairn_kdf_level kdf = CAIRN_KDF_DEFAULT;
	struct pass p = {NULL, 0};
	int rc;
	if (k && (rc = check_enum(k, "--kdf", kdfs)))
		return rc;
	if (k)
		kdf = !strcmp(k, "min")           ? CAIRN_KDF_MIN
		      : !strcmp(k, "interactive") ? CAIRN_KDF_INTERACTIVE
		                                  : CAIRN_KDF_DEFAULT;
	if ((rc = session_open(ctx)) || (rc = pass_read_join(args_get(a, "join-passphrase-file"), &p, 1)))
		return rc;
	rc = cairn_team_export(ctx->j, a->pos[0], p.buf, p.len, kdf);
	pass_free(&p);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{ss}", "id", a->pos[0]), a->pos[0],
	                   "wrote join file %s (sealed with its passphrase; pass the passphrase separately)",
	                   a->pos[0]);
}

static int run_team_join(struct cli_ctx *ctx, const struct cli_args *a)
{
	struct pass p = {NULL, 0};
	int rc;
	if (access(a->pos[0], R_OK) != 0)
		return cli_fail(CLI_EXIT_NOTFOUND, "cannot read join file '%s'", a->pos[0]);
	if ((rc = session_open(ctx)) || (rc = pass_read_join(args_get(a, "join-passphrase-file"), &p, 0)))
		return rc;
	rc = cairn_team_join(ctx->j, a->pos[0], p.buf, p.len);
	pass_free(&p);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{ss}", "id", a->pos[0]), a->pos[0], "joined the team of %s", a->pos[0]);
}

const struct cli_sub cmd_team_subs[] = {
        {"init", "", 0, 0, "Create a team with a new random key (on the first device).",
         "Until the central office's roster exists, a team shares one key. The device that creates it\n"
         "hands it to the others in a join file sealed with a passphrase (cairn team export).\n"
         "\n"
         "Examples:\n"
         "  cairn team init\n",
         cli_no_opts, run_team_init},
        {"export", "FILE", 1, 1, "Write a passphrase-sealed join file for colleagues.",
         "The file holds the team key and members' public keys, sealed with Argon2id and\n"
         "XChaCha20-Poly1305. Tell the passphrase in person or by another channel.\n"
         "\n"
         "Examples:\n"
         "  cairn team export north-team.join --join-passphrase-file join.pass\n",
         team_export_opts, run_team_export},
        {"join", "FILE", 1, 1, "Join the team of a join file.",
         "Examples:\n"
         "  cairn team join team.join --join-passphrase-file join.pass\n",
         team_join_opts, run_team_join},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

/* ---- remote -------------------------------------------------------------------------------------- */

static const struct cli_opt remote_add_opts[] = {
        {"credential-file", 0, "FILE", "http(s): a file holding user:password or a token", 0},
        {"ssh-key", 0, "FILE", "ssh: private key file (FILE.pub beside it)", 0},
        {"pin", 0, "SHA256", "the server's certificate (https) or host key (ssh) SHA-256, in hex", 0},
        {"ca-file", 0, "FILE", "https: trust the CA certificates in FILE", 0},
        {"org", 0, "FINGERPRINT", "the office's org key: pin it and ask the office to enroll this device", 0},
        CLI_OPT_END,
};

static int open_sync(struct cli_ctx *ctx, cairn_sync **s)
{
	int rc = session_open(ctx);
	if (rc)
		return rc;
	rc = cairn_sync_open(s, ctx->j);
	return rc ? cli_lib_fail(rc) : 0;
}

static int abs_path(const char *in, const char **out, char *buf, size_t n)
{
	*out = in;
	if (!in || in[0] == '/')
		return 0;
	if (!getcwd(buf, n))
		return cli_fail(CLI_EXIT_IO, "cannot resolve '%s'", in);
	size_t l = strlen(buf);
	snprintf(buf + l, n - l, "/%s", in);
	*out = buf;
	return 0;
}

#define URL_FORMS "a path, file:///path, git://, ssh://, http://, https:// or user@host:path"

int cli_remote_url(const char *url, const char **out, char *buf, size_t n)
{
	static const char *const schemes[] = {"file://", "git://", "ssh://", "http://", "https://", NULL};
	size_t len = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-"), k;
	const char *rest, *colon = strchr(url, ':');

	*out = url;
	if (!*url)
		return cli_usage("empty remote URL: give " URL_FORMS);
	if (len && !strncmp(url + len, "://", 3)) {
		for (k = 0; schemes[k] && strncmp(url, schemes[k], strlen(schemes[k])); k++)
			;
		if (!schemes[k])
			return cli_usage("unsupported URL scheme '%.*s' in '%s': give " URL_FORMS, (int)len + 3, url,
			                 url);
		rest = url + strlen(schemes[k]);
		if (k == 0 && rest[0] != '/')
			return cli_usage("file:// takes an absolute path (file:///media/usb/cairn.git), not '%s'", url);
		if (k > 0 && (!*rest || *rest == '/'))
			return cli_usage("no host in remote URL '%s'", url);
		return 0;
	}
	/* libgit2 takes any other URL with a ':' for an scp-like ssh address, a path included. */
	if (colon && url[0] != '/' && !memchr(url, '/', (size_t)(colon - url))) {
		const char *at = memchr(url, '@', (size_t)(colon - url));
		if (!at || at == url || at + 1 == colon || !colon[1])
			return cli_usage(
			        "'%s' is no URL cairn can use: write user@host:path or ssh://user@host/path for "
			        "ssh, file://PATH for a path with ':'",
			        url);
		return 0;
	}
	if (colon)
		return cli_usage("git cannot use a path with ':' ('%s'): write it file://%s", url,
		                 url[0] == '/' ? url : "/ABSOLUTE/PATH");
	/* A local path (a USB stick) is stored absolute: the sync may run from anywhere. */
	return abs_path(url, out, buf, n);
}

/* A file named by an option is read only at the next sync: a typo would surface there, far from here. */
static int check_file(const struct cli_args *a, const char *opt)
{
	const char *f = args_get(a, opt);
	struct stat st;
	if (!f)
		return 0;
	if (stat(f, &st) != 0 || access(f, R_OK) != 0)
		return cli_usage("cannot read --%s '%s': %s", opt, f, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cli_usage("--%s '%s' is not a file", opt, f);
	return 0;
}

static int run_remote_add(struct cli_ctx *ctx, const struct cli_args *a)
{
	cairn_remote_options o = CAIRN_REMOTE_OPTIONS_INIT;
	char b1[4096], b2[4096], b3[4096], b4[4096];
	const char *url = a->pos[1];
	cairn_sync *s = NULL;
	int rc;
	if (!strcmp(a->pos[0], "status"))
		return cli_usage("'status' cannot name a remote (it is 'cairn sync status')");
	if ((rc = cli_remote_url(url, &url, b4, sizeof(b4))) || (rc = check_file(a, "credential-file")) ||
	    (rc = check_file(a, "ssh-key")) || (rc = check_file(a, "ca-file")))
		return rc;
	if ((rc = abs_path(args_get(a, "credential-file"), &o.credential_file, b1, sizeof(b1))) ||
	    (rc = abs_path(args_get(a, "ssh-key"), &o.ssh_key, b2, sizeof(b2))) ||
	    (rc = abs_path(args_get(a, "ca-file"), &o.ca_file, b3, sizeof(b3))))
		return rc;
	o.pin = args_get(a, "pin");
	if ((rc = open_sync(ctx, &s)))
		return rc;
	rc = cairn_remote_add(s, a->pos[0], url, &o);
	/* An existing journal (a team made with a join file before the office) enrolls this way. */
	if (!rc && args_get(a, "org") && (rc = cairn_sync_enroll(s, args_get(a, "org"))))
		cairn_remote_remove(s, a->pos[0]);
	cairn_sync_free(s);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{ssss}", "id", a->pos[0], "url", url), a->pos[0],
	                   "added remote %s (%s)", a->pos[0], url);
}

static int run_remote_remove(struct cli_ctx *ctx, const struct cli_args *a)
{
	cairn_sync *s = NULL;
	int rc = open_sync(ctx, &s);
	if (rc)
		return rc;
	rc = cairn_remote_remove(s, a->pos[0]);
	cairn_sync_free(s);
	if (rc)
		return cli_lib_fail(rc);
	return out_written(ctx->opt, json_pack("{ss}", "id", a->pos[0]), a->pos[0], "removed remote %s", a->pos[0]);
}

static int render_remotes(void *ud, const json_t *doc)
{
	static const char *const head[] = {"NAME", "URL", "LAST SYNC", "LAST ERROR", NULL};
	struct cli_ctx *ctx = ud;
	struct table t;
	const json_t *r;
	size_t i;
	if (!json_array_size(doc)) {
		cli_note(ctx->opt, "no remotes yet: cairn remote add NAME URL");
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(doc, i, r)
	{
		const char *row[] = {js_str(r, "name"), js_str(r, "url"), js_str(r, "last_sync"),
		                     js_str(r, "last_error")};
		table_add(&t, row);
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	return 0;
}

static int run_remote_list(struct cli_ctx *ctx, const struct cli_args *a)
{
	cairn_sync *s = NULL;
	char *text = NULL;
	int rc = open_sync(ctx, &s);
	(void)a;
	if (rc)
		return rc;
	rc = cairn_remote_list(s, &text);
	cairn_sync_free(s);
	return out_query(ctx->opt, rc, text, render_remotes, ctx);
}

const struct cli_sub cmd_remote_subs[] = {
        {"add", "NAME URL", 2, 2, "Add a place to sync with.",
         "URL: a path to a bare repository (a USB stick; stored absolute), file:///path, git://,\n"
         "ssh://user@host/path, user@host:path (ssh) or http(s)://; any other scheme is refused. The\n"
         "remote holds only ciphertext; any git host works. The files of --credential-file, --ssh-key\n"
         "and --ca-file must exist now (they are read at every sync).\n"
         "ssh host keys must be pinned (--pin): the first failed sync prints the key's SHA-256.\n"
         "--org FINGERPRINT pins the office's org key and files an enrollment request that the next\n"
         "sync pushes; logs wait on this device until the office approves it.\n"
         "\n"
         "Examples:\n"
         "  cairn remote add usb /media/usb/cairn.git\n"
         "  cairn remote add hub git://192.168.1.20:9418/logs.git\n"
         "  cairn remote add central ssh://git@office.example/srv/git/central.git --org FINGERPRINT\n",
         remote_add_opts, run_remote_add},
        {"list", "", 0, 0, "List remotes and how their last sync went.",
         "Examples:\n"
         "  cairn remote list\n",
         cli_no_opts, run_remote_list},
        {"remove", "NAME", 1, 1, "Forget a remote (nothing is deleted from it).",
         "Examples:\n"
         "  cairn remote remove usb\n",
         cli_no_opts, run_remote_remove},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};

/* ---- sync ---------------------------------------------------------------------------------------- */

static void on_progress(void *ud, const char *phase, uint64_t done, uint64_t total, uint64_t bytes)
{
	(void)ud;
	fprintf(stderr, "\r%s: %llu/%llu objects, %.1f KiB   ", phase, (unsigned long long)done,
	        (unsigned long long)total, bytes / 1024.0);
}

#define PLURAL(n) ((n) == 1 ? "" : "s")

static void print_summary(const cairn_sync_result *r)
{
	printf("sealed %llu, sent %llu, received %llu segments; applied %llu event%s",
	       (unsigned long long)r->segments_sealed, (unsigned long long)r->segments_sent,
	       (unsigned long long)r->segments_received, (unsigned long long)r->events_applied,
	       PLURAL(r->events_applied));
	if (r->conflicts_raised)
		printf("; %llu new conflict%s (cairn conflicts)", (unsigned long long)r->conflicts_raised,
		       PLURAL(r->conflicts_raised));
	if (r->refs_relayed)
		printf("; relayed %llu other log%s", (unsigned long long)r->refs_relayed, PLURAL(r->refs_relayed));
	if (r->quarantined)
		printf("; %llu segment%s quarantined (cairn sync status)", (unsigned long long)r->quarantined,
		       PLURAL(r->quarantined));
	if (r->unreadable)
		printf("; carried %llu segment%s of another team", (unsigned long long)r->unreadable,
		       PLURAL(r->unreadable));
	printf("\n");
	if (r->wiped)
		printf("the office's wipe order was carried out: everything was pushed, then this device's key file\n"
		       "and database were destroyed\n");
}

static int render_status(void *ud, const json_t *doc)
{
	static const char *const head[] = {"DEVICE", "LOG SEQ", "IMPORTED", "", NULL};
	static const char *const qhead[] = {"DEVICE", "SEGMENT", "REASON", NULL};
	struct cli_ctx *ctx = ud;
	struct table t;
	const json_t *l;
	size_t i;
	printf("device %s: %lld events written, %lld sealed\n", js_str(doc, "device"), js_int(doc, "own_seq"),
	       js_int(doc, "sealed_seq"));
	table_init(&t, head);
	json_array_foreach(json_object_get(doc, "logs"), i, l)
	{
		char a[24], b[24];
		snprintf(a, sizeof(a), "%lld", js_int(l, "tip_seq"));
		snprintf(b, sizeof(b), "%lld", js_int(l, "imported_seq"));
		const char *row[] = {js_str(l, "device"), a, b, js_true(l, "own") ? "(this device)" : ""};
		table_add(&t, row);
	}
	table_print(&t, stdout, ctx->opt->out_tty);
	table_free(&t);
	if (json_array_size(json_object_get(doc, "quarantine"))) {
		printf("\nquarantined segments (not applied; other logs keep flowing):\n");
		table_init(&t, qhead);
		json_array_foreach(json_object_get(doc, "quarantine"), i, l)
		{
			const char *row[] = {js_str(l, "device"), js_str(l, "commit"), js_str(l, "reason")};
			table_add(&t, row);
		}
		table_print(&t, stdout, ctx->opt->out_tty);
		table_free(&t);
	}
	return render_remotes(ctx, json_object_get(doc, "remotes"));
}

#ifdef CAIRN_HAVE_AGENT
#include "cairn_agent.h"

/* `sync --now`: the running agent syncs every remote at once; this waits for its rounds. */
static int sync_now(struct cli_ctx *ctx, const struct cli_args *a)
{
	char shown[512], *reply = NULL;
	int rc;
	if (a->npos)
		return cli_usage("--now syncs every remote through the agent: drop '%s' (or drop --now)", a->pos[0]);
	if ((rc = session_dir(ctx)))
		return rc;
	rc = cairn_agent_request(ctx->dir, "sync", &reply);
	if (rc == CAIRN_ENOTFOUND)
		return cli_fail(CLI_EXIT_NOTFOUND,
		                "no agent runs for '%s': start one with 'cairn agent --detach', or run "
		                "'cairn sync' without --now",
		                session_dir_shown(ctx, shown, sizeof(shown)));
	if (rc)
		return cli_lib_fail(rc);
	rc = strcmp(reply, "synced") ? CLI_EXIT_OFFLINE : 0;
	if (ctx->opt->json)
		out_json(ctx->opt, json_pack("{sbss}", "ok", rc == 0, "agent", reply));
	else if (!ctx->opt->quiet || rc)
		fprintf(rc ? stderr : stdout, "%s%s\n", rc ? "cairn: agent: " : "agent: ", reply);
	free(reply);
	return rc;
}

#endif

static const struct cli_opt sync_opts[] = {
#ifdef CAIRN_HAVE_AGENT
        {"now", 0, NULL, "have the running agent sync every remote at once, and wait for it", 0},
#endif
        {"timeout", 0, "SECONDS", "give up on a remote silent this long: connect, or no progress (default 30)", 0},
        {"new-device-id", 0, NULL,
         "this journal sealed more than its log repository holds and no remote has it (sealed offline, "
         "then logs.git lost): sync with every remote, then continue under a new device id for the office "
         "to approve",
         0},
        CLI_OPT_END,
};

/* Before a round seals anything: a name that is no remote fails alone, with nothing done. */
static int remote_exists(cairn_sync *s, const char *name)
{
	char *text = NULL;
	json_t *doc, *r;
	size_t i;
	int found = 0, rc = cairn_remote_list(s, &text);
	if (rc)
		return cli_lib_fail(rc);
	doc = json_loads(text, 0, NULL);
	cairn_free(text);
	json_array_foreach(doc, i, r)
	{
		const char *n = js_str(r, "name");
		found |= n && !strcmp(n, name);
	}
	json_decref(doc);
	return found ? 0 : cli_fail(CLI_EXIT_NOTFOUND, "no remote '%s' (see 'cairn remote list')", name);
}

static int run_sync(struct cli_ctx *ctx, const struct cli_args *a)
{
	cairn_sync_options so = CAIRN_SYNC_OPTIONS_INIT;
	cairn_sync_result r;
	cairn_sync *s = NULL;
	char *report = NULL;
	const char *remote = a->npos ? a->pos[0] : NULL;
	int rc;
#ifdef CAIRN_HAVE_AGENT
	if (args_count(a, "now"))
		return args_get(a, "timeout") ? cli_usage("--timeout is the agent's setting (net_timeout) with --now")
		       : args_count(a, "new-device-id") ? cli_usage("--new-device-id cannot go with --now")
		                                        : sync_now(ctx, a);
#endif
	if (args_get(a, "timeout")) {
		unsigned long long secs;
		if ((rc = check_uint(args_get(a, "timeout"), "--timeout", 1, 3600, &secs)))
			return rc;
		so.timeout_ms = (unsigned)secs * 1000u;
	}
	if ((rc = open_sync(ctx, &s)))
		return rc;
	if (remote && !strcmp(remote, "status")) {
		rc = cairn_sync_status(s, &report);
		cairn_sync_free(s);
		return out_query(ctx->opt, rc, report, render_status, ctx);
	}
	if (remote && (rc = remote_exists(s, remote))) {
		cairn_sync_free(s);
		return rc;
	}
	so.new_device_id = args_count(a, "new-device-id") > 0;
	if (isatty(2) && !ctx->opt->quiet && !ctx->opt->json)
		so.progress = on_progress;
	rc = cairn_sync_run(s, remote, &so, &r, &report);
	if (so.progress)
		fprintf(stderr, "\r%60s\r", "");
	cairn_sync_free(s);
	if (ctx->opt->json && report) {
		json_t *doc = json_loads(report, 0, NULL);
		cairn_free(report);
		int jr = out_json(ctx->opt, doc);
		return rc ? cli_lib_fail(rc) : jr;
	}
	cairn_free(report);
	if (!ctx->opt->quiet)
		print_summary(&r);
	return rc ? cli_lib_fail(rc) : 0;
}

const struct cli_sub cmd_sync_subs[] = {
        {NULL, "[REMOTE | status]", 0, 1, "Sync with one remote or all of them; or show sync status.",
         "A round seals new events into signed, encrypted segments, fetches every device's log,\n"
         "pushes this device's log and those of others that the remote lacks (store and forward),\n"
         "and applies what is new. 'cairn sync status' shows each log and any quarantined segment.\n"
         "--json reports segments sent and received, events applied, bytes on the wire, conflicts\n"
         "raised and segments quarantined, per remote.\n"
         "--now asks the running agent (cairn agent) to sync at once and waits for its rounds.\n"
         "A remote that does not answer a connect, or makes no progress, for --timeout seconds fails\n"
         "the round with exit 7 (offline); the others are still synced.\n"
         "A journal whose log repository (logs.git) was lost or restored from an older copy takes its\n"
         "own log back from the remotes; --new-device-id is for when none has it.\n"
         "\n"
         "Examples:\n"
         "  cairn sync\n"
         "  cairn sync usb --timeout 60\n"
         "  cairn sync status\n",
         sync_opts, run_sync},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
#endif
