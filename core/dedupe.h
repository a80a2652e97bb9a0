/*
 * dedupe.h — the string measures behind duplicate detection (internal; dedupe.c, nicknames.c, tests).
 */
#ifndef CAIRN_DEDUPE_H
#define CAIRN_DEDUPE_H

#include <stddef.h>

/* Lower-case ASCII words separated by single spaces: Latin-1 and common Latin Extended-A letters lose
 * their accents, apostrophes vanish (O'Brien -> obrien), other punctuation separates words. */
void cairn__name_normalize(const char *in, char *out, size_t n);
/* Jaro-Winkler similarity of two strings (bytes), 0..1. */
double cairn__jaro_winkler(const char *a, const char *b);
/* American Soundex of a lower-case ASCII word: a letter and three digits ("robert" -> "r163"). */
void cairn__soundex(const char *w, char out[5]);
/* The full form of a given name ("bob" -> "robert"), or `first` itself. */
const char *cairn__nickname_full(const char *first);

#endif
