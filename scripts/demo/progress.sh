# progress.sh: the live progress line and the final report of `make demo` (sourced by
# scripts/demo.sh; uses its q, say, note, DB, TS_TMP, MOCK_URL, MOCK_LOG, TIMEOUT).
# Reads only: textseq.message, textseq.queue_health, textseq.worker_status, the mock's
# log and stats, and server.log.

# One row: queue counts by status, the worker's counters.
PROGRESS_SQL="
SELECT concat_ws('|',
	count(*) FILTER (WHERE m.status = 'in_queue'),
	(SELECT due_backlog FROM textseq.queue_health),
	count(*) FILTER (WHERE m.status = 'sending'),
	count(*) FILTER (WHERE m.status = 'maybe_sent'),
	count(*) FILTER (WHERE m.status = 'capped'),
	count(*) FILTER (WHERE m.status = 'outbox'),
	count(*) FILTER (WHERE m.status = 'sent'),
	count(*) FILTER (WHERE m.status = 'held_quiet_hours'),
	count(*) FILTER (WHERE m.status::text LIKE 'omitted%' OR m.status = 'blocked_duplicate'),
	count(*) FILTER (WHERE m.status IN ('error', 'expired', 'canceled', 'delivery_unknown')),
	(SELECT coalesce(sum(sent_total), 0) FROM textseq.worker_status),
	(SELECT coalesce(string_agg(state, ','), 'no worker') FROM textseq.worker_status))
  FROM textseq.message m"

# watch_progress: a line a second until nothing is waiting but held messages, or TIMEOUT.
watch_progress() {
  say "Dispatching"
  note "queued = waiting for its step's delay, due = of those, ready now; msg/s = handed to the provider"
  printf '%s%6s %7s %5s %8s %11s %7s %6s %5s %8s %6s %7s  %s%s\n' "$D" time queued due sending maybe_sent \
    outbox sent held skipped error msg/s worker "$R"
  local start now el tick=0 last_total=0 last_t drained="" rate line pause kept=""
  local inq due sending maybe capped outbox sent held skipped failed total state
  start=$(date +%s.%N); last_t=$start
  DEMO_TIMED_OUT=""
  while :; do
    IFS='|' read -r inq due sending maybe capped outbox sent held skipped failed total state \
      <<<"$(q -c "$PROGRESS_SQL")"
    now=$(date +%s.%N)
    el=$(awk "BEGIN { printf \"%.1f\", $now - $start }")
    rate=$(awk "BEGIN { d = $now - $last_t; printf \"%.0f\", (d > 0 ? ($total - $last_total) / d : 0) }")
    [ "$tick" -eq 0 ] && rate=0
    last_total=$total; last_t=$now
    line=$(printf '%5.1fs %7d %5d %8d %11d %7d %6d %5d %8d %6d %7d  %s' "$el" "$inq" "$due" \
      "$sending" "$maybe" "$outbox" "$sent" "$held" "$skipped" "$failed" "$rate" "$state")
    if [ -t 1 ]; then
      printf '\r\033[K%s' "$line"
      kept=""
      [ $((tick % 5)) -eq 0 ] && printf '\n' && kept=1
    else
      printf '%s\n' "$line"
    fi
    tick=$((tick + 1))
    if [ $((inq + sending + maybe + capped)) -eq 0 ]; then
      [ -z "$drained" ] && drained=$now
      # wait a little longer for the last delivery reports
      if [ "$outbox" -eq 0 ] || awk "BEGIN { exit !($now - $drained > 15) }"; then break; fi
    else
      drained=""
    fi
    if awk "BEGIN { exit !($now - $start >= $TIMEOUT) }"; then DEMO_TIMED_OUT=1; break; fi
    # the next line at start + tick seconds, however long this one took
    pause=$(awk "BEGIN { d = $start + $tick - $(date +%s.%N); printf \"%.3f\", (d > 0 ? d : 0) }")
    sleep "${pause:-1}"
  done
  [ -t 1 ] && [ -z "$kept" ] && printf '\n'
  if [ -n "$DEMO_TIMED_OUT" ]; then
    note "TIMED OUT after ${TIMEOUT} s with $((inq + sending + maybe + capped)) messages still queued, sending or maybe_sent"
  else
    note "done in $(awk "BEGIN { printf \"%.0f\", $now - $start }") s: nothing left to send but the $held messages held for quiet hours"
  fi
}

# report: the final report (scripts/demo/report.sql) plus the mock's view and server.log.
report() {
  q -c "CREATE TABLE demo_mock_log (line jsonb)"
  q -c "COPY demo_mock_log FROM STDIN WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')" <"$MOCK_LOG"
  psql -qX -v ON_ERROR_STOP=1 -d "$DB" -P footer=off -P pager=off -v B="$B" -v R="$R" \
    -f scripts/demo/report.sql
  local stats
  stats=$(curl -sf "$MOCK_URL/_mock/stats" || echo '{}')
  echo
  echo "${B}The mock provider's own counters${R}"
  jq -r '"  requests \(.requests), accepted \(.accepted), refused by faults \(.requests - .accepted - .lists - .fetches),"
         + " reconciliation lists \(.lists), delivery reports posted \(.dlr_posted) (failed \(.dlr_failed))",
         "  faults applied: \(.faults | to_entries | map(select(.value > 0) | "\(.key) \(.value)") | join(", "))"' \
    <<<"$stats"
  server_log_check
}

# server_log_check: any ERROR, FATAL, PANIC or crash in server.log is printed, never hidden.
server_log_check() {
  local pat='(ERROR|FATAL|PANIC):|terminated by signal|was terminated|exited with exit code'
  local n
  n=$(grep -cE "$pat" "$TS_TMP/server.log" || true)
  echo
  if [ "$n" -eq 0 ]; then
    echo "${B}server.log${R}: no errors, no crashes"
  else
    echo "${B}server.log${R}: $n error lines (showing up to 20):"
    grep -E "$pat" "$TS_TMP/server.log" | head -20 | sed 's/^/  /'
  fi
}
