/*
 * gitlog.h — the per-device logs in a bare git repository (the only libgit2 user in cairn).
 *
 * Layout: refs/heads/logs/<device> holds one commit per segment (tree: one blob named "segment"; fixed
 * author, committer and time so commits reveal nothing and are reproducible); the parent is the previous
 * segment. refs/remotes/<remote>/logs/<device> are what a remote had at the last fetch.
 * All object ids cross this interface as 40-character hex strings ("" for none).
 */
#ifndef CAIRN_GITLOG_H
#define CAIRN_GITLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CAIRN_OID_HEX 41

typedef struct cairn_gitlog cairn_gitlog;

int cairn__gitlog_open(cairn_gitlog **out, const char *path); /* creates a bare repo when missing */
void cairn__gitlog_free(cairn_gitlog *g);
/*
 * An exclusive flock on the file `name` in repository directory `dir` (created with `mode`), waited for;
 * when another process holds it, `waiting` (NULL: nothing) is logged as a warning first. *fd receives the
 * descriptor, -1 when the file cannot be opened; closing it releases the lock, also after an error.
 */
int cairn__gitlog_lock(const char *dir, const char *name, mode_t mode, const char *waiting, int *fd);
/* Remove "*.lock" files under refs/ and the repository's own lock files: only call while holding the
 * engine's lock (then they were left by a process that died mid-update). */
int cairn__gitlog_clear_stale_locks(cairn_gitlog *g);

/* Tip of a full ref name; CAIRN_ENOTFOUND when it does not exist. */
int cairn__gitlog_tip(cairn_gitlog *g, const char *ref, char oid[CAIRN_OID_HEX]);
/* The segment blob of a commit (malloc'd) and its parent ("" when none). CAIRN_ECORRUPT when the commit
 * is not a segment commit (tree must be exactly one blob "segment"). */
int cairn__gitlog_read(cairn_gitlog *g, const char *commit, unsigned char **buf, size_t *len,
                       char parent[CAIRN_OID_HEX]);
/* The same for a commit whose tree is one blob named `name` ("roster", "request"). Only the form
 * cairn__gitlog_commit_blob writes is read (fixed identity, time and message; mode 100644), and nothing
 * over the limits below is loaded: both CAIRN_ECORRUPT. */
#define CAIRN__GITLOG_COMMIT_MAX 1024u     /* a canonical commit is ~250 bytes */
#define CAIRN__GITLOG_BLOB_MAX (80u << 20) /* the largest document: a whole segment (segment.h) */
int cairn__gitlog_read_blob(cairn_gitlog *g, const char *commit, const char *name, unsigned char **buf, size_t *len,
                            char parent[CAIRN_OID_HEX]);
/* Commit one blob named `file` on `ref` (full name), whose tip must be `parent` ("" when none). */
int cairn__gitlog_commit_blob(cairn_gitlog *g, const char *ref, const char *file, const char *parent,
                              const unsigned char *buf, size_t len, char out[CAIRN_OID_HEX]);
/* Open the repository a git hook runs in (GIT_DIR and the quarantine object directories). */
int cairn__gitlog_open_env(cairn_gitlog **out);
/* The repository's directory (with a trailing slash). Borrowed. */
const char *cairn__gitlog_path(cairn_gitlog *g);
/* Time (seconds) of the newest reflog entry of `ref`; 0 when it has none. */
int cairn__gitlog_ref_time(cairn_gitlog *g, const char *ref, int64_t *when);
/* Append a segment commit to refs/heads/logs/<device>, whose tip must be `parent` ("" when none). */
int cairn__gitlog_append(cairn_gitlog *g, const char *device, const char *parent, const unsigned char *seg, size_t len,
                         char out[CAIRN_OID_HEX]);
/* Commits reachable from `tip` but not from `since` ("" none), oldest first. *oids malloc'd. */
int cairn__gitlog_walk(cairn_gitlog *g, const char *tip, const char *since, char (**oids)[CAIRN_OID_HEX], size_t *n);
/* Device ids under a ref prefix (e.g. "refs/heads/logs/"). *devs: malloc'd array of malloc'd strings. */
int cairn__gitlog_list(cairn_gitlog *g, const char *prefix, char ***devs, size_t *n);
void cairn__gitlog_list_free(char **devs, size_t n);
/* Point `ref` at `oid`; when `expected` is given ("" means must not exist) the update is atomic CAS. */
int cairn__gitlog_set(cairn_gitlog *g, const char *ref, const char *oid, const char *expected);
int cairn__gitlog_delete_ref(cairn_gitlog *g, const char *ref);
/* The newest common ancestor of two commits into `out` ("" when they share none). */
int cairn__gitlog_merge_base(cairn_gitlog *g, const char *a, const char *b, char out[CAIRN_OID_HEX]);
/* Copy commit `tip` of `from` and its first-parent history, with their trees and blobs (one level: the
 * forms cairn writes), into `to`, down to a commit `to` already holds. No ref moves. */
int cairn__gitlog_copy_chain(cairn_gitlog *from, cairn_gitlog *to, const char *tip);
/* 1 when the repository holds commit `commit`, 0 when not (or it is malformed). */
int cairn__gitlog_has(cairn_gitlog *g, const char *commit);
/* 1 when `a` descends from `b` (a != b), 0 when not, <0 on error. */
int cairn__gitlog_descends(cairn_gitlog *g, const char *a, const char *b);

/* Remotes. Options are stored in the repository's git config as remote.<name>.cairn<option>. */
int cairn__gitlog_remote_add(cairn_gitlog *g, const char *name, const char *url);
int cairn__gitlog_remote_remove(cairn_gitlog *g, const char *name);
int cairn__gitlog_remote_names(cairn_gitlog *g, char ***names, size_t *n);
int cairn__gitlog_remote_url(cairn_gitlog *g, const char *name, char **url);
int cairn__gitlog_config_get(cairn_gitlog *g, const char *key, char **value); /* ENOTFOUND when unset */
int cairn__gitlog_config_set(cairn_gitlog *g, const char *key, const char *value);

typedef struct {
	void (*progress)(void *ud, const char *phase, uint64_t done, uint64_t total, uint64_t bytes);
	void *ud;
	uint64_t bytes_received, bytes_sent;
	/* per-ref push outcomes, filled by cairn__gitlog_push */
	void (*rejected)(void *ud, const char *ref, const char *reason);
	char first_rejection[256]; /* "ref: reason" of the first refusal, for the one-line error */
} cairn__transfer;

/* `own`: also this device's refs/heads/synced/<own> (NULL: not). */
int cairn__gitlog_fetch(cairn_gitlog *g, const char *remote, const char *own, cairn__transfer *t);
/* Push each "src:dst" refspec; server refusals go to t->rejected and the count to *rejected. */
int cairn__gitlog_push(cairn_gitlog *g, const char *remote, char **refspecs, size_t n, cairn__transfer *t,
                       size_t *rejected);

#endif
