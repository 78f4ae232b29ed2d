#!/usr/bin/env bash
# record_conflict.sh: a batch whose results cannot all be recorded is not
# retried forever ahead of all other work (issue 7 item 2).  The mock's sids
# encode its sequence number, so the test knows the sid the fourth send will
# get and gives it to another message first: recording that send violates the
# unique provider id.  That one outcome is recorded as 'error' with the
# reason (terminal: the text the provider took is never sent again); the
# rest of the batch commits, and later texts go out.
. "$(dirname "$0")/lib.sh"
start_mock
fresh_db
STARTED=$(q "SELECT now()")
twilio_account main
open_sequence conflict 'Conflict test {{ lead.first_name }}'
leads 6
q "SELECT textseq.enroll('conflict', 1)" >/dev/null
ok "warm-up send" wait_for "warm-up" "SELECT status FROM textseq.message WHERE lead_id = 1" outbox 10
SID1=$(jq -r .sid "$MOCK_LOG" | head -1)
PREFIX=${SID1:0:18}
TAKEN=$(printf '%s%016x' "$PREFIX" 4)
# another message already holds the sid the mock will give the 4th message it accepts
q "UPDATE textseq.message SET provider_id = '$TAKEN' WHERE lead_id = 1" >/dev/null
q "SELECT count(textseq.enroll('conflict', id)) FROM textseq.lead WHERE id BETWEEN 2 AND 6" >/dev/null
ok "the batch is recorded: nothing is left sending" wait_for "no sending" \
   "SELECT count(*) FROM textseq.message WHERE status = 'sending'" 0 15
is "the mock accepted all five" "$(mock_count)" 6
is "four are outbox" "$(q "SELECT count(*) FROM textseq.message WHERE lead_id BETWEEN 2 AND 6 AND status = 'outbox'")" 4
is "the one whose sid is taken is error" \
   "$(q "SELECT count(*) FROM textseq.message WHERE lead_id BETWEEN 2 AND 6 AND status = 'error'")" 1
ok "with the reason and the provider's id" test -n "$(q "SELECT 1 FROM textseq.message
   WHERE status = 'error' AND error_text LIKE 'the outcome outbox (provider id $TAKEN) could not be recorded: duplicate key%'")"
is "its enrollment failed" \
   "$(q "SELECT e.status FROM textseq.enrollment e JOIN textseq.message m ON m.enrollment_id = e.id WHERE m.status = 'error'")" failed
q "SELECT textseq.enroll('conflict', textseq.add_lead('Late', NULL, ARRAY['+12015559999']))" >/dev/null
ok "later texts go out" wait_for "the late text" \
   "SELECT count(*) FROM textseq.message m JOIN textseq.lead l ON l.id = m.lead_id WHERE l.first_name = 'Late' AND m.status = 'outbox'" 1 10
sleep 2
is "the failed one was never sent again" "$(mock_count)" 7
is "no (to, body) twice at the provider" "$(mock_dups)" 0
is "the worker reported no error (worker_status.last_error)" \
   "$(q "SELECT coalesce(last_error, 'none') FROM textseq.worker_status WHERE last_error_at >= '$STARTED'")" ""
wt_done
