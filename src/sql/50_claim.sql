-- 50_claim.sql: the claim step and the record step of dispatch (SPEC sections 5-6).
--
-- The worker runs three short transactions around every send:
--   1. SELECT * FROM textseq.claim(n); COMMIT   -- rows are now 'sending'
--   2. HTTP with no transaction open
--   3. SELECT textseq.record_results(...); COMMIT
-- The claim applies the pre-send gate in SPEC 6's order (lead deleted, opted
-- out, do-not-contact (bulk only), landline/invalid, expiry, send window,
-- frequency cap, duplicate) and gives every skip its status.  Frequency cap
-- and duplicate checks take a per-phone lock (textseq's own, in bucket order,
-- so two claimers cannot deadlock) and then read in a fresh snapshot, so two
-- sessions claiming at once see each other's 'sending' rows.

CREATE TYPE textseq.claimed_message AS (
	message_id bigint,
	account_id int,
	provider text,
	sender_id int,
	to_phone text,
	from_number text,
	messaging_service_sid text,
	body text,
	media_urls text[],
	segments int,
	attempts int,
	expires_at timestamptz,
	idempotency_key uuid,
	send_by timestamptz
);
COMMENT ON TYPE textseq.claimed_message IS 'A message claimed for sending, as textseq.claim() returns it';

CREATE TYPE textseq._candidate AS (
	id bigint,
	sender_id int,
	account_id int,
	enrollment_id bigint,
	bulk_id bigint,
	lead_id bigint,
	due_at timestamptz,
	phone text,
	verdict textseq.message_status,
	run_at timestamptz,
	body text,
	body_hash bigint,
	block_duplicates boolean,
	duplicate_window interval,
	frequency_cap int,
	frequency_window interval,
	error_code int,
	error_text text
);
COMMENT ON TYPE textseq._candidate IS 'Internal: a due message during the claim';

-- Merge data of a lead: its custom fields overlaid by its columns.
CREATE FUNCTION textseq.lead_data(l textseq.lead) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT l.fields || (to_jsonb(l) - 'fields')
$$;
COMMENT ON FUNCTION textseq.lead_data(textseq.lead) IS
	'Merge fields of a built-in lead: custom fields overlaid by its columns';

-- Pass 1: lock due messages and decide everything that needs no per-phone lock.
-- The body is rendered from the lead's current fields (custom fields overlaid
-- by columns) and the template and signature snapshots taken at launch.
CREATE FUNCTION textseq._claim_candidates(batch_size int, now_ts timestamptz, budgets jsonb)
RETURNS textseq._candidate[] LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	-- Per sender, at most its budget of its oldest due rows, so a slow or
	-- paused sender never holds up the others (no head-of-line blocking).
	WITH senders AS (
		SELECT s.id,
			   CASE WHEN budgets IS NULL THEN batch_size
					ELSE least(coalesce((budgets -> 's' ->> s.id::text)::int, 0),
							   coalesce((budgets -> 'a' ->> s.account_id::text)::int, 0)) END AS budget
		  FROM textseq.sender s JOIN textseq.account a ON a.id = s.account_id
		 WHERE NOT a.paused
	), due AS (
		SELECT d.id
		  FROM senders s
		 CROSS JOIN LATERAL (
			SELECT m.id, m.run_at FROM textseq.message m
			 WHERE m.sender_id = s.id AND m.run_at <= now_ts
			   AND m.status IN ('in_queue', 'held_quiet_hours', 'capped')
			 ORDER BY m.run_at
			 LIMIT s.budget
			   FOR UPDATE OF m SKIP LOCKED) d
		 WHERE s.budget > 0
		 ORDER BY d.run_at
		 LIMIT batch_size
	), gated AS (
		SELECT m.id, m.sender_id, s.account_id, m.enrollment_id, m.bulk_id, m.lead_id, m.due_at,
			   m.expires_at, ch.phone,
			   q.block_duplicates, q.duplicate_window, q.frequency_cap, q.frequency_window,
			   CASE WHEN l.id IS NULL THEN 'omitted_deleted_lead'
					WHEN ch.reason = 1 THEN 'omitted_opted_out'
					WHEN ch.reason = 2 THEN 'omitted_do_not_contact'
					WHEN ch.reason = 3 THEN 'omitted_landline'
					WHEN ch.reason = 4 OR ch.phone IS NULL THEN 'omitted_invalid'
					WHEN now_ts > m.expires_at THEN 'expired'
			   END::textseq.message_status AS skip,
			   l, q, m.signature, s.phone_number AS from_number, tv.body AS template,
			   ch.zones, ch.region
		  -- probe the primary key: the planner cannot know how few rows 'due' has
		  FROM textseq.message m
		  JOIN textseq.sequence q ON q.id = m.sequence_id
		  JOIN textseq.sender s ON s.id = m.sender_id
		  JOIN textseq.template_version tv
			ON tv.template_id = m.template_id AND tv.version = m.template_version
		  LEFT JOIN textseq.lead l ON l.id = m.lead_id
		  LEFT JOIN LATERAL (
			SELECT r.phone, r.zones, r.region, r.reason
			  FROM (SELECT c.phone, p.zones, p.region, c.position,
						   CASE WHEN p.opted_out THEN 1
								WHEN c.do_not_contact AND m.bulk_id IS NOT NULL THEN 2
								WHEN p.line_type = 'landline' THEN 3
								WHEN p.invalid THEN 4 ELSE 0 END AS reason
					  FROM textseq.contact c JOIN textseq.phone p ON p.e164 = c.phone
					 WHERE c.lead_id = m.lead_id) r
			 -- the first textable number, else the weightiest reason (opt-out first)
			 ORDER BY r.reason = 0 DESC, r.reason, r.position
			 LIMIT 1) ch ON true
		 WHERE m.id = ANY(ARRAY(SELECT due.id FROM due))
	), windowed AS MATERIALIZED (
		SELECT g.*,
			   CASE WHEN g.skip IS NULL THEN
					textseq.next_send_time(now_ts, g.zones, g.region, (g.q).window_start,
										   (g.q).window_end, (g.q).window_days)
			   END AS opens_at
		  FROM gated g
	), rendered AS MATERIALIZED (
		SELECT w.*,
			   CASE WHEN w.skip IS NULL AND w.opens_at IS NOT NULL AND w.opens_at <= now_ts THEN
					textseq.render(w.template,
								   jsonb_build_object('lead', (w.l).fields || (to_jsonb(w.l) - 'fields'),
													  'sender', jsonb_build_object('signature', w.signature,
																				   'phone', w.from_number)))
			   END AS body
		  FROM windowed w
	), encoded AS MATERIALIZED (
		SELECT r.*, CASE WHEN (r.q).smart_encoding AND r.body IS NOT NULL
						 THEN textseq.smart_encode(r.body) ELSE r.body END AS final_body
		  FROM rendered r
	)
	SELECT array_agg(ROW(
			r.id, r.sender_id, r.account_id, r.enrollment_id, r.bulk_id, r.lead_id, r.due_at, r.phone,
			CASE WHEN r.skip IS NOT NULL THEN r.skip
				 WHEN r.opens_at IS NULL OR r.opens_at > now_ts THEN 'held_quiet_hours'
				 WHEN char_length(r.final_body) > 1600 OR r.final_body = '' THEN 'error'
			END,
			CASE WHEN r.skip IS NULL AND (r.opens_at IS NULL OR r.opens_at > now_ts)
				 THEN least(r.opens_at, r.expires_at + interval '1 second') END,
			r.final_body, hashtextextended(r.final_body, 0),
			r.block_duplicates, r.duplicate_window, r.frequency_cap, r.frequency_window,
			CASE WHEN char_length(r.final_body) > 1600 THEN 21617 WHEN r.final_body = '' THEN 21602 END,
			CASE WHEN char_length(r.final_body) > 1600
				 THEN 'rendered body is ' || char_length(r.final_body) || ' characters, over the 1600 limit'
				 WHEN r.final_body = '' THEN 'rendered body is empty' END
		   )::textseq._candidate ORDER BY r.id)
	  FROM encoded r
$$;
COMMENT ON FUNCTION textseq._claim_candidates(int, timestamptz, jsonb) IS
	'Internal: lock due messages and apply the lock-free part of the pre-send gate';

-- Pass 2 (after the per-phone locks, in a fresh snapshot): frequency cap and duplicates.
CREATE FUNCTION textseq._claim_cap_and_duplicates(c textseq._candidate[], now_ts timestamptz)
RETURNS textseq._candidate[] LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	WITH open AS (
		SELECT x.*,
			   row_number() OVER (PARTITION BY x.phone ORDER BY x.due_at, x.id) AS phone_rank,
			   row_number() OVER (PARTITION BY x.phone, x.body_hash, x.body ORDER BY x.due_at, x.id)
				   AS body_rank
		  FROM unnest(c) x
		 WHERE x.verdict IS NULL
	), checked AS (
		SELECT o.*,
			   -- an opt-out that committed while we waited for the phone lock
			   EXISTS (SELECT 1 FROM textseq.phone p WHERE p.e164 = o.phone AND p.opted_out) AS opted_out,
			   CASE WHEN o.frequency_cap IS NOT NULL THEN
					(SELECT count(*) FROM textseq.message m
					  WHERE m.phone = o.phone AND m.claimed_at > now_ts - o.frequency_window
						AND m.status IN ('sending', 'maybe_sent', 'outbox', 'sent', 'delivery_unknown'))
			   END AS recent,
			   CASE WHEN o.block_duplicates THEN
					EXISTS (SELECT 1 FROM textseq.message m
							 WHERE m.phone = o.phone AND m.claimed_at > now_ts - o.duplicate_window
							   AND m.status IN ('sending', 'maybe_sent', 'outbox', 'sent', 'delivery_unknown')
							   AND m.body_hash = o.body_hash AND m.body = o.body)
			   END AS seen
		  FROM open o
	)
	SELECT coalesce(array_agg(v ORDER BY (v).id), '{}') FROM (
		SELECT (x.id, x.sender_id, x.account_id, x.enrollment_id, x.bulk_id, x.lead_id, x.due_at, x.phone, x.verdict, x.run_at,
				x.body, x.body_hash, x.block_duplicates, x.duplicate_window, x.frequency_cap,
				x.frequency_window, x.error_code, x.error_text)::textseq._candidate AS v
		  FROM unnest(c) x WHERE x.verdict IS NOT NULL
		UNION ALL
		SELECT (k.id, k.sender_id, k.account_id, k.enrollment_id, k.bulk_id, k.lead_id, k.due_at, k.phone,
				CASE WHEN k.opted_out THEN 'omitted_opted_out'
					 WHEN k.frequency_cap IS NOT NULL AND k.recent + k.phone_rank > k.frequency_cap
						  THEN 'capped'
					 WHEN k.block_duplicates AND (k.seen OR k.body_rank > 1) THEN 'blocked_duplicate'
					 ELSE 'sending' END::textseq.message_status,
				CASE WHEN k.frequency_cap IS NOT NULL AND k.recent + k.phone_rank > k.frequency_cap
					 THEN coalesce((SELECT min(m.claimed_at) FROM textseq.message m
									 WHERE m.phone = k.phone
									   AND m.claimed_at > now_ts - k.frequency_window
									   AND m.status IN ('sending', 'maybe_sent', 'outbox', 'sent',
														'delivery_unknown')), now_ts)
						  + k.frequency_window END,
				k.body, k.body_hash, k.block_duplicates, k.duplicate_window, k.frequency_cap,
				k.frequency_window, k.error_code, k.error_text)::textseq._candidate
		  FROM checked k
	) s
$$;
COMMENT ON FUNCTION textseq._claim_cap_and_duplicates(textseq._candidate[], timestamptz) IS
	'Internal: frequency cap and duplicate verdicts, read after the per-phone locks';

-- Write the verdicts: statuses, bodies, hold times, and the enrollment side effects.
CREATE FUNCTION textseq._claim_apply(c textseq._candidate[], now_ts timestamptz)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
	moved bigint[];
BEGIN
	UPDATE textseq.message m
	   SET status = x.verdict,
		   phone = coalesce(x.phone, m.phone),
		   body = CASE WHEN x.verdict IN ('sending', 'error', 'blocked_duplicate') THEN x.body ELSE m.body END,
		   body_hash = CASE WHEN x.verdict IN ('sending', 'error', 'blocked_duplicate') THEN x.body_hash ELSE m.body_hash END,
		   segments = CASE WHEN x.verdict = 'sending' THEN (textseq.sms_segments(x.body)).segments ELSE m.segments END,
		   attempts = m.attempts + (x.verdict = 'sending')::int,
		   claimed_at = CASE WHEN x.verdict = 'sending' THEN now_ts ELSE m.claimed_at END,
		   run_at = coalesce(x.run_at, m.run_at),
		   error_code = coalesce(x.error_code, m.error_code),
		   error_text = coalesce(x.error_text, m.error_text),
		   finished_at = CASE WHEN x.verdict IN ('sending', 'held_quiet_hours', 'capped')
							  THEN m.finished_at ELSE now_ts END
	  FROM unnest(c) x
	 WHERE m.id = x.id AND m.id = ANY(ARRAY(SELECT y.id FROM unnest(c) y));

	-- Enrollments end with the message's reason, except skips that move on.
	UPDATE textseq.enrollment e
	   SET status = CASE x.verdict
						WHEN 'omitted_opted_out' THEN
							CASE WHEN EXISTS (SELECT 1 FROM textseq.message p
											   WHERE p.enrollment_id = e.id AND p.sent_at IS NOT NULL)
								 THEN 'opted_out' ELSE 'omitted_opted_out' END
						WHEN 'omitted_landline' THEN 'omitted_landline'
						WHEN 'omitted_invalid' THEN 'omitted_invalid'
						WHEN 'expired' THEN 'expired'
						WHEN 'error' THEN 'failed'
						ELSE 'canceled' END::textseq.enrollment_status,
		   finished_at = now_ts
	  FROM unnest(c) x
	 WHERE e.id = x.enrollment_id AND e.id = ANY(ARRAY(SELECT y.enrollment_id FROM unnest(c) y))
	   AND e.status = 'pending'
	   AND x.verdict IN ('omitted_opted_out', 'omitted_landline', 'omitted_invalid', 'expired',
						 'error', 'omitted_deleted_lead', 'omitted_do_not_contact');

	-- A blocked duplicate skips its step; the enrollment goes on.
	SELECT array_agg(x.enrollment_id) INTO moved FROM unnest(c) x WHERE x.verdict = 'blocked_duplicate';
	IF moved IS NOT NULL THEN
		PERFORM textseq._advance(moved, array_fill(now_ts, ARRAY[cardinality(moved)]));
	END IF;
END
$$;
COMMENT ON FUNCTION textseq._claim_apply(textseq._candidate[], timestamptz) IS
	'Internal: write claim verdicts and their enrollment side effects';

-- Keep within the worker's token buckets: per sender and per account, only
-- as many sendable messages as budgets allow (skips are not rate limited).
-- budgets: {"s": {"<sender id>": n}, "a": {"<account id>": n}}; NULL = no limit.
CREATE FUNCTION textseq._claim_within_budget(c textseq._candidate[], budgets jsonb)
RETURNS textseq._candidate[] LANGUAGE sql IMMUTABLE AS $$
	SELECT array_agg(k.x ORDER BY (k.x).id)
	  FROM (SELECT x,
				   row_number() OVER (PARTITION BY x.sender_id, x.verdict IS NULL ORDER BY x.due_at, x.id) AS rs,
				   row_number() OVER (PARTITION BY x.account_id, x.verdict IS NULL ORDER BY x.due_at, x.id) AS ra
			  FROM unnest(c) x) k
	 WHERE (k.x).verdict IS NOT NULL OR budgets IS NULL
		OR (k.rs <= coalesce((budgets -> 's' ->> ((k.x).sender_id)::text)::int, 0)
			AND k.ra <= coalesce((budgets -> 'a' ->> ((k.x).account_id)::text)::int, 0))
$$;
COMMENT ON FUNCTION textseq._claim_within_budget(textseq._candidate[], jsonb) IS
	'Internal: drop sendable candidates beyond the per-sender and per-account budgets';

-- The claim: lock, gate, render, mark 'sending'; returns what to send.
CREATE FUNCTION textseq.claim(batch_size int DEFAULT 100, budgets jsonb DEFAULT NULL)
RETURNS SETOF textseq.claimed_message
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan AS $$
DECLARE
	now_ts timestamptz := textseq.now();
	c textseq._candidate[];
BEGIN
	IF batch_size IS NULL OR batch_size < 1 OR batch_size > 10000 THEN
		RAISE EXCEPTION 'batch size % is out of range', batch_size
			USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Use 1 to 10000.';
	END IF;
	c := textseq._claim_within_budget(textseq._claim_candidates(batch_size, now_ts, budgets), budgets);
	IF c IS NULL THEN
		RETURN;
	END IF;
	-- Per-phone locks, hashed into 4096 buckets (a batch never needs more
	-- lock-table slots than that), in a fixed order; the next statement reads
	-- in a new snapshot.
	PERFORM textseq._lock_phones(ARRAY(SELECT x.phone FROM unnest(c) x WHERE x.verdict IS NULL));
	c := textseq._claim_cap_and_duplicates(c, now_ts);
	PERFORM textseq._claim_apply(c, now_ts);
	RETURN QUERY
		-- send_by: the provider must not send it after its expiry, nor after
		-- the recipient's send window closes (Twilio's ValidityPeriod)
		SELECT m.id, a.id, a.provider, s.id, m.phone, s.phone_number, s.messaging_service_sid,
			   m.body, tv.media_urls, m.segments, m.attempts, m.expires_at, m.idempotency_key,
			   least(m.expires_at,
					 textseq.window_closes_at(now_ts, p.zones, p.region, q.window_start,
											  q.window_end, q.window_days, m.expires_at))
		  FROM textseq.message m
		  JOIN unnest(c) x ON x.id = m.id
		  JOIN textseq.sender s ON s.id = m.sender_id
		  JOIN textseq.account a ON a.id = s.account_id
		  JOIN textseq.template_version tv
			ON tv.template_id = m.template_id AND tv.version = m.template_version
		  JOIN textseq.sequence q ON q.id = m.sequence_id
		  LEFT JOIN textseq.phone p ON p.e164 = m.phone
		 WHERE m.id = ANY(ARRAY(SELECT y.id FROM unnest(c) y WHERE y.verdict = 'sending'))
		   AND x.verdict = 'sending'
		 ORDER BY m.id;
END
$$;
COMMENT ON FUNCTION textseq.claim(int, jsonb) IS
	'Claim up to batch_size due messages: apply the pre-send gate, render, mark them sending, return them';
