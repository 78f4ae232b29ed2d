-- 30_api.sql: the plain-SQL API for leads, contacts, accounts, senders,
-- templates and sequences.  Plain INSERTs work too; these add checks and
-- clear errors.

-- A contact's phone is normalised to E.164 and its per-phone state created.
-- SECURITY DEFINER: users may not insert phone rows (a row's line type and
-- validity are verdicts); this creates one with libphonenumber's, nothing else.
CREATE FUNCTION textseq._contact_normalize() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	norm text;
BEGIN
	norm := textseq.normalize_phone(NEW.phone, coalesce(nullif(current_setting('textseq.default_region', true), ''), 'US'));
	INSERT INTO textseq.phone (e164, line_type, invalid, invalid_reason)
	SELECT norm, textseq.phone_line_type(norm), NOT i.valid,
		   CASE WHEN NOT i.valid THEN 'not a valid number for its region' END
	  FROM textseq.phone_info(norm) i
	ON CONFLICT ON CONSTRAINT phone_pkey DO NOTHING;
	NEW.phone := norm;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION textseq._contact_normalize() IS
	'Trigger: normalise contact.phone to E.164 and create its textseq.phone row';
CREATE TRIGGER contact_normalize BEFORE INSERT OR UPDATE OF phone ON textseq.contact
	FOR EACH ROW EXECUTE FUNCTION textseq._contact_normalize();

-- Create a lead with its phone numbers in order of preference.
CREATE FUNCTION textseq.add_lead(first_name text, last_name text DEFAULT NULL,
								 phones text[] DEFAULT '{}', company text DEFAULT NULL,
								 email text DEFAULT NULL, fields jsonb DEFAULT '{}')
RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	new_id bigint;
BEGIN
	INSERT INTO textseq.lead (first_name, last_name, company, email, fields)
	VALUES (first_name, last_name, company, email, coalesce(fields, '{}'))
	RETURNING id INTO new_id;
	INSERT INTO textseq.contact (lead_id, position, phone)
	SELECT new_id, p.ord, p.raw FROM unnest(phones) WITH ORDINALITY AS p(raw, ord);
	RETURN new_id;
END
$$;
COMMENT ON FUNCTION textseq.add_lead(text, text, text[], text, text, jsonb) IS
	'Create a built-in lead with its phone numbers (normalised to E.164) and return its id';

-- Look a row id up by name or raise undefined_object with a hint.
CREATE FUNCTION textseq._sequence_id(sequence_name text) RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	sid bigint;
BEGIN
	SELECT s.id INTO sid FROM textseq.sequence s WHERE s.name = sequence_name;
	IF sid IS NULL THEN
		RAISE EXCEPTION 'sequence "%" does not exist', sequence_name
			USING ERRCODE = 'undefined_object',
				  HINT = 'Create it with textseq.create_sequence().';
	END IF;
	RETURN sid;
END
$$;
COMMENT ON FUNCTION textseq._sequence_id(text) IS 'Sequence id by name, or an undefined_object error';

CREATE FUNCTION textseq._template_id(template_name text) RETURNS int
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	tid int;
BEGIN
	SELECT t.id INTO tid FROM textseq.template t WHERE t.name = template_name;
	IF tid IS NULL THEN
		RAISE EXCEPTION 'template "%" does not exist', template_name
			USING ERRCODE = 'undefined_object',
				  HINT = 'Create it with textseq.save_template().';
	END IF;
	RETURN tid;
END
$$;
COMMENT ON FUNCTION textseq._template_id(text) IS 'Template id by name, or an undefined_object error';

-- Templates: validated before they are stored; versions never change.
CREATE FUNCTION textseq._template_version_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND (NEW.body IS DISTINCT FROM OLD.body
							 OR NEW.media_urls IS DISTINCT FROM OLD.media_urls) THEN
		RAISE EXCEPTION 'template versions cannot be changed'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Save a new version with textseq.save_template().';
	END IF;
	PERFORM textseq.template_validate(NEW.body);
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION textseq._template_version_check() IS
	'Trigger: refuse invalid template text and edits of stored versions';
CREATE TRIGGER template_version_check BEFORE INSERT OR UPDATE ON textseq.template_version
	FOR EACH ROW EXECUTE FUNCTION textseq._template_version_check();

-- SECURITY DEFINER: users may not write templates directly (a current_version
-- without its text, or an edited version, would strand queued messages).
CREATE FUNCTION textseq.save_template(name text, body text, media_urls text[] DEFAULT '{}')
RETURNS int LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	tid int;
	ver int;
BEGIN
	INSERT INTO textseq.template AS t (name) VALUES (save_template.name)
	ON CONFLICT ON CONSTRAINT template_name_key
		DO UPDATE SET current_version = t.current_version + 1, updated_at = now()
	RETURNING t.id, t.current_version INTO tid, ver;
	INSERT INTO textseq.template_version (template_id, version, body, media_urls, created_by)
	VALUES (tid, ver, body, coalesce(media_urls, '{}'), textseq._caller());
	RETURN tid;
END
$$;
COMMENT ON FUNCTION textseq.save_template(text, text, text[]) IS
	'Create a template or save a new version of it (validated); returns the template id';

-- Provider accounts and senders.
CREATE FUNCTION textseq.create_account(name text, provider text, account_sid text DEFAULT NULL,
									   secret text DEFAULT NULL, base_url text DEFAULT NULL,
									   messages_per_second numeric DEFAULT 100)
RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	aid int;
BEGIN
	INSERT INTO textseq.account (name, provider, account_sid, base_url, messages_per_second)
	VALUES (name, provider, account_sid, base_url, messages_per_second)
	RETURNING id INTO aid;
	IF secret IS NOT NULL THEN
		INSERT INTO textseq.account_secret (account_id, secret) VALUES (aid, secret);
	END IF;
	RETURN aid;
END
$$;
COMMENT ON FUNCTION textseq.create_account(text, text, text, text, text, numeric) IS
	'Create a provider account (twilio, telnyx or dry_run) with its credential; admin only';

-- Replace (or set) an account's credential.  Say it with this function rather
-- than an UPDATE: the server log redacts statements that name it (src/fn/redact.c).
CREATE FUNCTION textseq.set_account_secret(account text, secret text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	aid int;
BEGIN
	SELECT a.id INTO aid FROM textseq.account a WHERE a.name = account;
	IF aid IS NULL THEN
		RAISE EXCEPTION 'account "%" does not exist', account USING ERRCODE = 'undefined_object';
	END IF;
	IF set_account_secret.secret IS NULL OR set_account_secret.secret = '' THEN
		RAISE EXCEPTION 'a credential must not be empty'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'To remove it, DELETE FROM textseq.account_secret WHERE account_id = the account''s id.';
	END IF;
	INSERT INTO textseq.account_secret (account_id, secret)
	VALUES (aid, set_account_secret.secret)
	ON CONFLICT (account_id) DO UPDATE SET secret = EXCLUDED.secret;
END
$$;
COMMENT ON FUNCTION textseq.set_account_secret(text, text) IS
	'Set or replace an account''s credential (Twilio auth token or Telnyx API key); admin only';

-- Pausing an account holds its messages in the queue (the claim skips them);
-- resuming wakes the worker at commit.  The worker pauses an account itself
-- when the provider refuses its credentials (see docs/statuses.md).
CREATE FUNCTION textseq.pause_account(account text, reason text DEFAULT 'paused by an administrator')
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	UPDATE textseq.account a SET paused = true, paused_reason = reason, paused_at = now()
	 WHERE a.name = account;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'account "%" does not exist', account USING ERRCODE = 'undefined_object';
	END IF;
END
$$;
COMMENT ON FUNCTION textseq.pause_account(text, text) IS
	'Hold every message of an account in the queue until resume_account(); admin only';

CREATE FUNCTION textseq.resume_account(account text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	UPDATE textseq.account a SET paused = false, paused_reason = NULL, paused_at = NULL
	 WHERE a.name = account;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'account "%" does not exist', account USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM textseq._wake_worker(textseq.now());
END
$$;
COMMENT ON FUNCTION textseq.resume_account(text) IS
	'Let an account''s messages go again and wake the worker at commit; admin only';

CREATE FUNCTION textseq.add_sender(account text, phone_number text, signature text DEFAULT '',
								   messages_per_second numeric DEFAULT 1)
RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	aid int;
	sid int;
BEGIN
	SELECT a.id INTO aid FROM textseq.account a WHERE a.name = account;
	IF aid IS NULL THEN
		RAISE EXCEPTION 'account "%" does not exist', account USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO textseq.sender (account_id, phone_number, signature, messages_per_second)
	VALUES (aid, textseq.normalize_phone(phone_number, coalesce(nullif(current_setting('textseq.default_region', true), ''), 'US')),
			coalesce(signature, ''),
			messages_per_second)
	RETURNING id INTO sid;
	RETURN sid;
END
$$;
COMMENT ON FUNCTION textseq.add_sender(text, text, text, numeric) IS
	'Add a sending number to an account with its signature and rate; returns the sender id';

-- Sequences and steps.
CREATE FUNCTION textseq.create_sequence(name text, block_duplicates boolean DEFAULT true,
										expire_after interval DEFAULT '36 hours',
										window_start time DEFAULT '08:00',
										window_end time DEFAULT '21:00',
										duplicate_window interval DEFAULT '24 hours',
										smart_encoding boolean DEFAULT false,
										stop_on_reply boolean DEFAULT true)
RETURNS bigint LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
	INSERT INTO textseq.sequence (name, block_duplicates, expire_after, window_start, window_end,
								  duplicate_window, smart_encoding, stop_on_reply)
	VALUES (name, block_duplicates, expire_after, window_start, window_end, duplicate_window,
			smart_encoding, stop_on_reply)
	RETURNING id
$$;
COMMENT ON FUNCTION textseq.create_sequence(text, boolean, interval, time, time, interval, boolean, boolean) IS
	'Create a sequence with its settings; returns its id';

CREATE FUNCTION textseq.add_step(sequence text, template text, delay interval DEFAULT '0')
RETURNS int LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	sid bigint := textseq._sequence_id(sequence);
	pos int;
BEGIN
	IF delay < '0' THEN
		RAISE EXCEPTION 'step delay must not be negative' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT coalesce(max(s.position), 0) + 1 INTO pos FROM textseq.step s WHERE s.sequence_id = sid;
	INSERT INTO textseq.step (sequence_id, position, delay, template_id)
	VALUES (sid, pos, delay, textseq._template_id(template));
	RETURN pos;
END
$$;
COMMENT ON FUNCTION textseq.add_step(text, text, interval) IS
	'Append a send step (template after delay) to a sequence; returns its position';
