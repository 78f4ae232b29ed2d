/*-------------------------------------------------------------------------
 *
 * seg_grapheme.c
 *	  UTF-8 decoding and extended grapheme cluster boundaries (UAX #29) for
 *	  the segment counter.
 *
 * Implements rules GB3..GB13 of the Unicode version seg_unicode.h was
 * generated from, checked against that version's GraphemeBreakTest.txt
 * (test/unit/test_seg.c).  Decoding never fails: each maximal invalid
 * subsequence reads as one U+FFFD, as the WHATWG and Unicode recommend.
 *
 * Pure core: no allocation, no server headers.  Must not know about GSM-7
 * or segments; that is seg.c.
 *
 *-------------------------------------------------------------------------
 */
#include "seg.h"
#include "seg_unicode.h"

#define HANGUL_FIRST	0xAC00
#define HANGUL_LAST		0xD7A3
#define HANGUL_TCOUNT	28

/* Decode the code point at *pos and advance; invalid UTF-8 gives U+FFFD. */
uint32_t
seg_utf8_next(const char *str, size_t len, size_t *pos)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t		i = *pos;
	unsigned int c = s[i];
	unsigned int lo = 0x80;
	unsigned int hi = 0xBF;
	uint32_t	cp;
	int			more;

	if (c < 0x80)
	{
		*pos = i + 1;
		return c;
	}
	if (c >= 0xC2 && c <= 0xDF)
	{
		more = 1;
		cp = c & 0x1F;
	}
	else if (c >= 0xE0 && c <= 0xEF)
	{
		more = 2;
		cp = c & 0x0F;
		lo = (c == 0xE0) ? 0xA0 : 0x80;		/* no overlong forms */
		hi = (c == 0xED) ? 0x9F : 0xBF;		/* no surrogates */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		more = 3;
		cp = c & 0x07;
		lo = (c == 0xF0) ? 0x90 : 0x80;
		hi = (c == 0xF4) ? 0x8F : 0xBF;		/* nothing past U+10FFFF */
	}
	else
	{
		*pos = i + 1;
		return 0xFFFD;
	}
	i++;
	for (int k = 0; k < more; k++, i++)
	{
		if (i >= len || s[i] < lo || s[i] > hi)
		{
			*pos = i;			/* the maximal subpart so far is one U+FFFD */
			return 0xFFFD;
		}
		cp = (cp << 6) | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*pos = i;
	return cp;
}

/* Encode cp as UTF-8 into out (4 bytes of room); returns the byte count. */
int
seg_utf8_put(uint32_t cp, char *out)
{
	return ts_utf8_put(cp, out);
}

/* Grapheme_Cluster_Break of cp, with the Extended_Pictographic flag. */
uint8_t
seg_gb_prop(uint32_t cp)
{
	size_t		lo = 0;
	size_t		hi = SEG_GB_NRANGES;

	if (cp >= 0x20 && cp < 0x7F)
		return SEG_GB_OTHER;	/* printable ASCII: the common case */
	if (cp >= HANGUL_FIRST && cp <= HANGUL_LAST)
		return ((cp - HANGUL_FIRST) % HANGUL_TCOUNT == 0) ? SEG_GB_LV : SEG_GB_LVT;
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (cp < seg_gb_ranges[mid].first)
			hi = mid;
		else if (cp > seg_gb_ranges[mid].last)
			lo = mid + 1;
		else
			return seg_gb_ranges[mid].prop;
	}
	return SEG_GB_OTHER;
}

/* Start walking a new text. */
void
seg_gb_init(SegGbState *st)
{
	st->prev = SEG_GB_OTHER;
	st->emoji = 0;
	st->started = false;
	st->ri_run = 0;
}

/* Is prop one of Control, CR, LF (rules GB4 and GB5)? */
static bool
is_control(uint8_t prop)
{
	return prop == SEG_GB_CONTROL || prop == SEG_GB_CR || prop == SEG_GB_LF;
}

/* Rules GB3..GB13 for the pair (st->prev, cur); true = boundary. */
static bool
gb_rules(const SegGbState *st, uint8_t cur, bool pict)
{
	uint8_t		prev = st->prev;

	if (prev == SEG_GB_CR && cur == SEG_GB_LF)
		return false;			/* GB3 */
	if (is_control(prev) || is_control(cur))
		return true;			/* GB4, GB5 */
	if (prev == SEG_GB_L &&
		(cur == SEG_GB_L || cur == SEG_GB_V || cur == SEG_GB_LV || cur == SEG_GB_LVT))
		return false;			/* GB6 */
	if ((prev == SEG_GB_LV || prev == SEG_GB_V) && (cur == SEG_GB_V || cur == SEG_GB_T))
		return false;			/* GB7 */
	if ((prev == SEG_GB_LVT || prev == SEG_GB_T) && cur == SEG_GB_T)
		return false;			/* GB8 */
	if (cur == SEG_GB_EXTEND || cur == SEG_GB_ZWJ || cur == SEG_GB_SPACINGMARK)
		return false;			/* GB9, GB9a */
	if (prev == SEG_GB_PREPEND)
		return false;			/* GB9b */
	if (prev == SEG_GB_ZWJ && st->emoji == 2 && pict)
		return false;			/* GB11 */
	if (prev == SEG_GB_RI && cur == SEG_GB_RI && st->ri_run % 2 == 1)
		return false;			/* GB12, GB13 */
	return true;				/* GB999 */
}

/* Feed the next code point; true when a cluster boundary lies before it. */
bool
seg_gb_break(SegGbState *st, uint32_t cp)
{
	uint8_t		full = seg_gb_prop(cp);
	uint8_t		cur = full & SEG_GB_MASK;
	bool		pict = (full & SEG_GB_EXTPICT) != 0;
	bool		brk = st->started ? gb_rules(st, cur, pict) : true;

	/* GB11 tracks ExtPict Extend* ZWJ across the code points it spans. */
	if (pict)
		st->emoji = 1;
	else if (cur == SEG_GB_EXTEND && st->emoji == 1)
		st->emoji = 1;
	else if (cur == SEG_GB_ZWJ && st->emoji == 1)
		st->emoji = 2;
	else
		st->emoji = 0;
	st->ri_run = (cur == SEG_GB_RI) ? st->ri_run + 1 : 0;
	st->prev = cur;
	st->started = true;
	return brk;
}

/* The Unicode version the property table was generated from. */
const char *
seg_unicode_version(void)
{
	return SEG_UNICODE_VERSION;
}
