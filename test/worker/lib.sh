# lib.sh: shared by the worker tests (sourced).  The harness (scripts/test.sh)
# runs each test/worker/*.sh with PGHOST/PGPORT/PGUSER pointing at a live
# cluster whose worker serves the database "textseq_worker".  Each test makes
# that database itself, starts its own mock provider, and cleans up on exit.

set -u
WDB=textseq_worker
T=$(mktemp -d /tmp/textseq-wt.XXXXXX)
MOCK_PID=""
PASS=0
FAIL=0
TEST_NAME=$(basename "$0" .sh)
MOCK_BIN="$(cd "$(dirname "${BASH_SOURCE[0]}")/../mock" && pwd)/textseq-mock"

# Stop the mock, drop the database, remove temp files.
wt_cleanup() {
  [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
  psql -qX -d postgres -c "DROP DATABASE IF EXISTS $WDB WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$T"
}
trap wt_cleanup EXIT

q()  { psql -qAtX -v ON_ERROR_STOP=1 -d "$WDB" -c "$1"; }

# ok DESCRIPTION COMMAND...: one assertion.
ok() {
  local d=$1; shift
  if "$@"; then PASS=$((PASS + 1)); echo "ok - $d"; else FAIL=$((FAIL + 1)); echo "not ok - $d"; fi
}
# is DESCRIPTION GOT EXPECTED
is() {
  if [ "$2" = "$3" ]; then PASS=$((PASS + 1)); echo "ok - $1"
  else FAIL=$((FAIL + 1)); echo "not ok - $1 (got '$2', expected '$3')"; fi
}

wt_done() {
  echo "$TEST_NAME: $PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}

# start_mock [mock options...]: starts the mock on a free port; sets MOCK_URL, MOCK_LOG.
start_mock() {
  [ -x "$MOCK_BIN" ] || make -s -C "$(dirname "$MOCK_BIN")/../.." mock >/dev/null
  MOCK_LOG="$T/mock.log"
  : >"$MOCK_LOG"
  rm -f "$T/port"
  "$MOCK_BIN" --port 0 --port-file "$T/port" --log "$MOCK_LOG" "$@" 2>"$T/mock.err" &
  MOCK_PID=$!
  for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  MOCK_URL="http://127.0.0.1:$(cat "$T/port")"
}

# fresh_db: a new database with the extension; waits for its worker.
fresh_db() {
  psql -qX -d postgres -c "DROP DATABASE IF EXISTS $WDB WITH (FORCE)" >/dev/null
  psql -qX -d postgres -c "CREATE DATABASE $WDB" >/dev/null
  q "CREATE EXTENSION textseq" >/dev/null
  wait_for "the worker attaches" "SELECT count(*) FROM textseq.worker_status WHERE pid IS NOT NULL" 1 30
}

# wait_for DESCRIPTION SQL EXPECTED SECONDS: poll until SQL returns EXPECTED.
wait_for() {
  local got deadline=$((SECONDS + $4))
  while :; do
    got=$(q "$2" 2>/dev/null)
    [ "$got" = "$3" ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.1
  done
  echo "# timed out waiting for $1: got '$got', expected '$3'"
  return 1
}

# twilio_account NAME [SID]: a Twilio account pointing at the mock, with one fast sender.
twilio_account() {
  q "SELECT textseq.create_account('$1', 'twilio', account_sid => 'AC0123456789abcdef0123456789abcdef',
                                   secret => 'token', base_url => '$MOCK_URL', messages_per_second => 100000)" >/dev/null
  q "SELECT textseq.add_sender('$1', '+12015550100', '-- Acme', 100000)" >/dev/null
}

# open_sequence NAME BODY: a one-step sequence whose window is always open (quiet-hour
# rules removed in this throwaway database), so the test does not depend on the time of day.
open_sequence() {
  q "DELETE FROM textseq.quiet_rule" >/dev/null 2>&1
  q "SELECT textseq.save_template('$1', '$2')" >/dev/null
  q "SELECT textseq.create_sequence('$1', window_start => '00:00', window_end => '23:59:59.999999')" >/dev/null
  q "SELECT textseq.add_step('$1', '$1')" >/dev/null
}

# leads N [PREFIX]: N leads with numbers +1201555NNNN from offset PREFIX (default 1000).
leads() {
  q "SELECT count(textseq.add_lead('Lead' || g, NULL, ARRAY['+1201555' || lpad((${2:-1000} + g)::text, 4, '0')]))
       FROM generate_series(1, $1) g" >/dev/null
}

# mock_count: accepted messages in the mock's log; mock_dups: (to, body) pairs logged twice.
mock_count() { wc -l <"$MOCK_LOG" | tr -d ' '; }
mock_dups() {
  python3 - "$MOCK_LOG" <<'PY' 2>/dev/null || perl -MJSON::PP -ne 'BEGIN{%s=()} my $j=decode_json($_); $s{"$j->{to}|$j->{body}"}++; END{print scalar(grep {$_>1} values %s), "\n"}' "$MOCK_LOG"
import json, sys, collections
c = collections.Counter()
for line in open(sys.argv[1]):
    j = json.loads(line); c[(j["to"], j["body"])] += 1
print(sum(1 for v in c.values() if v > 1))
PY
}
