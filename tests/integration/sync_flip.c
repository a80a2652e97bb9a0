/*
 * sync_flip.c — every single-bit flip of a segment in a central repository is
 * quarantined, applies nothing of that segment, and stops only that log.
 *
 * Setup: devices A and B in one team (A creates it, B joins with the join
 * file), and C in the same team. A seals two segments (seg1, then seg2), C one;
 * all reach a central bare repository (a path remote). Then, for every byte
 * position p of seg2 (the blob "segment" in the tree of A's tip in central;
 * beyond 2 KiB: the first 1 KiB and 200 random positions), a copy of central
 * gets a new commit in place of A's tip, with the same parent, whose segment is
 * seg2 with byte p xor 0x01 — written with plain git (hash-object, mktree,
 * commit-tree, update-ref). A fresh device B' of the team syncs from that copy
 * and must show:
 *   1. the flipped commit quarantined, with a reason (cairn_sync_status), and
 * the round's result says so;
 *   2. none of seg2's events applied, seg1's all applied: its digest equals
 * that of a reference device that synced from a copy whose A log ends at seg1,
 * and its contact list has no seg2 name;
 *   3. C's events applied (other logs keep flowing).
 * A control run with the unflipped segment written through the same plumbing
 * must import everything.
 *
 * Usage: sync_flip WORKDIR   (a tmpfs such as /dev/shm keeps it fast; removed
 * on success) Environment: CAIRN_FLIP_SEED (random positions), CAIRN_FLIP_MAX
 * (cap on positions, for quick runs).
 */
#include "cairn.h"
#include "cairn_sync.h"
#include "t.h"

#include <ftw.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HEADER_BYTES 148
#define FULL_LIMIT 2048
#define FIRST_BYTES 1024
#define RANDOM_POSITIONS 200

static char root[512], central[600], joinfile[600];
static char dev_a[CAIRN_DEVICE_LEN];
static char seg1_commit[41], seg2_commit[41];
static uint64_t seg1_last;
static char expect_digest[CAIRN_DIGEST_LEN], full_digest[CAIRN_DIGEST_LEN];

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...);
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Runs a shell command and returns its first output line (trailing newline
 * removed) in out. */
__attribute__((format(printf, 3, 4))) static int sh_line(char *out, size_t n, const char *fmt, ...);
static int sh_line(char *out, size_t n, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	out[0] = '\0';
	if (!fgets(out, (int)n, p))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return pclose(p) == 0 && out[0] ? 0 : -1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
	cairn_journal *j;
	cairn_sync *s;
} device;

static int device_open(device *d, const char *dir, int create_team)
{
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	o.kdf = CAIRN_KDF_MIN;
	memset(d, 0, sizeof(*d));
	if (cairn_journal_init(dir, "pw", 2, &o) || cairn_journal_open(&d->j, dir, "pw", 2) ||
	    cairn_sync_open(&d->s, d->j))
		return -1;
	if (create_team)
		return cairn_team_create(d->j, NULL) || cairn_team_export(d->j, joinfile, "team", 4, CAIRN_KDF_MIN);
	return cairn_team_join(d->j, joinfile, "team", 4);
}

static void device_close(device *d)
{
	cairn_sync_free(d->s);
	cairn_journal_free(d->j);
	memset(d, 0, sizeof(*d));
}

static int sync_from(device *d, const char *url, cairn_sync_result *r)
{
	cairn_remote_options o = CAIRN_REMOTE_OPTIONS_INIT;
	int rc = cairn_remote_add(d->s, "central", url, &o);
	if (!rc)
		rc = cairn_sync_run(d->s, "central", NULL, r, NULL);
	return rc;
}

static char last_contact[CAIRN_ID_LEN];

static int contact(device *d, const char *name, const char *note)
{
	char buf[300], *id = last_contact;
	snprintf(buf, sizeof(buf), "{\"name\":\"%s\"}", name);
	if (cairn_contact_set(d->j, NULL, buf, id))
		return -1;
	if (!note)
		return 0;
	snprintf(buf, sizeof(buf), "{\"text\":\"%s\",\"kind\":\"encounter\"}", note);
	return cairn_note_add(d->j, id, buf, NULL);
}

/* How many contacts in the list have a name containing `needle`. */
static int count_names(device *d, const char *needle)
{
	char *list = NULL;
	int n = -1;
	if (cairn_contact_list(d->j, 1, &list))
		return -1;
	json_t *a = json_loads(list, 0, NULL), *c;
	size_t i;
	if (a) {
		n = 0;
		json_array_foreach(a, i, c)
		{
			const char *name = json_string_value(json_object_get(c, "name"));
			n += name && strstr(name, needle) != NULL;
		}
	}
	json_decref(a);
	cairn_free(list);
	return n;
}

/* ---- setup ---- */

static const char *const seg2_notes[] = {
        "met at the day shelter, wants detox intake next week",
        "drove to the clinic; intake done, follow up on Tuesday",
        "completed housing application, still missing a state ID",
        "attended two meetings this week and found a sponsor",
};

static void setup(void)
{
	char dir[700];
	device a, b, c;
	cairn_sync_result r;
	snprintf(central, sizeof(central), "%s/central.git", root);
	snprintf(joinfile, sizeof(joinfile), "%s/join", root);
	T_REQUIRE(sh("git init -q --bare '%s' && git -C '%s' config "
	             "receive.denyNonFastForwards true && "
	             "git -C '%s' config receive.denyDeletes true",
	             central, central, central) == 0);
	snprintf(dir, sizeof(dir), "%s/A", root);
	T_OK(device_open(&a, dir, 1));
	snprintf(dev_a, sizeof(dev_a), "%s", cairn_journal_device(a.j));
	snprintf(dir, sizeof(dir), "%s/B", root);
	T_OK(device_open(&b, dir, 0));
	snprintf(dir, sizeof(dir), "%s/C", root);
	T_OK(device_open(&c, dir, 0));

	/* seg1 of A: two contacts. */
	T_OK(contact(&a, "Alder One", NULL));
	T_OK(contact(&a, "Alder Two", "first meeting at the library"));
	T_OK(sync_from(&a, central, &r));
	T_REQUIRE(r.segments_sealed == 1 && r.segments_sent == 1);
	T_OK(cairn_events_max_seq(a.j, dev_a, &seg1_last));
	/* C's log. */
	T_OK(contact(&c, "Cedar One", "called the housing navigator together"));
	T_OK(contact(&c, "Cedar Two", NULL));
	T_OK(contact(&c, "Cedar Three", "brought water, socks and a bus pass"));
	T_OK(sync_from(&c, central, &r));
	/* seg2 of A: four contacts with a note each and a referral: a typical small
	 * segment. */
	char name[64];
	for (int k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "Aspen Seg2 %d", k);
		T_OK(contact(&a, name, seg2_notes[k]));
	}
	T_OK(cairn_referral_add(a.j, last_contact,
	                        "{\"category\":\"treatment\",\"to\":\"the recovery community center\","
	                        "\"reason\":\"outpatient treatment\"}",
	                        NULL));
	T_OK(cairn_sync_run(a.s, "central", NULL, &r, NULL));
	T_REQUIRE(r.segments_sealed == 1);

	/* B, the team's second device, gets everything: the setup is sound. */
	T_OK(sync_from(&b, central, &r));
	T_CHECK(count_names(&b, "Aspen Seg2") == 4 && count_names(&b, "Alder") == 2 && count_names(&b, "Cedar") == 3);
	T_OK(cairn_sync_run(a.s, "central", NULL, &r, NULL));
	T_OK(cairn_digest(a.j, full_digest));
	char db[CAIRN_DIGEST_LEN];
	T_OK(cairn_digest(b.j, db));
	T_CHECK(strcmp(db, full_digest) == 0);
	device_close(&a);
	device_close(&b);
	device_close(&c);

	T_REQUIRE(sh_line(seg2_commit, sizeof(seg2_commit), "git -C '%s' rev-parse refs/heads/logs/%s", central,
	                  dev_a) == 0);
	T_REQUIRE(sh_line(seg1_commit, sizeof(seg1_commit), "git -C '%s' rev-parse %s^", central, seg2_commit) == 0);
	T_REQUIRE(sh("git -C '%s' cat-file blob %s:segment > '%s/seg2.orig'", central, seg2_commit, root) == 0);
}

static unsigned char *seg;
static size_t seglen;

static void load_segment(void)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/seg2.orig", root);
	FILE *f = fopen(path, "rb");
	T_REQUIRE(f != NULL);
	seg = malloc(FULL_LIMIT * 64);
	seglen = fread(seg, 1, FULL_LIMIT * 64, f);
	fclose(f);
	T_REQUIRE(seglen > HEADER_BYTES + 16 + 64);
}

/* ---- the flipped commits, written with plain git in a copy of central ---- */

/*
 * Process spawns cost ~15 ms each here, so the objects of all positions are
 * written in three batched git calls (hash-object --stdin-paths for the blobs,
 * mktree --batch, hash-object -t commit for commits with seg1 as parent), and
 * the ref of the copy is moved per position by one long-running `git update-ref
 * --stdin` (start / update / commit, each acknowledged).
 */
static char copy_repo[700];
static char (*commits)[41];
static pid_t upd_pid;
static FILE *upd_in, *upd_out;

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Reads n object ids, one a line, from a shell command. */
static int read_ids(char (*ids)[41], size_t n, const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char line[128];
	size_t k = 0;
	if (!p)
		return -1;
	while (k < n && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) != 40)
			break;
		memcpy(ids[k++], line, 41);
	}
	return pclose(p) == 0 && k == n ? 0 : -1;
}

/* Variants: variant i < n flips byte pos[i]; variant n is the unflipped segment
 * (the control). */
static int make_commits(const size_t *pos, size_t n)
{
	char path[800], list[800], cmd[2400];
	char(*ids)[41] = calloc(n + 1, sizeof(*ids));
	unsigned char *buf = malloc(seglen);
	FILE *f;
	int rc = -1;
	commits = calloc(n + 1, sizeof(*commits));
	if (!ids || !buf || !commits)
		goto out;
	snprintf(copy_repo, sizeof(copy_repo), "%s/copy.git", root);
	if (sh("cp -a '%s' '%s' && mkdir -p '%s/v'", central, copy_repo, root))
		goto out;
	/* blobs */
	snprintf(list, sizeof(list), "%s/v/list", root);
	if (!(f = fopen(list, "w")))
		goto out;
	for (size_t i = 0; i <= n; i++) {
		memcpy(buf, seg, seglen);
		if (i < n)
			buf[pos[i]] ^= 0x01;
		snprintf(path, sizeof(path), "%s/v/%zu.seg", root, i);
		if (write_file(path, buf, seglen))
			break;
		fprintf(f, "%s\n", path);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "git -C '%s' hash-object -w --stdin-paths < '%s'", copy_repo, list);
	if (read_ids(ids, n + 1, cmd))
		goto out;
	/* trees: exactly one blob named "segment" */
	if (!(f = fopen(list, "w")))
		goto out;
	for (size_t i = 0; i <= n; i++)
		fprintf(f, "100644 blob %s\tsegment\n\n", ids[i]);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "git -C '%s' mktree --batch < '%s'", copy_repo, list);
	if (read_ids(ids, n + 1, cmd))
		goto out;
	/* commits: parent seg1, the identity and message cairn writes */
	if (!(f = fopen(list, "w")))
		goto out;
	for (size_t i = 0; i <= n; i++) {
		char text[400];
		int len = snprintf(text, sizeof(text),
		                   "tree %s\nparent %s\nauthor cairn <cairn@invalid> 0 +0000\n"
		                   "committer cairn <cairn@invalid> 0 +0000\n\ncairn segment\n",
		                   ids[i], seg1_commit);
		snprintf(path, sizeof(path), "%s/v/%zu.commit", root, i);
		if (write_file(path, text, (size_t)len))
			break;
		fprintf(f, "%s\n", path);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "git -C '%s' hash-object -t commit -w --stdin-paths < '%s'", copy_repo, list);
	if (read_ids(commits, n + 1, cmd))
		goto out;
	sh("rm -rf '%s/v'", root);
	rc = 0;
out:
	free(ids);
	free(buf);
	return rc;
}

static int updater_start(void)
{
	int in[2], out[2];
	if (pipe(in) || pipe(out))
		return -1;
	if ((upd_pid = fork()) < 0)
		return -1;
	if (upd_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		execlp("git", "git", "-C", copy_repo, "update-ref", "--stdin", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	upd_in = fdopen(in[1], "w");
	upd_out = fdopen(out[0], "r");
	return upd_in && upd_out ? 0 : -1;
}

static void updater_stop(void)
{
	if (upd_in)
		fclose(upd_in);
	if (upd_out)
		fclose(upd_out);
	if (upd_pid > 0)
		waitpid(upd_pid, NULL, 0);
	upd_in = upd_out = NULL;
	upd_pid = 0;
}

/* Force A's log in the copy to `commit`; returns once git says the transaction
 * is committed. */
static int set_a_tip(const char *commit)
{
	char line[200];
	fprintf(upd_in, "start\nupdate refs/heads/logs/%s %s\ncommit\n", dev_a, commit);
	fflush(upd_in);
	if (!fgets(line, sizeof(line), upd_out) || strcmp(line, "start: ok\n") || !fgets(line, sizeof(line), upd_out) ||
	    strcmp(line, "commit: ok\n"))
		return -1;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void rm_rf(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* The device that must have seen seg1 of A and C's log only. */
static void reference(void)
{
	char copy[700], dir[700];
	device r;
	cairn_sync_result res;
	snprintf(copy, sizeof(copy), "%s/ref.git", root);
	snprintf(dir, sizeof(dir), "%s/R", root);
	T_REQUIRE(sh("cp -a '%s' '%s' && git -C '%s' update-ref refs/heads/logs/%s %s %s", central, copy, copy, dev_a,
	             seg1_commit, seg2_commit) == 0);
	T_OK(device_open(&r, dir, 0));
	T_OK(sync_from(&r, copy, &res));
	T_OK(cairn_digest(r.j, expect_digest));
	T_CHECK(count_names(&r, "Alder") == 2 && count_names(&r, "Cedar") == 3 && count_names(&r, "Aspen") == 0);
	T_CHECK(strcmp(expect_digest, full_digest) != 0); /* else the test could not tell */
	device_close(&r);
}

typedef struct {
	int ok;
	char reason[200];
} outcome;

/* A fresh device syncs from the copy whose A tip is commits[v]; checks the
 * invariants. */
static outcome try_variant(size_t v, int flipped)
{
	char dir[700], digest[CAIRN_DIGEST_LEN], *st = NULL;
	const char *commit = commits[v];
	cairn_sync_result r;
	outcome o = {0, ""};
	device d;
	snprintf(dir, sizeof(dir), "%s/Bp", root);
	if (set_a_tip(commit)) {
		snprintf(o.reason, sizeof(o.reason), "(git update-ref failed)");
		return o;
	}
	rm_rf(dir);
	if (device_open(&d, dir, 0)) {
		snprintf(o.reason, sizeof(o.reason), "(device: %s)", cairn_error_last());
		return o;
	}
	int rc = sync_from(&d, copy_repo, &r);
	if (rc) {
		fprintf(stderr, "  sync failed: %s\n", cairn_error_last());
		goto out;
	}
	if (cairn_digest(d.j, digest) || cairn_sync_status(d.s, &st))
		goto out;
	json_t *doc = json_loads(st, 0, NULL), *q = json_object_get(doc, "quarantine"), *e, *logs, *l;
	size_t i, found = 0;
	json_array_foreach(q, i, e)
	{
		const char *dv = json_string_value(json_object_get(e, "device"));
		const char *cm = json_string_value(json_object_get(e, "commit"));
		const char *why = json_string_value(json_object_get(e, "reason"));
		if (dv && cm && !strcmp(dv, dev_a) && !strcmp(cm, commit) && why && *why) {
			found++;
			snprintf(o.reason, sizeof(o.reason), "%s", why);
		}
	}
	uint64_t a_imported = 0;
	logs = json_object_get(doc, "logs");
	json_array_foreach(logs, i, l)
	{
		if (!strcmp(json_string_value(json_object_get(l, "device")), dev_a))
			a_imported = (uint64_t)json_integer_value(json_object_get(l, "imported_seq"));
	}
	size_t nq = json_array_size(q);
	json_decref(doc);
	if (flipped) {
		o.ok = found == 1 && nq == 1 && r.quarantined == 1 && a_imported == seg1_last &&
		       !strcmp(digest, expect_digest) && count_names(&d, "Aspen") == 0 &&
		       count_names(&d, "Cedar") == 3 && count_names(&d, "Alder") == 2;
		if (!o.ok)
			fprintf(stderr,
			        "  quarantined %zu (result %llu), A imported to %llu of %llu, "
			        "digest %s, Aspen %d, "
			        "Cedar %d, Alder %d\n",
			        found, (unsigned long long)r.quarantined, (unsigned long long)a_imported,
			        (unsigned long long)seg1_last,
			        strcmp(digest, expect_digest) ? "differs" : "as expected", count_names(&d, "Aspen"),
			        count_names(&d, "Cedar"), count_names(&d, "Alder"));
	} else {
		o.ok = nq == 0 && r.quarantined == 0 && !strcmp(digest, full_digest) && count_names(&d, "Aspen") == 4;
	}
out:
	cairn_free(st);
	device_close(&d);
	return o;
}

/* ---- tests ---- */

static size_t *pos, npos;

static const char *region(size_t p, size_t len)
{
	if (p < HEADER_BYTES)
		return "header";
	if (p >= len - 64)
		return "signature";
	return "ciphertext";
}

static void prepare(void)
{
	T_REQUIRE((pos = malloc(sizeof(size_t) * (FULL_LIMIT + RANDOM_POSITIONS))) != NULL);
	if (seglen <= FULL_LIMIT) {
		for (size_t p = 0; p < seglen; p++)
			pos[npos++] = p;
	} else {
		uint64_t x = getenv("CAIRN_FLIP_SEED") ? strtoull(getenv("CAIRN_FLIP_SEED"), NULL, 10)
		                                       : (uint64_t)time(NULL);
		fprintf(stderr,
		        "  segment is %zu bytes: first %d positions and %d random ones "
		        "(CAIRN_FLIP_SEED=%llu)\n",
		        seglen, FIRST_BYTES, RANDOM_POSITIONS, (unsigned long long)x);
		for (size_t p = 0; p < FIRST_BYTES; p++)
			pos[npos++] = p;
		for (int k = 0; k < RANDOM_POSITIONS; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			pos[npos++] = FIRST_BYTES + (size_t)(x % (seglen - FIRST_BYTES));
		}
	}
	if (getenv("CAIRN_FLIP_MAX") && (size_t)atoi(getenv("CAIRN_FLIP_MAX")) < npos)
		npos = (size_t)atoi(getenv("CAIRN_FLIP_MAX"));
	double t0 = now();
	T_REQUIRE(make_commits(pos, npos) == 0);
	T_REQUIRE(updater_start() == 0);
	fprintf(stderr, "  %zu flipped commits written in %.2f s\n", npos, now() - t0);
}

/* The unflipped segment through the same plumbing imports whole: the flip is
 * the only difference. */
static void test_control_unflipped(void)
{
	outcome o = try_variant(npos, 0);
	T_CHECK(o.ok);
}

static void test_every_flip(void)
{
	size_t bad = 0, by_region[3] = {0};
	char reasons[3][200] = {"", "", ""};
	double t0 = now();
	for (size_t i = 0; i < npos; i++) {
		outcome o = try_variant(i, 1);
		const char *rg = region(pos[i], seglen);
		int ri = rg[0] == 'h' ? 0 : rg[0] == 'c' ? 1 : 2;
		by_region[ri]++;
		if (!reasons[ri][0])
			snprintf(reasons[ri], sizeof(reasons[ri]), "%s", o.reason);
		if (!o.ok) {
			bad++;
			fprintf(stderr, "  byte %zu (%s): not handled as a bad segment (reason '%s')\n", pos[i], rg,
			        o.reason);
			if (bad >= 20) {
				fprintf(stderr, "  stopping after 20 failures\n");
				break;
			}
		}
	}
	double t = now() - t0;
	fprintf(stderr,
	        "  %zu positions of a %zu-byte segment (%zu header, %zu ciphertext, "
	        "%zu signature) in %.1f s "
	        "(%.1f ms each); %zu not quarantined\n",
	        npos, seglen, by_region[0], by_region[1], by_region[2], t, t * 1000 / (double)(npos ? npos : 1), bad);
	for (int k = 0; k < 3; k++)
		if (reasons[k][0])
			fprintf(stderr, "  e.g. %s: %s\n",
			        k == 0   ? "header"
			        : k == 1 ? "ciphertext"
			                 : "signature",
			        reasons[k]);
	T_CHECK(bad == 0);
	T_CHECK(npos > 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sync_flip WORKDIR\n");
		return 2;
	}
	snprintf(root, sizeof(root), "%s/cairn-flip-XXXXXX", argv[1]);
	if (!mkdtemp(root)) {
		perror("sync_flip: mkdtemp");
		return 2;
	}
	/* Fixed identity for git commit-tree, and no user or system config in the
	 * way. */
	setenv("GIT_AUTHOR_NAME", "cairn", 1);
	setenv("GIT_AUTHOR_EMAIL", "cairn@invalid", 1);
	setenv("GIT_AUTHOR_DATE", "@0 +0000", 1);
	setenv("GIT_COMMITTER_NAME", "cairn", 1);
	setenv("GIT_COMMITTER_EMAIL", "cairn@invalid", 1);
	setenv("GIT_COMMITTER_DATE", "@0 +0000", 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	int before = t_failed_checks;
	T_RUN(setup);
	if (t_failed_checks == before) {
		T_RUN(load_segment);
		T_RUN(reference);
		T_RUN(prepare);
		if (upd_pid > 0) {
			T_RUN(test_control_unflipped);
			T_RUN(test_every_flip);
		}
		updater_stop();
	}
	if (!t_failed)
		sh("rm -rf '%s'", root);
	else
		fprintf(stderr, "kept %s\n", root);
	free(seg);
	free(pos);
	free(commits);
	T_END();
}
