/*
 * test_gpra_case.c — GPRA grant numbers are case-insensitive (core/gpra.c invariant 4): an interview
 * recorded under `sm-1`, or arriving from another (older) device's log under `sm-1`, is one client with
 * an intake under `SM-1`: one pseudonym, the same export whichever case is asked for, and the pseudonym
 * an `SM-1` export had before does not change. A journal that held lower-case grants before migration
 * 0012 (made here by lower-casing the table and forgetting the migration) is upper-cased when opened,
 * to the same state digest as applying the events afresh.
 */
#include "journal.h"
#include "t.h"
#include "t_journal.h"

#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

static char dir_a[] = "/tmp/cairn-gpra-case-a.XXXXXX", dir_b[] = "/tmp/cairn-gpra-case-b.XXXXXX";
static cairn_journal *ja, *jb;
static char contact[CAIRN_ID_LEN], pseudonym[32];

/* The export of `grant` over 2026: its rows (without the header), or NULL. */
static char *export(cairn_journal *j, const char *grant)
{
	char *csv = NULL, *rows;
	if (cairn_gpra_export(j, grant, "2026-01-01", "2026-12-31", &csv))
		return NULL;
	rows = strstr(csv, "\r\n");
	rows = strdup(rows ? rows + 2 : "");
	cairn_free(csv);
	return rows;
}

/* Every row of `rows` is keyed by `id` and names grant SM-1; how many rows, -1 when one is not. */
static int rows_of(const char *rows, const char *id)
{
	int n = 0;
	char want[64];
	snprintf(want, sizeof(want), "%s,SM-1,", id);
	for (const char *p = rows; p && *p; n++) {
		if (strncmp(p, want, strlen(want)))
			return -1;
		p = strstr(p, "\r\n");
		p = p ? p + 2 : NULL;
	}
	return n;
}

/* The grants of every interview, comma-separated, in list order. Read from the table: gpra list would
 * audit the view, and the audit entries would change the digests this test compares. */
static void grants(cairn_journal *j, char *out, size_t cap)
{
	sqlite3_stmt *st;
	out[0] = 0;
	if (sqlite3_prepare_v2(j->db, "SELECT grant_no FROM gpra_interviews ORDER BY date, entity", -1, &st, NULL))
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", *out ? "," : "",
		         (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* A follow-up under `sm-1` as it arrives in another device's log (which did not upper-case it). */
static int ingest_lower(cairn_journal *j)
{
	char body[256];
	snprintf(body, sizeof(body),
	         "{\"contact\":\"%s\",\"grant\":\"sm-1\",\"type\":\"followup\",\"date\":\"2026-07-06\","
	         "\"conducted\":true}",
	         contact);
	cairn_event ev = {"00112233aabbccdd",
	                  1,
	                  (uint64_t)1 << 40,
	                  "gpra.interview",
	                  "018f0000-0000-7000-8000-00000000beef",
	                  body,
	                  1,
	                  {0}};
	cairn_event_hash(&ev, ev.hash);
	return cairn_event_ingest(j, &ev);
}

static void test_one_client(void)
{
	char *rows, g[256];
	T_OK(cairn_contact_set(ja, NULL, "{\"name\":\"Pat Canary\"}", contact));
	T_OK(cairn_gpra_interview(ja, contact, "{\"grant\":\"SM-1\",\"type\":\"intake\",\"date\":\"2026-01-05\"}",
	                          NULL));
	/* The pseudonym an export of SM-1 gave before anything lower-case was recorded. */
	rows = export(ja, "SM-1");
	T_REQUIRE(rows && strlen(rows) > 21);
	memcpy(pseudonym, rows, 21);
	free(rows);
	T_OK(ingest_lower(ja));
	T_OK(cairn_gpra_interview(ja, contact, "{\"grant\":\"sm-1\",\"type\":\"discharge\",\"date\":\"2026-08-01\"}",
	                          NULL));
	grants(ja, g, sizeof(g));
	T_CHECKF(!strcmp(g, "SM-1,SM-1,SM-1"), "grants %s", g);
	for (int i = 0; i < 2; i++) {
		rows = export(ja, i ? "sm-1" : "SM-1");
		T_CHECKF(rows && rows_of(rows, pseudonym) == 3, "export of %s, pseudonym %s:\n%s", i ? "sm-1" : "SM-1",
		         pseudonym, rows ? rows : cairn_error_last());
		free(rows);
	}
	rows = export(ja, "sm-1");
	T_CHECK(rows && strstr(rows, ",followup,2026-07-06,1,,2026-01-05,182,on-time,"));
	free(rows);
}

static int last_body(const cairn_event *ev, void *ud)
{
	if (!strcmp(ev->kind, "gpra.interview"))
		snprintf(ud, 512, "%s", ev->body);
	return 0;
}

/* What this device writes carries the upper-cased grant, for devices that apply it as it is. */
static void test_event_upper(void)
{
	char body[512] = "";
	T_OK(cairn_events_foreach(ja, cairn_journal_device(ja), 1, 0, last_body, body));
	T_CHECKF(strstr(body, "\"grant\":\"SM-1\"") && !strstr(body, "sm-1"), "%s", body);
}

static int copy(const cairn_event *ev, void *ud) { return cairn_event_ingest(ud, ev); }

static void test_migration(void)
{
	char d1[CAIRN_DIGEST_LEN], d2[CAIRN_DIGEST_LEN], db[CAIRN_DIGEST_LEN], g[256], *rows;
	T_OK(cairn_digest(ja, d1));
	/* As a journal from before 0012 would hold them (nor has it any later migration). */
	T_OK(cairn__exec(ja, "UPDATE gpra_interviews SET grant_no = lower(grant_no); "
	                     "DELETE FROM migrations WHERE version >= 12"));
	grants(ja, g, sizeof(g));
	T_REQUIRE(!strcmp(g, "sm-1,sm-1,sm-1"));
	cairn_journal_free(ja);
	ja = NULL;
	T_OK(cairn_journal_open(&ja, dir_a, "pw", 2));
	grants(ja, g, sizeof(g));
	T_CHECKF(!strcmp(g, "SM-1,SM-1,SM-1"), "grants after the migration: %s", g);
	T_OK(cairn_digest(ja, d2));
	T_CHECK(!strcmp(d1, d2));
	rows = export(ja, "sm-1");
	T_CHECKF(rows && rows_of(rows, pseudonym) == 3, "export after the migration:\n%s", rows ? rows : "");
	free(rows);
	/* Another journal applying the same events gets the same state. */
	T_OK(cairn_events_foreach(ja, NULL, 1, 0, copy, jb));
	T_OK(cairn_digest(jb, db));
	T_CHECK(!strcmp(d1, db));
}

int main(void)
{
	ja = t_journal_new(dir_a);
	jb = t_journal_new(dir_b);
	if (!ja || !jb) {
		fprintf(stderr, "cannot create journals: %s\n", cairn_error_last());
		return 1;
	}
	T_RUN(test_one_client);
	T_RUN(test_event_upper);
	T_RUN(test_migration);
	cairn_journal_free(ja);
	cairn_journal_free(jb);
	if (system("rm -rf /tmp/cairn-gpra-case-a.* /tmp/cairn-gpra-case-b.*") != 0)
		fprintf(stderr, "cleanup failed\n");
	T_END();
}
