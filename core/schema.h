/* schema.h — the SQL migrations embedded from schema/ at build time, applied in order by store.c. */
#ifndef CAIRN_SCHEMA_H
#define CAIRN_SCHEMA_H

typedef struct {
	int version;      /* NNNN of the file name */
	const char *name; /* file name without extension */
	const char *sql;
} cairn__migration;

extern const cairn__migration cairn__migrations[];
extern const int cairn__migration_count;

/* Migrations whose tables are filled from the log in C (store.c runs them in the migration's
 * transaction). seen.c, for 0016: every note amendment's and goal status's history, read with the parser
 * apply uses (a migration's SQL reads JSON with SQLite's rules, which do not decode an escaped key). */
struct cairn_journal;
int cairn__seen_backfill(struct cairn_journal *j);

#endif
