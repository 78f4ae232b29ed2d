-- inbound_webhook.sql: receive_webhook checks the provider's signature with the
-- credentials of the account that owns the number texted, then calls receive;
-- a bad or missing signature raises 28000 and stores nothing.  The Telnyx
-- vector was signed with OpenSSL's command-line tool (not the code under test).
-- Fixed clock; everything rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(14);

SET LOCAL textseq.test_now = '2025-11-24 16:00:00+00';   -- Unix time 1764000000
\set url 'https://app.example.com/sms/inbound'
\set tx_key 'mxxKlagA1nsbk/lHNtzQIYdrzOvWkMjwSOFY8wLWq9g='
\set tx_body '{"data":{"event_type":"message.received","id":"b301ed3f-1490-491f-995f-6e64e69674d4","occurred_at":"2025-11-24T15:59:58.000+00:00","payload":{"id":"84cca175-9755-4859-b67f-4730d7f58aa3","direction":"inbound","from":{"phone_number":"+12015550191"},"to":[{"phone_number":"+12015550300"}],"text":"STOP","media":[{"url":"https://m.example/x.jpg"}]},"record_type":"event"},"meta":{"attempt":1}}'
\set tx_sig 'Ze4TRJjJPcxpb6iKjfI0oGA7RpcQNdI82bQFmXxsmz6H/kgy4Et/4PnCP8QkFyXV1UIkfhBFGfC8CxDVPKTxDw=='

\o /dev/null
SELECT textseq.create_account('tw', 'twilio', 'AC0123456789abcdef0123456789abcdef', 'token-one');
SELECT textseq.create_account('tw2', 'twilio', 'ACfedcba9876543210fedcba9876543210', 'token-two');
SELECT textseq.create_account('tx', 'telnyx', secret => 'KEY-api');
UPDATE textseq.account SET webhook_public_key = :'tx_key' WHERE name = 'tx';
SELECT textseq.add_sender('tw', '+12015550100', '');
SELECT textseq.add_sender('tw2', '+12015550200', '');
SELECT textseq.add_sender('tx', '+12015550300', '');
\o

-- Twilio's form fields of an inbound text, and their signature with an auth token
CREATE FUNCTION pg_temp.form(body text, sid text, to_phone text DEFAULT '+12015550100') RETURNS jsonb
LANGUAGE sql AS $$
	SELECT jsonb_build_object('From', '+12015550191', 'To', to_phone, 'Body', body, 'MessageSid', sid,
							  'AccountSid', 'AC0123456789abcdef0123456789abcdef', 'NumMedia', '1',
							  'MediaUrl0', 'https://m.example/a.jpg')
$$;
CREATE FUNCTION pg_temp.sign(params jsonb, token text) RETURNS text LANGUAGE sql AS $$
	SELECT textseq._hmac_sha1_base64(token, 'https://app.example.com/sms/inbound'
		|| (SELECT string_agg(p.key || p.value, '' ORDER BY p.key COLLATE "C") FROM jsonb_each_text(params) p))
$$;

SELECT is(textseq.receive_webhook('twilio', :'url', pg_temp.form('Hello', 'SMin1'),
								  pg_temp.sign(pg_temp.form('Hello', 'SMin1'), 'token-one')) ->> 'action',
		  'nothing', 'a Twilio text signed with the owning account''s token is received');
SELECT is((SELECT (from_phone, to_phone, body, account_id = (SELECT id FROM textseq.account WHERE name = 'tw'),
				   media_urls) FROM textseq.inbound WHERE provider_id = 'SMin1'),
		  ('+12015550191'::text, '+12015550100'::text, 'Hello'::text, true, ARRAY['https://m.example/a.jpg']),
		  'with its numbers, body, account and media');
SELECT throws_ok(format($$SELECT textseq.receive_webhook('twilio', %L, %L, %L)$$, :'url',
						pg_temp.form('STOP', 'SMin2'), pg_temp.sign(pg_temp.form('STOP', 'SMin2'), 'token-two')),
				 '28000', 'webhook signature is not valid for account "tw"',
				 'signed with another account''s token: refused');
SELECT throws_ok(format($$SELECT textseq.receive_webhook('twilio', %L, %L, NULL)$$, :'url',
						pg_temp.form('STOP', 'SMin3')),
				 '28000', NULL, 'no signature: refused');
SELECT throws_ok(format($$SELECT textseq.receive_webhook('twilio', %L, %L, %L)$$, :'url',
						pg_temp.form('STOP', 'SMin4') || '{"Body": "START"}',
						pg_temp.sign(pg_temp.form('STOP', 'SMin4'), 'token-one')),
				 '28000', NULL, 'a body changed after signing: refused');
SELECT throws_ok(format($$SELECT textseq.receive_webhook('twilio', %L, %L, %L)$$, :'url',
						pg_temp.form('STOP', 'SMin5', '+12015550999'),
						pg_temp.sign(pg_temp.form('STOP', 'SMin5', '+12015550999'), 'token-one')),
				 '28000', NULL, 'a To number no Twilio account owns: refused');
SELECT is((SELECT count(*)::int FROM textseq.inbound WHERE provider_id IN ('SMin2', 'SMin3', 'SMin4', 'SMin5')), 0,
		  'nothing refused was stored');
SELECT is((SELECT opted_out FROM textseq.phone WHERE e164 = '+12015550191'), false, 'and no STOP was honoured');
SELECT is(textseq.receive_webhook('twilio', :'url', pg_temp.form('STOP', 'SMin6'),
								  pg_temp.sign(pg_temp.form('STOP', 'SMin6'), 'token-one')) ->> 'action',
		  'opted_out', 'a signed STOP opts out');
SELECT throws_ok($$SELECT textseq.receive_webhook('plivo', 'x', '{}', 'x')$$, '22023', NULL,
				 'an unknown provider is refused');

-- Telnyx: Ed25519 over timestamp|raw body with the account's public key
SELECT is(textseq.receive_webhook('telnyx', NULL, NULL, :'tx_sig', :'tx_body', '1764000000') ->> 'action',
		  'opted_out', 'a Telnyx text signed with the account''s key is received (here: STOP)');
SELECT is((SELECT (provider_id, media_urls) FROM textseq.inbound WHERE to_phone = '+12015550300'),
		  ('84cca175-9755-4859-b67f-4730d7f58aa3'::text, ARRAY['https://m.example/x.jpg']),
		  'with its id and media');
SELECT throws_ok(format($$SELECT textseq.receive_webhook('telnyx', NULL, NULL, %L, %L, '1764000000')$$,
						:'tx_sig', replace(:'tx_body', 'STOP', 'START')),
				 '28000', NULL, 'a Telnyx body changed after signing: refused');
SET LOCAL textseq.test_now = '2025-11-24 16:10:00+00';
SELECT throws_ok(format($$SELECT textseq.receive_webhook('telnyx', NULL, NULL, %L, %L, '1764000000')$$,
						:'tx_sig', :'tx_body'),
				 '28000', NULL, 'a Telnyx signature older than 5 minutes: refused (replay)');

SELECT * FROM finish();
ROLLBACK;
