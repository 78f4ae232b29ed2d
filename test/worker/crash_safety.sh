#!/usr/bin/env bash
# kill -9 of the worker at random points, and an immediate shutdown of the
# server, while thousands of messages are being dispatched: afterwards the
# mock's log holds every message exactly once and the database shows none lost.
. "$(dirname "$0")/lib.sh"
PATH=$(pg_config --bindir):$PATH
N=${CRASH_MESSAGES:-3000}
KILLS=${CRASH_KILLS:-4}
start_mock --latency-ms 3
fresh_db
q "ALTER SYSTEM SET textseq.reconcile_after = '1s'" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
twilio_account main
open_sequence crash 'Crash test {{ lead.first_name }}'
leads "$N"
q "SELECT count(textseq.enroll('crash', id)) FROM textseq.lead" >/dev/null

worker_pid() { psql -qAtX -d "$WDB" -c "SELECT pid FROM textseq.worker_status WHERE pid IS NOT NULL" 2>/dev/null; }
for k in $(seq 1 "$KILLS"); do
  sleep "0.$((RANDOM % 9 + 1))"
  pid=$(worker_pid)
  if [ -n "$pid" ]; then kill -9 "$pid" && echo "# kill -9 worker $pid ($(mock_count) at the mock)"; fi
  for _ in $(seq 1 100); do psql -qAtX -d "$WDB" -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1; done
done
# immediate shutdown of the server mid-dispatch, then start again
sleep 0.5
DATADIR=$(psql -qAtX -d postgres -c "SHOW data_directory")
STARTED=$(psql -qAtX -d postgres -c "SELECT pg_postmaster_start_time()")
echo "# immediate shutdown ($(mock_count) at the mock)"
if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- pg_ctl -D "$DATADIR" -m immediate stop >/dev/null
  runuser -u postgres -- pg_ctl -D "$DATADIR" -l "$DATADIR/../server.log" -w start >/dev/null
else pg_ctl -D "$DATADIR" -m immediate stop >/dev/null; pg_ctl -D "$DATADIR" -l "$DATADIR/../server.log" -w start >/dev/null; fi

ok "the server went through an immediate shutdown" \
   test "$(psql -qAtX -d postgres -c "SELECT pg_postmaster_start_time()")" != "$STARTED"
ok "every message ends at the provider (outbox)" wait_for "all outbox" \
   "SELECT count(*) FROM textseq.message WHERE status = 'outbox'" "$N" 180
is "the mock received each message exactly once" "$(mock_count)" "$N"
is "no (to, body) pair twice at the provider" "$(mock_dups)" 0
is "no message lost or stuck" "$(q "SELECT count(*) FROM textseq.message WHERE status <> 'outbox'")" 0
is "provider ids recorded for all" "$(q "SELECT count(DISTINCT provider_id) FROM textseq.message")" "$N"
q "ALTER SYSTEM RESET textseq.reconcile_after" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
wt_done
