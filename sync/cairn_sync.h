/*
 * cairn_sync.h — the public API of libcairn_sync: seal a journal's events into signed, encrypted
 * segments on per-device git logs, and exchange them with remotes (a central repo, a USB stick, a peer).
 * Conventions as in cairn.h: 0 or a negative CAIRN_E* code, cairn_error_last() for the message,
 * `char **out` strings freed with cairn_free().
 */
#ifndef CAIRN_SYNC_H
#define CAIRN_SYNC_H

#include <stdint.h>

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
#define CAIRN_REMOTE_OPTIONS_INIT {CAIRN_REMOTE_OPTIONS_VERSION, NULL, NULL, NULL, NULL}

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
	uint64_t quarantined;       /**< segments refused this round */
	uint64_t unreadable;        /**< segments carried for a team this device has no key for */
	uint64_t refs_relayed;      /**< other devices' logs pushed to a remote that lacked them */
	uint64_t rejected;          /**< refs a remote refused */
	uint64_t forks;             /**< logs whose remote and local histories diverge */
} cairn_sync_result;

typedef void (*cairn_progress_fn)(void *ud, const char *phase, uint64_t done, uint64_t total, uint64_t bytes);
typedef struct {
	unsigned int version;
	cairn_progress_fn progress;
	void *ud;
} cairn_sync_options;
#define CAIRN_SYNC_OPTIONS_VERSION 1
#define CAIRN_SYNC_OPTIONS_INIT {CAIRN_SYNC_OPTIONS_VERSION, NULL, NULL}

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

#ifdef __cplusplus
}
#endif
#endif
