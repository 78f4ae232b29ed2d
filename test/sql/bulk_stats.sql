-- bulk_stats.sql: bulk counts and statuses, deleted leads, updating in-queue
-- texts (SPEC sections 3, 4 and 8; docs/bulk-stats.md).  The counts of
-- textseq.bulk_stats are maintained by statement triggers and compaction;
-- every check compares them with a GROUP BY over textseq.message (drift()).
-- Bulks are made by hand (a bulk row, enrollments with bulk_id, their first
-- step queued by _queue_current, as textseq.enroll does); messages are
-- claimed and recorded by hand under a fixed clock.  Rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(60);

SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';   -- 12:00 in New Jersey
\o /dev/null
SELECT textseq.create_account('acct', 'dry_run');
SELECT textseq.save_template('hello', 'Hello {{ lead.first_name }} {{ sender.signature }}');
SELECT textseq.save_template('bye', 'Bye {{ lead.first_name }}');
SELECT textseq.create_sequence('bs', window_start => '00:00', window_end => '23:59:59') AS seq \gset
SELECT textseq.add_step('bs', 'hello');
SELECT textseq.add_step('bs', 'bye', '1 day');
\o

-- launch(status, n, first): a bulk of n new leads (numbers +1201555<first..>)
-- with a sender of its own, first step queued now; returns the bulk id.
CREATE FUNCTION pg_temp.launch(st textseq.bulk_status, n int, first int)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	b bigint;
	sid int;
	e bigint[];
BEGIN
	sid := textseq.add_sender('acct', '+1201556' || lpad(first::text, 4, '0'), '-- Acme');
	INSERT INTO textseq.bulk (sequence_id, sender_id, start_at, status, lead_count)
	SELECT q.id, sid, textseq.now(), st, n FROM textseq.sequence q WHERE q.name = 'bs' RETURNING id INTO b;
	WITH l AS (
		SELECT textseq.add_lead('Lead' || g, NULL, ARRAY['+1201555' || lpad(g::text, 4, '0')]) AS id
		  FROM generate_series(first, first + n - 1) g
	), ins AS (
		INSERT INTO textseq.enrollment (sequence_id, lead_id, bulk_id, sender_id, enrolled_at)
		SELECT q.id, l.id, b, sid, textseq.now() FROM l, textseq.sequence q WHERE q.name = 'bs'
		RETURNING id)
	SELECT array_agg(id ORDER BY id) INTO e FROM ins;
	PERFORM textseq._queue_current(e, array_fill(textseq.now(), ARRAY[n]));
	RETURN b;
END
$$;

-- claim(bulk, n): the claim of up to n due messages of that bulk only (a
-- budget for its sender alone).
CREATE FUNCTION pg_temp.claim(b bigint, n int DEFAULT 100) RETURNS SETOF textseq.claimed_message
LANGUAGE sql AS $$
	SELECT * FROM textseq.claim(n, (SELECT jsonb_build_object('s', jsonb_build_object(x.sender_id::text, n),
															  'a', jsonb_build_object(s.account_id::text, n))
									  FROM textseq.bulk x JOIN textseq.sender s ON s.id = x.sender_id
									 WHERE x.id = b))
$$;

-- drift(): every (bulk, step or whole bulk, status) where the view and a
-- GROUP BY over the messages disagree; empty when the counts are exact.
CREATE FUNCTION pg_temp.drift() RETURNS SETOF text LANGUAGE sql AS $$
	WITH v AS (
		SELECT s.bulk_id, s.step, e.key AS status, e.value::bigint AS n
		  FROM textseq.bulk_stats s, jsonb_each_text(to_jsonb(s)) e
		 WHERE e.key IN (SELECT unnest(enum_range(NULL::textseq.message_status))::text)
	), m AS (
		SELECT m.bulk_id, g.step, m.status::text AS status, count(*) AS n
		  FROM textseq.message m CROSS JOIN LATERAL (VALUES (m.step), (NULL)) g(step)
		 WHERE m.bulk_id IS NOT NULL
		 GROUP BY 1, 2, 3
	)
	SELECT format('bulk %s step %s %s: view %s, messages %s', coalesce(v.bulk_id, m.bulk_id),
				  coalesce(v.step, m.step), coalesce(v.status, m.status), v.n, m.n)
	  FROM v FULL JOIN m ON v.bulk_id = m.bulk_id AND v.step IS NOT DISTINCT FROM m.step
						AND v.status = m.status
	 WHERE coalesce(v.n, 0) <> coalesce(m.n, 0)
$$;

-- stats(bulk): the non-zero counts of its rows, compact: 'step:status=n ...'.
CREATE FUNCTION pg_temp.stats(b bigint) RETURNS text LANGUAGE sql AS $$
	SELECT string_agg(coalesce(s.step::text, '*') || ':' || e.key || '=' || e.value, ' '
					  ORDER BY s.step NULLS FIRST, e.key)
	  FROM textseq.bulk_stats s, jsonb_each_text(to_jsonb(s)) e
	 WHERE s.bulk_id = b AND e.value <> '0'
	   AND e.key IN (SELECT unnest(enum_range(NULL::textseq.message_status))::text
					 UNION ALL SELECT 'deleted_leads_count')
$$;

-- ---- the view's shape --------------------------------------------------------------
SELECT is_empty($$SELECT unnest(enum_range(NULL::textseq.message_status))::text
				  EXCEPT SELECT attname::text FROM pg_attribute
				   WHERE attrelid = 'textseq.bulk_stats'::regclass AND attnum > 0$$,
				'bulk_stats has a count column for every message status');
SELECT columns_are('textseq', 'bulk_stats', ARRAY[
	'bulk_id', 'sequence', 'status', 'step', 'in_queue', 'held_quiet_hours', 'capped', 'sending',
	'maybe_sent', 'outbox', 'sent', 'error', 'delivery_unknown', 'expired', 'canceled',
	'blocked_duplicate', 'omitted_opted_out', 'omitted_landline', 'omitted_invalid',
	'omitted_do_not_contact', 'omitted_deleted_lead', 'deleted_leads_count', 'lead_count',
	'last_sent_at', 'start_at', 'created_at', 'created_by', 'finished_at'],
	'bulk_stats: bulk, sequence, status, step, the counts, lead count, last send, who and when');

-- ---- counts through insert, claim and record -------------------------------------
SELECT pg_temp.launch('in_progress', 10, 1) AS b1 \gset
SELECT is(pg_temp.stats(:b1), '*:in_queue=10 1:in_queue=10', 'insert: ten queued messages counted at once');
SELECT is((SELECT array_agg(coalesce(step::text, '*') || '/' || sequence || '/' || status || '/' || lead_count
								ORDER BY step NULLS FIRST)
			 FROM textseq.bulk_stats WHERE bulk_id = :b1),
		  ARRAY['*/bs/in_progress/10', '1/bs/in_progress/10', '2/bs/in_progress/10'],
		  'one row for the bulk and one per send step (step 2 with zeros before it is queued)');
SELECT is((SELECT count(*)::int FROM textseq.bulk_count_delta), 1,
		  'the insert statement left one aggregated delta row, not one per message');
SELECT is_empty('SELECT * FROM pg_temp.drift()', 'insert: counts exact');

\o /dev/null
CREATE TEMP TABLE c1 AS SELECT * FROM pg_temp.claim(:b1, 6);
\o
SELECT is(pg_temp.stats(:b1), '*:in_queue=4 *:sending=6 1:in_queue=4 1:sending=6', 'claim: six in_queue -> sending');
SELECT textseq.record_results(
	ARRAY(SELECT message_id FROM c1 ORDER BY message_id),
	ARRAY['outbox', 'outbox', 'sent', 'error', 'maybe_sent', 'in_queue']::textseq.message_status[],
	ARRAY['SM1', 'SM2', 'SM3', NULL, NULL, NULL]) AS recorded \gset
SELECT is(pg_temp.stats(:b1),
		  '*:error=1 *:in_queue=8 *:maybe_sent=1 *:outbox=2 *:sent=1 '
		  '1:error=1 1:in_queue=5 1:maybe_sent=1 1:outbox=2 1:sent=1 2:in_queue=3',
		  'record: outcomes counted, and the next step queued for the three handed over');
SELECT is((SELECT last_sent_at FROM textseq.bulk_stats WHERE bulk_id = :b1 AND step IS NULL),
		  '2026-11-23 17:00:00+00'::timestamptz, 'last_sent_at: the time of the last send');
SELECT is((SELECT last_sent_at FROM textseq.bulk_stats WHERE bulk_id = :b1 AND step = 2), NULL,
		  'last_sent_at per step: nothing of step 2 sent yet');
SELECT is_empty('SELECT * FROM pg_temp.drift()', 'several statements in one transaction: counts exact');

-- a delivery report and the sweep's delivery_unknown (outbox older than 72 h)
SELECT textseq.delivery_report('twilio', '{"MessageSid": "SM1", "MessageStatus": "delivered"}') AS dlr \gset
SELECT is((SELECT sent FROM textseq.bulk_stats WHERE bulk_id = :b1 AND step = 1), 2::bigint,
		  'a delivery report moves outbox -> sent in the counts');
SET LOCAL textseq.test_now = '2026-11-26 17:00:01+00';
SELECT ok(textseq.sweep() >= 1, 'sweep 72 h later');
SELECT is((SELECT delivery_unknown FROM textseq.bulk_stats WHERE bulk_id = :b1 AND step = 1), 2::bigint,
		  'outbox older than textseq.delivery_unknown_after, and maybe_sent unsettled for a day, '
		  '-> delivery_unknown, counted');
SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';
SELECT is_empty('SELECT * FROM pg_temp.drift()', 'delivery report and sweep: counts exact');

-- ---- compaction ----------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM textseq.bulk_count_delta), 0, 'the sweep folded every delta into the totals');
SELECT is_empty('SELECT * FROM pg_temp.drift()', 'after compaction: totals alone are exact');
\o /dev/null
CREATE TEMP TABLE before_compact AS SELECT * FROM textseq.bulk_stats;
SELECT count(*) FROM pg_temp.claim(:b1, 2);
\o
SELECT ok((SELECT count(*) FROM textseq.bulk_count_delta) > 0, 'new changes wait as deltas');
SELECT ok(textseq._bulk_counts_compact() > 0, 'compaction folds them');
SELECT is(textseq._bulk_counts_compact(), 0, 'a second compaction finds nothing to fold');
SELECT is_empty('SELECT * FROM pg_temp.drift()', 'compaction keeps the totals exact');

-- ---- every allowed status move --------------------------------------------------------
-- For each allowed (from, to) move: a new message of bulk b2 is moved along the
-- shortest path from in_queue to "from", then to "to", one UPDATE per move.
SELECT pg_temp.launch('in_progress', 1, 100) AS b2 \gset
CREATE FUNCTION pg_temp.path_to(target textseq.message_status) RETURNS textseq.message_status[]
LANGUAGE sql AS $$
	WITH RECURSIVE p(last, path) AS (
		SELECT 'in_queue'::textseq.message_status, '{}'::textseq.message_status[]
		UNION ALL
		SELECT s, p.path || s FROM p, unnest(enum_range(NULL::textseq.message_status)) s
		 WHERE cardinality(p.path) < 3 AND s <> p.last AND NOT s = ANY(p.path)
		   AND textseq.status_transition_allowed('message', p.last::text, s::text))
	SELECT path FROM p WHERE last = target ORDER BY cardinality(path) LIMIT 1
$$;
SELECT set_config('ts.b2', :'b2', true) AS b2_setting \gset
CREATE TEMP TABLE moves AS
SELECT a AS from_status, b AS to_status
  FROM unnest(enum_range(NULL::textseq.message_status)) a, unnest(enum_range(NULL::textseq.message_status)) b
 WHERE a <> b AND textseq.status_transition_allowed('message', a::text, b::text)
   AND pg_temp.path_to(a) IS NOT NULL;
DO $$
DECLARE
	mv record;
	mid bigint;
	s textseq.message_status;
BEGIN
	FOR mv IN SELECT * FROM moves ORDER BY 1, 2 LOOP
		INSERT INTO textseq.message (enrollment_id, bulk_id, sequence_id, step, lead_id, sender_id,
									 template_id, template_version, due_at, run_at, expires_at)
		SELECT m.enrollment_id, m.bulk_id, m.sequence_id, 2, m.lead_id, m.sender_id, m.template_id,
			   m.template_version, m.due_at, m.run_at, m.expires_at
		  FROM textseq.message m WHERE m.bulk_id = current_setting('ts.b2')::bigint LIMIT 1
		RETURNING id INTO mid;
		FOREACH s IN ARRAY pg_temp.path_to(mv.from_status) LOOP
			UPDATE textseq.message SET status = s, sent_at = CASE WHEN s IN ('outbox', 'sent') THEN textseq.now() END
			 WHERE id = mid;
		END LOOP;
		UPDATE textseq.message SET status = mv.to_status WHERE id = mid;
	END LOOP;
END
$$;
SELECT cmp_ok((SELECT count(*)::int FROM moves), '>=', 50, 'status moves tried: every allowed one');
SELECT is((SELECT count(DISTINCT to_status)::int FROM moves),
		  (SELECT count(*)::int FROM unnest(enum_range(NULL::textseq.message_status))),
		  'every status is the target of some move');
SELECT is_empty('SELECT * FROM pg_temp.drift()', 'every allowed status move: counts exact');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE bulk_id = :b2 AND step = 2),
		  (SELECT sum(n)::int FROM textseq.bulk_count_delta WHERE bulk_id = :b2 AND step = 2)
		  + coalesce((SELECT sum(n)::int FROM textseq.bulk_count WHERE bulk_id = :b2 AND step = 2), 0),
		  'moves net out: a message is counted once, in its current status');

-- a statement that changes no status adds no delta
SELECT textseq._bulk_counts_compact() AS folded \gset
UPDATE textseq.message SET run_at = run_at + interval '1 minute' WHERE bulk_id = :b1 AND status = 'in_queue';
SELECT is((SELECT count(*)::int FROM textseq.bulk_count_delta), 0,
		  'an UPDATE that changes no status (nor a send) adds no delta row');

-- ---- delete ------------------------------------------------------------------------------
DELETE FROM textseq.message WHERE bulk_id = :b2 AND step = 2 AND status IN ('sent', 'error', 'expired');
SELECT is((SELECT sent + error + expired FROM textseq.bulk_stats WHERE bulk_id = :b2 AND step = 2), 0::bigint,
		  'deleted messages leave the counts');
SELECT is_empty('SELECT * FROM pg_temp.drift()', 'delete: counts exact');

-- ---- deleted leads ----------------------------------------------------------------------
SELECT pg_temp.launch('in_progress', 4, 200) AS b3 \gset
SELECT l.id AS l_wait FROM textseq.lead l WHERE l.first_name = 'Lead200' \gset
SELECT l.id AS l_sent FROM textseq.lead l WHERE l.first_name = 'Lead201' \gset
SELECT l.id AS l_flight FROM textseq.lead l WHERE l.first_name = 'Lead202' \gset
SELECT l.id AS l_other FROM textseq.lead l WHERE l.first_name = 'Lead203' \gset
\o /dev/null
-- all four claimed; Lead201's handed over (step 2 queued), Lead202's left in
-- flight, the other two back in the queue (as after a 429)
CREATE TEMP TABLE c3 AS SELECT * FROM pg_temp.claim(:b3);
SELECT textseq.record_results(ARRAY(SELECT c.message_id FROM c3 c JOIN textseq.message m ON m.id = c.message_id
									 WHERE m.lead_id IN (:l_sent, :l_wait, :l_other) ORDER BY m.lead_id),
							  '{in_queue,outbox,in_queue}', '{NULL,SM201,NULL}',
							  retry_at => ARRAY[textseq.now() + interval '1 hour', NULL, textseq.now() + interval '1 hour']);
\o
SELECT is((SELECT string_agg(status::text, ',' ORDER BY lead_id, step) FROM textseq.message WHERE bulk_id = :b3),
		  'in_queue,outbox,in_queue,sending,in_queue', 'deleted leads: fixture (waiting, handed over + step 2, in flight, waiting)');
DELETE FROM textseq.lead WHERE id IN (:l_wait, :l_sent, :l_flight);
SELECT is((SELECT string_agg(status::text, ',' ORDER BY lead_id, step) FROM textseq.message WHERE bulk_id = :b3),
		  'omitted_deleted_lead,outbox,omitted_deleted_lead,sending,in_queue',
		  'a deleted lead''s waiting messages become omitted_deleted_lead; sent and in-flight ones stay');
SELECT is((SELECT string_agg(status::text, ',' ORDER BY lead_id) FROM textseq.enrollment WHERE bulk_id = :b3),
		  'canceled,canceled,canceled,pending', 'their pending enrollments end');
SELECT is((SELECT array_agg(coalesce(step::text, '*') || '=' || deleted_leads_count ORDER BY step NULLS FIRST)
			 FROM textseq.bulk_stats WHERE bulk_id = :b3),
		  ARRAY['*=3', '1=3', '2=1'],
		  'deleted_leads_count: three leads of the bulk; three reached by step 1, one by step 2');
SELECT is((SELECT omitted_deleted_lead FROM textseq.bulk_stats WHERE bulk_id = :b3 AND step IS NULL), 2::bigint,
		  'and the two waiting messages are counted as omitted_deleted_lead');
SELECT is_empty('SELECT * FROM pg_temp.drift()', 'deleted leads: counts exact');
SELECT textseq.record_results(ARRAY(SELECT id FROM textseq.message WHERE bulk_id = :b3 AND status = 'sending'),
							  '{outbox}', '{SM202}') AS rec \gset
SELECT is((SELECT count(*)::int FROM textseq.message WHERE lead_id = :l_flight), 1,
		  'the in-flight send of a deleted lead is recorded, and its canceled enrollment queues no next step');
SELECT is_empty($$SELECT * FROM pg_temp.claim($$ || :b3 || $$) c JOIN textseq.message m ON m.id = c.message_id
				   WHERE m.lead_id IN ($$ || :l_wait || ',' || :l_sent || ',' || :l_flight || ')',
				'nothing of a deleted lead is ever claimed');
-- a message whose lead row is gone without the trigger (a mapped CRM table, a
-- restore) is stopped by the claim's gate
INSERT INTO textseq.message (enrollment_id, bulk_id, sequence_id, step, lead_id, sender_id, template_id,
							 template_version, due_at, run_at, expires_at)
SELECT m.enrollment_id, m.bulk_id, m.sequence_id, 1, -1, m.sender_id, m.template_id, m.template_version,
	   textseq.now(), textseq.now(), textseq.now() + interval '1 day'
  FROM textseq.message m JOIN textseq.enrollment e ON e.id = m.enrollment_id
 WHERE m.bulk_id = :b3 AND e.status = 'pending' LIMIT 1;
SELECT is_empty('SELECT * FROM pg_temp.claim(' || :b3 || ')', 'the claim does not send a message whose lead is gone');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = -1), 'omitted_deleted_lead',
		  'it gets omitted_deleted_lead at the claim');

-- ---- bulk status: in_progress -> done --------------------------------------------------
-- b4: two leads; one sent at 17:00 and step 2 canceled, the other canceled
SELECT pg_temp.launch('in_progress', 2, 300) AS b4 \gset
SELECT pg_temp.launch('being_processed', 1, 400) AS b5 \gset
\o /dev/null
SELECT textseq.record_results(ARRAY(SELECT message_id FROM pg_temp.claim(:b4, 1)), '{outbox}', '{SM300}');
SELECT textseq.cancel(e.id) FROM textseq.enrollment e WHERE e.bulk_id IN (:b4, :b5);
\o
SELECT is(pg_temp.stats(:b4), '*:canceled=2 *:outbox=1 1:canceled=1 1:outbox=1 2:canceled=1',
		  'done: fixture (nothing waiting)');
SET LOCAL textseq.test_now = '2026-11-25 16:59:59+00';
SELECT textseq.sweep() AS swept \gset
SELECT is((SELECT status::text FROM textseq.bulk WHERE id = :b4), 'in_progress',
		  'not done before textseq.bulk_done_after (48 h) since the last send');
SET LOCAL textseq.test_now = '2026-11-25 17:00:01+00';
SELECT textseq.sweep() AS swept \gset
SELECT is((SELECT status::text || ' ' || finished_at FROM textseq.bulk WHERE id = :b4),
		  'done 2026-11-25 17:00:01+00', 'done 48 h after the last send, with nothing waiting');
SELECT is((SELECT status::text FROM textseq.bulk WHERE id = :b5), 'being_processed',
		  'a bulk still being processed is never closed by the sweep');
SELECT is((SELECT status::text FROM textseq.bulk WHERE id = :b1), 'in_progress',
		  'a bulk with messages waiting stays in_progress');
SELECT is((SELECT count(*)::int FROM textseq.bulk_stats WHERE bulk_id = :b4 AND status = 'done'), 3,
		  'bulk_stats shows the new status on every row of the bulk');
-- a pending enrollment (waiting for a reply: nothing queued) keeps its bulk open
SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';
SELECT pg_temp.launch('in_progress', 1, 500) AS b6 \gset
UPDATE textseq.message SET status = 'canceled' WHERE bulk_id = :b6;
SET LOCAL textseq.test_now = '2026-11-30 17:00:00+00';
SELECT textseq.sweep() AS swept \gset
SELECT is((SELECT status::text FROM textseq.bulk WHERE id = :b6), 'in_progress',
		  'a bulk with a pending enrollment stays in_progress');
UPDATE textseq.enrollment SET status = 'finished_no_response' WHERE bulk_id = :b6;
SELECT textseq.sweep() AS swept \gset
SELECT is((SELECT status::text FROM textseq.bulk WHERE id = :b6), 'done',
		  'nothing sent: done bulk_done_after past its start once nothing is pending');
SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';

-- ---- updating in-queue texts ------------------------------------------------------------
-- b7: three leads; one claimed (sending), one handed over (outbox), one waiting
SELECT pg_temp.launch('in_progress', 3, 600) AS b7 \gset
\o /dev/null
CREATE TEMP TABLE c7 AS SELECT * FROM pg_temp.claim(:b7, 2);
SELECT textseq.record_results(ARRAY(SELECT min(message_id) FROM c7), '{outbox}', '{SM600}');
SELECT textseq.save_template('hello', 'Hi again {{ lead.first_name }} {{ sender.signature }}');
\o
SELECT is((SELECT string_agg(status || ' v' || template_version, ',' ORDER BY id) FROM textseq.message
			WHERE bulk_id = :b7 AND step = 1),
		  'outbox v1,sending v1,in_queue v1', 'update_in_queue: fixture (handed over, claimed, waiting)');
SELECT count(*) AS hello_waiting FROM textseq.message
 WHERE template_id = (SELECT id FROM textseq.template WHERE name = 'hello')
   AND status IN ('in_queue', 'held_quiet_hours', 'capped') \gset
SELECT is(textseq.update_in_queue('hello'), :hello_waiting,
		  'update_in_queue(template): returns how many waiting messages moved to the current version');
SELECT is((SELECT string_agg(status || ' v' || template_version, ',' ORDER BY id) FROM textseq.message
			WHERE bulk_id = :b7 AND step = 1),
		  'outbox v1,sending v1,in_queue v2', 'only the waiting message moved; sent and sending keep theirs');
SELECT is(textseq.update_in_queue(template => 'hello'), 0, 'a second call moves nothing (named argument)');
SELECT throws_ok($$SELECT textseq.update_in_queue('nope')$$, '42704', 'template "nope" does not exist',
				 'update_in_queue: an unknown template');
SELECT sender_id AS snd7 FROM textseq.bulk WHERE id = :b7 \gset
UPDATE textseq.sender SET signature = '-- Acme Inc' WHERE id = :snd7;
SELECT is(textseq.update_in_queue(sender => :snd7), 2,
		  'update_in_queue(sender): returns how many waiting messages took the new signature '
		  '(the bulk''s waiting step 1 and step 2)');
SELECT is((SELECT string_agg(status || ' ' || signature, ',' ORDER BY id) FROM textseq.message
			WHERE bulk_id = :b7 AND step = 1),
		  'outbox -- Acme,sending -- Acme,in_queue -- Acme Inc', 'sent and sending messages keep their signature');
SELECT throws_ok($$SELECT textseq.update_in_queue(sender => 9999)$$, '42704', 'sender 9999 does not exist',
				 'update_in_queue: an unknown sender');
SELECT is_empty('SELECT * FROM pg_temp.drift()', 'update_in_queue changes no count');
-- the claim renders the current template and signature, and the lead as it is now
UPDATE textseq.lead SET first_name = 'Renamed' WHERE first_name = 'Lead602';
UPDATE textseq.message SET run_at = textseq.now() WHERE bulk_id = :b7 AND status = 'in_queue' AND step = 1;
SELECT is((SELECT body FROM pg_temp.claim(:b7)),
		  'Hi again Renamed -- Acme Inc',
		  'a lead edit after queueing is picked up at send time, with the updated template and signature');

-- ---- who sees bulk_stats -----------------------------------------------------------------
CREATE ROLE ts_bs_user LOGIN IN ROLE textseq_user;
ALTER TABLE textseq.bulk ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_bulks ON textseq.bulk FOR SELECT USING (created_by = current_user);
UPDATE textseq.bulk SET created_by = 'ts_bs_user' WHERE id = :b7;
SET LOCAL ROLE ts_bs_user;
SELECT is((SELECT array_agg(DISTINCT bulk_id) FROM textseq.bulk_stats), ARRAY[:b7]::bigint[],
		  'a user reads bulk_stats, and row-level security on bulk applies (only their bulk)');
SELECT throws_ok($$SELECT textseq.update_in_queue(sender => 1)$$, '42501', NULL,
				 'a user may not push a signature into queued messages (admins own senders)');
RESET ROLE;

-- ---- TRUNCATE -------------------------------------------------------------------------
TRUNCATE textseq.message, textseq.deferred_enrollment;
SELECT is((SELECT sum(in_queue + outbox + sent + canceled + omitted_deleted_lead)::int FROM textseq.bulk_stats), 0,
		  'TRUNCATE of messages empties their counts');
SELECT is((SELECT deleted_leads_count FROM textseq.bulk_stats WHERE bulk_id = :b3 AND step IS NULL), 3::bigint,
		  'deleted-lead counts stay (they are about leads)');

SELECT * FROM finish();
ROLLBACK;
