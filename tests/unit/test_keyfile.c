/*
 * test_keyfile.c — the key file: round trips, every malformed input answered with its own error and
 * the file left as it was, atomic rewrap.
 */
#include "cairn.h"
#include "crypto.h"
#include "keyfile.h"
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KF_SIZE 114
#define PASS "correct horse battery staple"
#define PASS2 "tr0ub4dor&3"

static char dir[256], path[300];

static void fresh_dir(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/cairn-key-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/key", dir);
}

/* Files in the directory: a failed or finished write must leave no temporary file behind. */
static int dir_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[600];

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static size_t load(unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, cap, f) : 0;
	if (f)
		fclose(f);
	return n;
}

static void store(const unsigned char *buf, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(buf, 1, n, f);
		fclose(f);
	}
}

static void put64(unsigned char *p, unsigned long long v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static unsigned long long get64(const unsigned char *p)
{
	unsigned long long v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* A fresh key file made with the test-only cost; its data key copied to `key`. */
static int make_keyfile(unsigned char key[32])
{
	unsigned char *k = NULL;
	int rc;

	fresh_dir();
	rc = cairn__keyfile_create(path, PASS, strlen(PASS), CAIRN_KDF_MIN, &k);
	if (rc == 0)
		memcpy(key, k, 32);
	cairn__secure_free(k);
	return rc;
}

/* Unlocking the file as it is now fails with `code` and a message holding `text`; the file is unchanged. */
static int unlock_fails(int code, const char *text)
{
	unsigned char before[256], after[256];
	size_t nb = load(before, sizeof(before)), na;
	unsigned char *k = NULL;
	int rc = cairn__keyfile_unlock(path, PASS, strlen(PASS), &k);
	int ok = rc == code && k == NULL && strstr(cairn_error_last(), text) && strstr(cairn_error_last(), path);

	if (!ok)
		fprintf(stderr, "  expected %d '%s', got %d '%s'\n", code, text, rc, cairn_error_last());
	na = load(after, sizeof(after));
	cairn__secure_free(k);
	return ok && na == nb && memcmp(before, after, nb) == 0;
}

static void test_create_unlock_round_trip(void)
{
	unsigned char key[32], buf[256], *k = NULL;
	struct stat st;

	T_OK(make_keyfile(key));
	T_CHECK(stat(path, &st) == 0 && st.st_size == KF_SIZE && (st.st_mode & 0777) == 0600);
	T_CHECK(dir_files() == 1);
	T_CHECK(load(buf, sizeof(buf)) == KF_SIZE && memcmp(buf, "CAIRNKEY", 8) == 0 && buf[8] == 1 && buf[9] == 2);
	T_OK(cairn__keyfile_unlock(path, PASS, strlen(PASS), &k));
	T_CHECK(memcmp(k, key, 32) == 0);
	cairn__secure_free(k);
	remove_dir();
}

static void test_two_files_have_different_keys(void)
{
	unsigned char a[32], b[32];

	T_OK(make_keyfile(a));
	remove_dir();
	T_OK(make_keyfile(b));
	remove_dir();
	T_CHECK(memcmp(a, b, 32) != 0);
}

static void test_create_refuses_existing(void)
{
	unsigned char key[32], before[256], after[256], *k = NULL;
	size_t nb, na;

	T_OK(make_keyfile(key));
	nb = load(before, sizeof(before));
	T_CHECK(cairn__keyfile_create(path, PASS2, strlen(PASS2), CAIRN_KDF_MIN, &k) == CAIRN_EEXISTS);
	T_CHECK(k == NULL && strstr(cairn_error_last(), "already exists"));
	na = load(after, sizeof(after));
	T_CHECK(na == nb && memcmp(before, after, nb) == 0);
	T_CHECK(dir_files() == 1);
	remove_dir();
}

static void test_wrong_passphrase(void)
{
	unsigned char key[32], *k = NULL;

	T_OK(make_keyfile(key));
	T_CHECK(cairn__keyfile_unlock(path, PASS2, strlen(PASS2), &k) == CAIRN_EAUTH);
	T_CHECK(k == NULL);
	T_CHECK(strstr(cairn_error_last(), "wrong passphrase for key file '") != NULL);
	/* a prefix of the right passphrase is a wrong one too */
	T_CHECK(cairn__keyfile_unlock(path, PASS, strlen(PASS) - 1, &k) == CAIRN_EAUTH);
	T_CHECK(unlock_fails(CAIRN_EAUTH, "wrong passphrase") == 0); /* the right one still opens it */
	T_OK(cairn__keyfile_unlock(path, PASS, strlen(PASS), &k));
	T_CHECK(memcmp(k, key, 32) == 0);
	cairn__secure_free(k);
	remove_dir();
}

static void test_missing(void)
{
	unsigned char *k = NULL;

	fresh_dir();
	T_CHECK(cairn__keyfile_unlock(path, PASS, strlen(PASS), &k) == CAIRN_ENOTFOUND);
	T_CHECK(strstr(cairn_error_last(), "no key file at '") != NULL);
	T_CHECK(cairn__keyfile_rewrap(path, PASS, strlen(PASS), PASS2, strlen(PASS2), CAIRN_KDF_MIN) ==
	        CAIRN_ENOTFOUND);
	T_CHECK(dir_files() == 0);
	remove_dir();
}

static void test_malformed_files(void)
{
	unsigned char key[32], good[KF_SIZE], bad[KF_SIZE + 8];

	T_OK(make_keyfile(key));
	T_REQUIRE(load(good, sizeof(good)) == KF_SIZE);

	store(good, 60);
	T_CHECK(unlock_fails(CAIRN_ECORRUPT, "is corrupt (truncated"));
	store(good, 0);
	T_CHECK(unlock_fails(CAIRN_ECORRUPT, "is corrupt (truncated"));
	memcpy(bad, good, KF_SIZE);
	memcpy(bad + KF_SIZE, "trailing", 8);
	store(bad, sizeof(bad));
	T_CHECK(unlock_fails(CAIRN_ECORRUPT, "is corrupt (trailing data"));

	memcpy(bad, good, KF_SIZE);
	bad[0] = 'X';
	store(bad, KF_SIZE);
	T_CHECK(unlock_fails(CAIRN_ECORRUPT, "is corrupt (not a cairn key file)"));

	memcpy(bad, good, KF_SIZE);
	bad[8] = 2;
	store(bad, KF_SIZE);
	T_CHECK(unlock_fails(CAIRN_ENEWER, "upgrade cairn"));
	bad[8] = 0;
	store(bad, KF_SIZE);
	T_CHECK(unlock_fails(CAIRN_ECORRUPT, "is corrupt (version 0)"));

	memcpy(bad, good, KF_SIZE);
	bad[9] = 1; /* Argon2i */
	store(bad, KF_SIZE);
	T_CHECK(unlock_fails(CAIRN_ECORRUPT, "unknown key derivation"));
	remove_dir();
}

/* A hostile file asking for absurd costs is refused before any work is done. */
static void test_absurd_costs(void)
{
	static const struct {
		int field;
		unsigned long long value;
	} cases[] = {
	        {18, 1ULL << 40}, /* 1 TiB of memory */
	        {18, (4ULL << 30) + 1024},
	        {18, 1024},       /* below Argon2id's minimum */
	        {10, 1ULL << 32}, /* four billion passes */
	        {10, 11},
	        {10, 0},
	};
	unsigned char key[32], good[KF_SIZE], bad[KF_SIZE];

	T_OK(make_keyfile(key));
	T_REQUIRE(load(good, sizeof(good)) == KF_SIZE);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_t t0 = time(NULL);
		memcpy(bad, good, KF_SIZE);
		put64(bad + cases[i].field, cases[i].value);
		store(bad, KF_SIZE);
		T_CHECK(unlock_fails(CAIRN_ECORRUPT, "argon2id cost out of range"));
		T_CHECK(time(NULL) - t0 <= 1);
	}
	remove_dir();
}

/* The header is the associated data: any edit fails like a wrong passphrase. */
static void test_edited_bytes_fail_authentication(void)
{
	static const int offsets[] = {18 + 5, 18 + 7, 26, 41, 42, 65, 66, 97, 113};
	unsigned char key[32], good[KF_SIZE], bad[KF_SIZE];

	T_OK(make_keyfile(key));
	T_REQUIRE(load(good, sizeof(good)) == KF_SIZE);
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		memcpy(bad, good, KF_SIZE);
		bad[offsets[i]] ^= 0x01;
		store(bad, KF_SIZE);
		T_CHECK(unlock_fails(CAIRN_EAUTH, "wrong passphrase"));
	}
	remove_dir();
}

static void test_rewrap(void)
{
	unsigned char key[32], buf[256], *k = NULL;

	T_OK(make_keyfile(key));
	T_OK(cairn__keyfile_rewrap(path, PASS, strlen(PASS), PASS2, strlen(PASS2), CAIRN_KDF_INTERACTIVE));
	T_CHECK(dir_files() == 1);
	T_CHECK(load(buf, sizeof(buf)) == KF_SIZE);
	T_CHECK(get64(buf + 10) == 2 && get64(buf + 18) == 64ULL << 20); /* libsodium's INTERACTIVE */
	T_CHECK(cairn__keyfile_unlock(path, PASS, strlen(PASS), &k) == CAIRN_EAUTH);
	T_OK(cairn__keyfile_unlock(path, PASS2, strlen(PASS2), &k));
	T_CHECK(memcmp(k, key, 32) == 0);
	cairn__secure_free(k);
	remove_dir();
}

static void test_rewrap_wrong_old_passphrase_changes_nothing(void)
{
	unsigned char key[32], before[256], after[256];
	size_t nb, na;

	T_OK(make_keyfile(key));
	nb = load(before, sizeof(before));
	T_CHECK(cairn__keyfile_rewrap(path, PASS2, strlen(PASS2), "new", 3, CAIRN_KDF_MIN) == CAIRN_EAUTH);
	T_CHECK(strstr(cairn_error_last(), "wrong passphrase for key file '") != NULL);
	na = load(after, sizeof(after));
	T_CHECK(na == nb && memcmp(before, after, nb) == 0);
	T_CHECK(dir_files() == 1);
	remove_dir();
}

static void test_empty_passphrase_and_bad_arguments(void)
{
	unsigned char *k = NULL, *k2 = NULL;

	fresh_dir();
	T_OK(cairn__keyfile_create(path, "", 0, CAIRN_KDF_MIN, &k));
	T_OK(cairn__keyfile_unlock(path, NULL, 0, &k2));
	T_CHECK(memcmp(k, k2, 32) == 0);
	cairn__secure_free(k);
	cairn__secure_free(k2);
	k = NULL;
	T_CHECK(cairn__keyfile_unlock(path, NULL, 5, &k) == CAIRN_EINVAL);
	T_CHECK(cairn__keyfile_unlock(NULL, PASS, 4, &k) == CAIRN_EINVAL);
	remove_dir();
	fresh_dir();
	snprintf(path, sizeof(path), "%s/no-such-dir/key", dir);
	T_CHECK(cairn__keyfile_create(path, PASS, strlen(PASS), CAIRN_KDF_MIN, &k) == CAIRN_ENOTFOUND);
	T_CHECK(k == NULL);
	remove_dir();
}

/* The default cost is stored in the file; how long it takes here is printed, not asserted. */
static void test_default_cost(void)
{
	unsigned char buf[256], *k = NULL;
	struct timespec t0, t1;

	fresh_dir();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	T_OK(cairn__keyfile_create(path, PASS, strlen(PASS), CAIRN_KDF_DEFAULT, &k));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cairn__secure_free(k);
	T_CHECK(load(buf, sizeof(buf)) == KF_SIZE);
	T_CHECK(get64(buf + 10) == 3 && get64(buf + 18) == 256ULL << 20);
	fprintf(stderr, "  argon2id at the default cost (ops 3, 256 MiB): %.2f s\n",
	        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	remove_dir();
}

int main(void)
{
	T_RUN(test_create_unlock_round_trip);
	T_RUN(test_two_files_have_different_keys);
	T_RUN(test_create_refuses_existing);
	T_RUN(test_wrong_passphrase);
	T_RUN(test_missing);
	T_RUN(test_malformed_files);
	T_RUN(test_absurd_costs);
	T_RUN(test_edited_bytes_fail_authentication);
	T_RUN(test_rewrap);
	T_RUN(test_rewrap_wrong_old_passphrase_changes_nothing);
	T_RUN(test_empty_passphrase_and_bad_arguments);
	T_RUN(test_default_cost);
	T_END();
}
