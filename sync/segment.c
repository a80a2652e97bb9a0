/*
 * segment.c — the segment codec. The wire format is in segment.h and docs/formats.md ("Segments").
 *
 * Invariants:
 *  1. No length read from input is used before it has been checked against the bytes that are left.
 *  2. Every allocation sized by input is bounded first: a whole segment by CAIRN_SEGMENT_MAX_BYTES, the
 *     decompressed events by CAIRN_SEGMENT_MAX_PLAIN (the size the zstd frame declares, checked before
 *     malloc, then the exact size decompressed), the event count by CAIRN_SEGMENT_MAX_EVENTS and by how
 *     many events the bytes could hold.
 *  3. open() authenticates everything (signature, then AEAD) before zstd or the event parser sees a
 *     byte. Unauthenticated input reaches them only through segment_internal.h (tests, fuzzers).
 *  4. Every buffer that held plaintext (raw events, padded plaintext, decoded events) is wiped before it
 *     is freed, on every path: they are record data.
 *  5. The encoder enforces exactly the rules the decoder checks, so whatever encode writes, open reads;
 *     and the decoder accepts one encoding per content (canonical padding, one frame, no trailing bytes).
 */
#include "segment.h"
#include "bytes.h"
#include "segment_internal.h"
#include "sync_error.h"

#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define MAGIC "CAIRNSEG"
#define VERSION 1
#define OFF_VERSION 8
#define OFF_RESERVED 9
#define OFF_TEAM 12
#define OFF_EPOCH 28
#define OFF_DEVICE 32
#define OFF_PK 40
#define OFF_FIRST 72
#define OFF_LAST 80
#define OFF_PREV 88
#define OFF_NONCE 120
#define OFF_CLEN 144
#define ID_BYTES 8
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SIG_BYTES crypto_sign_ed25519_BYTES
#define ZSTD_LEVEL 3
/* seq, hlc, schema, kind length, entity length, body length */
#define EVENT_FIXED_BYTES (8 + 8 + 2 + 1 + 1 + 4)
#define EVENT_MIN_BYTES (EVENT_FIXED_BYTES + 1 + CAIRN_SEGMENT_ENTITY_BYTES)

_Static_assert(OFF_CLEN + 4 == CAIRN_SEGMENT_HEADER_BYTES, "header layout");
_Static_assert(NONCE_BYTES == 24 && TAG_BYTES == 16 && SIG_BYTES == 64, "libsodium sizes");
_Static_assert(CAIRN_SEGMENT_MAX_KIND <= 255 && CAIRN_SEGMENT_ENTITY_BYTES <= 255, "u8 lengths");
_Static_assert(CAIRN_SEGMENT_MAX_EVENTS <= UINT32_MAX, "u32 count");

/* Decoded events live in one block: this header, the event array, the device id, then the strings. */
struct storage {
	size_t size; /* of the whole block, to wipe it */
	cairn_event events[];
};

static void put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static uint16_t get_u16(const unsigned char *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static int crypto_ready(void)
{
	if (sodium_init() < 0)
		return cairn__sync_error(CAIRN_ERROR, "libsodium failed to initialise");
	return 0;
}

/* The device id is the first 8 bytes of BLAKE2b-256(public key), as core/journal.c mints it. */
static void device_id_of(const unsigned char pk[32], unsigned char id[ID_BYTES], char hex[CAIRN_DEVICE_LEN])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), pk, 32, NULL, 0);
	memcpy(id, h, ID_BYTES);
	sodium_bin2hex(hex, CAIRN_DEVICE_LEN, id, ID_BYTES);
}

static int device_hex_ok(const char *d)
{
	for (int i = 0; i < CAIRN_DEVICE_LEN - 1; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return 0;
	return d[CAIRN_DEVICE_LEN - 1] == '\0';
}

static int kind_ok(const unsigned char *s, size_t n)
{
	if (n < 1 || n > CAIRN_SEGMENT_MAX_KIND)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int seq_range_ok(uint64_t first, uint64_t last)
{
	return first >= 1 && last >= first && last - first < CAIRN_SEGMENT_MAX_EVENTS;
}

size_t cairn__segment_padded_len(size_t n)
{
	size_t step = 256;
	unsigned lg = 0;
	for (size_t v = n; v > 1; v >>= 1)
		lg++;
	if (lg >= 3 && ((size_t)1 << (lg - 3)) > step)
		step = (size_t)1 << (lg - 3);
	return (n + step - 1) / step * step;
}

static void wipe_free(void *p, size_t n)
{
	if (p) {
		sodium_memzero(p, n);
		free(p);
	}
}

/* What the encoder needs of a header: h->device is the id of h->device_pk, and the seq range is sane. */
static int header_check(const cairn_segment_header *h, unsigned char id[ID_BYTES])
{
	char hex[CAIRN_DEVICE_LEN];
	device_id_of(h->device_pk, id, hex);
	if (!memchr(h->device, '\0', sizeof(h->device)) || strcmp(h->device, hex) != 0)
		return cairn__sync_error(CAIRN_EINVAL,
		                         "device id '%.16s' is not the id of the device public key (that is '%s')",
		                         h->device, hex);
	if (!seq_range_ok(h->first_seq, h->last_seq))
		return cairn__sync_error(CAIRN_EINVAL, "bad seq range %llu..%llu for a segment (at most %u events)",
		                         (unsigned long long)h->first_seq, (unsigned long long)h->last_seq,
		                         (unsigned)CAIRN_SEGMENT_MAX_EVENTS);
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Encoding                                                                                        */

static int event_check(const cairn_segment_header *h, const cairn_event *ev, uint64_t want_seq, size_t lens[3])
{
	unsigned char hash[32];
	if (ev->seq != want_seq)
		return cairn__sync_error(CAIRN_EINVAL, "event has seq %llu where the segment needs %llu",
		                         (unsigned long long)ev->seq, (unsigned long long)want_seq);
	if (!ev->device || strcmp(ev->device, h->device) != 0)
		return cairn__sync_error(CAIRN_EINVAL, "event at seq %llu is not of device '%s'",
		                         (unsigned long long)want_seq, h->device);
	if (!ev->kind || !ev->entity || !ev->body)
		return cairn__sync_error(CAIRN_EINVAL, "event at seq %llu lacks a kind, entity or body",
		                         (unsigned long long)want_seq);
	lens[0] = strlen(ev->kind);
	lens[1] = strlen(ev->entity);
	lens[2] = strlen(ev->body);
	if (!kind_ok((const unsigned char *)ev->kind, lens[0]))
		return cairn__sync_error(CAIRN_EINVAL, "event at seq %llu: kind must be 1 to %d of [a-z0-9._-]",
		                         (unsigned long long)want_seq, CAIRN_SEGMENT_MAX_KIND);
	if (lens[1] != CAIRN_SEGMENT_ENTITY_BYTES)
		return cairn__sync_error(CAIRN_EINVAL, "event at seq %llu: entity is %zu bytes, not %d",
		                         (unsigned long long)want_seq, lens[1], CAIRN_SEGMENT_ENTITY_BYTES);
	if (lens[2] > CAIRN_SEGMENT_MAX_BODY)
		return cairn__sync_error(CAIRN_EINVAL, "event at seq %llu: body of %zu bytes exceeds %u",
		                         (unsigned long long)want_seq, lens[2], (unsigned)CAIRN_SEGMENT_MAX_BODY);
	if (ev->schema < 0 || ev->schema > UINT16_MAX)
		return cairn__sync_error(CAIRN_EINVAL, "event at seq %llu: schema %d out of range",
		                         (unsigned long long)want_seq, ev->schema);
	/* The hash is not sent (the receiver recomputes it); a stale one here would read as a fork there. */
	cairn_event_hash(ev, hash);
	if (sodium_memcmp(hash, ev->hash, sizeof(hash)) != 0)
		return cairn__sync_error(CAIRN_EINVAL, "event at seq %llu: content hash does not match its fields",
		                         (unsigned long long)want_seq);
	return 0;
}

int cairn__segment_serialize_events(unsigned char **raw, size_t *rawlen, const cairn_segment_header *h,
                                    const cairn_event *events, size_t n)
{
	unsigned char id[ID_BYTES], *buf, *p;
	size_t total = 4, lens[3] = {0, 0, 0};
	int rc;

	*raw = NULL;
	*rawlen = 0;
	if ((rc = header_check(h, id)))
		return rc;
	if (n != h->last_seq - h->first_seq + 1)
		return cairn__sync_error(CAIRN_EINVAL, "segment seqs %llu..%llu need %llu events, got %zu",
		                         (unsigned long long)h->first_seq, (unsigned long long)h->last_seq,
		                         (unsigned long long)(h->last_seq - h->first_seq + 1), n);
	for (size_t i = 0; i < n; i++) {
		if ((rc = event_check(h, &events[i], h->first_seq + i, lens)))
			return rc;
		total += EVENT_FIXED_BYTES + lens[0] + lens[1] + lens[2];
		if (total > CAIRN_SEGMENT_MAX_PLAIN)
			return cairn__sync_error(CAIRN_EINVAL,
			                         "events %llu..%llu exceed %u bytes; seal them in smaller segments",
			                         (unsigned long long)h->first_seq, (unsigned long long)h->last_seq,
			                         (unsigned)CAIRN_SEGMENT_MAX_PLAIN);
	}
	if (!(buf = malloc(total)))
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory (%zu bytes of events)", total);
	p = buf;
	cairn__put_u32(p, (uint32_t)n);
	p += 4;
	for (size_t i = 0; i < n; i++) {
		const cairn_event *ev = &events[i];
		size_t kl = strlen(ev->kind), el = strlen(ev->entity), bl = strlen(ev->body);
		cairn__put_u64(p, ev->seq);
		cairn__put_u64(p + 8, ev->hlc);
		put_u16(p + 16, (uint16_t)ev->schema);
		p[18] = (unsigned char)kl;
		memcpy(p + 19, ev->kind, kl);
		p += 19 + kl;
		*p++ = (unsigned char)el;
		memcpy(p, ev->entity, el);
		p += el;
		cairn__put_u32(p, (uint32_t)bl);
		memcpy(p + 4, ev->body, bl);
		p += 4 + bl;
	}
	*raw = buf;
	*rawlen = total;
	return 0;
}

int cairn__segment_pack(unsigned char **plain, size_t *plainlen, const unsigned char *raw, size_t rawlen)
{
	size_t bound, cap, zlen;
	unsigned char *buf;

	*plain = NULL;
	*plainlen = 0;
	if (rawlen > CAIRN_SEGMENT_MAX_PLAIN)
		return cairn__sync_error(CAIRN_EINVAL, "events of %zu bytes exceed the segment limit of %u", rawlen,
		                         (unsigned)CAIRN_SEGMENT_MAX_PLAIN);
	bound = ZSTD_compressBound(rawlen);
	cap = cairn__segment_padded_len(4 + bound); /* padding is monotonic: enough for any zlen <= bound */
	if (!(buf = malloc(cap)))
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory (%zu bytes for compression)", cap);
	zlen = ZSTD_compress(buf + 4, cap - 4, raw, rawlen, ZSTD_LEVEL);
	if (ZSTD_isError(zlen)) {
		wipe_free(buf, cap);
		return cairn__sync_error(CAIRN_ERROR, "cannot compress events: %s", ZSTD_getErrorName(zlen));
	}
	cairn__put_u32(buf, (uint32_t)zlen);
	memset(buf + 4 + zlen, 0, cap - 4 - zlen);
	*plain = buf;
	*plainlen = cairn__segment_padded_len(4 + zlen);
	return 0;
}

static void header_write(unsigned char *b, const cairn_segment_header *h, const unsigned char id[ID_BYTES],
                         const unsigned char nonce[NONCE_BYTES], uint32_t clen)
{
	memcpy(b, MAGIC, 8);
	b[OFF_VERSION] = VERSION;
	memset(b + OFF_RESERVED, 0, 3);
	memcpy(b + OFF_TEAM, h->team, CAIRN_TEAM_ID_BYTES);
	cairn__put_u32(b + OFF_EPOCH, h->epoch);
	memcpy(b + OFF_DEVICE, id, ID_BYTES);
	memcpy(b + OFF_PK, h->device_pk, 32);
	cairn__put_u64(b + OFF_FIRST, h->first_seq);
	cairn__put_u64(b + OFF_LAST, h->last_seq);
	memcpy(b + OFF_PREV, h->prev, 32);
	memcpy(b + OFF_NONCE, nonce, NONCE_BYTES);
	cairn__put_u32(b + OFF_CLEN, clen);
}

int cairn__segment_seal(unsigned char **out, size_t *outlen, const cairn_segment_header *h, const unsigned char *plain,
                        size_t plainlen, const unsigned char team_key[32], cairn_sign_fn sign, void *sign_ud)
{
	unsigned char id[ID_BYTES], nonce[NONCE_BYTES], *buf;
	size_t clen, len;
	int rc;

	*out = NULL;
	*outlen = 0;
	if ((rc = crypto_ready()))
		return rc;
	if ((rc = header_check(h, id)))
		return rc;
	if (plainlen > CAIRN_SEGMENT_MAX_BYTES - CAIRN_SEGMENT_HEADER_BYTES - TAG_BYTES - SIG_BYTES)
		return cairn__sync_error(CAIRN_EINVAL, "segment would exceed %u bytes; seal a smaller batch",
		                         (unsigned)CAIRN_SEGMENT_MAX_BYTES);
	clen = plainlen + TAG_BYTES;
	len = CAIRN_SEGMENT_HEADER_BYTES + clen + SIG_BYTES;
	if (!(buf = malloc(len)))
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory (%zu bytes for a segment)", len);
	randombytes_buf(nonce, sizeof(nonce));
	header_write(buf, h, id, nonce, (uint32_t)clen);
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + CAIRN_SEGMENT_HEADER_BYTES, NULL, plain, plainlen, buf,
	                                           CAIRN_SEGMENT_HEADER_BYTES, NULL, nonce, team_key);
	cairn_error_clear();
	rc = sign(sign_ud, buf, len - SIG_BYTES, buf + len - SIG_BYTES);
	if (rc != 0) {
		free(buf);
		/* A callback built on libcairn (cairn_device_sign) sets its own code and message: keep both. */
		if (rc < 0 && cairn_error_last_code() == rc)
			return rc;
		return cairn__sync_error(rc < 0 ? rc : CAIRN_ERROR, "the device key did not sign the segment");
	}
	/* Catch a callback that signs with another key now, not at every receiver later. */
	if (crypto_sign_ed25519_verify_detached(buf + len - SIG_BYTES, buf, len - SIG_BYTES, h->device_pk) != 0) {
		free(buf);
		return cairn__sync_error(CAIRN_EINVAL,
		                         "the segment signature does not verify with the public key of "
		                         "device '%s' (the signing key is another one)",
		                         h->device);
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int cairn_segment_encode(unsigned char **out, size_t *outlen, const cairn_segment_header *h, const cairn_event *events,
                         size_t n, const unsigned char team_key[32], cairn_sign_fn sign, void *sign_ud)
{
	unsigned char *raw = NULL, *plain = NULL;
	size_t rawlen = 0, plainlen = 0;
	int rc;

	if (!out || !outlen)
		return cairn__sync_error(CAIRN_EINVAL, "cairn_segment_encode: no output given");
	*out = NULL;
	*outlen = 0;
	if (!h || (!events && n) || !team_key || !sign)
		return cairn__sync_error(CAIRN_EINVAL, "cairn_segment_encode: missing header, events, key or signer");
	if ((rc = crypto_ready()))
		return rc;
	if ((rc = cairn__segment_serialize_events(&raw, &rawlen, h, events, n)))
		return rc;
	rc = cairn__segment_pack(&plain, &plainlen, raw, rawlen);
	wipe_free(raw, rawlen);
	if (rc)
		return rc;
	rc = cairn__segment_seal(out, outlen, h, plain, plainlen, team_key, sign, sign_ud);
	wipe_free(plain, plainlen);
	return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Decoding                                                                                        */

int cairn_segment_verify(cairn_segment_header *h, const unsigned char *buf, size_t len)
{
	cairn_segment_header t;
	unsigned char id[ID_BYTES];
	char hex[CAIRN_DEVICE_LEN];
	uint32_t clen;
	int rc;

	if (!h || (!buf && len))
		return cairn__sync_error(CAIRN_EINVAL, "cairn_segment_verify: missing header or buffer");
	if ((rc = crypto_ready()))
		return rc;
	if (len < CAIRN_SEGMENT_HEADER_BYTES + TAG_BYTES + SIG_BYTES)
		return cairn__sync_error(CAIRN_ECORRUPT, "segment too short (%zu bytes)", len);
	if (len > CAIRN_SEGMENT_MAX_BYTES)
		return cairn__sync_error(CAIRN_ECORRUPT, "segment of %zu bytes exceeds the limit of %u", len,
		                         (unsigned)CAIRN_SEGMENT_MAX_BYTES);
	if (memcmp(buf, MAGIC, 8) != 0)
		return cairn__sync_error(CAIRN_ECORRUPT, "not a cairn segment (bad magic)");
	if (buf[OFF_VERSION] != VERSION)
		return buf[OFF_VERSION] > VERSION
		               ? cairn__sync_error(CAIRN_ENEWER,
		                                   "segment format %u is newer than this cairn reads (%d); "
		                                   "upgrade cairn",
		                                   buf[OFF_VERSION], VERSION)
		               : cairn__sync_error(CAIRN_ECORRUPT, "bad segment format version 0");
	if (buf[OFF_RESERVED] | buf[OFF_RESERVED + 1] | buf[OFF_RESERVED + 2])
		return cairn__sync_error(CAIRN_ECORRUPT, "segment header has non-zero reserved bytes");
	clen = cairn__get_u32(buf + OFF_CLEN);
	if (clen != len - CAIRN_SEGMENT_HEADER_BYTES - SIG_BYTES)
		return cairn__sync_error(CAIRN_ECORRUPT,
		                         "segment length %zu does not match its header (%u bytes of "
		                         "ciphertext); truncated or extended",
		                         len, clen);

	memset(&t, 0, sizeof(t));
	memcpy(t.team, buf + OFF_TEAM, CAIRN_TEAM_ID_BYTES);
	t.epoch = cairn__get_u32(buf + OFF_EPOCH);
	memcpy(t.device_pk, buf + OFF_PK, 32);
	t.first_seq = cairn__get_u64(buf + OFF_FIRST);
	t.last_seq = cairn__get_u64(buf + OFF_LAST);
	memcpy(t.prev, buf + OFF_PREV, 32);
	sodium_bin2hex(t.device, sizeof(t.device), buf + OFF_DEVICE, ID_BYTES);

	device_id_of(t.device_pk, id, hex);
	if (memcmp(id, buf + OFF_DEVICE, ID_BYTES) != 0)
		return cairn__sync_error(
		        CAIRN_ECORRUPT, "segment claims device '%s' but carries the key of device '%s'", t.device, hex);
	if (!seq_range_ok(t.first_seq, t.last_seq))
		return cairn__sync_error(CAIRN_ECORRUPT, "segment of device '%s' has a bad seq range %llu..%llu",
		                         t.device, (unsigned long long)t.first_seq, (unsigned long long)t.last_seq);
	if (crypto_sign_ed25519_verify_detached(buf + len - SIG_BYTES, buf, len - SIG_BYTES, t.device_pk) != 0)
		return cairn__sync_error(CAIRN_ETAMPER, "segment of device '%s' (seqs %llu..%llu): bad signature",
		                         t.device, (unsigned long long)t.first_seq, (unsigned long long)t.last_seq);
	*h = t;
	return 0;
}

int cairn_segment_open(cairn_segment_events *out, cairn_segment_header *h, const unsigned char *buf, size_t len,
                       const unsigned char team_key[32])
{
	unsigned char *plain;
	size_t clen, plen;
	int rc;

	if (!out)
		return cairn__sync_error(CAIRN_EINVAL, "cairn_segment_open: no output given");
	memset(out, 0, sizeof(*out));
	if (!h || !team_key)
		return cairn__sync_error(CAIRN_EINVAL, "cairn_segment_open: missing header or team key");
	if ((rc = cairn_segment_verify(h, buf, len)))
		return rc;
	clen = len - CAIRN_SEGMENT_HEADER_BYTES - SIG_BYTES; /* >= TAG_BYTES: verify checked */
	plen = clen - TAG_BYTES;
	if (!(plain = malloc(plen ? plen : 1)))
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory (%zu bytes to decrypt a segment)", plen);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, buf + CAIRN_SEGMENT_HEADER_BYTES, clen, buf,
	                                               CAIRN_SEGMENT_HEADER_BYTES, buf + OFF_NONCE, team_key) != 0) {
		wipe_free(plain, plen);
		return cairn__sync_error(CAIRN_ETAMPER,
		                         "segment of device '%s' (seqs %llu..%llu) does not decrypt with the key of "
		                         "epoch %u (wrong team key, or modified)",
		                         h->device, (unsigned long long)h->first_seq, (unsigned long long)h->last_seq,
		                         (unsigned)h->epoch);
	}
	rc = cairn__segment_decode_events(out, plain, plen, h->device, h->first_seq, h->last_seq);
	wipe_free(plain, plen);
	return rc;
}

/* Decoding errors name the segment (never record data) so a quarantine entry says which one. */
struct where {
	const char *device;
	uint64_t first, last;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
corrupt(const struct where *w, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cairn__sync_error(CAIRN_ECORRUPT, "segment of device '%s' (seqs %llu..%llu): %s", w->device,
	                         (unsigned long long)w->first, (unsigned long long)w->last, msg);
}

int cairn__segment_decode_events(cairn_segment_events *out, const unsigned char *plain, size_t len, const char *device,
                                 uint64_t first_seq, uint64_t last_seq)
{
	struct where w = {device, first_seq, last_seq};
	const unsigned char *z;
	unsigned char *raw, pad = 0;
	unsigned long long size;
	size_t zlen, got, fsz;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!device_hex_ok(device))
		return cairn__sync_error(CAIRN_EINVAL, "bad device id for a segment");
	if (len < 4)
		return corrupt(&w, "plaintext of %zu bytes is too short", len);
	zlen = cairn__get_u32(plain);
	if (zlen > len - 4)
		return corrupt(&w, "compressed length %zu exceeds the plaintext (%zu bytes)", zlen, len);
	if (cairn__segment_padded_len(4 + zlen) != len)
		return corrupt(&w, "plaintext of %zu bytes is not padded to the size bucket of %zu", len, zlen);
	for (size_t i = 4 + zlen; i < len; i++)
		pad |= plain[i];
	if (pad)
		return corrupt(&w, "non-zero padding");
	z = plain + 4;
	if (zlen < 4 || (z[0] | z[1] << 8 | z[2] << 16 | (uint32_t)z[3] << 24) != ZSTD_MAGICNUMBER)
		return corrupt(&w, "events are not a zstd frame");
	fsz = ZSTD_findFrameCompressedSize(z, zlen);
	if (ZSTD_isError(fsz) || fsz != zlen)
		return corrupt(&w, "events are not exactly one zstd frame");
	size = ZSTD_getFrameContentSize(z, zlen);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR)
		return corrupt(&w, "the zstd frame does not declare its size");
	if (size > CAIRN_SEGMENT_MAX_PLAIN)
		return corrupt(&w, "the zstd frame declares %llu bytes, over the limit of %u", size,
		               (unsigned)CAIRN_SEGMENT_MAX_PLAIN);
	if (size < 4)
		return corrupt(&w, "the zstd frame holds %llu bytes, too few for a count", size);
	if (!(raw = malloc((size_t)size)))
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory (%llu bytes to decompress a segment)", size);
	got = ZSTD_decompress(raw, (size_t)size, z, zlen);
	if (ZSTD_isError(got) || got != size) {
		wipe_free(raw, (size_t)size);
		return ZSTD_isError(got)
		               ? corrupt(&w, "zstd: %s", ZSTD_getErrorName(got))
		               : corrupt(&w, "the zstd frame holds %zu bytes, not the %llu it declares", got, size);
	}
	rc = cairn__segment_parse_events(out, raw, (size_t)size, device, first_seq, last_seq);
	wipe_free(raw, (size_t)size);
	return rc;
}

/*
 * One pass over the events: validates everything and counts the string bytes (fill == NULL), or, on the
 * second pass over the same validated bytes, copies the strings into `strings` and fills `fill`.
 */
static int walk_events(const struct where *w, const unsigned char *raw, size_t len, uint32_t count, cairn_event *fill,
                       char *strings, const char *dev, size_t *strbytes)
{
	size_t pos = 4, total = 0;

	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *kind, *entity, *body;
		uint64_t seq, hlc, want = w->first + i;
		uint16_t schema;
		size_t klen, elen, blen;

		if (len - pos < 8 + 8 + 2 + 1)
			return corrupt(w, "truncated at event %u", i);
		seq = cairn__get_u64(raw + pos);
		hlc = cairn__get_u64(raw + pos + 8);
		schema = get_u16(raw + pos + 16);
		klen = raw[pos + 18];
		pos += 19;
		if (seq != want)
			return corrupt(w, "event %u has seq %llu where %llu belongs", i, (unsigned long long)seq,
			               (unsigned long long)want);
		if (klen > len - pos)
			return corrupt(w, "truncated in the kind of seq %llu", (unsigned long long)want);
		kind = raw + pos;
		pos += klen;
		if (!kind_ok(kind, klen))
			return corrupt(w, "seq %llu: kind is not 1 to %d of [a-z0-9._-]", (unsigned long long)want,
			               CAIRN_SEGMENT_MAX_KIND);
		if (len - pos < 1)
			return corrupt(w, "truncated at the entity of seq %llu", (unsigned long long)want);
		elen = raw[pos++];
		if (elen != CAIRN_SEGMENT_ENTITY_BYTES)
			return corrupt(w, "seq %llu: entity of %zu bytes, not %d", (unsigned long long)want, elen,
			               CAIRN_SEGMENT_ENTITY_BYTES);
		if (elen > len - pos)
			return corrupt(w, "truncated in the entity of seq %llu", (unsigned long long)want);
		entity = raw + pos;
		pos += elen;
		if (memchr(entity, '\0', elen))
			return corrupt(w, "seq %llu: entity contains a nul byte", (unsigned long long)want);
		if (len - pos < 4)
			return corrupt(w, "truncated at the body of seq %llu", (unsigned long long)want);
		blen = cairn__get_u32(raw + pos);
		pos += 4;
		if (blen > CAIRN_SEGMENT_MAX_BODY)
			return corrupt(w, "seq %llu: body of %zu bytes exceeds %u", (unsigned long long)want, blen,
			               (unsigned)CAIRN_SEGMENT_MAX_BODY);
		if (blen > len - pos)
			return corrupt(w, "truncated in the body of seq %llu", (unsigned long long)want);
		body = raw + pos;
		pos += blen;
		if (memchr(body, '\0', blen))
			return corrupt(w, "seq %llu: body contains a nul byte", (unsigned long long)want);

		if (fill) {
			cairn_event *ev = &fill[i];
			char *p = strings + total;
			ev->device = dev;
			ev->seq = seq;
			ev->hlc = hlc;
			ev->schema = schema;
			ev->kind = p;
			memcpy(p, kind, klen);
			p[klen] = '\0';
			p += klen + 1;
			ev->entity = p;
			memcpy(p, entity, elen);
			p[elen] = '\0';
			p += elen + 1;
			ev->body = p;
			memcpy(p, body, blen);
			p[blen] = '\0';
			cairn_event_hash(ev, ev->hash);
		}
		total += klen + 1 + elen + 1 + blen + 1;
	}
	if (pos != len)
		return corrupt(w, "%zu trailing bytes after the last event", len - pos);
	*strbytes = total;
	return 0;
}

int cairn__segment_parse_events(cairn_segment_events *out, const unsigned char *raw, size_t len, const char *device,
                                uint64_t first_seq, uint64_t last_seq)
{
	struct where w = {device, first_seq, last_seq};
	struct storage *st;
	size_t strbytes = 0, head, size;
	uint32_t count;
	char *dev;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!device_hex_ok(device) || !seq_range_ok(first_seq, last_seq))
		return cairn__sync_error(CAIRN_EINVAL, "bad device id or seq range for a segment");
	if (len < 4)
		return corrupt(&w, "events of %zu bytes are too short for a count", len);
	count = cairn__get_u32(raw);
	if (count != last_seq - first_seq + 1)
		return corrupt(&w, "event count %u, but the seq range holds %llu", count,
		               (unsigned long long)(last_seq - first_seq + 1));
	if ((len - 4) / EVENT_MIN_BYTES < count)
		return corrupt(&w, "%zu bytes are too few for %u events", len, count);
	if ((rc = walk_events(&w, raw, len, count, NULL, NULL, NULL, &strbytes)))
		return rc;
	/* Bounded: count <= MAX_EVENTS and strbytes < 2 * len <= 2 * MAX_PLAIN, far below SIZE_MAX. */
	head = offsetof(struct storage, events) + (size_t)count * sizeof(cairn_event);
	size = head + CAIRN_DEVICE_LEN + strbytes;
	if (!(st = malloc(size)))
		return cairn__sync_error(CAIRN_ENOMEM, "out of memory (%zu bytes for %u events)", size, count);
	st->size = size;
	dev = (char *)st + head;
	memcpy(dev, device, CAIRN_DEVICE_LEN);
	if ((rc = walk_events(&w, raw, len, count, st->events, dev + CAIRN_DEVICE_LEN, dev, &strbytes))) {
		wipe_free(st, size); /* cannot happen: the same bytes passed the first walk */
		return rc;
	}
	out->events = st->events;
	out->count = count;
	out->storage = st;
	return 0;
}

void cairn_segment_events_free(cairn_segment_events *ev)
{
	if (!ev)
		return;
	if (ev->storage) {
		struct storage *st = ev->storage;
		wipe_free(st, st->size);
	}
	ev->events = NULL;
	ev->count = 0;
	ev->storage = NULL;
}

void cairn_segment_hash(const unsigned char *buf, size_t len, unsigned char out[32])
{
	(void)crypto_ready(); /* picks the fast BLAKE2b; the result is the same either way */
	crypto_generichash(out, 32, buf, len, NULL, 0);
}
