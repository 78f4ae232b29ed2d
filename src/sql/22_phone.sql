-- 22_phone.sql: phone numbers through libphonenumber (SPEC section 10; docs/phones.md).
-- C functions live in src/phone.c over the C++ shim src/phone_shim.cpp.  The prefix table
-- textseq.phone_tz_prefix is created in 10_schema.sql and filled at the end of the script.
-- IMMUTABLE here means "for one libphonenumber version": after upgrading the library,
-- REINDEX any expression index built on these functions.

CREATE FUNCTION textseq.normalize_phone(raw text, default_region text DEFAULT 'US')
	RETURNS text AS 'MODULE_PATHNAME', 'textseq_phone_normalize'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.normalize_phone(text, text) IS
	'E.164 form of a phone number written any usual way (extensions dropped); '
	'22P02 with the reason when it is not a possible number, 22023 for an unknown region';

CREATE FUNCTION textseq.try_normalize_phone(raw text, default_region text DEFAULT 'US')
	RETURNS text AS 'MODULE_PATHNAME', 'textseq_phone_try_normalize'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.try_normalize_phone(text, text) IS
	'normalize_phone, but NULL instead of an error for a bad number (bulk imports); '
	'an unknown region still raises 22023';

CREATE FUNCTION textseq.phone_parse(e164 text,
		OUT e164 text, OUT valid boolean, OUT possible boolean, OUT number_type text,
		OUT region text, OUT country_code integer, OUT national_format text)
	RETURNS record AS 'MODULE_PATHNAME', 'textseq_phone_parse'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.phone_parse(text) IS
	'What libphonenumber knows of an E.164 number (phone_info without time zones); '
	'22P02 when it does not parse';

-- The number's digits (country code first) against the prefix table, longest prefix wins.
-- The candidate prefixes are listed so the lookup is a primary key index scan.
CREATE FUNCTION textseq.phone_time_zones(e164 text) RETURNS text[]
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
	SELECT t.zones
	  FROM textseq.phone_tz_prefix AS t
	 WHERE t.prefix = ANY (ARRAY(
			SELECT left(d.digits, n)
			  FROM (SELECT left(regexp_replace($1, '[^0-9]', '', 'g'), 15) AS digits) AS d,
				   generate_series(1, length(d.digits)) AS n))
	 ORDER BY length(t.prefix) DESC
	 LIMIT 1
$$;
COMMENT ON FUNCTION textseq.phone_time_zones(text) IS
	'IANA time zones of an E.164 number by longest prefix (libphonenumber''s map); '
	'NULL when no prefix matches';

CREATE FUNCTION textseq.phone_info(e164 text,
		OUT e164 text, OUT valid boolean, OUT possible boolean, OUT number_type text,
		OUT region text, OUT country_code integer, OUT national_format text,
		OUT time_zones text[])
	RETURNS record LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
	-- Like libphonenumber's time zone mapper: no zones for a number that is not valid.
	SELECT p.e164, p.valid, p.possible, p.number_type, p.region, p.country_code,
		   p.national_format,
		   CASE WHEN p.valid THEN textseq.phone_time_zones(p.e164) END
	  FROM textseq.phone_parse($1) AS p
$$;
COMMENT ON FUNCTION textseq.phone_info(text) IS
	'Validity, possibility, number type, region, country code, national format and time '
	'zones of an E.164 number; 22P02 when it does not parse';

CREATE FUNCTION textseq.phone_line_type(e164 text) RETURNS text
	AS 'MODULE_PATHNAME', 'textseq_phone_line_type'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.phone_line_type(text) IS
	'mobile, landline, voip, toll_free or unknown (fixed_line_or_mobile, as in NANP, is '
	'unknown); 22P02 when the E.164 number does not parse';
