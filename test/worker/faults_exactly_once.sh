#!/usr/bin/env bash
# faults_exactly_once.sh: a few thousand messages through the worker while the
# mock provider injects random faults (5xx not processed, processed-then-reset,
# 429 with Retry-After, resets, slow answers).  SPEC section 15: every message
# ends exactly once at the provider or in an explained terminal state, none is
# stuck, and the provider id recorded is the one the provider gave.
. "$(dirname "$0")/lib.sh"
N=${FAULT_MESSAGES:-3000}

faults_cleanup() {
  psql -qX -d postgres -c "ALTER SYSTEM RESET textseq.reconcile_after" -c "SELECT pg_reload_conf()" >/dev/null 2>&1
  wt_cleanup
}
trap faults_cleanup EXIT

# mock_fault KIND: how many requests the mock answered with this fault kind.
mock_fault() { curl -s "$MOCK_URL/_mock/stats" | jq -r ".faults.$1"; }

start_mock --fault 'status:503@0.05' --fault 'accept_then_reset@0.05' --fault 'throttle:1@0.05' \
           --fault 'reset@0.03' --fault 'delay:50@0.1'
fresh_db
q "ALTER SYSTEM SET textseq.reconcile_after = '1s'" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
twilio_account main
open_sequence f 'Fault test {{ lead.first_name }}'
leads "$N"
START=$(date +%s%N)
q "SELECT count(textseq.enroll('f', id)) FROM textseq.lead" >/dev/null

TERMINAL="'outbox', 'sent', 'error', 'expired', 'omitted_invalid', 'omitted_landline', 'omitted_opted_out'"
ok "every message reaches a terminal state" wait_for "nothing waiting or in flight" \
   "SELECT count(*) FROM textseq.message WHERE status NOT IN ($TERMINAL)" 0 150
echo "# settled in $(( ($(date +%s%N) - START) / 1000000 )) ms; statuses:" \
     "$(q "SELECT string_agg(status || '=' || n, ' ') FROM (SELECT status, count(*) n FROM textseq.message GROUP BY 1 ORDER BY 1) s")"
echo "# mock faults: $(curl -s "$MOCK_URL/_mock/stats" | jq -c .faults) lists=$(curl -s "$MOCK_URL/_mock/stats" | jq .lists)"
echo "# attempts: $(q "SELECT string_agg(attempts || 'x' || n, ' ') FROM (SELECT attempts, count(*) n FROM textseq.message GROUP BY 1 ORDER BY 1) s")"

is "no fault here is permanent: every message is in outbox" \
   "$(q "SELECT count(*) FROM textseq.message WHERE status = 'outbox'")" "$N"
is "the mock accepted each message exactly once" "$(mock_count)" "$N"
is "no (to, body) pair twice at the provider" "$(mock_dups)" 0
# on failure, show what happened to the first few numbers sent twice
for to in $(jq -r .to "$MOCK_LOG" | sort | uniq -d | head -5); do
  echo "# twice: $to mock: $(grep "\"to\":\"$to\"" "$MOCK_LOG" | jq -r '(.seq|tostring) + " " + .sid + " " + (.fault // "-")' | tr '\n' ';')" \
       "db: $(q "SELECT status || ' ' || provider_id || ' attempts=' || attempts FROM textseq.message WHERE phone = '$to'")"
done
q "SELECT phone || ' ' || provider_id FROM textseq.message ORDER BY 1" >"$T/db.txt"
jq -r '.to + " " + .sid' "$MOCK_LOG" | sort >"$T/mock.txt"
ok "each message holds the sid the provider gave it" cmp -s "$T/db.txt" "$T/mock.txt"
for f in status accept_then_reset throttle reset delay; do
  ok "the mock injected '$f' faults" test "$(mock_fault $f)" -gt 0
done
ok "ambiguous sends were reconciled (list requests made)" test "$(curl -s "$MOCK_URL/_mock/stats" | jq .lists)" -gt 0
ok "some messages were sent again after the provider certainly lacked them" \
   test "$(q "SELECT count(*) FROM textseq.message WHERE attempts > 1")" -gt 0
is "every accepted-then-reset message kept its single send" \
   "$(jq -r 'select(.fault == "accept_then_reset") | .to' "$MOCK_LOG" | sort | uniq -d | wc -l)" 0
is "enrollments finished" "$(q "SELECT count(*) FROM textseq.enrollment WHERE status = 'finished_no_response'")" "$N"
wt_done
