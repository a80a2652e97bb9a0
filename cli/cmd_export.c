/*
 * cmd_export.c — `cairn export --fhir`: people and their records as a FHIR R4 Bundle.
 *
 * An export with identities is a disclosure under 42 CFR Part 2: it may happen only with the person's
 * consent (or another Part 2 exception) and must be recorded in the accounting of disclosures. Both are
 * decided before anything is assembled or written (the gate below); the bundle carries the
 * redisclosure notice itself (core/fhir.c). --output creates a new file with mode 0600 and never replaces
 * one (outfile.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "outfile.h"
#include "output.h"

static const struct cli_opt export_opts[] = {
        {"to", 0, "RECIPIENT", "who receives the bundle (as named on each person's consent)", CLI_OPT_REQUIRED},
        {"purpose", 0, "TEXT", "why (as named on each person's consent)", CLI_OPT_REQUIRED},
        {"emergency", 0, "REASON", "a medical emergency: disclose without consent, recorded as such", 0},
        {"contact", 0, "ID", "only this person (with their merged records)", 0},
        {"with-notes", 0, NULL, "include note text (left out unless asked for)", 0},
        {"output", 'o', "FILE", "write to a new FILE (mode 0600; an existing file is never replaced)", 0},
        CLI_OPT_END,
};

/* What a FHIR bundle discloses, in the consent's terms (encounters come from notes even without text);
 * a person whose bundle holds Observations discloses their assessments too (FHIR_WHAT_ASSESSED). */
#define FHIR_WHAT "identity,notes,referrals"
#define FHIR_WHAT_ASSESSED FHIR_WHAT ",assessments"

/*
 * Who the bundle is about, read back from the bundle itself (so that the gate checks exactly the people
 * who leave, never a list computed apart from it): one entry per person, keyed by the survivor of their
 * merge group (a Patient.link replaced-by, else the Patient's own id), with "via" the id the disclosure
 * is recorded under (the survivor when it is in the bundle, else the first member that is) and
 * "assessed" when an Observation is about any member. NULL when the bundle cannot be read back.
 */
static json_t *subjects(const char *text)
{
	json_t *b = json_loads(text, 0, NULL), *canon = json_object(), *set = json_object(), *e, *l;
	size_t i, k;
	if (!b || !canon || !set) {
		json_decref(b);
		json_decref(canon);
		json_decref(set);
		return NULL;
	}
	json_array_foreach(json_object_get(b, "entry"), i, e)
	{
		json_t *r = json_object_get(e, "resource");
		json_array_foreach(json_object_get(r, "link"), k, l)
		{
			const char *to = json_string_value(json_object_get(json_object_get(l, "other"), "reference"));
			const char *type = json_string_value(json_object_get(l, "type"));
			if (type && to && !strcmp(type, "replaced-by") && strlen(to) > 9)
				json_object_set_new(canon, json_string_value(json_object_get(r, "id")),
				                    json_string(to + 9));
		}
	}
	json_array_foreach(json_object_get(b, "entry"), i, e)
	{
		json_t *r = json_object_get(e, "resource"), *c, *p;
		const char *type = json_string_value(json_object_get(r, "resourceType")), *id, *key;
		if (!type)
			continue;
		if (!strcmp(type, "Patient")) {
			id = json_string_value(json_object_get(r, "id"));
		} else if (!strcmp(type, "Observation")) {
			id = json_string_value(json_object_get(json_object_get(r, "subject"), "reference"));
			id = id && strlen(id) > 9 ? id + 9 : NULL; /* "urn:uuid:" */
		} else {
			continue;
		}
		if (!id)
			continue;
		key = (c = json_object_get(canon, id)) ? json_string_value(c) : id;
		if (!(p = json_object_get(set, key)))
			json_object_set_new(set, key, p = json_object());
		if (!strcmp(type, "Observation"))
			json_object_set_new(p, "assessed", json_true());
		else if (!json_object_get(p, "via") || !strcmp(id, key))
			json_object_set_new(p, "via", json_string(id));
	}
	json_decref(canon);
	json_decref(b);
	return set;
}

/*
 * The Part 2 gate for every person in the bundle, inside the caller's batch: all pass (each disclosure
 * recorded) or the first refusal ends it and the batch is rolled back, so nobody's disclosure is
 * recorded for a bundle that was never written.
 */
static int gate(struct cli_ctx *ctx, const struct cli_args *a, const char *bundle, size_t *n)
{
	json_t *people = subjects(bundle), *p;
	const char *key;
	int rc = 0;

	if (!people)
		return cairn_error_set(CAIRN_ERROR, "cannot read back the FHIR bundle");
	json_object_foreach(people, key, p)
	{
		const char *via = json_string_value(json_object_get(p, "via"));
		if (!via) /* an Observation about nobody in the bundle cannot be: refuse rather than guess */
			rc = cairn_error_set(CAIRN_ERROR,
			                     "the FHIR bundle holds an assessment of '%s', who is not in it", key);
		else
			rc = cairn_disclose_via(ctx->j, "fhir", via, args_get(a, "to"), args_get(a, "purpose"),
			                        json_object_get(p, "assessed") ? FHIR_WHAT_ASSESSED : FHIR_WHAT,
			                        args_get(a, "emergency"), NULL);
		if (rc)
			break;
		*n += 1;
	}
	json_decref(people);
	return rc;
}

/*
 * The accounting entries the export just recorded, as [{"id","contact","consent"}]: the newest `n` of the
 * journal (the library gives no id back, and an entry recorded now carries the newest clock). NULL (after
 * a warning) when they cannot be read: the bundle is written by then.
 */
static json_t *recorded(struct cli_ctx *ctx, size_t n)
{
	json_t *all, *out, *d;
	char *text = NULL;
	size_t i;
	int rc = cairn_disclosure_list(ctx->j, NULL, &text);

	all = rc ? NULL : out_parse(text);
	out_free_text(text);
	if (!json_is_array(all) || json_array_size(all) < n || !(out = json_array())) {
		json_decref(all);
		cli_warn("cannot read back the disclosures just recorded (see 'cairn disclosures')");
		return NULL;
	}
	json_array_foreach(all, i, d)
	{
		if (i == n)
			break;
		json_array_append_new(out, json_pack("{s:s?,s:s?,s:s?}", "id", js_str(d, "id"), "contact",
		                                     js_str(d, "contact"), "consent", js_str(d, "consent")));
	}
	json_decref(all);
	return out;
}

static int run_export(struct cli_ctx *ctx, const struct cli_args *a)
{
	cairn_fhir_options o = CAIRN_FHIR_OPTIONS_INIT;
	const char *who = args_get(a, "contact"), *path = args_get(a, "output");
	char contact[CAIRN_ID_LEN], *text = NULL;
	struct outfile of = {0};
	size_t n = 0;
	int rc;

	if ((who && check_id(who, "contact id")) || check_line(args_get(a, "to"), "--to", 1000) ||
	    check_line(args_get(a, "purpose"), "--purpose", 1000) ||
	    (args_get(a, "emergency") && check_line(args_get(a, "emergency"), "--emergency", 1000)))
		return CLI_EXIT_USAGE;
	if ((rc = who ? session_resolve(ctx, "contact", who, contact) : session_open(ctx)))
		return rc;
	o.contact = who ? contact : NULL;
	o.with_note_text = args_count(a, "with-notes") > 0;
	o.recipient = args_get(a, "to");
	/* The output first (a path that cannot be written, or a file that exists, fails before any disclosure is
	 * recorded), then the bundle in memory and the disclosure gate in one batch: each person's consent for
	 * this recipient and purpose, or nothing is recorded and nothing written. The accounting becomes durable
	 * before the bundle leaves: an entry for a bundle that then failed to write errs on the side of the
	 * record. */
	if (path && (rc = outfile_open(&of, path)))
		return rc;
	if ((rc = cairn_batch_begin(ctx->j)) || (rc = cairn_export_fhir(ctx->j, &o, &text)) ||
	    (rc = gate(ctx, a, text, &n)) || (rc = cairn_batch_commit(ctx->j))) {
		rc = cli_lib_fail(rc); /* first: the rollback may replace the library's message */
		cairn_batch_rollback(ctx->j);
	} else {
		fputs(text, path ? of.f : stdout);
		fputc('\n', path ? of.f : stdout);
	}
	out_free_text(text);
	if (!path)
		return rc;
	if ((rc = outfile_end(&of, rc)))
		return rc;
	return outfile_written(ctx->opt, ctx->opt->json ? json_pack("{s:o?}", "disclosures", recorded(ctx, n)) : NULL,
	                       path,
	                       "Wrote the FHIR bundle to %s. It holds identities: keep it encrypted, share it only "
	                       "as consented.",
	                       path);
}

const struct cli_sub cmd_export_subs[] = {
        {"fhir", "", 0, 0, "Export people and their records as a FHIR R4 Bundle (also: export --fhir).",
         "The bundle (type collection) holds Patient (people), Encounter (notes; the text only with\n"
         "--with-notes), ServiceRequest and Task (referrals: the status is the Task status), Consent\n"
         "(consents: active, or inactive when revoked or expired, with the revocation date) and\n"
         "Observation (assessments: the total and one component per item). Every reference resolves\n"
         "inside the bundle. Deleted people and records entered in error are left out; merged\n"
         "records are one active Patient that replaces the others.\n"
         "\n"
         "This is a disclosure of identities under 42 CFR Part 2. Every person in the bundle needs an\n"
         "active consent naming --to and --purpose and covering identity, notes and referrals (and\n"
         "assessments, when the bundle holds any of theirs), or nothing is written (exit 11, naming\n"
         "what is missing); --emergency REASON discloses without consent, recorded as an emergency.\n"
         "Each disclosure is recorded in the accounting ('cairn disclosures'). The bundle carries the\n"
         "redisclosure notice (Bundle.meta) and the 42CFRPart2 security label.\n"
         "\n"
         "--output creates FILE (mode 0600) and refuses one that exists (exit 9). It prints the file\n"
         "name; with --json {\"file\",\"disclosures\":[{\"id\",\"contact\",\"consent\"}]}.\n"
         "\n"
         "Examples:\n"
         "  cairn export fhir --to \"Bayside Clinic\" --purpose \"care coordination\" --contact CONTACT \\\n"
         "      --with-notes -o ana-bayside.json\n",
         export_opts, run_export},
        {"gpra", "", 0, 0, "Write the GPRA interviews of a grant as CSV keyed by pseudonymous client ids.",
         "Same as 'cairn gpra export': no names, notes or phone numbers; see docs/gpra.md.\n"
         "--output creates FILE (mode 0600) and refuses one that exists (exit 9); it prints the file\n"
         "name, with --json {\"file\",\"grant\",\"from\",\"to\"}.\n"
         "\n"
         "Examples:\n"
         "  cairn export gpra --grant TI-084512 --from 2025-10-01 --to 2026-09-30 -o gpra-fy2026.csv\n",
         cmd_export_gpra_opts, cmd_export_gpra},
        {NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
