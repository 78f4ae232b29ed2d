/*-------------------------------------------------------------------------
 *
 * fuzz_seg.c
 *	  libFuzzer harness of the SMS segment core: counting and smart
 *	  encoding of arbitrary bytes, with the invariants that must hold.
 *
 * Invariants checked (abort on violation):
 *	- segments >= 1; one segment iff the units fit a single message;
 *	  otherwise ceil(units / per-part) <= segments <= units, and for GSM-7
 *	  no part holds fewer than 152 septets but the last;
 *	- 0 < characters <= code units <= 2 * bytes for a non-empty body;
 *	- the cheap count, seg_is_gsm7 and the non-GSM list agree with it;
 *	- smart_encode leaves GSM-7 text alone, is idempotent, changes a body
 *	  only into GSM-7 that costs no more segments, and never grows it past
 *	  twice its bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "seg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) \
	do { if (!(cond)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); abort(); } } while (0)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Counting invariants of one body. */
static void
check_count(const char *s, size_t len)
{
	SegInfo		info;
	int64_t		single;
	int64_t		multi;

	seg_count(s, len, &info);
	single = info.encoding == SEG_GSM7 ? SEG_GSM7_SINGLE : SEG_UCS2_SINGLE;
	multi = info.encoding == SEG_GSM7 ? SEG_GSM7_MULTI : SEG_UCS2_MULTI;
	CHECK(info.segments >= 1);
	if (info.code_units <= single)
		CHECK(info.segments == 1);
	else
	{
		CHECK(info.segments >= (info.code_units + multi - 1) / multi);
		CHECK(info.segments <= info.code_units);
		if (info.encoding == SEG_GSM7)
			CHECK(info.segments <= (info.code_units + 151) / 152);
	}
	CHECK(len == 0 ? info.characters == 0 : info.characters > 0);
	CHECK(info.characters <= info.code_units);
	CHECK(info.code_units <= 2 * (int64_t) len);
	CHECK(seg_count_segments(s, len) == info.segments);
	CHECK(seg_is_gsm7(s, len) == (info.encoding == SEG_GSM7));
	CHECK((info.n_non_gsm == 0) == (info.encoding == SEG_GSM7));
	for (int i = 0; i < info.n_non_gsm; i++)
	{
		CHECK(info.non_gsm[i][0] != '\0');
		CHECK(!seg_is_gsm7(info.non_gsm[i], strlen(info.non_gsm[i])));
		if (i > 0)
			CHECK(strcmp(info.non_gsm[i], info.non_gsm[i - 1]) != 0);
	}
	seg_info_free(&info);
}

/* Smart encoding invariants of one body. */
static void
check_smart(const char *s, size_t len)
{
	size_t		n1;
	size_t		n2;
	char	   *once = seg_smart_encode(s, len, &n1);
	char	   *twice = seg_smart_encode(once, n1, &n2);
	bool		changed = n1 != len || memcmp(once, s, len) != 0;

	CHECK(once[n1] == '\0');
	CHECK(n2 == n1 && memcmp(once, twice, n1) == 0);
	if (seg_is_gsm7(s, len))
		CHECK(!changed);
	if (changed)
	{
		CHECK(seg_is_gsm7(once, n1));
		CHECK(seg_count_segments(once, n1) <= seg_count_segments(s, len));
	}
	CHECK(n1 <= 2 * len);
	check_count(once, n1);
	ts_free(once);
	ts_free(twice);
}

/* One input: count it and smart-encode it, checking every invariant. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data;

	check_count(s, size);
	check_smart(s, size);
	return 0;
}
