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

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

/*
 * After a writer failed on its own: the WAL's frames as they are on disk (page, commit size, whether the
 * frame's salts are the header's), so a failure in CI can be read from its log. Runs of frames are
 * folded; the frames of `pgno` are listed.
 */
static void dump_wal(const char *dir, unsigned pgno)
{
	char path[300];
	unsigned char hdr[32], fh[24];
	snprintf(path, sizeof(path), "%s/journal.db-wal", dir);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "wal: none\n");
		return;
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (fread(hdr, 1, 32, f) != 32) {
		fprintf(stderr, "wal: %ld bytes, no header\n", size);
		fclose(f);
		return;
	}
	long frames = (size - 32) / (24 + 4096);
	fprintf(stderr, "wal: %ld bytes, %ld whole frames (%ld bytes over), checkpoint seq %u\n", size, frames,
	        (size - 32) % (24 + 4096), (unsigned)(hdr[12] << 24 | hdr[13] << 16 | hdr[14] << 8 | hdr[15]));
	long run_start = 1;
	int run_same = -1;
	for (long i = 0; i <= frames; i++) {
		int same = -2;
		unsigned pg = 0, commit = 0;
		if (i < frames && fseek(f, 32 + i * (24 + 4096), SEEK_SET) == 0 && fread(fh, 1, 24, f) == 24) {
			pg = (unsigned)(fh[0] << 24 | fh[1] << 16 | fh[2] << 8 | fh[3]);
			commit = (unsigned)(fh[4] << 24 | fh[5] << 16 | fh[6] << 8 | fh[7]);
			same = !memcmp(fh + 8, hdr + 16, 8);
			if (pg == pgno)
				fprintf(stderr, "wal: frame %ld holds page %u (commit %u, header salts %s)\n", i + 1,
				        pg, commit, same ? "yes" : "no");
		}
		if (same != run_same) {
			if (run_same >= 0)
				fprintf(stderr, "wal: frames %ld-%ld: salts %s the header's\n", run_start, i,
				        run_same ? "are" : "are not");
			run_same = same;
			run_start = i + 1;
		}
	}
	fclose(f);
}

/* The page number in a "page N of ..." message (0 when none). */
static unsigned failed_page(const char *msg)
{
	const char *p = msg ? strstr(msg, "page ") : NULL;
	return p ? (unsigned)strtoul(p + 5, NULL, 10) : 0;
}

/* Append what `fd` has to `log` (keeping the first logsz - 1 bytes); 0 at end of file. */
static int drain(int fd, char *log, size_t logsz, size_t *len)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	size_t take = (size_t)n < logsz - 1 - *len ? (size_t)n : logsz - 1 - *len;
	memcpy(log + *len, buf, take);
	*len += take;
	log[*len] = '\0';
	return 1;
}

/*
 * Run the writer; kill it after `kill_after` acks (0: let it finish). Returns the last ack seen. *failed
 * is set when the writer stopped by itself with an error: a non-zero exit, or a signal other than our
 * SIGKILL (a crash, an abort, a sanitizer). The start of its stderr is kept in `log`. Both pipes are read
 * as data comes, so a long report on stderr cannot block the writer while we wait for its acks.
 */
static uint64_t run_writer(const char *writer, const char *dir, uint64_t target, uint64_t kill_after, int *failed,
                           char *log, size_t logsz)
{
	int fds[2], efds[2], st = 0, killed = 0, open_fds = 2;
	char tgt[32], line[64];
	size_t len = 0, llen = 0;
	uint64_t last = 0, seen = 0;
	pid_t pid;
	snprintf(tgt, sizeof(tgt), "%llu", (unsigned long long)target);
	*failed = 0;
	log[0] = '\0';
	if (pipe(fds))
		return 0;
	if (pipe(efds)) { /* stderr through a pipe, not a file: the journal's file system may be the full one */
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(efds[1], 2);
		close(fds[0]);
		close(fds[1]);
		close(efds[0]);
		close(efds[1]);
		execl(writer, writer, dir, tgt, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	close(efds[1]);
	struct pollfd p[2] = {{fds[0], POLLIN, 0}, {efds[0], POLLIN, 0}};
	while (open_fds) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents && !drain(efds[0], log, logsz, &len)) {
			p[1].fd = -1;
			open_fds--;
		}
		if (!p[0].revents)
			continue;
		ssize_t n = read(fds[0], line + llen, sizeof(line) - 1 - llen);
		if (n <= 0) {
			p[0].fd = -1;
			open_fds--;
			continue;
		}
		llen += (size_t)n;
		line[llen] = '\0';
		char *nl;
		while ((nl = strchr(line, '\n'))) { /* one ack per line */
			*nl = '\0';
			last = strtoull(line, NULL,
			                10); /* every ack that reached us counts, including after the kill */
			if (kill_after && ++seen == kill_after) {
				kill(pid, SIGKILL);
				killed = 1;
			}
			llen -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, llen + 1);
		}
	}
	close(fds[0]);
	close(efds[0]);
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
		*failed = 1;
		fprintf(stderr, "writer exited with %d on its own: %s", WEXITSTATUS(st), log);
	} else if (WIFSIGNALED(st) && !(killed && WTERMSIG(st) == SIGKILL)) {
		*failed = 1;
		fprintf(stderr, "writer died of signal %d that we did not send: %s", WTERMSIG(st), log);
	}
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
		int failed;
		char log[1024];
		uint64_t a = run_writer(argv[1], dir, target, 1 + (uint64_t)rand() % (span ? span : 1), &failed, log,
		                        sizeof(log));
		if (a > acked)
			acked = a;
		if (failed) { /* a writer that stops by itself has met an error it should not have */
			dump_wal(dir, failed_page(log));
			fprintf(stderr, "FAIL: the writer failed by itself after kill %d (acked %llu)\n", k,
			        (unsigned long long)acked);
			failures++;
			break;
		}
		if (!verify(dir, acked, &stored)) {
			fprintf(stderr, "FAIL after kill %d (acked %llu)\n", k + 1, (unsigned long long)acked);
			failures++;
			break;
		}
		if (stored >= target)
			break;
	}
	int failed = 0;
	char log[1024];
	if (!failures) {
		acked = run_writer(argv[1], dir, target, 0, &failed, log, sizeof(log));
		if (failed) {
			dump_wal(dir, failed_page(log));
			failures++;
		}
	}
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
