#!/usr/bin/env bash
# provider_outcomes.sh: every outcome class of the provider layer (src/http.c,
# src/core/outcome.c) against the mock provider's fault injection, through the
# superuser probes textseq._provider_probe and textseq._provider_lookup.
#
# Run by scripts/test.sh with PGHOST/PGPORT/PGUSER pointing at a live cluster
# where CREATE DATABASE / CREATE EXTENSION textseq work.  Starts its own mock
# (make -s mock), makes its own database, removes both on exit.  Prints
# "provider outcomes: N passed, M failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."

DB="textseq_provider_$$"
SID="AC0123456789abcdef0123456789abcdef"
TOKEN="secret-token"
TKEY="telnyx-key"
WORK=$(mktemp -d /tmp/textseq-provider.XXXXXX)
MOCK_PID=""
PASSED=0
FAILED=0

cleanup() {
  if [ -n "$MOCK_PID" ]; then kill "$MOCK_PID" 2>/dev/null; wait "$MOCK_PID" 2>/dev/null; fi
  psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ok NAME ACTUAL EXPECTED_REGEX: one check.
ok() {
  if [[ "$2" =~ ^$3$ ]]; then
    PASSED=$((PASSED + 1))
  else
    FAILED=$((FAILED + 1))
    echo "FAIL: $1: got '$2', want /$3/"
  fi
}

# The number whose faults the mock applies (one per case).
num() { printf '+1555010%04d' "$1"; }

# Mock faults, one To number each (create unless op= says otherwise).
FAULTS=(
  "to=$(num 1),error:21211" "to=$(num 2),error:30005" "to=$(num 3),error:21610"
  "to=$(num 4),error:30004" "to=$(num 5),error:21614" "to=$(num 6),error:21635"
  "to=$(num 7),error:30006" "to=$(num 8),error:30003" "to=$(num 9),error:30008"
  "to=$(num 10),error:30007" "to=$(num 11),error:21611" "to=$(num 12),error:30001"
  "to=$(num 13),throttle:7" "to=$(num 14),status:500" "to=$(num 15),status:503"
  "to=$(num 16),accept_then_status:502" "to=$(num 17),accept_then_reset" "to=$(num 18),hang"
  "to=$(num 19),reset" "to=$(num 20),delay:3000" "to=$(num 21),error:21408"
  "to=$(num 22),error:30032" "to=$(num 23),error:30034" "to=$(num 24),error:20429"
  "to=$(num 25),error:20503" "to=$(num 26),op=list,status:500"
  "to=$(num 40),error:40300" "to=$(num 41),throttle:3" "to=$(num 42),status:500"
  "to=$(num 43),accept_then_reset" "to=$(num 44),error:40001"
)

start_mock() {
  local args=() f i
  make -s mock >/dev/null 2>"$WORK/make.log" || { cat "$WORK/make.log"; return 1; }
  for f in "${FAULTS[@]}"; do args+=(--fault "$f"); done
  test/mock/textseq-mock --port 0 --port-file "$WORK/port" --auth "$SID:$TOKEN" \
    --telnyx-key "$TKEY" "${args[@]}" 2>"$WORK/mock.log" &
  MOCK_PID=$!
  for i in $(seq 1 100); do
    [ -s "$WORK/port" ] && break
    kill -0 "$MOCK_PID" 2>/dev/null || { cat "$WORK/mock.log"; return 1; }
    sleep 0.05
  done
  [ -s "$WORK/port" ] || { echo "mock did not write its port"; return 1; }
  BASE="http://127.0.0.1:$(cat "$WORK/port")"
}

# probe PROVIDER BASE TO BODY [TIMEOUT_MS] [SECRET]: "outcome|http|provider_id|code|retry_ms|text"
probe() {
  local secret=${6:-}
  [ -z "$secret" ] && { [ "$1" = telnyx ] && secret=$TKEY || secret=$TOKEN; }
  psql -qXAt -F'|' -d "$DB" -v prov="$1" -v base="$2" -v to="$3" -v body="$4" \
    -v tmo="${5:-2000}" -v secret="$secret" -v sid="$SID" <<'SQL'
SELECT outcome, coalesce(http_status, 0), coalesce(provider_id, ''), coalesce(error_code, 0),
       retry_after_ms, coalesce(error_text, '')
FROM textseq._provider_probe(:'prov', nullif(:'base', ''), :'sid', :'secret', :'to',
                             '+15005550006', nullif(:'body', '<null>'), :'tmo'::int);
SQL
}

# lookup TO BODY: "result|provider_id"
lookup() {
  psql -qXAt -F'|' -d "$DB" -v base="$BASE" -v to="$1" -v body="$2" -v sid="$SID" \
    -v secret="$TOKEN" <<'SQL'
SELECT result, coalesce(provider_id, '')
FROM textseq._provider_lookup('twilio', :'base', :'sid', :'secret', :'to', '+15005550006',
                              :'body', now(), 3000);
SQL
}

# field N of a probe line
f() { echo "$1" | cut -d'|' -f"$2"; }

# probe twilio case NUM, check outcome, HTTP status and error code
twilio_case() {
  local r
  r=$(probe twilio "$BASE" "$(num "$1")" "case $1")
  ok "twilio $2 (to $(num "$1"))" "$(f "$r" 1)|$(f "$r" 2)|$(f "$r" 4)" "$3"
}

test_twilio_codes() {
  local r
  r=$(probe twilio "$BASE" "+15550200000" 'Hi "Ann" & co: 50% off = é😀')
  ok "twilio accepted" "$(f "$r" 1)|$(f "$r" 2)" "accepted\|201"
  ok "twilio accepted: provider id" "$(f "$r" 3)" "SM[0-9a-f]{32}"
  ok "twilio accepted: lookup finds the exact body" "$(lookup "+15550200000" 'Hi "Ann" & co: 50% off = é😀')" "found\|SM[0-9a-f]{32}"
  ok "twilio accepted: other body not found" "$(lookup "+15550200000" 'Hi "Ann" & co: 50% off = e')" "not_found\|"
  twilio_case 1 "21211 invalid" "invalid\|400\|21211"
  twilio_case 2 "30005 invalid" "invalid\|400\|30005"
  twilio_case 3 "21610 opted out" "opted_out\|400\|21610"
  twilio_case 4 "30004 opted out" "opted_out\|400\|30004"
  twilio_case 5 "21614 landline" "landline\|400\|21614"
  twilio_case 6 "21635 landline" "landline\|400\|21635"
  twilio_case 7 "30006 landline" "landline\|400\|30006"
  twilio_case 8 "30003 unreachable" "unreachable\|400\|30003"
  twilio_case 9 "30008 unreachable (once)" "unreachable\|400\|30008"
  twilio_case 10 "30007 error, never retried" "error\|400\|30007"
  twilio_case 11 "21611 retry" "retry\|400\|21611"
  twilio_case 12 "30001 retry" "retry\|400\|30001"
  twilio_case 21 "21408 config" "config\|400\|21408"
  twilio_case 22 "30032 config" "config\|400\|30032"
  twilio_case 23 "30034 config" "config\|400\|30034"
  twilio_case 24 "20429 retry" "retry\|[0-9]+\|20429"
  twilio_case 25 "20503 ambiguous" "ambiguous\|[0-9]+\|20503"
  r=$(probe twilio "$BASE" "$(num 13)" "case 13")
  ok "twilio 429 retry with Retry-After" "$(f "$r" 1)|$(f "$r" 2)|$(f "$r" 5)" "retry\|429\|7000"
}

test_twilio_ambiguity() {
  local r
  twilio_case 14 "500 ambiguous" "ambiguous\|500\|[0-9]+"
  ok "500 not recorded: lookup not_found" "$(lookup "$(num 14)" "case 14")" "not_found\|"
  twilio_case 15 "503 ambiguous" "ambiguous\|503\|[0-9]+"
  twilio_case 16 "accepted then 502: ambiguous" "ambiguous\|502\|[0-9]+"
  ok "accepted then 502: lookup finds it" "$(lookup "$(num 16)" "case 16")" "found\|SM[0-9a-f]{32}"
  r=$(probe twilio "$BASE" "$(num 17)" "case 17")
  ok "accepted then reset: ambiguous" "$(f "$r" 1)|$(f "$r" 2)" "ambiguous\|0"
  ok "accepted then reset: says it may have been sent" "$(f "$r" 6)" "request may have been sent:.*"
  ok "accepted then reset: lookup finds it" "$(lookup "$(num 17)" "case 17")" "found\|SM[0-9a-f]{32}"
  r=$(probe twilio "$BASE" "$(num 18)" "case 18" 500)
  ok "hang: timeout after sending is ambiguous" "$(f "$r" 1)|$(f "$r" 2)" "ambiguous\|0"
  ok "hang: lookup finds it" "$(lookup "$(num 18)" "case 18")" "found\|SM[0-9a-f]{32}"
  twilio_case 19 "reset before answer: ambiguous" "ambiguous\|0\|0"
  ok "reset before recording: lookup not_found" "$(lookup "$(num 19)" "case 19")" "not_found\|"
  r=$(probe twilio "$BASE" "$(num 20)" "case 20" 500)
  ok "slow answer past the timeout: ambiguous" "$(f "$r" 1)" "ambiguous"
  ok "failing list page: lookup unknown" "$(lookup "$(num 26)" "case 26")" "unknown\|"
}

test_transport() {
  local r port
  port=$(perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0) or die; print $s->sockport')
  r=$(probe twilio "http://127.0.0.1:$port" "+15550200001" "refused")
  ok "refused connection: retry" "$(f "$r" 1)|$(f "$r" 2)" "retry\|0"
  ok "refused connection: says not sent" "$(f "$r" 6)" "request not sent:.*"
  r=$(probe twilio "http://no-such-host.invalid" "+15550200001" "dns")
  ok "unresolvable host: retry" "$(f "$r" 1)" "retry"
  r=$(probe twilio "not a url at all" "+15550200001" "bad url")
  ok "malformed base_url: retry" "$(f "$r" 1)|$(f "$r" 6)" "retry\|request not sent:.*"
  r=$(probe twilio "ftp://127.0.0.1:$port" "+15550200001" "bad scheme")
  ok "unsupported scheme: retry" "$(f "$r" 1)" "retry"
  r=$(probe twilio "" "+15550200001" "no base")
  ok "no base_url: retry" "$(f "$r" 1)|$(f "$r" 6)" "retry\|.*no base_url.*"
  r=$(probe twilio "$BASE" "+15550200001" "bad token" 2000 wrong-token)
  ok "wrong auth token: auth" "$(f "$r" 1)|$(f "$r" 2)|$(f "$r" 4)" "auth\|401\|20003"
  r=$(probe twilio "$BASE" "+15550200001" "<null>")
  ok "NULL body: error, not sent" "$(f "$r" 1)|$(f "$r" 2)" "error\|0"
  r=$(probe twilio "$BASE" "+15550200001" "$(head -c 70000 /dev/zero | tr '\0' x)")
  ok "huge body: error, not sent" "$(f "$r" 1)|$(f "$r" 2)" "error\|0"
  r=$(probe twilio "$BASE" "+15550200001" "$(head -c 1700 /dev/zero | tr '\0' x)")
  ok "body over 1600 characters: 21617 error" "$(f "$r" 1)|$(f "$r" 4)" "error\|21617"
  r=$(probe twilio "$BASE" "12345" "bad number")
  ok "To not E.164: 21211 invalid" "$(f "$r" 1)|$(f "$r" 4)" "invalid\|21211"
  r=$(probe dry_run "" "+15550200001" "dry")
  ok "dry_run: accepted locally" "$(f "$r" 1)|$(f "$r" 2)|$(f "$r" 3)" "accepted\|0\|dry-0"
}

test_telnyx() {
  local r
  r=$(probe telnyx "$BASE" "+15550200002" "telnyx hello")
  ok "telnyx accepted" "$(f "$r" 1)|$(f "$r" 2)|$(f "$r" 3)" "accepted\|200\|[0-9a-f-]{36}"
  r=$(probe telnyx "$BASE" "$(num 40)" "t40")
  ok "telnyx 40300 opted out" "$(f "$r" 1)|$(f "$r" 4)" "opted_out\|40300"
  r=$(probe telnyx "$BASE" "$(num 44)" "t44")
  ok "telnyx 40001 landline" "$(f "$r" 1)|$(f "$r" 4)" "landline\|40001"
  r=$(probe telnyx "$BASE" "$(num 41)" "t41")
  ok "telnyx 429 retry with Retry-After" "$(f "$r" 1)|$(f "$r" 2)|$(f "$r" 5)" "retry\|429\|3000"
  r=$(probe telnyx "$BASE" "$(num 42)" "t42")
  ok "telnyx 500 ambiguous" "$(f "$r" 1)|$(f "$r" 2)" "ambiguous\|500"
  r=$(probe telnyx "$BASE" "$(num 43)" "t43")
  ok "telnyx accepted then reset: ambiguous" "$(f "$r" 1)" "ambiguous"
  r=$(probe telnyx "$BASE" "+15550200002" "bad key" 2000 wrong-key)
  ok "telnyx wrong key: auth" "$(f "$r" 1)|$(f "$r" 2)" "auth\|401"
}

# 1,001 messages to one number: the lookup must read two pages.
test_paging() {
  local r
  r=$(psql -qXAt -d "$DB" -v base="$BASE" -v sid="$SID" -v secret="$TOKEN" <<'SQL'
SELECT count(*) FILTER (WHERE p.outcome = 'accepted')
FROM generate_series(1, 1001) g,
     textseq._provider_probe('twilio', :'base', :'sid', :'secret', '+15550200099',
                             '+15005550006', 'page test ' || g, 2000) p;
SQL
)
  ok "1,001 sends to one number accepted" "$r" "1001"
  ok "lookup finds the oldest (second page)" "$(lookup "+15550200099" "page test 1")" "found\|SM[0-9a-f]{32}"
  ok "lookup finds the newest (first page)" "$(lookup "+15550200099" "page test 1001")" "found\|SM[0-9a-f]{32}"
  ok "lookup reads every page before not_found" "$(lookup "+15550200099" "page test 0")" "not_found\|"
}

test_privileges() {
  local r
  r=$(psql -qXAt -d "$DB" -v role="textseq_probe_nobody_$$" 2>&1 <<'SQL'
CREATE ROLE :"role";
SET ROLE :"role";
SELECT outcome FROM textseq._provider_probe('dry_run', NULL, NULL, NULL, '+15550200001', '+15005550006', 'x');
SQL
)
  ok "non-superuser refused" "$(echo "$r" | tr '\n' ' ')" ".*permission denied.*"
  psql -qX -d "$DB" -c "DROP ROLE IF EXISTS textseq_probe_nobody_$$" >/dev/null 2>&1
}

if ! start_mock; then
  echo "provider outcomes: 0 passed, 1 failed (mock did not start)"; exit 1
fi
if ! psql -qX -d postgres -c "CREATE DATABASE $DB" >/dev/null ||
   ! psql -qX -d "$DB" -c "CREATE EXTENSION textseq" >/dev/null; then
  echo "provider outcomes: 0 passed, 1 failed (database setup)"; exit 1
fi

test_twilio_codes
test_twilio_ambiguity
test_transport
test_telnyx
test_paging
test_privileges

echo "provider outcomes: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
