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
// Re-plans after a status conflict before the key goes to the controller's backoff.
constexpr int kStatusReplans = 3;
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

bool PhaseReconciler::ownDeploymentWriteUnseen(const Json& pm) {
  const std::string ns = pm.value("/metadata/namespace"_json_pointer, std::string());
  const auto spec = maintenance::parseSpec(pm).spec;
  for (const auto& name : {spec.backend.deployment, spec.worker.deployment}) {
    const auto d = d_.view.deployment(ns, name);
    if (d && ledger_.unseen(ns, name, runtime::resourceVersionOf(*d))) return true;
  }
  return false;
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
  if (ownWriteUnseen(key, runtime::resourceVersionOf(*cached)) || ownDeploymentWriteUnseen(*cached))
    return runtime::ReconcileResult::after(kOwnWriteRecheck);
  return reconcileFresh(key, *cached);
}

// observe -> act -> write status once -> finish, each a value in and a value out
// (reconcile_path.hpp); this function only threads them and has the one exit. A status
// write that meets a Conflict re-reads the object and plans again from it, a bounded
// number of times: the status planned from the old object may record a step the new one
// has moved past (or miss a spec change), so it is never put on the fresh copy as it is.
runtime::ReconcileResult PhaseReconciler::reconcileFresh(const std::string& key, const Json& cached) {
  Json pm = cached;
  // Every version this reconcile's writes replaced, the re-read ones included: the cache
  // may show any of them before it shows the last write.
  std::vector<std::string> superseded;
  for (int attempt = 1;; ++attempt) {
    const Observation seen = observe(d_, pm);
    Acted acted = act(d_, seen);
    superseded.insert(superseded.end(), acted.superseded.begin(), acted.superseded.end());
    if (acted.stale) {
      // No status write follows: the version the finalizer patch made is the current one,
      // which nothing replaced; waiting for the cache to move past it would stall the key.
      if (acted.superseded.size() > 1) {
        superseded.pop_back();
        rememberOwnWrite(key, superseded);
      }
      return acted.outcome;
    }
    if (acted.superseded.size() > 1) rememberOwnWrite(key, superseded);  // the finalizer patch
    const StatusWrite written = writeStatus(d_.client, acted.writeOver, acted.status);
    if (written == StatusWrite::Written) rememberOwnWrite(key, superseded);
    if (written == StatusWrite::Gone) return runtime::ReconcileResult::done();  // children go by owner references
    if (written != StatusWrite::Conflict) return finish(pm, std::move(acted));
    if (attempt >= kStatusReplans)
      return runtime::ReconcileResult::backoff("the status write met a conflict " + std::to_string(attempt) +
                                               " times; planning again with backoff");
    log::debug("status conflict; re-reading and planning again", {{"key", key}, {"attempt", attempt}});
    auto fresh = readFresh(pm);
    if (!fresh) return runtime::ReconcileResult::done();  // deleted meanwhile
    pm = std::move(*fresh);
  }
}

std::optional<Json> PhaseReconciler::readFresh(const Json& pm) {
  const std::string ns = pm.value("/metadata/namespace"_json_pointer, std::string());
  const std::string name = pm.value("/metadata/name"_json_pointer, std::string());
  try {
    return d_.client.get(kube::resources::kPhaseMaintenances, ns, name);
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::ErrorReason::NotFound) return std::nullopt;
    throw;
  }
}

// Events are posted only here, after the status that records their facts was written (or
// found already recorded): a plan repeated after a lost write, a conflict or a stale plan
// announces nothing twice.
runtime::ReconcileResult PhaseReconciler::finish(const Json& pm, Acted acted) {
  for (const auto& e : acted.events) d_.events.post(pm, e);
  if (!acted.afterStatus.empty() && executeActions(d_.client, pm, acted.afterStatus) == ExecutionResult::StalePlan)
    return runtime::ReconcileResult::after(std::chrono::seconds(1));
  return acted.outcome;
}

}  // namespace pmo::controller
