/*
 * crash_writer.c — the victim of the crash test: appends events through the public API until `target`
 * events exist in total, printing each acknowledged seq on stdout (one line, flushed) after its commit.
 * Usage: crash_writer DIR TARGET   (passphrase "crash", journal created by the driver)
 */
#include "cairn.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	cairn_journal *j;
	char contact[CAIRN_ID_LEN] = "", body[200];
	uint64_t have = 0, target;
	if (argc != 3)
		return 2;
	target = strtoull(argv[2], NULL, 10);
	if (cairn_journal_open(&j, argv[1], "crash", 5)) {
		fprintf(stderr, "crash_writer: %s\n", cairn_error_last());
		return 1;
	}
	cairn_events_max_seq(j, cairn_journal_device(j), &have);
	for (uint64_t seq = have + 1; seq <= target; seq++) {
		cairn_event_info info;
		int rc;
		if (seq % 2 || !contact[0]) {
			snprintf(body, sizeof(body), "{\"name\":\"crash person %llu\"}", (unsigned long long)seq);
			rc = cairn_contact_set(j, NULL, body, contact);
			info.seq = seq;
		} else {
			snprintf(body, sizeof(body), "{\"text\":\"crash note %llu\",\"date\":\"2026-11-23\"}",
			         (unsigned long long)seq);
			rc = cairn_note_add(j, contact, body, NULL);
		}
		if (rc) {
			fprintf(stderr, "crash_writer: %s\n", cairn_error_last());
			return 1;
		}
		(void)info;
		printf("%llu\n", (unsigned long long)seq);
		fflush(stdout);
	}
	cairn_journal_free(j);
	return 0;
}
