-- bench/receive_setup.sql: 100,000 leads, each with its own number, for the
-- receive benchmark (bench/receive.sh).  A third wait in a conversation
-- (branches on numbers and words), a third are in a stop-on-reply drip with a
-- message queued, a third in nothing.  Lead g has +1 201 2XX XXXX, XXXXXX = g.
-- No worker serves this database: nothing is sent.
\set ON_ERROR_STOP 1
DELETE FROM textseq.quiet_rule;
SELECT textseq.create_account('dry', 'dry_run', messages_per_second => 1000000);
SELECT textseq.add_sender('dry', '+12015550100', '-- Acme', 100000);
SELECT textseq.save_template('bench', 'Hi {{ lead.first_name }}, how would you rate us, 1-10?');
SELECT textseq.create_sequence('drip', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('drip', 'bench');
SELECT textseq.add_step('drip', 'bench', '1 day');
SELECT textseq.create_sequence('conv', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_wait_step('conv', '1 day');
SELECT textseq.add_step('conv', 'bench');
SELECT textseq.add_branch('conv', 1, 'less', '5', tag => 'unhappy', finish => true);
SELECT textseq.add_branch('conv', 1, 'between', '5', '10', save_to => 'score', finish => true);
SELECT textseq.add_branch('conv', 1, 'equals', '*yes*, sure, ok', tag => 'yes');
SELECT textseq.add_branch('conv', 1, 'any', finish => true);

BEGIN;
CREATE TEMP TABLE new_lead ON COMMIT DROP AS
WITH ins AS (
	INSERT INTO textseq.lead (first_name, last_name)
	SELECT 'Lead', g::text FROM generate_series(0, 99999) g
	RETURNING id, last_name
)
SELECT id, last_name::bigint AS g FROM ins;
INSERT INTO textseq.contact (lead_id, position, phone)
SELECT id, 1, '+1201' || (200 + g / 10000)::text || lpad((g % 10000)::text, 4, '0') FROM new_lead;
CREATE TEMP TABLE new_enr ON COMMIT DROP AS
WITH ins AS (
	INSERT INTO textseq.enrollment (sequence_id, lead_id, sender_id, current_step)
	SELECT q.id, l.id, (SELECT id FROM textseq.sender), 1
	  FROM new_lead l JOIN textseq.sequence q ON q.name = CASE l.g % 3 WHEN 0 THEN 'conv' ELSE 'drip' END
	 WHERE l.g % 3 <> 2
	RETURNING id
)
SELECT id FROM ins;
SELECT textseq._queue_current(array_agg(id ORDER BY id), array_fill(now(), ARRAY[count(*)::int])) FROM new_enr;
COMMIT;

-- history: 200,000 earlier texts (an established system, not an empty table)
INSERT INTO textseq.inbound (received_at, from_phone, to_phone, body, provider_id, result)
SELECT now() - interval '30 days' + g * interval '10 seconds',
	   '+1201' || (200 + (g % 100000) / 10000)::text || lpad((g % 10000)::text, 4, '0'),
	   '+12015550100', 'earlier reply ' || g, 'hist-' || g, '{"action": "nothing"}'
  FROM generate_series(1, 200000) g;

-- the baseline: a plain table like textseq.inbound, equally indexed, same history
CREATE TABLE public.plain_inbound (LIKE textseq.inbound INCLUDING DEFAULTS INCLUDING IDENTITY);
CREATE UNIQUE INDEX ON public.plain_inbound (provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX ON public.plain_inbound (from_phone, received_at);
CREATE INDEX ON public.plain_inbound (received_at);
INSERT INTO public.plain_inbound OVERRIDING SYSTEM VALUE SELECT * FROM textseq.inbound;
VACUUM ANALYZE;
