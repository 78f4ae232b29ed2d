-- 60_provider.sql: superuser probes of the provider layer (SPEC section 6):
-- send one test text, reconcile one message, with the worker's own code.

CREATE FUNCTION textseq._provider_probe(provider text, base_url text, account_sid text,
		secret text, to_phone text, from_phone text, body text, timeout_ms int DEFAULT 5000)
	RETURNS TABLE (outcome text, http_status int, provider_id text, error_code int,
				   error_text text, retry_after_ms int, t_connect float8, t_total float8)
	AS 'MODULE_PATHNAME', 'textseq_provider_probe'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION textseq._provider_probe(text, text, text, text, text, text, text, int) IS
	'Superuser only: send one text through the provider layer (no table is written) and show '
	'the outcome the worker would record, the provider''s answer and curl''s phase timings';
REVOKE EXECUTE ON FUNCTION textseq._provider_probe(text, text, text, text, text, text, text, int)
	FROM PUBLIC;

CREATE FUNCTION textseq._provider_lookup(provider text, base_url text, account_sid text,
		secret text, to_phone text, from_phone text, body text,
		claimed_at timestamptz DEFAULT now(), timeout_ms int DEFAULT 5000)
	RETURNS TABLE (result text, provider_id text, provider_status text)
	AS 'MODULE_PATHNAME', 'textseq_provider_lookup'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION textseq._provider_lookup(text, text, text, text, text, text, text, timestamptz, int) IS
	'Superuser only: reconcile one possibly-sent text the way the worker does (Twilio: list '
	'To/From since the claim day and match the body; found, not_found or unknown)';
REVOKE EXECUTE ON FUNCTION textseq._provider_lookup(text, text, text, text, text, text, text, timestamptz, int)
	FROM PUBLIC;
