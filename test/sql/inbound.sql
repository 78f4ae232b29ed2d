-- inbound.sql: what happens when a lead texts back (SPEC section 9): consent
-- (STOP and phrasings, START, HELP), stop on reply, conversations that branch
-- on replies, keyword starts, duplicates, unknown senders, batch actions and
-- the enrollment list.  Fixed clock, everything rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(91);

SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';   -- 12:00 in New Jersey
\o /dev/null
SELECT textseq.create_account('acct', 'dry_run');
SELECT textseq.add_sender('acct', '+12015550100', '-- Acme');
SELECT textseq.save_template('hello', 'Hello {{ lead.first_name }}');
SELECT textseq.save_template('later', 'Still there, {{ lead.first_name }}?');
SELECT textseq.save_template('sorry', 'Sorry to hear that. What went wrong?');
SELECT textseq.create_sequence('drip', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('drip', 'hello');
SELECT textseq.add_step('drip', 'later', '1 day');
SELECT textseq.create_sequence('nostop', window_start => '00:00', window_end => '23:59:59',
							   stop_on_reply => false);
SELECT textseq.add_step('nostop', 'later', '2 days');
UPDATE textseq.sequence SET opted_out_tag = 'opted out', note_conversations = true WHERE name = 'drip';
\o

CREATE TEMP TABLE r (name text PRIMARY KEY, res jsonb);
CREATE FUNCTION pg_temp.rx(name text, from_phone text, body text, pid text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $$
	INSERT INTO r VALUES (name, textseq.receive(from_phone, '+12015550100', body, pid))
	ON CONFLICT (name) DO UPDATE SET res = excluded.res RETURNING res
$$;

-- ---- STOP ---------------------------------------------------------------------------------
SELECT textseq.add_lead('Ann', NULL, ARRAY['+12015550141']) AS ann \gset
SELECT textseq.enroll('drip', :ann) AS ann_drip \gset
SELECT is(pg_temp.rx('stop', '(201) 555-0141', 'STOP', 'SM1') ->> 'action', 'opted_out', 'STOP opts out');
SELECT is((SELECT opted_out FROM textseq.phone WHERE e164 = '+12015550141'), true, 'the phone is opted out');
SELECT is((SELECT status::text FROM textseq.enrollment WHERE id = :ann_drip), 'omitted_opted_out',
		  'the enrollment that sent nothing yet ends omitted_opted_out');
SELECT is((SELECT status::text FROM textseq.message WHERE enrollment_id = :ann_drip), 'canceled',
		  'its waiting message is canceled');
SELECT is((SELECT (kind, phone, body, status::text) FROM textseq.message
			WHERE id = ((SELECT res FROM r WHERE name = 'stop') ->> 'confirmation_message_id')::bigint),
		  ('confirmation'::text, '+12015550141'::text,
		   'You are unsubscribed and will receive no more messages. Reply START to resubscribe.'::text, 'in_queue'::text),
		  'one confirmation is queued to the phone, with no marketing');
SELECT is((SELECT (consent, source, detail, changed, inbound_id IS NOT NULL)
			 FROM textseq.consent_event WHERE phone = '+12015550141'),
		  ('opt_out'::text, 'keyword'::text, 'stop'::text, true, true), 'the consent log has the keyword, with the inbound text');
SELECT is((SELECT 'opted out' = ANY(tags) FROM textseq.lead WHERE id = :ann), true,
		  'the sequence''s opted_out_tag is on the lead');
SELECT is(pg_temp.rx('stop2', '+12015550141', 'stop please', 'SM2') ->> 'confirmation_message_id', NULL,
		  'a second STOP queues no second confirmation');
SELECT is((SELECT count(*)::int FROM textseq.consent_event WHERE phone = '+12015550141'), 2,
		  'but is logged too');
SELECT is((SELECT changed FROM textseq.consent_event WHERE phone = '+12015550141' ORDER BY id DESC LIMIT 1),
		  false, 'as no change');

-- duplicate webhooks
SELECT is(pg_temp.rx('dup', '+12015550141', 'STOP', 'SM1') ->> 'duplicate', 'true',
		  'the same provider id again is a duplicate');
SELECT is((SELECT res ->> 'action' FROM r WHERE name = 'dup'), 'opted_out', 'and says what the first did');
SELECT is((SELECT count(*)::int FROM textseq.inbound WHERE provider_id = 'SM1'), 1, 'stored once');
SELECT is((SELECT count(*)::int FROM textseq.consent_event WHERE phone = '+12015550141'), 2,
		  'and logged once');

-- phrasings, and mentions that are not opt-outs
SELECT textseq.add_lead('Bo', NULL, ARRAY['+12015550142']) AS bo \gset
SELECT is(pg_temp.rx('phrase', '+12015550142', 'Please remove me.') ->> 'action', 'opted_out',
		  '"Please remove me." opts out');
SELECT is((SELECT (source, detail) FROM textseq.consent_event WHERE phone = '+12015550142'),
		  ('phrase'::text, 'remove me'::text), 'logged as a phrase');
SELECT is(pg_temp.rx('thanks', '+12015550143', 'Stop. Thank you') ->> 'action', 'opted_out',
		  '"Stop. Thank you" opts out (an unknown number too)');
SELECT is(pg_temp.rx('mention', '+12015550144', 'stopping by later') ->> 'action', 'nothing',
		  '"stopping by later" is not an opt-out');
SELECT is(pg_temp.rx('dontstop', '+12015550144', 'don''t stop') ->> 'action', 'nothing',
		  '"don''t stop" is not an opt-out');
SELECT is((SELECT opted_out FROM textseq.phone WHERE e164 = '+12015550144'), false, 'the phone stays opted in');

-- texting an opted-out phone
CREATE TEMP TABLE claimed AS SELECT c.*, m.kind FROM textseq.claim(50) c JOIN textseq.message m ON m.id = c.message_id;
SELECT is((SELECT array_agg(kind ORDER BY message_id) FROM claimed WHERE to_phone = '+12015550142'),
		  ARRAY['confirmation'], 'the claim sends an opted-out phone its confirmation and nothing else');
SELECT throws_ok($$UPDATE textseq.phone SET opted_out = false WHERE e164 = '+12015550142'$$, '42501',
				 'the opt-out of +12015550142 changes only through the consent log',
				 'even a superuser cannot flip the flag without a consent event');
SELECT throws_ok($$UPDATE textseq.consent_event SET detail = 'x'$$, '55000', 'consent_event is append-only',
				 'the consent log is append-only');
SELECT throws_ok($$UPDATE textseq.inbound SET body = 'x'$$, '55000', 'inbound is append-only',
				 'inbound texts are append-only');

-- HELP, START
SELECT textseq.add_lead('Cy', NULL, ARRAY['+12015550145']) AS cy \gset
SELECT is(pg_temp.rx('help', '+12015550145', 'HELP') ->> 'action', 'help', 'HELP gets help');
SELECT is((SELECT (kind, body) FROM textseq.message
			WHERE id = ((SELECT res FROM r WHERE name = 'help') ->> 'reply_message_id')::bigint),
		  ('help'::text, 'Reply STOP to unsubscribe. Msg & data rates may apply.'::text), 'the configured help reply is queued');
SELECT is(pg_temp.rx('help_out', '+12015550142', 'info') ->> 'reply_message_id', NULL,
		  'no help reply to an opted-out phone');
SELECT is(pg_temp.rx('yes_in', '+12015550145', 'YES') ->> 'action', 'nothing',
		  'YES from a phone that never opted out is an ordinary reply');
SELECT is(pg_temp.rx('start', '+12015550142', 'START') ->> 'action', 'opted_in', 'START opts back in');
SELECT is((SELECT opted_out FROM textseq.phone WHERE e164 = '+12015550142'), false, 'the phone is opted in');
SELECT is((SELECT (consent, source, detail) FROM textseq.consent_event WHERE phone = '+12015550142'
			ORDER BY id DESC LIMIT 1), ('opt_in'::text, 'keyword'::text, 'start'::text), 'the opt-in is logged');
SELECT is(pg_temp.rx('after_out', '+12015550141', 'hello?') ->> 'reason', 'opted out',
		  'a reply from an opted-out phone changes nothing');
SELECT textseq.enroll('nostop', :ann) AS ann_nostop \gset
SELECT is((SELECT status::text FROM textseq.enrollment WHERE id = :ann_nostop),
		  'omitted_opted_out', 'enrolling an opted-out phone gives omitted_opted_out at once');
SELECT is((SELECT count(*)::int FROM textseq.message m JOIN textseq.enrollment e ON e.id = m.enrollment_id
			WHERE e.lead_id = :ann AND e.status = 'omitted_opted_out' AND m.status = 'in_queue'), 0,
		  'with nothing queued');

-- ---- stop on reply ------------------------------------------------------------------------
SELECT textseq.add_lead('Di', NULL, ARRAY['+12015550146']) AS di \gset
SELECT textseq.enroll('drip', :di) AS di_drip \gset
SELECT textseq.enroll('nostop', :di) AS di_nostop \gset
SELECT is(pg_temp.rx('reply2', '+12015550146', 'Who is this?') ->> 'action', 'finished',
		  'a reply finishes stop-on-reply enrollments');
SELECT is((SELECT status::text FROM textseq.enrollment WHERE id = :di_drip), 'finished_responded',
		  'the stop-on-reply enrollment is finished_responded');
SELECT is((SELECT status::text FROM textseq.message WHERE enrollment_id = :di_drip), 'canceled',
		  'and its waiting message is canceled');
SELECT is((SELECT status::text FROM textseq.enrollment WHERE id = :di_nostop), 'pending',
		  'the one without stop_on_reply goes on');
SELECT isnt((SELECT responded_at FROM textseq.enrollment WHERE id = :di_nostop), NULL,
			'with the reply noted');
SELECT is((SELECT count(*)::int FROM textseq.lead_note WHERE lead_id = :di), 1,
		  'the sequence that notes conversations noted it on the lead');
SELECT is(((SELECT res FROM r WHERE name = 'reply2') -> 'finished_enrollment_ids') ->> 0, :di_drip::text,
		  'receive says which enrollment it finished');

-- ---- conversations --------------------------------------------------------------------------
\o /dev/null
SELECT textseq.create_sequence('survey', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_wait_step('survey', '1 day');          -- 1
SELECT textseq.add_step('survey', 'sorry');                -- 2
SELECT textseq.add_wait_step('survey', '2 hours');        -- 3
SELECT textseq.add_step('survey', 'hello');                -- 4
\o
SELECT is(textseq.add_branch('survey', 1, 'less', '5', tag => 'unhappy', goto_step => 2), 1, 'branch 1');
SELECT is(textseq.add_branch('survey', 1, 'between', '5', '8', save_to => 'score', finish => true), 2, 'branch 2');
SELECT is(textseq.add_branch('survey', 1, 'equals', 'great, *awesome*', tag => 'fan', finish => true), 3,
		  'branch 3');
SELECT is(textseq.add_branch('survey', 1, 'greater', 'lead.threshold', tag => 'above', finish => true), 4,
		  'branch 4 compares with a lead field');
SELECT is(textseq.add_branch('survey', 1, 'any', goto_step => 4), 5, 'the fallback');
SELECT throws_ok($$SELECT textseq.add_branch('survey', 2, 'any')$$, '22023', NULL,
				 'a branch needs a wait step');
SELECT throws_ok($$SELECT textseq.add_branch('survey', 1, 'less', 'ten')$$, '22023',
				 'invalid conversation branch', 'less needs a number');
SELECT throws_ok($$SELECT textseq.add_branch('survey', 1, 'any', goto_step => 9)$$, '22023',
				 'sequence "survey" has no step 9', 'goto_step must exist');
SELECT throws_ok($$SELECT textseq.add_branch('survey', 1, 'any', save_to => 'id')$$, '22023', NULL,
				 'a reply cannot overwrite the lead id');
SELECT throws_ok($$SELECT textseq.add_wait_step('survey', '10 seconds')$$, '22023', NULL,
				 'a wait timeout of under a minute is refused');

CREATE FUNCTION pg_temp.survey(phone text, threshold int DEFAULT 9) RETURNS bigint LANGUAGE sql AS $$
	SELECT textseq.enroll('survey', textseq.add_lead('S', NULL, ARRAY[phone],
													  fields => jsonb_build_object('threshold', threshold)))
$$;
SELECT pg_temp.survey('+12015550150') AS s1 \gset
SELECT is((SELECT wait_until FROM textseq.enrollment WHERE id = :s1), '2026-11-24 17:00:00+00'::timestamptz,
		  'an enrollment at a wait step waits until its timeout');
SELECT is(pg_temp.rx('b1', '+12015550150', '3') ->> 'action', 'branch', 'a reply to a waiting conversation branches');
SELECT is(((SELECT res FROM r WHERE name = 'b1') -> 'branches' -> 0 ->> 'branch'), '1', 'on the first match');
SELECT is((SELECT (current_step, status::text, wait_until) FROM textseq.enrollment WHERE id = :s1),
		  (2, 'pending'::text, NULL::timestamptz), 'which went to step 2');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE enrollment_id = :s1 AND step = 2 AND status = 'in_queue'),
		  1, 'and queued it');
SELECT is((SELECT 'unhappy' = ANY(l.tags) FROM textseq.lead l JOIN textseq.enrollment e ON e.lead_id = l.id
			WHERE e.id = :s1), true, 'with its tag');

SELECT pg_temp.survey('+12015550151') AS s2 \gset
SELECT is(pg_temp.rx('b2', '+12015550151', ' 7 ') -> 'branches' -> 0 ->> 'branch', '2', 'between 5 and 8');
SELECT is((SELECT (e.status::text, l.fields ->> 'score') FROM textseq.enrollment e
			JOIN textseq.lead l ON l.id = e.lead_id WHERE e.id = :s2),
		  ('finished_responded'::text, ' 7 '::text), 'saves the reply and finishes');

SELECT pg_temp.survey('+12015550152') AS s3 \gset
SELECT is(pg_temp.rx('b3', '+12015550152', 'That was AWESOME!!') -> 'branches' -> 0 ->> 'branch', '3',
		  'a non-numeric reply skips the numeric branches and matches *awesome*');
SELECT pg_temp.survey('+12015550153', 9) AS s4 \gset
SELECT is(pg_temp.rx('b4', '+12015550153', '10') -> 'branches' -> 0 ->> 'branch', '4',
		  '10 > lead.threshold (9)');
SELECT pg_temp.survey('+12015550154', 9) AS s5 \gset
SELECT is(pg_temp.rx('b5', '+12015550154', 'nine') -> 'branches' -> 0 ->> 'branch', '5',
		  '"nine" is not a number: the fallback');
SELECT is((SELECT current_step FROM textseq.enrollment WHERE id = :s5), 4, 'which went to step 4');
SELECT pg_temp.survey('+12015550155', NULL) AS s6 \gset
SELECT is(pg_temp.rx('b6', '+12015550155', '9.5') -> 'branches' -> 0 ->> 'branch', '5',
		  'a lead field that is missing never matches a numeric branch');

-- a timeout with no reply
SELECT pg_temp.survey('+12015550156') AS s7 \gset
SET LOCAL textseq.test_now = '2026-11-24 17:00:01+00';
SELECT ok(textseq.sweep() >= 1, 'the sweep finds the timed-out conversation');
SELECT is((SELECT status::text FROM textseq.enrollment WHERE id = :s7), 'finished_no_response',
		  'a conversation with no reply finishes finished_no_response');
SET LOCAL textseq.test_now = '2026-11-23 18:00:00+00';

-- ---- keyword starts -------------------------------------------------------------------------
SELECT ok(textseq.add_keyword('(201) 555-0100', 'Join', 'survey') > 0, 'a keyword for the sender number');
SELECT throws_ok($$SELECT textseq.add_keyword('+12015550100', 'STOP', 'survey')$$, '22023', NULL,
				 'a consent word cannot be a keyword');
SELECT throws_ok($$SELECT textseq.add_keyword('+12015550100', 'join', 'drip')$$, '23505', NULL,
				 'a keyword is used once per number');
SELECT throws_ok($$SELECT textseq.add_keyword('+12015550199', 'go', 'drip')$$, '42704', NULL,
				 'the number must be a sender');
SELECT is(pg_temp.rx('k1', '+12015550160', 'join!') ->> 'action', 'started',
		  'the keyword from an unknown phone starts the sequence');
SELECT is((SELECT (e.status::text, q.name, c.phone) FROM textseq.enrollment e
			JOIN textseq.sequence q ON q.id = e.sequence_id JOIN textseq.contact c ON c.lead_id = e.lead_id
			WHERE e.id = ((SELECT res FROM r WHERE name = 'k1') ->> 'enrollment_id')::bigint),
		  ('pending'::text, 'survey'::text, '+12015550160'::text), 'creating the lead with that phone');
SELECT is(pg_temp.rx('k2', '+12015550160', 'JOIN') ->> 'action', 'branch',
		  'the keyword again is a reply to the conversation it started');
SELECT pg_temp.survey('+12015550161') AS s8 \gset
SELECT is((SELECT e.status::text FROM textseq.enrollment e WHERE e.id = :s8), 'pending', 'a phone in a conversation');
UPDATE textseq.enrollment SET current_step = 2, wait_until = NULL WHERE id = :s8;
UPDATE textseq.sequence SET stop_on_reply = false WHERE name = 'survey';
SELECT is(pg_temp.rx('k3', '+12015550161', 'join') ->> 'reason', 'in a conversation',
		  'a phone in an unfinished conversation cannot start another for 24 h');
SET LOCAL textseq.test_now = '2026-11-24 18:00:01+00';
SELECT is(pg_temp.rx('k4', '+12015550161', 'join') ->> 'action', 'started', 'after 24 h it can');
SET LOCAL textseq.test_now = '2026-11-23 18:00:00+00';

-- ---- unknown senders, odd bodies -------------------------------------------------------------
SELECT is(pg_temp.rx('unknown', '+12015550170', 'hi there') ->> 'reason', 'unknown sender',
		  'a text from an unknown number is stored and does nothing');
SELECT is(pg_temp.rx('short', '12345', 'hi') ->> 'reason', 'sender number not readable',
		  'a short code sender is stored as received');
SELECT is((SELECT from_phone FROM textseq.inbound WHERE id = ((SELECT res FROM r WHERE name = 'short') ->> 'inbound_id')::bigint),
		  '12345', 'as received');
SELECT is(pg_temp.rx('long', '+12015550171', repeat('é', 1600)) ->> 'action', 'nothing',
		  'a 1,600-character body is fine');
SELECT is(pg_temp.rx('empty', '+12015550171', '') ->> 'action', 'nothing', 'an empty body is fine');
SELECT is(pg_temp.rx('null', '+12015550171', NULL) ->> 'action', 'nothing', 'a NULL body is stored empty');
SELECT throws_ok($$SELECT textseq.receive(NULL, '+12015550100', 'x')$$, '22004', NULL,
				 'a text without a sender number is refused');
SELECT textseq.receive('+12015550172', '+12015550100', '', NULL, NULL,
					   ARRAY['https://m.example/a.jpg']) ->> 'inbound_id' AS mms \gset
SELECT is((SELECT media_urls FROM textseq.inbound WHERE id = :mms),
		  ARRAY['https://m.example/a.jpg'], 'media URLs are stored');

-- ---- batch actions and the list ----------------------------------------------------------------
SELECT textseq.add_lead('Ed', NULL, ARRAY['+12015550180']) AS ed \gset
SELECT textseq.enroll('drip', :ed) AS ed_drip \gset
SELECT is(textseq.finish_enrollments(ARRAY[:ed_drip, :ann_drip]), 1, 'finish_enrollments counts the pending ones');
SELECT is((SELECT (e.status::text, m.status::text) FROM textseq.enrollment e
			JOIN textseq.message m ON m.enrollment_id = e.id WHERE e.id = :ed_drip),
		  ('finished_stopped'::text, 'canceled'::text), 'finished_stopped, its waiting message canceled');
SELECT is(textseq.tag_leads(ARRAY[:ed, :di], 'vip'), 2, 'tag_leads tags both');
SELECT is(textseq.tag_leads(ARRAY[:ed, :di], 'vip'), 0, 'and only once');
SELECT is(cardinality(textseq.send_one(ARRAY[:ed, :di], 'hello')), 2, 'send_one queues one message each');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE kind = 'one_off' AND lead_id IN (:ed, :di)
			AND template_id = textseq._template_id('hello')), 2, 'of kind one_off with the template');
SELECT is((SELECT (status, sequence, enrolled_by::text) FROM textseq.enrollments WHERE id = :ed_drip),
		  ('finished_stopped'::textseq.enrollment_status, 'drip'::text, current_user::text),
		  'the enrollment list shows status, sequence and who enrolled');

SELECT * FROM finish();
ROLLBACK;
