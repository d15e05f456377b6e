#!/usr/bin/env bash
# Renders Phase's own Helm chart (phasehq/kubernetes-secrets-operator, folder phase-console/)
# with the real helm and installs and upgrades it on the sandbox API server: every object
# the chart renders (StatefulSet, Ingress, HPAs included) must be accepted, the post-install
# hook Job must complete. The chart is not vendored here (its text is not ours to copy), so
# this is not part of ctest: point it at a checkout of the chart.
#   scripts/phase-chart-check.sh /path/to/kubernetes-secrets-operator/phase-console
# Needs build/phase-sandbox-apiserver (tests/) and build/tools/bin/helm (scripts/tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
chart=${1:?usage: scripts/phase-chart-check.sh CHART_DIR}
BUILD_DIR=${BUILD_DIR:-build}
helm="$BUILD_DIR/tools/bin/helm"
sandbox="$BUILD_DIR/tests/phase-sandbox-apiserver"
[ -x "$helm" ] || { echo "phase-chart-check: $helm missing; run scripts/tools.sh" >&2; exit 1; }
[ -x "$sandbox" ] || { echo "phase-chart-check: $sandbox missing; build target phase-sandbox-apiserver" >&2; exit 1; }
work=$(mktemp -d)
"$sandbox" --data-dir "$work" --rollout-duration-ms 200 --job-duration-ms 300 >"$work/sandbox.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -f "$work/kubeconfig" ] && break; sleep 0.1; done
export KUBECONFIG="$work/kubeconfig" HELM_CACHE_HOME="$work/cache" HELM_CONFIG_HOME="$work/config" HELM_DATA_HOME="$work/data"
values=(--set autoscaling.backend.enabled=true --set autoscaling.worker.enabled=true
        --set podDisruptionBudget.backend.enabled=true --set global.version=v2.73.2)
"$helm" template phase-console "$chart" -n phase "${values[@]}" >"$work/rendered.yaml"
echo "phase-chart-check: rendered $(grep -c '^kind:' "$work/rendered.yaml") objects:" \
  "$(grep '^kind:' "$work/rendered.yaml" | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}')"
"$helm" install phase-console "$chart" -n phase --create-namespace "${values[@]}" --timeout 60s
"$helm" upgrade phase-console "$chart" -n phase "${values[@]/v2.73.2/v2.74.0}" --timeout 60s
"$helm" status phase-console -n phase | grep -E '^(STATUS|REVISION)'
echo "phase-chart-check: the real chart installs and upgrades on the sandbox"
