-- bench/setup.sql: providers, senders, templates and sequences of the worker
-- benchmarks (run by bench/lib.sh in a fresh bench database; psql variable
-- mock_url = the mock provider's base URL).
--
-- Two accounts: "mock" (twilio at the mock provider) and "dry" (dry_run: the
-- worker answers locally, no network: the database-only ceiling).  Rates are
-- set high so the token buckets never hold the benchmark back.  Each account
-- has a one-step sequence whose window is the whole day, and the state quiet
-- rules are removed, so the time of day the benchmark runs does not matter.
-- Duplicate blocking stays on (the default): every lead has its own number,
-- so nothing is blocked, but the claim still pays for the check.

DELETE FROM textseq.quiet_rule;

SELECT textseq.create_account('mock', 'twilio', account_sid => 'AC0123456789abcdef0123456789abcdef',
							  secret => 'token', base_url => :'mock_url',
							  messages_per_second => 1000000);
SELECT textseq.add_sender('mock', '+12015550100', '-- Acme, reply STOP to opt out', 100000);
SELECT textseq.create_account('dry', 'dry_run', messages_per_second => 1000000);
SELECT textseq.add_sender('dry', '+12015550101', '-- Acme, reply STOP to opt out', 100000);

SELECT textseq.save_template('bench',
	'Hi {{ lead.first_name }}, this is a quick note for {{ lead.company | default: "your company" }}. '
	'Can we talk this week? {{ sender.signature }}');

SELECT textseq.create_sequence('mock_seq', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.create_sequence('dry_seq', window_start => '00:00', window_end => '23:59:59');
UPDATE textseq.sequence SET window_end = '23:59:59.999999';
SELECT textseq.add_step('mock_seq', 'bench');
SELECT textseq.add_step('dry_seq', 'bench');
