/* check.c — argument validation with messages that name the argument. See check.h. */
#include "check.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn.h"
#include "output.h"
#include "text.h"

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int check_date(const char *s, const char *what)
{
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		goto bad;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		goto bad;
	return 0;
bad:
	return cli_usage("invalid date '%s' for %s (expected YYYY-MM-DD)", s, what);
}

void check_today(char out[CHECK_DATE_LEN])
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(out, CHECK_DATE_LEN, "%Y-%m-%d", &tm);
}

int check_dob(const char *s, const char *what)
{
	char today[CHECK_DATE_LEN];

	if (check_date(s, what))
		return CLI_EXIT_USAGE;
	check_today(today);
	/* YYYY-MM-DD compares correctly as a string. */
	if (strcmp(s, today) > 0)
		return cli_usage("invalid date '%s' for %s (a date of birth cannot be in the future)", s, what);
	return 0;
}

int check_uint(const char *s, const char *what, unsigned long long min, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts signs and leading blanks; a count on a command line should not. */
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return cli_usage("invalid number '%s' for %s (expected %llu to %llu)", s, what, min, max);
}

int check_enum(const char *s, const char *what, const char *const *values)
{
	char list[512];
	size_t off = 0;
	int i;

	for (i = 0; values[i]; i++)
		if (!strcmp(s, values[i]))
			return 0;
	list[0] = '\0';
	for (i = 0; values[i] && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", values[i]);
	return cli_usage("invalid value '%s' for %s (expected one of: %s)", s, what, list);
}

static int all_hex_or_dash(const char *s)
{
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

int check_id(const char *s, const char *what)
{
	size_t n = strlen(s);

	if (n < 4 || n > CAIRN_ID_LEN - 1 || !all_hex_or_dash(s))
		return cli_usage("invalid %s '%s' (expected an id or a unique prefix of at least 4 characters)", what,
		                 s);
	return 0;
}

int check_device(const char *s, const char *what)
{
	if (strlen(s) != CAIRN_DEVICE_LEN - 1 || strchr(s, '-') || !all_hex_or_dash(s))
		return cli_usage("invalid device id '%s' for %s (expected 16 hex digits)", s, what);
	return 0;
}

int check_nonempty(const char *s, const char *what)
{
	if (!*s)
		return cli_usage("empty value for %s", what);
	return 0;
}

static int is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

/* Valid UTF-8 without control characters (newline and tab allowed when `multiline`). */
static int check_chars(const char *s, const char *what, int multiline)
{
	size_t n = strlen(s), len;

	while (n) {
		long cp = text_utf8_next(s, n, &len);

		if (cp < 0)
			return cli_usage("%s is not valid UTF-8", what);
		if (text_is_unsafe(cp) && !(multiline && (cp == '\n' || cp == '\t')))
			return cli_usage("%s contains a control character (U+%04lX)", what, (unsigned long)cp);
		s += len;
		n -= len;
	}
	return 0;
}

static int check_common(const char *s, const char *what, size_t max, int multiline)
{
	if (is_blank(s))
		return cli_usage("empty value for %s", what);
	if (strlen(s) > max)
		return cli_usage("%s is too long (%zu bytes, at most %zu)", what, strlen(s), max);
	return check_chars(s, what, multiline);
}

int check_line(const char *s, const char *what, size_t max) { return check_common(s, what, max, 0); }

int check_text(const char *s, const char *what, size_t max) { return check_common(s, what, max, 1); }

int check_email(const char *s, const char *what)
{
	const char *at = strchr(s, '@');

	if (check_line(s, what, 254))
		return CLI_EXIT_USAGE;
	if (!at || at == s || !at[1] || strchr(at + 1, '@') || strpbrk(s, " \t"))
		return cli_usage("invalid e-mail address '%s' for %s (expected name@domain)", s, what);
	return 0;
}

int check_phone(const char *s, const char *what)
{
	if (check_line(s, what, 64))
		return CLI_EXIT_USAGE;
	if (!strpbrk(s, "0123456789"))
		return cli_usage("invalid phone number '%s' for %s (expected digits)", s, what);
	return 0;
}
