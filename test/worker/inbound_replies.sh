#!/usr/bin/env bash
# inbound_replies.sh: inbound texts through the running worker and the mock
# provider (issue 8).  After STOP the worker sends the one confirmation and
# nothing else to that phone; HELP gets the help reply; a reply finishes a
# stop-on-reply enrollment and its next step never goes out; a conversation
# that branches queues the step it goes to and the worker sends it.
. "$(dirname "$0")/lib.sh"
start_mock
fresh_db
twilio_account main
open_sequence drip 'Hi {{ lead.first_name }}, step one'
q "SELECT textseq.save_template('two', 'Hi {{ lead.first_name }}, step two')" >/dev/null
q "SELECT textseq.add_step('drip', 'two', '3 seconds')" >/dev/null
N1=+12015552101 N2=+12015552102 N3=+12015552103 N4=+12015552104
for n in 1 2 3; do
  q "SELECT textseq.enroll('drip', textseq.add_lead('L$n', NULL, ARRAY['+1201555210$n']))" >/dev/null
done
ok "the first steps go out" wait_for "3 first steps" "SELECT count(*) FROM textseq.message WHERE step = 1 AND status = 'outbox'" 3 15
# count(to) at the mock
at_mock() { grep -c "\"to\":\"$1\"" "$MOCK_LOG"; }

# STOP from the first, HELP from the second, a plain reply from the third
is "STOP" "$(q "SELECT textseq.receive('$N1', '+12015550100', 'STOP') ->> 'action'")" opted_out
is "HELP" "$(q "SELECT textseq.receive('$N2', '+12015550100', 'help') ->> 'action'")" help
is "a reply" "$(q "SELECT textseq.receive('$N3', '+12015550100', 'Who is this?') ->> 'action'")" finished
ok "the confirmation and the help reply go out" wait_for "replies" \
   "SELECT count(*) FROM textseq.message WHERE kind IN ('confirmation', 'help') AND status = 'outbox'" 2 15
sleep 4    # past the second step's delay
is "the opted-out phone got its first step and the confirmation, nothing more" "$(at_mock $N1)" 2
is "the confirmation says so, no marketing" \
   "$(grep "\"to\":\"$N1\"" "$MOCK_LOG" | tail -1 | jq -r .body)" \
   "You are unsubscribed and will receive no more messages. Reply START to resubscribe."
is "the second phone got its help reply and its second step" "$(at_mock $N2)" 3
is "the one who replied got no second step" "$(at_mock $N3)" 1
is "its enrollment is finished_responded" \
   "$(q "SELECT e.status FROM textseq.enrollment e JOIN textseq.contact c ON c.lead_id = e.lead_id WHERE c.phone = '$N3'")" \
   finished_responded

# a conversation: wait for a reply, branch to a step the worker sends
q "SELECT textseq.save_template('sorry', 'Sorry to hear that')" >/dev/null
q "SELECT textseq.create_sequence('conv', window_start => '00:00', window_end => '23:59:59.999999')" >/dev/null
q "SELECT textseq.add_wait_step('conv', '1 hour')" >/dev/null
q "SELECT textseq.add_step('conv', 'sorry')" >/dev/null
q "SELECT textseq.add_branch('conv', 1, 'less', '5', goto_step => 2)" >/dev/null
q "SELECT textseq.add_branch('conv', 1, 'any', finish => true)" >/dev/null
q "SELECT textseq.enroll('conv', textseq.add_lead('L4', NULL, ARRAY['$N4']))" >/dev/null
is "a low score branches" "$(q "SELECT textseq.receive('$N4', '+12015550100', '2') ->> 'action'")" branch
ok "the worker sends the step it went to" wait_for "sorry sent" \
   "SELECT count(*) FROM textseq.message WHERE lead_id = (SELECT lead_id FROM textseq.contact WHERE phone = '$N4') AND status = 'outbox'" 1 15
is "no (to, body) twice at the provider" "$(mock_dups)" 0
wt_done
