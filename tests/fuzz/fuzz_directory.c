/*
 * fuzz_directory.c — the resource directory codec (sync/directory.c) under libFuzzer, and (linked with
 * fuzz_main.c) a CTest over its corpus. Input layout in fuzz_directory.h.
 *
 * Beyond "does not crash": a failure is one of the documented codes and leaves nothing allocated; a
 * decoded document carries the org key it was verified with and wraps sorted without repeats; what opens
 * is NUL-terminated text within the cap; a round trip gives back its input; a flipped byte is caught. A
 * violation aborts, which libFuzzer reports like a crash.
 */
#include "fuzz_directory.h"
#include "directory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fuzz_roster_keypair keys[1 + FUZZ_ROSTER_DEVICES];

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_directory: invariant broken: %s\n", what);
	abort();
}

static int sign_org(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	(void)ud;
	crypto_sign_detached(sig, NULL, m, n, keys[0].sk);
	return 0;
}

static void check_code(int rc, const void *out)
{
	if (out)
		fail("a failed call returned something");
	if (rc != CAIRN_ECORRUPT && rc != CAIRN_ETAMPER && rc != CAIRN_ENEWER && rc != CAIRN_ENOTFOUND)
		fail("a failed call returned an undocumented code");
}

static void opened(int rc, char *json)
{
	if (rc) {
		check_code(rc, json);
		return;
	}
	if (!json || strlen(json) > CAIRN_DIRECTORY_MAX_PLAIN)
		fail("an opened directory is not bounded text");
	free(json);
}

static void decode(const unsigned char *buf, size_t len)
{
	cairn_directory *d = NULL;
	char *json = NULL;
	int rc = cairn_directory_decode(&d, buf, len, NULL);
	if (rc) {
		check_code(rc, d);
		return;
	}
	if (!d || memcmp(d->org_pk, buf + 20, 32))
		fail("decoded org key differs from the one verified against");
	for (size_t i = 1; i < d->nwraps; i++)
		if (memcmp(d->wraps[i - 1].team, d->wraps[i].team, 16) > 0 ||
		    (!memcmp(d->wraps[i - 1].team, d->wraps[i].team, 16) && d->wraps[i - 1].epoch >= d->wraps[i].epoch))
			fail("wraps out of order");
	for (size_t i = 0; i < d->nwraps; i++) {
		json = NULL;
		rc = cairn_directory_open(d, d->wraps[i].team, d->wraps[i].epoch, fuzz_dir_key, &json);
		opened(rc, json);
	}
	cairn_directory_free(d);
}

static void round_trip(const unsigned char *in, size_t n)
{
	char *text = malloc(n + 1), *json = NULL;
	unsigned char *doc = NULL;
	size_t len = 0;
	cairn_directory *d = NULL;
	cairn_directory_team t[2] = {{fuzz_dir_team, 3, fuzz_dir_key}, {fuzz_dir_team, 1, fuzz_dir_key}};
	if (!text)
		return;
	memcpy(text, in, n);
	text[n] = '\0';
	if (cairn_directory_encode(&doc, &len, n, keys[0].pk, t, 2, text, sign_org, NULL))
		fail("a directory does not encode");
	if (cairn_directory_decode(&d, doc, len, keys[1].pk) != CAIRN_EREJECTED || d)
		fail("a directory decodes under another org key than the one it names");
	if (cairn_directory_decode(&d, doc, len, keys[0].pk) || d->version != n || d->nwraps != 2 ||
	    d->wraps[0].epoch != 1)
		fail("an encoded directory does not decode as written");
	if (cairn_directory_open(d, fuzz_dir_team, 3, fuzz_dir_key, &json) || strcmp(json, text))
		fail("a directory does not open to what was encoded");
	free(json);
	json = NULL;
	if (cairn_directory_open(d, fuzz_dir_team, 2, fuzz_dir_key, &json) != CAIRN_ENOTFOUND || json)
		fail("a directory opens for a team epoch it is not wrapped for");
	cairn_directory_free(d);
	d = NULL;
	doc[(n * 2654435761u) % len] ^= 0x20;
	if (!cairn_directory_decode(&d, doc, len, NULL)) {
		if (!cairn_directory_open(d, fuzz_dir_team, 3, fuzz_dir_key, &json))
			fail("a directory with a flipped byte still opens");
		cairn_directory_free(d);
	}
	free(doc);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	unsigned char *buf;
	char *json = NULL;
	size_t n;
	if (!ready) {
		if (fuzz_roster_keys(keys) != 0)
			fail("sodium_init");
		ready = 1;
	}
	if (size < 1)
		return 0;
	if (!(buf = fuzz_roster_input(data, size, (data[0] & 3) == FUZZ_DIR_SIGN, &keys[0], &n)))
		return 0;
	switch (data[0] & 3) {
	case FUZZ_DIR_RAW:
	case FUZZ_DIR_SIGN: decode(buf, n); break;
	case FUZZ_DIR_UNPACK: {
		int rc = cairn__directory_unpack(buf, n, &json);
		opened(rc, json);
		break;
	}
	case FUZZ_DIR_RESEAL: round_trip(buf, strnlen((const char *)buf, n)); break;
	}
	free(buf);
	return 0;
}
