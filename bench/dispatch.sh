#!/usr/bin/env bash
# bench/dispatch.sh: dispatch throughput (SPEC section 14: at least 5,000
# messages/s sustained over 200,000 messages, worker, database and mock on the
# same machine; CPU per message).  Run by scripts/bench.sh (see bench/lib.sh
# for the environment).
#
# Two sides, same run, same number of messages, each in a fresh database:
#   dry_run  the database-only ceiling: the same claim and record work, the
#            worker answers the sends itself (no HTTP);
#   mock     twilio at the mock provider over loopback HTTP.
# Each side pauses its account, queues N messages due now (as a bulk launch
# does), then resumes the account in one commit (bench_start) and times the
# worker until the last one is recorded.
#   BENCH_MESSAGES=N   messages per side (default 200000)
#   BENCH_TIMEOUT=S    give up on a side after S seconds (default 1200)
#   BENCH_FLIP=1       queue them an hour ahead instead and make them all due
#                      with one UPDATE (bench_flip): every row then starts the
#                      run with a dead version, as after a mass reschedule
#   BENCH_SIDES="dry_run mock"   the sides to run (dispatch-ab runs mock only)
#   BENCH_LABEL=L      name of this run in the summary (dispatch-ab: A1, B1, ...);
#                      with BENCH_RATES=F, "L side messages/s cpu_us" lines go to F
. "$(dirname "$0")/lib.sh"

N=${BENCH_MESSAGES:-200000}
TIMEOUT=${BENCH_TIMEOUT:-1200}
HZ=$(getconf CLK_TCK)
declare -A RATE CPU

# wait_done DONE0: until the worker has finished N more messages; prints seconds waited.
wait_done() {
  local t0 done
  t0=$(now_s)
  while :; do
    done=$(worker_done_total)
    [ $((done - $1)) -ge "$N" ] && break
    if awk -v a="$(now_s)" -v b="$t0" -v t="$TIMEOUT" 'BEGIN { exit !(a - b > t) }'; then
      echo "  TIMEOUT: the worker finished $((done - $1)) of $N in ${TIMEOUT}s" >&2
      return 1
    fi
    sleep 0.2
  done
}

# profile: the statements that took the most time (pg_stat_statements, nested too).
profile() {
  echo "  profile (pg_stat_statements, track = all; ms per message = total / $N):"
  psql -X -d "$BDB" -P footer=off -c "
    SELECT calls, round(total_exec_time::numeric / $N, 3) AS ms_per_msg, round(mean_exec_time::numeric, 2) AS mean_ms,
           toplevel AS top, left(regexp_replace(query, '\s+', ' ', 'g'), 70) AS statement
      FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
     ORDER BY total_exec_time DESC LIMIT 14" | sed 's/^/    /'
}

# side SEQUENCE LABEL: one measured run.
side() {
  local seq=$1 label=$2 log0 mock0 cpu0 cpu1 done0 t_flip t_end elapsed st span
  echo "-- $label: $N messages"
  bench_fresh_db || return 1
  local t_load; t_load=$(now_s)
  if [ -n "${BENCH_FLIP:-}" ]; then
    bench_load "$seq" "$N" 1 true '1 hour' || return 1
    bench_start "$seq" >/dev/null
  else
    bench_load "$seq" "$N" 1 || return 1
  fi
  echo "  loaded in $(fmt "$(awk -v a="$(now_s)" -v b="$t_load" 'BEGIN { print a - b }')" 1) s"
  log0=$(server_log_size)
  mock0=$(( $(wc -l <"$MOCK_LOG") + 1 ))
  done0=$(worker_done_total)
  read -r -a cpu0 <<<"$(cpu_snapshot)"
  [ -n "${BENCH_PROFILE:-}" ] && bq "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()" >/dev/null
  if [ -n "${BENCH_FLIP:-}" ]; then t_flip=$(bench_flip "$seq"); else t_flip=$(bench_start "$seq"); fi
  wait_done "$done0" || { echo "  statuses: $(status_counts "$seq")"; return 1; }
  read -r -a cpu1 <<<"$(cpu_snapshot)"
  t_end=$(bq "SELECT extract(epoch FROM max(sent_at)) FROM textseq.message")
  elapsed=$(awk -v a="$t_end" -v b="$t_flip" 'BEGIN { print a - b }')
  st=$(status_counts "$seq")
  RATE[$label]=$(div "$N" "$elapsed" 0)
  # CPU: cluster (every postgres process, incl. the worker) + mock, per message
  local cl=$((cpu1[0] - cpu0[0])) wk=$((cpu1[1] - cpu0[1])) mk=$((cpu1[2] - cpu0[2]))
  CPU[$label]=$(awk -v c=$((cl + mk)) -v n="$N" -v hz="$HZ" 'BEGIN { printf "%.0f", c * 1e6 / hz / n }')
  echo "  elapsed (start commit -> last record): $(fmt "$elapsed" 2) s  => ${RATE[$label]} messages/s"
  echo "  statuses: $st"
  # does the rate hold over the run?  first and last fifth of the messages
  bq "WITH s AS (SELECT extract(epoch FROM sent_at) AS t, row_number() OVER (ORDER BY sent_at) AS rn
                   FROM textseq.message WHERE sent_at IS NOT NULL),
          k AS (SELECT max(t) FILTER (WHERE rn <= $N / 5) AS t20, min(t) FILTER (WHERE rn > $N * 4 / 5) AS t80,
                       max(t) AS t100 FROM s)
      SELECT '  messages/s over the first fifth ' || round(($N / 5) / nullif(t20 - $t_flip, 0)) ||
             ', over the last fifth ' || round(($N / 5) / nullif(t100 - t80, 0)) FROM k"
  echo "  CPU: cluster $(div $((cl * 1000)) "$HZ" 0) ms (worker $(div $((wk * 1000)) "$HZ" 0) ms), mock $(div $((mk * 1000)) "$HZ" 0) ms;" \
       "${CPU[$label]} us per message (cluster + mock); elapsed x 2 cores = $(fmt "$(awk -v e="$elapsed" 'BEGIN { print e * 2000 }')") ms"
  if [ "$label" = mock ]; then
    read -r count first last dups <<<"$(bash "$(dirname "$0")/mocklog.sh" "$MOCK_LOG" "$mock0")"
    span=$(awk -v a="$last" -v b="$first" 'BEGIN { print a - b }')
    echo "  mock: $count messages received, $dups duplicates; first->last receipt $(fmt "$span" 2) s" \
         "=> $(div $((count - 1)) "$span" 0) messages/s"
    [ "$count" -eq "$N" ] || echo "  PROBLEM: the mock received $count messages, expected $N"
    [ "$dups" -eq 0 ] || echo "  PROBLEM: $dups messages reached the mock twice"
  fi
  local errs; errs=$(server_errors "$log0")
  [ -n "$errs" ] && { echo "  server.log errors during the run:"; echo "$errs" | sort | uniq -c | head -10; }
  [ -n "${BENCH_PROFILE:-}" ] && profile
  bq "SELECT 'batches ' || batches_total || ', wakeups ' || wakeups_total FROM textseq.worker_status WHERE pid IS NOT NULL" | sed 's/^/  worker: /'
  return 0
}

rc=0
SIDES=${BENCH_SIDES:-dry_run mock}
for s in $SIDES; do
  side "$([ "$s" = dry_run ] && echo dry_seq || echo mock_seq)" "$s" || rc=1
  [ -n "${BENCH_RATES:-}" ] && echo "${BENCH_LABEL:-run} $s ${RATE[$s]:-n/a} ${CPU[$s]:-n/a}" >>"$BENCH_RATES"
done
if [ -n "${BENCH_LABEL:-}" ]; then
  result "dispatch ${BENCH_LABEL}" "messages/s, $N messages ($SIDES)" \
    "${RATE[mock]:-${RATE[dry_run]:-n/a}}" "(A/B)" "${RATE[dry_run]:+dry_run ${RATE[dry_run]}/s}" \
    "CPU ${CPU[mock]:-${CPU[dry_run]:-n/a}} us/msg"
  exit $rc
fi
result dispatch "messages/s, $N messages to the mock" "${RATE[mock]:-n/a}" ">= 5000" \
  "dry_run ceiling ${RATE[dry_run]:-n/a}/s" "fsync ${BENCH_FSYNC:-on}${BENCH_FLIP:+, after a mass UPDATE (BENCH_FLIP)}"
result dispatch "CPU per message (cluster + mock)" "${CPU[mock]:-n/a} us" "(report)" \
  "dry_run ${CPU[dry_run]:-n/a} us" "2 cores = 400 us/msg at 5000/s"
exit $rc
