/*
 * plan_values.c — what each head of a plan in conflict holds where another head differs, as the text
 * `cairn conflicts` shows: "coping: walk, call Sam; helpers: (not set)". Each section is compared whole;
 * an emptied section is "(cleared)", one a version lacks "(not set)", one that is not a list (only a
 * modified client writes one) is shown quoted, never read as a list.
 *
 * Done here rather than in SQL so that it costs heads x sections: a section differs for a head when fewer
 * than all the heads hold that head's value, which one count per (section, value) tells. The pairwise
 * comparison in SQL made a plan with 800 heads take 19 s to list.
 */
#include "crypto.h"
#include "domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOT_SET "\x01" /* the canonical text of a section a version lacks: no JSON text starts so */

/* The canonical text of section `k` of `sections` (NOT_SET when absent); caller frees. */
static char *canon_of(const json_t *sections, const char *k)
{
	const json_t *v = json_object_get(sections, k);
	return v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : strdup(NOT_SET);
}

/* Write section `v` as shown: a list's entries joined by ", ", "(cleared)" when it is empty, "(not set)"
 * when absent, anything else as JSON (so a bare string is quoted). */
static void put_section(FILE *f, const json_t *v)
{
	const json_t *x;
	const char *key;
	size_t i, n = 0;
	if (!v) {
		fputs("(not set)", f);
		return;
	}
	if (!json_is_array(v) && !json_is_object(v)) {
		json_dumpf(v, f, JSON_ENCODE_ANY);
		return;
	}
#define PUT_ITEM(x)                                        \
	do {                                               \
		fputs(n++ ? ", " : "", f);                 \
		if (json_is_string(x))                     \
			fputs(json_string_value(x), f);    \
		else                                       \
			json_dumpf(x, f, JSON_ENCODE_ANY); \
	} while (0)
	if (json_is_array(v)) {
		json_array_foreach(v, i, x) PUT_ITEM(x);
	} else {
		json_object_foreach((json_t *)v, key, x) PUT_ITEM(x);
	}
#undef PUT_ITEM
	if (!n)
		fputs("(cleared)", f);
}

static int by_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Set "value" of each of `values` (the heads of one plan, each with "sections"). */
static int describe(json_t *values)
{
	json_t *counts = json_object(), *v, *s;
	const char **keys = NULL;
	size_t i, nkeys = 0, n = json_array_size(values);
	const char *k;
	int rc = counts ? 0 : -1;
	/* every section any head has */
	json_array_foreach(values, i, v)
	{
		json_object_foreach(json_object_get(v, "sections"), k, s)
		{
			if (rc || json_object_get(counts, k))
				continue;
			if (json_object_set_new(counts, k, json_object()))
				rc = -1;
		}
	}
	if (!rc && !(keys = calloc(json_object_size(counts) + 1, sizeof(*keys))))
		rc = -1;
	if (!rc) {
		json_object_foreach(counts, k, s) keys[nkeys++] = k;
		qsort(keys, nkeys, sizeof(*keys), by_name);
	}
	/* per section, how many heads hold each value */
	json_array_foreach(values, i, v)
	{
		for (size_t c = 0; !rc && c < nkeys; c++) {
			char *t = canon_of(json_object_get(v, "sections"), keys[c]);
			json_t *per = json_object_get(counts, keys[c]);
			if (!t) {
				rc = -1;
				break;
			}
			json_object_set_new(per, t, json_integer(json_integer_value(json_object_get(per, t)) + 1));
			cairn__wipe(t, strlen(t));
			free(t);
		}
	}
	/* each head: the sections where fewer than all hold its value */
	json_array_foreach(values, i, v)
	{
		const json_t *secs = json_object_get(v, "sections");
		char *text = NULL;
		size_t len = 0, parts = 0;
		FILE *f = rc ? NULL : open_memstream(&text, &len);
		if (!f)
			rc = -1;
		for (size_t c = 0; !rc && c < nkeys; c++) {
			char *t = canon_of(secs, keys[c]);
			if (!t) {
				rc = -1;
				break;
			}
			if ((size_t)json_integer_value(json_object_get(json_object_get(counts, keys[c]), t)) < n) {
				fprintf(f, "%s%s: ", parts++ ? "; " : "", keys[c]);
				put_section(f, json_object_get(secs, keys[c]));
			}
			cairn__wipe(t, strlen(t));
			free(t);
		}
		if (f && fclose(f))
			rc = -1;
		if (!rc)
			json_object_set_new(v, "value", json_string(parts ? text : "(the same as the other version)"));
		if (text) {
			cairn__wipe(text, len);
			free(text);
		}
	}
	free(keys);
	json_decref(counts);
	return rc;
}

int cairn__plan_values(char **doc)
{
	json_t *all = json_loads(*doc, 0, NULL), *c;
	size_t i;
	char *text;
	int rc = all ? 0 : cairn__error(CAIRN_ENOMEM, "reading the conflicts");
	json_array_foreach(all, i, c)
	{
		const char *field = json_string_value(json_object_get(c, "field"));
		if (!rc && field && !strcmp(field, "plan") && describe(json_object_get(c, "values")))
			rc = cairn__error(CAIRN_ENOMEM, "out of memory");
	}
	if (!rc && !(text = json_dumps(all, JSON_COMPACT)))
		rc = cairn__error(CAIRN_ENOMEM, "out of memory");
	if (!rc) {
		cairn__wipe(*doc, strlen(*doc));
		free(*doc);
		*doc = text;
	}
	json_decref(all);
	return rc;
}
