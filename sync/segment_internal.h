/*
 * segment_internal.h — the layers of the segment codec, exposed for tests and fuzz targets.
 *
 *   events ──serialize──▶ raw blob ──pack (zstd + pad)──▶ plaintext ──seal (AEAD + sign)──▶ segment
 *   segment ──verify──▶ header ──decrypt──▶ plaintext ──decode_events (unpad + unzstd)──▶ raw blob
 *                                                                       ──parse_events──▶ events
 *
 * cairn_segment_encode() and cairn_segment_open() are the only production entry points; these exist so
 * that a fuzzer reaches the decompressor and the event parser without valid signatures, and so that tests
 * can seal deliberately inconsistent contents under a valid signature. Same error conventions as
 * segment.h. Buffers returned through `unsigned char **` are malloc'd; wipe and free() them.
 */
#ifndef CAIRN_SEGMENT_INTERNAL_H
#define CAIRN_SEGMENT_INTERNAL_H

#include "segment.h"

/* The padded plaintext size for `n` bytes (u32 length + zstd frame): see docs/formats.md. */
size_t cairn__segment_padded_len(size_t n);

/* Validate events against h (device, seqs, field rules, content hashes) and lay out the raw blob. */
int cairn__segment_serialize_events(unsigned char **raw, size_t *rawlen, const cairn_segment_header *h,
                                    const cairn_event *events, size_t n);

/* Compress `raw` (zstd level 3) and pad it: the plaintext that seal encrypts. */
int cairn__segment_pack(unsigned char **plain, size_t *plainlen, const unsigned char *raw, size_t rawlen);

/*
 * Write the header from h (device id from h->device_pk; h->device must match it), encrypt `plain` under
 * a fresh random nonce and sign. Does not look inside `plain`: tests use it to seal malformed contents.
 */
int cairn__segment_seal(unsigned char **out, size_t *outlen, const cairn_segment_header *h, const unsigned char *plain,
                        size_t plainlen, const unsigned char team_key[32], cairn_sign_fn sign, void *sign_ud);

/*
 * Decrypted plaintext → events of `device` with seqs first_seq..last_seq: length prefix, canonical zero
 * padding, one zstd frame with a declared size ≤ CAIRN_SEGMENT_MAX_PLAIN, then parse_events. *out is
 * zeroed on failure.
 */
int cairn__segment_decode_events(cairn_segment_events *out, const unsigned char *plain, size_t len, const char *device,
                                 uint64_t first_seq, uint64_t last_seq);

/* Decompressed raw blob → events (every rule of segment.h; no trailing bytes). *out zeroed on failure. */
int cairn__segment_parse_events(cairn_segment_events *out, const unsigned char *raw, size_t len, const char *device,
                                uint64_t first_seq, uint64_t last_seq);

#endif
