#include "observability/health.hpp"

namespace pmo::observability {

void Health::addReadinessCheck(std::string name, Check check) { readiness_.emplace_back(std::move(name), std::move(check)); }

void Health::addLivenessCheck(std::string name, Check check) { liveness_.emplace_back(std::move(name), std::move(check)); }

HealthStatus Health::evaluate(const std::vector<std::pair<std::string, Check>>& checks) {
  HealthStatus status;
  for (const auto& [name, check] : checks) {
    std::optional<std::string> failure;
    try {
      failure = check();
    } catch (const std::exception& e) {
      failure = std::string("check threw: ") + e.what();
    }
    if (!failure) continue;
    if (!status.ok) status.reason += "; ";
    status.ok = false;
    status.reason += name + ": " + *failure;
  }
  if (status.ok) status.reason = "ok";
  return status;
}

HealthStatus Health::ready() const { return evaluate(readiness_); }
HealthStatus Health::live() const { return evaluate(liveness_); }

Check informersSynced(std::vector<const runtime::Informer*> informers) {
  return [informers]() -> std::optional<std::string> {
    std::string waiting;
    for (const auto* inf : informers) {
      if (inf->hasSynced()) continue;
      if (!waiting.empty()) waiting += ", ";
      waiting += inf->resource().plural;
    }
    if (waiting.empty()) return std::nullopt;
    return "caches not synced: " + waiting;
  };
}

Check controllerHeartbeat(const runtime::Controller& controller, std::shared_ptr<runtime::Clock> clock,
                          runtime::Clock::Duration bound) {
  return [&controller, clock, bound]() -> std::optional<std::string> {
    if (!controller.workersRunning()) return std::nullopt;
    const auto age = clock->now() - controller.lastHeartbeat();
    if (age <= bound) return std::nullopt;
    return "worker loop of " + controller.name() + " silent for " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) + "s";
  };
}

}  // namespace pmo::observability
