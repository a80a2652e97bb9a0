/* report_render.c — a report as aligned text tables and as CSV. See report_render.h; HTML is report_html.c. */
#include "report_render.h"

#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "table.h"
#include "text.h"

char *report_cell_text(const json_t *v)
{
	char buf[64];

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, sizeof(buf), "%.10g", json_real_value(v));
	else if (json_is_true(v) || json_is_false(v))
		snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "yes" : "no");
	else
		buf[0] = '\0';
	return strdup(buf);
}

static int table_section(FILE *f, const json_t *s, int fit)
{
	const json_t *cols = json_object_get(s, "columns"), *row;
	const char *head[TABLE_MAX_COLS + 1] = {NULL};
	size_t ncols = json_array_size(cols), i, r;
	struct table t;
	int rc = 0;

	if (ncols > TABLE_MAX_COLS)
		ncols = TABLE_MAX_COLS; /* the CSV, JSON and HTML forms carry every column */
	for (i = 0; i < ncols; i++)
		head[i] = json_string_value(json_array_get(cols, i)) ? json_string_value(json_array_get(cols, i)) : "?";
	fputs("== ", f);
	out_safe(f, json_string_value(json_object_get(s, "title")), 1);
	fputs(" ==\n", f);
	if (!json_array_size(json_object_get(s, "rows"))) {
		fputs("(nothing in this period)\n\n", f);
		return 0;
	}
	table_init(&t, head);
	json_array_foreach(json_object_get(s, "rows"), r, row)
	{
		char *cells[TABLE_MAX_COLS] = {NULL};

		for (i = 0; i < ncols && !rc; i++)
			rc = (cells[i] = report_cell_text(json_array_get(row, i))) ? 0 : -1;
		if (!rc)
			rc = table_add(&t, (const char *const *)cells);
		for (i = 0; i < ncols; i++)
			free(cells[i]);
		if (rc)
			break;
	}
	if (!rc)
		table_print(&t, f, fit);
	table_free(&t);
	fputc('\n', f);
	return rc;
}

int report_render_table(FILE *f, const json_t *doc, int fit)
{
	const json_t *s;
	size_t i;
	const char *team = json_string_value(json_object_get(doc, "team"));

	fprintf(f, "Report %s to %s, %s%s\n", json_string_value(json_object_get(doc, "from")),
	        json_string_value(json_object_get(doc, "to")), team ? "team " : "all teams", team ? team : "");
	out_safe(f, report_suppression_note(doc), 1);
	fputs("\n\n", f);
	json_array_foreach(json_object_get(doc, "sections"), i, s) if (table_section(f, s, fit)) return -1;
	return 0;
}

/* RFC 4180: a field with a comma, quote, CR or LF is quoted and its quotes doubled. */
static void csv_field(FILE *f, const char *s, int first)
{
	if (!first)
		fputc(',', f);
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

const char *report_suppression_note(const json_t *doc)
{
	const char *note = json_string_value(json_object_get(json_object_get(doc, "suppression"), "note"));
	return note ? note : "NOT SUPPRESSED: this report says nothing of small-cell suppression.";
}

int report_render_csv(FILE *f, const json_t *doc)
{
	const json_t *s, *v, *row, *sup = json_object_get(doc, "suppression");
	size_t i, k, r;
	char *min = report_cell_text(json_object_get(sup, "min_cell")),
	     *cells = report_cell_text(json_object_get(sup, "cells"));

	/* First, what a reader must know before any figure: whether small cells are hidden. */
	if (!min || !cells) {
		free(min);
		free(cells);
		return -1;
	}
	fputs("section,min cell,cells suppressed,note\r\n", f);
	csv_field(f, "suppression", 1);
	csv_field(f, min, 0);
	csv_field(f, cells, 0);
	csv_field(f, report_suppression_note(doc), 0);
	fputs("\r\n", f);
	free(min);
	free(cells);

	json_array_foreach(json_object_get(doc, "sections"), i, s)
	{
		const char *id = json_string_value(json_object_get(s, "id"));

		csv_field(f, "section", 1);
		json_array_foreach(json_object_get(s, "columns"), k, v)
		        csv_field(f, json_string_value(v) ? json_string_value(v) : "", 0);
		fputs("\r\n", f);
		json_array_foreach(json_object_get(s, "rows"), r, row)
		{
			csv_field(f, id ? id : "", 1);
			json_array_foreach(row, k, v)
			{
				char *cell = report_cell_text(v);

				if (!cell)
					return -1;
				csv_field(f, cell, 0);
				free(cell);
			}
			fputs("\r\n", f);
		}
	}
	return 0;
}
