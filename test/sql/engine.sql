-- engine.sql: enrollment, scheduling, the pre-send gate of the claim, recording.
-- Fixed clock (textseq.test_now), everything rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(60);

SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';   -- 12:00 in New York
SELECT textseq.create_account('acct', 'dry_run') AS acct \gset
SELECT textseq.add_sender('acct', '+12015550100', '-- Bob at Acme') AS snd \gset
SELECT textseq.save_template('hello', 'Hi {{ lead.first_name | default: "there" }} {{ sender.signature }}');
SELECT textseq.save_template('follow', 'Still interested, {{ lead.first_name }}?');
SELECT textseq.save_template('promo', 'Sale today only!');
SELECT textseq.create_sequence('welcome') AS seq \gset
SELECT textseq.add_step('welcome', 'hello');
SELECT textseq.add_step('welcome', 'follow', '2 hours');

-- Leads (201-555-01xx are valid example numbers in libphonenumber's US data).
SELECT textseq.add_lead('Ann', 'Lee', ARRAY['(201) 555-0101']) AS ann \gset
SELECT textseq.add_lead('Ben', NULL, ARRAY['201-555-0102', '201.555.0103']) AS ben \gset
SELECT textseq.add_lead('Cat', NULL, ARRAY['+1 201 555 0104']) AS cat \gset
SELECT textseq.add_lead('Dan', NULL, ARRAY['2015550105']) AS dan \gset
SELECT textseq.add_lead('Eve', NULL, ARRAY['2015550106']) AS eve \gset
SELECT textseq.add_lead(NULL, NULL, ARRAY['2015550107']) AS fay \gset
SELECT textseq.add_lead('Gus', NULL, '{}') AS gus \gset

SELECT is((SELECT phone FROM textseq.contact WHERE lead_id = :ann), '+12015550101',
		  'contact phones are normalised to E.164');
SELECT ok(EXISTS (SELECT 1 FROM textseq.phone WHERE e164 = '+12015550101'),
		  'a contact creates its per-phone state row');

-- enroll
SELECT lives_ok(format('SELECT textseq.enroll(%L, %s)', 'welcome', :ann), 'enroll a lead');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE lead_id = :ann), 1,
		  'enrolling queues only the first step');
SELECT is((SELECT due_at FROM textseq.message WHERE lead_id = :ann), '2026-11-23 17:00:00+00'::timestamptz,
		  'an immediate first step is due at launch');
SELECT is((SELECT expires_at - due_at FROM textseq.message WHERE lead_id = :ann), '36 hours'::interval,
		  'expire_after defaults to 36 hours');
SELECT is(textseq.enroll('welcome', :ann), (SELECT id FROM textseq.enrollment WHERE lead_id = :ann),
		  'enrolling again while pending returns the same enrollment');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE lead_id = :ann), 1,
		  'enrolling again queues nothing');
SELECT throws_ok('SELECT textseq.enroll(''nope'', 1)', '42704', 'sequence "nope" does not exist',
				 'unknown sequence is undefined_object');
SELECT throws_ok('SELECT textseq.enroll(''welcome'', -5)', '42704', 'lead -5 does not exist',
				 'unknown lead is undefined_object');
SELECT textseq.create_sequence('empty');
SELECT throws_ok('SELECT textseq.enroll(''empty'', 1)', '55000', NULL, 'a sequence without steps refuses enrollment');
SELECT throws_ok('SELECT textseq.enroll(''welcome'', 1, 999)', '42704', NULL, 'unknown sender is undefined_object');
SELECT throws_ok('SELECT * FROM textseq.claim(0)', '22003', NULL, 'claim batch size is range-checked');

-- enrollment with a start time and the rest of the leads
SELECT textseq.enroll('welcome', :ben, start_at => '2026-11-23 18:00:00+00');
SELECT is((SELECT due_at FROM textseq.message WHERE lead_id = :ben), '2026-11-23 18:00:00+00'::timestamptz,
		  'start_at sets the first due time');
SELECT textseq.opt_out('+12015550104', 'test: opted out before enrolling') \gset
UPDATE textseq.phone SET line_type = 'landline' WHERE e164 = '+12015550105';
UPDATE textseq.phone SET invalid = true WHERE e164 = '+12015550106';
SELECT textseq.enroll('welcome', :cat), textseq.enroll('welcome', :dan), textseq.enroll('welcome', :eve),
	   textseq.enroll('welcome', :fay), textseq.enroll('welcome', :gus);

-- a paused account holds its messages; resuming lets them go
SELECT textseq.pause_account('acct', 'carrier review');
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 0, 'nothing is claimed while the account is paused');
SELECT is((SELECT paused_reason FROM textseq.account WHERE name = 'acct'), 'carrier review',
		  'pause_account keeps the reason');
SELECT textseq.resume_account('acct');
SELECT is((SELECT (paused, paused_reason, paused_at) IS NOT DISTINCT FROM (false, NULL::text, NULL::timestamptz)
			 FROM textseq.account WHERE name = 'acct'), true, 'resume_account clears the pause');
SELECT throws_ok('SELECT textseq.pause_account(''nope'')', '42704', 'account "nope" does not exist',
				 'pausing an unknown account is undefined_object');
SELECT throws_ok('SELECT textseq.resume_account(''nope'')', '42704', 'account "nope" does not exist',
				 'resuming an unknown account is undefined_object');

-- claim: only due messages, each skip with its status
CREATE TEMP TABLE claimed AS SELECT * FROM textseq.claim(100);
SELECT is((SELECT count(*)::int FROM claimed), 2, 'claim returns the sendable due messages');
SELECT is((SELECT body FROM claimed WHERE to_phone = '+12015550101'), 'Hi Ann -- Bob at Acme',
		  'claimed bodies are rendered with lead fields and the sender signature');
SELECT is((SELECT body FROM claimed WHERE to_phone = '+12015550107'), 'Hi there -- Bob at Acme',
		  'a nil merge field falls back to its default');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = :ben), 'in_queue',
		  'a message not yet due is not claimed');
SELECT is((SELECT coalesce(string_agg(m.status::text, ','), 'nothing queued') || ' / ' || e.status
			 FROM textseq.enrollment e LEFT JOIN textseq.message m ON m.enrollment_id = e.id
			WHERE e.lead_id = :cat GROUP BY e.status), 'nothing queued / omitted_opted_out',
		  'enrolling an opted-out phone queues nothing: omitted_opted_out at once (the claim''s gate: opt_out.sql)');
SELECT is((SELECT status::text FROM textseq.enrollment WHERE lead_id = :cat), 'omitted_opted_out',
		  'and so is its enrollment');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = :dan), 'omitted_landline',
		  'a landline is omitted_landline');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = :eve), 'omitted_invalid',
		  'an invalid number is omitted_invalid');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = :gus), 'omitted_invalid',
		  'a lead without phones is omitted_invalid');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = :ann), 'sending',
		  'claimed messages are marked sending');
SELECT is((SELECT segments FROM textseq.message WHERE lead_id = :ann), 1, 'segments are counted at claim');

-- record: handed over -> the next step is queued after its delay
SELECT is(textseq.record_results(ARRAY(SELECT message_id FROM claimed ORDER BY 1),
								 ARRAY['outbox', 'outbox']::textseq.message_status[],
								 ARRAY['SM1', 'SM2']), 2, 'record_results records a batch');
SELECT is((SELECT due_at FROM textseq.message WHERE lead_id = :ann AND step = 2),
		  '2026-11-23 19:00:00+00'::timestamptz, 'the next step is due its delay after the send');
SELECT is(textseq.record_results(ARRAY(SELECT message_id FROM claimed ORDER BY 1),
								 ARRAY['sent', 'sent']::textseq.message_status[]), 2,
		  'a delivery moves outbox to sent');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE lead_id = :ann), 2,
		  'outbox -> sent does not advance the enrollment again');
SELECT is(textseq.record_results(ARRAY(SELECT message_id FROM claimed ORDER BY 1),
								 ARRAY['outbox', 'outbox']::textseq.message_status[]), 0,
		  'a late outbox after sent is skipped (forward only)');
SELECT throws_ok(format('UPDATE textseq.message SET status = %L WHERE lead_id = %s AND step = 1', 'outbox', :ann),
				 '55000', 'message status cannot move from sent to outbox', 'the status guard refuses backward moves');

-- expiry: a message not sent within expire_after of its due time expires
SET LOCAL textseq.test_now = '2026-11-25 06:00:01+00';
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 0, 'nothing is sent late');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = :ben), 'expired',
		  'a message past its expiry is expired');
SELECT is((SELECT status::text FROM textseq.enrollment WHERE lead_id = :ben), 'expired',
		  'and its enrollment too');

-- deleted lead
SET LOCAL textseq.test_now = '2026-11-26 15:00:00+00';
SELECT textseq.add_lead('Hal', NULL, ARRAY['2015550108']) AS hal \gset
SELECT textseq.enroll('welcome', :hal);
DELETE FROM textseq.lead WHERE id = :hal;
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 0, 'a deleted lead is never sent to');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = :hal), 'omitted_deleted_lead',
		  'its message is omitted_deleted_lead');

-- quiet hours: due at 03:00 New York -> held until the window opens at 08:00
SET LOCAL textseq.test_now = '2026-11-27 08:00:00+00';
SELECT textseq.add_lead('Ida', NULL, ARRAY['2015550109']) AS ida \gset
SELECT textseq.enroll('welcome', :ida);
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 0, 'nothing is sent at 3 a.m.');
SELECT is((SELECT status::text || ' ' || run_at FROM textseq.message WHERE lead_id = :ida),
		  'held_quiet_hours 2026-11-27 13:00:00+00', 'held until 08:00 local');
SET LOCAL textseq.test_now = '2026-11-27 13:00:00+00';
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 1, 'released when the window opens');

-- duplicates: an identical body to the same phone within 24 h is blocked
SELECT textseq.create_sequence('promo1') , textseq.create_sequence('promo2'), textseq.create_sequence('promo3', block_duplicates => false);
SELECT textseq.add_step('promo1', 'promo'), textseq.add_step('promo2', 'promo'), textseq.add_step('promo3', 'promo');
SELECT textseq.add_lead('Jo', NULL, ARRAY['2015550110']) AS jo \gset
SELECT textseq.enroll('promo1', :jo);
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 1, 'the first promo goes out');
SELECT textseq.enroll('promo2', :jo);
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 0, 'an identical text within 24 h does not');
SELECT is((SELECT status::text FROM textseq.message m JOIN textseq.sequence s ON s.id = m.sequence_id
			WHERE s.name = 'promo2'), 'blocked_duplicate', 'it is blocked_duplicate');
SELECT textseq.enroll('promo3', :jo);
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 1, 'with duplicate blocking off it is sent anyway');

-- cancel
SELECT textseq.add_lead('Kim', NULL, ARRAY['2015550111']) AS kim \gset
SELECT textseq.enroll('welcome', :kim, start_at => '2026-12-01 15:00:00+00') AS kim_e \gset
SELECT is(textseq.cancel(:kim_e), 1, 'cancel cancels waiting messages');
SELECT is((SELECT status::text FROM textseq.enrollment WHERE id = :kim_e), 'canceled', 'and the enrollment');

-- templates are validated when saved; versions are immutable; queued messages keep theirs
SELECT throws_ok($$SELECT textseq.save_template('broken', 'Hi {{ lead.first_name')$$, '42601', NULL,
				 'a template with a syntax error is refused when saved');
SELECT throws_ok($$SELECT textseq.save_template('badfilter', 'Hi {{ lead.first_name | shout }}')$$, '42883', NULL,
				 'a template with an unknown filter is refused when saved');
SELECT throws_ok($$UPDATE textseq.template_version SET body = 'x'$$, '55000', NULL,
				 'stored template versions cannot be edited');
SELECT textseq.create_sequence('snap');
SELECT textseq.save_template('snapt', 'Version one');
SELECT textseq.add_step('snap', 'snapt');
SELECT textseq.add_lead('Liv', NULL, ARRAY['2015550112']) AS liv \gset
SELECT textseq.enroll('snap', :liv, start_at => '2026-11-27 13:30:00+00');
SELECT textseq.save_template('snapt', 'Version two');
SET LOCAL textseq.test_now = '2026-11-27 13:30:00+00';
SELECT is((SELECT body FROM textseq.claim(100) WHERE to_phone = '+12015550112'), 'Version one',
		  'a queued message keeps the template version current at launch');

-- rendered body over 1,600 characters: error 21617, never cut
SELECT textseq.save_template('long', '{{ lead.company }}');
SELECT textseq.create_sequence('longseq');
SELECT textseq.add_step('longseq', 'long');
SELECT textseq.add_lead('Max', NULL, ARRAY['2015550113'], company => repeat('x', 1601)) AS max \gset
SELECT textseq.enroll('longseq', :max);
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 0, 'an over-long body is not sent');
SELECT is((SELECT status::text || ' ' || error_code FROM textseq.message WHERE lead_id = :max),
		  'error 21617', 'it is an error with code 21617');

-- smart encoding: look-alikes become GSM-7 when the sequence asks for it
SELECT textseq.save_template('curly', 'It’s “great” — see you…');
SELECT textseq.create_sequence('smart', smart_encoding => true);
SELECT textseq.add_step('smart', 'curly');
SELECT textseq.add_lead('Ned', NULL, ARRAY['2015550114']) AS ned \gset
SELECT textseq.enroll('smart', :ned);
SELECT is((SELECT body FROM textseq.claim(100)), 'It''s "great" - see you...',
		  'smart encoding replaces look-alikes before sending');

-- frequency cap: at most N texts per phone per window; the rest are held, not dropped
SELECT textseq.save_template('c1', 'Cap one'), textseq.save_template('c2', 'Cap two'),
	   textseq.save_template('c3', 'Cap three');
SELECT textseq.create_sequence('cap1'), textseq.create_sequence('cap2'), textseq.create_sequence('cap3');
UPDATE textseq.sequence SET frequency_cap = 2, frequency_window = '1 day' WHERE name LIKE 'cap_';
SELECT textseq.add_step('cap1', 'c1'), textseq.add_step('cap2', 'c2'), textseq.add_step('cap3', 'c3');
SELECT textseq.add_lead('Oli', NULL, ARRAY['2015550115']) AS oli \gset
SELECT textseq.enroll('cap1', :oli), textseq.enroll('cap2', :oli), textseq.enroll('cap3', :oli);
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 2, 'a cap of 2 sends two');
SELECT is((SELECT status::text FROM textseq.message m JOIN textseq.sequence s ON s.id = m.sequence_id
			WHERE s.name = 'cap3'), 'capped', 'the third is capped');
SELECT ok((SELECT run_at >= '2026-11-28 13:30:00+00' FROM textseq.message m
			JOIN textseq.sequence s ON s.id = m.sequence_id WHERE s.name = 'cap3'),
		  'and held until the window frees up');

SELECT * FROM finish();
ROLLBACK;
