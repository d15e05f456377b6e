#include "controller/phase_reconciler.hpp"

#include <algorithm>

#include "common/log.hpp"
#include "controller/reconcile_path.hpp"
#include "controller/status_writer.hpp"
#include "runtime/store.hpp"

namespace pmo::controller {

std::vector<std::string> keysNamingDeployment(const std::vector<Json>& pmsInNamespace, const Json& deployment) {
  const std::string name = deployment.value("/metadata/name"_json_pointer, std::string());
  std::vector<std::string> keys;
  for (const auto& pm : pmsInNamespace) {
    const auto parsed = maintenance::parseSpec(pm);
    if (parsed.spec.backend.deployment == name || parsed.spec.worker.deployment == name) {
      keys.push_back(runtime::objectKey(pm));
    }
  }
  return keys;
}

namespace {
constexpr auto kOwnWriteWait = std::chrono::seconds(5);
constexpr auto kOwnWriteRecheck = std::chrono::milliseconds(100);
}  // namespace

bool PhaseReconciler::ownWriteUnseen(const std::string& key, const std::string& cachedVersion) {
  std::lock_guard<std::mutex> lock(unseenMu_);
  auto it = unseen_.find(key);
  if (it == unseen_.end()) return false;
  // resourceVersions are opaque: "one of the versions our writes replaced" is all that can
  // be told, and all that is needed.
  const auto& old = it->second.superseded;
  if (std::find(old.begin(), old.end(), cachedVersion) != old.end() && d_.clock->now() - it->second.at < kOwnWriteWait)
    return true;
  unseen_.erase(it);
  return false;
}

void PhaseReconciler::rememberOwnWrite(const std::string& key, std::vector<std::string> superseded) {
  std::lock_guard<std::mutex> lock(unseenMu_);
  unseen_[key] = {std::move(superseded), d_.clock->now()};
}

runtime::ReconcileResult PhaseReconciler::reconcile(const std::string& key) {
  const auto [ns, name] = runtime::splitKey(key);
  const auto cached = d_.view.phaseMaintenance(ns, name);
  if (!cached) {
    std::lock_guard<std::mutex> lock(unseenMu_);
    unseen_.erase(key);
    return runtime::ReconcileResult::done();  // deleted: children go by owner references
  }
  // The watch event of the write will wake the key; the recheck is the bound.
  if (ownWriteUnseen(key, runtime::resourceVersionOf(*cached)))
    return runtime::ReconcileResult::after(kOwnWriteRecheck);
  return reconcileFresh(key, *cached);
}

// observe -> act -> write status once -> finish, each a value in and a value out
// (reconcile_path.hpp); this function only threads them and has the one exit.
runtime::ReconcileResult PhaseReconciler::reconcileFresh(const std::string& key, const Json& pm) {
  const Observation seen = observe(d_, pm);
  Acted acted = act(d_, seen);
  if (acted.superseded.size() > 1) rememberOwnWrite(key, acted.superseded);  // the finalizer patch
  if (acted.stale) return acted.outcome;
  if (writeStatus(d_.client, acted.writeOver, acted.status) == StatusWrite::Written)
    rememberOwnWrite(key, acted.superseded);
  return finish(pm, std::move(acted));
}

runtime::ReconcileResult PhaseReconciler::finish(const Json& pm, Acted acted) {
  for (const auto& e : acted.events) d_.events.event(pm, e.type, e.reason, e.message);
  if (!acted.afterStatus.empty() &&
      executeActions(d_.client, d_.events, pm, acted.afterStatus) == ExecutionResult::StalePlan)
    return runtime::ReconcileResult::after(std::chrono::seconds(1));
  return acted.outcome;
}

}  // namespace pmo::controller
