#pragma once
// Label and annotation keys on everything the operator creates or touches. One place,
// so selectors, builders and tests agree.
namespace pmo::maintenance::labels {

inline constexpr const char* kName = "app.kubernetes.io/name";                // "phase"
inline constexpr const char* kInstance = "app.kubernetes.io/instance";        // PhaseMaintenance name
inline constexpr const char* kComponent = "app.kubernetes.io/component";      // migration|backup|purge|vacuum
inline constexpr const char* kManagedBy = "app.kubernetes.io/managed-by";     // "phase-maintenance-operator"
inline constexpr const char* kVersion = "app.kubernetes.io/version";          // target Phase version (Jobs)
inline constexpr const char* kOwner = "maintenance.phase.dev/owner";          // PhaseMaintenance name (selector)

inline constexpr const char* kManagedByValue = "phase-maintenance-operator";
inline constexpr const char* kNameValue = "phase";

inline constexpr const char* kComponentMigration = "migration";
inline constexpr const char* kComponentBackup = "backup";
inline constexpr const char* kComponentPurge = "purge";
inline constexpr const char* kComponentVacuum = "vacuum";

}  // namespace pmo::maintenance::labels

namespace pmo::maintenance::annotations {

// On a Deployment scaled down by the ScaleDown gate: its replicas before, restored after.
inline constexpr const char* kReplicasBefore = "maintenance.phase.dev/replicas-before-migration";
// On a Deployment paused by the operator (Follow mode): "true", so only our pause is undone.
inline constexpr const char* kPausedByOperator = "maintenance.phase.dev/paused-by-operator";
// On the backend Deployment once the operator set EXTERNAL_MIGRATION=true on its container:
// what the entry was before ("absent", or the replaced entry as JSON), so that the finalizer
// gives it back. Written once, with the first change; never overwritten.
inline constexpr const char* kExternalMigrationBefore = "maintenance.phase.dev/external-migration-before";
inline constexpr const char* kExternalMigrationAbsent = "absent";
// On children: the hash of the spec they were built from, to detect drift cheaply.
inline constexpr const char* kSpecHash = "maintenance.phase.dev/spec-hash";
// On the PhaseMaintenance: the finalizer that restores Deployments on deletion.
inline constexpr const char* kFinalizer = "maintenance.phase.dev/restore-workloads";

}  // namespace pmo::maintenance::annotations
