#!/usr/bin/env bash
# demo.sh: `make demo`.  Installs what is missing, builds and installs textseq, makes a
# throwaway cluster and a local mock SMS provider (with a few per-number faults), loads a
# sample CRM, launches a three-step sequence to it, shows live progress and ends with a
# report.  Stops everything it started on exit, Ctrl-C or failure.  Never touches a real
# provider or an existing cluster.
#
#   DEMO_LEADS=N      generated leads (default 3000, at most 10000)
#   DEMO_RATE=N       messages per second for the account and each sender (default 400)
#   DEMO_TIMEOUT=S    give up waiting for the queue to drain after S seconds (default 150)
#   TS_KEEP=1         keep the temp dir (server.log, mock log) for a look afterwards
set -Eeuo pipefail
cd "$(dirname "$0")/.."
# On a fresh machine pg_config comes with install-deps: do not let lib-cluster.sh call it yet.
PGBIN=${PGBIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
. scripts/lib-cluster.sh

DB=textseq_demo
LEADS=${DEMO_LEADS:-3000}
RATE=${DEMO_RATE:-400}
TIMEOUT=${DEMO_TIMEOUT:-150}
case "$LEADS$RATE$TIMEOUT" in *[!0-9]*) echo "demo: DEMO_LEADS, DEMO_RATE and DEMO_TIMEOUT are whole numbers" >&2; exit 2 ;; esac
[ "$LEADS" -ge 150 ] && [ "$LEADS" -le 10000 ] || { echo "demo: DEMO_LEADS must be 150 to 10000" >&2; exit 2; }
SID=AC0123456789abcdef0123456789abcdef
TOKEN=demo-token
MOCK_BIN=test/mock/textseq-mock
export PGOPTIONS="-c client_min_messages=warning"

if [ -t 1 ]; then B=$'\033[1m'; D=$'\033[2m'; R=$'\033[0m'; else B=""; D=""; R=""; fi

say()  { printf '\n%s== %s%s\n' "$B" "$*" "$R"; }
note() { printf '   %s\n' "$*"; }
q()    { psql -qAtX -P pager=off -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

# On failure: say where, show the end of the server log while it still exists.
on_error() {
  local rc=$? line=$1
  trap - ERR
  echo "demo: failed (exit $rc) at line $line, in ${FUNCNAME[*]:1}" >&2
  if [ -n "$TS_TMP" ] && [ -f "$TS_TMP/server.log" ]; then
    echo "-- last lines of server.log:" >&2; tail -20 "$TS_TMP/server.log" >&2
  fi
  exit "$rc"
}
trap 'on_error $LINENO' ERR
trap ts_cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT TERM HUP

# ---- preparing ------------------------------------------------------------------
prepare() {
  say "Preparing: packages, build, cluster, mock provider"
  bash scripts/install-deps.sh
  note "Debian packages: all there"
  ts_build_install
  make -s mock PG_CONFIG="$TS_PG_CONFIG" >/dev/null
  note "textseq built and installed; mock provider built ($MOCK_BIN)"
  ts_cluster_start "textseq.database = '$DB'" "textseq.reconcile_after = '5s'"
  note "PostgreSQL 15 cluster in $TS_TMP (port $PGPORT), textseq preloaded,"
  note "  textseq.reconcile_after = 5s (ambiguous sends are checked sooner than the default 20 s)"
  psql -qX -d postgres -c "CREATE DATABASE $DB" >/dev/null
  q -c "CREATE EXTENSION textseq" >/dev/null
  local i
  for i in $(seq 1 300); do
    [ "$(q -c "SELECT count(*) FROM textseq.worker_status WHERE pid IS NOT NULL")" = 1 ] && break
    sleep 0.1
  done
  [ "$(q -c "SELECT count(*) FROM textseq.worker_status WHERE pid IS NOT NULL")" = 1 ] \
    || { echo "demo: the dispatch worker did not start for $DB" >&2; false; }
  note "database $DB: extension created, dispatch worker running (pid $(q -c "SELECT pid FROM textseq.worker_status"))"
}

# start_mock: the mock Twilio on a free loopback port; delivery reports go to the demo database.
start_mock() {
  MOCK_LOG="$TS_TMP/mock.jsonl"
  "$MOCK_BIN" --port 0 --port-file "$TS_TMP/mock.port" --log "$MOCK_LOG" --auth "$SID:$TOKEN" \
    --dlr-conninfo "host=$PGHOST port=$PGPORT dbname=$DB user=postgres" --dlr-delay-ms 2000 \
    2>"$TS_TMP/mock.err" &
  TS_PIDS+=($!)
  local i
  for i in $(seq 1 100); do [ -s "$TS_TMP/mock.port" ] && break; sleep 0.05; done
  [ -s "$TS_TMP/mock.port" ] || { cat "$TS_TMP/mock.err" >&2; echo "demo: the mock provider did not start" >&2; false; }
  MOCK_URL="http://127.0.0.1:$(cat "$TS_TMP/mock.port")"
  note "mock Twilio at $MOCK_URL (delivery reports 2 s after acceptance)"
}

# pick_zones: a zone where it is now early afternoon (12:30-18:30 suits every quiet-hours
# rule the sample's area codes have; a US zone if one is there) and one where it is night.
pick_zones() {
  local zones=(America/Chicago America/New_York America/Denver America/Los_Angeles
    America/Anchorage Pacific/Honolulu America/Halifax America/Sao_Paulo Atlantic/Azores
    Europe/London Europe/Paris Europe/Athens Europe/Moscow Asia/Dubai Asia/Karachi Asia/Dhaka
    Asia/Bangkok Asia/Singapore Asia/Tokyo Australia/Brisbane Pacific/Noumea Pacific/Auckland
    Pacific/Tongatapu Pacific/Kiritimati Pacific/Pago_Pago)
  local sql="WITH z AS (SELECT zone, ord, (now() AT TIME ZONE zone)::time AS local
                         FROM unnest(:'zones'::text[]) WITH ORDINALITY AS u(zone, ord))
             SELECT zone || '|' || to_char(local, 'HH24:MI') FROM z
              ORDER BY :order, ord LIMIT 1"
  local list="{$(IFS=,; echo "${zones[*]}")}"
  IFS='|' read -r DAY_ZONE DAY_TIME <<<"$(q -v zones="$list" -v order="local >= '12:30' AND local < '18:30' DESC,
    textseq.zone_is_us(zone) DESC, abs(extract(epoch FROM local) / 3600 - 14.5)" <<<"$sql")"
  IFS='|' read -r NIGHT_ZONE NIGHT_TIME <<<"$(q -v zones="$list" -v order="abs(extract(epoch FROM local) / 3600 - 3)" <<<"$sql")"
}

# ---- the sample CRM and the launch -------------------------------------------------
load_sample() {
  say "Sample CRM: account, senders, templates, sequence, $LEADS leads and some special cases"
  q -v mock_url="$MOCK_URL" -v sid="$SID" -v token="$TOKEN" -v rate="$RATE" \
    -f scripts/demo/setup.sql >/dev/null
  q -v leads="$LEADS" -v day_zone="$DAY_ZONE" -v night_zone="$NIGHT_ZONE" \
    -f scripts/demo/sample.sql >/dev/null
  # the mock's per-number faults come from the demo_case table
  q -c "SELECT '# ' || label || E'\\n' || 'to=' || phone || ',' || fault FROM demo_case
         WHERE fault IS NOT NULL ORDER BY lead_id" >"$TS_TMP/faults.txt"
  curl -sS -X POST --data-binary @"$TS_TMP/faults.txt" "$MOCK_URL/_mock/faults" >"$TS_TMP/faults.out"
  grep -q '"error"' "$TS_TMP/faults.out" && { cat "$TS_TMP/faults.out" >&2; false; }
  note "$(q -c "SELECT count(*) || ' leads, ' || (SELECT count(*) FROM textseq.contact) || ' phone numbers in '
                       || (SELECT count(DISTINCT substr(phone, 3, 3)) FROM textseq.contact) || ' area codes'
                  FROM textseq.lead")"
  note "sequence demo-onboarding: intro (at once) -> follow-up (+5 s) -> last-note (+10 s)"
  note "time zones: the leads' numbers are set to $DAY_ZONE (textseq.phone.time_zone), where it"
  note "  is $DAY_TIME now, inside the send window (08:00-21:00 and the states' quiet-hours rules);"
  note "  $(q -c "SELECT count(*) FROM textseq.phone WHERE time_zone = '$NIGHT_ZONE'") of them to $NIGHT_ZONE, where it is $NIGHT_TIME: their texts must wait for the morning"
  note "$(q -c "SELECT count(*) FROM demo_case") special cases (table demo_case): do-not-contact, opted out, landlines, duplicates,"
  note "  and these faults of the mock provider for one number each:"
  paste -d'|' - - <"$TS_TMP/faults.txt" | sed 's/^# //' | awk -F'|' '{ printf "     %-44s %s\n", $2, $1 }'
}

launch() {
  say "Launching: textseq.launch('demo-onboarding', bulkimport_id => 1)"
  local t0 t1 bulk line
  t0=$(date +%s.%N)
  bulk=$(q -f scripts/demo/launch.sql | tail -1)
  t1=$(date +%s.%N)
  note "bulk $bulk: $(q -c "SELECT lead_count || ' members in ' || chunk_count || ' chunks, status ' || status
                              FROM textseq.bulk WHERE id = $bulk") (the call took $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s)"
  note "the worker expands it into enrollments and first messages, a chunk per transaction, between its sends:"
  # the bulk's progress until every member is expanded (messages already flow meanwhile)
  while :; do
    line=$(q -c "SELECT status || '|' || expanded_chunks || '|' || chunk_count || '|' || expanded_count || '|' || lead_count
                   || '|' || (SELECT count(*) FROM textseq.message m WHERE m.bulk_id = b.id AND m.status <> 'in_queue')
                   FROM textseq.bulk b WHERE id = $bulk")
    IFS='|' read -r status done_chunks chunks done_members members moving <<<"$line"
    note "$(printf '%5.1fs  %-15s chunk %3d of %3d, %5d of %5d members expanded, %5d texts already past the queue' \
            "$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }")" "$status" "$done_chunks" "$chunks" \
            "$done_members" "$members" "$moving")"
    [ "$status" != being_processed ] && break
    awk "BEGIN { exit !($(date +%s.%N) - $t0 > $TIMEOUT) }" && { echo "demo: the launch did not expand in $TIMEOUT s" >&2; false; }
    sleep 0.5
  done
  note "$(q -c "SELECT count(*) FILTER (WHERE status = 'pending') || ' enrollments pending, '
                       || count(*) FILTER (WHERE status::text LIKE 'omitted%' OR status = 'canceled')
                       || ' omitted at launch (opted out, landline, invalid, do-not-contact); '
                       || (SELECT deleted_leads_count FROM textseq.bulk_stats WHERE bulk_id = $bulk AND step IS NULL) || ' leads deleted since the launch'
                  FROM textseq.enrollment WHERE bulk_id = $bulk")"
}

. scripts/demo/progress.sh

main() {
  prepare
  start_mock
  pick_zones
  load_sample
  launch
  watch_progress
  say "Report"
  report
  if [ -n "$DEMO_TIMED_OUT" ]; then
    echo "demo: the queue did not drain within $TIMEOUT s; see the report above" >&2
    exit 1
  fi
}

main "$@"
