#!/usr/bin/env bash
# Runs bench/purge_bench.cpp against a throwaway PostgreSQL 15 on loopback.
#   bench/run_purge_bench.sh [--events N] [--compare V,...]   (default 1,000,000 read events)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-bench}
cmake -S . -B "$build" -DPMO_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target purge_bench -j2
source scripts/pg.sh
workdir=$(mktemp -d /tmp/pmo-purge-bench.XXXXXX)
chmod 755 "$workdir"
trap 'pg_stop; rm -rf "$workdir"' EXIT
# fsync on, as on a real server: the other traffic's p99 is mostly waits for WAL flushes,
# which a cluster without fsync never has. PMO_PG_FSYNC=off measures without them.
PMO_PG_FSYNC=${PMO_PG_FSYNC:-on} pg_start "$workdir/pg"
"$build/bench/purge_bench" "$@"
