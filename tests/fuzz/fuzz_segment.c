/*
 * fuzz_segment.c — the segment decoder under libFuzzer, and (linked with fuzz_main.c) a CTest over its
 * corpus. Input layout in fuzz_segment.h.
 *
 * Beyond "does not crash", a decode that succeeds must be self-consistent (seqs, field bounds, content
 * hashes) and canonical: re-encoding decoded events gives back the very bytes that were parsed. A
 * violation aborts, which libFuzzer reports like a crash.
 */
#include "fuzz_segment.h"
#include "segment.h"
#include "segment_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fuzz_segment_device dev;

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_segment: invariant broken: %s\n", what);
	abort();
}

/* What every successful decode must satisfy. */
static void check_events(const cairn_segment_events *ev, const char *device, uint64_t first, uint64_t last)
{
	unsigned char h[32];
	if (ev->count != last - first + 1 || !ev->events || !ev->storage)
		fail("event count does not match the seq range");
	for (size_t i = 0; i < ev->count; i++) {
		const cairn_event *e = &ev->events[i];
		size_t kl = strlen(e->kind);
		if (e->seq != first + i || strcmp(e->device, device) != 0)
			fail("seq or device");
		if (kl < 1 || kl > CAIRN_SEGMENT_MAX_KIND || strlen(e->entity) != CAIRN_SEGMENT_ENTITY_BYTES ||
		    strlen(e->body) > CAIRN_SEGMENT_MAX_BODY || e->schema < 0 || e->schema > 65535)
			fail("field bounds");
		cairn_event_hash(e, h);
		if (memcmp(h, e->hash, 32) != 0)
			fail("content hash");
	}
}

/* Re-encode decoded events; `raw` (when given) must come back byte for byte. */
static void check_reencode(const cairn_segment_events *ev, uint64_t first, uint64_t last, const uint8_t *raw,
                           size_t rawlen)
{
	cairn_segment_header h;
	unsigned char *again = NULL;
	size_t n = 0;
	memset(&h, 0, sizeof(h));
	memcpy(h.device, dev.device, sizeof(h.device));
	memcpy(h.device_pk, dev.pk, 32);
	h.first_seq = first;
	h.last_seq = last;
	if (cairn__segment_serialize_events(&again, &n, &h, ev->events, ev->count) != 0)
		fail("decoded events do not re-encode");
	if (raw && (n != rawlen || memcmp(again, raw, n) != 0))
		fail("decoding is not canonical: re-encoding differs");
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cairn_segment_header h;
	cairn_segment_events ev;
	static int ready;

	if (!ready) {
		if (fuzz_segment_device_init(&dev) != 0)
			abort();
		ready = 1;
	}

	/* The whole input as a segment. Past verify only for inputs signed with a seed's key. */
	if (cairn_segment_verify(&h, data, size) == 0) {
		if (cairn_segment_open(&ev, &h, data, size, FUZZ_SEGMENT_TEAM_KEY) == 0) {
			check_events(&ev, h.device, h.first_seq, h.last_seq);
			cairn_segment_events_free(&ev);
		}
	} else if (cairn_segment_open(&ev, &h, data, size, FUZZ_SEGMENT_TEAM_KEY) == 0) {
		fail("open accepted what verify refused");
	}

	if (size >= FUZZ_SEGMENT_PREFIX && (data[0] == 'P' || data[0] == 'E')) {
		uint64_t first = be64(data + 1), last = be64(data + 9);
		const uint8_t *body = data + FUZZ_SEGMENT_PREFIX;
		size_t n = size - FUZZ_SEGMENT_PREFIX;
		int rc = data[0] == 'P' ? cairn__segment_decode_events(&ev, body, n, dev.device, first, last)
		                        : cairn__segment_parse_events(&ev, body, n, dev.device, first, last);
		if (rc == 0) {
			check_events(&ev, dev.device, first, last);
			check_reencode(&ev, first, last, data[0] == 'E' ? body : NULL, n);
			cairn_segment_events_free(&ev);
		} else if (ev.events || ev.count || ev.storage) {
			fail("a failed decode left events behind");
		}
	}
	return 0;
}
