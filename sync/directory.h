/*
 * directory.h — the resource directory as the office publishes it (docs/formats.md "Resource directory"):
 * one document per version on refs/heads/directory, signed by the org key, its contents encrypted under
 * a fresh key that is wrapped once per team with that team's current key.
 *
 * The codec (decode, open, encode) does no I/O: cairn_directory_decode is a fuzz entry point. The rest
 * moves the document between repositories and into a journal.
 */
#ifndef CAIRN_DIRECTORY_H
#define CAIRN_DIRECTORY_H

#include "cairn.h"
#include "gitlog.h"
#include "roster.h"

#include <stddef.h>
#include <stdint.h>

#define CAIRN_DIRECTORY_REF "refs/heads/directory"
#define CAIRN_DIRECTORY_MAX_BYTES (32u << 20) /* a whole document */
#define CAIRN_DIRECTORY_MAX_PLAIN (32u << 20) /* the decompressed JSON */
#define CAIRN_DIRECTORY_MAX_TEAMS 4096
#define CAIRN_DIRECTORY_WRAP_BYTES 48 /* a 32-byte key + AEAD tag */

typedef struct {
	unsigned char team[CAIRN_TEAM_BYTES];
	uint32_t epoch;
	unsigned char nonce[24];
	unsigned char wrapped[CAIRN_DIRECTORY_WRAP_BYTES];
} cairn_directory_wrap;

typedef struct {
	uint64_t version;
	unsigned char org_pk[32];
	cairn_directory_wrap *wraps; /* sorted by (team, epoch), no repeats */
	size_t nwraps;
	unsigned char *doc;       /* a copy of the whole document (the AEAD's associated data is a prefix of it) */
	size_t body_at, body_len; /* the body: nonce [24] ‖ u32 length ‖ ciphertext */
} cairn_directory;

/** A team the office encrypts for: its id, current epoch and key (borrowed). */
typedef struct {
	const unsigned char *team;
	uint32_t epoch;
	const unsigned char *key;
} cairn_directory_team;

/**
 * Parse, bounds-check and verify the signature. `org`: the org key the caller pinned; a document naming
 * another is refused (CAIRN_EREJECTED) before its signature is checked or anything past the header is
 * read. NULL (the fuzz target) verifies with the key the document carries. CAIRN_ECORRUPT malformed,
 * CAIRN_ETAMPER bad signature, CAIRN_ENEWER a format above 1. *out: free with cairn_directory_free().
 */
int cairn_directory_decode(cairn_directory **out, const unsigned char *buf, size_t len, const unsigned char *org);
void cairn_directory_free(cairn_directory *d);
/**
 * Decrypt with the key of (team, epoch): *json malloc'd, NUL-terminated, wipe and free. CAIRN_ENOTFOUND
 * when the document is not wrapped for that team and epoch, CAIRN_ETAMPER when the key does not open it,
 * CAIRN_ECORRUPT when what it opens to is not one bounded zstd frame.
 */
int cairn_directory_open(const cairn_directory *d, const unsigned char team[CAIRN_TEAM_BYTES], uint32_t epoch,
                         const unsigned char key[32], char **json);
/** Encode version `version` of `json` for `teams` (sorted here; no repeats) and sign. *out malloc'd. */
int cairn_directory_encode(unsigned char **out, size_t *len, uint64_t version, const unsigned char org_pk[32],
                           cairn_directory_team *teams, size_t nteams, const char *json,
                           int (*sign)(void *ud, const unsigned char *m, size_t n, unsigned char sig[64]), void *ud);
/* The decompression layer alone, for the fuzz target: one zstd frame declaring ≤ MAX_PLAIN bytes. */
int cairn__directory_unpack(const unsigned char *z, size_t zlen, char **json);

/* The document of commit `commit` (its blob "directory"), decoded against the pinned `org` key (see
 * cairn_directory_decode); `parent` gets the commit's parent. For this file and the pre-receive hook. */
int cairn__directory_read(cairn_gitlog *g, const char *commit, const unsigned char org[32], cairn_directory **out,
                          char parent[CAIRN_OID_HEX]);

/* The office: write the next version for the teams of `r` (their current epochs) from its journal, when
 * it has a resource or has published before. */
int cairn__directory_publish(cairn_journal *j, cairn_gitlog *g, const cairn_roster *r);
/*
 * A device: take refs/remotes/<remote>/directory when it is a newer version signed by the pinned org
 * key (an older or equal one is left alone: our newer one goes back to that remote with the next push),
 * then apply. CAIRN_EREJECTED (message set) for another org's document.
 */
int cairn__directory_adopt(cairn_gitlog *g, cairn_journal *j, const char *remote);
/* A device: apply the document at refs/heads/directory to the journal when it is newer than what the
 * journal holds and this device holds a key it is wrapped for (otherwise it is only carried). */
int cairn__directory_apply(cairn_gitlog *g, cairn_journal *j);

#endif
