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
	sqlite3_open(path, &db);
	sqlite3_exec(db,
	             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE events (id INTEGER PRIMARY "
	             "KEY, device TEXT, seq INTEGER, hlc INTEGER, kind TEXT, entity TEXT, body TEXT, schema "
	             "INTEGER, hash BLOB, UNIQUE (device, seq))",
	             NULL, NULL, NULL);
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

/* The floor: plain SQLite writing the same event rows plus what a record needs to be found (a contact row
 * with its name, a note row with its text, both in an FTS5 index over those rows), in the same batches.
 * No encryption, no JSON, no merge bookkeeping: what SQLite itself costs for the same data. The texts are
 * taken out of the JSON before the clock starts. */
static double run_plain_indexed(const workload *w, const char *path, int batch)
{
	sqlite3 *db;
	sqlite3_stmt *ev, *ct, *cf, *nt, *nf;
	uint64_t seq = 0;
	int inbatch = 0;
	char ***texts = calloc(w->n, sizeof(char **));
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
	sqlite3_open(path, &db);
	sqlite3_exec(db,
	             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE events (id INTEGER PRIMARY "
	             "KEY, device TEXT, seq INTEGER, hlc INTEGER, kind TEXT, entity TEXT, body TEXT, schema "
	             "INTEGER, hash BLOB, UNIQUE (device, seq)); CREATE TABLE contacts (entity TEXT PRIMARY KEY, "
	             "name TEXT); CREATE TABLE notes (entity TEXT PRIMARY KEY, contact TEXT, text TEXT); "
	             "CREATE VIRTUAL TABLE contact_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2');"
	             "CREATE VIRTUAL TABLE note_fts USING fts5 (text, content = 'notes', content_rowid = 'rowid', "
	             "tokenize = 'unicode61 remove_diacritics 2')",
	             NULL, NULL, NULL);
	sqlite3_prepare_v2(db,
	                   "INSERT INTO events (device, seq, hlc, kind, entity, body, schema, hash) VALUES "
	                   "('0123456789abcdef', ?1, ?1, ?2, printf('%036d', ?1), ?3, 1, zeroblob(32))",
	                   -1, &ev, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO contacts (entity, name) VALUES (printf('%036d', ?1), ?2)", -1, &ct, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO contact_fts (rowid, text) VALUES (last_insert_rowid(), ?1)", -1, &cf, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO notes (entity, contact, text) VALUES (printf('%036d', ?1), 'c', ?2)", -1,
	                   &nt, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO note_fts (rowid, text) VALUES (last_insert_rowid(), ?1)", -1, &nf, NULL);
	double t0 = now();
	for (size_t c = 0; c < w->n; c++) {
		for (int k = -1; k < 0 || w->c[c].notes[k]; k++) {
			sqlite3_stmt *row = k < 0 ? ct : nt, *fts = k < 0 ? cf : nf;
			const char *text = texts[c][k + 1];
			if (!inbatch)
				sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
			sqlite3_bind_int64(ev, 1, (sqlite3_int64)++seq);
			sqlite3_bind_text(ev, 2, k < 0 ? "contact.set" : "note.add", -1, SQLITE_STATIC);
			sqlite3_bind_text(ev, 3, k < 0 ? w->c[c].contact : w->c[c].notes[k], -1, SQLITE_STATIC);
			sqlite3_step(ev);
			sqlite3_reset(ev);
			sqlite3_bind_int64(row, 1, (sqlite3_int64)seq);
			sqlite3_bind_text(row, 2, text, -1, SQLITE_STATIC);
			sqlite3_step(row);
			sqlite3_reset(row);
			sqlite3_bind_text(fts, 1, text, -1, SQLITE_STATIC);
			sqlite3_step(fts);
			sqlite3_reset(fts);
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
	sqlite3_finalize(ct);
	sqlite3_finalize(cf);
	sqlite3_finalize(nt);
	sqlite3_finalize(nf);
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
