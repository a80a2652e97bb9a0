/*
 * fuzz_roster.h — what fuzz_roster.c and the corpus generator share: a fixed org key pair and device key
 * pairs (from fixed seeds, so committed seeds verify in every run), and the input layout.
 *
 * The first byte picks the codec (its low two bits); the rest is that codec's input:
 *   0  a roster as the git host serves it: cairn_roster_decode on the bytes as they are
 *   1  a roster body without its signature: the org public key field (bytes 20..51) is overwritten with
 *      the fixed org key and the body is signed with it before decoding. A real roster's signature stops
 *      any mutation at the header; this mode lets the fuzzer reach the parser and the rules behind it,
 *      which only the org key can feed in production.
 *   2  an enrollment request: cairn_enroll_decode
 *   3  a "fully synced" head: cairn_head_decode
 */
#ifndef CAIRN_FUZZ_ROSTER_H
#define CAIRN_FUZZ_ROSTER_H

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ROSTER_DEVICES 3
enum { FUZZ_ROSTER_RAW = 0, FUZZ_ROSTER_SIGN = 1, FUZZ_ROSTER_ENROLL = 2, FUZZ_ROSTER_HEAD = 3 };

typedef struct {
	unsigned char pk[32], sk[64];
} fuzz_roster_keypair;

/* keys[0]: the org; keys[1..]: devices. */
static inline int fuzz_roster_keys(fuzz_roster_keypair keys[1 + FUZZ_ROSTER_DEVICES])
{
	unsigned char seed[32];
	if (sodium_init() < 0)
		return -1;
	for (int i = 0; i <= FUZZ_ROSTER_DEVICES; i++) {
		memcpy(seed, "cairn-fuzz-roster-seed-012345670", 32);
		seed[31] = (unsigned char)('0' + i);
		crypto_sign_seed_keypair(keys[i].pk, keys[i].sk, seed);
	}
	return 0;
}

/*
 * The input after its mode byte, as an exact-size malloc'd copy so ASan sees any overread; NULL when out
 * of memory. With `sign` (the "behind the signature" modes of fuzz_roster and fuzz_directory, whose
 * documents carry the org key at bytes 20..51), the org key field is set to org's and the body signed
 * with it: the copy is then 64 bytes longer. *len: the copy's size.
 */
static inline unsigned char *fuzz_roster_input(const unsigned char *data, size_t size, int sign,
                                               const fuzz_roster_keypair *org, size_t *len)
{
	size_t n = size - 1;
	unsigned char *buf = (unsigned char *)malloc(sign ? n + 64 : n ? n : 1);
	if (!buf)
		return NULL;
	memcpy(buf, data + 1, n);
	*len = n;
	if (sign) {
		if (n >= 52)
			memcpy(buf + 20, org->pk, 32);
		crypto_sign_detached(buf + n, NULL, buf, n, org->sk);
		*len = n + 64;
	}
	return buf;
}

#endif
