#!/usr/bin/env bash
# bench.sh: the benchmark command (`make bench`).  Installs what is missing,
# builds and installs, makes a throwaway cluster tuned like a small server
# (fsync on, synchronous_commit on: durable commits, as in production), starts
# the mock provider, runs the benchmarks in bench/, prints a summary table and
# cleans up on exit.  Targets are SPEC section 14's; each result is printed
# with the baseline measured in the same run.  Results go in docs/benchmarks.md.
#
#   bash scripts/bench.sh [render] [dispatch] [latency] [memory] [receive]   (default: all)
#
# Sizes (smaller values make a quick run):
#   BENCH_RENDER_ROWS=1000000    rows merged by bench/render.sh
#   BENCH_MESSAGES=200000        messages of the dispatch benchmark (each side)
#   BENCH_LATENCY_N=500          sequential enrolls of the latency benchmark
#   BENCH_MEMORY_MESSAGES=1000000  messages of the memory benchmark
#   BENCH_RECEIVE_SECONDS=30     seconds of each pgbench run of bench/receive.sh
#   BENCH_FSYNC=on|off           fsync and synchronous_commit (default on; off is
#                                reported as such, never as the headline figure)
#   BENCH_BATCH_SIZE=N           textseq.batch_size (default: the extension's)
#   BENCH_PROFILE=1              load pg_stat_statements (track = all) and print
#                                where the worker's time goes (costs a little speed)
#   TS_KEEP=1                    keep the temp dir (server.log, mock log)
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib-cluster.sh

ALL=(render dispatch latency memory receive)
SEL=("$@")
[ ${#SEL[@]} -eq 0 ] && SEL=("${ALL[@]}")
for b in "${SEL[@]}"; do
  case " ${ALL[*]} " in *" $b "*) ;; *) echo "bench.sh: unknown benchmark $b (one of: ${ALL[*]})" >&2; exit 2 ;; esac
done

MOCK_PID=""
# Stop the mock, then the cluster (lib-cluster's ts_cleanup).
bench_cleanup() {
  [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
  MOCK_PID=""
  ts_cleanup
}
trap bench_cleanup EXIT INT TERM

echo "== dependencies"
bash scripts/install-deps.sh || exit 1
echo "== build and install"
ts_build_install || { echo "build failed"; exit 1; }
make -s mock >/dev/null || { echo "mock build failed"; exit 1; }

FSYNC=${BENCH_FSYNC:-on}
echo "== cluster (shared_buffers 2GB, fsync $FSYNC, synchronous_commit $FSYNC)"
EXTRA=("shared_buffers = 2GB" "textseq.database = 'textseq_bench'"
       "fsync = $FSYNC" "synchronous_commit = $FSYNC"
       "max_wal_size = 8GB" "checkpoint_timeout = 15min"
       "log_min_messages = warning" "log_checkpoints = on")
[ -n "${BENCH_BATCH_SIZE:-}" ] && EXTRA+=("textseq.batch_size = $BENCH_BATCH_SIZE")
[ -n "${BENCH_PROFILE:-}" ] && EXTRA+=("shared_preload_libraries = 'textseq,pg_stat_statements'"
                                     "pg_stat_statements.track = all")
ts_cluster_start "${EXTRA[@]}" || exit 1
echo "cluster at $PGHOST port $PGPORT (temp dir $TS_TMP)"

echo "== mock provider"
MOCK_LOG="$TS_TMP/mock.jsonl"
test/mock/textseq-mock --port 0 --port-file "$TS_TMP/mock.port" --log "$MOCK_LOG" \
  2>"$TS_TMP/mock.err" &
MOCK_PID=$!
for _ in $(seq 1 100); do [ -s "$TS_TMP/mock.port" ] && break; sleep 0.05; done
[ -s "$TS_TMP/mock.port" ] || { echo "the mock did not start"; cat "$TS_TMP/mock.err"; exit 1; }
MOCK_URL="http://127.0.0.1:$(cat "$TS_TMP/mock.port")"
echo "mock at $MOCK_URL (pid $MOCK_PID, log $MOCK_LOG)"

export BENCH_DB=textseq_bench BENCH_PGDATA="$TS_TMP/data" BENCH_RESULTS="$TS_TMP/results"
export MOCK_URL MOCK_PID MOCK_LOG BENCH_FSYNC="$FSYNC" BENCH_PROFILE=${BENCH_PROFILE:-}
: >"$BENCH_RESULTS"

# The render benchmark keeps to its own script (bench/render.sh) and database.
run_render() {
  local out ratio
  psql -qX -d postgres -c "CREATE DATABASE textseq_render" >/dev/null
  psql -qX -d textseq_render -c "CREATE EXTENSION textseq" >/dev/null
  out=$(PGDATABASE=textseq_render ROWS=${BENCH_RENDER_ROWS:-1000000} bash bench/render.sh 2>&1)
  echo "$out" | sed 's/^/  /'
  ratio=$(echo "$out" | sed -nE 's/.*render is ([0-9.]+)x faster by wall time, ([0-9.]+)x by CPU.*/\1x wall, \2x CPU/p')
  printf 'render|speed-up over PL/pgSQL replace() (%s rows)|%s|>= 5x|%s|%s\n' \
    "${BENCH_RENDER_ROWS:-1000000}" "${ratio:-n/a}" \
    "$(echo "$out" | sed -nE 's/^replace: .*: ([0-9.]+) ms wall.*/replace() \1 ms/p')" \
    "$(echo "$out" | grep -q 'outputs match' && echo 'outputs match' || echo 'OUTPUTS DIFFER')" >>"$BENCH_RESULTS"
  psql -qX -d postgres -c "DROP DATABASE textseq_render" >/dev/null
}

RC=0
for b in "${SEL[@]}"; do
  echo "== bench: $b (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  t0=$(date +%s)
  if [ "$b" = render ]; then run_render || RC=1
  else bash "bench/$b.sh" || { echo "  bench $b failed"; RC=1; }
  fi
  echo "  ($b took $(( $(date +%s) - t0 )) s; load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
done

echo
echo "== summary ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, fsync $FSYNC, $(psql -AtX -d postgres -c 'SHOW server_version' 2>/dev/null | cut -d' ' -f1))"
{
  echo "bench|metric|measured|target|beside it (same run)|notes"
  cat "$BENCH_RESULTS"
} | column -t -s '|' -o ' | '
# DROP DATABASE ... WITH (FORCE) between benchmarks stops the worker: expected.
EXPECTED='terminating background worker "textseq worker" due to administrator command'
errs=$(grep -E 'ERROR|FATAL|PANIC' "$TS_TMP/server.log" | grep -vF "$EXPECTED" | sed -E 's/^[0-9-]+ [0-9:.]+ UTC \[[0-9]+\] //')
echo "server.log: $(printf '%s' "$errs" | grep -c . || true) ERROR/FATAL/PANIC lines" \
     "(besides $(grep -cF "$EXPECTED" "$TS_TMP/server.log" || true) worker stops by DROP DATABASE)"
[ -n "$errs" ] && echo "$errs" | sort | uniq -c | sort -rn | head -10
exit $RC
