/*
 * fuzz_cli.c — the `cairn` command's argument handling (cli/main.c dispatch, cli/args.c, every command's
 * option table and its checks before the journal is opened) under libFuzzer; linked with fuzz_main.c, a
 * CTest over its corpus. Input layout in fuzz_cli.h. The session is a stub (fuzz_cli_session.c): no
 * journal is found, no passphrase read, so nothing is written; standard input is /dev/null. A file an
 * argument names (--text-file) is read from the working directory: arguments hold no '/'.
 *
 * Beyond "does not crash", the contract of cli/output.h is checked, and a violation aborts:
 *  1. The exit code is a documented one (0-10), or the stub's "would open the journal".
 *  2. A failure prints at least one line on stderr, every line starts "cairn: ", and no control
 *     character other than the newline reaches the terminal (bytes of argv are shown escaped).
 *  3. A failure prints nothing on stdout (scripts read ids and JSON from there).
 */
#include "fuzz_cli.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int cairn_cli_main(int argc, char **argv);

/* The real main.c, with its main() renamed: dispatch, help and process setup exactly as shipped. */
#define main cairn_cli_main
#include "../../cli/main.c"
#undef main

static int ready;

/* `shown`: the stream the broken rule is about. */
static void fail(const char *what, const char *shown)
{
	fprintf(stderr, "fuzz_cli: invariant broken: %s\n--- the command printed:\n%s\n", what, shown ? shown : "");
	abort();
}

static void setup_once(void)
{
	if (!freopen("/dev/null", "r", stdin))
		abort();
	ready = 1;
}

static void check_output(int rc, const char *out, size_t outn, const char *err, size_t errn)
{
	if (!(rc >= 0 && rc <= CLI_EXIT_IO) && rc != FUZZ_CLI_STOP)
		fail("an undocumented exit code", err);
	if (rc == 0 || rc == FUZZ_CLI_STOP)
		return;
	if (outn)
		fail("a failure printed on stdout", out);
	if (errn == 0 || err[errn - 1] != '\n')
		fail("a failure without a whole line on stderr", err);
	for (size_t i = 0; i < errn; i++) {
		unsigned char c = (unsigned char)err[i];
		if ((i == 0 || err[i - 1] == '\n') && strncmp(err + i, "cairn: ", 7) != 0)
			fail("a line on stderr that does not start with \"cairn: \"", err);
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			fail("a control character on stderr", err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[FUZZ_CLI_MAX_ARGS + 2];
	char *owned[FUZZ_CLI_MAX_ARGS + 2]; /* what to free: the CLI may advance argv[i] (`export --fhir`) */
	int argc = 1, rc;
	size_t pos = 0;
	char *out = NULL, *err = NULL;
	size_t outn = 0, errn = 0;
	FILE *real_out = stdout, *real_err = stderr;

	if (!ready)
		setup_once();
	static char prog[] = "cairn";
	argv[0] = prog;
	while (pos < size && argc <= FUZZ_CLI_MAX_ARGS) {
		size_t n = strnlen((const char *)data + pos, size - pos);
		char *a = malloc(n + 1); /* each argument its own block, so an overread is caught */
		if (!a)
			abort();
		memcpy(a, data + pos, n);
		a[n] = '\0';
		for (char *p = a; (p = strchr(p, '/'));)
			*p = '_';
		owned[argc] = a;
		argv[argc++] = a;
		pos += n + 1;
	}
	argv[argc] = NULL;

	/* Capture both streams: the checks read them, and the fuzzer's own output stays readable. */
	stdout = open_memstream(&out, &outn);
	stderr = open_memstream(&err, &errn);
	if (!stdout || !stderr)
		abort();
	rc = cairn_cli_main(argc, argv);
	fclose(stdout);
	fclose(stderr);
	stdout = real_out;
	stderr = real_err;
	check_output(rc, out, outn, err, errn);
	free(out);
	free(err);
	for (int i = 1; i < argc; i++)
		free(owned[i]);
	return 0;
}
