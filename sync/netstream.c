/*
 * netstream.c — the plain TCP stream libgit2 uses for git:// and http:// (and under TLS for https://),
 * registered in place of its own to change these things about the socket:
 *
 *  1. Acknowledge at once (TCP_QUICKACK before every read) and send at once (TCP_NODELAY). In a fetch
 *     from a history of 20 commits or more, libgit2 sends its first 20 "have" lines and waits; git's
 *     upload-pack answers with one small write per common commit. Linux delays the client's ACK of the
 *     first answer (up to 40 ms) and Nagle holds the server's next writes until that ACK: every fetch
 *     from a log with a history stalled ~40 ms (bench_sync, part c: 60 ms instead of 15). QUICKACK is
 *     not sticky (the kernel may fall back to delayed ACKs), hence before every read.
 *  2. Write with MSG_NOSIGNAL: a link that drops mid-push gets EPIPE, not SIGPIPE (gitlog.c also blocks
 *     SIGPIPE around transfers, for the transports that are not this stream: ssh, and TLS itself).
 *  3. Bound every wait by the network timeout (cairn_sync_options.timeout_ms). libgit2's stream has
 *     none: a link that silently drops packets (a tunnel, a captive Wi-Fi, a mobile cell lost mid-round)
 *     left a round blocked in connect() for two minutes or in recv() for ever once the server gave up on
 *     the connection — an agent's rounds run one at a time, so nothing synced meanwhile. Connecting
 *     (every address of the host together) takes at most the timeout; a read or write that makes no
 *     progress for that long fails (SO_RCVTIMEO, SO_SNDTIMEO); data the peer never acknowledges and
 *     keepalive probes it never answers end the connection (TCP_USER_TIMEOUT, SO_KEEPALIVE). Name
 *     resolution keeps the resolver's own timeouts. git's servers send keepalives every 5 s while they
 *     work (uploadpack.keepAlive, receive.keepAlive), so a slow server is not a dead one.
 *  4. ssh: its library turns the socket non-blocking and polls it itself, without a timeout, so the
 *     socket options of 3 do not reach its waits, and a live ssh server that stops answering (or never
 *     sends its banner) held a round for ever. A watchdog thread, alive while a stream is, looks at each
 *     non-blocking socket (the kernel's TCP_INFO) and cuts it (shutdown) when no data has gone either
 *     way for the timeout while the thread of the transfer did no work (its CPU clock): then it can only
 *     be waiting for the server. The transfer fails at once and the error says why
 *     (cairn__netstream_silenced). Data in either direction counts, so a long upload with a quiet
 *     server is not cut, and so does our own work, so a push that spends a minute building its pack
 *     is not cut either. The agent's round_limit stays as the last resort (cairn__netstream_abort_all).
 *
 * Everything else is what libgit2's own socket stream does (libgit2 1.5, streams/socket.c): resolve,
 * try each address in turn, report failures as network errors.
 */
#include "netstream.h"
#include "git2_lazy.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * The layout of libgit2 1.5's own git_socket_stream (streams/socket.h), on purpose: its ssh transport
 * takes the stream git_socket_stream_new() returned (now this one) and reads the socket from that
 * private layout to hand it to libssh2. Keep the fields in this order.
 */
typedef struct {
	git_stream parent;
	char *host;
	char *port;
	int fd;
} tcp_stream;
_Static_assert(offsetof(tcp_stream, fd) == sizeof(git_stream) + 2 * sizeof(char *),
               "tcp_stream must keep libgit2 1.5's git_socket_stream layout (ssh reads its socket)");

static atomic_uint timeout_ms = CAIRN__NET_TIMEOUT_DEFAULT_MS;

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* The sockets of the streams alive now, for the watchdog and cairn__netstream_abort_all(). A socket
 * leaves the list under the lock before it is closed, so neither ever reaches a descriptor number
 * already reused. */
#define LIVE_MAX 16
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t live_cv; /* signalled when the last stream goes; CLOCK_MONOTONIC */
static pthread_once_t live_cv_once = PTHREAD_ONCE_INIT;
static struct {
	int fd;
	unsigned cut_ms; /* the timeout it was cut at by the watchdog; 0 when not cut */
	int reported;    /* cairn__netstream_silenced() said so already */
	pthread_t owner; /* the thread that opened it: the transfer's, the one a cut is reported to */
	clockid_t cpu;   /* the CPU clock of that thread */
	int has_cpu;
	uint64_t cpu_seen; /* that clock at the watchdog's last look, ns */
	uint64_t busy_at;  /* when that thread was last seen working, ms (now_ms()) */
} live[LIVE_MAX];
static int nlive;
static unsigned watch_gen; /* a watchdog runs while its generation is current */
static pthread_t watcher;
static int watching;
static _Thread_local unsigned cut_here; /* a cut stream of this thread was closed: its timeout, ms */

static void live_cv_init(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&live_cv, &a);
	pthread_condattr_destroy(&a);
}

/* Invariant 4: ms since data last went either way on `fd`, or 0 when `fd` is not a socket ssh polls. */
static unsigned silent_for(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || !(fl & O_NONBLOCK) || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return 0;
	return ti.tcpi_last_data_recv < ti.tcpi_last_data_sent ? ti.tcpi_last_data_recv : ti.tcpi_last_data_sent;
}

/* Whether the transfer's thread used the CPU since the last look (more than 2 ms of it): building a
 * pack to push, or indexing one, is work of ours, not a silent server. */
static int worked(int i)
{
	struct timespec t;
	uint64_t ns;
	int busy;

	if (!live[i].has_cpu || clock_gettime(live[i].cpu, &t) != 0)
		return 0;
	ns = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
	busy = ns - live[i].cpu_seen > 2000000u;
	live[i].cpu_seen = ns;
	return busy;
}

/* The watchdog: runs while any stream is alive (started by the first, joined by the last); looks a few
 * times per timeout, at least every second. */
static void *watch(void *arg)
{
	unsigned gen = (unsigned)(uintptr_t)arg;
	pthread_mutex_lock(&live_mu);
	while (gen == watch_gen) {
		unsigned ms = atomic_load(&timeout_ms), step = ms / 4 < 1000 ? ms / 4 : 1000;
		step = step < 10 ? 10 : step;               /* a timeout of a few ms must not make this spin */
		uint64_t now = now_ms(), next = now + step; /* CLOCK_MONOTONIC, as the condition's clock */
		struct timespec until = {(time_t)(next / 1000), (long)(next % 1000) * 1000000L};
		for (int i = 0; i < nlive; i++) {
			if (worked(i))
				live[i].busy_at = now;
			if (!live[i].cut_ms && silent_for(live[i].fd) >= ms && now - live[i].busy_at >= ms) {
				/* recorded before the shutdown: the transfer reads it as soon as it fails */
				live[i].cut_ms = ms;
				shutdown(live[i].fd, SHUT_RDWR);
			}
		}
		pthread_cond_timedwait(&live_cv, &live_mu, &until);
	}
	pthread_mutex_unlock(&live_mu);
	return NULL;
}

static void live_add(int fd)
{
	pthread_once(&live_cv_once, live_cv_init);
	pthread_mutex_lock(&live_mu);
	if (nlive < LIVE_MAX) { /* one round at a time holds one or two: a full list only loses the watch */
		live[nlive].fd = fd;
		live[nlive].cut_ms = 0;
		live[nlive].reported = 0;
		live[nlive].owner = pthread_self();
		live[nlive].has_cpu = pthread_getcpuclockid(pthread_self(), &live[nlive].cpu) == 0;
		live[nlive].cpu_seen = 0;
		live[nlive].busy_at = now_ms();
		worked(nlive++);
	}
	if (!watching)
		watching = pthread_create(&watcher, NULL, watch, (void *)(uintptr_t)watch_gen) == 0;
	pthread_mutex_unlock(&live_mu);
}

static void live_remove(int fd)
{
	pthread_mutex_lock(&live_mu);
	for (int i = 0; i < nlive; i++)
		if (live[i].fd == fd) {
			if (live[i].cut_ms && !live[i].reported && pthread_equal(live[i].owner, pthread_self()))
				cut_here = live[i].cut_ms;
			live[i] = live[--nlive];
			break;
		}
	if (nlive == 0 && watching) { /* the last stream: stop the watchdog; it exits as soon as it wakes */
		pthread_t t = watcher;
		watch_gen++;
		watching = 0;
		pthread_cond_broadcast(&live_cv);
		pthread_mutex_unlock(&live_mu);
		pthread_join(t, NULL);
		return;
	}
	pthread_mutex_unlock(&live_mu);
}

void cairn__netstream_watch(int fd) { live_add(fd); }

void cairn__netstream_unwatch(int fd) { live_remove(fd); }

int cairn__netstream_abort_all(void)
{
	int n;
	pthread_mutex_lock(&live_mu);
	for (int i = 0; i < nlive; i++)
		shutdown(live[i].fd, SHUT_RDWR);
	n = nlive;
	pthread_mutex_unlock(&live_mu);
	return n;
}

unsigned cairn__netstream_silenced(void)
{
	unsigned ms;
	pthread_mutex_lock(&live_mu);
	ms = cut_here;
	cut_here = 0;
	for (int i = 0; i < nlive; i++) /* a cut stream of this thread that is still open */
		if (live[i].cut_ms && !live[i].reported && pthread_equal(live[i].owner, pthread_self())) {
			ms = live[i].cut_ms;
			live[i].reported = 1;
		}
	pthread_mutex_unlock(&live_mu);
	return ms;
}

unsigned cairn__netstream_timeout(void) { return atomic_load(&timeout_ms); }

void cairn__netstream_set_timeout(unsigned ms)
{
	/* an hour at most: poll() takes an int, TCP_KEEPIDLE at most 32767 s */
	atomic_store(&timeout_ms, !ms ? CAIRN__NET_TIMEOUT_DEFAULT_MS : ms > 3600000u ? 3600000u : ms);
}

static int net_error(const char *what, const char *host, const char *detail)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s %s: %s", what, host, detail);
	git_error_set_str(GIT_ERROR_NET, msg);
	return -1;
}

/* A blocking connect finished by `deadline` (now_ms()): 0 or an errno value. */
static int connect_within(int fd, const struct sockaddr *addr, socklen_t len, uint64_t deadline)
{
	int flags = fcntl(fd, F_GETFL), err = 0, n;
	socklen_t elen = sizeof(err);
	struct pollfd p = {fd, POLLOUT, 0};
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return errno;
	if (connect(fd, addr, len) < 0) {
		if (errno != EINPROGRESS)
			return errno;
		do {
			uint64_t t = now_ms();
			n = t >= deadline ? 0 : poll(&p, 1, (int)(deadline - t));
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return errno;
		if (n == 0)
			return ETIMEDOUT;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			return errno;
		if (err)
			return err;
	}
	return fcntl(fd, F_SETFL, flags) < 0 ? errno : 0;
}

/* Invariant 3 on a connected socket. */
static void bound_waits(int fd, unsigned ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	int one = 1, idle = (int)(ms / 3000) ? (int)(ms / 3000) : 1, count = 3;
	unsigned user = ms;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user, sizeof(user));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

/* The message of a failed connect, read or write: a timeout says how long it waited. */
static int io_error(const char *what, const char *host, int err, const char *waited)
{
	char detail[96];
	if (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT) {
		snprintf(detail, sizeof(detail), "%s %u ms (network timeout)", waited, atomic_load(&timeout_ms));
		return net_error(what, host, detail);
	}
	return net_error(what, host, strerror(err));
}

static int tcp_connect(git_stream *stream)
{
	tcp_stream *s = (tcp_stream *)stream;
	struct addrinfo hints, *info = NULL, *p;
	unsigned ms = atomic_load(&timeout_ms);
	uint64_t deadline = now_ms() + ms; /* for all the addresses together */
	int rc, fd = -1, err = 0, one = 1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = AF_UNSPEC;
	if ((rc = getaddrinfo(s->host, s->port, &hints, &info)) != 0)
		return net_error("failed to resolve address for", s->host, gai_strerror(rc));
	for (p = info; p; p = p->ai_next) {
		if ((fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol)) < 0) {
			err = errno;
			continue;
		}
		if ((err = connect_within(fd, p->ai_addr, p->ai_addrlen, deadline)) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(info);
	if (fd < 0)
		return err == ETIMEDOUT
		               ? io_error("failed to connect to", s->host, err, "no answer within")
		               : net_error("failed to connect to", s->host, strerror(err ? err : ECONNREFUSED));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bound_waits(fd, ms);
	live_add(fd);
	s->fd = fd;
	return 0;
}

static ssize_t tcp_read(git_stream *stream, void *data, size_t len)
{
	tcp_stream *s = (tcp_stream *)stream;
	int one = 1;
	ssize_t n;
	setsockopt(s->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	do
		n = recv(s->fd, data, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return io_error("error receiving data from", s->host, errno, "no progress for");
	return n;
}

static ssize_t tcp_write(git_stream *stream, const char *data, size_t len, int flags)
{
	tcp_stream *s = (tcp_stream *)stream;
	ssize_t n;
	(void)flags;
	do
		n = send(s->fd, data, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return io_error("error sending data to", s->host, errno, "no progress for");
	return n;
}

static int tcp_close(git_stream *stream)
{
	tcp_stream *s = (tcp_stream *)stream;
	int rc = 0;
	if (s->fd >= 0) {
		live_remove(s->fd);
		rc = close(s->fd);
	}
	s->fd = -1;
	if (rc < 0)
		git_error_set_str(GIT_ERROR_OS, "could not close socket");
	return rc;
}

static void tcp_free(git_stream *stream)
{
	tcp_stream *s = (tcp_stream *)stream;
	if (s->fd >= 0) {
		live_remove(s->fd);
		close(s->fd);
	}
	free(s->host);
	free(s->port);
	free(s);
}

static int tcp_new(git_stream **out, const char *host, const char *port)
{
	tcp_stream *s = calloc(1, sizeof(*s));
	if (!s || !(s->host = strdup(host)) || !(s->port = strdup(port))) {
		if (s)
			free(s->host);
		free(s);
		git_error_set_oom();
		return -1;
	}
	s->fd = -1;
	s->parent.version = GIT_STREAM_VERSION;
	s->parent.connect = tcp_connect;
	s->parent.read = tcp_read;
	s->parent.write = tcp_write;
	s->parent.close = tcp_close;
	s->parent.free = tcp_free;
	*out = &s->parent;
	return 0;
}

int cairn__netstream_register(void)
{
	git_stream_registration r = {GIT_STREAM_VERSION, tcp_new, NULL};
	return git_stream_register(GIT_STREAM_STANDARD, &r);
}
