#!/bin/sh
# run-fuzz.sh SECONDS BIN...: run each libFuzzer harness for SECONDS on a scratch
# copy of its seed corpus; prints runs and time; non-zero if any harness finds a crash.
set -u
secs=$1; shift
rc=0
for bin in "$@"; do
  name=$(basename "$bin")
  work=$(mktemp -d /tmp/textseq-fuzz.XXXXXX)
  [ -d "test/fuzz/corpus/$name" ] && cp -r "test/fuzz/corpus/$name/." "$work/" 2>/dev/null
  log="$work.log"
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$work/" "$work" >"$log" 2>&1; then
    runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
    echo "  $name: ok, ${runs:-?} runs in ${secs}s"
  else
    echo "  $name: FAILED"; tail -40 "$log"
    mkdir -p test/fuzz/findings && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* test/fuzz/findings/ 2>/dev/null
    rc=1
  fi
  rm -rf "$work" "$log"
done
exit $rc
