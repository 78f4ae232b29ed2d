-- 45_locks.sql: textseq's own locks (src/fn/locks.c) and how worker steps
-- tell a bad row from a bad moment (SPEC section 6).
--
-- The locks have keys no login can reach: pg_advisory_lock() and friends
-- cannot take, hold or wait on them, so no user can stop sending by holding
-- one.  EXECUTE on these functions is revoked from PUBLIC and textseq_user
-- (90_grants.sql): they are for the worker and textseq's own functions.

CREATE FUNCTION textseq._lock_phones(phones text[]) RETURNS void
	AS 'MODULE_PATHNAME', 'textseq_lock_phones' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION textseq._lock_phones(text[]) IS
	'Internal: the claim''s per-phone locks (4096 buckets, taken in order) until the end of the transaction';

CREATE FUNCTION textseq._lock_provider_ids(provider_ids text[]) RETURNS void
	AS 'MODULE_PATHNAME', 'textseq_lock_provider_ids' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION textseq._lock_provider_ids(text[]) IS
	'Internal: a lock per provider message id until the end of the transaction; the record step '
	'and delivery reports take it so a report racing the record of its send is never missed';

-- What a failure of one row's work means for the worker step that met it:
--   transient       a lock or serialization conflict: do it later (defer, leave queued)
--   infrastructure  the database, not the row (resources, shutdown, schema,
--                   privileges): fail the step; the worker retries it
--   row             anything else: this row's data; it gets its own error
-- query_canceled never reaches a handler (PL/pgSQL's OTHERS does not catch it).
CREATE FUNCTION textseq._error_kind(sqlstate text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
	SELECT CASE
		WHEN sqlstate LIKE '40%' OR sqlstate IN ('55P03', '55006') THEN 'transient'
		WHEN left(sqlstate, 2) IN ('08', '25', '3D', '3F', '42', '53', '55', '57', '58', 'F0', '72')
			THEN 'infrastructure'
		ELSE 'row' END
$$;
COMMENT ON FUNCTION textseq._error_kind(text) IS
	'Internal: transient, infrastructure or row: how a worker step treats an error of one row''s work';
