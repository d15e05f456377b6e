#!/usr/bin/env bash
# Throwaway PostgreSQL 15 on loopback for tests, benchmarks and the demo.
# Source it, then: pg_start DIR  (exports PMO_TEST_DATABASE_URL, PMO_PG_PORT, PMO_PG_DIR)
#                  pg_stop       (idempotent; call it from an EXIT trap)
# The cluster listens on 127.0.0.1 only; TCP logins need the password (SCRAM), so tests
# of a wrong password mean something.

PMO_PG_BIN=${PMO_PG_BIN:-/usr/lib/postgresql/15/bin}

_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_pg_free_port() {
  local port
  for port in $(seq 55432 55532); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then echo "$port"; return 0; fi
  done
  echo "pg.sh: no free port in 55432-55532" >&2
  return 1
}

pg_start() {
  local dir=$1
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  local pw
  pw=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
  printf '%s\n' "$pw" >"$dir/.pw"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/.pw"
  _pg_as_owner "$PMO_PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$dir/.pw" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  rm -f "$dir/.pw"
  local port
  port=$(_pg_free_port) || return 1
  _pg_as_owner "$PMO_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200 -c shared_buffers=256MB -c max_wal_size=2GB" \
    >/dev/null || { cat "$dir/postgres.log" >&2; return 1; }
  export PMO_PG_DIR=$dir PMO_PG_PORT=$port
  export PMO_TEST_DATABASE_URL="postgres://postgres:${pw}@127.0.0.1:${port}/postgres"
  echo "pg.sh: PostgreSQL 15 on 127.0.0.1:$port (data in $dir/data)"
}

pg_stop() {
  if [ -n "${PMO_PG_DIR:-}" ] && [ -f "$PMO_PG_DIR/data/postmaster.pid" ]; then
    _pg_as_owner "$PMO_PG_BIN/pg_ctl" -D "$PMO_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}
