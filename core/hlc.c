/*
 * hlc.c — hybrid logical clock: 48 bits of wall-clock milliseconds and a 16-bit counter.
 *
 * Invariants:
 *  1. Every value issued locally is greater than every value issued or observed before it.
 *  2. A remote value at most CAIRN_HLC_MAX_DRIFT_MS ahead of our wall clock advances our clock; one
 *     further ahead is still applied (its event is valid) but does not drag the clock into the future,
 *     so a device with a wrong date cannot make every later write in the team lose.
 */
#include "journal.h"

#include <time.h>

static cairn__clock_fn clock_fn;

void cairn__clock_set(cairn__clock_fn fn) { clock_fn = fn; }

uint64_t cairn__clock_ms(void)
{
	struct timespec ts;
	if (clock_fn)
		return clock_fn();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t pack(uint64_t ms, uint64_t c) { return (ms << 16) | (c & 0xffff); }

/* Bump the counter; on overflow borrow a millisecond (the clock stays monotonic). */
static uint64_t bump(uint64_t ms, uint64_t c) { return c >= 0xffff ? pack(ms + 1, 0) : pack(ms, c + 1); }

uint64_t cairn__hlc_tick(uint64_t last)
{
	uint64_t pt = cairn__clock_ms(), l = last >> 16, c = last & 0xffff;
	if (pt > l)
		return pack(pt, 0);
	return bump(l, c);
}

uint64_t cairn__hlc_observe(uint64_t last, uint64_t remote)
{
	if ((remote >> 16) > cairn__clock_ms() + CAIRN_HLC_MAX_DRIFT_MS)
		return last;                  /* invariant 2 */
	return remote > last ? remote : last; /* the next tick then exceeds both (invariant 1) */
}
