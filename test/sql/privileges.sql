-- privileges.sql: least privilege that holds (SPEC section 11; docs/operations.md
-- "Roles and grants").  Every rule is proved with a role that must be refused:
-- a textseq_user login, a textseq_admin login, the worker's role, a plain login
-- and PUBLIC.  Two catalog-wide checks compare every function and every
-- relation of the extension with the table below (the same as the docs), so a
-- new object fails here until it is classified.  Rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(120);

SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';   -- 12:00 in New Jersey
CREATE ROLE ts_priv_user LOGIN IN ROLE textseq_user;
CREATE ROLE ts_priv_admin LOGIN IN ROLE textseq_admin;
CREATE ROLE ts_priv_nobody LOGIN;

-- ---- catalog: every function of the extension, who may execute it ----------------
CREATE TEMP TABLE expect_fn (fn regprocedure PRIMARY KEY, who text NOT NULL);
INSERT INTO expect_fn VALUES
	('textseq.now()', 'user worker'),
	('textseq._caller()', 'none'),
	('textseq.status_transition_allowed(text,text,text)', 'user worker'),
	('textseq._status_guard()', 'none'),
	('textseq.render(text,jsonb)', 'user worker'),
	('textseq.template_check(text,regclass)', 'user'),
	('textseq.template_validate(text)', 'user'),
	('textseq.render_cache_stats()', 'user'),
	('textseq.sms_segments(text)', 'user worker'),
	('textseq.smart_encode(text)', 'user worker'),
	('textseq.normalize_phone(text,text)', 'user'),
	('textseq.try_normalize_phone(text,text)', 'user'),
	('textseq.phone_parse(text)', 'user'),
	('textseq.phone_time_zones(text)', 'user'),
	('textseq.phone_info(text)', 'user'),
	('textseq.phone_line_type(text)', 'user'),
	('textseq.schedule_rules_changed()', 'none'),
	('textseq.zone_is_us(text)', 'user'),
	('textseq._prefix_zones(text)', 'user'),
	('textseq.phone_zones(text)', 'user'),
	('textseq.phone_region(text)', 'user'),
	('textseq.next_send_time(timestamptz,text[],text,time,time,int[])', 'user worker'),
	('textseq.window_closes_at(timestamptz,text[],text,time,time,int[],timestamptz)', 'user worker'),
	('textseq.next_send_time(timestamptz,text,bigint)', 'user'),
	('textseq._phone_derive()', 'none'),
	('textseq._area_codes_changed()', 'none'),
	('textseq._contact_normalize()', 'none'),
	('textseq.add_lead(text,text,text[],text,text,jsonb)', 'user'),
	('textseq.consent_verdict(text)', 'user'),
	('textseq.branch_matches(text,text,text,text)', 'user'),
	('textseq.branch_check(text,text,text)', 'user'),
	('textseq._sequence_id(text)', 'user'),
	('textseq._template_id(text)', 'user'),
	('textseq._template_version_check()', 'none'),
	('textseq.save_template(text,text,text[])', 'user'),
	('textseq.create_account(text,text,text,text,text,numeric)', 'admin'),
	('textseq.set_account_secret(text,text)', 'admin'),
	('textseq.pause_account(text,text)', 'admin'),
	('textseq.resume_account(text)', 'admin'),
	('textseq.add_sender(text,text,text,numeric)', 'admin'),
	('textseq.create_sequence(text,boolean,interval,time,time,interval,boolean,boolean)', 'user'),
	('textseq.add_step(text,text,interval)', 'user'),
	('textseq._opt_out(text[],text,text,bigint)', 'worker'),
	('textseq._opt_in(text[],text,text,bigint)', 'none'),
	('textseq._append_only()', 'none'),
	('textseq._phone_consent_guard()', 'none'),
	('textseq.add_wait_step(text,interval)', 'user'),
	('textseq.add_branch(text,integer,text,text,text,text,text,integer,boolean)', 'user'),
	('textseq.add_keyword(text,text,text)', 'user'),
	('textseq._queue_reply(integer,text,text,text,bigint)', 'none'),
	('textseq._finish_enrollments(bigint[],textseq.enrollment_status)', 'none'),
	('textseq._advance_one(bigint,timestamp with time zone)', 'none'),
	('textseq._save_reply(bigint,text,text)', 'none'),
	('textseq._tag_leads(bigint[],text)', 'user'),
	('textseq._enrollment_end_tags()', 'none'),
	('textseq._receive_consent(text,text,boolean,text,integer,bigint,bigint[])', 'none'),
	('textseq._receive_keyword(text,text,integer,bigint[])', 'none'),
	('textseq.receive(text,text,text,text,timestamp with time zone,text[])', 'admin'),
	('textseq.receive_webhook(text,text,jsonb,text,text,text)', 'user'),
	('textseq.finish_enrollments(bigint[])', 'user'),
	('textseq.tag_leads(bigint[],text)', 'user'),
	('textseq.send_one(bigint[],text,integer)', 'user'),
	('textseq._consent_phone(text,text)', 'none'),
	('textseq.opt_out(text,text)', 'user'),
	('textseq.opt_in(text,text)', 'admin'),
	('textseq._pick_sender(bigint,int)', 'none'),
	('textseq._queue_current(bigint[],timestamptz[])', 'worker'),
	('textseq._advance(bigint[],timestamptz[])', 'worker'),
	('textseq.enroll(bigint,bigint,int,timestamptz)', 'user'),
	('textseq.enroll(text,bigint,int,timestamptz)', 'user'),
	('textseq.cancel(bigint)', 'user'),
	('textseq.cancel(text,bigint)', 'user'),
	('textseq.lead_data(textseq.lead)', 'user'),
	('textseq._claim_lock_due(int,timestamptz,jsonb)', 'worker'),
	('textseq._claim_candidates(bigint[],timestamptz)', 'worker'),
	('textseq._claim_cap_and_duplicates(textseq._candidate[],timestamptz)', 'worker'),
	('textseq._claim_apply(textseq._candidate[],timestamptz,boolean)', 'worker'),
	('textseq._claim_batch(bigint[],timestamptz,jsonb)', 'worker'),
	('textseq._claim_fail(bigint[],text[],timestamptz)', 'worker'),
	('textseq._claim_one_by_one(bigint[],timestamptz,jsonb)', 'worker'),
	('textseq._merge_data(textseq.lead,text,text)', 'worker'),
	('textseq._try_render(text,jsonb)', 'worker'),
	('textseq._render_problem(text,jsonb)', 'worker'),
	('textseq._try_next_send_time(timestamptz,text[],text,time,time,int[])', 'worker'),
	('textseq._try_window_closes_at(timestamptz,text[],text,time,time,int[],timestamptz)', 'worker'),
	('textseq._schedule_problem(timestamptz,text[],text,time,time,int[],timestamptz)', 'worker'),
	('textseq._zones_problem(text[])', 'user worker'),
	('textseq._lock_phones(text[])', 'worker'),
	('textseq._lock_provider_ids(text[])', 'worker'),
	('textseq._error_kind(text)', 'worker'),
	('textseq._record_messages(bigint[],textseq.message_status[],text[],int[],text[],timestamptz[],timestamptz)', 'worker'),
	('textseq._recorded_effects(textseq._recorded[],timestamptz)', 'worker'),
	('textseq._defer_result(bigint,textseq.message_status,text,int,text,timestamptz,text)', 'worker'),
	('textseq._record_row_held(bigint,textseq.message_status)', 'worker'),
	('textseq._record_as_error(bigint,textseq.message_status,text,int,text,timestamptz)', 'worker'),
	('textseq._record_one_by_one(bigint[],textseq.message_status[],text[],int[],text[],timestamptz[],timestamptz)', 'worker'),
	('textseq._enrollment_effects(textseq._effect[],boolean)', 'worker'),
	('textseq._enrollment_effects_apart(textseq._effect[])', 'worker'),
	('textseq._apply_deferred()', 'worker'),
	('textseq._claim_within_budget(textseq._candidate[],jsonb)', 'worker'),
	('textseq.claim(int,jsonb)', 'worker'),
	('textseq.record_results(bigint[],textseq.message_status[],text[],int[],text[],timestamptz[])', 'worker'),
	('textseq._provider_probe(text,text,text,text,text,text,text,int)', 'none'),
	('textseq._provider_lookup(text,text,text,text,text,text,text,timestamptz,int)', 'none'),
	('textseq._wake_worker(timestamptz)', 'admin worker'),
	('textseq._message_wake()', 'none'),
	('textseq._recover_in_flight()', 'worker'),
	('textseq._maybe_sent_due(int)', 'worker'),
	('textseq._reconcile_later(bigint)', 'worker'),
	('textseq._next_due()', 'worker'),
	('textseq.sweep()', 'worker'),
	('textseq._worker_slots()', 'user'),
	('textseq._delivery_status(text,text)', 'worker'),
	('textseq._apply_delivery_events(bigint[])', 'worker'),
	('textseq.delivery_report(text,jsonb,text)', 'admin'),
	('textseq._delivery_record(text,jsonb,int)', 'none'),
	('textseq._webhook_account(text,text,jsonb,text,text,text)', 'none'),
	('textseq.delivery_webhook(text,text,jsonb,text,text,text)', 'user'),
	('textseq.telnyx_signature_valid(text,text,text,text)', 'user'),
	('textseq._apply_early_events(text[])', 'worker'),
	('textseq._code_outcome(text,int)', 'worker'),
	('textseq._hmac_sha1_base64(text,text)', 'user'),
	('textseq._timingsafe_equal(text,text)', 'user'),
	('textseq.twilio_signature_valid(text,jsonb,text,text)', 'user'),
	-- smartlists
	('textseq._lead_source()', 'user'),
	('textseq._field_number(jsonb)', 'user'),
	('textseq._bulk_incomplete_leads(bigint)', 'user'),
	('textseq.smartlist_sql(text)', 'user'),
	('textseq.smartlist_leads(text)', 'user'),
	('textseq.smartlist_params(text)', 'user'),
	('textseq.smartlist_explain(text,boolean)', 'user'),
	('textseq.smartlist_leads_by_name(text)', 'user'),
	('textseq._smartlist_owner_check(textseq.smartlist)', 'none'),
	('textseq._smartlist_for_update(text)', 'none'),
	('textseq.save_smartlist(text,text)', 'user'),
	('textseq.rename_smartlist(text,text)', 'user'),
	('textseq.drop_smartlist(text)', 'user'),
	-- bulk launches (85_launch.sql)
	('textseq._bulk_senders(int)', 'none'),
	('textseq._contact_reason(boolean,boolean,text,boolean)', 'none'),
	('textseq._snapshot_members(bigint,text,int)', 'none'),
	('textseq._insert_enrollments(bigint,bigint,int,timestamptz,name,timestamptz,bigint[],int[],textseq.enrollment_status[])', 'none'),
	('textseq._expand_chunk(bigint)', 'none'),
	('textseq._chunk_members(bigint[],int)', 'none'),
	('textseq._chunk_enroll(textseq.bulk,int,text,timestamptz,timestamptz,bigint[],int[],int[],text[],bigint[])', 'none'),
	('textseq._chunk_end(bigint,textseq.sequence,bigint[],bigint[],bigint[],int[])', 'none'),
	('textseq._expand_bulks()', 'worker'),
	('textseq._launch_source(text,text,bigint)', 'none'),
	('textseq._launch(bigint,int,timestamptz,boolean,text,text,text,bigint,bigint)', 'none'),
	('textseq.launch(text,text,text,bigint,timestamptz,int,boolean)', 'user'),
	('textseq.cancel_bulk(bigint)', 'user'),
	('textseq.relaunch_incomplete(bigint)', 'user');
-- bulk counts and in-queue updates (65_bulk_stats.sql, 42_update_in_queue.sql)
INSERT INTO expect_fn VALUES
	('textseq._bulk_count_messages()', 'none'),
	('textseq._bulk_count_truncated()', 'none'),
	('textseq._bulk_counts_compact()', 'worker'),
	('textseq._bulk_finish(timestamptz)', 'worker'),
	('textseq._lead_deleted()', 'none'),
	('textseq.update_in_queue(text)', 'user'),
	('textseq.update_in_queue(integer)', 'admin');

CREATE TEMP VIEW ext_fn AS
SELECT p.oid::regprocedure AS fn, p.prosecdef, p.proconfig
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'textseq');

SELECT is_empty($$SELECT fn::text FROM ext_fn EXCEPT SELECT fn::text FROM expect_fn$$,
				'every function of the extension is classified (user, admin, worker or none)');
SELECT is_empty($$SELECT fn::text FROM expect_fn EXCEPT SELECT fn::text FROM ext_fn$$,
				'every classified function exists');
SELECT is_empty($$
	SELECT e.fn::text, r.role, has_function_privilege(r.role, e.fn, 'EXECUTE') AS has
	  FROM expect_fn e
	 CROSS JOIN (VALUES ('textseq_user'), ('textseq_admin'), ('textseq_worker')) r(role)
	 WHERE has_function_privilege(r.role, e.fn, 'EXECUTE') IS DISTINCT FROM CASE r.role
			WHEN 'textseq_user' THEN e.who ~ '\muser\M'
			WHEN 'textseq_admin' THEN e.who ~ '\m(user|admin)\M'
			WHEN 'textseq_worker' THEN e.who ~ '\mworker\M' END$$,
	'each role may execute exactly the functions the table gives it');
SELECT is_empty($$SELECT fn::text FROM ext_fn WHERE has_function_privilege('public', fn, 'EXECUTE')$$,
				'PUBLIC may execute no function of the extension');
SELECT is_empty($$SELECT fn::text FROM ext_fn WHERE has_function_privilege('ts_priv_nobody', fn, 'EXECUTE')$$,
				'a plain login may execute no function of the extension');

-- ---- catalog: SECURITY DEFINER functions ---------------------------------------------
SELECT set_eq($$SELECT fn::text FROM ext_fn WHERE prosecdef$$,
			  $$VALUES ('textseq._contact_normalize()'), ('textseq.save_template(text,text,text[])'),
					   ('textseq.opt_out(text,text)'), ('textseq.opt_in(text,text)'),
					   ('textseq.enroll(bigint,bigint,integer,timestamp with time zone)'),
					   ('textseq.cancel(bigint)'), ('textseq.delivery_report(text,jsonb,text)'),
					   ('textseq.delivery_webhook(text,text,jsonb,text,text,text)'),
					   ('textseq._opt_out(text[],text,text,bigint)'),
					   ('textseq._opt_in(text[],text,text,bigint)'),
					   ('textseq._enrollment_end_tags()'),
					   ('textseq.receive(text,text,text,text,timestamp with time zone,text[])'),
					   ('textseq.receive_webhook(text,text,jsonb,text,text,text)'),
					   ('textseq.finish_enrollments(bigint[])'),
					   ('textseq.send_one(bigint[],text,integer)'),
					   ('textseq.save_smartlist(text,text)'), ('textseq.rename_smartlist(text,text)'),
					   ('textseq.drop_smartlist(text)'),
					   ('textseq._lead_deleted()'), ('textseq.update_in_queue(text)'),
					   ('textseq.update_in_queue(integer)'),
					   ('textseq.launch(text,text,text,bigint,timestamp with time zone,integer,boolean)'),
					   ('textseq.cancel_bulk(bigint)'), ('textseq.relaunch_incomplete(bigint)'),
					   ('textseq._expand_bulks()')$$,
			  'the SECURITY DEFINER functions are exactly the ones that guard a write');
SELECT is_empty($$SELECT fn::text FROM ext_fn
				   WHERE prosecdef AND NOT coalesce(proconfig @> '{"search_path=pg_catalog, pg_temp"}', false)$$,
				'every SECURITY DEFINER function pins search_path to pg_catalog, pg_temp');

-- ---- catalog: every relation, who may read and write it --------------------------------
-- privileges held on the whole table: r SELECT, a INSERT, w UPDATE, d DELETE,
-- D TRUNCATE, x REFERENCES, t TRIGGER
CREATE TEMP TABLE expect_rel (rel regclass, role text, privs text, PRIMARY KEY (rel, role));
INSERT INTO expect_rel
SELECT v.rel::regclass, r.role,
	   CASE r.role WHEN 'textseq_user' THEN v.u WHEN 'textseq_admin' THEN v.a
				   WHEN 'textseq_worker' THEN v.w ELSE '' END
  FROM (VALUES
	('textseq.lead', 'rawd', 'rawd', 'r'),
	('textseq.contact', 'rawd', 'rawd', 'r'),
	('textseq.sequence', 'rawd', 'rawd', 'r'),
	('textseq.step', 'rawd', 'rawd', 'r'),
	('textseq.phone', 'r', 'r', 'r'),
	('textseq.template', 'r', 'r', 'r'),
	('textseq.template_version', 'r', 'r', 'r'),
	('textseq.bulk', 'r', 'r', ''),
	('textseq.enrollment', 'r', 'r', 'r'),
	('textseq.message', 'r', 'r', 'r'),
	('textseq.delivery_event', 'r', 'r', 'r'),
	('textseq.sender', 'r', 'rawd', 'r'),
	('textseq.account', '', 'rawd', 'r'),
	('textseq.account_secret', '', 'rawd', 'r'),
	('textseq.phone_tz_prefix', 'r', 'r', ''),
	('textseq.quiet_rule', 'r', 'rawd', 'r'),
	('textseq.area_code_region', 'r', 'rawd', ''),
	('textseq.queue_health', 'r', 'r', ''),
	('textseq.worker_status', 'r', 'r', ''),
	('textseq.consent_event', 'r', 'r', ''),
	('textseq.inbound', 'r', 'r', ''),
	('textseq.keyword', 'rawd', 'rawd', ''),
	('textseq.branch', 'rawd', 'rawd', ''),
	('textseq.lead_note', 'rawd', 'rawd', ''),
	('textseq.enrollments', 'r', 'r', ''),
	('textseq.smartlist', 'r', 'r', ''),

	('textseq.deferred_result', 'r', 'r', 'rawd'),
	('textseq.deferred_enrollment', 'r', 'r', 'rawd'),
	('textseq.bulk_chunk', 'r', 'r', ''),
	('textseq.bulk_skip', 'r', 'r', ''),
	('textseq.bulk_members', 'r', 'r', '')) v(rel, u, a, w)
 CROSS JOIN (VALUES ('textseq_user'), ('textseq_admin'), ('textseq_worker'), ('public'),
					('ts_priv_nobody')) r(role);
-- bulk counts: users read them (bulk_stats is security_invoker); the worker's
-- statements add deltas and its sweep folds them and closes bulks
INSERT INTO expect_rel
SELECT v.rel::regclass, r.role,
	   CASE r.role WHEN 'textseq_user' THEN v.u WHEN 'textseq_admin' THEN v.a
				   WHEN 'textseq_worker' THEN v.w ELSE '' END
  FROM (VALUES
	('textseq.bulk_stats', 'r', 'r', ''),
	('textseq.bulk_count', 'r', 'r', 'rawd'),
	('textseq.bulk_count_delta', 'r', 'r', 'rawd')) v(rel, u, a, w)
 CROSS JOIN (VALUES ('textseq_user'), ('textseq_admin'), ('textseq_worker'), ('public'),
					('ts_priv_nobody')) r(role);
UPDATE expect_rel SET privs = 'r' WHERE rel = 'textseq.bulk'::regclass AND role = 'textseq_worker';

CREATE TEMP VIEW ext_rel AS
SELECT c.oid::regclass AS rel, c.relkind
  FROM pg_class c JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'textseq');

SELECT set_eq($$SELECT rel::text FROM ext_rel WHERE relkind IN ('r', 'v')$$,
			  $$SELECT DISTINCT rel::text FROM expect_rel$$,
			  'every table and view of the extension is classified');
SELECT is_empty($$
	SELECT e.rel::text, e.role, e.privs,
		   concat(CASE WHEN has_table_privilege(e.role, e.rel, 'SELECT') THEN 'r' END,
				  CASE WHEN has_table_privilege(e.role, e.rel, 'INSERT') THEN 'a' END,
				  CASE WHEN has_table_privilege(e.role, e.rel, 'UPDATE') THEN 'w' END,
				  CASE WHEN has_table_privilege(e.role, e.rel, 'DELETE') THEN 'd' END,
				  CASE WHEN has_table_privilege(e.role, e.rel, 'TRUNCATE') THEN 'D' END,
				  CASE WHEN has_table_privilege(e.role, e.rel, 'REFERENCES') THEN 'x' END,
				  CASE WHEN has_table_privilege(e.role, e.rel, 'TRIGGER') THEN 't' END) AS has
	  FROM expect_rel e
	EXCEPT
	SELECT e.rel::text, e.role, e.privs, e.privs FROM expect_rel e$$,
	'each role holds exactly the table privileges the table gives it (PUBLIC and a plain login none)');

-- privileges held on some columns only
CREATE TEMP TABLE expect_col (rel regclass, role text, priv text, cols text[]);
INSERT INTO expect_col VALUES
	('textseq.account', 'textseq_user', 'SELECT', '{id,name,paused,paused_at,paused_reason,provider}'),
	('textseq.phone', 'textseq_user', 'UPDATE', '{time_zone}'),
	('textseq.phone', 'textseq_admin', 'UPDATE', '{time_zone}'),
	('textseq.phone', 'textseq_worker', 'UPDATE',
	 '{invalid,invalid_reason,line_type,opted_out,opted_out_at,updated_at}'),
	('textseq.message', 'textseq_worker', 'INSERT',
	 '{bulk_id,due_at,enrollment_id,expires_at,lead_id,run_at,sender_id,sequence_id,signature,step,template_id,template_version}'),
	('textseq.message', 'textseq_worker', 'UPDATE',
	 '{attempts,body,body_hash,claimed_at,error_code,error_text,finished_at,phone,provider_id,run_at,segments,sent_at,status}'),
	('textseq.enrollment', 'textseq_worker', 'UPDATE', '{current_step,finished_at,status,wait_until}'),
	('textseq.delivery_event', 'textseq_worker', 'UPDATE', '{applied_status,message_id}'),
	('textseq.account', 'textseq_worker', 'UPDATE', '{paused,paused_at,paused_reason}'),
	('textseq.bulk', 'textseq_worker', 'UPDATE', '{finished_at,status}');
SELECT set_eq($$
	SELECT x.rel::text, x.role, x.priv, x.cols FROM (
		SELECT c.rel, r.role, p.priv,
			   array_agg(a.attname::text ORDER BY a.attname::text) AS cols
		  FROM ext_rel c
		  JOIN pg_attribute a ON a.attrelid = c.rel AND a.attnum > 0 AND NOT a.attisdropped
		 CROSS JOIN (VALUES ('textseq_user'), ('textseq_admin'), ('textseq_worker'), ('public'),
							('ts_priv_nobody')) r(role)
		 CROSS JOIN (VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('REFERENCES')) p(priv)
		 WHERE c.relkind IN ('r', 'v')
		   AND has_column_privilege(r.role, c.rel, a.attname, p.priv)
		   AND NOT has_table_privilege(r.role, c.rel, p.priv)
		 GROUP BY 1, 2, 3) x$$,
	$$SELECT rel::text, role, priv, cols FROM expect_col$$,
	'column privileges are exactly these (PUBLIC and a plain login none)');
SELECT set_eq($$
	SELECT s.rel::text, r.role, p.priv FROM ext_rel s
	 CROSS JOIN (VALUES ('textseq_user'), ('textseq_admin'), ('textseq_worker'), ('public'),
						('ts_priv_nobody')) r(role)
	 CROSS JOIN (VALUES ('USAGE'), ('SELECT'), ('UPDATE')) p(priv)
	 WHERE s.relkind = 'S' AND has_sequence_privilege(r.role, s.rel, p.priv)$$,
	$$VALUES ('textseq.quiet_rule_id_seq', 'textseq_admin', 'USAGE')$$,
	'sequences: only admins may draw quiet_rule ids (identity columns need no grant)');
SELECT ok(NOT has_schema_privilege('public', 'textseq', 'USAGE'), 'PUBLIC has no USAGE on the schema');
SELECT ok(NOT has_schema_privilege('ts_priv_nobody', 'textseq', 'USAGE'), 'nor has a plain login');
SELECT ok(NOT has_schema_privilege('textseq_user', 'textseq', 'CREATE'), 'users may not create objects in the schema');

-- ---- fixtures: messages in every state a user must not move back -------------------
\o /dev/null
SELECT textseq.create_account('acct', 'dry_run') AS acct \gset
SELECT textseq.add_sender('acct', '+12015550100', '');
SELECT textseq.save_template('hello', 'Hello {{ lead.first_name }}');
SELECT textseq.create_sequence('priv', window_start => '00:00', window_end => '23:59:59') AS seq \gset
SELECT textseq.add_step('priv', 'hello');
SELECT textseq.add_lead('Queued', NULL, ARRAY['+12015550161']) AS l_queue \gset
SELECT textseq.add_lead('Sending', NULL, ARRAY['+12015550162']) AS l_sending \gset
SELECT textseq.add_lead('Maybe', NULL, ARRAY['+12015550163']) AS l_maybe \gset
SELECT textseq.add_lead('Outbox', NULL, ARRAY['+12015550164']) AS l_outbox \gset
SELECT textseq.enroll('priv', :l_sending) AS e_sending \gset
SELECT textseq.enroll('priv', :l_maybe) AS e_maybe \gset
SELECT textseq.enroll('priv', :l_outbox) AS e_outbox \gset
SELECT count(*) FROM textseq.claim(10);
SELECT textseq.enroll('priv', :l_queue, start_at => '2026-11-24 17:00:00+00') AS e_queue \gset
SELECT id AS m_queue FROM textseq.message WHERE enrollment_id = :e_queue \gset
SELECT id AS m_sending FROM textseq.message WHERE enrollment_id = :e_sending \gset
SELECT id AS m_maybe FROM textseq.message WHERE enrollment_id = :e_maybe \gset
SELECT id AS m_outbox FROM textseq.message WHERE enrollment_id = :e_outbox \gset
SELECT textseq.record_results(ARRAY[:m_maybe, :m_outbox]::bigint[],
							  ARRAY['maybe_sent', 'outbox']::textseq.message_status[],
							  ARRAY[NULL, 'SM000000000000000000000000000000aa']);
SELECT textseq.opt_out('+12015550165', 'fixture');
SELECT textseq.create_account('tw', 'twilio', 'AC0123456789abcdef0123456789abcdef', 'tok-priv');
SELECT textseq._hmac_sha1_base64('tok-priv', 'https://app.example/status' ||
	'MessageSidSM00000000000000000000000000000fffMessageStatusdelivered') AS tw_sig \gset
\o
SELECT is((SELECT array_agg(status::text ORDER BY id) FROM textseq.message),
		  ARRAY['sending', 'maybe_sent', 'outbox', 'in_queue'], 'fixtures: one message in each state');

-- ---- textseq_user: what it may do ----------------------------------------------------
SET LOCAL ROLE ts_priv_user;
SELECT lives_ok($$SELECT textseq.add_lead('Ann', NULL, ARRAY['(201) 555-0170'])$$, 'user: add_lead');
SELECT lives_ok($$INSERT INTO textseq.lead (first_name) VALUES ('Bo')$$, 'user: insert a lead');
SELECT lives_ok($$INSERT INTO textseq.contact (lead_id, position, phone)
				  SELECT id, 1, '201 555 0171' FROM textseq.lead WHERE first_name = 'Bo'$$,
				'user: insert a contact (its phone row is made for it; area codes are readable)');
SELECT is((SELECT region FROM textseq.phone WHERE e164 = '+12015550171'), 'US-NJ',
		  'user: the new phone got its region from area_code_region');
SELECT lives_ok($$UPDATE textseq.contact SET do_not_contact = true WHERE phone = '+12015550171'$$,
				'user: mark a contact do-not-contact');
SELECT lives_ok($$UPDATE textseq.lead SET company = 'Acme' WHERE first_name = 'Bo'$$, 'user: update a lead');
SELECT lives_ok($$UPDATE textseq.phone SET time_zone = 'America/Chicago' WHERE e164 = '+12015550171'$$,
				'user: override a phone''s time zone');
SELECT lives_ok($$SELECT textseq.next_send_time(textseq.now(), '+12015550171', (SELECT id FROM textseq.sequence WHERE name = 'priv'))$$,
				'user: next_send_time for a phone and sequence (reads quiet rules and area codes)');
SELECT lives_ok($$SELECT textseq.save_template('hello', 'Hi {{ lead.first_name }}')$$, 'user: save a template version');
SELECT is((SELECT created_by::text FROM textseq.template_version WHERE version = 2), 'ts_priv_user',
		  'user: the version records who saved it, not the function''s owner');
SELECT lives_ok($$SELECT textseq.create_sequence('user seq')$$, 'user: create a sequence');
SELECT lives_ok($$SELECT textseq.add_step('user seq', 'hello', '1 day')$$, 'user: add a step');
SELECT lives_ok($$UPDATE textseq.sequence SET frequency_cap = 3 WHERE name = 'user seq'$$,
				'user: change a sequence''s settings');
SELECT lives_ok($$SELECT textseq.enroll('user seq', (SELECT id FROM textseq.lead WHERE first_name = 'Ann'))$$,
				'user: enroll a lead');
SELECT is((SELECT enrolled_by::text FROM textseq.enrollment e JOIN textseq.lead l ON l.id = e.lead_id
			WHERE l.first_name = 'Ann'), 'ts_priv_user', 'user: the enrollment records who enrolled the lead');
SELECT is(textseq.cancel(:e_queue), 1, 'user: cancel an enrollment cancels its waiting message');
SELECT is(textseq.cancel('user seq', (SELECT id FROM textseq.lead WHERE first_name = 'Ann')), 1,
		  'user: cancel by sequence name and lead');
SELECT is(textseq.cancel(:e_sending), 0, 'user: cancel never touches a message being sent');
SELECT is(textseq.cancel(:e_maybe), 0, 'user: nor one that may have been sent');
SELECT lives_ok($$SELECT textseq.opt_out('+12015550172', 'web form')$$, 'user: opt a phone out');
SELECT lives_ok($$SELECT count(*) FROM textseq.message, textseq.enrollment, textseq.delivery_event,
						textseq.queue_health, textseq.worker_status LIMIT 1$$,
				'user: read messages, enrollments, delivery events and both views');
SELECT lives_ok($$SELECT id, name, provider, paused FROM textseq.account$$, 'user: read account names and pause state');
SELECT is(textseq.delivery_webhook('tw', 'https://app.example/status', '{"MessageSid": "SM00000000000000000000000000000fff", "MessageStatus": "delivered"}',
								   :'tw_sig'), NULL, 'user: file a signed status callback (checked with the account''s token)');
SELECT throws_ok($$SELECT textseq.delivery_webhook('tw', 'https://app.example/status', '{"MessageSid": "SM00000000000000000000000000000fff", "MessageStatus": "delivered"}',
				   'AAAAAAAAAAAAAAAAAAAAAAAAAAA=')$$, '28000', NULL, 'user: a forged status callback is refused');

-- ---- textseq_user: what it must not do (42501) ---------------------------------------
SELECT throws_ok(format($$UPDATE textseq.message SET status = 'in_queue' WHERE id = %s$$, :m_sending),
				 '42501', NULL, 'user: may not move a sending message back to the queue');
SELECT throws_ok(format($$UPDATE textseq.message SET status = 'in_queue' WHERE id = %s$$, :m_maybe),
				 '42501', NULL, 'user: may not move a maybe_sent message back to the queue');
SELECT throws_ok(format($$UPDATE textseq.message SET provider_id = 'SMforged' WHERE id = %s$$, :m_queue),
				 '42501', NULL, 'user: may not forge a provider id');
SELECT throws_ok(format($$UPDATE textseq.message SET body = 'other text', run_at = now() WHERE id = %s$$, :m_queue),
				 '42501', NULL, 'user: may not write other message columns');
SELECT throws_ok($$INSERT INTO textseq.message (enrollment_id, sequence_id, step, lead_id, sender_id, template_id,
						template_version, due_at, run_at, expires_at)
				   SELECT enrollment_id, sequence_id, step, lead_id, sender_id, template_id, template_version,
						  due_at, run_at, expires_at FROM textseq.message LIMIT 1$$,
				 '42501', NULL, 'user: may not queue a message around enroll');
SELECT throws_ok(format($$DELETE FROM textseq.message WHERE id = %s$$, :m_queue),
				 '42501', NULL, 'user: may not delete a message');
SELECT throws_ok($$UPDATE textseq.phone SET opted_out = false WHERE e164 = '+12015550165'$$,
				 '42501', NULL, 'user: may not undo an opt-out');
SELECT throws_ok($$UPDATE textseq.phone SET invalid = false, line_type = 'mobile' WHERE e164 = '+12015550165'$$,
				 '42501', NULL, 'user: may not overwrite a phone''s verdicts');
SELECT throws_ok($$DELETE FROM textseq.phone WHERE e164 = '+12015550165'$$,
				 '42501', NULL, 'user: may not delete a phone (and its opt-out with it)');
SELECT throws_ok($$INSERT INTO textseq.phone (e164, line_type) VALUES ('+12015550166', 'mobile')$$,
				 '42501', NULL, 'user: may not insert a phone with verdicts of its choosing');
SELECT throws_ok($$INSERT INTO textseq.delivery_event (provider, provider_id, provider_status, payload)
				   VALUES ('twilio', 'SM000000000000000000000000000000aa', 'delivered', '{}')$$,
				 '42501', NULL, 'user: may not insert a delivery event');
SELECT throws_ok($$UPDATE textseq.delivery_event SET applied_status = 'sent'$$,
				 '42501', NULL, 'user: may not update delivery events');
SELECT throws_ok($$SELECT textseq.delivery_report('twilio', '{"MessageSid": "SM000000000000000000000000000000aa", "MessageStatus": "delivered"}')$$,
				 '42501', NULL, 'user: may not file an unverified delivery report');
SELECT throws_ok(format($$UPDATE textseq.enrollment SET status = 'finished_stopped' WHERE id = %s$$, :e_outbox),
				 '42501', NULL, 'user: may not change an enrollment''s status directly');
SELECT throws_ok(format($$DELETE FROM textseq.enrollment WHERE id = %s$$, :e_outbox),
				 '42501', NULL, 'user: may not delete an enrollment (its messages would be orphaned)');
SELECT throws_ok($$INSERT INTO textseq.enrollment (sequence_id, lead_id, sender_id)
				   SELECT sequence_id, lead_id, sender_id FROM textseq.enrollment LIMIT 1$$,
				 '42501', NULL, 'user: may not insert an enrollment around enroll');
SELECT throws_ok($$UPDATE textseq.template SET current_version = 9$$,
				 '42501', NULL, 'user: may not point a template at another version');
SELECT throws_ok($$INSERT INTO textseq.template_version (template_id, version, body)
				   SELECT id, 9, 'x' FROM textseq.template LIMIT 1$$,
				 '42501', NULL, 'user: may not insert a template version around save_template');
SELECT throws_ok($$DELETE FROM textseq.template$$,
				 '42501', NULL, 'user: may not delete templates (queued messages use their versions)');
SELECT throws_ok($$INSERT INTO textseq.bulk (sequence_id, start_at) SELECT id, now() FROM textseq.sequence LIMIT 1$$,
				 '42501', NULL, 'user: may not insert bulk rows');
SELECT throws_ok($$SELECT secret FROM textseq.account_secret$$, '42501', NULL, 'user: may not read credentials');
SELECT throws_ok($$SELECT base_url FROM textseq.account$$, '42501', NULL, 'user: may not read account settings');
SELECT throws_ok($$UPDATE textseq.sender SET messages_per_second = 1000$$, '42501', NULL, 'user: may not change senders');
SELECT throws_ok($$SELECT * FROM textseq.claim(10)$$, '42501', NULL, 'user: may not claim');
SELECT throws_ok(format($$SELECT textseq.record_results(ARRAY[%s]::bigint[], ARRAY['in_queue']::textseq.message_status[])$$, :m_maybe),
				 '42501', NULL, 'user: may not record results');
SELECT throws_ok($$SELECT textseq.create_account('mine', 'dry_run')$$, '42501', NULL, 'user: may not create accounts');
SELECT throws_ok($$SELECT textseq.set_account_secret('acct', 'mine')$$, '42501', NULL, 'user: may not set credentials');
SELECT throws_ok($$SELECT textseq.add_sender('acct', '+12015550199')$$, '42501', NULL, 'user: may not add senders');
SELECT throws_ok($$SELECT textseq.pause_account('acct')$$, '42501', NULL, 'user: may not pause accounts');
SELECT throws_ok($$SELECT textseq.opt_in('+12015550165', 'because')$$, '42501', NULL, 'user: may not opt a phone back in');
SELECT throws_ok($$SELECT textseq._opt_in(ARRAY['+12015550165'], 'because')$$, '42501', NULL,
				 'user: nor through the internal function');
SELECT throws_ok($$SELECT textseq.sweep()$$, '42501', NULL, 'user: may not run the worker''s sweep');
SELECT throws_ok(format($$SELECT textseq._queue_current(ARRAY[%s]::bigint[], ARRAY[now()])$$, :e_outbox),
				 '42501', NULL, 'user: may not call the internals of enroll');
SELECT throws_ok($$SELECT textseq._caller()$$, '42501', NULL, 'user: may not call _caller');
SELECT throws_ok($$CREATE TABLE textseq.mine (x int)$$, '42501', NULL, 'user: may not create tables in the schema');
RESET ROLE;
SELECT is((SELECT array_agg(status::text ORDER BY id) FROM textseq.message WHERE id IN (:m_sending, :m_maybe, :m_outbox)),
		  ARRAY['sending', 'maybe_sent', 'outbox'], 'after all that: the claimed messages are as they were');
SELECT is((SELECT count(*)::int FROM textseq.delivery_event), 1, 'and only the signed callback was stored');
SELECT ok((SELECT opted_out FROM textseq.phone WHERE e164 = '+12015550165'), 'and the opt-out stands');

-- ---- textseq_admin ----------------------------------------------------------------------
SET LOCAL ROLE ts_priv_admin;
SELECT lives_ok($$SELECT textseq.create_account('admin acct', 'dry_run', secret => 'x')$$, 'admin: create an account');
SELECT lives_ok($$SELECT secret FROM textseq.account_secret$$, 'admin: read credentials');
SELECT lives_ok($$SELECT textseq.set_account_secret('admin acct', 'y')$$, 'admin: replace a credential');
SELECT lives_ok($$SELECT textseq.add_sender('admin acct', '+12015550101')$$, 'admin: add a sender');
SELECT lives_ok($$SELECT textseq.pause_account('admin acct'), textseq.resume_account('admin acct')$$,
				'admin: pause and resume an account');
SELECT is(textseq.opt_in('+12015550165', 'support call: asked to be texted again'), true, 'admin: opt a phone back in');
SELECT lives_ok($$INSERT INTO textseq.quiet_rule (region, days, local_start, local_end, effective_from)
				  VALUES ('US-NJ', '{0}', '10:00', '18:00', '2027-01-01')$$, 'admin: add a quiet-hours rule');
SELECT lives_ok($$INSERT INTO textseq.area_code_region (area_code, region) VALUES ('999', 'US-NJ')$$,
				'admin: add an area code (phone regions are re-derived)');
SELECT is(textseq.delivery_report('twilio', '{"MessageSid": "SM000000000000000000000000000000aa", "MessageStatus": "delivered"}')::text,
		  'sent', 'admin: file an unverified delivery report');
SELECT throws_ok(format($$UPDATE textseq.message SET status = 'in_queue' WHERE id = %s$$, :m_maybe),
				 '42501', NULL, 'admin: may not move a maybe_sent message back either');
SELECT throws_ok($$SELECT * FROM textseq.claim(10)$$, '42501', NULL, 'admin: may not claim');
SELECT throws_ok(format($$SELECT textseq.record_results(ARRAY[%s]::bigint[], ARRAY['in_queue']::textseq.message_status[])$$, :m_maybe),
				 '42501', NULL, 'admin: may not record results (a superuser does, after checking the provider)');
SELECT throws_ok($$SELECT * FROM textseq._provider_probe('dry_run', NULL, NULL, NULL, '+12015550161', NULL, 'x')$$,
				 '42501', NULL, 'admin: may not send a probe');
RESET ROLE;

-- ---- textseq_worker: what it needs, and nothing of the admin's ---------------------
SELECT textseq.add_lead('Claimable', NULL, ARRAY['+12015550167']) AS l_claim \gset
SELECT textseq.enroll('priv', :l_claim) AS e_claim \gset
SET LOCAL ROLE textseq_worker;
SELECT is((SELECT count(*)::int FROM textseq.claim(10)), 1, 'worker: claim');
SELECT is(textseq.record_results(ARRAY[:m_sending]::bigint[], ARRAY['outbox']::textseq.message_status[],
								 ARRAY['SM000000000000000000000000000000bb']), 1, 'worker: record a result');
SELECT lives_ok($$SELECT textseq.sweep(), textseq._next_due(), textseq._recover_in_flight()$$,
				'worker: sweep, next due time, crash recovery');
SELECT lives_ok(format($$SELECT textseq._maybe_sent_due(10); SELECT textseq._reconcile_later(%s)$$, :m_maybe),
				'worker: reconciliation queue and backoff');
SELECT lives_ok($$SELECT a.id, s.secret FROM textseq.account a LEFT JOIN textseq.account_secret s ON s.account_id = a.id$$,
				'worker: read accounts with their credentials');
SELECT lives_ok($$UPDATE textseq.account SET paused = true, paused_reason = 'x', paused_at = now() WHERE name = 'acct'$$,
				'worker: pause an account whose credentials were refused');
SELECT throws_ok($$SELECT textseq.create_account('w', 'dry_run')$$, '42501', NULL, 'worker: may not create accounts');
SELECT throws_ok($$SELECT textseq.set_account_secret('acct', 'w')$$, '42501', NULL, 'worker: may not set credentials');
SELECT throws_ok($$SELECT textseq.add_sender('acct', '+12015550198')$$, '42501', NULL, 'worker: may not add senders');
SELECT throws_ok($$SELECT textseq.pause_account('acct')$$, '42501', NULL, 'worker: may not call pause_account');
SELECT throws_ok($$SELECT textseq.resume_account('acct')$$, '42501', NULL, 'worker: may not call resume_account');
SELECT throws_ok($$SELECT textseq.opt_in('+12015550165', 'x')$$, '42501', NULL, 'worker: may not opt a phone in');
SELECT throws_ok($$SELECT textseq.opt_out('+12015550165', 'x')$$, '42501', NULL, 'worker: may not call the user API');
SELECT throws_ok($$SELECT textseq.delivery_report('twilio', '{"MessageSid": "SM1", "MessageStatus": "delivered"}')$$,
				 '42501', NULL, 'worker: may not file delivery reports');
SELECT throws_ok($$SELECT textseq.delivery_webhook('tw', 'https://x', '{}', 'x')$$,
				 '42501', NULL, 'worker: nor signed ones');
SELECT throws_ok($$SELECT textseq.save_template('w', 'x')$$, '42501', NULL, 'worker: may not save templates');
SELECT throws_ok(format($$SELECT textseq.enroll(%s, %s)$$, :seq, :l_queue), '42501', NULL, 'worker: may not enroll');
SELECT throws_ok($$INSERT INTO textseq.lead (first_name) VALUES ('w')$$, '42501', NULL, 'worker: may not write leads');
SELECT throws_ok($$UPDATE textseq.account_secret SET secret = 'x'$$, '42501', NULL, 'worker: may not change credentials');
SELECT throws_ok($$UPDATE textseq.account SET base_url = 'http://evil.example'$$, '42501', NULL,
				 'worker: may not change where an account sends');
SELECT throws_ok(format($$UPDATE textseq.message SET template_version = 1, sender_id = 1 WHERE id = %s$$, :m_queue),
				 '42501', NULL, 'worker: may not rewrite what a message is');
SELECT throws_ok(format($$DELETE FROM textseq.message WHERE id = %s$$, :m_queue), '42501', NULL,
				 'worker: may not delete messages');
SELECT throws_ok($$INSERT INTO textseq.delivery_event (provider, payload) VALUES ('twilio', '{}')$$,
				 '42501', NULL, 'worker: may not insert delivery events');
SELECT throws_ok($$UPDATE textseq.phone SET time_zone = 'UTC'$$, '42501', NULL, 'worker: may not set time zones');
SELECT throws_ok($$SELECT * FROM textseq.inbound$$, '42501', NULL, 'worker: may not read what it does not use');
RESET ROLE;

-- ---- a plain login and PUBLIC: nothing --------------------------------------------
SET LOCAL ROLE ts_priv_nobody;
SELECT throws_ok($$SELECT textseq.now()$$, '42501', NULL, 'plain login: may not call even a pure function');
SELECT throws_ok($$SELECT textseq.normalize_phone('2015550100')$$, '42501', NULL, 'plain login: nor normalize_phone');
SELECT throws_ok($$SELECT count(*) FROM textseq.lead$$, '42501', NULL, 'plain login: may not read leads');
SELECT throws_ok($$SELECT * FROM textseq.queue_health$$, '42501', NULL, 'plain login: may not read the views');
SELECT throws_ok($$SELECT textseq.opt_out('+12015550100')$$, '42501', NULL, 'plain login: may not opt out');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
