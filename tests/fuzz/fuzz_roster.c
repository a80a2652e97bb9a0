/*
 * fuzz_roster.c — the roster, enrollment-request and head codecs (sync/roster.c) under libFuzzer, and
 * (linked with fuzz_main.c) a CTest over its corpus. Input layout in fuzz_roster.h.
 *
 * Beyond "does not crash": a failure is one of the documented codes and leaves nothing allocated; a
 * success is canonical (re-encoding under the same signature gives back the very bytes decoded), verified
 * with the key it names, consistent under the lookups the hook and the import use, and undone by any one
 * changed byte (a byte picked from the input itself is flipped and the decode must then fail). A
 * violation aborts, which libFuzzer reports like a crash.
 */
#include "fuzz_roster.h"
#include "roster.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fuzz_roster_keypair keys[1 + FUZZ_ROSTER_DEVICES];

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_roster: invariant broken: %s\n", what);
	abort();
}

/* A "signer" that writes back the signature the input carried: re-encoding must then be byte-exact. */
static int same_sig(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	(void)m;
	(void)n;
	memcpy(sig, ud, 64);
	return 0;
}

/* Which byte to flip, from the input itself (so a run is reproducible from its input alone). */
static size_t pick(const unsigned char *buf, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ buf[i]) * 16777619u;
	return h % len;
}

static void check_failed(int rc, const cairn_roster *r)
{
	if (r)
		fail("a failed decode returned a roster");
	if (rc != CAIRN_ECORRUPT && rc != CAIRN_ETAMPER && rc != CAIRN_ENEWER)
		fail("a failed decode returned an undocumented code");
}

static void check_roster(const cairn_roster *r, const unsigned char *buf, size_t len)
{
	unsigned char *again = NULL;
	size_t n = 0;
	char why[256];
	if (memcmp(r->org_pk, buf + 20, 32) != 0)
		fail("decoded org key differs from the one verified against");
	for (size_t i = 0; i < r->ndevices; i++) {
		const cairn_roster_device *d = &r->devices[i];
		if (cairn_roster_device_find(r, d->hex) != d)
			fail("device lookup by id");
		if (!cairn_roster_team_find(r, d->team))
			fail("a device's team is not found");
		if (cairn_roster_admits(r, d->hex, d->pk, d->status == CAIRN_ROSTER_REVOKED ? d->last_seq : UINT64_MAX,
		                        d->last_hash, why, sizeof(why)) != 1)
			fail("an enrolled device is not admitted up to what the roster allows it");
		if (d->status == CAIRN_ROSTER_REVOKED && d->last_seq < UINT64_MAX &&
		    cairn_roster_admits(r, d->hex, d->pk, d->last_seq + 1, d->last_hash, why, sizeof(why)) != 0)
			fail("a revoked device is admitted past its last seq");
		if (cairn_roster_pinned(r, d->hex)) {
			unsigned char other[32];
			memcpy(other, d->last_hash, 32);
			other[0] ^= 1;
			if (cairn_roster_admits(r, d->hex, d->pk, d->last_seq, other, why, sizeof(why)) != 0)
				fail("another segment of a revoked device at its pinned seq is admitted");
		}
	}
	/* encode sorts in place: work on a copy so the caller's roster stays as decoded */
	cairn_roster copy = *r;
	copy.teams = r->nteams ? malloc(r->nteams * sizeof(*r->teams)) : NULL;
	copy.keys = r->nkeys ? malloc(r->nkeys * sizeof(*r->keys)) : NULL;
	copy.devices = r->ndevices ? malloc(r->ndevices * sizeof(*r->devices)) : NULL;
	if ((r->nteams && !copy.teams) || (r->nkeys && !copy.keys) || (r->ndevices && !copy.devices))
		fail("out of memory");
	if (r->nteams)
		memcpy(copy.teams, r->teams, r->nteams * sizeof(*r->teams));
	if (r->nkeys)
		memcpy(copy.keys, r->keys, r->nkeys * sizeof(*r->keys));
	if (r->ndevices)
		memcpy(copy.devices, r->devices, r->ndevices * sizeof(*r->devices));
	if (cairn_roster_encode(&again, &n, &copy, same_sig, (void *)(buf + len - 64)) != 0)
		fail("a decoded roster does not re-encode");
	if (n != len || memcmp(again, buf, len) != 0)
		fail("roster decoding is not canonical: re-encoding differs");
	free(again);
	free(copy.teams);
	free(copy.keys);
	free(copy.devices);
}

static void roster(unsigned char *buf, size_t len)
{
	cairn_roster *r = NULL;
	int rc = cairn_roster_decode(&r, buf, len);
	if (rc != 0) {
		check_failed(rc, r);
		return;
	}
	if (!r)
		fail("a successful decode returned no roster");
	check_roster(r, buf, len);
	cairn_roster_free(r);
	size_t at = pick(buf, len);
	buf[at] ^= 0x01;
	r = NULL;
	rc = cairn_roster_decode(&r, buf, len);
	if (rc == 0)
		fail("a roster with a flipped byte still decodes");
	check_failed(rc, r);
	buf[at] ^= 0x01;
}

static void enroll(unsigned char *buf, size_t len)
{
	unsigned char dpk[32], opk[32], again[CAIRN_ENROLL_BYTES];
	char hex[CAIRN_DEVICE_LEN], want[CAIRN_DEVICE_LEN];
	if (cairn_enroll_decode(buf, len, dpk, opk, hex) != 0)
		return;
	if (len != CAIRN_ENROLL_BYTES)
		fail("an enrollment request of the wrong size decodes");
	cairn_roster_device_id(dpk, want);
	if (strcmp(hex, want) != 0)
		fail("enrollment: device id is not the hash of its key");
	if (cairn_enroll_encode(again, dpk, opk, same_sig, buf + len - 64) != 0 || memcmp(again, buf, len) != 0)
		fail("enrollment decoding is not canonical");
	size_t at = pick(buf, len);
	buf[at] ^= 0x01;
	if (cairn_enroll_decode(buf, len, dpk, opk, hex) == 0)
		fail("an enrollment request with a flipped byte still decodes");
	buf[at] ^= 0x01;
}

static void head(unsigned char *buf, size_t len)
{
	unsigned char pk[32], hash[32], again[CAIRN_HEAD_BYTES];
	char hex[CAIRN_DEVICE_LEN], want[CAIRN_DEVICE_LEN];
	uint64_t seq;
	if (cairn_head_decode(buf, len, pk, &seq, hash, hex) != 0)
		return;
	if (len != CAIRN_HEAD_BYTES)
		fail("a head of the wrong size decodes");
	cairn_roster_device_id(pk, want);
	if (strcmp(hex, want) != 0)
		fail("head: device id is not the hash of its key");
	if (cairn_head_encode(again, pk, seq, hash, same_sig, buf + len - 64) != 0 || memcmp(again, buf, len) != 0)
		fail("head decoding is not canonical");
	size_t at = pick(buf, len);
	buf[at] ^= 0x01;
	if (cairn_head_decode(buf, len, pk, &seq, hash, hex) == 0)
		fail("a head with a flipped byte still decodes");
	buf[at] ^= 0x01;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	unsigned char *buf;
	size_t n;
	if (!ready) {
		if (fuzz_roster_keys(keys) != 0)
			fail("sodium_init");
		ready = 1;
	}
	if (size < 1)
		return 0;
	if (!(buf = fuzz_roster_input(data, size, (data[0] & 3) == FUZZ_ROSTER_SIGN, &keys[0], &n)))
		return 0;
	switch (data[0] & 3) {
	case FUZZ_ROSTER_RAW:
	case FUZZ_ROSTER_SIGN: roster(buf, n); break;
	case FUZZ_ROSTER_ENROLL: enroll(buf, n); break;
	case FUZZ_ROSTER_HEAD: head(buf, n); break;
	}
	free(buf);
	return 0;
}
