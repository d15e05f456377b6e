#!/usr/bin/env bash
# The test command: installs and builds (scripts/setup.sh), starts a throwaway
# PostgreSQL on loopback unless PMO_TEST_DATABASE_URL is set, and runs every test.
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit` or `-R Purge`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

source scripts/pg.sh
workdir=$(mktemp -d /tmp/pmo-test.XXXXXX)
chmod 755 "$workdir"
cleanup() { pg_stop; rm -rf "$workdir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${PMO_TEST_DATABASE_URL:-}" ]; then
  pg_start --tls "$workdir/pg"  # --tls: the TLS tests (tests/pg/tls_pgtest.cpp) need it
fi

ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" --timeout 600 "$@"
