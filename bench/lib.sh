# bench/lib.sh: shared by the worker benchmarks (dispatch, latency, memory);
# sourced, not run.  scripts/bench.sh starts the cluster and the mock and
# exports what these helpers read:
#   PGHOST PGPORT PGUSER   the throwaway cluster (its worker serves BENCH_DB)
#   BENCH_DB               the database the worker serves (textseq_bench)
#   BENCH_PGDATA           the cluster's data directory (postmaster.pid)
#   MOCK_URL MOCK_PID      the mock provider
#   BENCH_RESULTS          file that collects result lines for the summary
# Helpers here never start or stop servers; they only make a fresh bench
# database, load queued messages, time the worker and read /proc.

set -u
BDB=${BENCH_DB:-textseq_bench}

bq() { psql -qAtX -v ON_ERROR_STOP=1 -d "$BDB" -c "$1"; }
now_s() { date +%s.%N; }
fmt() { awk -v x="$1" -v d="${2:-0}" 'BEGIN { printf "%.*f", d, x }'; }
div() { awk -v a="$1" -v b="$2" -v d="${3:-1}" 'BEGIN { if (b > 0) printf "%.*f", d, a / b; else print "n/a" }'; }

# result BENCH METRIC VALUE TARGET BASELINE NOTE: one row of the summary table.
result() {
  printf '%s|%s|%s|%s|%s|%s\n' "$@" >>"${BENCH_RESULTS:-/dev/null}"
  printf '  => %s: %s (target %s; beside it: %s) %s\n' "$2" "$3" "$4" "$5" "$6"
}

# wait_sql DESCRIPTION SQL EXPECTED SECONDS: poll (0.2 s) until SQL returns EXPECTED.
wait_sql() {
  local i got=""
  for i in $(seq 1 $(($4 * 5))); do
    got=$(bq "$2" 2>/dev/null || true)
    [ "$got" = "$3" ] && return 0
    sleep 0.2
  done
  echo "  timed out waiting for $1: got '$got', expected '$3'" >&2
  return 1
}

# bench_fresh_db: a new bench database with the extension and its worker,
# accounts "mock" (twilio at the mock) and "dry" (dry_run), one fast sender
# each, one one-step sequence each, sending all day (quiet rules removed).
bench_fresh_db() {
  psql -qX -d postgres -c "DROP DATABASE IF EXISTS $BDB WITH (FORCE)" >/dev/null
  psql -qX -d postgres -c "CREATE DATABASE $BDB" >/dev/null
  bq "CREATE EXTENSION textseq" >/dev/null || { echo "  CREATE EXTENSION textseq failed" >&2; return 1; }
  wait_sql "the worker attaches" "SELECT count(*) FROM textseq.worker_status WHERE pid IS NOT NULL" 1 60 || return 1
  psql -qX -v ON_ERROR_STOP=1 -d "$BDB" -v mock_url="$MOCK_URL" \
    -f "$(dirname "${BASH_SOURCE[0]}")/setup.sql" >/dev/null
}

# bench_load SEQUENCE N FIRST [false] [AHEAD]: pause SEQUENCE's account, then
# N leads numbered from FIRST (distinct mobile numbers), enrolled in SEQUENCE
# with their message queued due at now() + AHEAD (default 0: due at once;
# with "false": the leads only).  bench_start lets them go.
bench_load() {
  psql -qX -v ON_ERROR_STOP=1 -d "$BDB" -v seq="$1" -v n="$2" -v first="$3" -v enroll="${4:-true}" \
    -v ahead="${5:-0}" -f "$(dirname "${BASH_SOURCE[0]}")/load.sql" >/dev/null
}

# bench_account SEQUENCE: the account the sequence's messages go through.
bench_account() { [ "$1" = dry_seq ] && echo dry || echo mock; }

# bench_start SEQUENCE: resume its account (the worker wakes at commit);
# prints the epoch time right after the commit.
bench_start() {
  psql -qAtX -v ON_ERROR_STOP=1 -d "$BDB" <<SQL | tail -1
SELECT textseq.resume_account('$(bench_account "$1")');
SELECT extract(epoch FROM clock_timestamp());
SQL
}

# bench_flip SEQUENCE: make every queued message of SEQUENCE due now with one
# UPDATE (every row gets a new version), wake the worker at commit; prints
# the epoch time right after the commit.
bench_flip() {
  psql -qAtX -v ON_ERROR_STOP=1 -d "$BDB" <<SQL | tail -1
BEGIN;
UPDATE textseq.message m SET due_at = now(), run_at = now(), expires_at = now() + interval '36 hours'
 WHERE m.sequence_id = (SELECT id FROM textseq.sequence WHERE name = '$1') AND m.status = 'in_queue';
SELECT textseq._wake_worker(now());
COMMIT;
SELECT extract(epoch FROM clock_timestamp());
SQL
}

# worker_pid: pid of the dispatch worker serving the bench database.
worker_pid() { bq "SELECT pid FROM textseq.worker_status WHERE pid IS NOT NULL LIMIT 1"; }

# worker_done_total: messages the worker has finished (accepted + errors) since it started.
worker_done_total() { bq "SELECT sent_total + errors_total FROM textseq.worker_status WHERE pid IS NOT NULL LIMIT 1"; }

# proc_ticks PID [children]: utime+stime (+cutime+cstime with "children") in clock ticks.
proc_ticks() {
  [ -r "/proc/$1/stat" ] || { echo 0; return; }
  awk -v kids="${2:-}" '{ sub(/^.*\) /, ""); t = $12 + $13; if (kids != "") t += $14 + $15; print t }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# cluster_ticks: CPU ticks of the whole cluster: the postmaster, its reaped
# children (cutime/cstime) and its live children (worker, backends, checkpointer...).
cluster_ticks() {
  local pm total c
  pm=$(head -1 "$BENCH_PGDATA/postmaster.pid")
  total=$(proc_ticks "$pm" children)
  for c in $(ps -o pid= --ppid "$pm"); do total=$((total + $(proc_ticks "$c"))); done
  echo "$total"
}

# cpu_snapshot: "cluster worker mock" ticks now.
cpu_snapshot() { echo "$(cluster_ticks) $(proc_ticks "$(worker_pid)") $(proc_ticks "${MOCK_PID:-0}")"; }

# rss_kb PID FIELD: a field of /proc/PID/status in kB (VmRSS, RssAnon, RssShmem...).
rss_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

# server_errors: ERROR/FATAL/PANIC lines in server.log since byte offset $1.
server_errors() {
  tail -c +"$(( ${1:-0} + 1 ))" "$BENCH_PGDATA/../server.log" 2>/dev/null | grep -E 'ERROR|FATAL|PANIC' || true
}
server_log_size() { stat -c %s "$BENCH_PGDATA/../server.log" 2>/dev/null || echo 0; }

# status_counts SEQUENCE: "status=count ..." of the sequence's messages.
status_counts() {
  bq "SELECT string_agg(status || '=' || n, ' ' ORDER BY status) FROM (
        SELECT m.status::text, count(*) n FROM textseq.message m
         WHERE m.sequence_id = (SELECT id FROM textseq.sequence WHERE name = '$1') GROUP BY 1) s"
}
