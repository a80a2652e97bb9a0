/* t_journal.h — a new journal for a library test: made in mkdtemp(tmpl) with the test KDF, opened. */
#ifndef CAIRN_T_JOURNAL_H
#define CAIRN_T_JOURNAL_H

#include "cairn.h"

#include <stdlib.h>

/* NULL when it cannot be made (cairn_error_last() says why). Free with cairn_journal_free. */
static inline cairn_journal *t_journal_new(char *tmpl)
{
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_journal *j = NULL;
	o.kdf = CAIRN_KDF_MIN;
	if (!mkdtemp(tmpl) || cairn_journal_init(tmpl, "pw", 2, &o) || cairn_journal_open(&j, tmpl, "pw", 2))
		return NULL;
	return j;
}

#endif
