/*
 * convergence.c — property test of the convergence invariant: journals holding the same set of events
 * have the same state digest, whatever the order the events arrived in (with duplicates).
 *
 * For each of N seeds: three devices perform random operations (contacts, field edits, merges, deletes,
 * notes, amendments, strikes, referrals and statuses, goals and their statuses, plan versions, decisions
 * of merge/delete conflicts), now and then exchanging events so later writes see earlier ones and
 * concurrent ones conflict (merges and deletes carry "seen", so a merge and a delete that did not see each
 * other raise a conflict: apply.c invariant 5; the run fails if no seed raised one; goal statuses carry
 * "seen" too, and some seed must end with a goal in conflict: goal.c invariant 2; so do plan versions:
 * some seed must end with a plan in conflict, and the plan conflicts kept as rows must be those computed
 * from every version: plan.c rules 2 and 3). All events are then ingested into fresh journals, each in a
 * different random order with random duplicates; every digest must be equal. A failure prints the seed.
 * Journals live under $CAIRN_TEST_TMP or /dev/shm to keep fsyncs cheap.
 */
#include "cairn.h"
#include "t.h"
#include "t_journal.h"

#include <stdint.h>
#include <unistd.h>

#define DEVICES 3
#define ORDERS 4
#define MAXIDS 256

static uint64_t rng;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static char root[256];
static int jcount;

static cairn_journal *fresh(void)
{
	char dir[320];
	cairn_init_options o = CAIRN_INIT_OPTIONS_INIT;
	cairn_journal *j = NULL;
	o.kdf = CAIRN_KDF_MIN;
	snprintf(dir, sizeof(dir), "%s/j%d", root, jcount++);
	if (cairn_journal_init(dir, "pw", 2, &o) || cairn_journal_open(&j, dir, "pw", 2))
		fprintf(stderr, "cannot create journal: %s\n", cairn_error_last());
	return j;
}

static void drop(cairn_journal *j)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cairn_journal_dir(j));
	cairn_journal_free(j);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove a journal\n");
}

static int ingest_cb(const cairn_event *ev, void *ud)
{
	int rc = cairn_event_ingest(ud, ev);
	return rc < 0 ? rc : 0;
}

static char contacts[MAXIDS][CAIRN_ID_LEN], notes[MAXIDS][CAIRN_ID_LEN], refs[MAXIDS][CAIRN_ID_LEN],
        goals[MAXIDS][CAIRN_ID_LEN];
static int ncontacts, nnotes, nrefs, ngoals;
static int raised, decisions; /* seeds ending with a merge/delete conflict open; decisions made */
static int goal_raised;       /* seeds ending with a goal's statuses in conflict */
static int plan_raised;       /* seeds ending with a plan's versions in conflict */

static const char *const names[] = {"Ada", "Bo", "Cy", "Dee", "Eli"};
static const char *const fields[] = {"name", "alias", "phone", "dob"};
static const char *const goal_states[] = {"active", "achieved", "paused", "revised", "dropped"};
static const char *const states[] = {"received",  "accepted", "in-progress", "on-hold",
                                     "completed", "failed",   "cancelled",   "entered-in-error"};

/* A contact for a merge or a delete: half the time one of the first four, so that merges and deletes
 * meet on the same people often enough to conflict. */
static const char *pick(void) { return contacts[rnd(rnd(2) && ncontacts > 4 ? 4 : (uint32_t)ncontacts)]; }

static void random_op(cairn_journal *dev[DEVICES])
{
	cairn_journal *j = dev[rnd(DEVICES)];
	char buf[256];
	/* 100 and over: goals, 110 and over: plans (added after the rest, so the other draws kept their share) */
	int op = rnd(116);
	if (op < 12 || ncontacts == 0) {
		snprintf(buf, sizeof(buf), "{\"name\":\"%s %u\"}", names[rnd(5)], rnd(100));
		if (ncontacts < MAXIDS && !cairn_contact_set(j, NULL, buf, contacts[ncontacts]))
			ncontacts++;
	} else if (op < 32) {
		const char *f = fields[rnd(4)];
		if (!strcmp(f, "dob"))
			snprintf(buf, sizeof(buf), "{\"dob\":\"19%02u-0%u-1%u\"}", 50 + rnd(40), 1 + rnd(9), rnd(9));
		else if (rnd(8) == 0 && strcmp(f, "name"))
			snprintf(buf, sizeof(buf), "{\"%s\":null}", f);
		else
			snprintf(buf, sizeof(buf), "{\"%s\":\"%s-%u\"}", f, names[rnd(5)], rnd(10));
		cairn_contact_set(j, contacts[rnd(ncontacts)], buf, NULL);
	} else if (op < 40) {
		cairn_contact_merge(j, pick(), pick());
	} else if (op < 46) {
		cairn_contact_delete(j, pick(), rnd(2));
	} else if (op < 56) {
		snprintf(buf, sizeof(buf), "{\"text\":\"note %u about the shelter\",\"date\":\"2026-0%u-1%u\"}",
		         rnd(1000), 1 + rnd(9), rnd(9));
		if (nnotes < MAXIDS && !cairn_note_add(j, contacts[rnd(ncontacts)], buf, notes[nnotes]))
			nnotes++;
	} else if (op < 62 && nnotes) {
		snprintf(buf, sizeof(buf), "amended %u", rnd(1000));
		cairn_note_amend(j, notes[rnd(nnotes)], buf, rnd(2) ? "typo" : NULL);
	} else if (op < 65 && nnotes) {
		cairn_note_strike(j, notes[rnd(nnotes)], "wrong person");
	} else if (op < 72) {
		if (nrefs < MAXIDS && !cairn_referral_add(j, contacts[rnd(ncontacts)],
		                                          "{\"category\":\"housing\",\"to\":\"Hope\"}", refs[nrefs]))
			nrefs++;
	} else if (op < 85 && nrefs) {
		snprintf(buf, sizeof(buf), "{\"state\":\"%s\"%s}", states[rnd(8)],
		         rnd(6) == 0 ? ",\"reopen\":true" : "");
		cairn_referral_status(j, refs[rnd(nrefs)], buf);
	} else if (op < 88) {
		char who[CAIRN_ID_LEN], *out = NULL; /* a merge/delete conflict some device has open, decided */
		for (int d = 0; d < DEVICES; d++)
			if (t_status_conflicts(dev[d], who) > 0) {
				decisions += cairn_conflict_resolve_status(dev[d], who, rnd(2), &out) == 0;
				break;
			}
		cairn_free(out);
	} else if (op >= 110) {
		/* a version of one of the first people's plans, so merges meet plans too */
		snprintf(buf, sizeof(buf), "{\"coping\":[\"step %u\"]}", rnd(100));
		cairn_plan_set(j, pick(), rnd(2) ? "safety" : "relapse", buf, NULL);
	} else if (op >= 105 && ngoals) {
		snprintf(buf, sizeof(buf), "{\"status\":\"%s\",\"date\":\"2026-0%u-1%u\"}", goal_states[rnd(5)],
		         1 + rnd(9), rnd(9));
		cairn_goal_status(j, goals[rnd(ngoals)], buf);
	} else if (op >= 100) {
		if (ngoals < MAXIDS && !cairn_goal_add(j, contacts[rnd(ncontacts)],
		                                       "{\"domain\":\"housing\",\"text\":\"a flat\"}", goals[ngoals]))
			ngoals++;
	} else {
		/* exchange: one device receives everything another holds */
		cairn_journal *from = dev[rnd(DEVICES)];
		if (from != j)
			cairn_events_foreach(from, NULL, 1, 0, ingest_cb, j);
	}
}

/* The heads of plan (contact, type) as cairn_plan_show computes them from every version, as a JSON text
 * (NULL when it has none or one: no conflict). Caller frees. */
static char *plan_heads(cairn_journal *j, const char *contact, const char *type)
{
	char *out = NULL, *h = NULL;
	json_t *c;
	if (cairn_plan_show(j, contact, type, NULL, &out) == 0 && (c = json_loads(out, 0, NULL))) {
		if (json_is_true(json_object_get(c, "conflict")))
			h = json_dumps(json_object_get(c, "heads"), JSON_COMPACT);
		json_decref(c);
	}
	cairn_free(out);
	return h;
}

/* The plans in conflict as plan_heads and plan_conflicts (schema 0017) keep them, through
 * cairn_conflict_list (person, type, number of heads), against the heads cairn_plan_show computes from
 * all the versions of each plan of every person: the same plans, with as many heads. */
static int plans_agree(cairn_journal *j, uint64_t seed)
{
	static const char *const types[] = {"safety", "relapse"};
	json_t *kept = json_object(), *computed = json_object(), *l, *c;
	char *out = NULL, *h;
	size_t i;
	int same = 1;
	if (cairn_conflict_list(j, &out) == 0 && (l = json_loads(out, 0, NULL))) {
		json_array_foreach(l, i, c)
		{
			json_t *heads;
			if (strcmp(json_string_value(json_object_get(c, "field")), "plan"))
				continue;
			h = plan_heads(j, json_string_value(json_object_get(c, "contact")),
			               json_string_value(json_object_get(c, "plan")));
			heads = h ? json_loads(h, 0, NULL) : NULL;
			if (!heads ||
			    (json_int_t)json_array_size(heads) != json_integer_value(json_object_get(c, "heads")))
				same = 0;
			json_object_set_new(kept, h ? h : "none", json_true());
			json_decref(heads);
			free(h);
		}
		json_decref(l);
	}
	cairn_free(out);
	for (int k = 0; k < ncontacts; k++)
		for (int t = 0; t < 2; t++)
			if ((h = plan_heads(j, contacts[k], types[t]))) {
				json_object_set_new(computed, h, json_true());
				free(h);
			}
	same = same && json_equal(kept, computed);
	if (!same) {
		char *a = json_dumps(kept, JSON_COMPACT), *b = json_dumps(computed, JSON_COMPACT);
		fprintf(stderr, "seed %llu: plan conflicts kept %s, computed %s\n", (unsigned long long)seed, a, b);
		free(a);
		free(b);
	}
	json_decref(kept);
	json_decref(computed);
	return same;
}

static void shuffle(cairn_event *a, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t k = rnd((uint32_t)i);
		cairn_event t = a[i - 1];
		a[i - 1] = a[k];
		a[k] = t;
	}
}

static int run_seed(uint64_t seed)
{
	cairn_journal *dev[DEVICES];
	t_evlist all = {0};
	char first[CAIRN_DIGEST_LEN] = "", d[CAIRN_DIGEST_LEN], who[CAIRN_ID_LEN];
	int ok = 1, nops;
	rng = seed * 2654435761u + 1;
	ncontacts = nnotes = nrefs = ngoals = 0;
	for (int i = 0; i < DEVICES; i++)
		if (!(dev[i] = fresh()))
			return 0;
	nops = 5 + (int)rnd(60);
	for (int i = 0; i < nops; i++)
		random_op(dev);
	for (int i = 0; i < DEVICES; i++)
		cairn_events_foreach(dev[i], cairn_journal_device(dev[i]), 1, 0, t_evlist_collect, &all);
	for (int o = 0; o < ORDERS && ok; o++) {
		cairn_journal *t = fresh();
		if (!t)
			return 0;
		shuffle(all.ev, all.n);
		cairn_batch_begin(t);
		for (size_t i = 0; i < all.n; i++) {
			int rc = cairn_event_ingest(t, &all.ev[i]);
			if (rc == 0 && rnd(5) == 0)
				rc = cairn_event_ingest(t, &all.ev[rnd((uint32_t)(i + 1))]); /* a duplicate */
			if (rc < 0) {
				fprintf(stderr, "seed %llu: ingest failed: %s\n", (unsigned long long)seed,
				        cairn_error_last());
				ok = 0;
			}
		}
		cairn_batch_commit(t);
		cairn_digest(t, d);
		if (!o && t_status_conflicts(t, NULL) > 0)
			raised++;
		if (!o && t_field_conflicts(t, "goal", "goal", NULL) > 0)
			goal_raised++;
		if (!o && t_field_conflicts(t, "plan", "plan", NULL) > 0)
			plan_raised++;
		if (!o && !plans_agree(t, seed))
			ok = 0;
		if (!o)
			strcpy(first, d);
		else if (strcmp(first, d)) {
			fprintf(stderr, "seed %llu: order %d digest %s != %s (%zu events)\n", (unsigned long long)seed,
			        o, d, first, all.n);
			ok = 0;
		}
		drop(t);
	}
	/* The authors themselves converge too, once each has everything. */
	for (int i = 0; i < DEVICES && ok; i++) {
		for (int k = 0; k < DEVICES; k++)
			if (k != i)
				cairn_events_foreach(dev[k], NULL, 1, 0, ingest_cb, dev[i]);
		cairn_digest(dev[i], d);
		if (strcmp(first, d)) {
			fprintf(stderr, "seed %llu: device %d digest differs after full exchange\n",
			        (unsigned long long)seed, i);
			ok = 0;
		}
	}
	/* A merge/delete conflict left open is decided on one device; once the others have the decision it is
	 * closed everywhere, and all agree. */
	if (ok && t_status_conflicts(dev[0], NULL) > 0) {
		char *out = NULL, d0[CAIRN_DIGEST_LEN];
		while (t_status_conflicts(dev[0], who) > 0 &&
		       cairn_conflict_resolve_status(dev[0], who, rnd(2), &out) == 0) {
			decisions++;
			cairn_free(out);
			out = NULL;
		}
		for (int i = 1; i < DEVICES; i++)
			cairn_events_foreach(dev[0], NULL, 1, 0, ingest_cb, dev[i]);
		cairn_digest(dev[0], d0);
		for (int i = 0; i < DEVICES && ok; i++) {
			int open = t_status_conflicts(dev[i], NULL);
			cairn_digest(dev[i], d);
			if (open || strcmp(d0, d)) {
				fprintf(stderr, "seed %llu: device %d after the decision: %d open, digest %s\n",
				        (unsigned long long)seed, i, open, strcmp(d0, d) ? "differs" : "equal");
				ok = 0;
			}
		}
	}
	for (int i = 0; i < DEVICES; i++)
		drop(dev[i]);
	t_evlist_free(&all);
	return ok;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	const char *base = getenv("CAIRN_TEST_TMP");
	if (!base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	if (getenv("CAIRN_PROPERTY_SETS"))
		n = atoi(getenv("CAIRN_PROPERTY_SETS"));
	snprintf(root, sizeof(root), "%s/cairn-prop-XXXXXX", base);
	if (!mkdtemp(root))
		return 2;
	for (int s = 0; s < n; s++) {
		if (run_seed((uint64_t)s + 1))
			t_passed++;
		else
			t_failed++;
	}
	rmdir(root);
	printf("%d of %d event sets ended with a merge/delete conflict open; %d decisions made\n", raised, n,
	       decisions);
	printf("%d of %d event sets ended with a goal's statuses in conflict\n", goal_raised, n);
	printf("%d of %d event sets ended with a plan's versions in conflict\n", plan_raised, n);
	if (n >= 100 && (raised == 0 || decisions == 0)) {
		fprintf(stderr, "no merge/delete conflict raised or decided: the rule is not exercised\n");
		t_failed++;
	}
	if (n >= 100 && plan_raised == 0) {
		fprintf(stderr, "no plan's versions in conflict: the rule is not exercised\n");
		t_failed++;
	}
	if (n >= 100 && goal_raised == 0) {
		fprintf(stderr, "no goal's statuses in conflict: the rule is not exercised\n");
		t_failed++;
	}
	printf("%d passed, %d failed\n", t_passed, t_failed);
	return t_failed ? 1 : 0;
}
