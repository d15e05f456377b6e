#pragma once
// Health of the operator process, as /readyz and /healthz report it.
//
// Readiness: every readiness check passes (typically: all informer caches synced). With
// leader election a follower is ready once its caches synced; it need not lead.
// Liveness: every liveness check passes (typically: a running controller's worker loop
// heartbeat is recent). A check returns nullopt when healthy, else the reason.
// Thread-safe once the checks are added (add them before serving).
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "runtime/clock.hpp"
#include "runtime/controller.hpp"
#include "runtime/informer.hpp"

namespace pmo::observability {

using Check = std::function<std::optional<std::string>()>;

struct HealthStatus {
  bool ok = true;
  std::string reason;  // "; "-joined reasons of the failing checks, "ok" when healthy
};

class Health {
 public:
  void addReadinessCheck(std::string name, Check check);
  void addLivenessCheck(std::string name, Check check);
  HealthStatus ready() const;
  HealthStatus live() const;

 private:
  static HealthStatus evaluate(const std::vector<std::pair<std::string, Check>>& checks);
  std::vector<std::pair<std::string, Check>> readiness_;
  std::vector<std::pair<std::string, Check>> liveness_;
};

// Ready when every informer has synced; the reason names those that have not.
Check informersSynced(std::vector<const runtime::Informer*> informers);
// Live while the controller's workers are not running (e.g. a follower), or while its
// last heartbeat is younger than `bound` on `clock`.
Check controllerHeartbeat(const runtime::Controller& controller, std::shared_ptr<runtime::Clock> clock,
                          runtime::Clock::Duration bound);

}  // namespace pmo::observability
