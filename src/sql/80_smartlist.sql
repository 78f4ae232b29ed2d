-- 80_smartlist.sql: smartlists (SPEC section 7).  The query language is
-- documented in docs/query-language.md; the C code is src/fn/smartlist.c
-- (glue) and src/core/query*.c (lexer, parser, compiler).  A query compiles
-- to "SELECT l.id FROM <lead relation> l WHERE <predicate>" with every value
-- a parameter; it runs with the caller's privileges, so row-level security
-- on the lead table applies.

-- The lead relation smartlists read, in one place: a mapped CRM table
-- (SPEC 11, textseq.use_lead_table) replaces this row, nothing else.
-- fields_column (jsonb) and tags_column (text[]) may be NULL: then the
-- query language has no custom fields or no tag field.
CREATE FUNCTION textseq._lead_source(OUT rel regclass, OUT key_column name,
									 OUT fields_column name, OUT tags_column name)
	LANGUAGE sql STABLE PARALLEL SAFE
	AS $$ SELECT 'textseq.lead'::regclass, 'id'::name, 'fields'::name, 'tags'::name $$;
COMMENT ON FUNCTION textseq._lead_source() IS
	'Internal: the lead relation smartlists query (its key, custom-fields and tags columns)';

-- Indexes the compiled predicates use: tag = x is tags @> ARRAY[x] and
-- tag in (...) is tags && ..., lead.<custom> = x is fields @> {"<custom>": x},
-- and date ranges on created_at are common.
CREATE INDEX lead_tags_idx ON textseq.lead USING gin (tags);
CREATE INDEX lead_fields_idx ON textseq.lead USING gin (fields jsonb_path_ops);
CREATE INDEX lead_created_idx ON textseq.lead (created_at);

-- A custom field's value as a number: a JSON number, or a string that reads
-- as one (at most 1000 characters); NULL for anything else, never an error.
CREATE FUNCTION textseq._field_number(v jsonb) RETURNS numeric
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$
	SELECT CASE jsonb_typeof(v)
		WHEN 'number' THEN v::numeric
		WHEN 'string' THEN CASE WHEN length(v #>> '{}') <= 1000
									 AND (v #>> '{}') ~ '^[ \t\n\r]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)[ \t\n\r]*$'
								THEN (v #>> '{}')::numeric END
	END
	$$;
COMMENT ON FUNCTION textseq._field_number(jsonb) IS
	'Internal: a custom field as a number (JSON number or numeric string), else NULL; for lead.<custom> < 5';

-- bulk.incomplete = <id> compiles to a call of textseq._bulk_incomplete_leads(bulk),
-- defined with the launches it reads (85_launch.sql).

CREATE FUNCTION textseq.smartlist_sql(query text) RETURNS text
	AS 'MODULE_PATHNAME', 'textseq_smartlist_sql'
	LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION textseq.smartlist_sql(text) IS
	'The SQL a smartlist query compiles to (SELECT l.id FROM ... WHERE ...) with $n::type placeholders; '
	'values: smartlist_params, plan: smartlist_explain';

CREATE FUNCTION textseq.smartlist_leads(query text) RETURNS SETOF bigint
	AS 'MODULE_PATHNAME', 'textseq_smartlist_leads'
	LANGUAGE C STABLE STRICT ROWS 1000;
COMMENT ON FUNCTION textseq.smartlist_leads(text) IS
	'Ids of the leads a smartlist query matches, evaluated with the caller''s privileges (row-level security applies)';

CREATE FUNCTION textseq.smartlist_params(query text, OUT param int, OUT type regtype, OUT value text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'textseq_smartlist_params'
	LANGUAGE C STABLE STRICT ROWS 4;
COMMENT ON FUNCTION textseq.smartlist_params(text) IS
	'The parameters of smartlist_sql(query): number, type and value as bound (phones normalised)';

CREATE FUNCTION textseq.smartlist_explain(query text, run boolean DEFAULT false) RETURNS SETOF text
	AS 'MODULE_PATHNAME', 'textseq_smartlist_explain'
	LANGUAGE C VOLATILE STRICT ROWS 20;
COMMENT ON FUNCTION textseq.smartlist_explain(text, boolean) IS
	'EXPLAIN (run: EXPLAIN ANALYZE) of a smartlist query with its values bound, planned as smartlist_leads plans it';

-- Saved smartlists: shared by every user; the one who saved a list (or a
-- textseq_admin) may change, rename or drop it.  Written only through the
-- functions below, which check the query first.
CREATE TABLE textseq.smartlist (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE CHECK (name <> '' AND name = btrim(name) AND char_length(name) <= 200),
	query text NOT NULL CHECK (octet_length(query) <= 65536),
	created_by name NOT NULL DEFAULT current_user,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE textseq.smartlist IS
	'Saved smartlist queries by name; written by save_smartlist, rename_smartlist, drop_smartlist';

-- May the calling role change the saved smartlist its creator owns?
CREATE FUNCTION textseq._smartlist_owner_check(list textseq.smartlist) RETURNS void
	LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	who name := textseq._caller();
BEGIN
	IF list.created_by <> who AND NOT pg_has_role(who, 'textseq_admin', 'MEMBER') THEN
		RAISE EXCEPTION 'smartlist "%" belongs to %', list.name, list.created_by
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Only the role that saved a smartlist, or a textseq_admin, may change, rename or drop it.';
	END IF;
END
$$;
COMMENT ON FUNCTION textseq._smartlist_owner_check(textseq.smartlist) IS
	'Internal: raise 42501 unless the caller saved the smartlist or is a textseq_admin';

-- The saved smartlist of this name, locked for a change; 42704 when none.
CREATE FUNCTION textseq._smartlist_for_update(list_name text) RETURNS textseq.smartlist
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	s textseq.smartlist;
BEGIN
	SELECT * INTO s FROM textseq.smartlist l WHERE l.name = list_name FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'smartlist "%" does not exist', list_name
			USING ERRCODE = 'undefined_object', HINT = 'save_smartlist saves one.';
	END IF;
	RETURN s;
END
$$;
COMMENT ON FUNCTION textseq._smartlist_for_update(text) IS
	'Internal: the saved smartlist of this name, row-locked (42704 when none)';

CREATE FUNCTION textseq.save_smartlist(name text, query text) RETURNS bigint
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	list_name text := name;
	list_query text := query;
	s textseq.smartlist;
BEGIN
	IF list_name IS NULL OR list_query IS NULL THEN
		RAISE EXCEPTION 'smartlist name and query must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	-- the query must compile (syntax, fields, values) before anything is stored
	PERFORM textseq.smartlist_sql(list_query);
	SELECT * INTO s FROM textseq.smartlist l WHERE l.name = list_name FOR UPDATE;
	IF FOUND THEN
		PERFORM textseq._smartlist_owner_check(s);
		UPDATE textseq.smartlist l SET query = list_query, updated_at = textseq.now() WHERE l.id = s.id;
		RETURN s.id;
	END IF;
	INSERT INTO textseq.smartlist (name, query, created_by, created_at, updated_at)
	VALUES (list_name, list_query, textseq._caller(), textseq.now(), textseq.now())
	RETURNING id INTO s.id;
	RETURN s.id;
END
$$;
COMMENT ON FUNCTION textseq.save_smartlist(text, text) IS
	'Save a smartlist query under a name (replacing the query when the caller saved it, or is a textseq_admin); '
	'the query is checked first; returns its id';

CREATE FUNCTION textseq.rename_smartlist(old_name text, new_name text) RETURNS void
	LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	s textseq.smartlist := textseq._smartlist_for_update(old_name);
BEGIN
	PERFORM textseq._smartlist_owner_check(s);
	IF old_name = new_name THEN
		RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM textseq.smartlist l WHERE l.name = new_name) THEN
		RAISE EXCEPTION 'smartlist "%" already exists', new_name USING ERRCODE = 'duplicate_object';
	END IF;
	UPDATE textseq.smartlist l SET name = new_name, updated_at = textseq.now() WHERE l.id = s.id;
END
$$;
COMMENT ON FUNCTION textseq.rename_smartlist(text, text) IS
	'Rename a saved smartlist (its creator or a textseq_admin)';

CREATE FUNCTION textseq.drop_smartlist(name text) RETURNS void
	LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	s textseq.smartlist := textseq._smartlist_for_update(name);
BEGIN
	PERFORM textseq._smartlist_owner_check(s);
	DELETE FROM textseq.smartlist l WHERE l.id = s.id;
END
$$;
COMMENT ON FUNCTION textseq.drop_smartlist(text) IS
	'Drop a saved smartlist (its creator or a textseq_admin)';

CREATE FUNCTION textseq.smartlist_leads_by_name(name text) RETURNS SETOF bigint
	LANGUAGE plpgsql STABLE STRICT ROWS 1000 AS $$
DECLARE
	list_query text;
BEGIN
	SELECT l.query INTO list_query FROM textseq.smartlist l WHERE l.name = smartlist_leads_by_name.name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'smartlist "%" does not exist', smartlist_leads_by_name.name
			USING ERRCODE = 'undefined_object', HINT = 'save_smartlist saves one.';
	END IF;
	RETURN QUERY SELECT * FROM textseq.smartlist_leads(list_query);
END
$$;
COMMENT ON FUNCTION textseq.smartlist_leads_by_name(text) IS
	'Ids of the leads a saved smartlist matches (its query, run as the caller)';

SELECT pg_catalog.pg_extension_config_dump('textseq.smartlist', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('textseq.smartlist', 'id')::regclass, '');
