-- segments.sql (pgTAP): textseq.sms_segments and textseq.smart_encode, by behaviour.
BEGIN;
SELECT plan(34);

-- the interface: names, result columns, volatility, strictness, parallel safety
SELECT has_function('textseq', 'sms_segments', ARRAY['text'], 'sms_segments(text) exists');
SELECT has_function('textseq', 'smart_encode', ARRAY['text'], 'smart_encode(text) exists');
SELECT volatility_is('textseq', 'sms_segments', ARRAY['text'], 'immutable', 'sms_segments is IMMUTABLE');
SELECT volatility_is('textseq', 'smart_encode', ARRAY['text'], 'immutable', 'smart_encode is IMMUTABLE');
SELECT is_strict('textseq', 'sms_segments', ARRAY['text'], 'sms_segments is STRICT');
SELECT is_strict('textseq', 'smart_encode', ARRAY['text'], 'smart_encode is STRICT');
SELECT is((SELECT array_agg(proparallel ORDER BY proname)::text FROM pg_proc
            WHERE pronamespace = 'textseq'::regnamespace AND proname IN ('sms_segments', 'smart_encode')),
          '{s,s}', 'both are PARALLEL SAFE');
SELECT is((SELECT array_agg(a ORDER BY n)::text
             FROM pg_proc p, unnest(p.proargnames) WITH ORDINALITY AS u(a, n)
            WHERE p.oid = 'textseq.sms_segments(text)'::regprocedure),
          '{body,encoding,segments,characters,code_units,non_gsm_characters}',
          'sms_segments returns encoding, segments, characters, code_units, non_gsm_characters');

-- GSM-7 boundaries
SELECT is((textseq.sms_segments(repeat('a', 160))).segments, 1, '160 GSM-7 characters are 1 segment');
SELECT is((textseq.sms_segments(repeat('a', 161))).segments, 2, '161 GSM-7 characters are 2 segments');
SELECT is((textseq.sms_segments(repeat('a', 306))).segments, 2, '153*2 GSM-7 characters are 2 segments');
SELECT is((textseq.sms_segments(repeat('a', 307))).segments, 3, '153*2+1 GSM-7 characters are 3 segments');
SELECT row_eq($$SELECT encoding, segments, characters, code_units FROM textseq.sms_segments('')$$,
              ROW('GSM-7'::text, 1, 0, 0), 'the empty body is 1 GSM-7 segment, as Twilio counts it');
SELECT is((textseq.sms_segments('[x]~€')).code_units, 9, 'extension characters cost 2 septets');
SELECT is((textseq.sms_segments(repeat('a', 152) || '{' || repeat('a', 152))).segments, 3,
          'an escape pair straddling 153 moves whole to the next part');
SELECT is((textseq.sms_segments(repeat('a', 152) || E'\r\n' || repeat('a', 152))).segments, 3,
          'CRLF straddling 153 moves whole to the next part');
SELECT row_eq($$SELECT characters, code_units FROM textseq.sms_segments(E'a\r\nb')$$,
              ROW(4, 4), 'CRLF counts as 2');

-- UCS-2 boundaries and clusters
SELECT is((textseq.sms_segments(repeat('ç', 70))).segments, 1, '70 UCS-2 characters are 1 segment');
SELECT is((textseq.sms_segments(repeat('ç', 71))).segments, 2, '71 UCS-2 characters are 2 segments');
SELECT is((textseq.sms_segments(repeat('ç', 134))).segments, 2, '67*2 UCS-2 characters are 2 segments');
SELECT is((textseq.sms_segments('😜' || repeat('2', 68))).code_units, 70,
          'an emoji outside the BMP costs 2 UTF-16 units');
SELECT is((textseq.sms_segments('😀' || repeat(']', 68))).segments, 1,
          'extension characters cost 1 unit in UCS-2');
SELECT row_eq($$SELECT segments, characters FROM textseq.sms_segments(repeat('ç', 65) || '👨‍👩‍👧' || repeat('ç', 60))$$,
              ROW(3, 126), 'a ZWJ family at the 67 boundary is one character and moves whole');
SELECT is((textseq.sms_segments(repeat('ç', 66) || '🇺🇸' || repeat('ç', 64))).segments, 3,
          'a flag at the 67 boundary moves whole');
SELECT is((textseq.sms_segments(E'e\u0301\u0301\u0301')).characters, 1,
          'combining marks belong to their base character');
SELECT is((textseq.sms_segments('Hi “there” — 😀 “')).non_gsm_characters,
          ARRAY['“', '”', '—', '😀'], 'non-GSM characters listed once each, in order of appearance');

-- usable column-wise over a table
SELECT is((SELECT sum((textseq.sms_segments(b)).segments)::int
             FROM (VALUES ('hi'), (repeat('x', 200)), ('😀')) AS t(b)),
          4, 'segments summed over rows');

-- smart encoding
SELECT is(textseq.smart_encode('“Hello” — it’s…'), '"Hello" - it''s...', 'quotes, dashes and ellipsis replaced');
SELECT is(textseq.smart_encode(E'a\u00a0b\u2009c\u3000d'), 'a b c d', 'Unicode spaces become spaces');
SELECT is(textseq.smart_encode('ＡＢＣ１２３'), 'ABC123', 'fullwidth ASCII becomes ASCII');
SELECT is(textseq.smart_encode(E'zero\u200bwidth'), 'zerowidth', 'zero-width characters dropped');
SELECT is((textseq.sms_segments(textseq.smart_encode('‘Tis the season — 50％ off… • ½ price'))).encoding,
          'GSM-7', 'a body of look-alikes counts as GSM-7 after smart_encode');
SELECT is(textseq.smart_encode('“Hi” 😀'), '“Hi” 😀', 'left unchanged when an emoji keeps it UCS-2');
SELECT is(textseq.smart_encode('plain {text} €'), 'plain {text} €', 'GSM-7 text is untouched');

SELECT * FROM finish();
ROLLBACK;
