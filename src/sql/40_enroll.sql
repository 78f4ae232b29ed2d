-- 40_enroll.sql: enrolling leads, queueing steps, advancing and cancelling
-- enrollments (SPEC sections 2 and 5).

-- The sender a new enrollment uses: the given one, else an active sender of
-- the recipient's area code, else the first active sender.
CREATE FUNCTION textseq._pick_sender(lead bigint, wanted int) RETURNS int
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	sid int;
BEGIN
	IF wanted IS NOT NULL THEN
		SELECT s.id INTO sid FROM textseq.sender s WHERE s.id = wanted AND s.active;
		IF sid IS NULL THEN
			RAISE EXCEPTION 'sender % does not exist or is not active', wanted
				USING ERRCODE = 'undefined_object';
		END IF;
		RETURN sid;
	END IF;
	SELECT s.id INTO sid
	  FROM textseq.sender s
	  LEFT JOIN LATERAL (SELECT c.phone FROM textseq.contact c
						  WHERE c.lead_id = lead ORDER BY c.position LIMIT 1) c ON true
	 WHERE s.active
	 ORDER BY (left(s.phone_number, 5) = left(c.phone, 5) AND c.phone LIKE '+1%') DESC NULLS LAST, s.id
	 LIMIT 1;
	IF sid IS NULL THEN
		RAISE EXCEPTION 'no active sender to send from'
			USING ERRCODE = 'undefined_object',
				  HINT = 'Add one with textseq.add_sender().';
	END IF;
	RETURN sid;
END
$$;
COMMENT ON FUNCTION textseq._pick_sender(bigint, int) IS
	'Sender for a new enrollment: the given one, else one with the recipient''s area code';

-- Queue the message of each enrollment's current step, due at base + delay.
-- Enrollments whose current step does not exist are finished (no response);
-- a wait_reply step queues nothing and sets the enrollment's wait_until.
CREATE FUNCTION textseq._queue_current(enrollment_ids bigint[], bases timestamptz[])
RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
	queued int;
	now_ts timestamptz := textseq.now();
BEGIN
	INSERT INTO textseq.message (enrollment_id, bulk_id, sequence_id, step, lead_id, sender_id,
								 template_id, template_version, signature, due_at, run_at,
								 expires_at)
	SELECT e.id, e.bulk_id, e.sequence_id, st.position, e.lead_id, e.sender_id,
		   t.id, t.current_version, s.signature, b.base + st.delay, b.base + st.delay,
		   b.base + st.delay + q.expire_after
	  FROM textseq.enrollment e
	  JOIN unnest(enrollment_ids, bases) AS b(id, base) ON b.id = e.id
	  JOIN textseq.sequence q ON q.id = e.sequence_id
	  JOIN textseq.step st ON st.sequence_id = e.sequence_id AND st.position = e.current_step
	  JOIN textseq.template t ON t.id = st.template_id
	  JOIN textseq.sender s ON s.id = e.sender_id
	 WHERE e.id = ANY(enrollment_ids) AND e.status = 'pending' AND st.kind = 'send';
	GET DIAGNOSTICS queued = ROW_COUNT;

	-- A wait_reply step queues nothing: the enrollment waits for a reply
	-- (textseq.receive) until its timeout (the sweep finishes it then).
	IF EXISTS (SELECT 1 FROM textseq.step st WHERE st.kind = 'wait_reply') THEN
		UPDATE textseq.enrollment e
		   SET wait_until = b.base + st.delay + st.timeout
		  FROM unnest(enrollment_ids, bases) AS b(id, base), textseq.step st
		 WHERE e.id = b.id AND e.id = ANY(enrollment_ids) AND e.status = 'pending'
		   AND st.sequence_id = e.sequence_id AND st.position = e.current_step
		   AND st.kind = 'wait_reply';
	END IF;

	UPDATE textseq.enrollment e
	   SET status = 'finished_no_response', finished_at = now_ts
	 WHERE e.id = ANY(enrollment_ids) AND e.status = 'pending'
	   AND NOT EXISTS (SELECT 1 FROM textseq.step st
					    WHERE st.sequence_id = e.sequence_id AND st.position = e.current_step);
	RETURN queued;
END
$$;
COMMENT ON FUNCTION textseq._queue_current(bigint[], timestamptz[]) IS
	'Queue each enrollment''s current step at base time + step delay; finish those past the last step';

-- Move enrollments to their next step and queue it, counting its delay from base.
CREATE FUNCTION textseq._advance(enrollment_ids bigint[], bases timestamptz[])
RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
	-- One update per enrollment: past the last step it finishes here (a second
	-- update of the same row would pay for its foreign-key checks again).
	UPDATE textseq.enrollment e
	   SET wait_until = NULL,
		   current_step = coalesce((SELECT min(st.position) FROM textseq.step st
									 WHERE st.sequence_id = e.sequence_id
									   AND st.position > e.current_step),
								   e.current_step + 1),
		   status = CASE WHEN EXISTS (SELECT 1 FROM textseq.step st
									   WHERE st.sequence_id = e.sequence_id
										 AND st.position > e.current_step)
						 THEN e.status ELSE 'finished_no_response' END,
		   finished_at = CASE WHEN EXISTS (SELECT 1 FROM textseq.step st
											WHERE st.sequence_id = e.sequence_id
											  AND st.position > e.current_step)
							  THEN e.finished_at ELSE textseq.now() END
	 WHERE e.id = ANY(enrollment_ids) AND e.status = 'pending';
	RETURN textseq._queue_current(enrollment_ids, bases);
END
$$;
COMMENT ON FUNCTION textseq._advance(bigint[], timestamptz[]) IS
	'Advance enrollments to their next step and queue it (delay counted from base)';

-- _advance for one enrollment (a conversation going on after a reply,
-- textseq.receive): the same moves, on plans kept for the session.  The
-- array form plans every call (force_custom_plan) because the worker passes
-- hundreds of ids; for one id that planning cost more than the work.
CREATE FUNCTION textseq._advance_one(enrollment bigint, base timestamptz)
RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	e textseq.enrollment;
	st textseq.step;
	queued int := 0;
BEGIN
	UPDATE textseq.enrollment x
	   SET wait_until = NULL,
		   current_step = coalesce((SELECT min(s.position) FROM textseq.step s
									 WHERE s.sequence_id = x.sequence_id AND s.position > x.current_step),
								   x.current_step + 1)
	 WHERE x.id = enrollment AND x.status = 'pending'
	RETURNING x.* INTO e;
	IF e.id IS NULL THEN
		RETURN 0;
	END IF;
	SELECT s.* INTO st FROM textseq.step s WHERE s.sequence_id = e.sequence_id AND s.position = e.current_step;
	IF st.sequence_id IS NULL THEN
		UPDATE textseq.enrollment x SET status = 'finished_no_response', finished_at = textseq.now()
		 WHERE x.id = enrollment;
	ELSIF st.kind = 'wait_reply' THEN
		UPDATE textseq.enrollment x SET wait_until = base + st.delay + st.timeout WHERE x.id = enrollment;
	ELSE
		INSERT INTO textseq.message (enrollment_id, bulk_id, sequence_id, step, lead_id, sender_id,
									 template_id, template_version, signature, due_at, run_at,
									 expires_at)
		SELECT e.id, e.bulk_id, e.sequence_id, st.position, e.lead_id, e.sender_id,
			   t.id, t.current_version, s.signature, base + st.delay, base + st.delay,
			   base + st.delay + q.expire_after
		  FROM textseq.sequence q, textseq.template t, textseq.sender s
		 WHERE q.id = e.sequence_id AND t.id = st.template_id AND s.id = e.sender_id;
		GET DIAGNOSTICS queued = ROW_COUNT;
	END IF;
	RETURN queued;
END
$$;
COMMENT ON FUNCTION textseq._advance_one(bigint, timestamptz) IS
	'Internal: _advance for one enrollment (receive), on plans kept for the session';

-- What a message's verdict or outcome does to its enrollment, and what had
-- to wait because another session held the enrollment row.
CREATE TYPE textseq._effect AS (message_id bigint, enrollment_id bigint,
								status textseq.message_status, base timestamptz);
COMMENT ON TYPE textseq._effect IS
	'Internal: a message''s status to carry to its enrollment (base: when it happened)';

CREATE TABLE textseq.deferred_enrollment (
	message_id bigint PRIMARY KEY,
	enrollment_id bigint NOT NULL,
	status textseq.message_status NOT NULL,
	base timestamptz NOT NULL,
	deferred_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE textseq.deferred_enrollment IS
	'Enrollment moves (advance or end) of claimed or recorded messages that waited for an enrollment '
	'row another session held; the worker applies them once the row is free';

-- Carry message statuses to their pending enrollments: a message handed to
-- the provider (outbox, sent) or a blocked duplicate moves its enrollment to
-- the next step (delay counted from base); a terminal skip or outcome ends
-- it with the message's reason.  Other statuses change nothing.
-- skip_locked: an enrollment row another session holds is not waited for;
-- its move goes to textseq.deferred_enrollment (see _apply_deferred).
CREATE FUNCTION textseq._enrollment_effects(effects textseq._effect[], skip_locked boolean DEFAULT false)
RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
	todo textseq._effect[];
	free bigint[];
	moved bigint[];
	moved_at timestamptz[];
	n int := 0;
BEGIN
	todo := ARRAY(SELECT x FROM unnest(effects) x
				   WHERE x.status IN ('outbox', 'sent', 'blocked_duplicate', 'omitted_opted_out',
									  'omitted_landline', 'omitted_invalid', 'expired', 'error',
									  'omitted_deleted_lead', 'omitted_do_not_contact'));
	IF cardinality(todo) = 0 THEN
		RETURN 0;
	END IF;
	IF skip_locked THEN
		free := ARRAY(SELECT e.id FROM textseq.enrollment e
					   WHERE e.id = ANY(ARRAY(SELECT x.enrollment_id FROM unnest(todo) x))
					   ORDER BY e.id
						 FOR NO KEY UPDATE SKIP LOCKED);
		INSERT INTO textseq.deferred_enrollment (message_id, enrollment_id, status, base)
		SELECT x.message_id, x.enrollment_id, x.status, x.base
		  FROM unnest(todo) x
		 WHERE x.enrollment_id <> ALL(free)
		   AND EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.id = x.enrollment_id AND e.status = 'pending')
		ON CONFLICT (message_id) DO NOTHING;
		todo := ARRAY(SELECT x FROM unnest(todo) x WHERE x.enrollment_id = ANY(free));
	END IF;

	IF EXISTS (SELECT 1 FROM unnest(todo) x WHERE x.status NOT IN ('outbox', 'sent', 'blocked_duplicate')) THEN
		UPDATE textseq.enrollment e
		   SET status = CASE x.status
							WHEN 'omitted_opted_out' THEN
								CASE WHEN EXISTS (SELECT 1 FROM textseq.message p
												   WHERE p.enrollment_id = e.id AND p.sent_at IS NOT NULL)
									 THEN 'opted_out' ELSE 'omitted_opted_out' END
							WHEN 'omitted_landline' THEN 'omitted_landline'
							WHEN 'omitted_invalid' THEN 'omitted_invalid'
							WHEN 'expired' THEN 'expired'
							WHEN 'error' THEN 'failed'
							ELSE 'canceled' END::textseq.enrollment_status,
			   finished_at = x.base
		  FROM unnest(todo) x
		 WHERE e.id = x.enrollment_id
		   AND e.id = ANY(ARRAY(SELECT y.enrollment_id FROM unnest(todo) y
								 WHERE y.status NOT IN ('outbox', 'sent', 'blocked_duplicate')))
		   AND e.status = 'pending' AND x.status NOT IN ('outbox', 'sent', 'blocked_duplicate');
		GET DIAGNOSTICS n = ROW_COUNT;
	END IF;

	SELECT array_agg(x.enrollment_id), array_agg(x.base) INTO moved, moved_at
	  FROM unnest(todo) x WHERE x.status IN ('outbox', 'sent', 'blocked_duplicate');
	IF moved IS NOT NULL THEN
		PERFORM textseq._advance(moved, moved_at);
		n := n + cardinality(moved);
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq._enrollment_effects(textseq._effect[], boolean) IS
	'Internal: advance or end the enrollments of claimed and recorded messages (skip_locked: defer held rows)';

-- The same for one message of a fallback: rows another session holds are
-- deferred, and a move that fails is logged rather than failing the message
-- (a text the provider accepted is never turned into an error by its enrollment).
CREATE FUNCTION textseq._enrollment_effects_apart(effects textseq._effect[])
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM textseq._enrollment_effects(effects, true);
EXCEPTION WHEN OTHERS THEN
	CASE textseq._error_kind(SQLSTATE)
		WHEN 'infrastructure' THEN
			RAISE;
		WHEN 'transient' THEN
			INSERT INTO textseq.deferred_enrollment (message_id, enrollment_id, status, base)
			SELECT x.message_id, x.enrollment_id, x.status, x.base FROM unnest(effects) x
			ON CONFLICT (message_id) DO NOTHING;
		ELSE
			RAISE WARNING 'textseq could not move on the enrollment of message %: %',
				effects[1].message_id, SQLERRM;
	END CASE;
END
$$;
COMMENT ON FUNCTION textseq._enrollment_effects_apart(textseq._effect[]) IS
	'Internal: _enrollment_effects for one message of a fallback, in its own subtransaction';

-- Enroll one lead in a sequence ("launch to a single lead").  SECURITY
-- DEFINER: users may not write enrollments or messages themselves; this
-- queues the first step with the template version and signature current now.
CREATE FUNCTION textseq.enroll(sequence bigint, lead bigint, sender int DEFAULT NULL,
							   start_at timestamptz DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	first_step int;
	eid bigint;
	sid int;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM textseq.sequence q WHERE q.id = sequence) THEN
		RAISE EXCEPTION 'sequence % does not exist', sequence USING ERRCODE = 'undefined_object';
	END IF;
	SELECT min(st.position) INTO first_step FROM textseq.step st WHERE st.sequence_id = sequence;
	IF first_step IS NULL THEN
		RAISE EXCEPTION 'sequence % has no steps', sequence
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Add steps with textseq.add_step().';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM textseq.lead l WHERE l.id = lead) THEN
		RAISE EXCEPTION 'lead % does not exist', lead USING ERRCODE = 'undefined_object';
	END IF;
	sid := textseq._pick_sender(lead, sender);
	INSERT INTO textseq.enrollment (sequence_id, lead_id, sender_id, current_step, enrolled_at,
									enrolled_by)
	VALUES (sequence, lead, sid, first_step, textseq.now(), textseq._caller())
	ON CONFLICT (sequence_id, lead_id) WHERE status = 'pending' DO NOTHING
	RETURNING id INTO eid;
	IF eid IS NULL THEN
		SELECT e.id INTO eid FROM textseq.enrollment e
		 WHERE e.sequence_id = sequence AND e.lead_id = lead AND e.status = 'pending';
		RAISE NOTICE 'lead % is already in sequence %; enrollment % continues', lead, sequence, eid;
		RETURN eid;
	END IF;
	-- a lead whose numbers are all opted out (one at least) gets nothing queued
	IF EXISTS (SELECT 1 FROM textseq.contact c JOIN textseq.phone p ON p.e164 = c.phone
				WHERE c.lead_id = lead AND p.opted_out)
	   AND NOT EXISTS (SELECT 1 FROM textseq.contact c JOIN textseq.phone p ON p.e164 = c.phone
						WHERE c.lead_id = lead AND NOT p.opted_out) THEN
		UPDATE textseq.enrollment e SET status = 'omitted_opted_out', finished_at = textseq.now()
		 WHERE e.id = eid;
		RETURN eid;
	END IF;
	PERFORM textseq._queue_current(ARRAY[eid], ARRAY[coalesce(start_at, textseq.now())]);
	RETURN eid;
END
$$;
COMMENT ON FUNCTION textseq.enroll(bigint, bigint, int, timestamptz) IS
	'Enroll a lead in a sequence from start_at (default now); idempotent while the enrollment is pending';

CREATE FUNCTION textseq.enroll(sequence text, lead bigint, sender int DEFAULT NULL,
							   start_at timestamptz DEFAULT NULL)
RETURNS bigint LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	SELECT textseq.enroll(textseq._sequence_id(sequence), lead, sender, start_at)
$$;
COMMENT ON FUNCTION textseq.enroll(text, bigint, int, timestamptz) IS
	'Enroll a lead in the sequence of this name';

-- Cancel an enrollment and every message of it still waiting.  SECURITY
-- DEFINER: users may not change message statuses themselves; this never
-- touches a message already claimed (sending, maybe_sent) or handed over.
CREATE FUNCTION textseq.cancel(enrollment bigint) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n int;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM textseq.enrollment e WHERE e.id = enrollment) THEN
		RAISE EXCEPTION 'enrollment % does not exist', enrollment USING ERRCODE = 'undefined_object';
	END IF;
	UPDATE textseq.enrollment e SET status = 'canceled', finished_at = textseq.now()
	 WHERE e.id = enrollment AND e.status = 'pending';
	UPDATE textseq.message m SET status = 'canceled', finished_at = textseq.now()
	 WHERE m.enrollment_id = enrollment
	   AND m.status IN ('in_queue', 'held_quiet_hours', 'capped');
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq.cancel(bigint) IS
	'Cancel an enrollment and its waiting messages; returns how many messages were canceled';

CREATE FUNCTION textseq.cancel(sequence text, lead bigint) RETURNS int
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce(sum(textseq.cancel(e.id)), 0)::int
	  FROM textseq.enrollment e
	 WHERE e.sequence_id = textseq._sequence_id(sequence) AND e.lead_id = lead
	   AND e.status = 'pending'
$$;
COMMENT ON FUNCTION textseq.cancel(text, bigint) IS
	'Cancel the lead''s pending enrollment in the named sequence';
