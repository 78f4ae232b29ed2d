#!/usr/bin/env bash
# smoke.sh: self-contained smoke test of textseq-mock (the local Twilio/Telnyx
# provider).  Builds it, starts instances on free loopback ports, drives them
# with curl, checks answers, counters and the JSON-lines log, measures the
# request rate with the built-in load generator, and (when PostgreSQL's
# binaries are present) checks delivery reports against a throwaway cluster.
# Prints "mock smoke: N passed, M failed"; exits non-zero on any failure.
# Cleans up (processes, cluster, temp dir) even on failure.  Needs curl and jq.
set -uo pipefail
cd "$(dirname "$0")/../.."

MOCK=test/mock/textseq-mock
TMP=$(mktemp -d /tmp/textseq-mock-smoke.XXXXXX)
PIDS=()
PGDATA_DIR=""
PASSED=0
FAILED=0

# Stop what we started (by pid), stop the cluster, remove the temp dir.
cleanup() {
  local p
  for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null; done
  if [ -n "$PGDATA_DIR" ]; then
    as_owner "$(pg_config --bindir)/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# Run a server-side command as a non-root user (PostgreSQL refuses root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# check NAME EXPECTED ACTUAL: one assertion.
check() {
  if [ "$2" = "$3" ]; then
    PASSED=$((PASSED + 1))
  else
    FAILED=$((FAILED + 1))
    echo "FAIL: $1: expected [$2], got [$3]"
  fi
}

# ok NAME COMMAND...: assert that a command succeeds.
ok() {
  local name=$1
  shift
  if "$@"; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); echo "FAIL: $name"; fi
}

# like NAME VALUE REGEX: assert that VALUE matches the extended regex.
like() {
  if [[ $2 =~ $3 ]]; then
    PASSED=$((PASSED + 1))
  else
    FAILED=$((FAILED + 1))
    echo "FAIL: $1: [$2] does not match /$3/"
  fi
}

# start_mock NAME ARGS...: start an instance, wait for its port; sets PORT.
start_mock() {
  local name=$1 i
  shift
  "$MOCK" --port 0 --port-file "$TMP/$name.port" --log "$TMP/$name.log" "$@" \
    2>"$TMP/$name.err" &
  PIDS+=($!)
  LASTPID=$!
  for i in $(seq 100); do
    [ -s "$TMP/$name.port" ] && break
    sleep 0.05
  done
  PORT=$(cat "$TMP/$name.port" 2>/dev/null)
  [ -n "$PORT" ] || { echo "mock $name did not start:"; cat "$TMP/$name.err"; exit 1; }
}

# req METHOD URL [curl args]: sets CODE, TIME, RC, BODY, HDRS (header file).
# Process creation is slow on small VMs, so helpers avoid subshells: results
# come back in variables, JSON fields are read with bash regexes (the mock's
# JSON is compact), and jq runs only for the log checks.
req() {
  local m=$1 u=$2
  shift 2
  curl -s -o "$TMP/body" -D "$TMP/hdrs" -w '%{http_code} %{time_total}' \
    --max-time "${MAXT:-10}" -X "$m" "$u" "$@" >"$TMP/w"
  RC=$?
  read -r CODE TIME <"$TMP/w"
  BODY=""
  IFS= read -r -d '' BODY <"$TMP/body"
  HDRS="$TMP/hdrs"
  : >"$TMP/body"
}

# fields KEY...: F = the first value of each "KEY": in the body, space-joined
# (strings unquoted, escapes left as they are).
fields() {
  local k re out=""
  for k in "$@"; do
    re="\"$k\":(\"(([^\"\\\\]|\\\\.)*)\"|[^,}]*)"
    if [[ $BODY =~ $re ]]; then
      if [[ ${BASH_REMATCH[1]} == \"* ]]; then out+=" ${BASH_REMATCH[2]}"; else out+=" ${BASH_REMATCH[1]}"; fi
    else
      out+=" -"
    fi
  done
  F=${out# }
}

# all KEY: F = every string value of "KEY": in the body, comma-joined; N = count.
all() {
  local s=$BODY re="\"$1\":\"(([^\"\\\\]|\\\\.)*)\"" out=""
  N=0
  while [[ $s =~ $re ]]; do
    out+=",${BASH_REMATCH[1]}"
    N=$((N + 1))
    s=${s#*"${BASH_REMATCH[0]}"}
  done
  F=${out#,}
}

# header NAME: F = the value of a response header of the last request.
header() {
  local line
  F=""
  while IFS= read -r line; do
    line=${line%$'\r'}
    if [[ ${line,,} == "${1,,}:"* ]]; then F=${line#*: }; fi
  done <"$HDRS"
}

# tw TO [BODY [more curl args]]: Twilio create on the main instance.
tw() {
  local to=$1 body=${2:-hello}
  shift 2 2>/dev/null || shift $#
  req POST "$TW" --data-urlencode "To=$to" --data-urlencode "From=+15550000000" \
    --data-urlencode "Body=$body" "$@"
}

# many N TO: N Twilio creates in one curl (keep-alive); CODES = their statuses.
many() {
  local i urls=()
  for i in $(seq "$1"); do urls+=("$TW" -o /dev/null); done
  curl -s -w '%{http_code} ' --data-urlencode "To=$2" \
    --data-urlencode "From=+15550000000" --data-urlencode "Body=many" "${urls[@]}" >"$TMP/w"
  read -r -a CODES <"$TMP/w"
}

# stat KEY...: S = counters of the main instance, space-joined.
stat() {
  local keep=$BODY
  curl -s -o "$TMP/stats" "$BASE/_mock/stats"
  IFS= read -r -d '' BODY <"$TMP/stats"
  fields "$@"
  S=$F
  BODY=$keep
}

# faults TEXT: replace the main instance's fault set.
faults() { req POST "$BASE/_mock/faults" --data-binary "$1"; }

# ge A B: is the decimal A >= B?
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# logged: L = lines in the main instance's log.
logged() {
  local line
  L=0
  while IFS= read -r line; do L=$((L + 1)); done <"$TMP/main.log"
}

make -s mock >/dev/null || { echo "mock smoke: 0 passed, 1 failed (build)"; exit 1; }

# ---- main instance -----------------------------------------------------------
start_mock main --seed 7 --threads 2
MAINPID=$LASTPID
BASE="http://127.0.0.1:$PORT"
ACCT=AC00000000000000000000000000000001
TW="$BASE/2010-04-01/Accounts/$ACCT/Messages.json"
TODAY=$(date -u +%F)
YESTERDAY=$(date -u -d yesterday +%F)
TOMORROW=$(date -u -d tomorrow +%F)

req GET "$BASE/_mock/health"
fields ok
check "health" "200 true" "$CODE $F"

# create
tw +15551230001 "Hello there"
check "create status" 201 "$CODE"
fields sid
SID=$F
like "create sid shape" "$SID" '^SM[0-9a-f]{32}$'
fields status to from body num_segments account_sid uri
check "create fields" "queued +15551230001 +15550000000 Hello there 1 $ACCT /2010-04-01/Accounts/$ACCT/Messages/$SID.json" "$F"
req POST "$TW" --data-urlencode "To=+15551230002" --data-urlencode "MessagingServiceSid=MG123" \
  --data-urlencode "MediaUrl=https://example.com/a.png" --data-urlencode "MediaUrl=https://example.com/b.png"
fields from messaging_service_sid num_media sid
check "mms via messaging service" "201 null MG123 2" "$CODE ${F% *}"
like "mms sid shape" "${F##* }" '^MM[0-9a-f]{32}$'
tw +15551230003 "$(printf 'a%.0s' {1..161})"
fields num_segments
check "161 GSM chars = 2 segments" 2 "$F"
tw +15551230003 "héllo ✓"
fields num_segments
check "non-GSM = UCS-2, 1 segment" 1 "$F"

# validation
req POST "$TW" -d From=%2B15550000000 -d Body=x
fields code
check "missing To" "400 21604" "$CODE $F"
req POST "$TW" -d To=5551234 -d From=%2B15550000000 -d Body=x
fields code
check "invalid To" "400 21211" "$CODE $F"
req POST "$TW" -d To=%2B15551230001 -d Body=x
fields code
check "missing From" "400 21603" "$CODE $F"
req POST "$TW" -d To=%2B15551230001 -d From=not@valid -d Body=x
fields code
check "invalid From" "400 21606" "$CODE $F"
req POST "$TW" -d To=%2B15551230001 -d From=%2B15550000000
fields code
check "missing Body and MediaUrl" "400 21602" "$CODE $F"
tw +15551230001 "$(printf 'b%.0s' {1..1601})"
fields code status more_info
check "1601-char Body" "400 21617 400 https://www.twilio.com/docs/errors/21617" "$CODE $F"
tw +15551230001 "$(printf 'b%.0s' {1..1600})"
check "1600-char Body accepted" 201 "$CODE"

# fetch
req GET "$BASE/2010-04-01/Accounts/$ACCT/Messages/$SID.json"
fields sid body
check "fetch" "200 $SID Hello there" "$CODE $F"
req GET "$BASE/2010-04-01/Accounts/$ACCT/Messages/SM0000000000000000000000000000dead.json"
fields code
check "fetch unknown" "404 20404" "$CODE $F"
req GET "$BASE/2010-04-01/Accounts/ACother/Messages/$SID.json"
check "fetch other account" 404 "$CODE"

# list filters
req GET "$TW?To=%2B15551230001"
all to
check "list by To" "200 2 +15551230001,+15551230001" "$CODE $N $F"
all sid
check "list newest first" "$SID" "${F##*,}"
req GET "$TW?From=%2B15550000000&To=%2B15551230003"
all sid
check "list by From and To" 2 "$N"
req GET "$TW?To=%2B15551230001&DateSent%3E=$TODAY"
all sid
check "DateSent>= today" 2 "$N"
req GET "$TW?To=%2B15551230001&DateSent>=$TOMORROW"
all sid
check "DateSent>= tomorrow (raw >)" "200 0" "$CODE $N"
req GET "$TW?To=%2B15551230001&DateSent%3C=$YESTERDAY"
all sid
check "DateSent<= yesterday" "200 0" "$CODE $N"
req GET "$TW?To=%2B15551230001&DateSent=$TODAY"
all sid
check "DateSent= today" 2 "$N"
req GET "$TW?DateSent%3E=${TODAY}T00:00:00Z&To=%2B15551230001"
all sid
check "DateSent>= instant" 2 "$N"
req GET "$TW?DateSent=yesterday"
fields code
check "bad DateSent" "400 20001" "$CODE $F"
req GET "$BASE/2010-04-01/Accounts/ACother/Messages.json"
all sid
check "list other account is empty" "200 0" "$CODE $N"

# paging
for i in 1 2 3 4 5; do tw +15557770001 "p$i"; done
req GET "$TW?To=%2B15557770001&PageSize=2"
all body
B=$F
fields page page_size next_page_uri
check "page 0" "p5,p4 0 2" "$B ${F% *}"
req GET "$BASE${F##* }"
all body
B=$F
fields page next_page_uri
check "page 1" "p3,p2 1" "$B ${F% *}"
req GET "$BASE${F##* }"
all body
B=$F
fields next_page_uri
check "page 2 (last)" "p1 null" "$B $F"
req GET "$TW?To=%2B15557770001&PageSize=5"
all body
fields next_page_uri
check "exact page has no next" "5 null" "$N $F"

# Telnyx
TX="$BASE/v2/messages"
TJ='{"from":"+15550000000","to":"+15551239999","text":"hi \u00e9","media_urls":["https://example.com/x.png"]}'
req POST "$TX" -H 'Content-Type: application/json' -d "$TJ"
fields status parts type id
check "telnyx create" "200 queued 1 MMS" "$CODE ${F% *}"
like "telnyx recipient line type" "$BODY" '"to":\[\{[^]]*"line_type":"Wireless"' 
ID0=${F##* }
like "telnyx id is a uuid" "$ID0" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$'
req POST "$TX" -H 'Content-Type: application/json' -d "$TJ"
fields id
ok "telnyx without key records twice" [ "$CODE" = 200 -a "$F" != "$ID0" ]
stat messages
N0=$S
req POST "$TX" -H 'Idempotency-Key: key-1' -d "$TJ"
fields id
ID1=$F
req POST "$TX" -H 'Idempotency-Key: key-1' -d "$TJ"
fields id
check "telnyx repeated key returns original" "200 $ID1" "$CODE $F"
stat messages replayed
check "telnyx repeated key recorded once, counted as replay" "$((N0 + 1)) 1" "$S"
check "telnyx repeated key logged once" 1 "$(grep -c '"idempotency_key":"key-1"' "$TMP/main.log")"
req POST "$TX" -H 'Idempotency-Key: key-2' -d "$TJ"
fields id
ok "telnyx other key is new" [ "$F" != "$ID1" ]
req GET "$TX/$ID1"
fields id text
check "telnyx fetch" "200 $ID1 hi é" "$CODE $F"
req POST "$TX" -d '{"from":"+15550000000","text":"x"}'
fields code
check "telnyx missing to" "422 40310" "$CODE $F"
req POST "$TX" -d '{"from":'
fields code
check "telnyx bad JSON" "400 10015" "$CODE $F"

# ---- faults, one kind at a time ------------------------------------------------
# fault_case SPEC CODE RECORDED: apply SPEC alone, one create, check code and log.
fault_case() {
  local before
  faults "$1"
  logged
  before=$L
  tw +15552220000 "fault $1"
  logged
  check "fault $1: status" "$2" "$CODE"
  check "fault $1: recorded" "$3" "$((L - before))"
}
fault_case ok 201 1
fault_case delay:300 201 1
ok "delay:300 took >= 0.3 s ($TIME)" ge "$TIME" 0.3
fault_case status:502 502 0
fields code
check "status:502 Twilio code" 20500 "$F"
fault_case status:503 503 0
fields code
check "status:503 Twilio code" 20503 "$F"
fault_case accept_then_status:500 500 1
ok "accept_then_status logged with its fault" grep -q '"fault":"accept_then_status:500"}$' "$TMP/main.log"
fault_case error:30007 400 0
fields code status message
check "error:30007 body" "30007 400 Message filtered" "$F"
fault_case throttle:7 429 0
fields code
C=$F
header Retry-After
check "throttle code and Retry-After" "20429 7" "$C $F"
fault_case reset 000 0
like "reset: closed without a response (curl exit)" "$RC" '^(52|56)$'
fault_case accept_then_reset 000 1
like "accept_then_reset: closed without a response (curl exit)" "$RC" '^(52|56)$'
MAXT=1 fault_case hang 000 1
check "hang: client gave up (curl 28 = timeout)" 28 "$RC"
fault_case slow:600 201 1
ok "slow:600 took >= 0.55 s ($TIME)" ge "$TIME" 0.55
fields sid
like "slow body complete" "$F" '^SM'
req GET "$BASE/_mock/health"
check "still serving after hang and reset" 200 "$CODE"
stat ok delay status accept_then_status error throttle reset accept_then_reset hang slow
check "fault counters" "1 1 2 1 1 1 1 1 1 1" "$S"

# counts, probabilities, numbers, operations
faults 'status:503@#2'
many 4 +15552220001
check "@#2: first two only" "503 503 201 201" "${CODES[*]}"
faults 'status:503@0.5'
many 40 +15552220002
n503=0
for c in "${CODES[@]}"; do [ "$c" = 503 ] && n503=$((n503 + 1)); done
ok "@0.5: some but not all of 40 failed ($n503)" [ "${#CODES[@]}" = 40 -a "$n503" -gt 4 -a "$n503" -lt 36 ]
faults $'# per-number rules first\nto=+15559990001,error:21610\nto=+15559990002,throttle:2\nok'
check "fault set replaced" '{"faults":["to=+15559990001,error:21610","to=+15559990002,throttle:2","ok"]}' "$BODY"
tw +15559990001 x
fields code
check "per-number error" "400 21610" "$CODE $F"
tw +15559990002 x
header Retry-After
check "per-number throttle" "429 2" "$CODE $F"
tw +15559990003 x
check "other numbers unaffected" 201 "$CODE"
faults 'to=+15559990001,bogus:1'
check "bad spec rejected" 400 "$CODE"
like "bad spec error names the line" "$BODY" 'line 1: unknown fault kind'
req GET "$BASE/_mock/faults"
check "bad spec leaves the set unchanged" '{"faults":["to=+15559990001,error:21610","to=+15559990002,throttle:2","ok"]}' "$BODY"
faults 'op=list,status:503'
req GET "$TW?To=%2B15559990003"
check "op=list fault hits list" 503 "$CODE"
tw +15559990003 x
check "op=list fault spares create" 201 "$CODE"
faults 'op=any,to=+15559990004,delay:200'
req GET "$TW?To=%2B15559990004"
ok "op=any,to= delays the list by To ($TIME)" ge "$TIME" 0.2
faults 'throttle:3'
req POST "$TX" -d "$TJ"
fields code
C=$F
header Retry-After
check "telnyx throttle" "429 10011 3" "$CODE $C $F"
faults 'error:40001'
req POST "$TX" -d "$TJ"
fields code
check "telnyx error:CODE is a 422" "422 40001" "$CODE $F"
# text=: the reply's message, percent-decoded (any bytes, valid UTF-8 or not)
faults 'text=caf%C3%A9%2C bad %FF%FE end,error:30007'
tw +15559990005 x
check "text= replaces the Twilio error message (raw bytes kept)" \
  "400 $(printf 'caf\xc3\xa9, bad \xff\xfe end')" "$CODE $(LC_ALL=C sed -E 's/.*"message":"([^"]*)".*/\1/' <<<"$BODY")"
faults 'text=Try later,status:503'
tw +15559990005 x
fields code message
check "text= works with status:" "503 20503 Try later" "$CODE $F"
faults 'text=%4,error:1'
check "bad text= encoding rejected" 400 "$CODE"
faults 'text=Nope,error:40002'
req POST "$TX" -d "$TJ"
fields code detail
check "text= on Telnyx: errors[0].detail" "422 40002 Nope" "$CODE $F"
faults accept_then_reset
stat messages
N0=$S
req POST "$TX" -H 'Idempotency-Key: key-reset' -d "$TJ"
faults ''
req POST "$TX" -H 'Idempotency-Key: key-reset' -d "$TJ"
stat messages
check "telnyx retry after accept_then_reset is a replay" "200 $((N0 + 1))" "$CODE $S"
req GET "$BASE/_mock/faults"
check "empty POST clears faults" '{"faults":[]}' "$BODY"

# log integrity, reset
stat accepted
A1=$S
logged
check "log lines = accepted" "$A1" "$L"
check "log is JSON, seq unique and increasing" "$L" \
  "$(jq -s '[.[].seq] as $s | if $s == ($s | sort | unique) then ($s | length) else -1 end' "$TMP/main.log")"
check "log line fields" "seq,provider,sid,account,to,from,messaging_service_sid,body,media,status_callback,validity_period,idempotency_key,received_at,fault" \
  "$(head -1 "$TMP/main.log" | jq -r 'keys_unsorted | join(",")')"
ok "received_at has microseconds" grep -Eq '"received_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z"' "$TMP/main.log"
req POST "$BASE/_mock/reset"
stat messages requests
check "reset clears messages and counters" "0 0" "$S"
req GET "$TW"
all sid
check "list empty after reset" 0 "$N"
tw +15551230001 "after reset"
check "seq continues after reset" "$((A1 + 1))" "$(tail -1 "$TMP/main.log" | jq .seq)"

# SIGTERM
kill -TERM "$MAINPID"
wait "$MAINPID" 2>/dev/null
check "SIGTERM exits 0" 0 "$?"
ok "summary on stderr" grep -q "textseq-mock: requests=2 accepted=1 " "$TMP/main.err"

# ---- command-line faults, auth, latency --------------------------------------------
"$MOCK" --fault 'nonsense' 2>/dev/null
check "bad --fault exits 2" 2 "$?"
start_mock cli --auth ACsecret:tok3n --telnyx-key KEY123 --latency-ms 200 \
  --fault 'to=+15550000001,throttle:3'
CB="http://127.0.0.1:$PORT"
CTW="$CB/2010-04-01/Accounts/ACsecret/Messages.json"
req POST "$CTW" -d To=%2B15550000002 -d From=%2B15550000000 -d Body=x
fields code
check "no credentials" "401 20003" "$CODE $F"
req POST "$CTW" -u ACsecret:wrong -d To=%2B15550000002 -d From=%2B15550000000 -d Body=x
fields code
check "wrong credentials" "401 20003" "$CODE $F"
req POST "$CTW" -u ACsecret:tok3n -d To=%2B15550000002 -d From=%2B15550000000 -d Body=x
check "right credentials" 201 "$CODE"
ok "--latency-ms 200 applies ($TIME)" ge "$TIME" 0.2
req POST "$CTW" -u ACsecret:tok3n -d To=%2B15550000001 -d From=%2B15550000000 -d Body=x
header Retry-After
check "--fault per number" "429 3" "$CODE $F"
req POST "$CB/v2/messages" -H 'Authorization: Bearer nope' -d "$TJ"
fields code
check "telnyx wrong key" "401 10009" "$CODE $F"
req POST "$CB/v2/messages" -H 'Authorization: Bearer KEY123' -d "$TJ"
check "telnyx right key" 200 "$CODE"
req GET "$CB/_mock/stats"
fields auth_failed
check "auth failures counted" 3 "$F"

# ---- delivery reports (needs PostgreSQL binaries) ------------------------------
PGBIN=$(pg_config --bindir 2>/dev/null)
if [ -x "$PGBIN/initdb" ] && { [ "$(id -u)" -ne 0 ] || id postgres >/dev/null 2>&1; }; then
  mkdir -p "$TMP/pg/sock"
  chmod 755 "$TMP" "$TMP/pg"
  [ "$(id -u)" -eq 0 ] && chown -R postgres "$TMP/pg"
  PGDATA_DIR="$TMP/pg/data"
  PGP=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0)->sockport')
  as_owner "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust >/dev/null 2>&1 &&
    printf "port = %s\nlisten_addresses = ''\nunix_socket_directories = '%s'\nfsync = off\n" \
      "$PGP" "$TMP/pg/sock" | as_owner tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null &&
    as_owner "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$TMP/pg/log" -w start >/dev/null
  check "throwaway cluster for delivery reports" 0 "$?"
  PSQL=(psql -X -q -A -t -h "$TMP/pg/sock" -p "$PGP" -U postgres -d postgres)
  "${PSQL[@]}" -c "CREATE SCHEMA textseq; CREATE TABLE textseq.dlr (p jsonb);
    CREATE FUNCTION textseq.delivery_report(provider text, payload jsonb) RETURNS void
    LANGUAGE plpgsql AS \$\$ BEGIN
      IF payload->>'To' = '+15550000666' THEN RAISE EXCEPTION 'rejected report'; END IF;
      INSERT INTO textseq.dlr VALUES (payload); END \$\$;"
  start_mock dlr --dlr-conninfo "host=$TMP/pg/sock port=$PGP user=postgres dbname=postgres" \
    --dlr-delay-ms 100 --dlr-status undelivered
  DL="http://127.0.0.1:$PORT"
  for to in 15550000101 15550000666 15550000102; do
    req POST "$DL/2010-04-01/Accounts/ACdlr/Messages.json" -d "To=%2B$to" -d From=%2B15550000000 -d Body=x
  done
  fields sid
  DSID=$F
  for i in $(seq 100); do
    req GET "$DL/_mock/stats"
    fields dlr_posted dlr_failed
    [ "$F" = "2 1" ] && break
    sleep 0.05
  done
  check "delivery reports posted / failed" "2 1" "$F"
  check "delivery report payload" "undelivered|30003|+15550000102|+15550000000|ACdlr" \
    "$("${PSQL[@]}" -c "SELECT concat_ws('|', p->>'MessageStatus', p->>'ErrorCode', p->>'To', p->>'From', p->>'AccountSid') FROM textseq.dlr WHERE p->>'MessageSid' = '$DSID'")"
  req GET "$DL/2010-04-01/Accounts/ACdlr/Messages/$DSID.json"
  fields status
  check "fetched status follows the report" undelivered "$F"
else
  echo "mock smoke: delivery reports skipped (no PostgreSQL binaries or no postgres user)"
fi

# ---- throughput ----------------------------------------------------------------------
start_mock load --threads 2
LOAD=$("$MOCK" load --port "$PORT" --connections 8 --seconds 2)
check "load run without errors" 0 "$?"
RATE=$(sed -E 's/.*= ([0-9]+) req\/s.*/\1/' <<<"$LOAD")
DONE=$(sed -E 's/^load: ([0-9]+) requests.*/\1/' <<<"$LOAD")
echo "mock smoke: $LOAD"
ok "throughput floor 2,000 req/s on any machine (got $RATE)" test "${RATE:-0}" -ge 2000
check "every load request logged once" "$DONE" "$(wc -l <"$TMP/load.log" | tr -d ' ')"

echo "mock smoke: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
