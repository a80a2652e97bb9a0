/*
 * fhir.h — the FHIR R4 export seam (internal). Each record family that has a FHIR form contributes one
 * writer to the list in fhir.c; the writer appends Bundle entries ({"fullUrl","resource"}) for its
 * records. References point at other entries by fullUrl ("urn:uuid:<id>"), and a writer adds a
 * resource only when what it references is in the bundle (cairn__fhir_has_patient), so every reference
 * resolves inside the bundle.
 */
#ifndef CAIRN_FHIR_H
#define CAIRN_FHIR_H

#include "model.h"

struct cairn__fhir_ctx {
	const char *contact;   /* only this person's group (a surviving id), or NULL for everyone */
	int with_text;         /* include note text (Encounter.text) */
	json_t *patients;      /* object used as a set: contact ids exported as Patient */
	char today[11];        /* YYYY-MM-DD, for statuses that depend on the day (a consent's expiry) */
	const char *recipient; /* only consents naming it (NULL: all): others would say whom else they saw */
};

typedef int (*cairn__fhir_fn)(cairn_journal *j, struct cairn__fhir_ctx *x, json_t *entries);

/* Is contact `id` exported as a Patient? (Patients are written first.) */
int cairn__fhir_has_patient(const struct cairn__fhir_ctx *x, const char *id);
/* {"reference": "urn:uuid:<id>"} */
json_t *cairn__fhir_ref(const char *id);
/* Append {"fullUrl": "urn:uuid:<id>", "resource": r} to `entries`, dropping null members of r (FHIR
 * forbids them) and empty arrays and objects. Takes ownership of r. */
int cairn__fhir_entry(json_t *entries, const char *id, json_t *r);

#endif
