// How a Deployment sync moves pods between ReplicaSets: kubernetes/kubernetes
// pkg/controller/deployment rolling.go (maxSurge/maxUnavailable steps), recreate.go, and
// sync.go's scale (proportional scaling, also while paused) and cleanupDeployment.
#include <algorithm>
#include <cmath>
#include <map>

#include "sandbox/deployment_sync.hpp"
#include "sandbox/objects.hpp"

namespace pmo::sandbox {

namespace du = deployutil;
using Json = nlohmann::json;

// cleanupDeployment: old ReplicaSets beyond revisionHistoryLimit, oldest revision first
void DeploymentSync::cleanup() {
  std::vector<Json*> cleanable;
  for (Json* rs : oldRSs)
    if (!(*rs)["metadata"].contains("deletionTimestamp")) cleanable.push_back(rs);
  long diff = static_cast<long>(cleanable.size()) - du::revisionHistoryLimit(d);
  if (diff <= 0) return;
  std::stable_sort(cleanable.begin(), cleanable.end(), [](const Json* a, const Json* b) {
    return du::revision(*a) != du::revision(*b) ? du::revision(*a) < du::revision(*b) : createdBefore(a, b);
  });
  auto rsType = w.types.byKey(kReplicaSets);
  for (long i = 0; i < diff; ++i) {
    const Json& rs = *cleanable[static_cast<size_t>(i)];
    if (du::statusCount(rs, "replicas") != 0 || du::replicas(rs) != 0 ||
        rs["metadata"].value("generation", 0L) > du::statusCount(rs, "observedGeneration"))
      continue;
    if (ObjectPtr cur = w.store.find(kReplicaSets, metaString(rs, "namespace"), nameOf(rs)))
      deleteInternal(w, *rsType, cur, "Background");
  }
}

// scale (sync.go): a scaling event, or a paused Deployment's replicas
void DeploymentSync::scale() {
  std::vector<Json*> active;
  for (Json* rs : all())
    if (isActive(rs)) active.push_back(rs);
  Json* activeOrLatest = nullptr;  // FindActiveOrLatest
  if (active.size() == 1) {
    activeOrLatest = active[0];
  } else if (active.empty() && (newRS || !oldRSs.empty())) {
    if (newRS) activeOrLatest = newRS;
    else activeOrLatest = *std::max_element(oldRSs.begin(), oldRSs.end(), createdBefore);
  }
  const long want = du::replicas(d);
  if (active.size() <= 1 && activeOrLatest) {
    if (du::replicas(*activeOrLatest) != want) scaleRS(*activeOrLatest, want);
    return;
  }
  if (!activeOrLatest && active.empty()) return;
  if (newRS && du::replicas(*newRS) == want && du::annotation(*newRS, du::kDesiredReplicas) == std::to_string(want) &&
      du::statusCount(*newRS, "availableReplicas") == want) {  // IsSaturated
    for (Json* old : oldRSs)
      if (isActive(old)) scaleRS(*old, 0);
    return;
  }
  if (!du::isRollingUpdate(d)) return;
  const long allowed = want > 0 ? want + du::maxSurge(d) : 0;
  const long toAdd = allowed - specTotal(active);
  if (toAdd == 0) return;
  // larger first; among equals newer first when scaling up, older first when down
  std::sort(active.begin(), active.end(), [toAdd](const Json* a, const Json* b) {
    if (du::replicas(*a) != du::replicas(*b)) return du::replicas(*a) > du::replicas(*b);
    return toAdd > 0 ? createdBefore(b, a) : createdBefore(a, b);
  });
  long added = 0;
  std::map<const Json*, long> size;
  for (Json* rs : active) {  // GetReplicaSetProportion
    long proportion = 0;
    if (du::replicas(*rs) != 0 && toAdd != added) {
      long fraction;
      if (want == 0) {
        fraction = -du::replicas(*rs);
      } else {
        const std::string annotated = du::annotation(*rs, du::kMaxReplicas);
        const bool number = !annotated.empty() && annotated.size() < 10 &&
                            annotated.find_first_not_of("0123456789") == std::string::npos;
        long base = number ? std::stol(annotated) : du::statusCount(d, "replicas");
        if (base == 0) base = 1;
        fraction = std::lround(static_cast<double>(du::replicas(*rs) * (want + du::maxSurge(d))) /
                               static_cast<double>(base)) - du::replicas(*rs);
      }
      const long room = toAdd - added;
      proportion = toAdd > 0 ? std::min(fraction, room) : std::max(fraction, room);
    }
    size[rs] = du::replicas(*rs) + proportion;
    added += proportion;
  }
  for (size_t i = 0; i < active.size(); ++i) {
    if (i == 0) size[active[0]] = std::max(0L, size[active[0]] + toAdd - added);  // leftovers to the largest
    scaleRS(*active[i], size[active[i]], toAdd > 0 ? "up" : "down");
  }
}

bool DeploymentSync::isScalingEvent() {
  getAll(false);
  for (Json* rs : all()) {
    if (!isActive(rs)) continue;
    const std::string desired = du::annotation(*rs, du::kDesiredReplicas);
    if (!desired.empty() && desired != std::to_string(du::replicas(d))) return true;
  }
  return false;
}

// sync (sync.go): paused or scaling
void DeploymentSync::syncScaling() {
  getAll(false);
  scale();
  if (d["spec"].value("paused", false)) cleanup();
  d["status"] = calculateStatus();
}

// rolloutRolling (rolling.go)
void DeploymentSync::rolloutRolling() {
  getAll(true);
  if (!newRS) return syncRolloutStatus();
  // reconcileNewReplicaSet
  const long want = du::replicas(d);
  if (du::replicas(*newRS) > want) {
    if (scaleRS(*newRS, want)) return syncRolloutStatus();
  } else if (du::replicas(*newRS) < want) {
    if (scaleRS(*newRS, newRSNewReplicas(*newRS))) return syncRolloutStatus();
  }
  if (reconcileOld()) return syncRolloutStatus();
  if (du::deploymentComplete(d, d.value("status", Json::object()))) cleanup();
  syncRolloutStatus();
}

// reconcileOldReplicaSets: unhealthy old replicas first, then within maxUnavailable
bool DeploymentSync::reconcileOld() {
  std::vector<Json*> olds;
  for (Json* rs : oldRSs)
    if (isActive(rs)) olds.push_back(rs);
  if (specTotal(olds) == 0) return false;
  const long minAvailable = du::replicas(d) - du::maxUnavailable(d);
  const long newUnavailable = du::replicas(*newRS) - du::statusCount(*newRS, "availableReplicas");
  const long maxScaledDown = specTotal(all()) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  std::sort(olds.begin(), olds.end(), createdBefore);
  long cleaned = 0;
  for (Json* rs : olds) {
    if (cleaned >= maxScaledDown) break;
    const long unhealthy = du::replicas(*rs) - du::statusCount(*rs, "availableReplicas");
    if (du::replicas(*rs) == 0 || unhealthy <= 0) continue;
    const long n = std::min(maxScaledDown - cleaned, unhealthy);
    scaleRS(*rs, du::replicas(*rs) - n);
    cleaned += n;
  }
  long scaledDown = 0;
  const long availableNow = statusTotal(all(), "availableReplicas");
  if (availableNow > minAvailable) {
    const long total = availableNow - minAvailable;
    for (Json* rs : olds) {
      if (scaledDown >= total) break;
      if (du::replicas(*rs) == 0) continue;
      const long n = std::min(du::replicas(*rs), total - scaledDown);
      scaleRS(*rs, du::replicas(*rs) - n);
      scaledDown += n;
    }
  }
  return cleaned + scaledDown > 0;
}

// rolloutRecreate (recreate.go): old ones to 0, wait for their pods, then the new one
void DeploymentSync::rolloutRecreate() {
  getAll(false);
  bool scaledDown = false;
  for (Json* rs : oldRSs)
    if (isActive(rs) && scaleRS(*rs, 0)) scaledDown = true;
  if (scaledDown || statusTotal(oldRSs, "replicas") > 0) return syncRolloutStatus();
  if (!newRS) getAll(true);
  if (newRS && du::replicas(*newRS) != du::replicas(d)) scaleRS(*newRS, du::replicas(d));
  if (du::deploymentComplete(d, d.value("status", Json::object()))) cleanup();
  syncRolloutStatus();
}

}  // namespace pmo::sandbox
