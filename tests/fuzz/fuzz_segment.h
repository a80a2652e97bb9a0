/*
 * fuzz_segment.h — what fuzz_segment.c and the corpus generator share: the fixed team key and device key
 * pair (derived from a fixed seed, so a committed seed segment verifies and decrypts in every run), and the
 * input layout.
 *
 * Input layout (the first byte picks the layer; every input also goes through verify and open whole):
 *   "CAIRNSEG..."                      a whole segment: cairn_segment_verify, cairn_segment_open
 *   'P' u64 first  u64 last  bytes     a decrypted plaintext: cairn__segment_decode_events
 *   'E' u64 first  u64 last  bytes     decompressed events: cairn__segment_parse_events
 * (u64 big-endian.) The P and E layers sit behind the signature and the AEAD in production; reaching them
 * directly is what lets the fuzzer exercise zstd handling and the event parser.
 */
#ifndef CAIRN_FUZZ_SEGMENT_H
#define CAIRN_FUZZ_SEGMENT_H

#include <sodium.h>
#include <string.h>

#include "cairn.h"

#define FUZZ_SEGMENT_TEAM_KEY ((const unsigned char *)"cairn-fuzz-team-key-0123456789ab")
#define FUZZ_SEGMENT_PREFIX 17 /* tag byte + first + last */

typedef struct {
	unsigned char pk[32], sk[64];
	char device[CAIRN_DEVICE_LEN];
} fuzz_segment_device;

static inline int fuzz_segment_device_init(fuzz_segment_device *d)
{
	unsigned char seed[32], h[32];
	if (sodium_init() < 0)
		return -1;
	memcpy(seed, "cairn-fuzz-device-seed-012345678", 32);
	crypto_sign_seed_keypair(d->pk, d->sk, seed);
	crypto_generichash(h, 32, d->pk, 32, NULL, 0);
	sodium_bin2hex(d->device, sizeof(d->device), h, 8);
	return 0;
}

#endif
