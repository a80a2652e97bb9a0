/*
 * agent_client.c — the CLI's side of the agent's control socket (plain blocking sockets; libuv stays in
 * agent.c). One request per connection: a line, for `unlock` followed by the passphrase's bytes; the
 * agent answers one line and closes, except that a key follows "ok key\n" as 32 raw bytes. The key and
 * the passphrase only ever sit in sodium_malloc'd memory here.
 */
#include "cairn_agent.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define REPLY_MAX (1u << 20)

static int connect_agent(const char *dir, int timeout_s, int *fd_out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {timeout_s, 0};
	int fd;
	int rc = cairn_global_init(); /* sodium_malloc needs sodium_init */

	if (rc)
		return rc;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/agent.sock", dir) >= sizeof(sa.sun_path))
		return cairn_error_set(CAIRN_ENOTFOUND, "the journal path is too long for the agent's socket");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cairn_error_set(CAIRN_EIO, "cannot create a socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		return cairn_error_set(CAIRN_ENOTFOUND, "no agent runs for this journal (%s)", strerror(e));
	}
	/* Whoever answers gets the passphrase of `unlock` and hands out keys: it must be us. A socket in a
	 * directory someone else can write to could be theirs (the agent refuses such a directory; this
	 * holds even if it did not). */
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0 || cr.uid != geteuid()) {
		close(fd);
		return cairn_error_set(CAIRN_ERROR, "the agent socket of '%s' belongs to another user; not using it",
		                       dir);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*fd_out = fd;
	return 0;
}

static int send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return cairn_error_set(CAIRN_EIO, "cannot talk to the agent: %s", strerror(errno));
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_exact(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = recv(fd, c, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return cairn_error_set(CAIRN_EIO, "the agent hung up");
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The first line of the reply, byte by byte (so nothing after it, a key, lands in ordinary memory). */
static int recv_line(int fd, char *buf, size_t n)
{
	size_t i = 0;
	while (i + 1 < n) {
		int rc = recv_exact(fd, buf + i, 1);
		if (rc)
			return rc;
		if (buf[i] == '\n') {
			buf[i] = '\0';
			return 0;
		}
		i++;
	}
	return cairn_error_set(CAIRN_EIO, "the agent's reply is too long");
}

/* Map a reply line that is not "ok...": "locked", "refused", "error MESSAGE". */
static int reply_fail(const char *line)
{
	if (!strcmp(line, "locked"))
		return cairn_error_set(CAIRN_EAUTH, "the agent is locked: run 'cairn unlock'");
	if (!strcmp(line, "refused"))
		return cairn_error_set(CAIRN_EIO, "the agent refused the connection");
	if (!strncmp(line, "error wrong passphrase", 22))
		return cairn_error_set(CAIRN_EAUTH, "wrong passphrase");
	if (!strncmp(line, "error ", 6))
		return cairn_error_set(CAIRN_ERROR, "agent: %s", line + 6);
	return cairn_error_set(CAIRN_EIO, "unexpected reply from the agent");
}

int cairn_agent_get_key(const char *dir, unsigned char **key_out)
{
	char line[64];
	unsigned char *key;
	int fd, rc;

	*key_out = NULL;
	if ((rc = connect_agent(dir, 5, &fd)))
		return rc;
	if ((rc = send_all(fd, "key\n", 4)) || (rc = recv_line(fd, line, sizeof(line))))
		goto out;
	if (strcmp(line, "ok key")) {
		rc = reply_fail(line);
		goto out;
	}
	if (!(key = sodium_malloc(32))) {
		rc = cairn_error_set(CAIRN_ENOMEM, "cannot allocate locked memory");
		goto out;
	}
	if ((rc = recv_exact(fd, key, 32)))
		sodium_free(key);
	else
		*key_out = key;
out:
	close(fd);
	return rc;
}

int cairn_agent_unlock(const char *dir, const char *pass, size_t passlen)
{
	char head[40], line[256];
	int fd, rc, n = snprintf(head, sizeof(head), "unlock %zu\n", passlen);

	if ((rc = connect_agent(dir, 120, &fd)))
		return rc;
	if (!(rc = send_all(fd, head, (size_t)n)) && !(rc = send_all(fd, pass, passlen)) &&
	    !(rc = recv_line(fd, line, sizeof(line))) && strncmp(line, "ok", 2))
		rc = reply_fail(line);
	close(fd);
	return rc;
}

int cairn_agent_request(const char *dir, const char *req, char **reply)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nl;
	int fd, rc;
	char line[80];

	if (reply)
		*reply = NULL;
	if (strlen(req) > 32 || strchr(req, '\n'))
		return cairn_error_set(CAIRN_EINVAL, "bad agent request");
	/* A sync waits for its rounds; each is bounded by the engine's own network timeouts. */
	if ((rc = connect_agent(dir, !strcmp(req, "sync") ? 3600 : 10, &fd)))
		return rc;
	snprintf(line, sizeof(line), "%s\n", req);
	if ((rc = send_all(fd, line, strlen(line))))
		goto out;
	if (!(buf = malloc(cap))) {
		rc = cairn_error_set(CAIRN_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r;
		if (len + 1 == cap) {
			char *nb = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				rc = cairn_error_set(CAIRN_EIO, "the agent's reply is too long");
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = recv(fd, buf + len, cap - 1 - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cairn_error_set(CAIRN_EIO, "no answer from the agent: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	if (!(nl = strchr(buf, '\n'))) {
		rc = cairn_error_set(CAIRN_EIO, "the agent hung up");
		goto out;
	}
	*nl = '\0';
	if (strncmp(buf, "ok", 2) || (buf[2] && buf[2] != ' ')) {
		rc = reply_fail(buf);
		goto out;
	}
	if (reply) {
		memmove(buf, buf + (buf[2] ? 3 : 2), strlen(buf + (buf[2] ? 3 : 2)) + 1);
		*reply = buf;
		buf = NULL;
	}
out:
	free(buf);
	close(fd);
	return rc;
}
