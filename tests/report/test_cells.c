/*
 * test_cells.c — small-cell suppression (core/cells.c) rule by rule on made-up sections: primary cells,
 * complementary cells down a column and across a row's parts (and the total when the parts run out),
 * columns that do not add up, derived cells, zero shown, one marker for all, sections it does not know,
 * percentages of counts not shown, and no suppression at 0 saying so. Then every section of a real
 * report has a role for each of its columns, so a new section is not judged by guesswork unnoticed.
 */
#include "model.h"
#include "t.h"
#include "t_journal.h"

#include <jansson.h>
#include <unistd.h>

/* `rows` (JSON) of section `id` suppressed at `min`, as compact JSON (malloc'd). */
static char *suppressed(const char *id, int ncols, const char *rows, int min)
{
	json_t *cols = json_array(), *doc;
	char *out;
	for (int i = 0; i < ncols; i++)
		json_array_append_new(cols, json_string("c"));
	doc = json_pack("{s:[{s:s,s:o,s:o}]}", "sections", "id", id, "columns", cols, "rows",
	                json_loads(rows, 0, NULL));
	if (!doc || cairn__report_suppress(doc, min))
		return NULL;
	out = json_dumps(json_object_get(json_array_get(json_object_get(doc, "sections"), 0), "rows"), JSON_COMPACT);
	json_decref(doc);
	return out;
}

/* One case: section `id` with `ncols` columns and `rows`, at `min`, should read `want`. */
static const struct {
	const char *why, *id;
	int ncols;
	const char *rows;
	int min;
	const char *want;
} rule_cases[] = {
        {"the 1 is hidden; its row's parts and its column each need a second hidden cell (the smallest)",
         "referrals.category", 5, "[[\"mat\",40,1,39,0],[\"housing\",30,15,15,0]]", 11,
         "[[\"mat\",40,\"*\",\"*\",0],[\"housing\",30,\"*\",\"*\",0]]"},
        {"hidden parts adding up to less than the threshold: one more (15), and the rate over them", "gpra.followup", 8,
         "[[\"G\",20,15,0,0,3,2,88.2]]", 11, "[[\"G\",20,\"*\",0,0,\"*\",\"*\",\"*\"]]"},
        {"parts run out (the rest are 0): the total goes", "supervision.signoff", 3, "[[12,2,0]]", 11,
         "[[\"*\",\"*\",0]]"},
        {"a second part is enough when the two make the threshold", "supervision.signoff", 3, "[[15,3,12]]", 11,
         "[[15,\"*\",\"*\"]]"},
        {"a column that does not add up (new and active people): only the small one goes", "contacts", 2,
         "[[\"new\",1],[\"active\",40]]", 11, "[[\"new\",\"*\"],[\"active\",40]]"},
        {"zero is shown and never picked to hide another cell", "consents.status", 2,
         "[[\"a\",0],[\"b\",5],[\"c\",30],[\"d\",50]]", 11, "[[\"a\",0],[\"b\",\"*\"],[\"c\",\"*\"],[\"d\",50]]"},
        {"two small cells adding up to less than the threshold take a third", "consents.status", 2,
         "[[\"a\",1],[\"b\",1],[\"c\",30],[\"d\",50]]", 11, "[[\"a\",\"*\"],[\"b\",\"*\"],[\"c\",\"*\"],[\"d\",50]]"},
        {"a section the table does not know: integers are counts, reals derived, strings labels", "new.section", 4,
         "[[\"a\",3,50,1.5],[\"b\",40,60,2.5]]", 11, "[[\"a\",\"*\",50,\"*\"],[\"b\",\"*\",60,\"*\"]]"},
        {"the directory counts resources, not people", "resources.category", 2, "[[\"housing\",1]]", 11,
         "[[\"housing\",1]]"},
        {"nothing small: nothing hidden", "encounters", 4, "[[\"phone\",20,12,300]]", 11, "[[\"phone\",20,12,300]]"},
        {"no suppression: nothing hidden", "encounters", 4, "[[\"phone\",1,1,30],[\"crisis\",12,12,0]]", 0,
         "[[\"phone\",1,1,30],[\"crisis\",12,12,0]]"},
        {"people assessed twice or more is at most assessments - people: hidden, it hides the assessments",
         "assessments.trend", 6, "[[\"barc10\",13,12,5.5,6.5,1]]", 11, "[[\"barc10\",\"*\",12,\"*\",\"*\",\"*\"]]"},
        {"follow-up rows are disjoint and add up to the events: two 1s take the 18 too", "crisis.followup", 3,
         "[[\"within 24 h\",20,50.0],[\"24 to 48 h\",1,2.5],[\"48 to 72 h\",1,2.5],[\"later or not done\",18,45.0]]",
         11,
         "[[\"within 24 h\",20,50.0],[\"24 to 48 h\",\"*\",\"*\"],[\"48 to 72 h\",\"*\",\"*\"],"
         "[\"later or not done\",\"*\",\"*\"]]"},
        {"a threshold of 2 hides the 1, and the 12 that would give it away", "encounters", 4,
         "[[\"phone\",1,1,30],[\"crisis\",12,12,0]]", 2, "[[\"phone\",\"*\",\"*\",\"*\"],[\"crisis\",\"*\",12,\"*\"]]"},
};

static void test_rules(void)
{
	for (size_t i = 0; i < sizeof(rule_cases) / sizeof(rule_cases[0]); i++) {
		char *got = suppressed(rule_cases[i].id, rule_cases[i].ncols, rule_cases[i].rows, rule_cases[i].min);
		T_CHECKF(got && !strcmp(got, rule_cases[i].want), "%s: %s %s at %d gave %s, want %s", rule_cases[i].why,
		         rule_cases[i].id, rule_cases[i].rows, rule_cases[i].min, got ? got : "(error)",
		         rule_cases[i].want);
		free(got);
	}
}

static void test_share(void)
{
	cairn__report_range r = {"2026-01-01", "2026-01-31", NULL, "2026-02-01", 11};
	const struct {
		json_int_t n, d;
		const char *want;
	} cases[] = {{5, 100, "\"*\""},   {95, 100, "\"*\""}, {50, 100, "50.0"}, {0, 100, "0.0"},
	             {100, 100, "100.0"}, {0, 0, "null"},     {3, 7, "\"*\""}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = cairn__report_share(&r, cases[i].n, cases[i].d);
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(4));
		T_CHECKF(s && !strcmp(s, cases[i].want), "%lld of %lld: %s", (long long)cases[i].n,
		         (long long)cases[i].d, s ? s : "?");
		free(s);
		json_decref(v);
	}
	r.min_cell = 0;
	json_t *v = cairn__report_share(&r, 1, 3);
	T_CHECK(json_is_real(v) && json_real_value(v) > 33.2 && json_real_value(v) < 33.4);
	json_decref(v);
}

/* crisis.summary's shares of sums of crisis.disposition rows go when a disposition row is hidden. */
static void test_derived(void)
{
	static const char *const summary =
	        "[[\"events\",35],[\"resolved in the community %\",50.0],"
	        "[\"law enforcement involved %\",0.0],[\"events with a disposition %\",100.0]]";
	const char *disp[] = {"[[\"stabilised-in-place\",20,57.1],[\"voluntary-transport\",3,8.6],"
	                      "[\"emergency-department\",12,34.3]]",
	                      "[[\"stabilised-in-place\",20,57.1],[\"emergency-department\",15,42.9]]"};
	const char *want[] = {"[[\"events\",35],[\"resolved in the community %\",\"*\"],"
	                      "[\"law enforcement involved %\",0.0],[\"events with a disposition %\",\"*\"]]",
	                      "[[\"events\",35],[\"resolved in the community %\",50.0],"
	                      "[\"law enforcement involved %\",0.0],[\"events with a disposition %\",100.0]]"};
	for (int i = 0; i < 2; i++) {
		json_t *doc = json_pack("{s:[{s:s,s:[ss],s:o},{s:s,s:[sss],s:o}]}", "sections", "id", "crisis.summary",
		                        "columns", "measure", "value", "rows", json_loads(summary, 0, NULL), "id",
		                        "crisis.disposition", "columns", "disposition", "events", "%", "rows",
		                        json_loads(disp[i], 0, NULL));
		T_REQUIRE(doc);
		T_OK(cairn__report_suppress(doc, 11));
		char *got = json_dumps(json_object_get(json_array_get(json_object_get(doc, "sections"), 0), "rows"),
		                       JSON_COMPACT);
		T_CHECKF(got && !strcmp(got, want[i]), "crisis.summary with disposition %s gave %s, want %s", disp[i],
		         got ? got : "(error)", want[i]);
		free(got);
		json_decref(doc);
	}
}

static void test_note(void)
{
	json_t *doc = json_pack("{s:[]}", "sections");
	T_OK(cairn__report_suppress(doc, 0));
	json_t *s = json_object_get(doc, "suppression");
	T_CHECK(json_integer_value(json_object_get(s, "min_cell")) == 0 &&
	        strstr(json_string_value(json_object_get(s, "note")), "NOT SUPPRESSED"));
	json_decref(doc);
}

static char dir[] = "/tmp/cairn-cells.XXXXXX";

static void test_every_section_has_roles(void)
{
	cairn_journal *j = t_journal_new(dir);
	char *out = NULL;
	json_t *doc, *s;
	size_t i;
	T_REQUIRE(j);
	T_OK(cairn_report_min_cell(j, "2026-01-01", "2026-12-31", NULL, 0, &out));
	doc = json_loads(out, 0, NULL);
	T_REQUIRE(doc && json_array_size(json_object_get(doc, "sections")) > 15);
	json_array_foreach(json_object_get(doc, "sections"), i, s)
	{
		const char *id = json_string_value(json_object_get(s, "id")), *roles = cairn__report_roles(id);
		T_CHECKF(roles && strlen(roles) == json_array_size(json_object_get(s, "columns")),
		         "section %s: roles %s for %zu columns", id, roles ? roles : "(none)",
		         json_array_size(json_object_get(s, "columns")));
	}
	json_decref(doc);
	cairn_free(out);
	out = NULL;
	T_CHECK(cairn_report_min_cell(j, "2026-01-01", "2026-12-31", NULL, -1, &out) == CAIRN_EINVAL && !out);
	/* 2 to 4 protect nothing worth the label "suppressed": refused (README "Reports"). */
	for (int m = 2; m <= 4; m++)
		T_CHECKF(cairn_report_min_cell(j, "2026-01-01", "2026-12-31", NULL, m, &out) == CAIRN_EINVAL && !out,
		         "threshold %d accepted", m);
	T_OK(cairn_report_min_cell(j, "2026-01-01", "2026-12-31", NULL, 5, &out));
	cairn_free(out);
	out = NULL;
	cairn_journal_free(j);
	if (system("rm -rf /tmp/cairn-cells.*") != 0)
		fprintf(stderr, "cleanup failed\n");
}

int main(void)
{
	T_RUN(test_rules);
	T_RUN(test_share);
	T_RUN(test_derived);
	T_RUN(test_note);
	T_RUN(test_every_section_has_roles);
	T_END();
}
