// The simulated ReplicaSet controller and kubelet. Guarantees: each ReplicaSet has one Pod
// object per replica (`<rs>-xxxxx`, the template's labels, spec and a controller owner
// reference), created at once when spec.replicas grows and deleted unready-first (the real
// controller's ActivePods order) when it shrinks; status.replicas (and fullyLabeledReplicas)
// follow spec.replicas at once. A pod is ready DeploymentBehaviour::readyAfter after its init
// containers finished (never when stuck) and available minReadySeconds later. A pod whose
// template has the schema gate (pod_schema.hpp) stays in Init (phase Pending, Initialized
// False, the gate's line in its log) until its namespace's schema has the version of the
// gate's image; then it starts. A container whose startupProbe is the gate's check is then
// running but not started, the pod not Ready, until the schema has the version of that
// container's own image; then readiness follows as for any other pod. A schema newer than
// the image holds the pod the same way unless the gate's mode is HoldRollout (pod_schema.hpp).
// Status fields serialize as apps/v1 ReplicaSetStatus does (replicas always, others omitted
// when zero); status.observedGeneration follows metadata.generation.
// A ReplicaSet being deleted is left alone (the garbage collector deletes its pods). No write
// when nothing changed.
#include <algorithm>

#include "sandbox/controllers.hpp"
#include "sandbox/deployment_util.hpp"
#include "sandbox/objects.hpp"
#include "sandbox/pod_status.hpp"

namespace pmo::sandbox {

namespace {
const std::string kReplicaSets = "apps/replicasets";
const std::string kPods = "pods";
const std::string kJobs = "batch/jobs";
using Clock = std::chrono::system_clock;
constexpr Clock::time_point kNever = Clock::time_point::max();

std::string controllerName(const nlohmann::json& o) {
  for (const auto& r : o["metadata"].value("ownerReferences", nlohmann::json::array()))
    if (r.value("controller", false)) return r.value("name", "");
  return "";
}

bool ownedBy(const nlohmann::json& o, const std::string& uid) {
  for (const auto& r : o["metadata"].value("ownerReferences", nlohmann::json::array()))
    if (r.value("uid", "") == uid) return true;
  return false;
}
}  // namespace

ReplicaSetController::ReplicaSetController(World& w, TaskRunner& runner) : w_(w), runner_(runner) {}

void ReplicaSetController::install() {
  w_.store.addListener([this](const StoreEvent& e) {
    if (!w_.deploymentsEnabled) return;
    if (e.typeKey == kJobs && e.type == "MODIFIED") return schemaChanged(e.ns);  // a migration may have finished
    if (e.typeKey != kReplicaSets) return;
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

void ReplicaSetController::schemaChanged(const std::string& ns) {
  for (const auto& rs : w_.store.list(kReplicaSets, ns)) {
    auto it = pods_.find(metaString(*rs, "uid"));
    if (it == pods_.end()) continue;
    if (std::any_of(it->second.begin(), it->second.end(), [](const SimPod& p) { return p.gated || p.probing; }))
      enqueue(ns, metaString(*rs, "name"));
  }
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
    for (auto& p : it->second)
      if (!p.gated && !p.probing && p.readyAt > now) p.readyAt = b.stuck ? kNever : now + b.readyAfter;
    enqueue(metaString(*rs, "namespace"), metaString(*rs, "name"));
  }
}

// The pods a ReplicaSet had before this controller saw it (a restart, or a re-enabled
// controller): its Pod objects, ready or not as their Ready condition says.
std::vector<ReplicaSetController::SimPod> ReplicaSetController::adopt(const nlohmann::json& rs, Clock::time_point now,
                                                                      const DeploymentBehaviour& b) {
  std::vector<SimPod> pods;
  const std::string uid = metaString(rs, "uid");
  for (const auto& pod : w_.store.list(kPods, metaString(rs, "namespace"))) {
    if (!ownedBy(*pod, uid) || (*pod)["metadata"].contains("deletionTimestamp")) continue;
    SimPod p{metaString(*pod, "name"), now + b.readyAfter, schemaGate((*pod)["spec"]) != nullptr};
    p.probing = !p.gated && schemaProbeContainer((*pod)["spec"]) != nullptr;
    if (p.probing) p.readyAt = kNever;
    if (podReady(*pod)) p.readyAt = Clock::time_point{}, p.gated = false, p.probing = false;
    if (b.stuck && p.readyAt > now) p.readyAt = kNever;
    pods.push_back(p);
  }
  return pods;
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
  if (found == pods_.end()) found = pods_.emplace(uid, adopt(*rs, now, b)).first;
  auto& pods = found->second;
  const nlohmann::json tmpl = (*rs)["spec"].value("template", nlohmann::json::object());
  const nlohmann::json podSpec = tmpl.value("spec", nlohmann::json::object());
  const long desired = std::max(0L, deployutil::replicas(*rs));
  while (static_cast<long>(pods.size()) < desired) {
    nlohmann::json pod = newPod(*rs, tmpl, w_.schema);
    ObjectPtr created = createInternal(w_, *w_.types.byKey(kPods), pod);
    const bool gated = schemaGate(podSpec) != nullptr;
    const bool probing = !gated && schemaProbeContainer(podSpec) != nullptr;
    pods.push_back({metaString(*created, "name"), gated || probing ? kNever : (b.stuck ? kNever : now + b.readyAfter),
                    gated, probing});
  }
  if (static_cast<long>(pods.size()) > desired) {
    // the unready (latest) go first
    std::stable_sort(pods.begin(), pods.end(), [](const SimPod& a, const SimPod& c) { return a.readyAt < c.readyAt; });
    for (size_t i = static_cast<size_t>(desired); i < pods.size(); ++i)
      if (ObjectPtr pod = w_.store.find(kPods, ns, pods[i].name))
        deleteInternal(w_, *w_.types.byKey(kPods), pod, "Background");
    pods.resize(static_cast<size_t>(desired));
  }
  const long minReady = (*rs)["spec"].value("minReadySeconds", 0L);
  long ready = 0, available = 0;
  Clock::time_point next = kNever;
  for (auto& p : pods) {
    ObjectPtr pod = w_.store.find(kPods, ns, p.name);
    std::string gateLine;
    if (p.gated && pod) {
      const nlohmann::json* gate = schemaGate((*pod)["spec"]);
      const auto verdict = schemaGateVerdict(w_.schema.version(ns),
                                             w_.schema.imageVersion(podImageId(*pod, kSchemaGateContainer)),
                                             gate ? *gate : nlohmann::json::object());
      gateLine = verdict.line;
      if (verdict.passes) {
        p.gated = false;
        p.probing = schemaProbeContainer((*pod)["spec"]) != nullptr;
        p.readyAt = p.probing || b.stuck ? kNever : now + b.readyAfter;
      }
    }
    if (p.probing && pod) {
      // the startup probe runs in the main container: its own image's version decides
      const nlohmann::json* c = schemaProbeContainer((*pod)["spec"]);
      if (!c || schemaGateVerdict(w_.schema.version(ns), w_.schema.imageVersion(podImageId(*pod, c->value("name", ""))),
                                  *c).passes) {
        p.probing = false;
        p.readyAt = b.stuck ? kNever : now + b.readyAfter;
      }
    }
    if (p.readyAt <= now) ++ready;
    else next = std::min(next, p.readyAt);
    if (p.readyAt != kNever) {
      const auto availableAt = p.readyAt + std::chrono::seconds(minReady);
      if (availableAt <= now) ++available;
      else next = std::min(next, availableAt);
    }
    if (!pod) continue;
    if (!gateLine.empty()) w_.podLogs[ns + "/" + p.name] = gateLine;
    writeStatusInternal(w_, kPods, pod, podStatus(*pod, p.gated, p.readyAt <= now, p.probing));
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
