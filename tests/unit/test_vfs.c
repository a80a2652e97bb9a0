/*
 * test_vfs.c — the encrypting VFS: no plaintext on disk, tampering detected page by page, and SQLite's
 * crash recovery (WAL and rollback journal) still working through the encryption.
 */
#include "cairn.h"
#include "t.h"
#include "vfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CANARY "CANARY-7f3a"
#define RW (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
#define FRAME (24 + CAIRN_PAGE_SIZE)

static unsigned char key_a[32], key_b[32];
static char dir[256], db_path[300];

/* ---------------------------------------------------------------------------------------------- */
/* Helpers                                                                                         */

static void fresh_dir(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/cairn-vfs-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(db_path, sizeof(db_path), "%s/journal.db", dir);
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[600];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long len;

	*n = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*n = buf ? (size_t)len : 0;
	return buf;
}

/* How many files in `d` contain `needle`; the number of files scanned goes to *files. */
static int dir_count(const char *d, const char *needle, int *files)
{
	DIR *dd = opendir(d);
	struct dirent *e;
	char p[600];
	int hits = 0;

	*files = 0;
	while (dd && (e = readdir(dd)) != NULL) {
		size_t n;
		unsigned char *b;
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
		b = slurp(p, &n);
		(*files)++;
		if (b && memmem(b, n, needle, strlen(needle)))
			hits++;
		free(b);
	}
	if (dd)
		closedir(dd);
	return hits;
}

static int exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "  sql failed (%d, %s): %s\n", sqlite3_extended_errcode(db), sqlite3_errmsg(db), sql);
	return rc;
}

/* The integer in the first column of the first row, or -1 on error (extended code in *rc). */
static long long query_int(sqlite3 *db, const char *sql, int *rc)
{
	sqlite3_stmt *st;
	long long v = -1;

	*rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		*rc = SQLITE_OK;
	} else {
		*rc = sqlite3_extended_errcode(db);
	}
	sqlite3_finalize(st);
	return v;
}

/* "ok" from integrity_check: 1; anything else (an error, a problem): 0. */
static int integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	if (ok && sqlite3_step(st) != SQLITE_DONE)
		ok = 0;
	sqlite3_finalize(st);
	return ok;
}

/* Insert `rows` rows of about `size` bytes, each holding `tag`, in transactions of `per_tx`. */
static int fill(sqlite3 *db, int rows, int size, int per_tx, const char *tag)
{
	sqlite3_stmt *st;
	char *body = malloc((size_t)size + 1);
	int rc = SQLITE_OK;

	if (exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, body TEXT)") != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "INSERT INTO t(body) VALUES (?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < rows && rc == SQLITE_OK; i++) {
		if (i % per_tx == 0)
			exec(db, "BEGIN");
		int k = snprintf(body, (size_t)size + 1, "%s row %d ", tag, i);
		for (; k < size; k++) /* text that differs per row, like notes */
			body[k] = (char)('a' + (unsigned)(i * 31 + k * 7) % 26);
		body[size] = '\0';
		sqlite3_bind_text(st, 1, body, size, SQLITE_TRANSIENT);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_extended_errcode(db);
		sqlite3_reset(st);
		if (i % per_tx == per_tx - 1 || i == rows - 1)
			exec(db, "COMMIT");
	}
	sqlite3_finalize(st);
	free(body);
	return rc;
}

static int flip_byte(const char *path, off_t off, unsigned char *old)
{
	int fd = open(path, O_RDWR);
	unsigned char b;
	int ok;

	if (fd < 0)
		return -1;
	ok = pread(fd, &b, 1, off) == 1;
	*old = b;
	b ^= (unsigned char)(1u << (rand() % 8));
	ok = ok && pwrite(fd, &b, 1, off) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static int put_byte(const char *path, off_t off, unsigned char b)
{
	int fd = open(path, O_RDWR);
	int ok = fd >= 0 && pwrite(fd, &b, 1, off) == 1;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* ---------------------------------------------------------------------------------------------- */
/* No plaintext on disk                                                                            */

static void test_canary_absent_everywhere(void)
{
	sqlite3 *db = NULL, *raw = NULL;
	sqlite3_stmt *st = NULL;
	int files, rc;

	fresh_dir();
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(fill(db, 3000, 300, 50, CANARY) == SQLITE_OK);
	T_CHECK(dir_count(dir, CANARY, &files) == 0);
	T_CHECK(files >= 3); /* db, -wal, -shm */
	T_CHECK(file_size(db_path) > 0);
	T_CHECK(exec(db, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
	T_CHECK(dir_count(dir, CANARY, &files) == 0);
	T_CHECK(file_size(db_path) > 100 * CAIRN_PAGE_SIZE);
	cairn__vfs_close(db);
	T_CHECK(dir_count(dir, CANARY, &files) == 0);
	T_CHECK(dir_count(dir, "SQLite format 3", &files) == 0);
	T_CHECK(dir_count(dir, "CREATE TABLE", &files) == 0);

	/* Stock SQLite cannot even read the schema. */
	T_CHECK(sqlite3_open_v2(db_path, &raw, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	rc = sqlite3_prepare_v2(raw, "SELECT * FROM sqlite_master", -1, &st, NULL);
	T_CHECK(rc == SQLITE_NOTADB);
	sqlite3_finalize(st);
	sqlite3_close(raw);

	/* ... while the VFS reads every row back. */
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(query_int(db, "SELECT count(*) FROM t WHERE body LIKE '" CANARY " row %'", &rc) == 3000);
	T_CHECK(rc == SQLITE_OK);
	T_CHECK(integrity_ok(db));
	cairn__vfs_close(db);
	remove_dir();
}

/* The scanner of the test above finds the canary when nothing encrypts it (so that test can fail). */
static void test_canary_control_plain_sqlite(void)
{
	sqlite3 *db = NULL;
	int files;

	fresh_dir();
	T_REQUIRE(sqlite3_open(db_path, &db) == SQLITE_OK);
	exec(db, "PRAGMA journal_mode=WAL");
	T_CHECK(fill(db, 200, 300, 50, CANARY) == SQLITE_OK);
	T_CHECK(dir_count(dir, CANARY, &files) >= 1);
	sqlite3_close(db);
	remove_dir();
}

/* ---------------------------------------------------------------------------------------------- */
/* Tampering                                                                                       */

static int make_db(int rows, int size)
{
	sqlite3 *db = NULL;
	int rc;

	fresh_dir();
	if (cairn__vfs_open(&db, db_path, key_a, RW) != 0)
		return -1;
	rc = fill(db, rows, size, 100, CANARY);
	if (rc == SQLITE_OK)
		rc = exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	cairn__vfs_close(db);
	return rc;
}

/* After a flipped byte: opening fails as tampering, or reading the table does. Never "ok". */
static int tamper_detected_by_sql(void)
{
	sqlite3 *db = NULL;
	int rc, detected;

	if (cairn__vfs_open(&db, db_path, key_a, RW) != 0)
		return cairn_error_last_code() == CAIRN_ETAMPER && strstr(cairn_error_last(), "failed authentication");
	query_int(db, "SELECT sum(length(body)) FROM t", &rc);
	detected = rc == SQLITE_IOERR_AUTH && !integrity_ok(db) && cairn__vfs_error(db) == CAIRN_ETAMPER;
	cairn__vfs_close(db);
	return detected;
}

static void test_tamper_every_page(void)
{
	unsigned char page[CAIRN_PAGE_SIZE], clean[CAIRN_PAGE_SIZE];
	sqlite3 *db = NULL;
	unsigned npages, pgno, got;
	int role, rc;

	T_REQUIRE(make_db(800, 1000) == SQLITE_OK);
	npages = (unsigned)(file_size(db_path) / CAIRN_PAGE_SIZE);
	T_REQUIRE(npages >= 200);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	for (int i = 0; i < 100; i++) {
		off_t off;
		unsigned char old;
		pgno = 1 + (unsigned)rand() % npages;
		off = (off_t)(pgno - 1) * CAIRN_PAGE_SIZE + rand() % CAIRN_PAGE_SIZE;
		T_REQUIRE(cairn__vfs_read_page(db, pgno, clean) == SQLITE_OK);
		T_REQUIRE(flip_byte(db_path, off, &old) == 0);
		memset(page, 0xa5, sizeof(page));
		rc = cairn__vfs_read_page(db, pgno, page);
		T_CHECK(rc == SQLITE_IOERR_AUTH);
		T_CHECK(cairn__vfs_last_auth_failure(db, &got, &role) == 1);
		T_CHECK(got == pgno && role == CAIRN_VFS_ROLE_DB);
		T_CHECK(page[0] == 0 && memcmp(page, page + 1, sizeof(page) - 1) == 0); /* no wrong data */
		T_CHECK(cairn__vfs_error(db) == CAIRN_ETAMPER);
		T_CHECK(strstr(cairn_error_last(), "failed authentication") != NULL);
		T_CHECK(cairn__vfs_last_auth_failure(db, NULL, NULL) == 0);
		if (i % 10 == 0) { /* the same through SQL, on a fresh connection (no cached pages) */
			cairn__vfs_close(db);
			db = NULL;
			T_CHECK(tamper_detected_by_sql());
		}
		T_REQUIRE(put_byte(db_path, off, old) == 0);
		if (!db)
			T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
		T_CHECK(cairn__vfs_read_page(db, pgno, page) == SQLITE_OK);
		T_CHECK(memcmp(page, clean, sizeof(page)) == 0);
	}
	cairn__vfs_close(db);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(integrity_ok(db));
	cairn__vfs_close(db);
	remove_dir();
}

static void test_wrong_key(void)
{
	sqlite3 *db = NULL;
	unsigned char *before, *after;
	size_t nb, na;

	T_REQUIRE(make_db(100, 500) == SQLITE_OK);
	before = slurp(db_path, &nb);
	T_CHECK(cairn__vfs_open(&db, db_path, key_b, RW) == CAIRN_ETAMPER);
	T_CHECK(db == NULL);
	T_CHECK(strstr(cairn_error_last(), "journal database '") != NULL);
	T_CHECK(strstr(cairn_error_last(), "failed authentication (wrong key or modified file)") != NULL);
	after = slurp(db_path, &na);
	T_CHECK(before && after && nb == na && memcmp(before, after, nb) == 0);
	T_CHECK(cairn__vfs_open(&db, db_path, key_b, SQLITE_OPEN_READONLY) == CAIRN_ETAMPER);
	T_OK(cairn__vfs_open(&db, db_path, key_a, SQLITE_OPEN_READONLY));
	cairn__vfs_close(db);
	free(before);
	free(after);
	remove_dir();
}

static void test_page_swap(void)
{
	unsigned char p5[CAIRN_PAGE_SIZE], buf[CAIRN_PAGE_SIZE];
	sqlite3 *db = NULL;
	unsigned got;
	int fd;

	T_REQUIRE(make_db(200, 500) == SQLITE_OK);
	fd = open(db_path, O_RDWR);
	T_REQUIRE(fd >= 0);
	T_CHECK(pread(fd, p5, sizeof(p5), 4 * CAIRN_PAGE_SIZE) == CAIRN_PAGE_SIZE);
	T_CHECK(pwrite(fd, p5, sizeof(p5), 5 * CAIRN_PAGE_SIZE) == CAIRN_PAGE_SIZE);
	close(fd);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(cairn__vfs_read_page(db, 5, buf) == SQLITE_OK);
	T_CHECK(cairn__vfs_read_page(db, 6, buf) == SQLITE_IOERR_AUTH);
	T_CHECK(cairn__vfs_last_auth_failure(db, &got, NULL) == 1 && got == 6);
	T_CHECK(cairn__vfs_error(db) == CAIRN_ETAMPER);
	T_CHECK(strstr(cairn_error_last(), "page 6 of '") != NULL);
	cairn__vfs_close(db);
	remove_dir();
}

/* ---------------------------------------------------------------------------------------------- */
/* The WAL after a crash                                                                           */

/* In a child: commit `n` transactions (transaction i inserts row v=i), then die without a checkpoint. */
static void crash_after_commits(int n, int size)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		sqlite3 *db = NULL;
		char *sql = malloc((size_t)size + 128);
		if (cairn__vfs_open(&db, db_path, key_a, RW) != 0)
			_exit(3);
		if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS c(v INTEGER, pad TEXT)", NULL, NULL, NULL))
			_exit(4);
		for (int i = 1; i <= n; i++) {
			snprintf(sql, (size_t)size + 128, "INSERT INTO c VALUES(%d, printf('%%.%dc', 'x'))", i, size);
			if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
				_exit(5);
		}
		kill(getpid(), SIGKILL);
		_exit(6);
	}
	waitpid(pid, &status, 0);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fprintf(stderr, "  child did not die by SIGKILL (status %d)\n", status);
}

/* Rows 1..n of table c all present, and nothing above n. */
static int rows_exactly(sqlite3 *db, int n)
{
	int rc;
	long long cnt = query_int(db, "SELECT count(DISTINCT v) FROM c", &rc);
	long long mx = query_int(db, "SELECT coalesce(max(v), 0) FROM c", &rc);
	if (cnt != n || mx != n)
		fprintf(stderr, "  expected rows 1..%d, found %lld rows, max %lld\n", n, cnt, mx);
	return cnt == n && mx == n;
}

static void test_wal_recovery_after_kill(void)
{
	char wal[320];
	sqlite3 *db = NULL;
	int n = 50 + rand() % 300;

	fresh_dir();
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	crash_after_commits(n, 1500);
	T_CHECK(file_size(wal) > 32 + FRAME); /* the transactions are in the WAL only */
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(rows_exactly(db, n));
	T_CHECK(integrity_ok(db));
	cairn__vfs_close(db);
	remove_dir();
}

static void test_wal_torn_last_frame(void)
{
	char wal[320];
	sqlite3 *db = NULL;
	int n = 20 + rand() % 100;
	off_t size;

	fresh_dir();
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	crash_after_commits(n, 100); /* small rows: each transaction ends with one frame */
	size = file_size(wal);
	T_REQUIRE(size > 32 && (size - 32) % FRAME == 0);
	T_REQUIRE(truncate(wal, size - FRAME / 2) == 0);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(rows_exactly(db, n - 1));
	T_CHECK(integrity_ok(db));
	cairn__vfs_close(db);
	remove_dir();
}

/* Invariant 7 of vfs.c: a modified frame reads as the end of the log in recovery, not as an error. */
static void test_wal_tampered_last_frame_reads_as_truncated(void)
{
	char wal[320];
	sqlite3 *db = NULL;
	int n = 20 + rand() % 100;
	unsigned char old;
	off_t size;

	fresh_dir();
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	crash_after_commits(n, 100);
	size = file_size(wal);
	T_REQUIRE(size > 32 && (size - 32) % FRAME == 0);
	T_REQUIRE(flip_byte(wal, size - CAIRN_PAGE_SIZE + rand() % CAIRN_PAGE_SIZE, &old) == 0);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(rows_exactly(db, n - 1));
	T_CHECK(integrity_ok(db));
	cairn__vfs_close(db);
	remove_dir();
}

static int wal_warnings;
static void count_wal_warnings(cairn_log_level level, const char *msg, void *ud)
{
	(void)ud;
	if (level == CAIRN_LOG_WARN && strstr(msg, "wal frame"))
		wal_warnings++;
}

/* In a child: fill the WAL with `n` commits, checkpoint, start a new WAL generation with `m` commits
 * (SQLite rewrites the file from its start: the old generation's frames stay behind), then die. */
static void crash_after_new_generation(int n, int m)
{
	pid_t pid = fork();
	int status;
	if (pid == 0) {
		sqlite3 *db = NULL;
		char sql[160];
		if (cairn__vfs_open(&db, db_path, key_a, RW) != 0 ||
		    sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0; CREATE TABLE c(v INTEGER, pad TEXT)", NULL, NULL,
		                 NULL))
			_exit(3);
		for (int i = 1; i <= n + m; i++) {
			if (i == n + 1 &&
			    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_FULL, NULL, NULL) != SQLITE_OK)
				_exit(4);
			snprintf(sql, sizeof(sql), "INSERT INTO c VALUES(%d, printf('%%.100c', 'x'))", i);
			if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
				_exit(5);
		}
		kill(getpid(), SIGKILL);
		_exit(6);
	}
	waitpid(pid, &status, 0);
}

/* A WAL left with frames of an earlier generation after its end (a crash, or an agent's held connection
 * that never closed last) recovers without a tamper warning; a modified frame of the current generation
 * still warns. */
static void test_wal_old_generation_is_not_tamper(void)
{
	char wal[320];
	sqlite3 *db = NULL;
	unsigned char old;
	cairn_log_set(count_wal_warnings, NULL);
	fresh_dir();
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	crash_after_new_generation(200, 5);
	T_REQUIRE(file_size(wal) > 32 + 100 * FRAME); /* the old generation is still in the file */
	wal_warnings = 0;
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(rows_exactly(db, 205));
	T_CHECK(integrity_ok(db));
	cairn__vfs_close(db);
	T_CHECK(wal_warnings == 0);
	remove_dir();
	/* the same, with one byte of the new generation's last frame changed */
	fresh_dir();
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	crash_after_new_generation(200, 5);
	T_REQUIRE(flip_byte(wal, 32 + 5 * FRAME - CAIRN_PAGE_SIZE + rand() % CAIRN_PAGE_SIZE, &old) == 0);
	wal_warnings = 0;
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(rows_exactly(db, 204));
	cairn__vfs_close(db);
	T_CHECK(wal_warnings == 1);
	cairn_log_set(NULL, NULL);
	remove_dir();
}

/* SQLite's WAL checksum (walChecksumBytes) for a WAL whose magic asks for little-endian words, as SQLite
 * writes on this machine: keyless and linear, so anyone can compute or adjust one. */
static void wal_cksum(const unsigned char *p, size_t n, uint32_t s[2])
{
	for (size_t i = 0; i < n; i += 8) {
		uint32_t x0 =
		        (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
		uint32_t x1 = (uint32_t)p[i + 4] | (uint32_t)p[i + 5] << 8 | (uint32_t)p[i + 6] << 16 |
		              (uint32_t)p[i + 7] << 24;
		s[0] += x0 + s[1];
		s[1] += x1 + s[0];
	}
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Without the key, a new WAL holding one commit frame whose page is noise but whose checksum is computed
 * over a page of zeros (what the VFS hands recovery for a page that fails authentication). Recovery must
 * not take it: its commit marker gives the database size, which SQLite then believes over the file's
 * (with a page cut off the end of the file, that made the cut page read as zeros). Before, SQLite
 * recovered the frame ("recovered 1 frames"). */
static void test_wal_forged_frame_over_zeros(void)
{
	unsigned char wal[32 + FRAME], zero[CAIRN_PAGE_SIZE] = {0};
	char path[320];
	uint32_t s[2] = {0, 0};
	sqlite3 *db = NULL;
	long long pages;
	int rc, fd, nlog = -1, nckpt = -1;

	T_REQUIRE(make_db(60, 700) == SQLITE_OK);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	pages = query_int(db, "PRAGMA page_count", &rc);
	cairn__vfs_close(db);
	T_REQUIRE(pages > 1);
	put_be32(wal, 0x377f0682); /* little-endian checksums */
	put_be32(wal + 4, 3007000);
	put_be32(wal + 8, CAIRN_PAGE_SIZE);
	put_be32(wal + 12, 0);
	for (int i = 0; i < 8; i++) /* salts */
		wal[16 + i] = (unsigned char)rand();
	wal_cksum(wal, 24, s);
	put_be32(wal + 24, s[0]);
	put_be32(wal + 28, s[1]);
	put_be32(wal + 32, (uint32_t)pages + 3); /* a page past the end, in a commit of the database's size */
	put_be32(wal + 36, (uint32_t)pages);
	memcpy(wal + 40, wal + 16, 8);
	wal_cksum(wal + 32, 8, s);
	wal_cksum(zero, sizeof(zero), s);
	put_be32(wal + 48, s[0]);
	put_be32(wal + 52, s[1]);
	for (int i = 0; i < CAIRN_PAGE_SIZE; i++) /* noise, not a sealed page */
		wal[56 + i] = (unsigned char)rand();
	snprintf(path, sizeof(path), "%s-wal", db_path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	T_REQUIRE(fd >= 0);
	T_REQUIRE(write(fd, wal, sizeof(wal)) == (ssize_t)sizeof(wal));
	close(fd);
	wal_warnings = 0;
	cairn_log_set(count_wal_warnings, NULL);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt) == SQLITE_OK);
	T_CHECK(nlog == 0); /* recovery took no frame */
	T_CHECK(query_int(db, "PRAGMA page_count", &rc) == pages);
	T_CHECK(integrity_ok(db));
	T_CHECK(query_int(db, "SELECT count(*) FROM t", &rc) == 60);
	cairn__vfs_close(db);
	cairn_log_set(NULL, NULL);
	T_CHECK(wal_warnings == 1);
	remove_dir();
}

/* Without the key, the first frame of a transaction made its commit, the checksum adjusted (the change
 * of one header word moves the checksum by an amount that does not depend on the page). The frame's
 * page is bound to its commit marker: recovery ends the log before it, and the transaction is dropped
 * whole, never half applied. Before, its first frames became durable and nothing was reported. */
static void test_wal_commit_marker_bound(void)
{
	char wal[320];
	sqlite3 *db = NULL;
	unsigned char *b;
	size_t n, nframes, last = 0, first;
	int rows = 10 + rand() % 20;

	fresh_dir();
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	crash_after_commits(rows, 9000); /* rows over several overflow pages: transactions of several frames */
	b = slurp(wal, &n);
	T_REQUIRE(b && n > 32 && (n - 32) % FRAME == 0);
	nframes = (n - 32) / FRAME;
	for (size_t k = 0; k < nframes; k++) /* the last commit, and the frame after the one before it */
		if (get_be32(b + 32 + k * FRAME + 4))
			last = k;
	first = last;
	while (first > 0 && !get_be32(b + 32 + (first - 1) * FRAME + 4))
		first--;
	T_REQUIRE(first < last); /* the last transaction wrote more than one frame */
	unsigned char *h = b + 32 + first * FRAME;
	uint32_t marker = get_be32(b + 32 + last * FRAME + 4), d[2] = {0, 0};
	/* the word changes from 0 to `marker` (read little-endian by the checksum) */
	d[1] = (uint32_t)(marker >> 24 | (marker >> 8 & 0xff00) | (marker << 8 & 0xff0000) | marker << 24);
	for (int i = 0; i < CAIRN_PAGE_SIZE / 8; i++) {
		d[0] += d[1];
		d[1] += d[0];
	}
	put_be32(h + 4, marker);
	put_be32(h + 16, get_be32(h + 16) + d[0]);
	put_be32(h + 20, get_be32(h + 20) + d[1]);
	int fd = open(wal, O_WRONLY);
	T_REQUIRE(fd >= 0);
	T_REQUIRE(pwrite(fd, h, 24, (off_t)(h - b)) == 24);
	close(fd);
	free(b);
	wal_warnings = 0;
	cairn_log_set(count_wal_warnings, NULL);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(rows_exactly(db, rows - 1));
	T_CHECK(integrity_ok(db));
	cairn__vfs_close(db);
	cairn_log_set(NULL, NULL);
	T_CHECK(wal_warnings == 1);
	remove_dir();
}

/* The offset of the page of the last frame in `wal` that is not page 1; its page number in *pgno. */
static off_t last_frame_not_page1(const char *wal, unsigned *pgno)
{
	size_t n;
	unsigned char *b = slurp(wal, &n);
	off_t found = -1;

	for (size_t off = 32; b && off + FRAME <= n; off += FRAME) {
		unsigned pg = (unsigned)b[off] << 24 | (unsigned)b[off + 1] << 16 | b[off + 2] << 8 | b[off + 3];
		if (pg != 1) {
			found = (off_t)off + 24;
			*pgno = pg;
		}
	}
	free(b);
	return found;
}

/* Once the wal-index is built, a page read from a modified frame fails loudly. */
static void test_wal_tampered_frame_while_open(void)
{
	char wal[320];
	sqlite3 *w = NULL, *r = NULL;
	unsigned pgno = 0, got = 0;
	int role = 0, rc;
	unsigned char old;
	off_t off;

	fresh_dir();
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	T_OK(cairn__vfs_open(&w, db_path, key_a, RW));
	T_CHECK(exec(w, "PRAGMA wal_autocheckpoint=0") == SQLITE_OK);
	T_CHECK(fill(w, 50, 3000, 50, CANARY) == SQLITE_OK);
	T_CHECK(exec(w, "UPDATE t SET body = upper(body)") == SQLITE_OK);
	off = last_frame_not_page1(wal, &pgno);
	T_REQUIRE(off > 0);
	off += rand() % CAIRN_PAGE_SIZE;
	T_REQUIRE(flip_byte(wal, off, &old) == 0);
	T_OK(cairn__vfs_open(&r, db_path, key_a, RW)); /* the wal-index is there: no recovery */
	query_int(r, "SELECT sum(length(body)) FROM t", &rc);
	T_CHECK(rc == SQLITE_IOERR_AUTH);
	T_CHECK(cairn__vfs_last_auth_failure(r, &got, &role) == 1);
	T_CHECK(got == pgno && role == CAIRN_VFS_ROLE_WAL);
	T_CHECK(cairn__vfs_error(r) == CAIRN_ETAMPER && strstr(cairn_error_last(), "-wal'"));
	T_CHECK(put_byte(wal, off, old) == 0);
	query_int(r, "SELECT sum(length(body)) FROM t", &rc);
	T_CHECK(rc == SQLITE_OK);
	cairn__vfs_close(r);
	cairn__vfs_close(w);
	remove_dir();
}

/* ---------------------------------------------------------------------------------------------- */
/* The rollback journal                                                                            */

/* Journal headers in `path` (the magic at a 512-byte boundary). */
static int journal_headers(const char *path)
{
	static const unsigned char magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
	size_t n;
	unsigned char *b = slurp(path, &n);
	int count = 0;

	for (size_t off = 0; b && off + 8 <= n; off += 512)
		count += memcmp(b + off, magic, 8) == 0;
	free(b);
	return count;
}

/*
 * A child opens the database in journal_mode=DELETE, rewrites every row with a tiny page cache (so the
 * pager spills mid-transaction: journal syncs, new headers, database pages written), checks that no
 * plaintext is on disk, reports on `fd` and dies with the transaction open.
 */
static void journal_child(int fd)
{
	char jrnl[320], ok = 0;
	sqlite3 *db = NULL;
	int files;

	snprintf(jrnl, sizeof(jrnl), "%s-journal", db_path);
	if (cairn__vfs_open(&db, db_path, key_a, RW) != 0)
		_exit(3);
	if (exec(db, "PRAGMA journal_mode=DELETE") || exec(db, "PRAGMA cache_size=10") || exec(db, "BEGIN") ||
	    exec(db, "UPDATE t SET body = replace(body, 'OLD-', 'NEW-')"))
		_exit(4);
	ok = file_size(jrnl) > 20 * CAIRN_PAGE_SIZE && journal_headers(jrnl) >= 2 &&
	     dir_count(dir, "CANARY-OLD", &files) == 0 && dir_count(dir, "CANARY-NEW", &files) == 0;
	if (write(fd, &ok, 1) != 1)
		_exit(5);
	kill(getpid(), SIGKILL);
	_exit(6);
}

static void test_journal_delete_mode_hot_rollback(void)
{
	char jrnl[320], ok = 0;
	sqlite3 *db = NULL;
	int fds[2], files, status, rc;
	pid_t pid;

	fresh_dir();
	snprintf(jrnl, sizeof(jrnl), "%s-journal", db_path);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(exec(db, "PRAGMA journal_mode=DELETE") == SQLITE_OK);
	T_CHECK(fill(db, 600, 400, 600, "CANARY-OLD-") == SQLITE_OK);
	cairn__vfs_close(db);
	T_REQUIRE(pipe(fds) == 0);
	pid = fork();
	if (pid == 0)
		journal_child(fds[1]);
	close(fds[1]);
	T_CHECK(read(fds[0], &ok, 1) == 1 && ok == 1);
	close(fds[0]);
	waitpid(pid, &status, 0);
	T_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	T_CHECK(file_size(jrnl) > 0); /* hot */
	T_CHECK(dir_count(dir, "CANARY-", &files) == 0);

	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(file_size(jrnl) < 0); /* rolled back, then WAL mode */
	T_CHECK(query_int(db, "SELECT count(*) FROM t WHERE body LIKE 'CANARY-OLD-%'", &rc) == 600);
	T_CHECK(query_int(db, "SELECT count(*) FROM t WHERE body LIKE 'CANARY-NEW-%'", &rc) == 0);
	T_CHECK(integrity_ok(db));
	cairn__vfs_close(db);
	T_CHECK(dir_count(dir, "CANARY-", &files) == 0);
	remove_dir();
}

/*
 * Journal records are told from headers by offset, not size: with 4096-byte sectors a header write is
 * exactly one page long. Drive a journal file through the VFS by hand: the one-page header stays in
 * clear, the record's page is sealed, and reads give the page back.
 */
static void test_journal_one_page_header(void)
{
	static const unsigned char magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
	unsigned char hdr[CAIRN_PAGE_SIZE] = {0}, page[CAIRN_PAGE_SIZE] = {0}, back[CAIRN_PAGE_SIZE];
	unsigned char pgno[4] = {0, 0, 0, 7}, *raw;
	static char jpath[320];
	sqlite3 *db = NULL;
	sqlite3_vfs *vfs = NULL;
	sqlite3_file *j;
	size_t n;
	int out = 0;

	fresh_dir();
	snprintf(jpath, sizeof(jpath), "%s-journal", db_path);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_REQUIRE(sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) == SQLITE_OK && vfs);
	j = calloc(1, (size_t)vfs->szOsFile);
	T_REQUIRE(vfs->xOpen(vfs, jpath, j, SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                     &out) == SQLITE_OK);
	memcpy(hdr, magic, 8);
	hdr[22] = 0x10; /* sector size 4096 */
	hdr[26] = 0x10; /* page size 4096 */
	snprintf((char *)page, 100, "%s in a journal record", CANARY);
	T_CHECK(j->pMethods->xWrite(j, hdr, CAIRN_PAGE_SIZE, 0) == SQLITE_OK);
	T_CHECK(j->pMethods->xWrite(j, pgno, 4, CAIRN_PAGE_SIZE) == SQLITE_OK);
	T_CHECK(j->pMethods->xWrite(j, page, CAIRN_PAGE_SIZE, CAIRN_PAGE_SIZE + 4) == SQLITE_OK);
	T_CHECK(j->pMethods->xWrite(j, pgno, 4, 2 * CAIRN_PAGE_SIZE + 4) == SQLITE_OK); /* "checksum" */
	hdr[100] = 1; /* a one-page write at a header's place that is not a header: refused */
	T_CHECK(j->pMethods->xWrite(j, hdr, CAIRN_PAGE_SIZE, 0) == SQLITE_IOERR_WRITE);
	T_CHECK(j->pMethods->xRead(j, back, CAIRN_PAGE_SIZE, CAIRN_PAGE_SIZE + 4) == SQLITE_OK);
	T_CHECK(memcmp(back, page, sizeof(page)) == 0);
	j->pMethods->xClose(j);
	free(j);
	raw = slurp(jpath, &n);
	T_CHECK(raw && n == 2 * CAIRN_PAGE_SIZE + 8);
	T_CHECK(raw && memcmp(raw, magic, 8) == 0 && raw[22] == 0x10 && raw[100] == 0); /* header in clear */
	T_CHECK(raw && memcmp(raw + CAIRN_PAGE_SIZE, pgno, 4) == 0);
	T_CHECK(raw && !memmem(raw, n, CANARY, strlen(CANARY)));
	free(raw);
	cairn__vfs_error(db);
	cairn__vfs_close(db);
	remove_dir();
}

/* A page past the end of an empty database file reads as SQLite expects (zeros, a short read); past the
 * end of one that holds pages, or cut short, it cannot be authenticated: SQLite would take a short read
 * for a page of zeros, and never checks the file's size against the one a WAL commit gives. */
static void test_short_and_cut_pages(void)
{
	unsigned char page[CAIRN_PAGE_SIZE];
	sqlite3 *db = NULL;
	off_t size;

	T_REQUIRE(make_db(100, 500) == SQLITE_OK);
	size = file_size(db_path);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	memset(page, 0xa5, sizeof(page));
	T_CHECK(cairn__vfs_read_page(db, (unsigned)(size / CAIRN_PAGE_SIZE) + 1, page) == SQLITE_IOERR_AUTH);
	T_CHECK(page[0] == 0 && memcmp(page, page + 1, sizeof(page) - 1) == 0);
	T_CHECK(cairn__vfs_error(db) == CAIRN_ETAMPER);
	T_CHECK(truncate(db_path, size - 100) == 0);
	T_CHECK(cairn__vfs_read_page(db, (unsigned)(size / CAIRN_PAGE_SIZE), page) == SQLITE_IOERR_AUTH);
	T_CHECK(cairn__vfs_error(db) == CAIRN_ETAMPER);
	T_CHECK(truncate(db_path, 0) == 0);
	memset(page, 0xa5, sizeof(page));
	T_CHECK(cairn__vfs_read_page(db, 1, page) == SQLITE_IOERR_SHORT_READ);
	T_CHECK(page[0] == 0 && memcmp(page, page + 1, sizeof(page) - 1) == 0);
	cairn__vfs_close(db);
	remove_dir();
}

/* The attack the rule above stops: a WAL holding a commit (here one a crash left), and a page cut off
 * the end of the database. Before, the cut page read as zeros: the record lost its end, with no error,
 * integrity_check said ok, and the next write sealed the zeros for good. */
static void test_cut_page_under_a_wal(void)
{
	char wal[320];
	sqlite3 *db = NULL;
	off_t size;
	int rc;

	T_REQUIRE(make_db(40, 3000) == SQLITE_OK);
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	crash_after_commits(3, 100); /* a WAL with commits, whose last gives the database size */
	T_REQUIRE(file_size(wal) > 32);
	size = file_size(db_path);
	T_REQUIRE(size >= 3 * CAIRN_PAGE_SIZE);
	T_REQUIRE(truncate(db_path, size - CAIRN_PAGE_SIZE) == 0);
	if (cairn__vfs_open(&db, db_path, key_a, RW) != 0) {
		T_CHECK(cairn_error_last_code() == CAIRN_ETAMPER);
	} else {
		query_int(db, "SELECT sum(length(body)) FROM t", &rc);
		T_CHECK(rc == SQLITE_IOERR_AUTH || !integrity_ok(db));
		T_CHECK(cairn__vfs_error(db) == CAIRN_ETAMPER);
		cairn__vfs_close(db);
	}
	remove_dir();
}

/* ---------------------------------------------------------------------------------------------- */
/* What the VFS refuses                                                                            */

static sqlite3_file *main_file(sqlite3 *db)
{
	sqlite3_file *f = NULL;
	sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f);
	return f;
}

static void test_refused_writes(void)
{
	unsigned char page[CAIRN_PAGE_SIZE], before[CAIRN_PAGE_SIZE];
	sqlite3 *db = NULL;
	sqlite3_file *f;

	fresh_dir();
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_REQUIRE((f = main_file(db)) != NULL);
	T_REQUIRE(cairn__vfs_read_page(db, 1, before) == SQLITE_OK);
	T_CHECK(memcmp(before, "SQLite format 3", 16) == 0 && before[20] == CAIRN_PAGE_RESERVE);

	memcpy(page, before, sizeof(page));
	page[20] = 0; /* no reserve: SQLite would store records where the nonce and tag go */
	T_CHECK(f->pMethods->xWrite(f, page, CAIRN_PAGE_SIZE, 0) == SQLITE_IOERR_WRITE);
	T_CHECK(cairn__vfs_error(db) == CAIRN_EIO && strstr(cairn_error_last(), "page 1"));
	memcpy(page, before, sizeof(page));
	page[16] = 0x20; /* page size 8192 */
	T_CHECK(f->pMethods->xWrite(f, page, CAIRN_PAGE_SIZE, 0) == SQLITE_IOERR_WRITE);
	memcpy(page, before, sizeof(page));
	page[CAIRN_PAGE_SIZE - 1] = 1; /* reserved bytes must stay zero (WAL checksums) */
	T_CHECK(f->pMethods->xWrite(f, page, CAIRN_PAGE_SIZE, 0) == SQLITE_IOERR_WRITE);
	T_CHECK(f->pMethods->xWrite(f, before, 100, 0) == SQLITE_IOERR_WRITE); /* not a whole page */
	T_CHECK(f->pMethods->xWrite(f, before, CAIRN_PAGE_SIZE, 100) == SQLITE_IOERR_WRITE);
	T_CHECK(cairn__vfs_read_page(db, 1, page) == SQLITE_OK && memcmp(page, before, sizeof(page)) == 0);
	cairn__vfs_error(db);
	cairn__vfs_close(db);
	remove_dir();
}

#define BIG_TEMP                                                                                            \
	"CREATE TEMP TABLE %s AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " \
	"5000) SELECT i, randomblob(1000) AS b FROM n"

/* 5 MB in a temp table: more than the page cache, so a file-backed temp database would spill. */
static int big_temp(sqlite3 *db, const char *name)
{
	char sql[300];
	snprintf(sql, sizeof(sql), BIG_TEMP, name);
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static void test_temp_files_refused_and_mmap_off(void)
{
	sqlite3 *db = NULL;
	int rc;

	fresh_dir();
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(query_int(db, "PRAGMA temp_store", &rc) == 2);
	T_CHECK(big_temp(db, "x") == SQLITE_OK); /* in memory */
	T_CHECK(query_int(db, "SELECT count(*) FROM x", &rc) == 5000);
	T_CHECK(query_int(db, "PRAGMA mmap_size=268435456", &rc) == 0);
	T_CHECK(query_int(db, "PRAGMA mmap_size", &rc) == 0);
	T_CHECK(exec(db, "DROP TABLE x") == SQLITE_OK);
	T_CHECK(exec(db, "PRAGMA temp_store=FILE") == SQLITE_OK);
	T_CHECK(big_temp(db, "y") != SQLITE_OK);
	T_CHECK(cairn__vfs_error(db) == CAIRN_EIO && strstr(cairn_error_last(), "temporary file"));
	cairn__vfs_close(db);
	remove_dir();
}

/* The nonce of page `pgno` as it is on disk. */
static void disk_nonce(unsigned pgno, unsigned char nonce[24])
{
	int fd = open(db_path, O_RDONLY);
	if (fd < 0 || pread(fd, nonce, 24, (off_t)pgno * CAIRN_PAGE_SIZE - CAIRN_PAGE_RESERVE) != 24)
		memset(nonce, 0, 24);
	if (fd >= 0)
		close(fd);
}

/*
 * Every write gets a new nonce, and a forked child does not repeat its parent's: both rewrite page 2
 * with the same content after the fork, through the same (inherited) VFS instance.
 */
static void test_nonces_fresh_across_writes_and_fork(void)
{
	unsigned char page[CAIRN_PAGE_SIZE], n1[24], n2[24], child[24], parent[24];
	sqlite3 *db = NULL;
	sqlite3_file *f;
	int fds[2], status;
	pid_t pid;

	T_REQUIRE(make_db(100, 500) == SQLITE_OK);
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_REQUIRE((f = main_file(db)) != NULL);
	T_REQUIRE(cairn__vfs_read_page(db, 2, page) == SQLITE_OK);
	T_CHECK(f->pMethods->xWrite(f, page, CAIRN_PAGE_SIZE, CAIRN_PAGE_SIZE) == SQLITE_OK);
	disk_nonce(2, n1);
	T_CHECK(f->pMethods->xWrite(f, page, CAIRN_PAGE_SIZE, CAIRN_PAGE_SIZE) == SQLITE_OK);
	disk_nonce(2, n2);
	T_CHECK(memcmp(n1, n2, 24) != 0);
	T_REQUIRE(pipe(fds) == 0);
	pid = fork();
	if (pid == 0) {
		f->pMethods->xWrite(f, page, CAIRN_PAGE_SIZE, CAIRN_PAGE_SIZE);
		disk_nonce(2, child);
		_exit(write(fds[1], child, 24) == 24 ? 0 : 1);
	}
	close(fds[1]);
	T_CHECK(read(fds[0], child, 24) == 24);
	close(fds[0]);
	waitpid(pid, &status, 0);
	T_CHECK(f->pMethods->xWrite(f, page, CAIRN_PAGE_SIZE, CAIRN_PAGE_SIZE) == SQLITE_OK);
	disk_nonce(2, parent);
	T_CHECK(memcmp(child, parent, 24) != 0);
	T_CHECK(memcmp(child, n2, 24) != 0 && memcmp(parent, n2, 24) != 0);
	T_CHECK(cairn__vfs_read_page(db, 2, page) == SQLITE_OK);
	cairn__vfs_close(db);
	remove_dir();
}

/* ---------------------------------------------------------------------------------------------- */
/* Ordinary use                                                                                    */

static void test_roundtrip_update_delete_vacuum(void)
{
	sqlite3 *db = NULL;
	int rc, files;

	fresh_dir();
	T_OK(cairn__vfs_open(&db, db_path, key_a, RW));
	T_CHECK(query_int(db, "PRAGMA page_size", &rc) == CAIRN_PAGE_SIZE);
	T_CHECK(fill(db, 2000, 700, 100, CANARY) == SQLITE_OK);
	T_CHECK(exec(db, "CREATE INDEX t_body ON t(body)") == SQLITE_OK);
	T_CHECK(exec(db, "DELETE FROM t WHERE id % 3 = 0") == SQLITE_OK);
	T_CHECK(exec(db, "UPDATE t SET body = body || ' amended' WHERE id % 3 = 1") == SQLITE_OK);
	T_CHECK(exec(db, "VACUUM") == SQLITE_OK);
	cairn__vfs_close(db);
	T_CHECK(dir_count(dir, CANARY, &files) == 0);
	T_OK(cairn__vfs_open(&db, db_path, key_a, SQLITE_OPEN_READONLY));
	T_CHECK(query_int(db, "SELECT count(*) FROM t", &rc) == 2000 - 666);
	T_CHECK(query_int(db, "SELECT count(*) FROM t WHERE body LIKE '% amended'", &rc) == 667);
	T_CHECK(integrity_ok(db));
	cairn__vfs_close(db);
	remove_dir();
}

static void test_open_errors(void)
{
	sqlite3 *db = NULL;
	int fd;

	fresh_dir();
	T_CHECK(cairn__vfs_open(&db, db_path, key_a, SQLITE_OPEN_READONLY) == CAIRN_ENOTFOUND);
	T_CHECK(strstr(cairn_error_last(), db_path) != NULL);
	/* A plaintext SQLite database is not a journal database. */
	T_REQUIRE(sqlite3_open(db_path, &db) == SQLITE_OK);
	exec(db, "CREATE TABLE p(a)");
	sqlite3_close(db);
	db = NULL;
	T_CHECK(cairn__vfs_open(&db, db_path, key_a, RW) == CAIRN_ETAMPER);
	unlink(db_path);
	/* Nor is a file cut short in its first page. */
	fd = open(db_path, O_CREAT | O_WRONLY, 0600);
	T_CHECK(fd >= 0 && write(fd, "0123456789", 10) == 10);
	close(fd);
	T_CHECK(cairn__vfs_open(&db, db_path, key_a, RW) == CAIRN_ETAMPER);
	cairn__vfs_close(NULL);
	remove_dir();
}

int main(void)
{
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();

	if (getenv("CAIRN_TEST_SEED"))
		seed = (unsigned)strtoul(getenv("CAIRN_TEST_SEED"), NULL, 10);
	fprintf(stderr, "seed %u (CAIRN_TEST_SEED)\n", seed);
	srand(seed);
	for (int i = 0; i < 32; i++) {
		key_a[i] = (unsigned char)(rand() & 0xff);
		key_b[i] = (unsigned char)(key_a[i] ^ 0x5c);
	}
	T_RUN(test_canary_absent_everywhere);
	T_RUN(test_canary_control_plain_sqlite);
	T_RUN(test_tamper_every_page);
	T_RUN(test_wrong_key);
	T_RUN(test_page_swap);
	T_RUN(test_wal_recovery_after_kill);
	T_RUN(test_wal_torn_last_frame);
	T_RUN(test_wal_tampered_last_frame_reads_as_truncated);
	T_RUN(test_wal_old_generation_is_not_tamper);
	T_RUN(test_wal_tampered_frame_while_open);
	T_RUN(test_journal_delete_mode_hot_rollback);
	T_RUN(test_journal_one_page_header);
	T_RUN(test_short_and_cut_pages);
	T_RUN(test_cut_page_under_a_wal);
	T_RUN(test_wal_forged_frame_over_zeros);
	T_RUN(test_wal_commit_marker_bound);
	T_RUN(test_refused_writes);
	T_RUN(test_temp_files_refused_and_mmap_off);
	T_RUN(test_nonces_fresh_across_writes_and_fork);
	T_RUN(test_roundtrip_update_delete_vacuum);
	T_RUN(test_open_errors);
	T_END();
}
