#!/usr/bin/env bash
# long_snapshot.sh: a REPEATABLE READ transaction held open in another
# session of the same database (a long report, a forgotten psql) does not
# stall dispatch (SPEC section 15).  The same few thousand messages are sent
# twice: once as a baseline, once while the old snapshot holds back the xmin
# horizon (so no dead row version can be cleaned up); the second run must
# finish, and not take much longer than the first.
. "$(dirname "$0")/lib.sh"
N=${SNAPSHOT_MESSAGES:-4000}
APP=textseq_long_snapshot
HOLDER=""

snapshot_cleanup() {
  [ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
  psql -qX -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$APP'" >/dev/null 2>&1
  wt_cleanup
}
trap snapshot_cleanup EXIT

# run_phase NAME: enroll every lead in sequence NAME (one transaction: the
# worker sees them at commit); print the ms from commit until all N are in outbox.
run_phase() {
  local t0
  q "SELECT textseq.save_template('$1', 'Snapshot $1 for {{ lead.first_name }}')" >/dev/null
  q "SELECT textseq.create_sequence('$1', window_start => '00:00', window_end => '23:59:59.999999')" >/dev/null
  q "SELECT textseq.add_step('$1', '$1')" >/dev/null
  q "SELECT count(textseq.enroll('$1', id)) FROM textseq.lead" >/dev/null
  t0=$(date +%s%N)
  wait_for "all of $1 in outbox" "SELECT count(*) FROM textseq.message m JOIN textseq.sequence s ON s.id = m.sequence_id
                                  WHERE s.name = '$1' AND m.status = 'outbox'" "$N" 90 >&2 || { echo timeout; return; }
  echo $(( ($(date +%s%N) - t0) / 1000000 ))
}

start_mock
fresh_db
twilio_account main
q "DELETE FROM textseq.quiet_rule" >/dev/null 2>&1
leads "$N"

BASE_MS=$(run_phase baseline)
echo "# baseline: $N messages in $BASE_MS ms"
ok "baseline run completes" test "$BASE_MS" != timeout

# The old snapshot: taken now, kept for 120 s unless the test ends first.
PGAPPNAME=$APP psql -qX -d "$WDB" >/dev/null 2>&1 <<'SQL' &
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 1;
SELECT count(*) FROM textseq.message;
SELECT pg_sleep(120);
SQL
HOLDER=$!
ok "the other session holds an old snapshot" wait_for "the holder's xmin" \
   "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$APP' AND backend_xmin IS NOT NULL
                                            AND state = 'active' AND query LIKE '%pg_sleep%'" 1 10
XMIN=$(q "SELECT backend_xmin FROM pg_stat_activity WHERE application_name = '$APP'")

HELD_MS=$(run_phase held)
echo "# with a REPEATABLE READ snapshot held: $N messages in $HELD_MS ms"
ok "dispatch completes while the snapshot is held" test "$HELD_MS" != timeout
is "the snapshot was held throughout" \
   "$(q "SELECT backend_xmin FROM pg_stat_activity WHERE application_name = '$APP'")" "$XMIN"
ok "not stalled: at most 3x the baseline time (or 5 s more)" \
   test "$HELD_MS" -le $(( BASE_MS * 3 > BASE_MS + 5000 ? BASE_MS * 3 : BASE_MS + 5000 ))
is "each message sent exactly once" "$(mock_count)|$(mock_dups)" "$((2 * N))|0"
wt_done
