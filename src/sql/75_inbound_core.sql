-- 75_inbound_core.sql: the pure parts of inbound texts (SPEC section 9;
-- docs/consent.md): what a text says about consent, and whether a reply
-- matches a conversation branch.  C glue in src/fn/inbound.c over the cores
-- src/core/consent.c and src/core/branch.c.

CREATE FUNCTION textseq.consent_verdict(body text,
		OUT verdict text, OUT rule text, OUT keyword boolean)
	RETURNS record AS 'MODULE_PATHNAME', 'textseq_consent_verdict'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.consent_verdict(text) IS
	'What an inbound text says about consent: verdict opt_out, opt_in, help or none; the keyword '
	'or phrase matched (docs/consent.md); keyword = a single carrier keyword';

CREATE FUNCTION textseq.branch_matches(match text, reply text, value text DEFAULT NULL,
									   value2 text DEFAULT NULL)
	RETURNS boolean AS 'MODULE_PATHNAME', 'textseq_branch_matches'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION textseq.branch_matches(text, text, text, text) IS
	'Whether a reply matches a conversation branch: equals (comma-separated list, ASCII case '
	'ignored, *word* = contains), less, greater, between (numbers; a non-numeric reply never '
	'matches), any';

CREATE FUNCTION textseq.branch_check(match text, value text DEFAULT NULL, value2 text DEFAULT NULL)
	RETURNS void AS 'MODULE_PATHNAME', 'textseq_branch_check'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION textseq.branch_check(text, text, text) IS
	'Raise 22023 when a branch configuration cannot work (equals without words, a numeric '
	'match without a number); lead.<field> values are checked when a reply arrives';
