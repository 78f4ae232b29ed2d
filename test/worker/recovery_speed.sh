#!/usr/bin/env bash
# recovery_speed.sh: recovery at provider speed (issue 7 item 11).  A worker
# dies (kill -9) with 500 messages claimed: half of them reached the provider
# (the mock holds them unanswered), half never left.  Against a provider whose
# list call takes 200 ms (mock fault op=list,delay:200), the restarted worker
# must settle every one of them (found -> outbox, absent -> resent) within 30 s,
# while a backlog of due messages and a steady trickle of new ones keep going
# out during that time, not after; and nothing is sent twice or lost.
#
# Prints the figures: settle time, new messages sent during recovery and their
# rate, and the worst and 95th-percentile latency of the trickle meanwhile.
. "$(dirname "$0")/lib.sh"
PATH=$(pg_config --bindir):$PATH
IN_FLIGHT=${RECOVERY_IN_FLIGHT:-500}     # claimed when the worker dies
HELD=${RECOVERY_HELD:-250}               # of those, reached the provider
HISTORY=${RECOVERY_HISTORY:-1500}        # sent normally before, from the same senders
BACKLOG=${RECOVERY_BACKLOG:-2000}        # due when the worker comes back
SETTLE_LIMIT_S=${RECOVERY_SETTLE_LIMIT:-30}
LATENCY_LIMIT_MS=${RECOVERY_LATENCY_LIMIT:-4000}
WATCH_S=${RECOVERY_WATCH:-200}           # how long to watch before giving up

recovery_cleanup() {
  touch "$T/stop"
  [ -n "${TRICKLE_PID:-}" ] && wait "$TRICKLE_PID" 2>/dev/null
  psql -qX -d postgres -c "ALTER SYSTEM RESET textseq.max_in_flight" \
       -c "ALTER SYSTEM RESET textseq.request_timeout" -c "SELECT pg_reload_conf()" >/dev/null 2>&1
  wt_cleanup
}
trap recovery_cleanup EXIT

faults() { curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$1" "$MOCK_URL/_mock/faults"; }
mock_stat() { curl -s "$MOCK_URL/_mock/stats" | jq -r ".$1"; }
worker_pid() { q "SELECT pid FROM textseq.worker_status WHERE pid IS NOT NULL" 2>/dev/null; }
now_s() { date +%s.%N; }
# seqcount SEQUENCE STATUS-LIST: messages of a sequence in these statuses.
seqcount() {
  q "SELECT count(*) FROM textseq.message m JOIN textseq.sequence s ON s.id = m.sequence_id
      WHERE s.name = '$1' AND m.status IN ($2)" 2>/dev/null
}
# enroll_new SEQ FIRST COUNT PREFIX: in one transaction, COUNT new leads (+1PREFIX and
# 4 digits from FIRST) enrolled, alternately on the two senders.
enroll_new() {
  psql -qAtX -d "$WDB" -c "SELECT count(textseq.enroll('$1', textseq.add_lead('$1' || g, NULL,
        ARRAY['+1$4' || lpad(g::text, 4, '0')]), sender => CASE WHEN g % 2 = 0 THEN $S1 ELSE $S2 END))
      FROM generate_series($2, $2 + $3 - 1) g" >/dev/null 2>&1
}

start_mock
fresh_db
twilio_account main
S1=$(q "SELECT id FROM textseq.sender WHERE phone_number = '+12015550100'")
S2=$(q "SELECT textseq.add_sender('main', '+12015550101', '', 100000)")
for s in history crash backlog tick; do open_sequence "$s" "${s^} message to {{ lead.first_name }}"; done

# 0. history: messages these senders sent before (the provider's list is longer than the crash)
enroll_new history 0 "$HISTORY" 201557
ok "history sent" wait_for "history" "SELECT count(*) FROM textseq.message WHERE status = 'outbox'" "$HISTORY" 60

# 1. the crash: IN_FLIGHT claimed, HELD of them taken by the provider and never answered
q "ALTER SYSTEM SET textseq.max_in_flight = $HELD" >/dev/null
q "ALTER SYSTEM SET textseq.request_timeout = '120s'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
is "creates hang at the mock" "$(faults 'hang')" 200
enroll_new crash 0 "$IN_FLIGHT" 201555
H0=$HISTORY
for _ in $(seq 1 200); do [ "$(mock_count)" -ge $((H0 + HELD)) ] && break; sleep 0.1; done
is "the provider holds $HELD of the claimed messages" "$(( $(mock_count) - H0 ))" "$HELD"
is "all $IN_FLIGHT claimed ('sending')" "$(seqcount crash "'sending'")" "$IN_FLIGHT"
# what is due when the worker comes back, and how the provider behaves then
enroll_new backlog 0 "$BACKLOG" 201558
is "creates normal, list calls take 200 ms" "$(faults 'op=list,delay:200')" 200
q "ALTER SYSTEM RESET textseq.max_in_flight" >/dev/null
q "ALTER SYSTEM RESET textseq.request_timeout" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null   # the postmaster keeps its settings across the crash
PID=$(worker_pid)
T0=$(now_s)
kill -9 "$PID"
echo "# kill -9 worker $PID with $IN_FLIGHT in flight ($HELD at the provider), $BACKLOG due behind them"

# 2. a steady trickle of new messages (80/s) while the worker recovers
trickle() {
  local i=0
  while [ ! -e "$T/stop" ] && [ $i -lt 240 ]; do
    enroll_new tick $((i * 20)) 20 201556
    i=$((i + 1))
    sleep 0.25
  done
}
trickle &
TRICKLE_PID=$!

# 3. watch until every crashed message is settled (no longer sending or maybe_sent)
SETTLED=""
FIRST_SEEN=""
while :; do
  left=$(seqcount crash "'sending', 'maybe_sent'")
  sending=$(seqcount crash "'sending'")
  if [ -z "$FIRST_SEEN" ] && [ -n "$sending" ] && [ "$sending" -lt "$IN_FLIGHT" ]; then FIRST_SEEN=$(now_s); fi
  if [ "$left" = 0 ]; then SETTLED=$(now_s); break; fi
  awk -v a="$(now_s)" -v b="$T0" -v w="$WATCH_S" 'BEGIN { exit !(a - b > w) }' && break
  sleep 0.1
done
touch "$T/stop"
wait "$TRICKLE_PID" 2>/dev/null
TRICKLE_PID=""
END=${SETTLED:-$(now_s)}
SETTLE_MS=$(awk -v a="$END" -v b="$T0" 'BEGIN { printf "%d", (a - b) * 1000 }')
RECON_MS=$(awk -v a="$END" -v b="${FIRST_SEEN:-$T0}" 'BEGIN { printf "%d", (a - b) * 1000 }')
ok "every maybe_sent settled within ${SETTLE_LIMIT_S} s of the crash (${SETTLE_MS} ms)" \
   test -n "$SETTLED" -a "$SETTLE_MS" -le $((SETTLE_LIMIT_S * 1000))

# figures over the recovery window [T0, END]
WIN="m.sent_at BETWEEN to_timestamp($T0) AND to_timestamp($END)"
read -r NEW_SENT TICK_SENT < <(q "SELECT count(*) FILTER (WHERE s.name IN ('backlog', 'tick')),
                                         count(*) FILTER (WHERE s.name = 'tick')
                                   FROM textseq.message m JOIN textseq.sequence s ON s.id = m.sequence_id
                                  WHERE $WIN" | tr '|' ' ')
read -r TICK_N TICK_MAX TICK_P95 < <(q "SELECT count(*),
        coalesce(round(1000 * extract(epoch FROM max(coalesce(m.sent_at, to_timestamp($END)) - m.created_at))), 0),
        coalesce(round(1000 * extract(epoch FROM percentile_cont(0.95) WITHIN GROUP
                 (ORDER BY coalesce(m.sent_at, to_timestamp($END)) - m.created_at))), 0)
   FROM textseq.message m JOIN textseq.sequence s ON s.id = m.sequence_id
  WHERE s.name = 'tick' AND m.created_at <= to_timestamp($END) - interval '1 second'" | tr '|' ' ')
BACKLOG_MS=$(q "SELECT round(1000 * (extract(epoch FROM max(m.sent_at)) - $T0))
                   FROM textseq.message m JOIN textseq.sequence s ON s.id = m.sequence_id
                  WHERE s.name = 'backlog'")
RATE=$(awk -v n="$NEW_SENT" -v ms="$SETTLE_MS" 'BEGIN { printf "%.0f", (ms > 0 ? n * 1000 / ms : 0) }')
echo "# settle: ${SETTLE_MS} ms after kill -9 (${RECON_MS} ms after the new worker's crash recovery was seen);" \
     "list calls: $(mock_stat lists)"
echo "# new messages sent during recovery: $NEW_SENT (backlog and trickle; trickle $TICK_SENT) = $RATE/s;" \
     "the $BACKLOG backlog was all out ${BACKLOG_MS} ms after the kill"
BACK_RATE=$(awk -v n="$BACKLOG" -v b="$BACKLOG_MS" -v w="$((SETTLE_MS - RECON_MS))" \
  'BEGIN { printf "%.0f", (b - w > 0 ? n * 1000 / (b - w) : 0) }')
echo "# backlog drained at $BACK_RATE/s from the new worker's crash recovery"
echo "# trickle created during recovery: $TICK_N, latency enroll -> provider: max ${TICK_MAX} ms, p95 ${TICK_P95} ms"
ok "new due messages went out during recovery, not after (all $BACKLOG backlog + some trickle)" \
   test "$NEW_SENT" -gt "$BACKLOG"
ok "the trickle never waited on reconciliation (worst ${TICK_MAX} ms <= ${LATENCY_LIMIT_MS} ms)" \
   test "$TICK_N" -gt 0 -a "$TICK_MAX" -le "$LATENCY_LIMIT_MS"

# 4. everything ends at the provider exactly once
TOTAL=$(q "SELECT count(*) FROM textseq.message")
ok "every message ends in outbox" wait_for "all outbox" \
   "SELECT count(*) FROM textseq.message WHERE status = 'outbox'" "$TOTAL" 120
is "the mock received each message exactly once" "$(mock_count)" "$TOTAL"
is "no (to, body) pair twice at the provider" "$(mock_dups)" 0
is "the held messages were found, not resent (one attempt)" \
   "$(q "SELECT count(*) FROM textseq.message m JOIN textseq.sequence s ON s.id = m.sequence_id
          WHERE s.name = 'crash' AND m.attempts = 1")" "$HELD"
q "SELECT phone || ' ' || provider_id FROM textseq.message ORDER BY 1" >"$T/db.txt"
jq -r '.to + " " + .sid' "$MOCK_LOG" | sort >"$T/mock.txt"
ok "each message holds the sid the provider gave it" cmp -s "$T/db.txt" "$T/mock.txt"
wt_done
