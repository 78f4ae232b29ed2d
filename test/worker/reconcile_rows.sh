#!/usr/bin/env bash
# reconcile_rows.sh: one lookup whose answer cannot be written does not hold
# up the other answers of its reconciliation round (issue 7 item 2).  Two
# maybe_sent texts: the provider's list shows the first (found -> outbox);
# the list for the second fails (asked again later), and a psql session holds
# the second's row in an open transaction.  The first is settled at once; the
# second's answer waits for its row.  (Reconciliation lists the sender's
# messages once for both, so the provider's answer for the second is "not
# there"; once its row is free it is sent, once.)
. "$(dirname "$0")/lib.sh"
HOLDER=""
SID=AC0123456789abcdef0123456789abcdef
N1=+12015552001 N2=+12015552002
# Stop the lock holder (started here), reset the setting, then the usual cleanup.
reconcile_rows_cleanup() {
  [ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null && wait "$HOLDER" 2>/dev/null
  psql -qX -d postgres -c "ALTER SYSTEM RESET textseq.lock_timeout" -c "SELECT pg_reload_conf()" >/dev/null 2>&1
  wt_cleanup
}
trap reconcile_rows_cleanup EXIT
start_mock --fault "to=$N2,op=list,status:503"
fresh_db
q "ALTER SYSTEM SET textseq.lock_timeout = '1s'" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
twilio_account main
open_sequence rec 'Reconcile test {{ lead.first_name }}'
L1=$(q "SELECT textseq.add_lead('One', NULL, ARRAY['$N1'])")
L2=$(q "SELECT textseq.add_lead('Two', NULL, ARRAY['$N2'])")
q "SELECT textseq.pause_account('main', 'setting up')" >/dev/null
q "SELECT count(textseq.enroll('rec', id)) FROM textseq.lead" >/dev/null
# two sends of unknown fate (as after a timeout), due for reconciliation in 2 s
q "ALTER TABLE textseq.message DISABLE TRIGGER message_status_guard;
   UPDATE textseq.message m SET status = 'maybe_sent', phone = c.phone, body = 'Reconcile test ' || l.first_name,
          claimed_at = now() - interval '10 seconds', run_at = now() + interval '2 seconds', attempts = 1
     FROM textseq.contact c, textseq.lead l WHERE c.lead_id = m.lead_id AND l.id = m.lead_id;
   ALTER TABLE textseq.message ENABLE TRIGGER message_status_guard" >/dev/null
# the provider did take the first one
curl -s -u "$SID:token" --data-urlencode "To=$N1" --data-urlencode "From=+12015550100" \
     --data-urlencode "Body=Reconcile test One" "$MOCK_URL/2010-04-01/Accounts/$SID/Messages.json" >/dev/null
MOCK_SID=$(jq -r .sid "$MOCK_LOG")
# a session holds the second one's row
psql -qAtX -d "$WDB" -c "BEGIN" -c "SELECT 1 FROM textseq.message WHERE lead_id = $L2 FOR UPDATE" \
  -c "SELECT pg_sleep(15)" -c "COMMIT" >/dev/null 2>"$T/holder.err" &
HOLDER=$!
wait_for "the holder" "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(15)'" 1 10
q "SELECT textseq.resume_account('main')" >/dev/null

ok "the found one is settled while the other's row is held" wait_for "One outbox" \
   "SELECT status || ' ' || provider_id FROM textseq.message WHERE lead_id = $L1" "outbox $MOCK_SID" 10
is "(the row was still held then)" \
   "$(q "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(15)'")" 1
is "the held one is still maybe_sent" "$(q "SELECT status FROM textseq.message WHERE lead_id = $L2")" maybe_sent
ok "once free, its answer lands: the provider lacked it, so it goes out" wait_for "Two outbox" \
   "SELECT status FROM textseq.message WHERE lead_id = $L2" outbox 40
is "the provider has each text once" "$(mock_count)" 2
is "no (to, body) twice at the provider" "$(mock_dups)" 0
is "the found one was not sent again" "$(q "SELECT attempts FROM textseq.message WHERE lead_id = $L1")" 1
wt_done
