/*
 * agent_sched.h — when the agent syncs with a remote: the policy alone, with no clock, no randomness and
 * no I/O of its own. Times are milliseconds on any monotonic clock the caller passes in; randomness comes
 * from a callback. So a test drives it with a fake clock and a fixed random source (a seam, not a mock).
 *
 * Per remote, one of two regimes:
 *
 *        healthy ──round fails──▶ backing off ──round succeeds──▶ healthy
 *           ▲  next = min(periodic, debounced change)     next = retry (full jitter, doubling to a cap)
 *           └── connectivity returns while backing off: retry at once (the round still probes first)
 *
 * Healthy: a periodic round every `interval` (stretched by up to `jitter` of it, never shortened, so
 * devices drift apart and the agent never wakes more often than the interval), and a round `debounce`
 * after the last local change (but no later than 4 debounces after the first one, so steady writing
 * still syncs). Backing off: local changes and the periodic timer wait; the retry delay is drawn
 * uniformly from [base, min(cap, base * 2^(failures-1))] ("full jitter", floored at base so a failing
 * remote is never hammered).
 *
 * Recovering (the first success after failures): for one backoff step's worth of time after it (the step
 * this remote was at, capped: the longest the other devices can still be waiting to retry; plus the
 * recovery round's own length, about what the others' rounds that push their backlog take), a short
 * follow-up round every `debounce` after the previous one ends; then the periodic schedule again. The
 * other devices push their backlog at their own retry, within that step of the remote's return, so it
 * arrives here within one debounce + one step. A follow-up that finds nothing new costs one fetch.
 */
#ifndef CAIRN_AGENT_SCHED_H
#define CAIRN_AGENT_SCHED_H

#include <stdint.h>

#define CAIRN_SCHED_NEVER UINT64_MAX

typedef struct {
	uint64_t debounce_ms;     /* after a local change */
	uint64_t interval_ms;     /* periodic round for incoming data */
	uint32_t jitter_pct;      /* periodic stretch, 0..100 (% of interval) */
	uint64_t backoff_base_ms; /* first retry delay after a failure */
	uint64_t backoff_cap_ms;  /* retry delays never exceed this */
} cairn_sched_cfg;

/* Uniform random integer in [0, upper] (upper included). */
typedef uint64_t (*cairn_sched_rand_fn)(void *ud, uint64_t upper);

typedef struct {
	uint64_t periodic_due;   /* next periodic round */
	uint64_t change_due;     /* debounced local change (NEVER: none pending) */
	uint64_t change_first;   /* first change not yet covered by a round (NEVER: none) */
	uint64_t change_last;    /* the latest change */
	uint64_t retry_due;      /* next retry while backing off (NEVER: healthy) */
	uint64_t forced;         /* a round asked for (`sync --now`), in any regime (NEVER: none) */
	uint64_t round_started;  /* NEVER when no round is running */
	unsigned failures;       /* consecutive failed rounds */
	int reachable;           /* last probe or round: 1 reachable, 0 not, -1 unknown */
	uint64_t followup_until; /* recovering: follow-up rounds until a round starts at or after this */
	uint64_t last_ok;        /* end of the last successful round (NEVER: none) */
	uint64_t last_attempt;   /* end of the last round (NEVER: none) */
	int last_rc;             /* its result (0 or a CAIRN_E* code) */
} cairn_sched;

/* A new remote: its first round is due at `now`. */
void cairn_sched_init(cairn_sched *s, uint64_t now);
/* When the next round is due (CAIRN_SCHED_NEVER never happens for an initialised remote). */
uint64_t cairn_sched_due(const cairn_sched *s);
/* A local change was made at `now`. */
void cairn_sched_change(cairn_sched *s, const cairn_sched_cfg *c, uint64_t now);
/* A round is wanted at once (`cairn sync --now`); one that is running now does not count. */
void cairn_sched_force(cairn_sched *s, uint64_t now);
/* A round starts at `now`. */
void cairn_sched_start(cairn_sched *s, uint64_t now);
/* The round ended at `now` with `rc` (0 or a CAIRN_E* code); `rnd` draws the jitter. */
void cairn_sched_done(cairn_sched *s, const cairn_sched_cfg *c, uint64_t now, int rc, cairn_sched_rand_fn rnd,
                      void *ud);
/* A probe found the remote reachable (1) or not (0) at `now`. Returns 1 when a round should run at once. */
int cairn_sched_reachable(cairn_sched *s, uint64_t now, int reachable);
/* The delay before retry number `failures` (>= 1), drawn with `rnd`. */
uint64_t cairn_sched_backoff(const cairn_sched_cfg *c, unsigned failures, cairn_sched_rand_fn rnd, void *ud);
/* The longest that delay can be (the step: min(cap, base * 2^(failures-1)), at least base). */
uint64_t cairn_sched_step(const cairn_sched_cfg *c, unsigned failures);

#endif
