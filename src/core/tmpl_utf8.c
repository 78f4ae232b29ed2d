/*-------------------------------------------------------------------------
 *
 * tmpl_utf8.c
 *	  UTF-8 for the template filters: decoding code points, counting and
 *	  cutting by characters, Unicode spaces, and upper/lower/capitalize.
 *
 * Case mapping covers ASCII, Latin-1 Supplement, Latin Extended-A, the
 * regular parts of Latin Extended-B and Latin Extended Additional
 * (Vietnamese), Greek, Cyrillic (with Supplement), Armenian and fullwidth
 * Latin; everything else is left as it is.  Bytes that are not valid UTF-8
 * are copied through unchanged and count as one character each: a filter
 * never turns valid text invalid, nor invalid text into a crash.
 *
 *-------------------------------------------------------------------------
 */
#include "tmpl_int.h"

#define INVALID_CP 0xFFFFFFFFu

/* Decode one code point at s; returns the bytes used (1 for an invalid byte, *cp = INVALID_CP). */
int
tmpl_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *) s;
	uint32_t	c = u[0];
	int			n;
	uint32_t	min;

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, c &= 0x1F, min = 0x80;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, c &= 0x0F, min = 0x800;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, c &= 0x07, min = 0x10000;
	else
	{
		*cp = INVALID_CP;
		return 1;
	}
	if ((size_t) n > len)
	{
		*cp = INVALID_CP;
		return 1;
	}
	for (int i = 1; i < n; i++)
	{
		if ((u[i] & 0xC0) != 0x80)
		{
			*cp = INVALID_CP;
			return 1;
		}
		c = (c << 6) | (u[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
	{
		*cp = INVALID_CP;
		return 1;
	}
	*cp = c;
	return n;
}

/* Encode a code point (valid, below 0x110000) into out; returns the byte count. */
static int
utf8_encode(uint32_t c, char *out)
{
	return ts_utf8_put(c, out);
}

/* Number of characters (code points; invalid bytes count one each). */
size_t
tmpl_utf8_count(const char *s, size_t len)
{
	size_t		n = 0;
	uint32_t	cp;

	for (size_t i = 0; i < len; n++)
		i += tmpl_utf8_decode(s + i, len - i, &cp);
	return n;
}

/* Byte length of the first nchars characters of s. */
size_t
tmpl_utf8_prefix(const char *s, size_t len, size_t nchars)
{
	size_t		i = 0;
	uint32_t	cp;

	while (i < len && nchars-- > 0)
		i += tmpl_utf8_decode(s + i, len - i, &cp);
	return i;
}

/* Unicode White_Space (what blank treats as empty). */
bool
tmpl_is_uspace(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 ||
		c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
		c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Blocks where capitals and small letters alternate code point by code point. */
typedef struct CasePairs
{
	uint32_t	lo;
	uint32_t	hi;
	uint32_t	upper_parity;	/* 0: the even code point is the capital; 1: the odd */
} CasePairs;

static const CasePairs case_pairs[] = {
	{0x100, 0x137, 0}, {0x139, 0x148, 1}, {0x14A, 0x177, 0}, {0x179, 0x17E, 1},
	{0x1CD, 0x1DC, 1}, {0x1DE, 0x1EF, 0}, {0x1F8, 0x21F, 0}, {0x222, 0x233, 0},
	{0x246, 0x24F, 0}, {0x370, 0x373, 0}, {0x376, 0x377, 0}, {0x3D8, 0x3EF, 0},
	{0x460, 0x481, 0}, {0x48A, 0x4BF, 0}, {0x4C1, 0x4CE, 1}, {0x4D0, 0x52F, 0},
	{0x1E00, 0x1E95, 0}, {0x1EA0, 0x1EFF, 0},
};

/* Map c within the alternating blocks: to its capital (upper) or small letter. */
static uint32_t
map_pairs(uint32_t c, bool upper)
{
	for (size_t i = 0; i < sizeof(case_pairs) / sizeof(case_pairs[0]); i++)
	{
		const CasePairs *p = &case_pairs[i];

		if (c < p->lo || c > p->hi)
			continue;
		if ((c & 1) == p->upper_parity)
			return upper ? c : c + 1;	/* blocks hold whole pairs */
		return upper ? c - 1 : c;
	}
	return c;
}

/* Simple upper-case mapping of one code point. */
static uint32_t
to_upper(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') ? c - 32 : c;
	if (c < 0x100)
	{
		if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
			return c - 32;
		return c == 0xFF ? 0x178 : c == 0xB5 ? 0x39C : c;
	}
	if (c == 0x131)
		return 'I';
	if (c == 0x17F)
		return 'S';
	if (c >= 0x1C4 && c <= 0x1CC)	/* DŽ Dž dž, LJ Lj lj, NJ Nj nj */
		return c - (c - 0x1C4) % 3;
	if (c >= 0x1F1 && c <= 0x1F3)	/* DZ Dz dz */
		return 0x1F1;
	if ((c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) || (c >= 0x430 && c <= 0x44F))
		return c - 32;
	if (c == 0x3C2)
		return 0x3A3;
	if (c == 0x3AC)
		return 0x386;
	if (c >= 0x3AD && c <= 0x3AF)
		return c - 37;
	if (c == 0x3CC)
		return 0x38C;
	if (c == 0x3CD || c == 0x3CE)
		return c - 63;
	if (c >= 0x450 && c <= 0x45F)
		return c - 80;
	if (c == 0x4CF)
		return 0x4C0;
	if (c >= 0x561 && c <= 0x586)
		return c - 48;
	if (c >= 0xFF41 && c <= 0xFF5A)
		return c - 32;
	return map_pairs(c, true);
}

/* Simple lower-case mapping of one code point. */
static uint32_t
to_lower(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	if (c < 0x100)
		return (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 32 : c;
	if (c == 0x130)
		return 'i';
	if (c == 0x178)
		return 0xFF;
	if (c >= 0x1C4 && c <= 0x1CC)
		return c - (c - 0x1C4) % 3 + 2;
	if (c >= 0x1F1 && c <= 0x1F3)
		return 0x1F3;
	if ((c >= 0x391 && c <= 0x3AB && c != 0x3A2) || (c >= 0x410 && c <= 0x42F))
		return c + 32;
	if (c == 0x386)
		return 0x3AC;
	if (c >= 0x388 && c <= 0x38A)
		return c + 37;
	if (c == 0x38C)
		return 0x3CC;
	if (c == 0x38E || c == 0x38F)
		return c + 63;
	if (c >= 0x400 && c <= 0x40F)
		return c + 80;
	if (c == 0x4C0)
		return 0x4CF;
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	if (c == 0x1E9E)
		return 0xDF;
	if (c >= 0xFF21 && c <= 0xFF3A)
		return c + 32;
	return map_pairs(c, false);
}

/* Append one mapped character; ß upper-cases to "SS" (title case "Ss") as in Ruby. */
static void
append_mapped(TsBuf *dst, const char *orig, int n, uint32_t cp, bool upper, bool title)
{
	uint32_t	m;
	char		enc[4];

	if (cp == INVALID_CP)
	{
		tsbuf_append(dst, orig, n);
		return;
	}
	if (upper && cp == 0xDF)
	{
		tsbuf_append(dst, title ? "Ss" : "SS", 2);
		return;
	}
	m = upper ? to_upper(cp) : to_lower(cp);
	if (m == cp)
		tsbuf_append(dst, orig, n);
	else
		tsbuf_append(dst, enc, utf8_encode(m, enc));
}

/* Append s to dst upper-cased, lower-cased, or capitalized (first upper, rest lower). */
void
tmpl_case_map(TsBuf *dst, const char *s, size_t len, int mode)
{
	bool		first = true;

	for (size_t i = 0; i < len;)
	{
		uint32_t	cp;
		int			n = tmpl_utf8_decode(s + i, len - i, &cp);
		bool		upper = mode == TMPL_CASE_UPPER || (mode == TMPL_CASE_CAPITALIZE && first);

		append_mapped(dst, s + i, n, cp, upper, mode == TMPL_CASE_CAPITALIZE);
		first = false;
		i += n;
	}
}
