#!/usr/bin/env bash
# bench/smartlist.sh: a three-predicate smartlist on 1,000,000 leads through
# textseq.smartlist_leads, beside the same predicate hand-written as SQL with
# literals, in the same session (SPEC 14: within 1.2x).  Run by
# scripts/bench.sh (PGHOST/PGPORT set, BENCH_RESULTS for the summary); makes
# and drops its own database.
#
# Each side is planned afresh every run (dynamic SQL, as a client's query
# is) and counted with count(*); the two alternate which goes first, after
# one warm-up run each; the medians, and the median of the ratio within each
# round, are reported.  A second, broad query (one lead in seven, run without
# parallel workers) shows what returning many ids costs.
#   BENCH_SMARTLIST_LEADS=1000000  BENCH_SMARTLIST_REPS=21
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
DB=textseq_smartlist
N=${BENCH_SMARTLIST_LEADS:-1000000}
REPS=${BENCH_SMARTLIST_REPS:-21}
trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1' EXIT

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null
psql -qX -d postgres -c "CREATE DATABASE $DB" >/dev/null
psql -qX -d "$DB" -c "CREATE EXTENSION textseq" >/dev/null || exit 1
t0=$(now_s)
psql -qX -d "$DB" -v n="$N" -f bench/smartlist_setup.sql >/dev/null || exit 1
echo "  $(fmt "$N") leads loaded and analyzed in $(fmt "$(awk -v a="$(now_s)" -v b="$t0" 'BEGIN { print a - b }')" 1) s"

Q3="lead.plan = gold and tag = vip and lead.created_at >= 2025-03-01 and lead.created_at < 2025-04-01"
H3="SELECT l.id FROM textseq.lead l WHERE l.fields @> '{\"plan\": \"gold\"}' AND l.tags @> ARRAY['vip']
  AND l.created_at >= '2025-03-01' AND l.created_at < '2025-04-01'"
QB="tag = vip"
HB="SELECT l.id FROM textseq.lead l WHERE l.tags @> ARRAY['vip']"

# pair QUERY HAND: "hand_median smartlist_median paired_ratio_median rows | hand runs | smartlist runs"
# (ms; the paired ratio is the median over rounds of smartlist / hand within the round,
# which a machine whose load drifts during the run disturbs less than the medians do)
pair() {
  psql -qAtX -v ON_ERROR_STOP=1 -d "$DB" -v q="$1" -v h="$2" -v reps="$REPS" -v par="${3:-2}" <<'SQL'
SET max_parallel_workers_per_gather = :par;
CREATE TEMP TABLE r AS SELECT * FROM public.bench_pair(:'h', :'q', :reps);
SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE side = 'hand')::numeric, 2) || ' ' ||
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE side = 'smartlist')::numeric, 2) || ' ' ||
       (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.ms / h.ms)::numeric, 2)
          FROM r s JOIN r h ON h.rep = s.rep AND h.side = 'hand' WHERE s.side = 'smartlist') || ' ' ||
       (SELECT count(*) FROM textseq.smartlist_leads(:'q')) || ' | ' ||
       string_agg(round(ms::numeric, 1)::text, ' ' ORDER BY rep) FILTER (WHERE side = 'hand') || ' | ' ||
       string_agg(round(ms::numeric, 1)::text, ' ' ORDER BY rep) FILTER (WHERE side = 'smartlist')
  FROM r;
SQL
}

# sl_sql QUERY SQL: run SQL with :'q' set to the smartlist query
sl_sql() {
  psql -qAtX -v ON_ERROR_STOP=1 -d "$DB" -v q="$1" <<<"$2"
}

echo "  query: $Q3"
echo "  compiled: $(sl_sql "$Q3" "SELECT textseq.smartlist_sql(:'q');")"
echo "  plan, hand-written: $(psql -qAtX -d "$DB" -c "EXPLAIN (COSTS off) $H3" | tr '\n' ';')"
echo "  plan, smartlist:    $(sl_sql "$Q3" "SELECT string_agg(p, ';') FROM textseq.smartlist_explain(:'q') p;" | sed -E 's/  \(cost=[^)]*\)//g')"
read -r h3 s3 p3 rows3 rest3 < <(pair "$Q3" "$H3")
echo "  three predicates, $rows3 rows: hand-written median $h3 ms, smartlist_leads median $s3 ms ($REPS runs each, interleaved);" \
     "smartlist / hand within a round, median: ${p3}x"
echo "    runs (ms): hand | smartlist: ${rest3#| }"
# without parallel workers: the hand-written count(*) would otherwise split its scan and
# aggregate across workers, which no set-returning function's caller can do
read -r hb sb pb rowsb restb < <(pair "$QB" "$HB" 0)
echo "  broad (tag = vip, no parallel workers), $rowsb rows: hand-written median $hb ms," \
     "smartlist_leads median $sb ms; within a round: ${pb}x"
echo "    runs (ms): hand | smartlist: ${restb#| }"
result smartlist "three-predicate smartlist on $(fmt "$N") leads, median of $REPS ($rows3 rows)" \
  "$s3 ms (${p3}x within a round)" "<= 1.2x hand-written" "hand-written SQL $h3 ms" \
  "broad query ($rowsb rows, no parallel workers): $sb ms vs $hb ms, ${pb}x within a round"
