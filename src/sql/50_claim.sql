-- 50_claim.sql: the claim step of dispatch (SPEC sections 5-6).
--
-- The worker runs three short transactions around every send:
--   1. SELECT * FROM textseq.claim(n); COMMIT   -- rows are now 'sending'
--   2. HTTP with no transaction open
--   3. SELECT textseq.record_results(...); COMMIT   (55_record.sql)
-- The claim applies the pre-send gate in SPEC 6's order (lead deleted, opted
-- out, do-not-contact (bulk only), landline/invalid, expiry, send window,
-- frequency cap, duplicate) and gives every skip its status.  Frequency cap
-- and duplicate checks take a per-phone lock (textseq's own, in bucket order,
-- so two claimers cannot deadlock) and then read in a fresh snapshot, so two
-- sessions claiming at once see each other's 'sending' rows.
--
-- One row never stalls the rest.  Known per-row failures do not raise: the
-- render and send-window functions the claim calls return a marker instead,
-- and that message gets verdict 'error' with the reason.  For anything else a
-- row may bring, the batch runs in one subtransaction; if it fails, the same
-- messages are claimed one at a time, each in its own, and the failing ones
-- get 'error' with the error's text while the rest go out in the same round.
-- The batch's row locks are taken before that subtransaction, so they hold
-- across the fallback.

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
	error_text text,
	send_by timestamptz
);
COMMENT ON TYPE textseq._candidate IS 'Internal: a due message during the claim';

-- Merge data of a lead: its custom fields overlaid by its columns.
CREATE FUNCTION textseq.lead_data(l textseq.lead) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT l.fields || (to_jsonb(l) - 'fields')
$$;
COMMENT ON FUNCTION textseq.lead_data(textseq.lead) IS
	'Merge fields of a built-in lead: custom fields overlaid by its columns';

-- What a message's template is rendered with (inlined into the claim).
CREATE FUNCTION textseq._merge_data(l textseq.lead, signature text, from_number text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT jsonb_build_object('lead', l.fields || (to_jsonb(l) - 'fields'),
							  'sender', jsonb_build_object('signature', signature, 'phone', from_number))
$$;
COMMENT ON FUNCTION textseq._merge_data(textseq.lead, text, text) IS
	'Internal: the data a message is rendered with: {"lead": ..., "sender": {"signature", "phone"}}';

-- The due messages of a batch, locked (FOR UPDATE SKIP LOCKED) in the
-- caller's transaction.  Per sender, at most its budget of its oldest due
-- rows, so a slow or paused sender never holds up the others (no
-- head-of-line blocking); then the oldest of those up to batch_size.
CREATE FUNCTION textseq._claim_lock_due(batch_size int, now_ts timestamptz, budgets jsonb)
RETURNS bigint[] LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
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
	)
	SELECT ARRAY(SELECT due.id FROM due)
$$;
COMMENT ON FUNCTION textseq._claim_lock_due(int, timestamptz, jsonb) IS
	'Internal: lock the due messages of a batch (per-sender budgets, oldest first)';

-- Pass 1: decide everything that needs no per-phone lock.  The body is
-- rendered from the lead's current fields (custom fields overlaid by columns)
-- and the template and signature snapshots taken at launch.  Nothing here
-- raises for a bad row: a message whose sequence or template version is
-- gone, whose phone's zones cannot be used, or whose body cannot be rendered
-- gets verdict 'error' with the reason in error_text.
CREATE FUNCTION textseq._claim_candidates(ids bigint[], now_ts timestamptz)
RETURNS textseq._candidate[] LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	WITH gated AS (
		SELECT m.id, m.sender_id, s.account_id, m.enrollment_id, m.bulk_id, m.lead_id, m.due_at,
			   m.expires_at, CASE WHEN m.kind IN ('confirmation', 'help') THEN m.phone ELSE ch.phone END AS phone,
			   -- one-off texts block duplicates for a day; replies are never blocked or capped
			   coalesce(q.block_duplicates, m.kind = 'one_off') AS block_duplicates,
			   coalesce(q.duplicate_window, interval '24 hours') AS duplicate_window,
			   q.frequency_cap, coalesce(q.frequency_window, interval '24 hours') AS frequency_window,
			   CASE -- a step whose enrollment ended (a reply, STOP, finished by hand) never goes out
					WHEN m.kind = 'sequence' AND en.status IS DISTINCT FROM 'pending' THEN 'canceled'
					WHEN (m.kind = 'sequence' AND q.id IS NULL) OR (m.kind IN ('sequence', 'one_off')
																	AND tv.template_id IS NULL) THEN 'error'
					-- replies textseq sends itself (confirmation, help) go to the number that wrote;
					-- the opt-out confirmation is the one text an opted-out number gets
					WHEN m.kind = 'confirmation' THEN NULL
					WHEN m.kind = 'help' AND rp.opted_out THEN 'omitted_opted_out'
					WHEN m.kind = 'help' THEN NULL
					WHEN l.id IS NULL THEN 'omitted_deleted_lead'
					WHEN ch.reason = 1 THEN 'omitted_opted_out'
					WHEN ch.reason = 2 THEN 'omitted_do_not_contact'
					WHEN ch.reason = 3 THEN 'omitted_landline'
					WHEN ch.reason = 4 OR ch.phone IS NULL THEN 'omitted_invalid'
					WHEN now_ts > m.expires_at THEN 'expired'
			   END::textseq.message_status AS skip,
			   CASE WHEN m.kind = 'sequence' AND q.id IS NULL THEN format('sequence %s does not exist', m.sequence_id)
					WHEN tv.template_id IS NULL
					THEN format('template %s has no version %s', m.template_id, m.template_version)
			   END AS skip_text,
			   m.kind, m.body AS reply_body,
			   l, q, m.signature, s.phone_number AS from_number, tv.body AS template,
			   ch.zones, ch.region
		  -- probe the primary key: the planner cannot know how few rows the batch has
		  FROM textseq.message m
		  JOIN textseq.sender s ON s.id = m.sender_id
		  LEFT JOIN textseq.sequence q ON q.id = m.sequence_id
		  LEFT JOIN textseq.template_version tv
			ON tv.template_id = m.template_id AND tv.version = m.template_version
		  LEFT JOIN textseq.lead l ON l.id = m.lead_id
		  LEFT JOIN textseq.enrollment en ON en.id = m.enrollment_id
		  LEFT JOIN textseq.phone rp ON rp.e164 = m.phone AND m.kind IN ('confirmation', 'help')
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
		 WHERE m.id = ANY(ids)
	), windowed AS MATERIALIZED (
		-- opens_at: NULL = no opening within 14 days or no zone; -infinity = cannot compute
		SELECT g.*,
			   CASE WHEN g.skip IS NULL AND g.kind IN ('confirmation', 'help') THEN now_ts
					WHEN g.skip IS NULL THEN
					-- a one-off text keeps the federal window, 08:00-21:00 every day
					textseq._try_next_send_time(now_ts, g.zones, g.region,
												coalesce((g.q).window_start, '08:00'),
												coalesce((g.q).window_end, '21:00'),
												coalesce((g.q).window_days, '{0,1,2,3,4,5,6}'))
			   END AS opens_at
		  FROM gated g
	), rendered AS MATERIALIZED (
		-- body: NULL when not rendered now, or when it cannot be rendered
		SELECT w.*,
			   CASE WHEN w.skip IS NULL AND w.kind IN ('confirmation', 'help') THEN w.reply_body
					WHEN w.skip IS NULL AND w.opens_at > '-infinity' AND w.opens_at <= now_ts THEN
					textseq._try_render(w.template, textseq._merge_data(w.l, w.signature, w.from_number))
			   END AS body
		  FROM windowed w
	), encoded AS MATERIALIZED (
		-- closes_at: when the window open now closes (the provider's validity period)
		SELECT r.*, CASE WHEN (r.q).smart_encoding AND r.body IS NOT NULL
						 THEN textseq.smart_encode(r.body) ELSE r.body END AS final_body,
			   CASE WHEN r.body IS NOT NULL AND r.kind IN ('confirmation', 'help') THEN r.expires_at
					WHEN r.body IS NOT NULL THEN
					textseq._try_window_closes_at(now_ts, r.zones, r.region,
												  coalesce((r.q).window_start, '08:00'),
												  coalesce((r.q).window_end, '21:00'),
												  coalesce((r.q).window_days, '{0,1,2,3,4,5,6}'), r.expires_at)
			   END AS closes_at
		  FROM rendered r
	), decided AS (
		SELECT e.*,
			   CASE WHEN e.skip IS NOT NULL THEN e.skip
					WHEN e.opens_at = '-infinity' THEN 'error'
					WHEN e.opens_at IS NULL OR e.opens_at > now_ts THEN 'held_quiet_hours'
					WHEN e.body IS NULL OR e.closes_at = '-infinity' THEN 'error'
					WHEN char_length(e.final_body) > 1600 OR e.final_body = '' THEN 'error'
			   END::textseq.message_status AS verdict
		  FROM encoded e
	)
	SELECT array_agg(ROW(
			d.id, d.sender_id, d.account_id, d.enrollment_id, d.bulk_id, d.lead_id, d.due_at, d.phone,
			d.verdict,
			CASE WHEN d.verdict = 'held_quiet_hours' THEN least(d.opens_at, d.expires_at + interval '1 second') END,
			d.final_body, hashtextextended(d.final_body, 0),
			d.block_duplicates, d.duplicate_window, d.frequency_cap, d.frequency_window,
			CASE WHEN d.verdict = 'error' AND char_length(d.final_body) > 1600 THEN 21617
				 WHEN d.verdict = 'error' AND d.final_body = '' THEN 21602 END,
			CASE WHEN d.verdict IS DISTINCT FROM 'error' THEN NULL
				 WHEN d.skip IS NOT NULL THEN d.skip_text
				 WHEN d.opens_at = '-infinity' THEN 'the send window could not be computed: ' ||
					textseq._schedule_problem(now_ts, d.zones, d.region, coalesce((d.q).window_start, '08:00'),
											  coalesce((d.q).window_end, '21:00'),
											  coalesce((d.q).window_days, '{0,1,2,3,4,5,6}'), NULL)
				 WHEN d.body IS NULL THEN 'the body could not be rendered: ' ||
					textseq._render_problem(d.template, textseq._merge_data(d.l, d.signature, d.from_number))
				 WHEN d.closes_at = '-infinity' THEN 'the send window could not be computed: ' ||
					textseq._schedule_problem(now_ts, d.zones, d.region, coalesce((d.q).window_start, '08:00'),
											  coalesce((d.q).window_end, '21:00'),
											  coalesce((d.q).window_days, '{0,1,2,3,4,5,6}'), d.expires_at)
				 WHEN char_length(d.final_body) > 1600
				 THEN 'rendered body is ' || char_length(d.final_body) || ' characters, over the 1600 limit'
				 ELSE 'rendered body is empty' END,
			-- send_by: the provider must not send it after its expiry, nor after
			-- the recipient's send window closes (Twilio's ValidityPeriod)
			least(d.expires_at, d.closes_at)
		   )::textseq._candidate ORDER BY d.id)
	  FROM decided d
$$;
COMMENT ON FUNCTION textseq._claim_candidates(bigint[], timestamptz) IS
	'Internal: apply the lock-free part of the pre-send gate to locked messages; never raises for a bad row';

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
			   -- an opt-out that committed while we waited for the phone lock (its
			   -- confirmation is the one text that still goes to the phone)
			   CASE WHEN EXISTS (SELECT 1 FROM textseq.phone p WHERE p.e164 = o.phone AND p.opted_out)
					THEN NOT EXISTS (SELECT 1 FROM textseq.message c WHERE c.id = o.id AND c.kind = 'confirmation')
					ELSE false END AS opted_out,
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
				x.frequency_window, x.error_code, x.error_text, x.send_by)::textseq._candidate AS v
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
				k.frequency_window, k.error_code, k.error_text, k.send_by)::textseq._candidate
		  FROM checked k
	) s
$$;
COMMENT ON FUNCTION textseq._claim_cap_and_duplicates(textseq._candidate[], timestamptz) IS
	'Internal: frequency cap and duplicate verdicts, read after the per-phone locks';

-- Write the verdicts: statuses, bodies, hold times, and the enrollment side
-- effects.  one_by_one: the claim of one message in the fallback; its
-- enrollment moves on later when another session holds the enrollment row.
CREATE FUNCTION textseq._claim_apply(c textseq._candidate[], now_ts timestamptz,
									 one_by_one boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
	effects textseq._effect[];
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

	-- Enrollments end with the message's reason, except skips that move on
	-- (a blocked duplicate skips its step).
	effects := ARRAY(SELECT ROW(x.id, x.enrollment_id, x.verdict, now_ts)::textseq._effect
					   FROM unnest(c) x
					  WHERE x.verdict NOT IN ('sending', 'held_quiet_hours', 'capped'));
	IF cardinality(effects) = 0 THEN
		RETURN;
	ELSIF one_by_one THEN
		PERFORM textseq._enrollment_effects_apart(effects);
	ELSE
		PERFORM textseq._enrollment_effects(effects);
	END IF;
END
$$;
COMMENT ON FUNCTION textseq._claim_apply(textseq._candidate[], timestamptz, boolean) IS
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

-- The claim of a batch of locked messages (the happy path): gate, per-phone
-- locks, cap and duplicates, writes.  Returns the verdicts.
CREATE FUNCTION textseq._claim_batch(ids bigint[], now_ts timestamptz, budgets jsonb)
RETURNS textseq._candidate[] LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c textseq._candidate[];
BEGIN
	c := textseq._claim_within_budget(textseq._claim_candidates(ids, now_ts), budgets);
	IF c IS NULL THEN
		RETURN '{}';
	END IF;
	-- per-phone locks in bucket order; the next statement reads in a new snapshot
	PERFORM textseq._lock_phones(ARRAY(SELECT x.phone FROM unnest(c) x WHERE x.verdict IS NULL));
	c := textseq._claim_cap_and_duplicates(c, now_ts);
	PERFORM textseq._claim_apply(c, now_ts);
	RETURN c;
END
$$;
COMMENT ON FUNCTION textseq._claim_batch(bigint[], timestamptz, jsonb) IS
	'Internal: claim a batch of locked messages in one go';

-- Messages whose claim failed get verdict 'error' with the reason (each in
-- its own subtransaction); their enrollments fail.
CREATE FUNCTION textseq._claim_fail(ids bigint[], reasons text[], now_ts timestamptz)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	FOR k IN 1 .. coalesce(cardinality(ids), 0) LOOP
		BEGIN
			PERFORM textseq._claim_apply(ARRAY(
				SELECT ROW(m.id, m.sender_id, NULL, m.enrollment_id, m.bulk_id, m.lead_id, m.due_at, NULL,
						   'error', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, reasons[k], NULL
						  )::textseq._candidate
				  FROM textseq.message m
				 WHERE m.id = ids[k] AND m.status IN ('in_queue', 'held_quiet_hours', 'capped')),
				now_ts, true);
		EXCEPTION WHEN OTHERS THEN
			IF textseq._error_kind(SQLSTATE) = 'infrastructure' THEN
				RAISE;
			END IF;
			-- left queued: claimed (and reported) again next round
			RAISE WARNING 'textseq could not mark message % as failed: %', ids[k], SQLERRM
				USING DETAIL = 'Its claim failed: ' || reasons[k];
		END;
	END LOOP;
END
$$;
COMMENT ON FUNCTION textseq._claim_fail(bigint[], text[], timestamptz) IS
	'Internal: verdict error (with the reason) for messages whose claim failed';

-- The fallback when the batch failed: the same locked messages, one at a
-- time.  The gate runs per message in its own subtransaction; the per-phone
-- locks are then taken for all of them at once in bucket order (outside any
-- subtransaction, so they hold to commit and two claimers still cannot
-- deadlock); cap, duplicates and writes run per message in order, each
-- seeing the ones written before it.  A message that fails gets 'error'
-- with the error's text; one that meets a lock or serialization conflict is
-- left queued for the next round; an infrastructure error fails the claim.
CREATE FUNCTION textseq._claim_one_by_one(ids bigint[], now_ts timestamptz, budgets jsonb)
RETURNS textseq._candidate[] LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c textseq._candidate[] := '{}';
	one textseq._candidate[];
	done textseq._candidate[] := '{}';
	x textseq._candidate;
	bad bigint[] := '{}';
	why text[] := '{}';
	i bigint;
BEGIN
	FOREACH i IN ARRAY ids LOOP
		BEGIN
			c := c || coalesce(textseq._claim_candidates(ARRAY[i], now_ts), '{}');
		EXCEPTION WHEN OTHERS THEN
			CASE textseq._error_kind(SQLSTATE)
				WHEN 'infrastructure' THEN RAISE;
				WHEN 'transient' THEN NULL;
				ELSE bad := bad || i;
					 why := why || format('the claim failed (%s): %s', SQLSTATE, SQLERRM);
			END CASE;
		END;
	END LOOP;
	c := coalesce(textseq._claim_within_budget(c, budgets), '{}');
	PERFORM textseq._lock_phones(ARRAY(SELECT y.phone FROM unnest(c) y WHERE y.verdict IS NULL));
	FOREACH x IN ARRAY c LOOP
		BEGIN
			one := textseq._claim_cap_and_duplicates(ARRAY[x], now_ts);
			PERFORM textseq._claim_apply(one, now_ts, true);
			done := done || one;
		EXCEPTION WHEN OTHERS THEN
			CASE textseq._error_kind(SQLSTATE)
				WHEN 'infrastructure' THEN RAISE;
				WHEN 'transient' THEN NULL;
				ELSE bad := bad || x.id;
					 why := why || format('the claim failed (%s): %s', SQLSTATE, SQLERRM);
			END CASE;
		END;
	END LOOP;
	PERFORM textseq._claim_fail(bad, why, now_ts);
	RETURN done;
END
$$;
COMMENT ON FUNCTION textseq._claim_one_by_one(bigint[], timestamptz, jsonb) IS
	'Internal: claim locked messages one at a time after the batch failed; failing ones get error';

-- The claim: lock, gate, render, mark 'sending'; returns what to send.
CREATE FUNCTION textseq.claim(batch_size int DEFAULT 100, budgets jsonb DEFAULT NULL)
RETURNS SETOF textseq.claimed_message
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan AS $$
DECLARE
	now_ts timestamptz := textseq.now();
	ids bigint[];
	c textseq._candidate[];
BEGIN
	IF batch_size IS NULL OR batch_size < 1 OR batch_size > 10000 THEN
		RAISE EXCEPTION 'batch size % is out of range', batch_size
			USING ERRCODE = 'numeric_value_out_of_range', HINT = 'Use 1 to 10000.';
	END IF;
	-- the row locks belong to the transaction, not to the subtransaction below
	ids := textseq._claim_lock_due(batch_size, now_ts, budgets);
	IF cardinality(ids) = 0 THEN
		RETURN;
	END IF;
	BEGIN
		c := textseq._claim_batch(ids, now_ts, budgets);
	EXCEPTION WHEN OTHERS THEN
		IF textseq._error_kind(SQLSTATE) = 'infrastructure' THEN
			RAISE;
		END IF;
		RAISE LOG 'textseq: claiming a batch of % messages failed (%: %); claiming them one by one',
			cardinality(ids), SQLSTATE, SQLERRM;
		c := textseq._claim_one_by_one(ids, now_ts, budgets);
	END;
	RETURN QUERY
		SELECT m.id, a.id, a.provider, s.id, m.phone, s.phone_number, s.messaging_service_sid,
			   m.body, tv.media_urls, m.segments, m.attempts, m.expires_at, m.idempotency_key, x.send_by
		  FROM textseq.message m
		  JOIN unnest(c) x ON x.id = m.id
		  JOIN textseq.sender s ON s.id = m.sender_id
		  JOIN textseq.account a ON a.id = s.account_id
		  LEFT JOIN textseq.template_version tv
			ON tv.template_id = m.template_id AND tv.version = m.template_version
		 WHERE m.id = ANY(ARRAY(SELECT y.id FROM unnest(c) y WHERE y.verdict = 'sending'))
		   AND x.verdict = 'sending'
		 ORDER BY m.id;
END
$$;
COMMENT ON FUNCTION textseq.claim(int, jsonb) IS
	'Claim up to batch_size due messages: apply the pre-send gate, render, mark them sending, return them; '
	'a message that cannot be claimed gets verdict error with the reason, the rest go out';
