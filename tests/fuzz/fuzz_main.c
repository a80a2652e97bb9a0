/*
 * fuzz_main.c — runs a libFuzzer target without libFuzzer (any compiler): every file named on the command
 * line, and every regular file in each directory named, goes once through LLVMFuzzerTestOneInput. This is
 * how the committed corpus (seeds and every input that ever crashed a target) runs in CTest forever after.
 * Ends with "N passed, 0 failed". Each input's name goes to stderr before it runs, so when one crashes the
 * target (killing the process, with the sanitizer's report when built with one) the last name printed is
 * the culprit. Signal handlers would hide the sanitizers' own reports. An empty corpus fails: a
 * regression test that runs nothing proves nothing.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read the whole file into a buffer of exactly its size, so sanitizers see any overread. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "fuzz_main: cannot read '%s'\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz_main: cannot read '%s'\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	fprintf(stderr, "%s\n", path);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Run every regular file of `dir` in name order (reproducible), counting into passed and failed. */
static void run_dir(const char *dir, int *passed, int *failed)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	if (!d) {
		fprintf(stderr, "fuzz_main: cannot open directory '%s'\n", dir);
		(*failed)++;
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				abort();
		}
		names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		if (!names[n])
			abort();
		sprintf(names[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(names[i]) == 0)
				(*passed)++;
			else
				(*failed)++;
		}
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "fuzz_main: no such file or directory '%s'\n", argv[i]);
			failed++;
		} else if (S_ISDIR(st.st_mode)) {
			run_dir(argv[i], &passed, &failed);
		} else if (run_file(argv[i]) == 0) {
			passed++;
		} else {
			failed++;
		}
	}
	if (passed == 0 && failed == 0) {
		fprintf(stderr, "fuzz_main: no inputs found: the corpus is empty\n");
		failed = 1;
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
