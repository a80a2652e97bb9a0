/*
 * bench_sync.c — what a sync costs, against baselines measured in the same run. Not a test: it prints
 * figures, ratios and PASS/MISS against the goals, and fails only when something cannot be measured.
 *
 *   wire FILE     bytes on the wire to push the contacts of FILE (one contact + one note each) to git
 *                 daemon through the relay (tests/integration/lib/cutproxy.py), against
 *                 (i) zstd -3 of the same events as JSON lines (goal <= 1.3x) and (ii) what the git
 *                 command-line client sends to push the same commits through the same relay (<= 1.1x).
 *   import FILE   import throughput (verify + decrypt + apply) of every event of FILE, sealed by a source
 *                 device and fetched into a target's log repository with plain git first, so the timed
 *                 part is cairn_sync_import() alone; against plain SQLite inserts of the same rows (as
 *                 bench_journal's baseline: WAL, synchronous=FULL, one transaction per segment).
 *                 Then the incremental cost: a sync of 100 new events by the writer and by a reader,
 *                 on journals holding that whole history against fresh journals (goal <= 1.2x in bytes
 *                 and time; best of BENCH_SYNC_ROUNDS rounds, default 5, alternating).
 *
 * Input: JSON Lines from shared/bench/workload.py. Environment (bench/bench_sync.sh sets it):
 *   BENCH_GIT_URL        git://127.0.0.1:P of the relay in front of git daemon
 *   BENCH_REPOS          git daemon's base path (bare repositories are created there)
 *   BENCH_RELAY_CONTROL  the relay's control port
 */
#include "cairn.h"
#include "cairn_sync.h"
#include "workload.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WIRE_ZSTD_GOAL 1.3
#define WIRE_GIT_GOAL 1.1
#define INCR_GOAL 1.2
#define INCR_EVENTS 100

static char root[256];
static const char *git_url, *repos;
static int relay_port;

static double clock_s(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static void die(const char *what)
{
	fprintf(stderr, "bench_sync: %s: %s\n", what, cairn_error_last());
	exit(1);
}

__attribute__((format(printf, 1, 2))) static void sh(const char *fmt, ...);
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_sync: command failed: %s\n", cmd);
		exit(1);
	}
}

__attribute__((format(printf, 1, 2))) static long long sh_number(const char *fmt, ...);
static long long sh_number(const char *fmt, ...)
{
	char cmd[4096], line[128] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	if (!p || !fgets(line, sizeof(line), p) || pclose(p) != 0) {
		fprintf(stderr, "bench_sync: command failed: %s\n", cmd);
		exit(1);
	}
	return atoll(line);
}

/* ---- the relay's control port ---- */

typedef struct {
	long long conns, up, down;
} relay_stats;

static void relay_cmd(const char *cmd, char *reply, size_t n)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)relay_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("bench_sync: relay control port");
		exit(1);
	}
	if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd) || write(fd, "\n", 1) != 1) {
		perror("bench_sync: relay control port");
		exit(1);
	}
	size_t k = 0;
	while (k + 1 < n) {
		ssize_t r = read(fd, reply + k, 1);
		if (r <= 0 || reply[k] == '\n')
			break;
		k++;
	}
	reply[k] = '\0';
	close(fd);
}

static void relay_reset(void)
{
	char r[200];
	relay_cmd("reset", r, sizeof(r));
}

static relay_stats relay_get(void)
{
	char r[200];
	relay_stats s = {0, 0, 0};
	relay_cmd("stats", r, sizeof(r));
	if (sscanf(r, "conns=%lld up=%lld down=%lld", &s.conns, &s.up, &s.down) != 3) {
		fprintf(stderr, "bench_sync: relay says '%s'\n", r);
		exit(1);
	}
	return s;
}

/* ---- workload ---- */

typedef struct {
	char **contact, **note; /* fields JSON; note may be NULL */
	size_t n;
} workload;

/* The contacts of `path` (workload.py JSON Lines, as workload.h reads them), each with its first note. */
static void load(workload *w, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t wcap = 0;
	wl_contact c;
	if (!f) {
		perror(path);
		exit(2);
	}
	while (wl_next(f, &c)) {
		if (w->n == wcap) {
			wcap = wcap ? 2 * wcap : 1024;
			w->contact = realloc(w->contact, wcap * sizeof(char *));
			w->note = realloc(w->note, wcap * sizeof(char *));
		}
		w->contact[w->n] = c.contact;
		w->note[w->n] = c.nnotes ? c.notes[0] : NULL;
		for (size_t i = 1; i < c.nnotes; i++)
			free(c.notes[i]);
		free(c.notes);
		w->n++;
	}
	fclose(f);
}

/* Appends contacts [from, to) of w (each with its note); returns the number of events. */
static uint64_t write_events(cairn_journal *j, const workload *w, size_t from, size_t to)
{
	char id[CAIRN_ID_LEN];
	uint64_t n = 0;
	if (cairn_batch_begin(j))
		die("batch");
	for (size_t i = from; i < to; i++) {
		if (cairn_contact_set(j, NULL, w->contact[i], id))
			die("contact");
		n++;
		if (w->note[i]) {
			if (cairn_note_add(j, id, w->note[i], NULL))
				die("note");
			n++;
		}
		if (n % 1000 == 0 && (cairn_batch_commit(j) || cairn_batch_begin(j)))
			die("batch");
	}
	if (cairn_batch_commit(j))
		die("batch");
	return n;
}

/* ---- devices ---- */

typedef struct {
	cairn_journal *j;
	cairn_sync *s;
	char dir[400];
} device;

static void device_new(device *d, const char *name, const char *join)
{
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	o.kdf = CAIRN_KDF_MIN;
	snprintf(d->dir, sizeof(d->dir), "%s/%s", root, name);
	if (cairn_journal_init(d->dir, "bench", 5, &o) || cairn_journal_open(&d->j, d->dir, "bench", 5) ||
	    cairn_sync_open(&d->s, d->j))
		die("device");
	if (join ? cairn_team_join(d->j, join, "team", 4) : cairn_team_create(d->j, NULL))
		die("team");
}

static void device_free(device *d)
{
	cairn_sync_free(d->s);
	cairn_journal_free(d->j);
}

static void export_team(device *d, const char *path)
{
	if (cairn_team_export(d->j, path, "team", 4, CAIRN_KDF_MIN))
		die("team export");
}

/* A bare repository in git daemon's base path, configured like central; returns its URL. */
static void central(const char *name, char *url, size_t n)
{
	sh("git init -q --bare '%s/%s.git' && git -C '%s/%s.git' config receive.denyNonFastForwards true", repos, name,
	   repos, name);
	snprintf(url, n, "%s/%s.git", git_url, name);
}

static void remote(device *d, const char *url)
{
	cairn_remote_options o = CAIRN_REMOTE_OPTIONS_INIT;
	if (cairn_remote_add(d->s, "central", url, &o))
		die("remote add");
}

typedef struct {
	double wall;
	cairn_sync_result r;
	relay_stats wire;
} measured;

static measured sync_measured(device *d)
{
	measured m;
	relay_reset();
	double t0 = now();
	if (cairn_sync_run(d->s, "central", NULL, &m.r, NULL))
		die("sync");
	m.wall = now() - t0;
	m.wire = relay_get();
	return m;
}

/* ---- a. bytes on the wire ---- */

static int dump_event(const cairn_event *ev, void *ud)
{
	json_t *body = json_loads(ev->body, 0, NULL);
	json_t *o = json_pack("{sIsIsssssO}", "seq", (json_int_t)ev->seq, "hlc", (json_int_t)ev->hlc, "kind", ev->kind,
	                      "entity", ev->entity, "body", body ? body : json_null());
	char *s = json_dumps(o, JSON_COMPACT);
	fprintf(ud, "%s\n", s);
	free(s);
	json_decref(o);
	json_decref(body);
	return 0;
}

static const char *verdict(double ratio, double goal) { return ratio <= goal ? "PASS" : "MISS"; }

static void bench_wire(const char *path)
{
	workload w = {0};
	device s;
	char url[600], events[400];
	load(&w, path);
	device_new(&s, "wire", NULL);
	uint64_t n = write_events(s.j, &w, 0, w.n);
	/* (i) the same events as JSON lines, zstd -3 */
	snprintf(events, sizeof(events), "%s/events.jsonl", root);
	FILE *f = fopen(events, "w");
	if (!f || cairn_events_foreach(s.j, NULL, 0, 0, dump_event, f) < 0)
		die("events");
	fclose(f);
	long long json_bytes = sh_number("wc -c < '%s'", events);
	long long zstd_bytes = sh_number("zstd -q -3 -c '%s' | wc -c", events);
	long long input_zstd = sh_number("zstd -q -3 -c '%s' | wc -c", path);
	/* cairn */
	central("wire", url, sizeof(url));
	remote(&s, url);
	measured m = sync_measured(&s);
	/* (ii) the git client pushing the same commits from a copy of the log repository */
	char copy[500];
	snprintf(copy, sizeof(copy), "%s/wire-copy.git", root);
	sh("cp -a '%s/logs.git' '%s'", s.dir, copy);
	central("wire-git", url, sizeof(url));
	relay_reset();
	double t0 = now();
	sh("git -C '%s' push -q '%s' 'refs/heads/logs/*:refs/heads/logs/*'", copy, url);
	double tgit = now() - t0;
	relay_stats g = relay_get();
	long long same = sh_number("test \"$(git -C '%s/wire.git' for-each-ref)\" = \"$(git -C '%s/wire-git.git' "
	                           "for-each-ref)\" && echo 1 || echo 0",
	                           repos, repos);
	printf("a. bytes on the wire: push %zu contacts with one note each (%llu events, %llu segment(s))\n", w.n,
	       (unsigned long long)n, (unsigned long long)m.r.segments_sent);
	printf("   events as JSON lines        %9lld bytes; zstd -3: %lld bytes (workload input: zstd -3 %lld)\n",
	       json_bytes, zstd_bytes, input_zstd);
	printf("   cairn sync, relay count     %9lld bytes up, %lld down, %lld connections, %.2f s\n", m.wire.up,
	       m.wire.down, m.wire.conns, m.wall);
	printf("   cairn sync, bytes_sent      %9llu bytes (libgit2's own count of the pack)\n",
	       (unsigned long long)m.r.bytes_sent);
	printf("   git push, relay count       %9lld bytes up, %lld down, %.2f s (same refs: %s)\n", g.up, g.down, tgit,
	       same ? "yes" : "NO");
	double r1 = (double)m.wire.up / (double)zstd_bytes, r2 = (double)m.wire.up / (double)g.up;
	printf("   ratio cairn / zstd -3 JSON  %9.3fx  goal <= %.1fx  %s\n", r1, WIRE_ZSTD_GOAL,
	       verdict(r1, WIRE_ZSTD_GOAL));
	printf("   ratio cairn / git push      %9.3fx  goal <= %.1fx  %s\n", r2, WIRE_GIT_GOAL,
	       verdict(r2, WIRE_GIT_GOAL));
	printf("   (cairn / zstd -3 of the workload input: %.3fx; the input has no ids, seqs or clocks)\n",
	       (double)m.wire.up / (double)input_zstd);
	device_free(&s);
}

/* ---- b. import throughput ---- */

typedef struct {
	cairn_event *ev;
	size_t n, cap;
} rows;

static int keep_row(const cairn_event *ev, void *ud)
{
	rows *r = ud;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 4096;
		r->ev = realloc(r->ev, r->cap * sizeof(*r->ev));
	}
	cairn_event *c = &r->ev[r->n++];
	*c = *ev;
	c->kind = strdup(ev->kind);
	c->entity = strdup(ev->entity);
	c->body = strdup(ev->body);
	c->device = NULL;
	return 0;
}

/* What a record needs to be found: a contact's name or a note's text, from an event's body. */
static char *search_text(const cairn_event *ev)
{
	json_t *b = json_loads(ev->body, 0, NULL), *f = json_object_get(b, "fields");
	const char *t = json_string_value(json_object_get(f, "name"));
	char *out;
	t = t ? t : json_string_value(json_object_get(f, "text"));
	t = t ? t : json_string_value(json_object_get(b, "text"));
	out = strdup(t ? t : "");
	json_decref(b);
	return out;
}

/*
 * The same event rows (read beforehand) into plain SQLite, one transaction per 5,000 (a segment). With
 * `indexed`, bench_journal's floor (workload.h, wl_floor): each row also writes its contact or note row
 * and search index, the state an import builds. The texts are taken out of the bodies before the clock.
 */
static double plain_baseline(cairn_journal *src, const char *dev, int indexed, double *cpu_s)
{
	char path[400];
	sqlite3 *db;
	sqlite3_stmt *st;
	wl_floor fl;
	rows r = {NULL, 0, 0};
	char **text = NULL;
	if (cairn_events_foreach(src, dev, 0, 0, keep_row, &r) < 0)
		die("baseline rows");
	snprintf(path, sizeof(path), "%s/plain%s.db", root, indexed ? "-indexed" : "");
	if (!(db = wl_plain_open(path)) || (indexed && wl_floor_init(db, &fl)))
		die("baseline database");
	sqlite3_prepare_v2(db,
	                   "INSERT INTO events (device, seq, hlc, kind, entity, body, schema, hash) VALUES "
	                   "('0123456789abcdef', ?1, ?2, ?3, ?4, ?5, 1, ?6)",
	                   -1, &st, NULL);
	if (indexed) {
		text = calloc(r.n, sizeof(char *));
		for (size_t i = 0; i < r.n; i++)
			text[i] = search_text(&r.ev[i]);
	}
	double t0 = now(), c0 = cpu();
	for (size_t i = 0; i < r.n; i++) {
		const cairn_event *ev = &r.ev[i];
		if (i % 5000 == 0)
			sqlite3_exec(db, i ? "COMMIT; BEGIN" : "BEGIN", NULL, NULL, NULL);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)ev->seq);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)ev->hlc);
		sqlite3_bind_text(st, 3, ev->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, ev->entity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, ev->body, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 6, ev->hash, 32, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("baseline insert");
		sqlite3_reset(st);
		if (indexed && wl_floor_put(&fl, strcmp(ev->kind, "contact.set") != 0, ev->entity, text[i]))
			die("baseline search index");
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double t = now() - t0;
	*cpu_s = cpu() - c0;
	sqlite3_finalize(st);
	if (indexed)
		wl_floor_free(&fl);
	sqlite3_close(db);
	for (size_t i = 0; i < r.n; i++) {
		free((char *)r.ev[i].kind);
		free((char *)r.ev[i].entity);
		free((char *)r.ev[i].body);
		if (text)
			free(text[i]);
	}
	free(text);
	free(r.ev);
	return t;
}

static void bench_import(const char *path)
{
	workload w = {0};
	device s, t;
	char join[400];
	cairn_sync_result r = {0};
	int rounds = getenv("BENCH_SYNC_ROUNDS") ? atoi(getenv("BENCH_SYNC_ROUNDS")) : 5;
	size_t reserve = (size_t)(rounds > 0 ? rounds : 1) * INCR_EVENTS / 2; /* contacts for part c */
	load(&w, path);
	if (rounds < 1 || w.n < 2 * reserve) {
		fprintf(stderr, "bench_sync import: need more than %zu contacts\n", 2 * reserve);
		exit(2);
	}
	size_t hist = w.n - reserve; /* the last contacts feed the incremental rounds, one contact + note each */
	device_new(&s, "source", NULL);
	snprintf(join, sizeof(join), "%s/join", root);
	export_team(&s, join);
	double t0 = now();
	uint64_t n = write_events(s.j, &w, 0, hist);
	double tw = now() - t0;
	t0 = now();
	double c0 = cpu();
	if (cairn_sync_seal(s.s, &r))
		die("seal");
	double tseal = now() - t0, cseal = cpu() - c0;
	device_new(&t, "target", join);
	/* The target's log repository gets the segments with plain git: only the import is timed. */
	sh("git -C '%s/logs.git' fetch -q '%s/logs.git' '+refs/heads/logs/*:refs/heads/logs/*'", t.dir, s.dir);
	cairn_sync_result ri = {0};
	t0 = now();
	c0 = cpu();
	if (cairn_sync_import(t.s, &ri))
		die("import");
	double timp = now() - t0, cimp = cpu() - c0;
	char da[CAIRN_DIGEST_LEN], db[CAIRN_DIGEST_LEN];
	if (cairn_digest(s.j, da) || cairn_digest(t.j, db))
		die("digest");
	double cplain, cfloor;
	double tplain = plain_baseline(s.j, cairn_journal_device(s.j), 0, &cplain);
	double tfloor = plain_baseline(s.j, cairn_journal_device(s.j), 1, &cfloor);
	printf("b. import throughput: %llu events in %llu segments (verify + decrypt + apply; WAL checkpoints on "
	       "a helper thread, counted in cpu)\n",
	       (unsigned long long)ri.events_applied, (unsigned long long)ri.segments_imported);
	printf("   source: append %.2f s (%.0f events/s); seal %.2f s (cpu %.2f s, %.0f events/s)\n", tw, n / tw, tseal,
	       cseal, n / tseal);
	printf("   plain SQLite inserts        %8.2f s  cpu %6.2f s  %9.0f events/s\n", tplain, cplain, n / tplain);
	printf("   cairn import                %8.2f s  cpu %6.2f s  %9.0f events/s  (digest %s the source's)\n", timp,
	       cimp, ri.events_applied / timp, strcmp(da, db) ? "DIFFERS from" : "equals");
	printf("   plain SQLite + search (floor) %6.2f s  cpu %6.2f s  %9.0f events/s\n", tfloor, cfloor, n / tfloor);
	printf("   ratio cairn / plain         %8.2fx (cpu %.2fx)\n", timp / tplain, cimp / cplain);
	printf("   ratio cairn / floor         %8.2fx (cpu %.2fx)   goal >= 100000 events/s: %s\n", timp / tfloor,
	       cimp / cfloor, ri.events_applied / timp >= 100000 ? "PASS" : "MISS");
	if (ri.events_applied != n || strcmp(da, db)) {
		fprintf(stderr, "bench_sync: the import is incomplete\n");
		exit(1);
	}

	/* ---- c. incremental cost: 100 new events on that history vs on fresh journals ---- */
	char url[600];
	device s0, t0d;
	central("history", url, sizeof(url));
	remote(&s, url);
	remote(&t, url);
	measured first = sync_measured(&s); /* the whole history once */
	sync_measured(&t);
	device_new(&s0, "fresh-source", join);
	device_new(&t0d, "fresh-target", join);
	central("fresh", url, sizeof(url));
	remote(&s0, url);
	remote(&t0d, url);
	sync_measured(&s0);
	sync_measured(&t0d);
	measured best[2][2]; /* [heavy, fresh][writer, reader] */
	double wsum[2][2] = {{0}};
	size_t next = hist;
	for (int k = 0; k < rounds; k++) {
		size_t to = next + INCR_EVENTS / 2 <= w.n ? next + INCR_EVENTS / 2 : w.n;
		for (int side = 0; side < 2; side++) {
			int h = (k + side) % 2; /* alternate which goes first */
			device *wr = h == 0 ? &s : &s0, *rd = h == 0 ? &t : &t0d;
			write_events(wr->j, &w, next, to);
			measured mw = sync_measured(wr), mr = sync_measured(rd);
			if (mr.r.events_applied != (to - next) * 2) {
				fprintf(stderr, "bench_sync: reader applied %llu events\n",
				        (unsigned long long)mr.r.events_applied);
				exit(1);
			}
			if (k == 0 || mw.wall < best[h][0].wall)
				best[h][0] = mw;
			if (k == 0 || mr.wall < best[h][1].wall)
				best[h][1] = mr;
			wsum[h][0] += (double)(mw.wire.up + mw.wire.down);
			wsum[h][1] += (double)(mr.wire.up + mr.wire.down);
		}
		next = to;
	}
	printf("c. incremental cost: sync of %d new events (best of %d rounds; history pushed once: %lld bytes up, "
	       "%.2f s)\n",
	       INCR_EVENTS, rounds, first.wire.up, first.wall);
	const char *who[2] = {"writer (seal, fetch, push)", "reader (fetch, import)"};
	for (int k = 0; k < 2; k++) {
		double bh = wsum[0][k] / rounds, bf = wsum[1][k] / rounds;
		double rt = best[0][k].wall / best[1][k].wall, rb = bh / bf;
		printf("   %-27s %llu-event history: %6.0f ms %7.0f bytes | empty: %6.0f ms %7.0f bytes | time %.2fx %s, "
		       "bytes %.2fx %s\n",
		       who[k], (unsigned long long)n, best[0][k].wall * 1000, bh, best[1][k].wall * 1000, bf, rt,
		       verdict(rt, INCR_GOAL), rb, verdict(rb, INCR_GOAL));
	}
	device_free(&s0);
	device_free(&t0d);
	device_free(&s);
	device_free(&t);
}

int main(int argc, char **argv)
{
	const char *port = getenv("BENCH_RELAY_CONTROL");
	git_url = getenv("BENCH_GIT_URL");
	repos = getenv("BENCH_REPOS");
	if (argc != 3 || !git_url || !repos || !port || (strcmp(argv[1], "wire") && strcmp(argv[1], "import"))) {
		fprintf(stderr, "usage: bench_sync wire|import WORKLOAD.jsonl  (run by bench/bench_sync.sh)\n");
		return 2;
	}
	relay_port = atoi(port);
	snprintf(root, sizeof(root), "%s/cairn-bench-sync-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return 2;
	if (!strcmp(argv[1], "wire"))
		bench_wire(argv[2]);
	else
		bench_import(argv[2]);
	fflush(stdout);
	sh("rm -rf '%s'", root);
	return 0;
}
