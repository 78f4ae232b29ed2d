#!/usr/bin/env bash
# bench/receive.sh: textseq.receive() with pgbench (SPEC 14: at least 5,000
# calls/s), beside a plain INSERT of the same rows into an equally indexed
# table, same run, same clients.  Run by scripts/bench.sh (PGHOST/PGPORT set,
# BENCH_RESULTS for the summary); makes and drops its own databases.
#
# The mix, per call, on 100,000 phones with 200,000 earlier texts stored
# (bench/receive_setup.sql): 5% STOP,
# 45% a number or a word that conversations branch on, 50% a plain reply;
# every call has its own provider id.  As the run goes on, phones opt out and
# conversations and drips end, so later calls take the cheaper paths, as a
# real inbound stream does after a campaign's first replies.
#
# Rounds: the data is loaded once into a template database; each side of each
# round runs on a fresh copy of it (read into shared buffers first), sides
# alternating INSERT, receive, INSERT, receive...  A shared 2-core machine
# moves single runs by a quarter either way; the medians are the figures.
#   BENCH_RECEIVE_SECONDS=30  BENCH_RECEIVE_CLIENTS=8  BENCH_RECEIVE_ROUNDS=3
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
DB=textseq_receive
TPL=textseq_receive_template
SECS=${BENCH_RECEIVE_SECONDS:-30}
CLIENTS=${BENCH_RECEIVE_CLIENTS:-8}
ROUNDS=${BENCH_RECEIVE_ROUNDS:-3}
W=$(mktemp -d /tmp/textseq-receive.XXXXXX)
drop_all() {
  psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS $TPL" >/dev/null 2>&1
}
trap 'rm -rf "$W"; drop_all' EXIT

drop_all
psql -qX -d postgres -c "CREATE DATABASE $TPL" >/dev/null || exit 1
psql -qX -d "$TPL" -c "CREATE EXTENSION textseq" >/dev/null || exit 1
t0=$(now_s)
psql -qX -d "$TPL" -f bench/receive_setup.sql >/dev/null || exit 1
echo "  100,000 leads loaded in $(fmt "$(awk -v a="$(now_s)" -v b="$t0" "BEGIN { print a - b }")" 1) s"

# A fresh copy of the loaded database, its relations read into shared buffers
# (as a server that has been answering for a while has them).
fresh_db() {
  psql -qX -d postgres -c "DROP DATABASE IF EXISTS $DB" \
    -c "CREATE DATABASE $DB TEMPLATE $TPL STRATEGY FILE_COPY" -c "CHECKPOINT" >/dev/null || return 1
  psql -qX -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
    -c "SELECT count(pg_prewarm(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'i', 't') AND n.nspname IN ('textseq', 'public', 'pg_toast')" >/dev/null
}

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
  sleep 1  # (the backends of fresh_db gone)
  c0=$(cluster_ticks)
  pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$SECS" -f "$2" "$DB" >"$W/$1.out" 2>&1
  sleep 1  # (pgbench's backends gone: their CPU is the postmaster's children's)
  c1=$(cluster_ticks)
  n=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$W/$1.out")
  awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v n="${n:-0}" \
    'BEGIN { if (n > 0) printf "%.0f", t / hz * 1e6 / n; else print "?" }' >"$W/$1.cpu"
  sed -nE 's/^tps = ([0-9.]+) .*/\1/p' "$W/$1.out" | head -1
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for r in $(seq 1 "$ROUNDS"); do
  fresh_db || exit 1
  ins=$(run insert "$W/insert.sql")
  echo "${ins:-0}" >>"$W/insert.rates"; echo "$(cat "$W/insert.cpu")" >>"$W/insert.cpus"
  fresh_db || exit 1
  rec=$(run receive "$W/receive.sql")
  echo "${rec:-0}" >>"$W/receive.rates"; echo "$(cat "$W/receive.cpu")" >>"$W/receive.cpus"
  lat=$(sed -nE 's/^latency average = ([0-9.]+) ms/\1/p' "$W/receive.out")
  echo "  round $r: plain INSERT $(fmt "${ins:-0}") rows/s ($(cat "$W/insert.cpu") µs server CPU per row); receive $(fmt "${rec:-0}") calls/s ($(cat "$W/receive.cpu") µs per call, latency average ${lat:-?} ms)"
  grep -E 'failed|aborted|ERROR' "$W/receive.out" "$W/insert.out" | grep -v 'number of failed transactions: 0' | head -5
done
ins=$(median <"$W/insert.rates")
rec=$(median <"$W/receive.rates")
echo "  median of $ROUNDS rounds: plain INSERT $(fmt "$ins") rows/s ($(median <"$W/insert.cpus") µs per row); receive $(fmt "$rec") calls/s ($(median <"$W/receive.cpus") µs per call); $CLIENTS clients, ${SECS} s a side"
psql -qAtX -d "$DB" -c "SELECT '  what receive did in the last round: ' || string_agg(a || ' ' || n, ', ' ORDER BY n DESC)
	FROM (SELECT result ->> 'action' AS a, count(*) AS n FROM textseq.inbound
		   WHERE provider_id LIKE 'bench-%' GROUP BY 1) x"
psql -qAtX -d "$DB" -c "SELECT '  opted out: ' || count(*) FILTER (WHERE opted_out) || ' phones; consent events: '
	|| (SELECT count(*) FROM textseq.consent_event) FROM textseq.phone"
result receive "textseq.receive calls/s ($CLIENTS clients, 100,000 phones, median of $ROUNDS)" "$(fmt "$rec")" ">= 5,000" \
  "plain INSERT $(fmt "$ins") rows/s" "receive $(div "$rec" "$ins" 2)x the INSERT rate"
