#!/usr/bin/env bash
# Provider credentials never reach the server log: not through log_statement,
# not through the STATEMENT line log_min_error_statement adds to an error,
# not through the bind parameters of the extended protocol, not through
# EXECUTE of a prepared statement.  Every secret below is a distinct word
# (SECRETnn); the log must hold none of them.  Uses its own cluster: it needs
# log_statement = 'all', which the shared one does not have.
. "$(dirname "$0")/lib.sh"
PGBIN=$(pg_config --bindir)
D="$T/logs"
mkdir -p "$D/sock"
[ "$(id -u)" -eq 0 ] && chown -R postgres "$T"
own() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
own "$PGBIN/initdb" -D "$D/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null 2>&1
PORT=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0)->sockport')
cat <<EOF | own tee -a "$D/data/postgresql.conf" >/dev/null
port = $PORT
listen_addresses = ''
unix_socket_directories = '$D/sock'
shared_preload_libraries = 'textseq'
textseq.database = 'secrets'
fsync = off
log_statement = 'all'
log_min_error_statement = error
log_min_duration_statement = 0
log_parameter_max_length = -1
log_parameter_max_length_on_error = -1
EOF
own "$PGBIN/pg_ctl" -D "$D/data" -l "$D/log" -w -t 60 start >/dev/null || { cat "$D/log"; exit 1; }
stop_cluster() { own "$PGBIN/pg_ctl" -D "$D/data" -m immediate stop >/dev/null 2>&1; }
trap 'stop_cluster; wt_cleanup' EXIT
S() { psql -qX -h "$D/sock" -p "$PORT" -U postgres -d secrets "$@"; }
psql -qX -h "$D/sock" -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE secrets" >/dev/null
S -c "CREATE EXTENSION textseq" >/dev/null

SID=AC0123456789abcdef0123456789abcdef
# Simple protocol: succeeding and failing calls; quotes of every kind.
S <<SQL >/dev/null 2>&1
SELECT textseq.create_account('a1', 'twilio', '$SID', 'SECRET01');
SELECT textseq.create_account('a2', 'twilo', NULL, 'SECRET02');
SELECT textseq.create_account('a3', 'twilio', 'ACnot-a-sid', 'SECRET03');
SELECT textseq.create_account('a4', 'twilio', '$SID', 'SECRET04'), 1/0;
SELECT textseq.set_account_secret('a1', 'SECRET05');
SELECT textseq.set_account_secret('nope', 'SECRET06');
UPDATE textseq.account_secret SET secret = 'SECRET07';
INSERT INTO textseq.account_secret VALUES (99999, 'SECRET08');
SELECT textseq.create_account('a5', 'telnyx', NULL, \$\$SECRET09\$\$);
SELECT textseq.create_account('a6', 'telnyx', NULL, \$k\$SECRET10\$k\$);
SELECT textseq.create_account('a7', 'telnyx', NULL, E'SECRET11\\'s');
SELECT textseq.twilio_signature_valid('https://x', '{}', 'sig', 'SECRET12');
SELECT * FROM textseq._provider_probe('dry_run', NULL, NULL, 'SECRET13', '+12015550100', NULL, 'x');
PREPARE mk(text, text, text, text) AS SELECT textseq.create_account(\$1, \$2, \$3, \$4);
EXECUTE mk('a8', 'twilio', '$SID', 'SECRET14');
EXECUTE mk('a9', 'bad', NULL, 'SECRET15');
SELECT 'visible literal', 1/0;
SQL

# Extended protocol: bind parameters, succeeding and failing.
cat >"$T/bind.c" <<'C'
#include <libpq-fe.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	PGconn *c = PQconnectdb(argv[1]);
	const char *ok[4] = {"b1", "twilio", "AC0123456789abcdef0123456789abcdef", "SECRET16"};
	const char *bad[4] = {"b2", "nonsense", NULL, "SECRET17"};
	const char *sig[4] = {"https://x", "{}", "sig", "SECRET18"};
	if (PQstatus(c) != CONNECTION_OK) { fprintf(stderr, "%s", PQerrorMessage(c)); return 1; }
	PQclear(PQexecParams(c, "SELECT textseq.create_account($1, $2, $3, $4)", 4, NULL, ok, NULL, NULL, 0));
	PQclear(PQexecParams(c, "SELECT textseq.create_account($1, $2, $3, $4)", 4, NULL, bad, NULL, NULL, 0));
	PQclear(PQexecParams(c, "SELECT textseq.twilio_signature_valid($1, $2::jsonb, $3, $4)", 4, NULL, sig, NULL, NULL, 0));
	PQclear(PQexecParams(c, "SELECT textseq.set_account_secret('b1', $1), 1/0", 1, NULL, &ok[3] + 0, NULL, NULL, 0));
	PQfinish(c);
	return 0;
}
C
INC=$(pkg-config --cflags libpq 2>/dev/null)
if cc $INC -o "$T/bind" "$T/bind.c" -lpq 2>"$T/cc.err"; then
  "$T/bind" "host=$D/sock port=$PORT user=postgres dbname=secrets"
  BIND=1
else
  cat "$T/cc.err"; BIND=0
fi
sleep 0.5   # let the logger catch up

LOG="$D/log"
ok "the server logged the statements (log_statement = all)" grep -q "statement: SELECT textseq.create_account" "$LOG"
ok "it logged the failing ones with their errors" grep -q "violates check constraint" "$LOG"
ok "the extended-protocol calls ran" test "$BIND" = 1
ok "and were logged with their parameters" grep -q "parameters: \$1 = '\*\*\*'" "$LOG"
ok "statements that name no credential are logged as they were" grep -q "'visible literal'" "$LOG"
leaked=$(grep -o 'SECRET[0-9][0-9]' "$LOG" | sort -u | tr '\n' ' ')
is "no secret in the server log" "$leaked" ""
[ -n "$leaked" ] && grep -n 'SECRET[0-9]' "$LOG" | head -20 | sed 's/^/# /'
ok "the account was still created" test "$(S -Atc "SELECT count(*) FROM textseq.account WHERE name IN ('a1', 'a8', 'b1')")" = 3
ok "with its credential" test "$(S -Atc "SELECT secret FROM textseq.account_secret s JOIN textseq.account a ON a.id = s.account_id WHERE a.name = 'a8'")" = SECRET14
wt_done
