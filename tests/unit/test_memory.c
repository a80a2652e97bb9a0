/*
 * test_memory.c — key material does not reach memory that is freed without wiping.
 *
 * jansson frees through allocator functions the application can set (json_set_alloc_funcs). The test sets
 * a tracking pair: every block jansson frees is searched for the team key (as the hex a join file holds)
 * before it is released. Exporting a join file and joining a team from one must free no such block. A
 * control shows the search finds the key when jansson does hold it.
 */
#include "cairn.h"
#include "t.h"

#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <unistd.h>

static char needle[65];
static int seen_key, frees;

static void *track_malloc(size_t n) { return malloc(n); }

static void track_free(void *p)
{
	if (p) {
		size_t n = malloc_usable_size(p);
		frees++;
		if (needle[0] && n >= 64 && memmem(p, n, needle, 64))
			seen_key++;
	}
	free(p);
}

static char base[] = "/tmp/cairn-memory-XXXXXX";

static cairn_journal *make(const char *name)
{
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_journal *j = NULL;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/%s", base, name);
	o.kdf = CAIRN_KDF_MIN;
	if (cairn_journal_init(dir, "mem", 3, &o) != 0 || cairn_journal_open(&j, dir, "mem", 3) != 0)
		return NULL;
	return j;
}

static void test_control_detects_a_key_in_jansson(void)
{
	json_t *v;
	seen_key = 0;
	v = json_string(needle);
	json_decref(v);
	T_CHECK(seen_key == 1);
}

static void test_join_file_keys_stay_out_of_jansson(void)
{
	cairn_journal *a = make("a"), *b = make("b");
	unsigned char team[CAIRN_TEAM_BYTES], *key = NULL;
	uint32_t epoch;
	char path[160];
	T_REQUIRE(a && b);
	T_OK(cairn_team_create(a, team));
	T_OK(cairn_team_current(a, team, &epoch, &key));
	sodium_bin2hex(needle, sizeof(needle), key, 32);
	cairn_key_free(key);
	test_control_detects_a_key_in_jansson();

	snprintf(path, sizeof(path), "%s/join", base);
	seen_key = frees = 0;
	T_OK(cairn_team_export(a, path, "join", 4, CAIRN_KDF_MIN));
	T_CHECK(frees > 0);     /* jansson did work (the member list) through our allocator */
	T_CHECK(seen_key == 0); /* ... and never held the key */

	seen_key = 0;
	T_OK(cairn_team_join(b, path, "join", 4));
	T_CHECK(seen_key == 0);
	/* the application's allocator is back after the join */
	frees = 0;
	json_decref(json_string("after"));
	T_CHECK(frees > 0);
	cairn_journal_free(a);
	cairn_journal_free(b);
}

int main(void)
{
	char cmd[64];
	if (!mkdtemp(base) || cairn_global_init() != 0)
		return 1;
	json_set_alloc_funcs(track_malloc, track_free);
	T_RUN(test_join_file_keys_stay_out_of_jansson);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "test_memory: could not remove %s\n", base);
	T_END();
}
