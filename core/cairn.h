/*
 * cairn.h — the public API of libcairn, the encrypted offline journal.
 *
 * Conventions (after libgit2 and SQLite):
 *  - Every function returns 0 on success or a negative CAIRN_E* code; cairn_error_last() then holds a
 *    one-line, lowercase message for this thread (valid until the next failing call on this thread).
 *  - Handles are opaque. Constructors take the out-parameter first; destructors accept NULL.
 *  - Ownership: strings returned through `char **out` are allocated by libcairn and released with
 *    cairn_free(). Pointers returned directly (const char *) are borrowed from their parent handle and
 *    live as long as it does.
 *  - Query results are JSON documents (UTF-8, compact) so that the CLI's --json output and its tables are
 *    built from the same data, and so bindings need no struct layouts.
 *  - The library never prints. Diagnostics go to the callback installed with cairn_log_set().
 *  - Passphrases are passed as (pointer, length); libcairn never keeps them.
 *  - Reads of record content that say "audited" append their audit.view entries (42 CFR Part 2, HIPAA
 *    164.312(b)) themselves, before the result is returned; when the entries cannot be written the
 *    call fails and returns nothing, so no caller can skip them (cairn_log, cairn_search,
 *    cairn_review_list, cairn_goal_list, cairn_conflict_values, cairn_conflict_decisions, and for
 *    everyone cairn_referral_list, cairn_assess_list, cairn_gpra_list, cairn_consent_list and
 *    cairn_group_list). Inside a batch (cairn_batch_begin), whose rollback would take the entries back,
 *    they fail with CAIRN_EINVAL.
 */
#ifndef CAIRN_H
#define CAIRN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Error codes. Stable: the CLI maps them to documented exit codes. */
typedef enum {
	CAIRN_OK = 0,
	CAIRN_ERROR = -1,       /**< unclassified failure */
	CAIRN_ENOTFOUND = -2,   /**< no such journal, record or key file */
	CAIRN_EAUTH = -3,       /**< wrong passphrase */
	CAIRN_ECORRUPT = -4,    /**< a file is damaged or not what it claims (key file, segment) */
	CAIRN_ETAMPER = -5,     /**< authenticated decryption failed: data was modified */
	CAIRN_EINVAL = -6,      /**< invalid argument or input (bad date, id, field, JSON) */
	CAIRN_EEXISTS = -7,     /**< already exists (journal already initialised) */
	CAIRN_ENEWER = -8,      /**< database schema is newer than this binary */
	CAIRN_ECONFLICT = -9,   /**< the operation needs a conflict to be resolved first */
	CAIRN_EFORK = -10,      /**< the same (device, seq) arrived with different content */
	CAIRN_EOFFLINE = -11,   /**< a remote could not be reached */
	CAIRN_EIO = -12,        /**< an I/O error (read-only or full file system, ...) */
	CAIRN_ENOMEM = -13,     /**< out of memory (including locked secure memory) */
	CAIRN_EBUSY = -14,      /**< the journal is locked by another process */
	CAIRN_EAMBIGUOUS = -15, /**< an id prefix matches more than one record */
	CAIRN_ENOSPC = -16,     /**< the file system is full */
	CAIRN_EREJECTED = -17,  /**< a remote refused an update */
	CAIRN_ECONSENT = -18    /**< a disclosure without an active matching consent (42 CFR Part 2) */
} cairn_error_code;

/** The message of the last failure on this thread; never NULL ("" when none). Borrowed. */
const char *cairn_error_last(void);
/** The code of the last failure on this thread (CAIRN_OK when none). */
int cairn_error_last_code(void);
/** A short generic description of an error code. Static storage. */
const char *cairn_strerror(int code);
/** Forget the last error of this thread. */
void cairn_error_clear(void);
/**
 * Set this thread's last error (code and a printf-formatted one-line message) and return `code`, so a
 * caller can `return cairn_error_set(...)`. For libraries layered on libcairn (libcairn_sync) that report
 * through the same cairn_error_last(); libcairn itself uses its internal helper.
 */
int cairn_error_set(int code, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

/** Log levels for cairn_log_set(). */
typedef enum { CAIRN_LOG_ERROR = 0, CAIRN_LOG_WARN, CAIRN_LOG_INFO, CAIRN_LOG_DEBUG } cairn_log_level;
typedef void (*cairn_log_fn)(cairn_log_level level, const char *msg, void *ud);
/** Install a process-wide log callback (NULL: discard). Messages never contain record data or keys. */
void cairn_log_set(cairn_log_fn fn, void *ud);
/** Send a message to that callback: for libraries layered on libcairn (libcairn_sync), as cairn_error_set. */
void cairn_log_emit(cairn_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

/** Release memory returned by libcairn through a `char **out` parameter. Accepts NULL. */
void cairn_free(void *p);

/** Library version string, e.g. "0.1.0". Static storage. */
const char *cairn_version(void);

/** Initialise libsodium and SQLite once per process; called implicitly by cairn_journal_*. */
int cairn_global_init(void);

/* ---------------------------------------------------------------------------------------------- */
/* Journals                                                                                        */

typedef struct cairn_journal cairn_journal;

#define CAIRN_ID_LEN 37     /**< a UUID in text form plus NUL */
#define CAIRN_DEVICE_LEN 17 /**< a device id (16 hex digits) plus NUL */
#define CAIRN_DIGEST_LEN 65 /**< a state digest (64 hex digits) plus NUL */

/** Argon2id cost presets for the key file. DEFAULT costs 0.3–1 s; MIN exists for tests only. */
typedef enum { CAIRN_KDF_DEFAULT = 0, CAIRN_KDF_INTERACTIVE = 1, CAIRN_KDF_MIN = 2 } cairn_kdf_level;

typedef struct {
	unsigned int version;
	cairn_kdf_level kdf; /**< Argon2id cost */
} cairn_init_options;
#define CAIRN_INIT_OPTIONS_VERSION 1
#define CAIRN_INIT_OPTIONS_INIT                               \
	{                                                     \
		CAIRN_INIT_OPTIONS_VERSION, CAIRN_KDF_DEFAULT \
	}

/**
 * Create a new journal in `dir` (created with mode 0700 if missing): a key file (`key`) holding a random
 * data key wrapped with the passphrase, and an encrypted database (`journal.db`) with a fresh device id.
 * Fails with CAIRN_EEXISTS if a key file is already there.
 */
int cairn_journal_init(const char *dir, const char *pass, size_t passlen, const cairn_init_options *opts);

/**
 * Unlock and open the journal in `dir`. CAIRN_EAUTH for a wrong passphrase, CAIRN_ENOTFOUND when there
 * is no key file, CAIRN_ECORRUPT for a damaged key file, CAIRN_ENEWER for a newer schema. A failed open
 * modifies no file. The caller frees the handle with cairn_journal_free().
 */
int cairn_journal_open(cairn_journal **out, const char *dir, const char *pass, size_t passlen);

/**
 * Open with an already unwrapped 32-byte data key (an agent session). The key is copied into secure
 * memory; the caller keeps ownership of `key`.
 */
int cairn_journal_open_key(cairn_journal **out, const char *dir, const unsigned char key[32]);

/**
 * Open a connection that only keeps the journal open (the sync agent holds one while unlocked): while it
 * is open, other connections, in this process or another, find the WAL index built and are never the last
 * to close, so they skip its rebuild when they open and the checkpoint, syncs and unlinks when they close.
 * It runs no query after opening and holds no transaction, so it never holds back a checkpoint; its page
 * cache is small. Use it for nothing else. Closing it (cairn_journal_free) as the last connection
 * checkpoints and removes the WAL like any other. The key is copied into secure memory; the caller keeps
 * ownership of `key`. Errors as for cairn_journal_open_key().
 */
int cairn_journal_open_idle(cairn_journal **out, const char *dir, const unsigned char key[32]);

/**
 * Unwrap the data key of the journal in `dir` without opening the database. On success *key_out points
 * to 32 bytes of sodium_malloc'd memory that the caller releases with cairn_key_free().
 */
int cairn_key_unlock(unsigned char **key_out, const char *dir, const char *pass, size_t passlen);
/** Wipe and release a key returned by cairn_key_unlock(). Accepts NULL. */
void cairn_key_free(unsigned char *key);

/**
 * Close the journal, wipe its keys. Accepts NULL. As the last connection it checkpoints and removes the
 * WAL, unless the database was removed under it (cairn_journal_destroy): then it writes nothing.
 */
void cairn_journal_free(cairn_journal *j);

/**
 * Rewrap the data key under a new passphrase (atomic replace of the key file). The database is not
 * touched. CAIRN_EAUTH when `oldpass` is wrong (the key file is then left as it was).
 */
int cairn_journal_passwd(const char *dir, const char *oldpass, size_t oldlen, const char *newpass, size_t newlen,
                         cairn_kdf_level kdf);

/** This journal's device id (16 hex digits). Borrowed from `j`. */
const char *cairn_journal_device(const cairn_journal *j);
/** The directory this journal lives in. Borrowed from `j`. */
const char *cairn_journal_dir(const cairn_journal *j);

/**
 * Group many appends into one transaction (for imports and bulk work). While a batch is open every
 * append joins it; cairn_batch_commit() makes them durable together, cairn_batch_rollback() drops them.
 * An append that fails inside a batch after it started writing poisons the batch: commit then rolls the
 * whole batch back and fails (an append rejected by validation before writing does not).
 */
int cairn_batch_begin(cairn_journal *j);
int cairn_batch_commit(cairn_journal *j);
int cairn_batch_rollback(cairn_journal *j);

/* ---------------------------------------------------------------------------------------------- */
/* Events                                                                                          */

/** What cairn_event_append() reports about the event it wrote. */
typedef struct {
	uint64_t seq;
	uint64_t hlc;
	char entity[CAIRN_ID_LEN];
} cairn_event_info;

/**
 * Append one locally authored event and apply it to the materialized tables, in one transaction.
 * `kind` is from the event catalogue (docs/events.md): 1 to 64 of [a-z0-9._-], else CAIRN_EINVAL (a
 * kind this build does not know is stored and not applied); `entity` may be NULL to mint a new UUIDv7;
 * `body_json` is a JSON object (else CAIRN_EINVAL), validated against the kind when this build knows it.
 * `info` may be NULL.
 */
int cairn_event_append(cairn_journal *j, const char *kind, const char *entity, const char *body_json,
                       cairn_event_info *info);

/** A whole event, as stored. All pointers are borrowed for the duration of a callback. */
typedef struct {
	const char *device;
	uint64_t seq;
	uint64_t hlc;
	const char *kind;
	const char *entity;
	const char *body; /**< JSON text */
	int schema;
	unsigned char hash[32];
} cairn_event;

/**
 * Ingest an event authored elsewhere (the sync engine's import). Verifies the content hash in `ev`,
 * advances the clock, stores and applies it. Returns 0 when applied, 1 when it was already present (no-op),
 * CAIRN_EFORK when the same (device, seq) is stored with a different hash (the event is quarantined).
 */
int cairn_event_ingest(cairn_journal *j, const cairn_event *ev);

/** Compute the content hash of an event (all fields but `hash`). */
void cairn_event_hash(const cairn_event *ev, unsigned char out[32]);

/** Callback for cairn_events_foreach(); return non-zero to stop (that value is returned). */
typedef int (*cairn_event_cb)(const cairn_event *ev, void *ud);

/**
 * Visit the events of `device` (NULL: all devices) with seq in [from_seq, to_seq] (to_seq 0: no bound),
 * in (device, seq) order.
 */
int cairn_events_foreach(cairn_journal *j, const char *device, uint64_t from_seq, uint64_t to_seq, cairn_event_cb cb,
                         void *ud);

/** The highest seq stored for `device` (0 when none). */
int cairn_events_max_seq(cairn_journal *j, const char *device, uint64_t *out);

/* ---------------------------------------------------------------------------------------------- */
/* Records. Field sets are JSON objects; see docs/events.md for the fields of each kind.            */

/** Create (entity NULL) or update a contact's fields. `id_out` (may be NULL) receives the contact id. */
int cairn_contact_set(cairn_journal *j, const char *entity, const char *fields_json, char id_out[CAIRN_ID_LEN]);
/** Record that contacts `a` and `b` are the same person; the smallest id of the group survives. */
int cairn_contact_merge(cairn_journal *j, const char *a, const char *b);
/** Delete (alive = 0) or restore (alive = 1) a contact; tombstones stay in the log. */
int cairn_contact_delete(cairn_journal *j, const char *id, int alive);

/** Add a note about `contact`. `fields_json`: kind, date, text, modality, minutes. */
int cairn_note_add(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN]);
/**
 * Correct a note's text; the original and every amendment stay in the record. The amendment names the
 * amendments it replaces (all it has), so two made on devices that had not seen each other's are raised
 * as a conflict (cairn_conflict_list), and a later one decides it.
 */
int cairn_note_amend(cairn_journal *j, const char *note, const char *text, const char *reason);
/** Mark a note entered-in-error. */
int cairn_note_strike(cairn_journal *j, const char *note, const char *reason);

/** Refer `contact` somewhere. `fields_json`: category, to, reason, date. */
int cairn_referral_add(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN]);
/**
 * Record a referral status. `fields_json`: state (a FHIR Task status or "on-hold"), outcome, reporter,
 * note, reopen (bool: start a new generation).
 */
int cairn_referral_status(cairn_journal *j, const char *referral, const char *fields_json);

/**
 * Resolve an id or unique id prefix (at least 4 characters) of a record of `type` ("contact", "note",
 * "referral", "goal", "consent", "assessment", "resource", "group", "plan version", "crisis", "audit":
 * an audit entry) into a full id. CAIRN_ENOTFOUND or CAIRN_EAMBIGUOUS otherwise; CAIRN_EINVAL for another type.
 */
int cairn_id_resolve(cairn_journal *j, const char *type, const char *prefix, char id_out[CAIRN_ID_LEN]);

/* ---------------------------------------------------------------------------------------------- */
/* Queries: each writes a JSON document to *out (free with cairn_free).                            */

/** Contacts: [{"id","name","alias","dob","phone",...,"conflicts":n,"deleted":bool}] sorted by name. */
int cairn_contact_list(cairn_journal *j, int include_deleted, char **out);
/** One contact with fields, aliases (merged ids), notes, referrals and open conflicts. */
int cairn_contact_show(cairn_journal *j, const char *id, char **out);
/** Referrals, optionally for one contact (NULL: all): [{"id","contact","category","to","state",...}].
 * With `contact` NULL
 * the list is audited as cairn_goal_list's is (one audit.view "referral list" per person shown; nothing
 * returned when the entries cannot be written); one person's is the caller's to audit. */
int cairn_referral_list(cairn_journal *j, const char *contact, char **out);
/**
 * Full-text search over contact names and note text, best first, at most 200 hits:
 * [{"type":"contact"|"note","id","contact","name","date","snippet"}]. Deleted people and their notes, and
 * struck notes (entered in error), are not found. Audited (42 CFR Part 2): before
 * *out is returned, one audit.view "search" is appended for each person a hit shows (a contact hit is
 * its person, a note hit its contact's; a merge group once, however many hits), all in one transaction;
 * when they cannot be written, nothing is returned (*out NULL) and the error says why. No hit writes
 * nothing.
 */
int cairn_search(cairn_journal *j, const char *query, char **out);
/**
 * Which contact fields have open conflicts, without their values: [{"contact","field","heads":n}] (n
 * concurrent values); a note amended on two devices without either seeing the other is one too, with
 * "field":"note" and its "note" id (decided by amending it again, which replaces every amendment shown:
 * cairn_note_amend). Not audited: it shows no record content (the sync engine counts conflicts with
 * it). Changed when the caseload views became audited: it used to return the values too, unaudited;
 * a caller that reads "name" or "values" now calls cairn_conflict_values(), which is audited. A person
 * merged on one device and deleted or restored on another without either seeing the other is one entry
 * {"contact": the merge survivor, "field": "status", "heads": the number of sides}. A goal whose status
 * was changed on two devices without either seeing the other is {"contact": the person's surviving id,
 * "field":"goal","goal": its id,"heads":n}, decided by a new status (cairn_goal_status). A plan with
 * versions written on two devices without either seeing the other is {"contact": the person's surviving
 * id, "field":"plan","plan": its type,"heads":n}, decided by a new version (cairn_plan_set). A referral
 * recorded with two different terminal states on devices that had not seen each other's is {"contact",
 * "field":"referral","referral": its id,"heads": the distinct states}, decided by a status that reopens
 * it (cairn_referral_status with "reopen"); a struck referral's is dropped.
 */
int cairn_conflict_list(cairn_journal *j, char **out);
/**
 * Open field conflicts with every value: [{"contact","name","field","values":[{"value","hlc","device"}]}],
 * values newest first (the numbering of cairn_conflict_resolve's `keep`); a note's conflict also has
 * "note" (its id), "field":"note" and the competing amendments' texts as values. Every entry has
 * "record": the record the values belong to (the contact; for a merge/delete conflict a member with a
 * delete or restore in it; the note). Audited as
 * cairn_search() is: one audit.view "conflicts" for each person shown (a note's person even before their
 * record has arrived), in one transaction, before *out is returned;
 * nothing is returned when they cannot be written; no conflict writes nothing. A merge/delete conflict
 * (decided with cairn_conflict_resolve_status) is {"contact" (the survivor),"name","field":"status",
 * "kind":"merge-delete","shown":"deleted"|"alive","values":[sides]}, each side a current delete or restore
 * {"value":"deleted"|"restored","contact","cl","hlc","device"} or a merge {"value":"merged","merged":[a,b],
 * "hlc","device"} that did not see the other side, newest first; the same entries are in
 * cairn_contact_show()'s "conflicts" (without "contact", "name" and "shown"), and the "conflicts" counts
 * of cairn_contact_list() and cairn_journal_stats() count such a person once. A goal's conflict has
 * "field":"goal", "goal" (its id), "text" (the goal) and the competing statuses as values {"value": the
 * status,"date","note","hlc","device"}; its "record" is the goal; it is counted once per goal in those
 * counts, and cairn_goal_list() (so `contact show`'s card) marks the goal, not "conflicts". A plan's
 * conflict has "field":"plan", "plan" (its type) and its heads as values {"value": the sections where
 * that version differs from another head, as text ("coping: walk, call Sam; helpers: (not set)"),"version",
 * "date","sections","hlc","device"}, newest first; its "record" is a head version (so the audit finds the
 * person even before their record arrives); counted once per plan in those counts, and listed by
 * cairn_plan_conflicts() too. A referral's has "field":"referral", "referral"
 * (its id), "to" and as values its terminal status events in the winning round, newest first
 * {"value": the state with its outcome, "completed (placed)","state","outcome","reporter","note","hlc",
 * "device"}; its "record" is the referral.
 */
int cairn_conflict_values(cairn_journal *j, char **out);

typedef struct {
	unsigned int version;
	const char *device; /**< only this device (NULL: all) */
	const char *entity; /**< only this entity (NULL: all) */
	uint64_t limit;     /**< 0: no limit; newest first */
	int bodies;         /**< (version 2) include each event's body: record content, audited */
} cairn_log_options;
#define CAIRN_LOG_OPTIONS_VERSION 2
#define CAIRN_LOG_OPTIONS_INIT                              \
	{                                                   \
		CAIRN_LOG_OPTIONS_VERSION, NULL, NULL, 0, 0 \
	}
/**
 * Events, newest first: [{"device","seq","hlc","time","kind","entity"}], with "body" only when
 * opts->bodies is set. A body is record content (a note's text, a contact's fields), so reading is
 * audited here, before *out is returned: with `bodies`, an audit.view "log --bodies" for every person
 * the events returned are about (as cairn_audit_record finds them); with an `entity` and no bodies, an
 * audit.view "log" for that record's person. When the entries cannot be written, nothing is returned.
 * Without entity and bodies (the caseload's metadata) nothing is audited.
 */
int cairn_log(cairn_journal *j, const cairn_log_options *opts, char **out);

/**
 * The state digest: a BLAKE2b-256 over a canonical encoding of every materialized table. Two journals
 * holding the same set of events have the same digest, whatever the order the events arrived in.
 */
int cairn_digest(cairn_journal *j, char hex_out[CAIRN_DIGEST_LEN]);

/**
 * Program report for [from, to] (YYYY-MM-DD, inclusive), optionally one team (hex id, or a team name
 * the office gave; NULL: all). A team counts what the devices the roster puts in it recorded.
 * *out: {"from","to","team","sections":[{"id","title","columns":[...],"rows":[[...]],"chart":{...}}]},
 * one or more sections per record family (see core/model.h). Aggregates only: no names, notes or
 * phone numbers. Small cells are suppressed (cairn_report_min_cell with CAIRN_REPORT_MIN_CELL).
 * Free with cairn_free.
 */
int cairn_report(cairn_journal *j, const char *from, const char *to, const char *team, char **out);

/** The usual threshold of small-cell suppression (SAMHSA/CMS practice: counts from 1 to 10 hidden). */
#define CAIRN_REPORT_MIN_CELL 11

/**
 * cairn_report with small-cell suppression at `min_cell` (core/cells.c): every count of people or events
 * from 1 to min_cell - 1, and every cell from which one could be worked out (complementary cells, totals,
 * rates, medians), becomes the string "*". *out gains "suppression": {"min_cell", "marker", "cells"
 * (how many hidden), "note"}. `min_cell` 0 or 1 suppresses nothing, for use inside the program only:
 * "suppression" is then {"min_cell": 0, "note"} and the note says the report is not suppressed.
 * CAIRN_EINVAL when min_cell is negative, above 1000, or from 2 to 4 (too low to protect anyone: two
 * hidden cells with a known sum of 2 are 1 and 1).
 */
int cairn_report_min_cell(cairn_journal *j, const char *from, const char *to, const char *team, int min_cell,
                          char **out);

/**
 * What is due per person by `today` (YYYY-MM-DD; NULL: the current date) plus `horizon_days`:
 * follow-up assessments, referrals awaiting an update, expiring consents, crisis follow-ups.
 * *out: [{"contact","what","due","ref","overdue"}] sorted by due date. Free with cairn_free.
 */
int cairn_due(cairn_journal *j, const char *today, int horizon_days, char **out);

/** Counts for status displays: {"device","events","contacts","notes","referrals","conflicts"}. */
int cairn_journal_stats(cairn_journal *j, char **out);

/* ---------------------------------------------------------------------------------------------- */
/* Sync support: what libcairn_sync needs from a journal. Secrets never leave in the clear except     */
/* as sodium_malloc'd copies the caller wipes with cairn_key_free().                                */

#define CAIRN_TEAM_BYTES 16

/** Sign `m` with this device's Ed25519 key (the key itself never leaves the journal). */
int cairn_device_sign(cairn_journal *j, const unsigned char *m, size_t n, unsigned char sig[64]);
/** This device's Ed25519 public key. */
int cairn_device_public_key(cairn_journal *j, unsigned char pk[32]);

/**
 * The current team of this device: id, epoch and key (*key_out: 32 bytes of sodium_malloc'd memory,
 * release with cairn_key_free; pass NULL to skip). CAIRN_ENOTFOUND when the device has no team yet.
 */
int cairn_team_current(cairn_journal *j, unsigned char team[CAIRN_TEAM_BYTES], uint32_t *epoch,
                       unsigned char **key_out);
/** The key of `team` at `epoch`. CAIRN_ENOTFOUND when this device does not hold it. */
int cairn_team_key(cairn_journal *j, const unsigned char team[CAIRN_TEAM_BYTES], uint32_t epoch,
                   unsigned char **key_out);
/** Create a new team with a random id and key at epoch 0 and make it current. */
int cairn_team_create(cairn_journal *j, unsigned char team_out[CAIRN_TEAM_BYTES]);
/**
 * Write a join file for the current team: the team id, epoch, key and the member public keys, sealed
 * with a key derived from `pass` (Argon2id) by XChaCha20-Poly1305. The file holds no plaintext secret.
 * It appears whole or not at all, and never replaces a file: CAIRN_EEXISTS when `path` exists.
 */
int cairn_team_export(cairn_journal *j, const char *path, const char *pass, size_t passlen, cairn_kdf_level kdf);
/** Read a join file and adopt its team (and members). CAIRN_EAUTH on a wrong passphrase. */
int cairn_team_join(cairn_journal *j, const char *path, const char *pass, size_t passlen);

/** Where this journal has imported a device's log up to. All zero when never. */
typedef struct {
	uint64_t last_seq;
	unsigned char last_hash[32];
	char commit[41]; /**< hex object id of the last applied segment commit ("" when none) */
} cairn_cursor;
int cairn_cursor_get(cairn_journal *j, const char *device, cairn_cursor *out);

/**
 * Apply the events of one segment of `device` and move its cursor to `cursor`, in one transaction (or one
 * savepoint of the open import group).
 * Either all of it happens or none. CAIRN_EFORK when an event conflicts with a stored one (nothing applied),
 * CAIRN_EINVAL/ECORRUPT for an event that cannot be applied (nothing applied).
 */
int cairn_import_segment(cairn_journal *j, const char *device, const cairn_event *events, size_t n,
                         const cairn_cursor *cursor, uint64_t *applied);

/**
 * An import group: the segments imported between cairn_import_begin() and cairn_import_commit() share one
 * transaction, so a sync of many small logs pays one commit and one search-index flush, not one per
 * segment. Each segment still applies whole or not at all (a savepoint of its own): a failing segment
 * returns its error and leaves the group's other segments in place. Nothing is durable before
 * cairn_import_commit(); a crash or cairn_import_rollback() drops the whole group, events and cursors
 * together, and the next round imports it again. Not inside a batch; appends are refused inside a group.
 */
int cairn_import_begin(cairn_journal *j);
int cairn_import_commit(cairn_journal *j);
int cairn_import_rollback(cairn_journal *j);
/**
 * While import groups run, the journal checkpoints its WAL on a helper thread (a second core does the
 * copying); cairn_import_finish() waits for the last checkpoint and stops the thread, after the last
 * group of an import. cairn_journal_free() does it too. Nothing to do when no group ran.
 */
void cairn_import_finish(cairn_journal *j);

/** Record a refused segment (idempotent) and list them as JSON [{"device","commit","reason","at"}]. */
int cairn_quarantine_segment(cairn_journal *j, const char *device, const char *commit, const char *reason);
int cairn_quarantine_list(cairn_journal *j, char **out);
/** Is this segment commit already quarantined? 1 yes, 0 no, <0 error. */
int cairn_quarantine_has(cairn_journal *j, const char *device, const char *commit);

/**
 * Continue under a new device identity after a restore from an old backup: this device's events with
 * seq > `keep` (written after the restore, never published) are re-authored under a fresh device id and
 * key, the originals kept in the quarantine table, and the materialized state is rebuilt. `old_out`
 * (may be NULL) receives the previous device id.
 */
int cairn_device_rotate(cairn_journal *j, uint64_t keep, char old_out[CAIRN_DEVICE_LEN]);

/** Small persistent settings of the sync engine. get: CAIRN_ENOTFOUND when unset; *out malloc'd. */
int cairn_state_get(cairn_journal *j, const char *key, char **out);
int cairn_state_set(cairn_journal *j, const char *key, const char *value);

/* ---------------------------------------------------------------------------------------------- */
/* Reconciliation (central office): duplicate people, conflict decisions.                          */

typedef struct {
	unsigned int version;
	double min_score; /**< report pairs scoring at least this (0: the default, 0.75); at most 1 */
	size_t limit;     /**< at most this many pairs, best first (0: all) */
} cairn_dedupe_options;
#define CAIRN_DEDUPE_OPTIONS_VERSION 1
#define CAIRN_DEDUPE_OPTIONS_INIT                  \
	{                                          \
		CAIRN_DEDUPE_OPTIONS_VERSION, 0, 0 \
	}

/**
 * Likely duplicate people among the living, surviving contacts (merged groups count once, so merged
 * pairs are never proposed again): normalised names compared by Jaro-Winkler, nicknames, swapped first
 * and last names, DOB (equal or transposed), phone, alias; only people sharing a blocking key are
 * compared. *out: {"contacts","compared","min_score","pairs":[{"a","a_name","b","b_name","score",
 * "reasons":[...]}]}, best first. Holds names: for the reviewer's screen only. Free with cairn_free.
 */
int cairn_duplicates(cairn_journal *j, const cairn_dedupe_options *opts, char **out);

/**
 * Decide an open conflict on `field` of `contact` (a full id): keep the `keep`-th value (1-based, in the
 * order cairn_conflict_values() gives, newest first) or set `value` instead (then keep is 0). The decision
 * is a contact.set event that has seen every conflicting value, so it closes the conflict wherever it
 * arrives; its body also records the decision ("resolves": field, kept, replaced values). CAIRN_ENOTFOUND
 * when the field has no open conflict. *out: {"contact","field","value","kept","replaced","device","hlc"}.
 */
int cairn_conflict_resolve(cairn_journal *j, const char *contact, const char *field, const char *value, int keep,
                           char **out);
/**
 * Decide an open merge/delete conflict (a merge and a delete or restore of one person made on two devices
 * without either seeing the other; cairn_conflict_values() lists it with field "status"): the person
 * `contact` (any of its ids) is to be deleted (alive 0) or alive (alive 1). Appends contact.delete events
 * that have seen the whole merge group: on the survivor when it is not already so, and on every member
 * whose current delete or restore is part of the conflict; the first one records the decision
 * ("resolves"). They close the conflict on every device they reach, whatever the order. CAIRN_ENOTFOUND when
 * the person has no such conflict (as cairn_conflict_resolve when a field has none) or there is no such
 * contact. *out (free with
 * cairn_free): {"contact" (the survivor),"field":"status","value":"deleted"|"alive","kept":null,
 * "replaced":[the sides, as cairn_conflict_values() gives them],"events":n,"device","hlc"}.
 */
int cairn_conflict_resolve_status(cairn_journal *j, const char *contact, int alive, char **out);
/** Past decisions, newest first: [{"contact","field","value","kept","replaced","device","hlc","time"}]
 *  (field "status", value "deleted" or "alive" for a merge/delete decision). The values are record
 *  content: audited as cairn_conflict_values() is (one audit.view "conflicts --decided" per person). */
int cairn_conflict_decisions(cairn_journal *j, char **out);
/* Peer recovery records (issue 6): goals, plans, consents and disclosures, assessments, resources,  */
/* groups, audit, supervision. Fields are JSON objects as for contacts; lists are JSON arrays.      */
/* Every query below writes a JSON document to *out (free with cairn_free). Ids: full UUIDs.        */

/** Set this device's worker name (kept in the journal, put into audit and disclosure events). */
int cairn_worker_set(cairn_journal *j, const char *name);
/** This device's worker name (*out malloc'd, free with cairn_free). CAIRN_ENOTFOUND when unset. */
int cairn_worker_get(cairn_journal *j, char **out);

/**
 * Recovery goals. `fields_json` for add: domain (recovery, housing, employment, education, health,
 * family, legal, finances, community), text (the goal in the person's words), steps (array of
 * strings), target (YYYY-MM-DD), date (default today), status (default "active").
 */
int cairn_goal_add(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN]);
/**
 * A goal's new status (active, achieved, paused, revised, dropped); fields: status, note, date. It
 * replaces every status the journal shows as a head of the goal, so it also decides a conflict (two
 * statuses written on devices that had not seen each other; see cairn_goal_list and cairn_conflict_list).
 */
int cairn_goal_status(cairn_journal *j, const char *goal, const char *fields_json);
/**
 * Goals of `contact` (NULL: all) with status history: [{"id","contact","domain","text","steps",
 * "target","date","status","history":[{"status","date","note","hlc","device"}],"conflict","heads"}]:
 * "status" is the newest; "heads" the statuses no later one replaced, newest first, and "conflict" true
 * when there are two or more (changed on devices that had not seen each other). With `contact` NULL
 * the list is audited as cairn_search() is: one audit.view "goal list" for each person whose goals are
 * listed, in one transaction, before *out is returned (nothing is returned when they cannot be
 * written; no goals writes nothing). One person's goals are not audited here: the caller that shows
 * them audits that person (cairn_audit_view), as for the other per-person lists.
 */
int cairn_goal_list(cairn_journal *j, const char *contact, char **out);

/**
 * Plans: `type` "relapse" (sections triggers, warning_signs, coping, people, places) or "safety"
 * (Stanley-Brown: warning_signs, coping, distractions, helpers, professionals, environment, reasons).
 * Each call writes a new version holding every section: those in `sections_json` (arrays of strings)
 * replace the current version's, the others are carried over. The new version has seen every current
 * head, so it also resolves concurrent versions. Every version is kept. With no section given ("{}"), it
 * writes the newest head again, which decides a conflict; CAIRN_EINVAL when the plan has none.
 */
int cairn_plan_set(cairn_journal *j, const char *contact, const char *type, const char *sections_json,
                   char id_out[CAIRN_ID_LEN]);
/**
 * The current plan: {"contact","type","version","date","device","hlc","sections":{...},"versions":n,
 * "heads":[version ids],"conflict":bool}. With `version` (not NULL) that version instead. When two
 * versions were written without seeing each other, both are heads, "conflict" is true, the newest
 * (hlc, device) is shown. CAIRN_ENOTFOUND when the person has no plan of that type.
 */
int cairn_plan_show(cairn_journal *j, const char *contact, const char *type, const char *version, char **out);
/** Every version, oldest first: [{"version","date","device","hlc","head":bool,"sections":{...}}]. */
int cairn_plan_history(cairn_journal *j, const char *contact, const char *type, char **out);
/** Plans with concurrent heads (flagged for review): [{"contact","type","heads":[...]}]. */
int cairn_plan_conflicts(cairn_journal *j, char **out);

/**
 * Consent to disclose (42 CFR Part 2, section 2.31). `fields_json`: discloser (who may disclose),
 * recipient, info (array of categories: identity, notes, referrals, goals, plans, assessments, crisis,
 * all), amount (how much, in words), purpose, expires (YYYY-MM-DD) and/or expiry_event (an event or
 * condition, in words), revocable (the statement given; a default is used when absent), signed_name,
 * signed_date, method (wet, verbal-witnessed, electronic), witness (required for verbal-witnessed).
 */
int cairn_consent_grant(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN]);
/** Revoke a consent from `date` (NULL: today); the consent stays in the record. */
int cairn_consent_revoke(cairn_journal *j, const char *consent, const char *date, const char *reason);
/** Consents of `contact` (NULL: all) as of `today` (NULL: now): [{"id","contact","recipient",...,
 * "status":"active"|"revoked"|"expired"}]. With `contact` NULL
 * the list is audited as cairn_goal_list's is (one audit.view "consent list" per person shown; nothing
 * returned when the entries cannot be written); one person's is the caller's to audit. */
int cairn_consent_list(cairn_journal *j, const char *contact, const char *today, char **out);

/**
 * The consent gate for every disclosure of Part 2 information (an export, a report with identities, a
 * referral carrying notes to an outside organisation). Succeeds when `contact` has a consent that is
 * not revoked, not expired (by date), names `recipient` (case-insensitive), has `purpose`
 * (case-insensitive) and covers every category in `what` (comma-separated: identity, notes, referrals,
 * goals, plans, assessments, crisis; "all" in a consent covers all). Then it appends the accounting
 * entry (a disclosure.add event: recipient, purpose, what, channel "export", consent, worker) and, when
 * `consent_id_out` is not NULL, sets *consent_id_out to the consent's id (malloc'd, free with cairn_free).
 * Without such a consent it fails with CAIRN_ECONSENT and a message naming what is missing, and writes
 * nothing -- unless `emergency_reason` is given (a medical emergency, section 2.51): then the disclosure
 * is recorded as an emergency without consent and *consent_id_out is NULL.
 */
int cairn_disclose(cairn_journal *j, const char *contact, const char *recipient, const char *purpose, const char *what,
                   const char *emergency_reason, char **consent_id_out);
/** cairn_disclose() recording `channel` ("export", "report", "referral", "fhir", ...) in the entry. */
int cairn_disclose_via(cairn_journal *j, const char *channel, const char *contact, const char *recipient,
                       const char *purpose, const char *what, const char *emergency_reason, char **consent_id_out);
/**
 * What a disclosure of `contact` under `what` (as given to cairn_disclose_via, which the caller runs
 * first) sends: {"contact": the card of cairn_contact_show cut to the categories covered, "goals",
 * "assessments", "groups", "plans": present when covered}. Cut as the FHIR export is: notes and
 * referrals struck as entered in error are left out; an amended note is sent as it reads now (with
 * "amended": true, without the wording it replaced); without "identity" no name or other field goes out,
 * not even a referral's contact name; a group session gives its "attendee_count", never the other
 * attendees; conflicts are left out. *out is freed with cairn_free.
 */
int cairn_disclosure_record(cairn_journal *j, const char *contact, const char *what, char **out);
/** The accounting of disclosures of `contact` (NULL: all), newest first: [{"id","contact","recipient",
 * "purpose","what","channel","consent","emergency","worker","device","time"}]. */
int cairn_disclosure_list(cairn_journal *j, const char *contact, char **out);
/** The notice that must accompany disclosed Part 2 records (42 CFR 2.32). Static storage. */
const char *cairn_redisclosure_notice(void);

/** Record that this worker viewed or exported `contact`'s record (`what`: "contact show", ...). */
int cairn_audit_view(cairn_journal *j, const char *contact, const char *what);
/**
 * Record that this worker viewed record `entity` of any kind, for the person (or people) it belongs to:
 * a contact is its own person; a note, referral, goal, plan version, consent, disclosure, assessment,
 * GPRA interview or audit entry belongs to its contact; a group session to each attendee; a crisis to
 * the person it names now (none: nothing is written). One audit.view `what` per person, in one
 * transaction. CAIRN_ENOTFOUND when no event has that entity.
 */
int cairn_audit_record(cairn_journal *j, const char *entity, const char *what);
/** Who saw `contact`'s record, newest first: [{"id","what","worker","device","time","hlc"}]. */
int cairn_audit_list(cairn_journal *j, const char *contact, char **out);

/**
 * Assessments. `fields_json`: instrument (an id of the instruments table, e.g. "barc10"), items (array
 * of integers, one per item of the instrument, each within its range), date (default today).
 */
int cairn_assess_add(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN]);
/** Assessments of `contact` (NULL: all), optionally one instrument, oldest first, with "change" from
 * the person's previous one: [{"id","contact","instrument","date","items","total","change"}]. With `contact` NULL
 * the list is audited as cairn_goal_list's is (one audit.view "assess list" per person shown; nothing
 * returned when the entries cannot be written); one person's is the caller's to audit. */
int cairn_assess_list(cairn_journal *j, const char *contact, const char *instrument, char **out);
/** The instrument definitions: [{"id","name","nitems","min","max","followup_days","scale","items":[..]}]. */
int cairn_instrument_list(cairn_journal *j, char **out);

/**
 * The resource directory (an HSDS subset), published by the office. `fields_json`: name, organization,
 * categories (array), phone, address, hours, url, description. `id` NULL creates one. Only an office
 * journal (one holding the org key) authors it: elsewhere CAIRN_EINVAL, and resource.set events that
 * arrive from any device are kept in the log but never applied. Devices receive the directory whole,
 * signed by the org (cairn_resource_directory_adopt).
 */
int cairn_resource_set(cairn_journal *j, const char *id, const char *fields_json, char id_out[CAIRN_ID_LEN]);
/** Every version of every resource, for the office to publish: [{"resource","hlc","device","body":{}}].
 * *out malloc'd; free with cairn_free. */
int cairn_resource_directory(cairn_journal *j, char **out);
/**
 * Replace a device's directory with version `version` of the office's (JSON as cairn_resource_directory
 * gives; the caller has verified the org's signature), in one transaction. A version at or below the one
 * held is a no-op; on an office journal, CAIRN_EINVAL (its directory is its own events). Each entry is
 * checked like a resource.set: CAIRN_ECORRUPT names the first bad one and nothing changes.
 */
int cairn_resource_directory_adopt(cairn_journal *j, uint64_t version, const char *json);
/** The directory version this journal holds (0: none; an office: 0). */
int cairn_resource_directory_version(cairn_journal *j, uint64_t *version);
/** Search names, organisations, categories and descriptions offline (`query` NULL: all), optionally
 * one category: [{"id","name","organization","categories",...}]. */
int cairn_resource_search(cairn_journal *j, const char *query, const char *category, char **out);
/** One resource: {"id","name",...,"versions":n}. */
int cairn_resource_show(cairn_journal *j, const char *id, char **out);

/** A peer-led group session. `fields_json`: date, topic, facilitator, minutes, attendees (contact ids). */
int cairn_group_add(cairn_journal *j, const char *fields_json, char id_out[CAIRN_ID_LEN]);
/** Sessions: [{"id","date","topic","facilitator","minutes","attendees":[contact ids]}]; with `contact`
 * not NULL, those the person attended, each with "attendee_count" (everyone, the person included)
 * instead of "attendees": a per-person view names no other attendee (the caller audits that person).
 * With `contact` NULL the list is audited for every attendee it names (one audit.view "group list"
 * each; nothing returned when the entries cannot be written). */
int cairn_group_list(cairn_journal *j, const char *contact, char **out);

/** A supervisor signs off a note (a signed event of this device and worker). */
int cairn_note_signoff(cairn_journal *j, const char *note, const char *comment);
/**
 * Notes awaiting sign-off (not struck, not signed off), oldest first:
 * [{"id","contact","name","kind","date","device","minutes"}]. Audited as cairn_search() is: one
 * audit.view "review" for each person whose notes are listed, in one transaction, before *out is
 * returned; nothing is returned when they cannot be written; an empty list writes nothing.
 */
int cairn_review_list(cairn_journal *j, char **out);
/* Crisis events (core/crisis.c). Times are UTC "YYYY-MM-DDTHH:MM:SSZ". Every member of a team records */
/* on their own device; each field keeps every member's value, and differing values are flagged.     */

/**
 * Open a crisis record. `fields_json`: source (988, 911, walk-in, self, family, police, other; required
 * unless joining), location, received (default now), contact (default: a new unnamed contact, linked or
 * merged later), followup_hours (default 24), any other crisis field, and
 *  - role: lead, clinician, peer, nurse, medic or other (this member's role);
 *  - join: the id, or a prefix of at least 8 characters, of a crisis a teammate opened. When it is known
 *    here (or given in full) this device becomes a member of it; otherwise a record of its own is opened
 *    and joined to that crisis as soon as both are on one device.
 * `id_out` (may be NULL) receives the id of the record written on.
 */
int cairn_crisis_open(cairn_journal *j, const char *fields_json, char id_out[CAIRN_ID_LEN]);
/**
 * Record crisis fields: received, dispatched, arrived, cleared, followup_done (times; null clears all but
 * received), source, location, disposition, police (law-enforcement role), contact, followup_to,
 * followup_hours, followup_result. The write supersedes the values this device has seen, so a write made
 * after seeing a disagreement resolves it.
 */
int cairn_crisis_set(cairn_journal *j, const char *crisis, const char *fields_json);
/** Record that crisis records `a` and `b` are the same call; the smallest id survives. */
int cairn_crisis_link(cairn_journal *j, const char *a, const char *b);
/** Add an intervention: `fields_json` type (de-escalation, safety-planning, ...), at (default now), detail. */
int cairn_crisis_intervention(cairn_journal *j, const char *crisis, const char *fields_json);
/** Record a risk screen: `answers_json` maps every item id of `instrument` to true/false; scored from its data. */
int cairn_crisis_screen(cairn_journal *j, const char *crisis, const char *instrument, const char *answers_json);
/** Resolve a crisis id or unique prefix (>= 4 characters) to the surviving id. */
int cairn_crisis_resolve(cairn_journal *j, const char *prefix, char id_out[CAIRN_ID_LEN]);
/**
 * Crises received in [from, to] (local dates; NULL: open-ended), newest first; `open_only`: follow-up not
 * done. [{"id","received",...,"disposition","contact","followup_due","review":[fields]}]. Free with cairn_free.
 */
int cairn_crisis_list(cairn_journal *j, const char *from, const char *to, int open_only, char **out);
/** One crisis with its linked records, members, every entry (who, when, current), interventions, screens. */
int cairn_crisis_show(cairn_journal *j, const char *crisis, char **out);

/* ---------------------------------------------------------------------------------------------- */
/* GPRA interviews (core/gpra.c): intake, 6-month follow-up (window 5-8 months), discharge.           */

/**
 * Record an interview with `contact`. `fields_json`: grant (required), type (intake, followup,
 * discharge; required), date (default today), conducted (default true), reason (required when not
 * conducted: unreachable, refused, incarcerated, hospitalised, moved, deceased, other), barc10 (10 item
 * scores 1-6, the recovery-capital section). The grant is case-insensitive: recorded upper-cased.
 */
int cairn_gpra_interview(cairn_journal *j, const char *contact, const char *fields_json, char id_out[CAIRN_ID_LEN]);
/** Interviews, optionally of one contact: [{"id","contact","grant","type","date","conducted",...}].
 * With `contact` NULL
 * the list is audited as cairn_goal_list's is (one audit.view "gpra list" per person shown; nothing
 * returned when the entries cannot be written); one person's is the caller's to audit. */
int cairn_gpra_list(cairn_journal *j, const char *contact, char **out);
/**
 * The GPRA export of `grant` (case-insensitive) for interviews dated in [from, to]: CSV (docs/gpra.md), keyed by a stable
 * pseudonymous client id, never a name, note or phone. Mints the program's pseudonym secret on first use
 * (an event). *csv_out is malloc'd; free with cairn_free.
 */
int cairn_gpra_export(cairn_journal *j, const char *grant, const char *from, const char *to, char **csv_out);
/* Office and roster (docs/formats.md "Roster"). The org key lives only in the office's journal.     */

/** Create the org Ed25519 key pair in this journal (the office's); its public key into `pk`.
 * CAIRN_EEXISTS when the journal already holds one. */
int cairn_org_key_create(cairn_journal *j, unsigned char pk[32]);
/** The org public key of an office journal. CAIRN_ENOTFOUND when this journal is not an office. */
int cairn_org_public_key(cairn_journal *j, unsigned char pk[32]);
/** Sign `m` with the org key (the key never leaves the journal). */
int cairn_org_sign(cairn_journal *j, const unsigned char *m, size_t n, unsigned char sig[64]);
/**
 * Open a team key sealed to this device (crypto_box_seal to the X25519 form of its Ed25519 key; 80
 * bytes). *key_out: 32 bytes of sodium_malloc'd memory, release with cairn_key_free. CAIRN_ETAMPER when
 * it does not open.
 */
int cairn_device_unseal(cairn_journal *j, const unsigned char *c, size_t clen, unsigned char **key_out);
/**
 * Store the key of `team` at `epoch`; `current` makes it the key this device seals with. Storing the
 * same key again only sets `current`; a different key under a stored (team, epoch) is refused
 * (CAIRN_EEXISTS) and changes nothing.
 */
int cairn_team_key_store(cairn_journal *j, const unsigned char team[CAIRN_TEAM_BYTES], uint32_t epoch,
                         const unsigned char key[32], int current);
/** Office team names (kept in the office's journal only). id: CAIRN_ENOTFOUND when unknown. */
int cairn_office_team_id(cairn_journal *j, const char *name, unsigned char team[CAIRN_TEAM_BYTES]);
/** The name of a team id (*name malloc'd, free with cairn_free). CAIRN_ENOTFOUND when unnamed. */
int cairn_office_team_name(cairn_journal *j, const unsigned char team[CAIRN_TEAM_BYTES], char **name);
/** Name a team. CAIRN_EEXISTS when the name or the id is taken. */
int cairn_office_team_add(cairn_journal *j, const char *name, const unsigned char team[CAIRN_TEAM_BYTES]);
/**
 * A wipe order: overwrite the key file with random bytes (synced) and unlink it, then the database and
 * its WAL. The handle stays valid only to be freed with cairn_journal_free().
 */
int cairn_journal_destroy(cairn_journal *j);

/* ---------------------------------------------------------------------------------------------- */
/* FHIR R4 export                                                                                  */

typedef struct {
	unsigned int version;
	const char *contact;   /**< only this person (a full contact id; their merged records too), NULL: all */
	int with_note_text;    /**< include note text as Encounter narrative (default: left out) */
	const char *recipient; /**< only the consents naming this recipient (the bundle's; NULL: all) */
} cairn_fhir_options;
#define CAIRN_FHIR_OPTIONS_VERSION 1
#define CAIRN_FHIR_OPTIONS_INIT                           \
	{                                                 \
		CAIRN_FHIR_OPTIONS_VERSION, NULL, 0, NULL \
	}

/**
 * An R4 Bundle (type collection) of the living people (Patient), their notes (Encounter), referrals
 * (ServiceRequest + Task) and other families' resources; references resolve inside the bundle
 * ("urn:uuid:" fullUrls). Deleted people and records entered in error are left out. Bundle.meta carries
 * the 42 CFR 2.32 redisclosure notice (extension) and 42CFRPart2/NORDSCLCD security labels. This is a
 * disclosure of identities: the caller gates it on consent and records it. *out: JSON; free with
 * cairn_free. CAIRN_ENOTFOUND when `contact` names no living person.
 */
int cairn_export_fhir(cairn_journal *j, const cairn_fhir_options *opts, char **out);

/* ------------------------------------------------------------------------------------------------ */
/* Roster devices (schema 0008): who is in which team, for team-scoped reports.                     */
/* ------------------------------------------------------------------------------------------------ */

/** One device of a verified roster, as the journal records it. Borrowed strings and bytes. */
typedef struct {
	const char *device;        /**< 16 hex digits */
	const unsigned char *team; /**< CAIRN_TEAM_BYTES */
	int revoked;               /**< 0 enrolled, 1 revoked */
	int supervisor;            /**< 1: the office made it a supervisor (its sign-offs count) */
} cairn_roster_entry;

/**
 * Record the devices of roster `version` (replacing what an older version recorded) in one
 * transaction; a version at or below the one recorded is a no-op. The sync engine calls it when it
 * adopts a verified roster and the office when it writes one: core never reads the roster itself.
 */
int cairn_roster_devices_set(cairn_journal *j, uint64_t version, const cairn_roster_entry *devs, size_t n);

/** Is `device` revoked in the newest roster this journal adopted? 1 yes, 0 no (or no roster yet), <0 error. */
int cairn_roster_device_revoked(cairn_journal *j, const char *device);

#ifdef __cplusplus
}
#endif
#endif
