#!/usr/bin/env bash
# bench/render.sh: textseq.render over 1,000,000 rows against the same merge
# written in PL/pgSQL with replace() calls, in the same run (SPEC section 14:
# render must be at least 5x faster).
#
# Uses the PG* environment (PGHOST, PGPORT, PGDATABASE, PGUSER) and assumes
# CREATE EXTENSION textseq has been run in that database.  Creates its table
# and function in a schema of its own (bench_render) and drops it at the end.
#   ROWS=N   rows to merge (default 1000000)
#   RUNS=N   timed runs of each side; the best is reported (default 3)
set -euo pipefail

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)

"${PSQL[@]}" <<SQL
DROP SCHEMA IF EXISTS bench_render CASCADE;
CREATE SCHEMA bench_render;
SET search_path = bench_render;

-- lead-like data: the shape textseq's worker passes to render()
CREATE TABLE lead AS
SELECT i AS id,
       jsonb_build_object(
         'lead', jsonb_build_object(
            'first_name', (ARRAY['Ann','Bob','Chloé','Dmitri','Émile','Fatima','Grace','Hiro'])[1 + i % 8],
            'last_name', 'Lastname' || i,
            'company', CASE WHEN i % 3 = 0 THEN NULL WHEN i % 3 = 1 THEN '' ELSE 'Company ' || (i % 1000) END,
            'city', 'City ' || (i % 500),
            'phone', '+1555' || lpad((i % 10000000)::text, 7, '0'),
            'email', 'lead' || i || '@example.com',
            'score', i % 100),
         'sender', jsonb_build_object('signature', '-- Bob at Acme, reply STOP to opt out')) AS data
FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE lead;

-- the baseline: the same merge by hand, one replace() per field
CREATE FUNCTION merge_replace(tpl text, data jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS \$\$
DECLARE
	r text := tpl;
BEGIN
	r := replace(r, '{{ lead.first_name }}', coalesce(data->'lead'->>'first_name', ''));
	r := replace(r, '{{ lead.company | default: "your company" }}',
				 coalesce(nullif(data->'lead'->>'company', ''), 'your company'));
	r := replace(r, '{{ sender.signature }}', coalesce(data->'sender'->>'signature', ''));
	RETURN r;
END
\$\$;

-- this backend's CPU time in ms (utime + stime from /proc), NULL when unreadable
CREATE FUNCTION cpu_ms() RETURNS numeric LANGUAGE plpgsql AS \$\$
DECLARE
	st text[];
BEGIN
	st := string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ');
	RETURN (st[12]::numeric + st[13]::numeric) * 10;	-- fields 14 and 15, at 100 ticks/s
EXCEPTION WHEN OTHERS THEN
	RETURN NULL;
END
\$\$;

-- elapsed and CPU milliseconds of one query, run to completion ("wall cpu")
CREATE FUNCTION time_ms(q text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE
	t0 timestamptz := clock_timestamp();
	c0 numeric := bench_render.cpu_ms();
BEGIN
	EXECUTE q;
	RETURN round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000, 1) || ' ' ||
		coalesce((bench_render.cpu_ms() - c0)::text, 'n/a');
END
\$\$;
SQL

TPL='Hi {{ lead.first_name }}, this is a quick note for {{ lead.company | default: "your company" }}. Can we talk this week? {{ sender.signature }}'
Q_RENDER="SELECT sum(length(textseq.render('$TPL', data))) FROM bench_render.lead"
Q_REPLACE="SELECT sum(length(bench_render.merge_replace('$TPL', data))) FROM bench_render.lead"

# the two sides must produce the same text
"${PSQL[@]}" -c "SET max_parallel_workers_per_gather = 0" -c "
SELECT CASE WHEN count(*) FILTER (WHERE textseq.render('$TPL', data) IS DISTINCT FROM bench_render.merge_replace('$TPL', data)) = 0
            THEN 'outputs match' ELSE 'OUTPUTS DIFFER' END
FROM bench_render.lead WHERE id <= 10000" | tail -1

# The floor both sides pay: the scan, the call, length() and sum() over a
# text as long as a merged message, rendered from a template with no fields.
FLOOR_TPL=$("${PSQL[@]}" -c "SELECT textseq.render('$TPL', data) FROM bench_render.lead WHERE id = 2")
Q_FLOOR="SELECT sum(length(textseq.render(\$f\$$FLOOR_TPL\$f\$, data))) FROM bench_render.lead"

# best QUERY: "wall cpu" of the fastest (by CPU time, which other load on the
# machine disturbs less than wall time) of RUNS runs; one backend, no parallel workers
best() {
  for _ in $(seq "$RUNS"); do
    "${PSQL[@]}" -c "SET max_parallel_workers_per_gather = 0" -c "SELECT bench_render.time_ms(\$q\$$1\$q\$)" | tail -1
  done | sort -k2,2n -k1,1n | head -1
}
read -r render_ms render_cpu <<<"$(best "$Q_RENDER")"
read -r replace_ms replace_cpu <<<"$(best "$Q_REPLACE")"
read -r floor_ms floor_cpu <<<"$(best "$Q_FLOOR")"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
net() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { if (b - f > 0) printf "%.2f", (a - f) / (b - f); else print "n/a" }'; }
us() { awk -v ms="$1" -v n="$ROWS" 'BEGIN { printf "%.3f", ms * 1000 / n }'; }
echo "render:  $ROWS rows: $render_ms ms wall, $render_cpu ms CPU ($(us "$render_cpu") us/row CPU; textseq.render)"
echo "replace: $ROWS rows: $replace_ms ms wall, $replace_cpu ms CPU ($(us "$replace_cpu") us/row CPU; PL/pgSQL replace() baseline)"
echo "floor:   $ROWS rows: $floor_ms ms wall, $floor_cpu ms CPU (same scan, call, length() and sum(), no merge fields)"
echo "ratio:   render is $(ratio "$replace_ms" "$render_ms")x faster by wall time, $(ratio "$replace_cpu" "$render_cpu")x by CPU time (target: at least 5x)"
echo "         the merge work alone (minus the floor): $(net "$replace_cpu" "$render_cpu" "$floor_cpu")x by CPU time"
echo "         (best of $RUNS runs each, one backend, no parallel workers)"

"${PSQL[@]}" -c "DROP SCHEMA bench_render CASCADE"
