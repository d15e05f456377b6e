#pragma once
// The schema gate in every pod (DESIGN.md "The gate in every pod"): on the backend and worker
// pod templates, an init container and a startup probe that keep a pod from starting (the
// init container) and from becoming Ready (the probe) until the database has every migration
// that the pod's image ships.
//
// The contract, shared with the sandbox (tests/sandbox) and the e2e tests:
//  - Init container name kGateContainer ("wait-for-schema"), appended after the template's
//    own init containers (the chart's wait-for-postgres / wait-for-redis /
//    wait-for-migrations run first).
//  - Its image is the image of the workload's named container (spec.workloads.*.container),
//    the same string (repository, tag or digest). The operator re-asserts it on every pass.
//    The check runs in the init container's own image: that image decides what
//    "every migration" means.
//  - Command ["/bin/sh", "-c", gateScript()], workingDir the container's workingDir or
//    "/app" (Phase's backend Dockerfile: WORKDIR /app, manage.py there). The script loops
//    on checkScript() (`python manage.py migrate --check`: non-zero while migrations are
//    unapplied) every kEnvInterval seconds (default 5), prints one line on the first
//    failed check, starting with kWaitingLogPrefix, and exits 1 after kEnvTimeout seconds
//    (default 600) so the kubelet restarts the pod with backoff. Exit 0 = schema ready.
//  - Schema ahead: once `migrate --check` passes, checkScript() also asks Django's
//    MigrationLoader (`python manage.py shell -c`) for migrations recorded in the database
//    that the image does not know (a downgrade, or Helm setting an older tag; which rows
//    count: schema_gate.cpp, kAheadPython). The gate's mode decides: kEnvMode = "ScaleDown"
//    (also when unset or anything else): not ready, with one line starting kAheadLogPrefix
//    naming how many and the first five; "HoldRollout": one warning line, and the pod starts
//    (old code on a one-version-newer schema is that gate's premise). The init container
//    carries kEnvMode in its env; the probe's script assigns it on its second line
//    (`PMO_SCHEMA_GATE_MODE=<mode>`), the main container's env being the user's.
//  - env, envFrom and the volumeMounts of kept volumes are copied from the named container
//    (database host, user and *_FILE secrets reach the init container the same way), plus
//    kEnvTimeout, kEnvInterval and kEnvMode (the operator's value replaces a copied one).
//    Resources and securityContext copied too.
//  - The named container carries startupProbe() (exec ["/bin/sh", "-c", probeScript()]):
//    the same checkScript() run ONCE, in the container's OWN image, so Readiness always
//    follows the image the pod really runs, even when the init container's image is stale
//    (a `helm upgrade` or a GitOps sync while the operator is down changes only the main
//    container's image; Helm's three-way merge keeps the operator's init container, with
//    the old image, and the probe, which the chart does not render). periodSeconds = the
//    gate's interval, failureThreshold = ceil(timeout / interval) (the kubelet restarts the
//    container after that, with backoff), timeoutSeconds kProbeTimeoutSeconds,
//    successThreshold 1. The script starts with kProbeMarker: a startupProbe without it is
//    not the operator's and is never replaced or removed (the gate then runs only in the
//    init container; ensureGate reports it).
//    Honest limit: with a stale init container (any tool that changes only the main
//    container's image: the pods the Deployment controller starts before the operator's
//    pass, or all of them while the operator is down) the process of the new image starts
//    (and the worker consumes jobs) before the probe has passed; only Readiness is held, so
//    the backend gets no Service traffic.
//  - The Deployment carries annotation kGateAnnotation = <PhaseMaintenance name> while the
//    operator keeps the gate; the init container, the probe and the annotation go together
//    (finalizer, or migrations.podGate: false).
//  - The backend's named container carries EXTERNAL_MIGRATION=true in both modes (Phase's
//    backend/scripts/start.sh skips its own `migrate` only when the value is exactly "true");
//    what the entry was before the operator set it is recorded in an annotation
//    (deployment_patch.hpp, externalMigrationOps) and given back by the finalizer.
//  - The migration Job: container "migrate", command ["python","manage.py","migrate"],
//    label app.kubernetes.io/component=migration; in Follow mode its image is exactly the
//    backend container's image.
//  - Comparisons allow for the fields kube-apiserver defaults (a container's
//    terminationMessagePath/-Policy, imagePullPolicy, resources; a probe's timeouts and
//    thresholds): what the API server stored from the operator's own write is "already so".
#include <optional>
#include <string>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance::schemagate {

inline constexpr const char* kGateContainer = "wait-for-schema";
inline constexpr const char* kGateAnnotation = "maintenance.phase.dev/schema-gate";
inline constexpr const char* kEnvTimeout = "PMO_SCHEMA_GATE_TIMEOUT_SECONDS";
inline constexpr const char* kEnvInterval = "PMO_SCHEMA_GATE_INTERVAL_SECONDS";
inline constexpr int kDefaultTimeoutSeconds = 600;
inline constexpr int kDefaultIntervalSeconds = 5;
inline constexpr int kProbeTimeoutSeconds = 30;  // one `migrate --check`: Django's start included
inline constexpr const char* kEnvMode = "PMO_SCHEMA_GATE_MODE";  // spec.migrations.gate
inline constexpr const char* kWaitingLogPrefix = "wait-for-schema: waiting for the migrations of";
inline constexpr const char* kAheadLogPrefix = "wait-for-schema: the database is ahead of this image:";
inline constexpr const char* kProbeMarker = "# wait-for-schema startup probe (phase-maintenance-operator)";
inline constexpr const char* kDefaultWorkingDir = "/app";

// "ScaleDown" | "HoldRollout", the value of kEnvMode.
const char* modeName(MigrationGate mode);

// The one check both scripts run (shell function `schema_check`: status 0 when the database has
// every migration of the image and, under ScaleDown, none the image does not know; otherwise
// non-zero with the reason, one line without secrets, in $why).
std::string checkScript();
// The init container's script: checkScript() in a bounded loop.
std::string gateScript();
// The startup probe's script: kProbeMarker, kEnvMode=<mode>, then checkScript() once.
std::string probeScript(MigrationGate mode);

// The init container for `deployment`'s container `containerName` under gate `mode`;
// nullopt when the container is missing.
std::optional<Json> gateContainer(const Json& deployment, const std::string& containerName, MigrationGate mode);
// The startup probe for that container (interval and timeout from its env when it sets
// kEnvInterval / kEnvTimeout to a positive number); nullopt when the container is missing.
std::optional<Json> startupProbe(const Json& deployment, const std::string& containerName, MigrationGate mode);
// True when `probe` is one the operator made (its script starts with kProbeMarker).
bool isGateProbe(const Json& probe);

struct GateOps {
  Json ops = Json::array();
  bool foreignProbe = false;  // the container has a startupProbe that is not the operator's: left alone
};

// Guarded JSON Patch ops that make the template carry exactly gateContainer(), the container
// startupProbe() (unless it has a foreign one) and kGateAnnotation = pmName: added, or
// replaced in place when they differ (a stale image, another mode). Empty when already so
// (idempotent: no write at rest).
GateOps ensureGate(const Json& deployment, const std::string& containerName, const std::string& pmName,
                   MigrationGate mode);
inline Json ensureGateOps(const Json& deployment, const std::string& containerName, const std::string& pmName,
                          MigrationGate mode) {
  return ensureGate(deployment, containerName, pmName, mode).ops;
}

// Guarded ops that remove the gate container, the operator's startup probes (on any
// container) and kGateAnnotation; empty when none is there. EXTERNAL_MIGRATION is not
// touched (deployment_patch.hpp: externalMigrationReleaseOps).
Json removeGateOps(const Json& deployment);

}  // namespace pmo::maintenance::schemagate
