/*
 * office.h — internal interfaces between the engine, the roster, the office and the pre-receive hook.
 */
#ifndef CAIRN_OFFICE_INTERNAL_H
#define CAIRN_OFFICE_INTERNAL_H

#include "cairn.h"
#include "gitlog.h"
#include "roster.h"

#define CAIRN_ROSTER_REF "refs/heads/roster"
#define CAIRN_ORG_CONFIG "cairn.orgkey" /* pinned org key (hex) in a repository's config: the hook's trust */

/* logcheck.c: what a log's segments must satisfy, for the engine (adopting, relaying) and the hook. */
/* The last seq and segment hash at `tip` ("" none: zeros). */
int cairn__log_tip_state(cairn_gitlog *g, const char *tip, uint64_t *last, unsigned char hash[32]);
/*
 * How far `tip` extends `base` ("" none) with segments that verify as `dev`'s own: signature, device
 * binding, seq continuity, hash chain, single parent, and (when `roster` is given) enrolled key and
 * revocation. `good` receives the last verified commit (base when none); on the first bad one, `bad`
 * and `reason` say which and why ("" when all verified).
 */
/*
 * Returns 1, with `bad` the first new segment and `reason` set, when `dev` is a revoked device whose log
 * must lead to a pinned last segment (roster format 3) and the new segments do not reach it: nothing is
 * admitted, and nothing is proven bad either (a relay may hold an older part of the genuine log).
 */
int cairn__log_verified_prefix(cairn_gitlog *g, const cairn_roster *roster, const char *dev, const char *base,
                               const char *tip, char good[CAIRN_OID_HEX], char bad[CAIRN_OID_HEX], char *reason,
                               size_t rlen);
/* The same, when the caller already knows `base`'s last seq and segment hash (a journal's cursor names
 * the commit it imported last): the base segment is not read and verified again. */
int cairn__log_verified_prefix_known(cairn_gitlog *g, const cairn_roster *roster, const char *dev, const char *base,
                                     uint64_t base_seq, const unsigned char base_hash[32], const char *tip,
                                     char good[CAIRN_OID_HEX], char bad[CAIRN_OID_HEX], char *reason, size_t rlen);

/* office.c: the roster on a device. */
/* The org key pinned in a journal (sync state "org_pk"); CAIRN_ENOTFOUND when none. */
int cairn__org_pinned(cairn_journal *j, unsigned char pk[32]);
/* Load and verify the roster at `ref`; CAIRN_ENOTFOUND when the ref does not exist. */
int cairn__roster_load(cairn_gitlog *g, const char *ref, const unsigned char org_pk[32], cairn_roster **out);
/*
 * Take the roster a remote offered (refs/remotes/<remote>/roster) when it is newer than ours: refuse a
 * rollback or a different roster under the same version (CAIRN_EREJECTED, message set), move
 * refs/heads/roster, and unseal this device's team keys. *cache is replaced by the roster now held.
 */
int cairn__roster_adopt(cairn_gitlog *g, cairn_journal *j, const char *remote, cairn_roster **cache);
/*
 * The newest roster this journal took (adopted, or signed as the office), kept in the journal itself:
 * version, and its commit ("" when only the version is known). Check refuses (CAIRN_EREJECTED) a roster
 * older than it, or another one under its version; `what` starts the message ("remote 'x' offers").
 */
int cairn__roster_seen(cairn_journal *j, uint64_t *version, char tip[CAIRN_OID_HEX]);
int cairn__roster_check(cairn_journal *j, uint64_t version, const char *tip, const char *what);
/* Apply the held roster (commit `tip`) to the journal (team keys sealed to this device) if not done yet. */
int cairn__roster_apply(cairn_gitlog *g, cairn_journal *j, const cairn_roster *r, const char *tip);

#endif
