/*
 * engine.c — one sync round: seal → fetch → reconcile refs → push → import (DESIGN.md "Sync").
 *
 * Invariants:
 *  1. Git holds the truth of what was sealed: the own log's tip says which seq is sealed, so a crash
 *     between writing a segment and anything after it needs no repair beyond the next seal.
 *  2. A segment is imported whole or not at all (cairn_import_segment), in log order, after its
 *     signature, device binding, seq continuity and hash chain have been checked. The first bad segment
 *     of a log is quarantined and stops that log only; other logs keep flowing.
 *  3. A local log ref is only ever fast-forwarded; a remote history that is not a descendant of ours is
 *     a fork: reported and quarantined, never adopted.
 *  4. Cost grows with what is new: logs are walked from the import cursor, pushes name only refs the
 *     remote lacks, fetches negotiate with what we hold.
 */
#include "cairn_sync.h"
#include "directory.h"
#include "gitlog.h"
#include "netstream.h"
#include "office.h"
#include "segment.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEAL_MAX_EVENTS 5000
#define SEAL_MAX_BYTES (4u << 20)
#define IMPORT_GROUP_EVENTS 20000 /* events per import transaction: a crash redoes at most this many */
/* Failures of this machine, not of what a segment holds: never a reason to quarantine it. */
#define TRANSIENT(rc) ((rc) == CAIRN_ENOMEM || (rc) == CAIRN_EIO || (rc) == CAIRN_ENOSPC)
#define OWN_FORK_KEY "own_fork" /* sync state: an identity change after a restore, not yet finished */

struct cairn_sync {
	cairn_journal *j;
	cairn_gitlog *g;
	int lockfd; /* flock on logs.git/cairn.lock: one sync engine per journal at a time */
	/* Open conflicts before this import's first applied segment (counted only then: the count scans
	 * every contact field, which would make a round with nothing new cost as much as the history). */
	int conflicts_counted;
	uint64_t conflicts_before;
	/* The org-signed roster this device holds (NULL before the office exists or before enrollment):
	 * segments of devices it does not admit are neither adopted, relayed nor imported. */
	cairn_roster *roster;
	/* The version of the newest roster this journal took (0 none) when the log repository holds no
	 * roster that new: lost, or restored from an older copy. Other logs then wait for a remote that
	 * offers one, rather than being judged by an older roster or by none. */
	uint64_t roster_needed;
	/* The fetch of the current round succeeded. */
	int reached;
	/* Logs the last import left waiting: logs.git lacks the segment the journal imported last. */
	size_t waiting;
	/* An import group is open (cairn_sync_import): its size so far, in events applied. */
	int grouping;
	uint64_t group_events;
};

/*
 * One engine per log repository at a time. Holding the lock also proves that any git "*.lock" file left
 * in the repository belongs to a process that died (SIGKILL mid ref update): it is removed, or every
 * later ref update would fail.
 */
static int take_lock(cairn_sync *s, const char *repo)
{
	/* Another sync of this journal is running: wait for it (it is bounded by its own round). */
	int rc = cairn__gitlog_lock(repo, "cairn.lock", 0600, NULL, &s->lockfd);
	return rc ? rc : cairn__gitlog_clear_stale_locks(s->g);
}

/* The roster in our log repository, when this device pinned an org key; applied if it was not yet. */
static int load_roster(cairn_sync *s)
{
	unsigned char org[32];
	char tip[CAIRN_OID_HEX] = "", seen_tip[CAIRN_OID_HEX];
	uint64_t seen = 0;
	int rc = cairn__org_pinned(s->j, org);
	if (rc)
		return rc == CAIRN_ENOTFOUND ? 0 : rc;
	if ((rc = cairn__roster_seen(s->j, &seen, seen_tip)))
		return rc;
	rc = cairn__roster_load(s->g, CAIRN_ROSTER_REF, org, &s->roster);
	if (rc == 0 && !(rc = cairn__gitlog_tip(s->g, CAIRN_ROSTER_REF, tip)) &&
	    cairn__roster_check(s->j, s->roster->version, tip, "the log repository holds")) {
		cairn_roster_free(s->roster); /* older than what the journal took: wait for a newer one */
		s->roster = NULL;
	}
	cairn_error_clear();
	if (rc == 0 && s->roster)
		rc = cairn__roster_apply(s->g, s->j, s->roster, tip);
	if ((rc == 0 || rc == CAIRN_ENOTFOUND) && !s->roster && seen)
		s->roster_needed = seen;
	/* The directory held here, when the journal lacks it (a rebuild after a restore clears it). */
	if (rc == 0 || rc == CAIRN_ENOTFOUND)
		rc = cairn__directory_apply(s->g, s->j);
	return rc;
}

/* Other devices' logs wait: the journal took a newer roster than any held here (see roster_needed). */
static int roster_missing(const cairn_sync *s) { return s->roster_needed && !s->roster; }

static int finish_own_fork(cairn_sync *s);
static void approval_needed(cairn_sync *s);

int cairn_sync_open(cairn_sync **out, cairn_journal *j)
{
	char path[4096];
	cairn_sync *s = calloc(1, sizeof(*s));
	int rc;
	if (!s)
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s/logs.git", cairn_journal_dir(j));
	s->lockfd = -1;
	if ((rc = cairn__gitlog_open(&s->g, path)) || (rc = take_lock(s, path))) {
		cairn_sync_free(s);
		return rc;
	}
	s->j = j;
	if ((rc = load_roster(s)) || (rc = finish_own_fork(s))) {
		cairn_sync_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void cairn_sync_free(cairn_sync *s)
{
	if (!s)
		return;
	cairn__gitlog_free(s->g);
	cairn_roster_free(s->roster);
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the flock */
	free(s);
}

static void log_ref(char *out, size_t n, const char *device) { snprintf(out, n, "refs/heads/logs/%s", device); }

/* ---- sealing ---- */

typedef struct {
	cairn_event *ev;
	size_t n, cap, bytes;
} batch;

static void batch_clear(batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free((char *)b->ev[i].device);
		free((char *)b->ev[i].kind);
		free((char *)b->ev[i].entity);
		free((char *)b->ev[i].body);
	}
	b->n = 0;
	b->bytes = 0;
}

static int batch_add(const cairn_event *ev, void *ud)
{
	batch *b = ud;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 256;
		void *p = realloc(b->ev, cap * sizeof(*b->ev));
		if (!p)
			return cairn_error_set(CAIRN_ENOMEM, "out of memory");
		b->ev = p;
		b->cap = cap;
	}
	cairn_event *c = &b->ev[b->n];
	*c = *ev;
	c->device = strdup(ev->device);
	c->kind = strdup(ev->kind);
	c->entity = strdup(ev->entity);
	c->body = strdup(ev->body);
	b->n++;
	if (!c->device || !c->kind || !c->entity || !c->body)
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	b->bytes += strlen(ev->body) + 64;
	/* Stop early at the size cap: the next segment takes the rest. */
	return b->bytes >= SEAL_MAX_BYTES ? 1 : 0;
}

static int sign_cb(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	return cairn_device_sign(ud, m, n, sig);
}

/* The last seq and hash of the segment at the tip of a log ("" tip: nothing sealed). */
static int tip_state(cairn_sync *s, const char *tip, uint64_t *last, unsigned char hash[32])
{
	return cairn__log_tip_state(s->g, tip, last, hash);
}

/* Our own log's tip in the log repository ("" when it holds none), with its last seq and segment hash. */
static int own_tip(cairn_sync *s, char tip[CAIRN_OID_HEX], uint64_t *last, unsigned char hash[32])
{
	char ref[128];
	log_ref(ref, sizeof(ref), cairn_journal_device(s->j));
	int rc = cairn__gitlog_tip(s->g, ref, tip);
	if (rc == CAIRN_ENOTFOUND) {
		cairn_error_clear();
		tip[0] = '\0';
		rc = 0;
	}
	return rc ? rc : tip_state(s, tip, last, hash);
}

/*
 * This journal sealed further than its log repository holds (logs.git lost, or restored from an older
 * copy): sealing from the older tip would write a second log under seqs already published, which every
 * remote sees as a fork. `held` is the last seq at the tip held here.
 */
static int own_log_lost(cairn_sync *s, uint64_t held)
{
	cairn_cursor c;
	int lost = !cairn_cursor_get(s->j, cairn_journal_device(s->j), &c) && c.last_seq > held;
	cairn_error_clear();
	return lost;
}

int cairn_sync_seal(cairn_sync *s, cairn_sync_result *r)
{
	const char *own = cairn_journal_device(s->j);
	char tip[CAIRN_OID_HEX] = "", next[CAIRN_OID_HEX];
	cairn_segment_header h;
	unsigned char *key = NULL;
	uint64_t max = 0;
	batch b = {0};
	int rc;
	memset(&h, 0, sizeof(h));
	if ((rc = own_tip(s, tip, &h.first_seq, h.prev)) || (rc = cairn_events_max_seq(s->j, own, &max)))
		return rc;
	if (max <= h.first_seq)
		return 0; /* nothing pending (or the journal is behind git: import repairs it) */
	if (own_log_lost(s, h.first_seq))
		return 0; /* a remote gives the published log back first (reconcile adopts it) */
	rc = cairn_team_current(s->j, h.team, &h.epoch, &key);
	if (rc == CAIRN_ENOTFOUND)
		return 0; /* no team yet: record locally and wait (DESIGN: until approved) */
	if (rc || (rc = cairn_device_public_key(s->j, h.device_pk)))
		goto out;
	snprintf(h.device, sizeof(h.device), "%s", own);
	uint64_t sealed = h.first_seq;
	while (sealed < max) {
		unsigned char *seg = NULL;
		size_t len;
		uint64_t to = sealed + SEAL_MAX_EVENTS < max ? sealed + SEAL_MAX_EVENTS : max;
		batch_clear(&b);
		rc = cairn_events_foreach(s->j, own, sealed + 1, to, batch_add, &b);
		if (rc < 0)
			goto out;
		if (b.n == 0 || b.ev[0].seq != sealed + 1) {
			rc = cairn_error_set(CAIRN_ECORRUPT, "own log has a gap after seq %llu",
			                     (unsigned long long)sealed);
			goto out;
		}
		h.first_seq = sealed + 1;
		h.last_seq = b.ev[b.n - 1].seq;
		if ((rc = cairn_segment_encode(&seg, &len, &h, b.ev, b.n, key, sign_cb, s->j)))
			goto out;
		rc = cairn__gitlog_append(s->g, own, tip, seg, len, next);
		if (!rc) {
			cairn_cursor c = {0};
			cairn_segment_hash(seg, len, c.last_hash);
			c.last_seq = h.last_seq;
			snprintf(c.commit, sizeof(c.commit), "%s", next);
			/* Our own events are already applied: just move our cursor past this segment. */
			rc = cairn_import_segment(s->j, own, NULL, 0, &c, NULL);
			memcpy(h.prev, c.last_hash, 32);
		}
		free(seg);
		if (rc)
			goto out;
		memcpy(tip, next, sizeof(tip));
		sealed = h.last_seq;
		if (r)
			r->segments_sealed++;
	}
out:
	batch_clear(&b);
	free(b.ev);
	cairn_key_free(key);
	return rc;
}

/* ---- import ---- */

static int conflicts(cairn_journal *j, uint64_t *n);

/* Check and apply one segment commit of `dev`; on a bad segment quarantine it and return 1. */
static int import_one(cairn_sync *s, const char *dev, const char *commit, cairn_cursor *cur, cairn_sync_result *r)
{
	cairn_segment_header h;
	cairn_segment_events evs = {0};
	unsigned char *buf = NULL, *key = NULL;
	size_t len;
	char parent[CAIRN_OID_HEX], reason[300] = "";
	uint64_t applied = 0;
	int rc = cairn__gitlog_read(s->g, commit, &buf, &len, parent);
	if (TRANSIENT(rc))
		goto out; /* not the segment's fault: a quarantine is for good, this is for the next round */
	if (rc) {
		snprintf(reason, sizeof(reason), "%s", cairn_error_last());
		goto bad;
	}
	if ((rc = cairn_segment_verify(&h, buf, len))) {
		snprintf(reason, sizeof(reason), "%s", cairn_error_last());
		goto bad;
	}
	if (strcmp(h.device, dev)) {
		snprintf(reason, sizeof(reason), "segment of device %s found on the log of %s", h.device, dev);
		goto bad;
	}
	unsigned char sh[32];
	cairn_segment_hash(buf, len, sh);
	if (s->roster && !cairn_roster_admits(s->roster, dev, h.device_pk, h.last_seq, sh, reason, sizeof(reason)))
		goto bad;
	if (h.first_seq != cur->last_seq + 1 || memcmp(h.prev, cur->last_hash, 32)) {
		snprintf(reason, sizeof(reason), "segment %llu-%llu does not follow seq %llu in the hash chain",
		         (unsigned long long)h.first_seq, (unsigned long long)h.last_seq,
		         (unsigned long long)cur->last_seq);
		goto bad;
	}
	rc = cairn_team_key(s->j, h.team, h.epoch, &key);
	if (rc == CAIRN_ENOTFOUND) { /* another team's log: carried, not read */
		if (r)
			r->unreadable++;
		free(buf);
		return 2;
	}
	if (rc)
		goto out;
	if ((rc = cairn_segment_open(&evs, &h, buf, len, key))) {
		if (TRANSIENT(rc))
			goto out;
		snprintf(reason, sizeof(reason), "%s", cairn_error_last());
		goto bad;
	}
	cairn_cursor next = {0};
	next.last_seq = h.last_seq;
	cairn_segment_hash(buf, len, next.last_hash);
	snprintf(next.commit, sizeof(next.commit), "%s", commit);
	if (!s->conflicts_counted && !conflicts(s->j, &s->conflicts_before))
		s->conflicts_counted = 1;
	rc = cairn_import_segment(s->j, dev, evs.events, evs.count, &next, &applied);
	if (rc == CAIRN_EFORK && !strcmp(dev, cairn_journal_device(s->j))) {
		/* Our own published log holds other events under seqs this journal reused: the database was
		 * restored from a backup without its log repository. Keep what was published; what was written
		 * since continues under a new device id (as in own_fork). */
		char old[CAIRN_DEVICE_LEN];
		if (!(rc = cairn_device_rotate(s->j, cur->last_seq, old))) {
			approval_needed(s);
			rc = cairn_import_segment(s->j, dev, evs.events, evs.count, &next, &applied);
		}
	}
	if (rc == CAIRN_EFORK || rc == CAIRN_EINVAL || rc == CAIRN_ECORRUPT) {
		snprintf(reason, sizeof(reason), "%s", cairn_error_last());
		goto bad;
	}
	if (!rc) {
		*cur = next;
		if (r) {
			r->events_applied += applied;
			r->segments_imported++;
		}
	}
	goto out;
bad:
	rc = cairn_quarantine_segment(s->j, dev, commit, reason);
	if (!rc) {
		rc = 1;
		if (r)
			r->quarantined++;
	}
out:
	cairn_segment_events_free(&evs);
	cairn_key_free(key);
	free(buf);
	return rc;
}

static int import_log(cairn_sync *s, const char *dev, cairn_sync_result *r)
{
	char ref[128], tip[CAIRN_OID_HEX];
	char(*oids)[CAIRN_OID_HEX] = NULL;
	cairn_cursor cur;
	size_t n = 0;
	int rc;
	log_ref(ref, sizeof(ref), dev);
	if ((rc = cairn__gitlog_tip(s->g, ref, tip)) || (rc = cairn_cursor_get(s->j, dev, &cur)))
		return rc == CAIRN_ENOTFOUND ? 0 : rc;
	if (!strcmp(cur.commit, tip))
		return 0;
	/* The log repository lacks the segment this journal imported last (logs.git lost, or restored
	 * from an older copy): this log waits for a remote to give it back, and the round goes on. */
	if (cur.commit[0] && !cairn__gitlog_has(s->g, cur.commit)) {
		s->waiting++;
		return 0;
	}
	/* A revoked device whose last segment the roster pins (taken into logs.git before this journal had
	 * that roster): read only as far as the verified chain reaches that segment. */
	const cairn_roster_device *pin = s->roster ? cairn_roster_pinned(s->roster, dev) : NULL;
	if (pin && cur.last_seq < pin->last_seq) {
		char good[CAIRN_OID_HEX], bad[CAIRN_OID_HEX], reason[300];
		rc = cairn__log_verified_prefix_known(s->g, s->roster, dev, cur.commit, cur.last_seq, cur.last_hash,
		                                      tip, good, bad, reason, sizeof(reason));
		if (rc || !strcmp(good, cur.commit))
			return rc > 0 ? 0 : rc;
		snprintf(tip, sizeof(tip), "%s", good);
	}
	if ((rc = cairn__gitlog_walk(s->g, tip, cur.commit, &oids, &n)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = cairn_quarantine_has(s->j, dev, oids[i]);
		if (rc == 1) {
			rc = 0;
			break; /* invariant 2: a log stops at its first bad segment */
		}
		uint64_t before = r ? r->events_applied : 0;
		if (rc || (rc = import_one(s, dev, oids[i], &cur, r)) != 0)
			break;
		/* A group ends after IMPORT_GROUP_EVENTS, between segments: one long log is several groups. */
		if (s->grouping && r && (s->group_events += r->events_applied - before) >= IMPORT_GROUP_EVENTS) {
			s->group_events = 0;
			if ((rc = cairn_import_commit(s->j)) || (rc = cairn_import_begin(s->j))) {
				s->grouping = 0;
				break;
			}
		}
	}
	free(oids);
	return rc > 0 ? 0 : rc;
}

/* Open field conflicts. The conflict list, not cairn_journal_stats(): the stats also count every event,
 * contact and note, several times the work on a large journal. */
static int conflicts(cairn_journal *j, uint64_t *n)
{
	char *list = NULL;
	json_t *o;
	int rc = cairn_conflict_list(j, &list);
	if (rc)
		return rc;
	o = json_loads(list, 0, NULL);
	*n = (uint64_t)json_array_size(o);
	json_decref(o);
	cairn_free(list);
	return 0;
}

int cairn_sync_import(cairn_sync *s, cairn_sync_result *r)
{
	char **devs = NULL;
	size_t n = 0;
	uint64_t after = 0;
	cairn_sync_result local = {0};
	int rc = cairn__gitlog_list(s->g, "refs/heads/logs/", &devs, &n);
	size_t others = n;
	if (rc)
		return rc;
	if (!r)
		r = &local;
	s->conflicts_counted = 0;
	s->waiting = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		if (!strcmp(devs[i], cairn_journal_device(s->j))) {
			rc = import_log(s, devs[i], r); /* our own log first: repairs a journal behind git */
			others--;
		}
	}
	/* Other logs in import groups: one commit (fsync, checkpoint, search-index flush) per group instead of
	 * one per segment; most of a cold import's time was commits. import_log() ends a group after
	 * IMPORT_GROUP_EVENTS. */
	if (!rc && others && !(rc = cairn_import_begin(s->j))) {
		s->grouping = 1;
		s->group_events = 0;
	}
	for (size_t i = 0; i < n && !rc && !roster_missing(s); i++)
		if (strcmp(devs[i], cairn_journal_device(s->j)))
			rc = import_log(s, devs[i], r);
	if (s->grouping)
		rc = rc ? (cairn_import_rollback(s->j), rc) : cairn_import_commit(s->j);
	s->grouping = 0;
	cairn_import_finish(s->j);
	if (s->conflicts_counted && !conflicts(s->j, &after) && r && after > s->conflicts_before)
		r->conflicts_raised += after - s->conflicts_before;
	cairn__gitlog_list_free(devs, n);
	return rc;
}

/* ---- remotes ---- */

static int set_opt(cairn_sync *s, const char *name, const char *opt, const char *value)
{
	char key[160];
	if (!value)
		return 0;
	snprintf(key, sizeof(key), "remote.%s.cairn%s", name, opt);
	return cairn__gitlog_config_set(s->g, key, value);
}

int cairn_remote_add(cairn_sync *s, const char *name, const char *url, const cairn_remote_options *o)
{
	int rc;
	if (!url || !*url)
		return cairn_error_set(CAIRN_EINVAL, "remote '%s' needs a URL or path", name ? name : "");
	if (o && o->pin && strlen(o->pin) != 64)
		return cairn_error_set(CAIRN_EINVAL, "--pin takes a SHA-256 in hex (64 digits)");
	if ((rc = cairn__gitlog_remote_add(s->g, name, url)))
		return rc;
	if (o && ((rc = set_opt(s, name, "credentialfile", o->credential_file)) ||
	          (rc = set_opt(s, name, "sshkey", o->ssh_key)) || (rc = set_opt(s, name, "pin", o->pin)) ||
	          (rc = set_opt(s, name, "cafile", o->ca_file))))
		cairn__gitlog_remote_remove(s->g, name);
	return rc;
}

int cairn_remote_remove(cairn_sync *s, const char *name)
{
	char **devs = NULL, prefix[128], ref[256];
	size_t n = 0;
	int rc = cairn__gitlog_remote_remove(s->g, name);
	if (rc)
		return rc;
	snprintf(prefix, sizeof(prefix), "refs/remotes/%s/logs/", name);
	if (!cairn__gitlog_list(s->g, prefix, &devs, &n))
		for (size_t i = 0; i < n; i++) {
			snprintf(ref, sizeof(ref), "%s%s", prefix, devs[i]);
			cairn__gitlog_delete_ref(s->g, ref);
		}
	cairn__gitlog_list_free(devs, n);
	/* and what else was kept of it: a remote added again under this name starts from nothing */
	const char *own = cairn_journal_device(s->j);
	char more[4][300];
	snprintf(more[0], sizeof(more[0]), "refs/remotes/%s/roster", name);
	snprintf(more[1], sizeof(more[1]), "refs/remotes/%s/directory", name);
	snprintf(more[2], sizeof(more[2]), "refs/remotes/%s/synced/%s", name, own);
	snprintf(more[3], sizeof(more[3]), "refs/cairn/head/%s", name);
	for (size_t i = 0; i < 4; i++)
		cairn__gitlog_delete_ref(s->g, more[i]);
	return 0;
}

static char *state_key(char *buf, size_t n, const char *remote, const char *what)
{
	snprintf(buf, n, "remote.%s.%s", remote, what);
	return buf;
}

int cairn_remote_list(cairn_sync *s, char **out)
{
	char **names = NULL, *url, *v, k[160];
	size_t n = 0;
	json_t *arr = json_array();
	int rc = cairn__gitlog_remote_names(s->g, &names, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(names[i]));
		if (!cairn__gitlog_remote_url(s->g, names[i], &url)) {
			json_object_set_new(o, "url", json_string(url));
			free(url);
		}
		if (!cairn_state_get(s->j, state_key(k, sizeof(k), names[i], "last_sync"), &v)) {
			json_object_set_new(o, "last_sync", json_string(v));
			free(v);
		}
		if (!cairn_state_get(s->j, state_key(k, sizeof(k), names[i], "last_error"), &v)) {
			json_object_set_new(o, "last_error", *v ? json_string(v) : json_null());
			free(v);
		}
		json_array_append_new(arr, o);
	}
	cairn__gitlog_list_free(names, n);
	if (!rc && !(*out = json_dumps(arr, JSON_COMPACT)))
		rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
	json_decref(arr);
	return rc;
}

/* ---- one round with one remote ---- */

typedef struct {
	cairn_sync *s;
	json_t *rejections;
	const cairn_sync_options *opts;
	cairn__transfer *t;
} round_ctx;

static void on_rejected(void *ud, const char *ref, const char *reason)
{
	round_ctx *c = ud;
	if (!c->t->first_rejection[0])
		snprintf(c->t->first_rejection, sizeof(c->t->first_rejection), "%s: %s", ref, reason);
	json_array_append_new(c->rejections, json_pack("{ssss}", "ref", ref, "reason", reason));
}

static void on_progress(void *ud, const char *phase, uint64_t done, uint64_t total, uint64_t bytes)
{
	round_ctx *c = ud;
	if (c->opts && c->opts->progress)
		c->opts->progress(c->opts->ud, phase, done, total, bytes);
}

static uint64_t count_between(cairn_sync *s, const char *tip, const char *base)
{
	char(*oids)[CAIRN_OID_HEX] = NULL;
	size_t n = 0;
	if (cairn__gitlog_walk(s->g, tip, base, &oids, &n))
		return 0;
	free(oids);
	return n;
}

/*
 * Our own log on the remote went further than ours and we wrote on top of an older tip: this journal
 * was restored from a backup. Never publish the divergent segments; adopt the published log, and let
 * the events written since the restore continue under a new device id (cairn_device_rotate).
 */
static int verified_prefix(cairn_sync *s, const char *dev, const char *base, const char *tip, char good[CAIRN_OID_HEX],
                           char bad[CAIRN_OID_HEX], char *reason, size_t rlen);

/*
 * own_fork's steps span the journal (a new identity; the old id's cursor) and git (the old id's log ref),
 * which share no transaction. So what is left to do once the identity changes is recorded first, as
 * "<old device> <common ancestor> <published tip>", and this finishes it, at once or on the next open
 * after a crash. Each step is a set, so doing one twice is harmless. A record whose device is still ours
 * is a rotation that never committed: dropped, and the next round finds the fork again.
 */
static int finish_own_fork(cairn_sync *s)
{
	char *m = NULL, old[CAIRN_DEVICE_LEN], base[CAIRN_OID_HEX], good[CAIRN_OID_HEX], lref[128];
	cairn_cursor c = {0};
	int rc = cairn_state_get(s->j, OWN_FORK_KEY, &m);
	if (rc == CAIRN_ENOTFOUND) {
		cairn_error_clear();
		return 0;
	}
	if (rc)
		return rc;
	if (!*m) {
		free(m);
		return 0;
	}
	if (sscanf(m, "%16s %40s %40s", old, base, good) != 3 || strlen(old) != CAIRN_DEVICE_LEN - 1) {
		free(m);
		return cairn_error_set(CAIRN_ECORRUPT, "the record of an unfinished identity change is malformed");
	}
	free(m);
	if (!strcmp(base, "-"))
		base[0] = '\0';
	if (strcmp(old, cairn_journal_device(s->j))) {
		snprintf(c.commit, sizeof(c.commit), "%s", base);
		log_ref(lref, sizeof(lref), old);
		/* The old identity's log is now the published one; import resumes from the common ancestor. */
		if ((rc = tip_state(s, base, &c.last_seq, c.last_hash)) ||
		    (rc = cairn_import_segment(s->j, old, NULL, 0, &c, NULL)) ||
		    (strcmp(good, "-") && (rc = cairn__gitlog_set(s->g, lref, good, NULL))))
			return rc;
	}
	return cairn_state_set(s->j, OWN_FORK_KEY, "");
}

/* After a change of identity: with an office, the new id is not in the roster until it is approved. */
static void approval_needed(cairn_sync *s)
{
	unsigned char org[32];
	if (!cairn__org_pinned(s->j, org))
		cairn_log_emit(CAIRN_LOG_WARN,
		               "the office must approve device %s ('cairn office enroll approve %s') before what it "
		               "writes reaches the team",
		               cairn_journal_device(s->j), cairn_journal_device(s->j));
	cairn_error_clear();
}

static int own_fork(cairn_sync *s, const char *ltip, const char *rtip, cairn_sync_result *r)
{
	char base[CAIRN_OID_HEX], good[CAIRN_OID_HEX], bad[CAIRN_OID_HEX], todo[128];
	char reason[300] = "";
	const char *own = cairn_journal_device(s->j);
	uint64_t keep = 0;
	unsigned char hash[32];
	int rc = cairn__gitlog_merge_base(s->g, ltip, rtip, base);
	if (rc || (rc = tip_state(s, base, &keep, hash)))
		return rc;
	/* Only segments that verify as our own prove a restore; anything else on our log is junk. */
	if ((rc = verified_prefix(s, own, base, rtip, good, bad, reason, sizeof(reason))) < 0)
		return rc;
	if (rc > 0)
		bad[0] = '\0'; /* (good is the base) */
	rc = 0;
	r->forks++;
	if (!strcmp(good, base)) {
		if (bad[0] && cairn_quarantine_has(s->j, own, bad) == 0 &&
		    !cairn_quarantine_segment(s->j, own, bad, reason))
			r->quarantined++;
		return 0;
	}
	snprintf(todo, sizeof(todo), "%s %s %s", own, *base ? base : "-", good); /* "-": no common ancestor */
	if ((rc = cairn_state_set(s->j, OWN_FORK_KEY, todo)) || (rc = cairn_device_rotate(s->j, keep, NULL)) ||
	    (rc = finish_own_fork(s)))
		return rc;
	approval_needed(s);
	r->forks--; /* handled: not a fork left for anyone to look at */
	return cairn_sync_seal(s, r);
}

/*
 * How far `tip` extends `base` ("" none) with segments that verify as `dev`'s own: signature, device
 * binding, seq continuity and hash chain. Needs no team key, so a relay checks what it carries. `good`
 * receives the last verified commit ("" none); on the first bad one, `bad` and `reason` say which and why.
 */
static int verified_prefix(cairn_sync *s, const char *dev, const char *base, const char *tip, char good[CAIRN_OID_HEX],
                           char bad[CAIRN_OID_HEX], char *reason, size_t rlen)
{
	cairn_cursor c = {0};
	/* The base is usually the segment this journal imported last: its cursor holds what reading and
	 * verifying it again would give (a whole segment per device per round, at the office 1,000). */
	if (*base && !cairn_cursor_get(s->j, dev, &c) && !strcmp(c.commit, base))
		return cairn__log_verified_prefix_known(s->g, s->roster, dev, base, c.last_seq, c.last_hash, tip, good,
		                                        bad, reason, rlen);
	cairn_error_clear();
	return cairn__log_verified_prefix(s->g, s->roster, dev, base, tip, good, bad, reason, rlen);
}

/* Fast-forward a local log to the verified part of a fetched one; quarantine the first bad segment. */
static int adopt(cairn_sync *s, const char *dev, const char *lref, const char *ltip, const char *rtip,
                 cairn_sync_result *r)
{
	char good[CAIRN_OID_HEX], bad[CAIRN_OID_HEX], reason[300] = "";
	int rc = verified_prefix(s, dev, ltip, rtip, good, bad, reason, sizeof(reason));
	if (rc)
		return rc > 0 ? 0 : rc; /* does not lead to a pinned segment: not adopted, nor proven bad */
	if (strcmp(good, ltip)) {
		r->segments_received += count_between(s, good, ltip);
		if ((rc = cairn__gitlog_set(s->g, lref, good, ltip)))
			return rc;
	}
	if (bad[0] && cairn_quarantine_has(s->j, dev, bad) == 0 && !cairn_quarantine_segment(s->j, dev, bad, reason))
		r->quarantined++;
	return 0;
}

/*
 * A revoked device's log held here diverges from a remote's, and the remote's reaches the segment the
 * roster pins while the journal has not imported that far: ours is a history the pin rules out (taken
 * before this device had the roster, or from a hostile remote), and nothing of it past the journal's
 * cursor was applied. Ours is replaced by the remote's verified part. 1 replaced, 0 not the case.
 */
static int repin(cairn_sync *s, const char *dev, const char *lref, const char *ltip, const char *rtip,
                 cairn_sync_result *r)
{
	const cairn_roster_device *pin = s->roster ? cairn_roster_pinned(s->roster, dev) : NULL;
	char good[CAIRN_OID_HEX], bad[CAIRN_OID_HEX], reason[300];
	cairn_cursor cur = {0};
	if (!pin)
		return 0;
	int rc = cairn_cursor_get(s->j, dev, &cur);
	if (rc && rc != CAIRN_ENOTFOUND)
		return rc;
	cairn_error_clear();
	if (rc == CAIRN_ENOTFOUND)
		memset(&cur, 0, sizeof(cur));
	if (cur.last_seq >= pin->last_seq ||
	    (cur.commit[0] && strcmp(cur.commit, rtip) && cairn__gitlog_descends(s->g, rtip, cur.commit) != 1))
		return 0; /* what this journal imported is not the remote's either: a fork to look at */
	rc = cairn__log_verified_prefix_known(s->g, s->roster, dev, cur.commit, cur.last_seq, cur.last_hash, rtip, good,
	                                      bad, reason, sizeof(reason));
	if (rc)
		return rc > 0 ? 0 : rc;
	if ((rc = cairn__gitlog_set(s->g, lref, good, ltip)))
		return rc;
	r->segments_received += count_between(s, good, cur.commit);
	return 1;
}

/* Invariant 3: adopt a fetched log only when it extends ours, and only as far as it verifies. */
static int reconcile(cairn_sync *s, const char *remote, cairn_sync_result *r, json_t *forks)
{
	char prefix[128], rref[256], lref[128], rtip[CAIRN_OID_HEX], ltip[CAIRN_OID_HEX], **devs = NULL;
	size_t n = 0;
	int rc;
	snprintf(prefix, sizeof(prefix), "refs/remotes/%s/logs/", remote);
	if ((rc = cairn__gitlog_list(s->g, prefix, &devs, &n)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		snprintf(rref, sizeof(rref), "%s%s", prefix, devs[i]);
		log_ref(lref, sizeof(lref), devs[i]);
		if ((rc = cairn__gitlog_tip(s->g, rref, rtip)))
			break;
		rc = cairn__gitlog_tip(s->g, lref, ltip);
		if (rc == CAIRN_ENOTFOUND) {
			rc = adopt(s, devs[i], lref, "", rtip, r);
			continue;
		}
		if (rc || !strcmp(ltip, rtip))
			continue;
		int d = cairn__gitlog_descends(s->g, rtip, ltip);
		if (d == 1) {
			rc = adopt(s, devs[i], lref, ltip, rtip, r);
		} else if (d == 0 && (d = cairn__gitlog_descends(s->g, ltip, rtip)) == 0 &&
		           !strcmp(devs[i], cairn_journal_device(s->j))) {
			json_array_append_new(forks,
			                      json_pack("{ssssss}", "device", devs[i], "remote_tip", rtip, "action",
			                                "restored from a backup: continuing under a new device id"));
			rc = own_fork(s, ltip, rtip, r);
		} else if (d == 0 && (rc = repin(s, devs[i], lref, ltip, rtip, r)) != 0) {
			rc = rc > 0 ? 0 : rc;
		} else if (d == 0) {
			char reason[200];
			snprintf(reason, sizeof(reason), "fork: the log of %s on remote '%s' diverges from ours",
			         devs[i], remote);
			r->forks++;
			json_array_append_new(forks, json_pack("{ssss}", "device", devs[i], "remote_tip", rtip));
			if (!cairn_quarantine_has(s->j, devs[i], rtip) &&
			    !cairn_quarantine_segment(s->j, devs[i], rtip, reason))
				r->quarantined++;
		}
		if (d < 0)
			rc = d;
	}
	cairn__gitlog_list_free(devs, n);
	return rc;
}

/* Pinned to an org, not in its roster yet, and not the office itself (which holds the org key). */
static int waiting_for_roster(cairn_sync *s)
{
	unsigned char org[32];
	int waiting = !cairn__org_pinned(s->j, org) &&
	              (!s->roster || !cairn_roster_device_find(s->roster, cairn_journal_device(s->j))) &&
	              cairn_org_public_key(s->j, org) != 0;
	cairn_error_clear();
	return waiting;
}

/* This device's signed enrollment request on refs/heads/enroll/<device>, once per device id (a device
 * that continues under a new id after a restore files a new one by itself). */
static int write_request(cairn_sync *s, const unsigned char org[32])
{
	unsigned char pk[32], req[CAIRN_ENROLL_BYTES];
	char ref[128], tip[CAIRN_OID_HEX];
	int rc;
	snprintf(ref, sizeof(ref), "refs/heads/enroll/%s", cairn_journal_device(s->j));
	if (!cairn__gitlog_tip(s->g, ref, tip))
		return 0; /* already requested */
	if ((rc = cairn_device_public_key(s->j, pk)) || (rc = cairn_enroll_encode(req, pk, org, sign_cb, s->j)))
		return rc;
	return cairn__gitlog_commit_blob(s->g, ref, "request", "", req, sizeof(req), tip);
}

/* Append the refspec "src:dst" to specs[*k]. */
static int add_push(char **specs, size_t *k, const char *src, const char *dst)
{
	size_t len = strlen(src) + strlen(dst) + 2;
	if (!(specs[*k] = malloc(len)))
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	snprintf(specs[(*k)++], len, "%s:%s", src, dst);
	return 0;
}

static int add_spec(char **specs, size_t *k, const char *ref) { return add_push(specs, k, ref, ref); }

/*
 * Whether a remote's head chain is one to build on: commits this device made (one of its head refs, or
 * an ancestor of one), or else heads in cairn's form each signed by this device, down to one of ours or
 * to a root. Anything else (a stick's planted history, a junk blob) would enter our chain and go on to
 * every remote, and one a central's fsck refuses would hold back the push our own log is in.
 */
#define HEAD_CHAIN_MAX 100000
static int head_chain_ok(cairn_sync *s, const char *rtip, const char *const mine[2], const unsigned char pk[32])
{
	char c[CAIRN_OID_HEX], parent[CAIRN_OID_HEX], ours[CAIRN_OID_HEX], hex[CAIRN_DEVICE_LEN];
	unsigned char *buf = NULL, hpk[32], hash[32];
	uint64_t seq;
	size_t len;
	snprintf(c, sizeof(c), "%s", rtip);
	for (size_t n = 0; n < HEAD_CHAIN_MAX && c[0]; n++) {
		for (int i = 0; i < 2; i++)
			if (!cairn__gitlog_tip(s->g, mine[i], ours) &&
			    (!strcmp(ours, c) || cairn__gitlog_descends(s->g, ours, c) == 1))
				return 1;
		int ok = !cairn__gitlog_read_blob(s->g, c, "head", &buf, &len, parent) &&
		         !cairn_head_decode(buf, len, hpk, &seq, hash, hex) && !sodium_memcmp(hpk, pk, 32);
		free(buf);
		buf = NULL;
		if (!ok)
			return 0;
		snprintf(c, sizeof(c), "%s", parent);
	}
	return c[0] == '\0';
}

/*
 * "Fully synced" head: signed (seq, tip segment hash) of our own log, pushed with the log it describes
 * when nothing is pending, so the office can tell a device that has handed in everything it wrote.
 * Heads are append-only on a central, and each remote may hold another point of the chain (a stick that
 * missed some, a central from before logs.git was lost): the head for a remote is built on that
 * remote's own head, so its push is always a fast-forward. Our latest is kept on refs/heads/synced/<own>
 * for remotes that hold none.
 */
static int head_spec(cairn_sync *s, const char *remote, char **specs, size_t *k)
{
	const char *own = cairn_journal_device(s->j);
	unsigned char pk[32], hash[32], head[CAIRN_HEAD_BYTES], *old = NULL, opk[32], ohash[32];
	char ref[160], rref[300], href[300], tip[CAIRN_OID_HEX], rtip[CAIRN_OID_HEX] = "", base[CAIRN_OID_HEX] = "",
	                                                         parent[CAIRN_OID_HEX], hex[CAIRN_DEVICE_LEN];
	uint64_t seq, max = 0, oseq = 0;
	size_t olen;
	int rc;
	snprintf(ref, sizeof(ref), "refs/heads/synced/%s", own);
	snprintf(rref, sizeof(rref), "refs/remotes/%s/synced/%s", remote, own);
	snprintf(href, sizeof(href), "refs/cairn/head/%s", remote);
	if (own_tip(s, tip, &seq, hash) || !tip[0] || cairn_events_max_seq(s->j, own, &max) || seq != max) {
		cairn_error_clear();
		return 0; /* nothing published yet, or something pending: no claim to make */
	}
	const char *mine[2] = {ref, href};
	if ((rc = cairn_device_public_key(s->j, pk)))
		return rc;
	if (cairn__gitlog_tip(s->g, rref, rtip) == 0 && !head_chain_ok(s, rtip, mine, pk)) {
		cairn_error_clear();
		return 0; /* no claim to this remote, rather than one on a history we did not write */
	}
	if (rtip[0])
		snprintf(base, sizeof(base), "%s", rtip);
	else if (cairn__gitlog_tip(s->g, ref, base))
		base[0] = '\0';
	cairn_error_clear();
	if (base[0] && !cairn__gitlog_read_blob(s->g, base, "head", &old, &olen, parent) &&
	    !cairn_head_decode(old, olen, opk, &oseq, ohash, hex) && oseq == seq && !memcmp(ohash, hash, 32)) {
		free(old);
		if (!strcmp(base, rtip))
			return 0; /* the remote holds this claim already */
		rc = cairn__gitlog_set(s->g, href, base, NULL);
	} else {
		free(old);
		char made[CAIRN_OID_HEX];
		/* the new head's parent is `base`, and the commit moves href from there ("": a root) */
		rc = base[0] ? cairn__gitlog_set(s->g, href, base, NULL) : cairn__gitlog_delete_ref(s->g, href);
		if ((rc && rc != CAIRN_ENOTFOUND) || (rc = cairn_head_encode(head, pk, seq, hash, sign_cb, s->j)))
			return rc;
		if ((rc = cairn__gitlog_commit_blob(s->g, href, "head", base, head, sizeof(head), made)) ||
		    (rc = cairn__gitlog_set(s->g, ref, made, NULL)))
			return rc;
	}
	return rc ? rc : add_push(specs, k, href, ref);
}

/* What travels with our own log: our enrollment request until the roster names us, and our head. */
static int trust_specs(cairn_sync *s, const char *remote, char **specs, size_t *k)
{
	const char *own = cairn_journal_device(s->j);
	char ref[160], ltip[CAIRN_OID_HEX];
	int rc = 0;
	unsigned char org[32];
	snprintf(ref, sizeof(ref), "refs/heads/enroll/%s", own);
	if (waiting_for_roster(s) && !cairn__org_pinned(s->j, org) && !(rc = write_request(s, org)) &&
	    !cairn__gitlog_tip(s->g, ref, ltip))
		rc = add_spec(specs, k, ref);
	if (!rc && s->roster && cairn_roster_device_find(s->roster, own))
		rc = head_spec(s, remote, specs, k);
	cairn_error_clear();
	return rc;
}

/* The roster and the resource directory, when the remote lacks ours or holds an older one (a field hub
 * learns revocations from whoever brings them). */
static int doc_specs(cairn_sync *s, const char *remote, char **specs, size_t *k)
{
	char ref[160], ltip[CAIRN_OID_HEX], rtip[CAIRN_OID_HEX];
	int rc = 0;
	static const char *const docs[][2] = {{CAIRN_ROSTER_REF, "roster"}, {CAIRN_DIRECTORY_REF, "directory"}};
	for (size_t i = 0; i < 2 && !rc && s->roster; i++) {
		snprintf(ref, sizeof(ref), "refs/remotes/%s/%s", remote, docs[i][1]);
		if (cairn__gitlog_tip(s->g, docs[i][0], ltip))
			continue;
		int have = cairn__gitlog_tip(s->g, ref, rtip) == 0;
		if (!have || (strcmp(ltip, rtip) && cairn__gitlog_descends(s->g, ltip, rtip) == 1))
			rc = add_spec(specs, k, docs[i][0]);
	}
	cairn_error_clear();
	return rc;
}

/*
 * A relayed log goes out only as far as the roster we hold admits it. A relay may have taken a revoked
 * device's later segments before it knew of the revocation; the hook refuses those, and a pre-receive
 * refusal refuses every ref of its push. The admitted part goes through a local ref of its own (libgit2
 * pushes from references only). `src` receives the ref to push from, "" when there is nothing to send.
 */
static int relay_source(cairn_sync *s, const char *dev, const char *lref, const char *ltip, const char *rtip, char *src,
                        size_t srclen, char tip[CAIRN_OID_HEX])
{
	char bad[CAIRN_OID_HEX], reason[300];
	const cairn_roster_device *d = s->roster ? cairn_roster_device_find(s->roster, dev) : NULL;
	snprintf(src, srclen, "%s", lref);
	snprintf(tip, CAIRN_OID_HEX, "%s", ltip);
	if (roster_missing(s)) {
		src[0] = '\0';
		return 0;
	}
	if (!s->roster || (d && d->status == CAIRN_ROSTER_ENROLLED))
		return 0;
	int rc = verified_prefix(s, dev, rtip, ltip, tip, bad, reason, sizeof(reason));
	if (rc || !strcmp(tip, rtip)) {
		src[0] = '\0';
		return rc > 0 ? 0 : rc;
	}
	snprintf(src, srclen, "refs/cairn/relay/%s", dev);
	return cairn__gitlog_set(s->g, src, tip, NULL);
}

static int push_specs(cairn_sync *s, const char *remote, char **specs, size_t k, cairn__transfer *t,
                      cairn_sync_result *r, size_t *rejected)
{
	size_t no = 0;
	int rc = k ? cairn__gitlog_push(s->g, remote, specs, k, t, &no) : 0;
	if (!rc) {
		r->bytes_sent += t->bytes_sent;
		*rejected += no;
	}
	return rc;
}

/* Push every local log the remote lacks or is behind on: our own and relayed ones (store-and-forward). */
static int push_logs(cairn_sync *s, const char *remote, cairn_sync_result *r, cairn__transfer *t)
{
	char **devs = NULL, **specs = NULL, lref[128], rref[256], src[160], ltip[CAIRN_OID_HEX], rtip[CAIRN_OID_HEX],
	     good[CAIRN_OID_HEX];
	size_t n = 0, k = 0, own = 0, rejected = 0;
	uint64_t commits[2] = {0, 0}, relayed = 0;
	int rc = cairn__gitlog_list(s->g, "refs/heads/logs/", &devs, &n);
	if (rc)
		return rc;
	/* Enrolling and not in the roster yet: logs wait here (a hook would refuse them, and with them the
	 * enrollment request in the same push). */
	int waiting = waiting_for_roster(s);
	specs = calloc(n + 4, sizeof(char *));
	if (!specs)
		rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
	/* Up to three pushes, so that what a hook makes of one cannot hold back another: [own, docs) the
	 * roster and the directory, first (a hub learns from them whom to admit; an older cairn's hub may
	 * refuse a roster format it does not know); [0, own) our log, its head and our enrollment request;
	 * [docs, k) relayed logs. */
	const char *me = cairn_journal_device(s->j);
	log_ref(lref, sizeof(lref), me);
	if (!rc && !waiting && !cairn__gitlog_tip(s->g, lref, ltip)) {
		snprintf(rref, sizeof(rref), "refs/remotes/%s/logs/%s", remote, me);
		int have = cairn__gitlog_tip(s->g, rref, rtip) == 0;
		if (!have || (strcmp(ltip, rtip) && cairn__gitlog_descends(s->g, ltip, rtip) == 1)) {
			commits[0] = count_between(s, ltip, have ? rtip : "");
			rc = add_spec(specs, &k, lref);
		}
	}
	cairn_error_clear();
	if (!rc)
		rc = trust_specs(s, remote, specs, &k);
	own = k;
	if (!rc)
		rc = doc_specs(s, remote, specs, &k);
	size_t docs = k;
	for (size_t i = 0; i < n && !rc && !waiting; i++) {
		if (!strcmp(devs[i], me))
			continue;
		log_ref(lref, sizeof(lref), devs[i]);
		snprintf(rref, sizeof(rref), "refs/remotes/%s/logs/%s", remote, devs[i]);
		if ((rc = cairn__gitlog_tip(s->g, lref, ltip)))
			break;
		int have = cairn__gitlog_tip(s->g, rref, rtip) == 0;
		if (!have)
			rtip[0] = '\0';
		if (have && (!strcmp(ltip, rtip) || cairn__gitlog_descends(s->g, ltip, rtip) != 1))
			continue; /* up to date, or a fork that reconcile() reported */
		if ((rc = relay_source(s, devs[i], lref, ltip, rtip, src, sizeof(src), good)) || !src[0] ||
		    (rc = add_push(specs, &k, src, lref)))
			continue;
		commits[1] += count_between(s, good, rtip);
		relayed++;
	}
	if (!rc)
		rc = push_specs(s, remote, specs + own, docs - own, t, r, &rejected);
	size_t before = rejected;
	if (!rc && !(rc = push_specs(s, remote, specs, own, t, r, &rejected)) && rejected == before)
		r->segments_sent += commits[0];
	before = rejected;
	if (!rc && !(rc = push_specs(s, remote, specs + docs, k - docs, t, r, &rejected)) && rejected == before) {
		r->segments_sent += commits[1];
		r->refs_relayed += relayed;
	}
	if (!rc && rejected) {
		r->rejected += rejected;
		rc = cairn_error_set(CAIRN_EREJECTED, "remote '%s' refused %zu of %zu log updates (%s)", remote,
		                     rejected, k, t->first_rejection);
	}
	for (size_t i = 0; i < k; i++)
		free(specs[i]);
	free(specs);
	cairn__gitlog_list_free(devs, n);
	return rc;
}

static void record_outcome(cairn_sync *s, const char *remote, int rc)
{
	char k[160], when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!rc)
		cairn_state_set(s->j, state_key(k, sizeof(k), remote, "last_sync"), when);
	cairn_state_set(s->j, state_key(k, sizeof(k), remote, "last_error"), rc ? cairn_error_last() : "");
}

static json_t *result_json(const cairn_sync_result *r)
{
	return json_pack("{sIsIsIsIsIsIsIsIsIsIsIsIsI}", "segments_sealed", (json_int_t)r->segments_sealed,
	                 "segments_sent", (json_int_t)r->segments_sent, "segments_received",
	                 (json_int_t)r->segments_received, "segments_imported", (json_int_t)r->segments_imported,
	                 "events_applied", (json_int_t)r->events_applied, "bytes_sent", (json_int_t)r->bytes_sent,
	                 "bytes_received", (json_int_t)r->bytes_received, "conflicts_raised",
	                 (json_int_t)r->conflicts_raised, "quarantined", (json_int_t)r->quarantined, "unreadable",
	                 (json_int_t)r->unreadable, "refs_relayed", (json_int_t)r->refs_relayed, "rejected",
	                 (json_int_t)r->rejected, "forks", (json_int_t)r->forks);
}

static void add_result(cairn_sync_result *a, const cairn_sync_result *b)
{
	uint64_t *x = (uint64_t *)a;
	const uint64_t *y = (const uint64_t *)b;
	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		x[i] += y[i];
}

static int round_one(cairn_sync *s, const char *remote, const cairn_sync_options *opts, cairn_sync_result *r,
                     json_t *report)
{
	round_ctx c = {s, json_array(), opts, NULL};
	cairn__transfer t = {on_progress, &c, 0, 0, on_rejected, ""};
	c.t = &t;
	json_t *forks = json_array(), *o;
	char *url = NULL;
	char roster_err[300] = "";
	int rc = cairn__gitlog_remote_url(s->g, remote, &url), roster_rc = 0;
	if (!rc)
		rc = cairn__gitlog_fetch(s->g, remote, cairn_journal_device(s->j), &t);
	if (!rc) {
		s->reached = 1;
		r->bytes_received += t.bytes_received;
		/* A refused roster (rollback, wrong org) stops no log: report it after the exchange. */
		/* Both, whatever the other did: a stick may hold an older roster and a newer directory. */
		if ((roster_rc = cairn__roster_adopt(s->g, s->j, remote, &s->roster)))
			snprintf(roster_err, sizeof(roster_err), "%s", cairn_error_last());
		int dir_rc = cairn__directory_adopt(s->g, s->j, remote);
		if (dir_rc && !roster_rc) {
			roster_rc = dir_rc;
			snprintf(roster_err, sizeof(roster_err), "%s", cairn_error_last());
		}
		/* A roster that just brought our team key (or a new epoch): seal now, push in this round. */
		rc = cairn_sync_seal(s, r);
		if (!rc)
			rc = reconcile(s, remote, r, forks);
		/* Our own log taken back from the remote (logs.git lost or restored from an older copy): what
		 * waited for it is sealed now, and goes out in this round. */
		if (!rc)
			rc = cairn_sync_seal(s, r);
	}
	if (!rc)
		rc = push_logs(s, remote, r, &t);
	if (!rc && roster_rc)
		rc = cairn_error_set(roster_rc, "%s", roster_err);
	if (!rc && r->forks)
		rc = cairn_error_set(CAIRN_EFORK,
		                     "%llu log(s) on remote '%s' diverge from ours and were not exchanged: "
		                     "see 'cairn sync status'",
		                     (unsigned long long)r->forks, remote);
	record_outcome(s, remote, rc);
	o = result_json(r);
	json_object_set_new(o, "remote", json_string(remote));
	json_object_set_new(o, "url", url ? json_string(url) : json_null());
	json_object_set_new(o, "ok", json_boolean(rc == 0));
	json_object_set_new(o, "error", rc ? json_string(cairn_error_last()) : json_null());
	json_object_set_new(o, "rejections", c.rejections);
	json_object_set_new(o, "forked_logs", forks);
	json_array_append_new(report, o);
	free(url);
	return rc;
}

/* The rotation of cairn_sync_options.new_device_id (see there). */
static int new_device(cairn_sync *s)
{
	const char *own = cairn_journal_device(s->j);
	char tip[CAIRN_OID_HEX], todo[128];
	unsigned char hash[32];
	uint64_t held = 0;
	int rc;
	if ((rc = own_tip(s, tip, &held, hash)))
		return rc;
	if (!own_log_lost(s, held))
		return cairn_error_set(CAIRN_EINVAL, "this journal's log repository holds all it sealed: nothing to "
		                                     "continue under a new device id");
	snprintf(todo, sizeof(todo), "%s %s %s", own, *tip ? tip : "-", *tip ? tip : "-");
	if ((rc = cairn_state_set(s->j, OWN_FORK_KEY, todo)) || (rc = cairn_device_rotate(s->j, held, NULL)) ||
	    (rc = finish_own_fork(s)))
		return rc;
	approval_needed(s);
	return 0;
}

int cairn_sync_run(cairn_sync *s, const char *remote, const cairn_sync_options *opts, cairn_sync_result *out,
                   char **report)
{
	cairn_sync_result total = {0}, local = {0};
	json_t *remotes = json_array(), *doc;
	char **names = NULL, *err = NULL;
	const char *unreached = NULL; /* the first remote whose fetch failed in this run */
	size_t n = 0;
	int rc, worst = 0;
	/* process-wide (one round at a time), for this run only: the default again at its end */
	cairn__netstream_set_timeout(opts && opts->version >= 2 ? opts->timeout_ms : 0);
	/* Own log first: a journal behind its git (restored database) catches up before sealing. Sealing
	 * waits for the rounds: each seals once it has adopted the remote's roster, so that what was written
	 * since a teammate's revocation is sealed under the new epoch, which the revoked device lacks. */
	if ((rc = cairn_sync_import(s, &local)))
		goto out;
	if (remote) {
		names = calloc(1, sizeof(char *));
		if (names && (names[0] = strdup(remote)))
			n = 1;
	} else if ((rc = cairn__gitlog_remote_names(s->g, &names, &n))) {
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		cairn_sync_result r = {0};
		s->reached = 0;
		rc = round_one(s, names[i], opts, &r, remotes);
		if (!s->reached && !unreached)
			unreached = names[i];
		add_result(&total, &r);
		if (rc && !worst) {
			worst = rc;
			err = strdup(cairn_error_last());
		}
	}
	if (opts && opts->version >= 3 && opts->new_device_id) {
		int all = n > 0 && !unreached;
		if (all && remote) { /* one remote named: the others were not tried */
			char **every = NULL;
			size_t m = 0;
			all = !cairn__gitlog_remote_names(s->g, &every, &m) && m == 1;
			cairn__gitlog_list_free(every, m);
		}
		rc = all ? new_device(s)
		         : cairn_error_set(
		                   CAIRN_EOFFLINE,
		                   "--new-device-id needs every remote reached in the same run (one not reached "
		                   "may hold what this journal sealed): %s",
		                   unreached ? unreached
		                   : n       ? "sync with all remotes, not one"
		                             : "no remote");
		if (rc) { /* what the user asked for is what the run reports */
			worst = rc;
			free(err);
			err = strdup(cairn_error_last());
		}
	}
	/* No remote reached (or none): what is pending is sealed all the same, under the roster held. */
	if ((rc = cairn_sync_seal(s, &local)) == 0)
		rc = cairn_sync_import(s, &total);
	if (!rc && s->waiting)
		cairn_log_emit(CAIRN_LOG_WARN,
		               "%zu log(s) here lack the segment this journal imported last (logs.git lost or restored "
		               "from an older copy): they wait for a remote that holds them",
		               s->waiting);
	if (!rc) {
		int wiped = 0;
		rc = cairn_sync_wipe(s, &wiped);
		total.wiped = (uint64_t)wiped;
	}
	if (!rc && worst) {
		rc = worst;
		cairn_error_set(rc, "%s", err ? err : "sync failed");
	}
	if (!rc && roster_missing(s))
		rc = cairn_error_set(CAIRN_EREJECTED,
		                     "this journal took roster version %llu, and no remote offered it again: other "
		                     "devices' logs wait (this journal's log repository was lost or restored from an "
		                     "older copy); sync with a remote that holds version %llu or newer",
		                     (unsigned long long)s->roster_needed, (unsigned long long)s->roster_needed);
	uint64_t held = 0;
	unsigned char hash[32];
	char tip[CAIRN_OID_HEX];
	if (!rc && !own_tip(s, tip, &held, hash) && own_log_lost(s, held))
		rc = cairn_error_set(CAIRN_EREJECTED,
		                     "this journal sealed its events up to a later seq than its log repository holds "
		                     "(lost, or restored from an older copy), and no remote reached gave them back: "
		                     "new events wait. Sync with a remote that holds this device's log; if none does "
		                     "(sealed offline, never synced), 'cairn sync --new-device-id' continues under a "
		                     "new device id");
out:
	add_result(&total, &local);
	if (out)
		*out = total;
	if (report) {
		doc = result_json(&total);
		json_object_set_new(doc, "device", json_string(cairn_journal_device(s->j)));
		json_object_set_new(doc, "wiped", json_boolean(total.wiped != 0));
		json_object_set_new(doc, "remotes", remotes);
		*report = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
	} else {
		json_decref(remotes);
	}
	free(err);
	cairn__gitlog_list_free(names, n);
	cairn__netstream_set_timeout(0);
	return rc;
}

/* The own log's tip on `remote` right now (a fresh fetch), to confirm a push landed before a wipe. */
static int landed(cairn_sync *s, const char *remote, const char *ltip)
{
	cairn__transfer t = {NULL, NULL, 0, 0, NULL, ""};
	char ref[256], rtip[CAIRN_OID_HEX];
	snprintf(ref, sizeof(ref), "refs/remotes/%s/logs/%s", remote, cairn_journal_device(s->j));
	if (cairn__gitlog_fetch(s->g, remote, NULL, &t) || cairn__gitlog_tip(s->g, ref, rtip))
		return 0;
	return !strcmp(rtip, ltip);
}

int cairn_sync_wipe(cairn_sync *s, int *wiped)
{
	const char *own = cairn_journal_device(s->j);
	const cairn_roster_device *me = s->roster ? cairn_roster_device_find(s->roster, own) : NULL;
	char tip[CAIRN_OID_HEX] = "", **names = NULL;
	unsigned char hash[32];
	uint64_t max = 0, sealed = 0;
	size_t n = 0;
	int rc, ok = 0;
	*wiped = 0;
	if (!me || !(me->flags & CAIRN_ROSTER_WIPE))
		return 0;
	if ((rc = own_tip(s, tip, &sealed, hash)) || (rc = cairn_events_max_seq(s->j, own, &max)))
		return rc;
	if (sealed < max)
		return cairn_error_set(CAIRN_EOFFLINE, "a wipe order is pending: %llu events are not sealed yet",
		                       (unsigned long long)(max - sealed));
	if ((rc = cairn__gitlog_remote_names(s->g, &names, &n)))
		return rc;
	/* A revoked device's pushes are refused anyway: nothing to wait for. */
	ok = me->status == CAIRN_ROSTER_REVOKED;
	for (size_t i = 0; i < n && !ok; i++)
		ok = !tip[0] || landed(s, names[i], tip);
	cairn__gitlog_list_free(names, n);
	if (!ok)
		return cairn_error_set(CAIRN_EOFFLINE, "a wipe order is pending: no remote confirms this device's "
		                                       "log yet; sync again when a remote is in reach");
	if ((rc = cairn_journal_destroy(s->j)))
		return rc;
	*wiped = 1;
	return 0;
}

int cairn_sync_status(cairn_sync *s, char **out)
{
	const char *own = cairn_journal_device(s->j);
	char **devs = NULL, ref[128], tip[CAIRN_OID_HEX], *q = NULL, *remotes = NULL;
	unsigned char h[32];
	size_t n = 0;
	uint64_t own_seq = 0, seq;
	json_t *doc = json_object(), *logs = json_array();
	int rc = cairn_events_max_seq(s->j, own, &own_seq);
	if (!rc)
		rc = cairn__gitlog_list(s->g, "refs/heads/logs/", &devs, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		cairn_cursor c;
		log_ref(ref, sizeof(ref), devs[i]);
		if (cairn__gitlog_tip(s->g, ref, tip) || tip_state(s, tip, &seq, h))
			seq = 0;
		cairn_cursor_get(s->j, devs[i], &c);
		json_array_append_new(logs,
		                      json_pack("{sssIsIsb}", "device", devs[i], "tip_seq", (json_int_t)seq,
		                                "imported_seq", (json_int_t)c.last_seq, "own", !strcmp(devs[i], own)));
		if (!strcmp(devs[i], own))
			json_object_set_new(doc, "sealed_seq", json_integer((json_int_t)seq));
	}
	if (!rc)
		rc = cairn_quarantine_list(s->j, &q);
	if (!rc)
		rc = cairn_remote_list(s, &remotes);
	if (!rc) {
		json_object_set_new(doc, "device", json_string(own));
		json_object_set_new(doc, "own_seq", json_integer((json_int_t)own_seq));
		if (!json_object_get(doc, "sealed_seq"))
			json_object_set_new(doc, "sealed_seq", json_integer(0));
		json_object_set_new(doc, "logs", logs);
		logs = NULL;
		json_object_set_new(doc, "quarantine", json_loads(q, 0, NULL));
		json_object_set_new(doc, "remotes", json_loads(remotes, 0, NULL));
		*out = json_dumps(doc, JSON_COMPACT);
	}
	json_decref(logs);
	json_decref(doc);
	cairn_free(q);
	cairn_free(remotes);
	cairn__gitlog_list_free(devs, n);
	return rc;
}

const char *cairn_sync_repo(cairn_sync *s) { return cairn__gitlog_path(s->g); }

int cairn_sync_enroll(cairn_sync *s, const char *org_hex)
{
	unsigned char org[32], pinned[32];
	int rc;
	if (!org_hex || strlen(org_hex) != 64 || sodium_hex2bin(org, 32, org_hex, 64, NULL, NULL, NULL))
		return cairn_error_set(CAIRN_EINVAL, "--org takes the office's org key fingerprint (64 hex digits, "
		                                     "printed by 'cairn office init')");
	rc = cairn__org_pinned(s->j, pinned);
	if (!rc && sodium_memcmp(org, pinned, 32))
		return cairn_error_set(CAIRN_EEXISTS, "this device already trusts another org key");
	if (rc && rc != CAIRN_ENOTFOUND)
		return rc;
	if ((rc = cairn_state_set(s->j, "org_pk", org_hex)) ||
	    (rc = cairn__gitlog_config_set(s->g, CAIRN_ORG_CONFIG, org_hex)))
		return rc;
	return write_request(s, org);
}
