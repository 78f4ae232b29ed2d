#!/usr/bin/env bash
# bench.sh: the benchmark command (`make bench`).  Installs what is missing,
# builds and installs, makes a throwaway cluster tuned like a small server
# (fsync on, synchronous_commit on: durable commits, as in production), starts
# the mock provider, runs the benchmarks in bench/, prints a summary table and
# cleans up on exit.  Targets are SPEC section 14's; each result is printed
# with the baseline measured in the same run.  Results go in docs/benchmarks.md.
#
#   bash scripts/bench.sh [render] [dispatch] [latency] [memory] [receive] [smartlist] [bulkstats] [launch]   (default: all)
#   bash scripts/bench.sh dispatch-ab    this tree's claim (B) against another
#                        commit's (A, default: the merge base with main, i.e.
#                        where an unmerged branch started), same cluster, runs
#                        interleaved A B A B (mock side only)
#
# Sizes (smaller values make a quick run):
#   BENCH_RENDER_ROWS=1000000    rows merged by bench/render.sh
#   BENCH_MESSAGES=200000        messages of the dispatch benchmark (each side)
#   BENCH_LATENCY_N=500          sequential enrolls of the latency benchmark
#   BENCH_MEMORY_MESSAGES=1000000  messages of the memory benchmark
#   BENCH_RECEIVE_SECONDS=30     seconds of each pgbench run of bench/receive.sh
#   BENCH_RECEIVE_ROUNDS=3       rounds of bench/receive.sh (INSERT then receive, each on a fresh copy)
#   BENCH_SMARTLIST_LEADS=1000000  leads of bench/smartlist.sh (BENCH_SMARTLIST_REPS=21 runs a side)
#   BENCH_BULK_MESSAGES=1000000  messages of the bulk of bench/bulk_stats.sh (bulkstats)
#   BENCH_LAUNCH_LEADS=1000000     leads of bench/launch.sh (BENCH_LAUNCH_ROUNDS=3 rounds; BENCH_LAUNCH_CHUNK
#                                  sets textseq.expand_chunk)
#   BENCH_FSYNC=on|off           fsync and synchronous_commit (default on; off is
#                                reported as such, never as the headline figure)
#   BENCH_BATCH_SIZE=N           textseq.batch_size (default: the extension's)
#   BENCH_PROFILE=1              load pg_stat_statements (track = all) and print
#                                where the worker's time goes (costs a little speed)
#   BENCH_AB_BASE=COMMIT         dispatch-ab: the commit to compare against
#   BENCH_AB_ORDER="A B A B"     dispatch-ab: the runs, in order
#   BENCH_AB_SIDES=mock          dispatch-ab: sides of each run ("dry_run mock" for both)
#   TS_KEEP=1                    keep the temp dir (server.log, mock log)
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib-cluster.sh

ALL=(render dispatch latency memory receive smartlist bulkstats launch)
SEL=("$@")
[ ${#SEL[@]} -eq 0 ] && SEL=("${ALL[@]}")
for b in "${SEL[@]}"; do
  case " ${ALL[*]} dispatch-ab " in *" $b "*) ;; *) echo "bench.sh: unknown benchmark $b (one of: ${ALL[*]} dispatch-ab)" >&2; exit 2 ;; esac
done

MOCK_PID=""
AB_SRC=""
AB_PREFIX=""
# Stop the mock, then the cluster (lib-cluster's ts_cleanup); drop the A/B build.
bench_cleanup() {
  [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
  MOCK_PID=""
  ts_cleanup
  if [ -n "$AB_SRC" ]; then
    git worktree remove --force "$AB_SRC/tree" >/dev/null 2>&1
    rm -rf "$AB_SRC"
    git worktree prune
  fi
  [ -n "$AB_PREFIX" ] && rm -rf "$AB_PREFIX"
  AB_SRC="" AB_PREFIX=""
}
trap bench_cleanup EXIT INT TERM

echo "== dependencies"
bash scripts/install-deps.sh || exit 1
echo "== build and install"
ts_build_install || { echo "build failed"; exit 1; }
make -s mock PG_CONFIG="$TS_PG_CONFIG" >/dev/null || { echo "mock build failed"; exit 1; }
case " ${SEL[*]} " in
  *" dispatch-ab "*)
    # A: the base commit, from a temporary worktree, in a second private install
    AB_BASE=$(git rev-parse --short "${BENCH_AB_BASE:-$(git merge-base HEAD main)}") || exit 1
    echo "== build and install A ($AB_BASE, from a temporary git worktree)"
    AB_SRC=$(mktemp -d /tmp/textseq-ab.XXXXXX)
    git worktree add --detach -q "$AB_SRC/tree" "$AB_BASE" || exit 1
    make -s -j2 -C "$AB_SRC/tree" all PG_CONFIG="$TS_PG_CONFIG" >/dev/null || { echo "build of A failed"; exit 1; }
    AB_PREFIX=$(ts_private_install "$AB_SRC/tree") || { echo "install of A failed"; exit 1; }
    AB_BIN_A="$AB_PREFIX$("$TS_PG_CONFIG" --bindir)"
    AB_BIN_B="$PGBIN"
    ;;
esac

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

# ab_result BENCH METRIC VALUE TARGET BASELINE NOTE: one row of the summary table.
ab_result() {
  printf '%s|%s|%s|%s|%s|%s\n' "$@" >>"$BENCH_RESULTS"
  printf '  => %s: %s (target %s; %s)\n' "$2" "$3" "$4" "$5"
}

# ab_fingerprint BINDIR: checksums of the textseq library and install script an install has.
ab_fingerprint() {
  local root=${1%"$("$TS_PG_CONFIG" --bindir)"}
  echo "textseq.so $(md5sum <"$root$("$TS_PG_CONFIG" --pkglibdir)/textseq.so" | cut -c1-12)," \
       "textseq--0.1.0.sql $(md5sum <"$root$("$TS_PG_CONFIG" --sharedir)/extension/textseq--0.1.0.sql" | cut -c1-12)"
}

# ab_use BINDIR: restart the cluster on these binaries (and so their textseq).
ab_use() {
  # the other side's database must not meet this side's worker
  psql -qX -d postgres -c "DROP DATABASE IF EXISTS ${BENCH_DB:-textseq_bench} WITH (FORCE)" >/dev/null
  ts_as_owner "$PGBIN/pg_ctl" -D "$TS_TMP/data" -m fast -w stop >/dev/null || return 1
  PGBIN=$1
  ts_as_owner "$PGBIN/pg_ctl" -D "$TS_TMP/data" -l "$TS_TMP/server.log" -w -t 60 start >/dev/null
}

# The A/B dispatch benchmark: the same cluster restarted on A's or B's
# install before each run, runs interleaved, every run reported, then the
# mean of each side and B against A.
run_dispatch_ab() {
  local rates="$TS_TMP/ab_rates" na=0 nb=0 x label rc=0
  : >"$rates"
  echo "-- A: $(ab_fingerprint "$AB_BIN_A")"
  echo "-- B: $(ab_fingerprint "$AB_BIN_B")"
  [ "$(git rev-parse "$AB_BASE")" = "$(git rev-parse HEAD)" ] && [ -z "$(git status --porcelain --untracked-files=no)" ] &&
    echo "  WARNING: A is this tree's own commit (is the branch merged into main? set BENCH_AB_BASE)"
  for x in ${BENCH_AB_ORDER:-A B A B}; do
    if [ "$x" = A ]; then na=$((na + 1)); label=A$na; ab_use "$AB_BIN_A" || return 1
    else nb=$((nb + 1)); label=B$nb; ab_use "$AB_BIN_B" || return 1; fi
    echo "-- run $label: $([ "$x" = A ] && echo "A = $AB_BASE" || echo "B = this tree")" \
         "(server $(psql -AtX -d postgres -c "SELECT setting FROM pg_config WHERE name = 'BINDIR'"));" \
         "uptime: $(uptime | sed 's/^ *//')"
    BENCH_SIDES=${BENCH_AB_SIDES:-mock} BENCH_LABEL=$label BENCH_RATES=$rates bash bench/dispatch.sh || rc=1
    echo "   uptime after $label: $(uptime | sed 's/^ *//')"
  done
  echo "-- all runs (label side messages/s cpu_us_per_message):"
  sed 's/^/   /' "$rates"
  # per side: mean rate and mean CPU per message of A and of B, B against A
  awk '{ k = substr($1, 1, 1) " " $2; n[k]++; s[k] += $3; c[k] += $4 }
       END { for (k in n) if (substr(k, 1, 1) == "B") {
               split(k, p, " "); a = "A " p[2]
               if (n[a] > 0) printf "%s|%.0f|%.0f|%+.1f|%.0f|%.0f|%+.1f\n", p[2],
                 s[a] / n[a], s[k] / n[k], (s[k] / n[k] / (s[a] / n[a]) - 1) * 100,
                 c[a] / n[a], c[k] / n[k], (c[k] / n[k] / (c[a] / n[a]) - 1) * 100 } }' \
      "$rates" | while IFS='|' read -r side ma mb pct ca cb cpct; do
    ab_result dispatch-ab "$side: B (this tree) against A ($AB_BASE), mean messages/s" \
      "B $mb/s vs A $ma/s: $pct%" ">= -5%" "runs: $(awk -v s="$side" '$2 == s { printf "%s %s  ", $1, $3 }' "$rates")" \
      "interleaved ${BENCH_AB_ORDER:-A B A B}"
    ab_result dispatch-ab "$side: CPU per message (cluster + mock), mean" \
      "B $cb us vs A $ca us: $cpct%" "(report)" "runs: $(awk -v s="$side" '$2 == s { printf "%s %s  ", $1, $4 }' "$rates")" ""
  done
  return $rc
}

RC=0
for b in "${SEL[@]}"; do
  echo "== bench: $b (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  t0=$(date +%s)
  if [ "$b" = render ]; then run_render || RC=1
  elif [ "$b" = dispatch-ab ]; then run_dispatch_ab || RC=1
  elif [ "$b" = bulkstats ]; then bash bench/bulk_stats.sh || { echo "  bench $b failed"; RC=1; }
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
