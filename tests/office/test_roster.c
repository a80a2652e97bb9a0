/*
 * test_roster.c — the roster and enrollment codecs (sync/roster.c): round trip, canonical bytes, every
 * byte flip and every truncation refused, signed-but-invalid content refused, sealed keys opening only
 * for their device, and the admission rules the hook and the import share.
 */
#include "roster.h"
#include "t.h"

#include <sodium.h>

typedef struct {
	unsigned char pk[32], sk[64];
} keypair;

static keypair org, dev[3];

static int sign_org(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	(void)ud;
	crypto_sign_detached(sig, NULL, m, n, org.sk);
	return 0;
}

static int sign_dev(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	crypto_sign_detached(sig, NULL, m, n, ((keypair *)ud)->sk);
	return 0;
}

static const unsigned char team_a[16] = {1}, team_b[16] = {2};
static unsigned char key_a[32], key_b[32];

/* org, two teams, three devices (0 and 1 in A, 2 in B, 1 revoked after seq 5, 2 with a wipe order). */
static cairn_roster *sample(void)
{
	cairn_roster *r = NULL;
	cairn_roster_new(&r, org.pk);
	r->version = 7;
	cairn_roster_team_add(r, team_b);
	cairn_roster_team_add(r, team_a)->epoch = 1;
	for (int i = 0; i < 3; i++) {
		cairn_roster_device *d = cairn_roster_device_add(r, dev[i].pk);
		memcpy(d->team, i < 2 ? team_a : team_b, 16);
		if (i == 1) {
			d->status = CAIRN_ROSTER_REVOKED;
			d->last_seq = 5;
		}
		if (i == 2)
			d->flags = CAIRN_ROSTER_WIPE;
	}
	for (int i = 0; i < 3; i++) {
		char hex[CAIRN_DEVICE_LEN];
		cairn_roster_device_id(dev[i].pk, hex);
		cairn_roster_device *d = cairn_roster_device_find(r, hex);
		if (i < 2)
			cairn_roster_key_seal(r, d, team_a, 0, key_a);
		else
			cairn_roster_key_seal(r, d, team_b, 0, key_b);
	}
	return r;
}

static void encode(cairn_roster *r, unsigned char **buf, size_t *len)
{
	*buf = NULL;
	if (cairn_roster_encode(buf, len, r, sign_org, NULL))
		fprintf(stderr, "  encode: %s\n", cairn_error_last());
}

static void test_round_trip_is_canonical(void)
{
	cairn_roster *r = sample(), *d = NULL;
	unsigned char *a, *b;
	size_t na, nb;
	encode(r, &a, &na);
	T_REQUIRE(a);
	T_OK(cairn_roster_decode(&d, a, na));
	T_CHECK(d->version == 7 && d->nteams == 2 && d->ndevices == 3 && d->nkeys == 3);
	T_CHECK(!memcmp(d->org_pk, org.pk, 32));
	encode(d, &b, &nb);
	T_CHECK(b && na == nb && !memcmp(a, b, na));
	free(a);
	free(b);
	cairn_roster_free(r);
	cairn_roster_free(d);
}

static void test_every_flip_and_truncation_refused(void)
{
	cairn_roster *r = sample(), *d = NULL;
	unsigned char *a;
	size_t n;
	int bad = 0;
	encode(r, &a, &n);
	T_REQUIRE(a);
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit += 3) {
			a[i] ^= (unsigned char)(1 << bit);
			if (cairn_roster_decode(&d, a, n) == 0) {
				bad++;
				cairn_roster_free(d);
			}
			a[i] ^= (unsigned char)(1 << bit);
		}
	T_CHECK(bad == 0);
	for (size_t k = 0; k < n; k++)
		if (cairn_roster_decode(&d, a, k) == 0) {
			bad++;
			cairn_roster_free(d);
		}
	T_CHECK(bad == 0);
	free(a);
	cairn_roster_free(r);
}

/* Re-sign after editing: content rules must hold even for a roster the org key signed. */
static int decode_patched(unsigned char *a, size_t n, size_t off, unsigned char v)
{
	cairn_roster *d = NULL;
	a[off] = v;
	sign_org(NULL, a, n - 64, a + n - 64);
	int rc = cairn_roster_decode(&d, a, n);
	if (getenv("T_VERBOSE"))
		fprintf(stderr, "  patched %zu: %s\n", off, cairn_error_last());
	cairn_roster_free(d);
	return rc;
}

static void test_signed_but_invalid_refused(void)
{
	cairn_roster *r = sample();
	unsigned char *a;
	size_t n, teams = 8 + 4 + 8 + 32, keys = teams + 4 + 2 * 20, devs = keys + 4 + 3 * 108;
	encode(r, &a, &n);
	T_REQUIRE(a);
	unsigned char *c = malloc(n);
	memcpy(c, a, n);
	T_CHECK(decode_patched(c, n, teams + 3, 200) == CAIRN_ECORRUPT); /* team count beyond the data */
	memcpy(c, a, n);
	T_CHECK(decode_patched(c, n, devs + 4 + 8 + 32 + 16, 3) == CAIRN_ECORRUPT); /* unknown status */
	memcpy(c, a, n);
	T_CHECK(decode_patched(c, n, devs + 4 + 8 + 5, c[devs + 4 + 8 + 5] ^ 1) == CAIRN_ECORRUPT); /* id != key */
	memcpy(c, a, n);
	T_CHECK(decode_patched(c, n, keys + 4 + 16 + 3, 9) == CAIRN_ECORRUPT); /* epoch above the team's */
	memcpy(c, a, n);
	T_CHECK(decode_patched(c, n, 8, 4) == CAIRN_ENEWER);
	memcpy(c, a, n);
	T_CHECK(decode_patched(c, n, 8, 3) == CAIRN_ECORRUPT); /* format 3's device records are longer */
	memcpy(c, a, n);
	T_CHECK(decode_patched(c, n, 8, 2) == CAIRN_ECORRUPT); /* format 2 names a supervisor; this one has none */
	memcpy(c, a, n);
	T_CHECK(decode_patched(c, n, devs + 4 + 8 + 32 + 16 + 1, 2) == CAIRN_ECORRUPT); /* a supervisor in format 1 */
	memcpy(c, a, n);
	T_CHECK(decode_patched(c, n, 20, c[20] ^ 1) == CAIRN_ETAMPER); /* another org key than the signer */
	free(c);
	free(a);
	cairn_roster_free(r);
}

static void test_sealed_keys_open_for_their_device_only(void)
{
	cairn_roster *r = sample();
	unsigned char x[3][32], xs[3][32], out[32];
	int opened[3][3];
	for (int i = 0; i < 3; i++)
		T_REQUIRE(crypto_sign_ed25519_pk_to_curve25519(x[i], dev[i].pk) == 0 &&
		          crypto_sign_ed25519_sk_to_curve25519(xs[i], dev[i].sk) == 0);
	for (size_t k = 0; k < r->nkeys; k++)
		for (int i = 0; i < 3; i++)
			opened[k][i] = crypto_box_seal_open(out, r->keys[k].sealed, 80, x[i], xs[i]) == 0;
	for (size_t k = 0; k < r->nkeys; k++) {
		int count = 0;
		for (int i = 0; i < 3; i++)
			count += opened[k][i];
		T_CHECK(count == 1);
	}
	cairn_roster_free(r);
}

static void test_admission(void)
{
	cairn_roster *r = sample();
	char h[3][CAIRN_DEVICE_LEN], why[200];
	for (int i = 0; i < 3; i++)
		cairn_roster_device_id(dev[i].pk, h[i]);
	unsigned char any[32] = {9};
	T_CHECK(cairn_roster_admits(r, h[0], dev[0].pk, 100, any, why, sizeof(why)) == 1);
	T_CHECK(cairn_roster_admits(r, h[0], dev[2].pk, 1, any, why, sizeof(why)) == 0 && strstr(why, "enrolled key"));
	T_CHECK(cairn_roster_admits(r, h[1], dev[1].pk, 5, any, why, sizeof(why)) == 1); /* format 1: seq only */
	T_CHECK(cairn_roster_admits(r, h[1], dev[1].pk, 6, any, why, sizeof(why)) == 0 && strstr(why, "revoked"));
	T_CHECK(cairn_roster_admits(r, "0123456789abcdef", dev[0].pk, 1, any, why, sizeof(why)) == 0 &&
	        strstr(why, "not enrolled"));
	T_CHECK(cairn_roster_pinned(r, h[1]) == NULL);
	cairn_roster_free(r);
}

/* Format 3: a revoked device's last segment pinned by its hash. Only that segment is admitted at its
 * seq; the pin survives a round trip; a roster without pins stays format 1 (older cairn reads it). */
static void test_pinned_last_segment(void)
{
	cairn_roster *r = sample(), *d = NULL;
	char h[CAIRN_DEVICE_LEN], why[200];
	unsigned char *a = NULL, pin[32], other[32];
	size_t n;
	cairn_roster_device_id(dev[1].pk, h);
	encode(r, &a, &n);
	T_REQUIRE(a);
	T_CHECK(a[8] == 1);
	free(a);
	memset(pin, 0x5a, sizeof(pin));
	memcpy(other, pin, sizeof(pin));
	other[31] ^= 1;
	memcpy(cairn_roster_device_find(r, h)->last_hash, pin, 32);
	encode(r, &a, &n);
	T_REQUIRE(a);
	T_CHECK(a[8] == 3);
	T_OK(cairn_roster_decode(&d, a, n));
	T_CHECK(cairn_roster_pinned(d, h) && !memcmp(cairn_roster_pinned(d, h)->last_hash, pin, 32));
	T_CHECK(cairn_roster_admits(d, h, dev[1].pk, 5, pin, why, sizeof(why)) == 1);
	T_CHECK(cairn_roster_admits(d, h, dev[1].pk, 5, other, why, sizeof(why)) == 0 &&
	        strstr(why, "not the one the office accepted"));
	T_CHECK(cairn_roster_admits(d, h, dev[1].pk, 4, other, why, sizeof(why)) == 1); /* the chain's to check */
	T_CHECK(cairn_roster_admits(d, h, dev[1].pk, 6, pin, why, sizeof(why)) == 0 && strstr(why, "revoked"));
	free(a);
	cairn_roster_free(d);
	/* a pin on a device that is not revoked is refused by the encoder (and so by the decoder's rules) */
	cairn_roster_device_id(dev[0].pk, h);
	memcpy(cairn_roster_device_find(r, h)->last_hash, pin, 32);
	a = NULL;
	T_CHECK(cairn_roster_encode(&a, &n, r, sign_org, NULL) == CAIRN_EINVAL && !a);
	cairn_roster_free(r);
}

static void test_enrollment_request(void)
{
	unsigned char req[CAIRN_ENROLL_BYTES], pk[32], o[32];
	char hex[CAIRN_DEVICE_LEN], want[CAIRN_DEVICE_LEN];
	T_OK(cairn_enroll_encode(req, dev[0].pk, org.pk, sign_dev, &dev[0]));
	T_OK(cairn_enroll_decode(req, sizeof(req), pk, o, hex));
	cairn_roster_device_id(dev[0].pk, want);
	T_CHECK(!strcmp(hex, want) && !memcmp(pk, dev[0].pk, 32) && !memcmp(o, org.pk, 32));
	int accepted = 0;
	for (size_t i = 0; i < sizeof(req); i++) {
		req[i] ^= 0x10;
		accepted += cairn_enroll_decode(req, sizeof(req), pk, o, hex) == 0;
		req[i] ^= 0x10;
	}
	T_CHECK(accepted == 0);
	/* signed by another key than the one it carries */
	T_OK(cairn_enroll_encode(req, dev[0].pk, org.pk, sign_dev, &dev[1]));
	T_CHECK(cairn_enroll_decode(req, sizeof(req), pk, o, hex) == CAIRN_ETAMPER);
	T_CHECK(cairn_enroll_decode(req, sizeof(req) - 1, pk, o, hex) == CAIRN_ECORRUPT);
}

static void test_synced_head(void)
{
	unsigned char head[CAIRN_HEAD_BYTES], pk[32], hash[32], h2[32];
	uint64_t seq = 0;
	char hex[CAIRN_DEVICE_LEN];
	int accepted = 0;
	randombytes_buf(hash, 32);
	T_OK(cairn_head_encode(head, dev[2].pk, 42, hash, sign_dev, &dev[2]));
	T_OK(cairn_head_decode(head, sizeof(head), pk, &seq, h2, hex));
	T_CHECK(seq == 42 && !memcmp(h2, hash, 32) && !memcmp(pk, dev[2].pk, 32));
	for (size_t i = 0; i < sizeof(head); i++) {
		head[i] ^= 0x01;
		accepted += cairn_head_decode(head, sizeof(head), pk, &seq, h2, hex) == 0;
		head[i] ^= 0x01;
	}
	T_CHECK(accepted == 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(org.pk, org.sk);
	for (int i = 0; i < 3; i++)
		crypto_sign_keypair(dev[i].pk, dev[i].sk);
	randombytes_buf(key_a, 32);
	randombytes_buf(key_b, 32);
	T_RUN(test_round_trip_is_canonical);
	T_RUN(test_every_flip_and_truncation_refused);
	T_RUN(test_signed_but_invalid_refused);
	T_RUN(test_sealed_keys_open_for_their_device_only);
	T_RUN(test_admission);
	T_RUN(test_pinned_last_segment);
	T_RUN(test_enrollment_request);
	T_RUN(test_synced_head);
	T_END();
}
