// The parts of a Deployment sync that keep ReplicaSets, revisions and status: ported from
// kubernetes/kubernetes pkg/controller/deployment (deployment_controller.go claim,
// sync.go getNewReplicaSet/calculateStatus, progress.go syncRolloutStatus), the rules not
// the code. Writes go through the store as the real controller's API calls would.
#include <cstdio>

#include "sandbox/deployment_sync.hpp"
#include "sandbox/objects.hpp"

namespace pmo::sandbox {

namespace du = deployutil;
using Json = nlohmann::json;

void DeploymentSync::event(const std::string& reason, const std::string& message) {
  static long long seq = 0;
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".%llx", static_cast<long long>(nowTp.time_since_epoch().count()) + seq++);
  Json ev = {{"metadata", {{"name", nameOf(d) + suffix}, {"namespace", metaString(d, "namespace")}}},
             {"involvedObject", {{"kind", "Deployment"}, {"namespace", metaString(d, "namespace")},
                                 {"name", nameOf(d)}, {"uid", metaString(d, "uid")}, {"apiVersion", "apps/v1"},
                                 {"resourceVersion", metaString(d, "resourceVersion")}}},
             {"reason", reason}, {"message", message}, {"source", {{"component", "deployment-controller"}}},
             {"firstTimestamp", now}, {"lastTimestamp", now}, {"count", 1}, {"type", "Normal"},
             {"eventTime", nullptr}, {"reportingComponent", "deployment-controller"}, {"reportingInstance", ""}};
  if (auto t = w.types.byKey("events")) createInternal(w, *t, ev);
}

// Writes the Deployment (status and annotations) where the real controller calls
// UpdateStatus, so watchers see the same steps; no write when nothing changed.
void DeploymentSync::commit() {
  ObjectPtr cur = w.store.find(kDeployments, metaString(d, "namespace"), nameOf(d));
  if (!cur) return;
  if (ObjectPtr out = replaceInternal(w, kDeployments, cur, d)) d = *out;
}

// Stores `next` over `rs` (an update through the API: generation follows spec changes).
void DeploymentSync::writeRS(Json& rs, Json next) {
  ObjectPtr cur = w.store.find(kReplicaSets, metaString(rs, "namespace"), nameOf(rs));
  if (!cur) return;
  if (next["spec"] != (*cur)["spec"]) next["metadata"]["generation"] = (*cur)["metadata"].value("generation", 1L) + 1;
  ObjectPtr out = replaceInternal(w, kReplicaSets, cur, std::move(next));
  if (out) rs = *out;
}

// scaleReplicaSet / scaleReplicaSetAndRecordEvent: true when the size changed.
bool DeploymentSync::scaleRS(Json& rs, long newScale, std::string op) {
  const long old = du::replicas(rs);
  if (op.empty()) {
    if (old == newScale) return false;
    op = old < newScale ? "up" : "down";
  }
  Json next = rs;
  next["spec"]["replicas"] = newScale;
  const bool annotations = du::setReplicasAnnotations(next, du::replicas(d), du::replicas(d) + du::maxSurge(d));
  if (old == newScale && !annotations) return false;
  writeRS(rs, std::move(next));
  if (old == newScale) return false;
  event("ScalingReplicaSet", "Scaled " + op + " replica set " + nameOf(rs) + " from " + std::to_string(old) +
                                 " to " + std::to_string(newScale));
  return true;
}

// NewRSNewReplicas
long DeploymentSync::newRSNewReplicas(const Json& rs) {
  if (!du::isRollingUpdate(d)) return du::replicas(d);
  const long current = specTotal(all()) + (newRS ? 0 : du::replicas(rs));
  const long maxTotal = du::replicas(d) + du::maxSurge(d);
  if (current >= maxTotal) return du::replicas(rs);
  return du::replicas(rs) + std::min(maxTotal - current, du::replicas(d) - du::replicas(rs));
}

void DeploymentSync::setProgressing(const std::string& status, const std::string& reason, const std::string& message) {
  du::setCondition(d["status"], du::newCondition("Progressing", status, reason, message, now));
}

// ClaimReplicaSets: the ones it controls, and orphans its selector matches (adopted).
void DeploymentSync::claim() {
  const std::string uid = metaString(d, "uid");
  const Json selector = d["spec"].value("selector", Json());
  const bool deleting = d["metadata"].contains("deletionTimestamp");
  for (const auto& rs : w.store.list(kReplicaSets, metaString(d, "namespace"))) {
    std::string controller;
    for (const auto& r : (*rs)["metadata"].value("ownerReferences", Json::array()))
      if (r.value("controller", false)) controller = r.value("uid", "");
    if (controller == uid) {
      owned.push_back(*rs);
    } else if (controller.empty() && !deleting && !(*rs)["metadata"].contains("deletionTimestamp") &&
               du::selectorMatches(selector, (*rs)["metadata"].value("labels", Json::object()))) {
      Json next = *rs;
      next["metadata"]["ownerReferences"].push_back({{"apiVersion", "apps/v1"}, {"kind", "Deployment"},
                                                     {"name", nameOf(d)}, {"uid", uid}, {"controller", true},
                                                     {"blockOwnerDeletion", true}});
      owned.push_back(next);
      writeRS(owned.back(), next);
    }
  }
}

// getAllReplicaSetsAndSyncRevision (+ getNewReplicaSet)
void DeploymentSync::getAll(bool create) {
  std::vector<Json*> sorted;
  for (auto& rs : owned) sorted.push_back(&rs);
  std::sort(sorted.begin(), sorted.end(), createdBefore);
  newRS = nullptr;
  oldRSs.clear();
  for (Json* rs : sorted) {
    if (!newRS && du::equalIgnoreHash((*rs)["spec"].value("template", Json()), d["spec"].value("template", Json())))
      newRS = rs;
    else
      oldRSs.push_back(rs);
  }
  long maxOld = 0;
  for (Json* rs : oldRSs) maxOld = std::max(maxOld, du::revision(*rs));
  const long newRevision = maxOld + 1;
  if (newRS) {
    Json next = *newRS;
    bool changed = du::setNewReplicaSetAnnotations(d, next, newRevision, true);
    const Json minReady = d["spec"].value("minReadySeconds", Json(0));
    if (next["spec"].value("minReadySeconds", Json(0)) != minReady) {
      next["spec"]["minReadySeconds"] = minReady;
      changed = true;
    }
    if (changed) writeRS(*newRS, std::move(next));
    du::setDeploymentRevision(d, du::annotation(*newRS, du::kRevision));
    if (du::hasProgressDeadline(d) && du::getCondition(d["status"], "Progressing").is_null())
      setProgressing("True", "FoundNewReplicaSet", "Found new replica set \"" + nameOf(*newRS) + "\"");
    commit();
    return;
  }
  if (!create) return;
  Json tmpl = d["spec"].value("template", Json::object());
  const long collisions = du::statusCount(d, "collisionCount");
  Json hashed = tmpl;
  if (collisions > 0) hashed["collisionCount"] = collisions;
  const std::string hash = du::podTemplateHash(hashed);
  tmpl["metadata"]["labels"][du::kHashLabel] = hash;
  Json selector = d["spec"].value("selector", Json::object());
  selector["matchLabels"][du::kHashLabel] = hash;
  const std::string name = nameOf(d) + "-" + hash;
  const std::string ns = metaString(d, "namespace");
  if (w.store.find(kReplicaSets, ns, name)) {  // someone else's: hash again next time
    d["status"]["collisionCount"] = collisions + 1;
    return;
  }
  Json rs = {{"metadata",
              {{"name", name}, {"namespace", ns}, {"labels", tmpl["metadata"]["labels"]},
               {"ownerReferences", {{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", nameOf(d)},
                                     {"uid", metaString(d, "uid")}, {"controller", true},
                                     {"blockOwnerDeletion", true}}}}}},
             {"spec", {{"replicas", 0}, {"selector", selector}, {"template", tmpl}}},
             {"status", {{"replicas", 0}}}};
  if (d["spec"].value("minReadySeconds", 0L) > 0) rs["spec"]["minReadySeconds"] = d["spec"]["minReadySeconds"];
  rs["spec"]["replicas"] = newRSNewReplicas(rs);
  du::setNewReplicaSetAnnotations(d, rs, newRevision, false);
  auto rsType = w.types.byKey(kReplicaSets);
  owned.push_back(*createInternal(w, *rsType, rs));
  newRS = &owned.back();
  if (du::replicas(*newRS) > 0)
    event("ScalingReplicaSet", "Scaled up replica set " + name + " from 0 to " + std::to_string(du::replicas(*newRS)));
  du::setDeploymentRevision(d, std::to_string(newRevision));
  if (du::hasProgressDeadline(d)) setProgressing("True", "NewReplicaSetCreated", "Created new replica set \"" + name + "\"");
  commit();
}

// calculateStatus (sync.go)
Json DeploymentSync::calculateStatus() {
  const std::vector<Json*> rss = all();
  const long available = statusTotal(rss, "availableReplicas");
  Json s = d.value("status", Json::object());
  auto set = [&](const char* f, long v) {
    if (v == 0) s.erase(f);
    else s[f] = v;
  };
  set("observedGeneration", d["metadata"].value("generation", 0L));
  set("replicas", statusTotal(rss, "replicas"));
  set("updatedReplicas", newRS ? du::statusCount(*newRS, "replicas") : 0);
  set("readyReplicas", statusTotal(rss, "readyReplicas"));
  set("availableReplicas", available);
  set("unavailableReplicas", std::max(0L, specTotal(rss) - available));
  if (available >= du::replicas(d) - du::maxUnavailable(d))
    du::setCondition(s, du::newCondition("Available", "True", "MinimumReplicasAvailable",
                                         "Deployment has minimum availability.", now));
  else
    du::setCondition(s, du::newCondition("Available", "False", "MinimumReplicasUnavailable",
                                         "Deployment does not have minimum availability.", now));
  return s;
}

// syncRolloutStatus (progress.go), with requeueStuckDeployment's recheck time
void DeploymentSync::syncRolloutStatus() {
  Json s = calculateStatus();
  if (!du::hasProgressDeadline(d)) du::removeCondition(s, "Progressing");
  const Json current = du::getCondition(d["status"], "Progressing");
  const bool complete = s.value("replicas", 0L) == s.value("updatedReplicas", 0L) && !current.is_null() &&
                        current.value("reason", "") == "NewReplicaSetAvailable";
  const std::string rsPart = newRS ? "ReplicaSet \"" + nameOf(*newRS) + "\"" : "Deployment \"" + nameOf(d) + "\"";
  if (du::hasProgressDeadline(d) && !complete) {
    if (du::deploymentComplete(d, s)) {
      du::setCondition(s, du::newCondition("Progressing", "True", "NewReplicaSetAvailable",
                                           rsPart + " has successfully progressed.", now));
    } else if (du::deploymentProgressing(d, s)) {
      Json c = du::newCondition("Progressing", "True", "ReplicaSetUpdated", rsPart + " is progressing.", now);
      if (!current.is_null()) {
        if (current.value("status", "") == "True") c["lastTransitionTime"] = current["lastTransitionTime"];
        du::removeCondition(s, "Progressing");
      }
      du::setCondition(s, c);
    } else if (du::deploymentTimedOut(d, s, nowTp)) {
      du::setCondition(s, du::newCondition("Progressing", "False", "ProgressDeadlineExceeded",
                                           rsPart + " has timed out progressing.", now));
    }
  }
  du::removeCondition(s, "ReplicaFailure");
  const Json progressing = du::getCondition(s, "Progressing");
  if (du::hasProgressDeadline(d) && !progressing.is_null() && !du::deploymentComplete(d, s) &&
      progressing.value("reason", "") != "ProgressDeadlineExceeded")
    recheckAt = du::progressDeadline(d, progressing) + std::chrono::seconds(1);
  d["status"] = s;
}

void DeploymentSync::checkPausedConditions() {
  if (!du::hasProgressDeadline(d)) return;
  const Json c = du::getCondition(d["status"], "Progressing");
  if (!c.is_null() && c.value("reason", "") == "ProgressDeadlineExceeded") return;
  const bool pausedCondition = !c.is_null() && c.value("reason", "") == "DeploymentPaused";
  const bool paused = d["spec"].value("paused", false);
  if (paused && !pausedCondition) setProgressing("Unknown", "DeploymentPaused", "Deployment is paused");
  else if (!paused && pausedCondition) setProgressing("Unknown", "DeploymentResumed", "Deployment is resumed");
  commit();
}

}  // namespace pmo::sandbox
