/* test_journal.c — the journal's merge rules, idempotence, forks and error paths, through the public API. */
#include "cairn.h"
#include "journal.h"
#include "t.h"
#include "t_journal.h"

#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

static char root[256];
static int counter;

static cairn_journal *fresh(void)
{
	char dir[300];
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_journal *j = NULL;
	o.kdf = CAIRN_KDF_MIN;
	snprintf(dir, sizeof(dir), "%s/j%d", root, counter++);
	if (cairn_journal_init(dir, "pw", 2, &o) || cairn_journal_open(&j, dir, "pw", 2)) {
		fprintf(stderr, "  cannot create journal: %s\n", cairn_error_last());
		return NULL;
	}
	return j;
}

static int ingest_cb(const cairn_event *ev, void *ud)
{
	int rc = cairn_event_ingest(ud, ev);
	return rc < 0 ? rc : 0;
}

/* Copy every event of `from` into `to` (what a sync does). */
static int sync_into(cairn_journal *to, cairn_journal *from)
{
	return cairn_events_foreach(from, NULL, 1, 0, ingest_cb, to);
}

/* `j` as an older cairn left it (`undo`: SQL that takes the newer schema's objects and migration rows
 * out), opened again by this one, which upgrades it; NULL on failure (j is freed either way). */
static cairn_journal *reopen_undone(cairn_journal *j, const char *undo)
{
	char dir[300];
	cairn_journal *r = NULL;
	snprintf(dir, sizeof(dir), "%s", cairn_journal_dir(j));
	int rc = cairn__exec(j, undo);
	cairn_journal_free(j);
	if (rc || cairn_journal_open(&r, dir, "pw", 2)) {
		fprintf(stderr, "  cannot upgrade %s: %s\n", dir, cairn_error_last());
		return NULL;
	}
	return r;
}

/* After a and b each wrote offline: x gets b's events first and a's after, then a and b exchange. */
static int cross(cairn_journal *a, cairn_journal *b, cairn_journal *x)
{
	int rc = sync_into(x, b);
	if (!rc)
		rc = sync_into(x, a);
	if (!rc)
		rc = sync_into(b, a);
	return rc ? rc : sync_into(a, b);
}

static int same_digest(cairn_journal *a, cairn_journal *b)
{
	char da[CAIRN_DIGEST_LEN], db[CAIRN_DIGEST_LEN];
	if (cairn_digest(a, da) || cairn_digest(b, db))
		return 0;
	return !strcmp(da, db);
}

static json_t *show(cairn_journal *j, const char *id)
{
	char *out = NULL;
	json_t *o;
	if (cairn_contact_show(j, id, &out))
		return NULL;
	o = json_loads(out, 0, NULL);
	cairn_free(out);
	return o;
}

static void test_conflict_kept_and_resolved(void)
{
	cairn_journal *a = fresh(), *b = fresh();
	char id[CAIRN_ID_LEN];
	json_t *s;
	T_REQUIRE(a && b);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Dana Reyes\",\"phone\":\"555-0100\"}", id));
	T_OK(sync_into(b, a));
	/* Both edit the phone offline: concurrent writes. */
	T_OK(cairn_contact_set(a, id, "{\"phone\":\"555-1111\"}", NULL));
	T_OK(cairn_contact_set(b, id, "{\"phone\":\"555-2222\"}", NULL));
	T_OK(sync_into(b, a));
	T_OK(sync_into(a, b));
	T_CHECK(same_digest(a, b));
	s = show(a, id);
	T_REQUIRE(s);
	json_t *conf = json_object_get(s, "conflicts");
	T_CHECK(json_array_size(conf) == 1);
	json_t *vals = json_object_get(json_array_get(conf, 0), "values");
	T_CHECK(json_array_size(vals) == 2); /* the losing value is kept */
	json_decref(s);
	/* A later write that saw both heads resolves it. */
	T_OK(cairn_contact_set(b, id, "{\"phone\":\"555-3333\"}", NULL));
	T_OK(sync_into(a, b));
	s = show(a, id);
	T_CHECK(json_array_size(json_object_get(s, "conflicts")) == 0);
	T_CHECK(!strcmp(json_string_value(json_object_get(json_object_get(s, "fields"), "phone")), "555-3333"));
	json_decref(s);
	T_CHECK(same_digest(a, b));
	/* A sequential edit (seen) raises no conflict. */
	T_OK(cairn_contact_set(a, id, "{\"name\":\"Dana R.\"}", NULL));
	T_OK(sync_into(b, a));
	T_OK(cairn_contact_set(b, id, "{\"name\":\"Dana Reyes\"}", NULL));
	T_OK(sync_into(a, b));
	char *c = NULL;
	T_OK(cairn_conflict_list(a, &c));
	T_CHECK(!strcmp(c, "[]"));
	cairn_free(c);
	cairn_journal_free(a);
	cairn_journal_free(b);
}

/* Whether the journal's status and its person's row of contact list both count one open conflict. */
static int counted_once(cairn_journal *j)
{
	char *stats = NULL, *list = NULL;
	int ok = cairn_journal_stats(j, &stats) == 0 && cairn_contact_list(j, 0, &list) == 0 &&
	         strstr(stats, "\"conflicts\":1") && strstr(list, "\"conflicts\":1");
	if (!ok)
		fprintf(stderr, "  counted: %s %s\n", stats ? stats : "?", list ? list : "?");
	cairn_free(stats);
	cairn_free(list);
	return ok;
}

/* The note conflicts of cairn_conflict_list, as "note-id:heads" joined by spaces ("" for none). */
/* The open conflicts of `field` ("note" or "goal") as "ID:heads ...", ID the note's or goal's. */
static void record_conflicts(cairn_journal *j, const char *field, char *buf, size_t n)
{
	char *c = NULL;
	json_t *arr, *e;
	size_t i;
	buf[0] = '\0';
	if (cairn_conflict_list(j, &c))
		return;
	arr = json_loads(c, 0, NULL);
	json_array_foreach(arr, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "field")), field))
			continue;
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s:%lld", *buf ? " " : "",
		         json_string_value(json_object_get(e, field)),
		         (long long)json_integer_value(json_object_get(e, "heads")));
	}
	json_decref(arr);
	cairn_free(c);
}

static void note_conflicts(cairn_journal *j, char *buf, size_t n) { record_conflicts(j, "note", buf, n); }
static void goal_conflicts(cairn_journal *j, char *buf, size_t n) { record_conflicts(j, "goal", buf, n); }

static long fullscan_steps;
static int count_scans(unsigned type, void *ud, void *p, void *x)
{
	(void)type, (void)ud, (void)x;
	fullscan_steps += sqlite3_stmt_status(p, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
	return 0;
}

/* Steps of full table scans cairn_conflict_list takes: the sync engine calls it around every import, so
 * it must cost what is open, not the journal's history. */
static long list_scans(cairn_journal *j, int (*list)(cairn_journal *, char **))
{
	char *c = NULL;
	fullscan_steps = 0;
	sqlite3_trace_v2(j->db, SQLITE_TRACE_PROFILE, count_scans, NULL);
	int rc = list(j, &c);
	sqlite3_trace_v2(j->db, 0, NULL, NULL);
	cairn_free(c);
	return rc ? -1 : fullscan_steps;
}
static long conflict_list_scans(cairn_journal *j) { return list_scans(j, cairn_conflict_list); }

/* Two amendments of one note made without seeing each other are a conflict (schema 0015), the same on
 * every journal whatever the order; a later amendment or a strike ends it; amendments made one after the
 * other, and old amendments that name nothing, raise none. */
static void test_note_amend_conflict(void)
{
	cairn_journal *a = fresh(), *b = fresh(), *x = fresh();
	char c[CAIRN_ID_LEN], n[CAIRN_ID_LEN], m[CAIRN_ID_LEN], want[128], got[256];
	T_REQUIRE(a && b && x);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Lou Ferris\"}", c));
	T_OK(cairn_note_add(a, c, "{\"text\":\"met at the libary\",\"date\":\"2026-11-02\"}", n));
	T_OK(cairn_note_add(a, c, "{\"text\":\"phone call\",\"date\":\"2026-11-03\"}", m));
	T_OK(sync_into(b, a));
	/* one after the other on one device: no conflict */
	T_OK(cairn_note_amend(a, n, "met at the library", "typo"));
	T_OK(cairn_note_amend(a, n, "met at the library on Elm", NULL));
	note_conflicts(a, got, sizeof(got));
	T_CHECKF(!*got, "sequential amendments: %s", got);
	/* b amends the same note offline */
	T_OK(cairn_note_amend(b, n, "met at the library steps", NULL));
	T_OK(cairn_note_amend(b, m, "phone call, no answer", NULL));
	T_OK(cross(a, b, x));
	snprintf(want, sizeof(want), "%s:2", n);
	cairn_journal *all[] = {a, b, x};
	for (int i = 0; i < 3; i++) {
		note_conflicts(all[i], got, sizeof(got));
		T_CHECKF(!strcmp(got, want), "journal %d: got '%s', want '%s'", i, got, want);
	}
	T_CHECK(same_digest(a, b) && same_digest(a, x));
	char *vals = NULL;
	/* counted where conflicts are counted: the journal's status and the person's row of contact list */
	T_CHECK(counted_once(b));
	T_OK(cairn_conflict_values(a, &vals));
	json_t *v = json_loads(vals, 0, NULL), *e = json_array_get(v, 0);
	T_CHECKF(json_array_size(v) == 1 && !strcmp(json_string_value(json_object_get(e, "note")), n) &&
	                 json_array_size(json_object_get(e, "values")) == 2 && strstr(vals, "library on Elm") &&
	                 strstr(vals, "library steps") && !strstr(vals, "typo"),
	         "values: %s", vals);
	json_decref(v);
	cairn_free(vals);
	json_t *s = show(x, c);
	json_t *notes = json_object_get(s, "notes"), *note;
	size_t i;
	int flagged = 0, unflagged = 0;
	json_array_foreach(notes, i, note)
	{
		int conflict = json_is_true(json_object_get(note, "conflict"));
		if (!strcmp(json_string_value(json_object_get(note, "id")), n))
			flagged = conflict;
		else
			unflagged = !conflict;
	}
	T_CHECK(flagged && unflagged);
	json_decref(s);
	/* the conflict is not for cairn_conflict_resolve: a new amendment decides it */
	T_CHECK(cairn_conflict_resolve(a, c, "note", "x", 0, &vals) == CAIRN_EINVAL);
	T_OK(cairn_note_amend(x, n, "met at the library on Elm St", "both were half right"));
	T_OK(sync_into(a, x));
	T_OK(sync_into(b, x));
	T_OK(sync_into(b, a)); /* the views above wrote audit entries on a and x */
	T_OK(sync_into(x, a));
	for (int k = 0; k < 3; k++) {
		note_conflicts(all[k], got, sizeof(got));
		T_CHECKF(!*got, "journal %d after the decision: %s", k, got);
	}
	T_CHECKF(conflict_list_scans(a) == 0, "no conflict open, %ld full-scan steps", conflict_list_scans(a));
	T_CHECK(same_digest(a, b) && same_digest(a, x));
	/* a strike ends one too */
	T_OK(cairn_note_amend(a, m, "phone call, left a message", NULL));
	T_OK(cairn_note_amend(b, m, "phone call, voicemail full", NULL));
	T_OK(sync_into(b, a));
	note_conflicts(b, got, sizeof(got));
	snprintf(want, sizeof(want), "%s:2", m);
	T_CHECKF(!strcmp(got, want), "got '%s', want '%s'", got, want);
	T_OK(cairn_note_strike(b, m, "wrong person"));
	note_conflicts(b, got, sizeof(got));
	T_CHECKF(!*got, "after the strike: %s", got);
	s = show(b, c);
	T_CHECKF(s && json_is_false(json_object_get(json_array_get(json_object_get(s, "notes"), 1), "conflict")),
	         "a struck note is not shown in conflict");
	json_decref(s);
	cairn_journal_free(a);
	cairn_journal_free(b);
	cairn_journal_free(x);

	/* Amendments from before schema 0015 name nothing: each replaced every older one, as shown. One that
	 * names what it saw, and did not see the newest of them, is concurrent with it. */
	cairn_journal *o = fresh();
	T_REQUIRE(o);
	const char *who = "01890000-0000-7000-8000-0000000000c1", *nid = "01890000-0000-7000-8000-0000000000c2";
	const char *four = "{\"seen\":[[131072000,\"aaaaaaaaaaaaaaaa\"]],\"text\":\"four\"}";
	char add[256];
	snprintf(add, sizeof(add),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"kind\":\"encounter\",\"text\":\"one\"}", who);
	cairn_event ev[] = {
	        {"aaaaaaaaaaaaaaaa", 1, (uint64_t)1000 << 16, "note.add", nid, add, 1, {0}},
	        {"aaaaaaaaaaaaaaaa", 2, (uint64_t)2000 << 16, "note.amend", nid, "{\"text\":\"two\"}", 1, {0}},
	        {"bbbbbbbbbbbbbbbb", 1, (uint64_t)3000 << 16, "note.amend", nid, "{\"text\":\"three\"}", 1, {0}},
	        {"cccccccccccccccc", 1, (uint64_t)4000 << 16, "note.amend", nid, four, 1, {0}},
	};
	for (int k = 3; k >= 0; k--) { /* newest first */
		cairn_event_hash(&ev[k], ev[k].hash);
		T_CHECK(cairn_event_ingest(o, &ev[k]) == 0);
		note_conflicts(o, got, sizeof(got));
		T_CHECKF(!*got == (k != 0), "after event %d: '%s'", k, got); /* the note arrives last */
	}
	snprintf(want, sizeof(want), "%s:2", nid);
	T_CHECKF(!strcmp(got, want), "legacy 'three' and 'four', which saw only 'two': got '%s'", got);
	cairn_journal_free(o);
}

/* How many audit.view entries `what` name `contact` (read from the table: the audited readers would add
 * their own). */
static int audit_count(cairn_journal *j, const char *contact, const char *what)
{
	sqlite3_stmt *st;
	int n = -1;
	if (sqlite3_prepare_v2(j->db, "SELECT count(*) FROM audit_events WHERE contact = ?1 AND what = ?2", -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, contact, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, what, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A journal that held new amendments before it had schema 0015 (an older cairn applied them, ignoring
 * "seen") ends as a new journal does once upgraded; a malformed entry of "seen" is skipped the same way in
 * both; the values of a note's conflict are audited for its person even before their record arrives. */
static void test_note_amend_upgrade_and_audit(void)
{
	const char *who = "01890000-0000-7000-8000-0000000000d1", *nid = "01890000-0000-7000-8000-0000000000d2";
	char add[256], got[256], want[128], *vals = NULL;
	snprintf(add, sizeof(add),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"kind\":\"encounter\",\"text\":\"one\"}", who);
	cairn_event ev[] = {
	        {"aaaaaaaaaaaaaaaa", 1, (uint64_t)1000 << 16, "note.add", nid, add, 1, {0}},
	        {"bbbbbbbbbbbbbbbb",
	         1,
	         (uint64_t)2000 << 16,
	         "note.amend",
	         nid,
	         "{\"seen\":[],\"text\":\"two\"}",
	         1,
	         {0}},
	        {"cccccccccccccccc",
	         1,
	         (uint64_t)3000 << 16,
	         "note.amend",
	         nid,
	         "{\"seen\":[],\"text\":\"three\"}",
	         1,
	         {0}},
	        {"dddddddddddddddd",
	         1,
	         (uint64_t)1500 << 16,
	         "note.amend",
	         nid,
	         "{\"seen\":[[1,2,3],\"junk\",[\"x\",\"y\"]],\"text\":\"four\"}",
	         1,
	         {0}},
	};
	cairn_journal *u = fresh(), *p = fresh();
	T_REQUIRE(u && p);
	for (int k = 0; k < 4; k++)
		cairn_event_hash(&ev[k], ev[k].hash);
	for (int k = 0; k < 4; k++) {
		T_CHECKF(cairn_event_ingest(u, &ev[k]) == 0 && cairn_event_ingest(p, &ev[3 - k]) == 0, "event %d: %s",
		         k, cairn_error_last());
	}
	snprintf(want, sizeof(want), "%s:3", nid); /* two, three, and four, whose malformed seen names nothing */
	note_conflicts(p, got, sizeof(got));
	T_CHECKF(!strcmp(got, want), "new journal: got '%s', want '%s'", got, want);
	/* u as an older cairn left it: the amendments applied, "seen" ignored, no 0015 */
	u = reopen_undone(u, "DROP VIEW note_amend_heads; DROP TABLE note_amend_seen; DROP TABLE note_amend_listed; "
	                     "DROP TABLE note_amend_conflicts; DELETE FROM migrations WHERE version >= 15");
	T_REQUIRE(u);
	note_conflicts(u, got, sizeof(got));
	T_CHECKF(!strcmp(got, want), "upgraded journal: got '%s', want '%s'", got, want);
	T_CHECK(same_digest(u, p));
	/* the person has not arrived: the view is audited for them all the same */
	T_CHECK(audit_count(p, who, "conflicts") == 0);
	T_OK(cairn_conflict_values(p, &vals));
	T_CHECKF(strstr(vals, "three") && audit_count(p, who, "conflicts") == 1, "%s, %d entries", vals,
	         audit_count(p, who, "conflicts"));
	cairn_free(vals);
	cairn_journal_free(u);
	cairn_journal_free(p);
}

/* VM steps of every statement run between vm_begin and vm_end: what a call costs, whatever the machine. */
static long vm_steps;
static int count_vm(unsigned type, void *ud, void *p, void *x)
{
	(void)type, (void)ud, (void)x;
	vm_steps += sqlite3_stmt_status(p, SQLITE_STMTSTATUS_VM_STEP, 1);
	return 0;
}
static void vm_begin(cairn_journal *j)
{
	for (sqlite3_stmt *st = sqlite3_next_stmt(j->db, NULL); st; st = sqlite3_next_stmt(j->db, st))
		sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1); /* counts from here */
	vm_steps = 0;
	sqlite3_trace_v2(j->db, SQLITE_TRACE_PROFILE, count_vm, NULL);
}
static long vm_end(cairn_journal *j)
{
	sqlite3_trace_v2(j->db, 0, NULL, NULL);
	return vm_steps;
}

/* Whether value `a` of a conflict is newer than `b` by (hlc, device): two devices can write in the same
 * millisecond, and then the device id orders them. */
static int newer(const json_t *a, const json_t *b)
{
	json_int_t ha = json_integer_value(json_object_get(a, "hlc")),
	           hb = json_integer_value(json_object_get(b, "hlc"));
	const char *da = json_string_value(json_object_get(a, "device")),
	           *db = json_string_value(json_object_get(b, "device"));
	return ha > hb || (ha == hb && da && db && strcmp(da, db) > 0);
}

/* One goal of `j` from cairn_goal_list (a new reference, NULL when absent). */
static json_t *goal_of(cairn_journal *j, const char *contact, const char *goal)
{
	char *out = NULL;
	json_t *l, *g, *r = NULL;
	size_t i;
	if (cairn_goal_list(j, contact, &out))
		return NULL;
	l = json_loads(out, 0, NULL);
	cairn_free(out);
	json_array_foreach(l, i, g) if (!strcmp(json_string_value(json_object_get(g, "id")), goal)) r = json_incref(g);
	json_decref(l);
	return r;
}

/* Two changes of one goal's status made without seeing each other are a conflict (schema 0016), the same
 * on every journal whatever the order; a later status decides it; statuses set one after the other, and
 * old statuses that name nothing, raise none. */
static void test_goal_status_conflict(void)
{
	cairn_journal *a = fresh(), *b = fresh(), *x = fresh();
	char c[CAIRN_ID_LEN], g[CAIRN_ID_LEN], want[128], got[256], *vals = NULL;
	T_REQUIRE(a && b && x);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Rae Okafor\"}", c));
	T_OK(cairn_goal_add(a, c, "{\"domain\":\"housing\",\"text\":\"a room of my own\",\"date\":\"2026-11-01\"}", g));
	T_OK(sync_into(b, a));
	/* one after the other on one device: no conflict */
	T_OK(cairn_goal_status(a, g, "{\"status\":\"paused\",\"date\":\"2026-11-05\"}"));
	T_OK(cairn_goal_status(a, g, "{\"status\":\"achieved\",\"date\":\"2026-11-20\",\"note\":\"keys today\"}"));
	goal_conflicts(a, got, sizeof(got));
	T_CHECKF(!*got, "sequential statuses: %s", got);
	/* b, offline, drops the goal it saw active */
	T_OK(cairn_goal_status(b, g, "{\"status\":\"dropped\",\"date\":\"2026-11-18\",\"note\":\"moved away\"}"));
	T_OK(cross(a, b, x));
	snprintf(want, sizeof(want), "%s:2", g);
	cairn_journal *all[] = {a, b, x};
	for (int i = 0; i < 3; i++) {
		goal_conflicts(all[i], got, sizeof(got));
		T_CHECKF(!strcmp(got, want), "journal %d: got '%s', want '%s'", i, got, want);
	}
	T_CHECK(same_digest(a, b) && same_digest(a, x));
	/* counted where conflicts are counted */
	T_CHECK(counted_once(b));
	/* the values: both statuses, newest first, with the goal; audited for the person */
	int before = audit_count(a, c, "conflicts");
	T_OK(cairn_conflict_values(a, &vals));
	json_t *v = json_loads(vals, 0, NULL), *e = json_array_get(v, 0), *ev = json_object_get(e, "values");
	/* newest first; which of a's and b's is newer is up to their clocks */
	json_t *v0 = json_array_get(ev, 0), *v1 = json_array_get(ev, 1);
	const char *s0 = json_string_value(json_object_get(v0, "value")),
	           *s1 = json_string_value(json_object_get(v1, "value"));
	T_CHECKF(json_array_size(v) == 1 && !strcmp(json_string_value(json_object_get(e, "goal")), g) &&
	                 !strcmp(json_string_value(json_object_get(e, "field")), "goal") &&
	                 !strcmp(json_string_value(json_object_get(e, "contact")), c) && json_array_size(ev) == 2 &&
	                 s0 && s1 && strcmp(s0, s1) && (!strcmp(s0, "achieved") || !strcmp(s0, "dropped")) &&
	                 (!strcmp(s1, "achieved") || !strcmp(s1, "dropped")) && newer(v0, v1) &&
	                 strstr(vals, "a room of my own") && !strstr(vals, "paused"),
	         "values: %s", vals);
	char newest[16];
	snprintf(newest, sizeof(newest), "%s", s0 ? s0 : "");
	T_CHECK(audit_count(a, c, "conflicts") == before + 1);
	json_decref(v);
	cairn_free(vals);
	/* goal list marks it, shows the newest, and names both heads */
	json_t *gl = goal_of(x, c, g);
	T_CHECKF(gl && json_is_true(json_object_get(gl, "conflict")) &&
	                 !strcmp(json_string_value(json_object_get(gl, "status")), newest) &&
	                 json_array_size(json_object_get(gl, "heads")) == 2 &&
	                 json_array_size(json_object_get(gl, "history")) == 4,
	         "goal list: %s", gl ? json_dumps(gl, 0) : "none");
	json_decref(gl);
	/* not for cairn_conflict_resolve: a new status decides it, on every journal */
	T_CHECK(cairn_conflict_resolve(a, c, "goal", "x", 0, &vals) == CAIRN_EINVAL);
	T_OK(cairn_goal_status(x, g, "{\"status\":\"achieved\",\"date\":\"2026-11-21\"}"));
	T_OK(sync_into(a, x));
	T_OK(sync_into(b, x));
	T_OK(sync_into(b, a));
	T_OK(sync_into(x, a));
	for (int k = 0; k < 3; k++) {
		goal_conflicts(all[k], got, sizeof(got));
		T_CHECKF(!*got, "journal %d after the decision: %s", k, got);
	}
	gl = goal_of(b, c, g);
	T_CHECK(gl && json_is_false(json_object_get(gl, "conflict")) &&
	        json_array_size(json_object_get(gl, "heads")) == 1);
	json_decref(gl);
	T_CHECKF(conflict_list_scans(a) == 0, "no conflict open, %ld full-scan steps", conflict_list_scans(a));
	T_CHECK(same_digest(a, b) && same_digest(a, x));
	cairn_journal_free(a);
	cairn_journal_free(b);
	cairn_journal_free(x);

	/* Statuses from before schema 0016 name nothing: each replaced every older one, as shown. One that
	 * names what it saw, and did not see the newest of them, is concurrent with it. In every order. */
	const char *who = "01890000-0000-7000-8000-0000000000e1", *gid = "01890000-0000-7000-8000-0000000000e2";
	char add[256];
	snprintf(add, sizeof(add),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"domain\":\"legal\",\"status\":\"active\","
	         "\"steps\":[],\"text\":\"clear my record\"}",
	         who);
	cairn_event ev4[] = {
	        {"aaaaaaaaaaaaaaaa", 1, (uint64_t)1000 << 16, "goal.add", gid, add, 1, {0}},
	        {"aaaaaaaaaaaaaaaa",
	         2,
	         (uint64_t)2000 << 16,
	         "goal.status",
	         gid,
	         "{\"date\":\"2026-01-02\",\"status\":\"paused\"}",
	         1,
	         {0}},
	        {"bbbbbbbbbbbbbbbb",
	         1,
	         (uint64_t)3000 << 16,
	         "goal.status",
	         gid,
	         "{\"date\":\"2026-01-03\",\"status\":\"active\"}",
	         1,
	         {0}},
	        {"cccccccccccccccc",
	         1,
	         (uint64_t)4000 << 16,
	         "goal.status",
	         gid,
	         "{\"date\":\"2026-01-04\",\"seen\":[[131072000,\"aaaaaaaaaaaaaaaa\"]],\"status\":\"dropped\"}",
	         1,
	         {0}},
	};
	static const int orders[][4] = {{3, 2, 1, 0}, {0, 1, 2, 3}, {2, 0, 3, 1}, {1, 3, 0, 2}};
	char digest0[CAIRN_DIGEST_LEN] = "", d[CAIRN_DIGEST_LEN];
	for (int k = 0; k < 4; k++)
		cairn_event_hash(&ev4[k], ev4[k].hash);
	snprintf(want, sizeof(want), "%s:2", gid);
	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		cairn_journal *q = fresh();
		T_REQUIRE(q);
		for (int k = 0; k < 4; k++) {
			T_CHECKF(cairn_event_ingest(q, &ev4[orders[o][k]]) == 0, "order %zu: %s", o,
			         cairn_error_last());
			if (k == 2) { /* only legacy statuses so far, or the goal not arrived: nothing to show */
				goal_conflicts(q, got, sizeof(got));
				int legacy_only = orders[o][3] == 3, goal_missing = orders[o][3] == 0;
				if (legacy_only || goal_missing)
					T_CHECKF(!*got, "order %zu after 3 events: '%s'", o, got);
			}
		}
		goal_conflicts(q, got, sizeof(got));
		T_CHECKF(!strcmp(got, want),
		         "order %zu: legacy 'active' and 'dropped', which saw only 'paused': got '%s'", o, got);
		T_OK(cairn_digest(q, d));
		T_CHECK(!*digest0 || !strcmp(d, digest0));
		snprintf(digest0, sizeof(digest0), "%s", d);
		cairn_journal_free(q);
	}
}

/* A journal that held new goal statuses before it had schema 0016 (an older cairn applied them, ignoring
 * "seen") ends as a new journal does once upgraded; a malformed entry of "seen" is skipped the same way in
 * both; the values of a goal's conflict are audited for its person even before their record arrives. */
static void test_goal_status_upgrade(void)
{
	const char *who = "01890000-0000-7000-8000-0000000000f1", *gid = "01890000-0000-7000-8000-0000000000f2";
	char add[256], got[256], want[128], *vals = NULL;
	snprintf(add, sizeof(add),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"domain\":\"health\",\"status\":\"active\","
	         "\"steps\":[],\"text\":\"see a dentist\"}",
	         who);
	cairn_event ev[] = {
	        {"aaaaaaaaaaaaaaaa", 1, (uint64_t)1000 << 16, "goal.add", gid, add, 1, {0}},
	        {"bbbbbbbbbbbbbbbb",
	         1,
	         (uint64_t)2000 << 16,
	         "goal.status",
	         gid,
	         "{\"date\":\"2026-01-02\",\"seen\":[[65536000,\"aaaaaaaaaaaaaaaa\"]],\"status\":\"achieved\"}",
	         1,
	         {0}},
	        {"cccccccccccccccc",
	         1,
	         (uint64_t)3000 << 16,
	         "goal.status",
	         gid,
	         "{\"date\":\"2026-01-03\",\"seen\":[[65536000,\"aaaaaaaaaaaaaaaa\"]],\"status\":\"paused\"}",
	         1,
	         {0}},
	        {"dddddddddddddddd",
	         1,
	         (uint64_t)1500 << 16,
	         "goal.status",
	         gid,
	         "{\"date\":\"2026-01-02\",\"seen\":[[1,2,3],\"junk\",[\"x\",\"y\"]],\"status\":\"revised\"}",
	         1,
	         {0}},
	};
	cairn_journal *u = fresh(), *p = fresh();
	T_REQUIRE(u && p);
	for (int k = 0; k < 4; k++)
		cairn_event_hash(&ev[k], ev[k].hash);
	for (int k = 0; k < 4; k++)
		T_CHECKF(cairn_event_ingest(u, &ev[k]) == 0 && cairn_event_ingest(p, &ev[3 - k]) == 0, "event %d: %s",
		         k, cairn_error_last());
	/* achieved, paused, and revised, whose malformed seen names nothing (the goal's own status it hides not:
	 * it is listed, and the goal.add's status is seen by the others) */
	snprintf(want, sizeof(want), "%s:3", gid);
	goal_conflicts(p, got, sizeof(got));
	T_CHECKF(!strcmp(got, want), "new journal: got '%s', want '%s'", got, want);
	u = reopen_undone(u, "DROP VIEW goal_status_heads; DROP TABLE goal_status_seen; DROP TABLE goal_status_listed; "
	                     "DROP TABLE goal_status_conflicts; DELETE FROM migrations WHERE version >= 16");
	T_REQUIRE(u);
	goal_conflicts(u, got, sizeof(got));
	T_CHECKF(!strcmp(got, want), "upgraded journal: got '%s', want '%s'", got, want);
	T_CHECK(same_digest(u, p));
	T_CHECK(audit_count(p, who, "conflicts") == 0);
	T_OK(cairn_conflict_values(p, &vals));
	T_CHECKF(strstr(vals, "revised") && audit_count(p, who, "conflicts") == 1, "%s, %d entries", vals,
	         audit_count(p, who, "conflicts"));
	cairn_free(vals);
	cairn_journal_free(u);
	cairn_journal_free(p);
}

/* The plan conflicts of cairn_conflict_list, as "PERSON/TYPE:heads ..." ("" for none). */
static void plan_conflicts(cairn_journal *j, char *buf, size_t n)
{
	char *c = NULL;
	json_t *arr, *e;
	size_t i;
	buf[0] = '\0';
	if (cairn_conflict_list(j, &c))
		return;
	arr = json_loads(c, 0, NULL);
	json_array_foreach(arr, i, e)
	{
		if (!strcmp(json_string_value(json_object_get(e, "field")), "plan"))
			snprintf(buf + strlen(buf), n - strlen(buf), "%s%s/%s:%lld", *buf ? " " : "",
			         json_string_value(json_object_get(e, "contact")),
			         json_string_value(json_object_get(e, "plan")),
			         (long long)json_integer_value(json_object_get(e, "heads")));
	}
	json_decref(arr);
	cairn_free(c);
}

/* A plan changed on two devices without either seeing the other is listed by cairn_conflict_list with
 * the other conflicts (schema 0017), the same on every journal whatever the order, counted, its values
 * audited; a new version decides it. Two people each with a plan, merged, are one plan with two heads. */
static void test_plan_conflict(void)
{
	cairn_journal *a = fresh(), *b = fresh(), *x = fresh();
	char c[CAIRN_ID_LEN], want[200], got[300], *vals = NULL;
	T_REQUIRE(a && b && x);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Jo Mbeki\"}", c));
	T_OK(cairn_plan_set(a, c, "safety", "{\"coping\":[\"walk the dog\"],\"reasons\":[\"my son\"]}", NULL));
	T_OK(sync_into(b, a));
	/* one after the other: no conflict */
	T_OK(cairn_plan_set(a, c, "safety", "{\"helpers\":[\"Aunt May\"]}", NULL));
	T_OK(sync_into(b, a));
	plan_conflicts(b, got, sizeof(got));
	T_CHECKF(!*got, "sequential versions: %s", got);
	/* both change it offline; x gets b's first */
	T_OK(cairn_plan_set(a, c, "safety", "{\"coping\":[\"walk the dog\",\"call Sam\"]}", NULL));
	T_OK(cairn_plan_set(b, c, "safety", "{\"helpers\":[\"Aunt May\",\"Pastor Lee\"]}", NULL));
	T_OK(cairn_plan_set(b, c, "relapse", "{\"triggers\":[\"payday\"]}", NULL)); /* another plan: no conflict */
	T_OK(cross(a, b, x));
	snprintf(want, sizeof(want), "%s/safety:2", c);
	cairn_journal *all[] = {a, b, x};
	for (int i = 0; i < 3; i++) {
		plan_conflicts(all[i], got, sizeof(got));
		T_CHECKF(!strcmp(got, want), "journal %d: got '%s', want '%s'", i, got, want);
	}
	T_CHECK(same_digest(a, b) && same_digest(a, x));
	T_CHECK(counted_once(x));
	/* the values: what each head holds that the other does not, audited for the person */
	int before = audit_count(a, c, "conflicts");
	T_OK(cairn_conflict_values(a, &vals));
	json_t *v = json_loads(vals, 0, NULL), *e = json_array_get(v, 0), *ev = json_object_get(e, "values");
	const char *s0 = json_string_value(json_object_get(json_array_get(ev, 0), "value")),
	           *s1 = json_string_value(json_object_get(json_array_get(ev, 1), "value"));
	T_CHECKF(json_array_size(v) == 1 && !strcmp(json_string_value(json_object_get(e, "field")), "plan") &&
	                 !strcmp(json_string_value(json_object_get(e, "plan")), "safety") &&
	                 !strcmp(json_string_value(json_object_get(e, "name")), "Jo Mbeki") &&
	                 json_array_size(ev) == 2 && s0 && s1 &&
	                 ((!strcmp(s0, "coping: walk the dog, call Sam; helpers: Aunt May") &&
	                   !strcmp(s1, "coping: walk the dog; helpers: Aunt May, Pastor Lee")) ||
	                  (!strcmp(s1, "coping: walk the dog, call Sam; helpers: Aunt May") &&
	                   !strcmp(s0, "coping: walk the dog; helpers: Aunt May, Pastor Lee"))) &&
	                 json_object_get(json_object_get(json_array_get(ev, 0), "sections"), "reasons"),
	         "values: %s", vals);
	T_CHECK(audit_count(a, c, "conflicts") == before + 1);
	json_decref(v);
	cairn_free(vals);
	char *list = NULL;
	T_OK(cairn_plan_conflicts(b, &list));
	T_CHECKF(strstr(list, c) && strstr(list, "safety") && !strstr(list, "relapse"), "plan conflicts: %s", list);
	cairn_free(list);
	/* a version of another person's plan naming one of these heads (only a modified client writes one)
	 * leaves them heads */
	char *shown = NULL, hostile[400];
	T_OK(cairn_plan_show(x, c, "safety", NULL, &shown));
	json_t *sp = json_loads(shown, 0, NULL);
	snprintf(hostile, sizeof(hostile),
	         "{\"contact\":\"%s\",\"date\":\"2026-11-20\",\"sections\":{\"coping\":[\"music\"]},"
	         "\"seen\":[\"%s\"],\"type\":\"safety\"}",
	         "01890000-0000-7000-8000-00000000c0c0",
	         json_string_value(json_array_get(json_object_get(sp, "heads"), 0)));
	T_OK(cairn_event_append(x, "plan.version", NULL, hostile, NULL));
	json_decref(sp);
	cairn_free(shown);
	plan_conflicts(x, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/safety:2", c);
	T_CHECKF(!strcmp(got, want), "after another plan named a head: got '%s', want '%s'", got, want);
	/* and a third version naming nothing makes three */
	snprintf(hostile, sizeof(hostile),
	         "{\"contact\":\"%s\",\"date\":\"2026-11-20\",\"sections\":{\"coping\":[\"music\"]},"
	         "\"seen\":[],\"type\":\"safety\"}",
	         c);
	T_OK(cairn_event_append(x, "plan.version", NULL, hostile, NULL));
	plan_conflicts(x, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/safety:3", c);
	T_CHECKF(!strcmp(got, want), "a third head: got '%s', want '%s'", got, want);
	/* not for cairn_conflict_resolve: a new version decides it, on every journal */
	T_CHECK(cairn_conflict_resolve(a, c, "plan", "x", 0, &vals) == CAIRN_EINVAL);
	T_OK(cairn_plan_set(x, c, "safety", "{\"helpers\":[\"Aunt May\",\"Pastor Lee\"]}", NULL));
	T_OK(sync_into(a, x));
	T_OK(sync_into(b, x));
	T_OK(sync_into(b, a)); /* and a's audit entry */
	T_OK(sync_into(x, a));
	for (int i = 0; i < 3; i++) {
		plan_conflicts(all[i], got, sizeof(got));
		T_CHECKF(!*got, "journal %d after the decision: %s", i, got);
	}
	T_CHECKF(conflict_list_scans(a) == 0, "no conflict open, %ld full-scan steps", conflict_list_scans(a));
	T_CHECKF(list_scans(a, cairn_plan_conflicts) == 0, "plan conflicts: %ld full-scan steps",
	         list_scans(a, cairn_plan_conflicts));
	T_CHECK(same_digest(a, b) && same_digest(a, x));

	/* Two records of one person, each with a safety plan, are two plans until a merge makes them one: two
	 * heads, listed under the survivor, in whichever order the merge and the versions arrive. A version
	 * written through the merged-away id decides it. */
	cairn_journal *m = fresh(), *n = fresh(), *y = fresh();
	char e1[CAIRN_ID_LEN], e2[CAIRN_ID_LEN];
	T_REQUIRE(m && n && y);
	T_OK(cairn_contact_set(m, NULL, "{\"name\":\"Ray Diaz\"}", e1));
	T_OK(cairn_plan_set(m, e1, "safety", "{\"coping\":[\"music\"]}", NULL));
	T_OK(cairn_contact_set(n, NULL, "{\"name\":\"Raymond Diaz\"}", e2));
	T_OK(cairn_plan_set(n, e2, "safety", "{\"coping\":[\"running\"]}", NULL));
	T_OK(sync_into(m, n));
	plan_conflicts(m, got, sizeof(got));
	T_CHECKF(!*got, "two people's plans: %s", got);
	T_OK(cairn_contact_merge(m, e1, e2));
	const char *survivor = strcmp(e1, e2) < 0 ? e1 : e2, *other = survivor == e1 ? e2 : e1;
	snprintf(want, sizeof(want), "%s/safety:2", survivor);
	t_evlist evs = {0};
	T_OK(cairn_events_foreach(m, NULL, 1, 0, t_evlist_collect, &evs));
	for (size_t k = evs.n; k-- > 0;) /* the merge first, the versions after */
		T_CHECK(cairn_event_ingest(y, &evs.ev[k]) >= 0);
	t_evlist_free(&evs);
	T_OK(sync_into(n, m));
	cairn_journal *merged[] = {m, n, y};
	for (int i = 0; i < 3; i++) {
		plan_conflicts(merged[i], got, sizeof(got));
		T_CHECKF(!strcmp(got, want), "merged, journal %d: got '%s', want '%s'", i, got, want);
	}
	T_CHECK(same_digest(m, n) && same_digest(m, y));
	T_OK(cairn_plan_set(n, other, "safety", "{\"coping\":[\"music\",\"running\"]}", NULL));
	T_OK(sync_into(m, n));
	T_OK(sync_into(y, n));
	for (int i = 0; i < 3; i++) {
		plan_conflicts(merged[i], got, sizeof(got));
		T_CHECKF(!*got, "merged, journal %d after the decision: %s", i, got);
	}
	T_CHECK(same_digest(m, n) && same_digest(m, y));

	/* A journal from before 0017 gains its open plan conflicts when it is upgraded. */
	T_OK(cairn_plan_set(m, e1, "relapse", "{\"places\":[\"the park\"]}", NULL));
	T_OK(cairn_plan_set(n, e2, "relapse", "{\"places\":[\"the bar\"]}", NULL));
	T_OK(sync_into(m, n));
	snprintf(want, sizeof(want), "%s/relapse:2", survivor);
	m = reopen_undone(m,
	                  "DROP TABLE plan_heads; DROP TABLE plan_counts; DELETE FROM migrations WHERE version >= 17");
	T_REQUIRE(m);
	plan_conflicts(m, got, sizeof(got));
	T_CHECKF(!strcmp(got, want), "upgraded journal: got '%s', want '%s'", got, want);
	/* and one made while 0017 kept plan_conflicts (before 0019's counts) */
	m = reopen_undone(m, "DROP TABLE plan_counts; CREATE TABLE plan_conflicts (person TEXT NOT NULL, type TEXT "
	                     "NOT NULL, heads INTEGER NOT NULL, PRIMARY KEY (person, type)) STRICT, WITHOUT ROWID; "
	                     "DELETE FROM migrations WHERE version >= 19");
	T_REQUIRE(m);
	plan_conflicts(m, got, sizeof(got));
	T_CHECKF(!strcmp(got, want), "journal of the first 0017: got '%s', want '%s'", got, want);
	T_OK(sync_into(y, m));
	T_CHECK(same_digest(m, y));
	cairn_journal *js[] = {a, b, x, m, n, y};
	for (int i = 0; i < 6; i++)
		cairn_journal_free(js[i]);
}

/* An event of device `dev` (16 hex) at hlc `ms` << 16, ingested into `j`; 0 on success. */
static int put(cairn_journal *j, const char *dev, uint64_t seq, uint64_t ms, const char *kind, const char *entity,
               const char *body)
{
	cairn_event ev = {dev, seq, ms << 16, kind, entity, body, 1, {0}};
	cairn_event_hash(&ev, ev.hash);
	int rc = cairn_event_ingest(j, &ev);
	if (rc < 0)
		fprintf(stderr, "  ingest %s: %s\n", kind, cairn_error_last());
	return rc < 0 ? rc : 0;
}

/* The goal.add of goal `g` for person `who`. */
static const char *goal_add_body(char *buf, size_t n, const char *who)
{
	snprintf(buf, n,
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"domain\":\"health\",\"status\":\"active\","
	         "\"steps\":[],\"text\":\"see a dentist\"}",
	         who);
	return buf;
}

/* The review of goal status conflicts: the status shown is the newest head (a status a later one replaced
 * is not shown, even when its clock ran ahead); the goal.add's status is replaced by any other, so
 * neither a clock behind its creator's nor a status that arrives before the one it replaced raises a
 * conflict; a "seen" spelled with a JSON escape counts on upgrade as it does when applied; applying a
 * status costs in proportion to the goal's statuses, not their square; and contact list does not cost
 * more with more goal conflicts open. */
static void test_goal_status_review(void)
{
	const char *who = "01890000-0000-7000-8000-0000000000a1", *gid = "01890000-0000-7000-8000-0000000000a2";
	const char *A = "aaaaaaaaaaaaaaaa", *B = "bbbbbbbbbbbbbbbb", *C = "cccccccccccccccc";
	char add[256], got[256], want[128];
	goal_add_body(add, sizeof(add), who);

	/* (a) b's clock is behind a's: b's status, written after it saw the goal, has the lower hlc */
	cairn_journal *q = fresh();
	T_REQUIRE(q);
	T_OK(put(q, A, 1, 5000, "goal.add", gid, add));
	T_OK(put(q, B, 1, 2000, "goal.status", gid,
	         "{\"date\":\"2026-01-02\",\"seen\":[[327680000,\"aaaaaaaaaaaaaaaa\"]],\"status\":\"achieved\"}"));
	json_t *gl = goal_of(q, NULL, gid);
	T_CHECKF(gl && !strcmp(json_string_value(json_object_get(gl, "status")), "achieved") &&
	                 json_is_false(json_object_get(gl, "conflict")),
	         "the newest head is shown: %s", gl ? json_string_value(json_object_get(gl, "status")) : "none");
	json_decref(gl);
	cairn_journal_free(q);

	/* (c) the same with an old cairn's status (no seen): no conflict with the goal's first status */
	q = fresh();
	T_REQUIRE(q);
	T_OK(put(q, A, 1, 5000, "goal.add", gid, add));
	T_OK(put(q, B, 1, 2000, "goal.status", gid, "{\"date\":\"2026-01-02\",\"status\":\"paused\"}"));
	goal_conflicts(q, got, sizeof(got));
	T_CHECKF(!*got, "an old status behind the goal's clock: '%s'", got);
	cairn_journal_free(q);

	/* (b) S2 replaced S1, which replaced the add; S2 arrives first: nothing to raise, before or after */
	q = fresh();
	T_REQUIRE(q);
	T_OK(put(q, A, 1, 1000, "goal.add", gid, add));
	T_OK(put(q, B, 1, 3000, "goal.status", gid,
	         "{\"date\":\"2026-01-03\",\"seen\":[[131072000,\"aaaaaaaaaaaaaaaa\"]],\"status\":\"achieved\"}"));
	goal_conflicts(q, got, sizeof(got));
	T_CHECKF(!*got, "a status before the one it replaced: '%s'", got);
	T_OK(put(q, A, 2, 2000, "goal.status", gid,
	         "{\"date\":\"2026-01-02\",\"seen\":[[65536000,\"aaaaaaaaaaaaaaaa\"]],\"status\":\"paused\"}"));
	goal_conflicts(q, got, sizeof(got));
	T_CHECKF(!*got, "once it arrives: '%s'", got);
	cairn_journal_free(q);

	/* (d) "seen" spelled with an escape: apply reads it; so does the upgrade */
	const char *
	        s1 = "{\"date\":\"2026-01-02\",\"seen\":[[65536000,\"aaaaaaaaaaaaaaaa\"]],\"status\":\"achieved\"}",
	       *s2 = "{\"date\":\"2026-01-03\",\"se\\u0065n\":[[65536000,\"aaaaaaaaaaaaaaaa\"]],\"status\":\"dropped\"}";
	cairn_journal *p = fresh(), *u = fresh();
	T_REQUIRE(p && u);
	cairn_journal *both[] = {p, u};
	for (int k = 0; k < 2; k++) {
		T_OK(put(both[k], A, 1, 1000, "goal.add", gid, add));
		T_OK(put(both[k], B, 1, 2000, "goal.status", gid, s1));
		T_OK(put(both[k], C, 1, 3000, "goal.status", gid, s2));
	}
	snprintf(want, sizeof(want), "%s:2", gid);
	goal_conflicts(p, got, sizeof(got));
	T_CHECKF(!strcmp(got, want), "new journal: '%s'", got);
	u = reopen_undone(u, "DROP VIEW goal_status_heads; DROP TABLE goal_status_seen; DROP TABLE goal_status_listed; "
	                     "DROP TABLE goal_status_conflicts; DROP TABLE goal_status_unlisted_max; "
	                     "DELETE FROM migrations WHERE version >= 16");
	T_REQUIRE(u);
	goal_conflicts(u, got, sizeof(got));
	T_CHECKF(!strcmp(got, want), "upgraded journal: '%s'", got);
	T_CHECK(same_digest(u, p));
	cairn_journal_free(u);
	cairn_journal_free(p);

	/* (e) 400 statuses that name nothing they replaced ("seen": []): the 400th costs about four times
	 * the 100th (it cost sixteen times, and 26 s in all, when each was checked against every other) */
	q = fresh();
	T_REQUIRE(q);
	T_OK(put(q, A, 1, 1000, "goal.add", gid, add));
	long at100 = 0, at400 = 0;
	for (uint64_t n = 1; n <= 400; n++) {
		if (n == 100 || n == 400)
			vm_begin(q);
		T_OK(put(q, B, n, 1000 + n, "goal.status", gid,
		         "{\"date\":\"2026-01-02\",\"seen\":[],\"status\":\"paused\"}"));
		if (n == 100)
			at100 = vm_end(q);
		if (n == 400)
			at400 = vm_end(q);
	}
	T_CHECKF(at100 > 0 && at400 < 8 * at100, "VM steps to apply the 100th status %ld, the 400th %ld", at100, at400);
	cairn_journal_free(q);

	/* (f) contact list with 1 and with 40 goals in conflict among 120 people: about the same cost */
	q = fresh();
	T_REQUIRE(q);
	char person[CAIRN_ID_LEN], goal[CAIRN_ID_LEN], body[256];
	long one = 0, forty = 0;
	char *out = NULL;
	for (int i = 0; i < 120; i++) {
		snprintf(person, sizeof(person), "01890000-0000-7000-8001-%012d", i);
		snprintf(goal, sizeof(goal), "01890000-0000-7000-8002-%012d", i);
		snprintf(body, sizeof(body), "{\"fields\":{\"name\":\"P%d\"},\"seen\":{}}", i);
		T_OK(put(q, A, (uint64_t)(3 * i + 1), (uint64_t)(10 * i + 1000), "contact.set", person, body));
		T_OK(put(q, A, (uint64_t)(3 * i + 2), (uint64_t)(10 * i + 1001), "goal.add", goal,
		         goal_add_body(add, sizeof(add), person)));
	}
	for (int i = 0; i < 40; i++) {
		snprintf(goal, sizeof(goal), "01890000-0000-7000-8002-%012d", i);
		T_OK(put(q, B, (uint64_t)(2 * i + 1), (uint64_t)(5000 + i), "goal.status", goal,
		         "{\"date\":\"2026-01-02\",\"seen\":[],\"status\":\"paused\"}"));
		T_OK(put(q, C, (uint64_t)(2 * i + 1), (uint64_t)(5000 + i), "goal.status", goal,
		         "{\"date\":\"2026-01-02\",\"seen\":[],\"status\":\"achieved\"}"));
		if (i == 0 || i == 39) {
			vm_begin(q);
			T_OK(cairn_contact_list(q, 0, &out));
			cairn_free(out), out = NULL;
			*(i ? &forty : &one) = vm_end(q);
		}
	}
	T_CHECKF(t_field_conflicts(q, "goal", "goal", NULL) == 40, "%d goals in conflict",
	         t_field_conflicts(q, "goal", "goal", NULL));
	T_CHECKF(one > 0 && forty < one + one / 2, "contact list VM steps: %ld with 1 goal conflict, %ld with 40", one,
	         forty);
	cairn_journal_free(q);
}

/* Plan versions a modified client could write, or that arrive before their person's record: the values
 * of a conflict whose person has not arrived are audited for that person; a section that is not a list
 * does not break cairn_conflict_values (it broke the whole list, for every record); versions of a type
 * cairn does not know raise no conflict nobody could decide; a version naming itself does not hide its
 * plan. */
static void test_plan_conflict_hostile(void)
{
	const char *who = "01890000-0000-7000-8000-0000000000e9", *B = "bbbbbbbbbbbbbbbb", *C = "cccccccccccccccc";
	char body[400], *out = NULL, got[200], want[200];
	cairn_journal *q = fresh();
	T_REQUIRE(q);
	/* two concurrent versions, the person's record not held: listed, and audited for the person */
	snprintf(body, sizeof(body),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"sections\":{\"coping\":[\"walk\"]},\"seen\":[],"
	         "\"type\":\"safety\"}",
	         who);
	T_OK(put(q, B, 1, 1000, "plan.version", "01890000-0000-7000-8004-000000000001", body));
	snprintf(body, sizeof(body),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"sections\":{\"coping\":\"run\"},\"seen\":[],"
	         "\"type\":\"safety\"}",
	         who);
	T_OK(put(q, C, 1, 1001, "plan.version", "01890000-0000-7000-8004-000000000002", body));
	plan_conflicts(q, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/safety:2", who);
	T_CHECKF(!strcmp(got, want), "got '%s', want '%s'", got, want);
	int before = audit_count(q, who, "conflicts");
	T_CHECKF(cairn_conflict_values(q, &out) == 0 && out && strstr(out, "\"coping: \\\"run\\\"\"") &&
	                 strstr(out, "\"coping: walk\""),
	         "values with a section that is not a list: %s (%s)", out ? out : "none", cairn_error_last());
	T_CHECKF(audit_count(q, who, "conflicts") == before + 1, "audit entries %d, were %d",
	         audit_count(q, who, "conflicts"), before);
	cairn_free(out), out = NULL;
	/* a type cairn does not know: kept, no conflict */
	for (int k = 0; k < 2; k++) {
		snprintf(body, sizeof(body),
		         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"sections\":{},\"seen\":[],\"type\":\"Safety\"}",
		         who);
		T_OK(put(q, k ? C : B, 2, 1002 + (uint64_t)k, "plan.version",
		         k ? "01890000-0000-7000-8004-000000000004" : "01890000-0000-7000-8004-000000000003", body));
	}
	plan_conflicts(q, got, sizeof(got));
	snprintf(want, sizeof(want), "%s/safety:2", who);
	T_CHECKF(!strcmp(got, want), "after two versions of type 'Safety': '%s'", got);
	/* a version naming itself and both heads decides the conflict and is the plan */
	snprintf(body, sizeof(body),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-02\",\"sections\":{\"coping\":[\"walk\",\"run\"]},"
	         "\"seen\":[\"01890000-0000-7000-8004-000000000005\",\"01890000-0000-7000-8004-000000000001\","
	         "\"01890000-0000-7000-8004-000000000002\"],\"type\":\"safety\"}",
	         who);
	T_OK(put(q, B, 3, 1004, "plan.version", "01890000-0000-7000-8004-000000000005", body));
	plan_conflicts(q, got, sizeof(got));
	T_CHECKF(!*got, "after a version naming itself and both heads: '%s'", got);
	T_CHECKF(cairn_plan_show(q, who, "safety", NULL, &out) == 0 && out &&
	                 strstr(out, "\"version\":\"01890000-0000-7000-8004-000000000005\""),
	         "plan show: %s (%s)", out ? out : "none", cairn_error_last());
	cairn_free(out);
	cairn_journal_free(q);
}

/* A referral recorded completed on one device and failed on another, neither seeing the other, has been
 * flagged for review since the lattice was written; it is listed by cairn_conflict_list with the other
 * conflicts (schema 0018), counted, its values audited, in every order; a reopen with the outcome that
 * stands decides it, and a strike makes it moot. */
static void test_referral_clash(void)
{
	cairn_journal *a = fresh(), *b = fresh(), *x = fresh();
	char c[CAIRN_ID_LEN], r[CAIRN_ID_LEN], want[200], got[300], *vals = NULL;
	T_REQUIRE(a && b && x);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Kit Moreno\"}", c));
	T_OK(cairn_referral_add(a, c, "{\"category\":\"housing\",\"to\":\"Harbor House\"}", r));
	T_OK(cairn_referral_status(a, r, "{\"state\":\"accepted\"}"));
	T_OK(sync_into(b, a));
	T_OK(cairn_referral_status(a, r, "{\"state\":\"completed\",\"outcome\":\"placed\"}"));
	T_OK(cairn_referral_status(b, r, "{\"state\":\"failed\",\"outcome\":\"no-capacity\"}"));
	T_OK(cross(a, b, x));
	snprintf(want, sizeof(want), "%s:2", r);
	cairn_journal *all[] = {a, b, x};
	for (int i = 0; i < 3; i++) {
		record_conflicts(all[i], "referral", got, sizeof(got));
		T_CHECKF(!strcmp(got, want), "journal %d: got '%s', want '%s'", i, got, want);
	}
	T_CHECK(same_digest(a, b) && same_digest(a, x));
	T_CHECK(counted_once(x));
	int before = audit_count(a, c, "conflicts");
	T_OK(cairn_conflict_values(a, &vals));
	json_t *v = json_loads(vals, 0, NULL), *e = json_array_get(v, 0), *ev = json_object_get(e, "values");
	const char *s0 = json_string_value(json_object_get(json_array_get(ev, 0), "value")),
	           *s1 = json_string_value(json_object_get(json_array_get(ev, 1), "value"));
	T_CHECKF(json_array_size(v) == 1 && !strcmp(json_string_value(json_object_get(e, "field")), "referral") &&
	                 !strcmp(json_string_value(json_object_get(e, "contact")), c) &&
	                 !strcmp(json_string_value(json_object_get(e, "to")), "Harbor House") &&
	                 json_array_size(ev) == 2 && s0 && s1 && newer(json_array_get(ev, 0), json_array_get(ev, 1)) &&
	                 ((!strcmp(s0, "completed (placed)") && !strcmp(s1, "failed (no-capacity)")) ||
	                  (!strcmp(s1, "completed (placed)") && !strcmp(s0, "failed (no-capacity)"))),
	         "values: %s", vals);
	T_CHECK(audit_count(a, c, "conflicts") == before + 1);
	json_decref(v);
	cairn_free(vals);
	T_CHECK(cairn_conflict_resolve(a, c, "referral", "x", 0, &vals) == CAIRN_EINVAL);
	/* decided: the outcome that stands, in a new round */
	T_OK(cairn_referral_status(x, r, "{\"state\":\"completed\",\"outcome\":\"placed\",\"reopen\":true}"));
	T_OK(sync_into(a, x));
	T_OK(sync_into(b, x));
	T_OK(sync_into(b, a));
	T_OK(sync_into(x, a));
	for (int i = 0; i < 3; i++) {
		record_conflicts(all[i], "referral", got, sizeof(got));
		T_CHECKF(!*got, "journal %d after the decision: %s", i, got);
	}
	T_CHECKF(conflict_list_scans(a) == 0, "no conflict open, %ld full-scan steps", conflict_list_scans(a));
	T_CHECK(same_digest(a, b) && same_digest(a, x));
	/* a clash on a referral entered in error is moot */
	char r2[CAIRN_ID_LEN];
	T_OK(cairn_referral_add(a, c, "{\"category\":\"mat\",\"to\":\"Bayside\"}", r2));
	T_OK(sync_into(b, a));
	T_OK(cairn_referral_status(a, r2, "{\"state\":\"cancelled\"}"));
	T_OK(cairn_referral_status(b, r2, "{\"state\":\"rejected\"}"));
	T_OK(sync_into(a, b));
	record_conflicts(a, "referral", got, sizeof(got));
	snprintf(want, sizeof(want), "%s:2", r2);
	T_CHECKF(!strcmp(got, want), "second clash: got '%s', want '%s'", got, want);
	T_OK(cairn_referral_status(a, r2, "{\"state\":\"entered-in-error\"}"));
	record_conflicts(a, "referral", got, sizeof(got));
	T_CHECKF(!*got, "struck: %s", got);
	cairn_journal_free(a);
	cairn_journal_free(b);
	cairn_journal_free(x);
}

/* Applying a plan version costs a lookup per version it names, not a walk of the plan's history nor a
 * count of its heads: in a chain of 400 versions (each naming the one before) and in 400 versions naming
 * nothing (400 heads), the 400th costs about what the 100th does. Recomputing the plan from every version
 * made the chain's 400th cost 3.6 times the 100th (importing 8,000 versions took 24 s); counting the
 * heads at every arrival made 16,000 heads take 40 s to import. Listing their values grows with the heads. */
static void test_plan_conflict_cost(void)
{
	const char *who = "01890000-0000-7000-8000-0000000000f1", *A = "aaaaaaaaaaaaaaaa", *B = "bbbbbbbbbbbbbbbb";
	char id[CAIRN_ID_LEN], prev[CAIRN_ID_LEN] = "", body[400], got[200];
	long cost[2][2] = {{0}}, listing[2] = {0};
	for (int chain = 1; chain >= 0; chain--) {
		cairn_journal *q = fresh();
		T_REQUIRE(q);
		T_OK(put(q, A, 1, 1000, "contact.set", who, "{\"fields\":{\"name\":\"Lee\"},\"seen\":{}}"));
		for (uint64_t n = 1; n <= 400; n++) {
			snprintf(id, sizeof(id), "01890000-0000-7000-8003-%012llu", (unsigned long long)n);
			snprintf(
			        body, sizeof(body),
			        "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"sections\":{\"coping\":[\"step %llu\"]},"
			        "\"seen\":[%s%s%s],\"type\":\"safety\"}",
			        who, (unsigned long long)n, chain && *prev ? "\"" : "", chain ? prev : "",
			        chain && *prev ? "\"" : "");
			if (n == 100 || n == 400)
				vm_begin(q);
			T_OK(put(q, B, n, 1000 + n, "plan.version", id, body));
			if (n == 100 || n == 400)
				cost[chain][n == 400] = vm_end(q);
			if (!chain && (n == 100 || n == 400)) { /* the values of n heads */
				char *vals = NULL;
				vm_begin(q);
				T_OK(cairn_conflict_values(q, &vals));
				listing[n == 400] = vm_end(q);
				T_CHECK(vals && strstr(vals, "coping: step 1\""));
				cairn_free(vals);
			}
			snprintf(prev, sizeof(prev), "%s", id);
		}
		plan_conflicts(q, got, sizeof(got));
		T_CHECKF(chain ? !*got : strstr(got, "/safety:400") != NULL, "%s: '%s'", chain ? "chain" : "heads",
		         got);
		cairn_journal_free(q);
		prev[0] = '\0';
	}
	T_CHECKF(cost[1][0] > 0 && cost[1][1] < 2 * cost[1][0],
	         "a chain: VM steps of the 100th version %ld, the 400th %ld", cost[1][0], cost[1][1]);
	T_CHECKF(cost[0][0] > 0 && cost[0][1] < 2 * cost[0][0],
	         "400 heads: VM steps of the 100th version %ld, the 400th %ld", cost[0][0], cost[0][1]);
	/* listing the values grows with the heads, not with their square (comparing them pairwise in SQL
	 * made 800 heads take 19 s) */
	T_CHECKF(listing[0] > 0 && listing[1] < 6 * listing[0], "values of 100 heads: %ld VM steps, of 400: %ld",
	         listing[0], listing[1]);
}

/* Records a modified client could write, which apply takes (it checks types, not every element), must
 * not crash the commands that later read them: a safety plan whose professionals are not strings, a
 * consent whose categories are not strings. A GPRA secret that is not hex is refused; one stored before
 * that check is passed over, so exports keep working. */
static void test_hostile_records(void)
{
	const char *who = "01890000-0000-7000-8000-0000000000b1", *B = "bbbbbbbbbbbbbbbb";
	char body[512], *out = NULL, *cid = NULL;
	cairn_journal *q = fresh();
	T_REQUIRE(q);
	T_OK(put(q, B, 1, 1000, "contact.set", who, "{\"fields\":{\"name\":\"Hal\"},\"seen\":{}}"));
	snprintf(body, sizeof(body),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"sections\":{\"professionals\":[1,{\"x\":2},null]},"
	         "\"seen\":[],\"type\":\"safety\"}",
	         who);
	T_OK(put(q, B, 2, 1001, "plan.version", "01890000-0000-7000-8000-0000000000b2", body));
	T_OK(cairn_plan_set(q, who, "safety", "{\"reasons\":[\"my kids\"]}", NULL));
	T_OK(cairn_plan_show(q, who, "safety", NULL, &out));
	T_CHECKF(out && strstr(out, "988"), "the new version lists the Lifeline: %s", out ? out : "");
	cairn_free(out), out = NULL;
	snprintf(body, sizeof(body),
	         "{\"contact\":\"%s\",\"discloser\":\"P\",\"expires\":\"2099-01-01\",\"info\":[1,{},\"notes\"],"
	         "\"method\":\"wet\",\"purpose\":\"care\",\"recipient\":\"Clinic\",\"revocable\":\"yes\","
	         "\"signed_date\":\"2026-01-01\",\"signed_name\":\"Hal\"}",
	         who);
	T_OK(put(q, B, 3, 1002, "consent.grant", "01890000-0000-7000-8000-0000000000b3", body));
	T_OK(cairn_disclose(q, who, "clinic", "care", "notes", NULL, &cid));
	T_CHECK(cid != NULL);
	cairn_free(cid);
	T_CHECK(cairn_disclose(q, who, "clinic", "care", "referrals", NULL, NULL) == CAIRN_ECONSENT);
	/* a version of another person's plan naming Hal's in its seen: Hal's plan is not hidden by it */
	const char *other = "01890000-0000-7000-8000-0000000000b5";
	char *mine = NULL, seenbody[512];
	T_OK(put(q, B, 5, 1004, "contact.set", other, "{\"fields\":{\"name\":\"Ola\"},\"seen\":{}}"));
	T_OK(cairn_plan_show(q, who, "safety", NULL, &mine));
	json_t *pv = json_loads(mine ? mine : "{}", 0, NULL);
	snprintf(seenbody, sizeof(seenbody),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-02\",\"sections\":{\"reasons\":[\"x\"]},\"seen\":[\"%s\"],"
	         "\"type\":\"safety\"}",
	         other, json_string_value(json_object_get(pv, "version")));
	T_OK(put(q, B, 6, 1005, "plan.version", "01890000-0000-7000-8000-0000000000b6", seenbody));
	char *after = NULL;
	T_CHECKF(cairn_plan_show(q, who, "safety", NULL, &after) == 0 && after &&
	                 strstr(after, json_string_value(json_object_get(pv, "version"))),
	         "Hal's plan after another person's version named it: %s (%s)", after ? after : "none",
	         cairn_error_last());
	T_OK(cairn_plan_conflicts(q, &out));
	T_CHECKF(out && !strcmp(out, "[]"), "plan conflicts: %s", out ? out : "");
	cairn_free(out), out = NULL;
	cairn_free(after);
	cairn_free(mine);
	json_decref(pv);
	/* the public append takes only what a segment can carry: a kind of [a-z0-9._-], a JSON object */
	char *st0 = NULL, *st1 = NULL;
	T_OK(cairn_journal_stats(q, &st0));
	T_CHECK(cairn_event_append(q, "Bad Kind", NULL, "{}", NULL) == CAIRN_EINVAL);
	T_CHECK(cairn_event_append(q, "x.later", NULL, "not json", NULL) == CAIRN_EINVAL);
	T_CHECK(cairn_event_append(q, "x.later", NULL, "[1]", NULL) == CAIRN_EINVAL);
	T_CHECK(cairn_event_append(q, NULL, NULL, "{}", NULL) == CAIRN_EINVAL);
	T_OK(cairn_journal_stats(q, &st1));
	T_CHECKF(st0 && st1 && !strcmp(st0, st1), "nothing stored: %s / %s", st0, st1);
	cairn_free(st0);
	cairn_free(st1);
	T_OK(cairn_event_append(q, "x.later", NULL, "{\"from\":\"a newer cairn\"}", NULL)); /* kept, not applied */
	/* not hex: refused */
	const char *bad = "{\"secret\":\"zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}";
	T_CHECK(put(q, B, 4, 1003, "gpra.secret", "01890000-0000-7000-8000-0000000000b4", bad) < 0);
	/* stored before the check, with the smallest (hlc, device): passed over; exports mint and use another */
	T_OK(cairn__exec(q, "INSERT INTO gpra_secrets (hlc, device, secret) VALUES (1, '0000000000000000', "
	                    "'zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')"));
	T_OK(cairn_gpra_interview(q, who, "{\"grant\":\"SM-1\",\"type\":\"intake\",\"date\":\"2026-01-05\"}", NULL));
	T_OK(cairn_gpra_export(q, "SM-1", "2026-01-01", "2026-12-31", &out));
	T_CHECKF(out && strchr(out, '\n'), "export: %s (%s)", out ? out : "", cairn_error_last());
	cairn_free(out);
	cairn_journal_free(q);
}

/* A device on a cairn that did not know a kind keeps such events in its log without applying them; the
 * first cairn that knows the kind applies them when it opens the journal, so the upgraded device ends as
 * one that knew them from the start (and does it once). */
static void test_kinds_catch_up(void)
{
	const char *who = "01890000-0000-7000-8000-0000000000d5", *gid = "01890000-0000-7000-8000-0000000000d6";
	const char *A = "aaaaaaaaaaaaaaaa";
	char add[256], *out = NULL;
	cairn_journal *p = fresh(), *u = fresh();
	T_REQUIRE(p && u);
	goal_add_body(add, sizeof(add), who);
	cairn_journal *both[] = {p, u};
	for (int k = 0; k < 2; k++) {
		T_OK(put(both[k], A, 1, 1000, "contact.set", who, "{\"fields\":{\"name\":\"Ike\"},\"seen\":{}}"));
		T_OK(put(both[k], A, 2, 2000, "goal.add", gid, add));
		T_OK(put(
		        both[k], A, 3, 3000, "goal.status", gid,
		        "{\"date\":\"2026-01-02\",\"seen\":[[131072000,\"aaaaaaaaaaaaaaaa\"]],\"status\":\"achieved\"}"));
	}
	/* u as a cairn without goals left it: the events stored, nothing applied, the list without them */
	u = reopen_undone(u,
	                  "DELETE FROM goals; DELETE FROM goal_status; DELETE FROM goal_status_listed; "
	                  "DELETE FROM goal_status_seen; DELETE FROM goal_status_unlisted_max; "
	                  "UPDATE sync_state SET value = replace(replace(value, 'goal.add,', ''), 'goal.status,', '') "
	                  "WHERE key = 'kinds_known'");
	T_REQUIRE(u);
	T_CHECK(same_digest(u, p)); /* before any view: goal list writes audit entries */
	json_t *g = goal_of(u, NULL, gid);
	T_CHECKF(g && !strcmp(json_string_value(json_object_get(g, "status")), "achieved"),
	         "goal after the upgrade: %s", g ? json_string_value(json_object_get(g, "status")) : "missing");
	json_decref(g);
	/* once: the list now has the kinds, and opening again applies nothing */
	T_OK(cairn__exec(u, "DELETE FROM goal_status"));
	u = reopen_undone(u, "SELECT 1");
	T_REQUIRE(u);
	T_OK(cairn_goal_list(u, NULL, &out));
	T_CHECKF(out && !strstr(out, "achieved"), "nothing applied twice: %s", out ? out : "");
	cairn_free(out);
	cairn_journal_free(u);
	cairn_journal_free(p);
}

static void test_merge_converges(void)
{
	cairn_journal *a = fresh(), *b = fresh();
	char x[CAIRN_ID_LEN], y[CAIRN_ID_LEN], z[CAIRN_ID_LEN];
	T_REQUIRE(a && b);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Sam Ortiz\"}", x));
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Samuel Ortiz\"}", y));
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"S. Ortiz\"}", z));
	T_OK(sync_into(b, a));
	/* Opposite directions, different pairs, concurrently. */
	T_OK(cairn_contact_merge(a, y, x));
	T_OK(cairn_contact_merge(b, z, y));
	T_OK(sync_into(a, b));
	T_OK(sync_into(b, a));
	T_CHECK(same_digest(a, b));
	char *list = NULL;
	T_OK(cairn_contact_list(a, 0, &list));
	json_t *l = json_loads(list, 0, NULL);
	T_CHECK(json_array_size(l) == 1);
	const char *min = strcmp(x, y) < 0 ? (strcmp(x, z) < 0 ? x : z) : (strcmp(y, z) < 0 ? y : z);
	T_CHECK(!strcmp(json_string_value(json_object_get(json_array_get(l, 0), "id")), min));
	json_decref(l);
	cairn_free(list);
	T_CHECK(cairn_contact_merge(a, x, z) == CAIRN_EINVAL); /* already one person */
	cairn_journal_free(a);
	cairn_journal_free(b);
}

static json_t *referral(cairn_journal *j, const char *contact)
{
	char *out = NULL;
	json_t *l;
	if (cairn_referral_list(j, contact, &out))
		return NULL;
	l = json_loads(out, 0, NULL);
	cairn_free(out);
	json_t *r = json_incref(json_array_get(l, 0));
	json_decref(l);
	return r;
}

static void test_referral_lattice(void)
{
	cairn_journal *a = fresh(), *b = fresh();
	char c[CAIRN_ID_LEN], r[CAIRN_ID_LEN];
	json_t *o;
	T_REQUIRE(a && b);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Ines Park\"}", c));
	T_OK(cairn_referral_add(a, c, "{\"category\":\"housing\",\"to\":\"Hope House\"}", r));
	T_OK(sync_into(b, a));
	T_OK(cairn_referral_status(a, r, "{\"state\":\"accepted\",\"reporter\":\"receiver\"}"));
	T_OK(cairn_referral_status(a, r, "{\"state\":\"completed\",\"outcome\":\"placed\"}"));
	T_OK(cairn_referral_status(b, r, "{\"state\":\"failed\",\"outcome\":\"unreachable\"}"));
	T_OK(sync_into(a, b));
	T_OK(sync_into(b, a));
	T_CHECK(same_digest(a, b));
	o = referral(a, c);
	T_REQUIRE(o);
	T_CHECK(!strcmp(json_string_value(json_object_get(o, "state")), "completed"));
	T_CHECK(json_is_true(json_object_get(o, "review")));
	T_CHECK(json_array_size(json_object_get(o, "history")) == 4);
	json_decref(o);
	/* A lower state in a closed generation is refused; reopen starts generation 1. */
	T_CHECK(cairn_referral_status(a, r, "{\"state\":\"accepted\"}") == CAIRN_EINVAL);
	T_OK(cairn_referral_status(a, r, "{\"state\":\"requested\",\"reopen\":true}"));
	T_OK(cairn_referral_status(a, r, "{\"state\":\"on-hold\"}"));
	o = referral(a, c);
	T_CHECK(json_integer_value(json_object_get(o, "gen")) == 1);
	T_CHECK(!strcmp(json_string_value(json_object_get(o, "state")), "requested"));
	T_CHECK(json_is_true(json_object_get(o, "on_hold")));
	T_CHECK(json_is_false(json_object_get(o, "review")));
	json_decref(o);
	T_OK(cairn_referral_status(a, r, "{\"state\":\"received\"}"));
	o = referral(a, c);
	T_CHECK(json_is_false(json_object_get(o, "on_hold"))); /* any later event clears the hold */
	json_decref(o);
	cairn_journal_free(a);
	cairn_journal_free(b);
}

static void test_notes_immutable(void)
{
	cairn_journal *a = fresh();
	char c[CAIRN_ID_LEN], n[CAIRN_ID_LEN];
	T_REQUIRE(a);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Theo Banks\"}", c));
	T_OK(cairn_note_add(a, c, "{\"text\":\"met at the warming center\",\"date\":\"2026-11-02\"}", n));
	T_OK(cairn_note_amend(a, n, "met at the day shelter", "wrong place"));
	json_t *s = show(a, c);
	json_t *note = json_array_get(json_object_get(s, "notes"), 0);
	T_CHECK(!strcmp(json_string_value(json_object_get(note, "text")), "met at the day shelter"));
	T_CHECK(!strcmp(json_string_value(json_object_get(note, "original_text")), "met at the warming center"));
	json_decref(s);
	char *hits = NULL;
	T_OK(cairn_search(a, "shelter", &hits));
	T_CHECK(strstr(hits, n) != NULL);
	cairn_free(hits);
	T_OK(cairn_note_strike(a, n, "wrong person"));
	T_CHECK(cairn_note_strike(a, n, "again") == CAIRN_EINVAL);
	T_CHECK(cairn_note_amend(a, n, "x", NULL) == CAIRN_EINVAL);
	T_CHECK(cairn_note_add(a, c, "{\"text\":\"x\",\"date\":\"2026-02-30\"}", NULL) == CAIRN_EINVAL);
	T_CHECK(cairn_note_add(a, c, "{\"text\":\"x\",\"kind\":\"party\"}", NULL) == CAIRN_EINVAL);
	cairn_journal_free(a);
}

/* Search is the caseload's: a struck note (entered in error, perhaps about the wrong person) and a deleted
 * person, with their notes, are not found; a restore brings them back, the strike stays. */
static int finds(cairn_journal *j, const char *q, const char *id);

static void test_search_leaves_out_struck_and_deleted(void)
{
	cairn_journal *a = fresh();
	char c[CAIRN_ID_LEN], d[CAIRN_ID_LEN], n1[CAIRN_ID_LEN], n2[CAIRN_ID_LEN], n3[CAIRN_ID_LEN];
	T_REQUIRE(a);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Wren Marsh\"}", c));
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Wren Halloway\"}", d));
	T_OK(cairn_note_add(a, c, "{\"text\":\"talked about the bakery job\",\"date\":\"2026-11-02\"}", n1));
	T_OK(cairn_note_add(a, c, "{\"text\":\"bakery shift went well\",\"date\":\"2026-11-03\"}", n2));
	T_OK(cairn_note_add(a, d, "{\"text\":\"asked about the bakery too\",\"date\":\"2026-11-03\"}", n3));
	T_CHECK(finds(a, "bakery", n1) && finds(a, "bakery", n2) && finds(a, "bakery", n3));
	T_OK(cairn_note_strike(a, n1, "wrong person"));
	T_CHECK(!finds(a, "bakery", n1) && finds(a, "bakery", n2));
	T_OK(cairn_contact_delete(a, d, 0));
	T_CHECK(!finds(a, "bakery", n3) && !finds(a, "Halloway", d));
	T_CHECK(finds(a, "Marsh", c) && finds(a, "bakery", n2));
	/* a merged-away record of a deleted person is not found either, by its name or its notes */
	T_OK(cairn_contact_delete(a, d, 1));
	T_OK(cairn_contact_merge(a, c, d));
	T_OK(cairn_contact_delete(a, c, 0));
	T_CHECK(!finds(a, "Halloway", d) && !finds(a, "Marsh", c) && !finds(a, "bakery", n2) &&
	        !finds(a, "bakery", n3));
	T_OK(cairn_contact_delete(a, c, 1));
	T_CHECK(finds(a, "Halloway", d) && finds(a, "bakery", n2) && finds(a, "bakery", n3) && !finds(a, "bakery", n1));
	cairn_journal_free(a);
}

/* The search index follows a note's current text (schema 0009: it reads note_text and keeps no copy). */
static int fts_ok(cairn_journal *j)
{
	return sqlite3_exec(j->db, "INSERT INTO note_fts (note_fts) VALUES ('integrity-check')", NULL, NULL, NULL) ==
	       SQLITE_OK;
}

static int finds(cairn_journal *j, const char *q, const char *id)
{
	char *hits = NULL;
	int found = cairn_search(j, q, &hits) == 0 && strstr(hits, id) != NULL;
	cairn_free(hits);
	return found;
}

static void test_search_follows_text(void)
{
	cairn_journal *a = fresh(), *x = fresh();
	char c[CAIRN_ID_LEN], n1[CAIRN_ID_LEN], n2[CAIRN_ID_LEN];
	T_REQUIRE(a && x);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Rosa Pike\"}", c));
	T_OK(cairn_note_add(a, c, "{\"text\":\"met at the warming center\",\"date\":\"2026-11-02\"}", n1));
	T_CHECK(finds(a, "warming", n1));
	T_OK(cairn_note_amend(a, n1, "met at the day shelter", "wrong place"));
	T_CHECK(!finds(a, "warming", n1) && finds(a, "shelter", n1));
	T_CHECK(fts_ok(a));
	/* added and amended twice inside one batch: only the last text is indexed */
	T_OK(cairn_batch_begin(a));
	T_OK(cairn_note_add(a, c, "{\"text\":\"库 first draft\",\"date\":\"2026-11-03\"}", n2));
	T_OK(cairn_note_amend(a, n2, "second draft", NULL));
	T_OK(cairn_note_amend(a, n2, "final words", NULL));
	T_OK(cairn_note_amend(a, n1, "met at the library", NULL));
	T_OK(cairn_batch_commit(a));
	T_CHECK(finds(a, "final", n2) && !finds(a, "draft", n2));
	T_CHECK(finds(a, "library", n1) && !finds(a, "shelter", n1));
	T_CHECK(fts_ok(a));
	/* a second creation of one id with an earlier clock wins, and the index follows it */
	const char *id = "01890000-0000-7000-8000-000000000009", *who = "01890000-0000-7000-8000-0000000000ab";
	char later[256], earlier[256];
	snprintf(later, sizeof(later),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-02\",\"kind\":\"encounter\","
	         "\"text\":\"orchard\"}",
	         who);
	snprintf(earlier, sizeof(earlier),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"kind\":\"encounter\","
	         "\"text\":\"harbour\"}",
	         who);
	cairn_event ev[2] = {
	        {"aaaaaaaaaaaaaaaa", 1, (uint64_t)2000 << 16, "note.add", id, later, 1, {0}},
	        {"bbbbbbbbbbbbbbbb", 1, (uint64_t)1000 << 16, "note.add", id, earlier, 1, {0}},
	};
	for (int i = 0; i < 2; i++)
		cairn_event_hash(&ev[i], ev[i].hash);
	T_CHECK(cairn_event_ingest(x, &ev[0]) == 0);
	T_CHECK(finds(x, "orchard", id));
	T_CHECK(cairn_event_ingest(x, &ev[1]) == 0);
	T_CHECK(finds(x, "harbour", id) && !finds(x, "orchard", id));
	T_CHECK(fts_ok(x));
	cairn_journal_free(a);
	cairn_journal_free(x);
}

/* A journal indexed the 0008 way (the index kept its own copy of the text) upgrades to 0009's index. */
static void test_upgrade_note_index(void)
{
	char dir[300], c[CAIRN_ID_LEN], n[CAIRN_ID_LEN];
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_journal *j = NULL;
	o.kdf = CAIRN_KDF_MIN;
	snprintf(dir, sizeof(dir), "%s/upgrade", root);
	T_OK(cairn_journal_init(dir, "pw", 2, &o));
	T_OK(cairn_journal_open(&j, dir, "pw", 2));
	T_OK(cairn_contact_set(j, NULL, "{\"name\":\"Ada Stone\"}", c));
	T_OK(cairn_note_add(j, c, "{\"text\":\"talked about the allotment\",\"date\":\"2026-11-02\"}", n));
	T_OK(cairn_note_amend(j, n, "talked about the bakery job", NULL));
	T_OK(cairn_note_add(j, c, "{\"text\":\"walked to the clinic\",\"date\":\"2026-11-03\"}", NULL));
	/* back to the schema as 0008 left it */
	T_OK(cairn__exec(
	        j, "DROP TRIGGER note_fts_text; DROP TRIGGER note_fts_amend; DROP TABLE note_fts; "
	           "DROP VIEW note_text; CREATE VIRTUAL TABLE note_fts USING fts5 (text, tokenize = "
	           "'unicode61 remove_diacritics 2'); INSERT INTO note_fts (rowid, text) SELECT rowid, text "
	           "FROM notes; ALTER TABLE roster_devices DROP COLUMN supervisor; DROP INDEX contact_canon_canon; "
	           "DROP VIEW note_amend_heads; DROP TABLE note_amend_seen; DROP TABLE note_amend_listed; "
	           "DELETE FROM migrations WHERE "
	           "version >= 9"));
	cairn_journal_free(j);
	j = NULL;
	T_OK(cairn_journal_open(&j, dir, "pw", 2));
	T_REQUIRE(j);
	T_CHECK(finds(j, "bakery", n) && !finds(j, "allotment", n) && finds(j, "clinic", c));
	T_CHECK(fts_ok(j));
	cairn_journal_free(j);
}

static uint64_t last_seq_of(cairn_journal *j, const char *device)
{
	cairn_cursor cur;
	return cairn_cursor_get(j, device, &cur) ? 999 : cur.last_seq;
}

/* An import group: one transaction, a savepoint per segment. A failing segment takes back its own
 * events, cursor and search-index marks, and nothing else; a rollback drops the whole group. */
static void test_import_group(void)
{
	cairn_journal *j = fresh();
	T_REQUIRE(j);
	const char *who = "01890000-0000-7000-8000-0000000000ac";
	const char *n1 = "01890000-0000-7000-8000-000000000011", *n2 = "01890000-0000-7000-8000-000000000012",
	           *n3 = "01890000-0000-7000-8000-000000000013";
	char b1[200], b2[200], b3[200];
	snprintf(b1, sizeof(b1),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"kind\":\"encounter\",\"text\":\"kestrel\"}", who);
	snprintf(b2, sizeof(b2),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"kind\":\"encounter\",\"text\":\"osprey\"}", who);
	snprintf(b3, sizeof(b3),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"kind\":\"encounter\",\"text\":\"heron\"}", who);
	cairn_event x[1] = {{"aaaaaaaaaaaaaaaa", 1, (uint64_t)1000 << 16, "note.add", n1, b1, 1, {0}}};
	/* y's second event reuses y's seq 1 with other content: a fork, after a good first event */
	cairn_event y[2] = {{"bbbbbbbbbbbbbbbb", 1, (uint64_t)1001 << 16, "note.add", n2, b2, 1, {0}},
	                    {"bbbbbbbbbbbbbbbb", 1, (uint64_t)1002 << 16, "note.add", n2, b3, 1, {0}}};
	cairn_event z[1] = {{"cccccccccccccccc", 1, (uint64_t)1003 << 16, "note.add", n3, b3, 1, {0}}};
	cairn_event_hash(&x[0], x[0].hash);
	cairn_event_hash(&y[0], y[0].hash);
	cairn_event_hash(&y[1], y[1].hash);
	cairn_event_hash(&z[0], z[0].hash);
	cairn_cursor cx = {1, {1}, "x1"}, cy = {2, {2}, "y2"}, cz = {1, {3}, "z1"};
	uint64_t applied = 0;

	T_OK(cairn_import_begin(j));
	T_CHECK(cairn_contact_set(j, NULL, "{\"name\":\"No One\"}", NULL) == CAIRN_EINVAL); /* no appends */
	T_CHECK(cairn_import_begin(j) == CAIRN_EINVAL);
	T_OK(cairn_import_segment(j, "aaaaaaaaaaaaaaaa", x, 1, &cx, &applied));
	T_CHECK(applied == 1);
	T_CHECK(cairn_import_segment(j, "bbbbbbbbbbbbbbbb", y, 2, &cy, &applied) == CAIRN_EFORK);
	T_OK(cairn_import_segment(j, "cccccccccccccccc", z, 1, &cz, &applied));
	T_OK(cairn_import_commit(j));
	T_CHECK(finds(j, "kestrel", n1) && finds(j, "heron", n3));
	T_CHECK(!finds(j, "osprey", n2)); /* y's good first event went with its segment */
	T_CHECK(last_seq_of(j, "aaaaaaaaaaaaaaaa") == 1 && last_seq_of(j, "bbbbbbbbbbbbbbbb") == 0 &&
	        last_seq_of(j, "cccccccccccccccc") == 1);
	T_CHECK(fts_ok(j));

	/* a rolled-back group leaves nothing, and the journal takes appends again */
	cairn_event w[1] = {{"dddddddddddddddd", 1, (uint64_t)1004 << 16, "note.add", n2, b2, 1, {0}}};
	cairn_cursor cw = {1, {4}, "w1"};
	cairn_event_hash(&w[0], w[0].hash);
	T_OK(cairn_import_begin(j));
	T_OK(cairn_import_segment(j, "dddddddddddddddd", w, 1, &cw, &applied));
	T_OK(cairn_import_rollback(j));
	T_CHECK(!finds(j, "osprey", n2) && last_seq_of(j, "dddddddddddddddd") == 0);
	T_CHECK(cairn_import_commit(j) == CAIRN_EINVAL);
	T_OK(cairn_contact_set(j, NULL, "{\"name\":\"Some One\"}", NULL));
	T_CHECK(fts_ok(j));
	cairn_journal_free(j);
}

static void test_idempotent_and_fork(void)
{
	cairn_journal *a = fresh(), *b = fresh();
	char c[CAIRN_ID_LEN];
	T_REQUIRE(a && b);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Rosa Lee\"}", c));
	T_OK(sync_into(b, a));
	char before[CAIRN_DIGEST_LEN], after[CAIRN_DIGEST_LEN];
	T_OK(cairn_digest(b, before));
	T_OK(sync_into(b, a)); /* again: no-op */
	T_OK(cairn_digest(b, after));
	T_CHECK(!strcmp(before, after));
	/* Same (device, seq), other content: a fork, quarantined, not applied. */
	cairn_event ev = {
	        cairn_journal_device(a), 1, 12345, "contact.set", c, "{\"fields\":{\"name\":\"Forged\"}}", 1, {0}};
	cairn_event_hash(&ev, ev.hash);
	T_CHECK(cairn_event_ingest(b, &ev) == CAIRN_EFORK);
	T_OK(cairn_digest(b, after));
	T_CHECK(!strcmp(before, after));
	char *st = NULL;
	T_OK(cairn_journal_stats(b, &st));
	T_CHECK(strstr(st, "\"quarantined\":1") != NULL);
	cairn_free(st);
	/* A wrong hash is refused outright. */
	ev.seq = 2;
	T_CHECK(cairn_event_ingest(b, &ev) == CAIRN_ECORRUPT);
	cairn_journal_free(a);
	cairn_journal_free(b);
}

/* Two creations of one note/referral id from two devices resolve the same way in either arrival order. */
static void test_reused_id_order_independent(void)
{
	cairn_journal *x = fresh(), *y = fresh();
	T_REQUIRE(x && y);
	const char *id = "01890000-0000-7000-8000-000000000001", *who = "01890000-0000-7000-8000-0000000000aa";
	char body1[256], body2[256], rbody1[256], rbody2[256];
	snprintf(body1, sizeof(body1),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-02\",\"kind\":\"encounter\","
	         "\"text\":\"later\"}",
	         who);
	snprintf(body2, sizeof(body2),
	         "{\"contact\":\"%s\",\"date\":\"2026-01-01\",\"kind\":\"encounter\","
	         "\"text\":\"earlier\"}",
	         who);
	snprintf(rbody1, sizeof(rbody1),
	         "{\"category\":\"housing\",\"contact\":\"%s\",\"date\":\"2026-01-02\","
	         "\"to\":\"later\"}",
	         who);
	snprintf(rbody2, sizeof(rbody2),
	         "{\"category\":\"legal\",\"contact\":\"%s\",\"date\":\"2026-01-01\","
	         "\"to\":\"earlier\"}",
	         who);
	cairn_event ev[4] = {
	        {"aaaaaaaaaaaaaaaa", 1, (uint64_t)2000 << 16, "note.add", id, body1, 1, {0}},
	        {"bbbbbbbbbbbbbbbb", 1, (uint64_t)1000 << 16, "note.add", id, body2, 1, {0}},
	        {"aaaaaaaaaaaaaaaa", 2, (uint64_t)2001 << 16, "referral.add", who, rbody1, 1, {0}},
	        {"bbbbbbbbbbbbbbbb", 2, (uint64_t)1001 << 16, "referral.add", who, rbody2, 1, {0}},
	};
	for (int i = 0; i < 4; i++)
		cairn_event_hash(&ev[i], ev[i].hash);
	for (int i = 0; i < 4; i++)
		T_CHECK(cairn_event_ingest(x, &ev[i]) == 0);
	for (int i = 3; i >= 0; i--)
		T_CHECK(cairn_event_ingest(y, &ev[i]) == 0);
	T_CHECK(same_digest(x, y));
	char *out = NULL;
	T_OK(cairn_referral_list(x, NULL, &out));
	T_CHECK(out && strstr(out, "earlier") && !strstr(out, "later"));
	cairn_free(out);
	cairn_journal_free(x);
	cairn_journal_free(y);
}

/* Two writes that each claim to have seen the other (only a forged or broken history does this) leave no
 * head: the field shows nothing, whichever arrived first. The register kept the first write's value when
 * the second left it headless, so two devices that got them in opposite orders disagreed for good. */
static void test_seen_cycle_order_independent(void)
{
	cairn_journal *x = fresh(), *y = fresh();
	T_REQUIRE(x && y);
	const char *who = "01890000-0000-7000-8000-0000000000bb";
	uint64_t h1 = (uint64_t)1000 << 16, h2 = (uint64_t)2000 << 16;
	char b1[256], b2[256];
	snprintf(b1, sizeof(b1), "{\"fields\":{\"name\":\"A\"},\"seen\":{\"name\":[[%llu,\"bbbbbbbbbbbbbbbb\"]]}}",
	         (unsigned long long)h2);
	snprintf(b2, sizeof(b2), "{\"fields\":{\"name\":\"B\"},\"seen\":{\"name\":[[%llu,\"aaaaaaaaaaaaaaaa\"]]}}",
	         (unsigned long long)h1);
	cairn_event ev[2] = {
	        {"aaaaaaaaaaaaaaaa", 1, h1, "contact.set", who, b1, 1, {0}},
	        {"bbbbbbbbbbbbbbbb", 1, h2, "contact.set", who, b2, 1, {0}},
	};
	for (int i = 0; i < 2; i++)
		cairn_event_hash(&ev[i], ev[i].hash);
	T_CHECK(cairn_event_ingest(x, &ev[0]) == 0);
	T_CHECK(cairn_event_ingest(x, &ev[1]) == 0);
	T_CHECK(cairn_event_ingest(y, &ev[1]) == 0);
	T_CHECK(cairn_event_ingest(y, &ev[0]) == 0);
	T_CHECK(same_digest(x, y));
	json_t *cx = show(x, who), *cy = show(y, who);
	T_CHECK(cx && cy);
	T_CHECK(!json_object_get(json_object_get(cx, "fields"), "name"));
	T_CHECK(!json_object_get(json_object_get(cy, "fields"), "name"));
	json_decref(cx);
	json_decref(cy);
	cairn_journal_free(x);
	cairn_journal_free(y);
}

static void test_delete_restore(void)
{
	cairn_journal *a = fresh(), *b = fresh();
	char c[CAIRN_ID_LEN];
	T_REQUIRE(a && b);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Ari Fox\"}", c));
	T_OK(sync_into(b, a));
	T_OK(cairn_contact_delete(a, c, 0));
	T_OK(cairn_contact_delete(b, c, 0)); /* concurrent deletes: same length, still deleted */
	T_OK(sync_into(a, b));
	T_OK(sync_into(b, a));
	T_CHECK(same_digest(a, b));
	T_OK(cairn_contact_delete(a, c, 1));
	T_OK(sync_into(b, a));
	char *l = NULL;
	T_OK(cairn_contact_list(b, 0, &l));
	T_CHECK(strstr(l, c) != NULL);
	cairn_free(l);
	cairn_journal_free(a);
	cairn_journal_free(b);
}

/* ---- a merge and a delete made without seeing each other (apply.c invariant 5) ---- */

static int is_deleted(cairn_journal *j, const char *id)
{
	json_t *s = show(j, id);
	int d = s ? json_is_true(json_object_get(s, "deleted")) : -1;
	json_decref(s);
	return d;
}

/* Two people known to both devices; lo < hi, so lo survives a merge of the two. */
static int two_people(cairn_journal *a, cairn_journal *b, char lo[CAIRN_ID_LEN], char hi[CAIRN_ID_LEN])
{
	char x[CAIRN_ID_LEN], y[CAIRN_ID_LEN];
	if (cairn_contact_set(a, NULL, "{\"name\":\"Jo Marsh\"}", x) ||
	    cairn_contact_set(a, NULL, "{\"name\":\"Joanne Marsh\"}", y) || sync_into(b, a))
		return -1;
	memcpy(lo, strcmp(x, y) < 0 ? x : y, CAIRN_ID_LEN);
	memcpy(hi, strcmp(x, y) < 0 ? y : x, CAIRN_ID_LEN);
	return 0;
}

/* Every order of `s` (with the first event again at the end, a duplicate) into a fresh journal: exactly
 * `want` merge/delete conflicts, on `lo`, and one digest for all orders. Returns the orders that failed. */
static int every_order(t_evlist *s, int want, const char *lo, const char *digest)
{
	size_t idx[16], n = s->n;
	int bad = 0, orders = 0;
	if (n > 16)
		return 1;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (;;) {
		cairn_journal *t = fresh();
		char d[CAIRN_DIGEST_LEN], who[CAIRN_ID_LEN] = "";
		int ok = t != NULL;
		for (size_t i = 0; ok && i < n; i++)
			ok = cairn_event_ingest(t, &s->ev[idx[i]]) == 0;
		ok = ok && cairn_event_ingest(t, &s->ev[idx[0]]) == 1;
		ok = ok && t_status_conflicts(t, who) == want && (!want || !strcmp(who, lo));
		ok = ok && !cairn_digest(t, d) && !strcmp(d, digest);
		if (!ok)
			bad++;
		cairn_journal_free(t);
		orders++;
		/* next permutation */
		size_t i = n - 1;
		while (i > 0 && idx[i - 1] >= idx[i])
			i--;
		if (i == 0 || orders >= 120)
			break;
		size_t k = n - 1;
		while (idx[k] <= idx[i - 1])
			k--;
		size_t t2 = idx[i - 1];
		idx[i - 1] = idx[k];
		idx[k] = t2;
		for (size_t a = i, b = n - 1; a < b; a++, b--) {
			t2 = idx[a];
			idx[a] = idx[b];
			idx[b] = t2;
		}
	}
	return bad;
}

/*
 * dev1 deletes one record of a person while dev2, offline, merges it with another. A: the survivor was
 * deleted (the merged person vanished); B: the other record was deleted and the merge named it first (it
 * showed again); C: the same, merged the other way round. Each is one open conflict on the survivor, on
 * both devices and in every order the events can arrive in; the shown outcome is the survivor's, as before.
 */
static void test_merge_delete_conflict(void)
{
	for (int sc = 0; sc < 3; sc++) {
		cairn_journal *a = fresh(), *b = fresh();
		char lo[CAIRN_ID_LEN], hi[CAIRN_ID_LEN], who[CAIRN_ID_LEN] = "", da[CAIRN_DIGEST_LEN], *out = NULL;
		t_evlist s = {0};
		T_REQUIRE(a && b && !two_people(a, b, lo, hi));
		T_OK(cairn_contact_delete(a, sc == 0 ? lo : hi, 0));
		T_OK(sc == 1 ? cairn_contact_merge(b, hi, lo) : cairn_contact_merge(b, lo, hi));
		T_OK(sync_into(a, b));
		T_OK(sync_into(b, a));
		T_CHECKF(t_status_conflicts(a, who) == 1 && !strcmp(who, lo), "scenario %c on dev1", 'A' + sc);
		T_CHECKF(t_status_conflicts(b, who) == 1 && !strcmp(who, lo), "scenario %c on dev2", 'A' + sc);
		T_CHECK(same_digest(a, b));
		T_CHECKF(is_deleted(a, lo) == (sc == 0), "scenario %c: shown as the survivor's cl says", 'A' + sc);
		/* the sides, named with device and time */
		T_OK(cairn_conflict_values(a, &out));
		T_CHECKF(strstr(out, "\"field\":\"status\"") && strstr(out, "\"value\":\"deleted\"") &&
		                 strstr(out, "\"value\":\"merged\"") && strstr(out, cairn_journal_device(a)) &&
		                 strstr(out, cairn_journal_device(b)),
		         "%s", out);
		cairn_free(out);
		/* the conflict counts for the person in the list and the status */
		T_OK(cairn_journal_stats(b, &out));
		T_CHECKF(strstr(out, "\"conflicts\":1"), "%s", out);
		cairn_free(out);
		T_OK(cairn_events_foreach(a, NULL, 1, 0, t_evlist_collect, &s));
		T_OK(cairn_digest(a, da));
		T_CHECKF(every_order(&s, 1, lo, da) == 0, "scenario %c: every order", 'A' + sc);
		t_evlist_free(&s);
		/* no plain delete, restore or merge decides it silently */
		T_CHECK(cairn_contact_delete(a, lo, is_deleted(a, lo)) == CAIRN_ECONFLICT);
		cairn_journal_free(a);
		cairn_journal_free(b);
	}
}

/* A merge made after seeing the delete (the person restored first: a deleted person cannot be merged)
 * and a delete made after seeing the merge raise nothing; nor does a delete that carries no "seen" (an
 * older cairn), nor a restore before a merge with a person whose records were merged meanwhile. */
static void test_merge_delete_seen(void)
{
	cairn_journal *a = fresh(), *b = fresh();
	char lo[CAIRN_ID_LEN], hi[CAIRN_ID_LEN], p[CAIRN_ID_LEN], q[CAIRN_ID_LEN], r[CAIRN_ID_LEN];
	T_REQUIRE(a && b && !two_people(a, b, lo, hi));
	T_OK(cairn_contact_delete(a, lo, 0));
	T_OK(sync_into(b, a));
	T_CHECK(cairn_contact_merge(b, lo, hi) == CAIRN_EINVAL); /* restore it first */
	T_CHECK(cairn_contact_merge(b, hi, lo) == CAIRN_EINVAL);
	T_OK(cairn_contact_delete(b, lo, 1));
	T_OK(cairn_contact_merge(b, lo, hi));
	T_OK(sync_into(a, b));
	T_CHECK(t_status_conflicts(a, NULL) == 0 && t_status_conflicts(b, NULL) == 0);
	T_OK(cairn_contact_delete(a, hi, 0)); /* the merged person, seen whole */
	T_OK(sync_into(b, a));
	T_CHECK(t_status_conflicts(a, NULL) == 0 && t_status_conflicts(b, NULL) == 0);
	T_CHECK(is_deleted(b, lo) == 1 && same_digest(a, b));
	cairn_journal_free(a);
	cairn_journal_free(b);

	/* an older cairn's delete (no "seen"), merged concurrently: as before, nothing raised */
	a = fresh(), b = fresh();
	T_REQUIRE(a && b && !two_people(a, b, lo, hi));
	T_OK(cairn_event_append(a, "contact.delete", lo, "{\"cl\":2}", NULL));
	T_OK(cairn_contact_merge(b, lo, hi));
	T_OK(sync_into(a, b));
	T_OK(sync_into(b, a));
	T_CHECK(t_status_conflicts(a, NULL) == 0 && is_deleted(a, lo) == 1);
	cairn_journal_free(a);
	cairn_journal_free(b);

	/* P deleted and restored on a while b merges Q and R; then a, having both, merges P with them */
	a = fresh(), b = fresh();
	T_REQUIRE(a && b);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"P\"}", p));
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Q\"}", q));
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"R\"}", r));
	T_OK(sync_into(b, a));
	T_OK(cairn_contact_delete(a, p, 0));
	T_OK(cairn_contact_delete(a, p, 1));
	T_OK(cairn_contact_merge(b, q, r));
	T_OK(sync_into(a, b));
	T_OK(cairn_contact_merge(a, p, q));
	T_OK(sync_into(b, a));
	T_CHECK(t_status_conflicts(a, NULL) == 0 && t_status_conflicts(b, NULL) == 0);
	cairn_journal_free(a);
	cairn_journal_free(b);
}

/* The decision is an event: it closes the conflict on both devices, in either direction. */
static void test_merge_delete_resolved(void)
{
	for (int alive = 0; alive < 2; alive++) {
		for (int sc = 0; sc < 3; sc += 2) {
			cairn_journal *a = fresh(), *b = fresh();
			char lo[CAIRN_ID_LEN], hi[CAIRN_ID_LEN], *out = NULL, *dec = NULL;
			T_REQUIRE(a && b && !two_people(a, b, lo, hi));
			T_CHECK(cairn_conflict_resolve_status(a, lo, 1, &out) == CAIRN_ENOTFOUND &&
			        !out); /* none yet */
			T_OK(cairn_contact_delete(a, sc == 0 ? lo : hi, 0));
			T_OK(cairn_contact_merge(b, lo, hi));
			T_OK(sync_into(a, b));
			T_OK(sync_into(b, a));
			T_REQUIRE(t_status_conflicts(b, NULL) == 1);
			T_CHECK(cairn_contact_merge(a, lo, hi) == CAIRN_EINVAL); /* already one person */
			T_OK(cairn_conflict_resolve_status(b, hi, alive, &out)); /* any id of the person */
			T_CHECKF(strstr(out, alive ? "\"value\":\"alive\"" : "\"value\":\"deleted\"") &&
			                 strstr(out, lo),
			         "%s", out);
			cairn_free(out);
			T_CHECK(t_status_conflicts(b, NULL) == 0);
			T_OK(sync_into(a, b));
			T_CHECKF(t_status_conflicts(a, NULL) == 0, "scenario %c decided %s", 'A' + sc,
			         alive ? "alive" : "deleted");
			T_CHECK(is_deleted(a, lo) == !alive && is_deleted(b, hi) == !alive);
			T_CHECK(same_digest(a, b));
			T_OK(cairn_conflict_decisions(a, &dec));
			T_CHECKF(strstr(dec, "\"field\":\"status\""), "%s", dec);
			cairn_free(dec);
			T_CHECK(cairn_conflict_resolve_status(a, lo, alive, &out) == CAIRN_ENOTFOUND);
			cairn_journal_free(a);
			cairn_journal_free(b);
		}
	}
}

/* A journal from before schema 0014 (0015's objects are made again with IF NOT EXISTS). */
#define MERGE_DELETE_UNDO                                                                                      \
	"DROP VIEW contact_lc_pairs; DROP TABLE contact_lc_conflicts; DROP TABLE contact_lc_seen; DROP TABLE " \
	"contact_merges; DROP TABLE contact_lifecycle; DELETE FROM migrations WHERE version >= 14"

/* A journal from before schema 0014 whose log already holds events with "seen" (applied by a cairn that
 * ignored it) has its conflicts computed when it is upgraded. */
static void test_merge_delete_upgrade(void)
{
	cairn_journal *a = fresh(), *b = fresh();
	char lo[CAIRN_ID_LEN], hi[CAIRN_ID_LEN], d1[CAIRN_DIGEST_LEN], d2[CAIRN_DIGEST_LEN];
	T_REQUIRE(a && b && !two_people(a, b, lo, hi));
	T_OK(cairn_contact_delete(a, lo, 0));
	T_OK(cairn_contact_merge(b, lo, hi));
	T_OK(sync_into(a, b));
	T_OK(cairn_digest(a, d1));
	a = reopen_undone(a, MERGE_DELETE_UNDO);
	T_REQUIRE(a);
	T_CHECK(t_status_conflicts(a, NULL) == 1);
	T_OK(cairn_digest(a, d2));
	T_CHECK(!strcmp(d1, d2));
	cairn_journal_free(a);
	cairn_journal_free(b);
}

/* Review of the merge/delete rule: an old restore does not make two ordinary merges a conflict; a journal
 * holding deletes and merges written before the rule (no "seen") upgrades to the digest a new journal has
 * of the same events; the values of a conflict are audited for the person even when the survivor's own
 * record has not arrived. */
static void test_merge_delete_review(void)
{
	cairn_journal *a = fresh(), *b = fresh();
	char x[CAIRN_ID_LEN], y[CAIRN_ID_LEN], z[CAIRN_ID_LEN];
	T_REQUIRE(a && b);
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Kit Vale\"}", x));
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Kit Vail\"}", y));
	T_OK(cairn_contact_set(a, NULL, "{\"name\":\"Kitty Vale\"}", z));
	T_OK(cairn_contact_delete(a, x, 0));
	T_OK(cairn_contact_delete(a, x, 1)); /* restored long ago, and everyone saw it */
	T_OK(sync_into(b, a));
	T_OK(cairn_contact_merge(b, y, z)); /* the office */
	T_OK(cairn_contact_merge(a, x, y)); /* a worker, offline */
	T_OK(sync_into(a, b));
	T_OK(sync_into(b, a));
	T_CHECKF(t_status_conflicts(a, NULL) == 0 && t_status_conflicts(b, NULL) == 0, "%d %d conflicts",
	         t_status_conflicts(a, NULL), t_status_conflicts(b, NULL));
	T_CHECK(same_digest(a, b));
	cairn_journal_free(a);
	cairn_journal_free(b);

	/* events as an older cairn wrote them, and a conflict whose survivor has no record of its own here */
	const char *lo = "01890000-0000-7000-8000-0000000000e1", *hi = "01890000-0000-7000-8000-0000000000e2",
	           *p = "01890000-0000-7000-8000-0000000000e3", *q = "01890000-0000-7000-8000-0000000000e4";
	char merge_old[128], merge_new[256], del_new[128];
	snprintf(merge_old, sizeof(merge_old), "{\"other\":\"%s\"}", q);
	snprintf(merge_new, sizeof(merge_new), "{\"other\":\"%s\",\"seen\":{\"%s\":1,\"%s\":1}}", hi, lo, hi);
	snprintf(del_new, sizeof(del_new), "{\"cl\":2,\"seen\":{\"%s\":1}}", hi);
	cairn_event ev[] = {
	        {"aaaaaaaaaaaaaaaa",
	         1,
	         (uint64_t)1000 << 16,
	         "contact.set",
	         p,
	         "{\"fields\":{\"name\":\"Old\"}}",
	         1,
	         {0}},
	        {"aaaaaaaaaaaaaaaa", 2, (uint64_t)1001 << 16, "contact.delete", p, "{\"cl\":2}", 1, {0}},
	        {"aaaaaaaaaaaaaaaa", 3, (uint64_t)1002 << 16, "contact.merge", p, merge_old, 1, {0}},
	        {"bbbbbbbbbbbbbbbb", 1, (uint64_t)2000 << 16, "contact.delete", hi, del_new, 1, {0}},
	        {"cccccccccccccccc", 1, (uint64_t)2001 << 16, "contact.merge", lo, merge_new, 1, {0}},
	};
	cairn_journal *u = fresh(), *n = fresh();
	T_REQUIRE(u && n);
	for (size_t k = 0; k < sizeof(ev) / sizeof(ev[0]); k++) {
		cairn_event_hash(&ev[k], ev[k].hash);
		T_CHECKF(cairn_event_ingest(u, &ev[k]) == 0 && cairn_event_ingest(n, &ev[k]) == 0, "event %zu: %s", k,
		         cairn_error_last());
	}
	u = reopen_undone(u, MERGE_DELETE_UNDO);
	T_REQUIRE(u);
	T_CHECK(same_digest(u, n));
	T_CHECKF(t_status_conflicts(u, NULL) == 1 && t_status_conflicts(n, NULL) == 1, "%d %d conflicts (%s)",
	         t_status_conflicts(u, NULL), t_status_conflicts(n, NULL), cairn_error_last());
	char *vals = NULL;
	T_CHECK(audit_count(n, lo, "conflicts") == 0);
	T_OK(cairn_conflict_values(n, &vals));
	T_CHECKF(strstr(vals, "merge-delete") && audit_count(n, lo, "conflicts") == 1, "%s: %d entries", vals,
	         audit_count(n, lo, "conflicts"));
	cairn_free(vals);
	cairn_journal_free(u);
	cairn_journal_free(n);
}

/* A team's key for an epoch never changes once stored: the same key again only sets `current`, another
 * one is refused and the first stays (everything sealed with it must stay readable). */
static void test_team_key_kept(void)
{
	cairn_journal *j = fresh();
	unsigned char team[CAIRN_TEAM_BYTES], k1[32], k2[32], *got = NULL, cur[CAIRN_TEAM_BYTES];
	uint32_t epoch = 0;
	T_REQUIRE(j);
	memset(team, 7, sizeof(team));
	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	T_OK(cairn_team_key_store(j, team, 1, k1, 0));
	T_OK(cairn_team_key_store(j, team, 1, k1, 1));
	T_CHECK(cairn_team_key_store(j, team, 1, k2, 1) == CAIRN_EEXISTS);
	T_CHECK(strstr(cairn_error_last(), "epoch 1") != NULL);
	T_OK(cairn_team_key(j, team, 1, &got));
	T_CHECK(got && !memcmp(got, k1, 32));
	cairn_key_free(got);
	got = NULL;
	T_OK(cairn_team_current(j, cur, &epoch, &got));
	T_CHECK(epoch == 1 && !memcmp(cur, team, sizeof(team)) && got && !memcmp(got, k1, 32));
	cairn_key_free(got);
	cairn_journal_free(j);
}

static void test_open_errors(void)
{
	char dir[300];
	cairn_journal *j = NULL;
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	o.kdf = CAIRN_KDF_MIN;
	snprintf(dir, sizeof(dir), "%s/errs", root);
	T_OK(cairn_journal_init(dir, "right", 5, &o));
	T_CHECK(cairn_journal_init(dir, "right", 5, &o) == CAIRN_EEXISTS);
	T_CHECK(cairn_journal_open(&j, dir, "wrong", 5) == CAIRN_EAUTH);
	T_CHECK(j == NULL);
	T_CHECK(cairn_journal_open(&j, "/nonexistent/cairn", "x", 1) == CAIRN_ENOTFOUND);
	/* A database from a newer schema is refused, and left alone. */
	T_OK(cairn_journal_open(&j, dir, "right", 5));
	T_OK(cairn__exec(j, "INSERT INTO migrations VALUES (9999, '9999_future', 0)"));
	cairn_journal_free(j);
	j = NULL;
	T_CHECK(cairn_journal_open(&j, dir, "right", 5) == CAIRN_ENEWER);
	T_CHECK(strstr(cairn_error_last(), "newer") != NULL);
	T_CHECK(j == NULL);
}

/* Does any file directly under `dir` contain `needle`? Reads every byte of every file. */
static int dir_contains(const char *dir, const char *needle)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "grep -r -a -q -F '%s' '%s'", needle, dir);
	return system(cmd) == 0;
}

static void test_canary_in_no_file(void)
{
	static const char canary[] = "CANARY-b41e-Quillon";
	cairn_journal *j = fresh();
	char c[CAIRN_ID_LEN], body[200], wal[400];
	T_REQUIRE(j);
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"alias\":\"%s\"}", canary, canary);
	T_OK(cairn_contact_set(j, NULL, body, c));
	for (int i = 0; i < 50; i++) {
		snprintf(body, sizeof(body), "{\"text\":\"note %d says %s at the shelter\"}", i, canary);
		T_OK(cairn_note_add(j, c, body, NULL));
	}
	char *hits = NULL;
	T_OK(cairn_search(j, "Quillon", &hits)); /* the search index has it, inside the encrypted database */
	T_CHECK(strstr(hits, c) != NULL);
	cairn_free(hits);
	/* Before a checkpoint: the records are in the WAL (the connection is open). */
	snprintf(wal, sizeof(wal), "%s/journal.db-wal", cairn_journal_dir(j));
	T_CHECK(access(wal, F_OK) == 0);
	T_CHECK(!dir_contains(cairn_journal_dir(j), canary));
	T_CHECK(!dir_contains(cairn_journal_dir(j), "Quillon"));
	char dir[300];
	snprintf(dir, sizeof(dir), "%s", cairn_journal_dir(j));
	cairn_journal_free(j); /* the last connection checkpoints into the database */
	T_CHECK(!dir_contains(dir, canary));
	T_CHECK(!dir_contains(dir, "Quillon"));
	/* The control: the same grep finds the canary when it is there in clear. */
	char plain[400];
	snprintf(plain, sizeof(plain), "%s/control", dir);
	FILE *f = fopen(plain, "w");
	T_REQUIRE(f);
	fprintf(f, "x%sx", canary);
	fclose(f);
	T_CHECK(dir_contains(dir, canary));
	unlink(plain);
}

int main(void)
{
	snprintf(root, sizeof(root), "%s/cairn-test-journal-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return 2;
	T_RUN(test_conflict_kept_and_resolved);
	T_RUN(test_note_amend_conflict);
	T_RUN(test_note_amend_upgrade_and_audit);
	T_RUN(test_goal_status_conflict);
	T_RUN(test_goal_status_upgrade);
	T_RUN(test_goal_status_review);
	T_RUN(test_plan_conflict);
	T_RUN(test_plan_conflict_cost);
	T_RUN(test_plan_conflict_hostile);
	T_RUN(test_referral_clash);
	T_RUN(test_hostile_records);
	T_RUN(test_kinds_catch_up);
	T_RUN(test_merge_converges);
	T_RUN(test_referral_lattice);
	T_RUN(test_notes_immutable);
	T_RUN(test_search_follows_text);
	T_RUN(test_search_leaves_out_struck_and_deleted);
	T_RUN(test_upgrade_note_index);
	T_RUN(test_import_group);
	T_RUN(test_idempotent_and_fork);
	T_RUN(test_reused_id_order_independent);
	T_RUN(test_seen_cycle_order_independent);
	T_RUN(test_delete_restore);
	T_RUN(test_merge_delete_conflict);
	T_RUN(test_merge_delete_seen);
	T_RUN(test_merge_delete_resolved);
	T_RUN(test_merge_delete_upgrade);
	T_RUN(test_merge_delete_review);
	T_RUN(test_team_key_kept);
	T_RUN(test_open_errors);
	T_RUN(test_canary_in_no_file);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (!t_failed && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
	T_END();
}
