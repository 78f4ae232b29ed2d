-- 70_delivery.sql: delivery reports (status callbacks) and webhook signatures
-- (SPEC section 9).  Every event is appended to textseq.delivery_event;
-- applying one is idempotent and forward-only.  An event that arrives before
-- the worker recorded the provider id is kept and applied when it is recorded.

CREATE TABLE textseq.delivery_event (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	received_at timestamptz NOT NULL DEFAULT now(),
	provider text NOT NULL,
	provider_id text,
	provider_status text,
	error_code int,
	error_text text,
	payload jsonb NOT NULL,
	message_id bigint,
	applied_status textseq.message_status
);
CREATE INDEX delivery_event_provider_id_idx ON textseq.delivery_event (provider_id);
CREATE INDEX delivery_event_unmatched_idx ON textseq.delivery_event (provider_id)
	WHERE message_id IS NULL;
CREATE INDEX delivery_event_received_idx ON textseq.delivery_event (received_at);
COMMENT ON TABLE textseq.delivery_event IS
	'Append-only log of every delivery report received, with what it changed';

-- The message status a provider's delivery status means (NULL: no change).
CREATE FUNCTION textseq._delivery_status(provider text, provider_status text)
RETURNS textseq.message_status LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE
		WHEN provider_status IN ('delivered', 'read') THEN 'sent'
		WHEN provider_status IN ('undelivered', 'failed', 'canceled', 'delivery_failed',
								 'sending_failed', 'delivery_unconfirmed_failed') THEN 'error'
		ELSE NULL END::textseq.message_status
$$;
COMMENT ON FUNCTION textseq._delivery_status(text, text) IS
	'Internal: message status for a provider delivery status (delivered -> sent, failures -> error)';

-- Apply logged events to their messages (forward-only; repeats change nothing).
CREATE FUNCTION textseq._apply_delivery_events(event_ids bigint[]) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n int;
BEGIN
	WITH ev AS (
		SELECT e.id, m.id AS message_id, textseq._delivery_status(e.provider, e.provider_status) AS st,
			   e.error_code, e.error_text
		  FROM textseq.delivery_event e JOIN textseq.message m ON m.provider_id = e.provider_id
		 WHERE e.id = ANY(event_ids)
	), upd AS (
		UPDATE textseq.message m
		   SET status = ev.st,
			   error_code = CASE WHEN ev.st = 'error' THEN coalesce(ev.error_code, m.error_code) ELSE m.error_code END,
			   error_text = CASE WHEN ev.st = 'error' THEN coalesce(ev.error_text, m.error_text) ELSE m.error_text END,
			   finished_at = textseq.now()
		  FROM ev
		 WHERE m.id = ev.message_id AND ev.st IS NOT NULL AND m.status <> ev.st
		   AND textseq.status_transition_allowed('message', m.status::text, ev.st::text)
		RETURNING m.id, m.status, m.phone, m.error_code
	), phones AS (
		UPDATE textseq.phone p
		   SET invalid = p.invalid OR u.error_code IN (30005, 21211),
			   line_type = CASE WHEN u.error_code IN (30006, 21614, 40001) THEN 'landline' ELSE p.line_type END,
			   opted_out = p.opted_out OR u.error_code IN (21610, 30004),
			   opted_out_at = CASE WHEN u.error_code IN (21610, 30004) AND NOT p.opted_out
								   THEN textseq.now() ELSE p.opted_out_at END,
			   updated_at = textseq.now()
		  FROM upd u
		 WHERE p.e164 = u.phone AND u.status = 'error'
		   AND u.error_code IN (30005, 21211, 30006, 21614, 40001, 21610, 30004)
		RETURNING 1
	)
	UPDATE textseq.delivery_event e
	   SET message_id = ev.message_id,
		   applied_status = (SELECT u.status FROM upd u WHERE u.id = ev.message_id)
	  FROM ev
	 WHERE e.id = ev.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq._apply_delivery_events(bigint[]) IS
	'Internal: apply logged delivery events to their messages, forward only';

-- A delivery report from a provider's status callback.  payload: Twilio's
-- form fields as a JSON object (MessageSid, MessageStatus, ErrorCode, ...)
-- or Telnyx's webhook JSON.  Returns the message's status afterwards (NULL
-- when the message is not known yet; the event is kept and applied later).
CREATE FUNCTION textseq.delivery_report(provider text, payload jsonb)
RETURNS textseq.message_status LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	pid text;
	pstatus text;
	code int;
	code_text text;
	etext text;
	eid bigint;
	result textseq.message_status;
BEGIN
	IF provider = 'twilio' THEN
		pid := coalesce(payload ->> 'MessageSid', payload ->> 'SmsSid');
		pstatus := lower(coalesce(payload ->> 'MessageStatus', payload ->> 'SmsStatus'));
		code_text := nullif(payload ->> 'ErrorCode', '');
		etext := payload ->> 'ErrorMessage';
	ELSIF provider = 'telnyx' THEN
		pid := payload #>> '{data,payload,id}';
		pstatus := lower(payload #>> '{data,payload,to,0,status}');
		code_text := nullif(payload #>> '{data,payload,errors,0,code}', '');
		etext := payload #>> '{data,payload,errors,0,title}';
	ELSE
		RAISE EXCEPTION 'unknown provider "%"', provider
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Use twilio or telnyx.';
	END IF;
	IF code_text IS NOT NULL AND code_text !~ '^[0-9]{1,9}$' THEN
		RAISE EXCEPTION 'delivery report has a non-numeric error code: "%"', left(code_text, 40)
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'ErrorCode (Twilio) or errors[0].code (Telnyx) must be a whole number.';
	END IF;
	code := code_text::int;
	IF pid IS NULL OR pstatus IS NULL THEN
		RAISE EXCEPTION 'delivery report without a message id or status'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Twilio reports need MessageSid and MessageStatus; Telnyx reports need data.payload.id and data.payload.to[0].status.';
	END IF;
	INSERT INTO textseq.delivery_event (provider, provider_id, provider_status, error_code, error_text, payload)
	VALUES (provider, pid, pstatus, code, etext, payload)
	RETURNING id INTO eid;
	-- The record step takes this lock too: a record of this id in progress is
	-- waited for (then seen), or it waits for us and applies our event.
	PERFORM textseq._lock_provider_ids(ARRAY[pid]);
	PERFORM textseq._apply_delivery_events(ARRAY[eid]);
	SELECT m.status INTO result FROM textseq.message m WHERE m.provider_id = pid;
	RETURN result;
END
$$;
COMMENT ON FUNCTION textseq.delivery_report(text, jsonb) IS
	'Apply a provider status callback (twilio form fields as JSON, or telnyx webhook JSON); idempotent, forward-only, logged';

-- Events that arrived before their message's provider id was recorded.
CREATE FUNCTION textseq._apply_early_events(provider_ids text[]) RETURNS int
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	SELECT textseq._apply_delivery_events(array_agg(e.id ORDER BY e.id))
	  FROM textseq.delivery_event e
	 WHERE e.provider_id = ANY(provider_ids) AND e.message_id IS NULL
$$;
COMMENT ON FUNCTION textseq._apply_early_events(text[]) IS
	'Internal: apply delivery events that arrived before the send was recorded';

CREATE FUNCTION textseq._hmac_sha1_base64(key text, data text) RETURNS text
	AS 'MODULE_PATHNAME', 'textseq_hmac_sha1_base64' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._hmac_sha1_base64(text, text) IS 'Internal: base64(HMAC-SHA1(key, data))';

CREATE FUNCTION textseq._timingsafe_equal(a text, b text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'textseq_timingsafe_equal' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._timingsafe_equal(text, text) IS
	'Internal: compare two strings in time independent of where they differ';

-- Twilio's request signature: base64(HMAC-SHA1(auth token, URL + each POST
-- parameter name and value, sorted by name)).
CREATE FUNCTION textseq.twilio_signature_valid(url text, params jsonb, signature text, auth_token text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT textseq._timingsafe_equal(
			textseq._hmac_sha1_base64(auth_token,
				url || coalesce((SELECT string_agg(p.key || p.value, '' ORDER BY p.key COLLATE "C")
								   FROM jsonb_each_text(coalesce(params, '{}')) p), '')),
			signature)
$$;
COMMENT ON FUNCTION textseq.twilio_signature_valid(text, jsonb, text, text) IS
	'Whether X-Twilio-Signature matches the URL and POST parameters for this auth token';
