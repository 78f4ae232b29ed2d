#!/usr/bin/env bash
# drop_while_busy.sh: TRUNCATE, DROP EXTENSION and DROP DATABASE while the
# worker is busy with thousands of messages (SPEC sections 6 and 15): no
# hang, no crash, no crash-loop; the worker idles while the extension is
# gone, resumes after CREATE EXTENSION, leaves a database being dropped, and
# serves the database again once it is re-created.
#
# The worker's shared state is read through a probe function in the
# "postgres" database (textseq.worker_status disappears with the extension).
. "$(dirname "$0")/lib.sh"
N=${DROP_MESSAGES:-4000}
PROBE=textseq_test_slots

drop_cleanup() {
  psql -qX -d postgres -c "DROP FUNCTION IF EXISTS public.$PROBE()" >/dev/null 2>&1
  wt_cleanup
}
trap drop_cleanup EXIT

# pq SQL: one value from the postgres database.
pq() { psql -qAtX -d postgres -c "$1"; }
# slot COLUMN: a column of the worker slot of textseq_worker (from shared memory).
slot() { pq "SELECT $1 FROM public.$PROBE() WHERE database = '$WDB'"; }
# pq_wait DESCRIPTION SQL EXPECTED SECONDS: wait_for, against the postgres database.
pq_wait() {
  local got end=$((SECONDS + $4))
  while [ $SECONDS -lt $end ]; do
    got=$(pq "$2" 2>/dev/null); [ "$got" = "$3" ] && return 0; sleep 0.1
  done
  echo "# timed out waiting for $1: got '$got', expected '$3'"; return 1
}
# timed SQL: run SQL on textseq_worker, print the milliseconds it took (or FAILED: error).
timed() {
  local t0=$(date +%s%N) err
  err=$(psql -qAtX -v ON_ERROR_STOP=1 -d "${2:-$WDB}" -c "$1" 2>&1 >/dev/null) || { echo "FAILED: $err"; return; }
  echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
# log_errors: ERROR/FATAL/PANIC lines in the server log so far.
log_errors() { grep -cE '(ERROR|FATAL|PANIC):' "$SERVER_LOG"; }
# setup PHASE COUNT: account (first phase after a CREATE EXTENSION), sequence PHASE, COUNT due messages.
setup() {
  if [ "$(q "SELECT count(*) FROM textseq.account")" = 0 ]; then
    twilio_account main
    q "DELETE FROM textseq.quiet_rule" >/dev/null 2>&1
    leads "$2"
  fi
  q "SELECT textseq.save_template('$1', 'Phase $1 for {{ lead.first_name }}')" >/dev/null
  q "SELECT textseq.create_sequence('$1', window_start => '00:00', window_end => '23:59:59.999999')" >/dev/null
  q "SELECT textseq.add_step('$1', '$1')" >/dev/null
  q "SELECT count(textseq.enroll('$1', id)) FROM textseq.lead WHERE id <= $2" >/dev/null
}
# mock_delay MS: every provider answer MS ms late from now on.
mock_delay() { curl -s -X POST --data-binary "delay:$1" "$MOCK_URL/_mock/faults" >/dev/null; }
# busy: wait until the worker is sending with messages still queued.
busy() {
  wait_for "the worker busy" "SELECT (SELECT count(*) > 0 FROM textseq.message WHERE status = 'outbox')
                                 AND (SELECT count(*) > 500 FROM textseq.message WHERE status = 'in_queue')" t 30
}

SERVER_LOG="$(pq "SHOW data_directory")/../server.log"
LOG_START=$(($(wc -l <"$SERVER_LOG") + 1))   # earlier tests share this server log
pq "CREATE OR REPLACE FUNCTION public.$PROBE(
      OUT database name, OUT pid int, OUT state text, OUT started_at timestamptz,
      OUT next_wake_at timestamptz, OUT in_flight int, OUT sent_total bigint,
      OUT errors_total bigint, OUT batches_total bigint, OUT wakeups_total bigint,
      OUT sent_last_minute bigint, OUT errors_last_minute bigint, OUT last_error text,
      OUT last_error_at timestamptz, OUT last_error_connect_s float8,
      OUT last_error_first_byte_s float8, OUT last_error_total_s float8)
    RETURNS SETOF record AS '\$libdir/textseq', 'textseq_worker_slots' LANGUAGE C" >/dev/null
start_mock
mock_delay 100
fresh_db
PID=$(slot pid)

# ---- TRUNCATE while busy
setup p1 "$N"
ok "busy before TRUNCATE" busy
ERR0=$(log_errors)
is "TRUNCATE textseq.message while busy completes" "$(timed "TRUNCATE textseq.message" | sed 's/^[0-9]*$/done/')" done
setup p2 500
ok "after TRUNCATE the worker sends the next messages" wait_for "p2 sent" \
   "SELECT count(*) FROM textseq.message WHERE status = 'outbox'" 500 30
is "the worker did not crash (same pid)" "$(slot pid)" "$PID"
echo "# server log errors during TRUNCATE: $(( $(log_errors) - ERR0 ))"

# ---- DROP EXTENSION while busy, three rounds (whether a claim or record
# transaction is open at the moment of the DROP is a matter of timing)
mock_delay 50
for round in 1 2 3; do
  [ "$round" -gt 1 ] && q "CREATE EXTENSION textseq" >/dev/null
  setup p3 3000
  ok "busy before DROP EXTENSION (round $round)" busy
  ERR0=$(log_errors)
  MS=$(timed "DROP EXTENSION textseq CASCADE")
  echo "# DROP EXTENSION took $MS ms"
  ok "DROP EXTENSION while busy completes within 5 s (round $round)" test "${MS%%[!0-9]*}" -lt 5000 2>/dev/null
  # (if it failed, drop it anyway so the rest of the test still runs)
  for _ in 1 2 3; do [ "$(q "SELECT count(*) FROM pg_extension WHERE extname = 'textseq'")" = 0 ] && break
    echo "# retrying the DROP: $(timed "DROP EXTENSION IF EXISTS textseq CASCADE")"; done
done
ok "the worker goes idle: extension not installed" \
   pq_wait "idle state" "SELECT state FROM public.$PROBE() WHERE database = '$WDB'" "idle: extension not installed" 15
sleep 5
is "it stays idle, not crash-looping (same pid)" "$(slot pid)|$(slot state)" "$PID|idle: extension not installed"
NERR=$(( $(log_errors) - ERR0 ))
echo "# server log errors since the last DROP EXTENSION: $NERR"
grep -A3 -E '(ERROR|FATAL|PANIC):' "$SERVER_LOG" | tail -n 24 | sed 's/^/#   /'
ok "no error storm in the server log (at most 3 lines)" test "$NERR" -le 3

# ---- CREATE EXTENSION again: the worker resumes
mock_delay 100
q "CREATE EXTENSION textseq" >/dev/null
setup p4 "$N"
ok "after CREATE EXTENSION the worker sends again" busy
is "the same worker resumed" "$(slot pid)" "$PID"

# ---- DROP DATABASE while busy (no FORCE): the worker must leave at once
MS=$(timed "DROP DATABASE $WDB" postgres)
echo "# DROP DATABASE took $MS ms"
ok "DROP DATABASE succeeds without 'being accessed by other users'" test "${MS#FAILED}" = "$MS"
ok "DROP DATABASE completes within 5 s" test "${MS%%[!0-9]*}" -lt 5000 2>/dev/null
ok "the worker left the database" pq_wait "no worker pid" \
   "SELECT count(*) FROM public.$PROBE() WHERE database = '$WDB' AND pid IS NOT NULL" 0 10

# ---- re-create: a worker attaches again (the launcher holds back 30 s after a drop)
T0=$(date +%s)
pq "CREATE DATABASE $WDB" >/dev/null
q "CREATE EXTENSION textseq" >/dev/null
ok "a worker attaches to the re-created database within 40 s" \
   wait_for "worker attached" "SELECT count(*) FROM textseq.worker_status WHERE pid IS NOT NULL" 1 40
echo "# worker attached $(( $(date +%s) - T0 )) s after CREATE DATABASE"
setup p5 200
ok "and sends" wait_for "p5 sent" "SELECT count(*) FROM textseq.message WHERE status = 'outbox'" 200 30
CRASHES=$(tail -n +"$LOG_START" "$SERVER_LOG" | grep -cE 'terminated by signal|was terminated|server process .* exited with exit code [^0]')
is "no process crashed (server log)" "$CRASHES" 0
wt_done
