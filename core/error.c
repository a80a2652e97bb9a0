/* error.c — thread-local last error and the log callback. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_msg[512];
static _Thread_local int last_code;

static cairn_log_fn log_fn;
static void *log_ud;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 0)))
#endif
static int
set_error(int code, const char *fmt, va_list ap)
{
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	last_code = code;
	return code;
}

int cairn__error(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_error(code, fmt, ap);
	va_end(ap);
	return code;
}

int cairn_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_error(code, fmt, ap);
	va_end(ap);
	return code;
}

const char *cairn_error_last(void) { return last_msg; }
int cairn_error_last_code(void) { return last_code; }

void cairn_error_clear(void)
{
	last_msg[0] = '\0';
	last_code = CAIRN_OK;
}

const char *cairn_strerror(int code)
{
	switch (code) {
	case CAIRN_OK: return "success";
	case CAIRN_ENOTFOUND: return "not found";
	case CAIRN_EAUTH: return "wrong passphrase";
	case CAIRN_ECORRUPT: return "corrupt data";
	case CAIRN_ETAMPER: return "authentication failed (data was modified)";
	case CAIRN_EINVAL: return "invalid input";
	case CAIRN_EEXISTS: return "already exists";
	case CAIRN_ENEWER: return "created by a newer version";
	case CAIRN_ECONFLICT: return "conflict";
	case CAIRN_EFORK: return "fork detected";
	case CAIRN_EOFFLINE: return "remote unreachable";
	case CAIRN_EIO: return "i/o error";
	case CAIRN_ENOMEM: return "out of memory";
	case CAIRN_EBUSY: return "journal busy";
	case CAIRN_EAMBIGUOUS: return "ambiguous id";
	case CAIRN_ENOSPC: return "no space left on device";
	case CAIRN_EREJECTED: return "rejected by remote";
	case CAIRN_ECONSENT: return "no consent for this disclosure";
	default: return "error";
	}
}

void cairn_log_set(cairn_log_fn fn, void *ud)
{
	log_fn = fn;
	log_ud = ud;
}

void cairn_log_emit(cairn_log_level level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_fn(level, buf, log_ud);
}

void cairn_free(void *p) { free(p); }
