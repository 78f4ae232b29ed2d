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
	applied_status textseq.message_status,
	account_id int
);
CREATE INDEX delivery_event_provider_id_idx ON textseq.delivery_event (provider_id);
CREATE INDEX delivery_event_unmatched_idx ON textseq.delivery_event (provider_id)
	WHERE message_id IS NULL;
CREATE INDEX delivery_event_received_idx ON textseq.delivery_event (received_at);
COMMENT ON TABLE textseq.delivery_event IS
	'Append-only log of every delivery report received, with what it changed';
COMMENT ON COLUMN textseq.delivery_event.account_id IS
	'The account whose credentials checked the report (or that an admin named): it matches '
	'only that account''s messages; NULL = any';

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
-- What an error code says about the number (invalid, landline, opted out)
-- comes from the worker's own code table (textseq._code_outcome), per provider.
CREATE FUNCTION textseq._apply_delivery_events(event_ids bigint[]) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n int;
	now_ts timestamptz := textseq.now();
	opted_out text[];
BEGIN
	WITH ev AS (
		SELECT e.id, m.id AS message_id, textseq._delivery_status(e.provider, e.provider_status) AS st,
			   e.error_code, e.error_text,
			   CASE WHEN e.error_code IS NOT NULL
					THEN textseq._code_outcome(e.provider, e.error_code) END AS verdict
		  FROM textseq.delivery_event e JOIN textseq.message m ON m.provider_id = e.provider_id
		 WHERE e.id = ANY(event_ids)
		   -- a report checked with an account's credentials speaks for that account only
		   AND (e.account_id IS NULL
				OR EXISTS (SELECT 1 FROM textseq.sender s
							WHERE s.id = m.sender_id AND s.account_id = e.account_id))
	), upd AS (
		UPDATE textseq.message m
		   SET status = ev.st,
			   error_code = CASE WHEN ev.st = 'error' THEN coalesce(ev.error_code, m.error_code) ELSE m.error_code END,
			   error_text = CASE WHEN ev.st = 'error' THEN coalesce(ev.error_text, m.error_text) ELSE m.error_text END,
			   finished_at = now_ts
		  FROM ev
		 WHERE m.id = ev.message_id AND ev.st IS NOT NULL AND m.status <> ev.st
		   AND textseq.status_transition_allowed('message', m.status::text, ev.st::text)
		RETURNING m.id, m.status, m.phone, ev.verdict
	), phones AS (
		UPDATE textseq.phone p
		   SET invalid = p.invalid OR u.verdict = 'invalid',
			   line_type = CASE WHEN u.verdict = 'landline' THEN 'landline' ELSE p.line_type END,
			   updated_at = now_ts
		  FROM upd u
		 WHERE p.e164 = u.phone AND u.status = 'error' AND u.verdict IN ('invalid', 'landline')
		RETURNING 1
	), marked AS (
		UPDATE textseq.delivery_event e
		   SET message_id = ev.message_id,
			   applied_status = (SELECT u.status FROM upd u WHERE u.id = ev.message_id)
		  FROM ev
		 WHERE e.id = ev.id
		RETURNING e.id
	)
	SELECT (SELECT count(*) FROM marked),
		   (SELECT array_agg(u.phone) FROM upd u WHERE u.status = 'error' AND u.verdict = 'opted_out')
	  INTO n, opted_out;
	-- an opt-out goes through the one place that opts phones out
	IF opted_out IS NOT NULL THEN
		PERFORM textseq._opt_out(opted_out, 'provider', 'delivery report');
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq._apply_delivery_events(bigint[]) IS
	'Internal: apply logged delivery events to their messages, forward only';

-- Log and apply one delivery report.  payload: Twilio's form fields as a JSON
-- object (MessageSid, MessageStatus, ErrorCode, ...) or Telnyx's webhook JSON.
-- account_id (NULL = any) limits it to that account's messages.  Returns the
-- message's status afterwards (NULL when the message is not known yet; the
-- event is kept and applied later).  Callers check who may file it.
CREATE FUNCTION textseq._delivery_record(provider text, payload jsonb, account_id int)
RETURNS textseq.message_status LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
	INSERT INTO textseq.delivery_event (provider, provider_id, provider_status, error_code, error_text,
										payload, account_id)
	VALUES (provider, pid, pstatus, code, etext, payload, _delivery_record.account_id)
	RETURNING id INTO eid;
	-- The record step takes this lock too: a record of this id in progress is
	-- waited for (then seen), or it waits for us and applies our event.
	PERFORM textseq._lock_provider_ids(ARRAY[pid]);
	PERFORM textseq._apply_delivery_events(ARRAY[eid]);
	SELECT m.status INTO result FROM textseq.message m
	 WHERE m.provider_id = pid
	   AND (_delivery_record.account_id IS NULL
			OR EXISTS (SELECT 1 FROM textseq.sender s
						WHERE s.id = m.sender_id AND s.account_id = _delivery_record.account_id));
	RETURN result;
END
$$;
COMMENT ON FUNCTION textseq._delivery_record(text, jsonb, int) IS
	'Internal: log one delivery report and apply it (to the account''s messages when one is given)';

-- An unverified delivery report: admins only (a user could forge events).
CREATE FUNCTION textseq.delivery_report(provider text, payload jsonb, account text DEFAULT NULL)
RETURNS textseq.message_status LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	aid int;
	aprovider text;
BEGIN
	IF account IS NOT NULL THEN
		SELECT a.id, a.provider INTO aid, aprovider FROM textseq.account a WHERE a.name = account;
		IF aid IS NULL THEN
			RAISE EXCEPTION 'account "%" does not exist', account USING ERRCODE = 'undefined_object';
		END IF;
		IF aprovider IS DISTINCT FROM provider THEN
			RAISE EXCEPTION 'account "%" is not a % account', account, provider
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
	END IF;
	RETURN textseq._delivery_record(provider, payload, aid);
END
$$;
COMMENT ON FUNCTION textseq.delivery_report(text, jsonb, text) IS
	'Admin only: apply a status callback nobody verified (twilio form fields as JSON, or telnyx '
	'webhook JSON), optionally for one account''s messages; idempotent, forward-only, logged';

-- Events that arrived before their message's provider id was recorded.
CREATE FUNCTION textseq._apply_early_events(provider_ids text[]) RETURNS int
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	SELECT textseq._apply_delivery_events(array_agg(e.id ORDER BY e.id))
	  FROM textseq.delivery_event e
	 WHERE e.provider_id = ANY(provider_ids) AND e.message_id IS NULL
$$;
COMMENT ON FUNCTION textseq._apply_early_events(text[]) IS
	'Internal: apply delivery events that arrived before the send was recorded';

CREATE FUNCTION textseq._code_outcome(provider text, code int) RETURNS text
	AS 'MODULE_PATHNAME', 'textseq_code_outcome' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._code_outcome(text, int) IS
	'Internal: what a provider error code means (invalid, opted_out, landline, unreachable, '
	'error, ...), from the table the worker classifies send answers with';

CREATE FUNCTION textseq._hmac_sha1_base64(key text, data text) RETURNS text
	AS 'MODULE_PATHNAME', 'textseq_hmac_sha1_base64' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._hmac_sha1_base64(text, text) IS 'Internal: base64(HMAC-SHA1(key, data))';

CREATE FUNCTION textseq._timingsafe_equal(a text, b text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'textseq_timingsafe_equal' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._timingsafe_equal(text, text) IS
	'Internal: compare two strings in time independent of where they differ';

-- Twilio's request signature: base64(HMAC-SHA1(auth token, URL + each POST
-- parameter name and value, sorted by name)).  Fails closed: a missing URL,
-- signature or token gives false, never NULL (a caller's "IF NOT valid" would
-- let NULL through), and so does an empty token (anyone can compute that HMAC).
CREATE FUNCTION textseq.twilio_signature_valid(url text, params jsonb, signature text, auth_token text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT coalesce(auth_token <> '' AND signature <> '' AND
		textseq._timingsafe_equal(
			textseq._hmac_sha1_base64(auth_token,
				url || coalesce((SELECT string_agg(p.key || p.value, '' ORDER BY p.key COLLATE "C")
								   FROM jsonb_each_text(coalesce(params, '{}')) p), '')),
			signature), false)
$$;
COMMENT ON FUNCTION textseq.twilio_signature_valid(text, jsonb, text, text) IS
	'Whether X-Twilio-Signature matches the URL and POST parameters for this auth token; '
	'false (never NULL) when the URL, signature or token is missing or the token is empty';

CREATE FUNCTION textseq.telnyx_signature_valid(body text, signature text, signed_at text, public_key text)
	RETURNS boolean AS 'MODULE_PATHNAME', 'textseq_telnyx_signature_valid'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION textseq.telnyx_signature_valid(text, text, text, text) IS
	'Whether telnyx-signature-ed25519 (base64) is the Ed25519 signature of telnyx-timestamp || ''|'' '
	'|| the raw body under the account''s public key (base64), with the timestamp within 5 minutes '
	'of textseq.now(); false (never NULL) for any missing or malformed input';

-- The reusable webhook check: the account's id when the request carries a valid
-- signature made with that account's credentials, else 28000 (nothing stored).
-- Twilio: url + params (form fields) + X-Twilio-Signature, keyed by the auth
-- token in account_secret.  Telnyx: the raw body + telnyx-signature-ed25519 +
-- telnyx-timestamp, checked with account.webhook_public_key.  Called only by
-- SECURITY DEFINER entry points, so the caller never reads the secret.
CREATE FUNCTION textseq._webhook_account(account text, url text, params jsonb, signature text,
										 body text, signed_at text)
RETURNS int LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	aid int;
	aprovider text;
	valid boolean;
BEGIN
	SELECT a.id, a.provider,
		   CASE a.provider
				WHEN 'twilio' THEN textseq.twilio_signature_valid(url, params, signature, s.secret)
				WHEN 'telnyx' THEN textseq.telnyx_signature_valid(body, signature, signed_at,
																  a.webhook_public_key)
				ELSE false END
	  INTO aid, aprovider, valid
	  FROM textseq.account a LEFT JOIN textseq.account_secret s ON s.account_id = a.id
	 WHERE a.name = account;
	IF aid IS NULL THEN
		RAISE EXCEPTION 'account "%" does not exist', account USING ERRCODE = 'undefined_object';
	END IF;
	IF NOT coalesce(valid, false) THEN
		RAISE EXCEPTION 'webhook signature is not valid for account "%"', account
			USING ERRCODE = 'invalid_authorization_specification',
				  DETAIL = CASE aprovider
					WHEN 'twilio' THEN 'X-Twilio-Signature must be the HMAC-SHA1 of the URL and the form parameters with the account''s auth token.'
					WHEN 'telnyx' THEN 'telnyx-signature-ed25519 must sign telnyx-timestamp|body with the key in account.webhook_public_key, and the timestamp must be within 5 minutes.'
					ELSE 'A ' || aprovider || ' account receives no webhooks.' END;
	END IF;
	RETURN aid;
END
$$;
COMMENT ON FUNCTION textseq._webhook_account(text, text, jsonb, text, text, text) IS
	'Internal: the account whose credentials signed this webhook request, or 28000';

-- What the application's status-callback endpoint calls: any user, because the
-- signature is checked here with the account's own credentials.
CREATE FUNCTION textseq.delivery_webhook(account text, url text, params jsonb, signature text,
										 body text DEFAULT NULL, signed_at text DEFAULT NULL)
RETURNS textseq.message_status LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	aid int := textseq._webhook_account(account, url, params, signature, body, signed_at);
	aprovider text;
BEGIN
	SELECT a.provider INTO aprovider FROM textseq.account a WHERE a.id = aid;
	RETURN textseq._delivery_record(aprovider,
									CASE WHEN aprovider = 'telnyx' THEN body::jsonb ELSE params END,
									aid);
END
$$;
COMMENT ON FUNCTION textseq.delivery_webhook(text, text, jsonb, text, text, text) IS
	'A status callback as it arrived: checked with the account''s credentials (28000 and nothing '
	'stored when the signature is missing or wrong), then applied to that account''s messages only. '
	'Twilio: url, params (form fields), X-Twilio-Signature; Telnyx: body (raw), '
	'telnyx-signature-ed25519, telnyx-timestamp';
