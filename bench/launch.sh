#!/usr/bin/env bash
# bench/launch.sh: a bulk launch of 1,000,000 leads to a three-step sequence,
# until every first message is queued, beside a raw INSERT ... SELECT of
# 1,000,000 rows into an equally indexed copy of textseq.message, same run
# (SPEC 14: within 1.5x).  Run by scripts/bench.sh (see bench/lib.sh).
#
# After a warm-up launch (not measured: it brings the lead, contact and phone
# tables into the cache, as a CRM's are), each round measures, after a
# CHECKPOINT and on emptied message and enrollment tables:
#   baseline  INSERT INTO message_copy (...) SELECT ... FROM generate_series,
#             one statement, the row a launch writes (the copy's defaults
#             fill the rest, gen_random_uuid() included);
#   worker    textseq.launch(...) returning at once, then the dispatch worker
#             expanding the members a chunk per transaction: from the launch
#             call to the commit of the last chunk (polled every 0.1 s);
#   wait      textseq.launch(..., wait => true): all in the caller's
#             transaction.
# The launch starts tomorrow, so nothing is sent meanwhile.  Reported: the
# median of the rounds' ratios to the baseline of the same round, all runs,
# and the CPU of the cluster per member.
#   BENCH_LAUNCH_LEADS=1000000  BENCH_LAUNCH_ROUNDS=3  BENCH_LAUNCH_CHUNK=(textseq.expand_chunk)
. "$(dirname "$0")/lib.sh"
N=${BENCH_LAUNCH_LEADS:-1000000}
ROUNDS=${BENCH_LAUNCH_ROUNDS:-3}
HZ=$(getconf CLK_TCK)

bench_fresh_db || exit 1
t0=$(now_s)
psql -qX -v ON_ERROR_STOP=1 -d "$BDB" -v n="$N" -f bench/launch_setup.sql >/dev/null || exit 1
echo "  $(fmt "$N") leads loaded in $(fmt "$(awk -v a="$(now_s)" -v b="$t0" 'BEGIN { print a - b }')" 0) s"
if [ -n "${BENCH_LAUNCH_CHUNK:-}" ]; then
  bq "ALTER SYSTEM SET textseq.expand_chunk = ${BENCH_LAUNCH_CHUNK}" >/dev/null; bq "SELECT pg_reload_conf()" >/dev/null
fi
CHUNK=$(bq "SHOW textseq.expand_chunk")
echo "  textseq.expand_chunk = $CHUNK"

# fresh: empty the launch tables, then a checkpoint (every side starts with the same WAL state)
fresh() {
  bq "TRUNCATE textseq.message, textseq.enrollment, textseq.bulk_chunk, textseq.bulk_skip, textseq.bulk,
               public.message_copy" >/dev/null
  bq "CHECKPOINT" >/dev/null
}

# measured SQL: run SQL in one session; prints "wall_seconds backend_cpu_seconds cluster_cpu_seconds"
# (the backend reads its own /proc/self/stat; the cluster's CPU includes autovacuum, the
# checkpointer and the WAL writer, and for the worker side the worker).  WORKER=1: the
# worker's CPU meanwhile is added to the backend's, and the launch call's time goes to
# CALL_FILE.  The machine is shared: CPU tells the work apart from others' load.
measured() {
  local sql=$1 w0=0 w1=0 wpid="" c0 c1 out
  [ -n "${WORKER:-}" ] && wpid=$(worker_pid) && w0=$(proc_ticks "$wpid")
  c0=$(cluster_ticks)
  out=$(psql -qAtX -v ON_ERROR_STOP=1 -d "$BDB" <<SQL
SELECT split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint AS c0 FROM pg_read_file('/proc/self/stat') s \gset
SELECT clock_timestamp() AS t0 \gset
$sql
SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 2) || ' ' ||
       (split_part(s, ' ', 14)::bigint + split_part(s, ' ', 15)::bigint - :c0) FROM pg_read_file('/proc/self/stat') s;
SQL
  ) || return 1
  sleep 0.3; c1=$(cluster_ticks)		# (the session's backend has exited and been reaped)
  [ -n "$wpid" ] && w1=$(proc_ticks "$wpid")
  [ -n "${WORKER:-}" ] && echo "$out" | head -1 >"$CALL_FILE"
  echo "$out" | tail -1 | awk -v w="$((w1 - w0))" -v c="$((c1 - c0))" -v hz="$HZ" \
    '{ printf "%s %.2f %.2f\n", $1, ($2 + w) / hz, c / hz }'
}

COLS="enrollment_id, bulk_id, sequence_id, step, lead_id, sender_id, template_id, template_version, signature,
      due_at, run_at, expires_at"
ROW="g, 1, q.id, 1, g, s.id, t.id, t.current_version, s.signature,
     now() + interval '1 day', now() + interval '1 day', now() + interval '60 hours'"
FROM="FROM generate_series(1, $N) g, textseq.sequence q, textseq.sender s, textseq.template t
      WHERE q.name = 'launch_seq' AND s.phone_number = '+12015550100' AND t.name = 'bench'"
BASELINE="INSERT INTO public.message_copy ($COLS) SELECT $ROW $FROM;"
# the same insert with the idempotency keys supplied as the launch makes them
# (a random prefix and a counter): how much of the baseline gen_random_uuid() is
KEYED="INSERT INTO public.message_copy ($COLS, idempotency_key)
       SELECT $ROW, ('0123456789abcdef' || to_hex(g + 1152921504606846976))::uuid $FROM;"
WAIT="SELECT textseq.launch('launch_seq', bulkimport_id => 1, start_at => now() + interval '1 day', wait => true) AS b \gset"
# the worker side: launch, then wait (polling every 0.1 s in this session, no new
# connections) until the worker has expanded the bulk
LAUNCH="SELECT textseq.launch('launch_seq', bulkimport_id => 1, start_at => now() + interval '1 day') AS b \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'t0')::numeric, 2);
DO \$\$ BEGIN
	FOR i IN 1 .. 36000 LOOP
		EXIT WHEN (SELECT status FROM textseq.bulk ORDER BY id DESC LIMIT 1) = 'in_progress';
		PERFORM pg_sleep(0.1);
	END LOOP;
END \$\$;"

check() {
  local want=$((N - N / 100))		# one in 200 opted out, one in 200 landline: omitted_* first messages
  got=$(bq "SELECT count(*) FILTER (WHERE status = 'in_queue') || ' ' || count(*) FROM textseq.message WHERE step = 1")
  [ "$got" = "$want $N" ] || { echo "  CHECK FAILED: first messages (queued, all) $got, expected $want $N" >&2; return 1; }
}

# warm-up, not measured: the lead, contact and phone tables and the catalogs in cache
fresh; measured "$WAIT" >/dev/null || exit 1
declare -a RW RA RK RCW RCA
CALL_FILE=$(mktemp /tmp/textseq-launch-call.XXXXXX)
trap 'rm -f "$CALL_FILE"' EXIT
[ -n "${BENCH_PROFILE:-}" ] && bq "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
for r in $(seq 1 "$ROUNDS"); do
  fresh; read -r bw bc bcc < <(measured "$BASELINE")
  fresh; read -r kw kc kcc < <(measured "$KEYED")
  fresh; [ -n "${BENCH_PROFILE:-}" ] && bq "SELECT pg_stat_statements_reset()" >/dev/null
  read -r ww wc wcc < <(WORKER=1 measured "$LAUNCH") || exit 1
  check || exit 1
  if [ -n "${BENCH_PROFILE:-}" ] && [ "$r" = 1 ]; then
    echo "  profile of the worker side (pg_stat_statements, track = all):"
    psql -X -d "$BDB" -P footer=off -c "
      SELECT calls, round(total_exec_time::numeric) AS total_ms, round(mean_exec_time::numeric, 2) AS mean_ms,
             left(regexp_replace(query, '\s+', ' ', 'g'), 80) AS statement
        FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       ORDER BY total_exec_time DESC LIMIT 10" | sed 's/^/    /'
  fi
  chunks=$(bq "SELECT chunk_count FROM textseq.bulk")
  fresh; read -r aw ac acc < <(measured "$WAIT") || exit 1
  check || exit 1
  RW+=("$(ratio "$ww" "$bw")"); RA+=("$(ratio "$aw" "$bw")"); RK+=("$(ratio "$kw" "$bw")")
  RCW+=("$(ratio "$wc" "$bc")"); RCA+=("$(ratio "$ac" "$bc")")
  echo "  round $r (wall s, CPU s of the backend [+ worker], CPU s of the whole cluster):"
  echo "    baseline INSERT            $bw, $bc, $bcc  (its keys supplied instead: $kw, $kc, $kcc)"
  echo "    launch + worker            $ww, $wc, $wcc  (the launch call $(cat "$CALL_FILE") s; $chunks chunks)"
  echo "    launch with wait => true   $aw, $ac, $acc"
  echo "    => wall ${RW[-1]}x and ${RA[-1]}x the baseline; CPU ${RCW[-1]}x and ${RCA[-1]}x"
  ALL_RUNS+="r$r: base $bw, keyed $kw, worker $ww, wait $aw; "
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
mw=$(median "${RW[@]}"); ma=$(median "${RA[@]}"); mk=$(median "${RK[@]}")
mcw=$(median "${RCW[@]}"); mca=$(median "${RCA[@]}")
echo "  median of $ROUNDS rounds: launch + worker ${mw}x the baseline, wait => true ${ma}x (CPU: ${mcw}x, ${mca}x);" \
     "the baseline with its keys supplied is ${mk}x itself"
result launch "$(fmt "$N")-lead launch (3-step sequence) until every first message is queued, worker, median of $ROUNDS" \
  "${mw}x the INSERT" "<= 1.5x" "raw INSERT ... SELECT of $(fmt "$N") rows into a copy of textseq.message" \
  "wait => true ${ma}x; CPU ${mcw}x and ${mca}x; ${ALL_RUNS% }"
