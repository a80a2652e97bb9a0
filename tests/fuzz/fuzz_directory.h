/*
 * fuzz_directory.h — what fuzz_directory.c and the corpus generator share: the org key pair of
 * fuzz_roster.h, a fixed team id and team key, and the input layout.
 *
 * The first byte picks the layer (its low two bits); the rest is that layer's input:
 *   0  a directory as the git host serves it: cairn_directory_decode, then open with the fixed team key
 *   1  a directory without its signature: the org key field (bytes 20..51) is overwritten with the fixed
 *      org key and the body signed before decoding, so the fuzzer reaches the parser behind the signature
 *   2  the decompression layer alone (what an opened body holds): cairn__directory_unpack
 *   3  a round trip: the input (up to its first NUL) is encoded for the fixed team, decoded and opened,
 *      and must come back byte for byte; a flipped byte of the document must then fail to decode or open
 */
#ifndef CAIRN_FUZZ_DIRECTORY_H
#define CAIRN_FUZZ_DIRECTORY_H

#include "fuzz_roster.h"

enum { FUZZ_DIR_RAW = 0, FUZZ_DIR_SIGN = 1, FUZZ_DIR_UNPACK = 2, FUZZ_DIR_RESEAL = 3 };

static const unsigned char fuzz_dir_team[16] = {0xd1, 0x2e, 0xc7};
static const unsigned char fuzz_dir_key[32] = "cairn-fuzz-directory-team-key-01";

#endif
