-- launch.sql: bulk launches (SPEC section 8): launch, the snapshot of the
-- lead set, expansion in chunks (omitted statuses, deleted and already
-- pending members), wait => true, cancel_bulk, relaunch_incomplete, who may
-- do what, row-level security.  Fixed clock; rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(114);

SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';   -- 12:00 in New Jersey
SET LOCAL textseq.expand_chunk = 4;
SELECT textseq.create_account('acct', 'dry_run');
SELECT textseq.add_sender('acct', '+12015550100', '-- Acme NJ') AS nj \gset
SELECT textseq.add_sender('acct', '+13125550100', '-- Acme IL') AS il \gset
SELECT textseq.save_template('hello', 'Hi {{ lead.first_name }} {{ sender.signature }}');
SELECT textseq.save_template('again', 'Still there, {{ lead.first_name }}?');
SELECT textseq.save_template('last', 'Last note, {{ lead.first_name }}.');
SELECT textseq.create_sequence('drip', window_start => '00:00', window_end => '23:59:59') AS drip \gset
SELECT textseq.add_step('drip', 'hello');
SELECT textseq.add_step('drip', 'again', '1 day');
SELECT textseq.add_step('drip', 'last', '2 days');
UPDATE textseq.sequence SET opted_out_tag = 'sms-opted-out', invalid_tag = 'bad-number' WHERE name = 'drip';

-- The import list 100: one lead for every case.
CREATE TEMP TABLE l (name text PRIMARY KEY, id bigint);
INSERT INTO l SELECT n, textseq.add_lead(n, NULL, p) FROM (VALUES
	('ann', ARRAY['2015550101']),					-- textable
	('ben', ARRAY['2015550102']),					-- opted out
	('cat', ARRAY['2015550103']),					-- do not contact
	('dan', ARRAY['2015550104']),					-- landline
	('eve', ARRAY['2015550105']),					-- invalid
	('fay', '{}'::text[]),							-- no number at all
	('gus', ARRAY['2015550106', '2015550107']),	-- first opted out, second textable
	('hal', ARRAY['3125550108']),					-- Chicago: the Chicago sender
	('ivy', ARRAY['2015550109']),					-- already pending in drip
	('jay', ARRAY['2015550110'])) v(n, p);			-- deleted after the launch
INSERT INTO l VALUES ('out', textseq.add_lead('out', NULL, ARRAY['2015550111']));
UPDATE textseq.lead SET bulkimport_id = 100 WHERE id IN (SELECT id FROM l WHERE name <> 'out');
UPDATE textseq.lead SET bulkimport_id = 200 WHERE id = (SELECT id FROM l WHERE name = 'out');
SELECT textseq.opt_out('+12015550102', 'test'), textseq.opt_out('+12015550106', 'test');
UPDATE textseq.contact SET do_not_contact = true WHERE phone = '+12015550103';
UPDATE textseq.phone SET line_type = 'landline' WHERE e164 = '+12015550104';
UPDATE textseq.phone SET invalid = true WHERE e164 = '+12015550105';
SELECT textseq.enroll('drip', (SELECT id FROM l WHERE name = 'ivy')) AS ivy_enr \gset
CREATE TEMP VIEW st AS
SELECT l.name, m.state, m.enrollment_status::text AS enr,
	   (SELECT string_agg(x.status::text, ',' ORDER BY x.id) FROM textseq.message x
		 WHERE x.enrollment_id = m.enrollment_id) AS msg
  FROM textseq.bulk_members m JOIN l ON l.id = m.lead_id;

-- ---- errors ------------------------------------------------------------------------
SELECT throws_ok($$SELECT textseq.launch('drip')$$, '22023',
				 'a launch needs exactly one of smartlist, query and bulkimport_id', 'no list: 22023');
SELECT throws_ok($$SELECT textseq.launch('drip', query => 'x', bulkimport_id => 100)$$, '22023', NULL,
				 'two lists: 22023');
SELECT throws_ok($$SELECT textseq.launch('drip', smartlist => 'a', query => 'x', bulkimport_id => 1)$$, '22023', NULL,
				 'three lists: 22023');
SELECT throws_ok($$SELECT textseq.launch('nope', bulkimport_id => 100)$$, '42704', 'sequence "nope" does not exist',
				 'unknown sequence: 42704');
SELECT textseq.create_sequence('empty');
SELECT throws_ok($$SELECT textseq.launch('empty', bulkimport_id => 100)$$, '55000', 'sequence "empty" has no steps',
				 'a sequence without steps: 55000');
SELECT throws_ok($$SELECT textseq.launch('drip', bulkimport_id => 100, sender => 999)$$, '42704', NULL,
				 'unknown sender: 42704');
UPDATE textseq.sender SET active = false WHERE id = :il;
SELECT throws_ok(format('SELECT textseq.launch(%L, bulkimport_id => 100, sender => %s)', 'drip', :il), '42704', NULL,
				 'inactive sender: 42704');
UPDATE textseq.sender SET active = true WHERE id = :il;
SELECT throws_ok($$SELECT textseq.cancel_bulk(-1)$$, '42704', 'bulk -1 does not exist', 'cancel_bulk: unknown bulk');
SELECT throws_ok($$SELECT textseq.relaunch_incomplete(-1)$$, '42704', 'bulk -1 does not exist',
				 'relaunch_incomplete: unknown bulk');
SELECT is((SELECT count(*)::int FROM textseq.bulk), 0, 'nothing was recorded by the refused launches');

-- ---- launch: the snapshot ------------------------------------------------------------
SELECT textseq.launch('drip', bulkimport_id => 100) AS b1 \gset
SELECT is((SELECT status::text FROM textseq.bulk WHERE id = :b1), 'being_processed', 'launch returns at once: being_processed');
SELECT is((SELECT lead_count FROM textseq.bulk WHERE id = :b1), 10, 'the members are the import list''s leads');
SELECT is((SELECT chunk_count FROM textseq.bulk WHERE id = :b1), 3, 'stored in chunks of textseq.expand_chunk (4)');
SELECT is((SELECT array_agg(t.u ORDER BY c.chunk, t.o)::text
			 FROM textseq.bulk_chunk c, unnest(c.lead_ids) WITH ORDINALITY AS t(u, o) WHERE c.bulk_id = :b1),
		  (SELECT array_agg(id ORDER BY id)::text FROM l WHERE name <> 'out'), 'in lead id order');
SELECT is((SELECT source || ' / ' || bulkimport_id || ' / ' || query FROM textseq.bulk WHERE id = :b1),
		  'bulkimport_id 100 / 100 / lead.bulkimport_id = 100', 'the bulk says what it was launched to');
SELECT is((SELECT start_at FROM textseq.bulk WHERE id = :b1), '2026-11-23 17:00:00+00'::timestamptz,
		  'start_at defaults to now');
SELECT is((SELECT created_by::text FROM textseq.bulk WHERE id = :b1), current_user::text, 'created_by is the caller');
SELECT is((SELECT count(*)::int FROM textseq.enrollment WHERE bulk_id = :b1), 0, 'nothing is enrolled before expansion');
SELECT is((SELECT array_agg(DISTINCT state) FROM textseq.bulk_members WHERE bulk_id = :b1), ARRAY['waiting'],
		  'every member is waiting');
-- the list was snapshotted: later changes to it do not matter
UPDATE textseq.lead SET bulkimport_id = 100 WHERE id = (SELECT id FROM l WHERE name = 'out');
INSERT INTO l VALUES ('zed', textseq.add_lead('zed', NULL, ARRAY['2015550118']));
UPDATE textseq.lead SET bulkimport_id = 200 WHERE id = (SELECT id FROM l WHERE name = 'zed');
DELETE FROM textseq.lead WHERE id = (SELECT id FROM l WHERE name = 'jay');

-- ---- expansion -----------------------------------------------------------------------
SELECT is(textseq._expand_bulks(), 4, 'the worker step expands one chunk');
SELECT is((SELECT (status, expanded_chunks, expanded_count)::text FROM textseq.bulk WHERE id = :b1),
		  '(being_processed,1,4)', 'progress shows while it runs');
SELECT is((SELECT count(*)::int FROM textseq.bulk_members WHERE bulk_id = :b1 AND state = 'waiting'), 6,
		  'the rest waits');
SELECT is(textseq._expand_bulks(), 4, 'second chunk');
SELECT is(textseq._expand_bulks(), 2, 'last chunk');
SELECT is((SELECT status::text FROM textseq.bulk WHERE id = :b1), 'in_progress', 'all expanded: in_progress');
SELECT is((SELECT expanded_at FROM textseq.bulk WHERE id = :b1), '2026-11-23 17:00:00+00'::timestamptz, 'expanded_at');
SELECT is(textseq._expand_bulks(), 0, 'then the worker step finds nothing to do');

SELECT is((SELECT enr || ' ' || msg FROM st WHERE name = 'ann'), 'pending in_queue', 'a textable lead: first step queued');
SELECT is((SELECT enr || ' ' || msg FROM st WHERE name = 'ben'), 'omitted_opted_out omitted_opted_out', 'opted out');
SELECT is((SELECT enr || ' ' || msg FROM st WHERE name = 'cat'), 'canceled omitted_do_not_contact',
		  'do-not-contact: the message says so, the enrollment is canceled (as the claim does it)');
SELECT is((SELECT enr || ' ' || msg FROM st WHERE name = 'dan'), 'omitted_landline omitted_landline', 'landline');
SELECT is((SELECT enr || ' ' || msg FROM st WHERE name = 'eve'), 'omitted_invalid omitted_invalid', 'invalid');
SELECT is((SELECT enr || ' ' || msg FROM st WHERE name = 'fay'), 'omitted_invalid omitted_invalid',
		  'no number at all: omitted_invalid (as the claim does it)');
SELECT is((SELECT enr || ' ' || msg FROM st WHERE name = 'gus'), 'pending in_queue',
		  'a lead with a textable second number is enrolled');
SELECT is((SELECT state FROM st WHERE name = 'ivy'), 'already_pending', 'a lead pending in the sequence is skipped');
SELECT is((SELECT count(*)::int FROM textseq.enrollment WHERE lead_id = (SELECT id FROM l WHERE name = 'ivy')), 1,
		  'and keeps its one enrollment');
SELECT is((SELECT state FROM st WHERE name = 'jay'), 'deleted_lead', 'a lead deleted before expansion');
SELECT is((SELECT count(*)::int FROM textseq.enrollment WHERE lead_id = (SELECT id FROM l WHERE name = 'jay'))
		  + (SELECT count(*)::int FROM textseq.message WHERE lead_id = (SELECT id FROM l WHERE name = 'jay')), 0,
		  'is never enrolled nor texted');
SELECT is((SELECT (skipped_count, expanded_count)::text FROM textseq.bulk WHERE id = :b1),
		  '(1,10)', 'skipped_count and expanded_count');
SELECT is((SELECT deleted_leads_count FROM textseq.bulk_stats WHERE bulk_id = :b1 AND step IS NULL), 1::bigint,
		  'the deleted lead counts in bulk_stats.deleted_leads_count');
SELECT is((SELECT (in_queue, omitted_opted_out, omitted_do_not_contact, omitted_landline, omitted_invalid)::text
			 FROM textseq.bulk_stats WHERE bulk_id = :b1 AND step = 1), '(3,1,1,1,2)',
		  'bulk_stats counts the first step''s messages as they are queued or omitted');
SELECT is((SELECT count(*)::int FROM st WHERE name = 'out'), 0, 'a lead added to the list after the launch is not a member');
SELECT is((SELECT count(*)::int FROM textseq.bulk_members WHERE bulk_id = :b1), 10, 'each member once');
SELECT is((SELECT count(*)::int FROM textseq.bulk_members m WHERE m.bulk_id = :b1
			 AND (m.enrollment_id IS NOT NULL) = (m.state IN ('already_pending', 'deleted_lead'))), 0,
		  'every member has exactly one enrollment, or a reason why not');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE bulk_id = :b1), 8, 'one message per enrollment: the first step only');
SELECT is((SELECT array_agg(DISTINCT (due_at, expires_at - due_at, template_version, step)::text)
			 FROM textseq.message WHERE bulk_id = :b1),
		  ARRAY['("2026-11-23 17:00:00+00","1 day 12:00:00",1,1)'], 'due at start_at, expiring 36 h later, the current template');
SELECT is((SELECT m.sender_id || m.signature FROM textseq.message m JOIN l ON l.id = m.lead_id WHERE l.name = 'hal'),
		  :il || '-- Acme IL', 'a Chicago lead gets the Chicago sender and its signature');
SELECT is((SELECT m.sender_id || m.signature FROM textseq.message m JOIN l ON l.id = m.lead_id WHERE l.name = 'ann'),
		  :nj || '-- Acme NJ', 'a New Jersey lead the New Jersey one');
SELECT is((SELECT count(DISTINCT idempotency_key)::int FROM textseq.message WHERE bulk_id = :b1), 8,
		  'every message has its own idempotency key');
SELECT is((SELECT array_agg(DISTINCT enrolled_by::text) FROM textseq.enrollment WHERE bulk_id = :b1),
		  ARRAY[current_user::text], 'enrolled_by is who launched, not the worker');
SELECT is((SELECT array_agg(l.name ORDER BY l.name) FROM textseq.lead x JOIN l ON l.id = x.id
			WHERE 'sms-opted-out' = ANY(x.tags)), ARRAY['ben'], 'the sequence''s opted_out_tag');
SELECT is((SELECT array_agg(l.name ORDER BY l.name) FROM textseq.lead x JOIN l ON l.id = x.id
			WHERE 'bad-number' = ANY(x.tags)), ARRAY['eve', 'fay'], 'the sequence''s invalid_tag');
-- what the claim makes of them
SELECT is((SELECT string_agg(c.to_phone, ',' ORDER BY c.to_phone) FROM textseq.claim(20) c
			WHERE c.message_id IN (SELECT id FROM textseq.message WHERE bulk_id = :b1)),
		  '+12015550101,+12015550107,+13125550108', 'the claim sends the enrolled ones (gus on his second number)');

-- ---- wait => true, start_at, sender, an empty list, a wait_reply first step ------------
SELECT textseq.create_sequence('other', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('other', 'hello', '1 hour');
SELECT textseq.launch('other', bulkimport_id => 100, start_at => '2026-11-24 09:00:00+00', sender => :il,
					  wait => true) AS b2 \gset
SELECT is((SELECT (status, lead_count, expanded_count)::text FROM textseq.bulk WHERE id = :b2),
		  '(in_progress,10,10)', 'wait => true: expanded in the caller''s transaction');
SELECT is((SELECT array_agg(DISTINCT (due_at, sender_id)::text) FROM textseq.message WHERE bulk_id = :b2),
		  ARRAY[format('("2026-11-24 10:00:00+00",%s)', :il)], 'start_at plus the step''s delay; the sender given');
SELECT is((SELECT array_agg(l.name ORDER BY l.name) FROM textseq.bulk_members m JOIN l ON l.id = m.lead_id
			WHERE m.bulk_id = :b2 AND l.name IN ('jay', 'out')), ARRAY['out'],
		  'the launch took the list as it is now (jay gone, out added)');
SELECT textseq.launch('other', bulkimport_id => 999) AS b3 \gset
SELECT is((SELECT (status, lead_count)::text FROM textseq.bulk WHERE id = :b3), '(in_progress,0)',
		  'an empty list: nothing to send, in_progress at once');
SELECT textseq.create_sequence('ask');
SELECT textseq.add_wait_step('ask', '2 hours');
SELECT textseq.add_step('ask', 'hello');
SELECT textseq.launch('ask', bulkimport_id => 200, wait => true) AS b4 \gset
SELECT is((SELECT (e.status, e.wait_until)::text FROM textseq.enrollment e WHERE e.bulk_id = :b4),
		  '(pending,"2026-11-23 19:00:00+00")', 'a first step that waits for a reply: no message, wait_until set');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE bulk_id = :b4), 0, 'and nothing queued');

-- ---- a failing expansion is kept aside and retried ------------------------------------
SELECT textseq.create_sequence('fragile', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('fragile', 'hello');
SELECT textseq.launch('fragile', bulkimport_id => 200) AS b5 \gset
DELETE FROM textseq.step WHERE sequence_id = (SELECT id FROM textseq.sequence WHERE name = 'fragile');
SET LOCAL client_min_messages = error;   -- its WARNING
SELECT is(textseq._expand_bulks(), 0, 'a bulk whose sequence lost its steps cannot expand');
SET LOCAL client_min_messages = warning;
SELECT is((SELECT (status, expand_error, expand_retry_at)::text FROM textseq.bulk WHERE id = :b5),
		  '(being_processed,"sequence ""fragile"" has no steps (55000)","2026-11-23 17:01:00+00")',
		  'the error is kept on the bulk, retried a minute later');
SELECT textseq.add_step('fragile', 'hello');
SELECT is(textseq._expand_bulks(), 0, 'not before then');
SET LOCAL textseq.test_now = '2026-11-23 17:01:00+00';
SELECT is(textseq._expand_bulks(), 1, 'then it goes on');
SELECT is((SELECT (status, expand_error)::text FROM textseq.bulk WHERE id = :b5), '(in_progress,)', 'and the error is gone');
SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';

-- ---- cancel_bulk ---------------------------------------------------------------------
SELECT count(*) FROM textseq.claim(100) \gset
-- before expansion ends: chunk 1 (8 members) expanded, chunk 2 (ivy, out) not
SELECT textseq.create_sequence('c1', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('c1', 'again');
SELECT textseq.add_step('c1', 'last', '1 day');
SET LOCAL textseq.expand_chunk = 8;
SELECT textseq.launch('c1', bulkimport_id => 100) AS b6 \gset
SET LOCAL textseq.expand_chunk = 4;
SELECT textseq._expand_bulks();
SELECT is((SELECT count(*)::int FROM textseq.message WHERE bulk_id = :b6 AND status = 'in_queue'), 3,
		  'c1: chunk 1 queued three messages (ann, gus, hal; the rest omitted)');
SELECT is((SELECT count(*)::int FROM textseq.claim(1) c JOIN textseq.message m ON m.id = c.message_id
			WHERE m.bulk_id = :b6), 1, 'c1: one of them is being sent');
SELECT is(textseq.cancel_bulk(:b6), 4, 'cancel_bulk counts the two waiting messages and the 2 unexpanded members');
SELECT is((SELECT (status, canceled_at, canceled_by)::text FROM textseq.bulk WHERE id = :b6),
		  format('(canceled,"2026-11-23 17:00:00+00",%s)', current_user), 'the bulk is canceled, with when and who');
SELECT is((SELECT array_agg(status::text ORDER BY status) FROM textseq.message
			WHERE bulk_id = :b6 AND status IN ('sending', 'canceled')), ARRAY['sending', 'canceled', 'canceled'],
		  'the message being sent is left alone, the waiting ones canceled');
SELECT is((SELECT count(*)::int FROM textseq.bulk_members WHERE bulk_id = :b6 AND state = 'canceled'), 2,
		  'the unexpanded members are canceled');
SELECT is(textseq._expand_bulks(), 0, 'and never expanded');
SELECT is((SELECT count(*)::int FROM textseq.enrollment WHERE bulk_id = :b6 AND status = 'pending'), 0,
		  'no enrollment goes on (the one in flight gets no next step)');
SELECT is(textseq.cancel_bulk(:b6), 0, 'canceling twice cancels nothing more');
-- after expansion: nothing already sent is touched
SELECT textseq.create_sequence('c2', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('c2', 'last');
SELECT textseq.launch('c2', bulkimport_id => 100, wait => true) AS b7 \gset
SELECT count(*) FROM textseq.claim(1) \gset
SELECT is((SELECT array_agg(status::text ORDER BY status) FROM textseq.message WHERE bulk_id = :b7 AND status IN ('in_queue', 'sending')),
		  ARRAY['in_queue', 'in_queue', 'in_queue', 'in_queue', 'sending'], 'c2: four queued, one being sent');
SELECT is(textseq.cancel_bulk(:b7), 4, 'cancel_bulk after expansion cancels the four waiting');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE bulk_id = :b7 AND status = 'sending'), 1, 'not the one being sent');
SELECT is((SELECT count(*)::int FROM textseq.message WHERE bulk_id = :b7 AND status::text LIKE 'omitted%'), 5,
		  'nor the omitted ones');
UPDATE textseq.bulk SET status = 'done' WHERE id = :b4;   -- (as the sweep closes a finished bulk)
SELECT is(textseq.cancel_bulk(:b4), 0, 'canceling a done bulk cancels nothing, and it stays done');

-- ---- relaunch_incomplete ---------------------------------------------------------------
-- after an expiry: ra's first step goes out, rb's expires, rc replies, rd is canceled by hand, re opted out
SELECT textseq.save_template('r1a', 'R1 first {{ lead.first_name }}');
SELECT textseq.save_template('r1b', 'R1 second {{ lead.first_name }}');
SELECT textseq.create_sequence('r1', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('r1', 'r1a');
SELECT textseq.add_step('r1', 'r1b', '3 days');
INSERT INTO l SELECT n, textseq.add_lead(n, NULL, ARRAY[p])
  FROM (VALUES ('ra', '2015550113'), ('rb', '2015550114'), ('rc', '2015550115'), ('rd', '2015550116'),
			   ('re', '2015550117')) v(n, p);
UPDATE textseq.lead SET bulkimport_id = 300 WHERE id IN (SELECT id FROM l WHERE name LIKE 'r_');
SELECT textseq.opt_out('+12015550117', 'test');
SELECT textseq.launch('r1', bulkimport_id => 300, wait => true) AS r1 \gset
UPDATE textseq.message SET run_at = run_at + interval '1 minute'
 WHERE bulk_id = :r1 AND lead_id <> (SELECT id FROM l WHERE name = 'ra');
SELECT count(*) FROM textseq.claim(100) \gset
SELECT textseq.record_results(ARRAY(SELECT id FROM textseq.message WHERE bulk_id = :r1 AND status = 'sending'),
							  ARRAY['outbox']::textseq.message_status[], ARRAY['SM00000000000000000000000000000r1a']);
SELECT textseq._finish_enrollments(ARRAY(SELECT e.id FROM textseq.enrollment e JOIN l ON l.id = e.lead_id
										   WHERE e.bulk_id = :r1 AND l.name = 'rc'), 'finished_responded');
SELECT textseq.cancel(e.id) FROM textseq.enrollment e JOIN l ON l.id = e.lead_id WHERE e.bulk_id = :r1 AND l.name = 'rd';
SET LOCAL textseq.test_now = '2026-11-25 06:00:00+00';   -- rb's first step is 37 h old
SELECT count(*) FROM textseq.claim(100) \gset
SELECT is((SELECT m.status::text FROM textseq.message m JOIN l ON l.id = m.lead_id WHERE m.bulk_id = :r1 AND l.name = 'rb'),
		  'expired', 'r1: rb''s first step expired');
SELECT is((SELECT array_agg(l.name ORDER BY l.name) FROM textseq._bulk_incomplete_leads(:r1) i JOIN l ON l.id = i),
		  ARRAY['rb', 'rd'], 'the incomplete leads: expired and canceled, not who replied nor the opted out');
SELECT is((SELECT m.status::text FROM textseq.message m JOIN l ON l.id = m.lead_id
			WHERE m.bulk_id = :r1 AND l.name = 'ra' AND m.step = 2), 'in_queue', 'ra is on her way');
SELECT textseq.relaunch_incomplete(:r1) AS r2 \gset
SELECT is((SELECT (status, relaunch_of, source, sequence_id = (SELECT id FROM textseq.sequence WHERE name = 'r1'))::text
			 FROM textseq.bulk WHERE id = :r2),
		  format('(being_processed,%s,"relaunch of bulk %s",t)', :r1, :r1), 'relaunch: a new bulk of the same sequence');
SELECT is((SELECT array_agg(l.name ORDER BY l.name) FROM textseq.bulk_members m JOIN l ON l.id = m.lead_id WHERE m.bulk_id = :r2),
		  ARRAY['rb', 'rd'], 'to exactly the leads who missed steps');
SELECT textseq._expand_bulks();
SELECT is((SELECT array_agg(DISTINCT (step, status, due_at)::text) FROM textseq.message WHERE bulk_id = :r2),
		  ARRAY['(1,in_queue,"2026-11-25 06:00:00+00")'], 'from the first step, now');
-- after a cancel: ra got step 1, her step 2 is canceled
SELECT textseq.cancel_bulk(:r1);
SELECT is((SELECT array_agg(l.name ORDER BY l.name) FROM textseq._bulk_incomplete_leads(:r1) i JOIN l ON l.id = i),
		  ARRAY['ra', 'rb', 'rd'], 'after cancel_bulk: ra missed her second step');
-- canceled before expansion: members never expanded count too
SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';
SELECT textseq.save_template('r3a', 'R3 {{ lead.first_name }}');
SELECT textseq.create_sequence('r3', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('r3', 'r3a');
SELECT count(*) FROM textseq.claim(100) \gset
SELECT textseq.launch('r3', bulkimport_id => 100) AS r3 \gset
SELECT textseq._expand_bulks();
SELECT is((SELECT count(*)::int FROM textseq.claim(100) c JOIN textseq.message m ON m.id = c.message_id
			WHERE m.bulk_id = :r3), 1, 'r3: chunk 1 (ann, ben, cat, dan) sends ann''s text');
SELECT textseq.record_results(ARRAY(SELECT id FROM textseq.message WHERE bulk_id = :r3 AND status = 'sending'),
							  ARRAY['outbox']::textseq.message_status[], ARRAY['SM00000000000000000000000000000r3a']);
SELECT is(textseq.cancel_bulk(:r3), 6, 'r3: canceled with two chunks unexpanded');
SELECT is((SELECT array_agg(l.name ORDER BY l.name) FROM textseq._bulk_incomplete_leads(:r3) i JOIN l ON l.id = i),
		  ARRAY['eve', 'fay', 'gus', 'hal', 'ivy', 'out'],
		  'canceled before expansion: the members never expanded (not ann, who got it, nor the omitted)');
SELECT textseq.relaunch_incomplete(:r3) AS r4 \gset
SELECT is((SELECT lead_count FROM textseq.bulk WHERE id = :r4), 6, 'the relaunch snapshots them');
SELECT count(*) FROM (SELECT textseq._expand_bulks() FROM generate_series(1, 3)) x;

-- ---- who may launch -----------------------------------------------------------------------
CREATE ROLE ts_launch_user LOGIN IN ROLE textseq_user;
CREATE ROLE ts_launch_nobody LOGIN;
GRANT USAGE ON SCHEMA textseq TO ts_launch_nobody;
SET LOCAL ROLE ts_launch_nobody;
SELECT throws_ok($$SELECT textseq.launch('drip', bulkimport_id => 100)$$, '42501', NULL, 'a plain login may not launch');
RESET ROLE;
SET LOCAL ROLE ts_launch_user;
SELECT textseq.create_sequence('mine', window_start => '00:00', window_end => '23:59:59');
SELECT textseq.add_step('mine', 'hello');
SELECT textseq.launch('mine', bulkimport_id => 200) AS u1 \gset
SELECT is((SELECT created_by::text FROM textseq.bulk WHERE id = :u1), 'ts_launch_user', 'user: launch records who launched');
SELECT throws_ok($$SELECT textseq._expand_bulks()$$, '42501', NULL, 'user: may not run the worker''s step');
SELECT throws_ok(format('SELECT textseq._expand_chunk(%s)', :u1), '42501', NULL, 'user: nor expand a chunk');
SELECT throws_ok(format('SELECT textseq._snapshot_members(%s, %L, 10)', :u1, 'lead.bulkimport_id = 100'), '42501', NULL,
				 'user: nor add members to a bulk');
SELECT throws_ok(format('INSERT INTO textseq.bulk_chunk VALUES (%s, 99, %L)', :u1, '{1}'), '42501', NULL,
				 'user: nor write members');
SELECT throws_ok(format('UPDATE textseq.bulk SET status = %L WHERE id = %s', 'canceled', :u1), '42501', NULL,
				 'user: nor change a bulk''s status');
SELECT lives_ok($$SELECT * FROM textseq.bulk_members$$, 'user: read the members');
RESET ROLE;
SELECT textseq._expand_bulks();
SELECT is((SELECT enrolled_by::text FROM textseq.enrollment WHERE bulk_id = :u1), 'ts_launch_user',
		  'the worker''s expansion records who launched as enrolled_by');
SET LOCAL ROLE ts_launch_user;
SELECT is(textseq.cancel_bulk(:u1), 1, 'user: cancel_bulk');
SELECT is((SELECT canceled_by::text FROM textseq.bulk WHERE id = :u1), 'ts_launch_user', 'canceled_by is the caller');
SELECT lives_ok(format('SELECT textseq.relaunch_incomplete(%s)', :u1), 'user: relaunch_incomplete');
RESET ROLE;

-- ---- row-level security: the list is read as the caller ------------------------------------
ALTER TABLE textseq.lead ENABLE ROW LEVEL SECURITY;
CREATE POLICY launch_mine ON textseq.lead TO ts_launch_user USING (fields ->> 'owner' = 'me');
CREATE POLICY launch_others ON textseq.lead USING (current_user <> 'ts_launch_user');
UPDATE textseq.lead SET fields = '{"owner": "me"}' WHERE id IN (SELECT id FROM l WHERE name IN ('ann', 'hal'));
SET LOCAL ROLE ts_launch_user;
SELECT is((SELECT count(*)::int FROM textseq.lead WHERE bulkimport_id = 100), 2, 'rls: the user sees two of the list''s leads');
SELECT textseq.launch('mine', bulkimport_id => 100, wait => true) AS u2 \gset
RESET ROLE;
SELECT is((SELECT array_agg(l.name ORDER BY l.name) FROM textseq.bulk_members m JOIN l ON l.id = m.lead_id WHERE m.bulk_id = :u2),
		  ARRAY['ann', 'hal'], 'rls: a launch reaches only the leads the caller may see');
SELECT is((SELECT count(*)::int FROM textseq.enrollment WHERE bulk_id = :u2), 2, 'rls: and enrolls those');
-- the caller's identity is restored when the list cannot be read
CREATE SCHEMA ts_launch_test;
GRANT USAGE ON SCHEMA ts_launch_test TO ts_launch_user;
CREATE FUNCTION ts_launch_test.boom(id bigint) RETURNS boolean LANGUAGE sql AS $$ SELECT 1 / (id - id) = 1 $$;
CREATE POLICY launch_boom ON textseq.lead AS RESTRICTIVE TO ts_launch_user USING (ts_launch_test.boom(id));
SET LOCAL ROLE ts_launch_user;
SELECT throws_ok($$SELECT textseq.launch('mine', bulkimport_id => 100)$$, '22012', NULL,
				 'rls: an error reading the list fails the launch');
SELECT is(current_user::text, 'ts_launch_user', 'and leaves the caller''s identity as it was');
SELECT throws_ok($$UPDATE textseq.bulk SET status = 'canceled'$$, '42501', NULL, 'with no privilege left over');
RESET ROLE;
DROP POLICY launch_boom ON textseq.lead;
ALTER TABLE textseq.lead DISABLE ROW LEVEL SECURITY;

-- ---- guards -------------------------------------------------------------------------------
SELECT is_empty($$SELECT tgname FROM pg_trigger WHERE tgrelid = 'textseq.enrollment'::regclass
					AND NOT tgisinternal AND tgtype & 4 <> 0 AND tgenabled <> 'A'$$,
				'no trigger on enrollment INSERT that bulk expansion would skip (make it ENABLE ALWAYS)');

-- ---- smartlists and queries --------------------------------------------------------------
SELECT textseq.launch('other', query => 'lead.bulkimport_id = 200', wait => true) AS q1 \gset
SELECT is((SELECT (source, query, lead_count)::text FROM textseq.bulk WHERE id = :q1),
		  '("query lead.bulkimport_id = 200","lead.bulkimport_id = 200",1)', 'query: launched to the query''s leads');
SELECT textseq.save_smartlist('list 100', 'lead.bulkimport_id = 100');
SELECT textseq.launch('other', smartlist => 'list 100') AS q2 \gset
SELECT is((SELECT (source, smartlist, query, lead_count)::text FROM textseq.bulk WHERE id = :q2),
		  '("smartlist ""list 100""","list 100","lead.bulkimport_id = 100",10)', 'smartlist: its query, snapshotted');
SELECT throws_ok($$SELECT textseq.launch('other', smartlist => 'nope')$$, '42704', 'smartlist "nope" does not exist',
				 'unknown smartlist: 42704');
SELECT throws_ok($$SELECT textseq.launch('other', query => 'lead.bulkimport_id = = 1')$$, '42601', NULL,
				 'a bad query: its syntax error');
SELECT throws_ok($$SELECT textseq.launch('other', query => 'nosuch = 1')$$, '42703', NULL,
				 'an unknown field: 42703');
SELECT is((SELECT (query, lead_count)::text FROM textseq.bulk WHERE id = :r2), '("bulk.incomplete = ' || :r1 || '",2)',
		  'a relaunch is the query bulk.incomplete = <bulk>');

SELECT * FROM finish();
ROLLBACK;
