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

#endif
