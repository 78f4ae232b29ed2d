-- phone: normalize_phone, try_normalize_phone, phone_info, phone_line_type, phone_time_zones
-- as a user sees them, errors included (docs/phones.md).
SELECT raw, textseq.normalize_phone(raw) AS e164
  FROM (VALUES ('(415) 555-2671'), ('415.555.2671'), ('+1 415 555 2671'), ('1-415-555-2671'),
			   ('415-555-2671 x123'), ('1-800-FLOWERS')) AS v(raw)
 ORDER BY raw COLLATE "C";
SELECT textseq.normalize_phone('00 44 20 7946 0958', 'GB') AS uk,
	   textseq.normalize_phone('030 123456', 'de') AS de;
-- refusals: the input in the message, the reason in the detail
SELECT textseq.normalize_phone('not a phone');
SELECT textseq.normalize_phone('+999 1234567');
SELECT textseq.normalize_phone('12');
SELECT textseq.normalize_phone('555-2671');
SELECT textseq.normalize_phone('+1 415 555 26711');
SELECT textseq.normalize_phone('+61 2345 678 9012');
SELECT textseq.normalize_phone('415 555 2671', 'XX');
-- bulk import path: NULL for a bad number
SELECT raw, textseq.try_normalize_phone(raw) AS e164
  FROM (VALUES ('(415) 555-2671'), ('call me'), ('12')) AS v(raw)
 ORDER BY raw COLLATE "C";
-- phone_info
SELECT * FROM textseq.phone_info('+14155552671');
SELECT * FROM textseq.phone_info('+447400123456');
SELECT * FROM textseq.phone_info('+12011234567');
SELECT * FROM textseq.phone_info('not a phone');
-- line types for sending decisions
SELECT n, textseq.phone_line_type(n)
  FROM (VALUES ('+447400123456'), ('+442079460958'), ('+14155552671'), ('+18005551212'),
			   ('+445612345678')) AS v(n)
 ORDER BY n COLLATE "C";
SELECT textseq.phone_time_zones('+12082012345') AS boise_area_denver,
	   textseq.phone_time_zones('+12082712345') AS boise_area_split;
