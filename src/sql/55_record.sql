-- 55_record.sql: the record step of dispatch (SPEC section 6).
--
-- One batched transaction writes the outcomes of a batch of sends.  Changes
-- the forward-only rule forbids (a stale or repeated outcome) are skipped, not
-- errors.  Provider verdicts about the number itself (invalid, landline,
-- opted out) are stored on the phone so no sequence texts it again.
--
-- No outcome can hold up the others.  The batch is written in one
-- subtransaction; if that fails, each outcome is written in its own:
--   * one whose row another session holds (or that meets any other lock or
--     serialization conflict) is kept in textseq.deferred_result and written
--     once the row is free (textseq._apply_deferred, run by the worker);
--   * one that cannot be written (a provider id another message holds, a
--     row that no longer fits) is recorded as 'error' with the reason: a
--     terminal status, so a text the provider took is never sent again;
--   * an infrastructure error (no space, shutdown, privileges) fails the
--     step, and the worker retries the batch before claiming more.
-- An enrollment row another session holds never holds up its message: the
-- move waits in textseq.deferred_enrollment.

CREATE TYPE textseq._recorded AS (
	id bigint, enrollment_id bigint, status textseq.message_status, phone text, error_text text,
	handed_over boolean);
COMMENT ON TYPE textseq._recorded IS 'Internal: a message whose outcome was just recorded';

CREATE TABLE textseq.deferred_result (
	message_id bigint PRIMARY KEY,
	status textseq.message_status NOT NULL,
	provider_id text,
	error_code int,
	error_text text,
	retry_at timestamptz,
	reason text NOT NULL,
	deferred_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE textseq.deferred_result IS
	'Send outcomes the record step could not write yet (their row was locked); the worker writes '
	'them once the row is free';

-- Phone verdicts, the move to the next number, and the status change of each
-- message; then the delivery events that beat the record.  Returns the
-- messages changed.
CREATE FUNCTION textseq._record_messages(message_ids bigint[], statuses textseq.message_status[],
										 provider_ids text[], error_codes int[], error_texts text[],
										 retry_at timestamptz[], now_ts timestamptz)
RETURNS textseq._recorded[] LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
	rec textseq._recorded[];
BEGIN
	-- What the provider said about the number itself is stored first ...
	IF 'omitted_invalid' = ANY(statuses) OR 'omitted_landline' = ANY(statuses) THEN
	UPDATE textseq.phone p
	   SET invalid = p.invalid OR v.status = 'omitted_invalid',
		   invalid_reason = CASE WHEN v.status = 'omitted_invalid' THEN v.error_text ELSE p.invalid_reason END,
		   line_type = CASE WHEN v.status = 'omitted_landline' THEN 'landline' ELSE p.line_type END,
		   updated_at = now_ts
	  FROM unnest(message_ids, statuses, error_texts) AS v(id, status, error_text)
	  JOIN textseq.message m ON m.id = v.id AND m.id = ANY(message_ids)
							AND m.status IN ('sending', 'maybe_sent')
	 WHERE p.e164 = m.phone
	   AND v.status IN ('omitted_invalid', 'omitted_landline');
	END IF;
	-- (opt-outs through the one place that opts phones out)
	IF 'omitted_opted_out' = ANY(statuses) THEN
		PERFORM textseq._opt_out(ARRAY(
			SELECT m.phone
			  FROM unnest(message_ids, statuses) AS v(id, status)
			  JOIN textseq.message m ON m.id = v.id AND m.id = ANY(message_ids)
									AND m.status IN ('sending', 'maybe_sent')
			 WHERE v.status = 'omitted_opted_out' AND m.phone IS NOT NULL), 'provider', 'send answer');
	END IF;
	-- ... so that a landline or invalid verdict sends the message to the lead's
	-- next textable number instead of ending it.  Never after an opt-out: a
	-- person who said STOP is not texted on another number.
	statuses := ARRAY(
		SELECT CASE WHEN v.status IN ('omitted_landline', 'omitted_invalid')
						 AND m.status IN ('sending', 'maybe_sent')
						 AND EXISTS (SELECT 1 FROM textseq.contact c JOIN textseq.phone p ON p.e164 = c.phone
									  WHERE c.lead_id = m.lead_id AND c.phone <> m.phone
										AND NOT p.opted_out AND NOT p.invalid AND p.line_type <> 'landline')
					THEN 'in_queue'::textseq.message_status ELSE v.status END
		  FROM unnest(message_ids, statuses) WITH ORDINALITY AS v(id, status, ord)
		  LEFT JOIN textseq.message m ON m.id = v.id AND m.id = ANY(message_ids)
		 ORDER BY v.ord);
	-- r keeps each row's status before the change: only a message handed over
	-- now ('sending' or 'maybe_sent' before) moves its enrollment on.  The
	-- update applies only while the row still has that status, so a row that
	-- another session changed meanwhile is skipped like any stale outcome
	-- (no row lock needed to read it).
	WITH r AS (
		SELECT v.*, m.status AS old_status
		  FROM unnest(message_ids, statuses, provider_ids, error_codes, error_texts, retry_at)
			   AS v(id, status, provider_id, error_code, error_text, retry_at)
		  JOIN textseq.message m ON m.id = v.id
		 WHERE m.id = ANY(message_ids)
	), upd AS (
		UPDATE textseq.message m
		   SET status = r.status,
			   provider_id = coalesce(r.provider_id, m.provider_id),
			   error_code = CASE WHEN r.status IN ('outbox', 'sent') THEN NULL
								 ELSE coalesce(r.error_code, m.error_code) END,
			   error_text = CASE WHEN r.status IN ('outbox', 'sent') THEN NULL
								 ELSE coalesce(r.error_text, m.error_text) END,
			   sent_at = CASE WHEN r.status IN ('outbox', 'sent') THEN coalesce(m.sent_at, now_ts)
							  ELSE m.sent_at END,
			   run_at = CASE WHEN r.status IN ('in_queue', 'maybe_sent') THEN coalesce(r.retry_at, now_ts)
							 ELSE m.run_at END,
			   finished_at = CASE WHEN r.status IN ('in_queue', 'outbox', 'maybe_sent', 'sending')
								  THEN NULL ELSE now_ts END
		  FROM r
		 WHERE m.id = r.id AND m.id = ANY(message_ids) AND m.status = r.old_status
		   AND m.status <> r.status
		   AND textseq.status_transition_allowed('message', m.status::text, r.status::text)
		RETURNING m.id, m.enrollment_id, m.status, m.phone, r.error_text,
				  r.old_status IN ('sending', 'maybe_sent') AS handed_over
	)
	SELECT array_agg(ROW(u.id, u.enrollment_id, u.status, u.phone, u.error_text,
						 u.handed_over)::textseq._recorded)
	  INTO rec FROM upd u;
	IF rec IS NULL THEN
		RETURN '{}';
	END IF;

	-- Receipts that beat the record step.  A delivery report takes the lock of
	-- its provider id too (delivery_report), so of a report and this record
	-- racing, the later waits for the earlier to commit and then sees its
	-- work: the event is applied by one of them, never missed by both.
	IF EXISTS (SELECT 1 FROM unnest(rec) x WHERE x.status IN ('outbox', 'sent') AND x.handed_over) THEN
		PERFORM textseq._lock_provider_ids(ARRAY(
			SELECT v.provider_id FROM unnest(statuses, provider_ids) AS v(status, provider_id)
			 WHERE v.status IN ('outbox', 'sent') AND v.provider_id IS NOT NULL));
		-- rare: checked through a partial index first
		IF EXISTS (SELECT 1 FROM textseq.delivery_event e WHERE e.message_id IS NULL) THEN
			BEGIN
				PERFORM textseq._apply_early_events(array_agg(m.provider_id))
				   FROM textseq.message m
				  WHERE m.id = ANY(ARRAY(SELECT x.id FROM unnest(rec) x WHERE x.handed_over))
					AND m.provider_id IS NOT NULL;
			EXCEPTION WHEN OTHERS THEN
				IF textseq._error_kind(SQLSTATE) <> 'row' THEN
					RAISE;
				END IF;
				RAISE WARNING 'textseq could not apply early delivery events: %', SQLERRM
					USING DETAIL = 'They stay unmatched; the sends are recorded.';
			END;
		END IF;
	END IF;
	RETURN rec;
END
$$;
COMMENT ON FUNCTION textseq._record_messages(bigint[], textseq.message_status[], text[], int[], text[], timestamptz[], timestamptz) IS
	'Internal: write send outcomes to messages and phones, apply early delivery events';

-- What recorded messages do to their enrollments.
CREATE FUNCTION textseq._recorded_effects(rec textseq._recorded[], now_ts timestamptz)
RETURNS textseq._effect[] LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY(SELECT ROW(x.id, x.enrollment_id, x.status, now_ts)::textseq._effect
				   FROM unnest(rec) x
				  WHERE (x.status IN ('outbox', 'sent') AND x.handed_over)
					 OR x.status IN ('error', 'omitted_invalid', 'omitted_landline', 'omitted_opted_out',
									 'expired'))
$$;
COMMENT ON FUNCTION textseq._recorded_effects(textseq._recorded[], timestamptz) IS
	'Internal: enrollment moves of recorded messages: handed over moves on, a terminal outcome ends';

-- Keep an outcome whose row is held by another session, to write it later.
CREATE FUNCTION textseq._defer_result(message_id bigint, status textseq.message_status,
									  provider_id text, error_code int, error_text text,
									  retry_at timestamptz, reason text)
RETURNS void LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	INSERT INTO textseq.deferred_result (message_id, status, provider_id, error_code, error_text,
										 retry_at, reason)
	VALUES (message_id, status, provider_id, error_code, error_text, retry_at, reason)
	ON CONFLICT ON CONSTRAINT deferred_result_pkey DO UPDATE
	   SET status = excluded.status, provider_id = excluded.provider_id,
		   error_code = excluded.error_code, error_text = excluded.error_text,
		   retry_at = excluded.retry_at, reason = excluded.reason
$$;
COMMENT ON FUNCTION textseq._defer_result(bigint, textseq.message_status, text, int, text, timestamptz, text) IS
	'Internal: keep a send outcome in deferred_result until its row is free';

-- Whether another session holds the rows writing this outcome needs (the
-- message, and its phone for a verdict about the number); never waits.
CREATE FUNCTION textseq._record_row_held(message_id bigint, status textseq.message_status)
RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	number text;
BEGIN
	SELECT m.phone INTO number FROM textseq.message m WHERE m.id = message_id
	   FOR NO KEY UPDATE SKIP LOCKED;
	IF NOT FOUND THEN
		RETURN EXISTS (SELECT 1 FROM textseq.message m WHERE m.id = message_id);
	END IF;
	IF status IN ('omitted_invalid', 'omitted_landline', 'omitted_opted_out') THEN
		PERFORM 1 FROM textseq.phone p WHERE p.e164 = number FOR NO KEY UPDATE SKIP LOCKED;
		RETURN NOT FOUND AND EXISTS (SELECT 1 FROM textseq.phone p WHERE p.e164 = number);
	END IF;
	RETURN false;
END
$$;
COMMENT ON FUNCTION textseq._record_row_held(bigint, textseq.message_status) IS
	'Internal: whether another session holds the message row (or phone row) an outcome must write';

-- Record one outcome as an error, because writing it as it was failed.
CREATE FUNCTION textseq._record_as_error(message_id bigint, status textseq.message_status,
										 provider_id text, error_code int, failure text,
										 now_ts timestamptz)
RETURNS textseq._recorded[] LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RETURN textseq._record_messages(ARRAY[message_id], ARRAY['error']::textseq.message_status[],
		NULL, ARRAY[error_code],
		ARRAY[format('the outcome %s%s could not be recorded: %s', status,
					 coalesce(' (provider id ' || provider_id || ')', ''), failure)],
		NULL, now_ts);
EXCEPTION WHEN OTHERS THEN
	IF textseq._error_kind(SQLSTATE) = 'infrastructure' THEN
		RAISE;
	END IF;
	-- left as it is: a 'sending' row is settled by the sweep and reconciliation
	RAISE WARNING 'textseq could not record the outcome of message %: %', message_id, SQLERRM
		USING DETAIL = format('The outcome was %s; writing it failed with: %s', status, failure);
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION textseq._record_as_error(bigint, textseq.message_status, text, int, text, timestamptz) IS
	'Internal: record a message as error with the reason its outcome could not be written';

-- The fallback when a batch could not be recorded at once: each outcome in
-- its own subtransaction (see the file header).  Returns rows changed.
CREATE FUNCTION textseq._record_one_by_one(message_ids bigint[], statuses textseq.message_status[],
										   provider_ids text[], error_codes int[], error_texts text[],
										   retry_at timestamptz[], now_ts timestamptz)
RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n int := 0;
	rec textseq._recorded[];
	failure text;
BEGIN
	FOR k IN 1 .. coalesce(cardinality(message_ids), 0) LOOP
		rec := NULL;
		failure := NULL;
		BEGIN
			IF textseq._record_row_held(message_ids[k], statuses[k]) THEN
				PERFORM textseq._defer_result(message_ids[k], statuses[k], provider_ids[k], error_codes[k],
											  error_texts[k], retry_at[k], 'its row was locked by another session');
			ELSE
				rec := textseq._record_messages(ARRAY[message_ids[k]], ARRAY[statuses[k]],
												ARRAY[provider_ids[k]], ARRAY[error_codes[k]],
												ARRAY[error_texts[k]], ARRAY[retry_at[k]], now_ts);
			END IF;
		EXCEPTION WHEN OTHERS THEN
			CASE textseq._error_kind(SQLSTATE)
				WHEN 'infrastructure' THEN
					RAISE;
				WHEN 'transient' THEN
					PERFORM textseq._defer_result(message_ids[k], statuses[k], provider_ids[k], error_codes[k],
												  error_texts[k], retry_at[k], SQLERRM);
				ELSE
					failure := format('%s (%s)', SQLERRM, SQLSTATE);
			END CASE;
		END;
		IF failure IS NOT NULL THEN
			rec := textseq._record_as_error(message_ids[k], statuses[k], provider_ids[k], error_codes[k],
											failure, now_ts);
		END IF;
		IF cardinality(rec) > 0 THEN
			n := n + cardinality(rec);
			PERFORM textseq._enrollment_effects_apart(textseq._recorded_effects(rec, now_ts));
		END IF;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq._record_one_by_one(bigint[], textseq.message_status[], text[], int[], text[], timestamptz[], timestamptz) IS
	'Internal: record outcomes one at a time after the batch failed: defer held rows, error the unwritable';

CREATE FUNCTION textseq.record_results(message_ids bigint[], statuses textseq.message_status[],
									   provider_ids text[] DEFAULT NULL,
									   error_codes int[] DEFAULT NULL,
									   error_texts text[] DEFAULT NULL,
									   retry_at timestamptz[] DEFAULT NULL)
RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	now_ts timestamptz := textseq.now();
	rec textseq._recorded[];
BEGIN
	IF cardinality(message_ids) IS DISTINCT FROM cardinality(statuses) THEN
		RAISE EXCEPTION 'message_ids and statuses differ in length'
			USING ERRCODE = 'array_subscript_error';
	END IF;
	BEGIN
		rec := textseq._record_messages(message_ids, statuses, provider_ids, error_codes, error_texts,
										retry_at, now_ts);
		IF cardinality(rec) > 0 THEN
			-- a handed-over message moves its enrollment on; a terminal failure ends it
			PERFORM textseq._enrollment_effects(textseq._recorded_effects(rec, now_ts));
		END IF;
		RETURN cardinality(rec);
	EXCEPTION WHEN OTHERS THEN
		IF textseq._error_kind(SQLSTATE) = 'infrastructure' THEN
			RAISE;
		END IF;
		RAISE LOG 'textseq: recording % outcomes failed (%: %); recording them one by one',
			cardinality(message_ids), SQLSTATE, SQLERRM;
	END;
	RETURN textseq._record_one_by_one(message_ids, statuses, provider_ids, error_codes, error_texts,
									  retry_at, now_ts);
END
$$;
COMMENT ON FUNCTION textseq.record_results(bigint[], textseq.message_status[], text[], int[], text[], timestamptz[]) IS
	'Record send outcomes in one batch (forward-only; stale outcomes skipped; an outcome that cannot be '
	'written is recorded as error, one whose row is locked is deferred); returns rows changed';
