#!/usr/bin/env bash
# bench/memory.sh: dispatch worker memory over 1,000,000 messages (SPEC
# section 14: flat, under 5 MB growth).  Run by scripts/bench.sh (see
# bench/lib.sh for the environment).
#
# The messages go to a dry_run account: the worker claims, renders and
# records them exactly as for a real provider but answers the sends itself,
# so a million messages take minutes, not a million HTTP requests.  (The
# HTTP layer's own memory is covered by the dispatch benchmark's 200,000
# mock sends only.)  /proc/<worker pid>/status is sampled every second:
#   VmRSS     resident set; includes the shared buffer pages the worker has
#             touched (RssShmem), which grows toward shared_buffers as it
#             reads more of the table: not a leak;
#   RssAnon   the worker's private memory: the figure the target is about.
# Growth is counted from the end of a warm-up (caches filled, plans made).
#   BENCH_MEMORY_MESSAGES=N   messages after the warm-up (default 1000000)
#   BENCH_MEMORY_WARMUP=N     warm-up messages (default 20000)
. "$(dirname "$0")/lib.sh"

M=${BENCH_MEMORY_MESSAGES:-1000000}
W=${BENCH_MEMORY_WARMUP:-20000}
TIMEOUT=${BENCH_TIMEOUT:-3600}
T=$(mktemp -d /tmp/textseq-mem.XXXXXX)
SAMPLER=""
trap '[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null; rm -rf "$T"' EXIT

# sample PID DONE: "done vmrss rssanon rssshmem" (kB) of the worker now.
sample() { echo "$2 $(rss_kb "$1" VmRSS) $(rss_kb "$1" RssAnon) $(rss_kb "$1" RssShmem)"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

bench_fresh_db || exit 1
t_load=$(now_s)
bench_load dry_seq $((M + W)) 1 || exit 1
echo "  loaded $((M + W)) messages in $(fmt "$(awk -v a="$(now_s)" -v b="$t_load" 'BEGIN { print a - b }')" 0) s"
PID=$(worker_pid)
log0=$(server_log_size)
done0=$(worker_done_total)
read -r _ idle_rss idle_anon idle_shm <<<"$(sample "$PID" 0)"
echo "  worker $PID idle: VmRSS $(mb "$idle_rss") MB, RssAnon $(mb "$idle_anon") MB, RssShmem $(mb "$idle_shm") MB"

( while kill -0 "$PID" 2>/dev/null; do
    sample "$PID" $(( $(worker_done_total) - done0 ))
    sleep 1
  done ) >"$T/samples" 2>/dev/null &
SAMPLER=$!

t_flip=$(bench_start dry_seq)
warm="" ; t0=$(now_s)
while :; do
  d=$(( $(worker_done_total) - done0 ))
  [ -z "$warm" ] && [ "$d" -ge "$W" ] && warm=$(sample "$PID" "$d")
  [ "$d" -ge $((M + W)) ] && break
  kill -0 "$PID" 2>/dev/null || { echo "  PROBLEM: the worker ($PID) exited during the run"; break; }
  if awk -v a="$(now_s)" -v b="$t0" -v t="$TIMEOUT" 'BEGIN { exit !(a - b > t) }'; then
    echo "  TIMEOUT after ${TIMEOUT}s: $d of $((M + W)) done; statuses: $(status_counts dry_seq)"; break
  fi
  sleep 0.5
done
end=$(sample "$PID" "$d")
kill "$SAMPLER" 2>/dev/null; SAMPLER=""
elapsed=$(awk -v a="$(now_s)" -v b="$t_flip" 'BEGIN { print a - b }')

read -r _ w_rss w_anon w_shm <<<"$warm"
read -r _ e_rss e_anon e_shm <<<"$end"
m_rss=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$T/samples")
m_anon=$(awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { print m }' "$T/samples")
echo "  $d messages in $(fmt "$elapsed" 0) s ($(div "$d" "$elapsed" 0)/s); statuses: $(status_counts dry_seq)"
echo "  samples: $(wc -l <"$T/samples") (every second)"
printf '  %-9s %10s %10s %10s %10s\n' "" idle "after ${W}" max end
printf '  %-9s %10s %10s %10s %10s\n' VmRSS "$(mb "$idle_rss")" "$(mb "$w_rss")" "$(mb "$m_rss")" "$(mb "$e_rss")"
printf '  %-9s %10s %10s %10s %10s\n' RssAnon "$(mb "$idle_anon")" "$(mb "$w_anon")" "$(mb "$m_anon")" "$(mb "$e_anon")"
printf '  %-9s %10s %10s %10s %10s\n' RssShmem "$(mb "$idle_shm")" "$(mb "$w_shm")" "" "$(mb "$e_shm")"
echo "  RssAnon every 10% of the run (MB):" \
  "$(awk -v n="$(wc -l <"$T/samples")" 'n >= 10 && NR % int(n / 10) == 0 { printf "%.1f ", $3 / 1024 }' "$T/samples")"
errs=$(server_errors "$log0")
[ -n "$errs" ] && { echo "  server.log errors during the run:"; echo "$errs" | sort | uniq -c | head; }

grow=$(( e_anon - w_anon )); mgrow=$(( m_anon - w_anon ))
result memory "worker RssAnon growth over $M messages (dry_run)" "$(mb "$grow") MB (max +$(mb "$mgrow"))" \
  "< 5 MB" "after warm-up $(mb "$w_anon") MB; end $(mb "$e_anon") MB" \
  "VmRSS $(mb "$idle_rss") idle, $(mb "$w_rss") warm, $(mb "$m_rss") max, $(mb "$e_rss") end MB (shared buffers)"
