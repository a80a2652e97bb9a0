/*
 * test_sched.c — the agent's scheduling policy on a fake clock with a scripted random source: debounce,
 * jittered periodic rounds that never come early, exponential backoff with full jitter up to the cap,
 * connectivity cutting a backoff short, changes made during a round, and the follow-up rounds after a
 * recovery (their window, their interval, and that they end).
 */
#include "agent_sched.h"
#include "cairn.h"
#include "t.h"

/* The random source: returns `frac` of the upper bound (0 = lowest draw, 1000 = highest), and counts. */
struct rnd {
	unsigned frac; /* per mille */
	int calls;
};
static uint64_t draw(void *ud, uint64_t upper)
{
	struct rnd *r = ud;
	r->calls++;
	return upper * r->frac / 1000;
}

static const cairn_sched_cfg cfg = {2000, 300000, 20, 1000, 60000};

static void test_first_round_at_start(void)
{
	cairn_sched s;
	cairn_sched_init(&s, 5000);
	T_CHECK(cairn_sched_due(&s) == 5000);
}

static void test_periodic_jitter_never_early(void)
{
	struct rnd lo = {0, 0}, hi = {1000, 0};
	cairn_sched s;
	cairn_sched_init(&s, 0);
	cairn_sched_start(&s, 0);
	cairn_sched_done(&s, &cfg, 100, 0, draw, &lo);
	T_CHECK(cairn_sched_due(&s) == 100 + 300000);
	cairn_sched_start(&s, 300100);
	cairn_sched_done(&s, &cfg, 300200, 0, draw, &hi);
	T_CHECK(cairn_sched_due(&s) == 300200 + 300000 + 60000); /* 20 % stretch, never a shortening */
	T_CHECK(s.last_ok == 300200 && s.failures == 0 && s.reachable == 1);
}

static void test_debounce(void)
{
	struct rnd r = {0, 0};
	cairn_sched s;
	cairn_sched_init(&s, 0);
	cairn_sched_start(&s, 0);
	cairn_sched_done(&s, &cfg, 10, 0, draw, &r);
	cairn_sched_change(&s, &cfg, 1000);
	T_CHECK(cairn_sched_due(&s) == 3000);
	cairn_sched_change(&s, &cfg, 2500); /* a burst moves it on */
	T_CHECK(cairn_sched_due(&s) == 4500);
	for (uint64_t t = 4000; t <= 8500; t += 500) /* steady writing: no later than 4 debounces */
		cairn_sched_change(&s, &cfg, t);
	T_CHECK(cairn_sched_due(&s) == 1000 + 4 * 2000);
	cairn_sched_start(&s, 9000);
	cairn_sched_done(&s, &cfg, 9500, 0, draw, &r);
	T_CHECK(cairn_sched_due(&s) == 9500 + 300000); /* the change was covered */
}

static void test_change_during_round_kept(void)
{
	struct rnd r = {0, 0};
	cairn_sched s;
	cairn_sched_init(&s, 0);
	cairn_sched_change(&s, &cfg, 0);
	cairn_sched_start(&s, 2000);
	cairn_sched_change(&s, &cfg, 2500); /* after the seal */
	cairn_sched_done(&s, &cfg, 3000, 0, draw, &r);
	T_CHECK(cairn_sched_due(&s) == 4500);
	T_CHECK(s.change_first == 2000);
}

static void test_backoff_doubles_to_cap(void)
{
	struct rnd hi = {1000, 0}, lo = {0, 0};
	uint64_t want[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		T_CHECK(cairn_sched_backoff(&cfg, i + 1, draw, &hi) == want[i]);
	for (unsigned i = 1; i < 20; i++) /* full jitter: the floor is the base delay */
		T_CHECK(cairn_sched_backoff(&cfg, i, draw, &lo) == 1000);
}

static void test_failure_then_recovery(void)
{
	struct rnd half = {500, 0};
	cairn_sched s;
	cairn_sched_init(&s, 0);
	cairn_sched_start(&s, 0);
	cairn_sched_done(&s, &cfg, 100, CAIRN_EOFFLINE, draw, &half);
	T_CHECK(s.failures == 1 && cairn_sched_due(&s) == 100 + 1000);
	cairn_sched_change(&s, &cfg, 200); /* offline: a change does not bring the retry forward */
	T_CHECK(cairn_sched_due(&s) == 1100);
	cairn_sched_start(&s, 1100);
	cairn_sched_done(&s, &cfg, 1200, CAIRN_EOFFLINE, draw, &half);
	T_CHECK(s.failures == 2 && cairn_sched_due(&s) == 1200 + 1500);
	T_CHECK(s.last_rc == CAIRN_EOFFLINE && s.last_ok == CAIRN_SCHED_NEVER);
	/* The link comes back: at once. */
	T_CHECK(cairn_sched_reachable(&s, 1300, 1) == 1);
	T_CHECK(cairn_sched_due(&s) == 1300);
	cairn_sched_start(&s, 1300);
	cairn_sched_done(&s, &cfg, 1400, 0, draw, &half);
	T_CHECK(s.failures == 0 && s.retry_due == CAIRN_SCHED_NEVER);
	/* Two failures: the step was 2 s (+ the 100 ms round), about a debounce; two follow-ups cover it. */
	T_CHECK(s.followup_until == 1400 + 2000 + 100 && cairn_sched_due(&s) == 1400 + 2000);
	cairn_sched_start(&s, 3400);
	cairn_sched_done(&s, &cfg, 3500, 0, draw, &half);
	T_CHECK(s.followup_until == 3500 && cairn_sched_due(&s) == 3500 + 2000);
	cairn_sched_start(&s, 5500); /* starts after the window: the last one */
	cairn_sched_done(&s, &cfg, 5600, 0, draw, &half);
	T_CHECK(s.followup_until == CAIRN_SCHED_NEVER);
	T_CHECK(cairn_sched_due(&s) == 5600 + 300000 + 30000); /* then the periodic round again */
	/* Healthy and reachable again: no extra round. */
	T_CHECK(cairn_sched_reachable(&s, 1500, 1) == 0);
	T_CHECK(cairn_sched_reachable(&s, 1600, 0) == 0 && s.reachable == 0);
}

/* Fail `n` rounds in a row from `t` (rounds take 100 ms, retries at their due time); returns the clock. */
static uint64_t fail_rounds(cairn_sched *s, uint64_t t, unsigned n, struct rnd *r)
{
	for (unsigned i = 0; i < n; i++) {
		t = cairn_sched_due(s) > t ? cairn_sched_due(s) : t;
		cairn_sched_start(s, t);
		cairn_sched_done(s, &cfg, t + 100, CAIRN_EOFFLINE, draw, r);
		t += 100;
	}
	return t;
}

/* Recovering from an outage at the cap: a follow-up round every debounce for one capped step, then the
 * periodic schedule. Each round takes 100 ms. */
static void test_recovery_followups_at_cap(void)
{
	struct rnd hi = {1000, 0};
	cairn_sched s;
	uint64_t t, end, last_start = 0;
	int followups = 0;
	cairn_sched_init(&s, 0);
	t = fail_rounds(&s, 0, 9, &hi);
	T_CHECK(s.failures == 9 && cairn_sched_step(&cfg, 9) == 60000);
	t = cairn_sched_due(&s);
	cairn_sched_start(&s, t);
	end = t + 100;
	cairn_sched_done(&s, &cfg, end, 0, draw, &hi);
	T_CHECK(s.failures == 0 && s.followup_until == end + 60000 + 100); /* + the round's length */
	/* The window: follow-ups one debounce after each round ends, until one starts a step after the
	 * recovery; none comes early, none is skipped. */
	for (t = end; cairn_sched_due(&s) < t + 300000; followups++) {
		uint64_t due = cairn_sched_due(&s);
		T_CHECK(due == t + 2000);
		T_CHECK(s.reachable == 1 && cairn_sched_reachable(&s, due - 1, 1) == 0); /* no retry regime */
		cairn_sched_start(&s, due);
		last_start = due;
		t = due + 100;
		cairn_sched_done(&s, &cfg, t, 0, draw, &hi);
		T_CHECK(followups < 100);
	}
	/* It ends: the last follow-up started at or after the window's end (so it fetched whatever landed
	 * within the step), the one before inside it, and the next round is the periodic one. */
	T_CHECK(last_start >= end + 60100 && last_start - 2100 < end + 60100);
	T_CHECK(followups == 29); /* 2000 + 2100 k >= 60100 from k = 28 */
	T_CHECK(s.followup_until == CAIRN_SCHED_NEVER);
	T_CHECK(cairn_sched_due(&s) == t + 300000 + 60000);
	/* A healthy round later opens no window. */
	cairn_sched_start(&s, cairn_sched_due(&s));
	t = cairn_sched_due(&s) + 100;
	cairn_sched_done(&s, &cfg, t, 0, draw, &hi);
	T_CHECK(s.followup_until == CAIRN_SCHED_NEVER && cairn_sched_due(&s) == t + 300000 + 60000);
}

/* The window is the step this remote was at (below the cap: shorter); a failure inside it closes it and
 * the next recovery opens its own; a local change inside it still syncs a debounce after the change. */
static void test_recovery_window_follows_step(void)
{
	struct rnd lo = {0, 0};
	cairn_sched s;
	uint64_t t;
	cairn_sched_init(&s, 0);
	t = fail_rounds(&s, 0, 4, &lo); /* step 8 s */
	t = cairn_sched_due(&s) > t ? cairn_sched_due(&s) : t;
	cairn_sched_start(&s, t);
	cairn_sched_done(&s, &cfg, t + 100, 0, draw, &lo);
	t += 100;
	T_CHECK(s.followup_until == t + 8100 && cairn_sched_due(&s) == t + 2000);
	cairn_sched_change(&s, &cfg, t + 500); /* a change inside the window: the follow-up covers it */
	T_CHECK(cairn_sched_due(&s) == t + 2000);
	cairn_sched_start(&s, t + 2000);
	cairn_sched_done(&s, &cfg, t + 2100, CAIRN_EOFFLINE, draw, &lo); /* down again */
	T_CHECK(s.followup_until == CAIRN_SCHED_NEVER && s.failures == 1 && cairn_sched_due(&s) == t + 3100);
	t += 3100;
	cairn_sched_start(&s, t);
	cairn_sched_done(&s, &cfg, t + 100, 0, draw, &lo); /* back after one failure: a 1 s step */
	t += 100;
	T_CHECK(s.followup_until == t + 1100 && cairn_sched_due(&s) == t + 2000);
	cairn_sched_start(&s, t + 2000);
	cairn_sched_done(&s, &cfg, t + 2100, 0, draw, &lo);
	T_CHECK(s.followup_until == CAIRN_SCHED_NEVER && cairn_sched_due(&s) == t + 2100 + 300000);
}

/* `debounce = 0` does not turn the window into a tight fetch loop. */
static void test_recovery_zero_debounce(void)
{
	static const cairn_sched_cfg c0 = {0, 300000, 0, 1000, 4000};
	struct rnd lo = {0, 0};
	cairn_sched s;
	cairn_sched_init(&s, 0);
	cairn_sched_start(&s, 0);
	cairn_sched_done(&s, &c0, 10, CAIRN_EOFFLINE, draw, &lo);
	cairn_sched_start(&s, 1010);
	cairn_sched_done(&s, &c0, 1020, 0, draw, &lo);
	T_CHECK(s.followup_until == 1020 + 1000 + 10 && cairn_sched_due(&s) == 1020 + 250);
}

static void test_force(void)
{
	struct rnd r = {0, 0};
	cairn_sched s;
	cairn_sched_init(&s, 0);
	cairn_sched_start(&s, 0);
	cairn_sched_force(&s, 50); /* during a round: that round does not count */
	cairn_sched_done(&s, &cfg, 100, 0, draw, &r);
	T_CHECK(cairn_sched_due(&s) == 50);
	cairn_sched_start(&s, 100);
	cairn_sched_done(&s, &cfg, 200, CAIRN_EOFFLINE, draw, &r);
	T_CHECK(cairn_sched_due(&s) == 200 + 1000); /* served: back to the backoff */
	cairn_sched_force(&s, 300);                 /* even while backing off */
	T_CHECK(cairn_sched_due(&s) == 300);
}

int main(void)
{
	T_RUN(test_first_round_at_start);
	T_RUN(test_periodic_jitter_never_early);
	T_RUN(test_debounce);
	T_RUN(test_change_during_round_kept);
	T_RUN(test_backoff_doubles_to_cap);
	T_RUN(test_failure_then_recovery);
	T_RUN(test_recovery_followups_at_cap);
	T_RUN(test_recovery_window_follows_step);
	T_RUN(test_recovery_zero_debounce);
	T_RUN(test_force);
	T_END();
}
