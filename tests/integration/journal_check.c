/*
 * journal_check.c — a shell test's view into a journal: PRAGMA integrity_check, the state digest, and
 * per device the number of events, the highest seq and the import cursor.
 *
 * Usage: journal_check DIR PASSPHRASE_FILE [hold:NAME]
 * Prints one line:  integrity=ok digest=HEX events=N logs=DEV:COUNT:MAXSEQ:CURSOR,...
 * and exits 0; exits 1 (with the reason on stderr) when the journal cannot be opened or checked.
 * With hold:NAME it then adds a contact named NAME, prints "holding", and keeps the journal open (its
 * -wal and -shm files in place, the new pages not checkpointed) until its standard input reaches EOF:
 * a test can then search the files of a live journal.
 */
#include "cairn.h"
#include "journal.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char pass[256] = "", digest[CAIRN_DIGEST_LEN];
	cairn_journal *j;
	sqlite3_stmt *st = NULL;
	FILE *f;
	int ok = 1;
	if (argc != 3 && !(argc == 4 && !strncmp(argv[3], "hold:", 5))) {
		fprintf(stderr, "usage: journal_check DIR PASSPHRASE_FILE [hold:NAME]\n");
		return 2;
	}
	if (!(f = fopen(argv[2], "r")) || !fgets(pass, sizeof(pass), f)) {
		fprintf(stderr, "journal_check: cannot read '%s'\n", argv[2]);
		return 2;
	}
	fclose(f);
	pass[strcspn(pass, "\r\n")] = '\0';
	if (cairn_journal_open(&j, argv[1], pass, strlen(pass))) {
		fprintf(stderr, "journal_check: %s\n", cairn_error_last());
		return 1;
	}
	if (sqlite3_prepare_v2(j->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok")) {
		fprintf(stderr, "journal_check: integrity_check: %s\n",
		        st && sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0)
		                                         : sqlite3_errmsg(j->db));
		ok = 0;
	}
	sqlite3_finalize(st);
	if (!ok || cairn_digest(j, digest)) {
		fprintf(stderr, "journal_check: %s\n", ok ? cairn_error_last() : "integrity check failed");
		cairn_journal_free(j);
		return 1;
	}
	printf("integrity=ok digest=%s", digest);
	if (sqlite3_prepare_v2(j->db, "SELECT count(*) FROM events", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		printf(" events=%lld", (long long)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	printf(" logs=");
	if (sqlite3_prepare_v2(j->db,
	                       "SELECT e.device, count(*), max(e.seq), coalesce((SELECT last_seq FROM cursors c "
	                       "WHERE c.device = e.device), 0) FROM events e GROUP BY e.device ORDER BY e.device",
	                       -1, &st, NULL) == SQLITE_OK) {
		for (int k = 0; sqlite3_step(st) == SQLITE_ROW; k++)
			printf("%s%s:%lld:%lld:%lld", k ? "," : "", sqlite3_column_text(st, 0),
			       (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
			       (long long)sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);
	printf("\n");
	if (argc == 4) {
		json_t *o = json_pack("{ss}", "name", argv[3] + 5);
		char *fields = json_dumps(o, JSON_COMPACT), buf[64];
		int rc = cairn_contact_set(j, NULL, fields, NULL);
		free(fields);
		json_decref(o);
		if (rc) {
			fprintf(stderr, "journal_check: %s\n", cairn_error_last());
			cairn_journal_free(j);
			return 1;
		}
		printf("holding\n");
		fflush(stdout);
		while (fread(buf, 1, sizeof(buf), stdin) > 0)
			;
	}
	cairn_journal_free(j);
	return 0;
}
