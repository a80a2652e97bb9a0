/*
 * digest.c — the state digest: BLAKE2b-256 over a canonical encoding of every materialized table.
 *
 * Each table is read in primary-key order with its columns named explicitly (never rowid, never the
 * search index, never local bookkeeping), each value typed and length-prefixed. Equal sets of events give
 * equal digests (apply.c invariant 2); this is what `cairn digest` shows and the convergence tests compare.
 */
#include "crypto.h"
#include "model.h"

#include <string.h>

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
	case SQLITE_INTEGER: put_u64(h, (uint64_t)sqlite3_column_int64(st, col)); break;
	case SQLITE_NULL: break;
	default: {
		const void *p =
		        tag == SQLITE_BLOB ? sqlite3_column_blob(st, col) : (const void *)sqlite3_column_text(st, col);
		int n = sqlite3_column_bytes(st, col);
		put_u64(h, (uint64_t)n);
		cairn__hash_update(h, p, (size_t)n);
	}
	}
}

static int digest_table(cairn_journal *j, cairn__hash_state *h, const char *sql)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, sql), s;
	if (rc)
		return rc;
	int n = sqlite3_column_count(st);
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		for (int c = 0; c < n; c++)
			put_value(h, st, c);
	if (s != SQLITE_DONE)
		rc = cairn__sqlerr(j, s, "computing the digest");
	cairn__finalize(j, st);
	return rc;
}

int cairn_digest(cairn_journal *j, char hex_out[CAIRN_DIGEST_LEN])
{
	cairn__hash_state h;
	unsigned char d[CAIRN_HASH_BYTES];
	int rc, own;
	cairn__hash_init(&h);
	cairn__hash_update(&h, "cairn-state-v1", 14);
	/* One read transaction: the digest describes one consistent state. Inside an open batch, the state
	 * the batch has made so far (the event fuzzer compares orders without committing anything). */
	if ((rc = cairn__read_begin(j, &own)))
		return rc;
	for (size_t m = 0; cairn__modules[m] && !rc; m++)
		for (size_t t = 0; t < cairn__modules[m]->ndigest && !rc; t++)
			rc = digest_table(j, &h, cairn__modules[m]->digest[t]);
	cairn__read_end(j, own);
	if (rc)
		return rc;
	cairn__hash_final(&h, d);
	cairn__hex(hex_out, d, sizeof(d));
	return 0;
}
