/*-------------------------------------------------------------------------
 *
 * seg.c
 *	  Counting SMS segments: the GSM 03.38 alphabet, the choice between
 *	  GSM-7 and UCS-2, and packing the body into 160/153 or 70/67 parts.
 *
 * The rules are Twilio's (docs/segments.md):
 *	- Every character GSM-7: septets, the extension table costing 2 (ESC +
 *	  code), 160 in one segment, 153 per part when concatenated.
 *	- Any other character: the whole body is UCS-2, counted in UTF-16 units
 *	  (2 outside the BMP, 1 for an extension character), 70 or 67.
 *	- Nothing indivisible is split across parts: an escape pair, a surrogate
 *	  pair, CRLF, an extended grapheme cluster.  An item that does not fit in
 *	  what is left of a part starts the next one.  A cluster longer than a
 *	  whole part (zalgo text) is split at code point boundaries.
 *	- An empty body is 1 segment, as in Twilio's calculator.
 *
 * Pure core: allocates only for the non-GSM list of seg_count; the cheap
 * seg_count_segments allocates nothing.  Must not rewrite text (that is
 * seg_smart.c) nor know cluster rules (seg_grapheme.c).
 *
 *-------------------------------------------------------------------------
 */
#include "seg.h"

#include <string.h>

/*
 * GSM 03.38 default alphabet for code points below 0x80: 1 basic, 2 extension
 * table, 0 not representable.  ASCII is all GSM-7 except the controls (but LF,
 * FF and CR), the backtick and DEL; ^ { } \ [ ~ ] | need the escape.
 */
static const uint8_t gsm_ascii[128] = {
	/* 0x00 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 1, 0, 0,
	/* 0x10 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x20 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x30 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x40 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x50 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1,
	/* 0x60 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x70 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0,
};

/* The rest of the basic table: Latin-1 letters and signs, Greek capitals. */
static const uint16_t gsm_other[] = {
	0x00A1, 0x00A3, 0x00A4, 0x00A5, 0x00A7, 0x00BF, 0x00C4, 0x00C5,
	0x00C6, 0x00C7, 0x00C9, 0x00D1, 0x00D6, 0x00D8, 0x00DC, 0x00DF,
	0x00E0, 0x00E4, 0x00E5, 0x00E6, 0x00E8, 0x00E9, 0x00EC, 0x00F1,
	0x00F2, 0x00F6, 0x00F8, 0x00F9, 0x00FC, 0x0393, 0x0394, 0x0398,
	0x039B, 0x039E, 0x03A0, 0x03A3, 0x03A6, 0x03A8, 0x03A9,
};

#define EURO_SIGN 0x20AC		/* the only extension character above ASCII */

/* Septets one code point costs in GSM-7: 1 basic, 2 extension, 0 not GSM-7. */
int
seg_gsm_septets(uint32_t cp)
{
	size_t		lo = 0;
	size_t		hi = sizeof(gsm_other) / sizeof(gsm_other[0]);

	if (cp < 0x80)
		return gsm_ascii[cp];
	if (cp == EURO_SIGN)
		return 2;
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (cp == gsm_other[mid])
			return 1;
		if (cp < gsm_other[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* "GSM-7" or "UCS-2". */
const char *
seg_encoding_name(SegEncoding enc)
{
	return enc == SEG_GSM7 ? "GSM-7" : "UCS-2";
}

/* ---- packing ---------------------------------------------------------- */

/* Units placed so far, and how many parts a concatenated message needs. */
typedef struct SegPack
{
	int64_t		units;
	int64_t		parts;
	int64_t		used;			/* units in the current part */
	int			cap;			/* units per concatenated part */
} SegPack;

/* Start packing with cap units per concatenated part. */
static void
pack_init(SegPack *p, int cap)
{
	p->units = 0;
	p->parts = 1;
	p->used = 0;
	p->cap = cap;
}

/* Place an indivisible item of size units (size <= cap): it moves whole. */
static void
pack_item(SegPack *p, int64_t size)
{
	if (p->used + size > p->cap)
	{
		p->parts++;
		p->used = 0;
	}
	p->used += size;
	p->units += size;
}

/* Segments: one when everything fits a single message, else the parts. */
static int64_t
pack_segments(const SegPack *p, int single)
{
	return p->units <= single ? 1 : p->parts;
}

/* ---- the non-GSM list: distinct clusters in first-seen order ---------- */

typedef struct SegSet
{
	char	  **items;			/* the list handed out in SegInfo */
	int			n;
	int			cap;
	int		   *slots;			/* open addressing: index + 1, 0 = empty */
	int			nslots;			/* a power of two, over twice n */
} SegSet;

/* FNV-1a, enough to spread short UTF-8 clusters. */
static uint32_t
set_hash(const char *s, size_t n)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char) s[i]) * 16777619u;
	return h;
}

/* Rebuild the slot table at twice the size. */
static void
set_grow(SegSet *set)
{
	int			nslots = set->nslots ? set->nslots * 2 : 64;
	int		   *slots = ts_alloc0(sizeof(int) * (size_t) nslots);

	for (int i = 0; i < set->n; i++)
	{
		uint32_t	h = set_hash(set->items[i], strlen(set->items[i]));
		int			k = (int) (h & (uint32_t) (nslots - 1));

		while (slots[k] != 0)
			k = (k + 1) & (nslots - 1);
		slots[k] = i + 1;
	}
	if (set->slots)
		ts_free(set->slots);
	set->slots = slots;
	set->nslots = nslots;
}

/* Add the n bytes at s unless already present. */
static void
set_add(SegSet *set, const char *s, size_t n)
{
	uint32_t	h;
	int			k;

	if (2 * (set->n + 1) > set->nslots)
		set_grow(set);
	h = set_hash(s, n);
	for (k = (int) (h & (uint32_t) (set->nslots - 1)); set->slots[k] != 0;
		 k = (k + 1) & (set->nslots - 1))
	{
		const char *have = set->items[set->slots[k] - 1];

		if (strlen(have) == n && memcmp(have, s, n) == 0)
			return;
	}
	if (set->n == set->cap)
	{
		set->cap = set->cap ? set->cap * 2 : 8;
		set->items = set->items ? ts_realloc(set->items, sizeof(char *) * (size_t) set->cap)
			: ts_alloc(sizeof(char *) * (size_t) set->cap);
	}
	set->items[set->n] = ts_alloc(n + 1);
	memcpy(set->items[set->n], s, n);
	set->items[set->n][n] = '\0';
	set->slots[k] = ++set->n;
}

/* ---- the two passes ---------------------------------------------------- */

/*
 * GSM-7 pass: pack septets; false (and nothing reliable in p) as soon as a
 * character outside the alphabet shows up.  Among GSM-7 characters the only
 * multi-character cluster is CRLF, so no cluster rules are needed here.
 */
static bool
gsm_pass(const char *s, size_t len, SegPack *p, int64_t *chars)
{
	size_t		pos = 0;

	pack_init(p, SEG_GSM7_MULTI);
	*chars = 0;
	while (pos < len)
	{
		uint32_t	cp = seg_utf8_next(s, len, &pos);
		int			septets = seg_gsm_septets(cp);

		if (septets == 0)
			return false;
		if (cp == '\r' && pos < len && s[pos] == '\n')
		{
			pos++;
			septets = 2;		/* CRLF: 2 septets, 2 characters, one item */
			(*chars)++;
		}
		pack_item(p, septets);
		(*chars)++;
	}
	return true;
}

/* One cluster while the UCS-2 pass walks it. */
typedef struct SegCluster
{
	size_t		start;			/* byte offset of its first code point */
	int64_t		units;
	int64_t		ncp;
	bool		crlf;
	bool		non_gsm;
	TsBuf		text;			/* re-encoded UTF-8, only when collecting */
} SegCluster;

/* Place a finished cluster: whole, or code point by code point if oversized. */
static void
cluster_place(SegPack *p, const SegCluster *c, const char *s, size_t end)
{
	size_t		pos = c->start;

	if (c->units <= p->cap)
	{
		pack_item(p, c->units);
		return;
	}
	while (pos < end)
	{
		uint32_t	cp = seg_utf8_next(s, end, &pos);

		pack_item(p, SEG_UTF16_UNITS(cp));
	}
}

/* Close the cluster that ends at byte end, and start a new one there. */
static void
cluster_flush(SegPack *p, SegCluster *c, const char *s, size_t end,
			  int64_t *chars, SegSet *set)
{
	if (c->ncp > 0)
	{
		cluster_place(p, c, s, end);
		*chars += c->crlf ? 2 : 1;
		if (set && c->non_gsm)
			set_add(set, c->text.data, c->text.len);
	}
	c->start = end;
	c->units = 0;
	c->ncp = 0;
	c->crlf = false;
	c->non_gsm = false;
	c->text.len = 0;
}

/* UCS-2 pass: pack UTF-16 units cluster by cluster; collect into set if given. */
static void
ucs2_pass(const char *s, size_t len, SegPack *p, int64_t *chars, SegSet *set)
{
	SegGbState	st;
	SegCluster	c;
	size_t		pos = 0;

	pack_init(p, SEG_UCS2_MULTI);
	seg_gb_init(&st);
	memset(&c, 0, sizeof(c));
	tsbuf_init(&c.text);
	*chars = 0;
	while (pos < len)
	{
		size_t		at = pos;
		uint32_t	cp = seg_utf8_next(s, len, &pos);

		if (seg_gb_break(&st, cp))
			cluster_flush(p, &c, s, at, chars, set);
		c.crlf = (c.ncp == 1 && cp == '\n');	/* GB3 joins only CR LF */
		c.units += SEG_UTF16_UNITS(cp);
		c.ncp++;
		if (seg_gsm_septets(cp) == 0)
			c.non_gsm = true;
		if (set)
		{
			char		utf8[4];

			/* the list holds C strings: a NUL character shows as U+FFFD */
			tsbuf_append(&c.text, utf8, (size_t) seg_utf8_put(cp ? cp : 0xFFFD, utf8));
		}
	}
	cluster_flush(p, &c, s, len, chars, set);
	tsbuf_free(&c.text);
}

/* ---- public entry points ---------------------------------------------- */

/* Full report; the caller releases it with seg_info_free. */
void
seg_count(const char *s, size_t len, SegInfo *info)
{
	SegPack		p;
	SegSet		set;

	memset(info, 0, sizeof(*info));
	if (gsm_pass(s, len, &p, &info->characters))
	{
		info->encoding = SEG_GSM7;
		info->code_units = p.units;
		info->segments = pack_segments(&p, SEG_GSM7_SINGLE);
		return;
	}
	memset(&set, 0, sizeof(set));
	ucs2_pass(s, len, &p, &info->characters, &set);
	info->encoding = SEG_UCS2;
	info->code_units = p.units;
	info->segments = pack_segments(&p, SEG_UCS2_SINGLE);
	info->n_non_gsm = set.n;
	info->non_gsm = set.items;
	if (set.slots)
		ts_free(set.slots);
}

/* Release what seg_count allocated. */
void
seg_info_free(SegInfo *info)
{
	for (int i = 0; i < info->n_non_gsm; i++)
		ts_free(info->non_gsm[i]);
	if (info->non_gsm)
		ts_free(info->non_gsm);
	info->non_gsm = NULL;
	info->n_non_gsm = 0;
}

/* Cheap helper for other C code: the segment count only, no allocation. */
int64_t
seg_count_segments(const char *s, size_t len)
{
	SegPack		p;
	int64_t		chars;

	if (gsm_pass(s, len, &p, &chars))
		return pack_segments(&p, SEG_GSM7_SINGLE);
	ucs2_pass(s, len, &p, &chars, NULL);
	return pack_segments(&p, SEG_UCS2_SINGLE);
}

/* True when every character of the body is in the GSM-7 alphabet. */
bool
seg_is_gsm7(const char *s, size_t len)
{
	size_t		pos = 0;

	while (pos < len)
	{
		if (seg_gsm_septets(seg_utf8_next(s, len, &pos)) == 0)
			return false;
	}
	return true;
}
