-- setup.sql: the demo's provider account, senders, templates and sequence (run by
-- scripts/demo.sh with psql before the sample leads).  Needs psql variables :mock_url
-- (the mock provider), :sid and :token (the credentials the mock expects) and :rate
-- (messages per second for the account).  Only public textseq API calls.

\set ON_ERROR_STOP on

-- A Twilio account that points at the local mock provider instead of api.twilio.com.
SELECT textseq.create_account('demo', 'twilio', account_sid => :'sid', secret => :'token',
							  base_url => :'mock_url', messages_per_second => :rate);

-- Three senders; a new enrollment prefers the one with the lead's area code.
SELECT textseq.add_sender('demo', '+12125550100', '-- Sam, Brightline (NYC)', :rate);
SELECT textseq.add_sender('demo', '+14155550100', '-- Sam, Brightline (SF)', :rate);
SELECT textseq.add_sender('demo', '+13125550100', '-- Sam, Brightline (Chicago)', :rate);

-- Merge fields with defaults, an if/elsif/else on a custom field, filters.
SELECT textseq.save_template('intro',
	'Hi {{ lead.first_name | default: "there" }}! '
	'{% if lead.plan == "pro" %}Thanks for choosing Brightline Pro at {{ lead.company | default: "your company" }}.'
	'{% elsif lead.plan == "trial" %}How is the Brightline trial going at {{ lead.company | default: "your team" }}?'
	'{% else %}Saw you were looking at Brightline for {{ lead.company | default: "your team" }}.{% endif %} '
	'{{ sender.signature }}');

SELECT textseq.save_template('follow-up',
	'{{ lead.first_name | default: "Hi" }}, would a 15-minute call '
	'{% if lead.city %}with our {{ lead.city }} team {% endif %}this week help? Reply YES and I will set it up.');

SELECT textseq.save_template('last-note',
	'Last note from me, {{ lead.first_name | default: "friend" | capitalize }}: '
	'{% unless lead.plan == "pro" %}your {{ lead.trial_days | default: 14 }}-day Pro upgrade offer is still open. {% endunless %}'
	'Reply STOP to opt out. {{ sender.signature }}');

-- Three steps: at once, then 5 s and 10 s after the previous text left.
SELECT textseq.create_sequence('demo-onboarding');
SELECT textseq.add_step('demo-onboarding', 'intro', '0 seconds');
SELECT textseq.add_step('demo-onboarding', 'follow-up', '5 seconds');
SELECT textseq.add_step('demo-onboarding', 'last-note', '10 seconds');
