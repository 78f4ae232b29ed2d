-- 21_segments.sql: SMS segment counting and smart encoding (SPEC section 4; docs/segments.md).
-- C functions live in src/fn/segments.c over the pure core src/core/seg*.c.
-- IMMUTABLE: the GSM-7 alphabet and Twilio's limits are fixed; the grapheme table is
-- generated from one Unicode version (compiled in), so results change only with a rebuild.

CREATE FUNCTION textseq.sms_segments(body text,
		OUT encoding text, OUT segments integer, OUT characters integer,
		OUT code_units integer, OUT non_gsm_characters text[])
	RETURNS record AS 'MODULE_PATHNAME', 'textseq_segments_count'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.sms_segments(text) IS
	'How Twilio splits an SMS body: encoding (GSM-7 or UCS-2), segments (160/153 or 70/67, '
	'escape pairs, surrogate pairs, CRLF and grapheme clusters never split; empty = 1), '
	'characters (grapheme clusters, CRLF = 2), code_units (septets or UTF-16 units) and '
	'the distinct non-GSM characters in order of first appearance';

CREATE FUNCTION textseq.smart_encode(body text)
	RETURNS text AS 'MODULE_PATHNAME', 'textseq_segments_smart_encode'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.smart_encode(text) IS
	'The body with Unicode look-alikes (curly quotes, dashes, odd spaces, ellipsis, '
	'fullwidth ASCII, bullets, fractions, zero-width characters) replaced by GSM-7; '
	'unchanged when a character without a GSM-7 equivalent remains or when the '
	'replacement would cost more segments (all or nothing, like Twilio Smart Encoding)';
