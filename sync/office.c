/*
 * office.c — the roster on both sides: the office writes it (enrollment, revocation, wipe orders) into
 * the central repository, signed with the org key held in its journal; a device adopts a newer one from
 * any remote, refusing rollbacks, and unseals its team keys from it.
 *
 * Invariants:
 *  1. One commit per roster version on refs/heads/roster, each the child of the previous one.
 *  2. A device moves its roster only forward: a lower version, or another roster under the same version,
 *     is refused with a message naming the remote and both versions.
 *  3. Team keys leave the office only sealed to a device key (crypto_box_seal), inside the roster.
 *  4. Revocation fixes the revoked device's last accepted seq and starts a new epoch for its team whose
 *     key is sealed to the remaining members only.
 */
#include "office.h"
#include "cairn_sync.h"
#include "directory.h"
#include "segment.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- device side ---- */

int cairn__org_pinned(cairn_journal *j, unsigned char pk[32])
{
	char *hex = NULL;
	int rc = cairn_state_get(j, "org_pk", &hex);
	if (rc)
		return rc;
	if (strlen(hex) != 64 || sodium_hex2bin(pk, 32, hex, 64, NULL, NULL, NULL))
		rc = cairn_error_set(CAIRN_ECORRUPT, "the pinned org key of this journal is damaged");
	free(hex);
	return rc;
}

static int read_roster(cairn_gitlog *g, const char *commit, const unsigned char org_pk[32], cairn_roster **out)
{
	unsigned char *buf = NULL;
	size_t len;
	char parent[CAIRN_OID_HEX];
	int rc = cairn__gitlog_read_blob(g, commit, "roster", &buf, &len, parent);
	if (!rc)
		rc = cairn_roster_decode(out, buf, len);
	free(buf);
	if (!rc && sodium_memcmp((*out)->org_pk, org_pk, 32)) {
		cairn_roster_free(*out);
		*out = NULL;
		rc = cairn_error_set(CAIRN_EREJECTED, "roster is signed by another org key than the one pinned here");
	}
	return rc;
}

int cairn__roster_load(cairn_gitlog *g, const char *ref, const unsigned char org_pk[32], cairn_roster **out)
{
	char tip[CAIRN_OID_HEX];
	int rc = cairn__gitlog_tip(g, ref, tip);
	*out = NULL;
	return rc ? rc : read_roster(g, tip, org_pk, out);
}

/*
 * The newest roster this journal has taken, as a device (adopted) or as the office (signed): sync state
 * "roster_seen" = "<version> <commit>". It outlives the log repository, so a journal whose logs.git was
 * lost or restored from an old copy, and an office whose central repository was rolled back, still
 * refuse an older roster or another one under the same version. Journals from before it fall back to the
 * versions recorded with the roster's devices and keys, with no commit to compare.
 */
static uint64_t state_u64(cairn_journal *j, const char *key)
{
	char *v = NULL;
	uint64_t n = 0;
	if (!cairn_state_get(j, key, &v))
		n = strtoull(v, NULL, 10);
	free(v);
	cairn_error_clear();
	return n;
}

int cairn__roster_seen(cairn_journal *j, uint64_t *version, char tip[CAIRN_OID_HEX])
{
	char *v = NULL;
	unsigned long long n = 0;
	tip[0] = '\0';
	int rc = cairn_state_get(j, "roster_seen", &v);
	if (rc == CAIRN_ENOTFOUND) {
		cairn_error_clear();
		uint64_t a = state_u64(j, "roster_applied"), d = state_u64(j, "roster_devices");
		*version = a > d ? a : d;
		return 0;
	}
	if (rc)
		return rc;
	if (sscanf(v, "%llu %40s", &n, tip) != 2 || strlen(tip) != CAIRN_OID_HEX - 1)
		rc = cairn_error_set(CAIRN_ECORRUPT, "this journal's record of its newest roster is damaged");
	free(v);
	*version = n;
	return rc;
}

static int roster_mark(cairn_journal *j, uint64_t version, const char *tip)
{
	char now[CAIRN_OID_HEX], buf[80];
	uint64_t seen = 0;
	int rc = cairn__roster_seen(j, &seen, now);
	if (rc || (seen > version && now[0]))
		return rc;
	snprintf(buf, sizeof(buf), "%llu %s", (unsigned long long)version, tip);
	return cairn_state_set(j, "roster_seen", buf);
}

int cairn__roster_check(cairn_journal *j, uint64_t version, const char *tip, const char *what)
{
	char seen_tip[CAIRN_OID_HEX];
	uint64_t seen = 0;
	int rc = cairn__roster_seen(j, &seen, seen_tip);
	if (rc)
		return rc;
	if (version < seen)
		return cairn_error_set(CAIRN_EREJECTED,
		                       "%s roster version %llu, older than version %llu this journal already took: "
		                       "refused (rollback)",
		                       what, (unsigned long long)version, (unsigned long long)seen);
	if (version == seen && seen_tip[0] && strcmp(tip, seen_tip))
		return cairn_error_set(CAIRN_EREJECTED,
		                       "%s a different roster under version %llu, the version this journal already "
		                       "took: refused",
		                       what, (unsigned long long)version);
	return 0;
}

/* Which device is in which team, into the journal (team-scoped reports count exactly those devices). */
static int record_devices(cairn_journal *j, const cairn_roster *r)
{
	cairn_roster_entry *e = calloc(r->ndevices ? r->ndevices : 1, sizeof(*e));
	int rc;
	if (!e)
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->ndevices; i++)
		e[i] = (cairn_roster_entry){r->devices[i].hex, r->devices[i].team,
		                            r->devices[i].status == CAIRN_ROSTER_REVOKED,
		                            (r->devices[i].flags & CAIRN_ROSTER_SUPERVISOR) != 0};
	rc = cairn_roster_devices_set(j, r->version, e, r->ndevices);
	free(e);
	return rc;
}

int cairn__roster_apply(cairn_gitlog *g, cairn_journal *j, const cairn_roster *r, const char *tip)
{
	const cairn_roster_device *me = cairn_roster_device_find(r, cairn_journal_device(j));
	const cairn_roster_team *t;
	char num[32];
	int rc = 0;
	(void)g;
	if (state_u64(j, "roster_applied") >= r->version)
		return roster_mark(j, r->version, tip);
	if (me && me->status == CAIRN_ROSTER_ENROLLED && (t = cairn_roster_team_find(r, me->team))) {
		/* Older epochs first (readable, not current), then the current one (what we seal with). */
		for (int pass = 0; pass < 2 && !rc; pass++)
			for (size_t i = 0; i < r->nkeys && !rc; i++) {
				const cairn_roster_key *k = &r->keys[i];
				unsigned char *key = NULL;
				int cur = !memcmp(k->team, t->id, 16) && k->epoch == t->epoch;
				if (memcmp(k->device, me->id, 8) || cur != pass)
					continue;
				if (!(rc = cairn_device_unseal(j, k->sealed, sizeof(k->sealed), &key)))
					rc = cairn_team_key_store(j, k->team, k->epoch, key, cur);
				cairn_key_free(key);
			}
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->version);
	if (!rc)
		rc = record_devices(j, r);
	if (!rc)
		rc = cairn_state_set(j, "roster_applied", num);
	return rc ? rc : roster_mark(j, r->version, tip);
}

int cairn__roster_adopt(cairn_gitlog *g, cairn_journal *j, const char *remote, cairn_roster **cache)
{
	unsigned char org[32];
	char rref[256], rtip[CAIRN_OID_HEX], ltip[CAIRN_OID_HEX];
	cairn_roster *theirs = NULL, *ours = NULL;
	int rc = cairn__org_pinned(j, org);
	if (rc)
		return rc == CAIRN_ENOTFOUND ? 0 : rc;
	snprintf(rref, sizeof(rref), "refs/remotes/%s/roster", remote);
	if (cairn__gitlog_tip(g, rref, rtip))
		return 0;
	if ((rc = read_roster(g, rtip, org, &theirs)))
		return cairn_error_set(rc == CAIRN_ENEWER ? rc : CAIRN_EREJECTED, "roster from remote '%s' refused: %s",
		                       remote, cairn_error_last());
	char what[300];
	snprintf(what, sizeof(what), "remote '%s' offers", remote);
	if ((rc = cairn__roster_check(j, theirs->version, rtip, what)))
		goto out;
	if (!cairn__gitlog_tip(g, CAIRN_ROSTER_REF, ltip)) {
		if (!strcmp(ltip, rtip)) {
			cairn_roster_free(theirs);
			return 0;
		}
		if ((rc = read_roster(g, ltip, org, &ours)))
			goto out;
		if (theirs->version <= ours->version) {
			rc = cairn_error_set(
			        CAIRN_EREJECTED,
			        theirs->version < ours->version
			                ? "remote '%s' offers roster version %llu, older than version %llu held "
			                  "here: refused (rollback)"
			                : "remote '%s' offers a different roster under version %llu (this device "
			                  "holds version %llu): refused",
			        remote, (unsigned long long)theirs->version, (unsigned long long)ours->version);
			goto out;
		}
	}
	if ((rc = cairn__gitlog_set(g, CAIRN_ROSTER_REF, rtip, NULL)) || (rc = cairn__roster_apply(g, j, theirs, rtip)))
		goto out;
	cairn_roster_free(*cache);
	*cache = theirs;
	theirs = NULL;
out:
	cairn_roster_free(theirs);
	cairn_roster_free(ours);
	return rc;
}

/* ---- repositories ---- */

int cairn_repo_guard(const char *repo, const char *org_hex, const char *hook_cmd)
{
	static const char *const cfg[][2] = {{"receive.denyNonFastForwards", "true"},
	                                     {"receive.denyDeletes", "true"},
	                                     {"receive.fsckObjects", "true"},
	                                     {"core.logAllRefUpdates", "always"}};
	char path[4200];
	cairn_gitlog *g = NULL;
	FILE *f;
	int rc = cairn__gitlog_open(&g, repo);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]) && !rc; i++)
		rc = cairn__gitlog_config_set(g, cfg[i][0], cfg[i][1]);
	if (!rc && org_hex)
		rc = cairn__gitlog_config_set(g, CAIRN_ORG_CONFIG, org_hex);
	snprintf(path, sizeof(path), "%shooks", cairn__gitlog_path(g));
	cairn__gitlog_free(g);
	if (rc)
		return rc;
	if (strchr(hook_cmd, '\'') || strchr(hook_cmd, '\n'))
		return cairn_error_set(CAIRN_EINVAL, "cannot install a hook for a cairn path with quotes in it");
	mkdir(path, 0755);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/pre-receive");
	if (!(f = fopen(path, "w")))
		return cairn_error_set(CAIRN_EIO, "cannot write '%s': %s", path, strerror(errno));
	fprintf(f,
	        "#!/bin/sh\n# Installed by cairn: only signed, enrolled, append-only updates get in.\nexec '%s' hook pre-receive\n",
	        hook_cmd);
	if (fclose(f) != 0 || chmod(path, 0755) != 0)
		return cairn_error_set(CAIRN_EIO, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

/* ---- the office ---- */

typedef struct {
	cairn_journal *j;
	cairn_gitlog *g;
	cairn_roster *r;
	char tip[CAIRN_OID_HEX];
	int lockfd; /* flock on the central repository's cairn-office.lock, -1 none */
} office;

/* Idempotent: office_open closes what it opened when it fails, and callers close in every case. */
static void office_close(office *o)
{
	cairn_roster_free(o->r);
	cairn__gitlog_free(o->g);
	o->r = NULL;
	o->g = NULL;
	if (o->lockfd >= 0)
		close(o->lockfd); /* releases the flock */
	o->lockfd = -1;
}

static int org_sign_cb(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	return cairn_org_sign(ud, m, n, sig);
}

/*
 * Central's roster must be the newest one this office signed (or newer). A central restored from a
 * backup holds an older one: signing on top of it would reuse a version number the devices already hold
 * (they refuse the second one for good) and an epoch whose key is in use.
 */
/*
 * The office keeps its own copy of each roster it signs, in its journal's log repository: a central
 * restored from a backup older than the office's last change can then be put back, where otherwise no
 * copy might exist anywhere (no device fetched it yet) and no office command could work again.
 */
#define OFFICE_COPY_REF "refs/cairn/office/roster"

static int office_copy_open(office *o, cairn_gitlog **g)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/logs.git", cairn_journal_dir(o->j));
	return cairn__gitlog_open(g, path);
}

/*
 * The copy is written before central: the same commit (a signed roster is deterministic, and so is a
 * commit in cairn's form), so that an office stopped between the two finds central behind its copy and
 * completes the change rather than signing that version again. A copy that fails is a warning: central
 * is what the devices read.
 */
static void office_keep(office *o, const unsigned char *buf, size_t len)
{
	cairn_gitlog *g = NULL;
	char made[CAIRN_OID_HEX];
	if (office_copy_open(o, &g) || (o->tip[0] && cairn__gitlog_copy_chain(o->g, g, o->tip)) ||
	    (o->tip[0] ? cairn__gitlog_set(g, OFFICE_COPY_REF, o->tip, NULL)
	               : cairn__gitlog_delete_ref(g, OFFICE_COPY_REF)) ||
	    cairn__gitlog_commit_blob(g, OFFICE_COPY_REF, "roster", o->tip, buf, len, made))
		cairn_log_emit(CAIRN_LOG_WARN, "the office's own copy of roster version %llu was not written: %s",
		               (unsigned long long)o->r->version, cairn_error_last());
	cairn__gitlog_free(g);
	cairn_error_clear();
}

/* Central holds an older roster than the office's own copy: put the copy back (a fast-forward only). */
static int office_restore(office *o, const unsigned char org[32])
{
	cairn_gitlog *g = NULL;
	cairn_roster *kept = NULL;
	char t[CAIRN_OID_HEX];
	uint64_t had = o->r->version;
	int rc = 0;
	if (office_copy_open(o, &g) || cairn__gitlog_tip(g, OFFICE_COPY_REF, t))
		goto out; /* no copy */
	if (read_roster(g, t, org, &kept)) {
		cairn_log_emit(CAIRN_LOG_WARN, "the office's own copy of the roster is not usable: %s",
		               cairn_error_last());
		goto out;
	}
	if (kept->version <= had)
		goto out; /* nothing to put back */
	if (cairn__gitlog_copy_chain(g, o->g, t) || (o->tip[0] && cairn__gitlog_descends(o->g, t, o->tip) != 1)) {
		cairn_log_emit(
		        CAIRN_LOG_WARN,
		        "the office's own copy of roster version %llu cannot be put back on the central repository "
		        "(%s)",
		        (unsigned long long)kept->version,
		        cairn_error_last()[0] ? cairn_error_last() : "central's roster is not in its history");
		goto out;
	}
	if ((rc = cairn__gitlog_set(o->g, CAIRN_ROSTER_REF, t, o->tip)))
		goto out;
	cairn_log_emit(CAIRN_LOG_WARN,
	               "the central repository's roster was version %llu, older than version %llu this office "
	               "signed (central restored from a backup?): put back from the office's own copy",
	               (unsigned long long)had, (unsigned long long)kept->version);
	cairn_roster_free(o->r);
	o->r = kept;
	kept = NULL;
	memcpy(o->tip, t, sizeof(t));
	/* what the change that wrote the copy did not get to record, if it stopped before central */
	if (!(rc = record_devices(o->j, o->r)))
		rc = roster_mark(o->j, o->r->version, o->tip);
out:
	cairn_roster_free(kept);
	cairn__gitlog_free(g);
	if (!rc)
		cairn_error_clear();
	return rc;
}

static int office_current(office *o)
{
	char seen_tip[CAIRN_OID_HEX];
	uint64_t seen = 0, have = o->r->version;
	int rc = cairn__roster_check(o->j, have, o->tip, "central offers");
	if (rc != CAIRN_EREJECTED || cairn__roster_seen(o->j, &seen, seen_tip))
		return rc; /* the check's own rule; read again only for the message */
	return cairn_error_set(CAIRN_EREJECTED,
	                       "the central repository's roster (version %llu) is %s version %llu, which this "
	                       "office signed: was central restored from a backup? Refused, so that no version "
	                       "is signed twice, and the office holds no copy to put back. Put the newest "
	                       "roster back on central's refs/heads/roster (any device that synced since holds it "
	                       "in its logs.git), then try again",
	                       (unsigned long long)have, have < seen ? "older than" : "not", (unsigned long long)seen);
}

static int office_open(office *o, cairn_journal *j, const char *repo)
{
	unsigned char org[32];
	struct stat sb;
	int rc;
	memset(o, 0, sizeof(*o));
	o->j = j;
	o->lockfd = -1;
	if ((rc = cairn_org_public_key(j, org)))
		return rc;
	if (stat(repo, &sb) != 0)
		return cairn_error_set(CAIRN_ENOTFOUND, "no central repository at '%s'", repo);
	/* One office operation on a central repository at a time: each reads the roster, signs the next
	 * version and stores any new team key, and two interleaved runs would sign on top of the same
	 * version (the loser leaving a key nobody holds). The lock is taken before the roster is read. */
	if ((rc = cairn__gitlog_open(&o->g, repo)) ||
	    (rc = cairn__gitlog_lock(cairn__gitlog_path(o->g), "cairn-office.lock", 0660,
	                             "waiting for another office command to finish", &o->lockfd)))
		goto out;
	if ((rc = cairn__gitlog_tip(o->g, CAIRN_ROSTER_REF, o->tip)) == 0)
		rc = read_roster(o->g, o->tip, org, &o->r);
	else if (rc == CAIRN_ENOTFOUND)
		rc = cairn_roster_new(&o->r, org);
	if (rc == 0 && !(rc = office_restore(o, org)))
		rc = office_current(o);
out:
	if (rc)
		office_close(o);
	return rc;
}

/* Invariant 1: the next version, one commit on top of the last. */
/*
 * Revocations signed before rosters pinned the last segment (format 3) carry its seq only: pin them now,
 * from the segment of central's log that ends at that seq (what the office accepted). A log that has no
 * such segment is left unpinned.
 */
static void pin_old_revocations(office *o)
{
	for (size_t i = 0; i < o->r->ndevices; i++) {
		cairn_roster_device *d = &o->r->devices[i];
		char ref[160], tip[CAIRN_OID_HEX], parent[CAIRN_OID_HEX], (*oids)[CAIRN_OID_HEX] = NULL;
		size_t n = 0;
		if (d->status != CAIRN_ROSTER_REVOKED || !d->last_seq || cairn_roster_pinned(o->r, d->hex))
			continue;
		snprintf(ref, sizeof(ref), "refs/heads/logs/%s", d->hex);
		if (cairn__gitlog_tip(o->g, ref, tip) || cairn__gitlog_walk(o->g, tip, "", &oids, &n))
			n = 0;
		for (size_t k = 0; k < n; k++) {
			cairn_segment_header h;
			unsigned char *seg = NULL;
			size_t len;
			if (!cairn__gitlog_read(o->g, oids[k], &seg, &len, parent) &&
			    !cairn_segment_verify(&h, seg, len) && h.last_seq == d->last_seq) {
				cairn_segment_hash(seg, len, d->last_hash);
				k = n;
			}
			free(seg);
		}
		free(oids);
	}
	cairn_error_clear();
}

static int office_commit(office *o)
{
	unsigned char *buf = NULL;
	size_t len;
	char out[CAIRN_OID_HEX];
	int rc;
	pin_old_revocations(o);
	o->r->version++;
	if (!(rc = cairn_roster_encode(&buf, &len, o->r, org_sign_cb, o->j))) {
		office_keep(o, buf, len);
		rc = cairn__gitlog_commit_blob(o->g, CAIRN_ROSTER_REF, "roster", o->tip, buf, len, out);
	}
	free(buf);
	if (!rc)
		memcpy(o->tip, out, sizeof(out));
	/* The office's journal knows each device's team from the moment it signs the roster; the directory
	 * follows the roster's teams and epochs (a new team reads it, a revoked device reads no newer one). */
	if (!rc)
		rc = record_devices(o->j, o->r);
	if (!rc)
		rc = roster_mark(o->j, o->r->version, o->tip);
	/* The roster change stands whatever happens to the directory: a failure is a warning, and the next
	 * change or 'cairn office publish' republishes it. */
	if (!rc && cairn__directory_publish(o->j, o->g, o->r)) {
		cairn_log_emit(CAIRN_LOG_WARN,
		               "roster version %llu written, but the resource directory was not "
		               "republished for it: %s (run 'cairn office publish')",
		               (unsigned long long)o->r->version, cairn_error_last());
		cairn_error_clear();
	}
	return rc;
}

int cairn_office_publish(cairn_journal *j, const char *repo)
{
	office o;
	int rc = office_open(&o, j, repo);
	if (rc)
		return rc;
	rc = cairn__directory_publish(o.j, o.g, o.r);
	office_close(&o);
	return rc;
}

int cairn_office_init_repo(cairn_journal *j, const char *repo, const char *hook_cmd)
{
	unsigned char pk[32];
	char hex[65];
	office o;
	struct stat sb;
	int rc;
	if (stat(repo, &sb) == 0)
		return cairn_error_set(CAIRN_EEXISTS, "'%s' already exists: the office creates its central repository",
		                       repo);
	if ((rc = cairn_org_key_create(j, pk)))
		return rc;
	sodium_bin2hex(hex, sizeof(hex), pk, 32);
	if ((rc = cairn_state_set(j, "org_pk", hex)) || (rc = cairn_repo_guard(repo, hex, hook_cmd)) ||
	    (rc = office_open(&o, j, repo)))
		return rc;
	rc = office_commit(&o);
	office_close(&o);
	return rc;
}

static int read_request(office *o, const char *device, unsigned char pk[32])
{
	unsigned char *buf = NULL, org[32];
	size_t len;
	char ref[160], tip[CAIRN_OID_HEX], parent[CAIRN_OID_HEX], hex[CAIRN_DEVICE_LEN];
	int rc;
	snprintf(ref, sizeof(ref), "refs/heads/enroll/%s", device);
	if (strlen(device) != 16 || cairn__gitlog_tip(o->g, ref, tip))
		return cairn_error_set(CAIRN_ENOTFOUND,
		                       "no enrollment request from device '%s' (see 'cairn office "
		                       "enroll list')",
		                       device);
	if ((rc = cairn__gitlog_read_blob(o->g, tip, "request", &buf, &len, parent)))
		return rc;
	rc = cairn_enroll_decode(buf, len, pk, org, hex);
	free(buf);
	if (!rc && (strcmp(hex, device) || sodium_memcmp(org, o->r->org_pk, 32)))
		rc = cairn_error_set(CAIRN_ECORRUPT, "the enrollment request of '%s' names another device or org",
		                     device);
	return rc;
}

static int new_team(office *o, const char *name, unsigned char team[16])
{
	unsigned char *key = sodium_malloc(32);
	int rc;
	if (!key)
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	randombytes_buf(team, 16);
	randombytes_buf(key, 32);
	rc = cairn_team_key_store(o->j, team, 0, key, 0);
	sodium_free(key);
	return rc ? rc : cairn_office_team_add(o->j, name, team);
}

/* A team by name; a name of 32 hex digits whose epoch-0 key the office holds (a join-file team adopted
 * with 'cairn team join') keeps that id and key, so nothing its members sealed before is stranded. */
static int team_for(office *o, const char *name, unsigned char team[16])
{
	unsigned char *key = NULL;
	int rc = cairn_office_team_id(o->j, name, team);
	if (rc != CAIRN_ENOTFOUND)
		return rc;
	if (strlen(name) == 32 && !sodium_hex2bin(team, 16, name, 32, NULL, NULL, NULL) &&
	    !cairn_team_key(o->j, team, 0, &key)) {
		cairn_key_free(key);
		return cairn_office_team_add(o->j, name, team);
	}
	return new_team(o, name, team);
}

int cairn_office_approve(cairn_journal *j, const char *repo, const char *device, const char *team_name)
{
	unsigned char pk[32], team[16];
	cairn_roster_device *d;
	cairn_roster_team *t;
	char key[64];
	office o;
	int rc = office_open(&o, j, repo);
	if (rc)
		return rc;
	if ((rc = read_request(&o, device, pk)))
		goto out;
	if ((d = cairn_roster_device_find(o.r, device))) {
		rc = cairn_error_set(d->status == CAIRN_ROSTER_REVOKED ? CAIRN_EINVAL : CAIRN_EEXISTS,
		                     d->status == CAIRN_ROSTER_REVOKED
		                             ? "device '%s' was revoked: a revoked device is never enrolled again"
		                             : "device '%s' is already enrolled",
		                     device);
		goto out;
	}
	if ((rc = team_for(&o, team_name, team)))
		goto out;
	if (!(t = cairn_roster_team_find(o.r, team)) && !(t = cairn_roster_team_add(o.r, team))) {
		rc = CAIRN_ENOMEM;
		goto out;
	}
	uint32_t epochs = t->epoch;
	if (!(d = cairn_roster_device_add(o.r, pk))) {
		rc = CAIRN_ENOMEM;
		goto out;
	}
	memcpy(d->team, team, 16);
	/* Every epoch's key: a new member reads what the team wrote before it joined. */
	for (uint32_t e = 0; e <= epochs && !rc; e++) {
		unsigned char *k = NULL;
		if (!(rc = cairn_team_key(j, team, e, &k)))
			rc = cairn_roster_key_seal(o.r, d, team, e, k);
		else if (rc == CAIRN_ENOTFOUND)
			rc = cairn_error_set(CAIRN_ENOTFOUND, "the office has lost the key of epoch %u of team '%s'", e,
			                     team_name);
		cairn_key_free(k);
	}
	if (!rc)
		rc = office_commit(&o);
	snprintf(key, sizeof(key), "office.denied.%s", device);
	if (!rc)
		cairn_state_set(j, key, "0");
out:
	office_close(&o);
	return rc;
}

int cairn_office_deny(cairn_journal *j, const char *repo, const char *device)
{
	unsigned char pk[32];
	char key[64];
	office o;
	int rc = office_open(&o, j, repo);
	if (rc)
		return rc;
	if (!(rc = read_request(&o, device, pk)) && cairn_roster_device_find(o.r, device))
		rc = cairn_error_set(CAIRN_EEXISTS, "device '%s' is already in the roster: revoke it instead", device);
	snprintf(key, sizeof(key), "office.denied.%s", device);
	if (!rc)
		rc = cairn_state_set(j, key, "1");
	office_close(&o);
	return rc;
}

static int find_enrolled(office *o, const char *device, cairn_roster_device **d)
{
	*d = cairn_roster_device_find(o->r, device);
	if (!*d)
		return cairn_error_set(CAIRN_ENOTFOUND, "device '%s' is not in the roster (see 'cairn office devices')",
		                       device);
	return 0;
}

/* The seq at the tip of a device's log in the central repository (0 when it has none). */
/* The last seq of `device`'s log in central, and the hash of the segment that ends it (zeros: none). */
static uint64_t log_seq(office *o, const char *device, char tip[CAIRN_OID_HEX], unsigned char hash[32])
{
	char ref[160];
	uint64_t seq = 0;
	snprintf(ref, sizeof(ref), "refs/heads/logs/%s", device);
	if (cairn__gitlog_tip(o->g, ref, tip) || cairn__log_tip_state(o->g, tip, &seq, hash)) {
		seq = 0;
		memset(hash, 0, 32);
	}
	cairn_error_clear();
	return seq;
}

int cairn_office_revoke(cairn_journal *j, const char *repo, const char *device)
{
	cairn_roster_device *d;
	cairn_roster_team *t;
	unsigned char *key = sodium_malloc(32);
	char tip[CAIRN_OID_HEX];
	office o;
	int rc = key ? office_open(&o, j, repo) : cairn_error_set(CAIRN_ENOMEM, "out of memory");
	if (rc) {
		sodium_free(key);
		return rc;
	}
	if ((rc = find_enrolled(&o, device, &d)))
		goto out;
	if (d->status == CAIRN_ROSTER_REVOKED) {
		rc = cairn_error_set(CAIRN_EEXISTS, "device '%s' is already revoked", device);
		goto out;
	}
	/* Invariant 4. */
	d->status = CAIRN_ROSTER_REVOKED;
	/* Pinned by its hash too: a stolen key cannot write another history under these seqs. */
	d->last_seq = log_seq(&o, device, tip, d->last_hash);
	t = cairn_roster_team_find(o.r, d->team);
	t->epoch++;
	/* A key for the new epoch already here was stored by a run that failed before it signed the
	 * roster: nobody else has it, and storing another in its place would be refused. */
	unsigned char *kept = NULL;
	if (!cairn_team_key(j, t->id, t->epoch, &kept)) {
		memcpy(key, kept, 32);
		cairn_key_free(kept);
	} else {
		cairn_error_clear();
		randombytes_buf(key, 32);
		if ((rc = cairn_team_key_store(j, t->id, t->epoch, key, 0)))
			goto out;
	}
	for (size_t i = 0; i < o.r->ndevices && !rc; i++) {
		cairn_roster_device *m = &o.r->devices[i];
		if (m->status == CAIRN_ROSTER_ENROLLED && !memcmp(m->team, t->id, 16))
			rc = cairn_roster_key_seal(o.r, m, t->id, t->epoch, key);
	}
	if (!rc)
		rc = office_commit(&o);
out:
	sodium_free(key);
	office_close(&o);
	return rc;
}

/* Set (on) or clear a flag of an enrolled device in a new roster version: CAIRN_EEXISTS ("device X
 * `already`") when it is so already; with `not_revoked`, a revoked device is refused the flag. */
static int device_flag(cairn_journal *j, const char *repo, const char *device, uint8_t flag, int on, int not_revoked,
                       const char *already)
{
	cairn_roster_device *d;
	office o;
	int rc = office_open(&o, j, repo);
	if (rc)
		return rc;
	if (!(rc = find_enrolled(&o, device, &d))) {
		if (on && not_revoked && d->status == CAIRN_ROSTER_REVOKED)
			rc = cairn_error_set(CAIRN_EINVAL, "device '%s' is revoked: it cannot take that role", device);
		else if (!(d->flags & flag) == !on)
			rc = cairn_error_set(CAIRN_EEXISTS, "device '%s' %s", device, already);
		else {
			d->flags = (uint8_t)(on ? d->flags | flag : d->flags & ~flag);
			rc = office_commit(&o);
		}
	}
	office_close(&o);
	return rc;
}

int cairn_office_supervisor(cairn_journal *j, const char *repo, const char *device, int on)
{
	return device_flag(j, repo, device, CAIRN_ROSTER_SUPERVISOR, on, 1,
	                   on ? "is already a supervisor" : "is not a supervisor");
}

int cairn_office_wipe(cairn_journal *j, const char *repo, const char *device)
{
	return device_flag(j, repo, device, CAIRN_ROSTER_WIPE, 1, 0, "already has a wipe order in the roster");
}

static const char *status_name(const cairn_roster_device *d)
{
	return d->status == CAIRN_ROSTER_REVOKED ? "revoked" : "enrolled";
}

int cairn_office_enroll_list(cairn_journal *j, const char *repo, char **out)
{
	char **devs = NULL, key[64], *v;
	size_t n = 0;
	json_t *arr = json_array();
	office o;
	int rc = office_open(&o, j, repo);
	if (!rc)
		rc = cairn__gitlog_list(o.g, "refs/heads/enroll/", &devs, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		const cairn_roster_device *d = cairn_roster_device_find(o.r, devs[i]);
		const char *state = d ? status_name(d) : "pending";
		snprintf(key, sizeof(key), "office.denied.%s", devs[i]);
		if (!d && !cairn_state_get(j, key, &v)) {
			if (!strcmp(v, "1"))
				state = "denied";
			free(v);
		}
		json_array_append_new(arr, json_pack("{ssss}", "device", devs[i], "state", state));
	}
	if (!rc) /* the lookups of devices never denied; a failure keeps its message */
		cairn_error_clear();
	if (!rc && !(*out = json_dumps(arr, JSON_COMPACT)))
		rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
	cairn__gitlog_list_free(devs, n);
	json_decref(arr);
	office_close(&o);
	return rc;
}

/* Whether the tip segment of a log verifies with the device's enrolled key. */
static int head_signed(office *o, const cairn_roster_device *d, const char *tip)
{
	cairn_segment_header h;
	unsigned char *buf = NULL;
	size_t len;
	char parent[CAIRN_OID_HEX];
	int ok = 0;
	if (*tip && !cairn__gitlog_read(o->g, tip, &buf, &len, parent) && !cairn_segment_verify(&h, buf, len))
		ok = !strcmp(h.device, d->hex) && !sodium_memcmp(h.device_pk, d->pk, 32);
	free(buf);
	cairn_error_clear();
	return ok;
}

/* The device's signed "fully synced" head: its seq (0 none), and whether it names the log's tip. */
static uint64_t synced_head(office *o, const cairn_roster_device *d, const char *tip, int *full)
{
	unsigned char *buf = NULL, pk[32], hash[32], thash[32];
	uint64_t seq = 0, tseq;
	size_t len;
	char ref[160], htip[CAIRN_OID_HEX], parent[CAIRN_OID_HEX], hex[CAIRN_DEVICE_LEN];
	*full = 0;
	snprintf(ref, sizeof(ref), "refs/heads/synced/%s", d->hex);
	if (!cairn__gitlog_tip(o->g, ref, htip) && !cairn__gitlog_read_blob(o->g, htip, "head", &buf, &len, parent) &&
	    !cairn_head_decode(buf, len, pk, &seq, hash, hex) && !sodium_memcmp(pk, d->pk, 32)) {
		*full = *tip && !cairn__log_tip_state(o->g, tip, &tseq, thash) && tseq == seq &&
		        !memcmp(thash, hash, 32);
	} else {
		seq = 0;
	}
	free(buf);
	cairn_error_clear();
	return seq;
}

int cairn_office_devices(cairn_journal *j, const char *repo, char **out)
{
	json_t *arr = json_array();
	office o;
	int rc = office_open(&o, j, repo);
	for (size_t i = 0; !rc && i < o.r->ndevices; i++) {
		const cairn_roster_device *d = &o.r->devices[i];
		char tip[CAIRN_OID_HEX] = "", ref[160], when[32] = "", team[33], *name = NULL;
		int64_t t = 0;
		unsigned char hash[32];
		uint64_t seq = log_seq(&o, d->hex, tip, hash);
		snprintf(ref, sizeof(ref), "refs/heads/logs/%s", d->hex);
		if (!*tip || cairn__gitlog_ref_time(o.g, ref, &t) || !t) {
			snprintf(ref, sizeof(ref), "refs/heads/enroll/%s", d->hex);
			cairn__gitlog_ref_time(o.g, ref, &t);
		}
		if (t) {
			time_t tt = (time_t)t;
			struct tm tm;
			gmtime_r(&tt, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		sodium_bin2hex(team, sizeof(team), d->team, 16);
		cairn_office_team_name(j, d->team, &name);
		int full;
		uint64_t synced = synced_head(&o, d, tip, &full);
		json_array_append_new(
		        arr, json_pack("{sssssssIsssbsIsbsosbsb}", "device", d->hex, "team", name ? name : team,
		                       "status", status_name(d), "last_seq", (json_int_t)seq, "head", tip,
		                       "head_signed", head_signed(&o, d, tip), "synced_seq", (json_int_t)synced,
		                       "fully_synced", full, "last_seen", *when ? json_string(when) : json_null(),
		                       "wipe", (d->flags & CAIRN_ROSTER_WIPE) != 0, "supervisor",
		                       (d->flags & CAIRN_ROSTER_SUPERVISOR) != 0));
		free(name);
	}
	if (!rc) /* the probes of each log; a failure keeps its message */
		cairn_error_clear();
	if (!rc && !(*out = json_dumps(arr, JSON_COMPACT)))
		rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
	json_decref(arr);
	office_close(&o);
	return rc;
}
