#!/usr/bin/env bash
# kill -9 of the worker while it expands a large bulk launch (50,000 members
# in chunks of 500): after the restarts every member ends with exactly one
# enrollment and one first message, none missing, and the mock receives each
# text once.  The chunk and the bulk's cursor commit together, so a killed
# chunk is redone from the start.
. "$(dirname "$0")/lib.sh"
N=${EXPAND_MEMBERS:-50000}
KILLS=${EXPAND_KILLS:-3}
start_mock --latency-ms 1
fresh_db
q "ALTER SYSTEM SET textseq.expand_chunk = 500" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
q "ALTER SYSTEM SET textseq.reconcile_after = '1s'" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null
twilio_account main
open_sequence crash 'Crash launch {{ lead.last_name }}'
q "SELECT textseq.save_template('later', 'Later {{ lead.last_name }}')" >/dev/null
q "SELECT textseq.add_step('crash', 'later', '1 day')" >/dev/null
# N leads with distinct mobile numbers, in one go (as bench/load.sql)
q "WITH l AS (INSERT INTO textseq.lead (first_name, last_name, bulkimport_id)
              SELECT 'Lead', 'L' || g, 7 FROM generate_series(1, $N) g RETURNING id, last_name)
   INSERT INTO textseq.contact (lead_id, position, phone)
   SELECT id, 1, '+1201' || (200 + substr(last_name, 2)::int / 10000) || lpad((substr(last_name, 2)::int % 10000)::text, 4, '0')
     FROM l" >/dev/null

B=$(q "SELECT textseq.launch('crash', bulkimport_id => 7)")
is "the launch records $N members in chunks of 500" "$(q "SELECT lead_count || ' ' || chunk_count FROM textseq.bulk WHERE id = $B")" "$N $((N / 500))"

expanded() { psql -qAtX -d "$WDB" -c "SELECT expanded_chunks FROM textseq.bulk WHERE id = $B" 2>/dev/null; }
# the worker while it runs a chunk (expand.c reports it in pg_stat_activity)
expanding() { psql -qAtX -d "$WDB" -c "SELECT pid FROM pg_stat_activity
                                        WHERE query = 'textseq: expanding a bulk launch' AND state = 'active'" 2>/dev/null; }
chunks=$((N / 500))
for k in $(seq 1 "$KILLS"); do
  # after k/(KILLS+1) of the chunks, the next time the worker is inside one
  target=$((chunks * k / (KILLS + 1)))
  for _ in $(seq 1 600); do e=$(expanded); [ "${e:-0}" -ge "$target" ] && break; sleep 0.05; done
  pid=""
  for _ in $(seq 1 2000); do pid=$(expanding); [ -n "$pid" ] && break; done
  if [ -n "$pid" ] && kill -9 "$pid"; then
    echo "# kill -9 worker $pid inside a chunk, after $e of $chunks chunks ($(mock_count) at the mock)"
    MID=$((${MID:-0} + 1))
  fi
  for _ in $(seq 1 100); do psql -qAtX -d "$WDB" -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1; done
done

ok "the worker was killed inside a chunk, more than once" test "${MID:-0}" -ge 2
ok "the expansion finishes after the kills" wait_for "in_progress" \
   "SELECT status FROM textseq.bulk WHERE id = $B" in_progress 240
is "every member was expanded once" "$(q "SELECT expanded_chunks || ' ' || expanded_count FROM textseq.bulk WHERE id = $B")" "$chunks $N"
is "every member has exactly one enrollment" \
   "$(q "SELECT count(*) || ' ' || count(DISTINCT lead_id) FROM textseq.enrollment WHERE bulk_id = $B")" "$N $N"
is "no member is missing" \
   "$(q "SELECT count(*) FROM textseq.bulk_members m WHERE m.bulk_id = $B AND (m.state <> 'expanded' OR m.enrollment_id IS NULL)")" 0
is "and none skipped" "$(q "SELECT count(*) FROM textseq.bulk_skip WHERE bulk_id = $B")" 0
is "one first message per enrollment, nothing more" \
   "$(q "SELECT count(*) || ' ' || count(DISTINCT enrollment_id) || ' ' || max(step) FROM textseq.message WHERE bulk_id = $B AND step = 1")" "$N $N 1"
ok "every first message reaches the provider" wait_for "all outbox" \
   "SELECT count(*) FROM textseq.message WHERE bulk_id = $B AND step = 1 AND status = 'outbox'" "$N" 240
is "the mock received each text exactly once" "$(mock_count)" "$N"
is "no (to, body) pair twice at the provider" "$(mock_dups)" 0
q "ALTER SYSTEM RESET textseq.expand_chunk" >/dev/null; q "ALTER SYSTEM RESET textseq.reconcile_after" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wt_done
