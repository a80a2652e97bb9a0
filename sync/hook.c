/*
 * hook.c — `cairn hook pre-receive`: what a central repository or a field hub lets in.
 *
 * Invariants:
 *  1. No ref is deleted and no history is rewritten (also when receive.* settings were lost).
 *  2. refs/heads/logs/<device>: every new commit is a segment that verifies as <device>'s own (the
 *     checks the engine applies before adopting: cairn__log_verified_prefix), and, when the repository
 *     pins an org key, the roster admits it (enrolled key, not past a revocation).
 *  3. refs/heads/roster: signed by the pinned org key, a higher version than the one it replaces.
 *  4. refs/heads/enroll/<device>: a request signed by <device>'s key for the pinned org;
 *     refs/heads/synced/<device>: a head signed by <device>'s enrolled key.
 *  5. Nothing else. The hook needs no secret: public keys from the repository only. It reads the pushed
 *     objects through git's quarantine environment (GIT_OBJECT_DIRECTORY and alternates).
 */
#include "cairn_sync.h"
#include "directory.h"
#include "office.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZERO_OID "0000000000000000000000000000000000000000"

typedef struct {
	cairn_gitlog *g;
	int pinned;
	unsigned char org[32];
	cairn_roster *roster; /* the roster in force: the repository's, or the one this push brings */
} hook;

static int hex_device(const char *s)
{
	if (strlen(s) != 16)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

static int check_roster(hook *h, const char *old, const char *new, char *why, size_t n)
{
	cairn_roster *r = NULL;
	unsigned char *buf = NULL;
	size_t len;
	char parent[CAIRN_OID_HEX];
	if (!h->pinned) {
		snprintf(why, n, "this repository pins no org key ('%s' unset): it takes no roster", CAIRN_ORG_CONFIG);
		return 0;
	}
	if (cairn__gitlog_read_blob(h->g, new, "roster", &buf, &len, parent) || cairn_roster_decode(&r, buf, len)) {
		snprintf(why, n, "%s", cairn_error_last());
		free(buf);
		return 0;
	}
	free(buf);
	if (sodium_memcmp(r->org_pk, h->org, 32)) {
		snprintf(why, n, "roster is not signed by the org key this repository pins");
	} else if (h->roster && r->version <= h->roster->version) {
		snprintf(why, n, "roster version %llu does not supersede version %llu (rollback refused)",
		         (unsigned long long)r->version, (unsigned long long)h->roster->version);
	} else if (strcmp(old, ZERO_OID) && cairn__gitlog_descends(h->g, new, old) != 1) {
		/* Descends, not "is the child of": a hub two versions behind takes the newest a device carries. */
		snprintf(why, n,
		         "a roster version must extend the previous ones (the new commit does not descend from "
		         "the one held)");
	} else {
		cairn_roster_free(h->roster);
		h->roster = r;
		return 1;
	}
	cairn_roster_free(r);
	return 0;
}

/* The resource directory: signed by the pinned org key, a higher version, descending from the one held. */
static int check_directory(hook *h, const char *old, const char *new, char *why, size_t n)
{
	cairn_directory *d = NULL, *prev = NULL;
	char parent[CAIRN_OID_HEX], pp[CAIRN_OID_HEX];
	int ok = 0, has_old = strcmp(old, ZERO_OID) != 0;
	if (!h->pinned) {
		snprintf(why, n, "this repository pins no org key ('%s' unset): it takes no resource directory",
		         CAIRN_ORG_CONFIG);
		return 0;
	}
	if (cairn__directory_read(h->g, new, h->org, &d, parent))
		snprintf(why, n, "%s", cairn_error_last());
	else if (has_old && cairn__gitlog_descends(h->g, new, old) != 1)
		snprintf(why, n,
		         "a resource directory version must extend the previous ones (the new commit does not "
		         "descend from the one held)");
	else if (has_old && cairn__directory_read(h->g, old, h->org, &prev, pp))
		snprintf(why, n, "the resource directory held here is unreadable: %s", cairn_error_last());
	else if (prev && d->version <= prev->version)
		snprintf(why, n, "resource directory version %llu does not supersede version %llu (rollback refused)",
		         (unsigned long long)d->version, (unsigned long long)prev->version);
	else
		ok = 1;
	cairn_directory_free(d);
	cairn_directory_free(prev);
	return ok;
}

static int check_enroll(hook *h, const char *dev, const char *new, char *why, size_t n)
{
	unsigned char *buf = NULL, pk[32], org[32];
	size_t len;
	char parent[CAIRN_OID_HEX], hex[CAIRN_DEVICE_LEN];
	int ok = 0;
	if (cairn__gitlog_read_blob(h->g, new, "request", &buf, &len, parent) ||
	    cairn_enroll_decode(buf, len, pk, org, hex))
		snprintf(why, n, "%s", cairn_error_last());
	else if (strcmp(hex, dev))
		snprintf(why, n, "the request of device %s is filed under %s", hex, dev);
	else if (h->pinned && sodium_memcmp(org, h->org, 32))
		snprintf(why, n, "the request names another org key");
	else
		ok = 1;
	free(buf);
	return ok;
}

static int check_head(hook *h, const char *dev, const char *new, char *why, size_t n)
{
	unsigned char *buf = NULL, pk[32], hash[32];
	uint64_t seq;
	size_t len;
	char parent[CAIRN_OID_HEX], hex[CAIRN_DEVICE_LEN];
	int ok = 0;
	if (cairn__gitlog_read_blob(h->g, new, "head", &buf, &len, parent) ||
	    cairn_head_decode(buf, len, pk, &seq, hash, hex))
		snprintf(why, n, "%s", cairn_error_last());
	else if (strcmp(hex, dev))
		snprintf(why, n, "the head of device %s is filed under %s", hex, dev);
	else if (!h->roster)
		snprintf(why, n, "no roster: nobody is enrolled here");
	else
		ok = cairn_roster_admits(h->roster, dev, pk, seq, hash, why, n);
	free(buf);
	return ok;
}

static int check_log(hook *h, const char *dev, const char *old, const char *new, char *why, size_t n)
{
	char good[CAIRN_OID_HEX], bad[CAIRN_OID_HEX];
	const char *base = strcmp(old, ZERO_OID) ? old : "";
	if (*base && cairn__gitlog_descends(h->g, new, base) != 1) {
		snprintf(why, n, "rewriting the log of %s is not allowed (the new tip does not extend the old one)",
		         dev);
		return 0;
	}
	if (h->pinned && !h->roster) {
		snprintf(why, n, "no roster yet: the office has enrolled nobody");
		return 0;
	}
	if (cairn__log_verified_prefix(h->g, h->roster, dev, base, new, good, bad, why, n) < 0) {
		snprintf(why, n, "%s", cairn_error_last());
		return 0;
	}
	return bad[0] == '\0'; /* a log that does not lead to a pinned segment is refused too (why is set) */
}

static int check_ref(hook *h, const char *old, const char *new, const char *ref, char *why, size_t n)
{
	if (!strcmp(new, ZERO_OID)) {
		snprintf(why, n, "deleting refs is not allowed");
		return 0;
	}
	if (strlen(new) != 40 || strlen(old) != 40) {
		snprintf(why, n, "malformed update");
		return 0;
	}
	if (!strcmp(ref, CAIRN_ROSTER_REF))
		return check_roster(h, old, new, why, n);
	if (!strcmp(ref, CAIRN_DIRECTORY_REF))
		return check_directory(h, old, new, why, n);
	if (!strncmp(ref, "refs/heads/enroll/", 18) && hex_device(ref + 18))
		return check_enroll(h, ref + 18, new, why, n);
	if (!strncmp(ref, "refs/heads/synced/", 18) && hex_device(ref + 18))
		return check_head(h, ref + 18, new, why, n);
	if (!strncmp(ref, "refs/heads/logs/", 16) && hex_device(ref + 16))
		return check_log(h, ref + 16, old, new, why, n);
	snprintf(why, n,
	         "only refs/heads/logs/<device>, enroll/<device>, synced/<device>, roster and directory "
	         "are accepted here");
	return 0;
}

typedef struct {
	char old[64], new[64], ref[256];
} update;

int cairn_hook_pre_receive(FILE *in, FILE *err)
{
	hook h;
	update *u = NULL;
	size_t n = 0, cap = 0;
	char line[512], *hex = NULL, why[400];
	int rc, refused = 0;
	memset(&h, 0, sizeof(h));
	if ((rc = cairn__gitlog_open_env(&h.g)))
		return rc;
	if (!cairn__gitlog_config_get(h.g, CAIRN_ORG_CONFIG, &hex)) {
		h.pinned = strlen(hex) == 64 && !sodium_hex2bin(h.org, 32, hex, 64, NULL, NULL, NULL);
		free(hex);
		if (!h.pinned) {
			rc = cairn_error_set(CAIRN_ECORRUPT, "'%s' in this repository's config is not an org key",
			                     CAIRN_ORG_CONFIG);
			goto out;
		}
		rc = cairn__roster_load(h.g, CAIRN_ROSTER_REF, h.org, &h.roster);
		if (rc && rc != CAIRN_ENOTFOUND)
			goto out;
		rc = 0;
	}
	while (fgets(line, sizeof(line), in)) {
		if (n == cap) {
			update *p = realloc(u, (cap = cap ? 2 * cap : 16) * sizeof(*u));
			if (!p) {
				rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
				goto out;
			}
			u = p;
		}
		if (sscanf(line, "%63s %63s %255s", u[n].old, u[n].new, u[n].ref) == 3)
			n++;
	}
	/* The roster first: logs pushed with it are judged by it. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if ((strcmp(u[i].ref, CAIRN_ROSTER_REF) == 0) != (pass == 0))
				continue;
			why[0] = '\0';
			if (!check_ref(&h, u[i].old, u[i].new, u[i].ref, why, sizeof(why))) {
				fprintf(err, "cairn: refused %s: %s\n", u[i].ref, why[0] ? why : "not accepted");
				refused = 1;
			}
		}
	rc = refused;
out:
	free(u);
	cairn_roster_free(h.roster);
	cairn__gitlog_free(h.g);
	return rc;
}
