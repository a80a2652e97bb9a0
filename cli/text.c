/* text.c — UTF-8 and terminal-safe text. See text.h for why this exists. */
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

long text_utf8_next(const char *str, size_t n, size_t *len)
{
	const unsigned char *s = (const unsigned char *)str;
	long cp, min;
	size_t need, i;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xE0) == 0xC0) {
		need = 2, cp = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		need = 3, cp = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		need = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (n < need)
		return -1;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*len = need;
	return cp;
}

int text_is_unsafe(long cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

int text_cp_width(long cp)
{
	int w = wcwidth((wchar_t)cp);

	/* In the C locale wcwidth knows only ASCII; one column is the best guess for the rest. */
	return w < 0 ? 1 : w;
}

size_t text_width(const char *s)
{
	size_t n = strlen(s), w = 0, len;

	while (n) {
		long cp = text_utf8_next(s, n, &len);

		w += (size_t)text_cp_width(cp < 0 ? '?' : cp);
		s += len;
		n -= len;
	}
	return w;
}

/* Append the bytes of `cp` (a valid code point) to `out`. */
static char *put_utf8(char *out, long cp)
{
	if (cp < 0x80) {
		*out++ = (char)cp;
	} else if (cp < 0x800) {
		*out++ = (char)(0xC0 | (cp >> 6));
		*out++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*out++ = (char)(0xE0 | (cp >> 12));
		*out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*out++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*out++ = (char)(0xF0 | (cp >> 18));
		*out++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*out++ = (char)(0x80 | (cp & 0x3F));
	}
	return out;
}

char *text_clean(const char *s, int oneline)
{
	size_t n = strlen(s), len;
	/* U+FFFD is 3 bytes for 1 invalid byte; + 3 leaves room for text_truncate's ellipsis. */
	char *out = malloc(n * 3 + 4), *p = out;

	if (!out)
		return NULL;
	while (n) {
		long cp = text_utf8_next(s, n, &len);

		if (cp < 0)
			cp = 0xFFFD;
		else if ((cp == '\n' || cp == '\t') && oneline)
			cp = ' ';
		else if (text_is_unsafe(cp) && cp != '\n' && cp != '\t')
			cp = '?';
		p = put_utf8(p, cp);
		s += len;
		n -= len;
	}
	*p = '\0';
	return out;
}

void text_truncate(char *s, size_t width)
{
	size_t n = strlen(s), w = 0, len, off = 0, cut = 0;

	if (text_width(s) <= width)
		return;
	if (width == 0) {
		*s = '\0';
		return;
	}
	/* Keep what fits in width - 1 columns, then the one-column ellipsis. */
	while (off < n) {
		long cp = text_utf8_next(s + off, n - off, &len);
		int cw = text_cp_width(cp < 0 ? '?' : cp);

		if (w + (size_t)cw > width - 1)
			break;
		w += (size_t)cw;
		off += len;
		cut = off;
	}
	memcpy(s + cut, "\xE2\x80\xA6", 4);
}
