#pragma once
// The schema gate in every pod (DESIGN.md "The gate in every pod"): an init container on
// the backend and worker pod templates that lets the pod start only when the database has
// every migration that the pod's image ships.
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
//    on `python manage.py migrate --check` (exits non-zero while migrations are
//    unapplied) every kEnvInterval seconds (default 5), prints one line on the first
//    failed check, starting with kWaitingLogPrefix, and exits 1 after kEnvTimeout seconds
//    (default 600) so the kubelet restarts the pod with backoff. Exit 0 = schema ready.
//  - env, envFrom and the volumeMounts of kept volumes are copied from the named container
//    (database host, user and *_FILE secrets reach the init container the same way), plus
//    kEnvTimeout and kEnvInterval. Resources and securityContext copied too.
//  - The Deployment carries annotation kGateAnnotation = <PhaseMaintenance name> while the
//    operator keeps the gate; the gate and the annotation go together (finalizer, or
//    migrations.podGate: false).
//  - The backend's named container carries EXTERNAL_MIGRATION=true in both modes (Phase's
//    backend/scripts/start.sh skips its own `migrate` only when the value is exactly "true").
//  - The migration Job: container "migrate", command ["python","manage.py","migrate"],
//    label app.kubernetes.io/component=migration; in Follow mode its image is exactly the
//    backend container's image.
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
inline constexpr const char* kWaitingLogPrefix = "wait-for-schema: waiting for the migrations of";
inline constexpr const char* kDefaultWorkingDir = "/app";

// The shell script the init container runs (exposed for tests).
std::string gateScript();

// The init container for `deployment`'s container `containerName`; nullopt when the
// container is missing.
std::optional<Json> gateContainer(const Json& deployment, const std::string& containerName);

// Guarded JSON Patch ops that make the template carry exactly gateContainer() (added, or
// replaced in place when it differs, e.g. a stale image) and kGateAnnotation = pmName.
// Empty when already so (idempotent: no write at rest).
Json ensureGateOps(const Json& deployment, const std::string& containerName,
                   const std::string& pmName);

// Guarded ops that remove the gate container and kGateAnnotation; empty when neither is there.
Json removeGateOps(const Json& deployment);

}  // namespace pmo::maintenance::schemagate
