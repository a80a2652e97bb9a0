/*
 * team.c — the team key before the office's roster exists (DESIGN.md "Keys and trust"): the first device
 * creates a team; a passphrase-sealed join file carries the key to the others, so no plaintext secret
 * crosses the wire. When the roster arrives it adopts this key as the team's epoch 0.
 *
 * Join file: "CAIRNJON" ‖ version u8 ‖ opslimit u64 ‖ memlimit u64 ‖ salt[16] ‖ nonce[24] ‖ ciphertext
 * (XChaCha20-Poly1305 of a JSON document {team, epoch, key, members[{device, pk}]}, AAD = the header).
 */
#include "crypto.h"
#include "error.h"
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOIN_MAGIC "CAIRNJON"
#define JOIN_HDR (8 + 1 + 8 + 8 + 16 + 24)
#define JOIN_MAX (1 << 20)

static int key_copy(const void *src, int n, unsigned char **out)
{
	if (n != 32)
		return cairn__error(CAIRN_ECORRUPT, "a stored team key has the wrong size");
	if (!(*out = cairn__secure_alloc(32)))
		return CAIRN_ENOMEM;
	memcpy(*out, src, 32);
	return 0;
}

int cairn_team_current(cairn_journal *j, unsigned char team[CAIRN_TEAM_BYTES], uint32_t *epoch, unsigned char **key_out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT team, epoch, key FROM teams WHERE current ORDER BY epoch DESC LIMIT 1");
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == CAIRN_TEAM_BYTES) {
		memcpy(team, sqlite3_column_blob(st, 0), CAIRN_TEAM_BYTES);
		*epoch = (uint32_t)sqlite3_column_int64(st, 1);
		rc = key_out ? key_copy(sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2), key_out) : 0;
	} else if (rc == SQLITE_DONE) {
		rc = cairn__error(
		        CAIRN_ENOTFOUND,
		        "this device belongs to no team yet: run 'cairn team init' or 'cairn team join FILE'");
	} else {
		rc = cairn__sqlerr(j, rc, "reading the team");
	}
	cairn__finalize(j, st);
	return rc;
}

int cairn_team_key(cairn_journal *j, const unsigned char team[CAIRN_TEAM_BYTES], uint32_t epoch,
                   unsigned char **key_out)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "SELECT key FROM teams WHERE team = ?1 AND epoch = ?2");
	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, team, CAIRN_TEAM_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, epoch);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = key_copy(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), key_out);
	else if (rc == SQLITE_DONE)
		rc = CAIRN_ENOTFOUND;
	else
		rc = cairn__sqlerr(j, rc, "reading a team key");
	cairn__finalize(j, st);
	return rc;
}

static int team_store(cairn_journal *j, const unsigned char *team, uint32_t epoch, const unsigned char *key)
{
	sqlite3_stmt *st;
	int rc = cairn__exec(j, "UPDATE teams SET current = 0");
	if (rc || (rc = cairn__prepare(j, &st, "INSERT OR REPLACE INTO teams VALUES (?1, ?2, ?3, 1)")))
		return rc;
	sqlite3_bind_blob(st, 1, team, CAIRN_TEAM_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, epoch);
	sqlite3_bind_blob(st, 3, key, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "storing a team key");
}

static int add_member(cairn_journal *j, const char *device, const unsigned char pk[32], const char *source)
{
	sqlite3_stmt *st;
	int rc = cairn__prepare(j, &st, "INSERT OR IGNORE INTO members VALUES (?1, ?2, ?3)");
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, pk, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, source, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	cairn__finalize(j, st);
	return rc == SQLITE_DONE ? 0 : cairn__sqlerr(j, rc, "recording a team member");
}

int cairn_team_create(cairn_journal *j, unsigned char team_out[CAIRN_TEAM_BYTES])
{
	unsigned char team[CAIRN_TEAM_BYTES], pk[32];
	unsigned char *key = cairn__secure_alloc(32);
	int rc;
	if (!key)
		return CAIRN_ENOMEM;
	if (cairn_team_current(j, team, &(uint32_t){0}, NULL) == 0) {
		cairn__secure_free(key);
		return cairn__error(CAIRN_EEXISTS, "this device already belongs to a team");
	}
	cairn__random(team, sizeof(team));
	cairn__random(key, 32);
	rc = cairn_device_public_key(j, pk);
	if (!rc && !(rc = cairn__exec(j, "BEGIN IMMEDIATE"))) {
		rc = team_store(j, team, 0, key);
		if (!rc)
			rc = add_member(j, j->device, pk, "self");
		rc = cairn__txn_end_plain(j, rc);
	}
	cairn__secure_free(key);
	if (!rc && team_out)
		memcpy(team_out, team, sizeof(team));
	return rc;
}

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * (7 - i)));
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * The JSON plaintext of a join file, {"epoch","key","members","team"} (keys sorted, compact), in
 * sodium_malloc memory: the caller releases it with cairn__secure_free. The key is written straight into
 * that memory; jansson only ever sees the public parts (its frees do not wipe).
 */
static char *join_plaintext(cairn_journal *j)
{
	unsigned char team[CAIRN_TEAM_BYTES], *key = NULL;
	char hteam[33], *hkey = cairn__secure_alloc(65), *text = NULL, *mtext = NULL;
	uint32_t epoch;
	sqlite3_stmt *st = NULL;
	json_t *members = json_array();
	size_t n;
	if (!hkey || !members || cairn_team_current(j, team, &epoch, &key))
		goto out;
	cairn__hex(hteam, team, sizeof(team));
	cairn__hex(hkey, key, 32);
	if (cairn__prepare(j, &st, "SELECT device, hex(pk) FROM members ORDER BY device"))
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(members, json_pack("{ssss}", "device", sqlite3_column_text(st, 0), "pk",
		                                         sqlite3_column_text(st, 1)));
	if (!(mtext = json_dumps(members, JSON_COMPACT | JSON_SORT_KEYS)))
		goto out;
	n = strlen(mtext) + sizeof(hteam) + 65 + 64;
	if ((text = cairn__secure_alloc(n)))
		snprintf(text, n, "{\"epoch\":%u,\"key\":\"%s\",\"members\":%s,\"team\":\"%s\"}", (unsigned)epoch, hkey,
		         mtext, hteam);
out:
	cairn__finalize(j, st);
	json_decref(members);
	free(mtext);
	cairn__secure_free(key);
	cairn__secure_free(hkey);
	return text;
}

/*
 * jansson copies every string it parses (and its parser's buffer) into memory it frees without wiping.
 * While a join file's plaintext is parsed and used, its frees wipe. Process-wide for that moment: a
 * program using jansson on other threads at the same time must not join teams concurrently.
 */
static void *wiping_malloc(size_t n) { return malloc(n); }

static void wiping_free(void *p)
{
	if (p)
		cairn__wipe(p, malloc_usable_size(p));
	free(p);
}

static int exists(const char *path)
{
	return cairn__error(CAIRN_EEXISTS,
	                    "'%s' exists; choose another name or remove it first (cairn never overwrites "
	                    "a file)",
	                    path);
}

/* A join file holds the team key (sealed): written whole under its name or not at all, and never over
 * an existing file (link(), unlike rename(), refuses an existing name). */
static int write_file_new(const char *path, const unsigned char *buf, size_t n)
{
	char tmp[4096];
	int fd, rc = 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp); /* mode 0600 */
	if (fd < 0)
		return cairn__error(errno == ENOENT ? CAIRN_ENOTFOUND : CAIRN_EIO, "cannot write '%s': %s", path,
		                    strerror(errno));
	if (write(fd, buf, n) != (ssize_t)n || fsync(fd) != 0)
		rc = cairn__error(errno == ENOSPC ? CAIRN_ENOSPC : CAIRN_EIO, "cannot write '%s': %s", tmp,
		                  strerror(errno));
	close(fd);
	if (!rc && link(tmp, path) != 0)
		rc = errno == EEXIST ? exists(path)
		                     : cairn__error(CAIRN_EIO, "cannot write '%s': %s", path, strerror(errno));
	unlink(tmp);
	return rc;
}

int cairn_team_export(cairn_journal *j, const char *path, const char *pass, size_t passlen, cairn_kdf_level kdf)
{
	unsigned long long ops;
	size_t mem, n;
	unsigned char *buf = NULL, *k = cairn__secure_alloc(32);
	char *text = NULL;
	int rc;
	struct stat sb;
	if (lstat(path, &sb) == 0) { /* before the passphrase's key derivation, not after it */
		cairn__secure_free(k);
		return exists(path);
	}
	if (!k)
		return CAIRN_ENOMEM;
	if (!(text = join_plaintext(j))) {
		rc = cairn_error_last_code() ? cairn_error_last_code() : CAIRN_ENOMEM;
		goto out;
	}
	n = strlen(text);
	cairn__kdf_limits(kdf, &ops, &mem);
	if (!(buf = malloc(JOIN_HDR + n + CAIRN_AEAD_TAG))) {
		rc = cairn__error(CAIRN_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(buf, JOIN_MAGIC, 8);
	buf[8] = 1;
	put_u64(buf + 9, ops);
	put_u64(buf + 17, mem);
	cairn__random(buf + 25, 16);
	if ((rc = cairn__kdf(k, pass, passlen, buf + 25, ops, mem)))
		goto out;
	/* The nonce is part of the header, so the AAD covers everything before the ciphertext. */
	unsigned char nonce[CAIRN_AEAD_NONCE];
	cairn__random(nonce, sizeof(nonce));
	memcpy(buf + 41, nonce, sizeof(nonce));
	cairn__aead_seal_with(buf + JOIN_HDR, (const unsigned char *)text, n, buf, JOIN_HDR, nonce, k);
	rc = write_file_new(path, buf, JOIN_HDR + n + CAIRN_AEAD_TAG);
out:
	cairn__secure_free(text);
	free(buf);
	cairn__secure_free(k);
	return rc;
}

static int read_join(const char *path, unsigned char **buf, size_t *n)
{
	FILE *f = fopen(path, "rb");
	long len;
	if (!f)
		return cairn__error(errno == ENOENT ? CAIRN_ENOTFOUND : CAIRN_EIO, "cannot open join file '%s': %s",
		                    path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return cairn__error(CAIRN_EIO, "cannot read join file '%s'", path);
	}
	if (len < JOIN_HDR + CAIRN_AEAD_TAG || len > JOIN_MAX) {
		fclose(f);
		return cairn__error(CAIRN_ECORRUPT, "join file '%s' is corrupt (size %ld)", path, len);
	}
	*buf = malloc((size_t)len);
	if (!*buf || fread(*buf, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(*buf);
		return cairn__error(CAIRN_EIO, "cannot read join file '%s'", path);
	}
	fclose(f);
	*n = (size_t)len;
	return 0;
}

static int adopt(cairn_journal *j, json_t *doc, const char *path)
{
	unsigned char team[CAIRN_TEAM_BYTES], pk[32], *key = cairn__secure_alloc(32);
	json_t *members = json_object_get(doc, "members"), *m;
	json_int_t epoch = json_integer_value(json_object_get(doc, "epoch"));
	size_t i;
	int rc;
	if (!key)
		return CAIRN_ENOMEM;
	if (cairn__unhex(team, sizeof(team), json_string_value(json_object_get(doc, "team"))) ||
	    cairn__unhex(key, 32, json_string_value(json_object_get(doc, "key"))) || epoch < 0 || epoch > UINT32_MAX ||
	    !json_is_array(members)) {
		cairn__secure_free(key);
		return cairn__error(CAIRN_ECORRUPT, "join file '%s' is corrupt (bad contents)", path);
	}
	if ((rc = cairn__exec(j, "BEGIN IMMEDIATE"))) {
		cairn__secure_free(key);
		return rc;
	}
	rc = team_store(j, team, (uint32_t)epoch, key);
	json_array_foreach(members, i, m)
	{
		const char *dev = json_string_value(json_object_get(m, "device"));
		if (rc)
			break;
		if (!cairn__device_valid(dev) ||
		    cairn__unhex(pk, 32, json_string_value(json_object_get(m, "pk"))) == -1) {
			/* hex(pk) from SQLite is upper case; sodium accepts both */
			rc = cairn__error(CAIRN_ECORRUPT, "join file '%s' is corrupt (bad member)", path);
			break;
		}
		rc = add_member(j, dev, pk, "join file");
	}
	if (!rc && !cairn_device_public_key(j, pk))
		rc = add_member(j, j->device, pk, "self");
	cairn__secure_free(key);
	return cairn__txn_end_plain(j, rc);
}

int cairn_team_join(cairn_journal *j, const char *path, const char *pass, size_t passlen)
{
	unsigned char *buf = NULL, *k = NULL;
	char *plain = NULL;
	size_t n = 0, pn;
	json_t *doc;
	json_malloc_t app_malloc;
	json_free_t app_free;
	int rc;
	uint64_t ops, mem;
	if ((rc = read_join(path, &buf, &n)))
		return rc;
	ops = get_u64(buf + 9);
	mem = get_u64(buf + 17);
	if (memcmp(buf, JOIN_MAGIC, 8) || buf[8] != 1 || ops < 1 || ops > 64 || mem < 8192 || mem > (4ULL << 30)) {
		rc = cairn__error(CAIRN_ECORRUPT, "'%s' is not a cairn join file (or a corrupt one)", path);
		goto out;
	}
	pn = n - JOIN_HDR - CAIRN_AEAD_TAG;
	if (!(k = cairn__secure_alloc(32)) || !(plain = cairn__secure_alloc(pn + 1))) {
		rc = CAIRN_ENOMEM;
		goto out;
	}
	if ((rc = cairn__kdf(k, pass, passlen, buf + 25, ops, (size_t)mem)))
		goto out;
	if (cairn__aead_open((unsigned char *)plain, buf + JOIN_HDR, n - JOIN_HDR, buf, JOIN_HDR, buf + 41, k)) {
		rc = cairn__error(CAIRN_EAUTH, "wrong passphrase for join file '%s' (or the file was modified)", path);
		goto out;
	}
	plain[pn] = '\0';
	json_get_alloc_funcs(&app_malloc, &app_free);
	json_set_alloc_funcs(wiping_malloc, wiping_free);
	doc = json_loadb(plain, pn, 0, NULL);
	cairn__wipe(plain, pn);
	if (!json_is_object(doc))
		rc = cairn__error(CAIRN_ECORRUPT, "join file '%s' is corrupt (not JSON)", path);
	else
		rc = adopt(j, doc, path);
	json_decref(doc);
	json_set_alloc_funcs(app_malloc, app_free);
out:
	free(buf);
	cairn__secure_free(k);
	cairn__secure_free(plain);
	return rc;
}
