-- delivery.sql: delivery reports (status callbacks) and webhook signatures
-- (SPEC sections 3, 9 and 15): duplicated and out-of-order reports end in the
-- right state and only move forward; every event is kept; a report that beats
-- the record step is applied when the send is recorded; error codes update the
-- phone; Telnyx's webhook shape; bad payloads; Twilio's signature check.
-- No worker: messages are claimed and recorded by hand under a fixed clock
-- (textseq.test_now); everything is rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(75);

SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';   -- 12:00 in New Jersey
\o /dev/null
SELECT textseq.create_account('acct', 'dry_run');
SELECT textseq.add_sender('acct', '+12015550100', '');
SELECT textseq.save_template('hello', 'Hello {{ lead.first_name }}');
SELECT textseq.create_sequence('dlr');
SELECT textseq.add_step('dlr', 'hello');

-- One lead and message per case; sid is the provider id the send gets.
CREATE TEMP TABLE who (name text PRIMARY KEY, phone text, sid text, lead bigint, msg bigint);
INSERT INTO who (name, phone, sid) VALUES
	('a', '+12015550121', 'SM0000000000000000000000000000000a'),
	('b', '+12015550122', 'SM0000000000000000000000000000000b'),
	('c', '+12015550123', 'SM0000000000000000000000000000000c'),
	('d', '+12015550124', 'SM0000000000000000000000000000000d'),
	('e', '+12015550125', 'SM0000000000000000000000000000000e'),
	('f', '+12015550126', 'SM0000000000000000000000000000000f'),
	('g', '+12015550127', 'SM00000000000000000000000000000010'),
	('h', '+12015550128', '40317159-fb0a-4f6f-8a7b-5f8b3c2d1e0a'),
	('i', '+12015550129', '40317159-fb0a-4f6f-8a7b-5f8b3c2d1e0b'),
	('j', '+12015550130', 'SM00000000000000000000000000000011'),
	('k', '+12015550131', '40317159-fb0a-4f6f-8a7b-5f8b3c2d1e0c'),
	('l', '+12015550132', '40317159-fb0a-4f6f-8a7b-5f8b3c2d1e0d'),
	('m', '+12015550133', 'SM00000000000000000000000000000012'),
	('n', '+12015550134', 'SM00000000000000000000000000000013');
UPDATE who SET lead = textseq.add_lead(name, NULL, ARRAY[phone]);
SELECT count(textseq.enroll('dlr', lead)) FROM who;
CREATE TEMP TABLE claimed AS SELECT * FROM textseq.claim(100);
UPDATE who SET msg = c.message_id FROM claimed c WHERE c.to_phone = who.phone;
\o
SELECT is((SELECT count(*)::int FROM who WHERE msg IS NOT NULL), 14, 'setup: every case has a claimed message');

-- helpers: a Twilio status callback, a Telnyx webhook, a case's message status
CREATE FUNCTION pg_temp.tw(sid text, st text, code text DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
	SELECT textseq.delivery_report('twilio', jsonb_strip_nulls(jsonb_build_object(
		'MessageSid', sid, 'MessageStatus', st, 'ErrorCode', code, 'To', '+12015550199',
		'From', '+12015550100', 'AccountSid', 'AC0123456789abcdef0123456789abcdef',
		'RawDlrDoneDate', '2611231700', 'ApiVersion', '2010-04-01')))::text
$$;
CREATE FUNCTION pg_temp.tx(id text, st text, ev text, code text DEFAULT NULL) RETURNS text
LANGUAGE sql AS $$
	SELECT textseq.delivery_report('telnyx', jsonb_build_object('data', jsonb_build_object(
		'event_type', ev, 'id', 'b301ed3f-1490-491f-995f-6e64e69674d4',
		'occurred_at', '2026-11-23T17:00:05.000+00:00', 'record_type', 'event',
		'payload', jsonb_build_object(
			'id', id, 'record_type', 'message', 'direction', 'outbound', 'type', 'SMS',
			'from', jsonb_build_object('phone_number', '+12015550100'),
			'to', jsonb_build_array(jsonb_build_object('phone_number', '+12015550199', 'status', st,
													   'line_type', 'Wireless')),
			'errors', CASE WHEN code IS NULL THEN '[]'::jsonb
						   ELSE jsonb_build_array(jsonb_build_object('code', code, 'title', 'Landline',
																	 'detail', 'not a mobile number')) END)),
		'meta', jsonb_build_object('attempt', 1, 'delivered_to', 'https://example.com/hooks')))::text
$$;
CREATE FUNCTION pg_temp.st(who_name text) RETURNS text LANGUAGE sql AS $$
	SELECT m.status::text FROM textseq.message m JOIN who w ON w.msg = m.id WHERE w.name = who_name
$$;

-- an early report: it arrives before the worker recorded the send
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'e'), 'delivered'), NULL,
		  'a report for a send not yet recorded returns NULL');
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'f'), 'undelivered', '30005'), NULL,
		  'so does an early failure report');
SELECT is((SELECT count(*)::int FROM textseq.delivery_event WHERE message_id IS NULL), 2,
		  'early reports are kept, not yet matched to a message');
SELECT is(pg_temp.st('e'), 'sending', 'an early report does not touch the message yet');

-- the record step (all but h, i, k and l are Twilio sends)
SELECT is(textseq.record_results(ARRAY(SELECT msg FROM who ORDER BY name),
								 array_fill('outbox'::textseq.message_status, ARRAY[14]),
								 ARRAY(SELECT sid FROM who ORDER BY name)), 14, 'record the fourteen sends');
SELECT is(pg_temp.st('e'), 'sent', 'an early delivered report is applied when the send is recorded');
SELECT is(pg_temp.st('f'), 'error', 'an early undelivered report too');
SELECT is((SELECT error_code FROM textseq.message WHERE id = (SELECT msg FROM who WHERE name = 'f')), 30005,
		  'with its error code');
SELECT ok((SELECT invalid FROM textseq.phone WHERE e164 = '+12015550126'), 'an early 30005 marks the phone invalid');
SELECT is((SELECT count(*)::int FROM textseq.delivery_event WHERE message_id IS NULL), 0,
		  'early events are matched once applied');
SELECT is((SELECT applied_status::text FROM textseq.delivery_event
			WHERE provider_id = (SELECT sid FROM who WHERE name = 'e')), 'sent',
		  'the early event records what it changed');

-- a: delivered, then a late "sent"
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'a'), 'delivered'), 'sent', 'delivered -> sent');
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'a'), 'sent'), 'sent', 'a late "sent" after delivered changes nothing');
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'a'), 'queued'), 'sent', 'nor does a late "queued"');
SELECT is(pg_temp.st('a'), 'sent', 'a: final state sent');

-- b: "sent" twice, then delivered
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'b'), 'sent'), 'outbox', 'carrier "sent" keeps outbox');
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'b'), 'sent'), 'outbox', 'a repeated "sent" keeps outbox');
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'b'), 'delivered'), 'sent', 'then delivered -> sent');
SELECT is((SELECT count(*)::int FROM textseq.delivery_event
			WHERE provider_id = (SELECT sid FROM who WHERE name = 'b')), 3, 'b: all three events kept');
SELECT is((SELECT count(*)::int FROM textseq.delivery_event
			WHERE provider_id = (SELECT sid FROM who WHERE name = 'b') AND applied_status IS NOT NULL), 1,
		  'b: only the delivered event changed the message');

-- c: undelivered after delivered
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'c'), 'delivered'), 'sent', 'c delivered');
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'c'), 'undelivered', '30003'), 'sent',
		  'undelivered after delivered: stays sent (forward only)');
SELECT is((SELECT error_code FROM textseq.message WHERE id = (SELECT msg FROM who WHERE name = 'c')), NULL,
		  'and the late error code is not written');
SELECT is((SELECT error_code FROM textseq.delivery_event
			WHERE provider_id = (SELECT sid FROM who WHERE name = 'c') AND provider_status = 'undelivered'), 30003,
		  'but the late event is kept with its code');

-- d: undelivered (landline), then a late delivered
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'd'), 'undelivered', '30006'), 'error', 'undelivered 30006 -> error');
SELECT is((SELECT line_type FROM textseq.phone WHERE e164 = '+12015550124'), 'landline', '30006 marks the phone landline');
SELECT is((SELECT error_code FROM textseq.message WHERE id = (SELECT msg FROM who WHERE name = 'd')), 30006,
		  'the message keeps the error code');
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'd'), 'delivered'), 'error', 'a later delivered does not undo error');
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'd'), 'undelivered', '30006'), 'error', 'a repeated failure changes nothing');

-- g: failed with an opt-out code
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'g'), 'failed', '21610'), 'error', 'failed 21610 -> error');
SELECT ok((SELECT opted_out FROM textseq.phone WHERE e164 = '+12015550127'), '21610 opts the phone out');
SELECT is((SELECT opted_out_at FROM textseq.phone WHERE e164 = '+12015550127'), '2026-11-23 17:00:00+00'::timestamptz,
		  'at the time of the report');

-- j: delivered twice, the repeat later: idempotent
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'j'), 'delivered'), 'sent', 'j delivered');
SET LOCAL textseq.test_now = '2026-11-23 18:00:00+00';
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'j'), 'delivered'), 'sent', 'a duplicated delivered report');
SELECT is((SELECT finished_at FROM textseq.message WHERE id = (SELECT msg FROM who WHERE name = 'j')),
		  '2026-11-23 17:00:00+00'::timestamptz, 'the duplicate does not touch the message');
SELECT is((SELECT array_agg(applied_status::text ORDER BY id) FROM textseq.delivery_event
			WHERE provider_id = (SELECT sid FROM who WHERE name = 'j')), ARRAY['sent', NULL],
		  'both events kept; only the first applied');

-- Telnyx webhooks (h: sent then delivered; i: delivery_failed as a landline)
SELECT is(pg_temp.tx((SELECT sid FROM who WHERE name = 'h'), 'sent', 'message.sent'), 'outbox', 'telnyx message.sent keeps outbox');
SELECT is(pg_temp.tx((SELECT sid FROM who WHERE name = 'h'), 'delivered', 'message.finalized'), 'sent',
		  'telnyx message.finalized delivered -> sent');
SELECT is(pg_temp.tx((SELECT sid FROM who WHERE name = 'h'), 'sent', 'message.sent'), 'sent', 'a late telnyx message.sent changes nothing');
SELECT is(pg_temp.tx((SELECT sid FROM who WHERE name = 'i'), 'delivery_failed', 'message.finalized', '40001'), 'error',
		  'telnyx delivery_failed -> error');
SELECT is((SELECT error_code FROM textseq.message WHERE id = (SELECT msg FROM who WHERE name = 'i')), 40001,
		  'with the telnyx error code');
SELECT is((SELECT line_type FROM textseq.phone WHERE e164 = '+12015550129'), 'landline', 'telnyx 40001 marks the phone landline');

-- every event is kept (append-only log), including the repeats and the late ones
SELECT is((SELECT count(*)::int FROM textseq.delivery_event), 20, 'every report is in textseq.delivery_event');
SELECT is((SELECT count(*)::int FROM textseq.delivery_event WHERE message_id IS NULL), 0, 'each matched to its message');
SELECT ok((SELECT bool_and(payload ? 'RawDlrDoneDate') FROM textseq.delivery_event WHERE provider = 'twilio'),
		  'the whole payload is kept, unknown fields included');
SELECT is(textseq.delivery_report('twilio', '{"SmsSid": "SM0000000000000000000000000000000b", "SmsStatus": "DELIVERED"}'),
		  'sent', 'the older SmsSid/SmsStatus names and any case are understood');
SELECT is(textseq.delivery_report('twilio', '{"MessageSid": "SMffffffffffffffffffffffffffffffff", "MessageStatus": "delivered"}'),
		  NULL, 'a report for an unknown message is kept and returns NULL');

-- bad payloads: invalid_parameter_value (22023), nothing logged
SELECT throws_ok($$SELECT textseq.delivery_report('twilio', '{"MessageStatus": "delivered"}')$$, '22023', NULL,
				 'twilio report without MessageSid');
SELECT throws_ok($$SELECT textseq.delivery_report('twilio', '{"MessageSid": "SM1"}')$$, '22023', NULL,
				 'twilio report without MessageStatus');
SELECT throws_ok($$SELECT textseq.delivery_report('twilio', '[1, 2]')$$, '22023', NULL, 'a JSON array');
SELECT throws_ok($$SELECT textseq.delivery_report('twilio', NULL)$$, '22023', NULL, 'a NULL payload');
SELECT throws_ok($$SELECT textseq.delivery_report('telnyx', '{"data": {"event_type": "message.sent"}}')$$, '22023', NULL,
				 'telnyx webhook without payload');
SELECT throws_ok($$SELECT textseq.delivery_report('plivo', '{"MessageSid": "SM1", "MessageStatus": "delivered"}')$$,
				 '22023', NULL, 'unknown provider');
SELECT throws_ok($$SELECT textseq.delivery_report('twilio', '{"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "abc"}')$$,
				 '22023', NULL, 'a non-numeric ErrorCode');
SELECT is((SELECT count(*)::int FROM textseq.delivery_event), 22, 'refused payloads are not logged');

-- What a code says about the number comes from the worker's code table, per provider
-- (the same verdicts at send time and in reports, Telnyx's included)
SELECT is(pg_temp.tx((SELECT sid FROM who WHERE name = 'k'), 'delivery_failed', 'message.finalized', '40300'), 'error',
		  'telnyx 40300 (blocked after STOP) -> error');
SELECT ok((SELECT opted_out FROM textseq.phone WHERE e164 = '+12015550131'), 'telnyx 40300 opts the phone out');
SELECT is((SELECT opted_out_at FROM textseq.phone WHERE e164 = '+12015550131'), '2026-11-23 18:00:00+00'::timestamptz,
		  'at the time of the report');
SELECT is(pg_temp.tx((SELECT sid FROM who WHERE name = 'l'), 'delivery_failed', 'message.finalized', '40012'), 'error',
		  'telnyx 40012 (invalid destination) -> error');
SELECT ok((SELECT invalid FROM textseq.phone WHERE e164 = '+12015550132'), 'telnyx 40012 marks the phone invalid');
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'm'), 'undelivered', '21635'), 'error', 'twilio 21635 -> error');
SELECT is((SELECT line_type FROM textseq.phone WHERE e164 = '+12015550133'), 'landline',
		  'twilio 21635 (not a mobile number) marks the phone landline, as at send time');
SELECT is(pg_temp.tw((SELECT sid FROM who WHERE name = 'n'), 'undelivered', '40300'), 'error',
		  'a twilio report with a telnyx-only code -> error');
SELECT ok(NOT (SELECT opted_out FROM textseq.phone WHERE e164 = '+12015550134'),
		  'but another provider''s code does not opt the phone out');
SELECT ok(NOT (SELECT opted_out OR invalid OR line_type = 'landline' FROM textseq.phone WHERE e164 = '+12015550121'),
		  'a delivered report leaves the number alone');

-- Twilio's request signature: the worked example of twilio.com/docs/usage/security
SELECT ok(textseq.twilio_signature_valid('https://mycompany.com/myapp.php?foo=1&bar=2',
		  '{"CallSid": "CA1234567890ABCDE", "Caller": "+14158675310", "Digits": "1234",
			"From": "+14158675310", "To": "+18005551212"}', 'GvWf1cFY/Q7PnoempGyD5oXAezc=', '12345'),
		  'twilio signature: the documented example is valid');
SELECT ok(NOT textseq.twilio_signature_valid('https://mycompany.com/myapp.php?foo=1&bar=2',
		  '{"CallSid": "CA1234567890ABCDE", "Caller": "+14158675310", "Digits": "1235",
			"From": "+14158675310", "To": "+18005551212"}', 'GvWf1cFY/Q7PnoempGyD5oXAezc=', '12345'),
		  'twilio signature: a tampered parameter is refused');
SELECT ok(NOT textseq.twilio_signature_valid('https://mycompany.com/myapp.php?foo=1&bar=3',
		  '{"CallSid": "CA1234567890ABCDE", "Caller": "+14158675310", "Digits": "1234",
			"From": "+14158675310", "To": "+18005551212"}', 'GvWf1cFY/Q7PnoempGyD5oXAezc=', '12345'),
		  'twilio signature: a tampered URL is refused');
SELECT ok(NOT textseq.twilio_signature_valid('https://mycompany.com/myapp.php?foo=1&bar=2',
		  '{"CallSid": "CA1234567890ABCDE", "Caller": "+14158675310", "Digits": "1234",
			"From": "+14158675310", "To": "+18005551212"}', 'GvWf1cFY/Q7PnoempGyD5oXAezc=', '12346'),
		  'twilio signature: another auth token is refused');

-- fails closed: a missing URL, signature or token is false, never NULL (NOT NULL lets a request in)
SELECT is(textseq.twilio_signature_valid(NULL, '{"a": "1"}', 'GvWf1cFY/Q7PnoempGyD5oXAezc=', '12345'), false,
		  'twilio signature: a NULL url is false');
SELECT is(textseq.twilio_signature_valid('https://mycompany.com/myapp.php', '{"a": "1"}', NULL, '12345'), false,
		  'twilio signature: a NULL signature is false');
SELECT is(textseq.twilio_signature_valid('https://mycompany.com/myapp.php', '{"a": "1"}',
		  'GvWf1cFY/Q7PnoempGyD5oXAezc=', NULL), false, 'twilio signature: a NULL auth token is false');
SELECT is(textseq.twilio_signature_valid('https://mycompany.com/myapp.php', '{}',
		  textseq._hmac_sha1_base64('', 'https://mycompany.com/myapp.php'), ''), false,
		  'twilio signature: an empty auth token is false, even with the signature it would give');
SELECT is(textseq.twilio_signature_valid('https://mycompany.com/myapp.php', '{}', '', '12345'), false,
		  'twilio signature: an empty signature is false');

SELECT * FROM finish();
ROLLBACK;
