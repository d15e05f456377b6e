#include "controller/status_writer.hpp"

namespace pmo::controller {

StatusWrite writeStatus(kube::Client& client, const nlohmann::json& observed, const nlohmann::json& status) {
  const nlohmann::json before = observed.contains("status") ? observed["status"] : nlohmann::json::object();
  if (before == status) return StatusWrite::Unchanged;
  const std::string ns = observed.value("/metadata/namespace"_json_pointer, std::string());
  nlohmann::json object = observed;
  object["status"] = status;
  try {
    client.updateStatus(kube::resources::kPhaseMaintenances, ns, object);
    return StatusWrite::Written;
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::ErrorReason::NotFound) return StatusWrite::Gone;
    if (e.reason() == kube::ErrorReason::Conflict) return StatusWrite::Conflict;
    throw;
  }
}

}  // namespace pmo::controller
