/*
 * apply.c — the merge rules: one function per event kind, each turning an event into rows of the
 * materialized tables (schema/0001_journal.sql).
 *
 * Invariants (each table is a pure function of the SET of events applied; see DESIGN.md "Merge rules"):
 *  1. Applying an event twice changes nothing: every insert is keyed by the event's (hlc, device) or by an
 *     entity id and ignores duplicates; derived rows are recomputed from the history, never incremented.
 *  2. No derived value depends on arrival order: registers, canonical ids, causal lengths and referral
 *     states are recomputed from all rows of their key each time one arrives.
 *  3. Contact field registers: a write names the versions its author had seen (`seen`). The heads of a
 *     register are the writes no other write has seen; the value is the head with the greatest
 *     (hlc, device); more than one head is an open conflict, and the losing values stay in
 *     contact_writes. A later write that has seen all heads resolves the conflict — the decision is an event.
 *  4. Events may arrive before the entity they refer to (another device's log was imported first): no
 *     rule requires the referenced row to exist.
 *  5. A merge and a delete of one person that did not see each other are an open conflict, never a silent
 *     outcome. A person is a merge group; what is shown follows the survivor's causal length (odd =
 *     alive), unchanged. contact.delete bodies carry "seen": {member: cl} over the person's group as the
 *     writer saw it; contact.merge bodies the same over both groups. A member's delete/restore event is
 *     current when its cl is the member's; a current one (cl >= 2, with "seen") and a merge edge (a, b) of
 *     the group conflict when the event's seen lacks a or b (it did not see them joined) and a merge event
 *     of that edge was made about the member's person without seeing the event (the member is in its
 *     seen, with a lower cl). A merge whose seen lacks the member joined two other records as its writer
 *     knew them; what later joined them to the member is another edge, judged on its own (so an old
 *     restore and two ordinary merges raise nothing). The CLI refuses to merge a deleted person, or one
 *     with such a conflict open, so a merge is never a silent decision. Events without "seen" (older
 *     cairns) never raise one. The pairs are recomputed for the whole group
 *     from all its events (view contact_lc_pairs, schema/0014) whenever one of them arrives. The decision
 *     (cairn_conflict_resolve_status) is new delete/restore events that have seen the whole group, on the
 *     survivor and on every member whose current event conflicts, so it closes the conflict everywhere.
 *  6. Note amendments: as 3, an amendment names the amendments it replaced (`seen`; schema 0015), and
 *     two heads are an open conflict (note_amend_conflicts, recomputed for the note from all its
 *     amendments when one arrives); the text shown is still the newest amendment. One without a `seen`
 *     array (written before 0015) names none and replaces every older amendment, as the shown text always
 *     assumed; a malformed entry is skipped, as the migration skips it.
 */
/* Laid out by hand: SQL assembled from macros and literals, which clang-format 14 cannot lay out. */
/* clang-format off */
#include "domain.h"

#include <stdio.h>
#include <string.h>

int cairn__apply_bad(const cairn_event *ev, const char *what)
{
	return cairn__error(CAIRN_EINVAL, "event %s/%llu (%s) is malformed: %s", ev->device,
	                    (unsigned long long)ev->seq, ev->kind, what);
}

int cairn__step_done(cairn_journal *j, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, what);
}

void cairn__bind_json_str(sqlite3_stmt *st, int i, json_t *v)
{
	if (json_is_string(v))
		sqlite3_bind_text(st, i, json_string_value(v), (int)json_string_length(v), SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/*
 * A creating event names its entity. Two creations of one id (a buggy or hostile device reusing an id)
 * must not resolve by arrival order: the smallest (hlc, device) wins wherever the events meet. Appended
 * after the VALUES of an INSERT, followed by the other columns to take over.
 */
#define FIRST_WRITER_WINS CAIRN__FIRST_WRITER_WINS

#define bad cairn__apply_bad
#define step_done cairn__step_done
/* As cairn__bind_json_str, without copying the text: every statement here is stepped and reset (step_done)
 * while the event's body, which holds the string, is alive. */
static void bind_str(sqlite3_stmt *st, int i, json_t *v)
{
	if (json_is_string(v))
		sqlite3_bind_text(st, i, json_string_value(v), (int)json_string_length(v), SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* ---- contacts ---- */

/*
 * The contact's row, created by its first event, `created` lowered to the smallest hlc of any. *fresh (may
 * be NULL) is 1 when this event made the row: no contact.set of this entity has been applied before (each
 * applies this first, and the rows of a contact are only ever deleted all together, rotate.c), so none of
 * its registers has a write or a superseded version yet.
 */
static int ensure_contact(cairn_journal *j, const char *entity, uint64_t hlc, int *fresh)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "INSERT INTO contacts (entity, cl, created) VALUES (?1, 1, ?2) "
	                        "ON CONFLICT (entity) DO NOTHING");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)hlc);
	if ((rc = step_done(j, st, "recording a contact")))
		return rc;
	int made = sqlite3_changes(j->db) == 1;
	if (fresh)
		*fresh = made;
	if (made)
		return 0;
	if ((rc = cairn__prepare(j, &st, "UPDATE contacts SET created = ?2 WHERE entity = ?1 AND created > ?2")))
		return rc;
	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)hlc);
	return step_done(j, st, "recording a contact");
}

/*
 * Search index rows follow the owning row's rowid. Written as a single-row DELETE and a single-row
 * INSERT ... VALUES: a statement that needs a statement journal makes SQLite open an FTS5 savepoint, and
 * FTS5 flushes its pending index at every savepoint (it cost most of the append throughput).
 */
static int fts_put(cairn_journal *j, const char *table, int64_t rowid, const char *text, int existed)
{
	char sql[96];
	sqlite3_stmt *st;
	int rc;
	if (existed) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE rowid = ?1", table);
		if ((rc = cairn__prepare(j, &st, sql)))
			return rc;
		sqlite3_bind_int64(st, 1, rowid);
		if ((rc = step_done(j, st, "updating the search index")))
			return rc;
	}
	snprintf(sql, sizeof(sql), "INSERT INTO %s (rowid, text) VALUES (?1, ?2)", table);
	if ((rc = cairn__prepare(j, &st, sql)))
		return rc;
	sqlite3_bind_int64(st, 1, rowid);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
	return step_done(j, st, "updating the search index");
}

/* Reindex the row that `select` (one bound id) yields as (rowid, text, already indexed). */
static int refresh_fts(cairn_journal *j, const char *table, const char *select, const char *id)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, select);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		cairn__finalize(j, st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		cairn__finalize(j, st);
		return cairn__sqlerr(j, rc, "reading for the search index");
	}
	rc = fts_put(j, table, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
	             sqlite3_column_int(st, 2));
	cairn__finalize(j, st);
	return rc;
}

static int refresh_contact_fts(cairn_journal *j, const char *entity);

int cairn__fts_mark(cairn_journal *j, char type, const char *id)
{
	if (j->nfts && j->fts_dirty[j->nfts - 1].type == type && !strcmp(j->fts_dirty[j->nfts - 1].id, id))
		return 0;
	if (j->nfts == j->capfts) {
		size_t cap = j->capfts ? 2 * j->capfts : 64;
		void *p = realloc(j->fts_dirty, cap * sizeof(*j->fts_dirty));
		if (!p)
			return cairn__error(CAIRN_ENOMEM, "out of memory");
		j->fts_dirty = p;
		j->capfts = cap;
	}
	snprintf(j->fts_dirty[j->nfts].id, CAIRN_ID_LEN, "%s", id);
	j->fts_dirty[j->nfts++].type = type;
	return 0;
}

static int refresh_note_fts(cairn_journal *j, const char *note);

int cairn__fts_flush(cairn_journal *j)
{
	int rc = 0;
	for (size_t i = 0; i < j->nfts && !rc; i++)
		rc = j->fts_dirty[i].type == 'c' ? refresh_contact_fts(j, j->fts_dirty[i].id)
		                                 : refresh_note_fts(j, j->fts_dirty[i].id);
	j->nfts = 0;
	return rc;
}

static int refresh_contact_fts(cairn_journal *j, const char *entity)
{
	return refresh_fts(j, "contact_fts",
	                   "SELECT c.rowid, "
	                   " coalesce((SELECT value FROM contact_fields WHERE entity = ?1 AND field = 'name'), '')"
	                   " || ' ' || "
	                   " coalesce((SELECT value FROM contact_fields WHERE entity = ?1 AND field = 'alias'), ''), "
	                   " EXISTS (SELECT 1 FROM contact_fts_docsize WHERE id = c.rowid) "
	                   "FROM contacts c WHERE c.entity = ?1",
	                   entity);
}

/* Invariant 3: recompute one register from its history (a read, then a single-row write: multi-row
 * INSERT ... SELECT needs a statement journal, and was most of the cost of an append). */
static int recompute_register(cairn_journal *j, const char *entity, const char *field)
{
	sqlite3_stmt *st, *w;
	int rc = cairn__prepare(
		j, &st,
		"SELECT value, hlc, device FROM contact_writes w "
		"WHERE entity = ?1 AND field = ?2 AND NOT EXISTS (SELECT 1 FROM contact_superseded s "
		"  WHERE s.entity = w.entity AND s.field = w.field AND s.hlc = w.hlc AND s.device = w.device) "
		"ORDER BY hlc DESC, device DESC");
	int heads = 0;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	if ((rc = cairn__prepare(j, &w, "INSERT OR REPLACE INTO contact_fields (entity, field, value, hlc, device, "
	                                "heads) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"))) {
		cairn__finalize(j, st);
		return rc;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (heads++ == 0) { /* the winner: greatest (hlc, device) among the heads */
			sqlite3_bind_value(w, 3, sqlite3_column_value(st, 0));
			sqlite3_bind_int64(w, 4, sqlite3_column_int64(st, 1));
			sqlite3_bind_text(w, 5, (const char *)sqlite3_column_text(st, 2), -1, SQLITE_TRANSIENT);
		}
	}
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE) {
		cairn__finalize(j, w);
		return cairn__sqlerr(j, rc, "reading a contact field");
	}
	if (!heads) { /* only a malformed history (a cycle of `seen`) has no head: nothing to show */
		cairn__finalize(j, w);
		/* whatever an earlier write put there goes too: it kept the first write's value, so devices that got
		 * the cycle in opposite orders disagreed for good */
		if ((rc = cairn__prepare(j, &w, "DELETE FROM contact_fields WHERE entity = ?1 AND field = ?2")))
			return rc;
		sqlite3_bind_text(w, 1, entity, -1, SQLITE_STATIC);
		sqlite3_bind_text(w, 2, field, -1, SQLITE_STATIC);
		return step_done(j, w, "clearing a contact field");
	}
	sqlite3_bind_text(w, 1, entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, field, -1, SQLITE_STATIC);
	sqlite3_bind_int(w, 6, heads);
	return step_done(j, w, "updating a contact field");
}

/* Parameters 1-5 (entity, field, value, hlc, device) of a statement writing the event's version of a field. */
static void bind_write(sqlite3_stmt *st, const cairn_event *ev, const char *field, json_t *value)
{
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	bind_str(st, 3, value);
	sqlite3_bind_int64(st, 4, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 5, ev->device, -1, SQLITE_STATIC);
}

static int insert_write(cairn_journal *j, const cairn_event *ev, const char *field, json_t *value)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "INSERT OR IGNORE INTO contact_writes (entity, field, value, hlc, device) "
	                        "VALUES (?1, ?2, ?3, ?4, ?5)");
	if (rc)
		return rc;
	bind_write(st, ev, field, value);
	return step_done(j, st, "recording a contact field");
}

static int insert_seen(cairn_journal *j, const cairn_event *ev, const char *field, json_t *seen)
{
	size_t i;
	json_t *v;
	json_array_foreach(seen, i, v)
	{
		json_t *h = json_array_get(v, 0), *d = json_array_get(v, 1);
		sqlite3_stmt *st;
		int rc;
		if (json_array_size(v) != 2 || !json_is_integer(h) || !json_is_string(d))
			return bad(ev, "a seen version is not [hlc, device]");
		rc = cairn__prepare(j, &st,
		                    "INSERT OR IGNORE INTO contact_superseded (entity, field, hlc, device) "
		                    "VALUES (?1, ?2, ?3, ?4)");
		if (rc)
			return rc;
		sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)json_integer_value(h));
		bind_str(st, 4, d);
		if ((rc = step_done(j, st, "recording a superseded version")))
			return rc;
	}
	return 0;
}

/* Does `seen` (checked by insert_seen) name the event's own version? Only a malformed event's does. */
static int seen_self(const cairn_event *ev, json_t *seen)
{
	size_t i, n = strlen(ev->device);
	json_t *v;
	json_array_foreach(seen, i, v)
	{
		json_t *d = json_array_get(v, 1);
		if (json_integer_value(json_array_get(v, 0)) == (json_int_t)ev->hlc && json_string_length(d) == n &&
		    !memcmp(json_string_value(d), ev->device, n))
			return 1;
	}
	return 0;
}

/* Invariant 3 for the first event of a contact: the register's history is this write and the versions
 * `seen` names, so its one head is the write, unless the event names itself (no head, no row). */
static int first_register(cairn_journal *j, const cairn_event *ev, const char *field, json_t *value, json_t *seen)
{
	sqlite3_stmt *w;
	int rc;
	if (seen && seen_self(ev, seen))
		return 0;
	if ((rc = cairn__prepare(j, &w, "INSERT INTO contact_fields (entity, field, value, hlc, device, heads) "
	                                "VALUES (?1, ?2, ?3, ?4, ?5, 1)")))
		return rc;
	bind_write(w, ev, field, value);
	return step_done(j, w, "updating a contact field");
}

static int apply_contact_set(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *fields = json_object_get(body, "fields"), *seen = json_object_get(body, "seen"), *v;
	const char *field;
	int rc, names = 0, fresh;
	if (!json_is_object(fields) || json_object_size(fields) == 0)
		return bad(ev, "no fields");
	if (seen && !json_is_object(seen))
		return bad(ev, "seen is not an object");
	if ((rc = ensure_contact(j, ev->entity, ev->hlc, &fresh)))
		return rc;
	json_object_foreach(fields, field, v)
	{
		json_t *s = seen ? json_object_get(seen, field) : NULL;
		if (!json_is_string(v) && !json_is_null(v))
			return bad(ev, "a field value is not a string or null");
		if (s && !json_is_array(s))
			return bad(ev, "seen versions are not an array");
		if ((rc = insert_write(j, ev, field, v)) || (s && (rc = insert_seen(j, ev, field, s))) ||
		    (rc = fresh ? first_register(j, ev, field, v, s) : recompute_register(j, ev->entity, field)))
			return rc;
		names |= !strcmp(field, "name") || !strcmp(field, "alias");
	}
	return names ? cairn__fts_mark(j, 'c', ev->entity) : 0;
}

/* ---- merge/delete conflicts (invariant 5) ---- */

/*
 * Keep the "seen" map of a contact.delete (kind 'd') or contact.merge ('m'): {member id: cl}. Members
 * whose value is not a positive integer are skipped, and a "seen" that is not an object counts as absent:
 * a cairn older than this one applied such events without reading "seen", and a journal it upgrades
 * (schema/0014 fills these tables from the log by the same rules) must agree with a new one. Returns
 * 1 in *has when the body had a "seen" object.
 */
static int insert_lc_seen(cairn_journal *j, const cairn_event *ev, const char *kind, json_t *body, int *has)
{
	json_t *seen = json_object_get(body, "seen"), *v;
	const char *member;
	*has = json_is_object(seen);
	if (!*has)
		return 0;
	json_object_foreach(seen, member, v)
	{
		sqlite3_stmt *st;
		int rc;
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			continue;
		rc = cairn__prepare(j, &st,
		                    "INSERT INTO contact_lc_seen (kind, hlc, device, member, cl) VALUES (?1, ?2, ?3, ?4, ?5) "
		                    "ON CONFLICT (kind, hlc, device, member) DO UPDATE SET cl = max(cl, excluded.cl)");
		if (rc)
			return rc;
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
		sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, member, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 5, (int64_t)json_integer_value(v));
		if ((rc = step_done(j, st, "recording what a merge or delete saw")))
			return rc;
	}
	return 0;
}

/* Invariant 5: rewrite the open merge/delete conflicts of `entity`'s whole merge group from its events. */
static int recompute_lc(cairn_journal *j, const char *entity)
{
	static const char *const sql[] = {
		"DELETE FROM contact_lc_conflicts WHERE entity IN " CAIRN__GROUP("?1"),
		"INSERT OR IGNORE INTO contact_lc_conflicts (entity, hlc, device, a, b) "
		"SELECT entity, hlc, device, a, b FROM contact_lc_pairs WHERE entity IN " CAIRN__GROUP("?1"),
	};
	for (size_t i = 0; i < CAIRN__COUNT(sql); i++) {
		sqlite3_stmt *st;
		int rc = cairn__prepare(j, &st, sql[i]);
		if (rc)
			return rc;
		sqlite3_bind_text(st, 1, entity, -1, SQLITE_STATIC);
		if ((rc = step_done(j, st, "recomputing a merge/delete conflict")))
			return rc;
	}
	return 0;
}

/* DESIGN: the surviving id is the smallest id of the connected component of the alias graph. */
static int apply_contact_merge(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *other = json_object_get(body, "other");
	sqlite3_stmt *st;
	int rc, has;
	if (!json_is_string(other) || !cairn__uuid_valid(json_string_value(other)) ||
	    !strcmp(json_string_value(other), ev->entity))
		return bad(ev, "other is not a distinct contact id");
	rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO contact_edges (a, b) VALUES (min(?1, ?2), max(?1, ?2))");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	bind_str(st, 2, other);
	if ((rc = step_done(j, st, "recording a merge")))
		return rc;
	rc = cairn__prepare(j, &st,
	                    "WITH RECURSIVE comp(id) AS (SELECT ?1 UNION "
	                    "  SELECT CASE WHEN e.a = comp.id THEN e.b ELSE e.a END FROM contact_edges e "
	                    "  JOIN comp ON e.a = comp.id OR e.b = comp.id) "
	                    "INSERT OR REPLACE INTO contact_canon (entity, canon) "
	                    "SELECT id, (SELECT min(id) FROM comp) FROM comp");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	if ((rc = step_done(j, st, "merging contacts")) || (rc = insert_lc_seen(j, ev, "m", body, &has)))
		return rc;
	rc = cairn__prepare(j, &st,
	                    "INSERT OR IGNORE INTO contact_merges (hlc, device, a, b, seen) "
	                    "VALUES (?1, ?2, min(?3, ?4), max(?3, ?4), ?5)");
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 2, ev->device, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ev->entity, -1, SQLITE_STATIC);
	bind_str(st, 4, other);
	sqlite3_bind_int(st, 5, has);
	if ((rc = step_done(j, st, "recording a merge")) || (rc = recompute_lc(j, ev->entity)))
		return rc;
	return cairn__plan_regroup(j, ev->entity);
}

/* Causal length: odd = alive. The greatest length seen wins, whatever the order. */
static int apply_contact_delete(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *cl = json_object_get(body, "cl");
	sqlite3_stmt *st;
	int rc, has;
	if (!json_is_integer(cl) || json_integer_value(cl) < 1)
		return bad(ev, "cl is not a positive integer");
	if ((rc = ensure_contact(j, ev->entity, ev->hlc, NULL)))
		return rc;
	rc = cairn__prepare(j, &st, "UPDATE contacts SET cl = max(cl, ?2) WHERE entity = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)json_integer_value(cl));
	if ((rc = step_done(j, st, "deleting a contact")) || (rc = insert_lc_seen(j, ev, "d", body, &has)))
		return rc;
	rc = cairn__prepare(j, &st,
	                    "INSERT OR IGNORE INTO contact_lifecycle (entity, hlc, device, cl, seen) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)json_integer_value(cl));
	sqlite3_bind_int(st, 5, has);
	if ((rc = step_done(j, st, "recording a delete")))
		return rc;
	return recompute_lc(j, ev->entity);
}

/* ---- notes ---- */

/* The note index reads its text from the view note_text (schema 0009): a note already indexed holds its
 * current text (the triggers took any older text out), so only a note not yet indexed is written. */
static int refresh_note_fts(cairn_journal *j, const char *note)
{
	return refresh_fts(j, "note_fts",
	                   "SELECT t.rowid, t.text, 0 FROM notes n JOIN note_text t ON t.rowid = n.rowid "
	                   "WHERE n.entity = ?1 AND NOT EXISTS (SELECT 1 FROM note_fts_docsize d WHERE d.id = n.rowid)",
	                   note);
}

static int apply_note_add(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *contact = json_object_get(body, "contact"), *text = json_object_get(body, "text"),
	       *kind = json_object_get(body, "kind"), *date = json_object_get(body, "date"),
	       *minutes = json_object_get(body, "minutes");
	sqlite3_stmt *st;
	int rc;
	if (!json_is_string(contact) || !json_is_string(text) || !json_is_string(kind) ||
	    !json_is_string(date))
		return bad(ev, "contact, kind, date and text are required strings");
	if (minutes && !json_is_integer(minutes) && !json_is_null(minutes))
		return bad(ev, "minutes is not an integer");
	rc = cairn__prepare(j, &st,
	                    "INSERT INTO notes (entity, contact, kind, date, modality, minutes, text, hlc, device) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) " FIRST_WRITER_WINS(
	                        "notes", "contact = excluded.contact, kind = excluded.kind, date = excluded.date, "
	                                 "modality = excluded.modality, minutes = excluded.minutes, text = excluded.text"));
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	bind_str(st, 2, contact);
	bind_str(st, 3, kind);
	bind_str(st, 4, date);
	bind_str(st, 5, json_object_get(body, "modality"));
	if (json_is_integer(minutes))
		sqlite3_bind_int64(st, 6, json_integer_value(minutes));
	bind_str(st, 7, text);
	sqlite3_bind_int64(st, 8, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 9, ev->device, -1, SQLITE_STATIC);
	if ((rc = step_done(j, st, "recording a note")))
		return rc;
	return cairn__fts_mark(j, 'n', ev->entity);
}

static int apply_note_amend(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *text = json_object_get(body, "text");
	sqlite3_stmt *st;
	int rc;
	json_t *seen = json_object_get(body, "seen");
	if (!json_is_string(text))
		return bad(ev, "text is required");
	rc = cairn__prepare(j, &st,
	                    "INSERT OR IGNORE INTO note_amends (note, hlc, device, text, reason) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	bind_str(st, 4, text);
	bind_str(st, 5, json_object_get(body, "reason"));
	if ((rc = step_done(j, st, "amending a note")))
		return rc;
	/* The amendments it replaced (invariant 6): one it did not name, and that did not name it, is a
	 * conflict. No "seen" array names none, as before schema 0015. */
	if ((rc = cairn__seen_apply(j, &cairn__seen_notes, ev, json_is_array(seen), seen)))
		return rc;
	return cairn__fts_mark(j, 'n', ev->entity);
}

static int apply_note_strike(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "INSERT OR IGNORE INTO note_strikes (note, hlc, device, reason) "
	                        "VALUES (?1, ?2, ?3, ?4)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	bind_str(st, 4, json_object_get(body, "reason"));
	return step_done(j, st, "striking a note");
}

/* ---- referrals ---- */

/* The lattice within a generation. Terminal states clash by this fixed precedence. */
static const struct {
	const char *state;
	int rank;
} states[] = {
	{"entered-in-error", -1}, {"on-hold", 0},   {"draft", 1},    {"requested", 2},
	{"received", 3},          {"accepted", 4},  {"in-progress", 5}, {"cancelled", 6},
	{"rejected", 7},          {"failed", 8},    {"completed", 9},
};
#define RANK_TERMINAL 6

int cairn__referral_rank(const char *state)
{
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(states[i].state, state))
			return states[i].rank;
	return -2;
}

typedef struct {
	uint64_t hlc;
	char device[CAIRN_DEVICE_LEN];
	int64_t gen;
	int rank;
	char state[24];
	char *outcome, *reporter;
} ref_row;

static int later(const ref_row *a, const ref_row *b) /* a after b in (hlc, device) order */
{
	return a->hlc != b->hlc ? a->hlc > b->hlc : strcmp(a->device, b->device) > 0;
}

static int write_state(cairn_journal *j, const char *ref, const ref_row *best, int64_t gen, int hold,
                       int struck, int review)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st,
	                        "INSERT OR REPLACE INTO referral_state (referral, gen, state, on_hold, struck, "
	                        "review, outcome, reporter, hlc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, gen);
	sqlite3_bind_text(st, 3, best ? best->state : "draft", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 4, hold);
	sqlite3_bind_int(st, 5, struck);
	sqlite3_bind_int(st, 6, review);
	if (best && best->outcome)
		sqlite3_bind_text(st, 7, best->outcome, -1, SQLITE_TRANSIENT);
	if (best && best->reporter)
		sqlite3_bind_text(st, 8, best->reporter, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, best ? (int64_t)best->hlc : 0);
	return step_done(j, st, "updating a referral state");
}

/*
 * The join over all status events: the highest generation wins; within it the highest rank (ties by
 * (hlc, device)); on-hold holds while it is the latest event of the generation; a strike is sticky;
 * more than one distinct terminal state in the winning generation raises a review flag.
 */
static int recompute_referral(cairn_journal *j, const char *ref)
{
	sqlite3_stmt *st;
	ref_row rows[2]; /* best, latest */
	ref_row cur = {0};
	int have_best = 0, have_latest = 0, struck = 0, terminals = 0, rc;
	int64_t gen = -1;
	char first_terminal[24] = "";
	/* Ordered by gen descending: the first rows are the winning generation. */
	rc = cairn__prepare(j, &st,
	                    "SELECT hlc, device, gen, rank, state, outcome, reporter FROM referral_events "
	                    "WHERE referral = ?1 ORDER BY gen DESC");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	memset(rows, 0, sizeof(rows));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cur.hlc = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(cur.device, sizeof(cur.device), "%s", (const char *)sqlite3_column_text(st, 1));
		cur.gen = sqlite3_column_int64(st, 2);
		cur.rank = sqlite3_column_int(st, 3);
		snprintf(cur.state, sizeof(cur.state), "%s", (const char *)sqlite3_column_text(st, 4));
		if (cur.rank < 0) {
			struck = 1;
			continue;
		}
		if (gen < 0)
			gen = cur.gen;
		if (cur.gen != gen)
			continue;
		if (!have_latest || later(&cur, &rows[1])) {
			rows[1] = cur;
			have_latest = 1;
		}
		if (cur.rank == 0)
			continue;
		if (cur.rank >= RANK_TERMINAL) {
			if (!terminals++)
				snprintf(first_terminal, sizeof(first_terminal), "%s", cur.state);
			else if (strcmp(first_terminal, cur.state))
				terminals = 100; /* distinct terminal states */
		}
		if (!have_best || cur.rank > rows[0].rank || (cur.rank == rows[0].rank && later(&cur, &rows[0]))) {
			free(rows[0].outcome);
			free(rows[0].reporter);
			rows[0] = cur;
			const char *o = (const char *)sqlite3_column_text(st, 5);
			const char *r = (const char *)sqlite3_column_text(st, 6);
			rows[0].outcome = o ? strdup(o) : NULL;
			rows[0].reporter = r ? strdup(r) : NULL;
			have_best = 1;
		}
	}
	cairn__finalize(j, st);
	if (rc != SQLITE_DONE)
		rc = cairn__sqlerr(j, rc, "reading referral history");
	else
		rc = write_state(j, ref, have_best ? &rows[0] : NULL, gen < 0 ? 0 : gen,
		                 have_latest && rows[1].rank == 0, struck, terminals >= 100);
	free(rows[0].outcome);
	free(rows[0].reporter);
	return rc;
}

static int insert_status(cairn_journal *j, const cairn_event *ev, int64_t gen, json_t *state, json_t *body)
{
	sqlite3_stmt *st;
	int rank = json_is_string(state) ? cairn__referral_rank(json_string_value(state)) : -2;
	int rc;
	if (rank < -1)
		return bad(ev, "unknown referral state");
	rc = cairn__prepare(j, &st,
	                    "INSERT OR IGNORE INTO referral_events (referral, hlc, device, gen, state, rank, "
	                    "outcome, reporter, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 3, ev->device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, gen);
	bind_str(st, 5, state);
	sqlite3_bind_int(st, 6, rank);
	bind_str(st, 7, json_object_get(body, "outcome"));
	bind_str(st, 8, json_object_get(body, "reporter"));
	bind_str(st, 9, json_object_get(body, "note"));
	if ((rc = step_done(j, st, "recording a referral status")))
		return rc;
	return recompute_referral(j, ev->entity);
}

static int apply_referral_add(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *contact = json_object_get(body, "contact"), *cat = json_object_get(body, "category"),
	       *to = json_object_get(body, "to"), *date = json_object_get(body, "date"),
	       *state = json_object_get(body, "state");
	sqlite3_stmt *st;
	int rc;
	if (!json_is_string(contact) || !json_is_string(cat) || !json_is_string(to) || !json_is_string(date))
		return bad(ev, "contact, category, to and date are required strings");
	rc = cairn__prepare(j, &st,
	                    "INSERT INTO referrals (entity, contact, category, target, reason, date, hlc, device) "
	                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) " FIRST_WRITER_WINS(
	                        "referrals", "contact = excluded.contact, category = excluded.category, "
	                                     "target = excluded.target, reason = excluded.reason, date = excluded.date"));
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->entity, -1, SQLITE_STATIC);
	bind_str(st, 2, contact);
	bind_str(st, 3, cat);
	bind_str(st, 4, to);
	bind_str(st, 5, json_object_get(body, "reason"));
	bind_str(st, 6, date);
	sqlite3_bind_int64(st, 7, (int64_t)ev->hlc);
	sqlite3_bind_text(st, 8, ev->device, -1, SQLITE_STATIC);
	if ((rc = step_done(j, st, "recording a referral")))
		return rc;
	json_t *req = json_string("requested");
	rc = insert_status(j, ev, 0, state ? state : req, body);
	json_decref(req);
	return rc;
}

static int apply_referral_status(cairn_journal *j, const cairn_event *ev, json_t *body)
{
	json_t *gen = json_object_get(body, "gen");
	if (!json_is_integer(gen) || json_integer_value(gen) < 0)
		return bad(ev, "gen is not a non-negative integer");
	return insert_status(j, ev, json_integer_value(gen), json_object_get(body, "state"), body);
}

/* ---- dispatch ---- */

static const cairn__kind core_kinds[] = {
	{"contact.set", apply_contact_set},       {"contact.merge", apply_contact_merge},
	{"contact.delete", apply_contact_delete}, {"note.add", apply_note_add},
	{"note.amend", apply_note_amend},         {"note.strike", apply_note_strike},
	{"referral.add", apply_referral_add},     {"referral.status", apply_referral_status},
};

static const char *const core_tables[] = {
	"contacts",        "contact_writes", "contact_superseded", "contact_fields", "contact_edges",
	"contact_canon",   "notes",          "note_amends",        "note_strikes",   "referrals",
	"referral_events", "referral_state", "contact_fts",        "note_fts",       "note_amend_seen",
	"note_amend_listed", "note_amend_conflicts", "note_amend_unlisted_max", "contact_lifecycle", "contact_merges", "contact_lc_seen",  "contact_lc_conflicts",
};

static const char *const core_digest[] = {
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
	"SELECT 'note_amend_listed', note, hlc, device FROM note_amend_listed ORDER BY note, hlc, device",
	"SELECT 'note_amend_unlisted_max', note, hlc, device FROM note_amend_unlisted_max ORDER BY note",
	"SELECT 'note_amend_seen', note, hlc, device FROM note_amend_seen ORDER BY note, hlc, device",
	"SELECT 'note_amend_conflicts', note, heads FROM note_amend_conflicts ORDER BY note",
	"SELECT 'note_strikes', note, hlc, device, reason FROM note_strikes ORDER BY note, hlc, device",
	"SELECT 'referrals', entity, contact, category, target, reason, date, hlc, device FROM referrals "
	"ORDER BY entity",
	"SELECT 'referral_events', referral, hlc, device, gen, state, rank, outcome, reporter, note "
	"FROM referral_events ORDER BY referral, hlc, device",
	"SELECT 'referral_state', referral, gen, state, on_hold, struck, review, outcome, reporter, hlc "
	"FROM referral_state ORDER BY referral",
	"SELECT 'contact_lifecycle', entity, hlc, device, cl, seen FROM contact_lifecycle "
	"ORDER BY entity, hlc, device",
	"SELECT 'contact_merges', hlc, device, a, b, seen FROM contact_merges ORDER BY hlc, device, a, b",
	"SELECT 'contact_lc_seen', kind, hlc, device, member, cl FROM contact_lc_seen "
	"ORDER BY kind, hlc, device, member",
	"SELECT 'contact_lc_conflicts', entity, hlc, device, a, b FROM contact_lc_conflicts "
	"ORDER BY entity, hlc, device, a, b",
};

const cairn__module cairn__module_core = {
	"core",      core_kinds,  CAIRN__COUNT(core_kinds), core_tables, CAIRN__COUNT(core_tables),
	core_digest, CAIRN__COUNT(core_digest), NULL, NULL,
};

static const cairn__kind *find_kind(const char *kind)
{
	for (size_t m = 0; cairn__modules[m]; m++)
		for (size_t i = 0; i < cairn__modules[m]->nkinds; i++)
			if (!strcmp(cairn__modules[m]->kinds[i].kind, kind))
				return &cairn__modules[m]->kinds[i];
	return NULL;
}

int cairn__kind_known(const char *kind)
{
	return find_kind(kind) != NULL;
}

int cairn__apply(cairn_journal *j, const cairn_event *ev)
{
	return cairn__apply_body(j, ev, NULL);
}

/* A person is named by a contact id or not at all. */
static int person_ok(json_t *v)
{
	return !v || json_is_null(v) || (json_is_string(v) && cairn__uuid_valid(json_string_value(v)));
}

/*
 * Every record that names a person names them by a contact id: the top-level "contact" of any kind, a
 * crisis's contact register and a group session's attendees. No cairn writes anything else; a record
 * that did (a modified client) would be shown by the audited views with no one to account the view to,
 * so they would refuse to show it for good. Refused here instead, at import, where a bad segment is
 * quarantined with its reason. Not an audit entry: it names whoever a view showed, as the record shown
 * named them, and an honest device that showed an old malformed record wrote one; refusing it would
 * quarantine that device's whole log.
 */
static int persons_ok(const cairn_event *ev, json_t *body)
{
	json_t *att = json_object_get(body, "attendees"), *v;
	size_t i;
	if (!strcmp(ev->kind, "audit.view"))
		return 0;
	if (!person_ok(json_object_get(body, "contact")) ||
	    (!strncmp(ev->kind, "crisis.", 7) && !person_ok(json_object_get(json_object_get(body, "fields"), "contact"))))
		return bad(ev, "a person is named by something that is not a contact id");
	json_array_foreach(att, i, v)
	{
		if (!json_is_string(v) || !cairn__uuid_valid(json_string_value(v)))
			return bad(ev, "an attendee is not a contact id");
	}
	return 0;
}

int cairn__apply_body(cairn_journal *j, const cairn_event *ev, json_t *parsed)
{
	json_error_t err;
	json_t *body;
	int rc;
	const cairn__kind *k = find_kind(ev->kind);
	if (!k) {
		/* A kind from a newer catalogue: kept in the log, applied by the first cairn that knows it when
		 * it opens the journal (kinds.c). */
		cairn__log(CAIRN_LOG_WARN, "event kind '%s' is not known to this cairn; stored, not applied",
		           ev->kind);
		return 0;
	}
	if (!cairn__uuid_valid(ev->entity))
		return bad(ev, "entity is not a UUID");
	body = parsed ? json_incref(parsed) : json_loads(ev->body, JSON_REJECT_DUPLICATES, &err);
	if (!json_is_object(body)) {
		json_decref(body);
		return bad(ev, "body is not a JSON object");
	}
	rc = persons_ok(ev, body);
	if (!rc)
		rc = k->fn(j, ev, body);
	json_decref(body);
	return rc;
}
