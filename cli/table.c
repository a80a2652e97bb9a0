/* table.c — aligned columns, shrunk to the terminal width when printing to one. See table.h. */
#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "text.h"

#define MIN_COL 6 /* a column is never shrunk below this (or its header) */

void table_init(struct table *t, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	while (t->ncols < TABLE_MAX_COLS && headers[t->ncols]) {
		t->head[t->ncols] = headers[t->ncols];
		t->ncols++;
	}
}

void table_fixed(struct table *t, int col) { t->fixed |= 1u << col; }

int table_add(struct table *t, const char *const *cells)
{
	int c;

	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **n = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*n));

		if (!n)
			return -1;
		t->cells = n;
		t->cap = cap;
	}
	for (c = 0; c < t->ncols; c++) {
		char *s = text_clean(cells[c] ? cells[c] : "", 1);

		if (!s) {
			while (c--)
				free(t->cells[t->rows * (size_t)t->ncols + (size_t)c]);
			return -1;
		}
		t->cells[t->rows * (size_t)t->ncols + (size_t)c] = s;
	}
	t->rows++;
	return 0;
}

static size_t term_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void natural_widths(const struct table *t, size_t *w)
{
	size_t r;
	int c;

	for (c = 0; c < t->ncols; c++)
		w[c] = text_width(t->head[c]);
	for (r = 0; r < t->rows; r++)
		for (c = 0; c < t->ncols; c++) {
			size_t cw = text_width(t->cells[r * (size_t)t->ncols + (size_t)c]);

			if (cw > w[c])
				w[c] = cw;
		}
}

/* Take columns from the widest down, one at a time, until the row fits or nothing can give more. */
static void shrink_to(const struct table *t, size_t *w, size_t avail)
{
	for (;;) {
		size_t total = 2 * (size_t)(t->ncols - 1);
		int c, widest = -1;

		for (c = 0; c < t->ncols; c++) {
			size_t floor = text_width(t->head[c]) > MIN_COL ? text_width(t->head[c]) : MIN_COL;

			total += w[c];
			if (!(t->fixed & (1u << c)) && w[c] > floor && (widest < 0 || w[c] > w[widest]))
				widest = c;
		}
		if (total <= avail || widest < 0)
			return;
		w[widest]--;
	}
}

static void print_cell(FILE *f, const char *s, size_t width, int last, int fit)
{
	char *cell = NULL;
	size_t cw;

	if (fit && text_width(s) > width) {
		/* text_truncate needs 3 spare bytes for the ellipsis. */
		cell = malloc(strlen(s) + 4);
		if (cell) {
			memcpy(cell, s, strlen(s) + 1);
			text_truncate(cell, width);
			s = cell;
		}
	}
	fputs(s, f);
	cw = text_width(s);
	if (!last)
		fprintf(f, "%*s", (int)(width - (cw < width ? cw : width) + 2), "");
	free(cell);
}

void table_print(const struct table *t, FILE *f, int fit)
{
	size_t w[TABLE_MAX_COLS], r;
	int c;

	natural_widths(t, w);
	if (fit)
		shrink_to(t, w, term_width());
	for (c = 0; c < t->ncols; c++)
		print_cell(f, t->head[c], w[c], c == t->ncols - 1, fit);
	fputc('\n', f);
	for (r = 0; r < t->rows; r++) {
		for (c = 0; c < t->ncols; c++)
			print_cell(f, t->cells[r * (size_t)t->ncols + (size_t)c], w[c], c == t->ncols - 1, fit);
		fputc('\n', f);
	}
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->rows * (size_t)t->ncols; i++) {
		explicit_bzero(t->cells[i], strlen(t->cells[i]));
		free(t->cells[i]);
	}
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
