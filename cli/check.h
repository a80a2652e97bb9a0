/*
 * check.h — validation of argument values before anything is recorded.
 *
 * The library validates too; checking here first gives the one-line message that names the option and
 * the expected form, and lets a bad argument fail before the passphrase prompt. Each check prints its
 * message ("cairn: invalid date '2026-02-30' for --dob (expected YYYY-MM-DD)") and returns
 * CLI_EXIT_USAGE, or returns 0. `what` names the argument as the user knows it ("--dob", "STATE").
 */
#ifndef CAIRN_CLI_CHECK_H
#define CAIRN_CLI_CHECK_H

#include <stddef.h>

#define CHECK_DATE_LEN 11 /* "YYYY-MM-DD" plus NUL */

/* A real calendar date in the form YYYY-MM-DD (years 1900-2200, as the library accepts). */
int check_date(const char *s, const char *what);
/* A date of birth: check_date() and not in the future. */
int check_dob(const char *s, const char *what);
/* Today's local date as YYYY-MM-DD. */
void check_today(char out[CHECK_DATE_LEN]);

/* A decimal integer in [min, max], no sign, no spaces. */
int check_uint(const char *s, const char *what, unsigned long long min, unsigned long long max,
               unsigned long long *out);

/* One of the NULL-terminated `values`; the message lists them. */
int check_enum(const char *s, const char *what, const char *const *values);

/* The form of a record id or id prefix: 4 to 36 hex digits and dashes (resolution is the library's). */
int check_id(const char *s, const char *what);
/* A device id: exactly 16 hex digits. */
int check_device(const char *s, const char *what);

/* Non-empty. */
int check_nonempty(const char *s, const char *what);
/* A one-line field: valid UTF-8, no control characters, not blank, at most `max` bytes. */
int check_line(const char *s, const char *what, size_t max);
/* Free text (notes): valid UTF-8, no control characters except newline and tab, not blank. */
int check_text(const char *s, const char *what, size_t max);
/* Light sanity checks: an e-mail address has one '@' with text on both sides; a phone has a digit. */
int check_email(const char *s, const char *what);
int check_phone(const char *s, const char *what);

#endif
