/*
 * digest.c — the state digest: BLAKE2b-256 over a canonical encoding of every materialized table.
 *
 * Each table is read in primary-key order with its columns named explicitly (never rowid, never the
 * search index, never local bookkeeping), each value typed and length-prefixed. Equal sets of events give
 * equal digests (apply.c invariant 2); this is what `cairn digest` shows and the convergence tests compare.
 */
#include "crypto.h"
#include "error.h"
#include "journal.h"

#include <string.h>

static const char *const canonical[] = {
	"SELECT 'contacts', entity, cl, created FROM contacts ORDER BY entity",
	"SELECT 'contact_writes', entity, field, value, hlc, device FROM contact_writes "
	"ORDER BY entity, field, hlc, device",
	"SELECT 'contact_superseded', entity, field, hlc, device FROM contact_superseded "
	"ORDER BY entity, field, hlc, device",
	"SELECT 'contact_fields', entity, field, value, hlc, device, heads FROM contact_fields "
	"ORDER BY entity, field",
	"SELECT 'contact_edges', a, b FROM contact_edges ORDER BY a, b",
	"SELECT 'contact_canon', entity, canon FROM contact_canon ORDER BY entity",
	"SELECT 'notes', entity, contact, kind, date, modality, minutes, text, hlc, device FROM notes "
	"ORDER BY entity",
	"SELECT 'note_amends', note, hlc, device, text, reason FROM note_amends ORDER BY note, hlc, device",
	"SELECT 'note_strikes', note, hlc, device, reason FROM note_strikes ORDER BY note, hlc, device",
	"SELECT 'referrals', entity, contact, category, target, reason, date, hlc, device FROM referrals "
	"ORDER BY entity",
	"SELECT 'referral_events', referral, hlc, device, gen, state, rank, outcome, reporter, note "
	"FROM referral_events ORDER BY referral, hlc, device",
	"SELECT 'referral_state', referral, gen, state, on_hold, struck, review, outcome, reporter, hlc "
	"FROM referral_state ORDER BY referral",
};

static void put_u64(cairn__hash_state *h, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * (7 - i)));
	cairn__hash_update(h, b, 8);
}

static void put_value(cairn__hash_state *h, sqlite3_stmt *st, int col)
{
	unsigned char tag = (unsigned char)sqlite3_column_type(st, col);
	cairn__hash_update(h, &tag, 1);
	switch (tag) {
	case SQLITE_INTEGER:
		put_u64(h, (uint64_t)sqlite3_column_int64(st, col));
		break;
	case SQLITE_NULL:
		break;
	default: {
		const void *p = tag == SQLITE_BLOB ? sqlite3_column_blob(st, col) : (const void *)sqlite3_column_text(st, col);
		int n = sqlite3_column_bytes(st, col);
		put_u64(h, (uint64_t)n);
		cairn__hash_update(h, p, (size_t)n);
	}
	}
}

int cairn_digest(cairn_journal *j, char hex_out[CAIRN_DIGEST_LEN])
{
	cairn__hash_state h;
	unsigned char d[CAIRN_HASH_BYTES];
	int rc = 0;
	cairn__hash_init(&h);
	cairn__hash_update(&h, "cairn-state-v1", 14);
	/* One read transaction: the digest describes one consistent state. */
	if ((rc = cairn__exec(j, "BEGIN")))
		return rc;
	for (size_t t = 0; t < sizeof(canonical) / sizeof(canonical[0]) && !rc; t++) {
		sqlite3_stmt *st;
		if ((rc = cairn__prepare(j, &st, canonical[t])))
			break;
		int n = sqlite3_column_count(st), s;
		while ((s = sqlite3_step(st)) == SQLITE_ROW)
			for (int c = 0; c < n; c++)
				put_value(&h, st, c);
		if (s != SQLITE_DONE)
			rc = cairn__sqlerr(j, s, "computing the digest");
		cairn__finalize(j, st);
	}
	sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL);
	if (rc)
		return rc;
	cairn__hash_final(&h, d);
	cairn__hex(hex_out, d, sizeof(d));
	return 0;
}
