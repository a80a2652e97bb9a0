/*
 * bench_reconcile.c — a cold central journal reconciling many devices' logs (goal: 1,000 devices x 1,000
 * events = 1M events in <= 60 s).
 *
 * The import is the existing sync engine's (cairn_sync_run: fetch every log from a bare repository, then
 * verify, decrypt and apply each segment). A full 1M-event run needs 1,000 journals and repositories,
 * more than this shared 2-core box should spend, so it is scaled down and extrapolated: two runs with the
 * same number of events spread over few and many devices separate the per-device cost (a ref, a fetch
 * negotiation, a cursor) from the per-event cost, and T(1000 x 1000) = 1000 a + 1e6 b. Printed as an
 * estimate, with the measured runs beside it.
 *
 * Each device writes a realistic mix (2 contacts : 2 notes : 1 field edit) and pushes to the bare
 * repository; only the central journal's one cold round is timed. Baseline in the same run: plain SQLite
 * (WAL, synchronous=FULL) inserting the same number of event rows, one transaction per 5,000.
 * Usage: bench_reconcile [EVENTS_PER_RUN] [FEW_DEVICES] [MANY_DEVICES]   (default 20000 10 100)
 */
#include "cairn.h"
#include "cairn_sync.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GOAL_S 60.0

static char root[256];

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_reconcile: %s: %s\n", what, cairn_error_last());
	exit(1);
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "bench_reconcile: command failed: %s\n", cmd);
		exit(1);
	}
}

typedef struct {
	cairn_journal *j;
	cairn_sync *s;
} device;

static void device_open(device *d, const char *dir, const char *join, const char *central)
{
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_remote_options ro = CAIRN_REMOTE_OPTIONS_INIT;
	o.kdf = CAIRN_KDF_MIN;
	if (cairn_journal_init(dir, "bench", 5, &o) || cairn_journal_open(&d->j, dir, "bench", 5) ||
	    cairn_sync_open(&d->s, d->j))
		die("device");
	if (join ? cairn_team_join(d->j, join, "team", 4) : cairn_team_create(d->j, NULL))
		die("team");
	if (cairn_remote_add(d->s, "central", central, &ro))
		die("remote");
}

static void device_close(device *d)
{
	cairn_sync_free(d->s);
	cairn_journal_free(d->j);
}

/* `n` events: contact, contact, note, note, phone edit, ... */
static void write_events(cairn_journal *j, size_t n, unsigned seed)
{
	char id[CAIRN_ID_LEN] = "", body[200];
	if (cairn_batch_begin(j))
		die("batch");
	for (size_t i = 0; i < n; i++) {
		int rc;
		switch (i % 5) {
		case 0:
		case 1:
			snprintf(body, sizeof(body), "{\"name\":\"Person %u-%zu\",\"dob\":\"19%02zu-0%zu-1%zu\"}", seed, i,
			         50 + i % 50, 1 + i % 9, i % 10);
			rc = cairn_contact_set(j, NULL, body, id);
			break;
		case 2:
		case 3:
			snprintf(body, sizeof(body), "{\"kind\":\"encounter\",\"date\":\"2026-11-%02zu\",\"minutes\":%zu,"
			                             "\"text\":\"met at the usual place, talked about housing and food\"}",
			         1 + i % 20, 5 + i % 55);
			rc = cairn_note_add(j, id, body, NULL);
			break;
		default:
			snprintf(body, sizeof(body), "{\"phone\":\"555-%04zu\"}", i % 10000);
			rc = cairn_contact_set(j, id, body, NULL);
		}
		if (rc)
			die("write");
	}
	if (cairn_batch_commit(j))
		die("batch");
}

/* Plain SQLite: the same number of event-sized rows, one transaction per 5,000. */
static double baseline(size_t n)
{
	char path[400], body[160];
	sqlite3 *db;
	sqlite3_stmt *st;
	double t0;
	snprintf(path, sizeof(path), "%s/plain.db", root);
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE events (id INTEGER PRIMARY "
	                 "KEY, device TEXT, seq INTEGER, hlc INTEGER, kind TEXT, entity TEXT, body TEXT, UNIQUE (device, "
	                 "seq))",
	             NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO events (device, seq, hlc, kind, entity, body) VALUES (?1, ?2, ?3, "
	                       "'note.add', '01a208c4-404a-7f91-a185-cabff3383dad', ?4)",
	                   -1, &st, NULL);
	t0 = now();
	for (size_t i = 0; i < n; i++) {
		char dev[17];
		if (i % 5000 == 0)
			sqlite3_exec(db, i ? "COMMIT; BEGIN" : "BEGIN", NULL, NULL, NULL);
		snprintf(dev, sizeof(dev), "%016zx", i / 1000);
		snprintf(body, sizeof(body), "{\"kind\":\"encounter\",\"date\":\"2026-11-01\",\"minutes\":%zu,\"text\":\"met "
		                             "at the usual place, talked about housing and food\"}", i % 60);
		sqlite3_bind_text(st, 1, dev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)i << 16);
		sqlite3_bind_text(st, 4, body, -1, SQLITE_TRANSIENT);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	t0 = now() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return t0;
}

/* One run: `ndev` devices of `per` events each push to a fresh bare repo; a cold central imports them.
 * *import_only: a second cold journal whose log repository got the logs by plain git first, so only
 * cairn_sync_import (verify, decrypt, apply) is timed: the rest of the round is fetch and ref work. */
static double run(size_t ndev, size_t per, uint64_t *applied, double *import_only)
{
	char central[400], dir[400], join[400], cmd[900];
	cairn_sync_result r;
	device d, office;
	double t0;
	snprintf(central, sizeof(central), "%s/central-%zu.git", root, ndev);
	snprintf(cmd, sizeof(cmd), "git init -q --bare '%s'", central);
	sh(cmd);
	snprintf(join, sizeof(join), "%s/join-%zu", root, ndev);
	for (size_t i = 0; i < ndev; i++) {
		snprintf(dir, sizeof(dir), "%s/r%zu-dev%zu", root, ndev, i);
		device_open(&d, dir, i ? join : NULL, central);
		if (!i && cairn_team_export(d.j, join, "team", 4, CAIRN_KDF_MIN))
			die("team export");
		write_events(d.j, per, (unsigned)i);
		memset(&r, 0, sizeof(r));
		if (cairn_sync_run(d.s, "central", NULL, &r, NULL))
			die("device sync");
		device_close(&d);
		/* a device's journal is not needed once its log is in central */
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		sh(cmd);
	}
	snprintf(dir, sizeof(dir), "%s/r%zu-office", root, ndev);
	device_open(&office, dir, join, central);
	memset(&r, 0, sizeof(r));
	t0 = now();
	if (cairn_sync_run(office.s, "central", NULL, &r, NULL))
		die("central sync");
	t0 = now() - t0;
	*applied = r.events_applied;
	device_close(&office);
	{
		double t;
		snprintf(dir, sizeof(dir), "%s/r%zu-office2", root, ndev);
		device_open(&office, dir, join, central);
		snprintf(cmd, sizeof(cmd), "git -C '%s/logs.git' fetch -q '%s' '+refs/heads/logs/*:refs/heads/logs/*'", dir,
		         central);
		sh(cmd);
		memset(&r, 0, sizeof(r));
		t = now();
		if (cairn_sync_import(office.s, &r))
			die("central import");
		*import_only = now() - t;
		device_close(&office);
	}
	return t0;
}

int main(int argc, char **argv)
{
	size_t events = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	size_t few = argc > 2 ? strtoul(argv[2], NULL, 10) : 10, many = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
	uint64_t a1, a2;
	double t1, t2, i1, i2, tb, per_dev, per_ev, est;

	snprintf(root, sizeof(root), "%s/cairn-bench-reconcile.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root) || few < 1 || many <= few || events < many)
		return 2;
	t1 = run(few, events / few, &a1, &i1);
	t2 = run(many, events / many, &a2, &i2);
	tb = baseline(a1);
	per_dev = (t2 - t1) / (double)(many - few);
	if (per_dev < 0)
		per_dev = 0; /* noise: the runs do not tell devices apart */
	per_ev = (t1 - per_dev * (double)few) / (double)a1;
	est = 1000 * per_dev + 1e6 * per_ev;
	printf("reconcile: a cold central journal imports every device's log in one sync round (fetch + verify + "
	       "decrypt + apply)\n");
	printf("  %4zu devices x %5zu events  %8.2f s  %8.0f events/s  (%llu applied)\n", few, events / few, t1,
	       (double)a1 / t1, (unsigned long long)a1);
	printf("  %4zu devices x %5zu events  %8.2f s  %8.0f events/s  (%llu applied)\n", many, events / many, t2,
	       (double)a2 / t2, (unsigned long long)a2);
	printf("  of which import alone (verify + decrypt + apply, logs fetched by plain git): %.2f s and %.2f s\n",
	       i1, i2);
	printf("  fitted: %.2f ms per device, %.1f us per event\n", per_dev * 1e3, per_ev * 1e6);
	printf("  baseline: plain SQLite inserts of %llu rows  %.2f s; ratio import / plain %.1fx (few devices)\n",
	       (unsigned long long)a1, tb, t1 / tb);
	printf("  estimate for 1000 devices x 1000 events (1M): %.0f s  goal <= %.0f s  %s (extrapolated, not run)\n", est,
	       GOAL_S, est <= GOAL_S ? "PASS" : "MISS");
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		sh(cmd);
	}
	return 0;
}
