-- 90_grants.sql: who may do what (SPEC section 11).
--   textseq_admin  provider accounts, credentials, settings (and everything textseq_user can)
--   textseq_user   templates, sequences, leads, launches, reports
--   textseq_worker the dispatch worker's own login role: claims, records, reconciles
-- Provider credentials (account_secret) are readable by textseq_admin and the
-- worker only, never through a view.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'textseq_worker') THEN
		CREATE ROLE textseq_worker LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
	END IF;
END
$$;
COMMENT ON ROLE textseq_worker IS 'The textseq dispatch worker (no password: it is used by the background worker only)';

REVOKE ALL ON ALL TABLES IN SCHEMA textseq FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA textseq FROM PUBLIC;
GRANT USAGE ON SCHEMA textseq TO PUBLIC;

-- Pure functions anyone may call.
GRANT EXECUTE ON FUNCTION textseq.now(), textseq.status_transition_allowed(text, text, text),
	textseq.render(text, jsonb), textseq.template_check(text, regclass),
	textseq.template_validate(text), textseq.sms_segments(text), textseq.smart_encode(text),
	textseq.normalize_phone(text, text), textseq.try_normalize_phone(text, text),
	textseq.phone_info(text), textseq.phone_time_zones(text), textseq.phone_line_type(text)
	TO PUBLIC;

-- Users: everything but accounts and credentials.
GRANT SELECT, INSERT, UPDATE, DELETE ON textseq.lead, textseq.contact, textseq.phone,
	textseq.template, textseq.template_version, textseq.sequence, textseq.step,
	textseq.bulk, textseq.enrollment TO textseq_user;
GRANT SELECT ON textseq.message, textseq.sender, textseq.phone_tz_prefix,
	textseq.area_code_region, textseq.quiet_rule, textseq.delivery_event,
	textseq.queue_health, textseq.worker_status, textseq.deferred_result,
	textseq.deferred_enrollment TO textseq_user;
GRANT UPDATE (status, finished_at) ON textseq.message TO textseq_user;
GRANT INSERT ON textseq.message TO textseq_user;
GRANT SELECT (id, name, provider, paused, paused_reason, paused_at) ON textseq.account TO textseq_user;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA textseq TO textseq_user;
REVOKE EXECUTE ON FUNCTION textseq.create_account(text, text, text, text, text, numeric),
	textseq.add_sender(text, text, text, numeric),
	textseq.pause_account(text, text), textseq.resume_account(text),
	textseq.claim(int, jsonb), textseq.record_results(bigint[], textseq.message_status[], text[], int[], text[], timestamptz[]),
	textseq._recover_in_flight(), textseq._reconcile_later(bigint),
	textseq._apply_deferred()
	FROM textseq_user;
-- textseq's own locks are for the worker and textseq's functions only: a login
-- that could take them could hold them to stop sending.
REVOKE EXECUTE ON FUNCTION textseq._lock_phones(text[]), textseq._lock_provider_ids(text[])
	FROM PUBLIC, textseq_user;

-- Admins: accounts, senders, credentials.
GRANT SELECT, INSERT, UPDATE, DELETE ON textseq.account, textseq.account_secret, textseq.sender
	TO textseq_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON textseq.quiet_rule, textseq.area_code_region TO textseq_admin;
GRANT EXECUTE ON FUNCTION textseq.create_account(text, text, text, text, text, numeric),
	textseq.add_sender(text, text, text, numeric),
	textseq.pause_account(text, text), textseq.resume_account(text) TO textseq_admin;

-- The worker: read what it sends, write outcomes.
GRANT SELECT ON ALL TABLES IN SCHEMA textseq TO textseq_worker;
GRANT UPDATE ON textseq.message, textseq.enrollment, textseq.phone, textseq.bulk,
	textseq.delivery_event TO textseq_worker;
GRANT UPDATE (paused, paused_reason, paused_at) ON textseq.account TO textseq_worker;
GRANT INSERT ON textseq.message TO textseq_worker;
GRANT INSERT, UPDATE, DELETE ON textseq.deferred_result, textseq.deferred_enrollment TO textseq_worker;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA textseq TO textseq_worker;

-- Sending a raw test request is for superusers only (the C code checks too).
REVOKE EXECUTE ON FUNCTION
	textseq._provider_probe(text, text, text, text, text, text, text, int),
	textseq._provider_lookup(text, text, text, text, text, text, text, timestamptz, int)
	FROM textseq_user, textseq_worker;

-- pg_dump keeps the data of extension tables only when they are marked (one
-- call per statement: each updates the pg_extension row).
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['lead', 'contact', 'phone', 'account', 'account_secret', 'sender',
							 'template', 'template_version', 'sequence', 'step', 'bulk',
							 'enrollment', 'message', 'delivery_event', 'deferred_result',
							 'deferred_enrollment'] LOOP
		PERFORM pg_catalog.pg_extension_config_dump(('textseq.' || t)::regclass, '');
	END LOOP;
	FOREACH t IN ARRAY ARRAY['lead', 'account', 'sender', 'template', 'sequence', 'bulk',
							 'enrollment', 'message', 'delivery_event'] LOOP
		PERFORM pg_catalog.pg_extension_config_dump(
			pg_catalog.pg_get_serial_sequence('textseq.' || t, 'id')::regclass, '');
	END LOOP;
END
$$;
