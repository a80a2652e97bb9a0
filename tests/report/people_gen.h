/*
 * people_gen.h — a deterministic population of people with planted duplicates, for the duplicate
 * detection test (dedupe_quality.c) and benchmark (bench/bench_dedupe.c).
 *
 * Base people get a first and a last name, a DOB (95%), a phone (70%) and sometimes an alias. A quarter
 * of the surnames come from the 200 most common US ones (about their share of the US population in the
 * 2010 census); the rest are composed from syllables (10,000 forms), so that a large population has the
 * surname diversity of a real one rather than being mostly namesakes. Each
 * planted duplicate copies a base person and changes it the way records drift in the field, in turn:
 * a typo in the surname, a typo in the given name, a nickname, first and last swapped ("Smith, John" or
 * "Smith John"), a different spelling of case, accents and punctuation. Its DOB is the same (60%),
 * transposed (15%) or missing; its phone the same in another format (50%) or missing.
 */
#ifndef CAIRN_PEOPLE_GEN_H
#define CAIRN_PEOPLE_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct gen_person {
	char name[96], alias[24], dob[11], phone[24];
	long dup_of; /* index of the base person this duplicates, -1 for a base person */
	int how;     /* for duplicates: which change (0..4) */
};

static uint64_t gen_state;
static uint32_t gen_next(void)
{
	gen_state = gen_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(gen_state >> 33);
}
static size_t gen_pick(size_t n) { return gen_next() % n; }

static const char *const gen_first[] = {
        "James",     "Mary",      "Robert",    "Patricia",  "John",        "Jennifer",  "Michael",   "Linda",
        "William",   "Elizabeth", "David",     "Barbara",   "Richard",     "Susan",     "Joseph",    "Jessica",
        "Thomas",    "Sarah",     "Charles",   "Karen",     "Christopher", "Nancy",     "Daniel",    "Lisa",
        "Matthew",   "Betty",     "Anthony",   "Margaret",  "Mark",        "Sandra",    "Donald",    "Ashley",
        "Steven",    "Kimberly",  "Paul",      "Emily",     "Andrew",      "Donna",     "Joshua",    "Michelle",
        "Kenneth",   "Dorothy",   "Kevin",     "Carol",     "Brian",       "Amanda",    "George",    "Melissa",
        "Timothy",   "Deborah",   "Ronald",    "Stephanie", "Edward",      "Rebecca",   "Jason",     "Sharon",
        "Jeffrey",   "Laura",     "Ryan",      "Cynthia",   "Jacob",       "Kathleen",  "Gary",      "Amy",
        "Nicholas",  "Angela",    "Eric",      "Shirley",   "Jonathan",    "Anna",      "Stephen",   "Brenda",
        "Larry",     "Pamela",    "Justin",    "Emma",      "Scott",       "Nicole",    "Brandon",   "Helen",
        "Benjamin",  "Samantha",  "Samuel",    "Katherine", "Gregory",     "Christine", "Alexander", "Debra",
        "Frank",     "Rachel",    "Patrick",   "Carolyn",   "Raymond",     "Janet",     "Jack",      "Catherine",
        "Dennis",    "Maria",     "Jerry",     "Heather",   "Tyler",       "Diane",     "Aaron",     "Ruth",
        "Jose",      "Julie",     "Adam",      "Olivia",    "Nathan",      "Joyce",     "Henry",     "Virginia",
        "Douglas",   "Victoria",  "Zachary",   "Kelly",     "Peter",       "Lauren",    "Kyle",      "Christina",
        "Ethan",     "Joan",      "Walter",    "Evelyn",    "Noah",        "Judith",    "Jeremy",    "Megan",
        "Christian", "Andrea",    "Keith",     "Cheryl",    "Roger",       "Hannah",    "Terry",     "Jacqueline",
        "Gerald",    "Martha",    "Harold",    "Gloria",    "Sean",        "Teresa",    "Austin",    "Ann",
        "Carl",      "Sara",      "Arthur",    "Madison",   "Lawrence",    "Frances",   "Dylan",     "Kathryn",
        "Jesse",     "Janice",    "Jordan",    "Jean",      "Bryan",       "Abigail",   "Billy",     "Alice",
        "Joe",       "Judy",      "Bruce",     "Sophia",    "Gabriel",     "Grace",     "Logan",     "Denise",
        "Albert",    "Amber",     "Willie",    "Doris",     "Alan",        "Marilyn",   "Juan",      "Danielle",
        "Wayne",     "Beverly",   "Elijah",    "Isabella",  "Randy",       "Theresa",   "Roy",       "Diana",
        "Vincent",   "Natalie",   "Ralph",     "Brittany",  "Eugene",      "Charlotte", "Russell",   "Marie",
        "Bobby",     "Kayla",     "Mason",     "Alexis",    "Philip",      "Lori",      "Louis",     "Guadalupe",
        "Manuel",    "Ignacio",   "Francisco", "Eduardo",   "Alberto",
};
/* Given name -> a nickname the table in core/nicknames.c knows. */
static const char *const gen_nick[][2] = {
        {"Robert", "Bob"},        {"William", "Bill"},   {"Elizabeth", "Liz"},  {"Richard", "Rick"},
        {"James", "Jim"},         {"Joseph", "Joe"},     {"Thomas", "Tom"},     {"Michael", "Mike"},
        {"Margaret", "Peggy"},    {"Charles", "Chuck"},  {"Daniel", "Dan"},     {"Anthony", "Tony"},
        {"Christopher", "Chris"}, {"Jennifer", "Jenny"}, {"Patricia", "Patty"}, {"Katherine", "Kate"},
        {"Steven", "Steve"},      {"Edward", "Ed"},      {"Samuel", "Sam"},     {"Deborah", "Debbie"},
        {"Timothy", "Tim"},       {"Kimberly", "Kim"},   {"Matthew", "Matt"},   {"Nicholas", "Nick"},
        {"Susan", "Sue"},         {"Donald", "Don"},     {"David", "Dave"},     {"Rebecca", "Becky"},
        {"Gregory", "Greg"},      {"Alexander", "Alex"}, {"Lawrence", "Larry"}, {"Francisco", "Paco"},
        {"Eduardo", "Lalo"},      {"Ignacio", "Nacho"},  {"Guadalupe", "Lupe"}, {"Andrew", "Andy"},
        {"Benjamin", "Ben"},      {"Jacob", "Jake"},     {"Pamela", "Pam"},     {"Jessica", "Jess"},
};
static const char *const gen_last[] = {
        "Smith",      "Johnson",  "Williams",  "Brown",    "Jones",     "Garcia",    "Miller",    "Davis",
        "Rodriguez",  "Martinez", "Hernandez", "Lopez",    "Gonzalez",  "Wilson",    "Anderson",  "Thomas",
        "Taylor",     "Moore",    "Jackson",   "Martin",   "Lee",       "Perez",     "Thompson",  "White",
        "Harris",     "Sanchez",  "Clark",     "Ramirez",  "Lewis",     "Robinson",  "Walker",    "Young",
        "Allen",      "King",     "Wright",    "Scott",    "Torres",    "Nguyen",    "Hill",      "Flores",
        "Green",      "Adams",    "Nelson",    "Baker",    "Hall",      "Rivera",    "Campbell",  "Mitchell",
        "Carter",     "Roberts",  "Gomez",     "Phillips", "Evans",     "Turner",    "Diaz",      "Parker",
        "Cruz",       "Edwards",  "Collins",   "Reyes",    "Stewart",   "Morris",    "Morales",   "Murphy",
        "Cook",       "Rogers",   "Gutierrez", "Ortiz",    "Morgan",    "Cooper",    "Peterson",  "Bailey",
        "Reed",       "Kelly",    "Howard",    "Ramos",    "Kim",       "Cox",       "Ward",      "Richardson",
        "Watson",     "Brooks",   "Chavez",    "Wood",     "James",     "Bennett",   "Gray",      "Mendoza",
        "Ruiz",       "Hughes",   "Price",     "Alvarez",  "Castillo",  "Sanders",   "Patel",     "Myers",
        "Long",       "Ross",     "Foster",    "Jimenez",  "Powell",    "Jenkins",   "Perry",     "Russell",
        "Sullivan",   "Bell",     "Coleman",   "Butler",   "Henderson", "Barnes",    "Gonzales",  "Fisher",
        "Vasquez",    "Simmons",  "Romero",    "Jordan",   "Patterson", "Alexander", "Hamilton",  "Graham",
        "Reynolds",   "Griffin",  "Wallace",   "Moreno",   "West",      "Cole",      "Hayes",     "Bryant",
        "Herrera",    "Gibson",   "Ellis",     "Tran",     "Medina",    "Aguilar",   "Stevens",   "Murray",
        "Ford",       "Castro",   "Marshall",  "Owens",    "Harrison",  "Fernandez", "McDonald",  "Woods",
        "Washington", "Kennedy",  "Wells",     "Vargas",   "Henry",     "Chen",      "Freeman",   "Webb",
        "Tucker",     "Guzman",   "Burns",     "Crawford", "Olson",     "Simpson",   "Porter",    "Hunter",
        "Gordon",     "Mendez",   "Silva",     "Shaw",     "Snyder",    "Mason",     "Dixon",     "Munoz",
        "Hunt",       "Hicks",    "Holmes",    "Palmer",   "Wagner",    "Black",     "Robertson", "Boyd",
        "Rose",       "Stone",    "Salazar",   "Fox",      "Warren",    "Mills",     "Meyer",     "Rice",
        "Schmidt",    "Garza",    "Daniels",   "Ferguson", "Nichols",   "Stephens",  "Soto",      "Weaver",
        "Ryan",       "Gardner",  "Payne",     "Grant",    "Dunn",      "Kelley",    "Spencer",   "Hawkins",
        "O'Brien",    "Peña",     "Müller",    "Nuñez",    "D'Angelo",  "Zúñiga",
};
static const char *const gen_pre[] = {"Ab",   "Bal", "Cor",  "Dun", "El",  "Fair",  "Gal", "Har",  "Ing",  "Kel",
                                      "Lind", "Mar", "Nor",  "Ol",  "Pem", "Quin",  "Rad", "Sel",  "Thor", "Ul",
                                      "Van",  "Wes", "Yar",  "Zel", "Ash", "Brock", "Cal", "Dal",  "Ever", "Fen",
                                      "Grim", "Hol", "Ives", "Jar", "Kin", "Lor",   "Mor", "Nash", "Oak",  "Pry"};
static const char *const gen_suf[] = {"ton",   "ley",  "wood", "field", "by",   "ford", "ham",   "worth", "ridge",
                                      "stead", "more", "wick", "dale",  "well", "burn", "croft", "mont",  "son",
                                      "ick",   "er",   "ner",  "ling",  "ward", "holm", "ster"};
static const char *const gen_mid[] = {"", "ing", "er", "en", "an", "el", "or", "ow", "ard", "is"};
static const char *const gen_alias[] = {"Mouse", "Red",   "Tex",    "Shorty", "Slim",   "Doc",
                                        "Bear",  "Lucky", "Smokey", "Junior", "Peanut", "Ace"};

#define GEN_N(a) (sizeof(a) / sizeof((a)[0]))

/* One typo: swap two neighbours, drop, double or replace a letter (never the first for the last two,
 * so most typos keep the Soundex letter; some do not, and then DOB or phone must find them). */
static void gen_typo(char *w)
{
	size_t n = strlen(w), i = 1 + gen_pick(n > 2 ? n - 2 : 1);
	char t;
	if (n < 3)
		return;
	/* bytes of a multi-byte UTF-8 letter stay whole: move to an ASCII pair, or make no typo */
	while (i + 1 < n && ((unsigned char)w[i] >= 0x80 || (unsigned char)w[i + 1] >= 0x80))
		i++;
	if (i + 1 >= n)
		return;
	switch (gen_pick(4)) {
	case 0:
		t = w[i];
		w[i] = w[i + 1];
		w[i + 1] = t;
		break;
	case 1: memmove(w + i, w + i + 1, n - i); break;
	case 2:
		if (n + 1 < 40) {
			memmove(w + i + 1, w + i, n - i + 1);
		}
		break;
	default: w[i] = (char)('a' + gen_pick(26)); break;
	}
}

static void gen_base(struct gen_person *p)
{
	char last[64];
	const char *first = gen_first[gen_pick(GEN_N(gen_first))];
	if (gen_pick(4) == 0)
		snprintf(last, sizeof(last), "%s", gen_last[gen_pick(GEN_N(gen_last))]);
	else
		snprintf(last, sizeof(last), "%s%s%s", gen_pre[gen_pick(GEN_N(gen_pre))],
		         gen_mid[gen_pick(GEN_N(gen_mid))], gen_suf[gen_pick(GEN_N(gen_suf))]);
	snprintf(p->name, sizeof(p->name), "%s %s", first, last);
	p->alias[0] = p->dob[0] = p->phone[0] = '\0';
	if (gen_pick(100) < 95) {
		char d[64]; /* the compiler cannot see the ranges: format wide, then keep the 10 characters */
		snprintf(d, sizeof(d), "%04d-%02d-%02d", 1950 + (int)gen_pick(55), 1 + (int)gen_pick(12),
		         1 + (int)gen_pick(28));
		snprintf(p->dob, sizeof(p->dob), "%.10s", d);
	}
	if (gen_pick(100) < 70)
		snprintf(p->phone, sizeof(p->phone), "555%07u", (unsigned)gen_pick(10000000));
	if (gen_pick(100) < 5)
		snprintf(p->alias, sizeof(p->alias), "%s", gen_alias[gen_pick(GEN_N(gen_alias))]);
	p->dup_of = -1;
	p->how = -1;
}

static void gen_dup(struct gen_person *d, const struct gen_person *b, long of, int how)
{
	char first[48], last[48];
	const char *sp = strchr(b->name, ' ');
	snprintf(first, sizeof(first), "%.*s", (int)(sp - b->name), b->name);
	snprintf(last, sizeof(last), "%s", sp + 1);
	*d = *b;
	d->dup_of = of;
	d->how = how;
	switch (how) {
	case 0: gen_typo(last); break;
	case 1: gen_typo(first); break;
	case 2: {
		size_t k;
		for (k = 0; k < GEN_N(gen_nick) && strcmp(gen_nick[k][0], first); k++)
			;
		if (k < GEN_N(gen_nick))
			snprintf(first, sizeof(first), "%s", gen_nick[k][1]);
		else
			gen_typo(last);
		break;
	}
	case 3: break;
	default:
		for (char *c = last; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		break;
	}
	if (how == 3)
		snprintf(d->name, sizeof(d->name), gen_pick(2) ? "%s, %s" : "%s %s", last, first);
	else
		snprintf(d->name, sizeof(d->name), "%s %s", first, last);
	{
		unsigned r = (unsigned)gen_pick(100);
		if (r >= 60 && r < 75 && d->dob[0]) {
			/* transposed: day and month when that is a date, else two adjacent year digits */
			if (d->dob[8] == '0' || (d->dob[8] == '1' && d->dob[9] <= '2')) {
				char m0 = d->dob[5], m1 = d->dob[6];
				d->dob[5] = d->dob[8];
				d->dob[6] = d->dob[9];
				d->dob[8] = m0;
				d->dob[9] = m1;
			} else {
				char t = d->dob[2];
				d->dob[2] = d->dob[3];
				d->dob[3] = t;
			}
		} else if (r >= 75) {
			d->dob[0] = '\0';
		}
	}
	if (d->phone[0] && gen_pick(2))
		snprintf(d->phone, sizeof(d->phone), "(%.3s) %.3s-%.4s", b->phone, b->phone + 3, b->phone + 6);
	else
		d->phone[0] = '\0';
}

/* nbase base people then ndup duplicates of distinct base people; deterministic in `seed`. */
static void gen_people(struct gen_person *out, size_t nbase, size_t ndup, uint64_t seed)
{
	gen_state = seed;
	for (size_t i = 0; i < nbase; i++)
		gen_base(&out[i]);
	for (size_t i = 0; i < ndup; i++) {
		/* distinct originals: a stride coprime to nbase walks them without repeats */
		long of = (long)((i * 7919 + 13) % nbase);
		gen_dup(&out[nbase + i], &out[of], of, (int)(i % 5));
	}
}

#endif
