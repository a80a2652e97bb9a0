/*
 * passphrase.c — see passphrase.h.
 *
 * Terminal state machine (one prompt):
 *
 *   trap signals ──▶ echo off ──▶ read bytes ──newline/EOF──▶ echo on ──▶ untrap ──▶ done
 *                      ▲             │ EINTR
 *                      │             ├─ SIGTSTP: echo on, untrap, stop; on SIGCONT trap, prompt again
 *                      └─────────────┘
 *                                    └─ SIGINT/TERM/HUP/QUIT: echo on, wipe, untrap, re-raise (die)
 *
 * The handler only records the signal; the terminal is restored by the reading code, outside the
 * handler, because tcsetattr is not something to do from a signal handler with stdio in flight. That
 * needs the handlers installed without SA_RESTART, so that read() returns EINTR.
 */
#include "passphrase.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "output.h"

#define PAGE 4096

/*
 * The one variable a signal handler can touch. It is the only file-scope mutable state in the CLI
 * besides the options, and exists because handlers get no user data pointer.
 */
static volatile sig_atomic_t caught_signal;

static const int trapped[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
#define NTRAPPED (sizeof(trapped) / sizeof(trapped[0]))

static void on_signal(int sig) { caught_signal = sig; }

static void trap_signals(struct sigaction old[NTRAPPED])
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: read() must return EINTR so the terminal gets restored */
	caught_signal = 0;
	for (i = 0; i < NTRAPPED; i++)
		sigaction(trapped[i], &sa, &old[i]);
}

static void untrap_signals(const struct sigaction old[NTRAPPED])
{
	size_t i;

	for (i = 0; i < NTRAPPED; i++)
		sigaction(trapped[i], &old[i], NULL);
}

static int pass_alloc(struct pass *p)
{
	void *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return cli_fail(CLI_EXIT_FAIL, "cannot allocate memory for the passphrase: %s", strerror(errno));
	/* Best effort: RLIMIT_MEMLOCK may be tiny, and a failed mlock must not stop someone working. */
	(void)mlock(m, PAGE);
	(void)madvise(m, PAGE, MADV_DONTDUMP);
	p->buf = m;
	p->len = 0;
	return 0;
}

void pass_free(struct pass *p)
{
	if (!p->buf)
		return;
	explicit_bzero(p->buf, PAGE);
	munlock(p->buf, PAGE);
	munmap(p->buf, PAGE);
	p->buf = NULL;
	p->len = 0;
}

static void tty_write(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

enum line_status { LINE_OK, LINE_EOF, LINE_TOOLONG, LINE_ERROR, LINE_SIGNAL };

/*
 * Read one line into p (without the newline) one byte at a time, so nothing after the line is consumed
 * from a shared fd. An overlong line is drained to its end and reported. A trailing CR is dropped.
 */
static enum line_status read_line(int fd, struct pass *p)
{
	int toolong = 0, any = 0;
	char c;

	p->len = 0;
	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR) {
			if (caught_signal)
				return LINE_SIGNAL;
			continue;
		}
		if (n < 0)
			return LINE_ERROR;
		if (n == 0) {
			if (!any)
				return LINE_EOF;
			break;
		}
		any = 1;
		if (c == '\n')
			break;
		if (p->len < PASS_MAX)
			p->buf[p->len++] = c;
		else
			toolong = 1;
	}
	explicit_bzero(&c, sizeof(c));
	if (p->len && p->buf[p->len - 1] == '\r')
		p->len--;
	p->buf[p->len] = '\0';
	return toolong ? LINE_TOOLONG : LINE_OK;
}

/* After SIGTSTP: give the terminal back, stop, and take it again when continued. */
static void suspend_self(int fd, const struct termios *saved, struct sigaction old[NTRAPPED])
{
	tcsetattr(fd, TCSAFLUSH, saved);
	tty_write(fd, "\n");
	untrap_signals(old);
	raise(SIGTSTP);
	trap_signals(old);
}

/* One prompt with echo off. Returns a line_status. */
static enum line_status tty_prompt(int fd, const char *prompt, struct pass *p)
{
	struct sigaction old[NTRAPPED];
	struct termios saved, noecho;
	enum line_status st;

	if (tcgetattr(fd, &saved) < 0)
		return LINE_ERROR;
	noecho = saved;
	noecho.c_lflag &= (tcflag_t) ~(ECHO | ECHOE | ECHOK | ECHONL);
	trap_signals(old);
	for (;;) {
		tty_write(fd, prompt);
		if (tcsetattr(fd, TCSAFLUSH, &noecho) < 0) {
			st = LINE_ERROR;
			break;
		}
		st = read_line(fd, p);
		if (st != LINE_SIGNAL || caught_signal != SIGTSTP)
			break;
		explicit_bzero(p->buf, PAGE);
		suspend_self(fd, &saved, old);
	}
	tcsetattr(fd, TCSAFLUSH, &saved);
	tty_write(fd, "\n");
	untrap_signals(old);
	if (st == LINE_SIGNAL) {
		int sig = caught_signal;

		/* Die of the signal as the shell expects, with the terminal sane and the buffer wiped. */
		explicit_bzero(p->buf, PAGE);
		raise(sig);
	}
	return st;
}

int pass_source_open_file(struct pass_source *src, const char *path)
{
	struct stat st;

	memset(src, 0, sizeof(*src));
	src->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (src->fd < 0)
		return cli_usage("cannot open passphrase file '%s': %s", path, strerror(errno));
	src->owned = 1;
	src->name = path;
	if (fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & (S_IRWXG | S_IRWXO)))
		cli_warn("passphrase file '%s' is accessible by other users (chmod 600 '%s')", path, path);
	return 0;
}

int pass_source_open(struct pass_source *src, const struct cli_opts *o)
{
	if (o->pass_file)
		return pass_source_open_file(src, o->pass_file);
	memset(src, 0, sizeof(*src));
	if (o->pass_fd >= 0) {
		if (fcntl(o->pass_fd, F_GETFD) < 0)
			return cli_usage("bad file descriptor %d for --passphrase-fd", o->pass_fd);
		src->fd = o->pass_fd;
		snprintf(src->label, sizeof(src->label), "file descriptor %d", o->pass_fd);
		src->name = src->label;
		return 0;
	}
	src->fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (src->fd < 0)
		return cli_usage("no passphrase: run in a terminal or pass --passphrase-file FILE");
	src->owned = 1;
	src->tty = 1;
	src->name = "the terminal";
	return 0;
}

void pass_source_close(struct pass_source *src)
{
	if (src->owned && src->fd >= 0)
		close(src->fd);
	src->fd = -1;
	src->owned = 0;
}

static int from_file(struct pass_source *src, struct pass *out, const char *what)
{
	enum line_status st = read_line(src->fd, out);
	int line = ++src->lines;

	switch (st) {
	case LINE_OK: break;
	case LINE_EOF:
		if (line == 1)
			return cli_usage("no %s in %s: it is empty", what, src->name);
		return cli_usage("no %s in %s: line %d is missing", what, src->name, line);
	case LINE_TOOLONG:
		return cli_usage("the %s on line %d of %s is too long (at most %d bytes)", what, line, src->name,
		                 PASS_MAX);
	case LINE_ERROR:
	case LINE_SIGNAL:
	default: return cli_fail(CLI_EXIT_IO, "cannot read the %s from %s: %s", what, src->name, strerror(errno));
	}
	if (!out->len)
		return cli_usage("empty %s on line %d of %s", what, line, src->name);
	return 0;
}

static int from_tty(struct pass_source *src, struct pass *out, const char *prompt, const char *what)
{
	enum line_status st = tty_prompt(src->fd, prompt, out);

	if (st == LINE_TOOLONG)
		return cli_usage("the %s is too long (at most %d bytes)", what, PASS_MAX);
	if (st == LINE_ERROR)
		return cli_fail(CLI_EXIT_IO, "cannot read the %s from the terminal: %s", what, strerror(errno));
	if (st == LINE_SIGNAL)
		return cli_fail(CLI_EXIT_FAIL, "interrupted");
	if (st != LINE_OK || !out->len)
		return cli_usage("no %s entered", what);
	return 0;
}

static int confirm_tty(struct pass_source *src, const struct pass *first, const char *confirm, const char *what)
{
	struct pass again = {NULL, 0};
	int rc, same;

	rc = pass_alloc(&again);
	if (rc)
		return rc;
	rc = from_tty(src, &again, confirm, what);
	/* A timing leak here would only tell the user what they just typed: plain memcmp is fine. */
	same = !rc && again.len == first->len && memcmp(again.buf, first->buf, first->len) == 0;
	pass_free(&again);
	if (rc)
		return rc;
	if (!same)
		return cli_fail(CLI_EXIT_FAIL, "the passphrases do not match; nothing was changed");
	return 0;
}

int pass_read(struct pass_source *src, struct pass *out, const char *prompt, const char *confirm, const char *what)
{
	int rc = pass_alloc(out);

	if (rc)
		return rc;
	if (!src->tty)
		rc = from_file(src, out, what);
	else {
		rc = from_tty(src, out, prompt, what);
		if (!rc && confirm)
			rc = confirm_tty(src, out, confirm, what);
	}
	if (rc)
		pass_free(out);
	return rc;
}

static int have_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

int pass_read_join(const char *file, struct pass *out, int confirm)
{
	struct pass_source src;
	struct cli_opts none = {0};
	int rc;

	none.pass_fd = -1;
	if (!file && !have_tty()) /* name the option this passphrase has, not the journal's */
		return cli_usage("no join passphrase: run in a terminal or pass --join-passphrase-file FILE");
	rc = file ? pass_source_open_file(&src, file) : pass_source_open(&src, &none);
	if (rc)
		return rc;
	rc = pass_read(&src, out, "Passphrase for the join file: ", confirm ? "Repeat it: " : NULL, "join passphrase");
	pass_source_close(&src);
	return rc;
}
