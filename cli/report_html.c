/*
 * report_html.c — a report as one self-contained HTML file: inline CSS, a table per section and an inline
 * SVG bar chart where the section asks for one.
 *
 * The file is meant to be mailed to a funder or opened on an office machine without a network, so it
 * loads nothing: no script, no stylesheet or font link, no image source, no URL at all (the SVG is
 * inline HTML5, which needs no namespace URL). Every piece of text from the document is escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "report_render.h"

#define BAR_W 420 /* width of the longest bar */
#define LABEL_W 190
#define ROW_H 22

/* Text content and attribute values alike: & < > " ' escaped. */
static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* Control characters would make the file invalid; a record never needs them here. */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputc('?', f);
			else
				fputc(*s, f);
		}
	}
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void html_table(FILE *f, const json_t *s, const char *marker)
{
	const json_t *v, *row;
	size_t k, r;

	fputs("<table>\n<thead><tr>", f);
	json_array_foreach(json_object_get(s, "columns"), k, v)
	{
		fputs("<th>", f);
		esc(f, json_string_value(v));
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	json_array_foreach(json_object_get(s, "rows"), r, row)
	{
		fputs("<tr>", f);
		json_array_foreach(row, k, v)
		{
			char *cell = report_cell_text(v);

			/* Numbers and the suppression marker that stands for one are right-aligned. */
			fputs(json_is_number(v) ||
			                      (marker && json_is_string(v) && !strcmp(json_string_value(v), marker))
			              ? "<td class=\"n\">"
			              : "<td>",
			      f);
			esc(f, cell);
			fputs("</td>", f);
			free(cell);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

/* A horizontal bar chart of (label column, value column); rows whose value is not a number are left out. */
static void html_chart(FILE *f, const json_t *s)
{
	const json_t *chart = json_object_get(s, "chart"), *row;
	int lc = (int)json_integer_value(json_object_get(chart, "label"));
	int vc = (int)json_integer_value(json_object_get(chart, "value"));
	double max = 0;
	size_t r, n = 0, y = 0;

	json_array_foreach(json_object_get(s, "rows"), r, row)
	{
		const json_t *v = json_array_get(row, (size_t)vc);

		if (json_is_number(v)) {
			n++;
			if (json_number_value(v) > max)
				max = json_number_value(v);
		}
	}
	if (!n || !(max > 0))
		return;
	fprintf(f, "<svg class=\"chart\" role=\"img\" width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d %zu\">\n",
	        LABEL_W + BAR_W + 70, n * ROW_H + 4, LABEL_W + BAR_W + 70, n * ROW_H + 4);
	fputs("<title>", f);
	esc(f, str_of(s, "title"));
	fputs("</title>\n", f);
	json_array_foreach(json_object_get(s, "rows"), r, row)
	{
		const json_t *v = json_array_get(row, (size_t)vc);
		char *label, *value;
		double w;

		if (!json_is_number(v))
			continue;
		label = report_cell_text(json_array_get(row, (size_t)lc));
		value = report_cell_text(v);
		w = json_number_value(v) > 0 ? (double)(long)(BAR_W * json_number_value(v) / max + 0.999) : 0;
		fprintf(f, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">", LABEL_W - 8, y * ROW_H + 16);
		esc(f, label);
		fprintf(f,
		        "</text><rect x=\"%d\" y=\"%zu\" width=\"%.0f\" height=\"%d\" fill=\"#3b6ea5\"/>"
		        "<text x=\"%.0f\" y=\"%zu\">",
		        LABEL_W, y * ROW_H + 3, w, ROW_H - 6, LABEL_W + w + 6, y * ROW_H + 16);
		esc(f, value);
		fputs("</text>\n", f);
		free(label);
		free(value);
		y++;
	}
	fputs("</svg>\n", f);
}

static const char css[] =
        "body{font-family:sans-serif;margin:2em;color:#222;max-width:60em}"
        "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}"
        "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.2em .6em}"
        "th{background:#f0f0f0;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
        "svg.chart text{font-size:12px;fill:#222}.empty{color:#777}.meta{color:#555}"
        ".unsuppressed{color:#a00;font-weight:bold;border:2px solid #a00;padding:.4em}";

int report_render_html(FILE *f, const json_t *doc)
{
	const json_t *s;
	const char *team = json_string_value(json_object_get(doc, "team"));
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>cairn report ", f);
	esc(f, str_of(doc, "from"));
	fputs(" to ", f);
	esc(f, str_of(doc, "to"));
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>Program report: ", css);
	esc(f, str_of(doc, "from"));
	fputs(" to ", f);
	esc(f, str_of(doc, "to"));
	fputs("</h1>\n<p class=\"meta\">", f);
	if (team) {
		fputs("Team ", f);
		esc(f, team);
	} else {
		fputs("All teams", f);
	}
	fputs(". Made ", f);
	esc(f, str_of(doc, "today"));
	fputs(" by cairn. Counts only: no names, notes or phone numbers.</p>\n", f);
	fputs(json_integer_value(json_object_get(json_object_get(doc, "suppression"), "min_cell")) > 1
	              ? "<p class=\"meta\" id=\"suppression\">"
	              : "<p class=\"unsuppressed\" id=\"suppression\">",
	      f);
	esc(f, report_suppression_note(doc));
	fputs("</p>\n", f);
	json_array_foreach(json_object_get(doc, "sections"), i, s)
	{
		fputs("<section id=\"", f);
		esc(f, str_of(s, "id"));
		fputs("\">\n<h2>", f);
		esc(f, str_of(s, "title"));
		fputs("</h2>\n", f);
		if (!json_array_size(json_object_get(s, "rows"))) {
			fputs("<p class=\"empty\">Nothing in this period.</p>\n</section>\n", f);
			continue;
		}
		if (json_object_get(s, "chart"))
			html_chart(f, s);
		html_table(f, s, json_string_value(json_object_get(json_object_get(doc, "suppression"), "marker")));
		fputs("</section>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	return 0;
}
