-- 65_bulk_stats.sql: bulk counts, bulk completion and deleted leads (SPEC
-- section 8; docs/bulk-stats.md).
--
-- The counts of a bulk are maintained, never counted by scanning messages,
-- so textseq.bulk_stats answers at once for a million-message bulk:
--   * statement-level AFTER triggers on textseq.message (transition tables)
--     add one aggregated delta row per (bulk, step, status) a statement
--     changed to textseq.bulk_count_delta.  That table is insert-only: the
--     claim, the record step and a launch chunk in several sessions never
--     lock a row another session needs, so counting adds no lock wait and
--     no deadlock to dispatch;
--   * textseq.sweep() (the worker, once a minute) folds the committed deltas
--     into textseq.bulk_count in one statement (moved atomically: a reader
--     sees each delta either in the totals or as a delta, never both);
--   * the view sums totals and outstanding deltas of the bulks it shows.
-- Only messages with a bulk_id are counted.
--
-- Rows of bulk_count and bulk_count_delta:
--   status set          n messages of (bulk, step) in that status (deltas: the change)
--   status NULL, step   n leads deleted after their message of that step was queued
--   status NULL, no step  n leads of the bulk deleted after launch
--
-- Must not: read textseq.message to answer a count, or update a row that
-- dispatch statements in other sessions also update.

CREATE TABLE textseq.bulk_count (
	bulk_id bigint NOT NULL,
	step int,
	status textseq.message_status,
	n bigint NOT NULL,
	last_sent_at timestamptz,
	CONSTRAINT bulk_count_key UNIQUE NULLS NOT DISTINCT (bulk_id, step, status)
);
COMMENT ON TABLE textseq.bulk_count IS
	'Message counts of bulks per (bulk, step, status) as of the last compaction (status NULL: deleted '
	'leads; step NULL too: of the whole bulk); read them through textseq.bulk_stats';

CREATE TABLE textseq.bulk_count_delta (
	bulk_id bigint NOT NULL,
	step int,
	status textseq.message_status,
	n int NOT NULL,
	last_sent_at timestamptz
);
CREATE INDEX bulk_count_delta_bulk_idx ON textseq.bulk_count_delta (bulk_id);
COMMENT ON TABLE textseq.bulk_count_delta IS
	'Changes to textseq.bulk_count not folded in yet (insert-only; textseq.sweep() folds them)';

-- The counts trigger (C: src/fn/message_triggers.c): one delta row per (bulk, step, status) the statement
-- changed.  An UPDATE nets old rows (-1) against new rows (+1), so rows whose
-- status did not change add nothing; last_sent_at is the latest send seen.
CREATE FUNCTION textseq._bulk_count_messages() RETURNS trigger
	AS 'MODULE_PATHNAME', 'textseq_bulk_count_messages' LANGUAGE C;
COMMENT ON FUNCTION textseq._bulk_count_messages() IS
	'Statement trigger: record how a statement changed the message counts of bulks (bulk_count_delta)';
-- (a trigger with transition tables takes one event each)
CREATE TRIGGER message_bulk_count_insert AFTER INSERT ON textseq.message
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION textseq._bulk_count_messages();
CREATE TRIGGER message_bulk_count_update AFTER UPDATE ON textseq.message
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION textseq._bulk_count_messages();
CREATE TRIGGER message_bulk_count_delete AFTER DELETE ON textseq.message
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION textseq._bulk_count_messages();

-- TRUNCATE fires no row trigger: the message counts go with the messages
-- (deleted-lead counts stay: they are about leads).
CREATE FUNCTION textseq._bulk_count_truncated() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	DELETE FROM textseq.bulk_count WHERE status IS NOT NULL;
	DELETE FROM textseq.bulk_count_delta WHERE status IS NOT NULL;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION textseq._bulk_count_truncated() IS
	'Statement trigger: TRUNCATE of textseq.message empties the message counts of bulks';
CREATE TRIGGER message_bulk_count_truncate AFTER TRUNCATE ON textseq.message
	FOR EACH STATEMENT EXECUTE FUNCTION textseq._bulk_count_truncated();

-- Fold committed deltas into the totals, in one statement.  Delta rows
-- another compaction holds are skipped (it folds them), and totals are
-- written in key order, so two compactions at once neither double-count
-- nor deadlock.  Returns the totals rows written.
CREATE FUNCTION textseq._bulk_counts_compact() RETURNS int
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	WITH taken AS (
		DELETE FROM textseq.bulk_count_delta d
		 WHERE d.ctid = ANY(ARRAY(SELECT x.ctid FROM textseq.bulk_count_delta x FOR UPDATE SKIP LOCKED))
		RETURNING d.bulk_id, d.step, d.status, d.n, d.last_sent_at
	), folded AS (
		INSERT INTO textseq.bulk_count AS c (bulk_id, step, status, n, last_sent_at)
		SELECT t.bulk_id, t.step, t.status, sum(t.n), max(t.last_sent_at)
		  FROM taken t
		 GROUP BY t.bulk_id, t.step, t.status
		 ORDER BY t.bulk_id, t.step, t.status
		ON CONFLICT (bulk_id, step, status) DO UPDATE
		   SET n = c.n + excluded.n, last_sent_at = greatest(c.last_sent_at, excluded.last_sent_at)
		RETURNING 1
	)
	SELECT count(*)::int FROM folded
$$;
COMMENT ON FUNCTION textseq._bulk_counts_compact() IS
	'Internal, sweep: fold committed bulk_count_delta rows into bulk_count; returns totals rows written';

-- in_progress -> done: nothing of the bulk waits (no in_queue, held_quiet_hours,
-- capped, sending or maybe_sent message, no pending enrollment, e.g. one
-- waiting for a reply) and textseq.bulk_done_after has passed since its last
-- send (since its start when nothing was sent).  Bulks another session holds
-- are left for the next sweep.  Returns the bulks closed.
CREATE FUNCTION textseq._bulk_finish(now_ts timestamptz) RETURNS int
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	WITH quiet AS (
		SELECT b.id
		  FROM textseq.bulk b
		 CROSS JOIN LATERAL (
			SELECT coalesce(sum(x.n) FILTER (WHERE x.status IN ('in_queue', 'held_quiet_hours', 'capped',
																'sending', 'maybe_sent')), 0) AS waiting,
				   max(x.last_sent_at) AS last_sent_at
			  FROM (SELECT c.status, c.n, c.last_sent_at FROM textseq.bulk_count c WHERE c.bulk_id = b.id
					UNION ALL
					SELECT d.status, d.n, d.last_sent_at FROM textseq.bulk_count_delta d
					 WHERE d.bulk_id = b.id) x) k
		 WHERE b.status = 'in_progress' AND k.waiting = 0
		   AND coalesce(k.last_sent_at, b.start_at)
			   <= now_ts - current_setting('textseq.bulk_done_after')::interval
		   AND NOT EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.bulk_id = b.id AND e.status = 'pending')
	), closed AS (
		UPDATE textseq.bulk b SET status = 'done', finished_at = now_ts
		 WHERE b.id IN (SELECT h.id FROM textseq.bulk h
						 WHERE h.id IN (SELECT quiet.id FROM quiet) AND h.status = 'in_progress'
						   FOR NO KEY UPDATE SKIP LOCKED)
		RETURNING 1
	)
	SELECT count(*)::int FROM closed
$$;
COMMENT ON FUNCTION textseq._bulk_finish(timestamptz) IS
	'Internal, sweep: in_progress bulks with nothing waiting and no send for textseq.bulk_done_after -> done';

-- One row per bulk (step NULL) and one per step of it: a count for every
-- message status, the deleted leads, the last send.  security_invoker: the
-- caller's privileges and row-level security on textseq.bulk apply.
CREATE VIEW textseq.bulk_stats WITH (security_invoker = true) AS
SELECT b.id AS bulk_id, q.name AS sequence, b.status, k.step,
	   k.in_queue, k.held_quiet_hours, k.capped, k.sending, k.maybe_sent, k.outbox, k.sent, k.error,
	   k.delivery_unknown, k.expired, k.canceled, k.blocked_duplicate, k.omitted_opted_out,
	   k.omitted_landline, k.omitted_invalid, k.omitted_do_not_contact, k.omitted_deleted_lead,
	   k.deleted_leads_count, b.lead_count, k.last_sent_at, b.start_at, b.created_at, b.created_by,
	   b.finished_at
  FROM textseq.bulk b
  JOIN textseq.sequence q ON q.id = b.sequence_id
 CROSS JOIN LATERAL (
	SELECT x.step,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'in_queue'), 0)::bigint AS in_queue,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'held_quiet_hours'), 0)::bigint AS held_quiet_hours,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'capped'), 0)::bigint AS capped,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'sending'), 0)::bigint AS sending,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'maybe_sent'), 0)::bigint AS maybe_sent,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'outbox'), 0)::bigint AS outbox,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'sent'), 0)::bigint AS sent,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'error'), 0)::bigint AS error,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'delivery_unknown'), 0)::bigint AS delivery_unknown,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'expired'), 0)::bigint AS expired,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'canceled'), 0)::bigint AS canceled,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'blocked_duplicate'), 0)::bigint AS blocked_duplicate,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'omitted_opted_out'), 0)::bigint AS omitted_opted_out,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'omitted_landline'), 0)::bigint AS omitted_landline,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'omitted_invalid'), 0)::bigint AS omitted_invalid,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'omitted_do_not_contact'), 0)::bigint
			   AS omitted_do_not_contact,
		   coalesce(sum(x.n) FILTER (WHERE x.status = 'omitted_deleted_lead'), 0)::bigint
			   AS omitted_deleted_lead,
		   -- the bulk row: leads of the bulk; a step row: leads its messages reached
		   CASE WHEN GROUPING(x.step) = 1
				THEN coalesce(sum(x.n) FILTER (WHERE x.status IS NULL AND x.step IS NULL), 0)
				ELSE coalesce(sum(x.n) FILTER (WHERE x.status IS NULL), 0) END::bigint AS deleted_leads_count,
		   max(x.last_sent_at) AS last_sent_at
	  FROM (SELECT c.step, c.status, c.n, c.last_sent_at FROM textseq.bulk_count c WHERE c.bulk_id = b.id
			UNION ALL
			SELECT d.step, d.status, d.n, d.last_sent_at FROM textseq.bulk_count_delta d WHERE d.bulk_id = b.id
			UNION ALL
			-- every send step has its row, zeros until its messages are queued
			SELECT st.position, NULL, 0, NULL FROM textseq.step st
			 WHERE st.sequence_id = b.sequence_id AND st.kind = 'send') x
	 GROUP BY GROUPING SETS ((), (x.step))
	HAVING GROUPING(x.step) = 1 OR x.step IS NOT NULL) k;
COMMENT ON VIEW textseq.bulk_stats IS
	'Bulk launches with a count per message status, deleted leads and last send: one row per bulk '
	'(step NULL) and one per step; maintained counts (docs/bulk-stats.md), instant for any size';

-- Leads deleted after launch: counted in deleted_leads_count of their bulks,
-- and never sent to: what still waits for them becomes omitted_deleted_lead
-- and their pending enrollments end (canceled).  (The claim's gate would
-- also refuse them; this makes it show at once.)  Messages are changed
-- before enrollments, in the order the claim and the record step lock them,
-- so a delete racing dispatch cannot deadlock with it.  SECURITY DEFINER:
-- users delete leads but may not change messages or enrollments.
CREATE FUNCTION textseq._lead_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	now_ts timestamptz := textseq.now();
	gone_ids bigint[];
BEGIN
	gone_ids := ARRAY(SELECT g.id FROM gone g);
	INSERT INTO textseq.bulk_count_delta (bulk_id, step, status, n)
	SELECT e.bulk_id, NULL::int, NULL::textseq.message_status, count(DISTINCT e.lead_id)
	  FROM textseq.enrollment e
	 WHERE e.lead_id = ANY(gone_ids) AND e.bulk_id IS NOT NULL
	 GROUP BY e.bulk_id
	UNION ALL
	SELECT m.bulk_id, m.step, NULL, count(DISTINCT m.lead_id)
	  FROM textseq.enrollment e JOIN textseq.message m ON m.enrollment_id = e.id
	 WHERE e.lead_id = ANY(gone_ids) AND m.bulk_id IS NOT NULL
	 GROUP BY m.bulk_id, m.step;

	UPDATE textseq.message m SET status = 'omitted_deleted_lead', finished_at = now_ts
	 WHERE m.id IN (SELECT w.id FROM textseq.enrollment e JOIN textseq.message w ON w.enrollment_id = e.id
					 WHERE e.lead_id = ANY(gone_ids)
					   AND w.status IN ('in_queue', 'held_quiet_hours', 'capped')
					UNION ALL
					SELECT w.id FROM textseq.message w
					 WHERE w.lead_id = ANY(gone_ids) AND w.kind <> 'sequence' AND w.lead_id IS NOT NULL
					   AND w.status IN ('in_queue', 'held_quiet_hours', 'capped'))
	   AND m.status IN ('in_queue', 'held_quiet_hours', 'capped');

	UPDATE textseq.enrollment e SET status = 'canceled', finished_at = now_ts, wait_until = NULL
	 WHERE e.lead_id = ANY(gone_ids) AND e.status = 'pending';
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION textseq._lead_deleted() IS
	'Statement trigger: deleted leads are counted in their bulks, their waiting messages become '
	'omitted_deleted_lead and their pending enrollments end';
CREATE TRIGGER lead_deleted AFTER DELETE ON textseq.lead
	REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION textseq._lead_deleted();
