#!/usr/bin/env bash
# bench/bulk_stats.sh: textseq.bulk_stats for one bulk of 1,000,000 messages
# (issue 9: under 50 ms), beside the GROUP BY count over textseq.message that
# the view replaces, same run.  Run by scripts/bench.sh as `bulkstats`
# (PGHOST/PGPORT set, BENCH_RESULTS for the summary); makes and drops its own
# database, which no worker serves (nothing is sent, and only this script
# folds the counts).
#
# The bulk: a three-step sequence, N messages inserted directly in chunks of
# CHUNK (as a launch expands a bulk), in several statuses, through the counts
# trigger; then status moves of 10% of them in claim-sized and record-sized
# UPDATEs.  The view is timed twice: with the deltas of all those statements
# outstanding (as between two sweeps, and more) and after textseq.sweep()
# folded them.  Beside the inserts, the same chunks into a second bulk with the
# counts triggers disabled: what counting costs a launch.
#   BENCH_BULK_MESSAGES=1000000   messages of the bulk
#   BENCH_BULK_CHUNK=50000        messages per INSERT (a launch chunk)
#   BENCH_BULK_QUERIES=2000       timed view queries (pgbench, one client, prepared)
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
DB=textseq_bulkstats
N=${BENCH_BULK_MESSAGES:-1000000}
CHUNK=${BENCH_BULK_CHUNK:-50000}
QUERIES=${BENCH_BULK_QUERIES:-2000}
W=$(mktemp -d /tmp/textseq-bulkstats.XXXXXX)
trap 'rm -rf "$W"; psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1' EXIT
bs() { psql -qAtX -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
since() { awk -v a="$(now_s)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null
psql -qX -d postgres -c "CREATE DATABASE $DB" >/dev/null
bs "CREATE EXTENSION textseq" >/dev/null || exit 1
psql -qX -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL' || exit 1
SELECT textseq.create_account('dry', 'dry_run');
SELECT textseq.add_sender('dry', '+12015550101', '-- Acme');
SELECT textseq.save_template('b', 'Hi {{ lead.first_name }}');
SELECT textseq.create_sequence('bulk');
SELECT textseq.add_step('bulk', 'b'), textseq.add_step('bulk', 'b', '1 day'), textseq.add_step('bulk', 'b', '2 days');
INSERT INTO textseq.bulk (sequence_id, start_at, status)
SELECT id, now(), 'in_progress' FROM textseq.sequence, generate_series(1, 2);
CREATE SCHEMA bench_bulk;
-- chunk(bulk, lo, hi): messages lo..hi of a bulk (ids of fake enrollments and
-- leads; messages hold no foreign key to them).  Step and status by position:
-- a bulk some way through its run, steps 1 and 2 mostly out, step 3 queued.
CREATE FUNCTION bench_bulk.chunk(b bigint, lo bigint, hi bigint) RETURNS void LANGUAGE sql AS $$
	INSERT INTO textseq.message (enrollment_id, bulk_id, sequence_id, step, lead_id, sender_id, template_id,
								 template_version, status, due_at, run_at, expires_at, sent_at)
	SELECT g, b, 1, 1 + g % 3, g, 1, 1, 1, s.status, now(), now() + interval '1 day', now() + interval '2 days',
		   CASE WHEN s.status IN ('outbox', 'sent', 'error', 'delivery_unknown')
				THEN now() - (g % 3600) * interval '1 second' END
	  FROM generate_series(lo, hi) g
	 CROSS JOIN LATERAL (SELECT (CASE WHEN g % 3 = 2 THEN 'in_queue'
									  ELSE (ARRAY['sent', 'sent', 'sent', 'outbox', 'error', 'delivery_unknown',
												  'expired', 'canceled', 'blocked_duplicate', 'omitted_opted_out',
												  'in_queue', 'held_quiet_hours'])[1 + (g / 3) % 12] END
								)::textseq.message_status AS status) s
$$;
SQL

# The chunks of both bulks, interleaved (a chunk of bulk 2 with the counts
# insert trigger disabled, then the same chunk of bulk 1 through it), each in
# its own transaction; the seconds of each side add up in t_plain, t_counted.
t_plain=0 t_counted=0
echo "-- $N messages into bulk 1 (counted) and into bulk 2 (counts insert trigger disabled), $CHUNK per INSERT, interleaved"
for ((lo = 1; lo <= N; lo += CHUNK)); do
  hi=$((lo + CHUNK - 1 < N ? lo + CHUNK - 1 : N))
  bs "ALTER TABLE textseq.message DISABLE TRIGGER message_bulk_count_insert" >/dev/null
  t0=$(now_s); bs "SELECT bench_bulk.chunk(2, $((N + lo)), $((N + hi)))" >/dev/null || exit 1
  t_plain=$(awk -v s="$t_plain" -v a="$(now_s)" -v b="$t0" 'BEGIN { print s + a - b }')
  bs "ALTER TABLE textseq.message ENABLE TRIGGER message_bulk_count_insert" >/dev/null
  t0=$(now_s); bs "SELECT bench_bulk.chunk(1, $lo, $hi)" >/dev/null || exit 1
  t_counted=$(awk -v s="$t_counted" -v a="$(now_s)" -v b="$t0" 'BEGIN { print s + a - b }')
done
t_plain=$(fmt "$t_plain" 1) t_counted=$(fmt "$t_counted" 1)
echo "  inserts: counted $t_counted s, without the counts trigger $t_plain s"

# status moves: claim-like (500 in_queue -> sending) and record-like (500
# sending -> outbox) statements over 10% of the bulk, in transactions of 10
# pairs; step 3 (all in_queue) holds every third message, so 1,500 ids hold 500
base=$(bs "SELECT min(id) FROM textseq.message WHERE bulk_id = 1")
t0=$(now_s)
for ((k = 0; k < N / 10 / 5000; k++)); do
  psql -qAtX -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL || exit 1
DO \$\$
DECLARE
	ids bigint[];
	lo bigint;
BEGIN
	FOR i IN 0 .. 9 LOOP
		lo := $base + ($k * 10 + i) * 1500;
		ids := ARRAY(SELECT id FROM textseq.message WHERE id >= lo AND id < lo + 1500 AND step = 3);
		UPDATE textseq.message SET status = 'sending', claimed_at = now() WHERE id = ANY(ids);
		UPDATE textseq.message SET status = 'outbox', sent_at = now() WHERE id = ANY(ids);
	END LOOP;
END
\$\$;
SQL
done
echo "  status moves: $((N / 10)) messages moved twice, 500 per UPDATE, in $(since "$t0") s"
bs "VACUUM ANALYZE textseq.message" >/dev/null
bs "ANALYZE textseq.bulk_count_delta" >/dev/null
deltas=$(bs "SELECT count(*) FROM textseq.bulk_count_delta WHERE bulk_id = 1")
echo "  bulk 1: $(bs "SELECT count(*) FROM textseq.message WHERE bulk_id = 1") messages, $deltas delta rows outstanding"

# time_view LABEL: QUERIES runs of the view for bulk 1 with pgbench; prints "median p99" in ms.
time_view() {
  echo 'SELECT * FROM textseq.bulk_stats WHERE bulk_id = 1;' >"$W/view.sql"
  rm -f "$W"/pgbench_log.*
  (cd "$W" && pgbench -n -M prepared -c 1 -t "$QUERIES" -l -f view.sql "$DB" >"$W/$1.out" 2>&1) || { cat "$W/$1.out"; return 1; }
  cat "$W"/pgbench_log.* | awk '{ print $3 / 1000 }' | sort -n |
    awk '{ v[NR] = $1 } END { printf "%.2f %.2f", v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.999)] }'
}
read -r d_med d_p99 <<<"$(time_view deltas)" || exit 1
echo "  bulk_stats, $deltas deltas outstanding: median $d_med ms, p99 $d_p99 ms ($QUERIES queries)"
t0=$(now_s)
bs "SELECT textseq._bulk_counts_compact()" >/dev/null
echo "  compaction (the sweep's, of every outstanding delta row): $(since "$t0") s"
read -r c_med c_p99 <<<"$(time_view compacted)" || exit 1
echo "  bulk_stats, compacted: median $c_med ms, p99 $c_p99 ms ($QUERIES queries)"

# the baseline: the counts by scanning the bulk's messages
cat >"$W/group.sql" <<'SQL'
SELECT step, status, count(*) FROM textseq.message WHERE bulk_id = 1 GROUP BY ROLLUP (step), status;
SQL
rm -f "$W"/pgbench_log.*
(cd "$W" && pgbench -n -M prepared -c 1 -t 7 -l -f group.sql "$DB" >"$W/group.out" 2>&1) || { cat "$W/group.out"; exit 1; }
g_med=$(cat "$W"/pgbench_log.* | awk '{ print $3 / 1000 }' | sort -n | awk '{ v[NR] = $1 } END { printf "%.0f", v[int((NR + 1) / 2)] }')
echo "  GROUP BY over the bulk's messages: median $g_med ms (7 runs)"

# the view and the GROUP BY agree
diff=$(bs "WITH v AS (SELECT s.step, e.key AS status, e.value::bigint AS n
                        FROM textseq.bulk_stats s, jsonb_each_text(to_jsonb(s)) e
                       WHERE s.bulk_id = 1 AND e.value <> '0'
                         AND e.key IN (SELECT unnest(enum_range(NULL::textseq.message_status))::text)),
                m AS (SELECT g.step, m.status::text AS status, count(*) AS n
                        FROM textseq.message m CROSS JOIN LATERAL (VALUES (m.step), (NULL)) g(step)
                       WHERE m.bulk_id = 1 GROUP BY 1, 2)
           SELECT count(*) FROM v FULL JOIN m ON v.step IS NOT DISTINCT FROM m.step AND v.status = m.status
            WHERE coalesce(v.n, 0) <> coalesce(m.n, 0)")
echo "  view against GROUP BY: $diff differing counts"

result bulkstats "bulk_stats for a $N-message bulk, median / p99" "$c_med / $c_p99 ms" "< 50 ms" \
  "GROUP BY over its messages $g_med ms" "with $deltas deltas outstanding: $d_med / $d_p99 ms; counts $([ "$diff" = 0 ] && echo match || echo DIFFER)"
result bulkstats "launch-style INSERT of $N messages, counted (trigger)" "$t_counted s" "(report)" \
  "without the counts trigger $t_plain s" "$CHUNK per statement"
[ "$diff" = 0 ]
