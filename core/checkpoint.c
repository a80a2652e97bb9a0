/*
 * checkpoint.c — WAL checkpoints on a helper thread while a journal imports.
 *
 * A checkpoint copies every page a transaction wrote from the WAL into the database: read, authenticate,
 * seal again, write. In a cold office import of a million events that was a sixth of the time, spent on
 * the one core the import also needs. During import groups (cairn_import_begin) the journal's own
 * connection stops checkpointing; once a commit leaves the WAL past SQLite's own threshold, a second
 * connection, on a thread of its own, runs a passive checkpoint after each such commit (SQLite lets a
 * passive checkpoint run beside a writer). Without the thread (it could not start) the journal checkpoints
 * inline, as SQLite would have.
 */
#include "error.h"
#include "journal.h"
#include "vfs.h"

#include <pthread.h>
#include <stdlib.h>

#define AUTOCHECKPOINT_PAGES 1000 /* SQLite's default, restored when the helper stops */

struct cairn__checkpointer {
	sqlite3 *db;    /* the helper's connection; NULL until the WAL first outgrows AUTOCHECKPOINT_PAGES */
	int started;    /* the thread runs */
	int failed;     /* it could not start: checkpoint inline, as SQLite would */
	int wal_frames; /* frames in the WAL after the last commit (from the WAL hook) */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int kicks, stop;
};

static void *run(void *arg)
{
	struct cairn__checkpointer *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->kicks && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (!c->kicks)
			break;
		c->kicks = 0;
		pthread_mutex_unlock(&c->mu);
		/* Passive: copies what no reader still needs, never waits for the writer. A failure (a reader
		 * holding old frames, no space) leaves the frames for the next kick or for close. */
		sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* Replaces SQLite's own checkpoint-on-commit hook while armed: only counts. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)db;
	(void)name;
	((struct cairn__checkpointer *)arg)->wal_frames = frames;
	return SQLITE_OK;
}

void cairn__checkpointer_start(cairn_journal *j)
{
	struct cairn__checkpointer *c;
	if (j->ckpt || j->ro_code || !(c = calloc(1, sizeof(*c))))
		return;
	sqlite3_wal_hook(j->db, on_wal, c);
	j->ckpt = c;
}

/* The thread and its connection, when the WAL first needs a checkpoint: a small import never pays for
 * them (opening a connection, a checkpoint SQLite would not have run yet). */
static int launch(cairn_journal *j, struct cairn__checkpointer *c)
{
	if (cairn__vfs_open_sibling(&c->db, j->db)) {
		cairn__log(CAIRN_LOG_DEBUG, "no checkpoint helper: %s", cairn_error_last());
		return -1;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, run, c)) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		cairn__vfs_close(c->db);
		c->db = NULL;
		return -1;
	}
	return 0;
}

void cairn__checkpointer_kick(cairn_journal *j)
{
	struct cairn__checkpointer *c = j->ckpt;
	if (!c || c->wal_frames < AUTOCHECKPOINT_PAGES)
		return;
	if (!c->started && !c->failed) {
		c->started = launch(j, c) == 0;
		c->failed = !c->started;
	}
	if (c->failed) {
		sqlite3_wal_checkpoint_v2(j->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return;
	}
	pthread_mutex_lock(&c->mu);
	c->kicks++;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

void cairn__checkpointer_stop(cairn_journal *j)
{
	struct cairn__checkpointer *c = j->ckpt;
	if (!c)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->mu);
		c->stop = 1; /* a kick still pending runs first */
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		cairn__vfs_close(c->db);
	}
	free(c);
	j->ckpt = NULL;
	sqlite3_wal_autocheckpoint(j->db, AUTOCHECKPOINT_PAGES); /* SQLite's own hook again */
}
