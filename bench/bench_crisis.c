/*
 * bench_crisis.c — `cairn report crisis` over N crisis events (goal: <= 1 s at 100,000) and `cairn due` on a
 * journal of N contacts (goal: <= 200 ms at 100,000), against a baseline measured in the same run: one plain
 * scan of the same N rows' stamps in an unencrypted in-memory SQLite table (the floor any report pays).
 *
 * Seeds through the public API in batches (cairn_batch_begin/commit): each crisis is opened with all its
 * fields and an unnamed contact, so the journal holds N crises and N contacts. With a cairn binary as the
 * third argument it also times the two commands end to end (process start, unlock, render).
 * Usage: bench_crisis [N] [DIR] [CAIRN]
 */
#include "cairn.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void iso(char out[21], time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp);
	return v[n / 2];
}

static const char *const sources[] = {"988", "911", "walk-in", "self", "family", "police", "other"};
static const char *const dispositions[] = {"stabilised-in-place",
                                           "voluntary-transport",
                                           "involuntary-hold",
                                           "emergency-department",
                                           "crisis-stabilisation-unit",
                                           "referral",
                                           "police-custody",
                                           "other"};

static int seed(cairn_journal *j, long n, time_t t0, sqlite3 *plain)
{
	sqlite3_stmt *ins;
	srand(7);
	sqlite3_prepare_v2(plain, "INSERT INTO c VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &ins, NULL);
	for (long i = 0; i < n; i++) {
		char rec[21], dis[21], arr[21], clr[21], *body;
		/* Calls arrive over the year in order (an id's time is when its call was opened, as in use); all
		 * but the last 1 % have had their follow-up, within three days. */
		time_t r = t0 + (time_t)((double)i / (double)n * 365 * 86400) + rand() % 600;
		char done[21];
		iso(done, r + 3600 + rand() % (72 * 3600));
		iso(rec, r);
		iso(dis, r + rand() % 1800);
		iso(arr, r + 300 + rand() % 7200);
		iso(clr, r + 8000 + rand() % 10000);
		json_t *o = json_pack("{ssssssssssssss}", "received", rec, "dispatched", dis, "arrived", arr, "cleared",
		                      clr, "source", sources[rand() % 7], "disposition", dispositions[rand() % 8],
		                      "police", rand() % 3 ? "none" : "co-responder");
		if (i < n - n / 100)
			json_object_set_new(o, "followup_done", json_string(done));
		body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		if ((i % 10000 == 0 && cairn_batch_begin(j)) || cairn_crisis_open(j, body, NULL) ||
		    ((i % 10000 == 9999 || i == n - 1) && cairn_batch_commit(j))) {
			fprintf(stderr, "bench_crisis: %s\n", cairn_error_last());
			return 1;
		}
		free(body);
		sqlite3_bind_text(ins, 1, rec, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, dis, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 3, arr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 4, clr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 5, sources[i % 7], -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 6, dispositions[i % 8], -1, SQLITE_STATIC);
		sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	return 0;
}

/* The floor: read every row's stamps once, no decryption, no JSON. */
static double baseline(sqlite3 *plain)
{
	double t = now();
	sqlite3_stmt *st;
	long bytes = 0;
	sqlite3_prepare_v2(plain, "SELECT * FROM c", -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW)
		for (int c = 0; c < 6; c++)
			bytes += sqlite3_column_bytes(st, c);
	sqlite3_finalize(st);
	return bytes ? now() - t : 0;
}

static double cli(const char *cairn, const char *dir, const char *pass, const char *args)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "%s --dir %s --passphrase-file %s %s >/dev/null", cairn, dir, pass, args);
	double t = now();
	if (system(cmd) != 0)
		fprintf(stderr, "bench_crisis: '%s' failed\n", cmd);
	return now() - t;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	char dirbuf[] = "/tmp/bench-crisis-XXXXXX", *dir = argc > 2 ? argv[2] : mkdtemp(dirbuf), pass[512];
	const char *cairn = argc > 3 ? argv[3] : NULL;
	cairn_init_options io = CAIRN_INIT_OPTIONS_INIT;
	cairn_journal *j;
	sqlite3 *plain;
	double tr[5], td[5], tb[5], t;
	char *out;

	io.kdf = CAIRN_KDF_MIN;
	if (!dir || cairn_journal_init(dir, "bench", 5, &io) || cairn_journal_open(&j, dir, "bench", 5)) {
		fprintf(stderr, "bench_crisis: %s\n", cairn_error_last());
		return 1;
	}
	sqlite3_open(":memory:", &plain);
	sqlite3_exec(plain, "CREATE TABLE c (received, dispatched, arrived, cleared, source, disposition)", 0, 0, 0);
	t = now();
	if (seed(j, n,
	         (time_t)1735689600 /* 2025-01-01: a whole year that has passed (times in the future are refused) */,
	         plain))
		return 1;
	printf("seeded %ld crises (and %ld contacts) in %.1f s\n", n, n, now() - t);
	for (int i = 0; i < 5; i++) {
		tb[i] = baseline(plain);
		t = now();
		if (cairn_report(j, "2025-01-01", "2025-12-31", NULL, &out)) {
			fprintf(stderr, "bench_crisis: %s\n", cairn_error_last());
			return 1;
		}
		tr[i] = now() - t;
		cairn_free(out);
		t = now();
		if (cairn_due(j, "2025-12-31", 7, &out)) {
			fprintf(stderr, "bench_crisis: %s\n", cairn_error_last());
			return 1;
		}
		td[i] = now() - t;
		cairn_free(out);
	}
	double b = median(tb, 5), r = median(tr, 5), d = median(td, 5);
	printf("baseline: plain scan of %ld rows            %8.1f ms\n", n, b * 1e3);
	printf("cairn_report (all sections, a year)        %8.1f ms  %6.1fx baseline  goal <= 1000 ms: %s\n", r * 1e3,
	       r / b, r <= 1.0 ? "met" : "MISSED");
	printf("cairn_due (%ld contacts)                  %8.1f ms  %6.1fx baseline  goal <= 200 ms: %s\n", n, d * 1e3,
	       d / b, d <= 0.2 ? "met" : "MISSED");
	cairn_journal_free(j);
	sqlite3_close(plain);
	if (cairn) {
		snprintf(pass, sizeof(pass), "%s/bench-pass", dir);
		FILE *f = fopen(pass, "w");
		fputs("bench\n", f);
		fclose(f);
		chmod(pass, 0600); /* the CLI warns about a passphrase file others can read */
		for (int i = 0; i < 3; i++) {
			tr[i] = cli(cairn, dir, pass, "report crisis --from 2025-01-01 --to 2025-12-31 --format csv");
			td[i] = cli(cairn, dir, pass, "due --today 2025-12-31");
		}
		r = median(tr, 3);
		d = median(td, 3);
		printf("cairn report crisis (CLI, end to end)      %8.1f ms  %6.1fx baseline  goal <= 1000 ms: %s\n",
		       r * 1e3, r / b, r <= 1.0 ? "met" : "MISSED");
		printf("cairn due (CLI, end to end)                %8.1f ms  %6.1fx baseline  goal <= 200 ms: %s\n",
		       d * 1e3, d / b, d <= 0.2 ? "met" : "MISSED");
	}
	return 0;
}
