-- opt_out.sql: opting a phone out and back in (SPEC section 9).  opt_out and
-- opt_in are the API; the worker's record step and delivery reports opt phones
-- out through the same internal function.  Who may call which is proved in
-- privileges.sql.  Fixed clock, everything rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(17);

SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';   -- 12:00 in New Jersey
\o /dev/null
SELECT textseq.create_account('acct', 'dry_run');
SELECT textseq.add_sender('acct', '+12015550100', '');
SELECT textseq.save_template('hello', 'Hello {{ lead.first_name }}');
SELECT textseq.create_sequence('optout', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('optout', 'hello');
\o

-- opt_out: a number nobody has yet gets its phone row, opted out
SELECT is(textseq.opt_out('(201) 555-0141', 'web form'), true, 'opt_out of a new number returns true');
SELECT is((SELECT opted_out FROM textseq.phone WHERE e164 = '+12015550141'), true,
		  'the number is stored in E.164, opted out');
SELECT is((SELECT opted_out_at FROM textseq.phone WHERE e164 = '+12015550141'),
		  '2026-11-23 17:00:00+00'::timestamptz, 'at the current time');
SET LOCAL textseq.test_now = '2026-11-23 18:00:00+00';
SELECT is(textseq.opt_out('+12015550141'), false, 'opting out again changes nothing and says so');
SELECT is((SELECT opted_out_at FROM textseq.phone WHERE e164 = '+12015550141'),
		  '2026-11-23 17:00:00+00'::timestamptz, 'the first opt-out time is kept');
SELECT throws_ok($$SELECT textseq.opt_out('12', 'web form')$$, '22P02', NULL, 'a number that is not one is refused');
SELECT throws_ok($$SELECT textseq.opt_out('+12015550142', '  ')$$, '22023', 'consent source must not be empty',
				 'opt_out needs a source');

-- an opted-out number is not texted: the claim omits its waiting message
SELECT textseq.add_lead('Ann', NULL, ARRAY['+12015550143']) AS ann \gset
SELECT textseq.enroll('optout', :ann) AS enr \gset
SELECT ok(textseq.opt_out('+12015550143', 'support call'), 'opt out a number with a waiting message');
SELECT is((SELECT count(*)::int FROM textseq.claim(10)), 0, 'the claim sends nothing to it');
SELECT is((SELECT status::text FROM textseq.message WHERE enrollment_id = :enr), 'omitted_opted_out',
		  'its message is omitted_opted_out');

-- opt_in (admin only): the person asked to be texted again
SELECT is(textseq.opt_in('201-555-0141', 'texted START'), true, 'opt_in of an opted-out number returns true');
SELECT is((SELECT (opted_out, opted_out_at) FROM textseq.phone WHERE e164 = '+12015550141'),
		  (false, NULL::timestamptz), 'opted in again, opt-out time cleared');
SELECT is(textseq.opt_in('+12015550141', 'texted START'), false, 'opting in again changes nothing');
SELECT throws_ok($$SELECT textseq.opt_in('+12015550141', NULL)$$, '22023', NULL, 'opt_in needs a source');

-- the worker's record step opts out through the same function
SELECT textseq.add_lead('Ben', NULL, ARRAY['+12015550144']) AS ben \gset
SELECT textseq.enroll('optout', :ben) AS enr2 \gset
SELECT message_id AS msg FROM textseq.claim(10) \gset
SELECT is(textseq.record_results(ARRAY[:msg]::bigint[], ARRAY['omitted_opted_out']::textseq.message_status[],
								 NULL, ARRAY[21610], ARRAY['recipient replied STOP']), 1,
		  'record a provider opt-out (21610)');
SELECT is((SELECT (opted_out, opted_out_at) FROM textseq.phone WHERE e164 = '+12015550144'),
		  (true, '2026-11-23 18:00:00+00'::timestamptz), 'the phone is opted out at the time of the answer');
SELECT is((SELECT status::text FROM textseq.enrollment WHERE id = :enr2), 'omitted_opted_out',
		  'and the enrollment ends omitted_opted_out');

SELECT * FROM finish();
ROLLBACK;
