#pragma once
// Status is written in one place (docs/architecture.md, principle 6).
//
// Guarantees: a status equal to the observed one is not sent (no writes at rest); the
// write is one PUT to /status carrying the observed object's resourceVersion, so it never
// overwrites a version it did not plan from. A Conflict is returned, not retried: the
// caller re-reads the object and plans again (PhaseReconciler), since a status computed
// from the old object may record a step the new one has moved past. The object being gone
// is not an error.
#include "kube/client.hpp"

namespace pmo::controller {

enum class StatusWrite { Unchanged, Written, Gone, Conflict };

StatusWrite writeStatus(kube::Client& client, const nlohmann::json& observed, const nlohmann::json& status);

}  // namespace pmo::controller
