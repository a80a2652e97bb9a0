/*
 * cairn_sync.h — the public API of libcairn_sync: seal a journal's events into signed, encrypted
 * segments on per-device git logs, and exchange them with remotes (a central repo, a USB stick, a peer).
 * Conventions as in cairn.h: 0 or a negative CAIRN_E* code, cairn_error_last() for the message,
 * `char **out` strings freed with cairn_free().
 */
#ifndef CAIRN_SYNC_H
#define CAIRN_SYNC_H

#include <stdint.h>
#include <stdio.h>

#include "cairn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cairn_sync cairn_sync;

/** Open the log repository of a journal (`<dir>/logs.git`, created when missing). `j` is borrowed and
 * must outlive the handle. */
int cairn_sync_open(cairn_sync **out, cairn_journal *j);
void cairn_sync_free(cairn_sync *s);

/** Options of a remote, stored in the log repository's config (never secrets themselves: file paths). */
typedef struct {
	unsigned int version;
	const char *credential_file; /**< http(s): a file holding "user:password" or a token */
	const char *ssh_key;         /**< ssh: private key file (its ".pub" beside it) */
	const char *pin;             /**< SHA-256 (hex) of the server certificate (https) or host key (ssh) */
	const char *ca_file;         /**< https: a CA bundle to trust */
} cairn_remote_options;
#define CAIRN_REMOTE_OPTIONS_VERSION 1
#define CAIRN_REMOTE_OPTIONS_INIT                                    \
	{                                                            \
		CAIRN_REMOTE_OPTIONS_VERSION, NULL, NULL, NULL, NULL \
	}

int cairn_remote_add(cairn_sync *s, const char *name, const char *url, const cairn_remote_options *opts);
int cairn_remote_remove(cairn_sync *s, const char *name);
/** [{"name","url","last_sync","last_error"}] */
int cairn_remote_list(cairn_sync *s, char **out);

/** What one sync did. */
typedef struct {
	uint64_t segments_sealed;
	uint64_t segments_sent;     /**< commits pushed, own and relayed */
	uint64_t segments_received; /**< new commits fetched */
	uint64_t segments_imported;
	uint64_t events_applied;
	uint64_t bytes_sent, bytes_received;
	uint64_t conflicts_raised;
	uint64_t quarantined;  /**< segments refused this round */
	uint64_t unreadable;   /**< segments carried for a team this device has no key for */
	uint64_t refs_relayed; /**< other devices' logs pushed to a remote that lacked them */
	uint64_t rejected;     /**< refs a remote refused */
	uint64_t forks;        /**< logs whose remote and local histories diverge */
	uint64_t wiped;        /**< 1 when a wipe order was carried out at the end of the round */
} cairn_sync_result;

typedef void (*cairn_progress_fn)(void *ud, const char *phase, uint64_t done, uint64_t total, uint64_t bytes);
typedef struct {
	unsigned int version;
	cairn_progress_fn progress;
	void *ud;
	/** Version 2. The longest wait for the network in a round: connecting, or a read or write that makes
	 * no progress (0: 30 s; at most an hour). A remote silent for that long fails the round with
	 * CAIRN_EOFFLINE. Over ssh, whose library waits on the socket itself, a connection on which nothing
	 * came or went for that long is cut by a watchdog thread (the round fails the same way). git servers
	 * send keepalives every 5 s while they work, so a timeout under 5 s can take a slow server for a
	 * silent one. A setting of the process while the run lasts: one round at a time. */
	unsigned int timeout_ms;
	/** Version 3. This journal sealed more than its log repository holds (logs.git lost or restored
	 * from an older copy) and no remote has the rest (sealed offline, never synced): after the rounds,
	 * continue under a new device id from the seq the repository holds, as after a restore from a
	 * backup (the events past it are written again under the new id, which the office must approve).
	 * Only when the run reached every remote (CAIRN_EOFFLINE otherwise: one of them may hold what was
	 * sealed, and writing it again would duplicate published records); CAIRN_EINVAL when nothing is
	 * lost. */
	int new_device_id;
} cairn_sync_options;
#define CAIRN_SYNC_OPTIONS_VERSION 3
#define CAIRN_SYNC_OPTIONS_INIT                              \
	{                                                    \
		CAIRN_SYNC_OPTIONS_VERSION, NULL, NULL, 0, 0 \
	}

/** Seal pending own events into segments (local only; no network). */
int cairn_sync_seal(cairn_sync *s, cairn_sync_result *r);
/** Apply what the local log repository holds and the journal has not (local only). */
int cairn_sync_import(cairn_sync *s, cairn_sync_result *r);
/**
 * One sync round with `remote` (NULL: every remote in turn): seal, fetch, reconcile refs, push own and
 * relayed logs, import. `report` (may be NULL) receives a JSON document of the round, per remote.
 * Returns CAIRN_EOFFLINE when a remote cannot be reached (the others are still synced), CAIRN_EREJECTED
 * when a remote refused an update.
 */
int cairn_sync_run(cairn_sync *s, const char *remote, const cairn_sync_options *opts, cairn_sync_result *r,
                   char **report);
/** {"device","own_seq","sealed_seq","logs":[{"device","tip_seq","imported_seq"}],"quarantine":[...],
 *   "remotes":[...]} */
int cairn_sync_status(cairn_sync *s, char **out);

/**
 * Carry out a wipe order the roster holds for this device, if any (the end of every cairn_sync_run; the
 * agent calls it the same way): when every own event is sealed and a fresh fetch from some remote shows
 * this device's log at our tip, the key file is overwritten and unlinked and the database removed
 * (cairn_journal_destroy); *wiped = 1. CAIRN_EOFFLINE while the order cannot be carried out yet. The
 * journal handle is then only good for cairn_journal_free().
 */
int cairn_sync_wipe(cairn_sync *s, int *wiped);

/**
 * `cairn hook pre-receive`: read git's "old new ref" lines from `in` (the repository comes from GIT_DIR
 * and git's quarantine environment) and accept only: appends to refs/heads/logs/<device> whose new
 * segments verify as that device's and are admitted by the roster; a roster signed by the org key
 * pinned in the repository's config (cairn.orgkey) with a higher version; a signed enrollment request
 * on refs/heads/enroll/<device>. No deletion, no rewrite, nothing else. One line per refused ref on
 * `err`. Returns 0 when everything is accepted, 1 when something was refused, <0 on error. Needs no
 * passphrase.
 */
int cairn_hook_pre_receive(FILE *in, FILE *err);

/**
 * Office operations on the central repository `repo` (a path), signing with the org key of the office
 * journal `j`. Team keys are created in and read from `j`. Each change writes one roster version.
 */
int cairn_office_init_repo(cairn_journal *j, const char *repo, const char *hook_cmd);
/** [{"device","state":"pending|enrolled|revoked|denied"}] of the requests in `repo`. */
int cairn_office_enroll_list(cairn_journal *j, const char *repo, char **out);
int cairn_office_approve(cairn_journal *j, const char *repo, const char *device, const char *team_name);
int cairn_office_deny(cairn_journal *j, const char *repo, const char *device);
/** Revoke a device: a new key epoch for its team, sealed to the other members; its log ends here. */
int cairn_office_revoke(cairn_journal *j, const char *repo, const char *device);
/**
 * Make an enrolled device a supervisor (on) or not (off): only a supervisor's sign-offs of notes count
 * once a journal holds a roster. CAIRN_EEXISTS when it already is (is not).
 */
int cairn_office_supervisor(cairn_journal *j, const char *repo, const char *device, int on);
/** Order a device to push what it has not pushed, then destroy its key file and database. */
int cairn_office_wipe(cairn_journal *j, const char *repo, const char *device);
/**
 * Publish the office's resource directory to `repo` as the next version (refs/heads/directory), sealed
 * for every team of the roster at its current epoch. Every roster change republishes it too, so a new
 * team or a new epoch reads it at once. Nothing is written while the office has never had a resource.
 */
int cairn_office_publish(cairn_journal *j, const char *repo);
/**
 * [{"device","team","status","last_seq","head","head_signed","synced_seq","fully_synced","last_seen","wipe"}]:
 * last_seq/head: the tip of its log in `repo`, head_signed: that segment verifies with the enrolled key;
 * synced_seq: the device's signed "fully synced" head (0: none); fully_synced: it names the log's tip.
 */
int cairn_office_devices(cairn_journal *j, const char *repo, char **out);

/**
 * Make a bare repository append-only for pushes: receive.denyNonFastForwards, receive.denyDeletes,
 * receive.fsckObjects, reflogs on, and hooks/pre-receive running `hook_cmd` (the absolute path of the cairn
 * binary) with "hook pre-receive". `org_hex` (may be NULL: keep what is there) pins the org key.
 * For the central repository (cairn office init) and a field hub (cairn serve).
 */
int cairn_repo_guard(const char *repo, const char *org_hex, const char *hook_cmd);

/**
 * Pin the org key (64 hex digits) in this journal and its log repository, and write this device's signed
 * enrollment request on refs/heads/enroll/<device>; the next sync round pushes it. CAIRN_EEXISTS when a
 * different org key is already pinned.
 */
int cairn_sync_enroll(cairn_sync *s, const char *org_hex);
/** The log repository of this journal (a path). Borrowed from `s`. */
const char *cairn_sync_repo(cairn_sync *s);

#ifdef __cplusplus
}
#endif
#endif
