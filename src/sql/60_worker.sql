-- 60_worker.sql: what the dispatch worker calls besides claim/record, the
-- monitoring views, and the worker's role (SPEC sections 6 and 12).

-- Wake the worker at commit when work is due before its planned wake-up.
CREATE FUNCTION textseq._wake_worker(due timestamptz) RETURNS void
	AS 'MODULE_PATHNAME', 'textseq_wake_worker' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION textseq._wake_worker(timestamptz) IS
	'Internal: set the dispatch worker''s latch at commit when work is due before its planned wake-up';

-- Wake at commit whenever a waiting message is queued or made due (any writer).
CREATE FUNCTION textseq._message_wake() RETURNS trigger
	AS 'MODULE_PATHNAME', 'textseq_message_wake' LANGUAGE C;
COMMENT ON FUNCTION textseq._message_wake() IS 'Statement trigger: wake the worker for newly queued messages';
CREATE TRIGGER message_wake_insert AFTER INSERT ON textseq.message
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION textseq._message_wake();

-- Crash recovery: messages a dead worker left 'sending' may have reached the
-- provider; they are reconciled, never resent blindly.
CREATE FUNCTION textseq._recover_in_flight() RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n int;
BEGIN
	-- A request the dead worker had in flight may still be being processed by
	-- the provider: ask after textseq.reconcile_after, as for any ambiguous
	-- send, so that a create that lands late is found and never sent twice.
	-- A row another session holds is left to the sweep (stale 'sending').
	UPDATE textseq.message
	   SET status = 'maybe_sent',
		   run_at = textseq.now() + current_setting('textseq.reconcile_after')::interval
	 WHERE id IN (SELECT m.id FROM textseq.message m WHERE m.status = 'sending'
					 FOR NO KEY UPDATE SKIP LOCKED);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq._recover_in_flight() IS
	'Internal, worker start: sending rows of a dead worker become maybe_sent';

-- maybe_sent messages due for reconciliation.
CREATE FUNCTION textseq._maybe_sent_due(n int)
RETURNS TABLE (id bigint, account_id int, to_phone text, from_number text, body text,
			   claimed_at timestamptz)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT m.id, s.account_id, m.phone, s.phone_number, m.body, m.claimed_at
	  FROM textseq.message m JOIN textseq.sender s ON s.id = m.sender_id
	 WHERE m.status = 'maybe_sent' AND m.run_at <= textseq.now()
	 ORDER BY m.run_at LIMIT n
$$;
COMMENT ON FUNCTION textseq._maybe_sent_due(int) IS 'Internal: maybe_sent messages to reconcile now';

-- The provider could not be asked: look again later, with backoff.
CREATE FUNCTION textseq._reconcile_later(message_id bigint) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	UPDATE textseq.message
	   SET run_at = textseq.now() + least(interval '1 hour',
										  (textseq.now() - claimed_at) / 2 + interval '10 seconds')
	 WHERE id = message_id AND status = 'maybe_sent'
$$;
COMMENT ON FUNCTION textseq._reconcile_later(bigint) IS
	'Internal: retry reconciliation later, backing off with the message''s age';

-- When the worker must look again: the earliest waiting message of a sender
-- of an unpaused account (one index probe per sender), or reconciliation.
CREATE FUNCTION textseq._next_due() RETURNS timestamptz
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT least(
		(SELECT min((SELECT m.run_at FROM textseq.message m
					  WHERE m.sender_id = s.id
						AND m.status IN ('in_queue', 'held_quiet_hours', 'capped')
					  ORDER BY m.run_at LIMIT 1))
		   FROM textseq.sender s JOIN textseq.account a ON a.id = s.account_id
		  WHERE NOT a.paused AND s.active),
		(SELECT min(m.run_at) FROM textseq.message m WHERE m.status = 'maybe_sent'),
		-- deferred work: look again in a second whether its rows are free
		(SELECT textseq.now() + interval '1 second'
		  WHERE EXISTS (SELECT 1 FROM textseq.deferred_result)
			 OR EXISTS (SELECT 1 FROM textseq.deferred_enrollment)))
$$;
COMMENT ON FUNCTION textseq._next_due() IS 'Internal: the earliest time the worker has work';

-- Periodic housekeeping the worker runs every minute (and anyone may run):
--  * outbox with no carrier receipt for textseq.delivery_unknown_after -> delivery_unknown;
--  * waiting messages past their expiry that no claim will look at (paused
--    account, inactive sender) -> expired, with their enrollments;
--  * enrollments waiting for a reply past their step's timeout -> finished_no_response;
--  * 'sending' rows older than any request can last (a batch whose outcome
--    could not be recorded) -> maybe_sent, so reconciliation settles them;
--  * bulk counts: deltas folded into totals; in_progress bulks with nothing
--    waiting and no send for textseq.bulk_done_after -> done (65_bulk_stats.sql).
CREATE FUNCTION textseq.sweep() RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	now_ts timestamptz := textseq.now();
	n int;
	total int := 0;
	gone bigint[];
BEGIN
	-- rows another session holds are skipped (next sweep): no lock may stall the worker
	UPDATE textseq.message SET status = 'delivery_unknown', finished_at = now_ts
	 WHERE id IN (SELECT m.id FROM textseq.message m
				   WHERE m.status = 'outbox'
					 AND m.sent_at < now_ts - current_setting('textseq.delivery_unknown_after')::interval
					 FOR NO KEY UPDATE SKIP LOCKED);
	GET DIAGNOSTICS n = ROW_COUNT;
	total := total + n;

	WITH x AS (
		UPDATE textseq.message SET status = 'expired', finished_at = now_ts
		 WHERE id IN (SELECT m.id FROM textseq.message m
					   WHERE m.sender_id IN (SELECT s.id FROM textseq.sender s
											   JOIN textseq.account a ON a.id = s.account_id
											  WHERE a.paused OR NOT s.active)
						 AND m.status IN ('in_queue', 'held_quiet_hours', 'capped') AND m.expires_at < now_ts
						 FOR NO KEY UPDATE SKIP LOCKED)
		RETURNING enrollment_id)
	SELECT array_agg(enrollment_id) INTO gone FROM x;
	total := total + coalesce(cardinality(gone), 0);
	UPDATE textseq.enrollment SET status = 'expired', finished_at = now_ts
	 WHERE id IN (SELECT e.id FROM textseq.enrollment e WHERE e.id = ANY(gone) AND e.status = 'pending'
					 FOR NO KEY UPDATE SKIP LOCKED);

	-- conversations that waited for a reply until their timeout
	UPDATE textseq.enrollment SET status = 'finished_no_response', finished_at = now_ts, wait_until = NULL
	 WHERE status = 'pending' AND wait_until <= now_ts;
	GET DIAGNOSTICS n = ROW_COUNT;
	total := total + n;

	-- maybe_sent that reconciliation could not settle in a day: never resent, shown as unknown
	UPDATE textseq.message SET status = 'delivery_unknown', finished_at = now_ts,
		   error_text = 'could not be reconciled with the provider'
	 WHERE id IN (SELECT m.id FROM textseq.message m
				   WHERE m.status = 'maybe_sent' AND m.claimed_at < now_ts - interval '24 hours'
					 FOR NO KEY UPDATE SKIP LOCKED);
	GET DIAGNOSTICS n = ROW_COUNT;
	total := total + n;

	UPDATE textseq.message SET status = 'maybe_sent', run_at = now_ts
	 WHERE id IN (SELECT m.id FROM textseq.message m
				   WHERE m.status = 'sending'
					 AND m.claimed_at < now_ts - interval '5 minutes'
										 - current_setting('textseq.request_timeout')::interval
										   * (current_setting('textseq.batch_size')::int
											  / current_setting('textseq.max_in_flight')::int + 2)
					 FOR NO KEY UPDATE SKIP LOCKED);
	GET DIAGNOSTICS n = ROW_COUNT;
	total := total + n;

	PERFORM textseq._bulk_counts_compact();
	RETURN total + textseq._bulk_finish(now_ts);
END
$$;
COMMENT ON FUNCTION textseq.sweep() IS
	'Housekeeping: outbox without receipt -> delivery_unknown, unclaimable overdue -> expired, stale sending -> maybe_sent, '
	'bulk counts folded, finished bulks -> done';

-- Complete what a claim or record deferred because a row it needed was
-- locked: enrollment moves and send outcomes whose rows are free now (rows
-- still held stay for next time).  The worker runs it with its chores.
CREATE FUNCTION textseq._apply_deferred() RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	effects textseq._effect[];
	d textseq.deferred_result[];
	n int := 0;
BEGIN
	IF EXISTS (SELECT 1 FROM textseq.deferred_enrollment) THEN
		WITH free AS (
			SELECT e.id FROM textseq.enrollment e
			 WHERE e.id IN (SELECT f.enrollment_id FROM textseq.deferred_enrollment f)
			   FOR NO KEY UPDATE SKIP LOCKED
		), gone AS (
			DELETE FROM textseq.deferred_enrollment f
			 WHERE f.enrollment_id IN (SELECT free.id FROM free)
				OR NOT EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.id = f.enrollment_id)
			RETURNING f.message_id, f.enrollment_id, f.status, f.base
		)
		SELECT array_agg(ROW(g.message_id, g.enrollment_id, g.status, g.base)::textseq._effect
						 ORDER BY g.message_id)
		  INTO effects FROM gone g;
		IF effects IS NOT NULL THEN
			n := n + textseq._enrollment_effects(effects);
		END IF;
	END IF;
	IF EXISTS (SELECT 1 FROM textseq.deferred_result) THEN
		WITH free AS (
			SELECT m.id FROM textseq.message m
			 WHERE m.id IN (SELECT r.message_id FROM textseq.deferred_result r)
			   FOR NO KEY UPDATE SKIP LOCKED
		), gone AS (
			DELETE FROM textseq.deferred_result r
			 WHERE r.message_id IN (SELECT free.id FROM free)
				OR NOT EXISTS (SELECT 1 FROM textseq.message m WHERE m.id = r.message_id)
			RETURNING r.*
		)
		SELECT array_agg(g ORDER BY g.message_id) INTO d FROM gone g;
		IF d IS NOT NULL THEN
			n := n + textseq.record_results(
				ARRAY(SELECT x.message_id FROM unnest(d) x), ARRAY(SELECT x.status FROM unnest(d) x),
				ARRAY(SELECT x.provider_id FROM unnest(d) x), ARRAY(SELECT x.error_code FROM unnest(d) x),
				ARRAY(SELECT x.error_text FROM unnest(d) x), ARRAY(SELECT x.retry_at FROM unnest(d) x));
		END IF;
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq._apply_deferred() IS
	'Internal, worker chore: apply deferred enrollment moves and send outcomes whose rows are free now';

-- Monitoring.
CREATE FUNCTION textseq._worker_slots(
	OUT database name, OUT pid int, OUT state text, OUT started_at timestamptz,
	OUT next_wake_at timestamptz, OUT in_flight int, OUT sent_total bigint,
	OUT errors_total bigint, OUT batches_total bigint, OUT wakeups_total bigint,
	OUT sent_last_minute bigint, OUT errors_last_minute bigint, OUT last_error text,
	OUT last_error_at timestamptz, OUT last_error_connect_s float8,
	OUT last_error_first_byte_s float8, OUT last_error_total_s float8)
RETURNS SETOF record AS 'MODULE_PATHNAME', 'textseq_worker_slots' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION textseq._worker_slots() IS 'Internal: the shared state of the dispatch workers';

CREATE VIEW textseq.worker_status AS
SELECT w.*,
	   (SELECT coalesce(jsonb_agg(jsonb_build_object('account', a.name, 'paused_at', a.paused_at,
													 'reason', a.paused_reason)), '[]')
		  FROM textseq.account a WHERE a.paused) AS paused_accounts
  FROM textseq._worker_slots() w;
COMMENT ON VIEW textseq.worker_status IS
	'Dispatch workers: state, throughput, in flight, last error with curl phase timings, paused accounts';

CREATE VIEW textseq.queue_health AS
SELECT count(*) FILTER (WHERE status = 'in_queue' AND run_at <= textseq.now()) AS due_backlog,
	   coalesce(extract(epoch FROM textseq.now() - min(run_at) FILTER (
		   WHERE status = 'in_queue' AND run_at <= textseq.now())), 0)::float8 AS oldest_due_age_s,
	   count(*) FILTER (WHERE status = 'in_queue') AS in_queue,
	   count(*) FILTER (WHERE status = 'held_quiet_hours') AS held_quiet_hours,
	   count(*) FILTER (WHERE status = 'capped') AS capped,
	   count(*) FILTER (WHERE status = 'sending') AS sending,
	   count(*) FILTER (WHERE status = 'maybe_sent') AS maybe_sent,
	   count(*) FILTER (WHERE status = 'outbox') AS outbox
  FROM textseq.message
 WHERE status IN ('in_queue', 'held_quiet_hours', 'capped', 'sending', 'maybe_sent', 'outbox');
COMMENT ON VIEW textseq.queue_health IS
	'Due backlog, age of the oldest due message, held, capped, in-flight and maybe_sent counts';
