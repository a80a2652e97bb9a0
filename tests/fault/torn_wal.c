/*
 * torn_wal.c — a WAL cut in the middle of a frame, as a crash during a write leaves it: the journal
 * still opens, passes PRAGMA integrity_check, and holds exactly the transactions whose commit frame lies
 * wholly before the cut (no acknowledged event before the tear is lost, nothing after it half applied);
 * it then records again.
 *
 * A child process appends APPENDS events, one transaction each, reports how many it had acknowledged,
 * and is SIGKILLed while holding the journal open (so the WAL is not checkpointed away). Its journal
 * directory is then copied once per cut point and the WAL truncated: in the last frame's page, in the
 * last frame's header, in the middle of the WAL, and just after the WAL header. The expected count comes
 * from the WAL itself: the commit frames (non-zero "database size" field) of the current generation (salts
 * equal to the header's) that end at or before the cut.
 */
#include "cairn.h"
#include "journal.h"
#include "t.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define APPENDS 40
#define WAL_HDR 32
#define FRAME (24 + 4096)

static unsigned get32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

static int run(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "torn_wal: '%s' failed\n", cmd);
	return rc;
}

/* The child: append, tell the parent how many were acknowledged, die holding the journal open. */
static void writer(const char *dir, int fd)
{
	cairn_journal *j;
	char contact[CAIRN_ID_LEN], body[160];
	if (cairn_journal_open(&j, dir, "torn", 4) != 0)
		_exit(1);
	for (int i = 1; i <= APPENDS; i++) {
		int rc;
		snprintf(body, sizeof(body), "{\"name\":\"torn person %d\"}", i);
		if (i % 2)
			rc = cairn_contact_set(j, NULL, body, contact);
		else {
			snprintf(body, sizeof(body), "{\"text\":\"torn note %d\",\"date\":\"2026-11-23\"}", i);
			rc = cairn_note_add(j, contact, body, NULL);
		}
		if (rc != 0)
			_exit(1);
	}
	if (write(fd, "done", 4) != 4)
		_exit(1);
	raise(SIGKILL);
	_exit(1);
}

/* Commit frames of the current generation that end at or before `cut`. */
static int commits_before(const unsigned char *wal, size_t n, size_t cut)
{
	int count = 0;
	for (size_t off = WAL_HDR; off + FRAME <= n; off += FRAME) {
		const unsigned char *h = wal + off;
		if (memcmp(h + 8, wal + 16, 8) != 0)
			break; /* a frame of an older generation: the log ends here */
		if (get32(h + 4) != 0 && off + FRAME <= cut)
			count++;
	}
	return count;
}

static int commit_frames(const unsigned char *wal, size_t n) { return commits_before(wal, n, n); }

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long len;
	if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return NULL;
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*n = (size_t)len;
	return buf;
}

/* Copy the killed journal, cut its WAL at `cut`, and check what opens. */
static void check_cut(const char *base, const char *name, size_t cut, int expect_events, int total)
{
	char dir[600], cmd[1400], wal[700];
	cairn_journal *j;
	sqlite3_stmt *st;
	uint64_t max = 0;
	int64_t count = -1;

	snprintf(dir, sizeof(dir), "%s/%s", base, name);
	snprintf(cmd, sizeof(cmd), "cp -a '%s/killed' '%s'", base, dir);
	if (run(cmd) != 0) {
		t_failed_checks++;
		return;
	}
	snprintf(wal, sizeof(wal), "%s/journal.db-wal", dir);
	T_CHECKF(truncate(wal, (off_t)cut) == 0, "%s: cannot truncate the wal", name);
	if (cairn_journal_open(&j, dir, "torn", 4) != 0) {
		T_CHECKF(0, "%s: the journal does not open after the cut at %zu: %s", name, cut, cairn_error_last());
		return;
	}
	T_CHECKF(sqlite3_prepare_v2(j->db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	                 sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "ok"),
	         "%s: integrity_check fails", name);
	sqlite3_finalize(st);
	cairn_events_max_seq(j, cairn_journal_device(j), &max);
	if (sqlite3_prepare_v2(j->db, "SELECT count(*) FROM events WHERE device = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, cairn_journal_device(j), -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			count = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	T_CHECKF(count == (int64_t)max, "%s: events are not gapless (%lld events, max seq %llu)", name,
	         (long long)count, (unsigned long long)max);
	T_CHECKF((int)max == expect_events,
	         "%s: cut at byte %zu keeps %llu of %d acknowledged events; the wal says %d committed before it", name,
	         cut, (unsigned long long)max, total, expect_events);
	/* The journal records again after the tear. */
	T_CHECKF(cairn_contact_set(j, NULL, "{\"name\":\"after the tear\"}", NULL) == 0, "%s: cannot record: %s", name,
	         cairn_error_last());
	cairn_events_max_seq(j, cairn_journal_device(j), &max);
	T_CHECKF((int)max == expect_events + 1, "%s: the next seq is %llu, not %d", name, (unsigned long long)max,
	         expect_events + 1);
	cairn_journal_free(j);
	printf("%s: cut at %zu of the wal: %d of %d events kept, integrity ok\n", name, cut, expect_events, total);
}

int main(void)
{
	char base[] = "/tmp/cairn-torn-XXXXXX", dir[64], cmd[200], walpath[128], done[8] = "";
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	unsigned char *wal;
	size_t n, last;
	int fds[2], status, total;
	pid_t pid;

	if (!mkdtemp(base) || pipe(fds) != 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s/killed", base);
	o.kdf = CAIRN_KDF_MIN;
	if (cairn_journal_init(dir, "torn", 4, &o) != 0) {
		fprintf(stderr, "torn_wal: %s\n", cairn_error_last());
		return 1;
	}
	if ((pid = fork()) == 0) {
		close(fds[0]);
		writer(dir, fds[1]);
	}
	close(fds[1]);
	T_CHECKF(read(fds[0], done, 4) == 4 && !strcmp(done, "done"), "the writer did not finish its appends");
	waitpid(pid, &status, 0);
	T_CHECKF(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the writer was not killed");

	snprintf(walpath, sizeof(walpath), "%s/journal.db-wal", dir);
	wal = slurp(walpath, &n);
	if (!wal || n < WAL_HDR + FRAME) {
		fprintf(stderr, "torn_wal: the killed writer left no wal (%zu bytes)\n", wal ? n : 0);
		return 1;
	}
	total = commit_frames(wal, n);
	/* Every append is one transaction; none was checkpointed into the database yet. */
	T_CHECKF(total == APPENDS, "the wal holds %d commits, expected %d (a checkpoint ran?)", total, APPENDS);
	last = WAL_HDR + (n - WAL_HDR) / FRAME * FRAME - FRAME; /* start of the last whole frame */

	check_cut(base, "in-last-page", last + 24 + 2000, commits_before(wal, n, last + 24 + 2000), total);
	check_cut(base, "in-last-header", last + 10, commits_before(wal, n, last + 10), total);
	{
		size_t mid = WAL_HDR + ((n - WAL_HDR) / FRAME / 2) * FRAME + 24 + 1234;
		check_cut(base, "in-the-middle", mid, commits_before(wal, n, mid), total);
	}
	check_cut(base, "after-the-header", WAL_HDR + 100, 0, total);
	free(wal);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	run(cmd);
	t_failed = t_failed_checks > 0;
	t_passed = !t_failed;
	T_END();
}
