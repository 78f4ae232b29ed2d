-- 55_record.sql: the record step of dispatch (SPEC section 6).
--
-- One batched transaction writes the outcomes of a batch of sends.  Changes
-- the forward-only rule forbids (a stale or repeated outcome) are skipped, not
-- errors.  Provider verdicts about the number itself (invalid, landline,
-- opted out) are stored on the phone so no sequence texts it again.

CREATE TYPE textseq._recorded AS (
	id bigint, enrollment_id bigint, status textseq.message_status, phone text, error_text text,
	handed_over boolean);
COMMENT ON TYPE textseq._recorded IS 'Internal: a message whose outcome was just recorded';

CREATE FUNCTION textseq.record_results(message_ids bigint[], statuses textseq.message_status[],
									   provider_ids text[] DEFAULT NULL,
									   error_codes int[] DEFAULT NULL,
									   error_texts text[] DEFAULT NULL,
									   retry_at timestamptz[] DEFAULT NULL)
RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
	now_ts timestamptz := textseq.now();
	n int;
	sent_enr bigint[];
	sent_at timestamptz[];
	rec textseq._recorded[];
BEGIN
	IF cardinality(message_ids) IS DISTINCT FROM cardinality(statuses) THEN
		RAISE EXCEPTION 'message_ids and statuses differ in length'
			USING ERRCODE = 'array_subscript_error';
	END IF;
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
		RETURN 0;
	END IF;
	n := cardinality(rec);

	-- Enrollments: a handed-over message moves the enrollment on; a terminal failure ends it.
	SELECT array_agg(x.enrollment_id), array_agg(now_ts) INTO sent_enr, sent_at
	  FROM unnest(rec) x WHERE x.status IN ('outbox', 'sent') AND x.handed_over;
	IF sent_enr IS NOT NULL THEN
		PERFORM textseq._advance(sent_enr, sent_at);
		-- receipts that beat the record step (rare: checked through a partial index first)
		IF EXISTS (SELECT 1 FROM textseq.delivery_event e WHERE e.message_id IS NULL) THEN
			PERFORM textseq._apply_early_events(array_agg(m.provider_id))
			   FROM textseq.message m
			  WHERE m.id = ANY(ARRAY(SELECT x.id FROM unnest(rec) x WHERE x.handed_over))
				AND m.provider_id IS NOT NULL;
		END IF;
	END IF;
	UPDATE textseq.enrollment e
	   SET status = CASE x.status WHEN 'omitted_invalid' THEN 'omitted_invalid'
								  WHEN 'omitted_landline' THEN 'omitted_landline'
								  WHEN 'omitted_opted_out' THEN
									  CASE WHEN EXISTS (SELECT 1 FROM textseq.message p
														 WHERE p.enrollment_id = e.id AND p.sent_at IS NOT NULL)
										   THEN 'opted_out' ELSE 'omitted_opted_out' END
								  WHEN 'expired' THEN 'expired'
								  ELSE 'failed' END::textseq.enrollment_status,
		   finished_at = now_ts
	  FROM unnest(rec) x
	 WHERE e.id = x.enrollment_id AND e.id = ANY(ARRAY(SELECT y.enrollment_id FROM unnest(rec) y))
	   AND e.status = 'pending'
	   AND x.status IN ('error', 'omitted_invalid', 'omitted_landline', 'omitted_opted_out', 'expired');
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq.record_results(bigint[], textseq.message_status[], text[], int[], text[], timestamptz[]) IS
	'Record send outcomes in one batch (forward-only; stale outcomes skipped); returns rows changed';

