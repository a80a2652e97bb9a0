/*
 * workload.h — the standard workload (../shared/bench/workload.py, JSON Lines) as cairn field objects, for
 * the benchmarks that store and sync records. Header-only: the benchmarks are single-file programs.
 *
 * One line is one contact with its notes. wl_next() turns it into the fields JSON of cairn_contact_set()
 * and one fields JSON per note for cairn_note_add(), as the CLI would write them (the workload's note
 * kinds outside cairn's set become "encounter"). wl_plain_open() and wl_floor_*() are the plain-SQLite
 * baselines both storing benchmarks compare with.
 */
#ifndef CAIRN_BENCH_WORKLOAD_H
#define CAIRN_BENCH_WORKLOAD_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char *contact; /* contact fields JSON */
	char **notes;  /* note fields JSON, `nnotes` of them */
	size_t nnotes;
} wl_contact;

static inline void wl_free(wl_contact *c)
{
	free(c->contact);
	for (size_t i = 0; i < c->nnotes; i++)
		free(c->notes[i]);
	free(c->notes);
	memset(c, 0, sizeof(*c));
}

/* The next contact on `in`: 1, or 0 at the end. Lines that are not JSON objects are skipped. */
static inline int wl_next(FILE *in, wl_contact *c)
{
	static char *line;
	static size_t cap;
	memset(c, 0, sizeof(*c));
	while (getline(&line, &cap, in) > 0) {
		json_t *o = json_loads(line, 0, NULL), *f, *notes, *nt;
		size_t i;
		if (!json_is_object(o)) {
			json_decref(o);
			continue;
		}
		f = json_object();
		json_object_set(f, "name", json_object_get(o, "name"));
		json_object_set(f, "dob", json_object_get(o, "dob"));
		if (json_string_length(json_object_get(o, "alias")))
			json_object_set(f, "alias", json_object_get(o, "alias"));
		if (json_string_length(json_object_get(o, "phone")))
			json_object_set(f, "phone", json_object_get(o, "phone"));
		c->contact = json_dumps(f, JSON_COMPACT);
		json_decref(f);
		notes = json_object_get(o, "notes");
		c->notes = calloc(json_array_size(notes) + 1, sizeof(char *));
		json_array_foreach(notes, i, nt)
		{
			const char *kind = json_string_value(json_object_get(nt, "kind"));
			int known =
			        kind && (!strcmp(kind, "crisis") || !strcmp(kind, "group") || !strcmp(kind, "phone"));
			json_t *n =
			        json_pack("{sOsOsOsOss}", "date", json_object_get(nt, "date"), "modality",
			                  json_object_get(nt, "modality"), "minutes", json_object_get(nt, "minutes"),
			                  "text", json_object_get(nt, "text"), "kind", known ? kind : "encounter");
			c->notes[c->nnotes++] = json_dumps(n, JSON_COMPACT);
			json_decref(n);
		}
		json_decref(o);
		return 1;
	}
	return 0;
}

/*
 * The plain-SQLite baselines (bench_journal, bench_sync): a database at `path` with the journal's `events`
 * table and its settings that matter for speed (WAL, synchronous=FULL), nothing else. NULL on failure.
 */
static inline sqlite3 *wl_plain_open(const char *path)
{
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db,
	                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE events (id INTEGER PRIMARY "
	                 "KEY, device TEXT, seq INTEGER, hlc INTEGER, kind TEXT, entity TEXT, body TEXT, schema "
	                 "INTEGER, hash BLOB, UNIQUE (device, seq))",
	                 NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/*
 * The floor the journal's throughput is compared with: beside each event row, what a record needs to be
 * found (a contact row with its name, a note row with its text, both in an FTS5 index over those rows).
 * No encryption, no JSON, no merge bookkeeping: what SQLite itself costs for the same data.
 */
typedef struct {
	sqlite3_stmt *row[2], *fts[2]; /* [0] contacts, [1] notes */
} wl_floor;

/* Create the floor's tables in `db` (from wl_plain_open()) and prepare its statements: 0 or -1. */
static inline int wl_floor_init(sqlite3 *db, wl_floor *f)
{
	static const char *const sql[4] = {
	        "INSERT INTO contacts (entity, name) VALUES (?1, ?2)",
	        "INSERT INTO notes (entity, contact, text) VALUES (?1, 'c', ?2)",
	        "INSERT INTO contact_fts (rowid, text) VALUES (last_insert_rowid(), ?1)",
	        "INSERT INTO note_fts (rowid, text) VALUES (last_insert_rowid(), ?1)",
	};
	sqlite3_stmt **st[4] = {&f->row[0], &f->row[1], &f->fts[0], &f->fts[1]};

	memset(f, 0, sizeof(*f));
	if (sqlite3_exec(db,
	                 "CREATE TABLE contacts (entity TEXT PRIMARY KEY, name TEXT); CREATE TABLE notes (entity TEXT "
	                 "PRIMARY KEY, contact TEXT, text TEXT); CREATE VIRTUAL TABLE contact_fts USING fts5 (text, "
	                 "tokenize = 'unicode61 remove_diacritics 2'); CREATE VIRTUAL TABLE note_fts USING fts5 (text, "
	                 "content = 'notes', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2')",
	                 NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < 4; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, st[i], NULL) != SQLITE_OK)
			return -1;
	return 0;
}

/* One record's row and index entry: a contact (note = 0) or a note. A contact set again keeps its one
 * row, as the journal keeps one contact. 0, or -1 when the index could not be written. */
static inline int wl_floor_put(wl_floor *f, int note, const char *entity, const char *text)
{
	int rc = 0;
	sqlite3_bind_text(f->row[note], 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(f->row[note], 2, text, -1, SQLITE_STATIC);
	if (sqlite3_step(f->row[note]) == SQLITE_DONE) {
		sqlite3_bind_text(f->fts[note], 1, text, -1, SQLITE_STATIC);
		rc = sqlite3_step(f->fts[note]) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(f->fts[note]);
	}
	sqlite3_reset(f->row[note]);
	return rc;
}

static inline void wl_floor_free(wl_floor *f)
{
	for (int k = 0; k < 2; k++) {
		sqlite3_finalize(f->row[k]);
		sqlite3_finalize(f->fts[k]);
	}
}

#endif
