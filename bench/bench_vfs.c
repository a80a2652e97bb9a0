/*
 * bench_vfs.c — what the encrypting VFS costs: the same workload on stock SQLite (unix VFS) and through
 * the VFS, with the same settings (page size 4096, WAL, synchronous=FULL and the rest of what
 * cairn__vfs_open() sets), so the ratio is the VFS alone.
 *
 * Workload: the notes of `shared/bench/workload.py` (JSON Lines on stdin), inserted into a table with an
 * FTS5 index over their text in transactions of 1,000; then as many point reads by rowid, in a random
 * order that is the same for both runs. Goal: encrypted/plain <= 1.15 for each phase.
 *
 *   python3 shared/bench/workload.py --contacts 100000 | build/bench_vfs [max-notes]
 *
 * Each side runs BENCH_VFS_ROUNDS times (default 3), alternating, and the fastest round of each phase
 * counts: on a shared machine the noise only ever adds time. CPU time is printed beside wall time
 * (wall time includes the fsyncs, which cost both sides the same). BENCH_VFS_ONLY=plain or =encrypted
 * runs one side only (for a profiler). BENCH_VFS_CACHE_KIB=N gives both sides a page cache of N KiB
 * (SQLite's default is 2000 KiB; store.c uses 32768): every cache miss costs the VFS a decryption.
 */
#include "cairn.h"
#include "crypto.h"
#include "vfs.h"

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GOAL 1.15
#define TX 1000

typedef struct {
	char *contact, *date, *kind, *modality, *text;
	int minutes;
} note;

typedef struct {
	double insert_s, read_s;     /* wall */
	double insert_cpu, read_cpu; /* this process's CPU */
	long long bytes_read;
	long long db_bytes;
	unsigned long long insert_seals, insert_opens, read_seals, read_opens; /* pages, encrypted side */
} result;

static double clock_s(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static char *dup_field(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return strdup(s ? s : "");
}

/* Read the notes of every contact on stdin, up to `max`. */
static note *load_notes(size_t max, size_t *n)
{
	size_t cap = 1024, len = 0;
	note *v = malloc(cap * sizeof(*v));
	char *line = NULL;
	size_t linecap = 0;

	while (v && len < max && getline(&line, &linecap, stdin) > 0) {
		json_t *c = json_loads(line, 0, NULL), *notes, *x;
		size_t i;
		if (!c)
			continue;
		notes = json_object_get(c, "notes");
		json_array_foreach(notes, i, x)
		{
			if (len == max)
				break;
			if (len == cap)
				v = realloc(v, (cap *= 2) * sizeof(*v));
			v[len] = (note){dup_field(c, "name"), dup_field(x, "date"),
			                dup_field(x, "kind"), dup_field(x, "modality"),
			                dup_field(x, "text"), (int)json_integer_value(json_object_get(x, "minutes"))};
			len++;
		}
		json_decref(c);
	}
	free(line);
	*n = len;
	return v;
}

static int exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "bench_vfs: %s: %s\n", sql, err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* Stock SQLite with the settings cairn__vfs_open() gives the encrypted connection. */
static sqlite3 *open_plain(const char *path)
{
	static const char *const pragmas[] = {
	        "PRAGMA temp_store=MEMORY",  "PRAGMA page_size=4096",   "PRAGMA mmap_size=0",
	        "PRAGMA cell_size_check=ON", "PRAGMA secure_delete=ON", "PRAGMA synchronous=FULL",
	        "PRAGMA journal_mode=WAL",
	};
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix") != SQLITE_OK)
		return NULL;
	for (size_t i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++)
		if (exec(db, pragmas[i]) != 0)
			return NULL;
	return db;
}

/* The page cache both sides get (BENCH_VFS_CACHE_KIB), or SQLite's default. */
static int set_cache(sqlite3 *db)
{
	const char *kib = getenv("BENCH_VFS_CACHE_KIB");
	char sql[64];

	if (!kib || atoi(kib) <= 0)
		return 0;
	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d", atoi(kib));
	return exec(db, sql);
}

static int insert_all(sqlite3 *db, const note *v, size_t n)
{
	sqlite3_stmt *ins = NULL, *fts = NULL;
	int rc = 0;

	if (exec(db, "CREATE TABLE note(id INTEGER PRIMARY KEY, contact TEXT, date TEXT, kind TEXT, "
	             "modality TEXT, minutes INTEGER, text TEXT)") ||
	    exec(db, "CREATE VIRTUAL TABLE note_fts USING fts5(text, content='note', content_rowid='id')") ||
	    sqlite3_prepare_v2(db, "INSERT INTO note VALUES (NULL, ?, ?, ?, ?, ?, ?)", -1, &ins, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO note_fts(rowid, text) VALUES (?, ?)", -1, &fts, NULL))
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i % TX == 0)
			rc = exec(db, "BEGIN");
		sqlite3_bind_text(ins, 1, v[i].contact, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, v[i].date, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, v[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, v[i].modality, -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 5, v[i].minutes);
		sqlite3_bind_text(ins, 6, v[i].text, -1, SQLITE_STATIC);
		rc |= sqlite3_step(ins) != SQLITE_DONE;
		sqlite3_reset(ins);
		sqlite3_bind_int64(fts, 1, sqlite3_last_insert_rowid(db));
		sqlite3_bind_text(fts, 2, v[i].text, -1, SQLITE_STATIC);
		rc |= sqlite3_step(fts) != SQLITE_DONE;
		sqlite3_reset(fts);
		if (rc == 0 && (i % TX == TX - 1 || i == n - 1))
			rc = exec(db, "COMMIT");
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(fts);
	return rc;
}

static long long read_all(sqlite3 *db, const long long *ids, size_t n)
{
	sqlite3_stmt *st = NULL;
	long long bytes = 0;

	if (sqlite3_prepare_v2(db, "SELECT text FROM note WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, ids[i]);
		if (sqlite3_step(st) != SQLITE_ROW) {
			bytes = -1;
			break;
		}
		bytes += sqlite3_column_bytes(st, 0);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return bytes;
}

static long long size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static void remove_db(const char *path)
{
	char p[600];
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

static int run(const char *path, const unsigned char *key, const note *v, size_t n, const long long *ids, result *r)
{
	sqlite3 *db = NULL;
	double t0, c0;

	remove_db(path);
	if (key ? cairn__vfs_open(&db, path, key, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) != 0
	        : (db = open_plain(path)) == NULL) {
		fprintf(stderr, "bench_vfs: cannot open '%s': %s\n", path, cairn_error_last());
		return -1;
	}
	if (set_cache(db) != 0)
		return -1;
	t0 = now(), c0 = cpu();
	if (insert_all(db, v, n) != 0)
		return -1;
	r->insert_s = now() - t0, r->insert_cpu = cpu() - c0;
	cairn__vfs_counts(db, &r->insert_seals, &r->insert_opens);
	t0 = now(), c0 = cpu();
	r->bytes_read = read_all(db, ids, n);
	r->read_s = now() - t0, r->read_cpu = cpu() - c0;
	cairn__vfs_counts(db, &r->read_seals, &r->read_opens);
	r->read_seals -= r->insert_seals;
	r->read_opens -= r->insert_opens;
	if (key)
		cairn__vfs_close(db);
	else
		sqlite3_close(db);
	r->db_bytes = size_of(path);
	remove_db(path);
	return r->bytes_read < 0 ? -1 : 0;
}

/* The fastest of `rounds` results, phase by phase. */
static result best(const result *r, int rounds)
{
	result b = r[0];
	for (int i = 1; i < rounds; i++) {
		b.insert_s = r[i].insert_s < b.insert_s ? r[i].insert_s : b.insert_s;
		b.read_s = r[i].read_s < b.read_s ? r[i].read_s : b.read_s;
		b.insert_cpu = r[i].insert_cpu < b.insert_cpu ? r[i].insert_cpu : b.insert_cpu;
		b.read_cpu = r[i].read_cpu < b.read_cpu ? r[i].read_cpu : b.read_cpu;
	}
	return b;
}

static int verdict(const char *what, double plain, double enc, double plain_cpu, double enc_cpu, size_t n)
{
	double ratio = enc / plain;
	printf("%-20s plain %6.2f s (%5.1f us/op)  encrypted %6.2f s (%5.1f us/op)  ratio %.3f  goal <= %.2f  %s"
	       "   [cpu %.2f s vs %.2f s: %.3f]\n",
	       what, plain, plain * 1e6 / (double)n, enc, enc * 1e6 / (double)n, ratio, GOAL,
	       ratio <= GOAL ? "PASS" : "MISS", plain_cpu, enc_cpu, enc_cpu / plain_cpu);
	return ratio <= GOAL;
}

/*
 * What sealing and opening one page costs here, measured now with the VFS's own cipher and page
 * geometry (libsodium, 4056 bytes of ciphertext, a WAL frame's 33 bytes of associated data): the best
 * of three timings of 20,000 pages each.
 */
static void cipher_cost(double *seal_s, double *open_s)
{
	enum { N = 20000, CT = CAIRN_PAGE_SIZE - CAIRN_PAGE_RESERVE };
	static unsigned char page[CAIRN_PAGE_SIZE];
	unsigned char key[32], nonce[24], ad[33] = {2}, tag[16];

	cairn__random(key, sizeof(key));
	cairn__random(nonce, sizeof(nonce));
	*seal_s = *open_s = 1e9;
	for (int round = 0; round < 3; round++) {
		double t = now(), s, o;
		for (int i = 0; i < N; i++)
			crypto_aead_xchacha20poly1305_ietf_encrypt_detached(page, tag, NULL, page, CT, ad, sizeof(ad),
			                                                    NULL, nonce, key);
		s = (now() - t) / N;
		t = now();
		for (int i = 0; i < N; i++)
			if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(page, NULL, page, CT, tag, ad,
			                                                        sizeof(ad), nonce, key) != 0 ||
			    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(page, tag, NULL, page, CT, ad,
			                                                        sizeof(ad), NULL, nonce, key) != 0)
				abort();
		o = (now() - t) / N - s; /* each round trip re-seals, so the next open authenticates */
		*seal_s = s < *seal_s ? s : *seal_s;
		*open_s = o < *open_s ? o : *open_s;
	}
	sodium_memzero(key, sizeof(key));
}

/*
 * The cipher's share of a phase: the pages the encrypted side sealed and opened, at what each costs here.
 * Plain time plus that is the floor no per-page AEAD VFS can go under without caching plaintext beyond
 * SQLite's page cache; what is left over is the VFS's own overhead (its extra reads of frame headers and
 * salts, the 1 % bigger file the reserved bytes make, the copies).
 */
static void cipher_floor(const char *what, double plain, double enc, unsigned long long seals, unsigned long long opens,
                         double seal_s, double open_s, size_t n)
{
	double cipher = (double)seals * seal_s + (double)opens * open_s;
	printf("  %-19s %.2f pages sealed + %.2f opened per op = %5.1f us/op of cipher; floor ratio %.3f, "
	       "left to the VFS itself %+.1f us/op\n",
	       what, (double)seals / (double)n, (double)opens / (double)n, cipher * 1e6 / (double)n,
	       (plain + cipher) / plain, (enc - plain - cipher) * 1e6 / (double)n);
}

int main(int argc, char **argv)
{
	size_t max = argc > 1 ? strtoull(argv[1], NULL, 10) : (size_t)-1, n;
	note *v = load_notes(max, &n);
	char dir[256], path[300];
	const char *t = getenv("TMPDIR"), *only = getenv("BENCH_VFS_ONLY"), *r = getenv("BENCH_VFS_ROUNDS");
	int rounds = r && atoi(r) > 0 ? atoi(r) : 3, ok;
	unsigned char key[32];
	long long *ids;
	result plain[16], enc[16], p, e;
	double load[1] = {0};

	if (!v || n == 0) {
		fprintf(stderr, "bench_vfs: no notes on stdin (pipe in shared/bench/workload.py)\n");
		return 2;
	}
	rounds = rounds > 16 ? 16 : rounds;
	if (only && strcmp(only, "plain") != 0 && strcmp(only, "encrypted") != 0)
		only = NULL;
	snprintf(dir, sizeof(dir), "%s/cairn-bench-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir) || cairn__crypto_init() != 0)
		return 2;
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	cairn__random(key, sizeof(key));
	ids = malloc(n * sizeof(*ids));
	srand(12345);
	for (size_t i = 0; i < n; i++)
		ids[i] = 1 + (long long)(((unsigned long long)rand() << 16 ^ (unsigned)rand()) % n);

	getloadavg(load, 1);
	printf("bench_vfs: %zu notes, FTS5 over the text, transactions of %d, synchronous=FULL, WAL, cache %s KiB; "
	       "best of %d rounds; load average %.2f\n",
	       n, TX, getenv("BENCH_VFS_CACHE_KIB") ? getenv("BENCH_VFS_CACHE_KIB") : "2000", rounds, load[0]);
	for (int i = 0; i < rounds; i++) {
		if ((!only || only[0] == 'p') && run(path, NULL, v, n, ids, &plain[i]) != 0)
			return 1;
		if ((!only || only[0] == 'e') && run(path, key, v, n, ids, &enc[i]) != 0)
			return 1;
	}
	rmdir(dir);
	p = best(plain, rounds);
	e = best(enc, rounds);
	if (only) {
		result *o = only[0] == 'p' ? &p : &e;
		printf("%s: insert %.2f s, read %.2f s\n", only, o->insert_s, o->read_s);
		return 0;
	}
	printf("database size: plain %.1f MiB, encrypted %.1f MiB\n", (double)p.db_bytes / 1048576.0,
	       (double)e.db_bytes / 1048576.0);
	ok = verdict("insert (+fts5)", p.insert_s, e.insert_s, p.insert_cpu, e.insert_cpu, n);
	ok &= verdict("point read by rowid", p.read_s, e.read_s, p.read_cpu, e.read_cpu, n);
	ok &= verdict("total", p.insert_s + p.read_s, e.insert_s + e.read_s, p.insert_cpu + p.read_cpu,
	              e.insert_cpu + e.read_cpu, n);
	printf("overall: %s\n", ok ? "PASS" : "MISS");
	{
		double seal_s, open_s;
		cipher_cost(&seal_s, &open_s);
		printf("cipher (XChaCha20-Poly1305, one 4096-byte page): seal %.2f us, open %.2f us\n", seal_s * 1e6,
		       open_s * 1e6);
		cipher_floor("insert (+fts5)", p.insert_s, e.insert_s, e.insert_seals, e.insert_opens, seal_s, open_s,
		             n);
		cipher_floor("point read by rowid", p.read_s, e.read_s, e.read_seals, e.read_opens, seal_s, open_s, n);
		cipher_floor("total", p.insert_s + p.read_s, e.insert_s + e.read_s, e.insert_seals + e.read_seals,
		             e.insert_opens + e.read_opens, seal_s, open_s, n);
	}
	return 0;
}
