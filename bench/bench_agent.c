/*
 * bench_agent.c — loads the standard workload into a journal for bench/bench_agent.sh, which then times
 * CLI commands with and without a running agent. The journal has the default Argon2id cost: what a
 * command pays without the agent's session.
 * Usage: python3 workload.py --contacts 1000 | bench_agent DIR PASSPHRASE_FILE   (prints one contact id)
 */
#include "cairn.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	char pass[256], id[CAIRN_ID_LEN], first[CAIRN_ID_LEN] = "", *line = NULL;
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_journal *j;
	size_t cap = 0, n = 0;
	FILE *f;
	if (argc != 3 || !(f = fopen(argv[2], "r")) || !fgets(pass, sizeof(pass), f))
		return fprintf(stderr, "usage: bench_agent DIR PASSPHRASE_FILE < workload.jsonl\n"), 2;
	fclose(f);
	pass[strcspn(pass, "\n")] = '\0';
	if (cairn_journal_init(argv[1], pass, strlen(pass), &o) || cairn_journal_open(&j, argv[1], pass, strlen(pass)))
		return fprintf(stderr, "bench_agent: %s\n", cairn_error_last()), 1;
	cairn_batch_begin(j);
	while (getline(&line, &cap, stdin) > 0) {
		json_t *c = json_loads(line, 0, NULL), *nt;
		size_t i;
		if (!c)
			continue;
		char *fields = json_dumps(
		        json_pack("{sOsO}", "name", json_object_get(c, "name"), "dob", json_object_get(c, "dob")),
		        JSON_COMPACT);
		int rc = cairn_contact_set(j, NULL, fields, id);
		free(fields);
		json_array_foreach(json_object_get(c, "notes"), i, nt)
		{
			char *nf = json_dumps(json_pack("{sOsOss}", "date", json_object_get(nt, "date"), "text",
			                                json_object_get(nt, "text"), "kind", "encounter"),
			                      JSON_COMPACT);
			rc = rc ? rc : cairn_note_add(j, id, nf, NULL);
			free(nf);
		}
		json_decref(c);
		if (rc)
			return fprintf(stderr, "bench_agent: %s\n", cairn_error_last()), 1;
		if (!first[0])
			memcpy(first, id, sizeof(id));
		if (++n % 500 == 0) {
			cairn_batch_commit(j);
			cairn_batch_begin(j);
		}
	}
	cairn_batch_commit(j);
	cairn_journal_free(j);
	printf("%s\n", first);
	return 0;
}
