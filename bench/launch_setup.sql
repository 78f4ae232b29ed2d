-- bench/launch_setup.sql: :n leads for bench/launch.sh, one import list
-- (bulkimport_id 1), one mobile number each, and a three-step sequence.
-- Loaded set-based with the contact trigger off (session_replication_role):
-- it would normalise a million numbers through libphonenumber for minutes,
-- and the numbers here are E.164 already.  One lead in 200 has an opted-out
-- number and one in 200 a landline: the launch's omitted paths run too.
\set ON_ERROR_STOP on
DELETE FROM textseq.quiet_rule;
INSERT INTO textseq.lead (first_name, last_name, company, bulkimport_id)
SELECT (ARRAY['Ann','Bob','Chloé','Dmitri','Émile','Fatima','Grace','Hiro'])[1 + g % 8], 'Lead' || g,
	   CASE WHEN g % 3 = 0 THEN NULL ELSE 'Company ' || (g % 1000) END, 1
  FROM generate_series(1, :n) g;
SET session_replication_role = replica;
INSERT INTO textseq.phone (e164, line_type, opted_out, opted_out_at)
SELECT '+1201' || (200 + g / 10000)::text || lpad((g % 10000)::text, 4, '0'),
	   CASE WHEN g % 200 = 7 THEN 'landline' ELSE 'mobile' END, g % 200 = 3, CASE WHEN g % 200 = 3 THEN now() END
  FROM generate_series(1, :n) g;
INSERT INTO textseq.contact (lead_id, position, phone)
SELECT l.id, 1, '+1201' || (200 + g / 10000)::text || lpad((g % 10000)::text, 4, '0')
  FROM textseq.lead l JOIN generate_series(1, :n) g ON l.last_name = 'Lead' || g;
RESET session_replication_role;
SELECT textseq.save_template('launch-2', 'Still interested, {{ lead.first_name }}?');
SELECT textseq.save_template('launch-3', 'Last note, {{ lead.first_name }}. {{ sender.signature }}');
SELECT textseq.create_sequence('launch_seq', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('launch_seq', 'bench');
SELECT textseq.add_step('launch_seq', 'launch-2', '1 day');
SELECT textseq.add_step('launch_seq', 'launch-3', '2 days');
VACUUM ANALYZE textseq.lead;
VACUUM ANALYZE textseq.contact;
VACUUM ANALYZE textseq.phone;

-- The baseline's table: textseq.message's columns, defaults, constraints and
-- indexes (LIKE ... INCLUDING ALL), no triggers.
CREATE TABLE public.message_copy (LIKE textseq.message INCLUDING ALL);
