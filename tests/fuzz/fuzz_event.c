/*
 * fuzz_event.c — what an imported event's kind, entity and body go through (cairn_event_ingest, then the
 * apply function of its kind), under libFuzzer; linked with fuzz_main.c, a CTest over its corpus. Input
 * layout in fuzz_event.h.
 *
 * One journal (in /dev/shm when there is one) is made once; every input runs inside batches that are
 * rolled back, so nothing reaches the disk and each iteration starts from the same empty state. Beyond
 * "does not crash", the apply invariants of core/apply.c are checked, and a violation aborts:
 *  1. An event's fate does not depend on what was applied before it: every event that applies alone on
 *     an empty journal also applies after the others, in either order.
 *  2. Order independence: the events applied in input order and in reverse order give the same digest.
 *  3. Idempotence: ingesting them all again reports each as present (1) and leaves the digest unchanged.
 *  4. The clock is bounded: however far ahead the events' clocks are, the journal's clock stays within
 *     CAIRN_HLC_MAX_DRIFT_MS of the wall clock (core/hlc.c invariant 2).
 */
#include "fuzz_event.h"
#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WALL_MS 1700000000000ULL /* the fixed wall clock the journal sees */
#define KIND_MAX 64
#define BODY_MAX 8192

typedef struct {
	cairn_event ev[FUZZ_EVENT_MAX];
	char kind[FUZZ_EVENT_MAX][KIND_MAX + 1];
	char *body[FUZZ_EVENT_MAX];
	size_t n;
} events;

static cairn_journal *jr;
static char dir[64];

static void fail(const char *what, size_t i)
{
	fprintf(stderr, "fuzz_event: invariant broken: %s (event %zu)\n", what, i);
	abort();
}

static uint64_t fixed_clock(void) { return WALL_MS; }

static void cleanup(void)
{
	char cmd[128];
	cairn_journal_free(jr);
	jr = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && system(cmd) != 0)
		fprintf(stderr, "fuzz_event: could not remove %s\n", dir);
}

/* libFuzzer ends a timed run with _Exit, so atexit() cleanup does not run: remove what dead runs left. */
static void remove_stale(const char *base)
{
	char cmd[320];
	DIR *d = opendir(base);
	struct dirent *e;
	long pid;
	while (d && (e = readdir(d)))
		if (sscanf(e->d_name, "cairn-fuzz-event-%ld", &pid) == 1 && kill((pid_t)pid, 0) != 0 &&
		    errno == ESRCH) {
			snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", base, e->d_name);
			if (system(cmd) != 0)
				fprintf(stderr, "fuzz_event: could not remove %s/%s\n", base, e->d_name);
		}
	if (d)
		closedir(d);
}

static void setup(void)
{
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char jdir[96];
	remove_stale(base);
	snprintf(dir, sizeof(dir), "%s/cairn-fuzz-event-%ld", base, (long)getpid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		abort();
	atexit(cleanup);
	snprintf(jdir, sizeof(jdir), "%s/j", dir);
	o.kdf = CAIRN_KDF_MIN;
	cairn__clock_set(fixed_clock);
	if (cairn_journal_init(jdir, "fuzz", 4, &o) != 0 || cairn_journal_open(&jr, jdir, "fuzz", 4) != 0) {
		fprintf(stderr, "fuzz_event: cannot make a journal: %s\n", cairn_error_last());
		abort();
	}
}

/* A NUL-terminated field of at most `max` bytes at data[*pos]; the last may end at the end of input. */
static size_t field(const uint8_t *data, size_t size, size_t *pos, size_t max, int last_ok, int *ok)
{
	size_t start = *pos, n = 0;
	while (start + n < size && data[start + n] != 0)
		n++;
	*ok = n <= max && (start + n < size || last_ok);
	*pos = start + n + (start + n < size);
	return n;
}

static void parse(events *e, const uint8_t *data, size_t size)
{
	uint64_t hlc[FUZZ_EVENT_DEVICES], seq[FUZZ_EVENT_DEVICES] = {0};
	size_t pos = 0;
	for (int d = 0; d < FUZZ_EVENT_DEVICES; d++)
		hlc[d] = (WALL_MS - 3600 * 1000) << 16;
	e->n = 0;
	while (e->n < FUZZ_EVENT_MAX && pos + 2 < size) {
		size_t i = e->n, kn, kstart, bstart, bn;
		int d = data[pos] % FUZZ_EVENT_DEVICES, ent = (data[pos] >> 2) % FUZZ_EVENT_ENTITIES, ok;
		uint64_t step = data[pos + 1] == FUZZ_EVENT_FAR_AHEAD ? 48ULL * 3600 * 1000 : 1u + data[pos + 1];
		pos += 2;
		kstart = pos;
		kn = field(data, size, &pos, KIND_MAX, 0, &ok);
		if (!ok)
			break;
		bstart = pos;
		bn = field(data, size, &pos, BODY_MAX, 1, &ok);
		if (!ok)
			break;
		memcpy(e->kind[i], data + kstart, kn);
		e->kind[i][kn] = '\0';
		e->body[i] = malloc(bn + 1);
		if (!e->body[i])
			abort();
		memcpy(e->body[i], data + bstart, bn);
		e->body[i][bn] = '\0';
		hlc[d] += step << 16;
		e->ev[i] = (cairn_event){fuzz_event_devices[d],    ++seq[d],   hlc[d], e->kind[i],
		                         fuzz_event_entities[ent], e->body[i], 1,      {0}};
		cairn_event_hash(&e->ev[i], e->ev[i].hash);
		e->n++;
	}
}

static void digest(char hex[CAIRN_DIGEST_LEN])
{
	/* The search index is outside the digest, but its maintenance runs on every applied event. */
	if (cairn__fts_flush(jr) != 0 || cairn_digest(jr, hex) != 0) {
		fprintf(stderr, "fuzz_event: digest failed: %s\n", cairn_error_last());
		abort();
	}
}

static void begin(void)
{
	if (cairn_batch_begin(jr) != 0)
		abort();
}

static void rollback(void)
{
	if (cairn_batch_rollback(jr) != 0)
		abort();
}

static void check_clock(size_t i)
{
	if (CAIRN_HLC_MS(jr->hlc) > WALL_MS + CAIRN_HLC_MAX_DRIFT_MS)
		fail("a remote clock dragged the journal's clock past the drift bound", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	events e;
	int good[FUZZ_EVENT_MAX];
	char d1[CAIRN_DIGEST_LEN], d2[CAIRN_DIGEST_LEN];
	size_t ngood = 0;

	if (!jr)
		setup();
	parse(&e, data, size);

	/* Which events apply alone on the empty journal. */
	for (size_t i = 0; i < e.n; i++) {
		begin();
		good[i] = cairn_event_ingest(jr, &e.ev[i]) == 0;
		if (good[i] && cairn_event_ingest(jr, &e.ev[i]) != 1)
			fail("an event ingested twice is not reported as present", i);
		check_clock(i);
		ngood += good[i];
		rollback();
	}

	/* All of those, in input order, then again (invariants 1, 3, 4). */
	begin();
	for (size_t i = 0; i < e.n; i++)
		if (good[i] && cairn_event_ingest(jr, &e.ev[i]) != 0)
			fail("an event that applies alone failed after others (input order)", i);
	digest(d1);
	for (size_t i = 0; i < e.n; i++)
		if (good[i] && cairn_event_ingest(jr, &e.ev[i]) != 1)
			fail("an event ingested again is not reported as present", i);
	check_clock(e.n);
	digest(d2);
	if (strcmp(d1, d2) != 0)
		fail("ingesting the same events again changed the digest", e.n);
	rollback();

	/* Reverse order (invariants 1, 2). */
	if (ngood > 1) {
		begin();
		for (size_t i = e.n; i-- > 0;)
			if (good[i] && cairn_event_ingest(jr, &e.ev[i]) != 0)
				fail("an event that applies alone failed after others (reverse order)", i);
		digest(d2);
		if (strcmp(d1, d2) != 0)
			fail("the digest depends on the order events arrived in", e.n);
		rollback();
	}
	for (size_t i = 0; i < e.n; i++)
		free(e.body[i]);
	return 0;
}
