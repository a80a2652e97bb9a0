/*
 * segment.h — the segment codec: one sealed batch of a device's events, encrypted and signed.
 *
 * Wire format v1 (all integers big-endian; docs/formats.md "Segments"):
 *
 *   off  size  field
 *     0     8  magic "CAIRNSEG"
 *     8     1  version (1)
 *     9     3  reserved, zero
 *    12    16  team id
 *    28     4  key epoch
 *    32     8  device id (binary; the id is the first 8 bytes of BLAKE2b-256(device public key))
 *    40    32  device public key (Ed25519)
 *    72     8  first seq (>= 1)
 *    80     8  last seq (>= first seq; at most CAIRN_SEGMENT_MAX_EVENTS events)
 *    88    32  hash of the previous segment of this device (zeros for the first)
 *   120    24  nonce
 *   144     4  ciphertext length L (including the 16-byte tag)
 *   148     L  XChaCha20-Poly1305-IETF ciphertext, associated data = bytes [0, 148)
 * 148+L    64  Ed25519 signature by the device key over bytes [0, 148+L)
 *
 * Plaintext: u32 length Z of a zstd frame ‖ the zstd frame ‖ zero padding to a size bucket (hides exact
 * sizes; at most 1/8 overhead): n = 4 + Z rounded up to a multiple of max(256, 2^(floor(log2 n) - 3)).
 * Exactly one frame, declaring its content size (at most CAIRN_SEGMENT_MAX_PLAIN); padding exactly to the
 * bucket, all zero. The zstd frame decompresses to: u32 count, then per event:
 * u64 seq, u64 hlc, u16 schema, u8 kind length, kind, u8 entity length, entity, u32 body length, body.
 * count = last - first + 1; seqs are first..last, contiguous and in order; kind is 1..64 bytes of
 * [a-z0-9._-]; entity is 36 bytes; body at most CAIRN_SEGMENT_MAX_BODY bytes (core validates the JSON);
 * no NUL byte in entity or body; nothing after the last event. The event content hash is not sent: it is
 * recomputed on decode (cairn_event_hash), and the encoder refuses events whose hash does not match.
 *
 * Decoding never trusts a length before checking it against what is left; the decompressed size is capped
 * at CAIRN_SEGMENT_MAX_PLAIN before anything is allocated.
 */
#ifndef CAIRN_SEGMENT_H
#define CAIRN_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "cairn.h"

#define CAIRN_SEGMENT_HEADER_BYTES 148
#define CAIRN_SEGMENT_MAX_PLAIN (64u << 20) /* decompressed events, bytes */
#define CAIRN_SEGMENT_MAX_EVENTS 1000000
#define CAIRN_SEGMENT_MAX_BYTES (80u << 20) /* a whole encoded segment */
#define CAIRN_TEAM_ID_BYTES 16
#define CAIRN_SEGMENT_MAX_KIND 64         /* bytes of an event kind */
#define CAIRN_SEGMENT_ENTITY_BYTES 36     /* a UUID in text form */
#define CAIRN_SEGMENT_MAX_BODY (1u << 20) /* bytes of one event body */

typedef struct {
	unsigned char team[CAIRN_TEAM_ID_BYTES];
	uint32_t epoch;
	char device[CAIRN_DEVICE_LEN]; /* hex */
	unsigned char device_pk[32];
	uint64_t first_seq, last_seq;
	unsigned char prev[32];
} cairn_segment_header;

/* Signs `m` with the device's secret key (kept by whoever supplies the callback). 0 on success. */
typedef int (*cairn_sign_fn)(void *ud, const unsigned char *m, size_t n, unsigned char sig[64]);

/**
 * Encode `n` events (all of h->device, seqs h->first_seq..h->last_seq in order) into a new segment.
 * h->device must be the id of h->device_pk; each event must satisfy the rules above and carry its correct
 * content hash; the signature `sign` makes must verify with h->device_pk. A fresh random nonce per call.
 * *out is malloc'd (free with free()). Returns 0 or CAIRN_EINVAL / CAIRN_ENOMEM, or the negative code
 * `sign` returned.
 */
int cairn_segment_encode(unsigned char **out, size_t *outlen, const cairn_segment_header *h, const cairn_event *events,
                         size_t n, const unsigned char team_key[32], cairn_sign_fn sign, void *sign_ud);

/**
 * Parse and authenticate the clear part: bounds, magic, version, that the device id is the hash of the
 * public key, and the signature. Needs no team key (a relay can check what it carries).
 * CAIRN_ECORRUPT for anything malformed, CAIRN_ETAMPER for a bad signature, CAIRN_ENEWER for a format
 * version above 1. *h is written only on success.
 *
 * This proves the segment was signed by the key it carries, not that the key belongs to an enrolled
 * device: the caller must compare h->device_pk with the key it pinned for h->device (roster, join file).
 * An 8-byte id alone is not enough to trust.
 */
int cairn_segment_verify(cairn_segment_header *h, const unsigned char *buf, size_t len);

/** Decoded events of a segment; strings point into the object. Free with cairn_segment_events_free. */
typedef struct {
	cairn_event *events;
	size_t count;
	void *storage; /* private */
} cairn_segment_events;

/**
 * Verify (as above), decrypt with `team_key` and decode the events, recomputing each content hash.
 * CAIRN_ETAMPER when decryption fails (wrong key or modified), CAIRN_ECORRUPT when malformed.
 * *h is written once verification succeeded, even if decryption or decoding then fails (the header is
 * authentic, so the caller can name the segment it quarantines). *out is zeroed on failure, so
 * cairn_segment_events_free() is always safe on it.
 */
int cairn_segment_open(cairn_segment_events *out, cairn_segment_header *h, const unsigned char *buf, size_t len,
                       const unsigned char team_key[32]);
/** Wipe (they are record data) and release the events; resets *ev. Accepts NULL and zeroed objects. */
void cairn_segment_events_free(cairn_segment_events *ev);

/** BLAKE2b-256 of a whole encoded segment (what the next segment's `prev` holds). */
void cairn_segment_hash(const unsigned char *buf, size_t len, unsigned char out[32]);

#endif
