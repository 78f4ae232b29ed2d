#!/usr/bin/env bash
# bench/latency.sh: immediate-step latency, enroll commit to provider receipt
# (SPEC section 14: p50 under 5 ms, p99 under 25 ms).  Run by
# scripts/bench.sh (see bench/lib.sh for the environment).
#
# One psql session enrolls BENCH_LATENCY_N leads one by one in a one-step
# sequence at the mock (autocommit: the enroll commits before its statement
# returns), reads clock_timestamp() right after each commit, and pauses
# BENCH_LATENCY_GAP_MS between enrolls so the worker is idle each time.  The
# mock logs when each text arrived; the latency is received_at minus the
# commit time (same machine clock).
# Beside it, the floor any design pays on this machine in the same run: one
# durable commit (pgbench, a one-row INSERT) and one HTTP POST to the mock
# (curl, a new connection each time).
. "$(dirname "$0")/lib.sh"

N=${BENCH_LATENCY_N:-500}
GAP_MS=${BENCH_LATENCY_GAP_MS:-20}
T=$(mktemp -d /tmp/textseq-lat.XXXXXX)
trap 'rm -rf "$T"' EXIT

# pct P FILE: the P-th percentile (nearest rank) of the numbers in FILE.
pct() { sort -n "$2" | awk -v p="$1" '{ v[NR] = $1 } END { i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1; printf "%.2f", v[i] }'; }

bench_fresh_db || exit 1
bench_load mock_seq "$N" 1 false
bench_start mock_seq >/dev/null
SEQ_ID=$(bq "SELECT id FROM textseq.sequence WHERE name = 'mock_seq'")
log0=$(server_log_size)
mock0=$(( $(wc -l <"$MOCK_LOG") + 1 ))
sleep 1

echo "-- $N sequential enrolls, ${GAP_MS} ms apart"
{
  echo "\\pset fieldsep ' '"
  for id in $(bq "SELECT id FROM textseq.lead ORDER BY id"); do
    echo "SELECT textseq.enroll($SEQ_ID::bigint, $id::bigint) \\g /dev/null"
    echo "SELECT c.phone, extract(epoch FROM clock_timestamp()) FROM textseq.contact c WHERE c.lead_id = $id AND c.position = 1;"
    echo "SELECT pg_sleep($GAP_MS / 1000.0) \\g /dev/null"
  done
} | psql -qAtX -v ON_ERROR_STOP=1 -d "$BDB" >"$T/commits" || { echo "  enrolls failed"; exit 1; }
wait_sql "every text reaches the mock" \
  "SELECT count(*) FROM textseq.message WHERE status = 'outbox'" "$N" 30 || echo "  statuses: $(status_counts mock_seq)"

bash "$(dirname "$0")/mocklog.sh" "$MOCK_LOG" "$mock0" "$T/commits" >"$T/lat"
got=$(wc -l <"$T/lat")
P50=$(pct 50 "$T/lat"); P90=$(pct 90 "$T/lat"); P99=$(pct 99 "$T/lat"); MAX=$(pct 100 "$T/lat")
echo "  $got texts: p50 $P50 ms, p90 $P90 ms, p99 $P99 ms, max $MAX ms"
[ "$got" -eq "$N" ] || echo "  PROBLEM: $got of $N enrolls reached the mock"
errs=$(server_errors "$log0")
[ -n "$errs" ] && { echo "  server.log errors during the run:"; echo "$errs" | sort | uniq -c | head; }

echo "-- floor: one durable commit, one HTTP POST"
bq "CREATE TABLE public.bench_commit (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())"
echo "INSERT INTO public.bench_commit DEFAULT VALUES;" >"$T/commit.sql"
(cd "$T" && pgbench -n -t "$N" -f commit.sql --log --log-prefix=pgb "$BDB" >/dev/null 2>&1)
awk '{ printf "%.3f\n", $3 / 1000 }' "$T"/pgb.* >"$T/commit_ms"
C50=$(pct 50 "$T/commit_ms"); C99=$(pct 99 "$T/commit_ms")
for _ in $(seq "$N"); do
  curl -s -o /dev/null -w '%{time_total}\n' -u AC0123456789abcdef0123456789abcdef:token \
    --data-urlencode 'To=+12029999999' --data-urlencode 'From=+12015550100' --data-urlencode 'Body=floor' \
    "$MOCK_URL/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
done | awk '{ printf "%.3f\n", $1 * 1000 }' >"$T/http_ms"
H50=$(pct 50 "$T/http_ms"); H99=$(pct 99 "$T/http_ms")
echo "  commit (pgbench, one-row INSERT): p50 $C50 ms, p99 $C99 ms"
echo "  HTTP POST to the mock (curl, new connection): p50 $H50 ms, p99 $H99 ms"
bq "DROP TABLE public.bench_commit"

result latency "p50 enroll commit -> mock receipt ($N enrolls)" "$P50 ms" "< 5 ms" \
  "floor: commit $C50 + HTTP $H50 ms" "fsync ${BENCH_FSYNC:-on}"
result latency "p99 enroll commit -> mock receipt" "$P99 ms" "< 25 ms" \
  "floor: commit $C99 + HTTP $H99 ms" "max $MAX ms"
