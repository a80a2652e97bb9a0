/* outfile.c — output files: created, never replaced, removed when incomplete. See outfile.h. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int exists(const char *path)
{
	return cli_fail(CLI_EXIT_EXISTS,
	                "'%s' exists; choose another name or remove it first (cairn never overwrites a file)", path);
}

int outfile_open(struct outfile *o, const char *path)
{
	size_t n = strlen(path);
	struct stat st;
	int fd, e;

	memset(o, 0, sizeof(*o));
	if (!n || path[n - 1] == '/')
		return cli_usage("'%s' is not a file name for --output", path);
	/* Refused before any work is done (and before any disclosure is recorded); link() below makes the
	 * refusal hold against a file that appears meanwhile. lstat: a link planted there counts too. */
	if (lstat(path, &st) == 0)
		return exists(path);
	if (!(o->path = strdup(path)) || !(o->tmp = malloc(n + 16))) {
		outfile_close(o, 0);
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	}
	snprintf(o->tmp, n + 16, "%s.tmp-XXXXXX", path);
	fd = mkstemp(o->tmp); /* mode 0600: an export holds records */
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(o->tmp);
		}
		free(o->tmp);
		o->tmp = NULL;
		outfile_close(o, 0);
		return cli_fail(e == ENOENT || e == ENOTDIR ? CLI_EXIT_NOTFOUND : CLI_EXIT_IO, "cannot write '%s': %s",
		                path, strerror(e));
	}
	return 0;
}

int outfile_close(struct outfile *o, int ok)
{
	int rc = 0;

	if (!o->f) {
		free(o->tmp);
		free(o->path);
		memset(o, 0, sizeof(*o));
		return 0;
	}
	if (ok && (fflush(o->f) || ferror(o->f) || fsync(fileno(o->f)))) {
		rc = cli_fail(CLI_EXIT_IO, "cannot write '%s': %s", o->path, strerror(errno));
		ok = 0;
	}
	if (fclose(o->f) && ok) {
		rc = cli_fail(CLI_EXIT_IO, "cannot write '%s': %s", o->path, strerror(errno));
		ok = 0;
	}
	/* The whole document appears under its name at once, or not at all (a kill leaves at most the
	 * temporary file): half a document is worse than none, as nobody can tell it is incomplete. link()
	 * never replaces a file, unlike rename(). */
	if (ok && link(o->tmp, o->path)) {
		rc = errno == EEXIST ? exists(o->path)
		                     : cli_fail(CLI_EXIT_IO, "cannot write '%s': %s", o->path, strerror(errno));
		ok = 0;
	}
	unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
	return rc;
}

int outfile_end(struct outfile *o, int rc)
{
	int r = outfile_close(o, rc == 0);
	return rc ? rc : r;
}

int outfile_written(const struct cli_opts *o, json_t *obj, const char *path, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (o->json) {
		json_t *name = json_string(path); /* NULL when the name is not UTF-8 */

		if (!obj)
			obj = json_object();
		if (!name || !obj || json_object_set_new(obj, "file", name)) {
			if (!obj)
				json_decref(name);
			json_decref(obj);
			return cli_fail(CLI_EXIT_FAIL, "wrote '%s' but cannot name it in JSON (not UTF-8?)", path);
		}
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return out_written(o, obj, path, "%s", line);
}
