/*
 * make_corpus.c — writes seed inputs for a fuzz target: `make_corpus segment tests/fuzz/corpus/segment`.
 * Seeds are valid inputs of every layer (so the fuzzer starts past the parsers' first checks) plus a few
 * near misses. Each is under 32 KB (a VFS seed holds whole pages). The files are committed; rerunning rewrites them (segments get fresh
 * nonces, so their bytes change; what they cover does not). Another target adds a function to `gens`.
 */
#include "directory.h"
#include "fuzz_directory.h"
#include "fuzz_event.h"
#include "fuzz_roster.h"
#include "fuzz_segment.h"
#include "roster.h"
#include "segment.h"
#include "segment_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

#define SEED_MAX 32768
#define CAIRN__SEED_COUNT(a) (sizeof(a) / sizeof((a)[0]))

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
	static const char *kinds[] = {"contact.set",     "note.add",      "referral.add",
	                              "referral.status", "contact.merge", "note.amend"};
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

/* ---- event: kind and body of imported events (fuzz_event.h) ---- */

/* Append one event record to buf: who, step, kind NUL, body NUL. */
static size_t put_event(unsigned char *buf, size_t at, int device, int entity, int step, const char *kind,
                        const char *body)
{
	size_t kn = strlen(kind) + 1, bn = strlen(body) + 1;
	buf[at] = (unsigned char)(device | entity << 2);
	buf[at + 1] = (unsigned char)step;
	memcpy(buf + at + 2, kind, kn);
	memcpy(buf + at + 2 + kn, body, bn);
	return at + 2 + kn + bn;
}

/* Bodies name entities by index: %0 .. %3 stand for fuzz_event_entities[0..3]. */
static void expand(char *out, size_t n, const char *tmpl)
{
	size_t o = 0;
	for (const char *p = tmpl; *p && o + 40 < n; p++) {
		if (p[0] == '%' && p[1] >= '0' && p[1] <= '3') {
			o += (size_t)snprintf(out + o, n - o, "%s", fuzz_event_entities[p[1] - '0']);
			p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

typedef struct {
	int device, entity, step;
	const char *kind, *body;
} seed_event;

static int event_seed(const char *name, const seed_event *evs, size_t n)
{
	unsigned char buf[SEED_MAX];
	char body[2048];
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		expand(body, sizeof(body), evs[i].body);
		if (at + strlen(evs[i].kind) + strlen(body) + 4 >= sizeof(buf))
			return 1;
		at = put_event(buf, at, evs[i].device, evs[i].entity, evs[i].step, evs[i].kind, body);
	}
	return write_seed(name, buf, at, NULL, 0) ? 1 : 0;
}

static int gen_event(void)
{
	static const seed_event contact[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"Sam R.\",\"phone\":\"555-0101\"},\"seen\":{}}"},
	        {1, 0, 2, "contact.set", "{\"fields\":{\"phone\":\"555-0199\"},\"seen\":{}}"},
	        {2, 0, 3, "contact.set",
	         "{\"fields\":{\"phone\":null},\"seen\":{\"phone\":[[111669149696065537,\"0123456789abcdef\"]]}}"},
	};
	/* Two writes that each saw the other (a forged history): no head, whichever order (apply.c). */
	static const seed_event cycle[] = {
	        {0, 0, 1, "contact.set",
	         "{\"fields\":{\"name\":\"A\"},\"seen\":{\"name\":[[111410964070531072,\"fedcba9876543210\"]]}}"},
	        {1, 0, 1, "contact.set",
	         "{\"fields\":{\"name\":\"B\"},\"seen\":{\"name\":[[111410964070531072,\"0123456789abcdef\"]]}}"},
	};
	static const seed_event merge[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"A\"},\"seen\":{}}"},
	        {1, 1, 1, "contact.set", "{\"fields\":{\"name\":\"B\"},\"seen\":{}}"},
	        {0, 0, 2, "contact.merge", "{\"other\":\"%1\"}"},
	        {1, 2, 2, "contact.merge", "{\"other\":\"%0\"}"},
	        {2, 1, 3, "contact.delete", "{\"cl\":2}"},
	        {2, 1, 4, "contact.delete", "{\"cl\":3}"},
	};
	/* A merge and a delete of one person that did not see each other (apply.c invariant 5): dev0 deletes
	 * one record while dev1 merges it with the other. A: the survivor (%0) deleted; B: the other (%1)
	 * deleted, merged from it; C: the same, merged the other way; each with its decision (dev2, seen all). */
	static const seed_event merge_delete_a[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"A\"},\"seen\":{}}"},
	        {0, 1, 1, "contact.set", "{\"fields\":{\"name\":\"B\"},\"seen\":{}}"},
	        {0, 0, 2, "contact.delete", "{\"cl\":2,\"seen\":{\"%0\":1}}"},
	        {1, 0, 2, "contact.merge", "{\"other\":\"%1\",\"seen\":{\"%0\":1,\"%1\":1}}"},
	};
	static const seed_event merge_delete_b[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"A\"},\"seen\":{}}"},
	        {0, 1, 1, "contact.set", "{\"fields\":{\"name\":\"B\"},\"seen\":{}}"},
	        {0, 1, 2, "contact.delete", "{\"cl\":2,\"seen\":{\"%1\":1}}"},
	        {1, 1, 2, "contact.merge", "{\"other\":\"%0\",\"seen\":{\"%0\":1,\"%1\":1}}"},
	        {2, 1, 9, "contact.delete",
	         "{\"cl\":4,\"seen\":{\"%0\":1,\"%1\":2},\"resolves\":{\"field\":\"status\",\"value\":\"deleted\"}}"},
	        {2, 0, 9, "contact.delete", "{\"cl\":2,\"seen\":{\"%0\":1,\"%1\":2}}"},
	};
	static const seed_event merge_delete_c[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"A\"},\"seen\":{}}"},
	        {0, 1, 1, "contact.set", "{\"fields\":{\"name\":\"B\"},\"seen\":{}}"},
	        {0, 1, 2, "contact.delete", "{\"cl\":2,\"seen\":{\"%1\":1}}"},
	        {1, 0, 2, "contact.merge", "{\"other\":\"%1\",\"seen\":{\"%0\":1,\"%1\":1}}"},
	        {2, 1, 9, "contact.delete", "{\"cl\":3,\"seen\":{\"%0\":1,\"%1\":2}}"},
	};
	/* Seen each other, and a merge that joined a restored person to a group merged meanwhile: no conflict
	 * in any order; a malformed seen counts as none. */
	static const seed_event merge_delete_seen[] = {
	        {0, 0, 1, "contact.delete", "{\"cl\":2,\"seen\":{\"%0\":1}}"},
	        {0, 0, 2, "contact.delete", "{\"cl\":3,\"seen\":{\"%0\":2}}"},
	        {1, 1, 2, "contact.merge", "{\"other\":\"%2\",\"seen\":{\"%1\":1,\"%2\":1}}"},
	        {0, 0, 3, "contact.merge", "{\"other\":\"%1\",\"seen\":{\"%0\":3,\"%1\":1,\"%2\":1}}"},
	        {2, 2, 4, "contact.delete", "{\"cl\":2,\"seen\":[\"%2\"]}"},
	        {1, 3, 4, "contact.delete", "{\"cl\":2,\"seen\":{\"%3\":\"x\",\"%2\":-1}}"},
	        {1, 3, 5, "contact.merge", "{\"other\":\"%2\",\"seen\":{\"%3\":1}}"},
	};
	static const seed_event notes[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"Sam\"},\"seen\":{}}"},
	        {0, 1, 2, "note.add",
	         "{\"contact\":\"%0\",\"kind\":\"encounter\",\"date\":\"2024-03-02\",\"modality\":\"in-person\","
	         "\"minutes\":20,\"text\":\"met at the library\"}"},
	        {1, 1, 3, "note.amend", "{\"text\":\"met at the public library\",\"reason\":\"typo\"}"},
	        {2, 1, 4, "note.amend", "{\"text\":\"\\u00e9t\\u00e9\"}"},
	        {1, 1, 5, "note.strike", "{\"reason\":\"wrong person\"}"},
	        {2, 1, 6, "note.add",
	         "{\"contact\":\"%2\",\"kind\":\"crisis\",\"date\":\"2024-03-03\",\"text\":\"same id, other device\"}"},
	};
	/* Two amendments that saw only the original (a conflict), one that saw both (the decision), and one
	 * from before schema 0015 that names nothing (it replaces every older one). */
	static const seed_event amends[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"Sam\"},\"seen\":{}}"},
	        {0, 1, 1, "note.add",
	         "{\"contact\":\"%0\",\"kind\":\"encounter\",\"date\":\"2024-03-02\",\"text\":\"libary\"}"},
	        {1, 1, 1, "note.amend", "{\"seen\":[],\"text\":\"library\"}"},
	        {2, 1, 1, "note.amend", "{\"seen\":[],\"text\":\"the library\"}"},
	        {0, 1, 1, "note.amend",
	         "{\"seen\":[[111410964070531072,\"fedcba9876543210\"],[111410964070531072,\"00000000000000ff\"]],"
	         "\"text\":\"the public library\"}"},
	        {1, 1, 1, "note.amend", "{\"text\":\"an old cairn's amendment\"}"},
	};
	static const seed_event referral[] = {
	        {0, 2, 1, "referral.add",
	         "{\"contact\":\"%0\",\"category\":\"housing\",\"to\":\"Harbor House\",\"reason\":\"eviction\","
	         "\"date\":\"2024-03-02\"}"},
	        {1, 2, 2, "referral.status",
	         "{\"state\":\"accepted\",\"gen\":0,\"outcome\":\"placed\",\"reporter\":\"receiving\"}"},
	        {2, 2, 2, "referral.status", "{\"state\":\"completed\",\"gen\":0}"},
	        {0, 2, 3, "referral.status", "{\"state\":\"failed\",\"gen\":0,\"outcome\":\"unreachable\"}"},
	        {1, 2, 4, "referral.status", "{\"state\":\"on-hold\",\"gen\":1}"},
	        {2, 2, 5, "referral.status", "{\"state\":\"entered-in-error\",\"gen\":0}"},
	        {0, 2, 6, "referral.status", "{\"state\":\"in-progress\",\"gen\":1,\"note\":\"called\"}"},
	};
	static const seed_event odd[] = {
	        {0, 4, 1, "note.add", "{\"contact\":\"%0\",\"kind\":\"x\",\"date\":\"x\",\"text\":\"bad entity\"}"},
	        {1, 0, FUZZ_EVENT_FAR_AHEAD, "contact.set", "{\"fields\":{\"name\":\"from the future\"},\"seen\":{}}"},
	        {2, 3, 1, "goal.set", "{\"from\":\"a newer cairn\"}"},
	        {0, 3, 1, "referral.status", "{\"state\":\"nonsense\",\"gen\":-1}"},
	        {1, 3, 1, "contact.set", "[1,2,3]"},
	        {2, 1, 1, "note.add", "{\"contact\":1,\"text\":{},\"kind\":[],\"date\":null,\"minutes\":1.5}"},
	};
	/* The domain, crisis and GPRA modules (core/catalog.c): bodies as their commands write them. */
	static const seed_event goal[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"Sam\"},\"seen\":{}}"},
	        {0, 1, 2, "goal.add",
	         "{\"contact\":\"%0\",\"date\":\"2024-03-02\",\"domain\":\"housing\",\"status\":\"active\","
	         "\"steps\":[\"call Harbor House\"],\"target\":\"2024-06-01\",\"text\":\"get housing\"}"},
	        {1, 1, 3, "goal.status", "{\"date\":\"2024-03-09\",\"note\":null,\"status\":\"achieved\"}"},
	        {2, 1, 3, "goal.status", "{\"date\":\"2024-03-09\",\"note\":\"moved\",\"status\":\"paused\"}"},
	        {1, 2, 4, "goal.status", "{\"date\":\"2024-03-10\",\"status\":\"revised\"}"},
	        {2, 2, 5, "goal.add",
	         "{\"contact\":\"%3\",\"date\":\"2024-03-02\",\"domain\":\"work\",\"text\":\"a job\"}"},
	};
	/* Goal statuses that name what they replaced (goal.c invariant 2): concurrent ones, a malformed seen,
	 * an old cairn's status that names nothing. */
	static const seed_event goal_conflict[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"Sam\"},\"seen\":{}}"},
	        {0, 1, 2, "goal.add",
	         "{\"contact\":\"%0\",\"date\":\"2024-03-02\",\"domain\":\"housing\",\"status\":\"active\","
	         "\"steps\":[],\"text\":\"get housing\"}"},
	        {1, 1, 3, "goal.status", "{\"date\":\"2024-03-09\",\"seen\":[],\"status\":\"achieved\"}"},
	        {2, 1, 3, "goal.status",
	         "{\"date\":\"2024-03-09\",\"seen\":[[111410964070531072,\"0123456789abcdef\"],[1,2],\"x\"],"
	         "\"status\":\"dropped\"}"},
	        {0, 1, 4, "goal.status", "{\"date\":\"2024-03-10\",\"status\":\"paused\"}"},
	};
	static const seed_event plan[] = {
	        {0, 1, 1, "plan.version",
	         "{\"contact\":\"%0\",\"date\":\"2024-03-02\",\"sections\":{\"coping\":[\"walk\"],\"triggers\":"
	         "[\"anniversaries\"],\"warning_signs\":[\"isolating\"]},\"seen\":[],\"type\":\"relapse\"}"},
	        {1, 2, 1, "plan.version",
	         "{\"contact\":\"%0\",\"date\":\"2024-03-02\",\"sections\":{\"coping\":[\"call Jo\"]},\"seen\":[],"
	         "\"type\":\"relapse\"}"},
	        {2, 3, 2, "plan.version",
	         "{\"contact\":\"%0\",\"date\":\"2024-03-03\",\"sections\":{\"coping\":[\"walk\",\"call Jo\"]},"
	         "\"seen\":[\"%1\",\"%2\"],\"type\":\"relapse\"}"},
	        {0, 0, 3, "contact.set", "{\"fields\":{\"name\":\"Sam\"},\"seen\":{}}"},
	        {1, 1, 4, "plan.version",
	         "{\"contact\":\"%0\",\"date\":\"2024-03-04\",\"sections\":{\"reasons\":[\"kids\"]},\"seen\":[\"%3\"],"
	         "\"type\":\"safety\"}"},
	};
	/* two records of one person, each with a safety plan, then merged: one plan with two heads */
	static const seed_event plan_merge[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"Ray\"},\"seen\":{}}"},
	        {1, 1, 1, "contact.set", "{\"fields\":{\"name\":\"Raymond\"},\"seen\":{}}"},
	        {0, 2, 2, "plan.version",
	         "{\"contact\":\"%0\",\"date\":\"2024-03-02\",\"sections\":{\"coping\":[\"music\"]},\"seen\":[],"
	         "\"type\":\"safety\"}"},
	        {1, 3, 2, "plan.version",
	         "{\"contact\":\"%1\",\"date\":\"2024-03-02\",\"sections\":{\"coping\":[\"running\"]},\"seen\":[],"
	         "\"type\":\"safety\"}"},
	        {0, 0, 3, "contact.merge", "{\"other\":\"%1\",\"seen\":{\"%0\":1,\"%1\":1}}"},
	};
	static const seed_event consent[] = {
	        {0, 2, 1, "disclosure.add",
	         "{\"channel\":\"export\",\"consent\":\"%1\",\"contact\":\"%0\",\"emergency\":null,\"purpose\":"
	         "\"care coordination\",\"recipient\":\"Harbor House\",\"what\":[\"identity\",\"notes\"],\"worker\":\"Jo\"}"},
	        {1, 1, 1, "consent.grant",
	         "{\"amount\":\"all\",\"contact\":\"%0\",\"discloser\":\"Peer Program\",\"expires\":\"2027-12-31\","
	         "\"info\":[\"identity\",\"notes\"],\"method\":\"wet\",\"purpose\":\"care coordination\",\"recipient\":"
	         "\"Harbor House\",\"revocable\":\"I may revoke this consent at any time\",\"signed_date\":\"2024-03-02\","
	         "\"signed_name\":\"Sam\"}"},
	        {2, 1, 2, "consent.revoke", "{\"date\":\"2024-03-05\"}"},
	        {0, 1, 3, "consent.revoke", "{\"date\":\"2024-03-04\"}"},
	        {1, 3, 2, "disclosure.add",
	         "{\"channel\":\"export\",\"consent\":null,\"contact\":\"%0\",\"emergency\":\"overdose\",\"purpose\":"
	         "\"treatment\",\"recipient\":\"ER\",\"what\":[\"identity\"],\"worker\":\"Jo\"}"},
	        {2, 4, 3, "audit.view", "{\"contact\":\"%0\",\"what\":\"export\",\"worker\":\"Jo\"}"},
	        {0, 2, 4, "audit.view", "{\"contact\":\"%0\",\"what\":\"plan show\",\"worker\":null}"},
	};
	static const seed_event crisis[] = {
	        {0, 1, 1, "crisis.open",
	         "{\"fields\":{\"contact\":\"%0\",\"followup_hours\":\"24\",\"location\":\"street\",\"received\":"
	         "\"2024-03-02T15:19:28Z\",\"source\":\"988\"},\"role\":\"lead\"}"},
	        {1, 1, 1, "crisis.join", "{\"role\":\"support\"}"},
	        {2, 2, 1, "crisis.open",
	         "{\"fields\":{\"location\":\"home\",\"source\":\"family\"},\"join\":\"01890a5d-ac96\"}"},
	        {0, 1, 2, "crisis.set", "{\"fields\":{\"disposition\":\"referral\"},\"seen\":{\"disposition\":[]}}"},
	        {1, 1, 2, "crisis.set",
	         "{\"fields\":{\"disposition\":\"involuntary-hold\",\"police\":\"none\"},\"seen\":{\"disposition\":"
	         "[[111669149696065537,\"0123456789abcdef\"]]}}"},
	        {2, 3, 2, "crisis.link", "{\"other\":\"%1\"}"},
	        {0, 3, 3, "crisis.intervention",
	         "{\"at\":\"2024-03-02T15:30:00Z\",\"detail\":\"talked\",\"type\":\"de-escalation\"}"},
	        {1, 2, 3, "crisis.screen",
	         "{\"answers\":{\"behavior_3mo\":false,\"behavior_ever\":false,\"intent\":false,\"method\":false,"
	         "\"plan\":false,\"thoughts\":true,\"wish_dead\":true},\"instrument\":\"cssrs-screen-1\",\"level\":\"low\"}"},
	};
	static const seed_event crisis_followup[] = {
	        {0, 2, 1, "crisis.set",
	         "{\"fields\":{\"followup_to\":\"night team\",\"contact\":\"%0\"},\"seen\":{\"followup_to\":[]}}"},
	        {1, 2, 1, "crisis.set",
	         "{\"fields\":{\"followup_done\":\"2024-03-03T09:00:00Z\",\"followup_result\":\"reached\"},"
	         "\"seen\":{\"followup_done\":[],\"followup_result\":[]}}"},
	        {2, 1, 2, "crisis.link", "{\"other\":\"%2\"}"},
	        {0, 1, 2, "crisis.open", "{\"fields\":{\"source\":\"walk-in\",\"location\":\"shelter\"}}"},
	        {1, 3, 2, "crisis.join", "{\"role\":\"support\"}"},
	        {2, 3, 3, "crisis.link", "{\"other\":\"%1\"}"},
	};
	static const seed_event gpra[] = {
	        {0, 0, 1, "contact.set", "{\"fields\":{\"name\":\"Sam\"},\"seen\":{}}"},
	        {0, 3, 2, "gpra.secret",
	         "{\"secret\":\"023cd9530b92092f64b38552ca7f61aca30a8e32a7fdfcb0ce5608f64b7e426a\"}"},
	        {1, 3, 1, "gpra.secret",
	         "{\"secret\":\"ffffd9530b92092f64b38552ca7f61aca30a8e32a7fdfcb0ce5608f64b7e4200\"}"},
	        {0, 1, 3, "gpra.interview",
	         "{\"barc10\":[1,2,3,4,5,6,1,2,3,4],\"conducted\":true,\"contact\":\"%0\",\"date\":\"2024-03-02\","
	         "\"grant\":\"TI-12345\",\"type\":\"intake\"}"},
	        {1, 2, 2, "gpra.interview",
	         "{\"conducted\":false,\"contact\":\"%0\",\"date\":\"2024-09-02\",\"grant\":\"TI-12345\",\"reason\":"
	         "\"unreachable\",\"type\":\"followup\"}"},
	        {2, 2, 1, "gpra.interview",
	         "{\"conducted\":true,\"contact\":\"%0\",\"date\":\"2024-03-01\",\"grant\":\"TI-12345\",\"type\":\"intake\"}"},
	};
	static const seed_event directory[] = {
	        {0, 1, 1, "resource.set",
	         "{\"categories\":[\"housing\"],\"name\":\"Harbor shelter\",\"organization\":\"Harbor House\",\"phone\":"
	         "\"555-0111\"}"},
	        {1, 1, 1, "resource.set",
	         "{\"categories\":[\"housing\"],\"hours\":\"Mon-Fri 8-8\",\"name\":\"Harbor shelter\",\"organization\":"
	         "\"Harbor House\",\"phone\":\"555-0111\"}"},
	        {2, 2, 1, "group.session",
	         "{\"attendees\":[\"%0\",\"%3\"],\"date\":\"2024-03-02\",\"facilitator\":\"Jo\",\"minutes\":60,\"topic\":"
	         "\"relapse prevention\"}"},
	        {0, 0, 2, "contact.set", "{\"fields\":{\"name\":\"Sam\"},\"seen\":{}}"},
	        {1, 3, 2, "assess.add",
	         "{\"contact\":\"%0\",\"date\":\"2024-03-02\",\"instrument\":\"barc10\",\"items\":[1,2,3,4,5,6,1,2,3,4]}"},
	        {0, 3, 3, "note.add",
	         "{\"contact\":\"%0\",\"date\":\"2024-03-02\",\"kind\":\"encounter\",\"text\":\"met at the library\"}"},
	        {1, 3, 3, "note.signoff", "{\"supervisor\":\"Sup Visor\",\"comment\":\"ok\"}"},
	        {2, 3, 2, "note.signoff", "{\"supervisor\":\"Other Sup\"}"},
	};
	int bad = 0;
	bad += event_seed("contact-conflict", contact, CAIRN__SEED_COUNT(contact));
	bad += event_seed("seen-cycle", cycle, CAIRN__SEED_COUNT(cycle));
	bad += event_seed("merge-delete", merge, CAIRN__SEED_COUNT(merge));
	bad += event_seed("merge-delete-a", merge_delete_a, CAIRN__SEED_COUNT(merge_delete_a));
	bad += event_seed("merge-delete-b", merge_delete_b, CAIRN__SEED_COUNT(merge_delete_b));
	bad += event_seed("merge-delete-c", merge_delete_c, CAIRN__SEED_COUNT(merge_delete_c));
	bad += event_seed("merge-delete-seen", merge_delete_seen, CAIRN__SEED_COUNT(merge_delete_seen));
	bad += event_seed("notes", notes, CAIRN__SEED_COUNT(notes));
	bad += event_seed("note-amend-conflict", amends, CAIRN__SEED_COUNT(amends));
	bad += event_seed("referral-lattice", referral, CAIRN__SEED_COUNT(referral));
	bad += event_seed("odd", odd, CAIRN__SEED_COUNT(odd));
	bad += event_seed("goal", goal, CAIRN__SEED_COUNT(goal));
	bad += event_seed("goal-conflict", goal_conflict, CAIRN__SEED_COUNT(goal_conflict));
	bad += event_seed("plan", plan, CAIRN__SEED_COUNT(plan));
	bad += event_seed("plan-merge", plan_merge, CAIRN__SEED_COUNT(plan_merge));
	bad += event_seed("consent-disclosure-audit", consent, CAIRN__SEED_COUNT(consent));
	bad += event_seed("crisis", crisis, CAIRN__SEED_COUNT(crisis));
	bad += event_seed("crisis-followup-link", crisis_followup, CAIRN__SEED_COUNT(crisis_followup));
	bad += event_seed("gpra", gpra, CAIRN__SEED_COUNT(gpra));
	bad += event_seed("resource-group-assess-signoff", directory, CAIRN__SEED_COUNT(directory));
	return bad ? 1 : 0;
}

/* ---- vfs: operations on a file of one role (fuzz_vfs.c) ---- */

#define VFS_PAGE 4096
#define VFS_FRAME (24 + VFS_PAGE)

static size_t put_be(unsigned char *p, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	return (size_t)bytes;
}

/* op 1 read / 2 write / 3 truncate; a write carries `data` (NULL: a page of text with a zero reserve). */
static size_t vfs_op(unsigned char *buf, size_t at, int op, uint32_t off, uint32_t amt, const unsigned char *data)
{
	buf[at++] = (unsigned char)op;
	at += put_be(buf + at, off, 3);
	if (op == 3)
		return at;
	at += put_be(buf + at, amt - 1, 2);
	if (op == 2) {
		if (data) {
			memcpy(buf + at, data, amt);
		} else {
			memset(buf + at, 0, amt);
			for (uint32_t i = 0; i + 40 < amt; i++)
				buf[at + i] = (unsigned char)("page text "[i % 10]);
		}
		at += amt;
	}
	return at;
}

static int gen_vfs(void)
{
	static unsigned char buf[SEED_MAX];
	unsigned char hdr[32] = {0x37, 0x7f, 0x06, 0x82, 0,    0x2d, 0xe2, 0x18, 0,    0,    0x10, 0,
	                         0,    0,    0,    0,    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
	unsigned char fh[24] = {0, 0, 0, 2, 0, 0, 0, 2, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
	unsigned char jh[28] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7, 0, 0, 0, 1, 0,    0,
	                        0,    0,    0,    0,    0,    2,    0,    0,    2, 0, 0, 0, 0x10, 0};
	unsigned char pg[4] = {0, 0, 0, 2};
	size_t at;
	int bad = 0;

	/* database: write two pages, read them whole and in pieces (page 1's header), cut one, read again */
	at = 0;
	buf[at++] = 0;
	at = vfs_op(buf, at, 2, 0, VFS_PAGE, NULL);
	at = vfs_op(buf, at, 2, VFS_PAGE, VFS_PAGE, NULL);
	at = vfs_op(buf, at, 1, 0, 100, NULL);
	at = vfs_op(buf, at, 1, 24, 16, NULL);
	at = vfs_op(buf, at, 1, VFS_PAGE, VFS_PAGE, NULL);
	at = vfs_op(buf, at, 3, VFS_PAGE + 1000, 0, NULL);
	at = vfs_op(buf, at, 1, VFS_PAGE, VFS_PAGE, NULL);
	at = vfs_op(buf, at, 1, 2 * VFS_PAGE, VFS_PAGE, NULL);
	bad += write_seed("db-pages", buf, at, NULL, 0) != 0;

	/* wal: header, a frame header and its page, read as a page and as a whole frame, tear the frame */
	at = 0;
	buf[at++] = 1;
	at = vfs_op(buf, at, 2, 0, 32, hdr);
	at = vfs_op(buf, at, 2, 32, 24, fh);
	at = vfs_op(buf, at, 2, 32 + 24, VFS_PAGE, NULL);
	at = vfs_op(buf, at, 1, 32 + 24, VFS_PAGE, NULL);
	at = vfs_op(buf, at, 1, 32, VFS_FRAME, NULL);
	at = vfs_op(buf, at, 3, 32 + VFS_FRAME - 7, 0, NULL);
	at = vfs_op(buf, at, 1, 32, VFS_FRAME, NULL);
	at = vfs_op(buf, at, 1, 32 + 24, VFS_PAGE, NULL);
	bad += write_seed("wal-frames", buf, at, NULL, 0) != 0;

	/* rollback journal: header, a record (page number, page, checksum), read back */
	at = 0;
	buf[at++] = 2;
	at = vfs_op(buf, at, 2, 0, 28, jh);
	at = vfs_op(buf, at, 2, 512, 4, pg);
	at = vfs_op(buf, at, 2, 516, VFS_PAGE, NULL);
	at = vfs_op(buf, at, 2, 516 + VFS_PAGE, 4, pg);
	at = vfs_op(buf, at, 1, 516, VFS_PAGE, NULL);
	at = vfs_op(buf, at, 1, 512, 4, NULL);
	bad += write_seed("journal-record", buf, at, NULL, 0) != 0;

	/* a file loaded from "disk" (not sealed by us) and read as each shape */
	at = 0;
	buf[at++] = 0;
	buf[at++] = 0;
	at += put_be(buf + at, VFS_PAGE + 10, 2);
	for (int i = 0; i < VFS_PAGE + 10; i++)
		buf[at++] = (unsigned char)i;
	at = vfs_op(buf, at, 1, 0, VFS_PAGE, NULL);
	at = vfs_op(buf, at, 1, VFS_PAGE, VFS_PAGE, NULL);
	at = vfs_op(buf, at, 1, 100, 3, NULL);
	bad += write_seed("loaded-garbage", buf, at, NULL, 0) != 0;
	return bad ? 1 : 0;
}

/* ---- cli: argv, NUL-separated (fuzz_cli.h) ---- */

static int cli_seed(const char *name, const char *const *args)
{
	unsigned char buf[SEED_MAX];
	size_t at = 0;
	for (size_t i = 0; args[i]; i++) {
		size_t n = strlen(args[i]);
		if (at + n + 1 >= sizeof(buf))
			return 1;
		memcpy(buf + at, args[i], n);
		at += n;
		if (args[i + 1])
			buf[at++] = 0;
	}
	return write_seed(name, buf, at, NULL, 0) ? 1 : 0;
}

static int gen_cli(void)
{
	static const char *const seeds[][16] = {
	        {"contact", "add", "Sam R.", "--phone", "555-0101", "--dob", "1990-02-28", "--json", NULL},
	        {"--dir", "x", "contact", "set", "018e0000", "--email=sam@example.org", "--pronouns", "they", NULL},
	        {"contact", "list", "--all", "-q", NULL},
	        {"note", "add", "018e0000", "--text", "met at the library", "--minutes", "20", "--date", "2024-02-29",
	         NULL},
	        {"note", "add", "018e0000", "-", "--kind", "crisis", NULL},
	        {"note", "amend", "018e0000-5f2c", "--text-file", "note.txt", "--reason", "typo", NULL},
	        {"referral", "add", "018e0000", "--category", "housing", "--to", "Harbor House", NULL},
	        {"referral", "status", "018e", "--state", "completed", "--outcome", "placed", "--reopen", NULL},
	        {"log", "--limit", "5", "--entity", "018e0000", NULL},
	        {"search", "library", "--json", NULL},
	        {"help", "referral", "status", NULL},
	        {"--passphrase-fd", "0", "note", "add", "018e0000", "-", NULL},
	        {"init", "--kdf", "min", "--passphrase-file", "p", NULL},
	        {"sync", "status", "--json", NULL},
	        {"remote", "add", "central", "https://example.org/c.git", "--pin", "sha256:00", NULL},
	        {"contact", "--json", "show", "--", "-x", NULL},
	};
	int bad = 0;
	char name[32];
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		snprintf(name, sizeof(name), "argv-%02zu", i);
		bad += cli_seed(name, seeds[i]);
	}
	return bad ? 1 : 0;
}

/* ---- roster: rosters, enrollment requests and heads, behind a mode byte (fuzz_roster.h) ---- */

static fuzz_roster_keypair rkeys[1 + FUZZ_ROSTER_DEVICES];

static int roster_sign(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	crypto_sign_detached(sig, NULL, m, n, ((const fuzz_roster_keypair *)ud)->sk);
	return 0;
}

/* One roster as a signed seed (mode 0) and as a body to be signed by the target (mode 1). */
static int roster_seeds(const char *name, cairn_roster *r, const fuzz_roster_keypair *org)
{
	unsigned char *buf = NULL, mode;
	size_t len = 0;
	char path[64];
	int bad = 0;
	if (cairn_roster_encode(&buf, &len, r, roster_sign, (void *)org) != 0) {
		fprintf(stderr, "make_corpus: roster '%s': %s\n", name, cairn_error_last());
		return 1;
	}
	mode = FUZZ_ROSTER_RAW;
	snprintf(path, sizeof(path), "signed-%s", name);
	bad += write_seed(path, &mode, 1, buf, len) ? 1 : 0;
	mode = FUZZ_ROSTER_SIGN;
	snprintf(path, sizeof(path), "body-%s", name);
	bad += write_seed(path, &mode, 1, buf, len - 64) ? 1 : 0;
	free(buf);
	return bad;
}

static int gen_roster(void)
{
	static const unsigned char team_a[CAIRN_TEAM_BYTES] = {0xa}, team_b[CAIRN_TEAM_BYTES] = {0xb};
	unsigned char key[32], one[1 + CAIRN_HEAD_BYTES], hash[32];
	cairn_roster *r = NULL;
	int bad = 0;
	if (fuzz_roster_keys(rkeys) != 0)
		return 1;
	/* empty, at version 1 */
	if (cairn_roster_new(&r, rkeys[0].pk) != 0)
		return 1;
	r->version = 1;
	bad += roster_seeds("empty", r, &rkeys[0]);
	/* two teams (A at epoch 1, keys of both epochs), three devices: enrolled, revoked after seq 5, wiped */
	r->version = 9;
	cairn_roster_team_add(r, team_b);
	cairn_roster_team_add(r, team_a)->epoch = 1;
	for (int i = 1; i <= FUZZ_ROSTER_DEVICES; i++) {
		cairn_roster_device *d = cairn_roster_device_add(r, rkeys[i].pk);
		memcpy(d->team, i < 3 ? team_a : team_b, CAIRN_TEAM_BYTES);
		if (i == 2) {
			d->status = CAIRN_ROSTER_REVOKED;
			d->last_seq = 5;
		}
		if (i == 3)
			d->flags = CAIRN_ROSTER_WIPE;
	}
	randombytes_buf(key, sizeof(key));
	for (int i = 1; i <= FUZZ_ROSTER_DEVICES; i++) {
		char hex[CAIRN_DEVICE_LEN];
		cairn_roster_device_id(rkeys[i].pk, hex);
		const cairn_roster_device *d = cairn_roster_device_find(r, hex);
		cairn_roster_key_seal(r, d, i < 3 ? team_a : team_b, 0, key);
		if (i == 1)
			cairn_roster_key_seal(r, d, team_a, 1, key);
	}
	bad += roster_seeds("teams", r, &rkeys[0]);
	/* format 3: the revoked device's last segment pinned by its hash */
	char rhex[CAIRN_DEVICE_LEN];
	cairn_roster_device_id(rkeys[2].pk, rhex);
	randombytes_buf(cairn_roster_device_find(r, rhex)->last_hash, 32);
	bad += roster_seeds("pinned", r, &rkeys[0]);
	/* the same content signed by another key: decodes (the caller compares it with the pinned key) */
	memcpy(r->org_pk, rkeys[1].pk, 32);
	bad += roster_seeds("other-org", r, &rkeys[1]);
	cairn_roster_free(r);
	/* an enrollment request and a head of device 1 */
	one[0] = FUZZ_ROSTER_ENROLL;
	cairn_enroll_encode(one + 1, rkeys[1].pk, rkeys[0].pk, roster_sign, &rkeys[1]);
	bad += write_seed("enroll", one, 1 + CAIRN_ENROLL_BYTES, NULL, 0) ? 1 : 0;
	one[0] = FUZZ_ROSTER_HEAD;
	randombytes_buf(hash, sizeof(hash));
	cairn_head_encode(one + 1, rkeys[1].pk, 42, hash, roster_sign, &rkeys[1]);
	bad += write_seed("head", one, 1 + CAIRN_HEAD_BYTES, NULL, 0) ? 1 : 0;
	return bad ? 1 : 0;
}

/* ---- directory: the office's resource directory, behind a mode byte (fuzz_directory.h) ---- */

static int gen_directory(void)
{
	static const unsigned char other_team[16] = {0x0b};
	static const char *const docs[][2] = {
	        {"empty", "[]"},
	        {"two", "[{\"body\":{\"categories\":[\"housing\",\"shelter\"],\"hours\":\"24/7\",\"name\":\"Harbor "
	                "House\",\"phone\":\"555-9000\"},\"device\":\"00112233aabbccdd\",\"hlc\":112233445566,"
	                "\"resource\":\"018f0000-0000-7000-8000-00000000f00d\"},{\"body\":{\"name\":\"Eastside MAT\"},"
	                "\"device\":\"00112233aabbccdd\",\"hlc\":112233445567,\"resource\":"
	                "\"018f0000-0000-7000-8000-00000000beef\"}]"},
	};
	unsigned char *doc = NULL, mode, z[4096];
	size_t len = 0, zlen;
	char name[64];
	int bad = 0;
	if (fuzz_roster_keys(rkeys) != 0)
		return 1;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		cairn_directory_team t[2] = {{fuzz_dir_team, 2, fuzz_dir_key}, {other_team, 0, fuzz_dir_key}};
		if (cairn_directory_encode(&doc, &len, 7 + i, rkeys[0].pk, t, 2, docs[i][1], roster_sign, &rkeys[0])) {
			fprintf(stderr, "make_corpus: directory '%s': %s\n", docs[i][0], cairn_error_last());
			return 1;
		}
		mode = FUZZ_DIR_RAW;
		snprintf(name, sizeof(name), "signed-%s", docs[i][0]);
		bad += write_seed(name, &mode, 1, doc, len) ? 1 : 0;
		mode = FUZZ_DIR_SIGN;
		snprintf(name, sizeof(name), "body-%s", docs[i][0]);
		bad += write_seed(name, &mode, 1, doc, len - 64) ? 1 : 0;
		free(doc);
		mode = FUZZ_DIR_UNPACK;
		zlen = ZSTD_compress(z, sizeof(z), docs[i][1], strlen(docs[i][1]), 3);
		snprintf(name, sizeof(name), "zstd-%s", docs[i][0]);
		bad += ZSTD_isError(zlen) || write_seed(name, &mode, 1, z, zlen) ? 1 : 0;
		mode = FUZZ_DIR_RESEAL;
		snprintf(name, sizeof(name), "json-%s", docs[i][0]);
		bad += write_seed(name, &mode, 1, (const unsigned char *)docs[i][1], strlen(docs[i][1])) ? 1 : 0;
	}
	return bad ? 1 : 0;
}

static const struct {
	const char *target;
	int (*gen)(void);
} gens[] = {
        {"segment", gen_segment}, {"event", gen_event},   {"vfs", gen_vfs},
        {"cli", gen_cli},         {"roster", gen_roster}, {"directory", gen_directory},
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
