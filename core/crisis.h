/* crisis.h — internal interfaces between crisis.c and crisis_report.c. */
#ifndef CAIRN_CRISIS_H
#define CAIRN_CRISIS_H

#include "domain.h" /* cairn__query_text */

/* "YYYY-MM-DDTHH:MM:SSZ" -> seconds since the epoch; -1 when malformed. */
int64_t cairn__crisis_time(const char *s);
/* Seconds since the epoch -> "YYYY-MM-DDTHH:MM:SSZ". */
void cairn__crisis_iso(char out[21], int64_t t);
/* The UTC instant at which the local date `date` (a valid YYYY-MM-DD) plus `days` days begins. */
int64_t cairn__crisis_local_midnight(const char *date, int days);
/* The crisis sections of cairn_report (model.h report writer). */
int cairn__crisis_report(cairn_journal *j, const cairn__report_range *r, json_t *sections);

#endif
