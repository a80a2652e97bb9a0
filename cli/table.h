/*
 * table.h — aligned text tables for humans.
 *
 * Cells are cleaned (text_clean, one line) when added. On a terminal, columns are shrunk to fit its width
 * and long cells end in "…"; into a pipe or file nothing is cut, so `cairn contact list > file` keeps
 * every character (scripts should use --json all the same).
 */
#ifndef CAIRN_CLI_TABLE_H
#define CAIRN_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define TABLE_MAX_COLS 8

struct table {
	int ncols;
	const char *head[TABLE_MAX_COLS];
	char **cells; /* rows * ncols, row-major, cleaned and owned */
	size_t rows, cap;
	unsigned fixed; /* bit c: column c is never cut (ids, which people copy) */
};

/* Column headers, NULL-terminated (at most TABLE_MAX_COLS). */
void table_init(struct table *t, const char *const *headers);
/* Never cut column `col` to fit the terminal. */
void table_fixed(struct table *t, int col);
/* Append a row of ncols cells (NULL prints as empty). Returns 0, or -1 when out of memory. */
int table_add(struct table *t, const char *const *cells);
/* Print with two spaces between columns; `fit` (a terminal) shrinks columns to the terminal width. */
void table_print(const struct table *t, FILE *f, int fit);
void table_free(struct table *t);

#endif
