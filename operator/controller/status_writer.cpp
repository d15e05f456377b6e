#include "controller/status_writer.hpp"

#include "common/log.hpp"

namespace pmo::controller {

StatusWrite writeStatus(kube::Client& client, const nlohmann::json& observed, const nlohmann::json& status,
                        int attempts) {
  const nlohmann::json before = observed.contains("status") ? observed["status"] : nlohmann::json::object();
  if (before == status) return StatusWrite::Unchanged;
  const std::string ns = observed.value("/metadata/namespace"_json_pointer, std::string());
  const std::string name = observed.value("/metadata/name"_json_pointer, std::string());
  const auto& res = kube::resources::kPhaseMaintenances;
  nlohmann::json object = observed;
  for (int attempt = 1;; ++attempt) {
    object["status"] = status;
    try {
      client.updateStatus(res, ns, object);
      return StatusWrite::Written;
    } catch (const kube::ApiError& e) {
      if (e.reason() == kube::ErrorReason::NotFound) return StatusWrite::Gone;
      if (e.reason() != kube::ErrorReason::Conflict || attempt >= attempts) throw;
      log::debug("status conflict; retrying on a fresh read", {{"key", ns + "/" + name}, {"attempt", attempt}});
    }
    try {
      object = client.get(res, ns, name);
    } catch (const kube::ApiError& e) {
      if (e.reason() == kube::ErrorReason::NotFound) return StatusWrite::Gone;
      throw;
    }
    if (object.contains("status") && object["status"] == status) return StatusWrite::Unchanged;
  }
}

}  // namespace pmo::controller
