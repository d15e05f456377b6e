#pragma once
// The migration planner (docs/architecture.md, "State machines"): a pure function from what
// the reconciler observed to the writes it must make and the status it must store.
//
// Guarantees:
//  - Pure and deterministic: no I/O, no clock (Observed::now), same input -> same Plan.
//  - Level-based: every call looks at the whole observed state plus status.migration and
//    decides the next step; a restarted operator resumes from status and finds its Jobs
//    by deterministic name (names.hpp) and run annotation (owner.hpp).
//  - Quiet at rest: when nothing changed, Plan::status equals the observed status and
//    Plan::actions is empty, so the caller sends no write.
//  - Events only on transitions (compared with the observed status).
//  - Every Deployment write is a guarded JSON Patch (maintenance/migration/deployment_patch.hpp).
//
// The caller: skips planMigration when spec.suspend is true (suspend changes nothing);
// calls planFinalize instead when metadata.deletionTimestamp is set; when Plan::needsForeignJobs
// is set, lists the namespace's Jobs into Observed::foreignJobs and plans again; writes Plan::status
// (this planner leaves status.observedGeneration to the caller) when it differs from the
// observed one; executes actions in order and stops at the first that fails.
#include <optional>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance {

Plan planMigration(const Observed& in);

// Deletion: restores replicas the ScaleDown gate recorded and unpauses the Deployments the
// operator paused (only those with kPausedByOperator); once the observed Deployments carry
// none of the operator's annotations, removes the finalizer (JSON Patch on the
// "phasemaintenances" resource, guarded by a `test` of the finalizers list). Children go
// by owner references.
Plan planFinalize(const Observed& in);

// The JSON Patch that adds annotations::kFinalizer to the PhaseMaintenance, or nullopt
// when it is present or the object is being deleted.
std::optional<Action> ensureFinalizer(const Observed& in);

// True while status.migration exists (a move in progress, including a failed one waiting
// for a retry): the audit-log planner keeps its CronJobs suspended meanwhile.
bool migrationInProgress(const Json& status);

// The steps of a move in progress (status.migration.step). The order of the walk and which
// steps apply in which mode are one transition table, in maintenance/migration/steps.cpp.
enum class Step {
  Pending,                    // recorded; nothing created yet
  WaitingForMaintenanceJobs,  // a purge or vacuum Job of this instance is running
  Pausing,                    // Follow mode: backend and worker paused
  BackingUp,                  // migrations.backup.enabled: the backup Job
  ScalingDown,                // gate ScaleDown: backend and worker at 0 replicas
  WaitingForForeignMigration, // a Job the operator does not own runs `manage.py migrate`
                              // (Phase's chart's hook): the operator's own waits for it
  Migrating,                  // the migration Job
  RollingOut,                 // the Deployments released and rolling out
  Failed,                     // a Job failed; resumes when it is deleted or the target moves
};
// The value stored in status.migration.step ("Migrating"...).
const char* stepName(Step step);
// nullopt for a value this operator never writes.
std::optional<Step> parseStep(const std::string& name);

// Reasons of the Migrated / RolledOut / MutableVersionTag conditions (and Events).
namespace reasons {
inline constexpr const char* kUpToDate = "UpToDate";
inline constexpr const char* kVersionAdopted = "VersionAdopted";
inline constexpr const char* kMigrationPending = "MigrationPending";
inline constexpr const char* kMigrationSucceeded = "MigrationSucceeded";
inline constexpr const char* kMigrationFailed = "MigrationFailed";
inline constexpr const char* kBackupFailed = "BackupFailed";
inline constexpr const char* kDowngradeRefused = "DowngradeRefused";
inline constexpr const char* kDeploymentNotFound = "DeploymentNotFound";
inline constexpr const char* kContainerNotFound = "ContainerNotFound";
inline constexpr const char* kSecretNotFound = "SecretNotFound";
inline constexpr const char* kInvalidVersion = "InvalidVersion";
inline constexpr const char* kImageTagUnknown = "ImageTagUnknown";
inline constexpr const char* kRolloutComplete = "RolloutComplete";
inline constexpr const char* kRollingOut = "RollingOut";
inline constexpr const char* kRolloutStuck = "RolloutStuck";
inline constexpr const char* kWaitingForMigration = "WaitingForMigration";
inline constexpr const char* kVersionMismatch = "VersionMismatch";
inline constexpr const char* kMutableTag = "MutableTag";
inline constexpr const char* kUnorderedVersion = "UnorderedVersion";
inline constexpr const char* kVersionPinned = "VersionPinned";
// Migrated=Unknown: the running tag is mutable (`latest`) and not pinned by a digest.
inline constexpr const char* kTagNotPinned = "TagNotPinnedByDigest";
// Migrated=False while a foreign migrate Job has run longer than
// spec.migrations.activeDeadlineSeconds: still waited for, with a Warning.
inline constexpr const char* kForeignMigrationOverdue = "ForeignMigrationOverdue";
// Conflict condition.
inline constexpr const char* kImageSetByAnotherManager = "ImageSetByAnotherManager";
inline constexpr const char* kConflictResolved = "Resolved";
// SchemaAhead condition.
inline constexpr const char* kImageOlderThanSchema = "ImageOlderThanSchema";
inline constexpr const char* kImagesMatchSchema = "ImagesMatchSchema";
}  // namespace reasons

}  // namespace pmo::maintenance
