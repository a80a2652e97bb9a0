/*
 * dedupe.c — likely duplicate people (cairn_duplicates): the same person recorded by two workers, or
 * twice by one, under a typo, a nickname, swapped names or an alias.
 *
 * How (each step is what keeps it both right and fast):
 *  1. Load every surviving, living contact (merged-away ids never appear, so pairs already merged are
 *     never proposed again) and normalise: lower-case ASCII words (accents transliterated, apostrophes
 *     dropped), first and last word, given names mapped to their full form (nicknames.c), DOB, the last
 *     7 digits of the phone, the alias.
 *  2. Blocking: each person gets a few keys, and only people sharing a key are compared. Name keys are
 *     Soundex(one name word) + the first two letters of the other, for both orders of the words (so
 *     swapped names meet, and a typo in either word survives in the key where that word is Soundexed
 *     or where the other is), plus the exact DOB and the phone tail (so a typo in the first letters
 *     still meets by DOB or phone). A block larger than MAX_BLOCK is compared within a sliding window only,
 *     so a common surname cannot make the work quadratic.
 *  3. Score each candidate pair once: name similarity (Jaro-Winkler of first and last names, nicknames
 *     equal, initials, the better of straight and swapped orders) weighted, plus evidence: DOB equal
 *     or transposed (day/month swapped, two adjacent digits swapped) or different, phone equal or not,
 *     alias equal to the other's name. Every contribution is a reason shown to the reviewer.
 * The reviewer decides: nothing here merges anybody.
 */
#include "dedupe.h"
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCK 1000 /* beyond this, a block is compared within a window of this many */
#define WORD_MAX 32
#define DEFAULT_MIN 0.75 /* tuned on tests/report/dedupe_quality.c's set; see README */

/* ---- normalisation ---- */

/* U+00C0..U+00FF and U+0100..U+017F to ASCII letters (' ': not a letter). */
static const char latin1[] = "AAAAAAACEEEEIIIIDNOOOOO OUUUUYTsaaaaaaaceeeeiiiidnooooo ouuuuyty";
static const char latin_a[] = "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNn"
                              "OoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

void cairn__name_normalize(const char *in, char *out, size_t n)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t o = 0;
	int space = 1; /* at the start, or after a separator: no space yet */

	while (*s && o + 2 < n) {
		int c = *s++;
		if (c == 0xC3 && *s >= 0x80 && *s <= 0xBF)
			c = latin1[*s++ - 0x80];
		else if ((c == 0xC4 || c == 0xC5) && *s >= 0x80 && *s <= 0xBF)
			c = latin_a[((c - 0xC4) << 6) | (*s++ & 0x3F)];
		else if (c == 0xE2 && s[0] == 0x80 && (s[1] == 0x98 || s[1] == 0x99)) {
			s += 2; /* curly apostrophes vanish like straight ones */
			continue;
		}
		if (c == '\'' || c == '`')
			continue;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		/* Other non-ASCII bytes are kept: names in other scripts still compare byte by byte. */
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
			if (space && o)
				out[o++] = ' ';
			out[o++] = (char)c;
			space = 0;
		} else {
			space = 1;
		}
	}
	out[o] = '\0';
}

double cairn__jaro_winkler(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), m = 0, t = 0, k = 0, l = 0;
	unsigned char fa[64] = {0}, fb[64] = {0};
	size_t win;
	double jaro;

	if (la > 64)
		la = 64;
	if (lb > 64)
		lb = 64;
	if (!la || !lb)
		return la == lb ? 1.0 : 0.0;
	win = (la > lb ? la : lb) / 2;
	win = win ? win - 1 : 0;
	for (size_t i = 0; i < la; i++) {
		size_t lo = i > win ? i - win : 0, hi = i + win + 1 < lb ? i + win + 1 : lb;
		for (size_t jx = lo; jx < hi; jx++)
			if (!fb[jx] && a[i] == b[jx]) {
				fa[i] = fb[jx] = 1;
				m++;
				break;
			}
	}
	if (!m)
		return 0.0;
	for (size_t i = 0; i < la; i++)
		if (fa[i]) {
			while (!fb[k])
				k++;
			t += a[i] != b[k++];
		}
	jaro = ((double)m / la + (double)m / lb + (m - t / 2.0) / m) / 3.0;
	while (l < 4 && l < la && l < lb && a[l] == b[l])
		l++;
	return jaro + l * 0.1 * (1.0 - jaro);
}

void cairn__soundex(const char *w, char out[5])
{
	/*                          abcdefghijklmnopqrstuvwxyz */
	static const char code[] = "01230120022455012623010202";
	size_t o = 1;
	char last;

	if (!(*w >= 'a' && *w <= 'z')) {
		snprintf(out, 5, "?%.3s", w);
		return;
	}
	out[0] = *w;
	last = code[*w - 'a'];
	for (w++; *w && o < 4; w++) {
		char c;
		if (*w < 'a' || *w > 'z')
			break;
		c = code[*w - 'a'];
		if (c != '0' && c != last)
			out[o++] = c;
		if (*w != 'h' && *w != 'w') /* h and w do not separate equal codes */
			last = c;
	}
	while (o < 4)
		out[o++] = '0';
	out[4] = '\0';
}

/* ---- people ---- */

struct person {
	char id[CAIRN_ID_LEN];
	char *name; /* as recorded, for the reviewer */
	char full[96], first[WORD_MAX], last[WORD_MAX], alias[64];
	char ffirst[WORD_MAX], flast[WORD_MAX]; /* full forms of the first and last word (nicknames.c); copies,
	                                         * as the array of people moves when it grows */
	char dob[11];
	char phone[8]; /* last 7 digits, "" when fewer */
};

static void copy_word(char *dst, const char *src, size_t len)
{
	if (len >= WORD_MAX)
		len = WORD_MAX - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void person_fill(struct person *p, const char *id, const char *name, const char *alias, const char *dob,
                        const char *phone)
{
	const char *sp;
	char digits[32];
	size_t nd = 0;

	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->name = strdup(name ? name : "");
	cairn__name_normalize(name, p->full, sizeof(p->full));
	cairn__name_normalize(alias, p->alias, sizeof(p->alias));
	sp = strchr(p->full, ' ');
	copy_word(p->first, p->full, sp ? (size_t)(sp - p->full) : strlen(p->full));
	sp = strrchr(p->full, ' ');
	snprintf(p->last, sizeof(p->last), "%s", sp ? sp + 1 : "");
	snprintf(p->ffirst, sizeof(p->ffirst), "%s", cairn__nickname_full(p->first));
	snprintf(p->flast, sizeof(p->flast), "%s", cairn__nickname_full(p->last));
	snprintf(p->dob, sizeof(p->dob), "%s", dob && strlen(dob) == 10 ? dob : "");
	for (; phone && *phone && nd < sizeof(digits) - 1; phone++)
		if (*phone >= '0' && *phone <= '9')
			digits[nd++] = *phone;
	if (nd >= 7)
		memcpy(p->phone, digits + nd - 7, 7);
}

/*
 * Living, surviving contacts and their fields, read as two ordered scans merged here: contacts by id,
 * and contact_fields in its primary-key order (entity, field), so SQLite neither groups nor sorts.
 */
static int load(cairn_journal *j, struct person **out, size_t *n)
{
	sqlite3_stmt *who = NULL, *f = NULL;
	struct person *v = NULL;
	size_t cap = 0;
	int rc, rf = SQLITE_ROW;
	*n = 0;
	if ((rc = cairn__prepare(j, &who,
	                         "SELECT c.entity FROM contacts c WHERE c.cl % 2 = 1 AND NOT EXISTS (SELECT 1 "
	                         "FROM contact_canon k WHERE k.entity = c.entity AND k.canon != c.entity) "
	                         "ORDER BY c.entity")) ||
	    (rc = cairn__prepare(j, &f,
	                         "SELECT entity, field, value FROM contact_fields WHERE value IS NOT NULL "
	                         "AND field IN ('alias', 'dob', 'name', 'phone') ORDER BY entity, field")))
		goto out;
	rf = sqlite3_step(f);
	while ((rc = sqlite3_step(who)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(who, 0), *val[4] = {NULL}; /* alias dob name phone */
		char *kept[4] = {NULL};
		int c;
		while (rf == SQLITE_ROW && (c = strcmp((const char *)sqlite3_column_text(f, 0), id)) <= 0) {
			if (!c) {
				const char *field = (const char *)sqlite3_column_text(f, 1);
				int k = field[0] == 'a' ? 0 : field[0] == 'd' ? 1 : field[0] == 'n' ? 2 : 3;
				/* the text is valid only until the next step: copy it */
				kept[k] = strdup((const char *)sqlite3_column_text(f, 2));
				val[k] = kept[k];
			}
			rf = sqlite3_step(f);
		}
		if (*n == cap) {
			struct person *p = realloc(v, (cap = cap ? 2 * cap : 1024) * sizeof(*p));
			if (!p) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = p;
		}
		person_fill(&v[(*n)++], id, val[2], val[0], val[1], val[3]);
		for (int k = 0; k < 4; k++)
			if (kept[k]) {
				explicit_bzero(kept[k], strlen(kept[k]));
				free(kept[k]);
			}
		if (!v[*n - 1].name) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	if (rf != SQLITE_ROW && rf != SQLITE_DONE)
		rc = rf;
out:
	if (who)
		cairn__finalize(j, who);
	if (f)
		cairn__finalize(j, f);
	*out = v;
	return rc == SQLITE_DONE || rc == 0 ? 0 : cairn__sqlerr(j, rc, "reading contacts for duplicates");
}

static void people_free(struct person *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		if (v[i].name) {
			explicit_bzero(v[i].name, strlen(v[i].name));
			free(v[i].name);
		}
		explicit_bzero(&v[i], sizeof(v[i]));
	}
	free(v);
}

/* ---- blocking ---- */

struct keyed {
	uint64_t key;
	uint32_t who;
};

static uint64_t fnv(const char *tag, const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *const *s = (const char *const[]){tag, a, b, NULL}; *s; s++) {
		for (const char *p = *s; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull; /* separator */
	}
	return h;
}

/* Soundex of `y` and the initial of `x` (full forms). (Soundex of both made blocks 3x smaller but lost
 * a tenth of the planted typos in given names.) */
static uint64_t name_key(const char *y, const char *x)
{
	char sy[5], init[3] = {x[0], x[0] ? x[1] : '\0', '\0'};
	cairn__soundex(y, sy);
	return fnv("n", sy, init);
}

static size_t keys_of(const struct person *p, uint64_t k[6])
{
	size_t n = 0;
	if (p->first[0] && p->last[0]) {
		k[n++] = name_key(p->flast, p->ffirst);
		k[n++] = name_key(p->ffirst, p->flast);
	} else if (p->first[0]) {
		k[n++] = name_key(p->ffirst, "");
	}
	if (p->alias[0])
		k[n++] = name_key(cairn__nickname_full(p->alias), "");
	if (p->dob[0])
		k[n++] = fnv("d", p->dob, "");
	if (p->phone[0])
		k[n++] = fnv("p", p->phone, "");
	return n;
}

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->who > y->who) - (x->who < y->who);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

struct pairs {
	uint64_t *v;
	size_t n, cap;
};

static int pair_add(struct pairs *p, uint32_t a, uint32_t b)
{
	if (a == b)
		return 0;
	if (p->n == p->cap) {
		uint64_t *nv = realloc(p->v, (p->cap = p->cap ? 2 * p->cap : 4096) * sizeof(*nv));
		if (!nv)
			return -1;
		p->v = nv;
	}
	p->v[p->n++] = a < b ? ((uint64_t)a << 32) | b : ((uint64_t)b << 32) | a;
	return 0;
}

/* Every pair of people sharing a key, once each, sorted. */
static int candidates(const struct person *v, size_t n, struct pairs *out)
{
	struct keyed *k = malloc(6 * (n ? n : 1) * sizeof(*k));
	size_t nk = 0, i, w = 0;

	if (!k)
		return -1;
	for (i = 0; i < n; i++) {
		uint64_t keys[6];
		size_t c = keys_of(&v[i], keys);
		for (size_t x = 0; x < c; x++)
			k[nk++] = (struct keyed){keys[x], (uint32_t)i};
	}
	qsort(k, nk, sizeof(*k), cmp_keyed);
	for (i = 0; i < nk; i = w) {
		for (w = i + 1; w < nk && k[w].key == k[i].key; w++)
			;
		for (size_t a = i; a < w; a++)
			for (size_t b = a + 1; b < w && b <= a + MAX_BLOCK; b++)
				if (pair_add(out, k[a].who, k[b].who)) {
					free(k);
					return -1;
				}
	}
	free(k);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_u64);
	for (i = 0, w = 0; i < out->n; i++)
		if (!w || out->v[w - 1] != out->v[i])
			out->v[w++] = out->v[i];
	out->n = w;
	return 0;
}

/* ---- scoring ---- */

/* Given names: equal full forms (a nickname counts), an initial, or Jaro-Winkler. */
static double given_sim(const char *a, const char *fa, const char *b, const char *fb, int *nick)
{
	double s, sf;
	*nick = 0;
	if (!a[0] || !b[0])
		return 0;
	if (!strcmp(a, b))
		return 1;
	if (!strcmp(fa, fb)) {
		*nick = 1;
		return 1;
	}
	if ((!a[1] || !b[1]) && a[0] == b[0])
		return 0.9;
	s = cairn__jaro_winkler(a, b);
	if ((strcmp(a, fa) || strcmp(b, fb)) && (sf = cairn__jaro_winkler(fa, fb)) > s)
		s = sf;
	return s;
}

/*
 * Both names of one order alike (each at least NAME_GATE), weighted; 0 when either is not. The last
 * name is compared first: most candidate pairs (those met through a DOB or phone block) fail there,
 * so one Jaro-Winkler is all they cost.
 */
#define NAME_GATE 0.75
static double order_sim(const char *f1, const char *ff1, const char *l1, const char *f2, const char *ff2,
                        const char *l2, int *nick)
{
	double g, l = 0;
	*nick = 0;
	if (l1[0] || l2[0]) {
		l = strcmp(l1, l2) ? cairn__jaro_winkler(l1, l2) : 1;
		if (l < NAME_GATE)
			return 0;
	}
	g = given_sim(f1, ff1, f2, ff2, nick);
	if (g < NAME_GATE)
		return 0;
	return l1[0] || l2[0] ? 0.4 * g + 0.6 * l : g;
}

/* Same date but for day and month swapped, or two adjacent digits swapped. */
static int dob_transposed(const char *a, const char *b)
{
	int diff[10], nd = 0;
	if (!memcmp(a, b, 5) && !memcmp(a + 5, b + 8, 2) && !memcmp(a + 8, b + 5, 2))
		return 1;
	for (int i = 0; i < 10; i++)
		if (a[i] != b[i])
			diff[nd++] = i;
	return nd == 2 && diff[1] == diff[0] + 1 && a[diff[0]] == b[diff[1]] && a[diff[1]] == b[diff[0]];
}

struct verdict {
	double score;
	json_t *reasons;
};

static void reason(struct verdict *v, double delta, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reason(struct verdict *v, double delta, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	v->score += delta;
	if (!v->reasons)
		return; /* a first pass: the score alone */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(v->reasons, json_string(buf));
}

/*
 * Score a pair. Most candidate pairs score below `min`, so the reasons (formatted strings) are built in a
 * second pass, only for the pairs that are kept.
 */
static int score_pass(const struct person *a, const struct person *b, double min, struct verdict *v)
{
	int nick1, nick2, alias_hit;
	double straight, swapped, name;
	char pct[16] = "";

	straight = order_sim(a->first, a->ffirst, a->last, b->first, b->ffirst, b->last, &nick1);
	/* A close straight match cannot lose to the swapped order by the margin that would count. */
	swapped = b->last[0] && straight < 0.9
	                  ? order_sim(a->first, a->ffirst, a->last, b->last, b->flast, b->first, &nick2)
	                  : (nick2 = 0, 0);
	/* One's alias is the other's name. Equal aliases prove nothing: street names repeat. */
	alias_hit = (a->alias[0] && (!strcmp(a->alias, b->full) || !strcmp(a->alias, b->first))) ||
	            (b->alias[0] && (!strcmp(b->alias, a->full) || !strcmp(b->alias, a->first)));
	name = straight > swapped ? straight : swapped;
	/* Unlike names with no alias to bridge them: a shared DOB or phone alone is not a duplicate. */
	if (name < NAME_GATE && !alias_hit)
		return 0;
	v->score = 0;
	if (v->reasons)
		snprintf(pct, sizeof(pct), "%.2f", name);
	if (swapped > straight + 0.05) {
		reason(v, 0.8 * swapped, "names alike with first and last swapped (%s)", pct);
		if (nick2)
			reason(v, 0, "nickname: %s = %s", a->first, b->last);
	} else {
		reason(v, 0.8 * straight, "names alike (%s)", pct);
		if (nick1)
			reason(v, 0, "nickname: %s = %s", a->first, b->first);
	}
	if (alias_hit)
		reason(v, name < NAME_GATE ? 0.75 : 0.15, "alias matches the other's name");
	if (a->dob[0] && b->dob[0]) {
		if (!strcmp(a->dob, b->dob))
			reason(v, 0.25, "same date of birth");
		else if (dob_transposed(a->dob, b->dob))
			reason(v, 0.15, "dates of birth differ by a transposition (%s, %s)", a->dob, b->dob);
		else
			reason(v, -0.35, "different dates of birth (%s, %s)", a->dob, b->dob);
	}
	if (a->phone[0] && b->phone[0]) {
		if (!strcmp(a->phone, b->phone))
			reason(v, 0.2, "same phone number");
		else
			reason(v, -0.05, "different phone numbers");
	}
	if (v->score > 1)
		v->score = 1;
	return v->score >= min;
}

static int score(const struct person *a, const struct person *b, double min, struct verdict *v)
{
	v->reasons = NULL;
	if (!score_pass(a, b, min, v))
		return 0;
	v->reasons = json_array();
	return score_pass(a, b, min, v);
}

static int cmp_score(const void *x, const void *y)
{
	double a = json_real_value(json_object_get(*(json_t *const *)x, "score"));
	double b = json_real_value(json_object_get(*(json_t *const *)y, "score"));
	if (a != b)
		return a > b ? -1 : 1;
	return strcmp(json_string_value(json_object_get(*(json_t *const *)x, "a")),
	              json_string_value(json_object_get(*(json_t *const *)y, "a")));
}

int cairn_duplicates(cairn_journal *j, const cairn_dedupe_options *opts, char **out)
{
	cairn_dedupe_options dflt = CAIRN_DEDUPE_OPTIONS_INIT;
	struct person *v = NULL;
	struct pairs cand = {0};
	json_t **found = NULL, *arr = NULL, *doc = NULL;
	size_t n = 0, nfound = 0, i;
	double min;
	int rc, own;

	*out = NULL;
	if (!opts)
		opts = &dflt;
	min = opts->min_score > 0 ? opts->min_score : DEFAULT_MIN;
	if (min > 1)
		return cairn__error(CAIRN_EINVAL, "a minimum score of %.2f can never be reached (use 0 to 1)", min);
	if ((rc = cairn__read_begin(j, &own)))
		return rc;
	rc = load(j, &v, &n);
	cairn__read_end(j, own);
	if (rc)
		goto out;
	if (candidates(v, n, &cand) || !(found = malloc((cand.n ? cand.n : 1) * sizeof(*found)))) {
		rc = cairn__error(CAIRN_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < cand.n; i++) {
		const struct person *a = &v[cand.v[i] >> 32], *b = &v[cand.v[i] & 0xffffffffu];
		struct verdict vd;
		if (score(a, b, min, &vd))
			found[nfound++] = json_pack("{s:s,s:s,s:s,s:s,s:f,s:o}", "a", a->id, "a_name", a->name, "b",
			                            b->id, "b_name", b->name, "score",
			                            (double)(long)(vd.score * 100 + 0.5) / 100, "reasons", vd.reasons);
	}
	qsort(found, nfound, sizeof(*found), cmp_score);
	arr = json_array();
	for (i = 0; i < nfound; i++) {
		if (!opts->limit || i < opts->limit)
			json_array_append(arr, found[i]);
		json_decref(found[i]);
	}
	doc = json_pack("{s:I,s:I,s:f,s:o}", "contacts", (json_int_t)n, "compared", (json_int_t)cand.n, "min_score",
	                min, "pairs", arr);
	*out = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	rc = *out ? 0 : cairn__error(CAIRN_ENOMEM, "out of memory");
out:
	json_decref(doc);
	free(found);
	free(cand.v);
	people_free(v, n);
	return rc;
}
