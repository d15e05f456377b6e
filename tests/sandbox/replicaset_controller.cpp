// The simulated ReplicaSet controller and kubelet: no Pod objects, only their count and
// readiness. Guarantees: status.replicas (and fullyLabeledReplicas) follow spec.replicas at
// once (pods created, or deleted unready-first as the real controller's ActivePods order);
// a pod is ready DeploymentBehaviour::readyAfter after its creation (never when stuck) and
// available minReadySeconds later; status.observedGeneration follows metadata.generation.
// Status fields serialize as apps/v1 ReplicaSetStatus does (replicas always, others
// omitted when zero). A ReplicaSet being deleted is left alone. No write when nothing changed.
#include <algorithm>

#include "sandbox/controllers.hpp"
#include "sandbox/deployment_util.hpp"
#include "sandbox/objects.hpp"

namespace pmo::sandbox {

namespace {
const std::string kReplicaSets = "apps/replicasets";
using Clock = std::chrono::system_clock;
constexpr Clock::time_point kNever = Clock::time_point::max();

std::string controllerName(const nlohmann::json& o) {
  for (const auto& r : o["metadata"].value("ownerReferences", nlohmann::json::array()))
    if (r.value("controller", false)) return r.value("name", "");
  return "";
}
}  // namespace

ReplicaSetController::ReplicaSetController(World& w, TaskRunner& runner) : w_(w), runner_(runner) {}

void ReplicaSetController::install() {
  w_.store.addListener([this](const StoreEvent& e) {
    if (e.typeKey != kReplicaSets || !w_.deploymentsEnabled) return;
    if (e.type == "DELETED") {
      pods_.erase(metaString(*e.object, "uid"));
      return;
    }
    enqueue(e.ns, metaString(*e.object, "name"));
  });
}

void ReplicaSetController::enqueue(const std::string& ns, const std::string& name) {
  if (!queued_.insert(ns + "/" + name).second) return;
  runner_.after(std::chrono::milliseconds(0), [this, ns, name] { sync(ns, name); });
}

void ReplicaSetController::resync() {
  auto lock = w_.store.lock();
  for (const auto& rs : w_.store.list(kReplicaSets, "")) enqueue(metaString(*rs, "namespace"), metaString(*rs, "name"));
}

DeploymentBehaviour ReplicaSetController::behaviourOf(const nlohmann::json& rs) const {
  const std::string owner = controllerName(rs);
  return w_.deploymentBehaviourFor(owner.empty() ? metaString(rs, "name") : owner);
}

void ReplicaSetController::behaviourChanged() {
  auto lock = w_.store.lock();
  const auto now = Clock::now();
  for (const auto& rs : w_.store.list(kReplicaSets, "")) {
    auto it = pods_.find(metaString(*rs, "uid"));
    if (it == pods_.end()) continue;
    const DeploymentBehaviour b = behaviourOf(*rs);
    for (auto& readyAt : it->second)
      if (readyAt > now) readyAt = b.stuck ? kNever : now + b.readyAfter;
    enqueue(metaString(*rs, "namespace"), metaString(*rs, "name"));
  }
}

void ReplicaSetController::sync(const std::string& ns, const std::string& name) {
  auto lock = w_.store.lock();
  queued_.erase(ns + "/" + name);
  if (!w_.deploymentsEnabled) return;
  ObjectPtr rs = w_.store.find(kReplicaSets, ns, name);
  if (!rs || (*rs)["metadata"].contains("deletionTimestamp")) return;
  const auto now = Clock::now();
  const DeploymentBehaviour b = behaviourOf(*rs);
  const std::string uid = metaString(*rs, "uid");
  auto found = pods_.find(uid);
  if (found == pods_.end()) {  // first sight (or a restart): the status says what runs
    std::vector<Clock::time_point> pods;
    for (long i = 0; i < deployutil::statusCount(*rs, "replicas"); ++i)
      pods.push_back(i < deployutil::statusCount(*rs, "readyReplicas") ? Clock::time_point{} : now + b.readyAfter);
    found = pods_.emplace(uid, std::move(pods)).first;
  }
  auto& pods = found->second;
  const long desired = std::max(0L, deployutil::replicas(*rs));
  while (static_cast<long>(pods.size()) < desired) pods.push_back(b.stuck ? kNever : now + b.readyAfter);
  if (static_cast<long>(pods.size()) > desired) {
    std::sort(pods.begin(), pods.end());  // the unready (latest) go first
    pods.resize(static_cast<size_t>(desired));
  }
  const long minReady = (*rs)["spec"].value("minReadySeconds", 0L);
  long ready = 0, available = 0;
  Clock::time_point next = kNever;
  for (const auto& readyAt : pods) {
    if (readyAt <= now) ++ready;
    else next = std::min(next, readyAt);
    if (readyAt == kNever) continue;
    const auto availableAt = readyAt + std::chrono::seconds(minReady);
    if (availableAt <= now) ++available;
    else next = std::min(next, availableAt);
  }
  nlohmann::json status = (*rs).value("status", nlohmann::json::object());
  status["replicas"] = static_cast<long>(pods.size());
  auto count = [&](const char* f, long v) {
    if (v == 0) status.erase(f);
    else status[f] = v;
  };
  count("fullyLabeledReplicas", static_cast<long>(pods.size()));
  count("readyReplicas", ready);
  count("availableReplicas", available);
  count("observedGeneration", (*rs)["metadata"].value("generation", 0L));
  writeStatusInternal(w_, kReplicaSets, rs, status);
  if (next != kNever) {
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(next - now) + std::chrono::milliseconds(1);
    runner_.after(delay, [this, ns, name] {
      auto relock = w_.store.lock();
      enqueue(ns, name);
    });
  }
}

}  // namespace pmo::sandbox
