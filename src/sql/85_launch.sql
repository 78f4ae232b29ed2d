-- 85_launch.sql: bulk launches (SPEC section 8): launch a sequence to a
-- smartlist, a query or a bulk-import list; expand the launch into
-- enrollments and first messages in committed chunks; cancel; relaunch to
-- the leads who missed steps.
--
-- launch() snapshots the lead set as the bulk's members with the caller's
-- privileges (row-level security on the lead table applies: src/fn/launch.c)
-- and returns at once, status being_processed.  Every list is a smartlist
-- query (a bulk import is lead.bulkimport_id = N, a relaunch
-- bulk.incomplete = N), so the lead relation is read where the query
-- language reads it (textseq._lead_source).  Members are stored in
-- chunks (textseq.bulk_chunk: one row per textseq.expand_chunk leads, in
-- lead id order), so a million of them cost a hundred rows.  The dispatch
-- worker expands one chunk per transaction (src/worker/expand.c calls
-- textseq._expand_bulks): its enrollments, first messages and the bulk's
-- cursor (expanded_chunks) commit together, so a worker killed in the
-- middle redoes that chunk, and no member is expanded twice or skipped.
-- When no chunk is left the bulk moves to in_progress.
-- Must not: enroll leads one call at a time (everything here is set-based),
-- or read the lead set with the owner's privileges.

-- ---- schema -----------------------------------------------------------------------
-- What a launch was given, how far its expansion got, and its cancellation.
ALTER TABLE textseq.bulk
	ADD COLUMN smartlist text,
	ADD COLUMN query text,
	ADD COLUMN bulkimport_id bigint,
	ADD COLUMN relaunch_of bigint REFERENCES textseq.bulk (id),
	ADD COLUMN chunk_count int NOT NULL DEFAULT 0,
	ADD COLUMN expanded_chunks int NOT NULL DEFAULT 0,
	ADD COLUMN expanded_count int NOT NULL DEFAULT 0,
	ADD COLUMN skipped_count int NOT NULL DEFAULT 0,
	ADD COLUMN expanded_at timestamptz,
	ADD COLUMN expand_error text,
	ADD COLUMN expand_retry_at timestamptz,
	ADD COLUMN canceled_at timestamptz,
	ADD COLUMN canceled_by name;
CREATE INDEX bulk_being_processed_idx ON textseq.bulk (id) WHERE status = 'being_processed';
COMMENT ON COLUMN textseq.bulk.source IS
	'What the launch was given, for people: smartlist "name", query ..., bulkimport_id N or relaunch of bulk N';
COMMENT ON COLUMN textseq.bulk.lead_count IS 'Members: leads in the list when it was launched';
COMMENT ON COLUMN textseq.bulk.chunk_count IS 'Chunks the members are stored in (textseq.bulk_chunk)';
COMMENT ON COLUMN textseq.bulk.expanded_chunks IS
	'Expansion cursor: chunks 1 to this one are expanded into enrollments and messages';
COMMENT ON COLUMN textseq.bulk.expanded_count IS 'Members expanded so far (enrolled, omitted or skipped)';
COMMENT ON COLUMN textseq.bulk.skipped_count IS
	'Members skipped at expansion because the lead was already pending in the sequence';
COMMENT ON COLUMN textseq.bulk.expand_error IS
	'Why the last expansion attempt failed (retried at expand_retry_at); NULL once a chunk succeeds';

-- The lead set of a launch, snapshotted when it was launched: distinct lead
-- ids in order, textseq.expand_chunk of them a row; a row is the unit of
-- expansion.  No foreign key: chunks are written only by launch, in the
-- bulk's own transaction.
CREATE TABLE textseq.bulk_chunk (
	bulk_id bigint NOT NULL,
	chunk int NOT NULL CHECK (chunk >= 1),
	lead_ids bigint[] NOT NULL,
	PRIMARY KEY (bulk_id, chunk)
);
-- written once, read once: not worth compressing
ALTER TABLE textseq.bulk_chunk ALTER COLUMN lead_ids SET STORAGE EXTERNAL;
COMMENT ON TABLE textseq.bulk_chunk IS
	'Members of a bulk launch (snapshot at launch), in lead id order, one expansion chunk a row; '
	'see textseq.bulk_members';

-- Members that got no enrollment at expansion, and why.
CREATE TYPE textseq.member_skip AS ENUM ('already_pending', 'deleted_lead');
COMMENT ON TYPE textseq.member_skip IS 'Why a bulk member got no enrollment at expansion';
CREATE TABLE textseq.bulk_skip (
	bulk_id bigint NOT NULL,
	lead_id bigint NOT NULL,
	reason textseq.member_skip NOT NULL,
	PRIMARY KEY (bulk_id, lead_id)
);
COMMENT ON TABLE textseq.bulk_skip IS
	'Bulk members skipped at expansion: already pending in the sequence, or lead deleted since the launch';

-- Members with their state: waiting (not expanded yet), canceled (the bulk
-- was canceled first), expanded (see the enrollment and its status, an
-- omitted_* one when the lead had no textable number), already_pending,
-- deleted_lead.
CREATE VIEW textseq.bulk_members AS
SELECT c.bulk_id, u.lead_id,
	   CASE WHEN s.reason IS NOT NULL THEN s.reason::text
			WHEN c.chunk > b.expanded_chunks THEN
				CASE WHEN b.status = 'canceled' THEN 'canceled' ELSE 'waiting' END
			ELSE 'expanded' END AS state,
	   e.id AS enrollment_id, e.status AS enrollment_status
  FROM textseq.bulk_chunk c
  JOIN textseq.bulk b ON b.id = c.bulk_id
 CROSS JOIN LATERAL unnest(c.lead_ids) AS u(lead_id)
  LEFT JOIN textseq.bulk_skip s ON s.bulk_id = c.bulk_id AND s.lead_id = u.lead_id
  LEFT JOIN textseq.enrollment e ON e.bulk_id = c.bulk_id AND e.lead_id = u.lead_id;
COMMENT ON VIEW textseq.bulk_members IS
	'Bulk members and their state: waiting, canceled, expanded (with the enrollment), already_pending, deleted_lead';

-- The numbers a bulk may not text, found without reading every phone row
-- (a handful among many): what the expansion probes for each member.
CREATE INDEX phone_untextable_idx ON textseq.phone (e164)
	WHERE opted_out OR invalid OR line_type = 'landline';

-- ---- launch ------------------------------------------------------------------------

-- The sender rule of textseq._pick_sender, set-based: the bulk's sender,
-- else an active sender with the recipient's area code, else the first.
CREATE FUNCTION textseq._bulk_senders(wanted int)
RETURNS TABLE (prefix text, sender_id int)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF wanted IS NOT NULL THEN
		RETURN QUERY SELECT NULL::text, textseq._pick_sender(NULL, wanted);
		RETURN;
	END IF;
	RETURN QUERY
		SELECT NULL::text, min(s.id) FROM textseq.sender s WHERE s.active HAVING min(s.id) IS NOT NULL
		UNION ALL
		SELECT DISTINCT ON (left(s.phone_number, 5)) left(s.phone_number, 5), s.id
		  FROM textseq.sender s
		 WHERE s.active AND s.phone_number LIKE '+1%'
		 ORDER BY 1, 2;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no active sender to send from'
			USING ERRCODE = 'undefined_object', HINT = 'Add one with textseq.add_sender().';
	END IF;
END
$$;
COMMENT ON FUNCTION textseq._bulk_senders(int) IS
	'Internal: the senders a bulk picks from: (NULL, default) and (area code prefix, sender) pairs';

-- Which of a contact's numbers is textable, as the claim's gate decides it:
-- 0 textable, else the reason (1 opted out, 2 do-not-contact, 3 landline, 4 invalid).
CREATE FUNCTION textseq._contact_reason(opted_out boolean, do_not_contact boolean,
										line_type text, invalid boolean) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE WHEN opted_out THEN 1 WHEN do_not_contact THEN 2
				WHEN line_type = 'landline' THEN 3 WHEN invalid THEN 4 ELSE 0 END
$$;
COMMENT ON FUNCTION textseq._contact_reason(boolean, boolean, text, boolean) IS
	'Internal: 0 when a bulk may text this number, else why not (1 opted out, 2 do-not-contact, 3 landline, 4 invalid)';

-- Snapshot the lead set as the bulk's members: the leads of a smartlist
-- query, read with the caller's privileges (C: src/fn/launch.c), stored in
-- chunks of the given size.  Returns the member count.
CREATE FUNCTION textseq._snapshot_members(bulk bigint, query text, chunk int) RETURNS bigint
	AS 'MODULE_PATHNAME', 'textseq_launch_snapshot' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION textseq._snapshot_members(bigint, text, int) IS
	'Internal: store the leads of a smartlist query as a bulk''s members, read as the caller';

-- Insert a chunk's enrollments, the foreign-key checks of every row left
-- out: the caller checked and locked the referenced sequence, sender and
-- bulk rows once for the chunk (what the per-row checks would do, at a
-- third of the insert's cost).  session_replication_role = replica is what
-- skips them, and with them any user trigger on enrollment INSERT:
-- test/sql/launch.sql fails if such a trigger appears (make it ENABLE
-- ALWAYS, or do its work here).  A lead already pending in the sequence
-- gets none (the one pending enrollment per sequence and lead): the chunk
-- is first inserted plainly (two thirds of the cost of an insert with ON
-- CONFLICT, whose speculative insertion writes every row twice), and when
-- the unique index refuses a row -- a lead pending already, or pending in a
-- concurrent launch that committed meanwhile -- redone with ON CONFLICT DO
-- NOTHING.  (Looking the pending ones up first cost a probe a row, and a
-- planner misled by a freshly truncated table made it a scan a row.)
CREATE FUNCTION textseq._insert_enrollments(seq bigint, bulk bigint, step int, at_ts timestamptz,
											by_role name, wait_until timestamptz, lead_ids bigint[],
											sender_ids int[], statuses textseq.enrollment_status[],
											OUT ids bigint[], OUT leads bigint[])
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET session_replication_role = replica AS $$
#variable_conflict use_variable
BEGIN
	BEGIN
		WITH ins AS (
			INSERT INTO textseq.enrollment AS e (sequence_id, lead_id, bulk_id, sender_id, status, current_step,
												 enrolled_at, enrolled_by, wait_until, finished_at)
			SELECT seq, x.lead_id, bulk, x.sender_id, x.status, step, at_ts, by_role,
				   CASE WHEN x.status = 'pending' THEN wait_until END,
				   CASE WHEN x.status <> 'pending' THEN at_ts END
			  FROM unnest(lead_ids, sender_ids, statuses) AS x(lead_id, sender_id, status)
			RETURNING e.id, e.lead_id
		)
		-- in the order of the input (rows are inserted, and returned, in it)
		SELECT array_agg(ins.id), array_agg(ins.lead_id) INTO ids, leads FROM ins;
	EXCEPTION WHEN unique_violation THEN
		WITH ins AS (
			INSERT INTO textseq.enrollment AS e (sequence_id, lead_id, bulk_id, sender_id, status, current_step,
												 enrolled_at, enrolled_by, wait_until, finished_at)
			SELECT seq, x.lead_id, bulk, x.sender_id, x.status, step, at_ts, by_role,
				   CASE WHEN x.status = 'pending' THEN wait_until END,
				   CASE WHEN x.status <> 'pending' THEN at_ts END
			  FROM unnest(lead_ids, sender_ids, statuses) AS x(lead_id, sender_id, status)
			ON CONFLICT (sequence_id, lead_id) WHERE status = 'pending' DO NOTHING
			RETURNING e.id, e.lead_id
		)
		SELECT array_agg(ins.id), array_agg(ins.lead_id) INTO ids, leads FROM ins;
	END;
END
$$;
COMMENT ON FUNCTION textseq._insert_enrollments(bigint, bigint, int, timestamptz, name, timestamptz, bigint[], int[], textseq.enrollment_status[]) IS
	'Internal: insert a chunk''s enrollments (foreign keys checked by the caller once for the chunk, '
	'leads pending in the sequence left out); returns the ids and leads of those inserted, in input order';

-- The members of a chunk as aligned arrays, in lead id order: the lead,
-- its sender (the bulk's, else by area code), why it cannot be texted (0:
-- it can; 1 opted out, 2 do-not-contact, 3 landline, 4 invalid or no
-- number) with the number it would use, and its place in the chunk; and
-- the members whose lead was deleted.  The senders are locked for the
-- enrollments that will refer to them (_insert_enrollments).
CREATE FUNCTION textseq._chunk_members(ids bigint[], wanted_sender int,
									   OUT lead_ids bigint[], OUT sender_ids int[], OUT reasons int[],
									   OUT phones text[], OUT places bigint[], OUT gone bigint[])
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
	dflt int;
	area_prefix text[];
	area_sender int[];
	nocontact bigint[];
	lookup text;
BEGIN
	SELECT max(x.sender_id) FILTER (WHERE x.prefix IS NULL),
		   array_agg(x.prefix) FILTER (WHERE x.prefix IS NOT NULL),
		   array_agg(x.sender_id) FILTER (WHERE x.prefix IS NOT NULL)
	  INTO dflt, area_prefix, area_sender
	  FROM textseq._bulk_senders(wanted_sender) x;
	PERFORM 1 FROM textseq.sender s WHERE s.id = dflt OR s.id = ANY(area_sender) FOR KEY SHARE;

	-- per member: its first textable number, else the weightiest reason
	-- (untextable numbers are few, found by a partial index)
	WITH reasons AS (
		SELECT x.lead_id, x.ord, c.phone, c.position,
			   CASE WHEN c.lead_id IS NULL THEN 4
					ELSE textseq._contact_reason(p.opted_out, c.do_not_contact, p.line_type, p.invalid) END AS reason
		  FROM unnest(ids) WITH ORDINALITY AS x(lead_id, ord)
		  -- an index probe per member (OFFSET 0 keeps the planner from hashing every contact)
		  LEFT JOIN LATERAL (SELECT * FROM textseq.contact c1 WHERE c1.lead_id = x.lead_id OFFSET 0) c ON true
		  LEFT JOIN textseq.phone p
			ON p.e164 = c.phone AND (p.opted_out OR p.invalid OR p.line_type = 'landline')
	), cand AS (
		SELECT DISTINCT ON (r.lead_id) r.*
		  FROM reasons r ORDER BY r.lead_id, r.reason <> 0, r.reason, r.position
	)
	-- (the arrays are aligned: one pass fills them all, in lead id order)
	SELECT array_agg(c.lead_id),
		   array_agg(coalesce(CASE WHEN c.phone LIKE '+1%'
								   THEN area_sender[array_position(area_prefix, left(c.phone, 5))] END,
							  dflt)),
		   array_agg(c.reason), array_agg(c.phone), array_agg(c.ord),
		   array_agg(c.lead_id) FILTER (WHERE c.phone IS NULL)
	  INTO lead_ids, sender_ids, reasons, phones, places, nocontact
	  FROM cand c;

	-- Deleted leads: a lead with a contact exists (contacts go with their
	-- lead); the others are looked up in the lead relation.
	IF nocontact IS NOT NULL THEN
		SELECT format('SELECT array_agg(x) FROM unnest($1) x WHERE NOT EXISTS (SELECT 1 FROM %s l WHERE l.%I = x)',
					  r.rel, r.key_column)
		  INTO lookup FROM textseq._lead_source() r;
		EXECUTE lookup INTO gone USING nocontact;
		IF gone IS NOT NULL THEN
			SELECT array_agg(x.l), array_agg(x.s), array_agg(x.r), array_agg(x.p), array_agg(x.o)
			  INTO lead_ids, sender_ids, reasons, phones, places
			  FROM unnest(lead_ids, sender_ids, reasons, phones, places) AS x(l, s, r, p, o)
			 WHERE x.l <> ALL(gone);
		END IF;
	END IF;
END
$$;
COMMENT ON FUNCTION textseq._chunk_members(bigint[], int) IS
	'Internal: a chunk''s members as aligned arrays (lead, sender, reason, number, place) and its deleted leads';

-- A chunk's enrollments: inserted (_insert_enrollments), and the member
-- arrays cut down to the members that got one, in its order, so that they
-- stay aligned with the enrollment ids; the members skipped because their
-- lead was pending in the sequence already.
CREATE FUNCTION textseq._chunk_enroll(b textseq.bulk, step int, kind text, wait_until timestamptz,
									  at_ts timestamptz, INOUT lead_ids bigint[], INOUT sender_ids int[],
									  INOUT reasons int[], INOUT phones text[], INOUT places bigint[],
									  OUT enrollment_ids bigint[], OUT already bigint[])
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
	inserted bigint[];
BEGIN
	SELECT x.ids, x.leads INTO enrollment_ids, inserted
	  FROM textseq._insert_enrollments(
			b.sequence_id, b.id, step, at_ts, b.created_by, CASE WHEN kind = 'wait_reply' THEN wait_until END,
			lead_ids, sender_ids,
			ARRAY(SELECT CASE r WHEN 0 THEN 'pending' WHEN 1 THEN 'omitted_opted_out' WHEN 2 THEN 'canceled'
								WHEN 3 THEN 'omitted_landline' ELSE 'omitted_invalid' END::textseq.enrollment_status
					FROM unnest(reasons) AS y(r))) x;
	IF inserted IS DISTINCT FROM lead_ids THEN
		already := ARRAY(SELECT unnest(lead_ids) EXCEPT SELECT unnest(inserted));
		SELECT array_agg(c.l ORDER BY e.o), array_agg(c.s ORDER BY e.o), array_agg(c.r ORDER BY e.o),
			   array_agg(c.p ORDER BY e.o), array_agg(c.n ORDER BY e.o)
		  INTO lead_ids, sender_ids, reasons, phones, places
		  FROM unnest(inserted) WITH ORDINALITY AS e(lead_id, o)
		  JOIN unnest(lead_ids, sender_ids, reasons, phones, places) AS c(l, s, r, p, n) ON c.l = e.lead_id;
	END IF;
END
$$;
COMMENT ON FUNCTION textseq._chunk_enroll(textseq.bulk, int, text, timestamptz, timestamptz, bigint[], int[], int[], text[], bigint[]) IS
	'Internal: insert a chunk''s enrollments; the member arrays aligned with them, and the members already pending';

-- What a chunk leaves besides enrollments and messages: its skipped members,
-- its deleted leads in the bulk's deleted_leads_count (bulk_stats; leads
-- deleted after their expansion are counted by _lead_deleted), and the tags
-- of the enrollments that ended at once (as _enrollment_end_tags does).
CREATE FUNCTION textseq._chunk_end(bulk bigint, q textseq.sequence, gone bigint[], already bigint[],
								   lead_ids bigint[], reasons int[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF cardinality(gone) > 0 THEN
		INSERT INTO textseq.bulk_count_delta (bulk_id, step, status, n) VALUES (bulk, NULL, NULL, cardinality(gone));
	END IF;
	INSERT INTO textseq.bulk_skip (bulk_id, lead_id, reason)
	SELECT bulk, g, 'deleted_lead'::textseq.member_skip FROM unnest(gone) g
	UNION ALL
	SELECT bulk, a, 'already_pending'::textseq.member_skip FROM unnest(already) a;
	IF q.opted_out_tag IS NOT NULL THEN
		PERFORM textseq._tag_leads(ARRAY(SELECT x.l FROM unnest(lead_ids, reasons) x(l, r) WHERE x.r = 1),
								   q.opted_out_tag);
	END IF;
	IF q.invalid_tag IS NOT NULL THEN
		PERFORM textseq._tag_leads(ARRAY(SELECT x.l FROM unnest(lead_ids, reasons) x(l, r) WHERE x.r = 4),
								   q.invalid_tag);
	END IF;
END
$$;
COMMENT ON FUNCTION textseq._chunk_end(bigint, textseq.sequence, bigint[], bigint[], bigint[], int[]) IS
	'Internal: a chunk''s skipped members, deleted-lead count and end-of-enrollment tags';

-- Expand the next chunk of a bulk's members: one enrollment and first
-- message per member (or an omitted status), in lead id order.  Returns how
-- many members it expanded (0: nothing left, or the bulk is not being
-- processed).  Runs as the owner (its callers are SECURITY DEFINER); the
-- caller commits the chunk.  (No plan_cache_mode = force_custom_plan: it
-- would also re-plan the checks of every row; jit off: the estimates are
-- large, the statements short.)
CREATE FUNCTION textseq._expand_chunk(bulk bigint) RETURNS int
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
	b textseq.bulk;
	q textseq.sequence;
	f record;
	ids bigint[];
	now_ts timestamptz := textseq.now();
	key_prefix text := left(replace(gen_random_uuid()::text, '-', ''), 16);
	m record;
	e record;
BEGIN
	SELECT * INTO b FROM textseq.bulk x WHERE x.id = bulk FOR NO KEY UPDATE;
	IF NOT FOUND OR b.status <> 'being_processed' THEN
		RETURN 0;
	END IF;
	SELECT c.lead_ids INTO ids FROM textseq.bulk_chunk c
	 WHERE c.bulk_id = bulk AND c.chunk = b.expanded_chunks + 1;
	IF ids IS NULL THEN
		UPDATE textseq.bulk x SET status = 'in_progress', expanded_at = now_ts, expand_error = NULL
		 WHERE x.id = bulk;
		RETURN 0;
	END IF;

	-- the rows every enrollment of the chunk refers to, checked and kept (the
	-- bulk row is locked above, the senders by _chunk_members): _insert_enrollments relies on it
	SELECT * INTO q FROM textseq.sequence s WHERE s.id = b.sequence_id FOR KEY SHARE;
	SELECT st.position, st.kind, st.delay, st.timeout, st.template_id, t.current_version INTO f
	  FROM textseq.step st LEFT JOIN textseq.template t ON t.id = st.template_id
	 WHERE st.sequence_id = b.sequence_id ORDER BY st.position LIMIT 1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'sequence "%" has no steps', q.name
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Add steps with textseq.add_step(); the launch goes on once it has one.';
	END IF;

	m := textseq._chunk_members(ids, b.sender_id);
	e := textseq._chunk_enroll(b, f.position, f.kind, b.start_at + f.delay + f.timeout, now_ts,
							   m.lead_ids, m.sender_ids, m.reasons, m.phones, m.places);

	-- the first step's messages (aligned with the enrollments)
	IF e.enrollment_ids IS NOT NULL AND f.kind = 'send' THEN
		INSERT INTO textseq.message (enrollment_id, bulk_id, sequence_id, step, lead_id, sender_id,
									 template_id, template_version, signature, status, due_at, run_at,
									 expires_at, phone, finished_at, idempotency_key)
		SELECT c.id, bulk, b.sequence_id, f.position, c.lead_id, c.sender_id, f.template_id,
			   f.current_version, s.signature,
			   CASE c.reason WHEN 0 THEN 'in_queue' WHEN 1 THEN 'omitted_opted_out'
							 WHEN 2 THEN 'omitted_do_not_contact' WHEN 3 THEN 'omitted_landline'
							 ELSE 'omitted_invalid' END::textseq.message_status,
			   b.start_at + f.delay, b.start_at + f.delay, b.start_at + f.delay + q.expire_after,
			   CASE WHEN c.reason <> 0 THEN c.phone END, CASE WHEN c.reason <> 0 THEN now_ts END,
			   -- unique: a random prefix per chunk and the member's place in it
			   -- (gen_random_uuid() for every row cost a third of the insert)
			   (key_prefix || to_hex(c.ord + 1152921504606846976))::uuid
		  FROM unnest(e.enrollment_ids, e.lead_ids, e.sender_ids, e.reasons, e.phones, e.places)
			   AS c(id, lead_id, sender_id, reason, phone, ord)
		  JOIN textseq.sender s ON s.id = c.sender_id;
	END IF;
	PERFORM textseq._chunk_end(bulk, q, m.gone, e.already, e.lead_ids, e.reasons);

	UPDATE textseq.bulk x
	   SET expanded_chunks = x.expanded_chunks + 1,
		   expanded_count = x.expanded_count + cardinality(ids),
		   skipped_count = x.skipped_count + coalesce(cardinality(e.already), 0),
		   expand_error = NULL, expand_retry_at = NULL,
		   -- the last chunk moves the bulk on
		   status = CASE WHEN x.expanded_chunks + 1 >= x.chunk_count THEN 'in_progress' ELSE x.status END,
		   expanded_at = CASE WHEN x.expanded_chunks + 1 >= x.chunk_count THEN now_ts END
	 WHERE x.id = bulk;
	RETURN cardinality(ids);
END
$$;
COMMENT ON FUNCTION textseq._expand_chunk(bigint) IS
	'Internal: expand the next chunk of a bulk''s members into enrollments and first messages';

-- The worker's expansion step: one chunk of the oldest bulk being processed
-- whose row is free.  SECURITY DEFINER: it writes enrollments and messages
-- as launch does, and must see every lead (a lead the worker's role could
-- not see under row-level security is not a deleted one).  A chunk that
-- fails is rolled back alone: a lock conflict is retried next round, any
-- other error is kept in bulk.expand_error and retried a minute later, so
-- one bad bulk never stalls sending or the other bulks.
CREATE FUNCTION textseq._expand_bulks() RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	bid bigint;
	now_ts timestamptz := textseq.now();
BEGIN
	SELECT b.id INTO bid FROM textseq.bulk b
	 WHERE b.status = 'being_processed' AND (b.expand_retry_at IS NULL OR b.expand_retry_at <= now_ts)
	 ORDER BY b.id LIMIT 1
	   FOR NO KEY UPDATE SKIP LOCKED;
	IF bid IS NULL THEN
		RETURN 0;
	END IF;
	BEGIN
		-- at least 1: a bulk that had nothing left still counts as work done (it moved on)
		RETURN greatest(textseq._expand_chunk(bid), 1);
	EXCEPTION WHEN OTHERS THEN
		IF textseq._error_kind(SQLSTATE) = 'transient' THEN
			RETURN 0;
		ELSIF textseq._error_kind(SQLSTATE) = 'infrastructure' AND left(SQLSTATE, 2) NOT IN ('42', '55') THEN
			RAISE;
		END IF;
		RAISE WARNING 'textseq could not expand bulk %: %', bid, SQLERRM
			USING DETAIL = 'Retried in a minute; the error is in textseq.bulk.expand_error.';
		UPDATE textseq.bulk b
		   SET expand_error = format('%s (%s)', SQLERRM, SQLSTATE), expand_retry_at = now_ts + interval '1 minute'
		 WHERE b.id = bid;
		RETURN 0;
	END;
END
$$;
COMMENT ON FUNCTION textseq._expand_bulks() IS
	'Worker step: expand one chunk of the oldest bulk being processed; returns members handled (0: none)';

-- A launch's list as a smartlist query, and its label for people.
CREATE FUNCTION textseq._launch_source(smartlist text, query text, bulkimport_id bigint,
									   OUT list_query text, OUT label text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
BEGIN
	IF num_nonnulls(smartlist, query, bulkimport_id) <> 1 THEN
		RAISE EXCEPTION 'a launch needs exactly one of smartlist, query and bulkimport_id'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('%s of them %s given.', num_nonnulls(smartlist, query, bulkimport_id),
								  CASE num_nonnulls(smartlist, query, bulkimport_id) WHEN 1 THEN 'was' ELSE 'were' END),
				  HINT = 'E.g. textseq.launch(''welcome'', bulkimport_id => 42).';
	END IF;
	IF bulkimport_id IS NOT NULL THEN
		list_query := 'lead.bulkimport_id = ' || bulkimport_id;
		label := 'bulkimport_id ' || bulkimport_id;
	ELSIF query IS NOT NULL THEN
		list_query := query;
		label := 'query ' || query;
	ELSE
		SELECT s.query INTO list_query FROM textseq.smartlist s WHERE s.name = smartlist;
		IF list_query IS NULL THEN
			RAISE EXCEPTION 'smartlist "%" does not exist', smartlist
				USING ERRCODE = 'undefined_object', HINT = 'Save one with textseq.save_smartlist().';
		END IF;
		label := format('smartlist %s', quote_ident(smartlist));
	END IF;
END
$$;
COMMENT ON FUNCTION textseq._launch_source(text, text, bigint) IS
	'Internal: check that exactly one list is given; the list as a smartlist query, and a label';

-- Record a bulk and snapshot its members; expand them here (wait) or let
-- the worker do it.  The body of launch and relaunch_incomplete.
CREATE FUNCTION textseq._launch(seq bigint, sender int, start_at timestamptz, wait boolean,
								list_query text, label text, src_smartlist text DEFAULT NULL,
								src_import bigint DEFAULT NULL, src_bulk bigint DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
	bid bigint;
	n bigint;
	chunk int := current_setting('textseq.expand_chunk')::int;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM textseq.step st WHERE st.sequence_id = seq) THEN
		RAISE EXCEPTION 'sequence "%" has no steps', (SELECT q.name FROM textseq.sequence q WHERE q.id = seq)
			USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Add steps with textseq.add_step().';
	END IF;
	PERFORM textseq._bulk_senders(sender);		-- the sender exists and is active, or there is one
	INSERT INTO textseq.bulk (sequence_id, sender_id, source, start_at, created_at, created_by, smartlist,
							  query, bulkimport_id, relaunch_of)
	VALUES (seq, sender, label, coalesce(start_at, textseq.now()), textseq.now(), textseq._caller(),
			src_smartlist, list_query, src_import, src_bulk)
	RETURNING id INTO bid;
	n := textseq._snapshot_members(bid, list_query, chunk);
	IF n > 2147483647 THEN
		RAISE EXCEPTION 'a launch to % leads is too large', n USING ERRCODE = 'program_limit_exceeded';
	END IF;
	UPDATE textseq.bulk b SET lead_count = n,
		   chunk_count = (SELECT count(*) FROM textseq.bulk_chunk c WHERE c.bulk_id = bid),
		   status = CASE WHEN n = 0 THEN 'in_progress'::textseq.bulk_status ELSE b.status END,
		   expanded_at = CASE WHEN n = 0 THEN textseq.now() END
	 WHERE b.id = bid;
	IF n = 0 THEN
		RAISE NOTICE 'the list of bulk % is empty: nothing to send', bid;
	ELSIF wait THEN
		WHILE textseq._expand_chunk(bid) > 0 LOOP
		END LOOP;
	ELSE
		PERFORM textseq._wake_worker(textseq.now());
	END IF;
	RETURN bid;
END
$$;
COMMENT ON FUNCTION textseq._launch(bigint, int, timestamptz, boolean, text, text, text, bigint, bigint) IS
	'Internal: record a bulk, snapshot its members as the caller, expand them now (wait) or wake the worker';

-- Launch a sequence to a smartlist, a query or a bulk-import list.
-- SECURITY DEFINER: users may not write bulks, enrollments or messages;
-- the lead set is still read with the caller's privileges.
CREATE FUNCTION textseq.launch(sequence text, smartlist text DEFAULT NULL, query text DEFAULT NULL,
							   bulkimport_id bigint DEFAULT NULL, start_at timestamptz DEFAULT NULL,
							   sender int DEFAULT NULL, wait boolean DEFAULT false)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
	s record;
BEGIN
	s := textseq._launch_source(smartlist, query, bulkimport_id);
	RETURN textseq._launch(textseq._sequence_id(sequence), sender, start_at, coalesce(wait, false),
						   s.list_query, s.label, smartlist, bulkimport_id);
END
$$;
COMMENT ON FUNCTION textseq.launch(text, text, text, bigint, timestamptz, int, boolean) IS
	'Launch a sequence to exactly one of a smartlist, a query or a bulk-import list; returns the bulk id '
	'(being_processed: the worker expands it; wait => true expands it in this transaction)';

-- ---- cancel and relaunch -------------------------------------------------------------

-- Cancel a bulk: every message of it still waiting, its pending
-- enrollments, and the members not expanded yet.  Nothing already claimed
-- or sent.  SECURITY DEFINER: users may not change statuses themselves.
CREATE FUNCTION textseq.cancel_bulk(bulk bigint) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
	b textseq.bulk;
	now_ts timestamptz := textseq.now();
	n_msg int;
	n_members int;
BEGIN
	-- waits for a chunk being expanded: it is canceled with the rest
	SELECT * INTO b FROM textseq.bulk x WHERE x.id = bulk FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'bulk % does not exist', bulk USING ERRCODE = 'undefined_object';
	END IF;
	IF b.status IN ('canceled', 'done') THEN
		RETURN 0;		-- (a done bulk has nothing waiting)
	END IF;
	SELECT coalesce(sum(cardinality(c.lead_ids)), 0) INTO n_members FROM textseq.bulk_chunk c
	 WHERE c.bulk_id = bulk AND c.chunk > b.expanded_chunks AND b.status = 'being_processed';
	UPDATE textseq.bulk x SET status = 'canceled', canceled_at = now_ts, canceled_by = textseq._caller(),
		   finished_at = coalesce(x.finished_at, now_ts)
	 WHERE x.id = bulk;
	UPDATE textseq.enrollment e SET status = 'canceled', finished_at = now_ts, wait_until = NULL
	 WHERE e.bulk_id = bulk AND e.status = 'pending';
	UPDATE textseq.message m SET status = 'canceled', finished_at = now_ts
	 WHERE m.bulk_id = bulk AND m.status IN ('in_queue', 'held_quiet_hours', 'capped');
	GET DIAGNOSTICS n_msg = ROW_COUNT;
	RETURN n_msg + n_members;
END
$$;
COMMENT ON FUNCTION textseq.cancel_bulk(bigint) IS
	'Cancel a bulk: its waiting messages, pending enrollments and unexpanded members; returns messages + members canceled';

-- The leads of a bulk who missed steps: their enrollment of the bulk ended
-- expired or canceled with a message of it expired or canceled (a lead who
-- replied or opted out is not one of them, although its later steps were
-- canceled too), and the members a cancel reached before their expansion.
-- (The query language's bulk.incomplete = <id> calls it.)
CREATE FUNCTION textseq._bulk_incomplete_leads(bulk bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT e.lead_id
	  FROM textseq.enrollment e
	 WHERE e.bulk_id = _bulk_incomplete_leads.bulk AND e.status IN ('expired', 'canceled')
	   AND EXISTS (SELECT 1 FROM textseq.message m
				    WHERE m.enrollment_id = e.id AND m.status IN ('expired', 'canceled'))
	UNION
	SELECT unnest(c.lead_ids)
	  FROM textseq.bulk_chunk c JOIN textseq.bulk b ON b.id = c.bulk_id
	 WHERE c.bulk_id = _bulk_incomplete_leads.bulk AND b.status = 'canceled' AND c.chunk > b.expanded_chunks
$$;
COMMENT ON FUNCTION textseq._bulk_incomplete_leads(bigint) IS
	'Leads of a bulk who did not receive all its steps: enrollment and a message expired or canceled, '
	'or canceled before expansion (bulk.incomplete = <id>)';

-- Launch the bulk's sequence again, from its first step, to the leads who
-- missed steps (aNinja's "re-launch expired or cancelled sequence").
CREATE FUNCTION textseq.relaunch_incomplete(bulk bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
	b textseq.bulk;
BEGIN
	SELECT * INTO b FROM textseq.bulk x WHERE x.id = bulk;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'bulk % does not exist', bulk USING ERRCODE = 'undefined_object';
	END IF;
	RETURN textseq._launch(b.sequence_id, b.sender_id, NULL, false, 'bulk.incomplete = ' || bulk,
						   'relaunch of bulk ' || bulk, src_bulk => bulk);
END
$$;
COMMENT ON FUNCTION textseq.relaunch_incomplete(bigint) IS
	'Launch the bulk''s sequence from its first step to the leads whose messages of it expired or were canceled';
