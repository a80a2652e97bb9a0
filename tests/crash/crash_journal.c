/*
 * crash_journal.c — SIGKILL a journal writer at random moments and check nothing acknowledged is lost.
 *
 * Usage: crash_journal WRITER KILLS TARGET
 * Runs the writer, reads its acknowledgements (the seqs it has committed), kills it with SIGKILL after a
 * random number of them — the kill lands wherever the writer is in its next append — then reopens the
 * journal and checks: PRAGMA integrity_check is ok; every acknowledged seq is stored; the log is gapless;
 * no event is half applied (each contact.set has its contact, each note.add its note, and no row exists
 * without its event). Repeats KILLS times, then lets the writer finish TARGET appends and checks again.
 */
#include "cairn.h"
#include "journal.h"
#include "t.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t count(cairn_journal *j, const char *sql)
{
	sqlite3_stmt *st;
	uint64_t n = UINT64_MAX;
	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int verify(const char *dir, uint64_t acked, uint64_t *stored)
{
	cairn_journal *j;
	sqlite3_stmt *st;
	int ok = 1;
	if (cairn_journal_open(&j, dir, "crash", 5)) {
		fprintf(stderr, "reopen failed: %s\n", cairn_error_last());
		return 0;
	}
	if (sqlite3_prepare_v2(j->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok")) {
		fprintf(stderr, "integrity_check failed\n");
		ok = 0;
	}
	sqlite3_finalize(st);
	uint64_t max = count(j, "SELECT coalesce(max(seq), 0) FROM events");
	uint64_t n = count(j, "SELECT count(*) FROM events");
	uint64_t sets = count(j, "SELECT count(*) FROM events WHERE kind = 'contact.set'");
	uint64_t adds = count(j, "SELECT count(*) FROM events WHERE kind = 'note.add'");
	uint64_t contacts = count(j, "SELECT count(*) FROM contacts");
	uint64_t notes = count(j, "SELECT count(*) FROM notes");
	uint64_t orphans = count(j, "SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM events e "
	                            "WHERE e.entity = c.entity)");
	uint64_t fts = count(j, "SELECT count(*) FROM note_fts_docsize");
	if (max < acked) {
		fprintf(stderr, "lost: acknowledged seq %llu, stored up to %llu\n", (unsigned long long)acked,
		        (unsigned long long)max);
		ok = 0;
	}
	if (n != max) {
		fprintf(stderr, "gap: %llu events, max seq %llu\n", (unsigned long long)n, (unsigned long long)max);
		ok = 0;
	}
	if (sets != contacts || adds != notes || orphans != 0 || fts != notes) {
		fprintf(stderr, "half applied: %llu sets / %llu contacts, %llu adds / %llu notes / %llu indexed\n",
		        (unsigned long long)sets, (unsigned long long)contacts, (unsigned long long)adds,
		        (unsigned long long)notes, (unsigned long long)fts);
		ok = 0;
	}
	*stored = max;
	cairn_journal_free(j);
	return ok;
}

/* Run the writer; kill it after `kill_after` acks (0: let it finish). Returns the last ack seen. */
static uint64_t run_writer(const char *writer, const char *dir, uint64_t target, uint64_t kill_after)
{
	int fds[2];
	char tgt[32];
	uint64_t last = 0, seen = 0;
	pid_t pid;
	snprintf(tgt, sizeof(tgt), "%llu", (unsigned long long)target);
	if (pipe(fds))
		return 0;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(writer, writer, dir, tgt, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	unsigned long long v;
	while (fscanf(in, "%llu", &v) == 1) {
		last = v; /* every ack that reached us counts, including those after the kill */
		if (kill_after && ++seen == kill_after)
			kill(pid, SIGKILL);
	}
	fclose(in);
	waitpid(pid, NULL, 0);
	return last;
}

int main(int argc, char **argv)
{
	char dir[256];
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	uint64_t acked = 0, stored = 0;
	int kills, failures = 0;
	uint64_t target;
	if (argc != 4) {
		fprintf(stderr, "usage: crash_journal WRITER KILLS TARGET\n");
		return 2;
	}
	kills = atoi(argv[2]);
	target = strtoull(argv[3], NULL, 10);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	snprintf(dir, sizeof(dir), "%s/cairn-crash-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 2;
	strcat(dir, "/j");
	o.kdf = CAIRN_KDF_MIN;
	if (cairn_journal_init(dir, "crash", 5, &o)) {
		fprintf(stderr, "init: %s\n", cairn_error_last());
		return 1;
	}
	uint64_t span = 2 * target / (uint64_t)(kills ? kills : 1);
	for (int k = 0; k < kills; k++) {
		uint64_t a = run_writer(argv[1], dir, target, 1 + (uint64_t)rand() % (span ? span : 1));
		if (a > acked)
			acked = a;
		if (!verify(dir, acked, &stored)) {
			fprintf(stderr, "FAIL after kill %d (acked %llu)\n", k + 1, (unsigned long long)acked);
			failures++;
			break;
		}
		if (stored >= target)
			break;
	}
	acked = run_writer(argv[1], dir, target, 0);
	if (!failures && (!verify(dir, target, &stored) || stored != target)) {
		fprintf(stderr, "FAIL at the end: stored %llu of %llu\n", (unsigned long long)stored,
		        (unsigned long long)target);
		failures++;
	}
	fprintf(stderr, "%d kills, %llu events stored\n", kills, (unsigned long long)stored);
	if (!failures) {
		char cmd[300];
		dir[strlen(dir) - 2] = '\0';
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot clean up\n");
	}
	printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
	return failures ? 1 : 0;
}
