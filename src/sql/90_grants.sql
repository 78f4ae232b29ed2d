-- 90_grants.sql: who may do what (SPEC section 11; docs/operations.md "Roles and
-- grants" is this file in prose, and test/sql/privileges.sql proves every line).
--   textseq_user   templates, sequences, leads and contacts, launches, reports
--   textseq_admin  provider accounts, credentials, quiet-hours data, opt-in,
--                  unverified delivery reports (and everything textseq_user may)
--   textseq_worker the dispatch worker's own login role: claim, record, reconcile
--   PUBLIC         nothing (no USAGE on the schema, no EXECUTE on any function)
-- Direct table writes are granted only where no invariant can be broken.
-- Everything that moves a message or enrollment status, writes a phone
-- verdict, a provider id or a delivery event, or a template version goes
-- through a SECURITY DEFINER function with a pinned search_path that checks
-- what it is given.  Provider credentials (account_secret) are readable by
-- textseq_admin and the worker only, never through a view.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'textseq_worker') THEN
		CREATE ROLE textseq_worker LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
	END IF;
END
$$;
COMMENT ON ROLE textseq_worker IS 'The textseq dispatch worker (no password: it is used by the background worker only)';

-- PUBLIC: nothing.  (New functions are executable by PUBLIC by default: the
-- catalog-wide test in privileges.sql fails until they are classified below.)
REVOKE ALL ON SCHEMA textseq FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA textseq FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA textseq FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA textseq FROM PUBLIC;
GRANT USAGE ON SCHEMA textseq TO textseq_user, textseq_worker;

-- ---- textseq_user --------------------------------------------------------------
-- Leads, contacts, sequences and steps: plain rows of the user's own data.
GRANT SELECT, INSERT, UPDATE, DELETE ON textseq.lead, textseq.contact, textseq.sequence,
	textseq.step, textseq.branch, textseq.keyword, textseq.lead_note TO textseq_user;
-- Read-only: what the API and reports show.  Writes go through functions.
GRANT SELECT ON textseq.phone, textseq.template, textseq.template_version, textseq.bulk,
	textseq.enrollment, textseq.message, textseq.delivery_event, textseq.sender,
	textseq.phone_tz_prefix, textseq.area_code_region, textseq.quiet_rule,
	textseq.queue_health, textseq.worker_status, textseq.inbound, textseq.consent_event,
	textseq.enrollments, textseq.deferred_result, textseq.deferred_enrollment TO textseq_user;
-- A phone's time zone override is CRM data; its verdicts are not.
GRANT UPDATE (time_zone) ON textseq.phone TO textseq_user;
GRANT SELECT (id, name, provider, paused, paused_reason, paused_at) ON textseq.account TO textseq_user;

-- Pure functions, lookups the user-facing ones call, and the user API.
GRANT EXECUTE ON FUNCTION
	textseq.now(), textseq.status_transition_allowed(text, text, text),
	textseq.render(text, jsonb), textseq.template_check(text, regclass),
	textseq.template_validate(text), textseq.render_cache_stats(),
	textseq.sms_segments(text), textseq.smart_encode(text),
	textseq.normalize_phone(text, text), textseq.try_normalize_phone(text, text),
	textseq.phone_parse(text), textseq.phone_info(text), textseq.phone_time_zones(text),
	textseq.phone_line_type(text), textseq.zone_is_us(text), textseq._prefix_zones(text),
	textseq.phone_zones(text), textseq.phone_region(text),
	textseq.next_send_time(timestamptz, text[], text, time, time, int[]),
	textseq.next_send_time(timestamptz, text, bigint),
	textseq.window_closes_at(timestamptz, text[], text, time, time, int[], timestamptz),
	textseq.lead_data(textseq.lead), textseq._zones_problem(text[]),
	textseq.consent_verdict(text), textseq.branch_matches(text, text, text, text),
	textseq.branch_check(text, text, text),
	textseq.twilio_signature_valid(text, jsonb, text, text),
	textseq._hmac_sha1_base64(text, text), textseq._timingsafe_equal(text, text),
	textseq.telnyx_signature_valid(text, text, text, text),
	textseq._sequence_id(text), textseq._template_id(text),
	textseq._worker_slots(),
	-- invoker: write only the user's own tables
	textseq.add_lead(text, text, text[], text, text, jsonb),
	textseq.create_sequence(text, boolean, interval, time, time, interval, boolean, boolean),
	textseq.add_step(text, text, interval),
	textseq.enroll(text, bigint, int, timestamptz), textseq.cancel(text, bigint),
	-- SECURITY DEFINER: the only way to these writes
	textseq.save_template(text, text, text[]),
	textseq.enroll(bigint, bigint, int, timestamptz), textseq.cancel(bigint),
	textseq.opt_out(text, text),
	textseq.delivery_webhook(text, text, jsonb, text, text, text),
	-- inbound texts and conversations (invoker: sequence configuration and lead tags)
	textseq.add_wait_step(text, interval),
	textseq.add_branch(text, int, text, text, text, text, text, int, boolean),
	textseq.add_keyword(text, text, text), textseq.tag_leads(bigint[], text),
	textseq._tag_leads(bigint[], text),
	-- SECURITY DEFINER
	textseq.receive_webhook(text, text, jsonb, text, text, text),
	textseq.finish_enrollments(bigint[]), textseq.send_one(bigint[], text, int)
	TO textseq_user;

-- ---- textseq_admin (a member of textseq_user, see 00_roles_types.sql) ----------
GRANT SELECT, INSERT, UPDATE, DELETE ON textseq.account, textseq.account_secret, textseq.sender,
	textseq.quiet_rule, textseq.area_code_region TO textseq_admin;
GRANT USAGE ON SEQUENCE textseq.quiet_rule_id_seq TO textseq_admin;
GRANT EXECUTE ON FUNCTION
	textseq.create_account(text, text, text, text, text, numeric),
	textseq.set_account_secret(text, text),
	textseq.add_sender(text, text, text, numeric),
	textseq.pause_account(text, text), textseq.resume_account(text),
	textseq._wake_worker(timestamptz),
	-- SECURITY DEFINER
	textseq.opt_in(text, text),
	textseq.delivery_report(text, jsonb, text),
	textseq.receive(text, text, text, text, timestamptz, text[])
	TO textseq_admin;

-- ---- textseq_worker ------------------------------------------------------------
-- Exactly what claim, record_results, reconciliation, sweep and the worker's
-- own statements (src/worker/*.c) read and write, and the functions they call.
GRANT SELECT ON textseq.account, textseq.account_secret, textseq.sender, textseq.lead,
	textseq.contact, textseq.phone, textseq.sequence, textseq.step, textseq.template,
	textseq.template_version, textseq.enrollment, textseq.message, textseq.delivery_event,
	textseq.quiet_rule TO textseq_worker;
GRANT INSERT (enrollment_id, bulk_id, sequence_id, step, lead_id, sender_id, template_id,
			  template_version, signature, due_at, run_at, expires_at)
	ON textseq.message TO textseq_worker;
GRANT UPDATE (status, phone, body, body_hash, segments, attempts, claimed_at, sent_at,
			  finished_at, run_at, provider_id, error_code, error_text)
	ON textseq.message TO textseq_worker;
GRANT UPDATE (status, current_step, finished_at, wait_until) ON textseq.enrollment TO textseq_worker;
GRANT UPDATE (invalid, invalid_reason, line_type, opted_out, opted_out_at, updated_at)
	ON textseq.phone TO textseq_worker;
GRANT UPDATE (message_id, applied_status) ON textseq.delivery_event TO textseq_worker;
GRANT UPDATE (paused, paused_reason, paused_at) ON textseq.account TO textseq_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON textseq.deferred_result, textseq.deferred_enrollment TO textseq_worker;
GRANT EXECUTE ON FUNCTION
	textseq.claim(int, jsonb), textseq._claim_within_budget(textseq._candidate[], jsonb),
	textseq._claim_lock_due(int, timestamptz, jsonb),
	textseq._claim_candidates(bigint[], timestamptz),
	textseq._claim_cap_and_duplicates(textseq._candidate[], timestamptz),
	textseq._claim_apply(textseq._candidate[], timestamptz, boolean),
	textseq._claim_batch(bigint[], timestamptz, jsonb), textseq._claim_fail(bigint[], text[], timestamptz),
	textseq._claim_one_by_one(bigint[], timestamptz, jsonb),
	textseq._merge_data(textseq.lead, text, text),
	textseq._try_render(text, jsonb), textseq._render_problem(text, jsonb),
	textseq._try_next_send_time(timestamptz, text[], text, time, time, int[]),
	textseq._try_window_closes_at(timestamptz, text[], text, time, time, int[], timestamptz),
	textseq._schedule_problem(timestamptz, text[], text, time, time, int[], timestamptz),
	textseq._zones_problem(text[]),
	textseq._lock_phones(text[]), textseq._lock_provider_ids(text[]), textseq._error_kind(text),
	textseq.record_results(bigint[], textseq.message_status[], text[], int[], text[], timestamptz[]),
	textseq._record_messages(bigint[], textseq.message_status[], text[], int[], text[], timestamptz[], timestamptz),
	textseq._recorded_effects(textseq._recorded[], timestamptz),
	textseq._defer_result(bigint, textseq.message_status, text, int, text, timestamptz, text),
	textseq._record_row_held(bigint, textseq.message_status),
	textseq._record_as_error(bigint, textseq.message_status, text, int, text, timestamptz),
	textseq._record_one_by_one(bigint[], textseq.message_status[], text[], int[], text[], timestamptz[], timestamptz),
	textseq._enrollment_effects(textseq._effect[], boolean), textseq._enrollment_effects_apart(textseq._effect[]),
	textseq._apply_deferred(),
	textseq._advance(bigint[], timestamptz[]), textseq._queue_current(bigint[], timestamptz[]),
	textseq._apply_early_events(text[]), textseq._apply_delivery_events(bigint[]),
	textseq._delivery_status(text, text), textseq._code_outcome(text, int),
	textseq._opt_out(text[], text, text, bigint),
	textseq._recover_in_flight(), textseq._maybe_sent_due(int), textseq._reconcile_later(bigint),
	textseq._next_due(), textseq.sweep(), textseq._wake_worker(timestamptz),
	textseq.now(), textseq.status_transition_allowed(text, text, text),
	textseq.render(text, jsonb), textseq.smart_encode(text), textseq.sms_segments(text),
	textseq.next_send_time(timestamptz, text[], text, time, time, int[]),
	textseq.window_closes_at(timestamptz, text[], text, time, time, int[], timestamptz)
	TO textseq_worker;

-- ---- bulk counts and in-queue updates (65_bulk_stats.sql, 42_update_in_queue.sql) --
-- bulk_stats is security_invoker: readers need the tables it sums.  The
-- worker's statements fire the counts trigger (delta inserts) and its sweep
-- folds deltas and closes bulks.
GRANT SELECT ON textseq.bulk_stats, textseq.bulk_count, textseq.bulk_count_delta TO textseq_user;
GRANT EXECUTE ON FUNCTION textseq.update_in_queue(text) TO textseq_user;
GRANT EXECUTE ON FUNCTION textseq.update_in_queue(int) TO textseq_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON textseq.bulk_count, textseq.bulk_count_delta TO textseq_worker;
GRANT SELECT ON textseq.bulk TO textseq_worker;
GRANT UPDATE (status, finished_at) ON textseq.bulk TO textseq_worker;
GRANT EXECUTE ON FUNCTION textseq._bulk_counts_compact(), textseq._bulk_finish(timestamptz) TO textseq_worker;

-- Everything else (triggers, the internals of definer functions, _caller,
-- the provider probes) is for superusers only: no grant.

-- pg_dump keeps the data of extension tables only when they are marked (one
-- call per statement: each updates the pg_extension row).  Credentials only
-- when the dumping session asks for them (textseq.dump_secrets = on): a dump
-- is copied and kept in more places than the database.
DO $$
DECLARE
	t text;
BEGIN
	PERFORM pg_catalog.pg_extension_config_dump('textseq.account_secret'::regclass,
		'WHERE pg_catalog.current_setting(''textseq.dump_secrets'', true) = ''on''');
	FOREACH t IN ARRAY ARRAY['lead', 'contact', 'phone', 'account', 'sender',
							 'template', 'template_version', 'sequence', 'step', 'bulk',
							 'enrollment', 'message', 'delivery_event', 'consent_event', 'inbound',
							 'keyword', 'branch', 'lead_note', 'deferred_result', 'deferred_enrollment',
							 'bulk_count', 'bulk_count_delta'] LOOP
		PERFORM pg_catalog.pg_extension_config_dump(('textseq.' || t)::regclass, '');
	END LOOP;
	FOREACH t IN ARRAY ARRAY['lead', 'account', 'sender', 'template', 'sequence', 'bulk',
							 'enrollment', 'message', 'delivery_event', 'consent_event', 'inbound',
							 'keyword', 'lead_note'] LOOP
		PERFORM pg_catalog.pg_extension_config_dump(
			pg_catalog.pg_get_serial_sequence('textseq.' || t, 'id')::regclass, '');
	END LOOP;
END
$$;

-- ---- smartlists (80_smartlist.sql) ---------------------------------------------
-- Users query leads with their own privileges (the functions are invokers:
-- row-level security on the lead table applies) and share saved smartlists;
-- saving, renaming and dropping go through SECURITY DEFINER functions that
-- check the query and who saved the list.
GRANT SELECT ON textseq.smartlist TO textseq_user;
GRANT EXECUTE ON FUNCTION
	textseq._lead_source(), textseq._field_number(jsonb), textseq._bulk_incomplete_leads(bigint),
	textseq.smartlist_sql(text), textseq.smartlist_leads(text), textseq.smartlist_params(text),
	textseq.smartlist_explain(text, boolean), textseq.smartlist_leads_by_name(text),
	-- SECURITY DEFINER
	textseq.save_smartlist(text, text), textseq.rename_smartlist(text, text),
	textseq.drop_smartlist(text)
	TO textseq_user;

-- ---- bulk launches (85_launch.sql) -------------------------------------------------
-- Users launch, cancel and relaunch through SECURITY DEFINER functions and
-- read the members; the lead set is read as the caller, through
-- smartlist_leads (granted above).
-- The worker runs the expansion step only (SECURITY DEFINER); the rest is
-- internal to the definer functions.
GRANT SELECT ON textseq.bulk_chunk, textseq.bulk_skip, textseq.bulk_members TO textseq_user;
GRANT EXECUTE ON FUNCTION
	-- SECURITY DEFINER
	textseq.launch(text, text, text, bigint, timestamptz, int, boolean),
	textseq.cancel_bulk(bigint), textseq.relaunch_incomplete(bigint)
	TO textseq_user;
GRANT EXECUTE ON FUNCTION textseq._expand_bulks() TO textseq_worker;
SELECT pg_catalog.pg_extension_config_dump('textseq.bulk_chunk'::regclass, '');
SELECT pg_catalog.pg_extension_config_dump('textseq.bulk_skip'::regclass, '');
