#!/usr/bin/env bash
# bench/receive.sh: textseq.receive() with pgbench (SPEC 14: at least 5,000
# calls/s), beside a plain INSERT of the same rows into an equally indexed
# table, same run, same clients.  Run by scripts/bench.sh (PGHOST/PGPORT set,
# BENCH_RESULTS for the summary); makes and drops its own database.
#
# The mix, per call, on 100,000 phones with 200,000 earlier texts stored
# (bench/receive_setup.sql): 5% STOP,
# 45% a number or a word that conversations branch on, 50% a plain reply;
# every call has its own provider id.  As the run goes on, phones opt out and
# conversations and drips end, so later calls take the cheaper paths, as a
# real inbound stream does after a campaign's first replies.
#   BENCH_RECEIVE_SECONDS=30  BENCH_RECEIVE_CLIENTS=8
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
DB=textseq_receive
SECS=${BENCH_RECEIVE_SECONDS:-30}
CLIENTS=${BENCH_RECEIVE_CLIENTS:-8}
W=$(mktemp -d /tmp/textseq-receive.XXXXXX)
trap 'rm -rf "$W"; psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1' EXIT

psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null
psql -qX -d postgres -c "CREATE DATABASE $DB" >/dev/null
psql -qX -d "$DB" -c "CREATE EXTENSION textseq" >/dev/null || exit 1
t0=$(now_s)
psql -qX -d "$DB" -f bench/receive_setup.sql >/dev/null || exit 1
echo "  100,000 leads loaded in $(fmt "$(awk -v a="$(now_s)" -v b="$t0" "BEGIN { print a - b }")" 1) s"

# the same arguments for both sides: phone, body, provider id
ARGS='\set g random(0, 99999)
\set k random(1, 100)
\set n random(0, 12)
\set id random(1, 9000000000000000000)'
PHONE="'+1201' || (200 + :g / 10000) || lpad((:g % 10000)::text, 4, '0')"
BODY="CASE WHEN :k <= 5 THEN 'STOP' WHEN :k <= 35 THEN :n::text WHEN :k <= 50 THEN 'yes please' ELSE 'Sounds good, talk soon' END"
printf '%s\nSELECT textseq.receive(%s, %s, %s, %s);\n' "$ARGS" "$PHONE" "'+12015550100'" "$BODY" "'bench-' || :id" >"$W/receive.sql"
printf '%s\nINSERT INTO public.plain_inbound (received_at, from_phone, to_phone, body, provider_id) VALUES (now(), %s, %s, %s, %s);\n' \
  "$ARGS" "$PHONE" "'+12015550100'" "$BODY" "'bench-' || :id" >"$W/insert.sql"

run() {  # run NAME FILE: pgbench, prints calls/s; $W/NAME.cpu: server CPU µs per call
  local c0 c1 n
  c0=$(cluster_ticks)
  pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$SECS" -f "$2" "$DB" >"$W/$1.out" 2>&1
  c1=$(cluster_ticks)
  n=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$W/$1.out")
  awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="${n:-0}" \
    'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "?" }' >"$W/$1.cpu"
  sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$W/$1.out" | head -1
}
ins=$(run insert "$W/insert.sql")
rec=$(run receive "$W/receive.sql")
lat=$(sed -nE 's/^latency average = ([0-9.]+) ms/\1/p' "$W/receive.out")
echo "  plain INSERT: $(fmt "${ins:-0}") rows/s ($(cat "$W/insert.cpu") µs server CPU per row); receive: $(fmt "${rec:-0}") calls/s ($(cat "$W/receive.cpu") µs per call, latency average ${lat:-?} ms), $CLIENTS clients, ${SECS} s each"
psql -qAtX -d "$DB" -c "SELECT '  what receive did: ' || string_agg(a || ' ' || n, ', ' ORDER BY n DESC)
	FROM (SELECT result ->> 'action' AS a, count(*) AS n FROM textseq.inbound GROUP BY 1) x"
psql -qAtX -d "$DB" -c "SELECT '  opted out: ' || count(*) FILTER (WHERE opted_out) || ' phones; consent events: '
	|| (SELECT count(*) FROM textseq.consent_event) FROM textseq.phone"
grep -E 'failed|aborted|ERROR' "$W/receive.out" "$W/insert.out" | grep -v 'number of failed transactions: 0' | head -5
result receive "textseq.receive calls/s ($CLIENTS clients, 100,000 phones)" "$(fmt "${rec:-0}")" ">= 5,000" \
  "plain INSERT $(fmt "${ins:-0}") rows/s" "receive $(div "${rec:-0}" "${ins:-0}" 2)x the INSERT rate"
