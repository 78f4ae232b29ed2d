-- report.sql: the final report of `make demo` (run by scripts/demo/progress.sh with psql).
-- Reads textseq's tables and views, public.demo_case (the special cases) and
-- public.demo_mock_log (the mock provider's JSON log, one jsonb per accepted text).
-- Needs the psql variables :B and :R (bold on and off, or empty).  Changes nothing.

\set ON_ERROR_STOP on
\pset null '-'

\echo
\echo :B'Messages by status':R
SELECT m.status, count(*) AS messages, coalesce(d.meaning, '') AS meaning
  FROM textseq.message m
  LEFT JOIN (VALUES
	('sent', 'delivered: the carrier''s receipt came back'),
	('outbox', 'accepted by the provider, receipt not back yet'),
	('held_quiet_hours', 'waiting for the send window in the recipient''s time zone'),
	('omitted_invalid', 'not a valid number (libphonenumber, or provider 21211)'),
	('omitted_landline', 'a landline (provider 21614), no other textable number'),
	('omitted_opted_out', 'the number opted out (before, or provider 21610)'),
	('omitted_do_not_contact', 'the lead''s number is marked do-not-contact'),
	('blocked_duplicate', 'same text to the same phone within 24 h: not sent again'),
	('error', 'not delivered: see the error code'),
	('in_queue', 'still waiting'),
	('sending', 'in flight'),
	('maybe_sent', 'outcome unknown, waiting for reconciliation'),
	('expired', 'not sent in time, never sent late'),
	('delivery_unknown', 'no receipt in time'),
	('canceled', 'canceled')) AS d (status, meaning) ON d.status = m.status::text
 GROUP BY m.status, d.meaning
 ORDER BY count(*) DESC, m.status;

\echo
\echo :B'The bulk launch':R' (textseq.bulk_stats: the bulk, then each step; maintained counts)'
SELECT bulk_id AS bulk, status, coalesce(step::text, 'all') AS step, lead_count AS leads, sent, outbox,
	   held_quiet_hours AS held, error, blocked_duplicate AS duplicate,
	   omitted_opted_out + omitted_landline + omitted_invalid + omitted_do_not_contact + omitted_deleted_lead
		   AS omitted,
	   in_queue + capped + sending + maybe_sent AS waiting, deleted_leads_count AS deleted
  FROM textseq.bulk_stats
 ORDER BY 1, bulk_stats.step NULLS FIRST;

\echo
\echo :B'Per step':R' (gap = time from the previous step''s text to this one, mean)'
SELECT st.position AS step, t.name AS template, st.delay::text AS delay,
	   count(m.id) AS total,
	   count(*) FILTER (WHERE m.status = 'sent') AS sent,
	   count(*) FILTER (WHERE m.status = 'outbox') AS outbox,
	   count(*) FILTER (WHERE m.status = 'held_quiet_hours') AS held,
	   count(*) FILTER (WHERE m.status::text LIKE 'omitted%' OR m.status = 'blocked_duplicate') AS skipped,
	   count(*) FILTER (WHERE m.status = 'error') AS error,
	   count(*) FILTER (WHERE m.status IN ('in_queue', 'sending', 'maybe_sent', 'capped')) AS waiting,
	   CASE WHEN st.position > 1 THEN
			round(extract(epoch FROM avg(m.sent_at - p.sent_at))::numeric, 1) || ' s' END AS gap
  FROM textseq.step st
  JOIN textseq.template t ON t.id = st.template_id
  LEFT JOIN textseq.message m ON m.sequence_id = st.sequence_id AND m.step = st.position
  LEFT JOIN textseq.message p ON p.enrollment_id = m.enrollment_id AND p.step = m.step - 1
 GROUP BY st.position, t.name, st.delay
 ORDER BY st.position;

\echo
\echo :B'Enrollments by status':R
SELECT status, count(*) AS enrollments FROM textseq.enrollment GROUP BY status ORDER BY 2 DESC, 1;

\echo
\echo :B'Special cases':R' (texts = how many texts the mock provider accepted for the lead, all steps)'
SELECT c.label AS "case",
	   string_agg(m.status
				  || CASE WHEN m.error_code IS NULL THEN ''
						  WHEN m.status IN ('outbox', 'sent') THEN ' (after ' || m.error_code || ')'
						  ELSE ' ' || m.error_code END, ' ' ORDER BY m.step)
		   AS "steps 1 2 3",
	   coalesce((SELECT m1.phone FROM textseq.message m1
				  WHERE m1.lead_id = c.lead_id AND m1.step = 1 AND m1.status IN ('outbox', 'sent')), '')
		   AS "texted",
	   (SELECT count(*) FROM demo_mock_log g
		 WHERE g.line ->> 'to' IN (SELECT ct.phone FROM textseq.contact ct WHERE ct.lead_id = c.lead_id)
		   AND EXISTS (SELECT 1 FROM textseq.message x
						WHERE x.provider_id = g.line ->> 'sid' AND x.lead_id = c.lead_id)) AS texts,
	   c.expect AS expected
  FROM demo_case c
  LEFT JOIN textseq.message m ON m.lead_id = c.lead_id
 GROUP BY c.lead_id, c.label, c.expect
 ORDER BY c.lead_id;

\echo
\echo :B'Held for quiet hours':R
SELECT count(*) AS messages, p.time_zone AS "recipients' zone",
	   to_char(now() AT TIME ZONE p.time_zone, 'Dy HH24:MI') AS "local time now",
	   to_char(min(m.run_at) AT TIME ZONE p.time_zone, 'Dy HH24:MI') AS "released at (local)",
	   date_trunc('second', min(m.run_at) - now())::text AS "released in"
  FROM textseq.message m JOIN textseq.phone p ON p.e164 = m.phone
 WHERE m.status = 'held_quiet_hours'
 GROUP BY p.time_zone;

\echo
\echo :B'A few texts as the provider received them':R' (from the mock''s log)'
\pset format unaligned
\pset tuples_only on
WITH picked AS (
	SELECT DISTINCT ON (kind) kind, l.id, l.first_name, l.last_name, l.company, l.fields
	  FROM textseq.lead l
	  JOIN LATERAL (SELECT CASE
			WHEN l.fields ->> 'plan' = 'pro' AND l.company IS NOT NULL THEN 1
			WHEN l.fields ->> 'plan' = 'trial' AND l.company IS NULL THEN 2
			WHEN l.fields ->> 'plan' = 'free' AND l.fields ? 'trial_days' THEN 3
			WHEN l.first_name IS NULL THEN 4 END AS kind) k ON k.kind IS NOT NULL
	 WHERE (SELECT count(*) FROM textseq.message m
			 WHERE m.lead_id = l.id AND m.status IN ('outbox', 'sent')) = 3
	 ORDER BY kind, l.id
), texts AS (
	SELECT p.kind, p.id, p.first_name, p.last_name, p.company, p.fields, m.step, g.line,
		   (g.line ->> 'received_at')::timestamptz AS at,
		   (g.line ->> 'received_at')::timestamptz
			   - min((g.line ->> 'received_at')::timestamptz) OVER (PARTITION BY p.id) AS since_first
	  FROM picked p
	  JOIN textseq.message m ON m.lead_id = p.id
	  JOIN demo_mock_log g ON g.line ->> 'sid' = m.provider_id
)
SELECT E'\n  ' || coalesce(first_name, '(no first name)') || ' ' || last_name
	   || ', ' || coalesce(company, '(no company)') || ', plan ' || (fields ->> 'plan')
	   || coalesce(', trial_days ' || (fields ->> 'trial_days'), '') || ', ' || (fields ->> 'city')
	   || E'\n' || string_agg(
		   format('    step %s  +%5ss  to %s from %s  (%s)', step,
				  to_char(extract(epoch FROM since_first), 'FM990.0'),
				  line ->> 'to', line ->> 'from', to_char(at, 'HH24:MI:SS'))
		   || E'\n      "' || rtrim(regexp_replace(line ->> 'body', '(.{1,84})( |$)', E'\\1\n       ', 'g'), E' \n') || '"',
		   E'\n' ORDER BY step)
  FROM texts
 GROUP BY kind, id, first_name, last_name, company, fields
 ORDER BY kind;
\pset format aligned
\pset tuples_only off

\echo
\echo :B'Checks':R
SELECT (SELECT count(*) FROM demo_mock_log) AS "texts the mock accepted",
	   (SELECT count(*) FROM textseq.message WHERE provider_id IS NOT NULL) AS "provider ids in textseq",
	   (SELECT count(*) FROM (SELECT 1 FROM demo_mock_log GROUP BY line ->> 'to', line ->> 'body'
							  HAVING count(*) > 1) d) AS "same text twice",
	   (SELECT count(*) FROM textseq.delivery_event) AS "delivery reports";

\echo
\echo :B'textseq.worker_status':R
\x on
SELECT database, pid, state, started_at, in_flight, sent_total, errors_total, batches_total,
	   wakeups_total, sent_last_minute, errors_last_minute, last_error, last_error_at,
	   paused_accounts
  FROM textseq.worker_status;
\x off
