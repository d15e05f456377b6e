#pragma once
// Status is written in one place (docs/architecture.md, principle 6).
//
// Guarantees: a status equal to the observed one is not sent (no writes at rest); the
// write is a PUT to /status carrying the object's resourceVersion; on Conflict the object
// is read again and the same status put on the fresh copy (the operator owns the whole
// status), a bounded number of times. The object being gone is not an error.
#include "kube/client.hpp"

namespace pmo::controller {

enum class StatusWrite { Unchanged, Written, Gone };

StatusWrite writeStatus(kube::Client& client, const nlohmann::json& observed, const nlohmann::json& status,
                        int attempts = 5);

}  // namespace pmo::controller
