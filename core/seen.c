/*
 * seen.c — records whose changes name the versions they replaced ("seen"), so that two changes made
 * without seeing each other are kept as a conflict for review instead of the later one silently hiding
 * the other: a note's amendments (schema 0015, apply.c invariant 6) and a goal's statuses (0016, goal.c).
 *
 * For a family PREFIX keyed by KEY the schema has PREFIX_listed (the changes that named what they
 * replaced), PREFIX_seen (what they named), PREFIX_unlisted_max (per record, the newest change that named
 * nothing: it replaced every older one), the view PREFIX_heads (the changes nobody replaced) and
 * PREFIX_conflicts (the records with more than one head, kept up to date here so that listing conflicts
 * costs what is open, not the whole history). Every table is a set or a maximum, so the order changes
 * arrive in does not matter.
 */
#include "domain.h"
#include "schema.h"

#include <stdio.h>
#include <string.h>

/* A row (KEY, hlc, device) of PREFIX_listed or PREFIX_seen. */
static int seen_row(cairn_journal *j, const cairn__seen_family *f, const char *table, const char *entity, uint64_t hlc,
                    const char *device)
{
	char sql[128];
	sqlite3_stmt *st;
	int rc;
	snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO %s_%s (%s, hlc, device) VALUES (?1, ?2, ?3)", f->prefix,
	         table, f->key);
	if ((rc = cairn__prepare(j, &st, sql)))
		return rc;
	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)hlc);
	sqlite3_bind_text(st, 3, device, -1, SQLITE_STATIC);
	return cairn__step_done(j, st, f->what);
}

/* A change that names nothing: the record's newest such change is the greater of the two. */
static int unlisted_max(cairn_journal *j, const cairn__seen_family *f, const cairn_event *ev)
{
	char sql[320];
	sqlite3_stmt *st;
	int rc;
	snprintf(sql, sizeof(sql),
	         "INSERT INTO %s_unlisted_max (%s, hlc, device) VALUES (?1, ?2, ?3) ON CONFLICT (%s) DO UPDATE "
	         "SET hlc = excluded.hlc, device = excluded.device WHERE excluded.hlc > hlc OR "
	         "(excluded.hlc = hlc AND excluded.device > device)",
	         f->prefix, f->key, f->key);
	if ((rc = cairn__prepare(j, &st, sql)))
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	return cairn__step_done(j, st, f->what);
}

/* The history rows of one change (no recompute). */
static int rows(cairn_journal *j, const cairn__seen_family *f, const cairn_event *ev, int listed, json_t *seen)
{
	json_t *v;
	size_t i;
	int rc = listed ? seen_row(j, f, "listed", ev->entity, ev->hlc, ev->device) : unlisted_max(j, f, ev);
	if (rc)
		return rc;
	/* A malformed entry is passed over, as it always was: an older cairn applied the event, and an
	 * upgraded journal must end as a new one does. */
	json_array_foreach(seen, i, v)
	{
		json_t *h = json_array_get(v, 0), *d = json_array_get(v, 1);
		if (json_array_size(v) != 2 || !json_is_integer(h) || !json_is_string(d))
			continue;
		if ((rc = seen_row(j, f, "seen", ev->entity, (uint64_t)json_integer_value(h), json_string_value(d))))
			return rc;
	}
	return 0;
}

/* Whether the record has more than one head, recomputed from all its changes (a read, then a single-row
 * write), so the result does not depend on the order they arrived in. */
static int recompute(cairn_journal *j, const cairn__seen_family *f, const char *entity)
{
	char sql[128];
	sqlite3_stmt *st;
	int64_t heads = 0;
	int rc;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s_heads WHERE %s = ?1", f->prefix, f->key);
	if ((rc = cairn__prepare(j, &st, sql)))
		return rc;
	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		heads = sqlite3_column_int64(st, 0);
	cairn__finalize(j, st);
	if (rc != SQLITE_ROW)
		return cairn__sqlerr(j, rc, f->what);
	if (heads > 1)
		snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO %s_conflicts (%s, heads) VALUES (?1, ?2)", f->prefix,
		         f->key);
	else
		snprintf(sql, sizeof(sql), "DELETE FROM %s_conflicts WHERE %s = ?1", f->prefix, f->key);
	if ((rc = cairn__prepare(j, &st, sql)))
		return rc;
	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	if (heads > 1)
		sqlite3_bind_int64(st, 2, heads);
	return cairn__step_done(j, st, f->what);
}

int cairn__seen_apply(cairn_journal *j, const cairn__seen_family *f, const cairn_event *ev, int listed, json_t *seen)
{
	int rc = rows(j, f, ev, listed, seen);
	return rc ? rc : recompute(j, f, ev->entity);
}

int cairn__seen_heads(cairn_journal *j, const cairn__seen_family *f, const char *entity, json_t **out)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT hlc, device FROM %s_heads WHERE %s = ?1 AND ?2 IS NULL ORDER BY hlc, device",
	         f->prefix, f->key);
	return cairn__heads_of(j, sql, entity, NULL, out);
}

/* Every change of family `f` the journal applied, read back from the log with the parser apply uses, then
 * every record's conflict recomputed at once. */
static int backfill(cairn_journal *j, const cairn__seen_family *f)
{
	char sql[512];
	sqlite3_stmt *st;
	int rc;
	/* the change's own version row says apply took it (a malformed body was refused, then and now) */
	snprintf(sql, sizeof(sql),
	         "SELECT e.entity, e.hlc, e.device, e.kind, e.body FROM events e JOIN %s v ON v.%s = e.entity "
	         "AND v.hlc = e.hlc AND v.device = e.device WHERE e.kind IN (?1, ?2)",
	         f->versions, f->key);
	if ((rc = cairn__prepare(j, &st, sql)))
		return rc;
	sqlite3_bind_text(st, 1, f->change_kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->first_kind ? f->first_kind : f->change_kind, -1, SQLITE_STATIC);
	while (!rc && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		cairn_event ev = {(const char *)sqlite3_column_text(st, 2),
		                  0,
		                  (uint64_t)sqlite3_column_int64(st, 1),
		                  (const char *)sqlite3_column_text(st, 3),
		                  (const char *)sqlite3_column_text(st, 0),
		                  NULL,
		                  0,
		                  {0}};
		json_t *body = json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL),
		       *seen = json_object_get(body, "seen");
		int first = f->first_kind && !strcmp(ev.kind, f->first_kind);
		rc = rows(j, f, &ev, first || json_is_array(seen), first ? NULL : seen);
		json_decref(body);
	}
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE)
		return rc > 0 ? cairn__sqlerr(j, rc, f->what) : rc;
	snprintf(sql, sizeof(sql),
	         "DELETE FROM %s_conflicts; INSERT INTO %s_conflicts (%s, heads) SELECT %s, count(*) FROM %s_heads "
	         "GROUP BY %s HAVING count(*) > 1",
	         f->prefix, f->prefix, f->key, f->key, f->prefix, f->key);
	return cairn__exec(j, sql);
}

int cairn__seen_backfill(struct cairn_journal *j)
{
	int rc = backfill(j, &cairn__seen_notes);
	return rc ? rc : backfill(j, &cairn__seen_goals);
}

const cairn__seen_family cairn__seen_notes = {"note_amend", "note", "note_amends",
                                              "note.amend", NULL,   "recording a note's amendments"};
const cairn__seen_family cairn__seen_goals = {"goal_status", "goal",     "goal_status",
                                              "goal.status", "goal.add", "recording a goal's statuses"};
