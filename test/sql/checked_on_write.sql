-- checked_on_write.sql: every value the claim reads and could trip over is
-- checked when it is written (issue 7 item 1), so a bad value is refused by
-- the statement that writes it, not discovered by every claim afterwards.
-- What the claim reads: phone zones and region (derived, never written
-- directly), time zone overrides, the sequence's window, the quiet rules,
-- template text, sender numbers.  Rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(24);

SELECT textseq.add_lead('Ann', NULL, ARRAY['2125550101']) AS ann \gset

-- phone zones and region: derived from the number and its override only
UPDATE textseq.phone SET zones = '{Mars/Olympus}' WHERE e164 = '+12125550101';
SELECT is((SELECT zones FROM textseq.phone WHERE e164 = '+12125550101'), '{America/New_York}',
		  'writing phone.zones directly derives them again');
UPDATE textseq.phone SET region = 'XX' WHERE e164 = '+12125550101';
SELECT is((SELECT region FROM textseq.phone WHERE e164 = '+12125550101'), 'US',
		  'writing phone.region directly derives it again');
INSERT INTO textseq.phone (e164, zones, region) VALUES ('+12125550102', '{Nowhere/Land}', 'ZZ');
SELECT is((SELECT zones::text || ' ' || region FROM textseq.phone WHERE e164 = '+12125550102'),
		  '{America/New_York} US', 'an inserted phone gets its zones and region derived');
SELECT throws_ok('UPDATE textseq.phone SET time_zone = ''Mars/Olympus'' WHERE e164 = ''+12125550101''',
				 '22023', 'unknown time zone "Mars/Olympus"', 'an unknown time zone override is refused');
SELECT throws_ok('UPDATE textseq.phone SET time_zone = ''America/New_Yrok'' WHERE e164 = ''+12125550101''',
				 '22023', NULL, 'a misspelt one too');
UPDATE textseq.phone SET time_zone = 'Europe/Paris' WHERE e164 = '+12125550101';
SELECT is((SELECT zones FROM textseq.phone WHERE e164 = '+12125550101'), '{Europe/Paris}',
		  'a known override becomes the phone''s zone');
UPDATE textseq.phone SET zones = '{Mars/Olympus}', time_zone = NULL WHERE e164 = '+12125550101';
SELECT is((SELECT zones FROM textseq.phone WHERE e164 = '+12125550101'), '{America/New_York}',
		  'and clearing it goes back to the prefix''s zones');
SELECT is(textseq._zones_problem('{America/New_York,Europe/London}'), NULL,
		  '_zones_problem: known zones are fine');
SELECT is(textseq._zones_problem('{America/New_York,Mars/Olympus}'),
		  'time zone "Mars/Olympus" not recognized: Element 2 of the zones array is not an IANA time zone name.',
		  '_zones_problem names the first unknown zone');
SELECT matches(textseq._zones_problem(ARRAY(SELECT name FROM pg_timezone_names ORDER BY name LIMIT 70)),
			   '^too many time zones', '_zones_problem: more zones than the search takes');
SELECT is((SELECT count(*)::int FROM textseq.phone_tz_prefix p
			WHERE textseq._zones_problem(p.zones) IS NOT NULL), 0,
		  'every shipped prefix''s zones are usable by this server');

-- the sequence's window and rules
SELECT throws_ok('INSERT INTO textseq.sequence (name, window_days) VALUES (''w1'', ''{1,7}'')', '23514', NULL,
				 'a weekday over 6 is refused');
SELECT throws_ok('INSERT INTO textseq.sequence (name, window_days) VALUES (''w2'', ''{1,NULL}'')', '23514', NULL,
				 'a null weekday is refused');
SELECT throws_ok('INSERT INTO textseq.sequence (name, window_days) VALUES (''w3'', ''{}'')', '23514', NULL,
				 'no weekday is refused');
SELECT throws_ok('INSERT INTO textseq.sequence (name, window_start, window_end) VALUES (''w4'', ''21:00'', ''08:00'')',
				 '23514', NULL, 'a window that ends before it starts is refused');
SELECT throws_ok('INSERT INTO textseq.sequence (name, frequency_cap) VALUES (''w5'', 0)', '23514', NULL,
				 'a frequency cap of 0 is refused');
SELECT throws_ok('INSERT INTO textseq.sequence (name, duplicate_window) VALUES (''w6'', ''-1 hour'')', '23514', NULL,
				 'a negative duplicate window is refused');
SELECT throws_ok('INSERT INTO textseq.sequence (name, frequency_window) VALUES (''w7'', ''0'')', '23514', NULL,
				 'an empty frequency window is refused');

-- the quiet rules every claim of a region reads
SELECT throws_ok('INSERT INTO textseq.quiet_rule (region, days, local_start, local_end, effective_from)
				  VALUES (''US-NY'', ''{1,NULL}'', ''08:00'', ''20:00'', ''2020-01-01'')', '23514', NULL,
				 'a quiet rule with a null weekday is refused');
SELECT throws_ok('INSERT INTO textseq.quiet_rule (region, days, local_start, local_end, effective_from)
				  VALUES (''US-NY'', ''{1}'', ''20:00'', ''08:00'', ''2020-01-01'')', '23514', NULL,
				 'a quiet rule that ends before it starts is refused');
SELECT throws_ok('INSERT INTO textseq.quiet_rule (region, days, closed, effective_from)
				  VALUES (''New York'', ''{1}'', true, ''2020-01-01'')', '23514', NULL,
				 'a quiet rule for a malformed region is refused');

-- templates and senders
SELECT throws_ok('SELECT textseq.save_template(''bad'', ''Hi {{ lead.first_name '')', '42601', NULL,
				 'a template that does not parse is refused');
SELECT throws_ok('SELECT textseq.save_template(''long'', repeat(''x'', 70000))', '54000', NULL,
				 'a template over 65536 bytes is refused');
SELECT textseq.create_account('acct', 'dry_run');
SELECT throws_ok('INSERT INTO textseq.sender (account_id, phone_number) SELECT id, ''555-0100'' FROM textseq.account',
				 '23514', NULL, 'a sender number that is not E.164 is refused');

SELECT * FROM finish();
ROLLBACK;
