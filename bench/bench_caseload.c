/*
 * bench_caseload.c — what auditing the caseload views costs: N people (default 1,000), each with a
 * name, a note and a goal that all match one word, then each audited view timed once on its own
 * (search: at most 200 hits, so 200 entries; review and goal list: N entries each; conflicts is
 * one entry per person shown too, but needs two devices). The baseline is the unaudited `contact
 * list` of the same people: the reading the audited views also do, without the entries. Goal: an
 * audited view of 1,000 people within 200 ms in the library (a command's own cost comes on top).
 * Usage: bench_caseload [N]
 */
#include "cairn.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static cairn_journal *j;

static int search(char **out) { return cairn_search(j, "kestrel", out); }
static int review(char **out) { return cairn_review_list(j, out); }
static int goals(char **out) { return cairn_goal_list(j, NULL, out); }
static int people(char **out) { return cairn_contact_list(j, 0, out); }

/* Run `view` once; its time in seconds and the number of rows it showed (*rows). */
static double timed(int (*view)(char **), size_t *rows)
{
	char *out = NULL;
	double t = now();
	json_t *doc;
	if (view(&out)) {
		fprintf(stderr, "bench_caseload: %s\n", cairn_error_last());
		exit(1);
	}
	t = now() - t;
	doc = json_loads(out, 0, NULL);
	*rows = json_array_size(doc);
	json_decref(doc);
	cairn_free(out);
	return t;
}

static long events(void)
{
	char *out = NULL;
	long n = -1;
	if (!cairn_journal_stats(j, &out)) {
		json_t *o = json_loads(out, 0, NULL);
		n = (long)json_integer_value(json_object_get(o, "events"));
		json_decref(o);
	}
	cairn_free(out);
	return n;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/cairn-bench-caseload.XXXXXX", id[CAIRN_ID_LEN], body[256], cmd[300];
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	static const struct {
		const char *name;
		int (*view)(char **);
	} views[] = {
	        {"contact list (unaudited)", people}, {"search", search}, {"review", review}, {"goal list", goals}};
	long n = argc > 1 ? atol(argv[1]) : 1000;
	double t, base = 0;
	o.kdf = CAIRN_KDF_MIN;
	if (n < 1 || !mkdtemp(dir) || cairn_journal_init(dir, "pw", 2, &o) || cairn_journal_open(&j, dir, "pw", 2))
		return fprintf(stderr, "bench_caseload: %s\n", cairn_error_last()), 1;
	cairn_worker_set(j, "Sam");
	t = now();
	cairn_batch_begin(j);
	for (long i = 0; i < n; i++) {
		snprintf(body, sizeof(body), "{\"name\":\"Person %ld Kestrel\"}", i);
		if (cairn_contact_set(j, NULL, body, id) ||
		    cairn_note_add(j, id, "{\"text\":\"met at the kestrel drop-in\"}", NULL) ||
		    cairn_goal_add(j, id, "{\"domain\":\"housing\",\"text\":\"a kestrel flat\"}", NULL))
			return fprintf(stderr, "bench_caseload: %s\n", cairn_error_last()), 1;
	}
	if (cairn_batch_commit(j))
		return fprintf(stderr, "bench_caseload: %s\n", cairn_error_last()), 1;
	printf("seeded %ld people (a name, a note and a goal each) in %.2f s\n", n, now() - t);
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		long before = events();
		size_t rows;
		t = timed(views[i].view, &rows);
		if (!i)
			base = t;
		printf("%-26s %5zu rows  %5ld audit entries  %8.1f ms  (%.1fx the unaudited list)%s\n", views[i].name,
		       rows, events() - before, t * 1e3, base > 0 ? t / base : 0,
		       !i                              ? ""
		       : t * 1000.0 / (double)n <= 0.2 ? "  goal met"
		                                       : "  goal MISSED");
	}
	cairn_journal_free(j);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) != 0;
}
