/*
 * text.h — UTF-8 decoding, display width and sanitising of text shown on a terminal.
 *
 * Records arrive from other devices through sync, so their text is untrusted when it reaches a terminal:
 * an escape sequence in a name could rewrite the screen, and a bidi override could make one id look like
 * another. Everything printed for humans goes through text_clean() first.
 */
#ifndef CAIRN_CLI_TEXT_H
#define CAIRN_CLI_TEXT_H

#include <stddef.h>

/* Decode the UTF-8 sequence at `s` (`n` bytes left). Returns the code point and sets *len, or -1 for an
 * invalid, overlong, surrogate or truncated sequence (then *len is 1). */
long text_utf8_next(const char *s, size_t n, size_t *len);

/* Control characters: C0, DEL, C1, and the bidi embedding/override/isolate marks. */
int text_is_unsafe(long cp);

/* Columns a code point takes on a terminal (wcwidth, with 1 for what the locale cannot tell). */
int text_cp_width(long cp);

/* Columns a (clean) string takes. */
size_t text_width(const char *s);

/*
 * A copy safe to print: invalid bytes become U+FFFD, unsafe characters '?'. With `oneline`, newlines and
 * tabs become spaces (table cells); otherwise they are kept. Returns malloc'd memory, NULL if out of memory.
 */
char *text_clean(const char *s, int oneline);

/* Cut a clean string in place to at most `width` columns, ending in "…" when it was cut. Needs
 * strlen(s) + 3 bytes of room (the ellipsis may be longer than what it replaces). */
void text_truncate(char *s, size_t width);

#endif
