#!/usr/bin/env bash
# A long chaos run: tests/e2e/chaos_e2etest.cpp moving versions for MINUTES through two
# operator replicas under the faults SEED draws (network resets, stalls and cuts; API
# 500/429/409, dropped watches, compaction; SIGKILL of the operator, the leader among
# them), checking every move's invariants. Prints one summary line at the end.
#   scripts/chaos-soak.sh SEED MINUTES        (BUILD_DIR defaults to build)
set -euo pipefail
usage="usage: scripts/chaos-soak.sh SEED MINUTES"
seed=${1:?$usage}
minutes=${2:?$usage}
[[ $seed =~ ^[0-9]+$ && $minutes =~ ^[0-9]+$ && $minutes -gt 0 ]] || { echo "$usage (whole numbers)" >&2; exit 2; }
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
[[ -x $build/tests/e2e_tests ]] || { echo "no $build/tests/e2e_tests: build the e2e_tests target first" >&2; exit 2; }
PMO_CHAOS_SEED=$seed PMO_CHAOS_MINUTES=$minutes exec "$build/tests/e2e_tests" \
  --gtest_filter='ChaosE2E.*' --gtest_color=no
