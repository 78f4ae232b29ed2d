-- bench/load.sql: queue one message for each of N new leads (run by
-- bench/lib.sh; psql variables seq = sequence name, n = lead count,
-- first = number of the first lead, which picks its phone number, and
-- enroll = false to create the leads only).
--
-- Set-based, so a million leads load in minutes: leads and contacts by
-- INSERT ... SELECT (the contact trigger still normalises every number and
-- creates its phone row), enrollments by INSERT ... SELECT (all in one bulk,
-- as a bulk launch makes them), and their first step queued by
-- textseq._queue_current, the function textseq.enroll uses.
-- The sequence's account is paused first, so the worker sends nothing while
-- the queue fills; bench_start resumes it.  Messages are due at now() +
-- :ahead (psql variable: '0' for a queue that is due at once, as after a
-- bulk launch; '1 hour' for bench_flip, which makes them due with one UPDATE).
-- Lead g gets +1 201 2XX XXXX with XXXXXX = g: distinct valid US mobiles.

\set ON_ERROR_STOP 1
SELECT textseq.pause_account(CASE WHEN :'seq' = 'dry_seq' THEN 'dry' ELSE 'mock' END, 'benchmark: loading');
BEGIN;
CREATE TEMP TABLE new_lead ON COMMIT DROP AS
WITH ins AS (
	INSERT INTO textseq.lead (first_name, last_name, company)
	SELECT (ARRAY['Ann','Bob','Chloé','Dmitri','Émile','Fatima','Grace','Hiro'])[1 + g % 8],
		   'Lead' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE 'Company ' || (g % 1000) END
	  FROM generate_series(:first::bigint, :first::bigint + :n - 1) g
	RETURNING id, last_name
)
SELECT id, substr(last_name, 5)::bigint AS g FROM ins;

INSERT INTO textseq.contact (lead_id, position, phone)
SELECT id, 1, '+1201' || (200 + g / 10000)::text || lpad((g % 10000)::text, 4, '0') FROM new_lead;

\if :enroll
-- one bulk launch: its messages carry bulk_id, so dispatch pays for the bulk counts
CREATE TEMP TABLE new_bulk ON COMMIT DROP AS
WITH ins AS (
	INSERT INTO textseq.bulk (sequence_id, start_at, status, lead_count)
	SELECT q.id, now(), 'in_progress', :n FROM textseq.sequence q WHERE q.name = :'seq'
	RETURNING id
)
SELECT id FROM ins;

CREATE TEMP TABLE new_enr ON COMMIT DROP AS
WITH ins AS (
	INSERT INTO textseq.enrollment (sequence_id, lead_id, sender_id, current_step, bulk_id)
	SELECT q.id, l.id, s.id, 1, (SELECT id FROM new_bulk)
	  FROM new_lead l, textseq.sequence q, textseq.sender s
	 WHERE q.name = :'seq'
	   AND s.account_id = (SELECT a.id FROM textseq.account a
						   WHERE a.name = CASE WHEN :'seq' = 'dry_seq' THEN 'dry' ELSE 'mock' END)
	RETURNING id
)
SELECT id FROM ins;

SELECT textseq._queue_current(array_agg(id ORDER BY id),
							  array_fill(now() + :'ahead'::interval, ARRAY[count(*)::int]))
  FROM new_enr;
\endif
COMMIT;
VACUUM ANALYZE textseq.lead;
VACUUM ANALYZE textseq.contact;
VACUUM ANALYZE textseq.phone;
VACUUM ANALYZE textseq.enrollment;
VACUUM ANALYZE textseq.message;
