/*
 * bench_dedupe.c — duplicate detection over a large population (goal: 100,000 contacts in <= 10 s).
 *
 * The population is tests/report/people_gen.h's (deterministic): 90% distinct people, 10% planted
 * duplicates, recorded in a real encrypted journal. Timed: cairn_duplicates() (load, block, score),
 * best of BENCH_DEDUPE_ROUNDS (default 3). Baselines in the same run:
 *   (i)  cairn_contact_list(): reading every contact once, as any listing does;
 *   (ii) all pairs without blocking: Jaro-Winkler of the full names over a 2,000-person sample,
 *        extrapolated to n(n-1)/2 pairs (what blocking saves).
 * Precision and recall against the planted pairs are printed too.
 * Usage: bench_dedupe [CONTACTS]   (default 100000, or BENCH_DEDUPE_CONTACTS)
 */
#include "cairn.h"
#include "dedupe.h"
#include "people_gen.h"

#include <jansson.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define GOAL_S 10.0
#define SAMPLE 2000

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_dedupe: %s: %s\n", what, cairn_error_last());
	exit(1);
}

/* Person index by id: ids sorted through an index array (UUIDv7 made in one millisecond are not ordered). */
static char (*sort_ids)[CAIRN_ID_LEN];
static int by_id(const void *a, const void *b)
{
	return strcmp(sort_ids[*(const size_t *)a], sort_ids[*(const size_t *)b]);
}
static long find(const size_t *order, size_t n, const char *id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(sort_ids[order[mid]], id);
		if (!c)
			return (long)order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *env = getenv("BENCH_DEDUPE_CONTACTS");
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : env ? strtoul(env, NULL, 10) : 100000;
	size_t ndup = n / 10, nbase = n - ndup;
	int rounds = getenv("BENCH_DEDUPE_ROUNDS") ? atoi(getenv("BENCH_DEDUPE_ROUNDS")) : 3;
	cairn_init_options io = CAIRN_INIT_OPTIONS_INIT;
	struct gen_person *people = calloc(n, sizeof(*people));
	char(*ids)[CAIRN_ID_LEN] = calloc(n, CAIRN_ID_LEN);
	char root[256], dir[300], *out = NULL;
	cairn_journal *j = NULL;
	double t0, best = 1e9, tlist, tjw;
	json_t *doc = NULL, *p;
	size_t i, tp = 0, found, *order;
	volatile double sink = 0;

	snprintf(root, sizeof(root), "%s/cairn-bench-dedupe.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!people || !ids || !mkdtemp(root))
		return 1;
	snprintf(dir, sizeof(dir), "%s/j", root);
	io.kdf = CAIRN_KDF_MIN;
	if (cairn_journal_init(dir, "bench", 5, &io) || cairn_journal_open(&j, dir, "bench", 5))
		die("journal");
	gen_people(people, nbase, ndup, 42);
	t0 = now();
	if (cairn_batch_begin(j))
		die("batch");
	for (i = 0; i < n; i++) {
		json_t *f = json_pack("{s:s}", "name", people[i].name);
		char *text;
		if (people[i].dob[0])
			json_object_set_new(f, "dob", json_string(people[i].dob));
		if (people[i].phone[0])
			json_object_set_new(f, "phone", json_string(people[i].phone));
		if (people[i].alias[0])
			json_object_set_new(f, "alias", json_string(people[i].alias));
		text = json_dumps(f, JSON_COMPACT);
		if (cairn_contact_set(j, NULL, text, ids[i]))
			die("contact");
		free(text);
		json_decref(f);
		if (i % 5000 == 4999 && (cairn_batch_commit(j) || cairn_batch_begin(j)))
			die("batch");
	}
	if (cairn_batch_commit(j))
		die("batch");
	printf("dedupe: %zu contacts (%zu planted duplicates) recorded in %.1f s\n", n, ndup, now() - t0);

	t0 = now();
	if (cairn_contact_list(j, 0, &out))
		die("list");
	tlist = now() - t0;
	cairn_free(out);

	for (int r = 0; r < rounds; r++) {
		t0 = now();
		if (cairn_duplicates(j, NULL, &out))
			die("duplicates");
		if (now() - t0 < best)
			best = now() - t0;
		if (r + 1 < rounds)
			cairn_free(out);
	}
	doc = json_loads(out, 0, NULL);
	cairn_free(out);
	found = json_array_size(json_object_get(doc, "pairs"));
	order = malloc(n * sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = i;
	sort_ids = ids;
	qsort(order, n, sizeof(*order), by_id);
	json_array_foreach(json_object_get(doc, "pairs"), i, p)
	{
		long ia = find(order, n, json_string_value(json_object_get(p, "a")));
		long ib = find(order, n, json_string_value(json_object_get(p, "b")));
		if (ia >= 0 && ib >= 0 && (people[ia].dup_of == ib || people[ib].dup_of == ia))
			tp++;
	}

	/* (ii) all pairs of a sample, full-name Jaro-Winkler only (less than a real score costs) */
	{
		static char norm[SAMPLE][96];
		size_t s = n < SAMPLE ? n : SAMPLE;
		for (i = 0; i < s; i++)
			cairn__name_normalize(people[i * (n / s)].name, norm[i], sizeof(norm[i]));
		t0 = now();
		for (i = 0; i < s; i++)
			for (size_t k = i + 1; k < s; k++)
				sink += cairn__jaro_winkler(norm[i], norm[k]);
		tjw = (now() - t0) / ((double)s * (double)(s - 1) / 2) * ((double)n * (double)(n - 1) / 2);
	}

	printf("  cairn_duplicates            %8.2f s  (best of %d; %lld pairs compared, %zu proposed)\n", best, rounds,
	       (long long)json_integer_value(json_object_get(doc, "compared")), found);
	printf("  quality                     precision %.3f, recall %.3f against the planted pairs\n",
	       found ? (double)tp / (double)found : 0.0, ndup ? (double)tp / (double)ndup : 0.0);
	printf("  baseline: contact list      %8.2f s  ratio duplicates / list   %6.2fx\n", tlist, best / tlist);
	printf("  baseline: all pairs (est.)  %8.0f s  ratio duplicates / all pairs %.5fx (%.3g pairs, from a "
	       "%d-person sample)\n",
	       tjw, best / tjw, (double)n * (double)(n - 1) / 2, SAMPLE);
	printf("  goal <= %.0f s for 100,000 contacts: %s\n", GOAL_S,
	       n < 100000       ? "n/a (smaller run)"
	       : best <= GOAL_S ? "PASS"
	                        : "MISS");
	json_decref(doc);
	cairn_journal_free(j);
	free(people);
	free(ids);
	free(order);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_dedupe: cannot remove %s\n", root);
	}
	return sink < 0;
}
