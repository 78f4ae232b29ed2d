#!/usr/bin/env bash
# CREATE EXTENSION in a server that does not preload textseq explains itself
# with a hint instead of half working.  Uses its own small cluster.
. "$(dirname "$0")/lib.sh"
PGBIN=$(pg_config --bindir)
D="$T/np"
mkdir -p "$D/sock"
[ "$(id -u)" -eq 0 ] && chown -R postgres "$T"
own() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
own "$PGBIN/initdb" -D "$D/data" -U postgres -A trust >/dev/null 2>&1
PORT=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0)->sockport')
own "$PGBIN/pg_ctl" -D "$D/data" -l "$D/log" -w -o "-p $PORT -k $D/sock -c listen_addresses=''" start >/dev/null
out=$(psql -X -h "$D/sock" -p "$PORT" -U postgres -d postgres -c "CREATE EXTENSION textseq" 2>&1)
own "$PGBIN/pg_ctl" -D "$D/data" -m immediate stop >/dev/null
echo "$out" | sed 's/^/# /'
ok "CREATE EXTENSION is refused" grep -q "ERROR:  textseq must be loaded via shared_preload_libraries" <<<"$out"
ok "with a hint saying what to do" grep -q "HINT:  Add textseq to shared_preload_libraries" <<<"$out"
wt_done
