/*
 * test_segment.c — the segment codec: round trips, and that every kind of damage or forgery is refused
 * with the right code and never yields events. Malformed contents are sealed under valid signatures and
 * the right key through segment_internal.h, so the decoder itself (not the AEAD) is what refuses them.
 */
#include "t.h"
#include "cairn.h"
#include "segment.h"
#include "segment_internal.h"

#include <sodium.h>
#include <stdint.h>
#include <zstd.h>

static const unsigned char team_key[32] = "segment-test-team-key-32-bytes!";

typedef struct {
	unsigned char pk[32], sk[64];
	char device[CAIRN_DEVICE_LEN];
} device_keys;

static device_keys dev_a, dev_b;

static void keys_from_seed(device_keys *d, unsigned char seed_byte)
{
	unsigned char seed[32], h[32];
	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(d->pk, d->sk, seed);
	crypto_generichash(h, 32, d->pk, 32, NULL, 0);
	sodium_bin2hex(d->device, sizeof(d->device), h, 8);
}

static int sign_with(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	const device_keys *d = ud;
	return crypto_sign_detached(sig, NULL, m, n, d->sk);
}

static void header_for(cairn_segment_header *h, const device_keys *d, uint64_t first, uint64_t last)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->team, "team-0123456789a", CAIRN_TEAM_ID_BYTES);
	h->epoch = 7;
	memcpy(h->device, d->device, sizeof(h->device));
	memcpy(h->device_pk, d->pk, 32);
	h->first_seq = first;
	h->last_seq = last;
	for (int i = 0; i < 32; i++)
		h->prev[i] = (unsigned char)(0xa0 + i);
}

/* A batch of events whose strings the batch owns. */
typedef struct {
	cairn_event *ev;
	char **strings;
	size_t n;
} batch;

static void batch_free(batch *b)
{
	for (size_t i = 0; i < 3 * b->n; i++)
		free(b->strings[i]);
	free(b->strings);
	free(b->ev);
	memset(b, 0, sizeof(*b));
}

/* Body of event i: mostly small JSON, some large (`big` bytes) and some with random (incompressible) text. */
static char *body_for(size_t i, size_t big)
{
	size_t n = (big && i % 100 == 7) ? big : 20 + (i * 37) % 300;
	char *s = malloc(n + 1);
	unsigned char r[8];
	size_t off = (size_t)snprintf(s, n + 1, "{\"note\":\"%zu ", i);
	for (size_t k = off; k + 2 < n; k++) {
		if (i % 3 == 0) {
			randombytes_buf(r, 1);
			s[k] = "abcdefghijklmnopqrstuvwxyz0123456789 "[r[0] % 37];
		} else {
			s[k] = (char)('a' + (k + i) % 26);
		}
	}
	if (n >= off + 2) {
		s[n - 2] = '"';
		s[n - 1] = '}';
	}
	s[n] = '\0';
	return s;
}

static int batch_make(batch *b, const char *device, uint64_t first, size_t n, size_t big)
{
	static const char *kinds[] = {"contact.set", "note.add", "referral.status", "x_1-2.y"};
	memset(b, 0, sizeof(*b));
	b->ev = calloc(n, sizeof(cairn_event));
	b->strings = calloc(3 * n, sizeof(char *));
	b->n = n;
	if (!b->ev || !b->strings)
		return -1;
	for (size_t i = 0; i < n; i++) {
		cairn_event *e = &b->ev[i];
		char *entity = malloc(37), *kind = strdup(kinds[i % 4]);
		snprintf(entity, 37, "0190%04x-aaaa-7bbb-8ccc-%012x", (unsigned)(i % 0x10000),
		         (unsigned)(i & 0xffffff));
		b->strings[3 * i] = kind;
		b->strings[3 * i + 1] = entity;
		b->strings[3 * i + 2] = body_for(i, big);
		e->device = device;
		e->seq = first + i;
		e->hlc = ((uint64_t)1700000000000 + i) << 16 | (i & 0xffff);
		e->kind = kind;
		e->entity = entity;
		e->body = b->strings[3 * i + 2];
		e->schema = (int)(i % 3) + 1;
		cairn_event_hash(e, e->hash);
	}
	return 0;
}

static int encode_batch(unsigned char **seg, size_t *len, const device_keys *d, const batch *b, uint64_t first)
{
	cairn_segment_header h;
	header_for(&h, d, first, first + b->n - 1);
	return cairn_segment_encode(seg, len, &h, b->ev, b->n, team_key, sign_with, (void *)d);
}

static void resign(unsigned char *seg, size_t len, const device_keys *d)
{
	crypto_sign_detached(seg + len - 64, NULL, seg, len - 64, d->sk);
}

/* open must fail with `want` and hand back nothing. */
static int open_fails(const unsigned char *seg, size_t len, int want)
{
	cairn_segment_events ev;
	cairn_segment_header h;
	int rc = cairn_segment_open(&ev, &h, seg, len, team_key);
	int ok = rc == want && ev.events == NULL && ev.count == 0 && ev.storage == NULL;
	if (!ok)
		fprintf(stderr, "  open returned %d (want %d): %s\n", rc, want, cairn_error_last());
	cairn_segment_events_free(&ev);
	return ok;
}

/* ---------------------------------------------------------------------------------------------- */

static void roundtrip(size_t n, size_t big)
{
	batch b;
	unsigned char *seg = NULL;
	size_t len = 0;
	cairn_segment_header in, h, hv;
	cairn_segment_events out;

	T_REQUIRE(batch_make(&b, dev_a.device, 41, n, big) == 0);
	header_for(&in, &dev_a, 41, 41 + n - 1);
	T_OK(cairn_segment_encode(&seg, &len, &in, b.ev, b.n, team_key, sign_with, &dev_a));
	T_CHECK(len >= CAIRN_SEGMENT_HEADER_BYTES + 16 + 256 + 64);

	T_CHECK(cairn_segment_verify(&hv, seg, len) == 0);
	T_CHECK(cairn_segment_open(&out, &h, seg, len, team_key) == 0);
	T_CHECK(!memcmp(&h, &in, sizeof(h)));
	T_CHECK(!memcmp(&hv, &in, sizeof(hv)));
	T_CHECK(out.count == n);
	for (size_t i = 0; i < n && i < out.count; i++) {
		const cairn_event *a = &b.ev[i], *e = &out.events[i];
		T_CHECK(!strcmp(e->device, dev_a.device));
		T_CHECK(e->seq == a->seq && e->hlc == a->hlc && e->schema == a->schema);
		T_CHECK(!strcmp(e->kind, a->kind) && !strcmp(e->entity, a->entity) && !strcmp(e->body, a->body));
		T_CHECK(!memcmp(e->hash, a->hash, 32));
	}
	cairn_segment_events_free(&out);
	T_CHECK(out.events == NULL && out.count == 0 && out.storage == NULL);
	cairn_segment_events_free(&out); /* twice is fine */
	cairn_segment_events_free(NULL);
	free(seg);
	batch_free(&b);
}

static void test_roundtrip_1(void) { roundtrip(1, 0); }
static void test_roundtrip_2(void) { roundtrip(2, 0); }
static void test_roundtrip_1000_with_100k_bodies(void) { roundtrip(1000, 100 * 1024); }

static void test_roundtrip_edge_fields(void)
{
	/* Empty body, 64-byte kind, schema 0 and 65535, hlc and seq at their extremes. */
	static char kind64[65];
	cairn_event e[2];
	cairn_segment_header h, ho;
	cairn_segment_events out;
	unsigned char *seg;
	size_t len;
	memset(kind64, 'z', 64);
	memset(e, 0, sizeof(e));
	for (int i = 0; i < 2; i++) {
		e[i].device = dev_a.device;
		e[i].seq = UINT64_MAX - 1 + (uint64_t)i;
		e[i].hlc = i ? UINT64_MAX : 0;
		e[i].kind = i ? kind64 : "a";
		e[i].entity = "00000000-0000-0000-0000-000000000000";
		e[i].body = i ? "{}" : "";
		e[i].schema = i ? 65535 : 0;
		cairn_event_hash(&e[i], e[i].hash);
	}
	header_for(&h, &dev_a, UINT64_MAX - 1, UINT64_MAX);
	T_OK(cairn_segment_encode(&seg, &len, &h, e, 2, team_key, sign_with, &dev_a));
	T_OK(cairn_segment_open(&out, &ho, seg, len, team_key));
	T_CHECK(out.count == 2);
	T_CHECK(out.events[0].body[0] == '\0' && out.events[1].schema == 65535 && out.events[1].hlc == UINT64_MAX);
	T_CHECK(strlen(out.events[1].kind) == 64);
	cairn_segment_events_free(&out);
	free(seg);
}

static void test_hash_is_blake2b_of_bytes(void)
{
	batch b;
	unsigned char *seg, h1[32], h2[32];
	size_t len;
	T_REQUIRE(batch_make(&b, dev_a.device, 1, 3, 0) == 0);
	T_OK(encode_batch(&seg, &len, &dev_a, &b, 1));
	cairn_segment_hash(seg, len, h1);
	crypto_generichash(h2, 32, seg, len, NULL, 0);
	T_CHECK(!memcmp(h1, h2, 32));
	free(seg);
	batch_free(&b);
}

static void test_nonce_is_fresh(void)
{
	batch b;
	unsigned char *s1, *s2;
	size_t l1, l2;
	T_REQUIRE(batch_make(&b, dev_a.device, 1, 2, 0) == 0);
	T_OK(encode_batch(&s1, &l1, &dev_a, &b, 1));
	T_OK(encode_batch(&s2, &l2, &dev_a, &b, 1));
	T_CHECK(l1 == l2);
	T_CHECK(memcmp(s1 + 120, s2 + 120, 24) != 0);
	T_CHECK(memcmp(s1 + 148, s2 + 148, l1 - 148) != 0);
	free(s1);
	free(s2);
	batch_free(&b);
}

static void test_wrong_team_key(void)
{
	batch b;
	unsigned char *seg, key2[32];
	size_t len;
	cairn_segment_events out;
	cairn_segment_header h;
	T_REQUIRE(batch_make(&b, dev_a.device, 1, 5, 0) == 0);
	T_OK(encode_batch(&seg, &len, &dev_a, &b, 1));
	memcpy(key2, team_key, 32);
	key2[31] ^= 1;
	memset(&h, 0, sizeof(h));
	T_CHECK(cairn_segment_open(&out, &h, seg, len, key2) == CAIRN_ETAMPER);
	T_CHECK(out.events == NULL && out.count == 0);
	T_CHECK(!strcmp(h.device, dev_a.device) && h.first_seq == 1 && h.last_seq == 5); /* names the segment */
	T_CHECK(strstr(cairn_error_last(), dev_a.device) != NULL);
	T_CHECK(cairn_segment_verify(&h, seg, len) == 0); /* a relay without the key still accepts it */
	free(seg);
	batch_free(&b);
}

/* A segment of about 2 KB: flip every byte (xor 1) and check nothing decodes. */
static void test_every_byte_flip_detected(void)
{
	batch b;
	unsigned char *seg, *copy;
	size_t len, detected = 0, by_verify = 0;
	T_REQUIRE(batch_make(&b, dev_a.device, 10, 28, 0) == 0);
	T_OK(encode_batch(&seg, &len, &dev_a, &b, 10));
	fprintf(stderr, "  segment of %zu bytes\n", len);
	T_CHECK(len >= 1500 && len <= 2600);
	copy = malloc(len);
	for (size_t i = 0; i < len; i++) {
		cairn_segment_header h;
		cairn_segment_events out;
		int rv, ro;
		memcpy(copy, seg, len);
		copy[i] ^= 0x01;
		rv = cairn_segment_verify(&h, copy, len);
		ro = cairn_segment_open(&out, &h, copy, len, team_key);
		if (rv != 0)
			by_verify++;
		if (ro < 0 && out.events == NULL && out.count == 0)
			detected++;
		else
			fprintf(stderr, "  flip at byte %zu not detected (verify %d, open %d)\n", i, rv, ro);
		cairn_segment_events_free(&out);
	}
	fprintf(stderr, "  %zu of %zu flips detected, %zu by verify alone\n", detected, len, by_verify);
	T_CHECK(detected == len);
	T_CHECK(by_verify == len); /* the signature covers every byte */
	free(copy);
	free(seg);
	batch_free(&b);
}

/*
 * The same flips made by the device itself (flip, then sign again): the signature is then valid, so what
 * must catch a flipped header byte is the AEAD's associated data, and a flipped ciphertext byte its tag.
 */
static void test_every_byte_flip_resigned_detected(void)
{
	batch b;
	unsigned char *seg, *copy;
	size_t len, detected = 0;
	T_REQUIRE(batch_make(&b, dev_a.device, 10, 28, 0) == 0);
	T_OK(encode_batch(&seg, &len, &dev_a, &b, 10));
	copy = malloc(len);
	for (size_t i = 0; i < len - 64; i++) {
		cairn_segment_header h;
		cairn_segment_events out;
		int ro;
		memcpy(copy, seg, len);
		copy[i] ^= 0x01;
		resign(copy, len, &dev_a);
		ro = cairn_segment_open(&out, &h, copy, len, team_key);
		if (ro < 0 && out.events == NULL && out.count == 0)
			detected++;
		else
			fprintf(stderr, "  re-signed flip at byte %zu not detected (open %d)\n", i, ro);
		cairn_segment_events_free(&out);
	}
	T_CHECK(detected == len - 64);
	free(copy);
	free(seg);
	batch_free(&b);
}

static void test_truncation_and_extension(void)
{
	batch b;
	unsigned char *seg, *longer;
	size_t len, bad = 0;
	cairn_segment_header h;
	T_REQUIRE(batch_make(&b, dev_a.device, 1, 9, 0) == 0);
	T_OK(encode_batch(&seg, &len, &dev_a, &b, 1));
	for (size_t n = 0; n < len; n++) {
		unsigned char *cut = malloc(n ? n : 1); /* exactly n bytes: ASan/valgrind catch overreads */
		memcpy(cut, seg, n);
		if (cairn_segment_verify(&h, cut, n) < 0 && open_fails(cut, n, cairn_segment_verify(&h, cut, n)))
			bad++;
		free(cut);
	}
	T_CHECK(bad == len);
	longer = malloc(len + 1);
	memcpy(longer, seg, len);
	longer[len] = 0;
	T_CHECK(cairn_segment_verify(&h, longer, len + 1) == CAIRN_ECORRUPT);
	T_CHECK(cairn_segment_verify(&h, NULL, 0) == CAIRN_ECORRUPT);
	free(longer);
	free(seg);
	batch_free(&b);
}

static void test_other_key_claiming_device(void)
{
	batch b;
	unsigned char *seg;
	size_t len;
	cairn_segment_header h;
	T_REQUIRE(batch_make(&b, dev_a.device, 1, 4, 0) == 0);
	T_OK(encode_batch(&seg, &len, &dev_a, &b, 1));

	/* B re-signs A's segment as it is (A's id and key in the header). */
	resign(seg, len, &dev_b);
	T_CHECK(cairn_segment_verify(&h, seg, len) == CAIRN_ETAMPER);
	T_CHECK(open_fails(seg, len, CAIRN_ETAMPER));

	/* B swaps in its own public key, keeps A's device id and signs: the id is not B's key's id. */
	memcpy(seg + 40, dev_b.pk, 32);
	resign(seg, len, &dev_b);
	T_CHECK(cairn_segment_verify(&h, seg, len) == CAIRN_ECORRUPT);
	T_CHECK(strstr(cairn_error_last(), dev_a.device) != NULL);
	T_CHECK(open_fails(seg, len, CAIRN_ECORRUPT));
	free(seg);

	/* The encoder refuses a signer whose key is not the header's. */
	cairn_segment_header hh;
	header_for(&hh, &dev_a, 1, 4);
	T_CHECK(cairn_segment_encode(&seg, &len, &hh, b.ev, b.n, team_key, sign_with, &dev_b) == CAIRN_EINVAL);
	T_CHECK(seg == NULL && len == 0);
	batch_free(&b);
}

static int sign_refuses(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	(void)ud, (void)m, (void)n, (void)sig;
	return -1;
}

static int sign_locked(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	(void)ud, (void)m, (void)n, (void)sig;
	return cairn_error_set(CAIRN_EAUTH, "journal is locked");
}

static void test_signer_failure_reported(void)
{
	batch b;
	unsigned char *seg;
	size_t len;
	cairn_segment_header h;
	T_REQUIRE(batch_make(&b, dev_a.device, 1, 2, 0) == 0);
	header_for(&h, &dev_a, 1, 2);
	T_CHECK(cairn_segment_encode(&seg, &len, &h, b.ev, b.n, team_key, sign_refuses, NULL) == CAIRN_ERROR);
	T_CHECK(strstr(cairn_error_last(), "did not sign") != NULL);
	T_CHECK(cairn_segment_encode(&seg, &len, &h, b.ev, b.n, team_key, sign_locked, NULL) == CAIRN_EAUTH);
	T_CHECK(!strcmp(cairn_error_last(), "journal is locked"));
	T_CHECK(seg == NULL && len == 0);
	batch_free(&b);
}

static void test_device_id_must_match_key(void)
{
	batch b;
	unsigned char *seg;
	size_t len;
	cairn_segment_header h;
	T_REQUIRE(batch_make(&b, dev_a.device, 1, 2, 0) == 0);

	header_for(&h, &dev_a, 1, 2);
	memcpy(h.device, dev_b.device, sizeof(h.device));
	T_CHECK(cairn_segment_encode(&seg, &len, &h, b.ev, b.n, team_key, sign_with, &dev_a) == CAIRN_EINVAL);
	h.device[3] = 'G';
	T_CHECK(cairn_segment_encode(&seg, &len, &h, b.ev, b.n, team_key, sign_with, &dev_a) == CAIRN_EINVAL);

	/* On the wire: the key holder changes the id bytes and signs. */
	T_OK(encode_batch(&seg, &len, &dev_a, &b, 1));
	seg[32] ^= 0x80;
	resign(seg, len, &dev_a);
	T_CHECK(cairn_segment_verify(&h, seg, len) == CAIRN_ECORRUPT);
	T_CHECK(open_fails(seg, len, CAIRN_ECORRUPT));
	free(seg);
	batch_free(&b);
}

static void test_header_fields_checked(void)
{
	batch b;
	unsigned char *seg;
	size_t len;
	cairn_segment_header h;
	T_REQUIRE(batch_make(&b, dev_a.device, 1, 2, 0) == 0);
	T_OK(encode_batch(&seg, &len, &dev_a, &b, 1));

	seg[8] = 2; /* a newer format: "upgrade", not "corrupt" */
	resign(seg, len, &dev_a);
	T_CHECK(cairn_segment_verify(&h, seg, len) == CAIRN_ENEWER);
	seg[8] = 0;
	resign(seg, len, &dev_a);
	T_CHECK(cairn_segment_verify(&h, seg, len) == CAIRN_ECORRUPT);
	seg[8] = 1;
	seg[10] = 1; /* reserved */
	resign(seg, len, &dev_a);
	T_CHECK(cairn_segment_verify(&h, seg, len) == CAIRN_ECORRUPT);
	seg[10] = 0;
	memset(seg + 72, 0, 8); /* first seq 0 */
	resign(seg, len, &dev_a);
	T_CHECK(cairn_segment_verify(&h, seg, len) == CAIRN_ECORRUPT);
	seg[79] = 3; /* first 3 > last 2 */
	resign(seg, len, &dev_a);
	T_CHECK(cairn_segment_verify(&h, seg, len) == CAIRN_ECORRUPT);
	seg[79] = 1;
	resign(seg, len, &dev_a);
	T_CHECK(cairn_segment_verify(&h, seg, len) == 0);
	seg[147] ^= 1; /* ciphertext length */
	resign(seg, len, &dev_a);
	T_CHECK(cairn_segment_verify(&h, seg, len) == CAIRN_ECORRUPT);
	free(seg);
	batch_free(&b);
}

static void test_encoder_refuses_bad_events(void)
{
	batch b;
	unsigned char *seg = (unsigned char *)"x";
	size_t len = 1;
	cairn_segment_header h;
	cairn_event save;
	T_REQUIRE(batch_make(&b, dev_a.device, 1, 3, 0) == 0);
	header_for(&h, &dev_a, 1, 3);
#define REFUSED()                                                                                        \
	(cairn_segment_encode(&seg, &len, &h, b.ev, b.n, team_key, sign_with, &dev_a) == CAIRN_EINVAL && \
	 seg == NULL && len == 0)
	save = b.ev[1];
	b.ev[1].kind = "Contact.set";
	cairn_event_hash(&b.ev[1], b.ev[1].hash);
	T_CHECK(REFUSED());
	b.ev[1] = save;
	b.ev[1].entity = "too-short";
	cairn_event_hash(&b.ev[1], b.ev[1].hash);
	T_CHECK(REFUSED());
	b.ev[1] = save;
	b.ev[1].schema = 70000;
	cairn_event_hash(&b.ev[1], b.ev[1].hash);
	T_CHECK(REFUSED());
	b.ev[1] = save;
	b.ev[1].hash[0] ^= 1; /* stale hash */
	T_CHECK(REFUSED());
	b.ev[1] = save;
	b.ev[1].seq = 5;
	cairn_event_hash(&b.ev[1], b.ev[1].hash);
	T_CHECK(REFUSED());
	b.ev[1] = save;
	b.ev[1].device = dev_b.device;
	cairn_event_hash(&b.ev[1], b.ev[1].hash);
	T_CHECK(REFUSED());
	b.ev[1] = save;
	h.last_seq = 4; /* 3 events for 4 seqs */
	T_CHECK(REFUSED());
	h.last_seq = 3;
	h.first_seq = 0;
	T_CHECK(REFUSED());
	h.first_seq = 1;
	T_OK(cairn_segment_encode(&seg, &len, &h, b.ev, b.n, team_key, sign_with, &dev_a));
	free(seg);
#undef REFUSED
	batch_free(&b);
}

/* ---- malformed contents under a valid signature and the right key ---- */

typedef struct {
	unsigned char *p;
	size_t n, cap;
} wbuf;

static void w_bytes(wbuf *w, const void *d, size_t n)
{
	if (w->n + n > w->cap) {
		w->cap = (w->n + n) * 2 + 64;
		w->p = realloc(w->p, w->cap);
	}
	memcpy(w->p + w->n, d, n);
	w->n += n;
}

static void w_be(wbuf *w, uint64_t v, int bytes)
{
	unsigned char b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	w_bytes(w, b, (size_t)bytes);
}

static void w_event(wbuf *w, uint64_t seq, const char *kind, const char *entity, const char *body, size_t blen)
{
	w_be(w, seq, 8);
	w_be(w, 123456789, 8);
	w_be(w, 1, 2);
	w_be(w, strlen(kind), 1);
	w_bytes(w, kind, strlen(kind));
	w_be(w, strlen(entity), 1);
	w_bytes(w, entity, strlen(entity));
	w_be(w, blen, 4);
	w_bytes(w, body, blen);
}

#define ENT "0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee"

/* Pack raw events (zstd + pad) and seal them for dev_a seqs first..last; open must give `want`. */
static int sealed_raw_gives(const wbuf *raw, uint64_t first, uint64_t last, int want)
{
	unsigned char *plain, *seg;
	size_t plen, len;
	cairn_segment_header h;
	int ok;
	header_for(&h, &dev_a, first, last);
	if (cairn__segment_pack(&plain, &plen, raw->p, raw->n))
		return 0;
	if (cairn__segment_seal(&seg, &len, &h, plain, plen, team_key, sign_with, &dev_a)) {
		free(plain);
		return 0;
	}
	ok = cairn_segment_verify(&h, seg, len) == 0 && open_fails(seg, len, want);
	free(plain);
	free(seg);
	return ok;
}

/* Seal a hand-made plaintext as is. */
static int sealed_plain_gives(const unsigned char *plain, size_t plen, uint64_t first, uint64_t last, int want)
{
	unsigned char *seg;
	size_t len;
	cairn_segment_header h;
	int ok;
	header_for(&h, &dev_a, first, last);
	if (cairn__segment_seal(&seg, &len, &h, plain, plen, team_key, sign_with, &dev_a))
		return 0;
	ok = open_fails(seg, len, want);
	free(seg);
	return ok;
}

/* Seal a hand-made plaintext as is: 1 when open accepts it. */
static int sealed_plain_opens(const unsigned char *plain, size_t plen, uint64_t first, uint64_t last)
{
	unsigned char *seg;
	size_t len;
	cairn_segment_header h;
	cairn_segment_events out;
	int rc;
	header_for(&h, &dev_a, first, last);
	if (cairn__segment_seal(&seg, &len, &h, plain, plen, team_key, sign_with, &dev_a))
		return 0;
	rc = cairn_segment_open(&out, &h, seg, len, team_key);
	cairn_segment_events_free(&out);
	free(seg);
	return rc == 0;
}

static void test_sealed_count_and_seq_mismatch(void)
{
	wbuf w = {0};
	/* A valid baseline first, so the failures below are the decoder's. */
	{
		unsigned char *plain, *seg;
		size_t plen, len;
		cairn_segment_header h;
		cairn_segment_events out;
		w_be(&w, 2, 4);
		w_event(&w, 5, "note.add", ENT, "{}", 2);
		w_event(&w, 6, "note.add", ENT, "{\"a\":1}", 7);
		header_for(&h, &dev_a, 5, 6);
		T_OK(cairn__segment_pack(&plain, &plen, w.p, w.n));
		T_OK(cairn__segment_seal(&seg, &len, &h, plain, plen, team_key, sign_with, &dev_a));
		T_OK(cairn_segment_open(&out, &h, seg, len, team_key));
		T_CHECK(out.count == 2 && !strcmp(out.events[1].body, "{\"a\":1}"));
		cairn_segment_events_free(&out);
		free(plain);
		free(seg);
	}
	/* the header says 5..7, the blob holds 2 events and says so */
	T_CHECK(sealed_raw_gives(&w, 5, 7, CAIRN_ECORRUPT));
	/* count 3 for seqs 5..7 but only 2 events */
	w.p[3] = 3;
	T_CHECK(sealed_raw_gives(&w, 5, 7, CAIRN_ECORRUPT));
	/* count 1 for 5..6 */
	w.p[3] = 1;
	T_CHECK(sealed_raw_gives(&w, 5, 6, CAIRN_ECORRUPT));
	w.p[3] = 2;
	/* seqs shifted: the header says 4..5 */
	T_CHECK(sealed_raw_gives(&w, 4, 5, CAIRN_ECORRUPT));
	free(w.p);

	/* a gap: 5, 7 */
	memset(&w, 0, sizeof(w));
	w_be(&w, 2, 4);
	w_event(&w, 5, "note.add", ENT, "{}", 2);
	w_event(&w, 7, "note.add", ENT, "{}", 2);
	T_CHECK(sealed_raw_gives(&w, 5, 6, CAIRN_ECORRUPT));
	free(w.p);

	/* out of order: 6, 5 */
	memset(&w, 0, sizeof(w));
	w_be(&w, 2, 4);
	w_event(&w, 6, "note.add", ENT, "{}", 2);
	w_event(&w, 5, "note.add", ENT, "{}", 2);
	T_CHECK(sealed_raw_gives(&w, 5, 6, CAIRN_ECORRUPT));
	free(w.p);
}

static void test_sealed_bad_fields(void)
{
	static const struct {
		const char *kind, *entity, *body;
		size_t blen;
	} cases[] = {
	        {"Note.add", ENT, "{}", 2},                                                          /* charset */
	        {"", ENT, "{}", 2},                                                                  /* empty */
	        {"note add", ENT, "{}", 2},                                                          /* space */
	        {"note.add", "0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeee", "{}", 2},                        /* 35 */
	        {"note.add", "0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeeee", "{}", 2},                      /* 37 */
	        {"note.add", ENT, "{\"a\":\"\0\"}", 9},                                              /* NUL */
	        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ENT, "{}", 2}, /* 65 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wbuf w = {0};
		w_be(&w, 1, 4);
		w_event(&w, 1, cases[i].kind, cases[i].entity, cases[i].body, cases[i].blen);
		if (!sealed_raw_gives(&w, 1, 1, CAIRN_ECORRUPT)) {
			fprintf(stderr, "  case %zu accepted\n", i);
			T_CHECK(0);
		}
		free(w.p);
	}
	/* NUL inside the entity */
	{
		wbuf w = {0};
		char ent[37];
		memcpy(ent, ENT, 37);
		w_be(&w, 1, 4);
		w_event(&w, 1, "note.add", ent, "{}", 2);
		w.p[4 + 19 + 8 + 1 + 10] = '\0';
		T_CHECK(sealed_raw_gives(&w, 1, 1, CAIRN_ECORRUPT));
		free(w.p);
	}
	/* a body over 1 MiB */
	{
		wbuf w = {0};
		size_t n = CAIRN_SEGMENT_MAX_BODY + 1;
		char *big = malloc(n);
		memset(big, 'a', n);
		w_be(&w, 1, 4);
		w_event(&w, 1, "note.add", ENT, big, n);
		T_CHECK(sealed_raw_gives(&w, 1, 1, CAIRN_ECORRUPT));
		free(big);
		free(w.p);
	}
	/* trailing bytes; truncated in the body; body length past the end */
	{
		wbuf w = {0};
		w_be(&w, 1, 4);
		w_event(&w, 1, "note.add", ENT, "{}", 2);
		w_bytes(&w, "", 1);
		T_CHECK(sealed_raw_gives(&w, 1, 1, CAIRN_ECORRUPT));
		w.n -= 2;
		T_CHECK(sealed_raw_gives(&w, 1, 1, CAIRN_ECORRUPT));
		w.n += 1;
		w.p[w.n - 6] = 0x7f; /* body length far past the end */
		T_CHECK(sealed_raw_gives(&w, 1, 1, CAIRN_ECORRUPT));
		free(w.p);
	}
}

static void put_u32be(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void test_sealed_bad_padding_and_frames(void)
{
	wbuf w = {0};
	unsigned char *plain, *p2;
	size_t plen, zlen;
	w_be(&w, 1, 4);
	w_event(&w, 1, "note.add", ENT, "{\"text\":\"hello\"}", 16);
	T_REQUIRE(cairn__segment_pack(&plain, &plen, w.p, w.n) == 0);
	T_CHECK(plen == 256);
	zlen = (size_t)plain[0] << 24 | (size_t)plain[1] << 16 | (size_t)plain[2] << 8 | plain[3];
	T_CHECK(sealed_plain_opens(plain, plen, 1, 1)); /* the baseline is valid */

	p2 = calloc(1, 1024);
	/* non-zero padding */
	memcpy(p2, plain, plen);
	p2[plen - 1] = 1;
	T_CHECK(sealed_plain_gives(p2, plen, 1, 1, CAIRN_ECORRUPT));
	/* padded past its bucket (zeros) */
	memcpy(p2, plain, plen);
	memset(p2 + plen, 0, 256);
	T_CHECK(sealed_plain_gives(p2, plen + 256, 1, 1, CAIRN_ECORRUPT));
	/* not padded at all */
	T_CHECK(sealed_plain_gives(plain, 4 + zlen, 1, 1, CAIRN_ECORRUPT));
	/* length prefix past the end */
	memcpy(p2, plain, plen);
	put_u32be(p2, (uint32_t)plen);
	T_CHECK(sealed_plain_gives(p2, plen, 1, 1, CAIRN_ECORRUPT));
	put_u32be(p2, UINT32_MAX);
	T_CHECK(sealed_plain_gives(p2, plen, 1, 1, CAIRN_ECORRUPT));
	/* two frames back to back */
	memset(p2, 0, 1024);
	memcpy(p2 + 4, plain + 4, zlen);
	memcpy(p2 + 4 + zlen, plain + 4, zlen);
	put_u32be(p2, (uint32_t)(2 * zlen));
	T_CHECK(sealed_plain_gives(p2, cairn__segment_padded_len(4 + 2 * zlen), 1, 1, CAIRN_ECORRUPT));
	/* a frame that does not declare its size */
	{
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		size_t z;
		memset(p2, 0, 1024);
		ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
		z = ZSTD_compress2(cc, p2 + 4, 1020, w.p, w.n);
		T_REQUIRE(!ZSTD_isError(z));
		T_CHECK(ZSTD_getFrameContentSize(p2 + 4, z) == ZSTD_CONTENTSIZE_UNKNOWN);
		put_u32be(p2, (uint32_t)z);
		T_CHECK(sealed_plain_gives(p2, cairn__segment_padded_len(4 + z), 1, 1, CAIRN_ECORRUPT));
		ZSTD_freeCCtx(cc);
	}
	/* a frame declaring more than the limit: patch the size of a single-segment frame header */
	{
		unsigned char hdr[] = {0x28, 0xb5, 0x2f, 0xfd, 0xa0 /* FCS 4 bytes, single segment */, 0, 0, 0,
		                       0x10, 0x01, 0x00, 0x00 /* last raw block, size 0 */};
		memset(p2, 0, 1024);
		memcpy(p2 + 4, hdr, sizeof(hdr));
		put_u32be(p2, sizeof(hdr));
		T_CHECK(ZSTD_getFrameContentSize(p2 + 4, sizeof(hdr)) == (1ull << 28));
		T_CHECK(sealed_plain_gives(p2, 256, 1, 1, CAIRN_ECORRUPT));
		T_CHECK(strstr(cairn_error_last(), "limit") != NULL);
	}
	/* garbage where the frame should be, a skippable frame */
	memset(p2, 0, 1024);
	put_u32be(p2, 8);
	memcpy(p2 + 4, "\x50\x2a\x4d\x18\x00\x00\x00\x00", 8);
	T_CHECK(sealed_plain_gives(p2, 256, 1, 1, CAIRN_ECORRUPT));
	memcpy(p2 + 4, "not zstd", 8);
	T_CHECK(sealed_plain_gives(p2, 256, 1, 1, CAIRN_ECORRUPT));
	put_u32be(p2, 0);
	T_CHECK(sealed_plain_gives(p2, 256, 1, 1, CAIRN_ECORRUPT));
	T_CHECK(sealed_plain_gives(p2, 0, 1, 1, CAIRN_ECORRUPT));
	free(p2);
	free(plain);
	free(w.p);
}

static void test_padding_hides_small_differences(void)
{
	cairn_event e;
	char body[400];
	size_t lens[8];
	memset(&e, 0, sizeof(e));
	e.device = dev_a.device;
	e.seq = 1;
	e.kind = "note.add";
	e.entity = ENT;
	e.schema = 1;
	e.body = body;
	for (int k = 0; k < 8; k++) {
		unsigned char *seg;
		cairn_segment_header h;
		snprintf(body, sizeof(body), "{\"text\":\"%.*s\"}", 100 + 3 * k,
		         "met at the shelter on 5th, talked about housing options and the waitlist; follow up on "
		         "tuesday with the case manager about the treatment referral and bus pass");
		cairn_event_hash(&e, e.hash);
		header_for(&h, &dev_a, 1, 1);
		T_OK(cairn_segment_encode(&seg, &lens[k], &h, &e, 1, team_key, sign_with, &dev_a));
		free(seg);
	}
	for (int k = 1; k < 8; k++)
		T_CHECK(lens[k] == lens[0]);
}

static void test_padded_len_rule(void)
{
	size_t prev = 0;
	T_CHECK(cairn__segment_padded_len(1) == 256);
	T_CHECK(cairn__segment_padded_len(256) == 256);
	T_CHECK(cairn__segment_padded_len(257) == 512);
	T_CHECK(cairn__segment_padded_len(2048) == 2048);
	T_CHECK(cairn__segment_padded_len(2049) == 2304);
	T_CHECK(cairn__segment_padded_len(4097) == 4096 + 512);
	for (size_t n = 1; n < (1u << 22); n += 1 + n / 64) {
		size_t p = cairn__segment_padded_len(n);
		size_t slack = n / 8 > 255 ? n / 8 : 255;
		T_CHECK(p >= n && p - n <= slack && p >= prev);
		T_CHECK(cairn__segment_padded_len(p) == p);
		prev = p;
	}
}

static void test_internal_decoders_refuse_bad_arguments(void)
{
	cairn_segment_events out;
	unsigned char raw[4] = {0, 0, 0, 1};
	T_CHECK(cairn__segment_parse_events(&out, raw, 4, "nothex", 1, 1) == CAIRN_EINVAL);
	T_CHECK(cairn__segment_parse_events(&out, raw, 4, dev_a.device, 0, 0) == CAIRN_EINVAL);
	T_CHECK(cairn__segment_parse_events(&out, raw, 4, dev_a.device, 1, 1) == CAIRN_ECORRUPT);
	T_CHECK(cairn__segment_parse_events(&out, raw, 3, dev_a.device, 1, 1) == CAIRN_ECORRUPT);
	T_CHECK(cairn__segment_decode_events(&out, raw, 4, dev_a.device, 1, 1) == CAIRN_ECORRUPT);
	T_CHECK(out.events == NULL && out.count == 0 && out.storage == NULL);
}

int main(void)
{
	if (sodium_init() < 0)
		return 2;
	keys_from_seed(&dev_a, 0xa1);
	keys_from_seed(&dev_b, 0xb2);
	T_RUN(test_roundtrip_1);
	T_RUN(test_roundtrip_2);
	T_RUN(test_roundtrip_1000_with_100k_bodies);
	T_RUN(test_roundtrip_edge_fields);
	T_RUN(test_hash_is_blake2b_of_bytes);
	T_RUN(test_nonce_is_fresh);
	T_RUN(test_wrong_team_key);
	T_RUN(test_every_byte_flip_detected);
	T_RUN(test_every_byte_flip_resigned_detected);
	T_RUN(test_truncation_and_extension);
	T_RUN(test_other_key_claiming_device);
	T_RUN(test_signer_failure_reported);
	T_RUN(test_device_id_must_match_key);
	T_RUN(test_header_fields_checked);
	T_RUN(test_encoder_refuses_bad_events);
	T_RUN(test_sealed_count_and_seq_mismatch);
	T_RUN(test_sealed_bad_fields);
	T_RUN(test_sealed_bad_padding_and_frames);
	T_RUN(test_padding_hides_small_differences);
	T_RUN(test_padded_len_rule);
	T_RUN(test_internal_decoders_refuse_bad_arguments);
	T_END();
}
