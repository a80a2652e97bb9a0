/*
 * git2_lazy.c — resolve libgit2 at first use (why: git2_lazy.h).
 */
#define CAIRN__GIT2_NO_MACROS
#include "git2_lazy.h"

#include "cairn.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define CAIRN__GIT2_DEFINE(f) __typeof__(f) *cairn__p_##f;
CAIRN__GIT2_FUNCS(CAIRN__GIT2_DEFINE)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[300]; /* empty when loaded */

/* ISO C has no conversion from dlsym's void * to a function pointer: copy the bytes (POSIX guarantees
 * they are the same). */
#define CAIRN__GIT2_RESOLVE(f)                                                                      \
	if (!failure[0]) {                                                                          \
		void *sym = dlsym(h, #f);                                                           \
		if (sym)                                                                            \
			memcpy(&cairn__p_##f, &sym, sizeof(sym));                                   \
		else                                                                                \
			snprintf(failure, sizeof(failure), "%s has no %s: cairn needs libgit2 1.5", \
			         CAIRN__GIT2_SONAME, #f);                                           \
	}

static void load(void)
{
	void *h = dlopen(CAIRN__GIT2_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(failure, sizeof(failure), "cannot load %s (install the Debian package libgit2-1.5): %s",
		         CAIRN__GIT2_SONAME, e ? e : "not found");
		return;
	}
	CAIRN__GIT2_FUNCS(CAIRN__GIT2_RESOLVE)
}

int cairn__git2_load(void)
{
	pthread_once(&once, load);
	return failure[0] ? cairn_error_set(CAIRN_ERROR, "%s", failure) : 0;
}
