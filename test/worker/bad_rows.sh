#!/usr/bin/env bash
# bad_rows.sh: sending never stalls on one row (issue 7 item 1).  Beside good
# messages, in the same batch: a lead whose field makes the body exceed 1,600
# characters, one whose field makes it exceed the renderer's output limit (the
# render raises), a phone whose zones are not time zones (old data, forced in
# with the validation trigger disabled), and one whose claim raises for a
# reason nobody foresaw (a trigger).  The good ones go out in the same round;
# each bad one is 'error' with its reason, and is never sent.
. "$(dirname "$0")/lib.sh"
start_mock
fresh_db
STARTED=$(q "SELECT now()")
twilio_account main
open_sequence rows 'Hi {{ lead.first_name }}{{ lead.extra }}'
q "SELECT textseq.pause_account('main', 'loading the batch')" >/dev/null
leads 20
LONG=$(q "SELECT textseq.add_lead('Long', NULL, ARRAY['+12015552001'], fields => jsonb_build_object('extra', repeat('x', 1700)))")
HUGE=$(q "SELECT textseq.add_lead('Huge', NULL, ARRAY['+12015552002'], fields => jsonb_build_object('extra', repeat('y', 1100000)))")
ZONE=$(q "SELECT textseq.add_lead('Zone', NULL, ARRAY['+12015552003'])")
BOOM=$(q "SELECT textseq.add_lead('Boom', NULL, ARRAY['+12015552004'])")
q "ALTER TABLE textseq.phone DISABLE TRIGGER phone_derive;
   UPDATE textseq.phone SET zones = '{Mars/Olympus}' WHERE e164 = '+12015552003';
   ALTER TABLE textseq.phone ENABLE TRIGGER phone_derive" >/dev/null
q "CREATE FUNCTION public.boom() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN
     IF NEW.lead_id = $BOOM AND NEW.status = 'sending' THEN
       RAISE EXCEPTION 'no texts for Boom today' USING ERRCODE = 'check_violation';
     END IF;
     RETURN NEW;
   END \$\$;
   CREATE TRIGGER boom BEFORE UPDATE ON textseq.message FOR EACH ROW EXECUTE FUNCTION public.boom()" >/dev/null
q "SELECT count(textseq.enroll('rows', id)) FROM textseq.lead" >/dev/null
q "SELECT textseq.resume_account('main')" >/dev/null

ok "the 20 good messages reach the provider" wait_for "20 outbox" \
   "SELECT count(*) FROM textseq.message WHERE status = 'outbox'" 20 20
is "all in one claim with the bad ones (one claim time for all 24 verdicts)" \
   "$(q "SELECT count(DISTINCT coalesce(claimed_at, finished_at)) FROM textseq.message")" 1
is "the mock received exactly the 20 good ones" "$(mock_count)" 20
is "no bad row reached the provider" \
   "$(grep -cE '"to":"\+1201555200[1-4]"' "$MOCK_LOG")" 0
is "over 1,600 characters: error 21617" \
   "$(q "SELECT status || ' ' || error_code FROM textseq.message WHERE lead_id = $LONG")" "error 21617"
is "over the render limit: error with the renderer's reason" \
   "$(q "SELECT status || ': ' || split_part(error_text, ',', 1) FROM textseq.message WHERE lead_id = $HUGE")" \
   "error: the body could not be rendered: rendered template too long: line 1"
is "zones that are not time zones: error with the reason" \
   "$(q "SELECT status || ': ' || error_text FROM textseq.message WHERE lead_id = $ZONE")" \
   'error: the send window could not be computed: time zone "Mars/Olympus" not recognized: Element 1 of the zones array is not an IANA time zone name.'
is "a claim that raises: error with the error's text" \
   "$(q "SELECT status || ': ' || error_text FROM textseq.message WHERE lead_id = $BOOM")" \
   "error: the claim failed (23514): no texts for Boom today"
is "their enrollments failed" \
   "$(q "SELECT count(*) FROM textseq.enrollment WHERE lead_id IN ($LONG, $HUGE, $ZONE, $BOOM) AND status = 'failed'")" 4
is "the worker reported no error (worker_status.last_error)" \
   "$(q "SELECT coalesce(last_error, 'none') FROM textseq.worker_status WHERE last_error_at >= '$STARTED'")" ""
# the worker goes on: later texts leave at once, the bad ones are not retried
q "DROP TRIGGER boom ON textseq.message" >/dev/null
LATE=$(q "SELECT textseq.add_lead('Late', NULL, ARRAY['+12015559999'])")
q "SELECT textseq.enroll('rows', $LATE)" >/dev/null
ok "a later text still leaves at once" wait_for "the late text" \
   "SELECT status FROM textseq.message WHERE lead_id = $LATE" outbox 10
is "the failed messages stay failed" \
   "$(q "SELECT count(*) FROM textseq.message WHERE lead_id IN ($LONG, $HUGE, $ZONE, $BOOM) AND status = 'error'")" 4
is "nothing twice at the provider" "$(mock_dups)" 0
wt_done
