/*
 * event.c — event identity and content hashing.
 *
 * The content hash is BLAKE2b-256 over a length-prefixed encoding of every field, so no two different
 * events share an encoding. The same (device, seq) with another hash is a fork (journal.c).
 */
#include "crypto.h"
#include "journal.h"

#include <string.h>

static void put_u64(cairn__hash_state *st, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * (7 - i)));
	cairn__hash_update(st, b, 8);
}

static void put_str(cairn__hash_state *st, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put_u64(st, n);
	if (n)
		cairn__hash_update(st, s, n);
}

void cairn_event_hash(const cairn_event *ev, unsigned char out[32])
{
	cairn__hash_state st;
	cairn__hash_init(&st);
	cairn__hash_update(&st, "cairn-event-v1", 15);
	put_str(&st, ev->device);
	put_u64(&st, ev->seq);
	put_u64(&st, ev->hlc);
	put_str(&st, ev->kind);
	put_str(&st, ev->entity);
	put_str(&st, ev->body);
	put_u64(&st, (uint64_t)ev->schema);
	cairn__hash_final(&st, out);
}
