/*
 * roster.h — the org-signed roster and the enrollment request (docs/formats.md "Roster").
 *
 * Roster wire format v1 (integers big-endian):
 *
 *   "CAIRNRST" ‖ format u8 (1) ‖ 3 zero bytes ‖ version u64 ‖ org public key [32]
 *   ‖ team count u32 ‖ per team: id [16] ‖ current epoch u32                     (ids strictly ascending)
 *   ‖ key count u32  ‖ per key: team [16] ‖ epoch u32 ‖ device id [8] ‖ sealed [80]
 *   ‖ device count u32 ‖ per device: id [8] ‖ public key [32] ‖ team [16] ‖ status u8 (1 enrolled,
 *     2 revoked) ‖ flags u8 (bit 0: wipe order) ‖ 2 zero bytes ‖ last seq u64    (ids strictly ascending)
 *     [format 3 only: ‖ last hash [32], BLAKE2b-256 of the segment that ends at last seq, zeros if none]
 *   ‖ Ed25519 signature [64] by the org key over everything before it
 *
 * Formats: 1 as above; 2 when a device carries the supervisor flag (bit 1); 3 when a revoked device's
 * last segment is pinned by its hash. The encoder writes the lowest format that holds the roster, so a
 * roster older cairn can read stays readable to it; the decoder checks the format is exactly that one.
 *
 * Rules the decoder enforces: every count fits in what is left; a device id is the first 8 bytes of
 * BLAKE2b-256 of its key (self-certifying, as in segments); a device's team and a key's team are listed;
 * a key's epoch is at most its team's current epoch and its device is listed; a key for (team, epoch,
 * device) appears once; a last hash only on a revoked device with a last seq; nothing follows the
 * signature. "last seq" of a revoked device is the last seq of its log that the office accepted: anything
 * after it is refused by the hook and quarantined on import. With format 3, "last hash" pins which
 * segment that was: a log of the revoked device is admitted only as far as it leads to that segment, so
 * a stolen key cannot write another history under the seqs it already used.
 * Sealed keys are crypto_box_seal of the 32-byte team key to the X25519 form of the device key.
 *
 * Enrollment request (blob "request" on refs/heads/enroll/<device>), 140 bytes:
 *   "CAIRNENR" ‖ format u8 (1) ‖ 3 zero bytes ‖ device public key [32] ‖ org public key [32]
 *   ‖ Ed25519 signature [64] by the device key over the 76 bytes before it.
 *
 * "Fully synced" head (blob "head" on refs/heads/synced/<device>), 148 bytes: "CAIRNHED" ‖ format u8 (1)
 *   ‖ 3 zero bytes ‖ device public key [32] ‖ seq u64 ‖ hash of the segment at the tip of its log [32]
 *   ‖ Ed25519 signature by the device key over the 84 bytes before it. Pushed in the same push as the log
 *   it describes, after a seal that left nothing pending: "everything I wrote up to seq is in this log".
 *
 * Decoding does no I/O and never trusts a length before checking it against what is left: a libFuzzer
 * target can call cairn_roster_decode() on arbitrary bytes.
 */
#ifndef CAIRN_ROSTER_H
#define CAIRN_ROSTER_H

#include <stddef.h>
#include <stdint.h>

#include "cairn.h"

#define CAIRN_ROSTER_MAX_BYTES (32u << 20)
#define CAIRN_ROSTER_MAX_TEAMS 4096
#define CAIRN_ROSTER_MAX_DEVICES 65536
#define CAIRN_ROSTER_MAX_KEYS (1u << 20)
#define CAIRN_ROSTER_SEALED 80
#define CAIRN_ENROLL_BYTES 140

enum { CAIRN_ROSTER_ENROLLED = 1, CAIRN_ROSTER_REVOKED = 2 };
#define CAIRN_ROSTER_WIPE 1u
#define CAIRN_ROSTER_SUPERVISOR 2u /* its sign-offs of notes count (core/review.c) */

typedef struct {
	unsigned char id[CAIRN_TEAM_BYTES];
	uint32_t epoch;
} cairn_roster_team;

typedef struct {
	unsigned char team[CAIRN_TEAM_BYTES];
	uint32_t epoch;
	unsigned char device[8];
	unsigned char sealed[CAIRN_ROSTER_SEALED];
} cairn_roster_key;

typedef struct {
	unsigned char id[8];
	char hex[CAIRN_DEVICE_LEN];
	unsigned char pk[32];
	unsigned char team[CAIRN_TEAM_BYTES];
	uint8_t status, flags;
	uint64_t last_seq;
	/* Revoked: the hash of the segment ending at last_seq that the office accepted (all zeros when it
	 * held none, or in a roster of format 1 or 2). A log must lead to it to be admitted: see
	 * cairn_roster_admits. */
	unsigned char last_hash[32];
} cairn_roster_device;

typedef struct {
	uint64_t version;
	unsigned char org_pk[32];
	cairn_roster_team *teams;
	cairn_roster_key *keys;
	cairn_roster_device *devices;
	size_t nteams, nkeys, ndevices;
} cairn_roster;

/**
 * Parse, check (rules above) and verify the signature with the org key the roster carries. The caller
 * must then compare r->org_pk with the key it pinned. CAIRN_ECORRUPT when malformed, CAIRN_ETAMPER for a
 * bad signature, CAIRN_ENEWER for a format above 1. *out: free with cairn_roster_free().
 */
int cairn_roster_decode(cairn_roster **out, const unsigned char *buf, size_t len);
/** Encode (teams and devices sorted here) and sign with `sign`. *out malloc'd. */
int cairn_roster_encode(unsigned char **out, size_t *len, cairn_roster *r,
                        int (*sign)(void *ud, const unsigned char *m, size_t n, unsigned char sig[64]), void *ud);
/** An empty roster of `org_pk` at version 0 (the caller bumps the version before encoding). */
int cairn_roster_new(cairn_roster **out, const unsigned char org_pk[32]);
void cairn_roster_free(cairn_roster *r);

/* Lookups; NULL when absent. Pointers are borrowed from r and invalidated by additions. */
cairn_roster_device *cairn_roster_device_find(const cairn_roster *r, const char *hex);
cairn_roster_team *cairn_roster_team_find(const cairn_roster *r, const unsigned char team[CAIRN_TEAM_BYTES]);
/* Additions (keep the arrays valid for encode). */
cairn_roster_device *cairn_roster_device_add(cairn_roster *r, const unsigned char pk[32]);
cairn_roster_team *cairn_roster_team_add(cairn_roster *r, const unsigned char team[CAIRN_TEAM_BYTES]);
/** Seal `key` to `dev` for (team, epoch), replacing an older sealing of the same triple. */
int cairn_roster_key_seal(cairn_roster *r, const cairn_roster_device *dev, const unsigned char team[CAIRN_TEAM_BYTES],
                          uint32_t epoch, const unsigned char key[32]);

/**
 * Does the roster admit a segment of `device` with public key `pk` ending at `last_seq`, whose hash is
 * `hash`? 1 yes; 0 no, with a one-line reason in `why`. For a revoked device this checks the segment
 * alone: nothing past its last seq, and the segment ending at it only if it is the pinned one. That a
 * segment before it leads to the pinned one is the caller's check over the chain
 * (cairn_roster_pinned; sync/logcheck.c, the import in sync/engine.c).
 */
int cairn_roster_admits(const cairn_roster *r, const char *device, const unsigned char pk[32], uint64_t last_seq,
                        const unsigned char hash[32], char *why, size_t whylen);
/** The revoked device `device` whose log must lead to a pinned last segment; NULL when there is none. */
const cairn_roster_device *cairn_roster_pinned(const cairn_roster *r, const char *device);

/** Build a signed enrollment request (`sign` signs with the device key). */
int cairn_enroll_encode(unsigned char out[CAIRN_ENROLL_BYTES], const unsigned char device_pk[32],
                        const unsigned char org_pk[32],
                        int (*sign)(void *ud, const unsigned char *m, size_t n, unsigned char sig[64]), void *ud);
/** Check a request: size, magic, signature by the key it carries. The device id is written to `hex`. */
int cairn_enroll_decode(const unsigned char *buf, size_t len, unsigned char device_pk[32], unsigned char org_pk[32],
                        char hex[CAIRN_DEVICE_LEN]);

#define CAIRN_HEAD_BYTES 148
int cairn_head_encode(unsigned char out[CAIRN_HEAD_BYTES], const unsigned char device_pk[32], uint64_t seq,
                      const unsigned char hash[32],
                      int (*sign)(void *ud, const unsigned char *m, size_t n, unsigned char sig[64]), void *ud);
/** Check a head: size, magic, signature by the key it carries; the device id is written to `hex`. */
int cairn_head_decode(const unsigned char *buf, size_t len, unsigned char device_pk[32], uint64_t *seq,
                      unsigned char hash[32], char hex[CAIRN_DEVICE_LEN]);

/** The device id (16 hex digits) of an Ed25519 public key. */
void cairn_roster_device_id(const unsigned char pk[32], char hex[CAIRN_DEVICE_LEN]);

#endif
