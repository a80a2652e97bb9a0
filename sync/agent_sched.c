/* agent_sched.c — the agent's scheduling policy (see agent_sched.h for the state diagram). Pure. */
#include "agent_sched.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
/* Follow-up rounds never come closer than this, even with `debounce = 0` (no tight fetch loop). */
#define FOLLOWUP_MIN_MS 250

void cairn_sched_init(cairn_sched *s, uint64_t now)
{
	s->periodic_due = now;
	s->change_due = s->change_first = s->retry_due = s->round_started = s->forced = CAIRN_SCHED_NEVER;
	s->change_last = 0;
	s->failures = 0;
	s->reachable = -1;
	s->last_ok = s->last_attempt = s->followup_until = CAIRN_SCHED_NEVER;
	s->last_rc = 0;
}

uint64_t cairn_sched_due(const cairn_sched *s)
{
	if (s->retry_due != CAIRN_SCHED_NEVER)
		return MIN(s->retry_due, s->forced);
	return MIN(MIN(s->periodic_due, s->change_due), s->forced);
}

void cairn_sched_force(cairn_sched *s, uint64_t now)
{
	/* Strictly after a running round's start: that round may have sealed and fetched already. */
	s->forced = s->round_started != CAIRN_SCHED_NEVER && now <= s->round_started ? s->round_started + 1 : now;
}

void cairn_sched_change(cairn_sched *s, const cairn_sched_cfg *c, uint64_t now)
{
	if (s->change_first == CAIRN_SCHED_NEVER)
		s->change_first = now;
	s->change_last = now;
	/* Trailing debounce, bounded: a burst of writes syncs once, steady writing still syncs. */
	s->change_due = MIN(now + c->debounce_ms, s->change_first + 4 * c->debounce_ms);
}

void cairn_sched_start(cairn_sched *s, uint64_t now) { s->round_started = now; }

uint64_t cairn_sched_step(const cairn_sched_cfg *c, unsigned failures)
{
	uint64_t base = MAX(c->backoff_base_ms, 1), cap = MAX(c->backoff_cap_ms, base), b = base;
	unsigned i;

	for (i = 1; i < failures && b < cap; i++)
		b *= 2;
	return MIN(b, cap);
}

uint64_t cairn_sched_backoff(const cairn_sched_cfg *c, unsigned failures, cairn_sched_rand_fn rnd, void *ud)
{
	uint64_t base = MAX(c->backoff_base_ms, 1);
	return base + rnd(ud, cairn_sched_step(c, failures) - base);
}

void cairn_sched_done(cairn_sched *s, const cairn_sched_cfg *c, uint64_t now, int rc, cairn_sched_rand_fn rnd, void *ud)
{
	uint64_t stretch = c->interval_ms * MIN(c->jitter_pct, 100) / 100, started = s->round_started;

	s->last_attempt = now;
	s->last_rc = rc;
	/* A change made while the round ran may have missed its seal: it keeps a debounce of its own. */
	if (s->change_first != CAIRN_SCHED_NEVER) {
		if (s->change_last < s->round_started)
			s->change_first = s->change_due = CAIRN_SCHED_NEVER;
		else if (s->change_first < s->round_started)
			s->change_first = s->round_started;
	}
	if (s->forced != CAIRN_SCHED_NEVER && s->forced <= s->round_started)
		s->forced = CAIRN_SCHED_NEVER;
	s->round_started = CAIRN_SCHED_NEVER;
	if (rc == 0) {
		unsigned was_failing = s->failures;
		s->failures = 0;
		s->retry_due = CAIRN_SCHED_NEVER;
		s->reachable = 1;
		s->last_ok = now;
		s->periodic_due = now + c->interval_ms + rnd(ud, stretch);
		/* Back from an outage. The other devices were backing off too; each retries at most one step
		 * after the remote's return (the step this remote was at, capped: the largest they can still
		 * be waiting) and pushes its backlog in that round. Following up every debounce until a round
		 * starts a step after our recovery fetches each push at most one debounce (plus a round) after
		 * it lands: in all, within one debounce + one step of the return. The window counts from the
		 * end of our recovery round and is stretched by its length: the other's push round carries a
		 * backlog like ours, so its push lands that much after its retry starts. Bounded by the window;
		 * a follow-up that finds nothing new costs one fetch (no seal, no push). */
		if (was_failing)
			s->followup_until = now + cairn_sched_step(c, was_failing) + (now - MIN(started, now));
		if (s->followup_until != CAIRN_SCHED_NEVER && (was_failing || started < s->followup_until))
			s->periodic_due = MIN(s->periodic_due, now + MAX(c->debounce_ms, FOLLOWUP_MIN_MS));
		else
			s->followup_until = CAIRN_SCHED_NEVER;
		return;
	}
	s->followup_until = CAIRN_SCHED_NEVER; /* failing again: the next recovery opens its own window */
	s->failures++;
	s->retry_due = now + cairn_sched_backoff(c, s->failures, rnd, ud);
	s->periodic_due = now + c->interval_ms + rnd(ud, stretch);
}

int cairn_sched_reachable(cairn_sched *s, uint64_t now, int reachable)
{
	s->reachable = reachable;
	if (!reachable || s->retry_due == CAIRN_SCHED_NEVER)
		return 0;
	/* Backing off and the remote answers again (a link came up): do not wait out the delay. */
	s->retry_due = now;
	return 1;
}
