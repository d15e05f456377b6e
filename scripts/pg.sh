#!/usr/bin/env bash
# Throwaway PostgreSQL 15 on loopback for tests, benchmarks and the demo.
# Source it, then: pg_start [--tls] DIR  (exports PMO_TEST_DATABASE_URL, PMO_PG_PORT, PMO_PG_DIR)
# Tests run with fsync=off (a throwaway cluster); PMO_PG_FSYNC=on gives a real server's WAL flushes.
#                  pg_stop                (idempotent; call it from an EXIT trap)
# The cluster listens on 127.0.0.1 only; TCP logins need the password (SCRAM), so tests
# of a wrong password mean something.
# --tls: ssl=on with a CA and a server certificate (for 127.0.0.1 and localhost) made here
# with openssl, and exports PMO_PG_TLS_DIR holding ca.crt, wrong-ca.crt (a CA that signed
# nothing of this server) and client.crt/client.key (CN pmo_cert_user, signed by ca.crt).
# The role pmo_cert_user, when a test creates it, may log in over TLS only with that client
# certificate (pg_hba `hostssl ... cert`); every other role logs in as without --tls.

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

# The CA, server and client certificates of --tls, in DIR/tls (keys 0600).
_pg_make_tls() {
  local tls=$1
  mkdir -p "$tls"
  (
    set -e
    cd "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pmo test CA" -keyout ca.key -out ca.crt
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pmo wrong CA" -keyout wrong-ca.key -out wrong-ca.crt
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt
    openssl req -newkey rsa:2048 -nodes -subj "/CN=pmo_cert_user" -keyout client.key -out client.csr
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client.crt
    chmod 600 ./*.key
    rm -f ./*.csr server.ext
  ) >"$tls/openssl.log" 2>&1 || { cat "$tls/openssl.log" >&2; return 1; }
}

pg_start() {
  local tls=""
  if [ "${1:-}" = "--tls" ]; then tls=1; shift; fi
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
  local port ssl_opts=""
  port=$(_pg_free_port) || return 1
  if [ -n "$tls" ]; then
    _pg_make_tls "$dir/tls" || return 1
    # The server's copy of its key must belong to the server's user.
    cp "$dir/tls/server.key" "$dir/tls/server.crt" "$dir/tls/ca.crt" "$dir/data/"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/data/server.key" "$dir/data/server.crt" "$dir/data/ca.crt"
    chmod 600 "$dir/data/server.key"
    # First match wins: the certificate-only role, then initdb's password rules.
    { printf 'hostssl all pmo_cert_user 127.0.0.1/32 cert\n'; cat "$dir/data/pg_hba.conf"; } >"$dir/data/pg_hba.conf.new"
    mv "$dir/data/pg_hba.conf.new" "$dir/data/pg_hba.conf"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir/data/pg_hba.conf"
    ssl_opts="-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key -c ssl_ca_file=ca.crt"
  fi
  _pg_as_owner "$PMO_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=${PMO_PG_FSYNC:-off} -c max_connections=200 -c shared_buffers=256MB -c max_wal_size=2GB $ssl_opts" \
    >/dev/null || { cat "$dir/postgres.log" >&2; return 1; }
  export PMO_PG_DIR=$dir PMO_PG_PORT=$port
  if [ -n "$tls" ]; then export PMO_PG_TLS_DIR=$dir/tls; else unset PMO_PG_TLS_DIR; fi
  export PMO_TEST_DATABASE_URL="postgres://postgres:${pw}@127.0.0.1:${port}/postgres"
  echo "pg.sh: PostgreSQL 15 on 127.0.0.1:$port (data in $dir/data${tls:+, TLS files in $dir/tls})"
}

pg_stop() {
  if [ -n "${PMO_PG_DIR:-}" ] && [ -f "$PMO_PG_DIR/data/postmaster.pid" ]; then
    _pg_as_owner "$PMO_PG_BIN/pg_ctl" -D "$PMO_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}
