-- segments: textseq.sms_segments and textseq.smart_encode (docs/segments.md)
\set VERBOSITY terse

-- GSM-7: 160 in one segment, 153 per part; the empty body is 1 segment
SELECT n, s.encoding, s.segments, s.characters, s.code_units, s.non_gsm_characters
  FROM unnest(ARRAY[0, 1, 160, 161, 306, 307, 459, 460]) AS n,
       textseq.sms_segments(repeat('a', n)) AS s
 ORDER BY n;

-- the extension table costs 2 septets and an escape pair never straddles parts
SELECT label, s.encoding, s.segments, s.characters, s.code_units
  FROM (VALUES
        (1, '80 braces',          repeat('{', 80)),
        (2, '81 braces',          repeat('{', 81)),
        (3, 'all extension chars', E'^{}\\[~]|€\f'),
        (4, '152 + { + 151',      repeat('a', 152) || '{' || repeat('a', 151)),
        (5, '152 + { + 152',      repeat('a', 152) || '{' || repeat('a', 152)),
        (6, '{ + 158 (Twilio)',   '{' || repeat('1', 158)),
        (7, '{ + 159 (Twilio)',   '{' || repeat('1', 159))
       ) AS t(ord, label, body),
       textseq.sms_segments(body) AS s
 ORDER BY ord;

-- CRLF counts 2 and stays in one part
SELECT label, s.encoding, s.segments, s.characters, s.code_units
  FROM (VALUES
        (1, 'CR, CRLF (Twilio)', E'\rabcde\r\n123'),
        (2, 'CRLF at 153',       repeat('a', 152) || E'\r\n' || repeat('a', 152)),
        (3, 'LF CR at 153',      repeat('a', 152) || E'\n\r' || repeat('a', 152))
       ) AS t(ord, label, body),
       textseq.sms_segments(body) AS s
 ORDER BY ord;

-- UCS-2: 70 in one, 67 per part, UTF-16 units; extension chars cost 1
SELECT label, s.encoding, s.segments, s.characters, s.code_units
  FROM (VALUES
        (1, '70 ç',              repeat('ç', 70)),
        (2, '71 ç',              repeat('ç', 71)),
        (3, '67*2 ç',            repeat('ç', 134)),
        (4, '67*2+1 ç',          repeat('ç', 135)),
        (5, 'emoji + 68 ]',      '😀' || repeat(']', 68)),
        (6, 'emoji + 69 ]',      '😀' || repeat(']', 69)),
        (7, 'flag + 66 (Twilio)', '🇮🇹' || repeat('2', 66)),
        (8, 'flag + 67 (Twilio)', '🇮🇹' || repeat('2', 67))
       ) AS t(ord, label, body),
       textseq.sms_segments(body) AS s
 ORDER BY ord;

-- grapheme clusters at the 67 boundary move whole to the next part
SELECT label, s.segments, s.characters, s.code_units
  FROM (VALUES
        (1, 'family fits',        repeat('ç', 65) || '👨‍👩‍👧' || repeat('ç', 59)),
        (2, 'family moves',       repeat('ç', 65) || '👨‍👩‍👧' || repeat('ç', 60)),
        (3, 'flag moves',         repeat('ç', 66) || '🇺🇸' || repeat('ç', 64)),
        (4, 'skin tone moves',    repeat('ç', 66) || '👍🏽' || repeat('ç', 64)),
        (5, 'accent moves',       repeat('ç', 66) || E'e\u0301' || repeat('ç', 66)),
        (6, 'oversized cluster',  'a' || repeat(E'\u0301', 100))
       ) AS t(ord, label, body),
       textseq.sms_segments(body) AS s
 ORDER BY ord;

-- the distinct non-GSM characters, in order of first appearance
SELECT (textseq.sms_segments('Hi “there” 👍🏽 “ok” — `x`')).non_gsm_characters;

-- only one column computed when one is asked for
SELECT (textseq.sms_segments('Hello {name}')).segments;

-- smart encoding: look-alikes replaced, the result counts as GSM-7
SELECT textseq.smart_encode('“Hello” — it’s 50％ off… ½ price,' || E'\u00a0' || 'now • today');
SELECT (textseq.sms_segments(textseq.smart_encode('‘Tis the season — 50％ off…'))).encoding;
SELECT textseq.smart_encode(E'zero\u200bwidth\ufeff, caf' || E'e\u0301' || ', 1½ cups');
-- unchanged: already GSM-7, or a character without a GSM-7 equivalent
SELECT textseq.smart_encode('plain {GSM} text €') = 'plain {GSM} text €' AS gsm_unchanged;
SELECT textseq.smart_encode('“Hi” 😀') AS emoji_keeps_quotes;
SELECT textseq.smart_encode('árbol — x') AS accent_keeps_dash;
-- refused when it would cost more segments (70 ellipses: 1 UCS-2 segment vs 210 septets)
SELECT textseq.smart_encode(repeat('…', 70)) = repeat('…', 70) AS not_worse;

-- STRICT: NULL in, NULL out
SELECT textseq.sms_segments(NULL) IS NULL AS null_count, textseq.smart_encode(NULL) IS NULL AS null_smart;
