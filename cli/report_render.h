/*
 * report_render.h — drawing a report document (cairn_report) as an aligned table, CSV or HTML.
 *
 * Renderers know nothing about any record family: a section is {"id", "title", "columns", "rows",
 * "chart"?}, cells are strings, numbers or null, so a section added by any module shows up unchanged.
 */
#ifndef CAIRN_CLI_REPORT_RENDER_H
#define CAIRN_CLI_REPORT_RENDER_H

#include <jansson.h>
#include <stdio.h>

/* A cell as text: numbers without trailing zeros, null as "". malloc'd (NULL: out of memory). */
char *report_cell_text(const json_t *v);

/* The document's line on small-cell suppression (a warning when it has none). */
const char *report_suppression_note(const json_t *doc);

/* Each section: its title, then its rows as aligned columns (`fit`: shrink to the terminal). */
int report_render_table(FILE *f, const json_t *doc, int fit);
/* RFC 4180 (CRLF, quoted when needed): first a "suppression" row (min cell, cells suppressed, note), then
 * per section a header "section,<columns>" then its rows. */
int report_render_csv(FILE *f, const json_t *doc);
/* One self-contained HTML file: inline CSS, tables and inline SVG bar charts; no script, no URL. */
int report_render_html(FILE *f, const json_t *doc);

#endif
