/*
 * gitlog.c — per-device segment logs in a bare git repository, with libgit2.
 *
 * Invariants:
 *  1. A log ref only ever moves forward: appends are compare-and-swap on the expected tip
 *     (git_reference_create_matching), fetched updates are applied by the engine only after an ancestry
 *     check (libgit2 would silently skip or force them depending on the refspec's '+').
 *  2. Objects are written before the ref that names them, with fsync on (GIT_OPT_ENABLE_FSYNC_GITDIR):
 *     a crash leaves at worst unreferenced objects, never a ref to a missing object.
 *  3. Segment commits carry no information beyond the segment: fixed identity, time 0, fixed message.
 *  4. Push outcomes are read from push_update_reference: libgit2 reports server refusals only there.
 */
#include "gitlog.h"
#include "netstream.h"

#include "git2_lazy.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn.h"

struct cairn_gitlog {
	git_repository *repo;
};

static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();
	return cairn_error_set(code, "%s: %s", what, e && e->message ? e->message : "unknown git error");
}

static int oid_parse(git_oid *oid, const char *hex)
{
	if (!hex || strlen(hex) != 40 || git_oid_fromstr(oid, hex))
		return cairn_error_set(CAIRN_EINVAL, "malformed object id '%s'", hex ? hex : "");
	return 0;
}

/*
 * A log repository holds encrypted segments: a delta between two of them never saves a byte, and looking
 * for one (ten candidates per object, each a delta index over half a megabyte) was a sixth of a cold
 * office sync of a million events. Packing reads these from the repository it packs from: libgit2
 * (a push, or a fetch from a path) pack.windowMemory, which a window of one object then exceeds, and git
 * pack-objects (a server) pack.window. Set once; a value someone chose is kept.
 */
static void no_delta_search(git_repository *repo)
{
	static const char *const keys[][2] = {{"pack.windowMemory", "1"}, {"pack.window", "0"}};
	git_config *c = NULL;
	if (git_repository_config(&c, repo))
		return; /* packing works either way: only slower */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		git_config_entry *e = NULL;
		if (git_config_get_entry(&e, c, keys[i][0]) == GIT_ENOTFOUND)
			git_config_set_string(c, keys[i][0], keys[i][1]);
		git_config_entry_free(e);
	}
	git_config_free(c);
	git_error_clear();
}

static void init_libgit2(void)
{
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 1);
	/* Objects were hashed when they arrived (the indexer checks every one); hashing each again on
	 * every read (SHA-1DC over half a megabyte a segment, twice an import) proves nothing more:
	 * a segment's signature and AEAD tag are what make it trustworthy. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	/* A fetch from a log with a history stalled 40 ms on delayed ACKs: see netstream.c. */
	cairn__netstream_register();
}

int cairn__gitlog_open(cairn_gitlog **out, const char *path)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	cairn_gitlog *g;
	int rc;
	if ((rc = cairn__git2_load()))
		return rc;
	pthread_once(&once, init_libgit2);
	if (!(g = calloc(1, sizeof(*g))))
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	rc = git_repository_open_bare(&g->repo, path);
	if (rc == GIT_ENOTFOUND) {
		git_repository_init_options o;
		git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
		o.mode = 0700; /* GIT_REPOSITORY_INIT_SHARED_UMASK with a private directory */
		rc = git_repository_init_ext(&g->repo, path, &o);
	}
	if (rc) {
		char what[4200];
		free(g);
		snprintf(what, sizeof(what), "cannot open or create the git repository '%s'", path);
		return git_fail(CAIRN_EIO, what);
	}
	no_delta_search(g->repo);
	*out = g;
	return 0;
}

int cairn__gitlog_open_env(cairn_gitlog **out)
{
	cairn_gitlog *g;
	int rc = cairn__git2_load();
	if (rc)
		return rc;
	git_libgit2_init();
	if (!(g = calloc(1, sizeof(*g))))
		return cairn_error_set(CAIRN_ENOMEM, "out of memory");
	/* GIT_DIR, GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES: in a pre-receive hook the
	 * pushed objects sit in git's quarantine directory, visible only through these. */
	if (git_repository_open_ext(&g->repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL)) {
		free(g);
		return git_fail(CAIRN_EIO, "cannot open the repository of this hook");
	}
	*out = g;
	return 0;
}

const char *cairn__gitlog_path(cairn_gitlog *g) { return git_repository_path(g->repo); }

int cairn__gitlog_ref_time(cairn_gitlog *g, const char *ref, int64_t *when)
{
	git_reflog *log = NULL;
	const git_reflog_entry *e;
	*when = 0;
	if (git_reflog_read(&log, g->repo, ref))
		return git_fail(CAIRN_EIO, "cannot read a reflog");
	if (git_reflog_entrycount(log) && (e = git_reflog_entry_byindex(log, 0)))
		*when = (int64_t)git_reflog_entry_committer(e)->when.time;
	git_reflog_free(log);
	return 0;
}

static int remove_lock(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	size_t n = strlen(path);
	(void)st;
	(void)ftw;
	if (flag == FTW_F && n > 5 && !strcmp(path + n - 5, ".lock") && unlink(path) == 0)
		cairn_error_set(CAIRN_OK, "removed a stale lock"); /* informational only */
	return 0;
}

int cairn__gitlog_lock(const char *dir, const char *name, mode_t mode, const char *waiting, int *fd)
{
	char path[4300];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode)) < 0)
		return cairn_error_set(CAIRN_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK && waiting)
		cairn_log_emit(CAIRN_LOG_WARN, "%s (it holds '%s')", waiting, path);
	if (errno != EWOULDBLOCK || flock(*fd, LOCK_EX) != 0)
		return cairn_error_set(CAIRN_EBUSY, "cannot lock '%s': %s", path, strerror(errno));
	return 0;
}

int cairn__gitlog_clear_stale_locks(cairn_gitlog *g)
{
	char path[4200];
	const char *dir = git_repository_path(g->repo);
	static const char *const files[] = {"packed-refs.lock", "config.lock", "HEAD.lock", "index.lock"};
	snprintf(path, sizeof(path), "%srefs", dir);
	nftw(path, remove_lock, 16, FTW_PHYS);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, files[i]);
		unlink(path);
	}
	cairn_error_clear();
	return 0;
}

void cairn__gitlog_free(cairn_gitlog *g)
{
	if (!g)
		return;
	git_repository_free(g->repo);
	free(g);
}

int cairn__gitlog_tip(cairn_gitlog *g, const char *ref, char oid[CAIRN_OID_HEX])
{
	git_oid id;
	int rc = git_reference_name_to_id(&id, g->repo, ref);
	if (rc == GIT_ENOTFOUND) {
		oid[0] = '\0';
		return CAIRN_ENOTFOUND;
	}
	if (rc)
		return git_fail(CAIRN_EIO, "cannot read a log ref");
	git_oid_tostr(oid, CAIRN_OID_HEX, &id);
	return 0;
}

int cairn__gitlog_read(cairn_gitlog *g, const char *commit, unsigned char **buf, size_t *len,
                       char parent[CAIRN_OID_HEX])
{
	return cairn__gitlog_read_blob(g, commit, "segment", buf, len, parent);
}

/* The size and type git records for an object, read without inflating it. */
static int object_header(cairn_gitlog *g, const git_oid *id, size_t *size, git_object_t *type)
{
	git_odb *odb = NULL;
	int rc = git_repository_odb(&odb, g->repo);
	if (!rc)
		rc = git_odb_read_header(size, type, odb, id);
	git_odb_free(odb);
	return rc;
}

/*
 * Invariant 3, on reading: a commit is taken only in the one form cairn writes (fixed identity, time 0,
 * message "cairn <name>", no other header), so its id is a function of (document, parent). Otherwise a
 * host holding no key could re-commit a log's very segments under new ids, and the fork checks, which
 * compare ids, would take that for a rewritten log (an own log "restored from a backup", a relayed log
 * forked for good).
 */
static int canonical(cairn_gitlog *g, git_commit *c, const git_tree *t, const char *name, const git_oid *id)
{
	git_signature *sig = NULL;
	git_commit *p = NULL;
	git_buf raw = {0};
	git_oid want;
	char msg[64];
	int ok = 0;
	snprintf(msg, sizeof(msg), "cairn %s\n", name);
	if (!git_signature_new(&sig, "cairn", "cairn@invalid", 0, 0) &&
	    (git_commit_parentcount(c) == 0 || !git_commit_parent(&p, c, 0))) {
		const git_commit *parents[1] = {p};
		ok = !git_commit_create_buffer(&raw, g->repo, sig, sig, NULL, msg, t, p ? 1 : 0, parents) &&
		     !git_odb_hash(&want, raw.ptr, raw.size, GIT_OBJECT_COMMIT) &&
		     !memcmp(want.id, id->id, sizeof(want.id));
	}
	git_buf_dispose(&raw);
	git_commit_free(p);
	git_signature_free(sig);
	git_error_clear();
	return ok;
}

int cairn__gitlog_read_blob(cairn_gitlog *g, const char *commit, const char *name, unsigned char **buf, size_t *len,
                            char parent[CAIRN_OID_HEX])
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_blob *b = NULL;
	git_oid id;
	git_object_t type;
	const git_tree_entry *e;
	size_t size = 0;
	int rc;
	if ((rc = oid_parse(&id, commit)))
		return rc;
	/* Sizes first, from the object headers: a remote's blob of zeros inflates a thousandfold, and
	 * loading one to find it too large would take gigabytes, every round it stays fetched. */
	if (object_header(g, &id, &size, &type) || type != GIT_OBJECT_COMMIT || size > CAIRN__GITLOG_COMMIT_MAX ||
	    git_commit_lookup(&c, g->repo, &id))
		return git_fail(CAIRN_ECORRUPT, "cannot read a segment commit");
	rc = CAIRN_ECORRUPT;
	if (git_commit_parentcount(c) > 1 || git_commit_tree(&t, c) || git_tree_entrycount(t) != 1 ||
	    !(e = git_tree_entry_byname(t, name)) || git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
	    git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB) {
		rc = cairn_error_set(CAIRN_ECORRUPT, "commit %.12s is not a %s commit", commit, name);
		goto out;
	}
	if (!canonical(g, c, t, name, &id)) {
		rc = cairn_error_set(CAIRN_ECORRUPT,
		                     "commit %.12s holds a %s but is not in the form cairn writes (re-committed by "
		                     "something else)",
		                     commit, name);
		goto out;
	}
	if (object_header(g, git_tree_entry_id(e), &size, &type) || type != GIT_OBJECT_BLOB) {
		rc = git_fail(CAIRN_ECORRUPT, "cannot read the blob of a segment commit");
		goto out;
	}
	if (size > CAIRN__GITLOG_BLOB_MAX) {
		rc = cairn_error_set(CAIRN_ECORRUPT, "the %s of commit %.12s is %zu bytes, over the limit of %u", name,
		                     commit, size, CAIRN__GITLOG_BLOB_MAX);
		goto out;
	}
	if (git_blob_lookup(&b, g->repo, git_tree_entry_id(e))) {
		rc = git_fail(CAIRN_ECORRUPT, "cannot read the blob of a segment commit");
		goto out;
	}
	*len = (size_t)git_blob_rawsize(b);
	if (!(*buf = malloc(*len ? *len : 1))) {
		rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*buf, git_blob_rawcontent(b), *len);
	parent[0] = '\0';
	if (git_commit_parentcount(c) == 1)
		git_oid_tostr(parent, CAIRN_OID_HEX, git_commit_parent_id(c, 0));
	rc = 0;
out:
	git_blob_free(b);
	git_tree_free(t);
	git_commit_free(c);
	return rc;
}

int cairn__gitlog_append(cairn_gitlog *g, const char *device, const char *parent, const unsigned char *seg, size_t len,
                         char out[CAIRN_OID_HEX])
{
	char name[128];
	snprintf(name, sizeof(name), "refs/heads/logs/%s", device);
	return cairn__gitlog_commit_blob(g, name, "segment", parent, seg, len, out);
}

int cairn__gitlog_commit_blob(cairn_gitlog *g, const char *name, const char *file, const char *parent,
                              const unsigned char *seg, size_t len, char out[CAIRN_OID_HEX])
{
	git_oid blob, tree, commit, pid;
	git_treebuilder *tb = NULL;
	git_tree *t = NULL;
	git_commit *p = NULL;
	git_signature *sig = NULL;
	git_reference *ref = NULL;
	char msg[64];
	int rc = CAIRN_EIO;
	snprintf(msg, sizeof(msg), "cairn %s\n", file);
	if (*parent && (oid_parse(&pid, parent) || git_commit_lookup(&p, g->repo, &pid)))
		return git_fail(CAIRN_ECORRUPT, "cannot read the previous segment commit");
	if (git_blob_create_from_buffer(&blob, g->repo, seg, len) || git_treebuilder_new(&tb, g->repo, NULL) ||
	    git_treebuilder_insert(NULL, tb, file, &blob, GIT_FILEMODE_BLOB) || git_treebuilder_write(&tree, tb) ||
	    git_tree_lookup(&t, g->repo, &tree) || git_signature_new(&sig, "cairn", "cairn@invalid", 0, 0)) {
		rc = git_fail(CAIRN_EIO, "cannot write a segment");
		goto out;
	}
	const git_commit *parents[1] = {p};
	if (git_commit_create(&commit, g->repo, NULL, sig, sig, NULL, msg, t, p ? 1 : 0, parents)) {
		rc = git_fail(CAIRN_EIO, "cannot write a segment commit");
		goto out;
	}
	/* Invariant 1: only if the tip is still `parent`. */
	if (git_reference_create_matching(&ref, g->repo, name, &commit, p != NULL, p ? &pid : NULL, NULL)) {
		rc = git_fail(CAIRN_EBUSY, "the ref moved while writing it (another cairn process?)");
		goto out;
	}
	git_oid_tostr(out, CAIRN_OID_HEX, &commit);
	rc = 0;
out:
	git_reference_free(ref);
	git_signature_free(sig);
	git_tree_free(t);
	git_treebuilder_free(tb);
	git_commit_free(p);
	return rc;
}

int cairn__gitlog_walk(cairn_gitlog *g, const char *tip, const char *since, char (**oids)[CAIRN_OID_HEX], size_t *n)
{
	git_revwalk *w = NULL;
	git_oid id;
	size_t cap = 0;
	int rc;
	*oids = NULL;
	*n = 0;
	if ((rc = oid_parse(&id, tip)))
		return rc;
	if (git_revwalk_new(&w, g->repo) || git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) ||
	    git_revwalk_push(w, &id)) {
		rc = git_fail(CAIRN_ECORRUPT, "cannot walk a log");
		goto out;
	}
	if (since && *since) {
		git_oid s;
		if ((rc = oid_parse(&s, since)))
			goto out;
		if (git_revwalk_hide(w, &s)) {
			rc = git_fail(CAIRN_ECORRUPT, "cannot walk a log from its cursor");
			goto out;
		}
	}
	while ((rc = git_revwalk_next(&id, w)) == 0) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			void *p = realloc(*oids, cap * sizeof(**oids));
			if (!p) {
				rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
				goto out;
			}
			*oids = p;
		}
		git_oid_tostr((*oids)[(*n)++], CAIRN_OID_HEX, &id);
	}
	rc = rc == GIT_ITEROVER ? 0 : git_fail(CAIRN_ECORRUPT, "cannot walk a log");
out:
	if (rc) {
		free(*oids);
		*oids = NULL;
		*n = 0;
	}
	git_revwalk_free(w);
	return rc;
}

void cairn__gitlog_list_free(char **devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(devs[i]);
	free(devs);
}

int cairn__gitlog_list(cairn_gitlog *g, const char *prefix, char ***devs, size_t *n)
{
	git_reference_iterator *it = NULL;
	char glob[256];
	const char *name;
	size_t cap = 0, plen = strlen(prefix);
	int rc;
	*devs = NULL;
	*n = 0;
	snprintf(glob, sizeof(glob), "%s*", prefix);
	if (git_reference_iterator_glob_new(&it, g->repo, glob))
		return git_fail(CAIRN_EIO, "cannot list logs");
	while ((rc = git_reference_next_name(&name, it)) == 0) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			char **p = realloc(*devs, cap * sizeof(char *));
			if (!p) {
				rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
				break;
			}
			*devs = p;
		}
		if (!((*devs)[*n] = strdup(name + plen))) {
			rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
			break;
		}
		(*n)++;
	}
	git_reference_iterator_free(it);
	if (rc != GIT_ITEROVER) {
		cairn__gitlog_list_free(*devs, *n);
		*devs = NULL;
		*n = 0;
		return rc < 0 && rc > -100 ? rc : git_fail(CAIRN_EIO, "cannot list logs");
	}
	return 0;
}

int cairn__gitlog_set(cairn_gitlog *g, const char *ref, const char *oid, const char *expected)
{
	git_reference *r = NULL;
	git_oid id, old;
	int rc;
	if ((rc = oid_parse(&id, oid)))
		return rc;
	if (expected && *expected) {
		if ((rc = oid_parse(&old, expected)))
			return rc;
		rc = git_reference_create_matching(&r, g->repo, ref, &id, 1, &old, NULL);
	} else {
		rc = git_reference_create(&r, g->repo, ref, &id, expected == NULL, NULL);
	}
	git_reference_free(r);
	return rc ? git_fail(CAIRN_EBUSY, "cannot move a log ref") : 0;
}

int cairn__gitlog_delete_ref(cairn_gitlog *g, const char *ref)
{
	git_reference *r;
	if (git_reference_lookup(&r, g->repo, ref))
		return 0;
	int rc = git_reference_delete(r);
	git_reference_free(r);
	return rc ? git_fail(CAIRN_EIO, "cannot delete a ref") : 0;
}

int cairn__gitlog_merge_base(cairn_gitlog *g, const char *a, const char *b, char out[CAIRN_OID_HEX])
{
	git_oid x, y, base;
	int rc;
	out[0] = '\0';
	if ((rc = oid_parse(&x, a)) || (rc = oid_parse(&y, b)))
		return rc;
	rc = git_merge_base(&base, g->repo, &x, &y);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc)
		return git_fail(CAIRN_ECORRUPT, "cannot compare logs");
	git_oid_tostr(out, CAIRN_OID_HEX, &base);
	return 0;
}

static int copy_object(git_odb *src, git_odb *dst, const git_oid *id)
{
	git_odb_object *o = NULL;
	git_oid out;
	if (git_odb_exists(dst, id))
		return 0;
	int rc = git_odb_read(&o, src, id) ||
	         git_odb_write(&out, dst, git_odb_object_data(o), git_odb_object_size(o), git_odb_object_type(o));
	git_odb_object_free(o);
	return rc ? git_fail(CAIRN_EIO, "cannot copy a git object") : 0;
}

int cairn__gitlog_copy_chain(cairn_gitlog *from, cairn_gitlog *to, const char *tip)
{
	git_odb *src = NULL, *dst = NULL;
	git_oid id, *chain = NULL;
	size_t n = 0, cap = 0;
	int rc = oid_parse(&id, tip);
	if (!rc && (git_repository_odb(&src, from->repo) || git_repository_odb(&dst, to->repo)))
		rc = git_fail(CAIRN_EIO, "cannot open a repository's objects");
	/* The commits the destination lacks, newest first down the first parents ... */
	while (!rc && !git_odb_exists(dst, &id)) {
		git_commit *c = NULL;
		if (n == cap) {
			git_oid *p = realloc(chain, (cap = cap ? 2 * cap : 16) * sizeof(*chain));
			if (!p) {
				rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
				break;
			}
			chain = p;
		}
		if (git_commit_lookup(&c, from->repo, &id)) {
			rc = git_fail(CAIRN_ECORRUPT, "cannot read a commit to copy");
			break;
		}
		chain[n++] = id;
		int more = git_commit_parentcount(c) > 0;
		if (more)
			id = *git_commit_parent_id(c, 0);
		git_commit_free(c);
		if (!more)
			break;
	}
	/* ... written oldest first, each commit after its tree and blobs: a copy cut short (a crash) leaves
	 * no commit whose history is missing, and the next copy goes on from where it stopped. */
	while (!rc && n) {
		git_commit *c = NULL;
		git_tree *t = NULL;
		const git_oid *cid = &chain[--n];
		if (git_commit_lookup(&c, from->repo, cid) || git_commit_tree(&t, c))
			rc = git_fail(CAIRN_ECORRUPT, "cannot read a commit to copy");
		for (size_t i = 0; !rc && i < git_tree_entrycount(t); i++)
			rc = copy_object(src, dst, git_tree_entry_id(git_tree_entry_byindex(t, i)));
		if (!rc && !(rc = copy_object(src, dst, git_tree_id(t))))
			rc = copy_object(src, dst, cid);
		git_tree_free(t);
		git_commit_free(c);
	}
	free(chain);
	git_odb_free(src);
	git_odb_free(dst);
	return rc;
}

int cairn__gitlog_has(cairn_gitlog *g, const char *commit)
{
	git_oid x;
	git_commit *c = NULL;
	if (oid_parse(&x, commit))
		return 0;
	int found = git_commit_lookup(&c, g->repo, &x) == 0;
	git_commit_free(c);
	git_error_clear();
	return found;
}

int cairn__gitlog_descends(cairn_gitlog *g, const char *a, const char *b)
{
	git_oid x, y;
	int rc;
	if ((rc = oid_parse(&x, a)) || (rc = oid_parse(&y, b)))
		return rc;
	rc = git_graph_descendant_of(g->repo, &x, &y);
	return rc < 0 ? git_fail(CAIRN_ECORRUPT, "cannot compare logs") : rc;
}

/* ---- remotes ---- */

static int valid_remote_name(const char *name)
{
	if (!name || !*name || strlen(name) > 64)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return 0;
	return 1;
}

int cairn__gitlog_remote_add(cairn_gitlog *g, const char *name, const char *url)
{
	git_remote *r = NULL;
	char spec[160];
	if (!valid_remote_name(name))
		return cairn_error_set(CAIRN_EINVAL, "invalid remote name '%s' (use letters, digits, - and _)",
		                       name ? name : "");
	if (git_remote_lookup(&r, g->repo, name) == 0) {
		git_remote_free(r);
		return cairn_error_set(CAIRN_EEXISTS, "remote '%s' already exists", name);
	}
	snprintf(spec, sizeof(spec), "+refs/heads/logs/*:refs/remotes/%s/logs/*", name);
	if (git_remote_create_with_fetchspec(&r, g->repo, name, url, spec))
		return git_fail(CAIRN_EINVAL, "cannot add remote");
	git_remote_free(r);
	return 0;
}

int cairn__gitlog_remote_remove(cairn_gitlog *g, const char *name)
{
	git_remote *r = NULL;
	if (!valid_remote_name(name) || git_remote_lookup(&r, g->repo, name))
		return cairn_error_set(CAIRN_ENOTFOUND, "no remote '%s'", name ? name : "");
	git_remote_free(r);
	return git_remote_delete(g->repo, name) ? git_fail(CAIRN_EIO, "cannot remove remote") : 0;
}

int cairn__gitlog_remote_names(cairn_gitlog *g, char ***names, size_t *n)
{
	git_strarray a = {0};
	if (git_remote_list(&a, g->repo))
		return git_fail(CAIRN_EIO, "cannot list remotes");
	*names = calloc(a.count ? a.count : 1, sizeof(char *));
	for (size_t i = 0; *names && i < a.count; i++)
		(*names)[i] = strdup(a.strings[i]);
	*n = a.count;
	git_strarray_dispose(&a);
	return *names ? 0 : cairn_error_set(CAIRN_ENOMEM, "out of memory");
}

/*
 * The URL straight from the config. Not git_remote_lookup(): libgit2 1.5 leaks ~20 KB of pcre2 match
 * data for every config regex a lookup runs (about ten per lookup), which a long-running agent doing a
 * round every few minutes cannot afford.
 */
int cairn__gitlog_remote_url(cairn_gitlog *g, const char *name, char **url)
{
	char key[160];
	if (!valid_remote_name(name))
		return cairn_error_set(CAIRN_ENOTFOUND, "no remote '%s' (see 'cairn remote list')", name ? name : "");
	snprintf(key, sizeof(key), "remote.%s.url", name);
	if (cairn__gitlog_config_get(g, key, url))
		return cairn_error_set(CAIRN_ENOTFOUND, "no remote '%s' (see 'cairn remote list')", name);
	return 0;
}

/* A remote for one fetch or push: anonymous, from the configured URL, so nothing runs a config regex
 * (see above); the fetch passes the refspec cairn_remote_add() stored. (Valgrind: no pcre2 block lost in
 * a `cairn sync` round; before, 16.) */
static int open_remote(cairn_gitlog *g, const char *name, git_remote **r)
{
	char *url = NULL;
	int rc = cairn__gitlog_remote_url(g, name, &url);
	if (rc)
		return rc;
	git_remote_create_options co;
	git_remote_create_options_init(&co, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	co.repository = g->repo;
	/* url.*.insteadOf is matched by regex too; cairn never writes it, so it is not consulted. */
	co.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	rc = git_remote_create_with_opts(r, url, &co) ? git_fail(CAIRN_EINVAL, "cannot open remote") : 0;
	/* A path (a USB stick): libgit2 packs a fetch from it with its settings, so it gets ours. */
	if (!rc && (url[0] == '/' || !strncmp(url, "file://", 7))) {
		git_repository *far = NULL;
		if (!git_repository_open_bare(&far, url[0] == '/' ? url : url + 7))
			no_delta_search(far);
		git_repository_free(far);
		git_error_clear();
	}
	free(url);
	return rc;
}

int cairn__gitlog_config_get(cairn_gitlog *g, const char *key, char **value)
{
	git_config *c = NULL, *snap = NULL;
	const char *v;
	int rc;
	if (git_repository_config(&c, g->repo) || git_config_snapshot(&snap, c)) {
		git_config_free(c);
		return git_fail(CAIRN_EIO, "cannot read the repository config");
	}
	rc = git_config_get_string(&v, snap, key);
	if (rc == 0)
		rc = (*value = strdup(v)) ? 0 : cairn_error_set(CAIRN_ENOMEM, "out of memory");
	else
		rc = CAIRN_ENOTFOUND;
	git_config_free(snap);
	git_config_free(c);
	return rc;
}

int cairn__gitlog_config_set(cairn_gitlog *g, const char *key, const char *value)
{
	git_config *c = NULL;
	int rc;
	if (git_repository_config(&c, g->repo))
		return git_fail(CAIRN_EIO, "cannot open the repository config");
	rc = value ? git_config_set_string(c, key, value) : git_config_delete_entry(c, key);
	git_config_free(c);
	return rc && value ? git_fail(CAIRN_EIO, "cannot write the repository config") : 0;
}

/* ---- transfers ---- */

typedef struct {
	cairn_gitlog *g;
	const char *remote;
	cairn__transfer *t;
	int cred_tries;
	size_t rejected;
	char side[4096]; /* the server's sideband messages ("remote: ..."), for the hook's reasons */
	size_t nside;
} xfer;

static char *remote_opt(cairn_gitlog *g, const char *remote, const char *opt)
{
	char key[160], *v = NULL;
	snprintf(key, sizeof(key), "remote.%s.cairn%s", remote, opt);
	cairn__gitlog_config_get(g, key, &v);
	return v;
}

/* Credentials come from files named in the config, never from argv or the environment. */
static int on_credentials(git_credential **out, const char *url, const char *user_from_url, unsigned int allowed,
                          void *payload)
{
	xfer *x = payload;
	char *path = NULL;
	int rc = GIT_EUSER;
	(void)url;
	/* ssh without user@ in the URL: libgit2 first asks for a user name only. That is not a try. */
	if (allowed == GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user_from_url ? user_from_url : "git");
	if (x->cred_tries++ > 0) {
		cairn_error_set(CAIRN_EREJECTED, "remote '%s' refused our credentials", x->remote);
		return GIT_EUSER;
	}
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && (path = remote_opt(x->g, x->remote, "sshkey"))) {
		/* No public key path: libssh2 derives it (a given .pub path must exist). Keys: ed25519 or ECDSA;
		 * libssh2 1.10 signs RSA only with SHA-1, which current OpenSSH servers refuse. */
		rc = git_credential_ssh_key_new(out, user_from_url ? user_from_url : "git", NULL, path, NULL);
	} else if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) &&
	           (path = remote_opt(x->g, x->remote, "credentialfile"))) {
		/* read(), not stdio: a FILE's buffer would keep a copy of the secret in freed memory. */
		char line[1024] = "";
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t got = read(fd, line, sizeof(line) - 1);
			line[got > 0 ? got : 0] = '\0';
			close(fd);
		}
		line[strcspn(line, "\r\n")] = '\0';
		char *colon = strchr(line, ':');
		if (!line[0]) {
			cairn_error_set(CAIRN_EINVAL, "credential file '%s' for remote '%s' is empty or unreadable",
			                path, x->remote);
		} else if (colon) {
			*colon = '\0';
			rc = git_credential_userpass_plaintext_new(out, line, colon + 1);
		} else { /* a bare token */
			rc = git_credential_userpass_plaintext_new(out, user_from_url ? user_from_url : "cairn", line);
		}
		sodium_memzero(line, sizeof(line));
	} else {
		cairn_error_set(CAIRN_EINVAL,
		                "remote '%s' needs credentials: set them with 'cairn remote add ... "
		                "--credential-file FILE' or '--ssh-key FILE'",
		                x->remote);
	}
	free(path);
	return rc;
}

static void hex32(char out[65], const unsigned char *h) { sodium_bin2hex(out, 65, h, 32); }

/* A pinned certificate (https) or host key (ssh) must match; otherwise the usual validity decides. */
static int on_certificate(git_cert *cert, int valid, const char *host, void *payload)
{
	xfer *x = payload;
	char *pin = remote_opt(x->g, x->remote, "pin");
	char seen[65] = "";
	int rc;
	if (cert->cert_type == GIT_CERT_X509) {
		git_cert_x509 *c = (git_cert_x509 *)cert;
		unsigned char h[32];
		crypto_hash_sha256(h, c->data, c->len);
		hex32(seen, h);
	} else if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
		git_cert_hostkey *k = (git_cert_hostkey *)cert;
		if (k->type & GIT_CERT_SSH_SHA256)
			hex32(seen, k->hash_sha256);
	}
	if (pin) {
		rc = seen[0] && sodium_memcmp(seen, pin, 64) == 0 && strlen(pin) == 64 ? 0 : -1;
		if (rc)
			cairn_error_set(CAIRN_EREJECTED,
			                "remote '%s' (%s) presented a key that does not match its pin (got %s)",
			                x->remote, host, seen[0] ? seen : "none");
	} else if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
		/* libgit2 sets `valid` when the key is in ~/.ssh/known_hosts; otherwise it must be pinned. */
		rc = valid ? 0 : -1;
		if (rc)
			cairn_error_set(CAIRN_EREJECTED,
			                "ssh host key of '%s' is unknown: verify it and run 'cairn remote add %s URL "
			                "--pin %s'",
			                host, x->remote, seen);
	} else {
		rc = valid ? 0 : -1;
		if (rc)
			cairn_error_set(CAIRN_EREJECTED,
			                "certificate of '%s' is not trusted (pin it with --pin %s or "
			                "give --ca-file)",
			                host, seen);
	}
	free(pin);
	return rc;
}

static int on_transfer(const git_indexer_progress *s, void *payload)
{
	xfer *x = payload;
	x->t->bytes_received = s->received_bytes;
	if (x->t->progress)
		x->t->progress(x->t->ud, "receiving", s->received_objects, s->total_objects, s->received_bytes);
	return 0;
}

static int on_push_progress(unsigned int current, unsigned int total, size_t bytes, void *payload)
{
	xfer *x = payload;
	x->t->bytes_sent = bytes;
	if (x->t->progress)
		x->t->progress(x->t->ud, "sending", current, total, bytes);
	return 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
	xfer *x = payload;
	size_t k = len > 0 ? (size_t)len : 0;
	if (k > sizeof(x->side) - 1 - x->nside)
		k = sizeof(x->side) - 1 - x->nside;
	memcpy(x->side + x->nside, str, k);
	x->nside += k;
	x->side[x->nside] = '\0';
	return 0;
}

/* git says only "pre-receive hook declined"; cairn's hook printed why, per ref, on the sideband. */
static const char *hook_reason(xfer *x, const char *refname, const char *status, char *buf, size_t n)
{
	char needle[300];
	const char *p;
	snprintf(needle, sizeof(needle), "cairn: refused %s: ", refname);
	if (!(p = strstr(x->side, needle)))
		return status;
	p += strlen(needle);
	snprintf(buf, n, "%.*s", (int)strcspn(p, "\r\n"), p);
	return buf;
}

static int on_push_ref(const char *refname, const char *status, void *payload)
{
	xfer *x = payload;
	char why[400];
	if (status) { /* invariant 4 */
		x->rejected++;
		if (x->t->rejected)
			x->t->rejected(x->t->ud, refname, hook_reason(x, refname, status, why, sizeof(why)));
	}
	return 0;
}

static void set_callbacks(git_remote_callbacks *cb, xfer *x)
{
	cb->credentials = on_credentials;
	cb->certificate_check = on_certificate;
	cb->transfer_progress = on_transfer;
	cb->push_transfer_progress = on_push_progress;
	cb->push_update_reference = on_push_ref;
	cb->sideband_progress = on_sideband;
	cb->payload = x;
}

static int transport_error(xfer *x, const char *what)
{
	const git_error *e = git_error_last();
	if (cairn_error_last_code() == CAIRN_EREJECTED || cairn_error_last_code() == CAIRN_EINVAL)
		return cairn_error_last_code(); /* our callback already said why */
	unsigned silent = cairn__netstream_silenced();
	if (silent) /* the watchdog cut it: libssh2's own message ("failed getting banner") hides why */
		return cairn_error_set(CAIRN_EOFFLINE,
		                       "cannot %s remote '%s': nothing came or went for %u ms (network "
		                       "timeout)",
		                       what, x->remote, silent);
	return cairn_error_set(CAIRN_EOFFLINE, "cannot %s remote '%s': %s", what, x->remote,
	                       e && e->message ? e->message : "unreachable");
}

/*
 * libgit2 1.5 writes to its sockets with send(2) without MSG_NOSIGNAL: a link that drops during a push
 * raised SIGPIPE and killed the whole process (the CLI exited 141 instead of reporting "offline").
 * Block SIGPIPE on this thread for the transfer, so the write fails with EPIPE, and discard a SIGPIPE
 * that became pending meanwhile (curl's approach); the caller's mask and handlers are left as they were.
 */
typedef struct {
	sigset_t old;
	int was_pending;
} sigpipe_guard;

static void sigpipe_block(sigpipe_guard *sg)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pending);
	sigpending(&pending);
	sg->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &set, &sg->old);
}

static void sigpipe_restore(sigpipe_guard *sg)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigemptyset(&pending);
	if (!sg->was_pending && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
		struct timespec zero = {0, 0};
		sigtimedwait(&set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &sg->old, NULL);
}

/* A path remote that is not there (a USB stick not mounted): libgit2 says only "unsupported URL protocol". */
static int fetch_error(xfer *x, git_remote *r)
{
	const char *url = git_remote_url(r);
	const char *path = url[0] == '/' ? url : !strncmp(url, "file://", 7) ? url + 7 : NULL;
	struct stat st;
	if (path && lstat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
		return cairn_error_set(CAIRN_EOFFLINE,
		                       "cannot fetch from remote '%s': there is no repository at '%s' (is the "
		                       "drive mounted?)",
		                       x->remote, path);
	return transport_error(x, "fetch from");
}

static int apply_ca(cairn_gitlog *g, const char *remote)
{
	char *ca = remote_opt(g, remote, "cafile");
	if (!ca)
		return 0;
	/* Process-wide in libgit2, and it replaces the system bundle unless the system dir is named too. */
	int rc = git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca, "/etc/ssl/certs");
	free(ca);
	return rc ? git_fail(CAIRN_EINVAL, "cannot load the CA file") : 0;
}

int cairn__gitlog_fetch(cairn_gitlog *g, const char *remote, const char *own, cairn__transfer *t)
{
	git_remote *r = NULL;
	git_fetch_options o;
	xfer x = {g, remote, t, 0, 0, "", 0};
	int rc;
	git_fetch_options_init(&o, GIT_FETCH_OPTIONS_VERSION);
	if ((rc = open_remote(g, remote, &r)))
		return rc;
	if ((rc = apply_ca(g, remote)))
		goto out;
	set_callbacks(&o.callbacks, &x);
	o.prune = GIT_FETCH_NO_PRUNE;
	o.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	o.update_fetchhead = 0;
	cairn_error_clear();
	sigpipe_guard sg;
	sigpipe_block(&sg);
	/* The logs (the configured refspec), the roster, the resource directory and this device's own
	 * "fully synced" head (a journal whose logs.git was lost continues that chain, which is
	 * append-only on a central); a remote without any of the last three is not an error. */
	char logs[160], roster[160], directory[160], head[200];
	char *specv[] = {logs, roster, directory, head};
	git_strarray specs = {specv, own ? 4 : 3};
	snprintf(logs, sizeof(logs), "+refs/heads/logs/*:refs/remotes/%s/logs/*", remote);
	snprintf(roster, sizeof(roster), "+refs/heads/roster:refs/remotes/%s/roster", remote);
	snprintf(directory, sizeof(directory), "+refs/heads/directory:refs/remotes/%s/directory", remote);
	snprintf(head, sizeof(head), "+refs/heads/synced/%s:refs/remotes/%s/synced/%s", own ? own : "", remote,
	         own ? own : "");
	cairn__netstream_silenced(); /* forget a cut from an earlier transfer */
	rc = git_remote_fetch(r, &specs, &o, NULL) ? fetch_error(&x, r) : 0;
	sigpipe_restore(&sg);
	if (!rc)
		t->bytes_received = git_remote_stats(r)->received_bytes;
out:
	git_remote_free(r);
	return rc;
}

int cairn__gitlog_push(cairn_gitlog *g, const char *remote, char **refspecs, size_t n, cairn__transfer *t,
                       size_t *rejected)
{
	git_remote *r = NULL;
	git_push_options o;
	git_strarray specs = {refspecs, n};
	xfer x = {g, remote, t, 0, 0, "", 0};
	int rc;
	*rejected = 0;
	if (!n)
		return 0;
	git_push_options_init(&o, GIT_PUSH_OPTIONS_VERSION);
	/* o.pb_parallelism stays 1: the pack is built on this thread, whose CPU clock tells the network
	 * watchdog that we are working, not waiting (netstream.c, 4). Worker threads would hide that. */
	if ((rc = open_remote(g, remote, &r)))
		return rc;
	if ((rc = apply_ca(g, remote)))
		goto out;
	set_callbacks(&o.callbacks, &x);
	cairn_error_clear();
	sigpipe_guard sg;
	sigpipe_block(&sg);
	cairn__netstream_silenced();
	rc = git_remote_push(r, &specs, &o) ? transport_error(&x, "push to") : 0;
	sigpipe_restore(&sg);
	*rejected = x.rejected;
	/* libgit2 1.5's local transport reports an uninitialised byte count (valgrind): nothing crossed a wire. */
	const char *url = git_remote_url(r);
	if (!strstr(url, "://") || !strncmp(url, "file://", 7))
		t->bytes_sent = 0;
out:
	git_remote_free(r);
	return rc;
}
