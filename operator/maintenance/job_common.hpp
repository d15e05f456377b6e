#pragma once
// Shared shape of the operator's Jobs (internal to the builders).
#include <string>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance {

std::string pmName(const Json& pm);
std::string pmNamespace(const Json& pm);

// A batch/v1 Job: metadata (name, namespace, labels, run annotation plus `annotations`,
// controller ownerReference), spec (backoffLimit, activeDeadlineSeconds from the spec) and
// a pod template carrying the same labels around `podSpec`.
Json jobObject(const Json& pm, const PhaseMaintenanceSpec& spec, const std::string& name,
               const std::string& component, const std::string& version,
               const std::string& runId, const Json& annotations, const Json& podSpec);

}  // namespace pmo::maintenance
