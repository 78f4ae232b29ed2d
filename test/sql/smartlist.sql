-- smartlist.sql: pgTAP tests of smartlists (SPEC section 7): every field and
-- operator, every error with its SQLSTATE and position (never XX000), an
-- injection corpus through values and field names, row-level security,
-- index use, and the saved-smartlist API with its privileges.
-- Everything is rolled back at the end.
BEGIN;
SET client_min_messages = warning;
SELECT plan(161);

SET LOCAL textseq.test_now = '2026-11-23 17:00:00+00';
CREATE ROLE ts_sl_u1 LOGIN IN ROLE textseq_user;
CREATE ROLE ts_sl_u2 LOGIN IN ROLE textseq_user;
CREATE ROLE ts_sl_admin LOGIN IN ROLE textseq_admin;
CREATE ROLE ts_sl_nobody LOGIN;

-- ---- fixtures: leads labelled by last_name ---------------------------------------------
SELECT textseq.add_lead('Ann', 'ann', ARRAY['(201) 555-0101'], 'Acme', 'ann@example.com',
						'{"plan": "gold", "score": "7", "born": "1990-05-01"}') AS ann \gset
SELECT textseq.add_lead('Bob', 'bob', ARRAY['201-555-0102'], NULL, NULL,
						'{"plan": "silver", "score": 12}') AS bob \gset
SELECT textseq.add_lead('Cy', 'cy', ARRAY['201-555-0103', '201-555-0104'], '', NULL,
						'{"plan": "Gold", "vip": true}') AS cy \gset
SELECT textseq.add_lead('''; DROP TABLE textseq.lead; --', 'inj', '{}', NULL, NULL, '{"note": "x\"}"}') AS inj \gset
SELECT textseq.add_lead('O''Brien', 'obr', ARRAY['2015550105'], NULL, NULL, '{"plan": "$$"}') AS obr \gset
SELECT textseq.add_lead('$1 /* x */ \ $$;', 'dol', '{}') AS dol \gset
UPDATE textseq.lead SET bulkimport_id = 5, tags = '{vip,new}', created_at = '2024-01-10 12:00+00' WHERE id = :ann;
UPDATE textseq.lead SET bulkimport_id = 5, tags = '{vip}', created_at = '2024-02-10 12:00+00' WHERE id = :bob;
UPDATE textseq.lead SET bulkimport_id = 6, created_at = '2024-03-10 12:00+00' WHERE id = :cy;
UPDATE textseq.lead SET created_at = '2024-04-10 12:00+00' WHERE id = :inj;
UPDATE textseq.lead SET tags = '{follow-up}', created_at = '2024-05-10 12:00+00' WHERE id = :obr;
UPDATE textseq.lead SET created_at = '2024-06-10 12:00+00' WHERE id = :dol;
SELECT textseq.opt_out('+12015550102', 'test') AS o1, textseq.opt_out('+12015550103', 'test') AS o2 \gset

-- enrollments, bulks and messages
SELECT textseq.create_account('sl_acct', 'dry_run') AS acct \gset
SELECT textseq.add_sender('sl_acct', '+12015550100') AS snd \gset
SELECT textseq.save_template('sl_hello', 'Hi {{ lead.first_name }}') AS tpl \gset
SELECT textseq.create_sequence('welcome') AS seq1 \gset
SELECT textseq.create_sequence('Spring promo') AS seq2 \gset
INSERT INTO textseq.bulk (sequence_id, start_at) VALUES (:seq1, now()) RETURNING id AS b1 \gset
INSERT INTO textseq.bulk (sequence_id, start_at) VALUES (:seq2, now()) RETURNING id AS b2 \gset
INSERT INTO textseq.enrollment (sequence_id, lead_id, bulk_id, sender_id, status) VALUES
	(:seq1, :ann, :b1, :snd, 'pending'), (:seq1, :bob, :b1, :snd, 'expired'),
	(:seq2, :bob, :b2, :snd, 'pending'), (:seq2, :cy, :b2, :snd, 'canceled'),
	(:seq2, :obr, NULL, :snd, 'finished_responded');
INSERT INTO textseq.message (enrollment_id, bulk_id, sequence_id, step, lead_id, sender_id, template_id,
							 template_version, status, due_at, run_at, expires_at)
SELECT e.id, e.bulk_id, e.sequence_id, 1, e.lead_id, e.sender_id, :tpl, 1,
	   CASE e.status WHEN 'expired' THEN 'expired' WHEN 'canceled' THEN 'canceled' ELSE 'sent' END::textseq.message_status,
	   now(), now(), now() + interval '1 day'
  FROM textseq.enrollment e WHERE e.bulk_id IS NOT NULL;

SELECT count(*) AS leads_before FROM textseq.lead \gset

-- The labels of the leads a query matches, in order.
CREATE FUNCTION pg_temp.names(q text) RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(string_agg(l.last_name, ',' ORDER BY l.last_name), '')
	  FROM textseq.smartlist_leads(q) x JOIN textseq.lead l ON l.id = x
$$;
-- The SQLSTATE a query raises ('ok' when it runs).
CREATE FUNCTION pg_temp.state(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text;
BEGIN
	PERFORM count(*) FROM textseq.smartlist_leads(q);
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
	RETURN st;
END
$$;
-- The error context of a query (where a value's conversion failed).
CREATE FUNCTION pg_temp.context(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	ctx text;
BEGIN
	PERFORM textseq.smartlist_sql(q);
	RETURN NULL;
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS ctx = PG_EXCEPTION_CONTEXT;
	RETURN split_part(ctx, E'\n', 1);
END
$$;
GRANT EXECUTE ON FUNCTION pg_temp.names(text) TO PUBLIC;

-- ---- declared properties --------------------------------------------------------------
SELECT volatility_is('textseq', 'smartlist_sql', ARRAY['text'], 'stable', 'smartlist_sql is STABLE');
SELECT volatility_is('textseq', 'smartlist_leads', ARRAY['text'], 'stable', 'smartlist_leads is STABLE');
SELECT is_strict('textseq', 'smartlist_leads', ARRAY['text'], 'smartlist_leads is STRICT');
SELECT isnt_definer('textseq', 'smartlist_leads', ARRAY['text'], 'smartlist_leads runs with the caller''s privileges');
SELECT isnt_definer('textseq', '_bulk_incomplete_leads', ARRAY['bigint'], '_bulk_incomplete_leads runs as the caller too');

-- ---- lead.<column> ----------------------------------------------------------------------
SELECT is(textseq.smartlist_sql('lead.bulkimport_id=5'),
		  'SELECT l.id FROM textseq.lead l WHERE l.bulkimport_id = $1::bigint',
		  'aNinja''s lead.bulkimport_id=<id> compiles to a parameterized predicate');
SELECT is(pg_temp.names('lead.bulkimport_id=5'), 'ann,bob', 'lead.bulkimport_id=5');
SELECT is(pg_temp.names('lead.bulkimport_id != 5'), 'cy,dol,inj,obr', '!= includes leads with no value');
SELECT is(pg_temp.names('lead.bulkimport_id > 5'), 'cy', '>');
SELECT is(pg_temp.names('lead.bulkimport_id >= 6'), 'cy', '>=');
SELECT is(pg_temp.names('lead.bulkimport_id < 6'), 'ann,bob', '<');
SELECT is(pg_temp.names('lead.bulkimport_id <= 5'), 'ann,bob', '<=');
SELECT is(pg_temp.names('lead.bulkimport_id in (5, ''6'')'), 'ann,bob,cy', 'in (...)');
SELECT is(pg_temp.names('lead.bulkimport_id not in (5)'), 'cy,dol,inj,obr', 'not in (...)');
SELECT is(pg_temp.names('lead.bulkimport_id is empty'), 'dol,inj,obr', 'is empty on a number: NULL');
SELECT is(pg_temp.names('lead.bulkimport_id is not empty'), 'ann,bob,cy', 'is not empty');
SELECT is(pg_temp.names('lead.first_name ~ AN'), 'ann', '~ is contains, case-insensitive');
SELECT is(pg_temp.names('lead.first_name ~ ''%'''), '', '~ takes % literally');
SELECT is(pg_temp.names('lead.first_name !~ n'), 'bob,cy,dol,inj', '!~');
SELECT is(pg_temp.names('lead.company is empty'), 'bob,cy,dol,inj,obr', 'is empty on text: NULL or ''''');
SELECT is(pg_temp.names('lead.First_Name = Ann'), 'ann', 'unquoted names match columns as SQL does');
SELECT is(pg_temp.names('lead.created_at >= 2024-02-01 and lead.created_at < 2024-04-01'), 'bob,cy',
		  'a date range on a timestamptz column');
SELECT is(pg_temp.names('lead.created_at < ''2024-02-01 00:00:00+00'''), 'ann', 'a timestamp as a quoted string');
SELECT is(pg_temp.names('lead.created_at > 2024-05-10T11:59:59Z'), 'dol,obr', 'an unquoted timestamp with a zone');
SELECT is(pg_temp.names('lead.tags = vip'), 'ann,bob', 'an array column: = means it holds the element');
SELECT is(pg_temp.names(format('lead.id = %s', :cy)), 'cy', 'lead.id');

-- ---- lead.<custom field> ------------------------------------------------------------
SELECT is(pg_temp.names('lead.plan = gold'), 'ann', 'a custom field: = is exact, case-sensitive');
SELECT is(pg_temp.names('lead."plan" = gold'), 'ann', 'a quoted custom field name');
SELECT is(pg_temp.names('lead.plan ~ GOLD'), 'ann,cy', 'a custom field: ~ ignores case');
SELECT is(pg_temp.names('lead.plan != gold'), 'bob,cy,dol,inj,obr', 'a custom field: != includes leads without it');
SELECT is(pg_temp.names('lead.plan in (gold, silver)'), 'ann,bob', 'a custom field: in');
SELECT is(pg_temp.names('lead.score = 7'), 'ann', 'a number matches a numeric string');
SELECT is(pg_temp.names('lead.score > 10'), 'bob', 'numbers compare numerically ("7" < 10 < 12)');
SELECT is(pg_temp.names('lead.score in (7, 12)'), 'ann,bob', 'numbers in a list');
SELECT is(pg_temp.names('lead.born < 2000-01-01'), 'ann', 'an ISO date in a custom field compares as text');
SELECT is(pg_temp.names('lead.vip = true'), 'cy', 'a boolean custom field');
SELECT is(pg_temp.names('lead.plan is empty'), 'dol,inj', 'a custom field: is empty when missing');
SELECT is(pg_temp.names('lead.nothing > 1 or lead.plan < 0'), '', 'non-numeric values never match a number');

-- ---- tag, phone, phone.opted_out ------------------------------------------------------
SELECT is(pg_temp.names('tag = vip'), 'ann,bob', 'tag =');
SELECT is(pg_temp.names('tag != vip'), 'cy,dol,inj,obr', 'tag !=');
SELECT is(pg_temp.names('tag in (new, follow-up)'), 'ann,obr', 'tag in');
SELECT is(pg_temp.names('tag not in (new, follow-up)'), 'bob,cy,dol,inj', 'tag not in');
SELECT is(pg_temp.names('tag ~ FOLL'), 'obr', 'tag ~');
SELECT is(pg_temp.names('tag is empty'), 'cy,dol,inj', 'tag is empty');
SELECT is(pg_temp.names('phone = ''(201) 555-0101'''), 'ann', 'phone = normalises the number');
SELECT is(pg_temp.names('phone in (''+12015550104'', 2015550105)'), 'cy,obr', 'phone in: any of the lead''s numbers');
SELECT is(pg_temp.names('phone ~ ''555-0103'''), 'cy', 'phone ~ looks for the digits');
SELECT is(pg_temp.names('phone != 2015550101'), 'bob,cy,dol,inj,obr', 'phone !=');
SELECT is(pg_temp.names('phone is empty'), 'dol,inj', 'phone is empty: no contact');
SELECT is(pg_temp.names('phone.opted_out = true'), 'bob', 'phone.opted_out = true: every number opted out');
SELECT is(pg_temp.names('phone.opted_out = false'), 'ann,cy,dol,inj,obr', 'phone.opted_out = false: the rest');
SELECT is(pg_temp.names('phone.opted_out != true'), 'ann,cy,dol,inj,obr', 'phone.opted_out != true');

-- ---- sequence, bulk ---------------------------------------------------------------
SELECT is(pg_temp.names('sequence.status = pending'), 'ann,bob', 'sequence.status: an enrollment with that status');
SELECT is(pg_temp.names('sequence.status in (expired, canceled)'), 'bob,cy', 'sequence.status in');
SELECT is(pg_temp.names('sequence.status != pending'), 'cy,dol,inj,obr', 'sequence.status !=: no such enrollment');
SELECT is(pg_temp.names('sequence.status is empty'), 'dol,inj', 'sequence.status is empty: never enrolled');
SELECT is(pg_temp.names('sequence."Spring promo".status = pending'), 'bob', 'sequence.<name>.status');
SELECT is(pg_temp.names('sequence.welcome.status is not empty'), 'ann,bob', 'sequence.<name>.status is not empty');
SELECT is(pg_temp.names('sequence.name = welcome'), 'ann,bob', 'sequence.name');
SELECT is(pg_temp.names('sequence.name ~ promo'), 'bob,cy,obr', 'sequence.name ~');
SELECT is(pg_temp.names(format('bulk.id = %s', :b1)), 'ann,bob', 'bulk.id: members of the bulk');
SELECT is(pg_temp.names(format('bulk.id in (%s, %s)', :b1, :b2)), 'ann,bob,cy', 'bulk.id in');
SELECT is(pg_temp.names('bulk.id is empty'), 'dol,inj,obr', 'bulk.id is empty');
SELECT is(pg_temp.names(format('bulk.incomplete = %s', :b1)), 'bob', 'bulk.incomplete: an expired message');
SELECT is(pg_temp.names(format('bulk.incomplete = %s', :b2)), 'cy', 'bulk.incomplete: a canceled message');
SELECT is(pg_temp.names(format('bulk.incomplete in (%s, %s)', :b1, :b2)), 'bob,cy', 'bulk.incomplete in');
SELECT is(pg_temp.names(format('bulk.id = %s and bulk.incomplete != %s', :b1, :b1)), 'ann',
		  'members who got everything');
SELECT matches(textseq.smartlist_sql('bulk.incomplete = 1'), 'textseq\._bulk_incomplete_leads\(\$1::bigint\)',
			   'bulk.incomplete calls textseq._bulk_incomplete_leads(bulk)');

-- ---- and, or, not, parentheses --------------------------------------------------------
SELECT is(pg_temp.names('tag = vip and lead.plan = gold or tag = follow-up'), 'ann,obr', 'and binds tighter than or');
SELECT is(pg_temp.names('tag = vip and (lead.plan = gold or lead.plan = silver)'), 'ann,bob', 'parentheses');
SELECT is(pg_temp.names('not tag = vip'), 'cy,dol,inj,obr', 'not');
SELECT is(pg_temp.names('not lead.bulkimport_id = 5'), 'cy,dol,inj,obr', 'not includes leads with no value');
SELECT is(pg_temp.names('not (lead.bulkimport_id = 5 or phone is empty)'), 'cy,obr', 'not (...)');
SELECT is(pg_temp.names('NOT NOT tag = vip AND Lead.Bulkimport_Id = 5'), 'ann,bob', 'keywords in any case');

-- ---- parameters and EXPLAIN ------------------------------------------------------------
SELECT results_eq($$SELECT param, type::text, value FROM textseq.smartlist_params(
					 'lead.plan = gold and phone = ''(201) 555-0101'' and lead.id in (1, 2) and sequence.status = pending')$$,
				  $$VALUES (1, 'jsonb', '{"plan": "gold"}'), (2, 'text', '+12015550101'), (3, 'bigint[]', '{1,2}'),
						   (4, 'textseq.enrollment_status', 'pending')$$,
				  'smartlist_params lists every bound value with its type');
SELECT is(textseq.smartlist_sql('lead.first_name = ''x'''), 'SELECT l.id FROM textseq.lead l WHERE l.first_name = $1::text',
		  'no value appears in the SQL');

-- ---- errors: SQLSTATE, line and column, what was expected ----------------------------
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.bulkimport_id = ')$$, '42601',
				 'expected a value after ''='' at line 1, column 22', 'a missing value is 42601 with its position');
SELECT throws_ok($$SELECT textseq.smartlist_sql(E'tag = vip and\n  (lead.x = 1 or')$$, '42601',
				 'expected a field such as lead.<column>, tag or phone at line 2, column 17', 'line and column on line 2');
SELECT throws_ok($$SELECT textseq.smartlist_sql('tag = vip lead.x = 1')$$, '42601',
				 'expected and, or or the end of the query after a condition, found ''lead'' at line 1, column 11',
				 'two conditions without and/or');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.x = ''abc')$$, '42601',
				 'unterminated string: expected a closing '' at line 1, column 10', 'an unterminated string');
SELECT throws_ok($$SELECT textseq.smartlist_sql('')$$, '42601',
				 'empty query: expected a condition such as lead.bulkimport_id = 123 at line 1, column 1', 'an empty query');
SELECT throws_ok($$SELECT textseq.smartlist_sql('leed.x = 1')$$, '42703',
				 'unknown field leed.x at line 1, column 1', 'an unknown field is 42703 with its position');
SELECT throws_ok($$SELECT textseq.smartlist_sql('tag = a or phone.foo = 1')$$, '42703',
				 'unknown field phone.foo at line 1, column 12', 'an unknown sub-field');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead = 1')$$, '42703',
				 'unknown field lead: write lead.<column> or lead.<custom field> at line 1, column 1', 'lead alone');
SELECT throws_ok($$SELECT textseq.smartlist_sql('tag < a')$$, '42883',
				 'operator < does not apply to tag; use =, !=, in, not in, ~, !~ or is empty at line 1, column 5',
				 'an operator the field does not take is 42883');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.bulkimport_id = abc')$$, '22P02',
				 'expected a number for lead.bulkimport_id, found abc at line 1, column 22', 'a word for a number is 22P02');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.bulkimport_id = ''abc''')$$, '22P02',
				 'invalid input syntax for type bigint: "abc"', 'a string the column type refuses is 22P02');
SELECT is(pg_temp.context('lead.bulkimport_id = ''abc'''), 'smartlist query value at line 1, column 22',
		  'the value''s line and column come with the type''s error');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.bulkimport_id = 99999999999999999999')$$, '22003', NULL,
				 'a number out of the column''s range is 22003');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.created_at > 2024-1-5')$$, '22007',
				 'malformed date: expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with an optional Z or +hh:mm at line 1, column 19',
				 'a malformed date is 22007');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.created_at > 2024-02-30')$$, '22008',
				 'date or time out of range: 2024-02-30 at line 1, column 19', 'an impossible date is 22008');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.created_at > ''2024-99-01''')$$, '22008', NULL,
				 'an impossible date in quotes is 22008 (from the type)');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.created_at > ''soon''')$$, '22007', NULL,
				 'a quoted non-date is 22007');
SELECT is(pg_temp.context('lead.created_at > ''soon'''), 'smartlist query value at line 1, column 19',
		  'with its position');
SELECT throws_ok($$SELECT textseq.smartlist_sql('sequence.status = pendng')$$, '22P02',
				 'invalid input value for enum textseq.enrollment_status: "pendng"', 'an unknown status is 22P02');
SELECT throws_ok($$SELECT textseq.smartlist_sql('phone = 12')$$, '22P02', 'invalid phone number: "12"',
				 'a phone that is no number is 22P02');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.x = ''\u0000''')$$, '22P02',
				 '\u0000 is not allowed in a string at line 1, column 11', 'NUL through an escape is refused');
SELECT throws_ok($$SELECT textseq.smartlist_sql('lead.x = ' || repeat('x', 100 * 1024))$$, '54000',
				 'query longer than 65536 bytes at line 1, column 1', 'a 100 KB query is refused (54000)');
SELECT throws_ok($$SELECT textseq.smartlist_sql(repeat('(', 100000) || 'tag = a' || repeat(')', 100000))$$, '54000', NULL,
				 'deep nesting past the length limit is refused too');
SELECT throws_ok($$SELECT textseq.smartlist_sql(repeat('(', 1000) || 'tag = a' || repeat(')', 1000))$$, '54001',
				 'nesting deeper than 64 levels at line 1, column 65', 'nesting past 64 levels is 54001');
SELECT throws_ok($$SELECT textseq.smartlist_sql(repeat('not ', 1000) || 'tag = a')$$, '54001', NULL,
				 'a thousand nots are 54001');
SELECT lives_ok($$SELECT textseq.smartlist_sql(repeat('(', 64) || 'tag = a' || repeat(')', 64))$$, '64 levels are fine');
SELECT throws_ok($$SELECT * FROM textseq.smartlist_leads('lead.x =')$$, '42601', NULL, 'smartlist_leads raises the same errors');

-- no bad query ever raises XX000 (or anything outside the documented codes)
CREATE TEMP TABLE bad (q text);
INSERT INTO bad VALUES ('lead.x ='), ('foo = 1'), ('tag > 1'), ('lead.bulkimport_id = x'), ('lead.created_at = 5'),
	('lead.created_at = ''x'''), ('lead.created_at = 2024-13-01'), ('lead.created_at = 2024-1-1'), ('phone = 1'),
	('phone ~ x'), ('phone.opted_out = 1'), ('phone.opted_out is empty'), ('sequence.status = x'), ('sequence.status ~ x'),
	('bulk.id = x'), ('bulk.id = ''x'''), ('bulk.incomplete is empty'), ('bulk.incomplete = 1.5'), ('lead.id = 1e5'),
	('lead.id = 1.5'), ('lead.bulkimport_id = true'), ('lead.tags < 1'), ('lead.created_at ~ x and lead.id < x'),
	('lead.fields = ''{'''), ('lead.id in ()'), ('lead.id in (1,'), ('lead.x = ''\ud800'''), ('lead.x = ''\q'''),
	(E'lead.x = \x01'), ('lead.x = '' '), ('((('), (')))'), ('not'), ('and'), ('lead.'), ('lead."'), ('"'),
	('lead.x = 12abc'), ('lead.x = -'), ('lead.x = 1.'), ('lead.x in (' || repeat('1,', 10001) || '1)'),
	('lead.x = ' || repeat('x', 70000)), (repeat('(', 70)), (repeat('not ', 70) || 'tag = a');
SELECT is_empty($$SELECT q, pg_temp.state(q) FROM bad
				   WHERE pg_temp.state(q) NOT IN ('42601', '42703', '42883', '22P02', '22007', '22008', '22003', '54000', '54001')$$,
				'every bad query raises one of the documented SQLSTATEs, never XX000');

-- ---- injection: values and field names are data or refused -------------------------
SELECT is(pg_temp.names('lead.first_name = ''''''; DROP TABLE textseq.lead; --'''), 'inj',
		  'a value ''; DROP TABLE ... -- matches the lead whose name is that text');
SELECT is(pg_temp.names('lead.first_name = "''; DROP TABLE textseq.lead; --"'), 'inj', 'the same in double quotes');
SELECT is(pg_temp.names('lead.first_name = ''$1 /* x */ \\ $$;'''), 'dol', '$1, a comment, a backslash and $$ are data');
SELECT is(pg_temp.names('lead.plan = ''$$'''), 'obr', '$$ in a custom field value');
SELECT is(pg_temp.names('lead.note = ''x"}'''), 'inj', 'JSON metacharacters in a custom field value');
SELECT is(pg_temp.names('lead.first_name = ''O''''Brien'' and lead.first_name = "O''Brien" and lead.first_name = ''O\''Brien'''),
		  'obr', 'three ways to quote a quote');
SELECT is(pg_temp.names('lead.first_name = ''Oʼ'' or lead.first_name = ''O＇Brien'''), '', 'look-alike quotes inside a string are data');
SELECT is(pg_temp.names(E'lead.first_name = ''a\x01\x1f\x7f'''), '', 'control characters inside a string are data');
SELECT is(pg_temp.names('lead."first_name; DROP TABLE textseq.lead; --" = x'), '', 'a hostile custom field name is a key, as data');
SELECT is(pg_temp.names('lead."x'' OR ''1''=''1" = x or lead."x\" = 1 --" ~ y'), '', 'quotes in a field name are data');
SELECT is(pg_temp.names('lead.first_name--x = 1'), '', 'first_name--x is one name (a custom field), not a comment');
SELECT is(pg_temp.names('sequence."x''; DROP TABLE textseq.lead; --".status = pending'), '', 'a hostile sequence name is data');
SELECT is(pg_temp.names('tag = ''vip''''--'' or tag in ("a;b", ''/*'')'), '', 'hostile tags are data');
CREATE TEMP TABLE refused (q text, why text);
INSERT INTO refused VALUES
	('lead.first_name = x; DROP TABLE textseq.lead', 'a semicolon'),
	('lead.first_name = x -- comment', 'a -- comment'),
	('lead.first_name = x /* */', 'a /* */ comment'),
	('lead.first_name = $$x$$', 'dollar quotes'),
	('lead.first_name = $1', 'a $1 placeholder'),
	('lead.first_name = \x', 'a backslash'),
	('lead.first_name = ''x'' or 1=1', 'or 1=1'),
	('lead.first_name = ＇x＇', 'fullwidth quotes (U+FF07)'),
	('lead.first_name = ʼxʼ', 'modifier apostrophes (U+02BC)'),
	('lead.first_name ＝ x', 'a fullwidth equals sign'),
	(E'lead.first_name = x\x01', 'a control character'),
	('lead./*x*/first_name = 1', 'a comment in a field name'),
	('lead.first_name;drop = 1', 'a semicolon in a field name'),
	('lead.$$x$$ = 1', 'dollar quotes in a field name'),
	('lead.ｆｉｒｓｔ = 1', 'fullwidth letters in a field name'),
	('lead.first_name = x) OR (1 = 1', 'a closing parenthesis');
SELECT is_empty($$SELECT why, pg_temp.state(q) FROM refused WHERE pg_temp.state(q) <> '42601'$$,
				'syntax that could break out of a value or a name is refused with 42601');
SELECT is((SELECT count(*) FROM textseq.lead), :leads_before::bigint, 'the lead table is intact');

-- ---- row-level security -----------------------------------------------------------------
ALTER TABLE textseq.lead ADD COLUMN owner name;
UPDATE textseq.lead SET owner = 'ts_sl_u1' WHERE last_name IN ('ann', 'bob', 'inj');
UPDATE textseq.lead SET owner = 'ts_sl_u2' WHERE last_name IN ('cy', 'obr');
CREATE POLICY lead_owner ON textseq.lead USING (owner = current_user);
ALTER TABLE textseq.lead ENABLE ROW LEVEL SECURITY;
SET LOCAL ROLE ts_sl_u1;
SELECT is(pg_temp.names('tag = vip or tag is empty or tag = follow-up'), 'ann,bob,inj', 'a smartlist returns only the caller''s rows');
SELECT is(pg_temp.names('lead.owner = ts_sl_u2'), '', 'other users'' rows stay hidden even when asked for');
SELECT is((SELECT count(*)::int FROM textseq.smartlist_leads('lead.id is not empty')), 3, 'counts too');
RESET ROLE;
SET LOCAL ROLE ts_sl_u2;
SELECT is(pg_temp.names('lead.id is not empty'), 'cy,obr', 'the other user sees their own');
SELECT is(pg_temp.names('lead.owner = ts_sl_u2 and phone is not empty'), 'cy,obr', 'a policy column is a field like any other');
RESET ROLE;
ALTER TABLE textseq.lead DISABLE ROW LEVEL SECURITY;
DROP POLICY lead_owner ON textseq.lead;
ALTER TABLE textseq.lead DROP COLUMN owner;

-- ---- EXPLAIN: the lead table's indexes serve the compiled SQL ------------------------
INSERT INTO textseq.lead (first_name, bulkimport_id, tags, fields, created_at)
SELECT 'bulk' || i, 1000 + i % 500, CASE WHEN i % 1000 = 0 THEN '{rare}'::text[] ELSE '{common}' END,
	   jsonb_build_object('plan', CASE WHEN i % 1000 = 0 THEN 'rare' ELSE 'basic' END),
	   '2020-01-01'::timestamptz + i * interval '1 minute'
  FROM generate_series(1, 20000) i;
ANALYZE textseq.lead;
SELECT matches((SELECT string_agg(p, E'\n') FROM textseq.smartlist_explain('lead.bulkimport_id = 1007') p),
			   'lead_bulkimport_idx', 'lead.bulkimport_id = <id> uses lead_bulkimport_idx');
SELECT matches((SELECT string_agg(p, E'\n') FROM textseq.smartlist_explain('tag = rare') p),
			   'lead_tags_idx', 'tag = x uses the GIN index on tags');
SELECT matches((SELECT string_agg(p, E'\n') FROM textseq.smartlist_explain('tag in (rare, nothing)') p),
			   'lead_tags_idx', 'tag in (...) uses it too');
SELECT matches((SELECT string_agg(p, E'\n') FROM textseq.smartlist_explain('lead.plan = rare') p),
			   'lead_fields_idx', 'a custom field equality uses the GIN index on fields');
SELECT matches((SELECT string_agg(p, E'\n') FROM textseq.smartlist_explain(
					'lead.created_at >= 2020-01-02 and lead.created_at < 2020-01-02T01:00Z') p),
			   'lead_created_idx', 'a created_at range uses lead_created_idx');
SELECT matches((SELECT string_agg(p, E'\n') FROM textseq.smartlist_explain(format('lead.id in (%s, %s)', :ann, :bob)) p),
			   'lead_pkey', 'lead.id in (...) uses the primary key');
SELECT is((SELECT count(*)::int FROM textseq.smartlist_leads('lead.bulkimport_id = 1007 and tag = common')), 40,
		  'and the rows are right');
-- the documented way without smartlist_explain: PREPARE the SQL, EXPLAIN EXECUTE it with the values
DO $$ BEGIN EXECUTE format('PREPARE sl_p AS %s', textseq.smartlist_sql('lead.bulkimport_id = 1')); END $$;
CREATE FUNCTION pg_temp.explain_prepared() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r record;
	t text := '';
BEGIN
	FOR r IN EXECUTE 'EXPLAIN EXECUTE sl_p(1007)' LOOP
		t := t || r."QUERY PLAN" || E'\n';
	END LOOP;
	RETURN t;
END
$$;
SELECT matches(pg_temp.explain_prepared(), 'lead_bulkimport_idx', 'PREPARE + EXPLAIN EXECUTE of smartlist_sql uses the index');
DEALLOCATE sl_p;
DELETE FROM textseq.lead WHERE first_name LIKE 'bulk%';

-- ---- saved smartlists -------------------------------------------------------------------
SET LOCAL ROLE ts_sl_u1;
SELECT ok(textseq.save_smartlist('vip', 'tag = vip') > 0, 'a user saves a smartlist');
SELECT is((SELECT created_by::text FROM textseq.smartlist WHERE name = 'vip'), 'ts_sl_u1', 'it records who saved it');
SELECT is((SELECT string_agg(l.last_name, ',' ORDER BY l.last_name)
			 FROM textseq.smartlist_leads_by_name('vip') x JOIN textseq.lead l ON l.id = x), 'ann,bob',
		  'smartlist_leads_by_name runs the saved query');
SELECT is((SELECT string_agg(l.last_name, ',' ORDER BY l.last_name)
			 FROM textseq.smartlist_leads((SELECT query FROM textseq.smartlist WHERE name = 'vip')) x
			 JOIN textseq.lead l ON l.id = x), 'ann,bob', 'or smartlist_leads of its query');
SELECT throws_ok($$SELECT textseq.save_smartlist('broken', 'tag = ')$$, '42601', NULL, 'a bad query is not saved');
SELECT throws_ok($$SELECT textseq.save_smartlist('broken', 'leed.x = 1')$$, '42703', NULL, 'nor one with an unknown field');
SELECT throws_ok($$SELECT textseq.save_smartlist(NULL, 'tag = a')$$, '22004', NULL, 'a name is required');
SELECT throws_ok($$SELECT textseq.save_smartlist(' ', 'tag = a')$$, '23514', NULL, 'a blank name is refused');
SELECT lives_ok($$SELECT textseq.save_smartlist('vip', 'tag = vip and lead.bulkimport_id = 5')$$, 'saving again replaces the query');
SELECT is((SELECT query FROM textseq.smartlist WHERE name = 'vip'), 'tag = vip and lead.bulkimport_id = 5', 'replaced');
SELECT lives_ok($$SELECT textseq.rename_smartlist('vip', 'vips')$$, 'rename');
SELECT ok(EXISTS (SELECT 1 FROM textseq.smartlist WHERE name = 'vips'), 'renamed');
SELECT textseq.save_smartlist('other', 'tag = new') AS other_id \gset
SELECT throws_ok($$SELECT textseq.rename_smartlist('vips', 'other')$$, '42710', 'smartlist "other" already exists',
				 'rename onto an existing name is 42710');
SELECT throws_ok($$SELECT textseq.rename_smartlist('nope', 'x')$$, '42704', 'smartlist "nope" does not exist',
				 'rename of a missing smartlist is 42704');
SELECT throws_ok($$SELECT textseq.rename_smartlist('vips', '')$$, '23514', NULL, 'rename to an empty name is 23514');
SELECT throws_ok($$SELECT textseq.drop_smartlist('nope')$$, '42704', NULL, 'drop of a missing smartlist is 42704');
SELECT throws_ok($$SELECT * FROM textseq.smartlist_leads_by_name('nope')$$, '42704', NULL, 'running a missing one is 42704');
SELECT throws_ok($$INSERT INTO textseq.smartlist (name, query) VALUES ('x', 'nonsense')$$, '42501', NULL,
				 'users write smartlists only through the functions');
SELECT throws_ok($$UPDATE textseq.smartlist SET query = 'nonsense'$$, '42501', NULL, 'nor update them');
RESET ROLE;
SET LOCAL ROLE ts_sl_u2;
SELECT is((SELECT count(*)::int FROM textseq.smartlist_leads_by_name('vips')), 2, 'another user may use a saved smartlist');
SELECT throws_ok($$SELECT textseq.save_smartlist('vips', 'tag = x')$$, '42501', 'smartlist "vips" belongs to ts_sl_u1',
				 'but not replace its query');
SELECT throws_ok($$SELECT textseq.rename_smartlist('vips', 'mine')$$, '42501', NULL, 'nor rename it');
SELECT throws_ok($$SELECT textseq.drop_smartlist('vips')$$, '42501', NULL, 'nor drop it');
SELECT throws_ok($$DELETE FROM textseq.smartlist$$, '42501', NULL, 'nor delete rows directly');
RESET ROLE;
SET LOCAL ROLE ts_sl_admin;
SELECT lives_ok($$SELECT textseq.drop_smartlist('other')$$, 'a textseq_admin may drop anyone''s smartlist');
RESET ROLE;
SET LOCAL ROLE ts_sl_u1;
SELECT lives_ok($$SELECT textseq.drop_smartlist('vips')$$, 'the creator drops their own');
SELECT is((SELECT count(*)::int FROM textseq.smartlist WHERE name IN ('vips', 'other')), 0, 'both gone');
RESET ROLE;
SET LOCAL ROLE ts_sl_nobody;
SELECT throws_ok($$SELECT * FROM textseq.smartlist_leads('tag = vip')$$, '42501', NULL, 'a plain login may not run smartlists');
SELECT throws_ok($$SELECT textseq.save_smartlist('x', 'tag = vip')$$, '42501', NULL, 'nor save them');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
