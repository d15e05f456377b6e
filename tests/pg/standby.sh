#!/usr/bin/env bash
# A streaming standby of the test server, for tests/pg/purge_replication_pgtest.cpp.
#   standby.sh start DIR   pg_basebackup -R of the primary into DIR/data, started on a free
#                          loopback port; the port is the last line of stdout
#   standby.sh stop DIR    stops it (immediate) and removes DIR; idempotent
# The primary comes from PMO_PRIMARY_HOST, PMO_PRIMARY_PORT, PMO_PRIMARY_USER and
# PGPASSWORD (never on a command line). Every step is bounded in time.
# Exit 3: this environment cannot make a standby (no pg_basebackup, or the primary refuses
# replication connections); the reason is on stderr. Any other failure exits 1.
set -euo pipefail
source "$(dirname "$0")/../../scripts/pg.sh"

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: standby.sh start|stop DIR" >&2; exit 1; }

case "$cmd" in
start)
  if [ ! -x "$PMO_PG_BIN/pg_basebackup" ] || [ ! -x "$PMO_PG_BIN/pg_ctl" ]; then
    echo "standby.sh: no pg_basebackup/pg_ctl in $PMO_PG_BIN" >&2
    exit 3
  fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  # -c fast: no wait for a spread checkpoint; -X stream: the WAL of the copy comes along;
  # -R: standby.signal and primary_conninfo, so it streams from the primary once started.
  if ! _pg_as_owner timeout 60 "$PMO_PG_BIN/pg_basebackup" -h "$PMO_PRIMARY_HOST" -p "$PMO_PRIMARY_PORT" \
      -U "$PMO_PRIMARY_USER" -D "$dir/data" -c fast -X stream -R -w >"$dir/basebackup.log" 2>&1; then
    cat "$dir/basebackup.log" >&2
    if grep -qiE "no pg_hba.conf entry for replication|number of requested standby connections|max_wal_senders|wal_level" \
        "$dir/basebackup.log"; then
      exit 3
    fi
    exit 1
  fi
  port=$(_pg_free_port)
  # max_connections must be at least the primary's (pg.sh: 200) for a hot standby.
  # wal_receiver_status_interval=1s: the primary learns the replay position within a second.
  if ! _pg_as_owner "$PMO_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 start \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200 -c shared_buffers=32MB -c hot_standby=on -c wal_receiver_status_interval=1s" \
      >/dev/null; then
    cat "$dir/postgres.log" >&2
    exit 1
  fi
  echo "$port"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    _pg_as_owner "$PMO_PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: standby.sh start|stop DIR" >&2
  exit 1
  ;;
esac
