/*
 * seen.c — records whose changes name the versions they replaced ("seen"), so that two changes made
 * without seeing each other are kept as a conflict for review instead of the later one silently hiding
 * the other: a note's amendments (schema 0015, apply.c invariant 6) and a goal's statuses (0016, goal.c).
 *
 * For a family PREFIX keyed by KEY the schema has PREFIX_listed (the changes that named what they
 * replaced), PREFIX_seen (what they named), the view PREFIX_heads (the changes nobody replaced) and
 * PREFIX_conflicts (the records with more than one head, kept up to date here so that listing conflicts
 * costs what is open, not the whole history).
 */
#include "domain.h"

#include <stdio.h>

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
	json_t *v;
	size_t i;
	int rc;
	if (listed && (rc = seen_row(j, f, "listed", ev->entity, ev->hlc, ev->device)))
		return rc;
	/* A malformed entry is passed over as the migrations pass over it: an older cairn applied the event,
	 * and an upgraded journal must end as a new one does. */
	json_array_foreach(seen, i, v)
	{
		json_t *h = json_array_get(v, 0), *d = json_array_get(v, 1);
		if (json_array_size(v) != 2 || !json_is_integer(h) || !json_is_string(d))
			continue;
		if ((rc = seen_row(j, f, "seen", ev->entity, (uint64_t)json_integer_value(h), json_string_value(d))))
			return rc;
	}
	return recompute(j, f, ev->entity);
}

const cairn__seen_family cairn__seen_notes = {"note_amend", "note", "recording a note's amendments"};
const cairn__seen_family cairn__seen_goals = {"goal_status", "goal", "recording a goal's statuses"};
