/*
 * test_crisis.c — crisis merge rules through the public API: the events two team members wrote offline
 * (a join by prefix before the crisis arrived, differing disposition, stamps, links made from both sides)
 * give the same state in any arrival order, and the state is what the rules say (crisis.c invariants).
 */
#include "cairn.h"
#include "t.h"

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

/* Every event of a journal, copied (the callback's pointers are borrowed). */
struct evs {
	cairn_event *e;
	size_t n;
};

static char *copy_str(const char *s) { return strcpy(malloc(strlen(s) + 1), s); }

static int collect(const cairn_event *ev, void *ud)
{
	struct evs *v = ud;
	cairn_event *c;
	v->e = realloc(v->e, (v->n + 1) * sizeof(*v->e));
	c = &v->e[v->n++];
	*c = *ev;
	c->device = copy_str(ev->device);
	c->kind = copy_str(ev->kind);
	c->entity = copy_str(ev->entity);
	c->body = copy_str(ev->body);
	return 0;
}

static json_t *show(cairn_journal *j, const char *id)
{
	char *text = NULL;
	json_t *d = NULL;
	if (cairn_crisis_show(j, id, &text) == 0)
		d = json_loads(text, 0, NULL);
	cairn_free(text);
	return d;
}

static int count_crises(cairn_journal *j)
{
	char *text = NULL;
	int n = -1;
	if (cairn_crisis_list(j, NULL, NULL, 0, &text) == 0) {
		json_t *d = json_loads(text, 0, NULL);
		n = (int)json_array_size(d);
		json_decref(d);
	}
	cairn_free(text);
	return n;
}

static void test_any_order_same_state(void)
{
	cairn_journal *a = fresh(), *b = fresh();
	char x[CAIRN_ID_LEN], y[CAIRN_ID_LEN], p[CAIRN_ID_LEN], q[CAIRN_ID_LEN], prefix[14], body[200];
	struct evs all = {0};
	char ref[CAIRN_DIGEST_LEN] = "";
	T_REQUIRE(a && b);
	T_OK(cairn_crisis_open(a, "{\"source\":\"988\",\"received\":\"2026-11-23T14:05:00Z\"}", x));
	T_OK(cairn_crisis_set(a, x, "{\"arrived\":\"2026-11-23T14:31:00Z\",\"disposition\":\"referral\"}"));
	T_OK(cairn_crisis_intervention(a, x, "{\"type\":\"de-escalation\",\"at\":\"2026-11-23T14:40:00Z\"}"));
	snprintf(prefix, sizeof(prefix), "%.13s", x);
	snprintf(body, sizeof(body), "{\"join\":\"%s\",\"role\":\"peer\"}", prefix);
	T_OK(cairn_crisis_open(b, body, y)); /* b has not seen x: a record of its own */
	T_CHECK(strcmp(x, y) != 0);
	T_OK(cairn_crisis_set(b, y, "{\"arrived\":\"2026-11-23T14:36:00Z\",\"disposition\":\"emergency-department\"}"));
	T_OK(cairn_crisis_screen(
	        b, y, "cssrs-screen-1",
	        "{\"wish_dead\":true,\"thoughts\":true,\"method\":false,\"intent\":true,\"plan\":false,"
	        "\"behavior_3mo\":false,\"behavior_ever\":false}"));
	T_OK(cairn_crisis_open(a, "{\"source\":\"family\",\"received\":\"2026-11-24T05:00:00Z\"}", p));
	T_OK(cairn_crisis_open(b, "{\"source\":\"family\",\"received\":\"2026-11-24T05:00:30Z\"}", q));
	/* Both see both records, then link them from opposite sides. */
	struct evs ea = {0}, eb = {0};
	T_OK(cairn_events_foreach(a, NULL, 1, 0, collect, &ea));
	T_OK(cairn_events_foreach(b, NULL, 1, 0, collect, &eb));
	for (size_t i = 0; i < eb.n; i++)
		T_CHECK(cairn_event_ingest(a, &eb.e[i]) >= 0);
	for (size_t i = 0; i < ea.n; i++)
		T_CHECK(cairn_event_ingest(b, &ea.e[i]) >= 0);
	T_OK(cairn_crisis_link(a, p, q));
	T_OK(cairn_crisis_link(b, q, p));
	T_OK(cairn_events_foreach(a, NULL, 1, 0, collect, &all));
	T_OK(cairn_events_foreach(b, NULL, 1, 0, collect, &all));

	srand(42);
	for (int round = 0; round < 12; round++) {
		cairn_journal *c = fresh();
		char d[CAIRN_DIGEST_LEN];
		T_REQUIRE(c);
		for (size_t i = all.n; i > 1; i--) { /* Fisher-Yates over the copies (duplicates included) */
			size_t k = (size_t)rand() % i;
			cairn_event t = all.e[i - 1];
			all.e[i - 1] = all.e[k];
			all.e[k] = t;
		}
		for (size_t i = 0; i < all.n; i++)
			T_CHECK(cairn_event_ingest(c, &all.e[i]) >= 0);
		T_OK(cairn_digest(c, d));
		if (!*ref)
			memcpy(ref, d, sizeof(d));
		T_CHECK(strcmp(ref, d) == 0);
		T_CHECK(count_crises(c) == 2);
		json_t *s = show(c, y);
		const char *lo = strcmp(x, y) < 0 ? x : y;
		T_CHECK(s && !strcmp(json_string_value(json_object_get(s, "id")), lo));
		T_CHECK(s && !strcmp(json_string_value(json_object_get(s, "arrived")), "2026-11-23T14:31:00Z"));
		/* 5 minutes apart: both the arrival and the disposition are under review, nothing dropped. */
		json_t *rv = json_object_get(s, "review");
		T_CHECK(json_array_size(rv) == 2 && !strcmp(json_string_value(json_array_get(rv, 0)), "arrived") &&
		        !strcmp(json_string_value(json_array_get(rv, 1)), "disposition"));
		T_CHECK(json_array_size(json_object_get(s, "screens")) == 1 &&
		        !strcmp(json_string_value(
		                        json_object_get(json_array_get(json_object_get(s, "screens"), 0), "level")),
		                "high"));
		json_decref(s);
		s = show(c, q);
		T_CHECK(s && !strcmp(json_string_value(json_object_get(s, "id")), strcmp(p, q) < 0 ? p : q));
		T_CHECK(s && !strcmp(json_string_value(json_object_get(s, "received")), "2026-11-24T05:00:00Z"));
		T_CHECK(json_array_size(json_object_get(s, "review")) ==
		        1); /* the two unnamed contacts; 30 s is one call */
		json_decref(s);
		cairn_journal_free(c);
	}
	/* A decision after seeing both values settles the review; the loser stays in the entries. */
	for (size_t i = 0; i < eb.n; i++)
		cairn_event_ingest(a, &eb.e[i]);
	T_OK(cairn_crisis_set(a, x, "{\"disposition\":\"emergency-department\"}"));
	json_t *s = show(a, x);
	T_CHECK(json_array_size(json_object_get(s, "review")) == 1); /* arrival still differs */
	json_decref(s);
	for (size_t i = 0; i < all.n; i++)
		free((void *)all.e[i].device), free((void *)all.e[i].kind), free((void *)all.e[i].entity),
		        free((void *)all.e[i].body);
	for (size_t i = 0; i < ea.n; i++)
		free((void *)ea.e[i].device), free((void *)ea.e[i].kind), free((void *)ea.e[i].entity),
		        free((void *)ea.e[i].body);
	for (size_t i = 0; i < eb.n; i++)
		free((void *)eb.e[i].device), free((void *)eb.e[i].kind), free((void *)eb.e[i].entity),
		        free((void *)eb.e[i].body);
	free(all.e);
	free(ea.e);
	free(eb.e);
	cairn_journal_free(a);
	cairn_journal_free(b);
}

static void test_bad_input(void)
{
	cairn_journal *j = fresh();
	char id[CAIRN_ID_LEN], d1[CAIRN_DIGEST_LEN], d2[CAIRN_DIGEST_LEN];
	T_REQUIRE(j);
	T_OK(cairn_crisis_open(j, "{\"source\":\"911\"}", id));
	T_OK(cairn_digest(j, d1));
	T_CHECK(cairn_crisis_open(j, "{}", NULL) == CAIRN_EINVAL);
	T_CHECK(cairn_crisis_open(j, "{\"source\":\"radio\"}", NULL) == CAIRN_EINVAL);
	T_CHECK(cairn_crisis_open(j, "{\"join\":\"01a2\"}", NULL) == CAIRN_EINVAL);
	T_CHECK(cairn_crisis_open(j, "{\"join\":\"ffffffff\"}", NULL) == CAIRN_ENOTFOUND);
	T_CHECK(cairn_crisis_set(j, id, "{\"arrived\":\"2026-13-01T00:00:00Z\"}") == CAIRN_EINVAL);
	T_CHECK(cairn_crisis_set(j, id, "{\"received\":null}") == CAIRN_EINVAL);
	T_CHECK(cairn_crisis_set(j, id, "{\"mood\":\"calm\"}") == CAIRN_EINVAL);
	T_CHECK(cairn_crisis_screen(j, id, "cssrs-screen-1", "{\"wish_dead\":true}") == CAIRN_EINVAL);
	T_CHECK(cairn_crisis_screen(j, id, "phq-9", "{}") == CAIRN_ENOTFOUND);
	T_CHECK(cairn_crisis_link(j, id, id) == CAIRN_EINVAL);
	T_CHECK(cairn_gpra_interview(j, NULL, "{\"grant\":\"G1\",\"type\":\"intake\"}", NULL) != 0);
	T_OK(cairn_digest(j, d2));
	T_CHECK(strcmp(d1, d2) == 0);
	cairn_journal_free(j);
}

int main(void)
{
	snprintf(root, sizeof(root), "%s/cairn-test-crisis-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return 2;
	T_RUN(test_any_order_same_state);
	T_RUN(test_bad_input);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (!t_failed && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
	T_END();
}
