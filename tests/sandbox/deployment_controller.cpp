#include <functional>

#include "sandbox/controllers.hpp"
#include "sandbox/objects.hpp"

namespace pmo::sandbox {

namespace {
const std::string kDeployments = "apps/deployments";

std::string templateHash(const nlohmann::json& d) {
  const auto spec = d.value("spec", nlohmann::json::object());
  size_t h = std::hash<std::string>{}(spec.value("template", nlohmann::json::object()).dump());
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (int i = 0; i < 10; ++i, h /= 27) s += alphabet[h % 27];
  return s;
}

// Replica counts as the API server serializes them (zero fields omitted).
void setCount(nlohmann::json& status, const char* field, long value) {
  if (value == 0) status.erase(field);
  else status[field] = value;
}

long desiredReplicas(const nlohmann::json& d) {
  return d.value("spec", nlohmann::json::object()).value("replicas", 1L);
}
}  // namespace

DeploymentController::DeploymentController(World& w, TaskRunner& runner) : w_(w), runner_(runner) {}

void DeploymentController::install() {
  w_.store.addListener([this](const StoreEvent& e) {
    if (e.typeKey != kDeployments || !w_.deploymentsEnabled) return;
    std::string ns = metaString(*e.object, "namespace"), name = metaString(*e.object, "name");
    if (e.type == "DELETED") {
      rolledTemplate_.erase(ns + "/" + name);
      pending_.erase(ns + "/" + name);
      return;
    }
    runner_.after(std::chrono::milliseconds(0), [this, ns, name] { reconcile(ns, name); });
  });
}

void DeploymentController::resync() {
  auto lock = w_.store.lock();
  for (const auto& d : w_.store.list(kDeployments, "")) {
    std::string ns = metaString(*d, "namespace"), name = metaString(*d, "name");
    runner_.after(std::chrono::milliseconds(0), [this, ns, name] { reconcile(ns, name); });
  }
}

void DeploymentController::reconcile(const std::string& ns, const std::string& name) {
  if (!w_.deploymentsEnabled) return;
  auto lock = w_.store.lock();
  ObjectPtr d = w_.store.find(kDeployments, ns, name);
  if (!d || (*d)["metadata"].contains("deletionTimestamp")) return;
  const std::string key = ns + "/" + name;
  const long generation = (*d)["metadata"].value("generation", 1L);
  const long desired = desiredReplicas(*d);
  const bool paused = (*d)["spec"].value("paused", false);
  const std::string hash = templateHash(*d);
  nlohmann::json status = (*d).value("status", nlohmann::json::object());
  status["observedGeneration"] = generation;
  if (paused) {
    setCondition(status, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", true);
    writeStatusInternal(w_, kDeployments, d, status);
    return;
  }
  bool templateChanged = rolledTemplate_[key] != hash;
  bool countsOff = status.value("replicas", 0L) != desired || status.value("updatedReplicas", 0L) != desired ||
                   status.value("readyReplicas", 0L) != desired || status.value("availableReplicas", 0L) != desired;
  if (!templateChanged && !countsOff) {
    writeStatusInternal(w_, kDeployments, d, status);
    return;
  }
  auto p = pending_.find(key);
  if (p != pending_.end() && p->second == generation) return;  // this rollout is under way
  pending_[key] = generation;
  const std::string rs = name + "-" + hash;
  if (templateChanged) {
    setCount(status, "updatedReplicas", 0);
    setCondition(status, "Progressing", "True", "ReplicaSetUpdated", "ReplicaSet \"" + rs + "\" is progressing.", true);
  }
  if (!status.contains("conditions") || status["conditions"].empty())
    setCondition(status, "Available", "False", "MinimumReplicasUnavailable",
                 "Deployment does not have minimum availability.", true);
  writeStatusInternal(w_, kDeployments, d, status);
  runner_.after(w_.options.rolloutDuration, [this, ns, name, generation] { complete(ns, name, generation); });
}

void DeploymentController::complete(const std::string& ns, const std::string& name, long generation) {
  if (!w_.deploymentsEnabled) return;
  auto lock = w_.store.lock();
  const std::string key = ns + "/" + name;
  auto p = pending_.find(key);
  if (p != pending_.end() && p->second == generation) pending_.erase(p);
  ObjectPtr d = w_.store.find(kDeployments, ns, name);
  if (!d || (*d)["metadata"].value("generation", 1L) != generation || (*d)["spec"].value("paused", false)) {
    if (d) runner_.after(std::chrono::milliseconds(0), [this, ns, name] { reconcile(ns, name); });
    return;
  }
  const long desired = desiredReplicas(*d);
  const std::string hash = templateHash(*d);
  rolledTemplate_[key] = hash;
  nlohmann::json status = (*d).value("status", nlohmann::json::object());
  status["observedGeneration"] = generation;
  for (const char* f : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas"}) setCount(status, f, desired);
  status.erase("unavailableReplicas");
  setCondition(status, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", true);
  setCondition(status, "Progressing", "True", "NewReplicaSetAvailable",
               "ReplicaSet \"" + name + "-" + hash + "\" has successfully progressed.", true);
  writeStatusInternal(w_, kDeployments, d, status);
}

}  // namespace pmo::sandbox
