#!/usr/bin/env bash
# sigterm_prompt.sh: SIGTERM is honoured within 2 s even in the middle of sends
# and of reconciliation (issue 7 item 5).  The mock holds every create for 10 s,
# then every list call for 10 s; the worker is stopped once with
# pg_terminate_backend() while it sends and once with a plain kill -TERM while it
# reconciles.  Each time its process must be gone within 2 s, with what it knew
# recorded: requests that may have left are maybe_sent, the others back in the
# queue.  Afterwards every message is at the provider exactly once.
. "$(dirname "$0")/lib.sh"
N=${SIGTERM_MESSAGES:-300}
LIMIT_MS=2000

sigterm_cleanup() {
  psql -qX -d postgres -c "ALTER SYSTEM RESET textseq.reconcile_after" -c "SELECT pg_reload_conf()" >/dev/null 2>&1
  wt_cleanup
}
trap sigterm_cleanup EXIT

faults() { curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$1" "$MOCK_URL/_mock/faults"; }
mock_stat() { curl -s "$MOCK_URL/_mock/stats" | jq -r ".$1"; }
worker_pid() { q "SELECT pid FROM textseq.worker_status WHERE pid IS NOT NULL" 2>/dev/null; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# gone_within PID MS: wait up to 15 s for the process to end; GONE_MS = how long it took.
gone_within() {
  local t0 t
  t0=$(now_ms)
  while [ -d "/proc/$1" ] && [ "$(( $(now_ms) - t0 ))" -lt 15000 ]; do sleep 0.02; done
  t=$(( $(now_ms) - t0 ))
  GONE_MS=$t
  [ ! -d "/proc/$1" ] && [ "$t" -le "$2" ]
}

start_mock
fresh_db
q "ALTER SYSTEM SET textseq.reconcile_after = '1s'" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
twilio_account main
open_sequence s 'Shutdown test {{ lead.first_name }}'
leads "$N"

# 1. SIGTERM (pg_terminate_backend) while creates hang for 10 s
is "creates delayed 10 s" "$(faults 'delay:10000')" 200
q "SELECT count(textseq.enroll('s', id)) FROM textseq.lead" >/dev/null
ok "the worker is sending (requests at the mock)" \
   wait_for "requests" "SELECT (SELECT count(*) > 0 FROM textseq.message WHERE status = 'sending')" t 20
for _ in $(seq 1 50); do [ "$(mock_stat requests)" -gt 0 ] && break; sleep 0.1; done
sleep 0.5
PID=$(worker_pid)
q "SELECT pg_terminate_backend($PID)" >/dev/null
ok "pg_terminate_backend while sending: worker $PID gone within ${LIMIT_MS} ms" gone_within "$PID" $LIMIT_MS
sleep 0.3
AT_MOCK=$(mock_count)
echo "# worker $PID exited $GONE_MS ms after pg_terminate_backend ($AT_MOCK creates held at the mock)"
ok "some creates were held at the mock" test "$AT_MOCK" -gt 0 -a "$AT_MOCK" -lt "$N"
is "no message left 'sending' (outcomes recorded before exit)" \
   "$(q "SELECT count(*) FROM textseq.message WHERE status = 'sending'")" 0
is "the creates that reached the mock are maybe_sent" \
   "$(q "SELECT count(*) FROM textseq.message WHERE status = 'maybe_sent'")" "$AT_MOCK"
is "the rest are back in the queue" \
   "$(q "SELECT count(*) FROM textseq.message WHERE status = 'in_queue'")" "$((N - AT_MOCK))"

# 2. plain kill -TERM while reconciliation waits 10 s for a list call
is "creates fast, lists delayed 10 s" "$(faults 'op=list,delay:10000')" 200
LISTS=$(mock_stat lists)
for _ in $(seq 1 300); do [ "$(mock_stat lists)" -gt "$LISTS" ] && break; sleep 0.1; done
ok "a new worker reconciles: a list call is held at the mock" test "$(mock_stat lists)" -gt "$LISTS"
sleep 0.5
PID=$(worker_pid)
MAYBE=$(q "SELECT count(*) FROM textseq.message WHERE status = 'maybe_sent'")
kill -TERM "$PID"
ok "kill -TERM while reconciling: worker $PID gone within ${LIMIT_MS} ms" gone_within "$PID" $LIMIT_MS
echo "# worker $PID exited $GONE_MS ms after kill -TERM ($MAYBE maybe_sent waiting for the list)"
is "reconciliation interrupted: nothing settled without an answer" \
   "$(q "SELECT count(*) FROM textseq.message WHERE status = 'maybe_sent'")" "$MAYBE"

# 3. no faults: everything settles, each message once at the provider
is "faults cleared" "$(faults '')" 200
ok "every message ends at the provider (outbox)" wait_for "all outbox" \
   "SELECT count(*) FROM textseq.message WHERE status = 'outbox'" "$N" 90
is "the mock received each message exactly once" "$(mock_count)" "$N"
is "no (to, body) pair twice at the provider" "$(mock_dups)" 0
is "each message holds a distinct provider id" "$(q "SELECT count(DISTINCT provider_id) FROM textseq.message")" "$N"
wt_done
