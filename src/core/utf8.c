/*-------------------------------------------------------------------------
 *
 * utf8.c
 *	  Pure core: UTF-8 hygiene for bytes that come from outside (provider
 *	  responses, libcurl's error buffer) and end up in text columns.
 *
 * Well-formed sequences are those of the Unicode standard (Table 3-7: no
 * overlongs, no surrogates, nothing above U+10FFFF).  Each maximal ill-formed
 * subpart becomes one U+FFFD, the practice the standard recommends, so a
 * cut sequence costs one replacement character and a stray byte another.
 * Must not: allocate except through TsBuf, read past the given length, or
 * ever produce output that is not valid UTF-8.
 *
 *-------------------------------------------------------------------------
 */
#include "core.h"

#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD"	/* U+FFFD */

/*
 * Length (1..4) of the well-formed sequence at s[0..len), or 0 when there is
 * none; then *bad is the length of the maximal ill-formed subpart (>= 1).
 */
static size_t
seq_len(const unsigned char *s, size_t len, size_t *bad)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	size_t		n;

	*bad = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		lo = c == 0xE0 ? 0xA0 : 0x80;	/* no overlongs */
		hi = c == 0xED ? 0x9F : 0xBF;	/* no surrogates */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;	/* nothing above U+10FFFF */
	}
	else
		return 0;
	for (size_t i = 1; i < n; i++)
	{
		if (i >= len || s[i] < lo || s[i] > hi)
		{
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return n;
}

/* Is s[0..len) valid UTF-8 (a NUL byte counts as valid)? */
bool
ts_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t		i = 0;
	size_t		bad;

	while (i < len)
	{
		size_t		n = seq_len(u + i, len - i, &bad);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* Encode cp as UTF-8 into out (4 bytes of room), U+FFFD for a surrogate or past U+10FFFF; the byte count. */
int
ts_utf8_put(uint32_t cp, char *out)
{
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xC0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xE0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char) (0xF0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/* Append s[0..len) to b, every ill-formed subpart replaced by U+FFFD. */
void
tsbuf_append_utf8(TsBuf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t		i = 0;
	size_t		run = 0;		/* start of the current run of good bytes */
	size_t		bad;

	while (i < len)
	{
		size_t		n = seq_len(u + i, len - i, &bad);

		if (n > 0)
		{
			i += n;
			continue;
		}
		tsbuf_append(b, s + run, i - run);
		tsbuf_append(b, REPLACEMENT, 3);
		i += bad;
		run = i;
	}
	tsbuf_append(b, s + run, i - run);
}

/*
 * Copy src[0..len) (up to a NUL) into dst, size bytes with its NUL, as valid
 * UTF-8: ill-formed subparts become U+FFFD, and the copy stops before a
 * character that does not fit whole.  ascii_only (for a database whose
 * encoding is neither UTF-8 nor SQL_ASCII) puts '?' for every non-ASCII
 * character and every ill-formed subpart.  Returns the bytes written.
 */
size_t
ts_utf8_copy(char *dst, size_t size, const char *src, size_t len, bool ascii_only)
{
	const unsigned char *u = (const unsigned char *) src;
	size_t		i = 0;
	size_t		o = 0;
	size_t		bad;

	if (size == 0)
		return 0;
	while (i < len && u[i] != '\0')
	{
		size_t		n = seq_len(u + i, len - i, &bad);
		const char *put = n > 0 ? src + i : REPLACEMENT;
		size_t		put_len = n > 0 ? n : 3;

		if (ascii_only && put_len > 1)
		{
			put = "?";
			put_len = 1;
		}
		if (o + put_len > size - 1)
			break;
		memcpy(dst + o, put, put_len);
		o += put_len;
		i += n > 0 ? n : bad;
	}
	dst[o] = '\0';
	return o;
}
