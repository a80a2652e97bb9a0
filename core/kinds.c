/*
 * kinds.c — events of a kind an older cairn did not know. Such an event is kept in the log and not
 * applied (apply.c): its records are missing on that device until it runs a cairn that knows the kind.
 * The journal keeps the list of kinds the last cairn that opened it knew (sync_state 'kinds_known'); a
 * cairn that knows more applies the stored events of the kinds the list lacks, once, in one transaction,
 * so the upgraded device ends with what every device that knew them from the start has.
 *
 * A journal without the list (made before it was kept) gets it as it stands: which events were skipped
 * then cannot be told.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#define KEY "kinds_known"

/* Every kind this build applies, sorted, comma-separated (malloc'd; NULL when out of memory). */
static char *known_now(void)
{
	const char *k[256];
	size_t n = 0, len = 1;
	char *out;
	for (size_t m = 0; cairn__modules[m]; m++)
		for (size_t i = 0; i < cairn__modules[m]->nkinds && n < CAIRN__COUNT(k); i++, n++)
			len += strlen((k[n] = cairn__modules[m]->kinds[i].kind)) + 1;
	for (size_t i = 1; i < n; i++) /* insertion sort: a few dozen names */
		for (size_t x = i; x > 0 && strcmp(k[x - 1], k[x]) > 0; x--) {
			const char *t = k[x];
			k[x] = k[x - 1], k[x - 1] = t;
		}
	if (!(out = malloc(len)))
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		strcat(strcat(out, i ? "," : ""), k[i]);
	return out;
}

/* The stored list into *out (malloc'd; NULL when there is none). */
static int stored(cairn_journal *j, char **out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT value FROM sync_state WHERE key = '" KEY "'");
	*out = NULL;
	if (rc)
		return rc;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && !(*out = strdup((const char *)sqlite3_column_text(st, 0))))
		rc = SQLITE_NOMEM;
	cairn__finalize(j, st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "reading the kinds this journal knew");
}

/* Apply the stored events whose kind is in `now` and not in `before` (both comma lists). */
static int catch_up(cairn_journal *j, const char *before, const char *now)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "SELECT device, seq, hlc, kind, entity, body, schema FROM events "
	                        "WHERE instr(',' || ?1 || ',', ',' || kind || ',') > 0 "
	                        "AND instr(',' || ?2 || ',', ',' || kind || ',') = 0 ORDER BY hlc, device, seq");
	long n = 0;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, before, -1, SQLITE_STATIC);
	if ((rc = cairn__apply_rows(j, st, &n)))
		return rc;
	if (n)
		cairn__log(CAIRN_LOG_INFO, "applied %ld stored event(s) of kinds an older cairn did not know", n);
	return 0;
}

static int save(cairn_journal *j, const char *now)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "INSERT OR REPLACE INTO sync_state (key, value) VALUES ('" KEY "', ?1)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
	return cairn__step_done(j, st, "recording the kinds this journal knows");
}

int cairn__kinds_catch_up(cairn_journal *j)
{
	char *now = known_now(), *before = NULL;
	int rc = now ? stored(j, &before) : cairn__error(CAIRN_ENOMEM, "out of memory");
	if (rc || (before && !strcmp(before, now)) || j->ro_code) {
		free(now);
		free(before);
		return rc;
	}
	free(before);
	before = NULL;
	/* under the write lock, read again: another process may have caught up meanwhile. One transaction
	 * (cairn__txn_*: it also brings the search index up to date), so a crash leaves the list as it was. */
	if ((rc = cairn__txn_begin(j)) == 0) {
		if (!(rc = stored(j, &before)) && (!before || strcmp(before, now))) {
			if (before)
				rc = catch_up(j, before, now);
			if (!rc)
				rc = save(j, now);
		}
		rc = cairn__txn_end(j, rc);
	}
	free(now);
	free(before);
	return rc;
}
