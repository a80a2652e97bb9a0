/*
 * cairn_agent.h — the sync agent (`cairn agent`): a libuv daemon that syncs with every remote whenever it
 * can, and holds the unlocked session so that CLI commands skip the Argon2id cost. Also the client side
 * of its control socket, which uses plain sockets (no libuv) so any command can ask cheaply.
 *
 * Files in the journal directory: `agent.sock` (the control socket, mode 0600; every connection's peer
 * uid is checked with SO_PEERCRED), `agent.lock` (flock held while an agent runs; holds its pid).
 * The protocol is in docs/architecture.md ("The sync agent"). Conventions as in cairn.h.
 */
#ifndef CAIRN_AGENT_H
#define CAIRN_AGENT_H

#include <stddef.h>

#include "cairn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the daemon --------------------------------------------------------------------------------- */

typedef struct cairn_agent cairn_agent;

typedef struct {
	unsigned int version;
	const char *dir;      /**< the journal directory (required) */
	const char *config;   /**< INI file; NULL: $XDG_CONFIG_HOME/cairn/config (~/.config/cairn/config) */
	const char *log_file; /**< NULL: the config's log_file, else stderr */
	int log_level;        /**< a cairn_log_level, or -1: the config's (default info) */
	int ready_fd;         /**< when >= 0: "ready\n" is written here once the socket listens, then closed */
} cairn_agent_options;
#define CAIRN_AGENT_OPTIONS_VERSION 1
#define CAIRN_AGENT_OPTIONS_INIT                                      \
	{                                                             \
		CAIRN_AGENT_OPTIONS_VERSION, NULL, NULL, NULL, -1, -1 \
	}

/**
 * Claim the journal directory for an agent and read the config. CAIRN_EEXISTS when another agent runs
 * for it (its pid in the message), CAIRN_ENOTFOUND when `dir` holds no journal, CAIRN_EINVAL for a bad
 * config (the file and line in the message). Nothing is listening yet; the caller may fork before
 * cairn_agent_run(). Free with cairn_agent_free().
 */
int cairn_agent_open(cairn_agent **out, const cairn_agent_options *opts);
/** Start unlocked with this 32-byte data key (copied into secure memory; the caller keeps `key`). */
int cairn_agent_set_key(cairn_agent *a, const unsigned char key[32]);
/** Call in the child after a fork() (detaching): mlock does not survive a fork, so the key moves to
 * fresh locked memory. */
int cairn_agent_forked(cairn_agent *a);
/** Listen and sync until SIGINT or SIGTERM. Returns 0 after a clean stop (socket removed). */
int cairn_agent_run(cairn_agent *a);
/** Release the claim and wipe the key. Accepts NULL. */
void cairn_agent_free(cairn_agent *a);

/**
 * The seam for roster actions (the central office's wipe orders and revocations): called on the worker
 * thread after every successful round, with the journal still open. Return non-zero to ask the agent to
 * lock itself (wipe its key). NULL: nothing to do. Set before cairn_agent_run().
 */
typedef int (*cairn_agent_round_hook)(cairn_journal *j, void *ud);
void cairn_agent_set_round_hook(cairn_agent *a, cairn_agent_round_hook fn, void *ud);

/* ---- the client --------------------------------------------------------------------------------- */

/**
 * Ask the agent of `dir` for the session key. 0: *key_out holds 32 bytes of sodium_malloc'd memory
 * (release with cairn_key_free()). CAIRN_ENOTFOUND: no agent runs; CAIRN_EAUTH: the agent is locked;
 * CAIRN_EIO: it answered something else. Never prints.
 */
int cairn_agent_get_key(const char *dir, unsigned char **key_out);
/** Unlock the agent with a passphrase (sent over the socket, never in argv). CAIRN_EAUTH when wrong. */
int cairn_agent_unlock(const char *dir, const char *pass, size_t passlen);
/**
 * Send one plain request ("status", "sync", "lock", "changed") and return the agent's reply line without
 * its "ok " prefix in *reply (malloc'd, free with cairn_free; may be NULL when not wanted).
 * CAIRN_ENOTFOUND when no agent runs, CAIRN_ERROR with the agent's message when it refused.
 */
int cairn_agent_request(const char *dir, const char *req, char **reply);

#ifdef __cplusplus
}
#endif
#endif
