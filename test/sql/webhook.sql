-- webhook.sql: verified status callbacks (SPEC sections 9 and 11).
-- delivery_webhook checks the request's signature with the named account's
-- own credentials (Twilio: HMAC-SHA1 with the auth token; Telnyx: Ed25519 with
-- the account's public key, within 5 minutes), refuses with 28000 and stores
-- nothing when it does not hold, and matches the report only to that
-- account's messages.  The Telnyx vectors were signed with OpenSSL's
-- command-line tool (an implementation other than the one under test).
-- Fixed clock; everything rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(44);

SET LOCAL textseq.test_now = '2025-11-24 16:00:00+00';   -- Unix time 1764000000
\set tx_key 'L7n5DRwTDTHkkGv2CoX+uxDJRV7Dr87qda4Di8AtuQU='
\set tx_other_key 'MJS389OZUuGa5Lrn9WXyJCA5AK2Q0UCmdULuXXOwvDI='
\set b1 '{"data":{"event_type":"message.finalized","id":"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0","occurred_at":"2025-11-24T15:59:58.000+00:00","payload":{"id":"40317159-fb0a-4f6f-8a7b-5f8b3c2d1e01","to":[{"phone_number":"+12015550181","status":"delivered"}],"errors":[]},"record_type":"event"},"meta":{"attempt":1}}'
\set s1 '8RcmwmmGePeRJyh6tmxjgRYt2vGhEqQKwKLd1nnkYh+IAWvIish2GHhRhibxULW5N6S+4n6GX3+ngHE/OfTHCQ=='
\set s1_other_key 'y/TsdzKQWAE4bO4bw63Jg4OsM0Ny/i7ZlueTxq7dR1NjS5E3zDlZdaNoiCHRDedmRJ1QX6cBa9kycXeSB2wzCQ=='
\set b2 '{"data":{"event_type":"message.finalized","id":"0ccc7b54-4df3-4bca-a65a-3da1ecc777f1","occurred_at":"2025-11-24T15:59:59.000+00:00","payload":{"id":"40317159-fb0a-4f6f-8a7b-5f8b3c2d1e02","to":[{"phone_number":"+12015550182","status":"delivery_failed"}],"errors":[{"code":"40300","title":"Blocked due to STOP message"}]},"record_type":"event"},"meta":{"attempt":1}}'
\set s2 'yU/6kibMY8ADoKqaivmBlIOb5CeIPe5saZJlbuHDBXduQtCMrFD9eAdypoBjrHm8rBwuL3+Z3ey4HOSSD7IYDQ=='

\o /dev/null
SELECT textseq.create_account('tw', 'twilio', 'AC0123456789abcdef0123456789abcdef', 'token-one');
SELECT textseq.create_account('tw2', 'twilio', 'ACfedcba9876543210fedcba9876543210', 'token-two');
SELECT textseq.create_account('tx', 'telnyx', secret => 'KEY-api');
UPDATE textseq.account SET webhook_public_key = :'tx_key' WHERE name = 'tx';
SELECT textseq.create_account('dry', 'dry_run');
SELECT textseq.add_sender('tw', '+12015550100', '');
SELECT textseq.add_sender('tw2', '+12015550200', '');
SELECT textseq.add_sender('tx', '+12015550300', '');
SELECT textseq.save_template('hello', 'Hello {{ lead.first_name }}');
SELECT textseq.create_sequence('hook', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('hook', 'hello');

-- one message per case, sent from the given account's sender and recorded with its provider id
CREATE TEMP TABLE c (name text PRIMARY KEY, acct text, phone text, sid text, msg bigint);
INSERT INTO c VALUES
	('tw-a', 'tw', '+12015550181', 'SM000000000000000000000000000000a1', NULL),
	('tw-b', 'tw', '+12015550183', 'SM000000000000000000000000000000a2', NULL),
	('tw2-a', 'tw2', '+12015550184', 'SM000000000000000000000000000000b1', NULL),
	('tx-a', 'tx', '+12015550185', '40317159-fb0a-4f6f-8a7b-5f8b3c2d1e01', NULL),
	('tx-b', 'tx', '+12015550182', '40317159-fb0a-4f6f-8a7b-5f8b3c2d1e02', NULL);
SELECT count(textseq.enroll('hook', textseq.add_lead(name, NULL, ARRAY[phone]),
							(SELECT s.id FROM textseq.sender s JOIN textseq.account a ON a.id = s.account_id
							  WHERE a.name = c.acct)))
  FROM c;
UPDATE c SET msg = m.message_id FROM textseq.claim(10) m WHERE m.to_phone = c.phone;
SELECT textseq.record_results(array_agg(msg ORDER BY name), array_agg('outbox'::textseq.message_status),
							  array_agg(sid ORDER BY name)) FROM c;

-- Twilio's signature, computed the documented way (the primitive is checked against
-- Twilio's own worked example in delivery.sql)
CREATE FUNCTION pg_temp.tw_sig(token text, url text, params jsonb) RETURNS text LANGUAGE sql AS $$
	SELECT textseq._hmac_sha1_base64(token, url || (SELECT string_agg(p.key || p.value, '' ORDER BY p.key COLLATE "C")
													  FROM jsonb_each_text(params) p))
$$;
CREATE FUNCTION pg_temp.cb(sid text, st text, code text DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('MessageSid', sid, 'MessageStatus', st, 'ErrorCode', code,
												'AccountSid', 'AC0123456789abcdef0123456789abcdef'))
$$;
CREATE FUNCTION pg_temp.st(case_name text) RETURNS text LANGUAGE sql AS $$
	SELECT m.status::text FROM textseq.message m JOIN c ON c.msg = m.id WHERE c.name = case_name
$$;
CREATE FUNCTION pg_temp.events() RETURNS int LANGUAGE sql AS $$
	SELECT count(*)::int FROM textseq.delivery_event
$$;
\o
SELECT is((SELECT count(*)::int FROM c WHERE msg IS NOT NULL), 5, 'setup: five messages in outbox');
\set url 'https://app.example.com/sms/status?src=tw'

-- Twilio: a valid signature is applied
SELECT is(textseq.delivery_webhook('tw', :'url', pg_temp.cb('SM000000000000000000000000000000a1', 'delivered'),
		  pg_temp.tw_sig('token-one', :'url', pg_temp.cb('SM000000000000000000000000000000a1', 'delivered')))::text,
		  'sent', 'twilio: a callback signed with the account''s token is applied');
SELECT is((SELECT account_id FROM textseq.delivery_event ORDER BY id DESC LIMIT 1),
		  (SELECT id FROM textseq.account WHERE name = 'tw'), 'twilio: the event records the account that checked it');

-- Twilio: bad, missing or foreign signatures are refused and nothing is stored
SELECT throws_ok(format($$SELECT textseq.delivery_webhook('tw', %L, %L, %L)$$, :'url',
		pg_temp.cb('SM000000000000000000000000000000a2', 'delivered'),
		pg_temp.tw_sig('token-one', :'url', pg_temp.cb('SM000000000000000000000000000000a2', 'undelivered'))),
	'28000', 'webhook signature is not valid for account "tw"', 'twilio: a signature over other parameters is refused');
SELECT throws_ok(format($$SELECT textseq.delivery_webhook('tw', %L, %L, NULL)$$, :'url',
		pg_temp.cb('SM000000000000000000000000000000a2', 'delivered')),
	'28000', NULL, 'twilio: a missing signature is refused');
SELECT throws_ok(format($$SELECT textseq.delivery_webhook('tw', NULL, %L, %L)$$,
		pg_temp.cb('SM000000000000000000000000000000a2', 'delivered'),
		pg_temp.tw_sig('token-one', '', pg_temp.cb('SM000000000000000000000000000000a2', 'delivered'))),
	'28000', NULL, 'twilio: a missing URL is refused');
SELECT throws_ok(format($$SELECT textseq.delivery_webhook('tw', %L, %L, %L)$$, :'url',
		pg_temp.cb('SM000000000000000000000000000000a2', 'delivered'),
		pg_temp.tw_sig('token-two', :'url', pg_temp.cb('SM000000000000000000000000000000a2', 'delivered'))),
	'28000', NULL, 'twilio: a signature made with another account''s token is refused');
SELECT is(pg_temp.events(), 1, 'twilio: refused callbacks store nothing');
SELECT is(pg_temp.st('tw-b'), 'outbox', 'twilio: and change nothing');
SELECT throws_ok($$SELECT textseq.delivery_webhook('nope', 'https://x', '{}', 'x')$$, '42704', NULL,
				 'an unknown account is undefined_object');
SELECT throws_ok($$SELECT textseq.delivery_webhook('dry', 'https://x', '{}', 'x')$$, '28000', NULL,
				 'a dry_run account receives no webhooks');

-- the account whose token checked a report speaks for its own messages only
SELECT is(textseq.delivery_webhook('tw2', :'url', pg_temp.cb('SM000000000000000000000000000000a2', 'undelivered', '30005'),
		  pg_temp.tw_sig('token-two', :'url', pg_temp.cb('SM000000000000000000000000000000a2', 'undelivered', '30005'))),
		  NULL, 'another account''s signed report about this account''s message matches nothing');
SELECT is(pg_temp.st('tw-b'), 'outbox', 'the message of account tw is not touched');
SELECT ok(NOT (SELECT invalid FROM textseq.phone WHERE e164 = '+12015550183'), 'nor its phone');
SELECT is((SELECT message_id FROM textseq.delivery_event ORDER BY id DESC LIMIT 1), NULL,
		  'the event is kept, unmatched');
SELECT is(textseq.record_results(ARRAY[(SELECT msg FROM c WHERE name = 'tw-b')], ARRAY['outbox']::textseq.message_status[],
								 ARRAY['SM000000000000000000000000000000a2']), 0,
		  'a repeated record of the send (early events are looked at again) ...');
SELECT is(pg_temp.st('tw-b'), 'outbox', '... still does not apply the other account''s report');
SELECT is(textseq.delivery_webhook('tw2', :'url', pg_temp.cb('SM000000000000000000000000000000b1', 'delivered'),
		  pg_temp.tw_sig('token-two', :'url', pg_temp.cb('SM000000000000000000000000000000b1', 'delivered')))::text,
		  'sent', 'account tw2''s own message is matched');

-- a replaced credential takes effect at once
SELECT lives_ok($$SELECT textseq.set_account_secret('tw2', 'token-three')$$, 'set_account_secret replaces a token');
SELECT throws_ok(format($$SELECT textseq.delivery_webhook('tw2', %L, %L, %L)$$, :'url',
		pg_temp.cb('SM000000000000000000000000000000b1', 'delivered'),
		pg_temp.tw_sig('token-two', :'url', pg_temp.cb('SM000000000000000000000000000000b1', 'delivered'))),
	'28000', NULL, 'the old token''s signatures are refused');
SELECT is(textseq.delivery_webhook('tw2', :'url', pg_temp.cb('SM000000000000000000000000000000b1', 'delivered'),
		  pg_temp.tw_sig('token-three', :'url', pg_temp.cb('SM000000000000000000000000000000b1', 'delivered')))::text,
		  'sent', 'the new token''s are accepted');
SELECT throws_ok($$SELECT textseq.set_account_secret('tw2', '')$$, '22023', 'a credential must not be empty',
				 'an empty credential is refused');
SELECT throws_ok($$SELECT textseq.set_account_secret('nope', 'x')$$, '42704', NULL,
				 'set_account_secret of an unknown account');

-- delivery_report (admin, unverified) may name the account too
SELECT is(textseq.delivery_report('twilio', pg_temp.cb('SM000000000000000000000000000000a2', 'delivered'), account => 'tw2'),
		  NULL, 'delivery_report for an account matches only its messages');
SELECT is(textseq.delivery_report('twilio', pg_temp.cb('SM000000000000000000000000000000a2', 'delivered'), account => 'tw')::text,
		  'sent', 'and the right account''s message when named');
SELECT throws_ok($$SELECT textseq.delivery_report('telnyx', '{}', account => 'tw')$$, '22023',
				 'account "tw" is not a telnyx account', 'delivery_report refuses an account of another provider');
SELECT throws_ok($$SELECT textseq.delivery_report('twilio', '{}', account => 'nope')$$, '42704', NULL,
				 'delivery_report refuses an unknown account');

-- Telnyx: Ed25519 over "timestamp|raw body" with the account's public key
SELECT ok(textseq.telnyx_signature_valid(:'b1', :'s1', '1764000000', :'tx_key'), 'telnyx: a valid signature');
SELECT is(textseq.telnyx_signature_valid(:'b1' || ' ', :'s1', '1764000000', :'tx_key'), false,
		  'telnyx: the body is signed byte for byte (no re-serialised JSON)');
SELECT is(textseq.telnyx_signature_valid(:'b1', :'s1', '1764000001', :'tx_key'), false,
		  'telnyx: the timestamp is part of what is signed');
SELECT is(textseq.telnyx_signature_valid(:'b1', :'s1_other_key', '1764000000', :'tx_key'), false,
		  'telnyx: a signature made with another key is refused');
SELECT is(textseq.telnyx_signature_valid(:'b1', 'bm90IGEgc2lnbmF0dXJl', '1764000000', :'tx_key'), false,
		  'telnyx: a signature of the wrong length is refused');
SELECT is(textseq.telnyx_signature_valid(:'b1', :'s1', '1764000000', 'not base64!'), false,
		  'telnyx: a malformed key is refused, not an error');
SELECT is(textseq.telnyx_signature_valid(:'b1', :'s1', '1764000000.5', :'tx_key'), false,
		  'telnyx: a timestamp that is not whole seconds is refused');
SELECT is(ARRAY[textseq.telnyx_signature_valid(NULL, :'s1', '1764000000', :'tx_key'),
				textseq.telnyx_signature_valid(:'b1', NULL, '1764000000', :'tx_key'),
				textseq.telnyx_signature_valid(:'b1', :'s1', NULL, :'tx_key'),
				textseq.telnyx_signature_valid(:'b1', :'s1', '1764000000', NULL)],
		  ARRAY[false, false, false, false], 'telnyx: each NULL input is false, never NULL');
SET LOCAL textseq.test_now = '2025-11-24 16:05:00+00';
SELECT ok(textseq.telnyx_signature_valid(:'b1', :'s1', '1764000000', :'tx_key'), 'telnyx: 5 minutes late is still accepted');
SET LOCAL textseq.test_now = '2025-11-24 16:05:01+00';
SELECT is(textseq.telnyx_signature_valid(:'b1', :'s1', '1764000000', :'tx_key'), false,
		  'telnyx: a second later it is a replay');
SET LOCAL textseq.test_now = '2025-11-24 15:54:59+00';
SELECT is(textseq.telnyx_signature_valid(:'b1', :'s1', '1764000000', :'tx_key'), false,
		  'telnyx: so is a timestamp more than 5 minutes ahead');

-- Telnyx webhooks through delivery_webhook
SET LOCAL textseq.test_now = '2025-11-24 16:00:30+00';
SELECT throws_ok(format($$SELECT textseq.delivery_webhook('tx', NULL, NULL, %L, %L, '1764000000')$$,
						:'s1', replace(:'b1', 'delivered', 'delivery_failed')),
				 '28000', NULL, 'telnyx: a tampered body is refused');
SELECT is(textseq.delivery_webhook('tx', NULL, NULL, :'s1', :'b1', '1764000000')::text, 'sent',
		  'telnyx: a signed message.finalized is applied');
SELECT is(textseq.delivery_webhook('tx', NULL, NULL, :'s2', :'b2', '1764000000')::text, 'error',
		  'telnyx: a signed delivery failure is applied');
SELECT ok((SELECT opted_out FROM textseq.phone WHERE e164 = '+12015550182'),
		  'telnyx: its 40300 (blocked after STOP) opts the phone out');
UPDATE textseq.account SET webhook_public_key = :'tx_other_key' WHERE name = 'tx';
SELECT throws_ok(format($$SELECT textseq.delivery_webhook('tx', NULL, NULL, %L, %L, '1764000000')$$, :'s1', :'b1'),
				 '28000', NULL, 'telnyx: after a key change the old key''s signatures are refused');
UPDATE textseq.account SET webhook_public_key = NULL WHERE name = 'tx';
SELECT throws_ok(format($$SELECT textseq.delivery_webhook('tx', NULL, NULL, %L, %L, '1764000000')$$, :'s1', :'b1'),
				 '28000', NULL, 'telnyx: an account without a public key accepts no webhook');

SELECT * FROM finish();
ROLLBACK;
