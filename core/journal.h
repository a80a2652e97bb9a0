/*
 * journal.h — the journal handle and the internal interfaces between store, journal, apply, query and digest.
 */
#ifndef CAIRN_JOURNAL_H
#define CAIRN_JOURNAL_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#include "cairn.h"

#define CAIRN_SCHEMA_EVENTS 1 /* version of the event catalogue this binary writes */

struct cairn_journal {
	char *dir;
	char *db_path;
	char device[CAIRN_DEVICE_LEN];
	sqlite3 *db;
	int in_batch;  /* an explicit batch transaction is open */
	int in_txn;    /* any transaction opened by us is open */
	int in_import; /* the open batch is an import group (cairn_import_begin): segments take savepoints */
	struct cairn__checkpointer *ckpt; /* WAL checkpoints on a helper thread while importing (checkpoint.c) */
	/* Records whose search index row must be refreshed before this transaction commits. Deferred so that
	 * FTS5 joins the transaction only at its end: once it has joined, every statement needing a statement
	 * journal makes FTS5 flush its pending index (a savepoint), which cost 15x in append throughput. */
	struct cairn__fts_dirty {
		char id[CAIRN_ID_LEN];
		char type; /* 'c' contact, 'n' note */
	} * fts_dirty;
	size_t nfts, capfts;
	int batch_failed; /* an append failed after writing inside the batch: it can only roll back */
	int64_t changes_at_begin;
	/* Opened read-only because a writable open failed (full or read-only file system): that failure's
	 * code and message, reported again by any write (store.c). 0 when writable. */
	int ro_code;
	char ro_why[400];
	uint64_t hlc; /* last clock value issued or observed (valid inside a transaction) */
	uint64_t next_seq;
	/* Prepared statements, kept for the life of the connection (SQL parsing dominated small appends). */
	struct {
		char *sql;
		sqlite3_stmt *st;
		int out; /* handed out and not yet released */
	} cache[128];
	int ncache;
};

/* store.c: database lifecycle and helpers. */
int cairn__store_open(cairn_journal *j, const unsigned char key[32], int create);
/* checkpoint.c: take over checkpoints (no-op when done already), after a commit checkpoint on the helper
 * thread when the WAL needs it (starting the thread the first time), stop (waits for a pending
 * checkpoint; restores SQLite's own checkpoints). */
void cairn__checkpointer_start(cairn_journal *j);
void cairn__checkpointer_kick(cairn_journal *j);
void cairn__checkpointer_stop(cairn_journal *j);
void cairn__store_close(cairn_journal *j);
int cairn__sqlerr(cairn_journal *j, int rc, const char *what); /* maps SQLite codes to CAIRN_E* */
int cairn__exec(cairn_journal *j, const char *sql);
int cairn__prepare(cairn_journal *j, sqlite3_stmt **st, const char *sql); /* cached; release below */
void cairn__finalize(cairn_journal *j, sqlite3_stmt *st);                 /* reset a cached statement, or finalize */
int cairn__meta_get_int(cairn_journal *j, const char *key, int64_t *out);
int cairn__meta_set_int(cairn_journal *j, const char *key, int64_t v);
int cairn__meta_get_text(cairn_journal *j, const char *key, char **out); /* malloc'd; ENOTFOUND */
int cairn__meta_set_text(cairn_journal *j, const char *key, const char *v);
int cairn__meta_set_blob(cairn_journal *j, const char *key, const void *v, size_t n);
/* office.c: exactly n bytes of a meta blob; CAIRN_ENOTFOUND when unset, CAIRN_ECORRUPT for another size. */
int cairn__meta_get_blob(cairn_journal *j, const char *key, unsigned char *out, size_t n);
/* office.c: sign with the Ed25519 secret key stored in meta under `key` (never copied out). */
int cairn__meta_sign(cairn_journal *j, const char *key, const unsigned char *m, size_t n, unsigned char sig[64]);

/* journal.c: transactions around appends. */
int cairn__txn_begin(cairn_journal *j);
/* A read of one consistent state: BEGIN unless a transaction (a batch) is already open, whose state is
 * then what is read. read_end commits only what read_begin began. */
int cairn__read_begin(cairn_journal *j, int *own);
void cairn__read_end(cairn_journal *j, int own);
int cairn__txn_end(cairn_journal *j, int rc);       /* commits when rc == 0, else rolls back; returns rc */
int cairn__txn_end_plain(cairn_journal *j, int rc); /* COMMIT or ROLLBACK of a plain transaction */
/* Append a local event inside an open transaction (records.c builds the bodies). */
int cairn__append_locked(cairn_journal *j, const char *kind, const char *entity, const char *body,
                         cairn_event_info *info);
/* The same with the body's object as well as its text (`body` is the canonical dump of `obj`): applying
 * it skips parsing the text again. `obj` is borrowed and not modified. */
int cairn__append_locked_obj(cairn_journal *j, const char *kind, const char *entity, const char *body, json_t *obj,
                             cairn_event_info *info);

/* Mint a new device identity (key pair, device id) inside an open transaction. */
int cairn__identity_new(cairn_journal *j);

/* Ingest inside an open transaction: 0 applied, 1 already present, <0 error (fork quarantined). */
int cairn__ingest_locked(cairn_journal *j, const cairn_event *ev);

/* hlc.c: the hybrid logical clock (48-bit ms << 16 | 16-bit counter). */
typedef uint64_t (*cairn__clock_fn)(void);
void cairn__clock_set(cairn__clock_fn fn); /* test seam; NULL restores the real clock */
uint64_t cairn__clock_ms(void);
uint64_t cairn__hlc_tick(uint64_t last);                     /* a local event */
uint64_t cairn__hlc_observe(uint64_t last, uint64_t remote); /* a received event */
#define CAIRN_HLC_MS(h) ((h) >> 16)
#define CAIRN_HLC_MAX_DRIFT_MS (24ULL * 3600 * 1000) /* remote clocks further ahead do not drag ours */

/* uuid.c */
void cairn__uuid7(char out[CAIRN_ID_LEN]);
int cairn__uuid_valid(const char *s);
int cairn__device_valid(const char *s);

/* apply.c: search index maintenance, run by journal.c before a transaction commits. */
int cairn__fts_mark(cairn_journal *j, char type, const char *id);
int cairn__fts_flush(cairn_journal *j);

/* apply.c: apply a stored event to the materialized tables (inside the caller's transaction). */
int cairn__apply(cairn_journal *j, const cairn_event *ev);
/* The event of the current row of `st`, whose first seven columns are device, seq, hlc, kind, entity, body,
 * schema (the strings borrowed from the row until the next step; the hash zeroed). */
void cairn__event_of_row(sqlite3_stmt *st, cairn_event *ev);
/* Apply the event of every row of `st` (columns as cairn__event_of_row), then release `st`. *n (may be
 * NULL) gets how many. For rebuilding state from the log: rotate.c, kinds.c. */
int cairn__apply_rows(cairn_journal *j, sqlite3_stmt *st, long *n);
/* The same with the body already parsed (NULL: parse ev->body); `parsed` is borrowed, never modified. */
int cairn__apply_body(cairn_journal *j, const cairn_event *ev, json_t *parsed);

int cairn__kind_known(const char *kind);
/* kinds.c: apply the stored events of kinds the cairn that last opened the journal did not know (once,
 * at open; nothing on a read-only journal). */
int cairn__kinds_catch_up(cairn_journal *j);
int cairn__referral_rank(const char *state); /* -1 strike, 0 on-hold, 1.. lattice; -2 unknown */

/* records.c */
int cairn__date_valid(const char *s); /* YYYY-MM-DD, a real calendar date */

#endif
