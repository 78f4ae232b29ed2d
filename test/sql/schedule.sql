-- schedule.sql: send windows and quiet hours (src/sql/23_schedule.sql, src/schedule.c).
-- Times are written with explicit offsets, so the session time zone does not matter.
BEGIN;
SELECT plan(54);
SET LOCAL TimeZone = 'UTC';

-- ---- the data --------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM textseq.quiet_rule WHERE region = 'US'), 1, 'one federal rule');
SELECT is((SELECT local_start::text || '-' || local_end::text FROM textseq.quiet_rule WHERE region = 'US'),
		  '08:00:00-21:00:00', 'federal window is 08:00-21:00');
SELECT is((SELECT count(*)::int FROM textseq.area_code_region WHERE region = 'US-FL'), 23, 'Florida has 23 area codes');
SELECT is((SELECT region FROM textseq.area_code_region WHERE area_code = '512'), 'US-TX', '512 is Texas');
SELECT is((SELECT count(*)::int FROM textseq.area_code_region a
			WHERE NOT EXISTS (SELECT 1 FROM textseq.quiet_rule r WHERE r.region = a.region)), 0,
		  'every listed state has rules');

-- ---- regions and zones of numbers -------------------------------------------------------
SELECT is(textseq.phone_region('+13055550100'), 'US-FL', 'Miami number is US-FL');
SELECT is(textseq.phone_region('+12125550100'), 'US', 'New York number is US (federal only)');
SELECT is(textseq.phone_region('+14165550100'), NULL, 'Toronto number has no US region');
SELECT is(textseq.phone_region('+18765550100'), NULL, 'Jamaica number has no US region');
SELECT is(textseq.phone_region('+17875550100'), 'US', 'Puerto Rico number is US');
SELECT is(textseq.phone_region('+442071234567'), NULL, 'London number has no region');
SELECT is(textseq.phone_zones('+12125550100'), '{America/New_York}', 'zones by prefix');
SELECT is(textseq.phone_zones('+16795550100'), textseq.phone_zones('+13135550100'),
		  'an overlay newer than the prefix data borrows its parent''s zones');
INSERT INTO textseq.phone (e164, time_zone) VALUES ('+12125550199', 'America/Chicago');
SELECT is(textseq.phone_zones('+12125550199'), '{America/Chicago}', 'the phone''s override wins');

-- ---- explicit variant: one zone --------------------------------------------------------
CREATE TEMP TABLE w AS SELECT '08:00'::time AS ws, '21:00'::time AS we, '{0,1,2,3,4,5,6}'::int[] AS wd;
-- 2025-06-04 is a Wednesday; New York is UTC-4 in June.
SELECT is(textseq.next_send_time('2025-06-04 12:00:00.123456-04', '{America/New_York}', 'US', ws, we, wd),
		  '2025-06-04 12:00:00.123456-04', 'inside: due itself, microseconds kept') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 06:30-04', '{America/New_York}', 'US', ws, we, wd),
		  '2025-06-04 08:00-04', 'before opening: 08:00 local') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 21:30-04', '{America/New_York}', 'US', ws, we, wd),
		  '2025-06-05 08:00-04', 'after closing: next day 08:00') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 20:30-04', '{America/New_York}', 'US-FL', ws, we, wd),
		  '2025-06-05 08:00-04', 'Florida closes at 20:00') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 08:30-04', '{America/New_York}', 'US-CT', ws, we, wd),
		  '2025-06-04 09:00-04', 'Connecticut opens at 09:00') FROM w;
SELECT is(textseq.next_send_time('2025-06-07 20:30-05', '{America/Chicago}', 'US-MS', ws, we, wd),
		  '2025-06-09 08:00-05', 'Mississippi: Saturday evening -> Monday (no Sundays)') FROM w;
SELECT is(textseq.next_send_time('2025-06-08 10:00-05', '{America/Chicago}', 'US-TX', ws, we, wd),
		  '2025-06-08 12:00-05', 'Texas: Sunday opens at noon') FROM w;
SELECT is(textseq.next_send_time('2025-06-09 08:30-05', '{America/Chicago}', 'US-TX', ws, we, wd),
		  '2025-06-09 09:00-05', 'Texas: Monday opens at 09:00') FROM w;
SELECT is(textseq.next_send_time('2025-06-07 17:30-04', '{America/New_York}', 'US-RI', ws, we, wd),
		  '2025-06-08 10:00-04', 'Rhode Island: Saturday closes at 17:00, Sunday opens at 10:00') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 22:00-04', '{America/New_York}', NULL, '06:00', '23:00', wd),
		  '2025-06-04 22:00-04', 'no region: only the sequence window') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 22:30+00', '{UTC}', NULL, '22:00', '02:00', wd),
		  '2025-06-04 22:30+00', 'a window wrapping midnight is open late') FROM w;
SELECT is(textseq.next_send_time('2025-06-06 17:00-04', '{America/New_York}', 'US', '10:00', '16:00', '{1,2,3,4,5}'),
		  '2025-06-09 10:00-04', 'weekdays only: Friday evening -> Monday');

-- ---- several zones ------------------------------------------------------------------------
SELECT is(textseq.next_send_time('2025-06-04 08:30-06', '{America/Boise,America/Los_Angeles}', 'US', ws, we, wd),
		  '2025-06-04 08:00-07', 'Boise and Los Angeles: wait for 08:00 Pacific') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 21:00-06', '{America/Boise,America/Los_Angeles}', 'US', ws, we, wd),
		  '2025-06-05 08:00-07', 'Boise closed at 21:00 Mountain: next day 08:00 Pacific') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 00:00+00', '{UTC,Pacific/Auckland}', NULL, '08:00', '10:00', wd),
		  NULL, 'windows that never intersect: NULL') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 12:00-04', '{America/New_York,America/New_York}', 'US', ws, we, wd),
		  '2025-06-04 12:00-04', 'a repeated zone counts once') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 12:00-04', '{}', 'US', ws, we, wd),
		  NULL, 'no zone known: NULL') FROM w;

-- ---- DST in New York: 2025-03-09 02:00 EST -> 03:00 EDT, 2025-11-02 02:00 EDT -> 01:00 EST --
SELECT is(textseq.next_send_time('2025-03-09 00:30-05', '{America/New_York}', 'US', ws, we, wd),
		  '2025-03-09 08:00-04', 'spring forward: opens 08:00 EDT') FROM w;
SELECT is(textseq.next_send_time('2025-03-09 00:30-05', '{America/New_York}', NULL, '02:30', '21:00', wd),
		  '2025-03-09 03:00-04', 'spring forward: an opening in the skipped hour opens at 03:00') FROM w;
SELECT is(textseq.next_send_time('2025-11-02 00:30-04', '{America/New_York}', 'US', ws, we, wd),
		  '2025-11-02 08:00-05', 'fall back: opens 08:00 EST') FROM w;
SELECT is(textseq.next_send_time('2025-11-02 01:30-04', '{America/New_York}', NULL, '01:15', '01:20', wd),
		  '2025-11-02 01:15-05', 'fall back: the repeated hour is searched too') FROM w;
SELECT is(textseq.next_send_time('2026-03-08 05:00+00', '{America/New_York}', 'US', ws, we, wd),
		  '2026-03-08 08:00-04', 'spring forward 2026 (past the zone file''s explicit table)') FROM w;

-- ---- rules with effective dates, and the cache following the table ----------------------------
INSERT INTO textseq.quiet_rule (region, days, local_start, local_end, effective_from, effective_to)
VALUES ('US-FL', '{0,1,2,3,4,5,6}', '10:00', '11:00', '2019-01-01', '2020-12-31');
SELECT is(textseq.next_send_time('2025-06-04 12:00-04', '{America/New_York}', 'US-FL', ws, we, wd),
		  '2025-06-04 12:00-04', 'a rule whose effective_to is past is ignored') FROM w;
INSERT INTO textseq.quiet_rule (region, days, closed, effective_from, effective_to)
VALUES ('US-FL', '{0,1,2,3,4,5,6}', true, '2025-06-05', '2025-06-05');
SELECT is(textseq.next_send_time('2025-06-04 20:30-04', '{America/New_York}', 'US-FL', ws, we, wd),
		  '2025-06-06 08:00-04', 'a new closed day is seen at once (cache invalidated)') FROM w;
SELECT is(textseq.next_send_time('2025-06-04 20:30-04', '{America/New_York}', 'US-GA', ws, we, wd),
		  '2025-06-04 20:30-04', 'another state is not affected (federal 21:00)') FROM w;
DELETE FROM textseq.quiet_rule WHERE NOT builtin;
SELECT is(textseq.next_send_time('2025-06-04 20:30-04', '{America/New_York}', 'US-FL', ws, we, wd),
		  '2025-06-05 08:00-04', 'deleting the rule is seen at once') FROM w;

-- ---- by phone and sequence -------------------------------------------------------------------
INSERT INTO textseq.sequence (id, name, window_start, window_end) VALUES (987654, 'schedule test', '07:00', '22:00');
SELECT is(textseq.next_send_time('2025-06-04 20:30-04', '+13055550100', 987654),
		  '2025-06-05 08:00-04', 'Florida phone: 20:00 closing beats the sequence''s 22:00');
SELECT is(textseq.next_send_time('2025-06-04 07:30-04', '+12125550100', 987654),
		  '2025-06-04 08:00-04', 'New York phone: federal 08:00 beats the sequence''s 07:00');
SELECT is(textseq.next_send_time('2025-06-04 07:30-05', '+12125550199', 987654),
		  '2025-06-04 08:00-05', 'the override zone is used');
SELECT throws_ok($$SELECT textseq.next_send_time(now(), '+12125550100', -1)$$, '42704', NULL,
				 'unknown sequence: 42704');

-- ---- when an open window closes (the claim's ValidityPeriod) ---------------------------------------
SELECT is(textseq.window_closes_at('2025-06-04 20:00-04', '{America/New_York}', 'US', '08:00', '21:00',
								   '{0,1,2,3,4,5,6}', '2025-06-05 06:00-04'),
		  '2025-06-04 21:00-04', 'an open window closes at its end');
SELECT is(textseq.window_closes_at('2025-06-04 19:00-04', '{America/New_York}', 'US-NJ', '08:00', '21:00',
								   '{0,1,2,3,4,5,6}', '2025-06-05 06:00-04'),
		  '2025-06-04 20:00-04', 'New Jersey''s 20:00 closing comes first');
SELECT is(textseq.window_closes_at('2025-06-04 20:00-04', '{America/New_York}', 'US', '08:00', '21:00',
								   '{0,1,2,3,4,5,6}', '2025-06-04 20:10:00.5-04'),
		  '2025-06-04 20:10:00.5-04', 'capped at until');
SELECT is(textseq.window_closes_at('2025-06-04 19:00-04', '{America/New_York}', 'US-FL', '08:00', '22:00',
								   '{0,1,2,3,4,5,6}', '2025-06-05 06:00-04'),
		  '2025-06-04 20:00-04', 'Florida''s 20:00 closing comes first');
SELECT is(textseq.window_closes_at('2025-06-04 20:30-04', '{America/Chicago,America/New_York}', 'US',
								   '08:00', '21:00', '{0,1,2,3,4,5,6}', '2025-06-05 06:00-04'),
		  '2025-06-04 21:00-04', 'with two zones, the first to close');
SELECT is(textseq.window_closes_at('2025-06-04 22:00-04', '{America/New_York}', 'US', '08:00', '21:00',
								   '{0,1,2,3,4,5,6}', '2025-06-05 06:00-04'),
		  '2025-06-04 22:00-04', 'not open: closed already');
SELECT is(textseq.window_closes_at('2025-06-04 20:00-04', '{}', 'US', '08:00', '21:00',
								   '{0,1,2,3,4,5,6}', '2025-06-05 06:00-04'),
		  NULL, 'no zone known: NULL');

-- ---- mistakes ------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT textseq.next_send_time(now(), '{Mars/Olympus}', 'US', '08:00', '21:00', '{1}')$$,
				 '22023', NULL, 'unknown zone: 22023');
SELECT throws_ok($$SELECT textseq.next_send_time(now(), '{UTC}', 'US', '08:00', '21:00', '{7}')$$,
				 '22023', NULL, 'weekday 7: 22023');
SELECT throws_ok($$SELECT textseq.next_send_time('infinity', '{UTC}', 'US', '08:00', '21:00', '{1}')$$,
				 '22008', NULL, 'infinite due time: 22008');

SELECT * FROM finish();
ROLLBACK;
