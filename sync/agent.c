/*
 * agent.c — `cairn agent`: one libuv loop that decides *when* to sync (the engine decides how), and holds
 * the unlocked session for CLI commands. The only libuv user in cairn.
 *
 * Invariants:
 *  1. The loop never blocks: a sync round (libgit2 blocks) and an unlock (Argon2id) run on the libuv
 *     threadpool. At most one round runs at a time, per agent; the engine's flock also keeps it apart
 *     from a `cairn sync` run by hand.
 *  2. The data key exists in one place, `a->key` (sodium_malloc), or nowhere (locked). A round and the
 *     idle connection (7) take their own secure copies; lock, the idle timeout and shutdown close that
 *     connection and wipe `a->key`; a locked agent hands out nothing and starts no round.
 *  3. Every connection's peer uid is checked (SO_PEERCRED) before its request is read; another uid gets
 *     "refused" and nothing else. Requests and passphrases are read into sodium_malloc'd buffers.
 *  4. Nothing here logs a record, a name, a note, a key or a passphrase: log lines name remotes, counts,
 *     durations and the engine's one-line errors (which never carry record data).
 *  5. Idle means idle: the only timers are the next due round, the idle lock and (briefly) a probe or a
 *     network-change settle timer; netlink and the socket wake the loop only when something happens.
 *  6. When to sync is agent_sched.c's business alone (pure; unit-tested with a fake clock).
 *  7. While unlocked the agent holds one idle journal connection, `a->held` (cairn_journal_open_idle), so
 *     a command's connection is never the last: it skips the WAL index rebuild on open and the checkpoint
 *     and syncs on close. It runs no query, so it never holds back a checkpoint; rounds open their own.
 *     It is closed before the key is wiped, wherever that happens (release_key); as the last connection
 *     it then checkpoints, on the loop (a lock is rare; the WAL is small). After a wipe order it writes
 *     nothing: the files it would checkpoint into are gone (cairn_journal_free).
 */
#include "agent_sched.h"
#include "cairn_agent.h"
#include "cairn_sync.h"
#include "netstream.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define MAX_REMOTES 32
#define CONN_MAX 2048 /* a request line plus a passphrase (PASS_MAX is 1023) */
#define NET_SETTLE_MS 300

/* ---- config ------------------------------------------------------------------------------------- */

typedef struct {
	cairn_sched_cfg sched;
	uint64_t idle_lock_ms; /* 0: never */
	uint64_t probe_timeout_ms;
	uint64_t net_timeout_ms; /* a round's longest wait for the network */
	uint64_t round_limit_ms; /* a round still running this long has its connections cut */
	uint64_t grace_ms;       /* how long SIGTERM waits for a running round */
	int log_level;
	char log_file[1024];
	char disabled[MAX_REMOTES][64]; /* [remote "NAME"] enabled = no */
	int ndisabled;
	char path[1024]; /* where it was read from ("" when none) */
} agent_cfg;

static void cfg_defaults(agent_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->sched.debounce_ms = 2000;
	c->sched.interval_ms = 300000;
	c->sched.jitter_pct = 10;
	c->sched.backoff_base_ms = 2000;
	c->sched.backoff_cap_ms = 300000;
	c->idle_lock_ms = 8 * 3600 * 1000ull;
	c->probe_timeout_ms = 3000;
	c->net_timeout_ms = 30000;
	c->round_limit_ms = 600000;
	c->grace_ms = 10000;
	c->log_level = CAIRN_LOG_INFO;
}

static int parse_ms(const char *v, uint64_t *out)
{
	char *end;
	double d;
	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || d < 0 || d > 365 * 86400.0)
		return -1;
	*out = (uint64_t)(d * 1000 + 0.5);
	return 0;
}

static int cfg_handler(void *ud, const char *section, const char *name, const char *value)
{
	agent_cfg *c = ud;
	uint64_t ms;
	if (!strcmp(section, "agent")) {
		static const char *const levels[] = {"error", "warn", "info", "debug"};
		static const struct {
			const char *key;
			size_t off;
		} durs[] = {
		        {"debounce", offsetof(agent_cfg, sched.debounce_ms)},
		        {"interval", offsetof(agent_cfg, sched.interval_ms)},
		        {"backoff_base", offsetof(agent_cfg, sched.backoff_base_ms)},
		        {"backoff_cap", offsetof(agent_cfg, sched.backoff_cap_ms)},
		        {"idle_lock", offsetof(agent_cfg, idle_lock_ms)},
		        {"probe_timeout", offsetof(agent_cfg, probe_timeout_ms)},
		        {"net_timeout", offsetof(agent_cfg, net_timeout_ms)},
		        {"round_limit", offsetof(agent_cfg, round_limit_ms)},
		        {"shutdown_grace", offsetof(agent_cfg, grace_ms)},
		};
		for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++)
			if (!strcmp(name, durs[i].key)) {
				if (parse_ms(value, &ms))
					return 0;
				*(uint64_t *)((char *)c + durs[i].off) = ms;
				return 1;
			}
		if (!strcmp(name, "jitter")) {
			char *end;
			long p = strtol(value, &end, 10);
			if (*end == '%')
				end++;
			if (end == value || *end || p < 0 || p > 100)
				return 0;
			c->sched.jitter_pct = (uint32_t)p;
			return 1;
		}
		if (!strcmp(name, "log_level")) {
			for (int i = 0; i < 4; i++)
				if (!strcmp(value, levels[i])) {
					c->log_level = i;
					return 1;
				}
			return 0;
		}
		if (!strcmp(name, "log_file")) {
			snprintf(c->log_file, sizeof(c->log_file), "%s", value);
			return 1;
		}
		return 0;
	}
	if (!strncmp(section, "remote \"", 8) && !strcmp(name, "enabled")) {
		size_t n = strlen(section + 8);
		if (!n || section[8 + n - 1] != '"')
			return 0;
		if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0")) {
			if (c->ndisabled < MAX_REMOTES)
				snprintf(c->disabled[c->ndisabled++], 64, "%.*s", (int)(n - 1), section + 8);
		} else if (strcmp(value, "yes") && strcmp(value, "true") && strcmp(value, "1")) {
			return 0;
		}
		return 1;
	}
	return 0;
}

static void cfg_default_path(char *out, size_t n)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	if (x && x[0] == '/')
		snprintf(out, n, "%s/cairn/config", x);
	else if (h && *h)
		snprintf(out, n, "%s/.config/cairn/config", h);
	else
		out[0] = '\0';
}

/* A missing file is the defaults; a bad line is an error naming it. */
static int cfg_load(agent_cfg *c, const char *path)
{
	int line;
	cfg_defaults(c);
	if (path)
		snprintf(c->path, sizeof(c->path), "%s", path);
	else
		cfg_default_path(c->path, sizeof(c->path));
	if (!c->path[0] || (access(c->path, F_OK) != 0 && errno == ENOENT && !path))
		return 0;
	ini_allow_multiline = false;
	line = ini_parse(c->path, cfg_handler, c);
	if (line < 0)
		return cairn_error_set(CAIRN_ENOTFOUND, "cannot read the agent config '%s'", c->path);
	if (line > 0)
		return cairn_error_set(CAIRN_EINVAL,
		                       "bad setting in the agent config '%s' line %d (see README: the sync agent)",
		                       c->path, line);
	if (c->sched.backoff_cap_ms < c->sched.backoff_base_ms)
		c->sched.backoff_cap_ms = c->sched.backoff_base_ms;
	if (c->sched.interval_ms < 1000)
		return cairn_error_set(CAIRN_EINVAL, "agent config '%s': interval must be at least 1 second", c->path);
	return 0;
}

/* ---- state -------------------------------------------------------------------------------------- */

typedef enum { R_NET, R_PATH } remote_kind;

typedef struct {
	char name[64];
	char url[1024];
	remote_kind kind;
	char host[256], port[8]; /* R_NET */
	char path[1024];         /* R_PATH */
	cairn_sched s;
	char last_error[256];
	time_t last_ok_wall, next_wall;
	uint64_t done_gen;    /* the newest `sync --now` generation this remote has served */
	uv_fs_event_t *watch; /* R_PATH: the nearest existing ancestor of the path */
	char watched[1024];
} remote;

typedef struct conn conn;
struct conn {
	uv_pipe_t pipe;
	struct cairn_agent *a;
	unsigned char *buf; /* sodium_malloc(CONN_MAX) */
	size_t len;
	uint64_t want_gen; /* a `sync` waiting for this generation; 0: none */
	int closing;
	int pending; /* an unlock on the threadpool will answer it */
	conn *next;
};

struct cairn_agent {
	agent_cfg cfg;
	char dir[4096], sock[4200], lockpath[4200], gitconfig[4200];
	int lockfd, ready_fd, log_level_opt;
	char log_file_opt[1024];
	FILE *log;
	unsigned char *key;  /* NULL: locked */
	cairn_journal *held; /* the idle connection (invariant 7); NULL when locked or when it could not open */
	uv_loop_t loop;
	uv_pipe_t server;
	uv_signal_t sigint, sigterm, sighup;
	uv_timer_t sched_timer, idle_timer, net_timer, grace_timer, stuck_timer;
	uv_poll_t nl_poll;
	int nl_fd;
	remote remotes[MAX_REMOTES];
	int nremotes;
	struct timespec gitconfig_mtime;
	int busy; /* a round or its probe is under way */
	char busy_remote[64];
	uint64_t gen; /* `sync --now` generations */
	conn *conns;
	int stopping;
	cairn_agent_round_hook hook;
	void *hook_ud;
};

/* ---- logging ------------------------------------------------------------------------------------ */

static void alog(cairn_agent *a, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void alog(cairn_agent *a, int level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	char when[40], msg[600];
	struct tm tm;
	struct timespec ts;
	va_list ap;
	if (level > a->cfg.log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ", ts.tv_nsec / 1000000);
	fprintf(a->log ? a->log : stderr, "%s cairn-agent[%d] %s: %s\n", when, (int)getpid(), names[level], msg);
	fflush(a->log ? a->log : stderr);
}

static void lib_log(cairn_log_level level, const char *msg, void *ud) { alog(ud, (int)level, "%s", msg); }

static int open_log(cairn_agent *a)
{
	const char *f = a->log_file_opt[0] ? a->log_file_opt : a->cfg.log_file;
	int fd;
	if (a->log_level_opt >= 0)
		a->cfg.log_level = a->log_level_opt;
	if (!f[0])
		return 0;
	fd = open(f, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !(a->log = fdopen(fd, "a"))) {
		if (fd >= 0)
			close(fd);
		return cairn_error_set(CAIRN_EIO, "cannot open the agent log '%s': %s", f, strerror(errno));
	}
	return 0;
}

/* ---- remotes (read from logs.git/config with inih: no libgit2 here, and no per-lookup leak) ------ */

typedef struct {
	remote *r;
	int n;
} remote_list;

static int git_handler(void *ud, const char *section, const char *name, const char *value)
{
	remote_list *l = ud;
	size_t n;
	if (strncmp(section, "remote \"", 8) || strcmp(name, "url"))
		return 1;
	n = strlen(section + 8);
	if (!n || section[8 + n - 1] != '"' || n - 1 >= sizeof(l->r[0].name) || l->n >= MAX_REMOTES)
		return 1;
	memset(&l->r[l->n], 0, sizeof(l->r[0]));
	snprintf(l->r[l->n].name, sizeof(l->r[0].name), "%.*s", (int)(n - 1), section + 8);
	snprintf(l->r[l->n].url, sizeof(l->r[0].url), "%s", value);
	l->n++;
	return 1;
}

/* Host and port of a network URL (git://, ssh://, http(s)://, user@host:path); else a path. */
static void classify(remote *r)
{
	static const struct {
		const char *scheme, *port;
	} schemes[] = {{"git://", "9418"}, {"ssh://", "22"}, {"http://", "80"}, {"https://", "443"}};
	char u[sizeof(r->url)];
	const char *h = NULL, *end, *at;
	size_t i;
	memcpy(u, r->url, sizeof(u));
	if (!strncmp(u, "file://", 7)) {
		r->kind = R_PATH;
		snprintf(r->path, sizeof(r->path), "%s", u + 7);
		return;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncmp(u, schemes[i].scheme, strlen(schemes[i].scheme))) {
			h = u + strlen(schemes[i].scheme);
			snprintf(r->port, sizeof(r->port), "%s", schemes[i].port);
			break;
		}
	if (!h && u[0] != '/' && (at = strchr(u, '@')) && strchr(at, ':')) { /* scp-like user@host:path */
		const char *colon = strchr(at, ':');
		r->kind = R_NET;
		snprintf(r->port, sizeof(r->port), "22");
		snprintf(r->host, sizeof(r->host), "%.*s", (int)(colon - at - 1), at + 1);
		return;
	}
	if (!h) {
		r->kind = R_PATH;
		snprintf(r->path, sizeof(r->path), "%s", u);
		return;
	}
	r->kind = R_NET;
	end = h + strcspn(h, "/");
	if ((at = memchr(h, '@', (size_t)(end - h))))
		h = at + 1;
	const char *colon = NULL;
	if (*h == '[') { /* [v6]:port */
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb)
			rb = end - 1;
		snprintf(r->host, sizeof(r->host), "%.*s", (int)(rb - h - 1), h + 1);
		if (rb + 1 < end && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		snprintf(r->host, sizeof(r->host), "%.*s", (int)((colon ? colon : end) - h), h);
	}
	if (colon) {
		size_t pl = (size_t)(end - colon - 1);
		if (pl && pl < sizeof(r->port) && strspn(colon + 1, "0123456789") >= pl)
			snprintf(r->port, sizeof(r->port), "%.*s", (int)pl, colon + 1);
	}
}

static int disabled(const cairn_agent *a, const char *name)
{
	for (int i = 0; i < a->cfg.ndisabled; i++)
		if (!strcmp(a->cfg.disabled[i], name))
			return 1;
	return 0;
}

static void watch_path(cairn_agent *a, remote *r);
static void unwatch(remote *r);

/*
 * Re-read the remotes when logs.git/config changed (or `force`). A remote that kept its name and URL
 * keeps its schedule and history; a new one is due at once.
 */
static void load_remotes(cairn_agent *a, int force)
{
	static remote fresh[MAX_REMOTES];
	remote_list l = {fresh, 0};
	struct stat st;
	int i, k, n = 0;
	if (stat(a->gitconfig, &st) != 0) {
		memset(&st, 0, sizeof(st));
	} else if (!force && st.st_mtim.tv_sec == a->gitconfig_mtime.tv_sec &&
	           st.st_mtim.tv_nsec == a->gitconfig_mtime.tv_nsec) {
		return;
	}
	a->gitconfig_mtime = st.st_mtim;
	ini_allow_multiline = false;
	if (st.st_mtim.tv_sec && ini_parse(a->gitconfig, git_handler, &l) < 0)
		alog(a, CAIRN_LOG_WARN, "cannot read the remotes of this journal");
	for (i = 0; i < l.n; i++) {
		remote *r = &fresh[i];
		if (disabled(a, r->name))
			continue;
		for (k = 0; k < a->nremotes; k++)
			if (!strcmp(a->remotes[k].name, r->name) && !strcmp(a->remotes[k].url, r->url))
				break;
		if (k < a->nremotes) {
			fresh[n] = a->remotes[k];
			a->remotes[k].watch = NULL; /* moved */
		} else {
			if (n != i)
				fresh[n] = *r;
			classify(&fresh[n]);
			cairn_sched_init(&fresh[n].s, uv_now(&a->loop));
			alog(a, CAIRN_LOG_INFO, "remote %s: %s", fresh[n].name,
			     fresh[n].kind == R_NET ? "network" : "path");
		}
		n++;
	}
	for (k = 0; k < a->nremotes; k++)
		unwatch(&a->remotes[k]);
	memcpy(a->remotes, fresh, sizeof(remote) * (size_t)n);
	a->nremotes = n;
	for (k = 0; k < n; k++)
		if (a->remotes[k].kind == R_PATH && !a->remotes[k].watch)
			watch_path(a, &a->remotes[k]);
}

static remote *find_remote(cairn_agent *a, const char *name)
{
	for (int i = 0; i < a->nremotes; i++)
		if (!strcmp(a->remotes[i].name, name))
			return &a->remotes[i];
	return NULL;
}

/* ---- scheduling --------------------------------------------------------------------------------- */

static uint64_t rnd(void *ud, uint64_t upper)
{
	(void)ud;
	if (upper >= UINT32_MAX)
		return ((uint64_t)randombytes_random() << 32 | randombytes_random()) % (upper + 1);
	return randombytes_uniform((uint32_t)upper + 1);
}

static void start_round(cairn_agent *a, remote *r);
static void probe(cairn_agent *a, remote *r, int then_round);
static void reply_waiters(cairn_agent *a);

static void set_wall(cairn_agent *a, remote *r)
{
	uint64_t due = cairn_sched_due(&r->s), now = uv_now(&a->loop);
	r->next_wall = time(NULL) + (time_t)((due > now ? due - now : 0) / 1000);
}

static void on_sched_timer(uv_timer_t *t);

static void reschedule(cairn_agent *a)
{
	uint64_t best = CAIRN_SCHED_NEVER, now = uv_now(&a->loop);
	if (a->stopping)
		return;
	for (int i = 0; i < a->nremotes; i++) {
		uint64_t d = cairn_sched_due(&a->remotes[i].s);
		set_wall(a, &a->remotes[i]);
		best = d < best ? d : best;
	}
	uv_timer_stop(&a->sched_timer);
	if (!a->key || a->busy || best == CAIRN_SCHED_NEVER)
		return;
	uv_timer_start(&a->sched_timer, on_sched_timer, best > now ? best - now : 0, 0);
}

/* A retry whose cheap probe failed counts as a failed round, without running one. */
static void fail_unreachable(cairn_agent *a, remote *r)
{
	uint64_t now = uv_now(&a->loop);
	cairn_sched_start(&r->s, now);
	cairn_sched_done(&r->s, &a->cfg.sched, now, CAIRN_EOFFLINE, rnd, NULL);
	r->s.reachable = 0;
	r->done_gen = a->gen;
	snprintf(r->last_error, sizeof(r->last_error), "remote '%s' is unreachable", r->name);
	reply_waiters(a);
}

static void on_sched_timer(uv_timer_t *t)
{
	cairn_agent *a = t->data;
	remote *pick = NULL;
	uint64_t now = uv_now(&a->loop);
	load_remotes(a, 0);
	for (int i = 0; i < a->nremotes; i++) {
		remote *r = &a->remotes[i];
		if (cairn_sched_due(&r->s) <= now && (!pick || cairn_sched_due(&r->s) < cairn_sched_due(&pick->s)))
			pick = r;
	}
	if (!pick) {
		reschedule(a);
		return;
	}
	/* Backing off: a cheap probe first; a full round only when the remote answers. */
	if (pick->s.failures && pick->kind == R_NET) {
		a->busy = 1;
		snprintf(a->busy_remote, sizeof(a->busy_remote), "%s", pick->name);
		probe(a, pick, 1);
		return;
	}
	if (pick->s.failures && pick->kind == R_PATH && access(pick->path, F_OK) != 0) {
		fail_unreachable(a, pick);
		reschedule(a);
		return;
	}
	start_round(a, pick);
}

/* ---- rounds on the threadpool ------------------------------------------------------------------- */

typedef struct {
	uv_work_t req;
	cairn_agent *a;
	char dir[4096], name[64];
	unsigned char *key;
	int rc, lock_after, revoked;
	char err[256];
	cairn_sync_result r;
	uint64_t started, gen;
	unsigned net_timeout_ms;
	cairn_agent_round_hook hook;
	void *hook_ud;
} round_work;

static void round_work_cb(uv_work_t *req)
{
	round_work *w = req->data;
	cairn_journal *j = NULL;
	cairn_sync *s = NULL;
	int rc = cairn_journal_open_key(&j, w->dir, w->key);
	sodium_free(w->key); /* the journal holds its own copy */
	w->key = NULL;
	if (!rc)
		rc = cairn_sync_open(&s, j);
	if (!rc) {
		cairn_sync_options so = CAIRN_SYNC_OPTIONS_INIT;
		so.timeout_ms = w->net_timeout_ms;
		rc = cairn_sync_run(s, w->name, &so, &w->r, NULL);
	}
	if (rc)
		snprintf(w->err, sizeof(w->err), "%s", cairn_error_last());
	cairn_sync_free(s);
	/* A revoked device's pushes are refused from now on and it reads no new epoch: say so and stop,
	 * rather than retry for ever with the key in memory. (Its round itself fails: the push is refused.) */
	if (j && !w->r.wiped && cairn_roster_device_revoked(j, cairn_journal_device(j)) == 1)
		w->revoked = 1;
	/* Seam for the central office's roster actions (wipe orders, revocations): see cairn_agent.h. */
	if (!rc && w->hook)
		w->lock_after = w->hook(j, w->hook_ud);
	cairn_journal_free(j);
	w->rc = rc;
}

static void lock_now(cairn_agent *a, const char *why);
static void stop(cairn_agent *a, const char *why);

static void round_after_cb(uv_work_t *req, int status)
{
	round_work *w = req->data;
	cairn_agent *a = w->a;
	remote *r = find_remote(a, w->name);
	uint64_t now = uv_now(&a->loop);
	if (status == UV_ECANCELED && !w->rc)
		w->rc = CAIRN_ERROR;
	a->busy = 0;
	uv_timer_stop(&a->stuck_timer);
	if (r) {
		cairn_sched_done(&r->s, &a->cfg.sched, now, w->rc, rnd, NULL);
		if (w->gen > r->done_gen)
			r->done_gen = w->gen;
		if (!w->rc) {
			r->last_ok_wall = time(NULL);
			r->last_error[0] = '\0';
		} else {
			snprintf(r->last_error, sizeof(r->last_error), "%s", w->err);
			if (w->rc == CAIRN_EOFFLINE)
				r->s.reachable = 0;
		}
	}
	if (w->rc)
		alog(a, w->rc == CAIRN_EOFFLINE ? CAIRN_LOG_INFO : CAIRN_LOG_WARN,
		     "round with %s failed after %llu ms (retry %u in %llu ms): %s", w->name,
		     (unsigned long long)(now - w->started), r ? r->s.failures : 0,
		     (unsigned long long)(r && cairn_sched_due(&r->s) > now ? cairn_sched_due(&r->s) - now : 0),
		     w->err);
	else
		alog(a, CAIRN_LOG_INFO,
		     "round with %s: sealed %llu, sent %llu, received %llu segments, applied %llu "
		     "events in %llu ms",
		     w->name, (unsigned long long)w->r.segments_sealed, (unsigned long long)w->r.segments_sent,
		     (unsigned long long)w->r.segments_received, (unsigned long long)w->r.events_applied,
		     (unsigned long long)(now - w->started));
	/* A wipe order was carried out inside the round (the engine pushed what was pending, then destroyed
	 * the key file and the database): nothing is left to unlock or sync, so wipe the key and stop. */
	int wiped = !w->rc && w->r.wiped, revoked = w->revoked;
	if (w->lock_after || wiped || revoked)
		lock_now(a, wiped     ? "a wipe order destroyed the journal"
		            : revoked ? "the office revoked this device"
		                      : "the roster asked for it");
	if (w->key)
		sodium_free(w->key);
	free(w);
	if (a->stopping) {
		uv_close((uv_handle_t *)&a->grace_timer, NULL);
		return;
	}
	if (wiped || revoked) {
		reply_waiters(a);
		stop(a, wiped ? "wipe order carried out" : "this device was revoked");
		return;
	}
	reply_waiters(a);
	reschedule(a);
}

/*
 * A round still running after round_limit. Every network wait has a timeout but one: an ssh server that
 * is up and stops answering (netstream.c, 3). Cutting the round's connections makes it fail now, and the
 * engine's crash invariants make a round stopped anywhere safe; the next one completes it.
 */
static void on_stuck(uv_timer_t *t)
{
	cairn_agent *a = t->data;
	int n = cairn__netstream_abort_all();
	alog(a, CAIRN_LOG_WARN, "round with %s still running after %llu ms: cut %d network connection(s)",
	     a->busy_remote, (unsigned long long)a->cfg.round_limit_ms, n);
}

static void start_round(cairn_agent *a, remote *r)
{
	round_work *w = calloc(1, sizeof(*w));
	if (!w || !(w->key = sodium_malloc(32))) {
		free(w);
		alog(a, CAIRN_LOG_ERROR, "out of memory for a round");
		return;
	}
	memcpy(w->key, a->key, 32);
	w->a = a;
	w->req.data = w;
	snprintf(w->dir, sizeof(w->dir), "%s", a->dir);
	snprintf(w->name, sizeof(w->name), "%s", r->name);
	w->started = uv_now(&a->loop);
	w->gen = a->gen;
	w->net_timeout_ms = a->cfg.net_timeout_ms > 3600000 ? 3600000u : (unsigned)a->cfg.net_timeout_ms;
	w->hook = a->hook;
	w->hook_ud = a->hook_ud;
	cairn_sched_start(&r->s, w->started);
	a->busy = 1;
	snprintf(a->busy_remote, sizeof(a->busy_remote), "%s", r->name);
	uv_timer_stop(&a->sched_timer);
	if (a->cfg.round_limit_ms)
		uv_timer_start(&a->stuck_timer, on_stuck, a->cfg.round_limit_ms, 0);
	alog(a, CAIRN_LOG_DEBUG, "round with %s starts", r->name);
	if (uv_queue_work(&a->loop, &w->req, round_work_cb, round_after_cb)) {
		a->busy = 0;
		sodium_free(w->key);
		free(w);
	}
}

/* ---- reachability probes ------------------------------------------------------------------------ */

typedef struct {
	cairn_agent *a;
	char name[64];
	int then_round, result, refs; /* refs: open handles and the pending name lookup */
	uv_getaddrinfo_t gai;
	uv_connect_t conn;
	uv_tcp_t tcp;
	uv_timer_t timer;
	int tcp_open;
} probe_ctx;

static void probe_finish(probe_ctx *p);

static void probe_unref(probe_ctx *p)
{
	if (--p->refs == 0)
		probe_finish(p);
}

static void probe_closed(uv_handle_t *h) { probe_unref(h->data); }

static void probe_end(probe_ctx *p, int reachable)
{
	if (p->result >= 0)
		return;
	p->result = reachable;
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, probe_closed);
	if (p->tcp_open)
		uv_close((uv_handle_t *)&p->tcp, probe_closed);
}

static void probe_finish(probe_ctx *p)
{
	cairn_agent *a = p->a;
	remote *r = find_remote(a, p->name);
	uint64_t now = uv_now(&a->loop);
	if (p->then_round) {
		a->busy = 0;
		if (a->stopping)
			uv_close((uv_handle_t *)&a->grace_timer, NULL);
	}
	if (r && !a->stopping) {
		int was = r->s.reachable;
		alog(a, was != p->result ? CAIRN_LOG_INFO : CAIRN_LOG_DEBUG, "remote %s is %s", r->name,
		     p->result ? "reachable" : "unreachable");
		if (p->then_round) {
			if (p->result && a->key) {
				free(p);
				start_round(a, r);
				return;
			}
			fail_unreachable(a, r);
		} else {
			cairn_sched_reachable(&r->s, now, p->result);
		}
	}
	free(p);
	if (!a->stopping)
		reschedule(a);
}

static void on_probe_timeout(uv_timer_t *t) { probe_end(t->data, 0); }

static void on_probe_connect(uv_connect_t *req, int status) { probe_end(req->data, status == 0); }

static void on_probe_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	probe_ctx *p = req->data;
	if (p->result >= 0 || status || !res) {
		uv_freeaddrinfo(res);
		probe_end(p, 0);
		probe_unref(p); /* the lookup's own reference */
		return;
	}
	uv_tcp_init(&p->a->loop, &p->tcp);
	p->tcp.data = p;
	p->tcp_open = 1;
	p->refs++; /* the tcp handle's close; the lookup's reference passes to it */
	probe_unref(p);
	p->conn.data = p;
	if (uv_tcp_connect(&p->conn, &p->tcp, res->ai_addr, on_probe_connect))
		probe_end(p, 0);
	uv_freeaddrinfo(res);
}

/* A nonblocking TCP connect to the remote's host and port, bounded by probe_timeout. */
static void probe(cairn_agent *a, remote *r, int then_round)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
	probe_ctx *p = calloc(1, sizeof(*p));
	if (!p) {
		if (then_round)
			a->busy = 0;
		return;
	}
	p->a = a;
	p->then_round = then_round;
	p->result = -1;
	p->refs = 2; /* the timer's close and the name lookup */
	snprintf(p->name, sizeof(p->name), "%s", r->name);
	uv_timer_init(&a->loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, on_probe_timeout, a->cfg.probe_timeout_ms, 0);
	p->gai.data = p;
	if (uv_getaddrinfo(&a->loop, &p->gai, on_probe_resolved, r->host, r->port, &hints)) {
		probe_end(p, 0);
		probe_unref(p);
	}
}

/* ---- path remotes (a USB stick): watch the nearest existing ancestor ---------------------------- */

static void unwatch(remote *r)
{
	if (r->watch)
		uv_close((uv_handle_t *)r->watch, (uv_close_cb)free);
	r->watch = NULL;
}

static void on_path_event(uv_fs_event_t *h, const char *file, int events, int status);

static void watch_path(cairn_agent *a, remote *r)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s", r->path);
	for (;;) { /* the parent first: the stick's mount point appears in it */
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			snprintf(dir, sizeof(dir), "/");
			break;
		}
		*slash = '\0';
		if (access(dir, F_OK) == 0)
			break;
	}
	if (r->watch && !strcmp(r->watched, dir))
		return;
	unwatch(r);
	if (!(r->watch = calloc(1, sizeof(*r->watch))))
		return;
	uv_fs_event_init(&a->loop, r->watch);
	r->watch->data = a;
	snprintf(r->watched, sizeof(r->watched), "%s", dir);
	if (uv_fs_event_start(r->watch, on_path_event, dir, 0)) {
		uv_close((uv_handle_t *)r->watch, (uv_close_cb)free);
		r->watch = NULL;
	}
}

static void check_paths(cairn_agent *a)
{
	uint64_t now = uv_now(&a->loop);
	for (int i = 0; i < a->nremotes; i++) {
		remote *r = &a->remotes[i];
		int there;
		if (r->kind != R_PATH)
			continue;
		there = access(r->path, F_OK) == 0;
		if (there != r->s.reachable)
			alog(a, CAIRN_LOG_INFO, "remote %s is %s", r->name, there ? "present" : "absent");
		cairn_sched_reachable(&r->s, now, there);
		watch_path(a, r);
	}
	reschedule(a);
}

static void on_path_event(uv_fs_event_t *h, const char *file, int events, int status)
{
	(void)file;
	(void)events;
	(void)status;
	check_paths(h->data);
}

/* ---- connectivity: rtnetlink ------------------------------------------------------------------- */

static void on_net_settled(uv_timer_t *t)
{
	cairn_agent *a = t->data;
	alog(a, CAIRN_LOG_INFO, "network changed: probing remotes");
	for (int i = 0; i < a->nremotes; i++)
		if (a->remotes[i].kind == R_NET)
			probe(a, &a->remotes[i], 0);
	check_paths(a);
}

static void on_netlink(uv_poll_t *h, int status, int events)
{
	cairn_agent *a = h->data;
	char buf[8192];
	(void)events;
	if (status < 0)
		return;
	while (recv(a->nl_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	/* Links and routes change in bursts: probe once it settles. */
	uv_timer_start(&a->net_timer, on_net_settled, NET_SETTLE_MS, 0);
}

static void open_netlink(cairn_agent *a)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
	                         .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE |
	                                      RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE};
	a->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (a->nl_fd < 0 || bind(a->nl_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		alog(a, CAIRN_LOG_WARN, "no rtnetlink (%s): connectivity changes are noticed at the next retry",
		     strerror(errno));
		if (a->nl_fd >= 0)
			close(a->nl_fd);
		a->nl_fd = -1;
		return;
	}
	uv_poll_init_socket(&a->loop, &a->nl_poll, a->nl_fd);
	a->nl_poll.data = a;
	uv_poll_start(&a->nl_poll, UV_READABLE, on_netlink);
}

/* ---- lock / unlock ------------------------------------------------------------------------------ */

/* The idle connection goes first: it holds its own copy of the key. */
static void release_key(cairn_agent *a)
{
	cairn_journal_free(a->held);
	a->held = NULL;
	if (a->key)
		sodium_free(a->key); /* sodium_free wipes */
	a->key = NULL;
}

/* Opened on the threadpool at unlock (the open reads the database), on the loop only at start. */
static void hold(cairn_agent *a, cairn_journal *j)
{
	if (a->held || !a->key || a->stopping) {
		cairn_journal_free(j);
		return;
	}
	if (!j && cairn_journal_open_idle(&j, a->dir, a->key)) {
		alog(a, CAIRN_LOG_WARN, "cannot hold the journal open (%s): commands will open it cold",
		     cairn_error_last());
		return;
	}
	a->held = j;
	alog(a, CAIRN_LOG_DEBUG, "holding the journal open");
}

static void lock_now(cairn_agent *a, const char *why)
{
	if (a->key) {
		release_key(a);
		alog(a, CAIRN_LOG_INFO, "locked (%s): key wiped", why);
	}
	/* A running round holds its own copy of the key (its journal's) until it ends: cut its connections
	 * so that it ends now rather than after its whole transfer. A round stopped anywhere is safe (the
	 * engine's crash invariants); the next one, after an unlock, completes it. */
	if (a->busy) {
		int n = cairn__netstream_abort_all();
		alog(a, CAIRN_LOG_INFO,
		     "locked during a round with %s: cut %d network connection(s); its copy of the "
		     "key goes when it ends",
		     a->busy_remote, n);
	}
	uv_timer_stop(&a->idle_timer);
	reschedule(a);
}

static void on_idle(uv_timer_t *t) { lock_now(t->data, "idle timeout"); }

static void touch_idle(cairn_agent *a)
{
	if (a->key && a->cfg.idle_lock_ms && !a->stopping)
		uv_timer_start(&a->idle_timer, on_idle, a->cfg.idle_lock_ms, 0);
}

static int set_key(cairn_agent *a, const unsigned char *key)
{
	if (!a->key && !(a->key = sodium_malloc(32)))
		return cairn_error_set(CAIRN_ENOMEM, "cannot allocate locked memory");
	memcpy(a->key, key, 32);
	return 0;
}

/* ---- the control socket ------------------------------------------------------------------------- */

static void conn_closed(uv_handle_t *h)
{
	conn *c = h->data, **pp;
	cairn_agent *a = c->a;
	for (pp = &a->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	sodium_free(c->buf);
	free(c);
}

static void conn_close(conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

typedef struct {
	uv_write_t req;
	conn *c;
	unsigned char *data; /* sodium_malloc'd: may hold a key */
} write_ctx;

static void on_written(uv_write_t *req, int status)
{
	write_ctx *w = req->data;
	(void)status;
	conn_close(w->c);
	sodium_free(w->data);
	free(w);
}

/* Send `line` ("ok ..." without the newline) and, for a key, 32 bytes; then close. */
static void reply(conn *c, const char *line, const unsigned char *key)
{
	size_t n = strlen(line);
	write_ctx *w = calloc(1, sizeof(*w));
	uv_buf_t b;
	if (!w || !(w->data = sodium_malloc(n + 1 + (key ? 32 : 0)))) {
		free(w);
		conn_close(c);
		return;
	}
	memcpy(w->data, line, n);
	w->data[n] = '\n';
	if (key)
		memcpy(w->data + n + 1, key, 32);
	w->c = c;
	w->req.data = w;
	b = uv_buf_init((char *)w->data, (unsigned)(n + 1 + (key ? 32 : 0)));
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, on_written)) {
		sodium_free(w->data);
		free(w);
		conn_close(c);
	}
}

static char *iso(time_t t, char *buf, size_t n)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void json_str(char *out, size_t n, const char *s)
{
	size_t k = 0;
	for (; *s && k + 7 < n; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			k += (size_t)snprintf(out + k, n - k, "\\%c", ch);
		else if (ch < 0x20)
			k += (size_t)snprintf(out + k, n - k, "\\u%04x", ch);
		else
			out[k++] = (char)ch;
	}
	out[k] = '\0';
}

static void reply_status(cairn_agent *a, conn *c)
{
	size_t cap = 1024 + (size_t)a->nremotes * 2400, k;
	char *s = malloc(cap), t1[32], t2[32], e[600], u[2100];
	if (!s) {
		reply(c, "error out of memory", NULL);
		return;
	}
	k = (size_t)snprintf(s, cap, "ok {\"pid\":%d,\"locked\":%s,\"round\":", (int)getpid(),
	                     a->key ? "false" : "true");
	k += (size_t)(a->busy ? snprintf(s + k, cap - k, "\"%s\"", a->busy_remote) : snprintf(s + k, cap - k, "null"));
	k += (size_t)snprintf(s + k, cap - k, ",\"interval\":%.3f,\"remotes\":[",
	                      (double)a->cfg.sched.interval_ms / 1000);
	for (int i = 0; i < a->nremotes; i++) {
		remote *r = &a->remotes[i];
		json_str(e, sizeof(e), r->last_error);
		json_str(u, sizeof(u), r->url);
		k += (size_t)snprintf(
		        s + k, cap - k,
		        "%s{\"name\":\"%s\",\"url\":\"%s\",\"reachable\":%s,\"last_success\":%s%s%s,"
		        "\"last_error\":%s%s%s,\"failures\":%u,\"next_attempt\":%s%s%s}",
		        i ? "," : "", r->name, u,
		        r->s.reachable < 0 ? "null"
		        : r->s.reachable   ? "true"
		                           : "false",
		        r->last_ok_wall ? "\"" : "", r->last_ok_wall ? iso(r->last_ok_wall, t1, sizeof(t1)) : "null",
		        r->last_ok_wall ? "\"" : "", r->last_error[0] ? "\"" : "", r->last_error[0] ? e : "null",
		        r->last_error[0] ? "\"" : "", r->s.failures, a->key ? "\"" : "",
		        a->key ? iso(r->next_wall, t2, sizeof(t2)) : "null", a->key ? "\"" : "");
	}
	snprintf(s + k, cap - k, "]}");
	reply(c, s, NULL);
	free(s);
}

/* `sync --now` connections wait until every remote has finished a round started after the request. */
static void reply_waiters(cairn_agent *a)
{
	for (conn *c = a->conns; c; c = c->next) {
		int done = 1, failed = 0;
		if (!c->want_gen || c->closing)
			continue;
		for (int i = 0; i < a->nremotes; i++) {
			done &= a->remotes[i].done_gen >= c->want_gen;
			failed |= a->remotes[i].s.last_rc != 0;
		}
		if (!a->key) {
			c->want_gen = 0;
			reply(c, "locked", NULL);
		} else if (done) {
			c->want_gen = 0;
			reply(c, failed ? "ok some remotes failed (cairn agent status)" : "ok synced", NULL);
		}
	}
}

typedef struct {
	uv_work_t req;
	cairn_agent *a;
	conn *c;
	char *pass; /* sodium_malloc'd */
	size_t len;
	unsigned char *key;
	cairn_journal *held; /* the idle connection, opened here too: the loop never reads the database */
	char why[256];       /* why it could not open */
	int rc;
} unlock_work;

static void unlock_cb(uv_work_t *req)
{
	unlock_work *w = req->data;
	w->rc = cairn_key_unlock(&w->key, w->a->dir, w->pass, w->len);
	if (!w->rc && cairn_journal_open_idle(&w->held, w->a->dir, w->key))
		snprintf(w->why, sizeof(w->why), "%s", cairn_error_last());
}

static void unlock_after(uv_work_t *req, int status)
{
	unlock_work *w = req->data;
	cairn_agent *a = w->a;
	(void)status;
	sodium_free(w->pass);
	w->c->pending = 0;
	if (!w->rc && !a->stopping && !set_key(a, w->key)) {
		alog(a, CAIRN_LOG_INFO, "unlocked");
		if (w->held)
			hold(a, w->held);
		else if (!a->held)
			alog(a, CAIRN_LOG_WARN, "cannot hold the journal open (%s): commands will open it cold",
			     w->why);
		w->held = NULL;
		touch_idle(a);
		reschedule(a);
		reply(w->c, "ok unlocked", NULL);
	} else {
		alog(a, CAIRN_LOG_WARN, "unlock refused: %s", w->rc == CAIRN_EAUTH ? "wrong passphrase" : "error");
		reply(w->c, w->rc == CAIRN_EAUTH ? "error wrong passphrase" : "error cannot unlock", NULL);
	}
	cairn_journal_free(w->held); /* not taken: refused, stopping */
	cairn_key_free(w->key);
	free(w);
}

static void start_unlock(cairn_agent *a, conn *c, const unsigned char *pass, size_t len)
{
	unlock_work *w = calloc(1, sizeof(*w));
	if (!w || !(w->pass = sodium_malloc(len + 1))) {
		free(w);
		reply(c, "error out of memory", NULL);
		return;
	}
	memcpy(w->pass, pass, len);
	w->pass[len] = '\0';
	w->len = len;
	w->a = a;
	w->c = c;
	w->req.data = w;
	c->pending = 1;
	if (uv_queue_work(&a->loop, &w->req, unlock_cb, unlock_after)) {
		c->pending = 0;
		sodium_free(w->pass);
		free(w);
		reply(c, "error cannot unlock", NULL);
	}
}

static void sync_all_now(cairn_agent *a)
{
	uint64_t now = uv_now(&a->loop);
	for (int i = 0; i < a->nremotes; i++)
		cairn_sched_force(&a->remotes[i].s, now);
}

/* One complete request is in c->buf (a line, then for unlock its bytes). */
static void handle(conn *c, const char *line, const unsigned char *payload, size_t plen)
{
	cairn_agent *a = c->a;
	if (!strcmp(line, "key")) {
		if (!a->key) {
			reply(c, "locked", NULL);
			return;
		}
		touch_idle(a);
		alog(a, CAIRN_LOG_DEBUG, "session handed to a command");
		reply(c, "ok key", a->key);
	} else if (!strcmp(line, "status")) {
		reply_status(a, c);
	} else if (!strcmp(line, "changed")) {
		uint64_t now = uv_now(&a->loop);
		load_remotes(a, 0);
		for (int i = 0; i < a->nremotes; i++)
			cairn_sched_change(&a->remotes[i].s, &a->cfg.sched, now);
		reschedule(a);
		reply(c, "ok", NULL);
	} else if (!strcmp(line, "sync")) {
		if (!a->key) {
			reply(c, "locked", NULL);
			return;
		}
		load_remotes(a, 1);
		if (!a->nremotes) {
			reply(c, "error no remotes to sync with (cairn remote add NAME URL)", NULL);
			return;
		}
		c->want_gen = ++a->gen;
		sync_all_now(a);
		reschedule(a);
	} else if (!strcmp(line, "lock")) {
		lock_now(a, "cairn lock");
		reply(c, "ok locked", NULL);
	} else if (!strncmp(line, "unlock ", 7)) {
		start_unlock(a, c, payload, plen);
	} else {
		reply(c, "error unknown request", NULL);
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	conn *c = h->data;
	(void)suggested;
	*buf = uv_buf_init((char *)c->buf + c->len, (unsigned)(CONN_MAX - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	conn *c = s->data;
	unsigned char *nl;
	(void)buf;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	if (!(nl = memchr(c->buf, '\n', c->len))) {
		if (c->len >= CONN_MAX || memchr(c->buf, '\0', c->len))
			conn_close(c);
		return;
	}
	*nl = '\0';
	size_t head = (size_t)(nl - c->buf) + 1, want = 0;
	if (!strncmp((char *)c->buf, "unlock ", 7)) {
		char *end;
		unsigned long v = strtoul((char *)c->buf + 7, &end, 10);
		if (*end || v == 0 || v > CONN_MAX - 64) {
			uv_read_stop(s);
			reply(c, "error bad request", NULL);
			return;
		}
		want = v;
	}
	if (c->len - head < want) {
		*nl = '\n';
		return;
	}
	uv_read_stop(s);
	handle(c, (char *)c->buf, c->buf + head, want);
	sodium_memzero(c->buf, CONN_MAX); /* a passphrase was here */
}

static void on_connection(uv_stream_t *server, int status)
{
	cairn_agent *a = server->data;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	uv_os_fd_t fd;
	conn *c;
	if (status < 0 || !(c = calloc(1, sizeof(*c))))
		return;
	if (!(c->buf = sodium_malloc(CONN_MAX))) {
		free(c);
		return;
	}
	c->a = a;
	uv_pipe_init(&a->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->next = a->conns;
	a->conns = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe)) {
		conn_close(c);
		return;
	}
	/* The socket's mode keeps other users out; the peer's uid proves it (a chmod cannot fool this). */
	if (uv_fileno((uv_handle_t *)&c->pipe, &fd) || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) ||
	    cr.uid != geteuid()) {
		alog(a, CAIRN_LOG_WARN, "refused a connection from uid %ld (pid %ld): not this user",
		     len == sizeof(cr) ? (long)cr.uid : -1L, len == sizeof(cr) ? (long)cr.pid : -1L);
		reply(c, "refused", NULL);
		return;
	}
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/* ---- signals and shutdown ----------------------------------------------------------------------- */

static void on_grace(uv_timer_t *t)
{
	cairn_agent *a = t->data;
	/* A round killed mid-way is safe (the engine's crash invariants): the next start completes it. */
	alog(a, CAIRN_LOG_WARN, "round with %s still running after %llu ms: abandoning it", a->busy_remote,
	     (unsigned long long)a->cfg.grace_ms);
	unlink(a->sock);
	release_key(a);
	_exit(0);
}

static void stop(cairn_agent *a, const char *why)
{
	if (a->stopping)
		return;
	a->stopping = 1;
	alog(a, CAIRN_LOG_INFO, "stopping (%s)%s", why, a->busy ? ": waiting for the current round" : "");
	unlink(a->sock);             /* new commands go their own way at once */
	cairn_journal_free(a->held); /* a round still running keeps the key until it ends */
	a->held = NULL;
	uv_close((uv_handle_t *)&a->server, NULL);
	uv_close((uv_handle_t *)&a->sigint, NULL);
	uv_close((uv_handle_t *)&a->sigterm, NULL);
	uv_close((uv_handle_t *)&a->sighup, NULL);
	uv_close((uv_handle_t *)&a->sched_timer, NULL);
	uv_close((uv_handle_t *)&a->idle_timer, NULL);
	uv_close((uv_handle_t *)&a->net_timer, NULL);
	uv_close((uv_handle_t *)&a->stuck_timer, NULL); /* the grace timer bounds a round from here on */
	if (a->nl_fd >= 0)
		uv_close((uv_handle_t *)&a->nl_poll, NULL);
	for (int i = 0; i < a->nremotes; i++)
		unwatch(&a->remotes[i]);
	for (conn *c = a->conns; c; c = c->next)
		if (c->want_gen)
			reply(c, "error the agent is stopping", NULL);
		else if (!c->pending)
			conn_close(c);
	if (a->busy)
		uv_timer_start(&a->grace_timer, on_grace, a->cfg.grace_ms, 0);
	else
		uv_close((uv_handle_t *)&a->grace_timer, NULL);
}

static void on_signal(uv_signal_t *h, int sig)
{
	cairn_agent *a = h->data;
	agent_cfg fresh;
	if (sig != SIGHUP) {
		stop(a, sig == SIGINT ? "SIGINT" : "SIGTERM");
		return;
	}
	if (cfg_load(&fresh, a->cfg.path[0] ? a->cfg.path : NULL)) {
		alog(a, CAIRN_LOG_ERROR, "SIGHUP: %s; keeping the old settings", cairn_error_last());
		return;
	}
	if (a->log_level_opt >= 0)
		fresh.log_level = a->log_level_opt;
	a->cfg = fresh;
	load_remotes(a, 1);
	alog(a, CAIRN_LOG_INFO, "SIGHUP: config reloaded (%d remotes, interval %llu ms)", a->nremotes,
	     (unsigned long long)a->cfg.sched.interval_ms);
	touch_idle(a);
	reschedule(a);
}

/* ---- lifecycle ---------------------------------------------------------------------------------- */

/*
 * The agent's socket takes the passphrase of `cairn unlock` and hands out the key, and it writes its pid
 * and log into the journal directory. In a directory another user owns or may write to, they could put
 * their own socket in its place or a link where the agent writes: refuse to serve from it.
 */
static int private_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return cairn_error_set(CAIRN_ENOTFOUND, "no journal in '%s': run 'cairn init' first", dir);
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return cairn_error_set(
		        CAIRN_ERROR,
		        "the journal directory '%s' is not private (owner uid %u, mode %03o): other users "
		        "could take the agent's place; make it yours and 'chmod 700' it",
		        dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
	return 0;
}

int cairn_agent_open(cairn_agent **out, const cairn_agent_options *o)
{
	cairn_agent *a;
	char pid[32];
	int rc;
	*out = NULL;
	if (!o || !o->dir)
		return cairn_error_set(CAIRN_EINVAL, "the agent needs a journal directory");
	if ((rc = cairn_global_init()))
		return rc;
	if (!(a = calloc(1, sizeof(*a))))
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	a->lockfd = a->nl_fd = -1;
	a->ready_fd = o->ready_fd;
	a->log_level_opt = o->log_level;
	snprintf(a->log_file_opt, sizeof(a->log_file_opt), "%s", o->log_file ? o->log_file : "");
	snprintf(a->dir, sizeof(a->dir), "%s", o->dir);
	snprintf(a->sock, sizeof(a->sock), "%s/agent.sock", o->dir);
	snprintf(a->lockpath, sizeof(a->lockpath), "%s/agent.lock", o->dir);
	snprintf(a->gitconfig, sizeof(a->gitconfig), "%s/logs.git/config", o->dir);
	if (strlen(a->sock) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		rc = cairn_error_set(CAIRN_EINVAL, "the journal path '%s' is too long for a unix socket", o->dir);
		goto fail;
	}
	if ((rc = private_dir(o->dir)) || (rc = cfg_load(&a->cfg, o->config)) || (rc = open_log(a)))
		goto fail;
	snprintf(pid, sizeof(pid), "%s/key", o->dir);
	if (access(pid, F_OK) != 0) {
		rc = cairn_error_set(CAIRN_ENOTFOUND, "no journal in '%s': run 'cairn init' first", o->dir);
		goto fail;
	}
	/* The claim: an flock dies with its process, so a kill -9 leaves nothing that blocks the next start. */
	a->lockfd = open(a->lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (a->lockfd < 0) {
		rc = cairn_error_set(CAIRN_EIO, "cannot open '%s': %s", a->lockpath, strerror(errno));
		goto fail;
	}
	if (flock(a->lockfd, LOCK_EX | LOCK_NB) != 0) {
		ssize_t n = read(a->lockfd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		rc = cairn_error_set(CAIRN_EEXISTS, "an agent already runs for '%s' (pid %s)", o->dir,
		                     pid[0] ? pid : "?");
		goto fail;
	}
	*out = a;
	return 0;
fail:
	cairn_agent_free(a);
	return rc;
}

int cairn_agent_set_key(cairn_agent *a, const unsigned char key[32]) { return set_key(a, key); }

int cairn_agent_forked(cairn_agent *a)
{
	unsigned char *k;
	if (!a->key)
		return 0;
	if (!(k = sodium_malloc(32)))
		return cairn_error_set(CAIRN_ENOMEM, "cannot allocate locked memory");
	memcpy(k, a->key, 32);
	sodium_free(a->key); /* wipes the page the fork left unlocked */
	a->key = k;
	return 0;
}

void cairn_agent_set_round_hook(cairn_agent *a, cairn_agent_round_hook fn, void *ud)
{
	a->hook = fn;
	a->hook_ud = ud;
}

static int listen_socket(cairn_agent *a)
{
	mode_t old;
	int rc;
	/* We hold the claim, so a socket file left here is stale (its agent was killed). */
	unlink(a->sock);
	uv_pipe_init(&a->loop, &a->server, 0);
	a->server.data = a;
	old = umask(0177);
	rc = uv_pipe_bind(&a->server, a->sock);
	umask(old);
	if (!rc)
		rc = chmod(a->sock, 0600) ? uv_translate_sys_error(errno) : 0;
	if (!rc)
		rc = uv_listen((uv_stream_t *)&a->server, 16, on_connection);
	if (rc)
		return cairn_error_set(CAIRN_EIO, "cannot listen on '%s': %s", a->sock, uv_strerror(rc));
	return 0;
}

int cairn_agent_run(cairn_agent *a)
{
	char pid[32];
	int rc, n;
	if (ftruncate(a->lockfd, 0) == 0) { /* the pid is for people; the flock is the claim */
		n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
		if (pwrite(a->lockfd, pid, (size_t)n, 0) != n)
			alog(a, CAIRN_LOG_WARN, "cannot write the pid to '%s'", a->lockpath);
	}
	signal(SIGPIPE, SIG_IGN);
	cairn_log_set(lib_log, a);
	if ((rc = uv_loop_init(&a->loop)))
		return cairn_error_set(CAIRN_ERROR, "cannot start the event loop: %s", uv_strerror(rc));
	if ((rc = listen_socket(a))) {
		uv_close((uv_handle_t *)&a->server, NULL);
		uv_run(&a->loop, UV_RUN_DEFAULT);
		uv_loop_close(&a->loop);
		return rc;
	}
	uv_timer_init(&a->loop, &a->sched_timer);
	uv_timer_init(&a->loop, &a->idle_timer);
	uv_timer_init(&a->loop, &a->net_timer);
	uv_timer_init(&a->loop, &a->grace_timer);
	uv_timer_init(&a->loop, &a->stuck_timer);
	a->sched_timer.data = a->idle_timer.data = a->net_timer.data = a->grace_timer.data = a->stuck_timer.data = a;
	uv_signal_init(&a->loop, &a->sigint);
	uv_signal_init(&a->loop, &a->sigterm);
	uv_signal_init(&a->loop, &a->sighup);
	a->sigint.data = a->sigterm.data = a->sighup.data = a;
	uv_signal_start(&a->sigint, on_signal, SIGINT);
	uv_signal_start(&a->sigterm, on_signal, SIGTERM);
	uv_signal_start(&a->sighup, on_signal, SIGHUP);
	open_netlink(a);
	hold(a, NULL); /* started unlocked: after the fork, which must not inherit SQLite's locks */
	load_remotes(a, 1);
	check_paths(a);
	alog(a, CAIRN_LOG_INFO, "listening on %s (%s, %d remotes, interval %llu ms)", a->sock,
	     a->key ? "unlocked" : "locked", a->nremotes, (unsigned long long)a->cfg.sched.interval_ms);
	touch_idle(a);
	reschedule(a);
	if (a->ready_fd >= 0) {
		if (write(a->ready_fd, "ready\n", 6) != 6)
			alog(a, CAIRN_LOG_DEBUG, "nobody waits for the ready line");
		close(a->ready_fd);
		a->ready_fd = -1;
	}
	uv_run(&a->loop, UV_RUN_DEFAULT);
	uv_run(&a->loop, UV_RUN_DEFAULT); /* close callbacks queued by the last ones */
	if (a->nl_fd >= 0)
		close(a->nl_fd);
	rc = uv_loop_close(&a->loop);
	if (rc)
		alog(a, CAIRN_LOG_WARN, "event loop closed with handles open: %s", uv_strerror(rc));
	cairn_log_set(NULL, NULL);
	alog(a, CAIRN_LOG_INFO, "stopped");
	return 0;
}

void cairn_agent_free(cairn_agent *a)
{
	if (!a)
		return;
	release_key(a);
	if (a->lockfd >= 0)
		close(a->lockfd);
	if (a->log)
		fclose(a->log);
	free(a);
}
