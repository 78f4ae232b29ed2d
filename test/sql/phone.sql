-- phone.sql: normalize_phone, try_normalize_phone, phone_info, phone_time_zones,
-- phone_line_type (SPEC section 10; docs/phones.md).
BEGIN;
SELECT plan(78);

-- SQLSTATE and errdetail of a statement's error, so each refusal reason can be checked.
CREATE FUNCTION pg_temp.phone_error(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
	det text;
BEGIN
	EXECUTE stmt;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, det = PG_EXCEPTION_DETAIL;
	RETURN st || ' ' || det;
END
$$;

-- ---- the usual CRM spellings -------------------------------------------------
SELECT is(textseq.normalize_phone('(415) 555-2671'), '+14155552671', 'parenthesised area code');
SELECT is(textseq.normalize_phone('415.555.2671'), '+14155552671', 'dotted');
SELECT is(textseq.normalize_phone('+1 415 555 2671'), '+14155552671', 'international with spaces');
SELECT is(textseq.normalize_phone('1-415-555-2671'), '+14155552671', 'national prefix 1 with dashes');
SELECT is(textseq.normalize_phone('4155552671'), '+14155552671', 'bare ten digits');
SELECT is(textseq.normalize_phone('+14155552671'), '+14155552671', 'E.164 is a fixed point');
SELECT is(textseq.normalize_phone('00 44 20 7946 0958', 'GB'), '+442079460958',
	'GB international dialling prefix 00');
SELECT is(textseq.normalize_phone('020 7946 0958', 'GB'), '+442079460958', 'GB national format');
SELECT is(textseq.normalize_phone('020 7946 0958', 'gb'), '+442079460958', 'region in lower case');
SELECT is(textseq.normalize_phone('+44 20 7946 0958', 'US'), '+442079460958',
	'a + number ignores the default region');
SELECT is(textseq.normalize_phone('+14155552671', 'ZZ'), '+14155552671', 'ZZ: no default region');
SELECT is(textseq.normalize_phone('415-555-2671 x123'), '+14155552671', 'extension x123 dropped');
SELECT is(textseq.normalize_phone('+1 (212) 555-2368 ext. 4'), '+12125552368',
	'extension ext. 4 dropped');
SELECT is(textseq.normalize_phone('011 44 20 7946 0958'), '+442079460958',
	'US international dialling prefix 011');
SELECT is(textseq.normalize_phone(U&'\FF14\FF11\FF15\FF15\FF15\FF15\FF12\FF16\FF17\FF11'),
	'+14155552671', 'full-width digits');
SELECT is(textseq.normalize_phone('1-800-FLOWERS'), '+18003569377', 'vanity letters');
SELECT is(textseq.normalize_phone('030 123456', 'DE'), '+4930123456', 'DE Berlin landline');
SELECT is(textseq.normalize_phone('(02) 9374 4000', 'AU'), '+61293744000', 'AU Sydney landline');
SELECT is(textseq.normalize_phone('098765 43210', 'IN'), '+919876543210', 'IN mobile');
SELECT is(textseq.normalize_phone('+1 201 123 4567'), '+12011234567',
	'possible but not valid still normalizes');
SELECT is(textseq.normalize_phone('415 555 0123'), '+14155550123', 'fictional 555-01xx normalizes');

SELECT is(textseq.normalize_phone('0 0 09546 0479', 'DE'), '+4995460479',
	'stray national prefixes settle to a fixed point');
SELECT is((SELECT count(*) FROM (VALUES ('(415) 555-2671', 'US'), ('0 0 09546 0479', 'DE'),
		('00 44 20 7946 0958', 'GB'), ('06 1234 5678', 'IT'), ('+1 201 123 4567', 'US')) AS v(raw, reg)
		WHERE textseq.normalize_phone(textseq.normalize_phone(raw, reg), 'ZZ')
			  <> textseq.normalize_phone(raw, reg)), 0::bigint,
	'normalizing an E.164 result again changes nothing');

-- ---- every refusal reason, with its SQLSTATE ----------------------------------
SELECT throws_ok($$SELECT textseq.normalize_phone('abc')$$, '22P02',
	'invalid phone number: "abc"', 'not a number: 22P02 and the input in the message');
SELECT is(pg_temp.phone_error($$SELECT textseq.normalize_phone('hello world')$$),
	'22P02 The text does not contain a phone number.', 'not a number: reason');
SELECT is(pg_temp.phone_error($$SELECT textseq.normalize_phone('')$$),
	'22P02 The text does not contain a phone number.', 'empty string: reason');
SELECT throws_ok($$SELECT textseq.normalize_phone('+999 1234567')$$, '22P02',
	'invalid phone number: "+999 1234567"', 'unknown country code: 22P02');
SELECT is(pg_temp.phone_error($$SELECT textseq.normalize_phone('+999 1234567')$$),
	'22P02 The country calling code is missing or unknown.', 'unknown country code: reason');
SELECT is(pg_temp.phone_error($$SELECT textseq.normalize_phone('4155552671', 'ZZ')$$),
	'22P02 The country calling code is missing or unknown.',
	'no country code and no default region: reason');
SELECT throws_ok($$SELECT textseq.normalize_phone('12')$$, '22P02',
	'invalid phone number: "12"', 'too short: 22P02');
SELECT is(pg_temp.phone_error($$SELECT textseq.normalize_phone('+1 415 555 267')$$),
	'22P02 The number is too short.', 'too short: reason');
SELECT is(pg_temp.phone_error($$SELECT textseq.normalize_phone('555-2671')$$),
	'22P02 The number is too short: it is only dialable locally, without its area code.',
	'seven-digit local number: reason');
SELECT throws_ok($$SELECT textseq.normalize_phone('+1 415 555 26711')$$, '22P02',
	'invalid phone number: "+1 415 555 26711"', 'too long: 22P02');
SELECT is(pg_temp.phone_error($$SELECT textseq.normalize_phone('+1 415 555 26711')$$),
	'22P02 The number is too long.', 'too long: reason');
SELECT is(pg_temp.phone_error($$SELECT textseq.normalize_phone(repeat('1', 300))$$),
	'22P02 The number is too long.', 'over-long input: reason');
SELECT throws_ok($$SELECT textseq.normalize_phone(repeat('9', 300))$$, '22P02',
	'invalid phone number: "' || repeat('9', 64) || '..."', 'over-long input is clipped in the message');
SELECT is(pg_temp.phone_error($$SELECT textseq.normalize_phone('+61 2345 678 9012')$$),
	'22P02 The number''s length is not possible for its region.',
	'length between the region''s lengths: reason');
SELECT throws_ok($$SELECT textseq.normalize_phone('415 555 2671', 'XX')$$, '22023',
	'unknown phone region: "XX"', 'unknown region: 22023');
SELECT throws_ok($$SELECT textseq.normalize_phone('415 555 2671', '')$$, '22023',
	'unknown phone region: ""', 'empty region: 22023');
SELECT throws_ok($$SELECT textseq.normalize_phone('415 555 2671', 'USA')$$, '22023',
	'unknown phone region: "USA"', 'three-letter region: 22023');
SELECT throws_ok($$SELECT textseq.normalize_phone('+800 1234 5678', '001')$$, '22023',
	'unknown phone region: "001"', 'non-geographic 001 is not a default region');

-- ---- try_normalize_phone --------------------------------------------------------
SELECT is(textseq.try_normalize_phone('(415) 555-2671'), '+14155552671', 'try: good number');
SELECT is(textseq.try_normalize_phone('abc'), NULL, 'try: not a number gives NULL');
SELECT is(textseq.try_normalize_phone('12'), NULL, 'try: too short gives NULL');
SELECT is(textseq.try_normalize_phone('+999 1234567'), NULL, 'try: bad country code gives NULL');
SELECT is(textseq.try_normalize_phone('020 7946 0958', 'GB'), '+442079460958', 'try: region');
SELECT throws_ok($$SELECT textseq.try_normalize_phone('415 555 2671', 'XX')$$, '22023',
	'unknown phone region: "XX"', 'try: an unknown region is still an error');

-- ---- phone_info -------------------------------------------------------------------
SELECT is((SELECT row(e164, valid, possible, number_type, region, country_code,
		national_format, time_zones)::text FROM textseq.phone_info('+12125552368')),
	'(+12125552368,t,t,fixed_line_or_mobile,US,1,"(212) 555-2368",{America/New_York})',
	'US number: every column');
SELECT is((SELECT row(number_type, region, national_format, time_zones)::text
		FROM textseq.phone_info('+442079460958')),
	'(fixed_line,GB,"020 7946 0958",{Europe/London})', 'UK London landline');
SELECT is((SELECT row(number_type, region, national_format)::text
		FROM textseq.phone_info('+447400123456')),
	'(mobile,GB,"07400 123456")', 'UK mobile');
SELECT is((SELECT row(number_type, region, country_code, time_zones)::text
		FROM textseq.phone_info('+4930123456')),
	'(fixed_line,DE,49,{Europe/Berlin})', 'DE landline');
SELECT is((SELECT row(number_type, region, national_format, time_zones)::text
		FROM textseq.phone_info('+61293744000')),
	'(fixed_line,AU,"(02) 9374 4000",{Australia/Sydney})', 'AU Sydney landline');
SELECT is((SELECT row(number_type, region, country_code)::text
		FROM textseq.phone_info('+919876543210')),
	'(mobile,IN,91)', 'IN mobile');
SELECT is((SELECT number_type FROM textseq.phone_info('+18005551212')), 'toll_free',
	'US toll-free');
SELECT is((SELECT number_type FROM textseq.phone_info('+19002345678')), 'premium_rate',
	'US premium rate');
SELECT is((SELECT number_type FROM textseq.phone_info('+15002345678')), 'personal_number',
	'US personal number');
SELECT is((SELECT number_type FROM textseq.phone_info('+445612345678')), 'voip', 'UK VoIP');
-- libphonenumber's example fixed line for the Bahamas: NANP's landline-typed numbers.
SELECT is((SELECT row(number_type, region, country_code)::text
		FROM textseq.phone_info('+12423456789')),
	'(fixed_line,BS,1)', 'NANP landline (libphonenumber''s BS example)');
SELECT is((SELECT row(valid, possible, number_type, region, time_zones)::text
		FROM textseq.phone_info('+12011234567')),
	'(f,t,unknown,,)', 'possible but not valid: no type, region or zones');
SELECT is((SELECT row(valid, possible)::text FROM textseq.phone_info('+1 4155')),
	'(f,f)', 'parseable but impossible is described, not refused');
SELECT is((SELECT row(region, country_code, number_type)::text
		FROM textseq.phone_info('+80012345678')),
	'(001,800,toll_free)', 'non-geographic region 001');
SELECT is((SELECT row(e164, national_format)::text
		FROM textseq.phone_info('+1 212 555 2368 ext. 4')),
	'(+12125552368,"(212) 555-2368")', 'phone_info drops an extension too');
SELECT throws_ok($$SELECT * FROM textseq.phone_info('garbage')$$, '22P02',
	'invalid phone number: "garbage"', 'phone_info on garbage: 22P02');
SELECT throws_ok($$SELECT * FROM textseq.phone_info('4155552671')$$, '22P02',
	'invalid phone number: "4155552671"', 'phone_info wants the + of E.164');

-- ---- time zones ----------------------------------------------------------------------
SELECT is(textseq.phone_time_zones('+12125552368'), '{America/New_York}', '1-212: New York');
SELECT is(textseq.phone_time_zones('+12082012345'), '{America/Denver}', '1-208-201: Denver');
SELECT is(textseq.phone_time_zones('+12083042345'), '{America/Los_Angeles}',
	'1-208-304: Los Angeles');
SELECT is(textseq.phone_time_zones('+12082712345'), '{America/Boise,America/Los_Angeles}',
	'1-208-2 without a longer prefix: both zones');
SELECT is(textseq.phone_time_zones('+442079460958'), '{Europe/London}', 'UK London');
SELECT is(textseq.phone_time_zones('+'), NULL, 'no digits: NULL');
SELECT is((SELECT time_zones FROM textseq.phone_info('+12082012345')), '{America/Denver}',
	'phone_info uses the prefix table');

-- ---- phone_line_type ----------------------------------------------------------------
SELECT is(textseq.phone_line_type('+447400123456'), 'mobile', 'line type: mobile');
SELECT is(textseq.phone_line_type('+442079460958'), 'landline', 'line type: fixed_line is landline');
SELECT is(textseq.phone_line_type('+14155552671'), 'unknown',
	'line type: NANP fixed_line_or_mobile is unknown');
SELECT is(textseq.phone_line_type('+445612345678'), 'voip', 'line type: voip');
SELECT is(textseq.phone_line_type('+18005551212'), 'toll_free', 'line type: toll_free');
SELECT throws_ok($$SELECT textseq.phone_line_type('nope')$$, '22P02',
	'invalid phone number: "nope"', 'line type of garbage: 22P02');

-- ---- declarations ----------------------------------------------------------------------
SELECT is((SELECT string_agg(p.proname || ':' || p.provolatile::text || p.proisstrict::int || p.proparallel::text,
		' ' ORDER BY p.proname)
		FROM pg_proc p
		WHERE p.pronamespace = 'textseq'::regnamespace
		  AND p.proname IN ('normalize_phone', 'try_normalize_phone', 'phone_parse',
							'phone_info', 'phone_time_zones', 'phone_line_type')),
	'normalize_phone:i1s phone_info:s1s phone_line_type:i1s phone_parse:i1s '
	'phone_time_zones:s1s try_normalize_phone:i1s',
	'volatility, STRICT and PARALLEL SAFE as documented');

SELECT * FROM finish();
ROLLBACK;
