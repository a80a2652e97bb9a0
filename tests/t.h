/*
 * t.h — a minimal test runner (clar-style): T_CHECK records a failure and goes on; T_REQUIRE stops the test.
 * Each test binary ends with "N passed, N failed" on its own line, which CTest and CI read.
 */
#ifndef CAIRN_T_H
#define CAIRN_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_checks __attribute__((unused));
static int t_passed __attribute__((unused)), t_failed __attribute__((unused));

#define T_CHECK(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			t_failed_checks++;                                                         \
		}                                                                                  \
	} while (0)

/* T_CHECK with a printf-style explanation of what was found. */
#define T_CHECKF(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			t_failed_checks++;                                                         \
		}                                                                                  \
	} while (0)

#define T_REQUIRE(cond)                                                                                  \
	do {                                                                                             \
		if (!(cond)) {                                                                           \
			fprintf(stderr, "  %s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond); \
			t_failed_checks++;                                                               \
			return;                                                                          \
		}                                                                                        \
	} while (0)

#define T_OK(expr)                                                                                         \
	do {                                                                                               \
		int t_rc_ = (expr);                                                                        \
		if (t_rc_ != 0) {                                                                          \
			fprintf(stderr, "  %s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #expr, t_rc_, \
			        cairn_error_last());                                                       \
			t_failed_checks++;                                                                 \
			return;                                                                            \
		}                                                                                          \
	} while (0)

#define T_RUN(fn)                                          \
	do {                                               \
		int t_before_ = t_failed_checks;           \
		fprintf(stderr, "%s ...\n", #fn);          \
		fn();                                      \
		if (t_failed_checks == t_before_) {        \
			t_passed++;                        \
		} else {                                   \
			t_failed++;                        \
			fprintf(stderr, "FAIL %s\n", #fn); \
		}                                          \
	} while (0)

#define T_END()                                                       \
	do {                                                          \
		printf("%d passed, %d failed\n", t_passed, t_failed); \
		return t_failed ? 1 : 0;                              \
	} while (0)

#endif
