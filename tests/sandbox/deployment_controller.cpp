// The simulated Deployment controller: kubernetes/kubernetes pkg/controller/deployment
// (deployment_controller.go syncDeployment) ported on the sandbox's JSON objects. One sync
// (deployment_sync.hpp) reads the Deployment and the ReplicaSets it controls (adopting
// orphans its selector matches), acts as the real one would, and writes the Deployment
// (status, and the revision annotation the real controller sets through UpdateStatus) where
// the real one calls UpdateStatus, only when something changed: at rest, nothing is written.
// Left out: pod objects (replicaset_controller.cpp counts them), hash collisions beyond a
// collisionCount bump, the extensions/v1beta1 rollbackTo annotation.
#include "sandbox/controllers.hpp"
#include "sandbox/deployment_sync.hpp"
#include "sandbox/objects.hpp"

namespace pmo::sandbox {

namespace {
using Json = nlohmann::json;
}  // namespace

DeploymentController::DeploymentController(World& w, TaskRunner& runner) : w_(w), runner_(runner) {}

void DeploymentController::install() {
  w_.store.addListener([this](const StoreEvent& e) {
    if (!w_.deploymentsEnabled) return;
    if (e.typeKey == kDeployments && e.type != "DELETED") enqueue(e.ns, metaString(*e.object, "name"));
    if (e.typeKey != kReplicaSets) return;
    bool controlled = false;
    for (const auto* o : {e.object.get(), e.previous.get()}) {
      if (!o) continue;
      for (const auto& r : (*o)["metadata"].value("ownerReferences", Json::array()))
        if (r.value("controller", false)) {
          controlled = true;
          if (r.value("kind", "") == "Deployment") enqueue(e.ns, r.value("name", ""));
        }
    }
    if (!controlled && e.type != "DELETED") enqueueNamespace(e.ns);
  });
}

void DeploymentController::enqueue(const std::string& ns, const std::string& name) {
  if (!queued_.insert(ns + "/" + name).second) return;
  runner_.after(std::chrono::milliseconds(0), [this, ns, name] { sync(ns, name); });
}

void DeploymentController::enqueueNamespace(const std::string& ns) {
  runner_.after(std::chrono::milliseconds(0), [this, ns] {
    auto lock = w_.store.lock();
    for (const auto& d : w_.store.list(kDeployments, ns)) enqueue(ns, metaString(*d, "name"));
  });
}

void DeploymentController::resync() {
  auto lock = w_.store.lock();
  for (const auto& d : w_.store.list(kDeployments, "")) enqueue(metaString(*d, "namespace"), metaString(*d, "name"));
}

void DeploymentController::sync(const std::string& ns, const std::string& name) {
  auto lock = w_.store.lock();
  queued_.erase(ns + "/" + name);
  if (!w_.deploymentsEnabled) return;
  ObjectPtr current = w_.store.find(kDeployments, ns, name);
  if (!current) return;
  DeploymentSync s(w_, *current);
  if (!s.d.contains("status") || !s.d["status"].is_object()) s.d["status"] = Json::object();
  s.claim();
  if (s.d["metadata"].contains("deletionTimestamp")) {
    s.getAll(false);
    s.d["status"] = s.calculateStatus();
  } else {
    s.checkPausedConditions();
    if (s.d["spec"].value("paused", false) || s.isScalingEvent()) s.syncScaling();
    else if (deployutil::isRollingUpdate(s.d)) s.rolloutRolling();
    else s.rolloutRecreate();
  }
  s.commit();
  const std::string key = ns + "/" + name;
  const auto now = std::chrono::system_clock::now();
  auto scheduled = recheck_.find(key);
  if (s.recheckAt && (scheduled == recheck_.end() || scheduled->second <= now || scheduled->second > *s.recheckAt)) {
    recheck_[key] = *s.recheckAt;
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(*s.recheckAt - now);
    runner_.after(std::max(delay, std::chrono::milliseconds(0)), [this, ns, name] {
      auto relock = w_.store.lock();
      enqueue(ns, name);
    });
  }
}

}  // namespace pmo::sandbox
