/*
 * workload.h — the standard workload (../shared/bench/workload.py, JSON Lines) as cairn field objects, for
 * the benchmarks that store and sync records. Header-only: the benchmarks are single-file programs.
 *
 * One line is one contact with its notes. wl_next() turns it into the fields JSON of cairn_contact_set()
 * and one fields JSON per note for cairn_note_add(), as the CLI would write them (the workload's note
 * kinds outside cairn's set become "encounter").
 */
#ifndef CAIRN_BENCH_WORKLOAD_H
#define CAIRN_BENCH_WORKLOAD_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char *contact; /* contact fields JSON */
	char **notes;  /* note fields JSON, `nnotes` of them */
	size_t nnotes;
} wl_contact;

static inline void wl_free(wl_contact *c)
{
	free(c->contact);
	for (size_t i = 0; i < c->nnotes; i++)
		free(c->notes[i]);
	free(c->notes);
	memset(c, 0, sizeof(*c));
}

/* The next contact on `in`: 1, or 0 at the end. Lines that are not JSON objects are skipped. */
static inline int wl_next(FILE *in, wl_contact *c)
{
	static char *line;
	static size_t cap;
	memset(c, 0, sizeof(*c));
	while (getline(&line, &cap, in) > 0) {
		json_t *o = json_loads(line, 0, NULL), *f, *notes, *nt;
		size_t i;
		if (!json_is_object(o)) {
			json_decref(o);
			continue;
		}
		f = json_object();
		json_object_set(f, "name", json_object_get(o, "name"));
		json_object_set(f, "dob", json_object_get(o, "dob"));
		if (json_string_length(json_object_get(o, "alias")))
			json_object_set(f, "alias", json_object_get(o, "alias"));
		if (json_string_length(json_object_get(o, "phone")))
			json_object_set(f, "phone", json_object_get(o, "phone"));
		c->contact = json_dumps(f, JSON_COMPACT);
		json_decref(f);
		notes = json_object_get(o, "notes");
		c->notes = calloc(json_array_size(notes) + 1, sizeof(char *));
		json_array_foreach(notes, i, nt)
		{
			const char *kind = json_string_value(json_object_get(nt, "kind"));
			int known =
			        kind && (!strcmp(kind, "crisis") || !strcmp(kind, "group") || !strcmp(kind, "phone"));
			json_t *n =
			        json_pack("{sOsOsOsOss}", "date", json_object_get(nt, "date"), "modality",
			                  json_object_get(nt, "modality"), "minutes", json_object_get(nt, "minutes"),
			                  "text", json_object_get(nt, "text"), "kind", known ? kind : "encounter");
			c->notes[c->nnotes++] = json_dumps(n, JSON_COMPACT);
			json_decref(n);
		}
		json_decref(o);
		return 1;
	}
	return 0;
}

#endif
