#!/usr/bin/env bash
# row_locks.sh: row locks a user holds in an open transaction never stall the
# worker (issue 7 item 3).  One psql session holds an enrollment row (and a
# lead row, which the worker does not need) while that enrollment's text is
# sent; another holds the message row of a text while its send is in flight
# (the mock answers that number 3 s late).  The record step waits at most
# textseq.lock_timeout, records every other outcome, and defers the blocked
# part: the held message's outcome and the held enrollment's move to its next
# step.  Both complete once the locks go; nothing is lost, nothing is an error.
. "$(dirname "$0")/lib.sh"
HOLDERS=()
N_SLOW=+12015552002
# Stop the lock holders (started here), reset the setting, then the usual cleanup.
row_locks_cleanup() {
  local p
  for p in "${HOLDERS[@]+"${HOLDERS[@]}"}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  psql -qX -d postgres -c "ALTER SYSTEM RESET textseq.lock_timeout" -c "SELECT pg_reload_conf()" >/dev/null 2>&1
  wt_cleanup
}
trap row_locks_cleanup EXIT
start_mock --fault "to=$N_SLOW,delay:3000"
fresh_db
q "ALTER SYSTEM SET textseq.lock_timeout = '1s'" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
twilio_account main
q "DELETE FROM textseq.quiet_rule" >/dev/null
q "SELECT textseq.save_template('hi', 'Row lock test {{ lead.first_name }}')" >/dev/null
q "SELECT textseq.save_template('again', 'Row lock test, step two, {{ lead.first_name }}')" >/dev/null
q "SELECT textseq.create_sequence('rows', window_start => '00:00', window_end => '23:59:59.999999')" >/dev/null
q "SELECT textseq.add_step('rows', 'hi'); SELECT textseq.add_step('rows', 'again', '2 seconds')" >/dev/null
leads 10
ENR=$(q "SELECT textseq.add_lead('Enr', NULL, ARRAY['+12015552001'])")
SLOW=$(q "SELECT textseq.add_lead('Slow', NULL, ARRAY['$N_SLOW'])")
q "SELECT textseq.pause_account('main', 'loading')" >/dev/null
q "SELECT count(textseq.enroll('rows', id)) FROM textseq.lead" >/dev/null

# session 1: holds Enr's enrollment row and the lead row of Lead1 for 15 s
psql -qAtX -d "$WDB" -c "BEGIN" \
  -c "SELECT 1 FROM textseq.enrollment WHERE lead_id = $ENR FOR UPDATE" \
  -c "SELECT 1 FROM textseq.lead WHERE id = 1 FOR UPDATE" \
  -c "SELECT pg_sleep(15)" -c "COMMIT" >/dev/null 2>"$T/holder1.err" &
HOLDERS+=($!)
wait_for "session 1 holds its rows" "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(15)'" 1 10
T0=$(q "SELECT extract(epoch FROM clock_timestamp())")
q "SELECT textseq.resume_account('main')" >/dev/null
# session 2: once Slow's text is in flight, holds its message row for 15 s
wait_for "Slow's text in flight" "SELECT status FROM textseq.message WHERE lead_id = $SLOW" sending 10
psql -qAtX -d "$WDB" -c "BEGIN" \
  -c "SELECT 1 FROM textseq.message WHERE lead_id = $SLOW FOR UPDATE" \
  -c "SELECT pg_sleep(15)" -c "COMMIT" >/dev/null 2>"$T/holder2.err" &
HOLDERS+=($!)

ok "the other 11 first texts are recorded while the rows are held" wait_for "11 outbox" \
   "SELECT count(*) FROM textseq.message WHERE step = 1 AND status = 'outbox'" 11 10
# visible within Slow's 3 s answer + at most lock_timeout (1 s) for the held rows + slack
ELAPSED=$(q "SELECT round((extract(epoch FROM clock_timestamp()) - $T0)::numeric, 1)")
ok "the record step was delayed at most lock_timeout (recorded ${ELAPSED}s after the start; 3 s answer + 1 s + 3 s slack)" \
   awk -v e="$ELAPSED" 'BEGIN { exit !(e <= 7) }'
is "the held message is still sending: its outcome waits" \
   "$(q "SELECT status FROM textseq.message WHERE lead_id = $SLOW AND step = 1")" sending
is "its outcome is kept in deferred_result" \
   "$(q "SELECT count(*) FROM textseq.deferred_result")" 1
is "the held enrollment's text is outbox, not an error" \
   "$(q "SELECT status FROM textseq.message WHERE lead_id = $ENR AND step = 1")" outbox
is "its move to the next step waits in deferred_enrollment" \
   "$(q "SELECT current_step || ' ' || (SELECT count(*) FROM textseq.deferred_enrollment) FROM textseq.enrollment WHERE lead_id = $ENR")" "1 1"
ok "the enrollments of the free rows moved on (a held lead row stops nothing)" wait_for "step 2 of the others" \
   "SELECT count(*) FROM textseq.message WHERE step = 2 AND lead_id NOT IN ($ENR, $SLOW) AND status = 'outbox'" 10 15
is "and their next texts went out while the rows were still held" \
   "$(q "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(15)'")" 2

ok "once the rows are free, the held message's outcome is recorded" wait_for "Slow outbox" \
   "SELECT status FROM textseq.message WHERE lead_id = $SLOW AND step = 1" outbox 30
ok "and both held enrollments move on: every step 2 is sent" wait_for "12 step 2 outbox" \
   "SELECT count(*) FROM textseq.message WHERE step = 2 AND status = 'outbox'" 12 20
is "nothing is left deferred" \
   "$(q "SELECT (SELECT count(*) FROM textseq.deferred_result) + (SELECT count(*) FROM textseq.deferred_enrollment)")" 0
is "no message is an error" "$(q "SELECT count(*) FROM textseq.message WHERE status <> 'outbox'")" 0
is "every text once at the provider" "$(mock_count)|$(mock_dups)" "24|0"
wt_done
