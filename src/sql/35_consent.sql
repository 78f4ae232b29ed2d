-- 35_consent.sql: opting a phone out and back in (SPEC section 9, PROVIDERS.md
-- "Compliance").  _opt_out and _opt_in are the only places that change
-- phone.opted_out: the worker's record step, delivery reports, the API below
-- and (later) inbound STOP/START all come through them, so the consent log
-- has one place to hook into.  Opting out is the safe direction and any user
-- may do it; opting back in is a compliance action and is for admins only.

-- Opt phones out (those already out keep their first opt-out time).
CREATE FUNCTION textseq._opt_out(phones text[], source text) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n int;
BEGIN
	UPDATE textseq.phone p
	   SET opted_out = true, opted_out_at = textseq.now(), updated_at = textseq.now()
	 WHERE p.e164 = ANY(phones) AND NOT p.opted_out;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq._opt_out(text[], text) IS
	'Internal: opt phones out (the one place that sets phone.opted_out); source says who asked';

-- Opt phones back in.
CREATE FUNCTION textseq._opt_in(phones text[], source text) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	n int;
BEGIN
	UPDATE textseq.phone p
	   SET opted_out = false, opted_out_at = NULL, updated_at = textseq.now()
	 WHERE p.e164 = ANY(phones) AND p.opted_out;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION textseq._opt_in(text[], text) IS
	'Internal: opt phones back in (the one place that clears phone.opted_out)';

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
	RETURN textseq._opt_out(ARRAY[textseq._consent_phone(phone, source)], source) > 0;
END
$$;
COMMENT ON FUNCTION textseq.opt_out(text, text) IS
	'Opt a phone out (no sequence texts it again; waiting messages are omitted when claimed); '
	'true when it was opted in before';

-- Admins only: the person asked to be texted again.
CREATE FUNCTION textseq.opt_in(phone text, source text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RETURN textseq._opt_in(ARRAY[textseq._consent_phone(phone, source)], source) > 0;
END
$$;
COMMENT ON FUNCTION textseq.opt_in(text, text) IS
	'Admin only: opt a phone back in after the person asked to be texted again (say how in source); '
	'true when it was opted out before';
