/*-------------------------------------------------------------------------
 *
 * test_seg.c
 *	  Unit tests of the SMS segment core (src/core/seg*.c): segment
 *	  boundaries, Twilio's published calculator cases, grapheme clusters
 *	  against Unicode's own GraphemeBreakTest.txt, and smart encoding.
 *
 * GraphemeBreakTest.txt comes from Debian's unicode-data package
 * (scripts/install-deps.sh); SEG_UCD_DIR overrides /usr/share/unicode.
 *
 *-------------------------------------------------------------------------
 */
#include "seg.h"
#include "unit.h"

#include <stdlib.h>

/* Scratch strings: a ring, so a few may be alive in one expression. */
#define NSCRATCH 8
static char *scratch[NSCRATCH];
static int	scratch_next;

/* A fresh scratch buffer of size bytes, zeroed. */
static char *
scratch_alloc(size_t size)
{
	char	  **slot = &scratch[scratch_next++ % NSCRATCH];

	free(*slot);
	*slot = calloc(1, size);
	return *slot;
}

/* n copies of unit, concatenated. */
static char *
rep(const char *unit, int n)
{
	size_t		ul = strlen(unit);
	char	   *buf = scratch_alloc(ul * (size_t) n + 1);

	for (int i = 0; i < n; i++)
		memcpy(buf + ul * (size_t) i, unit, ul);
	return buf;
}

/* a, b and c concatenated. */
static char *
cat3(const char *a, const char *b, const char *c)
{
	char	   *buf = scratch_alloc(strlen(a) + strlen(b) + strlen(c) + 1);

	strcat(strcat(strcpy(buf, a), b), c);
	return buf;
}

/* Count s and check encoding, segments, characters and code units. */
static void
expect(const char *label, const char *s, size_t len, SegEncoding enc,
	   int64_t segments, int64_t characters, int64_t units)
{
	SegInfo		info;
	int			before = unit_failed;

	seg_count(s, len, &info);
	UNIT_EQ_INT(info.encoding, enc);
	UNIT_EQ_INT(info.segments, segments);
	UNIT_EQ_INT(info.characters, characters);
	UNIT_EQ_INT(info.code_units, units);
	UNIT_EQ_INT(seg_count_segments(s, len), info.segments);
	UNIT_EQ_INT(seg_is_gsm7(s, len), enc == SEG_GSM7);
	UNIT_EQ_INT(info.n_non_gsm == 0, enc == SEG_GSM7);
	if (unit_failed != before)
		fprintf(stderr, "  ^ in case: %s\n", label);
	seg_info_free(&info);
}

/* expect() on a NUL-terminated string. */
static void
expect_s(const char *label, const char *s, SegEncoding enc,
		 int64_t segments, int64_t characters, int64_t units)
{
	expect(label, s, strlen(s), enc, segments, characters, units);
}

/* GSM-7: 160 in one, 153 per part, extension table costs 2 and never splits. */
static void
test_gsm7_boundaries(void)
{
	expect_s("empty body", "", SEG_GSM7, 1, 0, 0);
	expect_s("160 septets", rep("a", 160), SEG_GSM7, 1, 160, 160);
	expect_s("161 septets", rep("a", 161), SEG_GSM7, 2, 161, 161);
	expect_s("153*2", rep("a", 306), SEG_GSM7, 2, 306, 306);
	expect_s("153*2+1", rep("a", 307), SEG_GSM7, 3, 307, 307);
	expect_s("80 braces = 160", rep("{", 80), SEG_GSM7, 1, 80, 160);
	expect_s("81 braces", rep("{", 81), SEG_GSM7, 2, 81, 162);
	expect_s("euro costs 2", "\xe2\x82\xac", SEG_GSM7, 1, 1, 2);
	expect_s("form feed costs 2", "\f", SEG_GSM7, 1, 1, 2);
	expect_s("all of the extension table", "^{}\\[~]|\xe2\x82\xac", SEG_GSM7, 1, 9, 18);
	expect_s("Latin-1 and Greek of the basic table",
			 "@\xc2\xa3$\xc2\xa5\xc3\xa8\xc3\xa9\xc3\xb9\xc3\xac\xc3\xb2\xc3\x87"
			 "\xc3\x98\xc3\xb8\xc3\x85\xc3\xa5\xce\x94_\xce\xa6\xce\x93\xce\x9b"
			 "\xce\xa9\xce\xa0\xce\xa8\xce\xa3\xce\x98\xce\x9e\xc3\x86\xc3\xa6"
			 "\xc3\x9f\xc3\x89\xc2\xa4\xc2\xa1\xc3\x84\xc3\x96\xc3\x91\xc3\x9c"
			 "\xc2\xa7\xc2\xbf\xc3\xa4\xc3\xb6\xc3\xb1\xc3\xbc\xc3\xa0",
			 SEG_GSM7, 1, 42, 42);
	/* 152 + {: the escape pair cannot straddle 153, so it starts part 2. */
	expect_s("escape straddles 153", cat3(rep("a", 152), "{", ""), SEG_GSM7, 1, 153, 154);
	{
		char	   *head = strdup(cat3(rep("a", 152), "{", ""));

		expect_s("escape moved makes a third part", cat3(head, rep("a", 152), ""),
				 SEG_GSM7, 3, 305, 306);
		expect_s("escape moved, still two parts", cat3(head, rep("a", 151), ""),
				 SEG_GSM7, 2, 304, 305);
		free(head);
	}
	/* Twilio calculator: escape first, 159 septets more. */
	expect_s("twilio: { + 158", cat3("{", rep("1", 158), ""), SEG_GSM7, 1, 159, 160);
	expect_s("twilio: { + 159", cat3("{", rep("1", 159), ""), SEG_GSM7, 2, 160, 161);
}

/* CR, LF and CRLF: CRLF is 2 septets and 2 characters, kept in one part. */
static void
test_crlf(void)
{
	char	   *head = strdup(rep("a", 152));

	expect_s("twilio: CR and CRLF", "\rabcde\r\n123", SEG_GSM7, 1, 11, 11);
	expect_s("twilio: LF style", "\nabcde\n\n123\n", SEG_GSM7, 1, 12, 12);
	expect_s("CRLF straddles 153", cat3(head, "\r\n", rep("a", 152)), SEG_GSM7, 3, 306, 306);
	expect_s("LF CR does not join", cat3(head, "\n\r", rep("a", 152)), SEG_GSM7, 2, 306, 306);
	expect_s("CRLF in UCS-2 stays whole", cat3(rep("\xc3\xa7", 66), "\r\n", rep("\xc3\xa7", 66)),
			 SEG_UCS2, 3, 134, 134);
	free(head);
}

/* UCS-2: 70 in one, 67 per part, UTF-16 units, extension chars cost 1. */
static void
test_ucs2_boundaries(void)
{
	const char *c = "\xc3\xa7";	/* ç: not GSM-7 (only Ç is) */

	expect_s("70 UCS-2", rep(c, 70), SEG_UCS2, 1, 70, 70);
	expect_s("71 UCS-2", rep(c, 71), SEG_UCS2, 2, 71, 71);
	expect_s("67*2", rep(c, 134), SEG_UCS2, 2, 134, 134);
	expect_s("67*2+1", rep(c, 135), SEG_UCS2, 3, 135, 135);
	expect_s("tab is not GSM-7", "a\tb", SEG_UCS2, 1, 3, 3);
	expect_s("backtick is not GSM-7", "`", SEG_UCS2, 1, 1, 1);
	expect_s("curly quote", "\xe2\x80\x9c", SEG_UCS2, 1, 1, 1);
	/* Twilio calculator cases (TwilioDevEd/message-segment-calculator tests). */
	expect_s("twilio: emoji + 68", cat3("\xf0\x9f\x98\x9c", rep("2", 68), ""), SEG_UCS2, 1, 69, 70);
	expect_s("twilio: emoji + 69", cat3("\xf0\x9f\x98\x9c", rep("2", 69), ""), SEG_UCS2, 2, 70, 71);
	expect_s("twilio: emoji + 133", cat3("\xf0\x9f\x98\x9c", rep("2", 133), ""), SEG_UCS2, 3, 134, 135);
	expect_s("twilio: 68 ] after emoji", cat3("\xf0\x9f\x98\x80", rep("]", 68), ""), SEG_UCS2, 1, 69, 70);
	expect_s("twilio: 69 ] after emoji", cat3("\xf0\x9f\x98\x80", rep("]", 69), ""), SEG_UCS2, 2, 70, 71);
	expect_s("twilio: flag + 66", cat3("\xf0\x9f\x87\xae\xf0\x9f\x87\xb9", rep("2", 66), ""),
			 SEG_UCS2, 1, 67, 70);
	expect_s("twilio: flag + 67", cat3("\xf0\x9f\x87\xae\xf0\x9f\x87\xb9", rep("2", 67), ""),
			 SEG_UCS2, 2, 68, 71);
	expect_s("twilio: rainbow flag + 64",
			 cat3("\xf0\x9f\x8f\xb3\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x8c\x88", rep("2", 64), ""),
			 SEG_UCS2, 1, 65, 70);
	expect_s("twilio: rainbow flag + 65",
			 cat3("\xf0\x9f\x8f\xb3\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x8c\x88", rep("2", 65), ""),
			 SEG_UCS2, 2, 66, 71);
	expect_s("twilio: triple accent + 66", cat3("e\xcc\x81\xcc\x81\xcc\x81", rep("a", 66), ""),
			 SEG_UCS2, 1, 67, 70);
	expect_s("twilio: triple accent + 67", cat3("e\xcc\x81\xcc\x81\xcc\x81", rep("a", 67), ""),
			 SEG_UCS2, 2, 68, 71);
}

/* Clusters and surrogate pairs at the 67 boundary move whole to the next part. */
static void
test_clusters_at_67(void)
{
	const char *c = "\xc3\xa7";
	const char *family = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7";
	const char *us = "\xf0\x9f\x87\xba\xf0\x9f\x87\xb8";
	const char *thumb = "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd";	/* skin tone */
	char	   *head = strdup(rep(c, 65));
	char	   *head66 = strdup(rep(c, 66));

	expect_s("family is one character of 8 units", family, SEG_UCS2, 1, 1, 8);
	expect_s("family fits exactly", cat3(head, family, rep(c, 59)), SEG_UCS2, 2, 125, 132);
	expect_s("family moves to part 2", cat3(head, family, rep(c, 60)), SEG_UCS2, 3, 126, 133);
	expect_s("flag moves to part 2", cat3(head66, us, rep(c, 64)), SEG_UCS2, 3, 131, 134);
	expect_s("surrogate pair never split", cat3(head66, "\xf0\x9f\x98\x9c", rep(c, 66)),
			 SEG_UCS2, 3, 133, 134);
	expect_s("skin tone stays with its emoji", cat3(head66, thumb, rep(c, 64)), SEG_UCS2, 3, 131, 134);
	expect_s("combining mark stays with its base", cat3(head66, "e\xcc\x81", rep(c, 66)),
			 SEG_UCS2, 3, 133, 134);
	expect_s("two flags are two characters", "\xf0\x9f\x87\xba\xf0\x9f\x87\xb8\xf0\x9f\x87\xae\xf0\x9f\x87\xb9",
			 SEG_UCS2, 1, 2, 8);
	expect_s("odd regional indicator", "\xf0\x9f\x87\xba\xf0\x9f\x87\xb8\xf0\x9f\x87\xae",
			 SEG_UCS2, 1, 2, 6);
	expect_s("keycap with variation selector", "1\xef\xb8\x8f\xe2\x83\xa3", SEG_UCS2, 1, 1, 3);
	expect_s("tag sequence flag (Scotland)",
			 "\xf0\x9f\x8f\xb4\xf3\xa0\x81\xa7\xf3\xa0\x81\xa2\xf3\xa0\x81\xb3\xf3\xa0\x81\xa3"
			 "\xf3\xa0\x81\xb4\xf3\xa0\x81\xbf", SEG_UCS2, 1, 1, 14);
	expect_s("Hangul jamo L V T", "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", SEG_UCS2, 1, 1, 3);
	expect_s("Hangul syllable + T", "\xed\x95\x98\xe1\x86\xab", SEG_UCS2, 1, 1, 2);
	/* One cluster longer than a part: split at code points (67 + 34). */
	expect_s("oversized cluster", cat3("a", rep("\xcc\x81", 100), ""), SEG_UCS2, 2, 1, 101);
	free(head);
	free(head66);
}

/* The non-GSM list: distinct clusters in first-seen order. */
static void
test_non_gsm_list(void)
{
	SegInfo		info;
	const char *s = "Hi \xe2\x80\x9cthere\xe2\x80\x9d \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd \xe2\x80\x9c ok";

	seg_count(s, strlen(s), &info);
	UNIT_EQ_INT(info.n_non_gsm, 3);
	if (info.n_non_gsm == 3)
	{
		UNIT_EQ_STR(info.non_gsm[0], "\xe2\x80\x9c");
		UNIT_EQ_STR(info.non_gsm[1], "\xe2\x80\x9d");
		UNIT_EQ_STR(info.non_gsm[2], "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd");
	}
	seg_info_free(&info);

	/* 300 distinct CJK characters: the set must grow past its first table. */
	{
		char		buf[900];

		for (int i = 0; i < 300; i++)
			seg_utf8_put(0x4E00 + (uint32_t) i, buf + 3 * i);
		seg_count(buf, sizeof(buf), &info);
		UNIT_EQ_INT(info.n_non_gsm, 300);
		UNIT_EQ_INT(info.segments, 5);
		seg_info_free(&info);
	}
}

/* Invalid UTF-8 reads as U+FFFD, one per maximal subpart. */
static void
test_invalid_utf8(void)
{
	SegInfo		info;

	expect("lone 0xFF", "\xff", 1, SEG_UCS2, 1, 1, 1);
	expect("truncated sequence", "\xe2\x82", 2, SEG_UCS2, 1, 1, 1);
	expect("encoded surrogate", "\xed\xa0\x80", 3, SEG_UCS2, 1, 3, 3);
	expect("overlong slash", "\xc0\xaf", 2, SEG_UCS2, 1, 2, 2);
	expect("NUL byte", "a\0b", 3, SEG_UCS2, 1, 3, 3);
	seg_count("\xff", 1, &info);
	UNIT_EQ_INT(info.n_non_gsm, 1);
	if (info.n_non_gsm == 1)
		UNIT_EQ_STR(info.non_gsm[0], "\xef\xbf\xbd");
	seg_info_free(&info);
}

/* smart_encode(in) == want. */
static void
expect_smart(const char *in, const char *want)
{
	size_t		n;
	char	   *out = seg_smart_encode(in, strlen(in), &n);

	UNIT_EQ_STR(out, want);
	UNIT_EQ_INT(n, strlen(want));
	ts_free(out);
}

/* Smart encoding: look-alikes replaced, all or nothing. */
static void
test_smart_encode(void)
{
	size_t		n;
	const SegSmartMap *map = seg_smart_table(&n);
	bool		sorted = true;
	bool		gsm = true;

	for (size_t i = 0; i < n; i++)
	{
		if (i > 0 && map[i - 1].cp >= map[i].cp)
			sorted = false;
		if (!seg_is_gsm7(map[i].to, strlen(map[i].to)) || seg_gsm_septets(map[i].cp) != 0)
			gsm = false;
	}
	UNIT_CHECK(sorted, "smart table sorted by code point");
	UNIT_CHECK(gsm, "smart table maps non-GSM characters to GSM-7 only");

	expect_smart("\xe2\x80\x9cHello\xe2\x80\x9d \xe2\x80\x94 it\xe2\x80\x99s\xe2\x80\xa6",
				 "\"Hello\" - it's...");
	expect_smart("a\xc2\xa0" "b\xe2\x80\x89" "c\xe3\x80\x80" "d", "a b c d");
	expect_smart("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3\xef\xbc\x91\xef\xbc\x92\xef\xbd\x80\xef\xbd\x9b",
				 "ABC12'{");
	expect_smart("zero\xe2\x80\x8bwidth\xe2\x80\x8c\xe2\x80\x8d\xef\xbb\xbf", "zerowidth");
	expect_smart("\xe2\x80\xa2 one\n\xe2\x80\xa2 two", "- one\n- two");
	expect_smart("\xc2\xbd cup, 1\xc2\xbd cups, \xe2\x85\x93", "1/2 cup, 1 1/2 cups, 1/3");
	expect_smart("caf" "e\xcc\x81 Nin\xcc\x83o", "caf\xc3\xa9 Ni\xc3\xb1o");
	expect_smart("a\tb", "a b");
	expect_smart("\xe2\x80\xb9x\xe2\x80\xba \xe2\x88\x92" "5", "<x> -5");
	/* Untouched: GSM-7 already, or something without a GSM-7 equivalent. */
	expect_smart("plain {GSM} text \xe2\x82\xac", "plain {GSM} text \xe2\x82\xac");
	expect_smart("\xe2\x80\x9cHi\xe2\x80\x9d \xf0\x9f\x98\x80", "\xe2\x80\x9cHi\xe2\x80\x9d \xf0\x9f\x98\x80");
	expect_smart("\xc3\xa1rbol \xe2\x80\x94", "\xc3\xa1rbol \xe2\x80\x94");
	expect_smart("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9");
	expect_smart("", "");
	/* Refused when it would cost more segments: 70 ellipses = 1 vs 2. */
	{
		char	   *many = strdup(rep("\xe2\x80\xa6", 70));

		expect_smart(many, many);
		free(many);
		many = strdup(rep(".", 30));
		expect_smart(rep("\xe2\x80\xa6", 10), many);
		free(many);
	}
	/* After smart encoding, a body of look-alikes counts as GSM-7. */
	{
		const char *in = "\xe2\x80\x98Tis the season\xe2\x80\x94" "50\xef\xbc\x85 off\xe2\x80\xa6";
		char	   *out = seg_smart_encode(in, strlen(in), &n);

		UNIT_CHECK(seg_is_gsm7(out, n), "look-alikes only: GSM-7 after smart_encode");
		ts_free(out);
	}
}

/* Parse one GraphemeBreakTest.txt line; returns the code point count (0 = none). */
static int
gbt_parse(const char *line, uint32_t *cps, bool *brk_before, int max)
{
	int			n = 0;
	const char *p = line;
	bool		pending = false;

	while (*p && *p != '#' && n < max)
	{
		if (strncmp(p, "\xc3\xb7", 2) == 0)		/* ÷ */
		{
			pending = true;
			p += 2;
		}
		else if (strncmp(p, "\xc3\x97", 2) == 0)	/* × */
		{
			pending = false;
			p += 2;
		}
		else if ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F'))
		{
			char	   *end;

			cps[n] = (uint32_t) strtoul(p, &end, 16);
			brk_before[n++] = pending;
			p = end;
		}
		else
			p++;
	}
	return n;
}

/* Every case of Unicode's GraphemeBreakTest.txt, boundary by boundary. */
static void
test_unicode_grapheme_conformance(void)
{
	const char *dir = getenv("SEG_UCD_DIR") ? getenv("SEG_UCD_DIR") : "/usr/share/unicode";
	char		path[512];
	char		line[2048];
	FILE	   *f;
	int			cases = 0;
	int			bad = 0;

	snprintf(path, sizeof(path), "%s/auxiliary/GraphemeBreakTest.txt", dir);
	f = fopen(path, "r");
	UNIT_CHECK(f != NULL, "GraphemeBreakTest.txt readable (apt-get install unicode-data)");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
	{
		uint32_t	cps[64];
		bool		want[64];
		int			n = gbt_parse(line, cps, want, 64);
		SegGbState	st;
		bool		ok = true;

		if (n == 0)
			continue;
		seg_gb_init(&st);
		for (int i = 0; i < n; i++)
			ok &= (seg_gb_break(&st, cps[i]) == want[i]);
		cases++;
		if (!ok && bad++ < 5)
			fprintf(stderr, "grapheme break mismatch: %s", line);
	}
	fclose(f);
	UNIT_CHECK(cases > 500, "GraphemeBreakTest.txt has its cases");
	UNIT_EQ_INT(bad, 0);
	printf("grapheme conformance: %d cases, Unicode %s table\n", cases, seg_unicode_version());
}

/* Run every group; UNIT_DONE prints the summary line. */
int
main(void)
{
	test_gsm7_boundaries();
	test_crlf();
	test_ucs2_boundaries();
	test_clusters_at_67();
	test_non_gsm_list();
	test_invalid_utf8();
	test_smart_encode();
	test_unicode_grapheme_conformance();
	for (int i = 0; i < NSCRATCH; i++)
		free(scratch[i]);
	UNIT_DONE();
}
