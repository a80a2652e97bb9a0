/*
 * crisis_seed.c — write crisis events from JSON Lines through the public API, in one batch, so a test
 * can seed hundreds of crises without hundreds of CLI runs (each would pay the passphrase KDF).
 *
 * Each input line is the fields object of one cairn_crisis_open() call (all crisis fields may be given at
 * open). Prints each new crisis id on its own line. The passphrase is the first line of PASSFILE.
 * Usage: crisis_seed DIR PASSFILE < seed.jsonl
 */
#include "cairn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char pass[256], *line = NULL, id[CAIRN_ID_LEN];
	size_t cap = 0, n = 0;
	cairn_journal *j;
	FILE *f;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: crisis_seed DIR PASSFILE < seed.jsonl\n");
		return 2;
	}
	if (!(f = fopen(argv[2], "r")) || !fgets(pass, sizeof(pass), f)) {
		fprintf(stderr, "crisis_seed: cannot read %s\n", argv[2]);
		return 2;
	}
	fclose(f);
	pass[strcspn(pass, "\n")] = 0;
	if ((rc = cairn_journal_open(&j, argv[1], pass, strlen(pass))) || (rc = cairn_batch_begin(j))) {
		fprintf(stderr, "crisis_seed: %s\n", cairn_error_last());
		return 1;
	}
	while (getline(&line, &cap, stdin) > 0) {
		if ((rc = cairn_crisis_open(j, line, id))) {
			fprintf(stderr, "crisis_seed: line %zu: %s\n", n + 1, cairn_error_last());
			cairn_batch_rollback(j);
			cairn_journal_free(j);
			return 1;
		}
		printf("%s\n", id);
		n++;
	}
	free(line);
	if ((rc = cairn_batch_commit(j)))
		fprintf(stderr, "crisis_seed: %s\n", cairn_error_last());
	cairn_journal_free(j);
	return rc ? 1 : 0;
}
