-- provider.sql: the provider probes without a provider (SPEC section 6): local
-- verdicts, refused connections, argument errors and privileges.  Outcomes
-- against the mock provider are in test/worker/provider_outcomes.sh.
BEGIN;
SELECT plan(16);

SELECT has_function('textseq', '_provider_probe',
	ARRAY['text', 'text', 'text', 'text', 'text', 'text', 'text', 'integer'],
	'the send probe exists');
SELECT has_function('textseq', '_provider_lookup',
	ARRAY['text', 'text', 'text', 'text', 'text', 'text', 'text', 'timestamp with time zone', 'integer'],
	'the lookup probe exists');

SELECT results_eq(
	$$SELECT outcome, provider_id, http_status FROM textseq._provider_probe(
		'dry_run', NULL, NULL, NULL, '+15550100001', '+15005550006', 'hello')$$,
	$$VALUES ('accepted', 'dry-0', NULL::int)$$,
	'dry_run is accepted locally, without the network');

SELECT results_eq(
	$$SELECT outcome, http_status, error_text LIKE 'request not sent:%' FROM textseq._provider_probe(
		'twilio', 'http://127.0.0.1:1', 'AC0123456789abcdef0123456789abcdef', 'tok',
		'+15550100001', '+15005550006', 'hello', 2000)$$,
	$$VALUES ('retry', NULL::int, true)$$,
	'a refused connection is a safe retry: the request never left');

SELECT results_eq(
	$$SELECT outcome, error_text LIKE 'request not sent:%' FROM textseq._provider_probe(
		'telnyx', 'not a url', NULL, 'key', '+15550100001', '+15005550006', 'hello', 2000)$$,
	$$VALUES ('retry', true)$$,
	'a malformed base_url is a safe retry');

SELECT results_eq(
	$$SELECT outcome, error_text LIKE '%no base_url%' FROM textseq._provider_probe(
		'twilio', NULL, 'AC0123456789abcdef0123456789abcdef', 'tok', '+15550100001', '+15005550006', 'hello')$$,
	$$VALUES ('retry', true)$$,
	'no base_url is a safe retry, explained');

SELECT results_eq(
	$$SELECT outcome, http_status FROM textseq._provider_probe(
		'twilio', 'http://127.0.0.1:1', 'AC0123456789abcdef0123456789abcdef', 'tok',
		'+15550100001', '+15005550006', NULL)$$,
	$$VALUES ('error', NULL::int)$$,
	'a message without body or media is an error, never sent');

SELECT results_eq(
	$$SELECT outcome, error_text LIKE '%over the 65536-byte limit%' FROM textseq._provider_probe(
		'twilio', 'http://127.0.0.1:1', 'AC0123456789abcdef0123456789abcdef', 'tok',
		'+15550100001', '+15005550006', repeat('x', 70000))$$,
	$$VALUES ('error', true)$$,
	'a huge body is an error, never sent');

SELECT results_eq(
	$$SELECT outcome FROM textseq._provider_probe(
		'twilio', 'http://127.0.0.1:1', NULL, 'tok', '+15550100001', '+15005550006', 'hello')$$,
	$$VALUES ('config')$$,
	'a twilio account without account_sid is a configuration error');

SELECT throws_ok(
	$$SELECT * FROM textseq._provider_probe('sinch', NULL, NULL, NULL, '+15550100001', NULL, 'x')$$,
	'22023', 'unknown provider "sinch"', 'an unknown provider is refused');
SELECT throws_ok(
	$$SELECT * FROM textseq._provider_probe(NULL, NULL, NULL, NULL, '+15550100001', NULL, 'x')$$,
	'22004', 'provider must not be null', 'a NULL provider is refused');
SELECT throws_ok(
	$$SELECT * FROM textseq._provider_probe('dry_run', NULL, NULL, NULL, '+15550100001', NULL, 'x', 0)$$,
	'22023', 'timeout_ms must be between 1 and 600000', 'a zero timeout is refused');

SELECT results_eq(
	$$SELECT result FROM textseq._provider_lookup('telnyx', 'http://127.0.0.1:1', NULL, 'key',
		'+15550100001', '+15005550006', 'hello')$$,
	$$VALUES ('unknown')$$,
	'telnyx lookups are unknown: the worker resends with the same Idempotency-Key');
SELECT results_eq(
	$$SELECT result FROM textseq._provider_lookup('twilio', 'http://127.0.0.1:1',
		'AC0123456789abcdef0123456789abcdef', 'tok', '+15550100001', '+15005550006', 'hello')$$,
	$$VALUES ('unknown')$$,
	'a lookup that cannot reach the provider is unknown, never not_found');

SELECT ok(NOT has_function_privilege('public',
	'textseq._provider_probe(text, text, text, text, text, text, text, integer)', 'EXECUTE'),
	'PUBLIC may not execute the send probe');

SET LOCAL ROLE textseq_user;
SELECT throws_ok(
	$$SELECT * FROM textseq._provider_probe('dry_run', NULL, NULL, NULL, '+15550100001', NULL, 'x')$$,
	'42501', NULL, 'a non-superuser may not send a probe');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
