/*-------------------------------------------------------------------------
 *
 * seg_smart.c
 *	  Smart encoding: replace Unicode look-alikes by GSM-7 characters so a
 *	  body that only looked non-GSM is sent at 160/153 instead of 70/67.
 *
 * The table is Twilio's published Smart Encoding list (docs/segments.md has
 * it and the few places we differ), plus the look-alikes it misses: the
 * other dashes and minus, bullets, the remaining vulgar fractions, prime
 * marks, invisible format characters.  Decomposed accents whose composed
 * letter is GSM-7 (e + U+0301 = é) are composed.
 *
 * All or nothing, as Twilio does: a body keeping any character without a
 * GSM-7 equivalent (emoji, CJK, á) is returned unchanged, so a body that
 * stays UCS-2 never gets longer.  A replacement that would cost more
 * segments than the original (70 ellipses: 1 UCS-2 segment, 210 septets)
 * is refused the same way.  Characters already in GSM-7 are copied as is.
 *
 * Pure core: allocates the result with ts_alloc; must not count segments
 * itself (seg.c) nor split clusters (seg_grapheme.c).
 *
 *-------------------------------------------------------------------------
 */
#include "seg.h"

#include <string.h>

/* Sorted by code point (checked by the unit test). */
static const SegSmartMap smart_map[] = {
	{0x0009, " "},				/* tab */
	{0x0080, " "}, {0x0085, "\n"}, {0x008D, " "}, {0x0090, " "},
	{0x009B, " "}, {0x009F, " "},
	{0x00A0, " "},				/* no-break space */
	{0x00AB, "\""}, {0x00AD, ""}, {0x00B4, "'"}, {0x00BB, "\""},
	{0x00BC, "1/4"}, {0x00BD, "1/2"}, {0x00BE, "3/4"}, {0x00F7, "/"},
	{0x01C3, "!"}, {0x0262, "G"}, {0x026A, "I"}, {0x0274, "N"},
	{0x0280, "R"}, {0x028F, "Y"}, {0x0299, "B"}, {0x029C, "H"},
	{0x029F, "L"}, {0x02B9, "'"}, {0x02BA, "\""}, {0x02BB, "'"},
	{0x02BC, "'"}, {0x02BD, "'"}, {0x02C6, "^"}, {0x02C8, "'"},
	{0x02CA, "'"}, {0x02CB, "'"}, {0x02D0, ":"}, {0x02D6, "+"},
	{0x02DC, "~"}, {0x02EE, "\""}, {0x02F7, "~"}, {0x02F8, ":"},
	{0x0302, "^"}, {0x0303, "~"}, {0x0313, "'"}, {0x0314, "'"},
	{0x0326, ","}, {0x0330, "~"}, {0x0332, "_"}, {0x0334, "~"},
	{0x0337, "/"}, {0x0338, "/"}, {0x0347, "="},
	{0x180E, ""},				/* Mongolian vowel separator */
	{0x1D00, "A"}, {0x1D04, "C"}, {0x1D05, "D"}, {0x1D07, "E"},
	{0x1D0A, "J"}, {0x1D0B, "K"}, {0x1D0D, "M"}, {0x1D0F, "O"},
	{0x1D18, "P"}, {0x1D1B, "T"}, {0x1D1C, "U"}, {0x1D20, "V"},
	{0x1D21, "W"}, {0x1D22, "Z"}, {0x1DCD, "^"},
	{0x200B, ""}, {0x200C, ""}, {0x200D, ""}, {0x200E, ""}, {0x200F, ""},
	{0x2010, "-"}, {0x2011, "-"}, {0x2012, "-"}, {0x2013, "-"},
	{0x2014, "-"}, {0x2015, "-"}, {0x2017, "_"}, {0x2018, "'"},
	{0x2019, "'"}, {0x201A, ","}, {0x201B, "'"}, {0x201C, "\""},
	{0x201D, "\""}, {0x201E, "\""}, {0x201F, "\""}, {0x2022, "-"},
	{0x2023, "-"}, {0x2024, "."}, {0x2025, ".."}, {0x2026, "..."},
	{0x2028, " "}, {0x2029, " "}, {0x202F, " "}, {0x2032, "'"},
	{0x2033, "\""}, {0x2035, "'"}, {0x2036, "\""}, {0x2039, "<"},
	{0x203A, ">"}, {0x203C, "!!"}, {0x2043, "-"}, {0x2044, "/"},
	{0x2047, "??"}, {0x2048, "?!"}, {0x2049, "!?"}, {0x204E, "*"},
	{0x204F, ";"}, {0x205F, " "}, {0x2060, ""}, {0x2061, ""},
	{0x2062, ""}, {0x2063, ""}, {0x2064, ""}, {0x20D2, "|"},
	{0x20D3, "|"}, {0x20E5, "\\"},
	{0x2150, "1/7"}, {0x2151, "1/9"}, {0x2152, "1/10"}, {0x2153, "1/3"},
	{0x2154, "2/3"}, {0x2155, "1/5"}, {0x2156, "2/5"}, {0x2157, "3/5"},
	{0x2158, "4/5"}, {0x2159, "1/6"}, {0x215A, "5/6"}, {0x215B, "1/8"},
	{0x215C, "3/8"}, {0x215D, "5/8"}, {0x215E, "7/8"}, {0x215F, "1/"},
	{0x2189, "0/3"},
	{0x2212, "-"}, {0x2215, "/"}, {0x2217, "*"}, {0x2219, "-"},
	{0x2223, "|"}, {0x223C, "~"}, {0x229B, "*"}, {0x239C, "|"},
	{0x239F, "|"}, {0x23B8, "|"}, {0x23B9, "|"}, {0x23BC, "-"},
	{0x23BD, "-"}, {0x23D0, "|"}, {0x25E6, "-"},
	{0x2722, "*"}, {0x2723, "*"}, {0x2724, "*"}, {0x2725, "*"},
	{0x2731, "*"}, {0x2732, "*"}, {0x2733, "*"}, {0x273A, "*"},
	{0x273B, "*"}, {0x273C, "*"}, {0x273D, "*"}, {0x2743, "*"},
	{0x2749, "*"}, {0x274A, "*"}, {0x274B, "*"}, {0x275B, "'"},
	{0x275C, "'"}, {0x275D, "\""}, {0x275E, "\""}, {0x2768, "("},
	{0x2769, ")"}, {0x276A, "("}, {0x276B, ")"}, {0x2774, "{"},
	{0x2775, "}"}, {0x27EE, "("}, {0x27EF, ")"}, {0x2982, ":"},
	{0x2985, "("}, {0x2986, ")"}, {0x29C6, "*"}, {0x29F5, "\\"},
	{0x29F8, "/"}, {0x29F9, "\\"},
	{0x3000, " "}, {0x3001, ","}, {0x3002, "."}, {0x301D, "\""},
	{0x301E, "\""},
	{0xA730, "F"}, {0xA731, "S"}, {0xA789, ":"}, {0xA78A, "="},
	{0xFE0E, ""}, {0xFE0F, ""},	/* variation selectors */
	{0xFE10, "'"}, {0xFE11, "'"}, {0xFE13, ":"}, {0xFE14, ";"},
	{0xFE15, "!"}, {0xFE16, "?"}, {0xFE50, ","}, {0xFE51, ","},
	{0xFE52, "."}, {0xFE54, ";"}, {0xFE56, "?"}, {0xFE57, "!"},
	{0xFE58, "-"}, {0xFE59, "("}, {0xFE5A, ")"}, {0xFE5B, "{"},
	{0xFE5C, "}"}, {0xFE5F, "#"}, {0xFE60, "&"}, {0xFE61, "*"},
	{0xFE62, "+"}, {0xFE63, "-"}, {0xFE64, "<"}, {0xFE65, ">"},
	{0xFE66, "="}, {0xFE68, "\\"}, {0xFE69, "$"}, {0xFE6A, "%"},
	{0xFE6B, "@"}, {0xFEFF, ""},	/* byte order mark / ZWNBSP */
	{0xFF61, "."}, {0xFF64, ","},
};

#define SMART_NMAP (sizeof(smart_map) / sizeof(smart_map[0]))

/* A decomposed accent whose composed letter is GSM-7. */
typedef struct SmartCompose
{
	char		base;
	uint16_t	mark;
	uint16_t	composed;
} SmartCompose;

static const SmartCompose smart_compose[] = {
	{'a', 0x300, 0xE0}, {'e', 0x300, 0xE8}, {'i', 0x300, 0xEC},
	{'o', 0x300, 0xF2}, {'u', 0x300, 0xF9}, {'e', 0x301, 0xE9},
	{'E', 0x301, 0xC9}, {'N', 0x303, 0xD1}, {'n', 0x303, 0xF1},
	{'A', 0x308, 0xC4}, {'O', 0x308, 0xD6}, {'U', 0x308, 0xDC},
	{'a', 0x308, 0xE4}, {'o', 0x308, 0xF6}, {'u', 0x308, 0xFC},
	{'A', 0x30A, 0xC5}, {'a', 0x30A, 0xE5}, {'C', 0x327, 0xC7},
};

/* The replacement table, for the unit test's ordering and GSM-7-only checks. */
const SegSmartMap *
seg_smart_table(size_t *n)
{
	*n = SMART_NMAP;
	return smart_map;
}

/* The GSM-7 replacement for a non-GSM cp, or NULL when there is none. */
static const char *
smart_lookup(uint32_t cp, char *tmp)
{
	size_t		lo = 0;
	size_t		hi = SMART_NMAP;

	if (cp >= 0xFF01 && cp <= 0xFF5E)
	{
		/* fullwidth ASCII; ` is not GSM-7, Twilio makes it ' */
		tmp[0] = (cp == 0xFF40) ? '\'' : (char) (cp - 0xFEE0);
		tmp[1] = '\0';
		return tmp;
	}
	if (cp >= 0x2000 && cp <= 0x200A)
		return " ";				/* en quad .. hair space */
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
	{
		if (cp != 0x09 && cp != 0x80 && cp != 0x85 && cp != 0x8D &&
			cp != 0x90 && cp != 0x9B && cp != 0x9F)
			return "";			/* other controls are invisible: drop */
	}
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (cp == smart_map[mid].cp)
			return smart_map[mid].to;
		if (cp < smart_map[mid].cp)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* The GSM-7 letter base+mark composes to, or 0. */
static uint32_t
smart_composed(uint32_t base, uint32_t mark)
{
	for (size_t i = 0; i < sizeof(smart_compose) / sizeof(smart_compose[0]); i++)
	{
		if ((uint32_t) smart_compose[i].base == base && smart_compose[i].mark == mark)
			return smart_compose[i].composed;
	}
	return 0;
}

/* Is c an ASCII digit (a fraction after one gets a space: "1 1/2")? */
static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Build the replaced text into out; false as soon as a character has no
 * GSM-7 equivalent.
 */
static bool
smart_replace(const char *s, size_t len, TsBuf *out)
{
	size_t		pos = 0;
	uint32_t	base = 0;		/* last copied ASCII letter, for composing */

	while (pos < len)
	{
		size_t		at = pos;
		uint32_t	cp = seg_utf8_next(s, len, &pos);
		char		tmp[2];
		const char *to;
		uint32_t	composed;

		if (seg_gsm_septets(cp) > 0)
		{
			tsbuf_append(out, s + at, pos - at);
			base = cp;
			continue;
		}
		if (base != 0 && (composed = smart_composed(base, cp)) != 0)
		{
			char		utf8[4];

			out->len--;			/* the ASCII base letter */
			tsbuf_append(out, utf8, (size_t) seg_utf8_put(composed, utf8));
			base = 0;
			continue;
		}
		base = 0;
		if ((to = smart_lookup(cp, tmp)) == NULL)
			return false;
		if (strchr(to, '/') && to[1] != '\0' && out->len > 0 && is_digit(out->data[out->len - 1]))
			tsbuf_appendc(out, ' ');
		tsbuf_appends(out, to);
	}
	return true;
}

/* Replace look-alikes by GSM-7 characters; all or nothing (see seg.h). */
char *
seg_smart_encode(const char *s, size_t len, size_t *out_len)
{
	TsBuf		out;

	tsbuf_init(&out);
	tsbuf_append(&out, "", 0);	/* never hand back NULL */
	if (!seg_is_gsm7(s, len) &&
		smart_replace(s, len, &out) &&
		seg_count_segments(out.data, out.len) <= seg_count_segments(s, len))
	{
		*out_len = out.len;
		return out.data;
	}
	out.len = 0;
	tsbuf_append(&out, s, len);
	*out_len = out.len;
	return out.data;
}
