/*
 * dedupe_quality.c — duplicate detection on a known population: 900 people plus 100 planted duplicates
 * (1,000 records; typos, nicknames, swapped names, other spellings; people_gen.h), recorded in a real
 * journal. Precision and recall of cairn_duplicates() against the planted pairs must both be >= 0.9.
 * Also: a merged pair is never proposed again, and the scores come with reasons.
 */
#include "cairn.h"
#include "people_gen.h"
#include "t.h"

#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#define NBASE 900
#define NDUP 100

static char root[256];
static struct gen_person people[NBASE + NDUP];
static char ids[NBASE + NDUP][CAIRN_ID_LEN];

static cairn_journal *seeded(void)
{
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_journal *j = NULL;
	char dir[300];

	o.kdf = CAIRN_KDF_MIN;
	snprintf(dir, sizeof(dir), "%s/j", root);
	if (cairn_journal_init(dir, "pw", 2, &o) || cairn_journal_open(&j, dir, "pw", 2))
		return NULL;
	gen_people(people, NBASE, NDUP, getenv("SEED") ? strtoull(getenv("SEED"), NULL, 10) : 20261123);
	cairn_batch_begin(j);
	for (size_t i = 0; i < NBASE + NDUP; i++) {
		json_t *f = json_pack("{s:s}", "name", people[i].name);
		char *text;
		if (people[i].dob[0])
			json_object_set_new(f, "dob", json_string(people[i].dob));
		if (people[i].phone[0])
			json_object_set_new(f, "phone", json_string(people[i].phone));
		if (people[i].alias[0])
			json_object_set_new(f, "alias", json_string(people[i].alias));
		text = json_dumps(f, JSON_COMPACT);
		if (cairn_contact_set(j, NULL, text, ids[i])) {
			fprintf(stderr, "  contact_set: %s\n", cairn_error_last());
			free(text);
			json_decref(f);
			cairn_journal_free(j);
			return NULL;
		}
		free(text);
		json_decref(f);
	}
	if (cairn_batch_commit(j)) {
		cairn_journal_free(j);
		return NULL;
	}
	return j;
}

static long index_of(const char *id)
{
	for (long i = 0; i < NBASE + NDUP; i++)
		if (!strcmp(ids[i], id))
			return i;
	return -1;
}

static int planted(long a, long b) { return (people[a].dup_of == b) || (people[b].dup_of == a); }

static json_t *run(cairn_journal *j)
{
	char *out = NULL;
	json_t *doc;
	if (cairn_duplicates(j, NULL, &out))
		return NULL;
	doc = json_loads(out, 0, NULL);
	cairn_free(out);
	return doc;
}

static void test_precision_recall(void)
{
	cairn_journal *j = seeded();
	json_t *doc, *p;
	size_t i, tp = 0, fp = 0, by_how[5] = {0};
	double precision, recall;

	T_REQUIRE(j);
	T_REQUIRE((doc = run(j)));
	T_CHECK(json_integer_value(json_object_get(doc, "contacts")) == NBASE + NDUP);
	json_array_foreach(json_object_get(doc, "pairs"), i, p)
	{
		long a = index_of(json_string_value(json_object_get(p, "a")));
		long b = index_of(json_string_value(json_object_get(p, "b")));
		T_CHECK(a >= 0 && b >= 0);
		T_CHECK(json_array_size(json_object_get(p, "reasons")) >= 1);
		if (a >= 0 && b >= 0 && planted(a, b)) {
			tp++;
			by_how[people[a].dup_of >= 0 ? people[a].how : people[b].how]++;
		} else {
			fp++;
			if (fp <= 5)
				fprintf(stderr, "  false positive: '%s' ~ '%s' (%.2f)\n", people[a].name,
				        people[b].name, json_real_value(json_object_get(p, "score")));
		}
	}
	for (long d = NBASE, shown = 0; d < NBASE + NDUP && shown < 5; d++) {
		int hit = 0;
		json_array_foreach(json_object_get(doc, "pairs"), i, p)
		{
			long a = index_of(json_string_value(json_object_get(p, "a")));
			long b = index_of(json_string_value(json_object_get(p, "b")));
			hit |= (a == d && b == people[d].dup_of) || (b == d && a == people[d].dup_of);
		}
		if (!hit && ++shown)
			fprintf(stderr, "  missed: '%s' (%s, %s) ~ '%s' (%s, %s)\n", people[d].name, people[d].dob,
			        people[d].phone, people[people[d].dup_of].name, people[people[d].dup_of].dob,
			        people[people[d].dup_of].phone);
	}
	precision = tp + fp ? (double)tp / (double)(tp + fp) : 0;
	recall = (double)tp / NDUP;
	printf("duplicates: %zu records, %lld pairs compared, %zu proposed: precision %.3f recall %.3f\n",
	       (size_t)(NBASE + NDUP), (long long)json_integer_value(json_object_get(doc, "compared")), tp + fp,
	       precision, recall);
	printf("found by change: surname typo %zu/20, given-name typo %zu/20, nickname %zu/20, swapped %zu/20, "
	       "spelling %zu/20\n",
	       by_how[0], by_how[1], by_how[2], by_how[3], by_how[4]);
	T_CHECK(precision >= 0.9);
	T_CHECK(recall >= 0.9);
	json_decref(doc);
	cairn_journal_free(j);
}

/* After a merge the pair is one person and is not proposed again; other pairs are untouched. */
static void test_merged_not_proposed(void)
{
	char dir[300], *out = NULL, a[CAIRN_ID_LEN], b[CAIRN_ID_LEN];
	cairn_journal *j = NULL;
	json_t *doc, *p, *first;
	size_t before, i;
	int again = 0;

	snprintf(dir, sizeof(dir), "%s/j", root);
	T_OK(cairn_journal_open(&j, dir, "pw", 2));
	T_REQUIRE((doc = run(j)));
	before = json_array_size(json_object_get(doc, "pairs"));
	T_REQUIRE(before > 0);
	first = json_array_get(json_object_get(doc, "pairs"), 0);
	/* copies: the document is released before they are compared */
	snprintf(a, sizeof(a), "%s", json_string_value(json_object_get(first, "a")));
	snprintf(b, sizeof(b), "%s", json_string_value(json_object_get(first, "b")));
	T_OK(cairn_contact_merge(j, a, b));
	T_OK(cairn_duplicates(j, NULL, &out));
	json_decref(doc);
	doc = json_loads(out, 0, NULL);
	cairn_free(out);
	T_REQUIRE(doc);
	json_array_foreach(json_object_get(doc, "pairs"), i, p)
	{
		const char *x = json_string_value(json_object_get(p, "a")),
		           *y = json_string_value(json_object_get(p, "b"));
		if ((!strcmp(x, a) || !strcmp(x, b)) && (!strcmp(y, a) || !strcmp(y, b)))
			again = 1;
	}
	T_CHECK(!again);
	T_CHECK(json_array_size(json_object_get(doc, "pairs")) < before);
	json_decref(doc);
	cairn_journal_free(j);
}

static void test_bad_min_score(void)
{
	char dir[300], *out = NULL;
	cairn_journal *j = NULL;
	cairn_dedupe_options o = CAIRN_DEDUPE_OPTIONS_INIT;

	snprintf(dir, sizeof(dir), "%s/j", root);
	T_OK(cairn_journal_open(&j, dir, "pw", 2));
	o.min_score = 1.5;
	T_CHECK(cairn_duplicates(j, &o, &out) == CAIRN_EINVAL);
	T_CHECK(out == NULL);
	cairn_journal_free(j);
}

int main(void)
{
	snprintf(root, sizeof(root), "%s/cairn-dedupe.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return 1;
	T_RUN(test_precision_recall);
	T_RUN(test_merged_not_proposed);
	T_RUN(test_bad_min_score);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", root);
	}
	T_END();
}
