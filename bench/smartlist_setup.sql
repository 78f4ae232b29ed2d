-- bench/smartlist_setup.sql: :n leads for bench/smartlist.sh, and the timing
-- function.  A tenth of the leads have plan "gold" (a custom field), a seventh
-- the tag "vip", and created_at spreads evenly over 2025: the three-predicate
-- smartlist matches about 0.12% of the table.
\set ON_ERROR_STOP on
INSERT INTO textseq.lead (first_name, last_name, bulkimport_id, fields, tags, created_at)
SELECT 'Lead' || i, 'Bench', 1 + i % 1000,
	   jsonb_build_object('plan', (ARRAY['gold', 'silver', 'bronze', 'basic', 'trial',
										 'pro', 'team', 'free', 'edu', 'legacy'])[1 + i % 10],
						  'score', i % 100),
	   CASE WHEN i % 7 = 0 THEN ARRAY['vip', 'customer'] WHEN i % 3 = 0 THEN ARRAY['customer'] ELSE '{}' END,
	   '2025-01-01 00:00:00+00'::timestamptz + (i::double precision / :n) * interval '365 days'
  FROM generate_series(1, :n) i;
VACUUM ANALYZE textseq.lead;

-- Time one statement, planned afresh each run (EXECUTE) as a client's query is.
CREATE FUNCTION public.bench_ms(sql text, q text) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	n bigint;
BEGIN
	EXECUTE sql INTO n USING q;
	RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END
$$;

-- reps rounds of: the hand-written SQL and smartlist_leads, alternating which goes first.
CREATE FUNCTION public.bench_pair(hand text, q text, reps int)
	RETURNS TABLE (side text, rep int, ms double precision) LANGUAGE plpgsql AS $$
DECLARE
	sl text := 'SELECT count(*) FROM textseq.smartlist_leads($1)';
	hw text := 'SELECT count(*) FROM (' || hand || ') x WHERE $1 IS NOT NULL';
BEGIN
	PERFORM public.bench_ms(hw, q), public.bench_ms(sl, q);	-- warm the cache
	FOR i IN 1 .. reps LOOP
		IF i % 2 = 1 THEN
			side := 'hand'; rep := i; ms := public.bench_ms(hw, q); RETURN NEXT;
			side := 'smartlist'; ms := public.bench_ms(sl, q); RETURN NEXT;
		ELSE
			side := 'smartlist'; rep := i; ms := public.bench_ms(sl, q); RETURN NEXT;
			side := 'hand'; ms := public.bench_ms(hw, q); RETURN NEXT;
		END IF;
	END LOOP;
END
$$;
