#pragma once
// Ownership of the children the operator creates: the ownerReference that lets the
// garbage collector delete them with their PhaseMaintenance, and the labels (labels.hpp)
// that let caches and people select them.
#include <string>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance::annotations {
// On migration and backup Jobs: status.migration.startedAt of the move that made them.
// A Job with the right name but another run (an earlier move to the same version, e.g.
// after a restore and an allowed downgrade) is stale and is replaced, never trusted.
inline constexpr const char* kMigrationRun = "maintenance.phase.dev/migration-run";
// On backup Jobs: the dump file they write.
inline constexpr const char* kBackupPath = "maintenance.phase.dev/backup-path";
}  // namespace pmo::maintenance::annotations

namespace pmo::maintenance {

inline constexpr const char* kGroupVersion = "maintenance.phase.dev/v1alpha1";
inline constexpr const char* kKind = "PhaseMaintenance";

// {apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true}.
Json controllerReference(const Json& pm);

// True when `child` carries a controller reference to `pm` (matched by uid).
bool isControlledBy(const Json& child, const Json& pm);

// name=phase, instance=<pm>, component, managed-by, owner=<pm>, and version when given
// (a label value: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends).
Json childLabels(const std::string& pmName, const std::string& component,
                 const std::string& version = "");

// The owner and instance label value of the PhaseMaintenance `pmName`: the name itself
// when it is a valid label value (at most 63 characters), else its first characters and
// "-" + 8 hex digits of a hash of the whole name, so two long names sharing a prefix still
// differ. Not reversible: map it back through an index of the PhaseMaintenances on this
// value (controller/operator.cpp), never by reading it as a name.
std::string ownerLabelValue(const std::string& pmName);

// `text` as a valid label value (invalid characters become '_', cut to 63, trimmed to
// alphanumeric ends); "" stays "".
std::string labelValue(const std::string& text);

}  // namespace pmo::maintenance
