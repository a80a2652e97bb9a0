/* error.h — internal error reporting: a thread-local last error, as libgit2's git_error_set(). */
#ifndef CAIRN_ERROR_H
#define CAIRN_ERROR_H

#include "cairn.h"

/* Set the thread's last error and return `code`, so callers can `return cairn__error(...)`. */
int cairn__error(int code, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

/* Emit a log message through the installed callback (never record data): the public cairn_log_emit. */
#define cairn__log cairn_log_emit

#endif
