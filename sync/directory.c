/*
 * directory.c — the resource directory between the office and the devices (format in docs/formats.md
 * "Resource directory"; interfaces in directory.h).
 *
 * Invariants:
 *  1. The signature is checked before anything past the fixed header is parsed; every count and length
 *     is checked against the bytes left before anything is allocated; the decompressed size is declared
 *     by the zstd frame and capped before decompressing.
 *  2. A device moves its directory only forward (a higher version, signed by the org key it pinned) and
 *     adopts it whole: resources come from the office, never from another device.
 *  3. The git host sees ciphertext only: the contents are sealed under a fresh key per version, wrapped
 *     for each team with that team's current key (so a revoked device's old keys read no newer version).
 */
#include "directory.h"
#include "bytes.h"
#include "office.h"
#include "sync_error.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define MAGIC "CAIRNDIR"
#define FIXED (8 + 4 + 8 + 32) /* magic, format, version, org key */
#define WRAP_REC (16 + 4 + 24 + CAIRN_DIRECTORY_WRAP_BYTES)
#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES

static int wrap_cmp(const unsigned char *team_a, uint32_t ea, const unsigned char *team_b, uint32_t eb)
{
	int c = memcmp(team_a, team_b, CAIRN_TEAM_BYTES);
	return c ? c : ea < eb ? -1 : ea > eb;
}

void cairn_directory_free(cairn_directory *d)
{
	if (!d)
		return;
	free(d->wraps);
	free(d->doc);
	free(d);
}

static int corrupt(cairn_directory *d, const char *why)
{
	cairn_directory_free(d);
	return cairn__sync_error(CAIRN_ECORRUPT, "resource directory is corrupt (%s)", why);
}

int cairn_directory_decode(cairn_directory **out, const unsigned char *buf, size_t len, const unsigned char *org)
{
	cairn_directory *d;
	size_t at, end;
	uint32_t n, clen;
	*out = NULL;
	if (len < FIXED + 4 + NONCE + 4 + TAG + 64 || len > CAIRN_DIRECTORY_MAX_BYTES)
		return cairn__sync_error(CAIRN_ECORRUPT, "resource directory is corrupt (size %zu)", len);
	if (memcmp(buf, MAGIC, 8))
		return cairn__sync_error(CAIRN_ECORRUPT, "not a cairn resource directory");
	if (buf[8] > 1)
		return cairn__sync_error(CAIRN_ENEWER, "resource directory format %u is newer than this cairn: upgrade",
		                         buf[8]);
	if (buf[8] != 1 || buf[9] || buf[10] || buf[11])
		return cairn__sync_error(CAIRN_ECORRUPT, "resource directory is corrupt (header)");
	if (org && sodium_memcmp(buf + 20, org, 32))
		return cairn__sync_error(CAIRN_EREJECTED,
		                         "resource directory is signed by another org key than the one "
		                         "pinned here");
	/* Signature first: nothing unauthenticated is parsed further than the header. */
	if (crypto_sign_verify_detached(buf + len - 64, buf, len - 64, buf + 20) != 0)
		return cairn__sync_error(CAIRN_ETAMPER, "resource directory signature does not verify with the org key "
		                                        "it names");
	end = len - 64;
	if (!(d = calloc(1, sizeof(*d))))
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory");
	d->version = cairn__get_u64(buf + 12);
	memcpy(d->org_pk, buf + 20, 32);
	n = cairn__get_u32(buf + FIXED);
	at = FIXED + 4;
	if (n > CAIRN_DIRECTORY_MAX_TEAMS || (size_t)n * WRAP_REC > end - at)
		return corrupt(d, "team count");
	if (n && !(d->wraps = calloc(n, sizeof(*d->wraps))))
		return corrupt(d, "out of memory");
	for (d->nwraps = 0; d->nwraps < n; d->nwraps++, at += WRAP_REC) {
		cairn_directory_wrap *w = &d->wraps[d->nwraps];
		memcpy(w->team, buf + at, 16);
		w->epoch = cairn__get_u32(buf + at + 16);
		memcpy(w->nonce, buf + at + 20, 24);
		memcpy(w->wrapped, buf + at + 44, CAIRN_DIRECTORY_WRAP_BYTES);
		if (d->nwraps && wrap_cmp(w[-1].team, w[-1].epoch, w->team, w->epoch) >= 0)
			return corrupt(d, "teams out of order");
	}
	if (end - at < NONCE + 4)
		return corrupt(d, "body");
	d->body_at = at;
	clen = cairn__get_u32(buf + at + NONCE);
	if (clen < TAG || clen != end - at - NONCE - 4)
		return corrupt(d, "body length");
	d->body_len = end - at;
	if (!(d->doc = malloc(len)))
		return corrupt(d, "out of memory");
	memcpy(d->doc, buf, len);
	*out = d;
	return 0;
}

/* The wrap's associated data: magic, format and version, then the team and epoch it is for. */
static void wrap_ad(unsigned char ad[20 + 20], const unsigned char *doc, const unsigned char *team, uint32_t epoch)
{
	memcpy(ad, doc, 20);
	memcpy(ad + 20, team, 16);
	cairn__put_u32(ad + 36, epoch);
}

int cairn__directory_unpack(const unsigned char *z, size_t zlen, char **json)
{
	unsigned long long size;
	size_t fsz, got;
	char *out;
	*json = NULL;
	if (zlen < 4 || (z[0] | z[1] << 8 | z[2] << 16 | (uint32_t)z[3] << 24) != ZSTD_MAGICNUMBER)
		return cairn__sync_error(CAIRN_ECORRUPT, "resource directory is corrupt (not a zstd frame)");
	fsz = ZSTD_findFrameCompressedSize(z, zlen);
	if (ZSTD_isError(fsz) || fsz != zlen)
		return cairn__sync_error(CAIRN_ECORRUPT, "resource directory is corrupt (not exactly one zstd frame)");
	size = ZSTD_getFrameContentSize(z, zlen);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size > CAIRN_DIRECTORY_MAX_PLAIN)
		return cairn__sync_error(CAIRN_ECORRUPT, "resource directory is corrupt (declared size)");
	if (!(out = malloc((size_t)size + 1)))
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory");
	got = ZSTD_decompress(out, (size_t)size, z, zlen);
	if (ZSTD_isError(got) || got != size || memchr(out, '\0', got)) {
		sodium_memzero(out, (size_t)size);
		free(out);
		return cairn__sync_error(CAIRN_ECORRUPT, "resource directory is corrupt (contents)");
	}
	out[got] = '\0';
	*json = out;
	return 0;
}

int cairn_directory_open(const cairn_directory *d, const unsigned char team[CAIRN_TEAM_BYTES], uint32_t epoch,
                         const unsigned char key[32], char **json)
{
	const cairn_directory_wrap *w = NULL;
	const unsigned char *body = d->doc + d->body_at;
	size_t clen = d->body_len - NONCE - 4;
	unsigned char ad[40], *dk, *plain;
	int rc;
	*json = NULL;
	for (size_t i = 0; i < d->nwraps && !w; i++)
		if (!wrap_cmp(d->wraps[i].team, d->wraps[i].epoch, team, epoch))
			w = &d->wraps[i];
	if (!w)
		return cairn__sync_error(CAIRN_ENOTFOUND, "the resource directory is not readable by this team");
	if (!(dk = sodium_malloc(32)))
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory");
	wrap_ad(ad, d->doc, team, epoch);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(dk, NULL, NULL, w->wrapped, sizeof(w->wrapped), ad, sizeof(ad),
	                                               w->nonce, key) != 0) {
		sodium_free(dk);
		return cairn__sync_error(CAIRN_ETAMPER, "the resource directory's key does not open with the team key");
	}
	if (!(plain = malloc(clen - TAG + 1))) {
		sodium_free(dk);
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory");
	}
	/* Associated data: everything before the ciphertext (header, wraps, nonce, length). */
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, body + NONCE + 4, clen, d->doc,
	                                               d->body_at + NONCE + 4, body, dk) != 0)
		rc = cairn__sync_error(CAIRN_ETAMPER, "the resource directory does not authenticate");
	else
		rc = cairn__directory_unpack(plain, clen - TAG, json);
	sodium_free(dk);
	sodium_memzero(plain, clen - TAG);
	free(plain);
	return rc;
}

static int team_sort(const void *a, const void *b)
{
	const cairn_directory_team *x = a, *y = b;
	return wrap_cmp(x->team, x->epoch, y->team, y->epoch);
}

int cairn_directory_encode(unsigned char **out, size_t *len, uint64_t version, const unsigned char org_pk[32],
                           cairn_directory_team *teams, size_t nteams, const char *json,
                           int (*sign)(void *ud, const unsigned char *m, size_t n, unsigned char sig[64]), void *ud)
{
	size_t jlen = strlen(json), bound = ZSTD_compressBound(jlen), zlen, total, at;
	unsigned char *z, *buf = NULL, *dk = NULL, ad[40];
	int rc = 0;
	*out = NULL;
	if (nteams > CAIRN_DIRECTORY_MAX_TEAMS || jlen > CAIRN_DIRECTORY_MAX_PLAIN)
		return cairn__sync_error(CAIRN_EINVAL, "the resource directory is too large to publish");
	if (nteams)
		qsort(teams, nteams, sizeof(*teams), team_sort);
	for (size_t i = 1; i < nteams; i++)
		if (!team_sort(&teams[i - 1], &teams[i]))
			return cairn__sync_error(CAIRN_EINVAL, "a team is listed twice");
	if (!(z = malloc(bound)))
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory");
	zlen = ZSTD_compress(z, bound, json, jlen, 3);
	if (ZSTD_isError(zlen)) {
		free(z);
		return cairn__sync_error(CAIRN_ERROR, "cannot compress the resource directory: %s",
		                         ZSTD_getErrorName(zlen));
	}
	total = FIXED + 4 + nteams * WRAP_REC + NONCE + 4 + zlen + TAG + 64;
	if (total > CAIRN_DIRECTORY_MAX_BYTES)
		rc = cairn__sync_error(CAIRN_EINVAL, "the resource directory is too large to publish");
	else if (!(buf = calloc(1, total)))
		rc = cairn__sync_error(CAIRN_ENOMEM, "out of memory");
	else if (!(dk = sodium_malloc(32))) {
		free(buf);
		rc = cairn__sync_error(CAIRN_ENOMEM, "out of memory");
	}
	if (rc) {
		free(z);
		return rc;
	}
	randombytes_buf(dk, 32);
	memcpy(buf, MAGIC, 8);
	buf[8] = 1;
	cairn__put_u64(buf + 12, version);
	memcpy(buf + 20, org_pk, 32);
	cairn__put_u32(buf + FIXED, (uint32_t)nteams);
	at = FIXED + 4;
	for (size_t i = 0; i < nteams; i++, at += WRAP_REC) {
		memcpy(buf + at, teams[i].team, 16);
		cairn__put_u32(buf + at + 16, teams[i].epoch);
		randombytes_buf(buf + at + 20, 24);
		wrap_ad(ad, buf, teams[i].team, teams[i].epoch);
		crypto_aead_xchacha20poly1305_ietf_encrypt(buf + at + 44, NULL, dk, 32, ad, sizeof(ad), NULL,
		                                           buf + at + 20, teams[i].key);
	}
	randombytes_buf(buf + at, NONCE);
	cairn__put_u32(buf + at + NONCE, (uint32_t)(zlen + TAG));
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + at + NONCE + 4, NULL, z, zlen, buf, at + NONCE + 4, NULL,
	                                           buf + at, dk);
	sodium_free(dk);
	sodium_memzero(z, zlen);
	free(z);
	if ((rc = sign(ud, buf, total - 64, buf + total - 64))) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = total;
	return 0;
}

/* ---- repositories and journals ---- */

int cairn__directory_read(cairn_gitlog *g, const char *commit, const unsigned char org[32], cairn_directory **out,
                          char parent[CAIRN_OID_HEX])
{
	unsigned char *buf = NULL;
	size_t len;
	int rc = cairn__gitlog_read_blob(g, commit, "directory", &buf, &len, parent);
	if (!rc)
		rc = cairn_directory_decode(out, buf, len, org);
	free(buf);
	return rc;
}

static int org_sign_cb(void *ud, const unsigned char *m, size_t n, unsigned char sig[64])
{
	return cairn_org_sign(ud, m, n, sig);
}

int cairn__directory_publish(cairn_journal *j, cairn_gitlog *g, const cairn_roster *r)
{
	char tip[CAIRN_OID_HEX] = "", parent[CAIRN_OID_HEX], out[CAIRN_OID_HEX], *json = NULL;
	cairn_directory_team *teams = calloc(r->nteams ? r->nteams : 1, sizeof(*teams));
	unsigned char **keys = calloc(r->nteams ? r->nteams : 1, sizeof(*keys)), *doc = NULL;
	cairn_directory *prev = NULL;
	uint64_t version = 1;
	size_t len = 0;
	int rc = cairn__gitlog_tip(g, CAIRN_DIRECTORY_REF, tip);
	if (!teams || !keys) {
		rc = cairn__sync_error(CAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (rc == 0 && !(rc = cairn__directory_read(g, tip, r->org_pk, &prev, parent)))
		version = prev->version + 1;
	else if (rc == CAIRN_ENOTFOUND)
		tip[0] = '\0', rc = 0;
	if (rc || (rc = cairn_resource_directory(j, &json)))
		goto out;
	if (!tip[0] && !strcmp(json, "[]"))
		goto out; /* nothing published yet, nothing to publish */
	for (size_t i = 0; i < r->nteams && !rc; i++) {
		teams[i] = (cairn_directory_team){r->teams[i].id, r->teams[i].epoch, NULL};
		if (!(rc = cairn_team_key(j, r->teams[i].id, r->teams[i].epoch, &keys[i])))
			teams[i].key = keys[i];
		else if (rc == CAIRN_ENOTFOUND)
			rc = cairn__sync_error(rc, "the office holds no key for epoch %u of a team in the roster",
			                       r->teams[i].epoch);
	}
	if (!rc &&
	    !(rc = cairn_directory_encode(&doc, &len, version, r->org_pk, teams, r->nteams, json, org_sign_cb, j)))
		rc = cairn__gitlog_commit_blob(g, CAIRN_DIRECTORY_REF, "directory", tip, doc, len, out);
out:
	for (size_t i = 0; keys && i < r->nteams; i++)
		cairn_key_free(keys[i]);
	free(keys);
	free(teams);
	free(doc);
	cairn_free(json);
	cairn_directory_free(prev);
	return rc;
}

int cairn__directory_apply(cairn_gitlog *g, cairn_journal *j)
{
	char tip[CAIRN_OID_HEX], parent[CAIRN_OID_HEX], *json = NULL;
	unsigned char org[32], *key = NULL, *buf = NULL;
	size_t len;
	cairn_directory *d = NULL;
	uint64_t held;
	int rc = cairn_org_public_key(j, org);
	if (rc == 0)
		return 0; /* the office: its directory is its own events */
	cairn_error_clear();
	if (cairn__gitlog_tip(g, CAIRN_DIRECTORY_REF, tip) || cairn__org_pinned(j, org)) {
		cairn_error_clear();
		return 0;
	}
	if ((rc = cairn_resource_directory_version(j, &held)) ||
	    (rc = cairn__gitlog_read_blob(g, tip, "directory", &buf, &len, parent)))
		return rc;
	/* The version in the header before any verification, only to skip the work when the journal holds it
	 * already (the ref was moved here only after a verified adopt). */
	if (len >= 20 && cairn__get_u64(buf + 12) <= held) {
		free(buf);
		return 0;
	}
	rc = cairn_directory_decode(&d, buf, len, org);
	free(buf);
	if (rc)
		return rc;
	if (d->version > held) {
		/* Newest epoch first: the one the office encrypts for is the team's current one. */
		rc = CAIRN_ENOTFOUND;
		for (size_t i = d->nwraps; i-- > 0 && rc == CAIRN_ENOTFOUND;) {
			if (cairn_team_key(j, d->wraps[i].team, d->wraps[i].epoch, &key))
				continue;
			rc = cairn_directory_open(d, d->wraps[i].team, d->wraps[i].epoch, key, &json);
			cairn_key_free(key);
			key = NULL;
		}
		if (rc == CAIRN_ENOTFOUND)
			rc = 0; /* not for us (yet): carried, not read */
		else if (!rc)
			rc = cairn_resource_directory_adopt(j, d->version, json);
	}
	if (json)
		sodium_memzero(json, strlen(json));
	free(json);
	cairn_directory_free(d);
	if (!rc)
		cairn_error_clear();
	return rc;
}

int cairn__directory_adopt(cairn_gitlog *g, cairn_journal *j, const char *remote)
{
	unsigned char org[32];
	char rref[256], rtip[CAIRN_OID_HEX], ltip[CAIRN_OID_HEX] = "", parent[CAIRN_OID_HEX];
	cairn_directory *theirs = NULL, *ours = NULL;
	int rc = cairn__org_pinned(j, org);
	if (rc) {
		cairn_error_clear();
		return rc == CAIRN_ENOTFOUND ? 0 : rc;
	}
	snprintf(rref, sizeof(rref), "refs/remotes/%s/directory", remote);
	if (cairn__gitlog_tip(g, rref, rtip)) {
		cairn_error_clear();
		return cairn__directory_apply(g, j);
	}
	if (!cairn__gitlog_tip(g, CAIRN_DIRECTORY_REF, ltip) && !strcmp(ltip, rtip))
		return cairn__directory_apply(g, j);
	if ((rc = cairn__directory_read(g, rtip, org, &theirs, parent)))
		return cairn__sync_error(rc == CAIRN_ENEWER ? rc : CAIRN_EREJECTED,
		                         "resource directory from remote '%s' refused: %s", remote, cairn_error_last());
	/* Ours as new or newer: it goes to that remote with the next push. Ours damaged (not merely from a
	 * newer cairn): take theirs. */
	if (ltip[0] && (rc = cairn__directory_read(g, ltip, org, &ours, parent)) != CAIRN_ECORRUPT &&
	    rc != CAIRN_ETAMPER && (rc || theirs->version <= ours->version))
		goto out;
	cairn_error_clear();
	if ((rc = cairn__gitlog_set(g, CAIRN_DIRECTORY_REF, rtip, NULL)))
		goto out;
	rc = cairn__directory_apply(g, j);
out:
	cairn_directory_free(theirs);
	cairn_directory_free(ours);
	return rc;
}
