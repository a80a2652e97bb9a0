/*
 * sync_random.c — three devices, random operations (contacts, field edits, notes, merges, plan versions),
 * random sync orders through a central remote and a "USB stick" (a bare repo in a directory), then a
 * final round: every digest must be equal.
 *
 * Usage: sync_random RUNS REPO_DIR URL_PREFIX [URL_PREFIX ...]
 *   For run i a central bare repo REPO_DIR/run<i>.git is created (append-only config) and reached as
 *   URL_PREFIX/run<i>.git, the prefixes taken in turn (so one invocation covers several transports).
 *   Remote options (credentials, ssh key, pin, CA) come from CAIRN_TEST_CRED, CAIRN_TEST_SSH_KEY,
 *   CAIRN_TEST_PIN, CAIRN_TEST_CA for URLs of the matching scheme.
 */
#include "cairn.h"
#include "cairn_sync.h"
#include "t.h"

#include <stdarg.h>
#include <unistd.h>

#define DEVICES 3

static uint64_t rng;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static char root[256];

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...);
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

typedef struct {
	cairn_journal *j;
	cairn_sync *s;
} device;

static int open_device(device *d, const char *dir, const char *join)
{
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	o.kdf = CAIRN_KDF_MIN;
	if (cairn_journal_init(dir, "pw", 2, &o) || cairn_journal_open(&d->j, dir, "pw", 2) ||
	    cairn_sync_open(&d->s, d->j))
		return -1;
	if (!join)
		return cairn_team_create(d->j, NULL);
	return cairn_team_join(d->j, join, "team", 4);
}

static void remote_opts(cairn_remote_options *o, const char *url)
{
	if (!strncmp(url, "http", 4)) {
		o->credential_file = getenv("CAIRN_TEST_CRED");
		if (!strncmp(url, "https", 5)) {
			o->ca_file = getenv("CAIRN_TEST_CA");
			o->pin = getenv("CAIRN_TEST_PIN");
		}
	} else if (!strncmp(url, "ssh", 3)) {
		o->ssh_key = getenv("CAIRN_TEST_SSH_KEY");
		o->pin = getenv("CAIRN_TEST_SSH_PIN");
	}
}

static int sync_with(device *d, const char *remote)
{
	cairn_sync_result r;
	int rc = cairn_sync_run(d->s, remote, NULL, &r, NULL);
	if (rc)
		fprintf(stderr, "  sync %s with %s: %s\n", cairn_journal_device(d->j), remote, cairn_error_last());
	return rc;
}

static char contacts[512][CAIRN_ID_LEN];
static int ncontacts;

static int plan_conflicted; /* runs that ended with a plan's versions in conflict */

static void random_op(device *d)
{
	char buf[200];
	int op = rnd(12);
	if (op < 3 || !ncontacts) {
		snprintf(buf, sizeof(buf), "{\"name\":\"Person %u\"}", rnd(1000));
		if (ncontacts < 512 && !cairn_contact_set(d->j, NULL, buf, contacts[ncontacts]))
			ncontacts++;
	} else if (op < 6) {
		snprintf(buf, sizeof(buf), "{\"phone\":\"555-%04u\"}", rnd(10000));
		cairn_contact_set(d->j, contacts[rnd(ncontacts)], buf, NULL);
	} else if (op < 9) {
		snprintf(buf, sizeof(buf), "{\"text\":\"met again, %u\"}", rnd(1000));
		cairn_note_add(d->j, contacts[rnd(ncontacts)], buf, NULL);
	} else if (op < 10) {
		cairn_contact_merge(d->j, contacts[rnd(ncontacts)], contacts[rnd(ncontacts)]);
	} else {
		/* a version of one of the first people's plans: devices offline from each other conflict */
		snprintf(buf, sizeof(buf), "{\"coping\":[\"step %u\"]}", rnd(1000));
		cairn_plan_set(d->j, contacts[rnd(ncontacts < 3 ? (uint32_t)ncontacts : 3)],
		               rnd(2) ? "safety" : "relapse", buf, NULL);
	}
}

static int run(int i, const char *repos, const char *prefix)
{
	char dir[400], central[400], usb[400], url[600], join[400];
	device dev[DEVICES] = {{0}};
	int ok = 1;
	rng = (uint64_t)i * 0x9E3779B97F4A7C15ull + 7;
	ncontacts = 0;
	snprintf(central, sizeof(central), "%s/run%d.git", repos, i);
	snprintf(usb, sizeof(usb), "%s/usb%d.git", root, i);
	snprintf(url, sizeof(url), "%s/run%d.git", prefix, i);
	snprintf(join, sizeof(join), "%s/join%d", root, i);
	if (sh("git init -q --bare '%s' && git -C '%s' config receive.denyNonFastForwards true", central, central) ||
	    sh("git -C '%s' config receive.denyDeletes true && git -C '%s' config http.receivepack true", central,
	       central) ||
	    sh("git init -q --bare '%s' %s", usb, ""))
		return 0;
	for (int k = 0; k < DEVICES; k++) {
		snprintf(dir, sizeof(dir), "%s/run%d-dev%d", root, i, k);
		if (open_device(&dev[k], dir, k ? join : NULL)) {
			fprintf(stderr, "  device %d: %s\n", k, cairn_error_last());
			return 0;
		}
		if (!k && cairn_team_export(dev[0].j, join, "team", 4, CAIRN_KDF_MIN))
			return 0;
		cairn_remote_options o = CAIRN_REMOTE_OPTIONS_INIT;
		remote_opts(&o, url);
		cairn_remote_options none = CAIRN_REMOTE_OPTIONS_INIT;
		if (cairn_remote_add(dev[k].s, "central", url, &o) || cairn_remote_add(dev[k].s, "usb", usb, &none)) {
			fprintf(stderr, "  remote add: %s\n", cairn_error_last());
			return 0;
		}
	}
	/* Device 2 never talks to central directly during the run: it only meets the USB stick. */
	int steps = 10 + (int)rnd(20);
	for (int s = 0; s < steps && ok; s++) {
		device *d = &dev[rnd(DEVICES)];
		int what = rnd(10);
		if (what < 6)
			random_op(d);
		else if (what < 8 && d != &dev[2])
			ok = sync_with(d, "central") == 0;
		else
			ok = sync_with(d, "usb") == 0;
	}
	/* Final: the USB stick travels to a device that reaches central, then everyone syncs twice. */
	for (int pass = 0; pass < 2 && ok; pass++) {
		ok = sync_with(&dev[2], "usb") == 0 && sync_with(&dev[1], "usb") == 0 &&
		     sync_with(&dev[1], "central") == 0 && sync_with(&dev[0], "central") == 0;
		for (int k = 0; k < DEVICES - 1 && ok; k++)
			ok = sync_with(&dev[k], "central") == 0 && sync_with(&dev[k], "usb") == 0;
	}
	char d0[CAIRN_DIGEST_LEN], dk[CAIRN_DIGEST_LEN];
	if (ok && cairn_digest(dev[0].j, d0))
		ok = 0;
	for (int k = 1; k < DEVICES && ok; k++) {
		if (cairn_digest(dev[k].j, dk) || strcmp(d0, dk)) {
			fprintf(stderr, "  run %d: device %d digest differs\n", i, k);
			ok = 0;
		}
	}
	char *conflicts = NULL;
	if (ok && !cairn_conflict_list(dev[0].j, &conflicts) && strstr(conflicts, "\"field\":\"plan\""))
		plan_conflicted++;
	cairn_free(conflicts);
	for (int k = 0; k < DEVICES; k++) {
		cairn_sync_free(dev[k].s);
		cairn_journal_free(dev[k].j);
	}
	if (ok) {
		snprintf(dir, sizeof(dir), "%s/run%d-dev*", root, i);
		sh("rm -rf %s '%s'", dir, usb);
	}
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: sync_random RUNS REPO_DIR URL_PREFIX...\n");
		return 2;
	}
	int runs = atoi(argv[1]);
	if (getenv("CAIRN_SYNC_RUNS"))
		runs = atoi(getenv("CAIRN_SYNC_RUNS"));
	snprintf(root, sizeof(root), "%s/cairn-syncrand-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		return 2;
	for (int i = 0; i < runs; i++) {
		const char *prefix = argv[3 + i % (argc - 3)];
		if (run(i, argv[2], prefix))
			t_passed++;
		else {
			fprintf(stderr, "FAIL run %d via %s\n", i, prefix);
			t_failed++;
		}
	}
	if (!t_failed)
		sh("rm -rf '%s' %s", root, "");
	printf("%d of %d runs ended with a plan's versions in conflict\n", plan_conflicted, runs);
	if (runs >= 100 && !plan_conflicted) {
		fprintf(stderr, "no run ended with a plan conflict: concurrent versions are not exercised\n");
		t_failed++;
	}
	printf("%d passed, %d failed\n", t_passed, t_failed);
	return t_failed ? 1 : 0;
}
