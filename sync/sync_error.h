/*
 * sync_error.h — how libcairn_sync reports failures. sync may use only core's public API, so its
 * messages go through cairn_error_set() into the same thread-local slot that cairn_error_last() reads.
 */
#ifndef CAIRN_SYNC_ERROR_H
#define CAIRN_SYNC_ERROR_H

/* Set this thread's last error (one line, lowercase) and return `code` (a negative CAIRN_E*). */
int cairn__sync_error(int code, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

#endif
