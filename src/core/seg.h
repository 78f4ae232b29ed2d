/*-------------------------------------------------------------------------
 *
 * seg.h
 *	  The SMS segment core: how many segments a body costs, in which
 *	  encoding, and "smart encoding" of Unicode look-alikes into GSM-7.
 *
 * Counts exactly as Twilio does (docs/segments.md): GSM 03.38 with the
 * extension table costing 2 septets, 160 septets in one segment or 153 per
 * concatenated part; otherwise UCS-2 counted in UTF-16 units, 70 or 67.
 * Escape pairs, surrogate pairs, CRLF and extended grapheme clusters
 * (UAX #29) are never split across parts.
 *
 * Pure core (see core.h): no server headers, never throws, accepts arbitrary
 * bytes (invalid UTF-8 reads as U+FFFD).  Input is UTF-8 with a length; it
 * need not be NUL-terminated.
 *
 * Index of the implementation:
 *	  seg_grapheme.c   UTF-8 decoding, grapheme cluster boundaries (UAX #29)
 *	  seg_unicode.h    generated property table (scripts/gen-seg-unicode.py)
 *	  seg.c            GSM-7 alphabet, encoding choice, packing into segments
 *	  seg_smart.c      smart encoding (look-alike replacement)
 *
 *-------------------------------------------------------------------------
 */
#ifndef TEXTSEQ_SEG_H
#define TEXTSEQ_SEG_H

#include "core.h"

/* Capacities of one SMS: single message, and each part of a concatenated one. */
#define SEG_GSM7_SINGLE		160
#define SEG_GSM7_MULTI		153
#define SEG_UCS2_SINGLE		70
#define SEG_UCS2_MULTI		67

typedef enum SegEncoding
{
	SEG_GSM7 = 0,
	SEG_UCS2 = 1
} SegEncoding;

/* What seg_count reports about one body. */
typedef struct SegInfo
{
	SegEncoding encoding;
	int64_t		segments;		/* >= 1; an empty body is 1 segment */
	int64_t		characters;		/* grapheme clusters; CRLF counts 2 */
	int64_t		code_units;		/* septets (GSM-7) or UTF-16 units (UCS-2) */
	int			n_non_gsm;		/* distinct clusters holding a non-GSM char */
	char	  **non_gsm;		/* each NUL-terminated UTF-8, first-seen order */
} SegInfo;

/* in seg.c */

/* Full report; the caller releases it with seg_info_free. */
extern void seg_count(const char *s, size_t len, SegInfo *info);
extern void seg_info_free(SegInfo *info);

/* Cheap helper for other C code: the segment count only, no allocation. */
extern int64_t seg_count_segments(const char *s, size_t len);

/* True when every character of the body is in the GSM-7 alphabet. */
extern bool seg_is_gsm7(const char *s, size_t len);

/* Septets one code point costs in GSM-7: 1 basic, 2 extension, 0 not GSM-7. */
extern int	seg_gsm_septets(uint32_t cp);

/* "GSM-7" or "UCS-2". */
extern const char *seg_encoding_name(SegEncoding enc);

/* in seg_smart.c */

/*
 * Replace Unicode look-alikes (curly quotes, dashes, odd spaces, fullwidth
 * ASCII, ...) by GSM-7 characters.  All or nothing, as Twilio does: when a
 * character without a GSM-7 equivalent remains (emoji, CJK, accented letters
 * outside GSM-7), or when the replacement would cost more segments, the body
 * is returned unchanged.  Returns a NUL-terminated ts_alloc'd copy.
 */
extern char *seg_smart_encode(const char *s, size_t len, size_t *out_len);

/* One entry of the replacement table (ranges are handled in code). */
typedef struct SegSmartMap
{
	uint32_t	cp;
	const char *to;				/* GSM-7 only; "" drops the character */
} SegSmartMap;

/* The replacement table, sorted by code point (for the unit test). */
extern const SegSmartMap *seg_smart_table(size_t *n);

/* in seg_grapheme.c */

/* Grapheme_Cluster_Break values (UAX #29); SEG_GB_EXTPICT is a flag bit. */
typedef enum SegGbProp
{
	SEG_GB_OTHER = 0,
	SEG_GB_CR,
	SEG_GB_LF,
	SEG_GB_CONTROL,
	SEG_GB_EXTEND,
	SEG_GB_ZWJ,
	SEG_GB_RI,
	SEG_GB_PREPEND,
	SEG_GB_SPACINGMARK,
	SEG_GB_L,
	SEG_GB_V,
	SEG_GB_T,
	SEG_GB_LV,
	SEG_GB_LVT
} SegGbProp;

#define SEG_GB_EXTPICT	0x80	/* Extended_Pictographic (emoji-data.txt) */
#define SEG_GB_MASK		0x7F

/* Where the boundary rules stand while walking a text forwards. */
typedef struct SegGbState
{
	uint8_t		prev;			/* SegGbProp of the previous code point */
	uint8_t		emoji;			/* GB11: 1 after ExtPict Extend*, 2 after its ZWJ */
	bool		started;
	int64_t		ri_run;			/* regional indicators just before */
} SegGbState;

/* Decode the code point at *pos and advance; invalid UTF-8 gives U+FFFD. */
extern uint32_t seg_utf8_next(const char *s, size_t len, size_t *pos);

/* Encode cp as UTF-8 into out (4 bytes of room); returns the byte count. */
extern int	seg_utf8_put(uint32_t cp, char *out);

/* UTF-16 code units of cp: 2 outside the BMP, else 1. */
#define SEG_UTF16_UNITS(cp) ((cp) > 0xFFFF ? 2 : 1)

extern uint8_t seg_gb_prop(uint32_t cp);
extern void seg_gb_init(SegGbState *st);

/* Feed the next code point; true when a cluster boundary lies before it. */
extern bool seg_gb_break(SegGbState *st, uint32_t cp);

/* The Unicode version the property table was generated from. */
extern const char *seg_unicode_version(void);

#endif							/* TEXTSEQ_SEG_H */
