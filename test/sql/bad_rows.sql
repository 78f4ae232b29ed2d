-- bad_rows.sql: one row never stalls the rest (issue 7 items 1-3).  A message
-- that cannot be claimed, or whose outcome cannot be recorded, gets its own
-- error verdict with the reason; every other message of the batch goes on in
-- the same call.  Fixed clock, everything rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(38);

SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';   -- 12:00 in New York
SELECT textseq.create_account('acct', 'dry_run');
SELECT textseq.add_sender('acct', '+12015550100', '-- Acme');
SELECT textseq.save_template('t', 'Hi {{ lead.first_name }}{{ lead.extra }}');
SELECT textseq.create_sequence('s');
SELECT textseq.add_step('s', 't');
SELECT textseq.add_step('s', 't', '1 day');

SELECT textseq.add_lead('Ann', NULL, ARRAY['2015550101']) AS ann \gset
SELECT textseq.add_lead('Ben', NULL, ARRAY['2015550102']) AS ben \gset
SELECT textseq.add_lead('Long', NULL, ARRAY['2015550103'], fields => jsonb_build_object('extra', repeat('x', 1700))) AS long \gset
SELECT textseq.add_lead('Huge', NULL, ARRAY['2015550104'], fields => jsonb_build_object('extra', repeat('y', 1100000))) AS huge \gset
SELECT textseq.add_lead('Zone', NULL, ARRAY['2015550105']) AS zone \gset
SELECT textseq.add_lead('Many', NULL, ARRAY['2015550106']) AS many \gset
SELECT textseq.add_lead('Gone', NULL, ARRAY['2015550107']) AS gone \gset
SELECT textseq.add_lead('Boom', NULL, ARRAY['2015550108']) AS boom \gset
SELECT textseq.add_lead('Cal', NULL, ARRAY['2015550109']) AS cal \gset

-- phone rows written before their zones were checked (old data): forced in past the trigger
ALTER TABLE textseq.phone DISABLE TRIGGER phone_derive;
UPDATE textseq.phone SET zones = '{Mars/Olympus}' WHERE e164 = '+12015550105';
UPDATE textseq.phone SET zones = ARRAY(SELECT 'America/New_York' FROM generate_series(1, 30))
								 || ARRAY(SELECT name FROM pg_timezone_names ORDER BY name LIMIT 70)
 WHERE e164 = '+12015550106';
ALTER TABLE textseq.phone ENABLE TRIGGER phone_derive;

SELECT count(textseq.enroll('s', id)) FROM textseq.lead;
-- a message whose template version is gone (messages carry no foreign keys)
UPDATE textseq.message SET template_version = 99 WHERE lead_id = :gone;
-- anything else a row may bring: here a trigger that fails for one message
CREATE FUNCTION pg_temp.boom() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.lead_id = (SELECT id FROM textseq.lead WHERE first_name = 'Boom') AND NEW.status = 'sending' THEN
		RAISE EXCEPTION 'no texts for Boom today' USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER boom BEFORE UPDATE ON textseq.message FOR EACH ROW EXECUTE FUNCTION pg_temp.boom();

-- the claim
CREATE TEMP TABLE claimed AS SELECT * FROM textseq.claim(100);
SELECT set_eq('SELECT to_phone FROM claimed', ARRAY['+12015550101', '+12015550102', '+12015550109'],
			  'the good messages are claimed in the same call as the bad ones');
SELECT is((SELECT string_agg(status::text, ',' ORDER BY lead_id) FROM textseq.message WHERE lead_id IN (:ann, :ben, :cal)),
		  'sending,sending,sending', 'and marked sending');
SELECT is((SELECT status || ' ' || error_code FROM textseq.message WHERE lead_id = :long), 'error 21617',
		  'a body over 1,600 characters: error 21617');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = :huge), 'error',
		  'a body over the renderer''s output limit: error');
SELECT matches((SELECT error_text FROM textseq.message WHERE lead_id = :huge),
			   '^the body could not be rendered: rendered template too long: line 1, column \d+: the rendered text exceeds 1048576 bytes$',
			   'with the renderer''s reason');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = :zone), 'error',
		  'a phone whose zone is not a time zone: error');
SELECT is((SELECT error_text FROM textseq.message WHERE lead_id = :zone),
		  'the send window could not be computed: time zone "Mars/Olympus" not recognized: Element 1 of the zones array is not an IANA time zone name.',
		  'with the reason');
SELECT is((SELECT status::text FROM textseq.message WHERE lead_id = :many), 'error',
		  'a phone with more zones than the search takes: error');
SELECT matches((SELECT error_text FROM textseq.message WHERE lead_id = :many),
			   '^the send window could not be computed: too many time zones', 'with the reason');
SELECT is((SELECT status || ': ' || error_text FROM textseq.message WHERE lead_id = :gone),
		  'error: template 1 has no version 99', 'a message whose template version is gone: error');
SELECT is((SELECT status || ': ' || error_text FROM textseq.message WHERE lead_id = :boom),
		  'error: the claim failed (23514): no texts for Boom today',
		  'a message whose claim raises: error with the error''s text (the batch was claimed one by one)');
SELECT is((SELECT count(*)::int FROM textseq.message
			WHERE status = 'error' AND finished_at = '2026-11-23 17:00:00+00'), 6,
		  'every verdict of the batch is written by the same claim');
SELECT is((SELECT string_agg(e.status::text, ',' ORDER BY e.lead_id) FROM textseq.enrollment e
			WHERE e.lead_id IN (:long, :huge, :zone, :many, :gone, :boom)),
		  'failed,failed,failed,failed,failed,failed', 'their enrollments fail');
SELECT is((SELECT count(*)::int FROM textseq.enrollment WHERE lead_id IN (:ann, :ben, :cal) AND status = 'pending'), 3,
		  'the good enrollments go on');
SELECT is((SELECT count(*)::int FROM textseq.claim(100)), 0, 'a failed message is not claimed again');
DROP TRIGGER boom ON textseq.message;

-- the claim of one message in the fallback runs the same gate and writes
SELECT is((SELECT segments FROM textseq.message WHERE lead_id = :ann), 1, 'claimed messages are counted in segments');
SELECT ok((SELECT send_by FROM claimed WHERE to_phone = '+12015550101') = '2026-11-24 01:00:00+00',
		  'send_by is when the recipient''s window closes (20:00 in New Jersey)');

-- the record: one outcome that cannot be written does not hold up the others
UPDATE textseq.message SET provider_id = 'SMtaken' WHERE lead_id = :long;
SELECT is(textseq.record_results(ARRAY(SELECT message_id FROM claimed ORDER BY message_id),
								 ARRAY['outbox', 'outbox', 'outbox']::textseq.message_status[],
								 ARRAY['SMann', 'SMtaken', 'SMcal']), 3,
		  'record_results writes every outcome of a batch with a provider id another message holds');
SELECT is((SELECT string_agg(status || ' ' || coalesce(provider_id, '-'), ',' ORDER BY lead_id)
			 FROM textseq.message WHERE lead_id IN (:ann, :ben, :cal) AND step = 1),
		  'outbox SMann,error -,outbox SMcal', 'the others are outbox, the one whose id is taken error');
SELECT matches((SELECT error_text FROM textseq.message WHERE lead_id = :ben AND step = 1),
			   '^the outcome outbox \(provider id SMtaken\) could not be recorded: duplicate key value violates unique constraint "message_provider_id_idx"',
			   'with the reason and the provider''s id');
SELECT is((SELECT status::text FROM textseq.enrollment WHERE lead_id = :ben), 'failed',
		  'its enrollment fails (terminal: the text is never sent again)');
SELECT is((SELECT string_agg(current_step::text, ',' ORDER BY lead_id) FROM textseq.enrollment WHERE lead_id IN (:ann, :cal)),
		  '2,2', 'the others move on to their next step');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE lead_id = :ben AND status IN ('in_queue', 'sending')), 0,
		  'nothing of the failed one is queued again');

-- a row error raised while recording (a trigger) is that row's error, too
SELECT textseq.add_lead('Dee', NULL, ARRAY['2015550110']) AS dee \gset
SELECT textseq.add_lead('Eli', NULL, ARRAY['2015550111']) AS eli \gset
SELECT textseq.enroll('s', :dee), textseq.enroll('s', :eli);
CREATE TEMP TABLE claimed2 AS SELECT * FROM textseq.claim(100);
SELECT is((SELECT count(*)::int FROM claimed2), 2, 'two more claimed');
CREATE FUNCTION pg_temp.no_sm_eli() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.provider_id = 'SMeli' THEN
		RAISE EXCEPTION 'provider id SMeli refused';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER no_sm_eli BEFORE UPDATE ON textseq.message FOR EACH ROW EXECUTE FUNCTION pg_temp.no_sm_eli();
SELECT is(textseq.record_results(ARRAY(SELECT message_id FROM claimed2 ORDER BY message_id),
								 ARRAY['outbox', 'outbox']::textseq.message_status[], ARRAY['SMdee', 'SMeli']), 2,
		  'a batch with an outcome whose write raises is recorded');
SELECT is((SELECT string_agg(status::text, ',' ORDER BY lead_id) FROM textseq.message WHERE lead_id IN (:dee, :eli) AND step = 1),
		  'outbox,error', 'the good one outbox, the raising one error');
SELECT is((SELECT error_text FROM textseq.message WHERE lead_id = :eli AND step = 1),
		  'the outcome outbox (provider id SMeli) could not be recorded: provider id SMeli refused (P0001)',
		  'with the reason');
DROP TRIGGER no_sm_eli ON textseq.message;

-- how a failure is told apart: a lock or serialization conflict waits, the
-- database's own trouble fails the step, anything else is the row's
SELECT is(textseq._error_kind('55P03'), 'transient', 'lock_not_available is transient');
SELECT is(textseq._error_kind('40P01'), 'transient', 'a deadlock is transient');
SELECT is(textseq._error_kind('40001'), 'transient', 'a serialization failure is transient');
SELECT is(textseq._error_kind('53100'), 'infrastructure', 'disk full is infrastructure');
SELECT is(textseq._error_kind('42501'), 'infrastructure', 'a missing privilege is infrastructure');
SELECT is(textseq._error_kind('57P01'), 'infrastructure', 'a shutdown is infrastructure');
SELECT is(textseq._error_kind('23505'), 'row', 'a unique violation is the row''s');
SELECT is(textseq._error_kind('54000'), 'row', 'a program limit (an oversized body) is the row''s');
SELECT is(textseq._error_kind('22023'), 'row', 'a bad value is the row''s');

-- the worker's locks are out of reach of logins
CREATE ROLE bad_rows_login LOGIN IN ROLE textseq_user;
SELECT ok(NOT has_function_privilege('bad_rows_login', 'textseq._lock_phones(text[])', 'EXECUTE')
		  AND NOT has_function_privilege('bad_rows_login', 'textseq._lock_provider_ids(text[])', 'EXECUTE'),
		  'a textseq_user login cannot take the per-phone or provider-id locks');
SELECT ok(has_function_privilege('textseq_worker', 'textseq._lock_phones(text[])', 'EXECUTE'),
		  'the worker can');

SELECT * FROM finish();
ROLLBACK;
