-- 45_locks.sql: textseq's own locks (src/fn/locks.c) (SPEC section 6).
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
