/*
 * bench_journal.c — append+apply throughput through the journal API, in batches, against plain SQLite
 * inserts of the same event rows (no encryption, no apply) measured in the same run.
 *
 * Input: JSON Lines from ../shared/bench/workload.py on stdin (contacts with notes). Each contact becomes
 * a contact.set event and each note a note.add event (with FTS indexing), as the CLI would write them.
 * Usage: python3 workload.py --contacts 50000 | bench_journal [BATCH]
 */
#include "cairn.h"

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
	char **contact; /* contact fields JSON */
	char ***notes;  /* per contact, NULL-terminated note fields JSON */
	size_t n;
} workload;

static void load(workload *w)
{
	char *line = NULL;
	size_t cap = 0, wcap = 0;
	while (getline(&line, &cap, stdin) > 0) {
		json_t *o = json_loads(line, 0, NULL), *notes, *nt;
		size_t i;
		if (!o)
			continue;
		if (w->n == wcap) {
			wcap = wcap ? 2 * wcap : 1024;
			w->contact = realloc(w->contact, wcap * sizeof(char *));
			w->notes = realloc(w->notes, wcap * sizeof(char **));
		}
		json_t *f = json_object();
		json_object_set(f, "name", json_object_get(o, "name"));
		json_object_set(f, "dob", json_object_get(o, "dob"));
		if (json_string_length(json_object_get(o, "alias")))
			json_object_set(f, "alias", json_object_get(o, "alias"));
		if (json_string_length(json_object_get(o, "phone")))
			json_object_set(f, "phone", json_object_get(o, "phone"));
		w->contact[w->n] = json_dumps(f, JSON_COMPACT);
		json_decref(f);
		notes = json_object_get(o, "notes");
		w->notes[w->n] = calloc(json_array_size(notes) + 1, sizeof(char *));
		json_array_foreach(notes, i, nt)
		{
			const char *kind = json_string_value(json_object_get(nt, "kind"));
			json_t *n = json_pack("{sOsOsOsOss}", "date", json_object_get(nt, "date"), "modality",
			                      json_object_get(nt, "modality"), "minutes", json_object_get(nt, "minutes"),
			                      "text", json_object_get(nt, "text"), "kind",
			                      !strcmp(kind, "crisis") || !strcmp(kind, "group") || !strcmp(kind, "phone")
			                          ? kind
			                          : "encounter");
			w->notes[w->n][i] = json_dumps(n, JSON_COMPACT);
			json_decref(n);
		}
		w->n++;
		json_decref(o);
	}
	free(line);
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
		if (cairn_contact_set(j, NULL, w->contact[c], id))
			fprintf(stderr, "contact: %s\n", cairn_error_last());
		inbatch++;
		(*events)++;
		for (char **n = w->notes[c]; *n; n++, (*events)++, inbatch++)
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
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE events (id INTEGER PRIMARY "
	                 "KEY, device TEXT, seq INTEGER, hlc INTEGER, kind TEXT, entity TEXT, body TEXT, schema "
	                 "INTEGER, hash BLOB, UNIQUE (device, seq))",
	             NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO events (device, seq, hlc, kind, entity, body, schema, hash) VALUES "
	                       "('0123456789abcdef', ?1, ?1, ?2, '01234567-89ab-7def-8123-456789abcdef', ?3, 1, "
	                       "zeroblob(32))",
	                   -1, &st, NULL);
	double t0 = now();
	for (size_t c = 0; c < w->n; c++) {
		for (int k = -1; k < 0 || w->notes[c][k]; k++) {
			if (!inbatch)
				sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
			sqlite3_bind_int64(st, 1, (sqlite3_int64)++seq);
			sqlite3_bind_text(st, 2, k < 0 ? "contact.set" : "note.add", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, k < 0 ? w->contact[c] : w->notes[c][k], -1, SQLITE_STATIC);
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
	double tc = run_cairn(&w, dir, batch, &events);
	printf("journal append+apply, %llu events (%zu contacts), batches of %d\n", (unsigned long long)events, w.n,
	       batch);
	printf("  plain SQLite inserts : %8.3f s  %9.0f events/s\n", tp, events / tp);
	printf("  cairn journal        : %8.3f s  %9.0f events/s\n", tc, events / tc);
	printf("  ratio cairn/plain    : %8.2fx   goal >= 100000 events/s: %s\n", tc / tp,
	       events / tc >= 100000 ? "PASS" : "MISS");
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : 1;
}
