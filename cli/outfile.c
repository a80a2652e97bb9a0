/* outfile.c — all-or-nothing output files. See outfile.h. */
#include "outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

int outfile_open(struct outfile *o, const char *path)
{
	size_t n = strlen(path);
	int fd;

	memset(o, 0, sizeof(*o));
	if (!n || path[n - 1] == '/')
		return cli_usage("'%s' is not a file name for --output", path);
	o->path = strdup(path);
	o->tmp = malloc(n + 16);
	if (!o->path || !o->tmp) {
		outfile_close(o, 0);
		return cli_fail(CLI_EXIT_FAIL, "out of memory");
	}
	snprintf(o->tmp, n + 16, "%s.tmp-XXXXXX", path);
	fd = mkstemp(o->tmp);
	if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		free(o->tmp);
		o->tmp = NULL; /* nothing to remove */
		outfile_close(o, 0);
		return cli_fail(e == ENOENT ? CLI_EXIT_NOTFOUND : CLI_EXIT_IO, "cannot write '%s': %s", path,
		                strerror(e));
	}
	return 0;
}

int outfile_close(struct outfile *o, int ok)
{
	int rc = 0;

	if (o->f) {
		if (fflush(o->f) || ferror(o->f) || fsync(fileno(o->f))) {
			if (ok)
				rc = cli_fail(CLI_EXIT_IO, "cannot write '%s': %s", o->path, strerror(errno));
			ok = 0;
		}
		if (fclose(o->f) && ok) {
			rc = cli_fail(CLI_EXIT_IO, "cannot write '%s': %s", o->path, strerror(errno));
			ok = 0;
		}
	}
	if (o->tmp && ok && rename(o->tmp, o->path)) {
		rc = cli_fail(CLI_EXIT_IO, "cannot write '%s': %s", o->path, strerror(errno));
		ok = 0;
	}
	if (o->tmp && !ok)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
	return rc;
}
