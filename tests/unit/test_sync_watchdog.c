/*
 * test_sync_watchdog.c — the network watchdog (sync/netstream.c, 4) on real loopback sockets: a
 * non-blocking socket (as libssh2 leaves it) on which nothing moves while its thread waits is cut after
 * the timeout; one whose thread is working (building a pack) is not, nor one on which the server keeps
 * sending, nor a long upload to a server that answers nothing, nor a blocking socket (git://, http://, which have their own socket timeouts).
 */
#include "cairn.h"
#include "cairn_sync.h"
#include "netstream.h"
#include "t.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 1000

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* A connected pair on loopback: *client (non-blocking when asked) and *server. 0 or -1. */
static int pair(int *client, int *server, int nonblocking)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return -1;
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (*client < 0 || connect(*client, (struct sockaddr *)&a, sizeof(a)) || (*server = accept(l, NULL, NULL)) < 0)
		return -1;
	close(l);
	if (nonblocking)
		fcntl(*client, F_SETFL, fcntl(*client, F_GETFL) | O_NONBLOCK);
	/* the client speaks first, as an ssh client sends its banner */
	return send(*client, "SSH-2.0-test\r\n", 14, MSG_NOSIGNAL) == 14 ? 0 : -1;
}

/* Whether the client's socket was cut: a read then sees the end of the stream at once. */
static int was_cut(int client)
{
	char c;
	ssize_t n = recv(client, &c, 1, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* Wait on the socket, as libssh2 does, up to `ms`; returns how long it waited. */
static uint64_t wait_on(int client, int ms)
{
	struct pollfd p = {client, POLLIN, 0};
	uint64_t t0 = now_ms();
	while (poll(&p, 1, ms) < 0 && errno == EINTR)
		;
	return now_ms() - t0;
}

static void test_idle_wait_is_cut(void)
{
	int c, s;
	T_REQUIRE(pair(&c, &s, 1) == 0);
	cairn__netstream_silenced();
	cairn__netstream_watch(c);
	uint64_t waited = wait_on(c, 10 * TIMEOUT_MS);
	T_CHECKF(waited >= TIMEOUT_MS - 50 && waited < 3 * TIMEOUT_MS, "waited %llu ms", (unsigned long long)waited);
	T_CHECK(was_cut(c));
	T_CHECK(cairn__netstream_silenced() == TIMEOUT_MS);
	cairn__netstream_unwatch(c);
	close(c);
	close(s);
}

static void test_working_thread_is_not_cut(void)
{
	int c, s;
	volatile uint64_t x = 1;
	T_REQUIRE(pair(&c, &s, 1) == 0);
	cairn__netstream_silenced();
	cairn__netstream_watch(c);
	/* three timeouts of our own work with nothing on the wire: a pack being built */
	for (uint64_t end = now_ms() + 3 * TIMEOUT_MS; now_ms() < end;)
		for (int i = 0; i < 100000; i++)
			x = x * 6364136223846793005u + 1442695040888963407u;
	T_CHECK(!was_cut(c));
	T_CHECK(cairn__netstream_silenced() == 0);
	/* and once it waits, the silence counts from the end of the work */
	uint64_t waited = wait_on(c, 10 * TIMEOUT_MS);
	T_CHECKF(waited >= TIMEOUT_MS - 50 && waited < 3 * TIMEOUT_MS, "waited %llu ms", (unsigned long long)waited);
	T_CHECK(was_cut(c));
	cairn__netstream_unwatch(c);
	close(c);
	close(s);
}

typedef struct {
	int fd, rounds;
} trickle_arg;

static void *trickle(void *p)
{
	trickle_arg *a = p;
	for (int i = 0; i < a->rounds; i++) {
		struct timespec d = {0, 200 * 1000000L};
		nanosleep(&d, NULL);
		if (send(a->fd, "k", 1, MSG_NOSIGNAL) != 1)
			break;
	}
	return NULL;
}

static void test_server_that_sends_is_not_cut(void)
{
	int c, s;
	pthread_t t;
	char buf[16];
	T_REQUIRE(pair(&c, &s, 1) == 0);
	trickle_arg a = {s, 3 * TIMEOUT_MS / 200};
	cairn__netstream_silenced();
	cairn__netstream_watch(c);
	T_REQUIRE(pthread_create(&t, NULL, trickle, &a) == 0);
	int got = 0;
	for (uint64_t end = now_ms() + 3 * TIMEOUT_MS - 100; now_ms() < end;) {
		wait_on(c, 300);
		ssize_t n = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
		T_CHECK(n != 0); /* never the end of the stream */
		got += n > 0 ? (int)n : 0;
	}
	pthread_join(t, NULL);
	T_CHECKF(got >= 10, "%d keepalives", got);
	T_CHECK(cairn__netstream_silenced() == 0);
	cairn__netstream_unwatch(c);
	close(c);
	close(s);
}

typedef struct {
	int fd;
	uint64_t until;
	long got;
} drain_arg;

/* A server that reads slowly: 512 bytes every 50 ms. */
static void *drain(void *p)
{
	drain_arg *a = p;
	char buf[512];
	while (now_ms() < a->until) {
		struct timespec d = {0, 50 * 1000000L};
		nanosleep(&d, NULL);
		ssize_t n = recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT);
		a->got += n > 0 ? n : 0;
	}
	return NULL;
}

/* A long upload to a server that answers nothing: data going out is not silence, though our thread only
 * waits for room to write (as libssh2 does), so the CPU rule does not cover it. */
static void test_upload_to_quiet_server_is_not_cut(void)
{
	int c, s, small = 4096, broken = 0;
	pthread_t t;
	char chunk[1024];
	T_REQUIRE(pair(&c, &s, 1) == 0);
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	memset(chunk, 'p', sizeof(chunk));
	drain_arg a = {s, now_ms() + 3 * TIMEOUT_MS + 500, 0};
	cairn__netstream_silenced();
	cairn__netstream_watch(c);
	T_REQUIRE(pthread_create(&t, NULL, drain, &a) == 0);
	long sent = 0;
	for (uint64_t end = now_ms() + 3 * TIMEOUT_MS; now_ms() < end && !broken;) {
		struct pollfd p = {c, POLLOUT, 0};
		if (poll(&p, 1, 300) > 0) {
			ssize_t n = send(c, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL);
			broken = n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
			sent += n > 0 ? n : 0;
		}
	}
	pthread_join(t, NULL);
	T_CHECKF(!broken, "the upload was cut after %ld bytes", sent);
	T_CHECKF(sent > 8192, "%ld bytes sent", sent);
	T_CHECK(cairn__netstream_silenced() == 0);
	cairn__netstream_unwatch(c);
	close(c);
	close(s);
}

static void test_blocking_socket_is_left_alone(void)
{
	int c, s;
	T_REQUIRE(pair(&c, &s, 0) == 0);
	cairn__netstream_silenced();
	cairn__netstream_watch(c);
	wait_on(c, 2 * TIMEOUT_MS);
	T_CHECK(!was_cut(c));
	T_CHECK(cairn__netstream_silenced() == 0);
	cairn__netstream_unwatch(c);
	close(c);
	close(s);
}

/* Streams opened and closed on several threads at once, with cuts from another: the watchdog is started
 * and joined hundreds of times. A deadlock hangs (CTest's timeout), a race shows under the sanitizers. */
static void *churn(void *p)
{
	long fails = 0;
	(void)p;
	for (int i = 0; i < 100; i++) {
		int c, s;
		if (pair(&c, &s, 1) != 0) {
			fails++;
			continue;
		}
		cairn__netstream_watch(c);
		cairn__netstream_unwatch(c);
		close(c);
		close(s);
	}
	return (void *)fails;
}

static void test_start_stop_from_threads(void)
{
	pthread_t t[4];
	void *fails;
	long total = 0;
	for (int i = 0; i < 4; i++)
		T_REQUIRE(pthread_create(&t[i], NULL, churn, NULL) == 0);
	for (int i = 0; i < 50; i++)
		cairn__netstream_abort_all();
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], &fails);
		total += (long)fails;
	}
	T_CHECKF(total == 0, "%ld loopback pairs failed", total);
}

static unsigned seen_during_run;

static void on_progress(void *ud, const char *phase, uint64_t done, uint64_t total, uint64_t bytes)
{
	(void)ud, (void)phase, (void)done, (void)total, (void)bytes;
	seen_during_run = cairn__netstream_timeout();
}

/* The timeout is clamped to an hour, and a run's timeout is the default again after the run, whether it
 * failed or not: enrolment and the next run must not inherit it. */
static void test_timeout_clamped_and_reset(void)
{
	char dir[] = "/tmp/cairn-watchdog-XXXXXX", path[128], central[128], cmd[300];
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_sync_options so = CAIRN_SYNC_OPTIONS_INIT;
	cairn_journal *j = NULL;
	cairn_sync *s = NULL;
	char id[CAIRN_ID_LEN];

	cairn__netstream_set_timeout(5000000u);
	T_CHECK(cairn__netstream_timeout() == 3600000u);
	cairn__netstream_set_timeout(0);
	T_CHECK(cairn__netstream_timeout() == CAIRN__NET_TIMEOUT_DEFAULT_MS);

	T_REQUIRE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/d", dir);
	snprintf(central, sizeof(central), "%s/central.git", dir);
	snprintf(cmd, sizeof(cmd), "git init -q --bare '%s'", central);
	T_REQUIRE(system(cmd) == 0);
	o.kdf = CAIRN_KDF_MIN;
	T_OK(cairn_journal_init(path, "pw", 2, &o));
	T_OK(cairn_journal_open(&j, path, "pw", 2));
	T_OK(cairn_team_create(j, NULL));
	T_OK(cairn_sync_open(&s, j));
	T_OK(cairn_remote_add(s, "central", central, NULL));
	T_OK(cairn_contact_set(j, NULL, "{\"name\":\"Watchdog Test\"}", id));
	so.timeout_ms = 1234;
	so.progress = on_progress;
	T_OK(cairn_sync_run(s, NULL, &so, NULL, NULL));
	T_CHECKF(seen_during_run == 1234, "the run's timeout was %u", seen_during_run);
	T_CHECK(cairn__netstream_timeout() == CAIRN__NET_TIMEOUT_DEFAULT_MS);
	T_CHECK(cairn_sync_run(s, "no-such-remote", &so, NULL, NULL) != 0);
	T_CHECK(cairn__netstream_timeout() == CAIRN__NET_TIMEOUT_DEFAULT_MS);
	cairn_sync_free(s);
	cairn_journal_free(j);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	T_CHECK(system(cmd) == 0);
}

int main(void)
{
	cairn__netstream_set_timeout(TIMEOUT_MS);
	T_RUN(test_idle_wait_is_cut);
	T_RUN(test_working_thread_is_not_cut);
	T_RUN(test_server_that_sends_is_not_cut);
	T_RUN(test_upload_to_quiet_server_is_not_cut);
	T_RUN(test_blocking_socket_is_left_alone);
	T_RUN(test_start_stop_from_threads);
	T_RUN(test_timeout_clamped_and_reset);
	T_END();
}
