/* sync_error.c — sync's error helper: formats here, stores through core's public cairn_error_set(). */
#include "sync_error.h"

#include "cairn.h"

#include <stdarg.h>
#include <stdio.h>

int cairn__sync_error(int code, const char *fmt, ...)
{
	char msg[512]; /* the size of core's slot; longer messages are cut there anyway */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cairn_error_set(code, "%s", msg);
}
