#!/usr/bin/env bash
# The main job, with no cluster and no Docker: a throwaway PostgreSQL with a Phase-shaped
# schema and generated audit events, the sandbox API server (the project's envtest) with
# its simulated Job and Deployment controllers, and the real operator. It walks through an
# upgrade gated by its migration Job, the audit-log CronJobs with one real purge and one
# real vacuum against the local database, and a break-glass network-policy reset, printing
# `kubectl get pm` and the relevant status at each step. Cleans up on exit and on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh >/dev/null
command -v kubectl >/dev/null || { echo "demo: kubectl is required on PATH" >&2; exit 1; }

BUILD_DIR=${BUILD_DIR:-build}
BIN=$PWD/$BUILD_DIR/operator/phase-maintenance-operator
SANDBOX=$PWD/$BUILD_DIR/tests/phase-sandbox-apiserver
work=$(mktemp -d /tmp/pmo-demo.XXXXXX)
chmod 755 "$work"
pids=()
source scripts/pg.sh
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pg_stop
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted"; exit 130' INT TERM

bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
step() { echo; echo "${bold}==> $*${plain}"; }
show() { echo "\$ $*"; "$@"; }
# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local what=$1 limit=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "demo: timed out waiting for $what" >&2
      echo "--- operator log (last 40 lines) ---" >&2; tail -40 "$work/operator.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
}
pm_field() { kubectl get pm phase -n phase -o "jsonpath=$1" 2>/dev/null; }
pm_is() { [ "$(pm_field "$1")" = "$2" ]; }
pm_has() { [ -n "$(pm_field "$1")" ]; }

step "A throwaway PostgreSQL 15 with Phase's schema and 60,000 audit events"
pg_start "$work/pg"
dbpw=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
psql "$PMO_TEST_DATABASE_URL" -qAt -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE phase_api LOGIN PASSWORD '$dbpw'" -c "CREATE DATABASE phase_db OWNER phase_api"
phase_url="postgres://phase_api:${dbpw}@127.0.0.1:${PMO_PG_PORT}/phase_db"
psql "$phase_url" -qAt -v ON_ERROR_STOP=1 -f tests/fixtures/phase_schema.sql -f scripts/demo/phase_data.sql >/dev/null
psql "$phase_url" -c "SELECT o.name AS organisation, e.event_type, count(*) AS events
  FROM api_secretevent e JOIN api_environment v ON v.id = e.environment_id JOIN api_app a ON a.id = v.app_id
  JOIN api_organisation o ON o.id = a.organisation_id GROUP BY 1, 2 ORDER BY 1, 2"

step "The sandbox Kubernetes API server, with simulated Job and Deployment controllers"
"$SANDBOX" --data-dir "$work/sandbox" --job-duration-ms 1500 --rollout-duration-ms 1500 >"$work/sandbox.log" 2>&1 &
pids+=($!)
wait_for "the sandbox's kubeconfig" 20 test -s "$work/sandbox/kubeconfig"
export KUBECONFIG=$work/sandbox/kubeconfig
wait_for "the sandbox API server" 20 kubectl version
head -1 "$work/sandbox.log"

step "Install the CRD and a Phase instance (Secret, backend and worker at v2.72.0)"
show kubectl apply -f crds/maintenance.phase.dev_phasemaintenances.yaml
sed -e "s/@DATABASE_PASSWORD@/$dbpw/" -e "s/@DATABASE_HOST@/127.0.0.1/" -e "s/@DATABASE_PORT@/$PMO_PG_PORT/" \
  deploy/examples/demo/phase-instance.yaml | kubectl apply -f -
show kubectl get deploy -n phase

step "Start the operator"
"$BIN" run --metrics-bind-address 127.0.0.1:0 --operator-image phase-maintenance-operator:demo \
  --log-level info >"$work/operator.log" 2>&1 &
pids+=($!)
sleep 1
kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/operator.log"; exit 1; }
grep -m1 "operator starting" "$work/operator.log" || true

step "Ask for Phase v2.73.2 (Managed mode), an hourly purge for SpaceX and a weekly vacuum"
cat >"$work/pm.yaml" <<EOF
apiVersion: maintenance.phase.dev/v1alpha1
kind: PhaseMaintenance
metadata: {name: phase, namespace: phase}
spec:
  version: v2.73.2
  database:
    host: 127.0.0.1
    port: $PMO_PG_PORT
    name: phase_db
    user: phase_api
    passwordSecretRef: {name: phase-console-secret, key: DATABASE_PASSWORD}
    sslMode: disable
  migrations: {gate: HoldRollout}
  auditLogs:
    purge:
      - {organisation: SpaceX, retainDays: 30, schedule: "0 * * * *"}
    vacuum: {schedule: "30 3 * * 0"}
EOF
show kubectl apply -f "$work/pm.yaml"
for i in 1 2 3 4 5 6 7 8; do
  sleep 1
  echo "--- $(date +%T) phase=$(pm_field '{.status.phase}') step=$(pm_field '{.status.migration.step}')"
  pm_is '{.status.currentVersion}' v2.73.2 && break
done
wait_for "the upgrade to v2.73.2" 60 pm_is '{.status.currentVersion}' v2.73.2
show kubectl get pm -n phase
show kubectl get jobs -n phase
echo "backend image: $(kubectl get deploy phase-console-backend -n phase -o jsonpath='{.spec.template.spec.containers[0].image}')"
echo "EXTERNAL_MIGRATION: $(kubectl get deploy phase-console-backend -n phase -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="EXTERNAL_MIGRATION")].value}')"
echo "history: $(pm_field '{.status.migrations[0]}')"

step "The audit-log CronJobs"
wait_for "the CronJobs" 30 pm_is '{.status.conditions[?(@.type=="AuditLogMaintenanceScheduled")].status}' True
show kubectl get cronjobs -n phase

# A CronJob's pod runs this binary with the CronJob's arguments; the sandbox has no
# kubelet, so the demo runs that command here, against the demo database, and hands the
# pod's termination message (the command's JSON summary) to the simulated Job.
run_cronjob() {
  local cj=$1 args summary
  args=$(kubectl get cronjob "$cj" -n phase -o jsonpath='{.spec.jobTemplate.spec.template.spec.containers[0].args[*]}')
  echo "\$ phase-maintenance-operator $args"
  summary=$(DATABASE_HOST=127.0.0.1 DATABASE_PORT=$PMO_PG_PORT DATABASE_NAME=phase_db DATABASE_USER=phase_api \
    DATABASE_PASSWORD=$dbpw PGSSLMODE=disable "$BIN" $args 2>"$work/$cj.err" | tail -1)
  tail -3 "$work/$cj.err"
  echo "summary: $summary"
  jq_body=$(printf '{"namePrefix":"%s","succeed":true,"durationMs":500,"terminationMessage":%s}' "$cj" \
    "$(printf '%s' "$summary" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')")
  printf '%s' "$jq_body" >"$work/behaviour.json"
  kubectl create --raw /sandbox/v1/jobs/behaviour -f "$work/behaviour.json" >/dev/null
  kubectl create --raw "/sandbox/v1/cronjobs/phase/$cj/trigger" -f /dev/null >/dev/null
}

step "One purge (read events older than 30 days in SpaceX's apps)"
purge_cj=$(pm_field '{.status.auditLogs.purge[0].name}')
run_cronjob "$purge_cj"
wait_for "the purge result in status" 30 pm_has '{.status.auditLogs.purge[0].lastResult.rowsDeleted}'
echo "status.auditLogs.purge[0].lastResult: $(pm_field '{.status.auditLogs.purge[0].lastResult}')"

step "One vacuum of api_secretevent"
vacuum_cj=$(pm_field '{.status.auditLogs.vacuum.name}')
run_cronjob "$vacuum_cj"
wait_for "the vacuum result in status" 30 pm_has '{.status.auditLogs.vacuum.lastResult.durationSeconds}'
echo "status.auditLogs.vacuum.lastResult: $(pm_field '{.status.auditLogs.vacuum.lastResult}')"
echo "status.auditLogs.table: $(pm_field '{.status.auditLogs.table}')"

step "Break-glass: SpaceX is locked out by its global network policies"
psql "$phase_url" -c "SELECT o.name AS organisation, p.name AS policy, p.is_global FROM api_networkaccesspolicy p
  JOIN api_organisation o ON o.id = p.organisation_id ORDER BY 1, 2"
show kubectl patch pm phase -n phase --type merge \
  -p '{"spec":{"recovery":{"resetGlobalNetworkPolicies":{"requestId":"lockout-demo-1","organisations":["SpaceX"],"restoreAfter":"15s"}}}}'
wait_for "the recovery" 30 pm_is '{.status.recoveries.resetGlobalNetworkPolicies[0].requestId}' lockout-demo-1
echo "status.recoveries: $(pm_field '{.status.recoveries.resetGlobalNetworkPolicies[0].message}')"
psql "$phase_url" -c "SELECT o.name AS organisation, p.name AS policy, p.is_global FROM api_networkaccesspolicy p
  JOIN api_organisation o ON o.id = p.organisation_id ORDER BY 1, 2"
show kubectl get events -n phase --field-selector reason=RecoveryApplied

step "restoreAfter: 15s later the operator makes exactly those policies global again"
wait_for "the restore" 40 pm_has '{.status.recoveries.resetGlobalNetworkPolicies[0].restoredAt}'
echo "status.recoveries: $(pm_field '{.status.recoveries.resetGlobalNetworkPolicies[0].message}')"
psql "$phase_url" -c "SELECT o.name AS organisation, p.name AS policy, p.is_global FROM api_networkaccesspolicy p
  JOIN api_organisation o ON o.id = p.organisation_id ORDER BY 1, 2"

step "Done"
show kubectl get pm -n phase
