/*
 * bench_journal.c — append+apply throughput through the journal API, in batches, against two baselines
 * measured in the same run: plain SQLite inserts of the same event rows (no encryption, no apply), and
 * the floor: plain SQLite writing those rows plus a contact or note row each and their FTS5 index.
 *
 * Input: JSON Lines from ../shared/bench/workload.py on stdin (contacts with notes). Each contact becomes
 * a contact.set event and each note a note.add event (with FTS indexing), as the CLI would write them.
 * Usage: python3 workload.py --contacts 50000 | bench_journal [BATCH]
 */
#include "cairn.h"
#include "workload.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct {
	wl_contact *c;
	size_t n;
} workload;

static void load(workload *w)
{
	size_t cap = 0;
	wl_contact c;
	while (wl_next(stdin, &c)) {
		if (w->n == cap) {
			cap = cap ? 2 * cap : 1024;
			w->c = realloc(w->c, cap * sizeof(*w->c));
		}
		w->c[w->n++] = c;
	}
}

static double run_cairn(const workload *w, const char *dir, int batch, uint64_t *events)
{
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_journal *j;
	char id[CAIRN_ID_LEN];
	int inbatch = 0;
	o.kdf = CAIRN_KDF_MIN;
	if (cairn_journal_init(dir, "bench", 5, &o) || cairn_journal_open(&j, dir, "bench", 5)) {
		fprintf(stderr, "bench_journal: %s\n", cairn_error_last());
		exit(1);
	}
	double t0 = now();
	*events = 0;
	for (size_t c = 0; c < w->n; c++) {
		if (!inbatch) {
			cairn_batch_begin(j);
			inbatch = 0;
		}
		if (cairn_contact_set(j, NULL, w->c[c].contact, id))
			fprintf(stderr, "contact: %s\n", cairn_error_last());
		inbatch++;
		(*events)++;
		for (char **n = w->c[c].notes; *n; n++, (*events)++, inbatch++)
			if (cairn_note_add(j, id, *n, NULL))
				fprintf(stderr, "note: %s\n", cairn_error_last());
		if (inbatch >= batch) {
			cairn_batch_commit(j);
			inbatch = 0;
		}
	}
	if (inbatch)
		cairn_batch_commit(j);
	double t = now() - t0;
	cairn_journal_free(j);
	return t;
}

/* The baseline: the same number of event rows, with bodies of the same sizes, into plain SQLite. */
static double run_plain(const workload *w, const char *path, int batch)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t seq = 0;
	int inbatch = 0;
	if (!(db = wl_plain_open(path)))
		return -1;
	sqlite3_prepare_v2(db,
	                   "INSERT INTO events (device, seq, hlc, kind, entity, body, schema, hash) VALUES "
	                   "('0123456789abcdef', ?1, ?1, ?2, '01234567-89ab-7def-8123-456789abcdef', ?3, 1, "
	                   "zeroblob(32))",
	                   -1, &st, NULL);
	double t0 = now();
	for (size_t c = 0; c < w->n; c++) {
		for (int k = -1; k < 0 || w->c[c].notes[k]; k++) {
			if (!inbatch)
				sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
			sqlite3_bind_int64(st, 1, (sqlite3_int64)++seq);
			sqlite3_bind_text(st, 2, k < 0 ? "contact.set" : "note.add", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, k < 0 ? w->c[c].contact : w->c[c].notes[k], -1, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_reset(st);
			if (++inbatch >= batch) {
				sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
				inbatch = 0;
			}
		}
	}
	if (inbatch)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double t = now() - t0;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return t;
}

/* The floor (workload.h, wl_floor): the same event rows, each with its contact or note row and search
 * index, in the same batches. The texts are taken out of the JSON before the clock starts. */
static double run_plain_indexed(const workload *w, const char *path, int batch)
{
	sqlite3 *db;
	sqlite3_stmt *ev;
	wl_floor fl;
	uint64_t seq = 0;
	int inbatch = 0;
	char ***texts = calloc(w->n, sizeof(char **)), entity[40];
	for (size_t c = 0; c < w->n; c++) {
		size_t k = 0;
		while (w->c[c].notes[k])
			k++;
		texts[c] = calloc(k + 2, sizeof(char *));
		for (size_t i = 0; i <= k; i++) {
			json_t *o = json_loads(i ? w->c[c].notes[i - 1] : w->c[c].contact, 0, NULL);
			texts[c][i] = strdup(json_string_value(json_object_get(o, i ? "text" : "name")));
			json_decref(o);
		}
	}
	if (!(db = wl_plain_open(path)) || wl_floor_init(db, &fl))
		return -1;
	sqlite3_prepare_v2(db,
	                   "INSERT INTO events (device, seq, hlc, kind, entity, body, schema, hash) VALUES "
	                   "('0123456789abcdef', ?1, ?1, ?2, printf('%036d', ?1), ?3, 1, zeroblob(32))",
	                   -1, &ev, NULL);
	double t0 = now();
	for (size_t c = 0; c < w->n; c++) {
		for (int k = -1; k < 0 || w->c[c].notes[k]; k++) {
			if (!inbatch)
				sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
			sqlite3_bind_int64(ev, 1, (sqlite3_int64)++seq);
			sqlite3_bind_text(ev, 2, k < 0 ? "contact.set" : "note.add", -1, SQLITE_STATIC);
			sqlite3_bind_text(ev, 3, k < 0 ? w->c[c].contact : w->c[c].notes[k], -1, SQLITE_STATIC);
			sqlite3_step(ev);
			sqlite3_reset(ev);
			snprintf(entity, sizeof(entity), "%036llu", (unsigned long long)seq);
			if (wl_floor_put(&fl, k >= 0, entity, texts[c][k + 1]))
				return -1;
			if (++inbatch >= batch) {
				sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
				inbatch = 0;
			}
		}
	}
	if (inbatch)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	double t = now() - t0;
	sqlite3_finalize(ev);
	wl_floor_free(&fl);
	sqlite3_close(db);
	for (size_t c = 0; c < w->n; c++) {
		for (size_t i = 0; texts[c][i]; i++)
			free(texts[c][i]);
		free(texts[c]);
	}
	free(texts);
	return t;
}

int main(int argc, char **argv)
{
	int batch = argc > 1 ? atoi(argv[1]) : 1000;
	char root[] = "/tmp/cairn-bench-XXXXXX", dir[300], plain[300];
	workload w = {0};
	uint64_t events;
	load(&w);
	if (!w.n || !mkdtemp(root)) {
		fprintf(stderr, "usage: workload.py | bench_journal [BATCH]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/journal", root);
	snprintf(plain, sizeof(plain), "%s/plain.db", root);
	double tp = run_plain(&w, plain, batch);
	snprintf(plain, sizeof(plain), "%s/plain-indexed.db", root);
	double ti = run_plain_indexed(&w, plain, batch);
	if (tp < 0 || ti < 0) {
		fprintf(stderr, "bench_journal: the plain SQLite baseline failed in %s\n", root);
		return 1;
	}
	double tc = run_cairn(&w, dir, batch, &events);
	printf("journal append+apply, %llu events (%zu contacts), batches of %d\n", (unsigned long long)events, w.n,
	       batch);
	printf("  plain SQLite, event rows only         : %8.3f s  %9.0f events/s\n", tp, events / tp);
	printf("  plain SQLite, rows + search (floor)   : %8.3f s  %9.0f events/s\n", ti, events / ti);
	printf("  cairn journal                         : %8.3f s  %9.0f events/s  %.2fx the floor\n", tc, events / tc,
	       tc / ti);
	printf("  ratio cairn / event rows only         : %8.2fx   goal >= 100000 events/s: %s\n", tc / tp,
	       events / tc >= 100000 ? "PASS" : "MISS");
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : 1;
}
