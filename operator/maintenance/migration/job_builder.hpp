#pragma once
// The migration Job and the backup Job (STYLE.md principle 2: one builder per child kind,
// value in, value out).
//
// Guarantees of both builders:
//  - Deterministic: the same inputs give the same object (names from names.hpp, no clock).
//  - metadata: the deterministic name, the PhaseMaintenance's namespace, childLabels()
//    (component migration|backup, version = the target), annotation kMigrationRun = runId,
//    a controller ownerReference (blockOwnerDeletion) to the PhaseMaintenance.
//  - The pod is derived from the backend Deployment's template (maintenance/migration/pod_template.hpp), carries
//    the same labels, restartPolicy Never, terminationMessagePolicy FallbackToLogsOnError.
//  - backoffLimit and activeDeadlineSeconds come from spec.migrations; no
//    ttlSecondsAfterFinished: the operator must be able to read the result, and the Job
//    goes with its PhaseMaintenance (owner reference).
#include <optional>
#include <string>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance {

// `python manage.py migrate` in `image` (Managed: backendImage:version; Follow: the backend
// container's own image) with the backend container's env,
// envFrom, stateless volume mounts, security context and resources. nullopt when the
// backend template has no container spec.workloads.backend.container.
std::optional<Json> buildMigrationJob(const Json& pm, const PhaseMaintenanceSpec& spec,
                                      const Json& backend, const std::string& version,
                                      const std::string& image, const std::string& runId);

// `pg_dump -Fc` of spec.database into `dumpPath` on the PVC spec.migrations.backup
// .persistentVolumeClaim (mounted at /backups), image spec.migrations.backup.image,
// PGPASSWORD from spec.database.passwordSecretRef (env valueFrom.secretKeyRef: the
// password never appears in the object). The script writes to "<path>.partial" and
// renames on success (a failed dump never looks complete), then keeps the newest `keep`
// dumps in the instance's directory, deletes older ones, and writes the dump path to
// /dev/termination-log. Pod-level settings (service account, pull secrets, security
// context, scheduling) come from the backend's template; the Phase env does not.
Json buildBackupJob(const Json& pm, const PhaseMaintenanceSpec& spec, const Json& backend,
                    const std::string& fromVersion, const std::string& toVersion,
                    const std::string& runId, const std::string& dumpPath);

// The shell script of the backup container (exposed for tests).
std::string backupScript();

}  // namespace pmo::maintenance
