#!/usr/bin/env bash
# test.sh: the test command (`make test`).  Installs what is missing, builds,
# installs, makes a throwaway cluster, runs every suite, ends with one summary
# line "textseq: N passed, M failed".  Cleans up even on failure.
#
#   --only=KIND[:NAME][,KIND[:NAME]...]   run a subset; KIND is one of
#       regress (pg_regress sql/NAME.sql), pgtap (test/sql/NAME.sql),
#       isolation (test/isolation/specs/NAME.spec), worker (test/worker/NAME.sh),
#       unit (test/unit/test_NAME.c), fuzz (test/fuzz/fuzz_NAME.c), mock
#   FUZZ_SECONDS=N   seconds per fuzz harness (default 15)
#   TS_KEEP=1        keep the temp dir (cluster, logs) for a look afterwards
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib-cluster.sh

ONLY=""
for a in "$@"; do
  case "$a" in
    --only=*) ONLY="${a#--only=}" ;;
    *) echo "test.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

PASSED=0
FAILED=0
FAILED_NAMES=()

# wanted KIND NAME: is this test selected by --only?
wanted() {
  [ -z "$ONLY" ] && return 0
  local item
  IFS=',' read -ra items <<<"$ONLY"
  for item in "${items[@]}"; do
    [ "$item" = "$1" ] && return 0
    [ "$item" = "$1:$2" ] && return 0
  done
  return 1
}

# tally PASSED_N FAILED_N NAME
tally() {
  PASSED=$((PASSED + $1))
  FAILED=$((FAILED + $2))
  [ "$2" -gt 0 ] && FAILED_NAMES+=("$3")
  return 0
}

names() { for f in "$@"; do [ -e "$f" ] && basename "$f" | sed -E 's/\.(sql|spec|sh|c|cpp)$//; s/^(test|fuzz)_//'; done; }

trap ts_cleanup EXIT INT TERM

echo "== dependencies"
bash scripts/install-deps.sh || { echo "textseq: 0 passed, 1 failed"; exit 1; }

echo "== build and install"
if ! ts_build_install || ! make -s mock PG_CONFIG="$TS_PG_CONFIG" >/dev/null; then
  echo "build failed"; echo "textseq: 0 passed, 1 failed"; exit 1
fi

echo "== cluster"
ts_cluster_start "textseq.database = 'textseq_worker'" || { echo "textseq: 0 passed, 1 failed"; exit 1; }
echo "cluster at $PGHOST port $PGPORT"

# ---- pg_regress (sql/ + expected/) and isolation (test/isolation/) -------------
REGRESS_SEL=()
for n in $(names sql/*.sql); do wanted regress "$n" && REGRESS_SEL+=("$n"); done
if [ ${#REGRESS_SEL[@]} -gt 0 ]; then
  echo "== pg_regress"
  rm -rf results && mkdir -p results
  out=$(make -s installcheck REGRESS="${REGRESS_SEL[*]}" ISOLATION= 2>&1); rc=$?
  echo "$out" | grep -E '^(ok|not ok|test |     |\s+[a-z_]+ +\.\.\. )|tests? (passed|failed)|#' | sed 's/^/  /'
  n_fail=$(echo "$out" | grep -cE '^not ok|\.\.\. FAILED' || true)
  n_all=${#REGRESS_SEL[@]}
  [ $rc -ne 0 ] && [ "$n_fail" -eq 0 ] && n_fail=1
  tally $((n_all - n_fail)) "$n_fail" "pg_regress"
  [ $rc -ne 0 ] && [ -f regression.diffs ] && head -200 regression.diffs
fi

ISO_SEL=()
for n in $(names test/isolation/specs/*.spec); do wanted isolation "$n" && ISO_SEL+=("$n"); done
if [ ${#ISO_SEL[@]} -gt 0 ]; then
  echo "== isolation"
  mkdir -p results/isolation
  out=$(make -s installcheck REGRESS= ISOLATION="${ISO_SEL[*]}" 2>&1); rc=$?
  echo "$out" | grep -E '^(ok|not ok)|\.\.\. |tests? (passed|failed)' | sed 's/^/  /'
  n_fail=$(echo "$out" | grep -cE '^not ok|\.\.\. FAILED' || true)
  [ $rc -ne 0 ] && [ "$n_fail" -eq 0 ] && n_fail=1
  tally $((${#ISO_SEL[@]} - n_fail)) "$n_fail" "isolation"
  [ $rc -ne 0 ] && [ -f results/isolation/regression.diffs ] && head -200 results/isolation/regression.diffs
fi

# ---- pgTAP (test/sql/*.sql through pg_prove) ---------------------------------
TAP_SEL=()
for n in $(names test/sql/*.sql); do wanted pgtap "$n" && TAP_SEL+=("test/sql/$n.sql"); done
if [ ${#TAP_SEL[@]} -gt 0 ]; then
  echo "== pgTAP"
  psql -qX -d postgres -c "CREATE DATABASE textseq_tap" >/dev/null
  psql -qX -d textseq_tap -c "CREATE EXTENSION pgtap; CREATE EXTENSION textseq" >/dev/null
  out=$(pg_prove -d textseq_tap --timer "${TAP_SEL[@]}" 2>&1); rc=$?
  echo "$out" | sed 's/^/  /'
  total=$(echo "$out" | sed -nE 's/.*Files=[0-9]+, Tests=([0-9]+).*/\1/p')
  bad=$(echo "$out" | sed -nE "s/.*Failed ([0-9]+)\/[0-9]+ subtests.*/\\1/p" | awk "{s+=\$1} END {print s+0}")
  total=${total:-0}; bad=${bad:-0}
  [ $rc -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
  tally $((total - bad)) "$bad" "pgTAP"
fi

# ---- worker and crash tests (test/worker/*.sh) --------------------------------
for t in test/worker/*.sh; do
  [ -e "$t" ] || continue
  [ "$(basename "$t")" = lib.sh ] && continue
  n=$(names "$t"); wanted worker "$n" || continue
  echo "== worker: $n"
  out=$(bash "$t" 2>&1); rc=$?
  echo "$out" | tail -40 | sed 's/^/  /'
  if [ $rc -eq 0 ]; then tally 1 0 "$n"; else tally 0 1 "worker:$n"; fi
done

# ---- mock provider smoke test ----------------------------------------------------
if [ -f test/mock/smoke.sh ] && wanted mock smoke; then
  echo "== mock provider"
  make -s mock PG_CONFIG="$TS_PG_CONFIG" >/dev/null && out=$(bash test/mock/smoke.sh 2>&1); rc=$?
  echo "$out" | tail -15 | sed 's/^/  /'
  if [ $rc -eq 0 ]; then tally 1 0 mock; else tally 0 1 "mock"; fi
fi

# ---- pure cores standalone: unit tests and fuzzing -----------------------------
for n in $(names test/unit/test_*.c); do
  wanted unit "$n" || continue
  [ "$n" = "unit" ] && continue
  echo "== unit: $n"
  if make -s "test/unit/bin/test_$n" >/dev/null 2>"$TS_TMP/unit-$n.log"; then
    out=$("test/unit/bin/test_$n" 2>&1); rc=$?
    echo "$out" | tail -20 | sed 's/^/  /'
    p=$(echo "$out" | sed -nE 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1/p' | tail -1)
    f=$(echo "$out" | sed -nE 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\2/p' | tail -1)
    p=${p:-0}; f=${f:-0}; [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
    tally "$p" "$f" "unit:$n"
  else
    cat "$TS_TMP/unit-$n.log"; tally 0 1 "unit:$n (build)"
  fi
done

FUZZ_SEL=()
for n in $(names test/fuzz/fuzz_*.c test/fuzz/fuzz_*.cpp); do wanted fuzz "$n" && FUZZ_SEL+=("test/fuzz/bin/fuzz_$n"); done
if [ ${#FUZZ_SEL[@]} -gt 0 ]; then
  echo "== fuzz (${FUZZ_SECONDS:-15}s each)"
  if make -s "${FUZZ_SEL[@]}" >/dev/null 2>"$TS_TMP/fuzz-build.log"; then
    for b in "${FUZZ_SEL[@]}"; do
      if sh scripts/run-fuzz.sh "${FUZZ_SECONDS:-15}" "$b"; then tally 1 0 "$b"; else tally 0 1 "$(basename "$b")"; fi
    done
  else
    cat "$TS_TMP/fuzz-build.log"; tally 0 1 "fuzz (build)"
  fi
fi

echo
[ ${#FAILED_NAMES[@]} -gt 0 ] && echo "failed: ${FAILED_NAMES[*]}"
echo "textseq: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
