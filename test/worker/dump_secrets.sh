#!/usr/bin/env bash
# pg_dump output holds no provider credential unless the dumping session asks
# for it (textseq.dump_secrets = on); the rest of textseq's data is dumped
# either way, and both dumps restore.  Uses databases of its own (not the one
# the worker serves), so nothing is sent.
. "$(dirname "$0")/lib.sh"
DB=textseq_dump
dq() { psql -qAtX -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
drop_all() {
  for d in $DB ${DB}_plain ${DB}_secrets; do
    psql -qX -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1
  done
}
trap 'drop_all; wt_cleanup' EXIT
drop_all
psql -qX -d postgres -c "CREATE DATABASE $DB" >/dev/null
dq $DB "CREATE EXTENSION textseq" >/dev/null
dq $DB "SELECT textseq.create_account('dump-acct', 'twilio', 'AC0123456789abcdef0123456789abcdef', 'DUMPSECRET42')" >/dev/null
dq $DB "SELECT textseq.add_lead('Dumped', 'Lead', ARRAY['+12015550100'])" >/dev/null

pg_dump -d $DB -f "$T/plain.sql" 2>"$T/plain.err"
ok "pg_dump runs" test -s "$T/plain.sql"
ok "it dumps the accounts" grep -q "dump-acct" "$T/plain.sql"
ok "and the leads" grep -q "Dumped" "$T/plain.sql"
ok "but no credential" test "$(grep -c DUMPSECRET42 "$T/plain.sql")" = 0
pg_dump -d $DB -Fc -f "$T/plain.dump" 2>>"$T/plain.err"
ok "nor does the custom format" test "$(pg_restore -f - "$T/plain.dump" | grep -c DUMPSECRET42)" = 0

PGOPTIONS='-c textseq.dump_secrets=on' pg_dump -d $DB -f "$T/secrets.sql" 2>"$T/secrets.err"
ok "asked for them, pg_dump includes the credentials" grep -q "DUMPSECRET42" "$T/secrets.sql"

psql -qX -d postgres -c "CREATE DATABASE ${DB}_plain" -c "CREATE DATABASE ${DB}_secrets" >/dev/null
psql -qX -v ON_ERROR_STOP=1 -d ${DB}_plain -f "$T/plain.sql" >/dev/null 2>"$T/restore1.err"
ok "the dump without credentials restores" test $? -eq 0
is "with the account" "$(dq ${DB}_plain "SELECT name FROM textseq.account")" "dump-acct"
is "and no credential (set it again with set_account_secret)" "$(dq ${DB}_plain "SELECT count(*) FROM textseq.account_secret")" "0"
psql -qX -v ON_ERROR_STOP=1 -d ${DB}_secrets -f "$T/secrets.sql" >/dev/null 2>"$T/restore2.err"
ok "the dump with credentials restores" test $? -eq 0
is "with the credential" "$(dq ${DB}_secrets "SELECT secret FROM textseq.account_secret")" "DUMPSECRET42"
cat "$T"/*.err | grep -v '^$' | head -5 | sed 's/^/# /'
wt_done
