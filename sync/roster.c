/*
 * roster.c — encode, decode and verify the roster and enrollment requests (format in roster.h).
 *
 * Invariants:
 *  1. Decoding reads through a cursor that refuses any read past the end; counts are checked against
 *     the bytes left before anything is allocated for them.
 *  2. A decoded roster is signed by the org key it carries and satisfies every rule of roster.h; callers
 *     still compare that key with the one they pinned.
 *  3. Encoding is canonical (sorted teams, devices and keys): the same content gives the same bytes.
 */
#include "roster.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROSTER_MAGIC "CAIRNRST"
#define ENROLL_MAGIC "CAIRNENR"
#define TEAM_REC (16 + 4)
#define KEY_REC (16 + 4 + 8 + CAIRN_ROSTER_SEALED)
#define DEV_REC (8 + 32 + 16 + 1 + 1 + 2 + 8)
#define DEV_REC3 (DEV_REC + 32) /* format 3: and the last segment's hash */

typedef struct {
	const unsigned char *p;
	size_t left;
} cur;

static int take(cur *c, void *out, size_t n)
{
	if (c->left < n)
		return -1;
	if (out)
		memcpy(out, c->p, n);
	c->p += n;
	c->left -= n;
	return 0;
}

static int take_u32(cur *c, uint32_t *v)
{
	unsigned char b[4];
	if (take(c, b, 4))
		return -1;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return 0;
}

static int take_u64(cur *c, uint64_t *v)
{
	uint32_t hi, lo;
	if (take_u32(c, &hi) || take_u32(c, &lo))
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

static unsigned char *put(unsigned char *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

static unsigned char *put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return p + 4;
}

static unsigned char *put_u64(unsigned char *p, uint64_t v)
{
	return put_u32(put_u32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

void cairn_roster_device_id(const unsigned char pk[32], char hex[CAIRN_DEVICE_LEN])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), pk, 32, NULL, 0);
	sodium_bin2hex(hex, CAIRN_DEVICE_LEN, h, 8);
}

void cairn_roster_free(cairn_roster *r)
{
	if (!r)
		return;
	if (r->keys)
		sodium_memzero(r->keys, r->nkeys * sizeof(*r->keys));
	free(r->teams);
	free(r->keys);
	free(r->devices);
	free(r);
}

int cairn_roster_new(cairn_roster **out, const unsigned char org_pk[32])
{
	cairn_roster *r = calloc(1, sizeof(*r));
	if (!r)
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	memcpy(r->org_pk, org_pk, 32);
	*out = r;
	return 0;
}

static int corrupt(cairn_roster *r, const char *why)
{
	cairn_roster_free(r);
	return cairn_error_set(CAIRN_ECORRUPT, "roster is corrupt (%s)", why);
}

static int team_cmp(const void *a, const void *b) { return memcmp(a, b, CAIRN_TEAM_BYTES); }
static int dev_cmp(const void *a, const void *b) { return memcmp(a, b, 8); }
static int key_cmp(const void *a, const void *b)
{
	const cairn_roster_key *x = a, *y = b;
	int c = memcmp(x->team, y->team, CAIRN_TEAM_BYTES);
	if (!c)
		c = x->epoch < y->epoch ? -1 : x->epoch > y->epoch;
	return c ? c : memcmp(x->device, y->device, 8);
}

static const cairn_roster_device *dev_by_id(const cairn_roster *r, const unsigned char id[8])
{
	return r->ndevices ? bsearch(id, r->devices, r->ndevices, sizeof(*r->devices), dev_cmp) : NULL;
}

cairn_roster_team *cairn_roster_team_find(const cairn_roster *r, const unsigned char team[CAIRN_TEAM_BYTES])
{
	for (size_t i = 0; i < r->nteams; i++)
		if (!memcmp(r->teams[i].id, team, CAIRN_TEAM_BYTES))
			return &r->teams[i];
	return NULL;
}

cairn_roster_device *cairn_roster_device_find(const cairn_roster *r, const char *hex)
{
	for (size_t i = 0; i < r->ndevices; i++)
		if (!strcmp(r->devices[i].hex, hex))
			return &r->devices[i];
	return NULL;
}

/* Teams already checked to be sorted: O(log n), so a large roster cannot make the checks quadratic. */
static const cairn_roster_team *team_sorted(const cairn_roster *r, const unsigned char id[CAIRN_TEAM_BYTES])
{
	return r->nteams ? bsearch(id, r->teams, r->nteams, sizeof(*r->teams), team_cmp) : NULL;
}

static int hash_set(const unsigned char h[32])
{
	static const unsigned char zero[32];
	return sodium_memcmp(h, zero, 32) != 0;
}

/* Rules that need the whole roster (invariant 2). */
static const char *check_rules(const cairn_roster *r)
{
	for (size_t i = 1; i < r->nteams; i++)
		if (team_cmp(r->teams[i - 1].id, r->teams[i].id) >= 0)
			return "teams out of order";
	for (size_t i = 0; i < r->ndevices; i++) {
		const cairn_roster_device *d = &r->devices[i];
		char hex[CAIRN_DEVICE_LEN];
		if (i && dev_cmp(r->devices[i - 1].id, d->id) >= 0)
			return "devices out of order";
		cairn_roster_device_id(d->pk, hex);
		if (strcmp(hex, d->hex))
			return "a device id is not the hash of its key";
		if (d->status != CAIRN_ROSTER_ENROLLED && d->status != CAIRN_ROSTER_REVOKED)
			return "unknown device status";
		if (d->flags & ~(CAIRN_ROSTER_WIPE | CAIRN_ROSTER_SUPERVISOR))
			return "unknown device flags";
		if (!team_sorted(r, d->team))
			return "a device names an unknown team";
		if (hash_set(d->last_hash) && (d->status != CAIRN_ROSTER_REVOKED || !d->last_seq))
			return "a last segment is pinned for a device not revoked after one";
	}
	for (size_t i = 0; i < r->nkeys; i++) {
		const cairn_roster_key *k = &r->keys[i];
		const cairn_roster_team *t = team_sorted(r, k->team);
		if (i && key_cmp(&r->keys[i - 1], k) >= 0)
			return "keys out of order or repeated";
		if (!t || k->epoch > t->epoch)
			return "a key names an unknown team or epoch";
		if (!dev_by_id(r, k->device))
			return "a key is sealed to an unknown device";
	}
	return NULL;
}

/* The lowest format that holds the roster (roster.h): a roster without supervisors or pinned hashes
 * stays format 1, which older cairn reads; a newer one is refused by older cairn with "upgrade" rather
 * than as corrupt. */
static unsigned roster_format(const cairn_roster *r)
{
	unsigned f = 1;
	for (size_t i = 0; i < r->ndevices; i++) {
		if (hash_set(r->devices[i].last_hash))
			return 3;
		if (r->devices[i].flags & CAIRN_ROSTER_SUPERVISOR)
			f = 2;
	}
	return f;
}

int cairn_roster_decode(cairn_roster **out, const unsigned char *buf, size_t len)
{
	cur c = {buf, len};
	unsigned char magic[8], fmt[4];
	uint32_t n;
	const char *why;
	cairn_roster *r;
	*out = NULL;
	if (len < 8 + 4 + 8 + 32 + 12 + 64 || len > CAIRN_ROSTER_MAX_BYTES)
		return cairn_error_set(CAIRN_ECORRUPT, "roster is corrupt (size %zu)", len);
	if (take(&c, magic, 8) || memcmp(magic, ROSTER_MAGIC, 8) || take(&c, fmt, 4))
		return cairn_error_set(CAIRN_ECORRUPT, "not a cairn roster");
	if (fmt[0] > 3)
		return cairn_error_set(CAIRN_ENEWER, "roster format %u is newer than this cairn: upgrade", fmt[0]);
	if (fmt[0] < 1 || fmt[1] || fmt[2] || fmt[3])
		return cairn_error_set(CAIRN_ECORRUPT, "roster is corrupt (header)");
	/* Signature first: nothing unauthenticated is parsed further than the header. */
	if (crypto_sign_verify_detached(buf + len - 64, buf, len - 64, buf + 20) != 0)
		return cairn_error_set(CAIRN_ETAMPER, "roster signature does not verify with the org key it names");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	c.left -= 64; /* the signature, checked above */
	if (take_u64(&c, &r->version) || take(&c, r->org_pk, 32))
		return corrupt(r, "header");
	if (take_u32(&c, &n) || n > CAIRN_ROSTER_MAX_TEAMS || (size_t)n * TEAM_REC > c.left)
		return corrupt(r, "team count");
	if (n && !(r->teams = calloc(n, sizeof(*r->teams))))
		return corrupt(r, "out of memory");
	for (r->nteams = 0; r->nteams < n; r->nteams++)
		if (take(&c, r->teams[r->nteams].id, 16) || take_u32(&c, &r->teams[r->nteams].epoch))
			return corrupt(r, "team");
	if (take_u32(&c, &n) || n > CAIRN_ROSTER_MAX_KEYS || (size_t)n * KEY_REC > c.left)
		return corrupt(r, "key count");
	if (n && !(r->keys = calloc(n, sizeof(*r->keys))))
		return corrupt(r, "out of memory");
	for (r->nkeys = 0; r->nkeys < n; r->nkeys++) {
		cairn_roster_key *k = &r->keys[r->nkeys];
		if (take(&c, k->team, 16) || take_u32(&c, &k->epoch) || take(&c, k->device, 8) ||
		    take(&c, k->sealed, CAIRN_ROSTER_SEALED))
			return corrupt(r, "key");
	}
	size_t drec = fmt[0] >= 3 ? DEV_REC3 : DEV_REC;
	if (take_u32(&c, &n) || n > CAIRN_ROSTER_MAX_DEVICES || (size_t)n * drec > c.left)
		return corrupt(r, "device count");
	if (n && !(r->devices = calloc(n, sizeof(*r->devices))))
		return corrupt(r, "out of memory");
	for (r->ndevices = 0; r->ndevices < n; r->ndevices++) {
		cairn_roster_device *d = &r->devices[r->ndevices];
		unsigned char st[4];
		if (take(&c, d->id, 8) || take(&c, d->pk, 32) || take(&c, d->team, 16) || take(&c, st, 4) ||
		    take_u64(&c, &d->last_seq) || (fmt[0] >= 3 && take(&c, d->last_hash, 32)))
			return corrupt(r, "device");
		if (st[2] || st[3])
			return corrupt(r, "device reserved bytes");
		d->status = st[0];
		d->flags = st[1];
		sodium_bin2hex(d->hex, sizeof(d->hex), d->id, 8);
	}
	if (c.left)
		return corrupt(r, "trailing bytes");
	if ((why = check_rules(r)))
		return corrupt(r, why);
	if (fmt[0] != roster_format(r))
		return corrupt(r, "format does not match the device records");
	*out = r;
	return 0;
}

int cairn_roster_encode(unsigned char **out, size_t *len, cairn_roster *r,
                        int (*sign)(void *ud, const unsigned char *m, size_t n, unsigned char sig[64]), void *ud)
{
	const char *why;
	unsigned char *buf, *p;
	size_t n;
	int rc;
	/* (qsort and bsearch must not see the NULL of an empty array) */
	if (r->nteams > 1)
		qsort(r->teams, r->nteams, sizeof(*r->teams), team_cmp);
	if (r->ndevices > 1)
		qsort(r->devices, r->ndevices, sizeof(*r->devices), dev_cmp);
	if (r->nkeys > 1)
		qsort(r->keys, r->nkeys, sizeof(*r->keys), key_cmp);
	if ((why = check_rules(r)))
		return cairn_error_set(CAIRN_EINVAL, "roster would be invalid (%s)", why);
	unsigned fmt = roster_format(r);
	n = 8 + 4 + 8 + 32 + 4 + r->nteams * TEAM_REC + 4 + r->nkeys * KEY_REC + 4 +
	    r->ndevices * (fmt >= 3 ? DEV_REC3 : DEV_REC) + 64;
	if (n > CAIRN_ROSTER_MAX_BYTES)
		return cairn_error_set(CAIRN_EINVAL, "roster would be too large (%zu bytes)", n);
	if (!(p = buf = malloc(n)))
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	p = put(p, ROSTER_MAGIC, 8);
	*p++ = (unsigned char)fmt;
	p = put(p, "\0\0\0", 3);
	p = put_u64(p, r->version);
	p = put(p, r->org_pk, 32);
	p = put_u32(p, (uint32_t)r->nteams);
	for (size_t i = 0; i < r->nteams; i++)
		p = put_u32(put(p, r->teams[i].id, 16), r->teams[i].epoch);
	p = put_u32(p, (uint32_t)r->nkeys);
	for (size_t i = 0; i < r->nkeys; i++) {
		const cairn_roster_key *k = &r->keys[i];
		p = put(put(put_u32(put(p, k->team, 16), k->epoch), k->device, 8), k->sealed, CAIRN_ROSTER_SEALED);
	}
	p = put_u32(p, (uint32_t)r->ndevices);
	for (size_t i = 0; i < r->ndevices; i++) {
		const cairn_roster_device *d = &r->devices[i];
		unsigned char st[4] = {d->status, d->flags, 0, 0};
		p = put_u64(put(put(put(put(p, d->id, 8), d->pk, 32), d->team, 16), st, 4), d->last_seq);
		if (fmt >= 3)
			p = put(p, d->last_hash, 32);
	}
	if ((rc = sign(ud, buf, n - 64, p))) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
}

cairn_roster_device *cairn_roster_device_add(cairn_roster *r, const unsigned char pk[32])
{
	cairn_roster_device *d = realloc(r->devices, (r->ndevices + 1) * sizeof(*d));
	if (!d) {
		cairn_error_set(CAIRN_ENOMEM, "out of memory");
		return NULL;
	}
	r->devices = d;
	d = &r->devices[r->ndevices++];
	memset(d, 0, sizeof(*d));
	memcpy(d->pk, pk, 32);
	cairn_roster_device_id(pk, d->hex);
	sodium_hex2bin(d->id, 8, d->hex, 16, NULL, NULL, NULL);
	d->status = CAIRN_ROSTER_ENROLLED;
	return d;
}

cairn_roster_team *cairn_roster_team_add(cairn_roster *r, const unsigned char team[CAIRN_TEAM_BYTES])
{
	cairn_roster_team *t = realloc(r->teams, (r->nteams + 1) * sizeof(*t));
	if (!t) {
		cairn_error_set(CAIRN_ENOMEM, "out of memory");
		return NULL;
	}
	r->teams = t;
	t = &r->teams[r->nteams++];
	memcpy(t->id, team, CAIRN_TEAM_BYTES);
	t->epoch = 0;
	return t;
}

int cairn_roster_key_seal(cairn_roster *r, const cairn_roster_device *dev, const unsigned char team[CAIRN_TEAM_BYTES],
                          uint32_t epoch, const unsigned char key[32])
{
	unsigned char xpk[32];
	cairn_roster_key *k = NULL;
	for (size_t i = 0; i < r->nkeys && !k; i++)
		if (!memcmp(r->keys[i].team, team, 16) && r->keys[i].epoch == epoch &&
		    !memcmp(r->keys[i].device, dev->id, 8))
			k = &r->keys[i];
	if (!k) {
		if (!(k = realloc(r->keys, (r->nkeys + 1) * sizeof(*k))))
			return cairn_error_set(CAIRN_ENOMEM, "out of memory");
		r->keys = k;
		k = &r->keys[r->nkeys++];
		memcpy(k->team, team, 16);
		k->epoch = epoch;
		memcpy(k->device, dev->id, 8);
	}
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, dev->pk) != 0 || crypto_box_seal(k->sealed, key, 32, xpk) != 0)
		return cairn_error_set(CAIRN_EINVAL, "device %s has an unusable public key", dev->hex);
	return 0;
}

const cairn_roster_device *cairn_roster_pinned(const cairn_roster *r, const char *device)
{
	const cairn_roster_device *d = r ? cairn_roster_device_find(r, device) : NULL;
	return d && d->status == CAIRN_ROSTER_REVOKED && d->last_seq && hash_set(d->last_hash) ? d : NULL;
}

int cairn_roster_admits(const cairn_roster *r, const char *device, const unsigned char pk[32], uint64_t last_seq,
                        const unsigned char hash[32], char *why, size_t whylen)
{
	const cairn_roster_device *d = cairn_roster_device_find(r, device);
	if (!d) {
		snprintf(why, whylen, "device %s is not enrolled in roster version %llu", device,
		         (unsigned long long)r->version);
		return 0;
	}
	if (sodium_memcmp(d->pk, pk, 32) != 0) {
		snprintf(why, whylen, "segment of %s is not signed by its enrolled key", device);
		return 0;
	}
	if (d->status == CAIRN_ROSTER_REVOKED && last_seq > d->last_seq) {
		snprintf(why, whylen, "device %s was revoked after seq %llu (roster version %llu)", device,
		         (unsigned long long)d->last_seq, (unsigned long long)r->version);
		return 0;
	}
	if (last_seq == d->last_seq && cairn_roster_pinned(r, device) && sodium_memcmp(hash, d->last_hash, 32)) {
		snprintf(why, whylen,
		         "segment ending at seq %llu of revoked device %s is not the one the office accepted "
		         "(roster version %llu): another history under its key",
		         (unsigned long long)last_seq, device, (unsigned long long)r->version);
		return 0;
	}
	return 1;
}

int cairn_enroll_encode(unsigned char out[CAIRN_ENROLL_BYTES], const unsigned char device_pk[32],
                        const unsigned char org_pk[32],
                        int (*sign)(void *ud, const unsigned char *m, size_t n, unsigned char sig[64]), void *ud)
{
	unsigned char *p = put(out, ENROLL_MAGIC, 8);
	p = put(p, "\1\0\0\0", 4);
	p = put(put(p, device_pk, 32), org_pk, 32);
	return sign(ud, out, CAIRN_ENROLL_BYTES - 64, p);
}

int cairn_enroll_decode(const unsigned char *buf, size_t len, unsigned char device_pk[32], unsigned char org_pk[32],
                        char hex[CAIRN_DEVICE_LEN])
{
	if (len != CAIRN_ENROLL_BYTES || memcmp(buf, ENROLL_MAGIC, 8) || memcmp(buf + 8, "\1\0\0\0", 4))
		return cairn_error_set(CAIRN_ECORRUPT, "not a cairn enrollment request");
	if (crypto_sign_verify_detached(buf + 76, buf, 76, buf + 12) != 0)
		return cairn_error_set(CAIRN_ETAMPER, "enrollment request is not signed by the key it carries");
	memcpy(device_pk, buf + 12, 32);
	memcpy(org_pk, buf + 44, 32);
	cairn_roster_device_id(device_pk, hex);
	return 0;
}

#define HEAD_MAGIC "CAIRNHED"

int cairn_head_encode(unsigned char out[CAIRN_HEAD_BYTES], const unsigned char device_pk[32], uint64_t seq,
                      const unsigned char hash[32],
                      int (*sign)(void *ud, const unsigned char *m, size_t n, unsigned char sig[64]), void *ud)
{
	unsigned char *p = put(put(out, HEAD_MAGIC, 8), "\1\0\0\0", 4);
	p = put(put_u64(put(p, device_pk, 32), seq), hash, 32);
	return sign(ud, out, CAIRN_HEAD_BYTES - 64, p);
}

int cairn_head_decode(const unsigned char *buf, size_t len, unsigned char device_pk[32], uint64_t *seq,
                      unsigned char hash[32], char hex[CAIRN_DEVICE_LEN])
{
	cur c = {buf + 44, 8};
	if (len != CAIRN_HEAD_BYTES || memcmp(buf, HEAD_MAGIC, 8) || memcmp(buf + 8, "\1\0\0\0", 4))
		return cairn_error_set(CAIRN_ECORRUPT, "not a cairn synced head");
	if (crypto_sign_verify_detached(buf + 84, buf, 84, buf + 12) != 0)
		return cairn_error_set(CAIRN_ETAMPER, "synced head is not signed by the key it carries");
	memcpy(device_pk, buf + 12, 32);
	take_u64(&c, seq);
	memcpy(hash, buf + 52, 32);
	cairn_roster_device_id(device_pk, hex);
	return 0;
}
