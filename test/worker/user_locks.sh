#!/usr/bin/env bash
# user_locks.sh: an unprivileged login cannot stop sending by holding the
# worker's locks (issue 7 item 3).  The worker used to take its singleton
# lock as pg_try_advisory_lock(29812, 0) and its per-phone locks as
# pg_advisory_xact_lock(29811, bucket): keys any login can take.  A login
# holding them kept a restarted worker from starting at all, and stalled every
# claim that reached a phone of a held bucket.  Now the locks are textseq's
# own (src/fn/locks.c), out of reach of pg_advisory_lock().
. "$(dirname "$0")/lib.sh"
HOLDER_PID=""
# Stop the lock holder (started here), drop the login, then the usual cleanup.
user_locks_cleanup() {
  [ -n "$HOLDER_PID" ] && kill "$HOLDER_PID" 2>/dev/null && wait "$HOLDER_PID" 2>/dev/null
  wt_cleanup
  psql -qX -d postgres -c "DROP ROLE IF EXISTS textseq_lock_holder" >/dev/null 2>&1
}
trap user_locks_cleanup EXIT
start_mock
fresh_db
twilio_account main
open_sequence locks 'Lock test {{ lead.first_name }}'
leads 20
psql -qX -d postgres -c "DROP ROLE IF EXISTS textseq_lock_holder" \
     -c "CREATE ROLE textseq_lock_holder LOGIN IN ROLE textseq_user" >/dev/null

# The login takes the old singleton key and the old bucket of every test phone, and keeps them.
KEYS=$(q "SELECT string_agg(DISTINCT (hashtext(phone) & 4095)::text, ',') FROM textseq.contact")
psql -qAtX -U textseq_lock_holder -d "$WDB" \
  -c "SELECT pg_advisory_lock(29812, 0), count(pg_advisory_lock(29811, k)) FROM unnest('{$KEYS}'::int[]) k" \
  -c "SELECT pg_sleep(120)" >/dev/null 2>"$T/holder.err" &
HOLDER_PID=$!
ok "the login holds the old singleton and bucket keys" wait_for "the holder's locks" \
   "SELECT count(*) > 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE a.usename = 'textseq_lock_holder' AND l.locktype = 'advisory' AND l.granted" t 10

q "SELECT count(textseq.enroll('locks', id)) FROM textseq.lead WHERE id <= 10" >/dev/null
ok "a running worker sends past the held bucket keys" wait_for "10 outbox" \
   "SELECT count(*) FROM textseq.message WHERE status = 'outbox'" 10 15

# a worker that restarts while the login holds the old singleton key starts anyway
OLD=$(q "SELECT pid FROM textseq.worker_status WHERE pid IS NOT NULL")
q "SELECT pg_terminate_backend($OLD)" >/dev/null
ok "the worker comes back" wait_for "a new worker" \
   "SELECT count(*) FROM textseq.worker_status WHERE pid IS NOT NULL AND pid <> $OLD" 1 30
q "SELECT count(textseq.enroll('locks', id)) FROM textseq.lead WHERE id > 10" >/dev/null
ok "and sends" wait_for "20 outbox" "SELECT count(*) FROM textseq.message WHERE status = 'outbox'" 20 20
is "the login still holds its keys" \
   "$(q "SELECT count(*) > 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE a.usename = 'textseq_lock_holder' AND l.locktype = 'advisory' AND l.granted")" t
is "the login cannot take the worker's own locks" \
   "$(psql -qAtX -U textseq_lock_holder -d "$WDB" -c "SELECT textseq._lock_phones('{+12015551001}')" 2>&1 | grep -c 'permission denied')" 1
is "each text once at the provider" "$(mock_count)|$(mock_dups)" "20|0"
wt_done
