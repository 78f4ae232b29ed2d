-- 35_consent.sql: opting a phone out and back in (SPEC section 9, PROVIDERS.md
-- "Compliance").  _opt_out and _opt_in are the only places that change
-- phone.opted_out: the worker's record step, delivery reports, the API below
-- and (later) inbound STOP/START all come through them, so the consent log
-- has one place to hook into.  Opting out is the safe direction and any user
-- may do it; opting back in is a compliance action and is for admins only.
-- Every request is kept in the append-only textseq.consent_event, and the
-- phone's flag changes only in a transaction that logged the change (a
-- trigger checks), whoever writes the row.

CREATE TABLE textseq.consent_event (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL,
	phone text NOT NULL,
	consent text NOT NULL CHECK (consent IN ('opt_out', 'opt_in')),
	source text NOT NULL CHECK (source IN ('keyword', 'phrase', 'provider', 'api', 'manual')),
	detail text,
	changed boolean NOT NULL,
	inbound_id bigint,
	actor name NOT NULL,
	xact xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id()
);
CREATE INDEX consent_event_phone_idx ON textseq.consent_event (phone, id);
CREATE INDEX consent_event_at_idx ON textseq.consent_event (at);
COMMENT ON TABLE textseq.consent_event IS
	'Append-only log of every opt-out and opt-in request: keyword, phrase, provider (21610 and the like), api, manual';
COMMENT ON COLUMN textseq.consent_event.source IS
	'keyword (STOP, START...), phrase ("please remove me"), provider (a send or delivery answer), api, manual';
COMMENT ON COLUMN textseq.consent_event.detail IS
	'The keyword or phrase matched, the provider answer, or what the API caller said';
COMMENT ON COLUMN textseq.consent_event.changed IS 'Whether the phone''s flag changed (false: it already was so)';
COMMENT ON COLUMN textseq.consent_event.xact IS 'Internal: the transaction that logged it (the phone trigger checks it)';

-- The log is append-only, for everyone (retention deletes old rows only).
CREATE FUNCTION textseq._append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
		USING ERRCODE = 'object_not_in_prerequisite_state',
			  HINT = 'Rows are only ever added; an opt-in after an opt-out is a new row.';
END
$$;
COMMENT ON FUNCTION textseq._append_only() IS 'Trigger: refuse UPDATE of an append-only log';
CREATE TRIGGER consent_event_append_only BEFORE UPDATE ON textseq.consent_event
	FOR EACH ROW EXECUTE FUNCTION textseq._append_only();

-- phone.opted_out changes only with a consent event logged in the same transaction.
-- (enable_seqscan off: the log starts empty, and a plan kept from then would
-- read the whole log for every opt-out until the next ANALYZE)
CREATE FUNCTION textseq._phone_consent_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET enable_seqscan = off AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM textseq.consent_event c
					WHERE c.phone = NEW.e164 AND c.changed
					  AND c.consent = CASE WHEN NEW.opted_out THEN 'opt_out' ELSE 'opt_in' END
					  AND c.xact = pg_catalog.pg_current_xact_id()) THEN
		RAISE EXCEPTION 'the opt-out of % changes only through the consent log', NEW.e164
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Use textseq.opt_out() or textseq.opt_in().';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION textseq._phone_consent_guard() IS
	'Trigger: phone.opted_out changes only in a transaction that logged the change in consent_event';
CREATE TRIGGER phone_consent_guard BEFORE UPDATE OF opted_out ON textseq.phone
	FOR EACH ROW WHEN (OLD.opted_out IS DISTINCT FROM NEW.opted_out)
	EXECUTE FUNCTION textseq._phone_consent_guard();
CREATE TRIGGER phone_consent_guard_insert BEFORE INSERT ON textseq.phone
	FOR EACH ROW WHEN (NEW.opted_out) EXECUTE FUNCTION textseq._phone_consent_guard();



-- Opt phones out (those already out keep their first opt-out time); log every request.
CREATE FUNCTION textseq._opt_out(phones text[], source text, detail text DEFAULT NULL,
								 inbound bigint DEFAULT NULL) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n int;
BEGIN
	-- the claim's per-phone lock: an opt-out that commits before a claim looks
	-- is seen by it; one that comes after waits for that claim to commit
	PERFORM textseq._lock_phones(phones);
	INSERT INTO textseq.consent_event (at, phone, consent, source, detail, changed, inbound_id, actor)
	SELECT textseq.now(), p.e164, 'opt_out', source, detail, NOT p.opted_out, inbound, textseq._caller()
	  FROM textseq.phone p
	 WHERE p.e164 = ANY(phones)
	 ORDER BY p.e164;
	UPDATE textseq.phone p
	   SET opted_out = true, opted_out_at = textseq.now(), updated_at = textseq.now()
	 WHERE p.e164 = ANY(phones) AND NOT p.opted_out;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq._opt_out(text[], text, text, bigint) IS
	'Internal: opt phones out (the one place that sets phone.opted_out) and log it in consent_event';

-- Opt phones back in; log every request.
CREATE FUNCTION textseq._opt_in(phones text[], source text, detail text DEFAULT NULL,
								inbound bigint DEFAULT NULL) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n int;
BEGIN
	INSERT INTO textseq.consent_event (at, phone, consent, source, detail, changed, inbound_id, actor)
	SELECT textseq.now(), p.e164, 'opt_in', source, detail, p.opted_out, inbound, textseq._caller()
	  FROM textseq.phone p
	 WHERE p.e164 = ANY(phones)
	 ORDER BY p.e164;
	UPDATE textseq.phone p
	   SET opted_out = false, opted_out_at = NULL, updated_at = textseq.now()
	 WHERE p.e164 = ANY(phones) AND p.opted_out;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq._opt_in(text[], text, text, bigint) IS
	'Internal: opt phones back in (the one place that clears phone.opted_out) and log it in consent_event';

-- The E.164 form of a phone given to the consent API, with its phone row.
CREATE FUNCTION textseq._consent_phone(phone text, source text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	norm text := textseq.normalize_phone(phone,
		coalesce(nullif(current_setting('textseq.default_region', true), ''), 'US'));
BEGIN
	IF source IS NULL OR btrim(source) = '' THEN
		RAISE EXCEPTION 'consent source must not be empty'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Say where the request came from, e.g. ''web form'' or ''support call''.';
	END IF;
	INSERT INTO textseq.phone (e164, line_type, invalid, invalid_reason)
	SELECT norm, textseq.phone_line_type(norm), NOT i.valid,
		   CASE WHEN NOT i.valid THEN 'not a valid number for its region' END
	  FROM textseq.phone_info(norm) i
	ON CONFLICT ON CONSTRAINT phone_pkey DO NOTHING;
	RETURN norm;
END
$$;
COMMENT ON FUNCTION textseq._consent_phone(text, text) IS
	'Internal: normalise a phone for opt_out/opt_in, check the source, create the phone row';

-- Any user: stop texting this number.
CREATE FUNCTION textseq.opt_out(phone text, source text DEFAULT 'api') RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RETURN textseq._opt_out(ARRAY[textseq._consent_phone(phone, source)],
							CASE WHEN source = 'manual' THEN 'manual' ELSE 'api' END,
							nullif(source, 'manual')) > 0;
END
$$;
COMMENT ON FUNCTION textseq.opt_out(text, text) IS
	'Opt a phone out (no sequence texts it again; waiting messages are omitted when claimed); '
	'true when it was opted in before';

-- Admins only: the person asked to be texted again.
CREATE FUNCTION textseq.opt_in(phone text, source text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RETURN textseq._opt_in(ARRAY[textseq._consent_phone(phone, source)],
						   CASE WHEN source = 'manual' THEN 'manual' ELSE 'api' END,
						   nullif(source, 'manual')) > 0;
END
$$;
COMMENT ON FUNCTION textseq.opt_in(text, text) IS
	'Admin only: opt a phone back in after the person asked to be texted again (say how in source); '
	'true when it was opted out before';
