#!/usr/bin/env bash
# bulk_counts.sh: the counts of a bulk stay exact through a real dispatch run
# (issue 9 item 3; docs/bulk-stats.md).  A two-step bulk of 1,000 leads (2,000
# messages) goes through the worker to the mock provider while it injects
# faults (5xx, resets after accepting, 429, slow answers), so messages take
# every dispatch path: claim, record, retry, maybe_sent and reconciliation,
# the next step queued by the record.  Some leads are opted out or deleted.
# At the end textseq.bulk_stats equals a GROUP BY over textseq.message, before
# and after the sweep folds the deltas, and the bulk becomes done once
# textseq.bulk_done_after has passed since its last send.
. "$(dirname "$0")/lib.sh"
N=${BULK_LEADS:-1000}

bulk_cleanup() {
  psql -qX -d postgres -c "ALTER SYSTEM RESET textseq.reconcile_after" \
    -c "ALTER SYSTEM RESET textseq.bulk_done_after" -c "SELECT pg_reload_conf()" >/dev/null 2>&1
  wt_cleanup
}
trap bulk_cleanup EXIT

sweep() { q "SELECT textseq.sweep()" >/dev/null; }

# drift: (bulk, step, status) triples where the view and the messages disagree.
DRIFT="WITH v AS (
  SELECT s.bulk_id, s.step, e.key AS status, e.value::bigint AS n
    FROM textseq.bulk_stats s, jsonb_each_text(to_jsonb(s)) e
   WHERE e.key IN (SELECT unnest(enum_range(NULL::textseq.message_status))::text)
), m AS (
  SELECT m.bulk_id, g.step, m.status::text AS status, count(*) AS n
    FROM textseq.message m CROSS JOIN LATERAL (VALUES (m.step), (NULL)) g(step)
   WHERE m.bulk_id IS NOT NULL GROUP BY 1, 2, 3
)
SELECT count(*) FROM v FULL JOIN m ON v.bulk_id = m.bulk_id AND v.step IS NOT DISTINCT FROM m.step
                                   AND v.status = m.status
 WHERE coalesce(v.n, 0) <> coalesce(m.n, 0)"

start_mock --fault 'status:503@0.05' --fault 'accept_then_reset@0.05' --fault 'throttle:1@0.05' \
           --fault 'reset@0.03' --fault 'delay:50@0.1'
fresh_db
q "ALTER SYSTEM SET textseq.reconcile_after = '1s'" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
twilio_account main
open_sequence b 'Bulk step one {{ lead.first_name }}'
q "SELECT textseq.save_template('b2', 'Bulk step two {{ lead.first_name }}')" >/dev/null
q "SELECT textseq.add_step('b', 'b2')" >/dev/null
leads "$N"
q "SELECT count(textseq.opt_out(c.phone, 'test')) FROM textseq.contact c WHERE c.lead_id % 97 = 0" >/dev/null

# the launch (account paused): a bulk row, enrollments with bulk_id, first steps queued
q "SELECT textseq.pause_account('main')" >/dev/null
q "WITH b AS (INSERT INTO textseq.bulk (sequence_id, start_at, status, lead_count)
              SELECT id, now(), 'in_progress', $N FROM textseq.sequence WHERE name = 'b' RETURNING id),
        e AS (INSERT INTO textseq.enrollment (sequence_id, lead_id, bulk_id, sender_id)
              SELECT q.id, l.id, b.id, s.id FROM textseq.lead l, textseq.sequence q, b, textseq.sender s
               WHERE q.name = 'b' RETURNING id)
   SELECT textseq._queue_current(array_agg(id ORDER BY id), array_fill(now(), ARRAY[count(*)::int])) FROM e" >/dev/null
BULK=$(q "SELECT id FROM textseq.bulk")
# leads deleted after launch: before anything went out (% 89), and while the
# bulk is going out (% 83): whatever still waits for them never goes
q "DELETE FROM textseq.lead WHERE id % 89 = 0" >/dev/null
q "SELECT textseq.resume_account('main')" >/dev/null
sleep 0.3
q "DELETE FROM textseq.lead WHERE id % 83 = 0" >/dev/null
DELETED_AT=$(q "SELECT clock_timestamp()")

WAITING="'in_queue', 'held_quiet_hours', 'capped', 'sending', 'maybe_sent'"
ok "every message of the bulk settles" wait_for "nothing waiting or in flight" \
   "SELECT count(*) FROM textseq.message WHERE status IN ($WAITING)" 0 180
echo "# statuses: $(q "SELECT string_agg(step || ':' || status || '=' || n, ' ') FROM (SELECT step, status, count(*) n FROM textseq.message GROUP BY 1, 2 ORDER BY 1, 2) s")"
echo "# mock faults: $(curl -s "$MOCK_URL/_mock/stats" | jq -c .faults); deltas outstanding: $(q "SELECT count(*) FROM textseq.bulk_count_delta")"

MSGS=$(q "SELECT count(*) FROM textseq.message WHERE bulk_id = $BULK")
ok "the bulk sent both steps (more than $N messages)" test "$MSGS" -gt "$N"
ok "the mock injected faults" test "$(curl -s "$MOCK_URL/_mock/stats" | jq '[.faults[]] | add')" -gt 0
ok "some messages were retried or reconciled" test "$(q "SELECT count(*) FROM textseq.message WHERE attempts > 1")" -gt 0
is "bulk_stats equals a GROUP BY over the messages (totals + outstanding deltas)" "$(q "$DRIFT")" 0
is "the bulk row counts every message" \
   "$(q "SELECT in_queue + held_quiet_hours + capped + sending + maybe_sent + outbox + sent + error + delivery_unknown
              + expired + canceled + blocked_duplicate + omitted_opted_out + omitted_landline + omitted_invalid
              + omitted_do_not_contact + omitted_deleted_lead FROM textseq.bulk_stats WHERE bulk_id = $BULK AND step IS NULL")" "$MSGS"
is "opted-out leads are counted as omitted_opted_out" \
   "$(q "SELECT omitted_opted_out FROM textseq.bulk_stats WHERE bulk_id = $BULK AND step = 1")" \
   "$(q "SELECT count(*) FROM generate_series(1, $N) g WHERE g % 97 = 0")"
is "deleted leads are counted" \
   "$(q "SELECT deleted_leads_count FROM textseq.bulk_stats WHERE bulk_id = $BULK AND step IS NULL")" \
   "$(q "SELECT count(*) FROM textseq.enrollment WHERE bulk_id = $BULK AND (lead_id % 89 = 0 OR lead_id % 83 = 0)")"
is "leads deleted before anything went out were never sent to" \
   "$(q "SELECT count(*) FROM textseq.message WHERE lead_id % 89 = 0 AND (sent_at IS NOT NULL OR claimed_at IS NOT NULL)")" 0
is "their messages are counted as omitted_deleted_lead" \
   "$(q "SELECT omitted_deleted_lead >= (SELECT count(*) FROM generate_series(1, $N) g WHERE g % 89 = 0)
           FROM textseq.bulk_stats WHERE bulk_id = $BULK AND step = 1")" t
is "nothing of a lead deleted mid-run was claimed after the delete committed" \
   "$(q "SELECT count(*) FROM textseq.message m WHERE m.lead_id % 83 = 0 AND m.claimed_at > '$DELETED_AT'")" 0
ok "the sweep runs" sweep
is "after the sweep no delta is outstanding" "$(q "SELECT count(*) FROM textseq.bulk_count_delta")" 0
is "and the totals alone equal the GROUP BY" "$(q "$DRIFT")" 0
is "the bulk is in progress while bulk_done_after (48 h) has not passed" \
   "$(q "SELECT status FROM textseq.bulk WHERE id = $BULK")" in_progress
q "ALTER SYSTEM SET textseq.bulk_done_after = '1s'" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
sleep 1.2
ok "the sweep runs with bulk_done_after = 1s" sweep
is "the bulk is done: nothing waits and its last send is older than bulk_done_after" \
   "$(q "SELECT status FROM textseq.bulk_stats WHERE bulk_id = $BULK AND step IS NULL")" done
wt_done
