# lib-cluster.sh: shared by test.sh, demo.sh and bench.sh (sourced, not run).
# Makes a throwaway PostgreSQL 15 cluster on its own free port and socket
# directory with textseq preloaded, and tears everything down on exit.
# Servers never run as root: as root, the server runs as the 'postgres' user.

PGBIN=${PGBIN:-}
TS_TMP=""
TS_PREFIX=""
TS_PIDS=()

# A free TCP port on loopback, chosen by the kernel.
ts_free_port() {
  perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0) or die; print $s->sockport'
}

# Run a server-side command as the cluster owner.
ts_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Stop the cluster and background processes, remove the temp dir; safe to call twice.
ts_cleanup() {
  local p
  for p in "${TS_PIDS[@]+"${TS_PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$TS_TMP" ] && [ -d "$TS_TMP/data" ]; then
    ts_as_owner "$PGBIN/pg_ctl" -D "$TS_TMP/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  [ -n "$TS_TMP" ] && [ -z "${TS_KEEP:-}" ] && rm -rf "$TS_TMP"
  [ -n "$TS_PREFIX" ] && rm -rf "$TS_PREFIX"
  TS_TMP=""
  TS_PREFIX=""
}

# ts_cluster_start [extra postgresql.conf lines...]: initdb + start; exports PGHOST PGPORT PGUSER.
ts_cluster_start() {
  # resolved here, not when sourced: on a fresh machine the server arrives with install-deps
  [ -n "$PGBIN" ] || PGBIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
  TS_TMP=$(mktemp -d /tmp/textseq.XXXXXX)
  chmod 755 "$TS_TMP"
  mkdir -p "$TS_TMP/sock"
  [ "$(id -u)" -eq 0 ] && chown postgres "$TS_TMP" "$TS_TMP/sock"
  ts_as_owner "$PGBIN/initdb" -D "$TS_TMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$TS_TMP/initdb.log" 2>&1 \
    || { cat "$TS_TMP/initdb.log"; return 1; }
  PGPORT=$(ts_free_port)
  {
    echo "port = $PGPORT"
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$TS_TMP/sock'"
    echo "shared_preload_libraries = 'textseq'"
    echo "fsync = off"
    echo "max_connections = 60"
    echo "timezone = 'UTC'"
    echo "log_min_messages = warning"
    for line in "$@"; do echo "$line"; done
  } | ts_as_owner tee -a "$TS_TMP/data/postgresql.conf" >/dev/null
  ts_as_owner "$PGBIN/pg_ctl" -D "$TS_TMP/data" -l "$TS_TMP/server.log" -w -t 60 start >/dev/null \
    || { cat "$TS_TMP/server.log"; return 1; }
  export PGHOST="$TS_TMP/sock" PGPORT PGUSER=postgres
}

# Build the extension and install it into a private copy of the PostgreSQL 15
# installation (PostgreSQL finds its share and lib directories relative to its
# binaries), so a test run never uses, nor overwrites, the textseq.so that
# another checkout or run on this machine installed system-wide.  Sets PGBIN
# to the copy and puts it first on PATH.  TS_SYSTEM_INSTALL=1: the old way,
# `make install` into the system (sudo when not root).
ts_build_install() {
  make -s -j2 all >/dev/null || return 1
  if [ -n "${TS_SYSTEM_INSTALL:-}" ]; then
    if [ "$(id -u)" -eq 0 ]; then make -s install >/dev/null; else sudo make -s install >/dev/null; fi
    return
  fi
  TS_PREFIX=$(ts_private_install .) || return 1
  PGBIN="$TS_PREFIX$("$TS_PG_CONFIG" --bindir)"
  export PATH="$PGBIN:$PATH"
}

# The system's pg_config (PATH may later start with a private copy's).
TS_PG_CONFIG=${TS_PG_CONFIG:-$(command -v pg_config || echo /usr/lib/postgresql/15/bin/pg_config)}

# ts_private_install SRCDIR: install the extension built in SRCDIR into a new
# private copy of the PostgreSQL installation; prints the copy's root (its
# binaries are under root + `pg_config --bindir`).  The caller removes it.
ts_private_install() {
  local bindir sharedir pgroot prefix inc
  bindir=$("$TS_PG_CONFIG" --bindir) sharedir=$("$TS_PG_CONFIG" --sharedir)
  pgroot=$(dirname "$bindir")
  prefix=$(mktemp -d /tmp/textseq-pg.XXXXXX)
  chmod 755 "$prefix"
  mkdir -p "$prefix$(dirname "$pgroot")" "$prefix$(dirname "$sharedir")"
  # the copy's pg_config names include directories relative to it: link the real ones
  inc=$("$TS_PG_CONFIG" --includedir)
  if ! cp -a "$pgroot" "$prefix$pgroot" || ! cp -a "$sharedir" "$prefix$sharedir" \
     || ! mkdir -p "$prefix$(dirname "$inc")" || ! ln -s "$inc" "$prefix$inc" \
     || ! make -s -C "$1" install PG_CONFIG="$TS_PG_CONFIG" DESTDIR="$prefix" >/dev/null; then
    rm -rf "$prefix"
    return 1
  fi
  echo "$prefix"
}
