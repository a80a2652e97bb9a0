/* t_journal.h — helpers for library tests: a new journal (made in mkdtemp(tmpl) with the test KDF,
 * opened), a list of copied events, the merge/delete conflicts a journal has open. */
#ifndef CAIRN_T_JOURNAL_H
#define CAIRN_T_JOURNAL_H

#include "cairn.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Events copied out of a journal (cairn_events_foreach(j, ..., t_evlist_collect, &list)). */
typedef struct {
	cairn_event *ev;
	size_t n, cap;
} t_evlist;

static inline int t_evlist_collect(const cairn_event *ev, void *ud)
{
	t_evlist *l = ud;
	if (l->n == l->cap) {
		void *p = realloc(l->ev, (l->cap ? 2 * l->cap : 64) * sizeof(*l->ev));
		if (!p)
			return -1;
		l->ev = p;
		l->cap = l->cap ? 2 * l->cap : 64;
	}
	cairn_event *c = &l->ev[l->n++];
	*c = *ev;
	c->device = strdup(ev->device);
	c->kind = strdup(ev->kind);
	c->entity = strdup(ev->entity);
	c->body = strdup(ev->body);
	return 0;
}

static inline void t_evlist_free(t_evlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free((char *)l->ev[i].device);
		free((char *)l->ev[i].kind);
		free((char *)l->ev[i].entity);
		free((char *)l->ev[i].body);
	}
	free(l->ev);
	l->ev = NULL;
	l->n = l->cap = 0;
}

/* How many merge/delete conflicts (field "status") the journal has open, -1 when it cannot say; `who`
 * (may be NULL) gets the first one's person. */
/* The open conflicts of `field` ("status", "note", "goal" ...) in cairn_conflict_list; the first one's
 * member `key` into `id` when not NULL. -1 on error. */
static inline int t_field_conflicts(cairn_journal *j, const char *field, const char *key, char id[CAIRN_ID_LEN])
{
	char *out = NULL;
	json_t *l, *c;
	size_t i;
	int n = 0;
	if (cairn_conflict_list(j, &out))
		return -1;
	l = json_loads(out, 0, NULL);
	cairn_free(out);
	json_array_foreach(l, i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "field")), field))
			continue;
		if (!n++ && id)
			snprintf(id, CAIRN_ID_LEN, "%s", json_string_value(json_object_get(c, key)));
	}
	json_decref(l);
	return n;
}

static inline int t_status_conflicts(cairn_journal *j, char who[CAIRN_ID_LEN])
{
	return t_field_conflicts(j, "status", "contact", who);
}

#endif
