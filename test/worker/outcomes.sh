#!/usr/bin/env bash
# outcomes.sh: every provider outcome class through the real dispatch worker
# (SPEC section 6 "Outcomes", issue #3 item 2).  The mock answers each
# recipient number with its own fault; afterwards each message, its phone and
# its enrollment must be in the state the SPEC gives, and the mock must have
# seen each number exactly as often as the rules allow (permanent errors once,
# ambiguous sends resolved by reconciliation before any resend, never twice).
# Requests go one at a time over a kept-alive connection (max_in_flight = 1,
# after a warm-up send), as most of them do in production: a connection that
# dies after the provider took the request must not be retried by libcurl.
. "$(dirname "$0")/lib.sh"

SID=AC0123456789abcdef0123456789abcdef
N_INV1=+12015552001 N_INV2=+12015552002 N_OPT=+12015552003
N_LL1=+12015552004 N_LL1B=+12015552104 N_LL2=+12015552005 N_LL2B=+12015552105
N_FILT=+12015552006 N_UNR=+12015552007 N_THR=+12015552008 N_500=+12015552009
N_A500=+12015552010 N_ARST=+12015552011 N_HANG=+12015552012 N_OK=+12015552013

# Undo the settings this test changes, then the usual cleanup.
outcomes_cleanup() {
  psql -qX -d postgres -c "ALTER SYSTEM RESET textseq.reconcile_after" \
       -c "ALTER SYSTEM RESET textseq.request_timeout" -c "ALTER SYSTEM RESET textseq.max_in_flight" \
       -c "SELECT pg_reload_conf()" >/dev/null 2>&1
  wt_cleanup
}
trap outcomes_cleanup EXIT

# mock_stat NAME: a counter from the mock's /_mock/stats (faults.NAME for fault kinds).
mock_stat() { curl -s "$MOCK_URL/_mock/stats" | jq -r "if has(\"$1\") then .$1 else .faults.$1 end"; }
# at_mock NUMBER: accepted messages to NUMBER in the mock's log.
at_mock() { grep -c "\"to\":\"$1\"" "$MOCK_LOG"; }
# msg NUMBER COLUMN: a column of the (only) message sent to NUMBER.
msg() { q "SELECT $2 FROM textseq.message WHERE phone = '$1'"; }
# phone NUMBER COLUMN: a column of the number's per-phone state.
phone() { q "SELECT $2 FROM textseq.phone WHERE e164 = '$1'"; }
# enr NUMBER: the status of the enrollment of the message sent to NUMBER.
enr() { q "SELECT e.status FROM textseq.enrollment e JOIN textseq.message m ON m.enrollment_id = e.id
           WHERE m.phone = '$1'"; }

start_mock --auth "$SID:token" \
  --fault "to=$N_INV1,error:21211" --fault "to=$N_INV2,error:30005" --fault "to=$N_OPT,error:21610" \
  --fault "to=$N_LL1,error:21614" --fault "to=$N_LL2,error:30006" --fault "to=$N_FILT,error:30007" \
  --fault "to=$N_UNR,error:30003" --fault "to=$N_THR,throttle:1@#1" --fault "to=$N_500,status:500@#1" \
  --fault "to=$N_A500,accept_then_status:500@#1" --fault "to=$N_ARST,accept_then_reset@#1" \
  --fault "to=$N_HANG,hang@#1"
fresh_db
q "ALTER SYSTEM SET textseq.reconcile_after = '1s'" >/dev/null
q "ALTER SYSTEM SET textseq.request_timeout = '2s'" >/dev/null
q "ALTER SYSTEM SET textseq.max_in_flight = 1" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
twilio_account main
q "SELECT textseq.create_account('bad', 'twilio', account_sid => '$SID', secret => 'wrong-token',
                                 base_url => '$MOCK_URL', messages_per_second => 100000)" >/dev/null
BAD_SENDER=$(q "SELECT textseq.add_sender('bad', '+12015550200', '', 100000)")
q "DELETE FROM textseq.quiet_rule" >/dev/null 2>&1
q "SELECT textseq.save_template('t', 'Outcome test for {{ lead.first_name }}')" >/dev/null
q "SELECT textseq.create_sequence('o', window_start => '00:00', window_end => '23:59:59.999999')" >/dev/null
q "SELECT textseq.add_step('o', 't')" >/dev/null

# Warm-up: one plain send opens the connection the others reuse.
OK_LEAD=$(q "SELECT textseq.add_lead('LOK', NULL, ARRAY['$N_OK'])")
q "SELECT textseq.enroll('o', $OK_LEAD)" >/dev/null
ok "warm-up send accepted" wait_for "warm-up" "SELECT status FROM textseq.message WHERE phone = '$N_OK'" outbox 10
# One lead per number (the landline leads have a second, mobile number).
for n in $N_INV1 $N_INV2 $N_OPT $N_FILT $N_UNR $N_THR $N_500 $N_A500 $N_ARST $N_HANG; do
  q "SELECT textseq.add_lead('L$n', NULL, ARRAY['$n'])" >/dev/null
done
LL1=$(q "SELECT textseq.add_lead('LL1', NULL, ARRAY['$N_LL1', '$N_LL1B'])")
LL2=$(q "SELECT textseq.add_lead('LL2', NULL, ARRAY['$N_LL2', '$N_LL2B'])")
q "SELECT count(textseq.add_lead('Bad' || g, NULL, ARRAY['+120155522' || lpad(g::text, 2, '0')]))
     FROM generate_series(1, 5) g" >/dev/null
q "SELECT count(textseq.enroll('o', id)) FROM textseq.lead WHERE first_name NOT LIKE 'Bad%' AND id <> $OK_LEAD" >/dev/null
q "SELECT count(textseq.enroll('o', id, sender => $BAD_SENDER)) FROM textseq.lead WHERE first_name LIKE 'Bad%'" >/dev/null

ok "every message of the good account settles" wait_for "no message in flight or due" \
   "SELECT count(*) FROM textseq.message m JOIN textseq.sender s ON s.id = m.sender_id
     JOIN textseq.account a ON a.id = s.account_id
    WHERE a.name = 'main' AND (m.status IN ('sending', 'maybe_sent') OR (m.status = 'in_queue' AND m.run_at <= now()))" 0 40

# invalid numbers
for n in $N_INV1 $N_INV2; do
  is "$n ($(msg $n error_code)): message omitted_invalid" "$(msg $n status)" omitted_invalid
  is "$n: phone marked invalid" "$(phone $n invalid)" t
  is "$n: enrollment omitted_invalid" "$(enr $n)" omitted_invalid
done
# opted out
is "21610: message omitted_opted_out" "$(msg $N_OPT status)" omitted_opted_out
is "21610: phone opted out" "$(phone $N_OPT opted_out)" t
ok "21610: opt-out time recorded" test -n "$(phone $N_OPT opted_out_at)"
# landlines: the number is marked, and the same message goes on to the lead's
# next textable number (SPEC 10) -- one text per lead, none to the landline
for pair in "$LL1 $N_LL1 $N_LL1B" "$LL2 $N_LL2 $N_LL2B"; do
  set -- $pair
  is "$2: phone line_type landline" "$(phone $2 line_type)" landline
  is "$2: the message went on to the next number" \
     "$(q "SELECT phone || ' ' || status FROM textseq.message WHERE lead_id = $1" 2>/dev/null)" \
     "$3 outbox"
  is "$2: enrollment finished normally" \
     "$(q "SELECT status FROM textseq.enrollment WHERE lead_id = $1")" finished_no_response
done
is "the second numbers reached the provider once each" "$(at_mock $N_LL1B)$(at_mock $N_LL2B)" 11
is "the landline numbers are never a message's number" \
   "$(q "SELECT count(*) FROM textseq.message WHERE phone IN ('$N_LL1', '$N_LL2')")" 0
# carrier filter: an error, never retried
is "30007: message error" "$(msg $N_FILT status)" error
is "30007: error code kept" "$(msg $N_FILT error_code)" 30007
is "30007: sent once (attempts)" "$(msg $N_FILT attempts)" 1
is "30007: enrollment failed" "$(enr $N_FILT)" failed
# unreachable: back in the queue, hours later
is "30003: back in_queue" "$(msg $N_UNR status)" in_queue
is "30003: one attempt so far" "$(msg $N_UNR attempts)" 1
is "30003: retried about an hour later" \
   "$(msg $N_UNR "run_at BETWEEN now() + interval '55 minutes' AND now() + interval '65 minutes'")" t
is "30003: enrollment still pending" "$(enr $N_UNR)" pending
is "each error number was asked exactly once (mock error faults)" "$(mock_stat error)" 7
# 429 with Retry-After
is "429: sent after the throttle" "$(msg $N_THR status)" outbox
is "429: two attempts" "$(msg $N_THR attempts)" 2
is "429: exactly once at the mock" "$(at_mock $N_THR)" 1
is "429: the mock throttled once" "$(mock_stat throttle)" 1
# ambiguous outcomes, resolved by reconciliation
is "500 not recorded: resent after reconciliation found nothing" "$(msg $N_500 status)|$(msg $N_500 attempts)" "outbox|2"
is "500 not recorded: exactly once at the mock" "$(at_mock $N_500)" 1
for n in $N_A500 $N_ARST $N_HANG; do
  sid=$(grep -m1 "\"to\":\"$n\"" "$MOCK_LOG" | jq -r .sid)
  fault=$(grep -m1 "\"to\":\"$n\"" "$MOCK_LOG" | jq -r .fault)
  is "$fault: exactly once at the mock" "$(at_mock $n)" 1
  is "$fault: outbox with the mock's sid, not resent" "$(msg $n status)|$(msg $n provider_id)|$(msg $n attempts)" "outbox|$sid|1"
done
# one list of the sender may settle all four ambiguous messages (issue 7 item 11): at least one
echo "# list calls: $(mock_stat lists) for 4 ambiguous messages"
ok "reconciliation asked the provider's list" test "$(mock_stat lists)" -ge 1
is "the plain number went through" "$(msg $N_OK status)|$(at_mock $N_OK)" "outbox|1"
is "no (to, body) twice at the provider" "$(mock_dups)" 0

# 401: the account is paused with a visible reason; its queue is not burned
ok "401: account paused" wait_for "paused" "SELECT paused FROM textseq.account WHERE name = 'bad'" t 10
ok "401: pause reason in textseq.account" \
   test -n "$(q "SELECT 1 FROM textseq.account WHERE name = 'bad' AND paused_reason LIKE '%401%' AND paused_at IS NOT NULL")"
is "401: worker_status lists the paused account and why" \
   "$(q "SELECT p ->> 'account', p ->> 'reason' LIKE '%credentials%' FROM textseq.worker_status, jsonb_array_elements(paused_accounts) p")" "bad|t"
is "401: its messages stay in_queue" \
   "$(q "SELECT count(*) FROM textseq.message WHERE sender_id = $BAD_SENDER AND status = 'in_queue'")" 5
AUTH_FAILED=$(mock_stat auth_failed)
ok "401: the provider refused at most one batch" test "$AUTH_FAILED" -ge 1 -a "$AUTH_FAILED" -le 5
sleep 3
is "401: a paused account is not retried" "$(mock_stat auth_failed)" "$AUTH_FAILED"
q "UPDATE textseq.account_secret SET secret = 'token' WHERE account_id = (SELECT id FROM textseq.account WHERE name = 'bad')"
q "UPDATE textseq.account SET paused = false, paused_reason = NULL, paused_at = NULL WHERE name = 'bad'"
ok "401: after the fix and unpause, its messages go out" wait_for "bad account's messages sent" \
   "SELECT count(*) FROM textseq.message WHERE sender_id = $BAD_SENDER AND status = 'outbox'" 5 25
is "401: each exactly once at the mock" "$(grep -c '"from":"+12015550200"' "$MOCK_LOG")" 5
wt_done
