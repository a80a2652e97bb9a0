/*
 * journal.c — the journal handle: init, unlock, transactions, append and ingest of events.
 *
 * Invariants:
 *  1. An event is stored and applied in the same SQLite transaction: the materialized tables never hold
 *     half an event, and an event is never stored unapplied (except kinds this binary does not know).
 *  2. A device's seq is gapless from 1. Appends take BEGIN IMMEDIATE and read the next seq and the clock
 *     inside that transaction, so two processes appending to one journal cannot reuse a seq.
 *  3. (device, seq) identifies an event. Ingesting it again with the same hash is a no-op; with another
 *     hash it is quarantined as a fork and never applied.
 */
#include "journal.h"
#include "crypto.h"
#include "error.h"
#include "keyfile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int global_done;

const char *cairn_version(void) { return CAIRN_VERSION; }

int cairn_global_init(void)
{
	if (global_done)
		return 0;
	int rc = cairn__crypto_init();
	if (rc)
		return rc;
	global_done = 1;
	return 0;
}

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static int journal_alloc(cairn_journal **out, const char *dir)
{
	cairn_journal *j = calloc(1, sizeof(*j));
	if (!j)
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	j->dir = strdup(dir);
	j->db_path = path_join(dir, "journal.db");
	if (!j->dir || !j->db_path) {
		cairn_journal_free(j);
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	}
	*out = j;
	return 0;
}

void cairn_journal_free(cairn_journal *j)
{
	int moved = 0;
	if (!j)
		return;
	if (j->in_txn)
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	cairn__checkpointer_stop(j);
	/* Destroyed under us (a wipe order): nothing to checkpoint into, only shredded frames to read. */
	if (j->db && sqlite3_file_control(j->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved)
		sqlite3_db_config(j->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	cairn__store_close(j);
	free(j->fts_dirty);
	free(j->dir);
	free(j->db_path);
	free(j);
}

const char *cairn_journal_device(const cairn_journal *j) { return j->device; }
const char *cairn_journal_dir(const cairn_journal *j) { return j->dir; }

static int load_identity(cairn_journal *j)
{
	char *dev = NULL;
	int rc = cairn__meta_get_text(j, "device", &dev);
	if (rc == CAIRN_ENOTFOUND)
		return cairn__error(CAIRN_ECORRUPT, "journal '%s' has no device id", j->dir);
	if (rc)
		return rc;
	if (!cairn__device_valid(dev)) {
		free(dev);
		return cairn__error(CAIRN_ECORRUPT, "journal '%s' has a malformed device id", j->dir);
	}
	memcpy(j->device, dev, CAIRN_DEVICE_LEN);
	free(dev);
	return 0;
}

/* A new device identity inside the caller's transaction: an Ed25519 key pair, and the device id is the
 * first 8 bytes of BLAKE2b(public key). Used at init and by cairn_device_rotate(). */
int cairn__identity_new(cairn_journal *j)
{
	unsigned char pk[CAIRN_SIGN_PK_BYTES], h[CAIRN_HASH_BYTES];
	unsigned char *sk = cairn__secure_alloc(CAIRN_SIGN_SK_BYTES);
	int rc;
	if (!sk)
		return CAIRN_ENOMEM;
	cairn__sign_keypair(pk, sk);
	cairn__hash(h, pk, sizeof(pk));
	cairn__hex(j->device, h, 8);
	rc = cairn__meta_set_text(j, "device", j->device);
	if (!rc)
		rc = cairn__meta_set_blob(j, "device_pk", pk, sizeof(pk));
	if (!rc)
		rc = cairn__meta_set_blob(j, "device_sk", sk, CAIRN_SIGN_SK_BYTES);
	cairn__secure_free(sk);
	return rc;
}

static int create_identity(cairn_journal *j)
{
	int rc = cairn__exec(j, "BEGIN IMMEDIATE");
	if (!rc)
		rc = cairn__identity_new(j);
	if (!rc)
		rc = cairn__meta_set_int(j, "hlc", 0);
	return cairn__txn_end_plain(j, rc);
}

int cairn_journal_init(const char *dir, const char *pass, size_t passlen, const cairn_init_options *opts)
{
	cairn_journal *j = NULL;
	unsigned char *key = NULL;
	char *keypath;
	int rc;
	if ((rc = cairn_global_init()))
		return rc;
	if (!dir || !*dir)
		return cairn__error(CAIRN_EINVAL, "no journal directory given");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cairn__error(errno == ENOSPC ? CAIRN_ENOSPC : CAIRN_EIO, "cannot create directory '%s': %s", dir,
		                    strerror(errno));
	if ((rc = journal_alloc(&j, dir)))
		return rc;
	keypath = path_join(dir, "key");
	if (!keypath) {
		rc = cairn__error(CAIRN_ENOMEM, "out of memory");
		goto out_free_journal;
	}
	struct stat sb;
	if (stat(j->db_path, &sb) == 0 && stat(keypath, &sb) != 0) {
		rc = cairn__error(CAIRN_EEXISTS,
		                  "'%s' holds a journal database but no key file; refusing to overwrite it",
		                  j->db_path);
		goto out_free_path;
	}
	rc = cairn__keyfile_create(keypath, pass, passlen, opts ? opts->kdf : CAIRN_KDF_DEFAULT, &key);
	if (rc)
		goto out_free_path;
	rc = cairn__store_open(j, key, 1);
	if (!rc)
		rc = create_identity(j);
	if (!rc) /* a new journal knows what this cairn knows: a later open has nothing to write */
		rc = cairn__kinds_catch_up(j);
	if (rc) {
		/* Leave nothing half made: a key file without its database would only confuse. */
		cairn__store_close(j);
		unlink(keypath);
		unlink(j->db_path);
	}
	cairn__secure_free(key);
out_free_path:
	free(keypath);
out_free_journal:
	cairn_journal_free(j);
	return rc;
}

int cairn_key_unlock(unsigned char **key_out, const char *dir, const char *pass, size_t passlen)
{
	int rc;
	char *keypath;
	if ((rc = cairn_global_init()))
		return rc;
	keypath = path_join(dir, "key");
	if (!keypath)
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	rc = cairn__keyfile_unlock(keypath, pass, passlen, key_out);
	free(keypath);
	return rc;
}

void cairn_key_free(unsigned char *key) { cairn__secure_free(key); }

int cairn_journal_open_key(cairn_journal **out, const char *dir, const unsigned char key[32])
{
	cairn_journal *j;
	struct stat sb;
	int rc;
	*out = NULL;
	if ((rc = cairn_global_init()))
		return rc;
	if ((rc = journal_alloc(&j, dir)))
		return rc;
	if (stat(j->db_path, &sb) != 0) {
		rc = cairn__error(CAIRN_ENOTFOUND, "no journal database at '%s'", j->db_path);
		goto fail;
	}
	if ((rc = cairn__store_open(j, key, 0)) || (rc = load_identity(j)) || (rc = cairn__kinds_catch_up(j)))
		goto fail;
	*out = j;
	return 0;
fail:
	cairn_journal_free(j);
	return rc;
}

int cairn_journal_open_idle(cairn_journal **out, const char *dir, const unsigned char key[32])
{
	int rc = cairn_journal_open_key(out, dir, key);
	if (rc)
		return rc;
	/* Idle for hours beside a daemon's memory goal: keep only what the open read. */
	sqlite3_exec((*out)->db, "PRAGMA cache_size=16", NULL, NULL, NULL);
	sqlite3_db_release_memory((*out)->db);
	return 0;
}

int cairn_journal_open(cairn_journal **out, const char *dir, const char *pass, size_t passlen)
{
	unsigned char *key = NULL;
	int rc;
	*out = NULL;
	if ((rc = cairn_key_unlock(&key, dir, pass, passlen)))
		return rc;
	rc = cairn_journal_open_key(out, dir, key);
	cairn__secure_free(key);
	return rc;
}

int cairn_journal_passwd(const char *dir, const char *oldpass, size_t oldlen, const char *newpass, size_t newlen,
                         cairn_kdf_level kdf)
{
	int rc;
	char *keypath;
	if ((rc = cairn_global_init()))
		return rc;
	keypath = path_join(dir, "key");
	if (!keypath)
		return cairn__error(CAIRN_ENOMEM, "out of memory");
	rc = cairn__keyfile_rewrap(keypath, oldpass, oldlen, newpass, newlen, kdf);
	free(keypath);
	return rc;
}

/* ---- transactions ---- */

int cairn__txn_end_plain(cairn_journal *j, int rc)
{
	if (rc) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return cairn__exec(j, "COMMIT");
}

/* Load the next seq and the clock under the write lock (invariant 2). */
static int load_counters(cairn_journal *j)
{
	int64_t hlc = 0, seq = 0;
	sqlite3_stmt *st;
	int rc = cairn__meta_get_int(j, "hlc", &hlc);
	if (rc && rc != CAIRN_ENOTFOUND)
		return rc;
	if ((rc = cairn__prepare(j, &st, "SELECT coalesce(max(seq), 0) FROM events WHERE device = ?1")))
		return rc;
	sqlite3_bind_text(st, 1, j->device, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	cairn__finalize(j, st);
	if (rc != SQLITE_ROW)
		return cairn__sqlerr(j, rc, "reading the last seq");
	j->hlc = (uint64_t)hlc;
	j->next_seq = (uint64_t)seq + 1;
	return 0;
}

int cairn__txn_begin(cairn_journal *j)
{
	int rc;
	if (j->in_import)
		return cairn__error(CAIRN_EINVAL, "cannot write to the journal inside an import group");
	if (j->in_txn) {
		/* Inside a batch. No savepoint per event: FTS5 flushes its index at every savepoint, which
		 * cost 15x in throughput. Instead a failure after a write poisons the batch (txn_end). */
		j->changes_at_begin = sqlite3_total_changes64(j->db);
		return 0;
	}
	if ((rc = cairn__exec(j, "BEGIN IMMEDIATE")))
		return rc;
	if ((rc = load_counters(j))) {
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	j->in_txn = 1;
	return 0;
}

static int txn_finish(cairn_journal *j, int rc)
{
	int r2 = rc ? 0 : cairn__fts_flush(j);
	j->nfts = 0;
	if (!r2)
		r2 = rc ? 0 : cairn__meta_set_int(j, "hlc", (int64_t)j->hlc);
	j->in_txn = 0;
	rc = cairn__txn_end_plain(j, rc ? rc : r2);
	if (!rc)
		cairn__checkpointer_kick(j);
	return rc;
}

int cairn__txn_end(cairn_journal *j, int rc)
{
	if (!j->in_batch)
		return txn_finish(j, rc);
	if (rc && sqlite3_total_changes64(j->db) != j->changes_at_begin)
		j->batch_failed = 1; /* half an event may be in the batch: only a rollback is safe */
	return rc;
}

int cairn_batch_begin(cairn_journal *j)
{
	if (j->in_batch)
		return cairn__error(CAIRN_EINVAL, "a batch is already open");
	int rc = cairn__txn_begin(j);
	if (!rc) {
		j->in_batch = 1;
		j->batch_failed = 0;
		/* Batches are bulk work: their checkpoints go to the helper thread, as an import's do
		 * (checkpoint.c); it stays until the journal is closed or an import finishes. */
		cairn__checkpointer_start(j);
	}
	return rc;
}

int cairn_batch_commit(cairn_journal *j)
{
	if (!j->in_batch)
		return cairn__error(CAIRN_EINVAL, "no batch is open");
	j->in_batch = 0;
	if (j->batch_failed) {
		j->in_txn = 0;
		j->nfts = 0;
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return cairn__error(CAIRN_EINVAL, "an append failed inside the batch; the whole batch was rolled back");
	}
	return txn_finish(j, 0);
}

int cairn_batch_rollback(cairn_journal *j)
{
	if (!j->in_batch)
		return cairn__error(CAIRN_EINVAL, "no batch is open");
	j->in_batch = 0;
	j->in_txn = 0;
	j->nfts = 0;
	sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
	return 0;
}

/* ---- events ---- */

/* Parameters 1-8 of a statement that stores a whole event (the log, the quarantine). */
static void bind_event(sqlite3_stmt *st, const cairn_event *ev)
{
	sqlite3_bind_text(st, 1, ev->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->seq);
	sqlite3_bind_int64(st, 3, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 4, ev->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ev->body, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, ev->schema);
	sqlite3_bind_blob(st, 8, ev->hash, 32, SQLITE_STATIC);
}

/* Store an event: 0. With `absent` set, an event of the same (device, seq) already stored is left as it is
 * and 1 returned. */
static int insert_event(cairn_journal *j, const cairn_event *ev, int absent)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        absent ? "INSERT INTO events (device, seq, hlc, kind, entity, body, schema, hash) "
	                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (device, seq) DO NOTHING"
	                               : "INSERT INTO events (device, seq, hlc, kind, entity, body, schema, hash) "
	                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (rc)
		return rc;
	bind_event(st, ev);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE)
		return cairn__sqlerr(j, rc, "storing an event");
	return absent && sqlite3_changes(j->db) == 0;
}

int cairn__append_locked(cairn_journal *j, const char *kind, const char *entity, const char *body,
                         cairn_event_info *info)
{
	return cairn__append_locked_obj(j, kind, entity, body, NULL, info);
}

int cairn__append_locked_obj(cairn_journal *j, const char *kind, const char *entity, const char *body, json_t *obj,
                             cairn_event_info *info)
{
	cairn_event ev = {0};
	char id[CAIRN_ID_LEN];
	int rc;
	if (!entity) {
		cairn__uuid7(id);
		entity = id;
	}
	ev.device = j->device;
	ev.seq = j->next_seq;
	ev.hlc = cairn__hlc_tick(j->hlc);
	ev.kind = kind;
	ev.entity = entity;
	ev.body = body;
	ev.schema = CAIRN_SCHEMA_EVENTS;
	cairn_event_hash(&ev, ev.hash);
	if ((rc = insert_event(j, &ev, 0)) || (rc = cairn__apply_body(j, &ev, obj)))
		return rc;
	j->hlc = ev.hlc;
	j->next_seq++;
	if (info) {
		info->seq = ev.seq;
		info->hlc = ev.hlc;
		snprintf(info->entity, sizeof(info->entity), "%s", entity);
	}
	return 0;
}

int cairn_event_append(cairn_journal *j, const char *kind, const char *entity, const char *body_json,
                       cairn_event_info *info)
{
	size_t n = kind ? strlen(kind) : 0;
	json_t *body;
	int rc;
	/* what a segment can carry (docs/formats.md): an event it could not would stop this device's sealing */
	if (n < 1 || n > 64 || strspn(kind, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		return cairn__error(CAIRN_EINVAL, "an event kind is 1 to 64 of [a-z0-9._-]");
	if (entity && !cairn__uuid_valid(entity))
		return cairn__error(CAIRN_EINVAL, "malformed entity id '%s'", entity);
	body = body_json ? json_loads(body_json, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(body)) {
		json_decref(body);
		return cairn__error(CAIRN_EINVAL, "an event body is a JSON object");
	}
	/* the parsed body goes to apply, which would parse the text again */
	if (!(rc = cairn__txn_begin(j)))
		rc = cairn__txn_end(j, cairn__append_locked_obj(j, kind, entity, body_json, body, info));
	json_decref(body);
	return rc;
}

static int quarantine(cairn_journal *j, const cairn_event *ev, const char *reason)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "INSERT INTO quarantine (device, seq, hlc, kind, entity, body, schema, hash, "
	                        "reason, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	if (rc)
		return rc;
	bind_event(st, ev);
	sqlite3_bind_text(st, 9, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "quarantining an event");
}

/* 0: absent; 1: present with the same hash; CAIRN_EFORK: present with another hash. */
static int lookup(cairn_journal *j, const cairn_event *ev)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT hash FROM events WHERE device = ?1 AND seq = ?2");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *h = sqlite3_column_blob(st, 0);
		int same = sqlite3_column_bytes(st, 0) == 32 && cairn__ct_equal(h, ev->hash, 32);
		rc = same ? 1 : CAIRN_EFORK;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = cairn__sqlerr(j, rc, "looking up an event");
	}
	cairn__finalize(j, st);
	return rc;
}

int cairn__ingest_locked(cairn_journal *j, const cairn_event *ev)
{
	unsigned char h[32];
	int rc;
	if (!ev->device || !cairn__device_valid(ev->device) || ev->seq < 1 || !ev->kind || !ev->entity || !ev->body)
		return cairn__error(CAIRN_EINVAL, "malformed event");
	cairn_event_hash(ev, h);
	if (!cairn__ct_equal(h, ev->hash, 32))
		return cairn__error(CAIRN_ECORRUPT, "event %s/%llu does not match its content hash", ev->device,
		                    (unsigned long long)ev->seq);
	/* Stored unless (device, seq) is: then it is the same event again, or a fork (one statement, not a
	 * lookup before every insert: an import stores mostly new events). */
	if ((rc = insert_event(j, ev, 1)) == 1 && (rc = lookup(j, ev)) == 0)
		rc = cairn__error(CAIRN_ECORRUPT, "event %s/%llu is stored and is not", ev->device,
		                  (unsigned long long)ev->seq);
	if (rc == CAIRN_EFORK) {
		if ((rc = quarantine(j, ev, "fork: same (device, seq) stored with different content")))
			return rc;
		return cairn__error(CAIRN_EFORK, "fork: event %s/%llu differs from the one stored", ev->device,
		                    (unsigned long long)ev->seq);
	}
	if (rc) /* 1: already present, or an error */
		return rc;
	if ((rc = cairn__apply(j, ev)))
		return rc;
	j->hlc = cairn__hlc_observe(j->hlc, ev->hlc);
	return 0;
}

int cairn_event_ingest(cairn_journal *j, const cairn_event *ev)
{
	int rc = cairn__txn_begin(j);
	if (rc)
		return rc;
	rc = cairn__ingest_locked(j, ev);
	/* A fork is reported, but its quarantine row must be kept: commit it. */
	if (rc == CAIRN_EFORK || rc == 1) {
		int r2 = cairn__txn_end(j, 0);
		return r2 ? r2 : rc;
	}
	return cairn__txn_end(j, rc);
}

void cairn__event_of_row(sqlite3_stmt *st, cairn_event *ev)
{
	ev->device = (const char *)sqlite3_column_text(st, 0);
	ev->seq = (uint64_t)sqlite3_column_int64(st, 1);
	ev->hlc = (uint64_t)sqlite3_column_int64(st, 2);
	ev->kind = (const char *)sqlite3_column_text(st, 3);
	ev->entity = (const char *)sqlite3_column_text(st, 4);
	ev->body = (const char *)sqlite3_column_text(st, 5);
	ev->schema = sqlite3_column_int(st, 6);
	memset(ev->hash, 0, sizeof(ev->hash));
}

int cairn__apply_rows(cairn_journal *j, sqlite3_stmt *st, long *n)
{
	cairn_event ev;
	int rc = 0;
	long count = 0;
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cairn__event_of_row(st, &ev);
		rc = cairn__apply(j, &ev);
		count++;
	}
	cairn__finalize(j, st);
	if (n)
		*n = count;
	return rc == SQLITE_DONE ? 0 : rc > 0 ? cairn__sqlerr(j, rc, "reading the events to apply") : rc;
}

int cairn_events_foreach(cairn_journal *j, const char *device, uint64_t from_seq, uint64_t to_seq, cairn_event_cb cb,
                         void *ud)
{
	sqlite3_stmt *st;
	/* Two statements, not "?1 IS NULL OR device = ?1": that form cannot use the (device, seq) index, and
	 * sealing a few new events scanned the whole history (24 ms on 100,000 events). */
	int rc = cairn__prepare(j, &st,
	                        device ? "SELECT device, seq, hlc, kind, entity, body, schema, hash FROM events "
	                                 "WHERE device = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY device, seq"
	                               : "SELECT device, seq, hlc, kind, entity, body, schema, hash FROM events "
	                                 "WHERE seq BETWEEN ?2 AND ?3 ORDER BY device, seq");
	if (rc)
		return rc;
	if (device)
		sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)from_seq);
	sqlite3_bind_int64(st, 3, to_seq && to_seq <= INT64_MAX ? (int64_t)to_seq : INT64_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cairn_event ev;
		cairn__event_of_row(st, &ev);
		if (sqlite3_column_bytes(st, 7) == 32)
			memcpy(ev.hash, sqlite3_column_blob(st, 7), 32);
		int stop = cb(&ev, ud);
		if (stop) {
			cairn__finalize(j, st);
			return stop;
		}
	}
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading events");
}

int cairn_events_max_seq(cairn_journal *j, const char *device, uint64_t *out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT coalesce(max(seq), 0) FROM events WHERE device = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	cairn__finalize(j, st);
	return rc == SQLITE_ROW ? 0 : cairn__sqlerr(j, rc, "reading the last seq");
}
