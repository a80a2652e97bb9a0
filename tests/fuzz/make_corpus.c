/*
 * make_corpus.c — writes seed inputs for a fuzz target: `make_corpus segment tests/fuzz/corpus/segment`.
 * Seeds are valid inputs of every layer (so the fuzzer starts past the parsers' first checks) plus a few
 * near misses. Each is under 8 KB. The files are committed; rerunning rewrites them (segments get fresh
 * nonces, so their bytes change; what they cover does not). Another target adds a function to `gens`.
 */
#include "fuzz_segment.h"
#include "segment.h"
#include "segment_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

#define SEED_MAX 8192

static const char *outdir;
static fuzz_segment_device dev;

static int write_seed(const char *name, const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	char path[4096];
	FILE *f;
	if (alen + blen >= SEED_MAX) {
		fprintf(stderr, "make_corpus: seed '%s' is %zu bytes, over %d\n", name, alen + blen, SEED_MAX);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	if (!(f = fopen(path, "wb")) || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen) ||
	    fclose(f) != 0) {
		fprintf(stderr, "make_corpus: cannot write '%s'\n", path);
		return -1;
	}
	printf("%s (%zu bytes)\n", path, alen + blen);
	return 0;
}

/* 'P' or 'E', then first and last seq big-endian. */
static void prefix(unsigned char p[FUZZ_SEGMENT_PREFIX], char tag, uint64_t first, uint64_t last)
{
	p[0] = (unsigned char)tag;
	for (int i = 0; i < 8; i++) {
		p[1 + i] = (unsigned char)(first >> (8 * (7 - i)));
		p[9 + i] = (unsigned char)(last >> (8 * (7 - i)));
	}
}

static int sign_cb(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	(void)ud;
	return crypto_sign_detached(sig, NULL, m, n, dev.sk);
}

/* A batch of `n` events from `first`, shaped like the catalogue's (kinds, UUIDv7 entities, JSON bodies). */
typedef struct {
	cairn_event ev[16];
	char entity[16][37], body[16][600];
} events;

static void make_events(events *e, uint64_t first, size_t n)
{
	static const char *kinds[] = {"contact.set", "note.add", "referral.add", "referral.status", "contact.merge",
	                              "note.amend"};
	static const char *bodies[] = {
	    "{\"name\":\"Sam R.\",\"phone\":\"555-0101\",\"consent\":true}",
	    "{\"kind\":\"encounter\",\"date\":\"2024-03-02\",\"text\":\"met at the library\",\"minutes\":20}",
	    "{\"category\":\"housing\",\"to\":\"Harbor House\",\"reason\":\"eviction\",\"date\":\"2024-03-02\"}",
	    "{\"state\":\"accepted\",\"outcome\":\"waitlisted\",\"reporter\":\"receiving\"}",
	    "{}",
	    "{\"text\":\"\\u00e9t\\u00e9 \\\"quoted\\\" \\\\ back\",\"reason\":\"typo\"}"};
	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		cairn_event *v = &e->ev[i];
		snprintf(e->entity[i], sizeof(e->entity[i]), "018e%04x-5f2c-7a10-9b3d-%012llx", (unsigned)i,
		         (unsigned long long)(first + i));
		snprintf(e->body[i], sizeof(e->body[i]), "%s", bodies[(first + i) % 6]);
		v->device = dev.device;
		v->seq = first + i;
		v->hlc = (uint64_t)1709337600000 << 16 | i;
		v->kind = kinds[(first + i) % 6];
		v->entity = e->entity[i];
		v->body = e->body[i];
		v->schema = 1 + (int)(i % 2);
		cairn_event_hash(v, v->hash);
	}
}

static void header_for(cairn_segment_header *h, uint64_t first, uint64_t last)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->team, "fuzz-team-id-016", CAIRN_TEAM_ID_BYTES);
	h->epoch = 1;
	memcpy(h->device, dev.device, sizeof(h->device));
	memcpy(h->device_pk, dev.pk, 32);
	h->first_seq = first;
	h->last_seq = last;
}

/* One batch as all three layers: segment, plaintext, raw events. */
static int seeds_for(const char *name, uint64_t first, size_t n)
{
	events e;
	cairn_segment_header h;
	unsigned char *raw = NULL, *plain = NULL, *seg = NULL, pre[FUZZ_SEGMENT_PREFIX];
	size_t rawlen, plainlen, seglen;
	char file[128];
	int rc;
	make_events(&e, first, n);
	header_for(&h, first, first + n - 1);
	if ((rc = cairn__segment_serialize_events(&raw, &rawlen, &h, e.ev, n)) ||
	    (rc = cairn__segment_pack(&plain, &plainlen, raw, rawlen)) ||
	    (rc = cairn_segment_encode(&seg, &seglen, &h, e.ev, n, FUZZ_SEGMENT_TEAM_KEY, sign_cb, NULL))) {
		fprintf(stderr, "make_corpus: %s\n", cairn_error_last());
		goto out;
	}
	snprintf(file, sizeof(file), "segment-%s", name);
	if ((rc = write_seed(file, seg, seglen, NULL, 0)))
		goto out;
	prefix(pre, 'P', first, first + n - 1);
	snprintf(file, sizeof(file), "plain-%s", name);
	if ((rc = write_seed(file, pre, sizeof(pre), plain, plainlen)))
		goto out;
	prefix(pre, 'E', first, first + n - 1);
	snprintf(file, sizeof(file), "events-%s", name);
	rc = write_seed(file, pre, sizeof(pre), raw, rawlen);
out:
	free(raw);
	free(plain);
	free(seg);
	return rc ? 1 : 0;
}

/* Near misses the fuzzer would take long to build: frames without a size, with a huge one, two frames. */
static int near_misses(void)
{
	events e;
	cairn_segment_header h;
	unsigned char *raw = NULL, pre[FUZZ_SEGMENT_PREFIX], plain[1024];
	size_t rawlen, z;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	int rc = 1;
	static const unsigned char huge[] = {0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0x10, 0x01, 0x00, 0x00};

	make_events(&e, 1, 2);
	header_for(&h, 1, 2);
	if (!cc || cairn__segment_serialize_events(&raw, &rawlen, &h, e.ev, 2))
		goto out;
	prefix(pre, 'P', 1, 2);

	memset(plain, 0, sizeof(plain));
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
	z = ZSTD_compress2(cc, plain + 4, sizeof(plain) - 4, raw, rawlen);
	if (ZSTD_isError(z))
		goto out;
	plain[0] = (unsigned char)(z >> 24), plain[1] = (unsigned char)(z >> 16);
	plain[2] = (unsigned char)(z >> 8), plain[3] = (unsigned char)z;
	if (write_seed("plain-unknown-size", pre, sizeof(pre), plain, cairn__segment_padded_len(4 + z)))
		goto out;

	memset(plain, 0, sizeof(plain));
	memcpy(plain + 4, huge, sizeof(huge));
	plain[3] = sizeof(huge);
	if (write_seed("plain-declares-256mib", pre, sizeof(pre), plain, 256))
		goto out;

	/* events with a trailing byte, and with a count one short */
	prefix(pre, 'E', 1, 2);
	raw[rawlen - 1] = 0;
	if (write_seed("events-nul-in-body", pre, sizeof(pre), raw, rawlen))
		goto out;
	raw[3] = 1;
	if (write_seed("events-count-short", pre, sizeof(pre), raw, rawlen))
		goto out;
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "make_corpus: near misses failed: %s\n", cairn_error_last());
	ZSTD_freeCCtx(cc);
	free(raw);
	return rc;
}

static int gen_segment(void)
{
	int bad = 0;
	bad += seeds_for("1", 1, 1);
	bad += seeds_for("3", 41, 3);
	bad += seeds_for("12", 1000, 12);
	bad += seeds_for("seq-max", UINT64_MAX - 1, 2);
	bad += near_misses();
	return bad ? 1 : 0;
}

static const struct {
	const char *target;
	int (*gen)(void);
} gens[] = {
    {"segment", gen_segment},
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s TARGET DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[2];
	if (fuzz_segment_device_init(&dev) != 0)
		return 1;
	for (size_t i = 0; i < sizeof(gens) / sizeof(gens[0]); i++)
		if (!strcmp(argv[1], gens[i].target))
			return gens[i].gen();
	fprintf(stderr, "make_corpus: no generator for '%s'\n", argv[1]);
	return 2;
}
