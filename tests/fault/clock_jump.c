/*
 * clock_jump.c — wall clocks that jump by days, in either direction (the HLC rules of core/hlc.c, stated
 * in docs/formats.md "Clock"):
 *  1. A local clock that jumps back three days: every later event still gets a greater HLC (also after
 *     the journal is closed and reopened), so nothing the device writes sorts before what it wrote.
 *  2. A remote device whose clock is two days ahead: its event is stored and applied (nothing lost), but
 *     does not drag this journal's clock (it stays within CAIRN_HLC_MAX_DRIFT_MS, 24 h, of the wall
 *     clock). A later write here that has seen the future value replaces it, on both devices, although
 *     its HLC is smaller: the register's order is "seen", not time. Digests then agree.
 *  3. A remote clock one hour ahead (within the bound) does advance this journal's clock: the next local
 *     event sorts after it.
 * The wall clock is the test seam cairn__clock_set(); journals are real, in a temporary directory.
 */
#include "cairn.h"
#include "journal.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY (24ULL * 3600 * 1000)
#define T0 1800000000000ULL /* ms: 2027-01-15 */

static uint64_t now_ms = T0;

static uint64_t test_clock(void) { return now_ms; }

static char base[] = "/tmp/cairn-clock-XXXXXX";

static cairn_journal *make(const char *name)
{
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_journal *j = NULL;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/%s", base, name);
	o.kdf = CAIRN_KDF_MIN;
	if (cairn_journal_init(dir, "clock", 5, &o) != 0 || cairn_journal_open(&j, dir, "clock", 5) != 0) {
		fprintf(stderr, "clock_jump: %s\n", cairn_error_last());
		exit(1);
	}
	return j;
}

static cairn_journal *reopen(cairn_journal *j)
{
	char dir[128];
	snprintf(dir, sizeof(dir), "%s", cairn_journal_dir(j));
	cairn_journal_free(j);
	if (cairn_journal_open(&j, dir, "clock", 5) != 0) {
		fprintf(stderr, "clock_jump: %s\n", cairn_error_last());
		exit(1);
	}
	return j;
}

static int last_cb(const cairn_event *ev, void *ud)
{
	*(uint64_t *)ud = ev->hlc;
	return 0;
}

/* The HLC of the newest event `j` wrote itself. */
static uint64_t last_hlc(cairn_journal *j)
{
	uint64_t h = 0;
	cairn_events_foreach(j, cairn_journal_device(j), 1, 0, last_cb, &h);
	return h;
}

typedef struct {
	cairn_journal *to;
	int applied, failed;
} copy_ctx;

static int copy_cb(const cairn_event *ev, void *ud)
{
	copy_ctx *c = ud;
	int rc = cairn_event_ingest(c->to, ev);
	c->applied += rc == 0;
	c->failed += rc < 0;
	return 0;
}

/* What a sync does with the events: every event of `from` that `to` lacks is ingested. */
static int copy_events(cairn_journal *from, cairn_journal *to)
{
	copy_ctx c = {to, 0, 0};
	cairn_events_foreach(from, NULL, 1, 0, copy_cb, &c);
	T_CHECKF(c.failed == 0, "%d events failed to ingest: %s", c.failed, cairn_error_last());
	return c.applied;
}

static int shows(cairn_journal *j, const char *id, const char *needle)
{
	char *out = NULL;
	int found = cairn_contact_show(j, id, &out) == 0 && strstr(out, needle) != NULL;
	cairn_free(out);
	return found;
}

static void local_clock_jumps_back(void)
{
	cairn_journal *a = make("back");
	uint64_t h1, h2, h3;
	now_ms = T0;
	T_CHECKF(cairn_contact_set(a, NULL, "{\"name\":\"Before the jump\"}", NULL) == 0, "%s", cairn_error_last());
	h1 = last_hlc(a);
	now_ms = T0 - 3 * DAY;
	T_CHECKF(cairn_contact_set(a, NULL, "{\"name\":\"After the jump\"}", NULL) == 0, "%s", cairn_error_last());
	h2 = last_hlc(a);
	T_CHECKF(h2 > h1, "a clock 3 days back gave an earlier hlc (%llx after %llx)", (unsigned long long)h2,
	         (unsigned long long)h1);
	T_CHECKF(CAIRN_HLC_MS(h2) == CAIRN_HLC_MS(h1), "the hlc's time moved back with the wall clock");
	a = reopen(a);
	T_CHECKF(cairn_contact_set(a, NULL, "{\"name\":\"After reopening\"}", NULL) == 0, "%s", cairn_error_last());
	h3 = last_hlc(a);
	T_CHECKF(h3 > h2, "after reopening, the hlc went back (%llx after %llx)", (unsigned long long)h3,
	         (unsigned long long)h2);
	now_ms = T0 + 1000; /* the clock is fixed: wall time leads again */
	T_CHECKF(cairn_contact_set(a, NULL, "{\"name\":\"Clock fixed\"}", NULL) == 0, "%s", cairn_error_last());
	T_CHECKF(CAIRN_HLC_MS(last_hlc(a)) == T0 + 1000, "once the wall clock passes the hlc, the hlc follows it");
	cairn_journal_free(a);
}

static void remote_clock_days_ahead(void)
{
	cairn_journal *a = make("a"), *b = make("b");
	char id[CAIRN_ID_LEN], da[CAIRN_DIGEST_LEN], db[CAIRN_DIGEST_LEN], fields[120];
	uint64_t future, h;

	now_ms = T0;
	T_CHECKF(cairn_contact_set(a, NULL, "{\"name\":\"Kit Clock\",\"phone\":\"555-0001\"}", id) == 0, "%s",
	         cairn_error_last());
	copy_events(a, b);

	/* b's clock is two days ahead. */
	now_ms = T0 + 2 * DAY;
	T_CHECKF(cairn_contact_set(b, id, "{\"phone\":\"555-FUTURE\"}", NULL) == 0, "%s", cairn_error_last());
	future = last_hlc(b);

	now_ms = T0 + 60 * 1000;
	T_CHECKF(copy_events(b, a) == 1, "the event from the future was not applied");
	T_CHECKF(shows(a, id, "555-FUTURE"), "the future value is not shown");
	T_CHECKF(CAIRN_HLC_MS(a->hlc) <= now_ms + CAIRN_HLC_MAX_DRIFT_MS, "the remote clock dragged ours past 24 h");
	snprintf(fields, sizeof(fields), "{\"phone\":\"555-NOW\"}");
	T_CHECKF(cairn_contact_set(a, id, fields, NULL) == 0, "%s", cairn_error_last());
	h = last_hlc(a);
	T_CHECKF(h < future, "the local clock was dragged two days ahead (%llx vs %llx)", (unsigned long long)h,
	         (unsigned long long)future);
	T_CHECKF(CAIRN_HLC_MS(h) == now_ms, "the local hlc left the wall clock");
	/* A write that saw the future value replaces it, everywhere, without a conflict. */
	T_CHECKF(shows(a, id, "555-NOW") && !shows(a, id, "555-FUTURE"), "a's later decision did not win on a");
	copy_events(a, b);
	T_CHECKF(shows(b, id, "555-NOW") && !shows(b, id, "555-FUTURE"), "a's later decision did not win on b");
	T_CHECKF(cairn_digest(a, da) == 0 && cairn_digest(b, db) == 0 && !strcmp(da, db), "digests differ");
	cairn_journal_free(a);
	cairn_journal_free(b);
}

static void remote_clock_within_bound(void)
{
	cairn_journal *a = make("a2"), *b = make("b2");
	uint64_t ahead;
	now_ms = T0 + 3600 * 1000;
	T_CHECKF(cairn_contact_set(b, NULL, "{\"name\":\"An hour ahead\"}", NULL) == 0, "%s", cairn_error_last());
	ahead = last_hlc(b);
	now_ms = T0;
	T_CHECKF(copy_events(b, a) == 1, "the event was not applied");
	T_CHECKF(cairn_contact_set(a, NULL, "{\"name\":\"Local\"}", NULL) == 0, "%s", cairn_error_last());
	T_CHECKF(last_hlc(a) > ahead, "a remote clock an hour ahead did not advance ours");
	cairn_journal_free(a);
	cairn_journal_free(b);
}

int main(void)
{
	char cmd[64];
	if (!mkdtemp(base))
		return 1;
	cairn__clock_set(test_clock);
	T_RUN(local_clock_jumps_back);
	T_RUN(remote_clock_days_ahead);
	T_RUN(remote_clock_within_bound);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "clock_jump: could not remove %s\n", base);
	T_END();
}
