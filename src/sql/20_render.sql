-- 20_render.sql: merge rendering (SPEC section 4).  The template language
-- (a Liquid subset) is documented in docs/template-language.md; the C code
-- is src/render.c (glue), src/render_cache.c and src/core/tmpl*.c.

CREATE FUNCTION textseq.render(template text, data jsonb) RETURNS text
	AS 'MODULE_PATHNAME', 'textseq_render_template'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.render(text, jsonb) IS
	'Render a merge template (Liquid subset) with data such as {"lead": {...}, "sender": {...}}; parsed templates are cached per backend';

-- The claim's forms: a message whose body cannot be rendered gets its own
-- error verdict; it must not fail the batch it is in.
CREATE FUNCTION textseq._try_render(template text, data jsonb) RETURNS text
	AS 'MODULE_PATHNAME', 'textseq_render_try'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._try_render(text, jsonb) IS
	'Internal: render(), but NULL instead of an error (the claim asks _render_problem why)';

CREATE FUNCTION textseq._render_problem(template text, data jsonb) RETURNS text
	AS 'MODULE_PATHNAME', 'textseq_render_problem'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq._render_problem(text, jsonb) IS
	'Internal: why render() fails for these arguments (message, line, column, what), or NULL';

CREATE FUNCTION textseq.template_check(template text, lead_table regclass DEFAULT NULL)
	RETURNS TABLE (line int, col int, sqlstate text, message text)
	AS 'MODULE_PATHNAME', 'textseq_render_check'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE ROWS 4;
COMMENT ON FUNCTION textseq.template_check(text, regclass) IS
	'Every problem of a template in source order (none when it is fine): syntax, unknown tags and filters, bad filter arguments, and lead.<field> references that are not columns of lead_table';

CREATE FUNCTION textseq.template_validate(template text) RETURNS void
	AS 'MODULE_PATHNAME', 'textseq_render_validate'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION textseq.template_validate(text) IS
	'Raise the first problem of a template (with its SQLSTATE and position); refuses templates over 65536 bytes; for triggers that save templates';

CREATE FUNCTION textseq.render_cache_stats(OUT entries int, OUT hits bigint, OUT misses bigint)
	AS 'MODULE_PATHNAME', 'textseq_render_cache_stats'
	LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION textseq.render_cache_stats() IS
	'This backend''s cache of parsed templates: how many are cached, lookups that hit and that parsed';
