/*
 * logcheck.c — the checks a device log must pass, shared by the sync engine (what it adopts and relays)
 * and the pre-receive hook (what a central repository or a field hub accepts): one definition, so a
 * segment the hook lets in is one every device adopts, and the reverse.
 */
#include "office.h"
#include "segment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cairn__log_tip_state(cairn_gitlog *g, const char *tip, uint64_t *last, unsigned char hash[32])
{
	cairn_segment_header h;
	unsigned char *buf;
	size_t len;
	char parent[CAIRN_OID_HEX];
	int rc;
	*last = 0;
	memset(hash, 0, 32);
	if (!*tip)
		return 0;
	if ((rc = cairn__gitlog_read(g, tip, &buf, &len, parent)))
		return rc;
	rc = cairn_segment_verify(&h, buf, len);
	if (!rc) {
		*last = h.last_seq;
		cairn_segment_hash(buf, len, hash);
	}
	free(buf);
	return rc;
}

static int verified_from(cairn_gitlog *g, const cairn_roster *roster, const char *dev, const char *base, uint64_t last,
                         unsigned char hash[32], const char *tip, char good[CAIRN_OID_HEX], char bad[CAIRN_OID_HEX],
                         char *reason, size_t rlen);

int cairn__log_verified_prefix(cairn_gitlog *g, const cairn_roster *roster, const char *dev, const char *base,
                               const char *tip, char good[CAIRN_OID_HEX], char bad[CAIRN_OID_HEX], char *reason,
                               size_t rlen)
{
	uint64_t last;
	unsigned char hash[32];
	int rc = cairn__log_tip_state(g, base, &last, hash);
	snprintf(good, CAIRN_OID_HEX, "%s", base);
	bad[0] = '\0';
	return rc ? rc : verified_from(g, roster, dev, base, last, hash, tip, good, bad, reason, rlen);
}

int cairn__log_verified_prefix_known(cairn_gitlog *g, const cairn_roster *roster, const char *dev, const char *base,
                                     uint64_t base_seq, const unsigned char base_hash[32], const char *tip,
                                     char good[CAIRN_OID_HEX], char bad[CAIRN_OID_HEX], char *reason, size_t rlen)
{
	unsigned char hash[32];
	memcpy(hash, base_hash, 32);
	snprintf(good, CAIRN_OID_HEX, "%s", base);
	bad[0] = '\0';
	return verified_from(g, roster, dev, base, base_seq, hash, tip, good, bad, reason, rlen);
}

static int verified_from(cairn_gitlog *g, const cairn_roster *roster, const char *dev, const char *base, uint64_t last,
                         unsigned char hash[32], const char *tip, char good[CAIRN_OID_HEX], char bad[CAIRN_OID_HEX],
                         char *reason, size_t rlen)
{
	char(*oids)[CAIRN_OID_HEX] = NULL, parent[CAIRN_OID_HEX];
	size_t n = 0;
	int rc = cairn__gitlog_walk(g, tip, base, &oids, &n);
	if (rc)
		return rc;
	/* A revoked device whose last segment the roster pins: what comes before it is admitted only
	 * when the verified chain itself reaches that segment (its hash is checked at its seq). */
	const cairn_roster_device *pin = roster ? cairn_roster_pinned(roster, dev) : NULL;
	char from[CAIRN_OID_HEX];
	snprintf(from, sizeof(from), "%s", base);
	if (pin && last >= pin->last_seq)
		pin = NULL; /* past it already: the seq rule judges what follows */
	for (size_t i = 0; i < n && !bad[0]; i++) {
		cairn_segment_header h;
		unsigned char *buf = NULL, sh[32];
		size_t len;
		if (cairn__gitlog_read(g, oids[i], &buf, &len, parent) || cairn_segment_verify(&h, buf, len))
			snprintf(reason, rlen, "%s", cairn_error_last());
		else if (strcmp(h.device, dev))
			snprintf(reason, rlen, "segment of device %s found on the log of %s", h.device, dev);
		else if (h.first_seq != last + 1 || memcmp(h.prev, hash, 32) || strcmp(parent, good))
			snprintf(reason, rlen, "segment %llu-%llu does not follow seq %llu in the hash chain",
			         (unsigned long long)h.first_seq, (unsigned long long)h.last_seq,
			         (unsigned long long)last);
		else if (cairn_segment_hash(buf, len, sh),
		         !roster || cairn_roster_admits(roster, dev, h.device_pk, h.last_seq, sh, reason, rlen)) {
			last = h.last_seq;
			memcpy(hash, sh, 32);
			snprintf(good, CAIRN_OID_HEX, "%s", oids[i]);
		}
		if (strcmp(good, oids[i]))
			snprintf(bad, CAIRN_OID_HEX, "%s", oids[i]);
		free(buf);
	}
	free(oids);
	if (pin && n && last < pin->last_seq) {
		if (!bad[0])
			snprintf(bad, CAIRN_OID_HEX, "%s", strcmp(good, from) ? good : tip);
		snprintf(good, CAIRN_OID_HEX, "%s", from);
		snprintf(reason, rlen,
		         "the log of revoked device %s does not lead to the segment the office accepted at seq %llu: "
		         "not admitted",
		         dev, (unsigned long long)pin->last_seq);
		return 1;
	}
	return 0;
}
