// The simulated Deployment controller: kubernetes/kubernetes pkg/controller/deployment
// (deployment_controller.go syncDeployment, sync.go, rolling.go, recreate.go, progress.go)
// ported on the sandbox's JSON objects. One sync reads the Deployment and the ReplicaSets
// it controls (adopting orphans its selector matches), acts as the real one would, and
// writes the Deployment once (status, and the revision annotation the real controller
// sets through UpdateStatus) only when something changed: at rest, nothing is written.
// Left out: pod objects (replicaset_controller.cpp counts them), hash collisions beyond a
// collisionCount bump, the extensions/v1beta1 rollbackTo annotation.
#include <functional>
#include <list>
#include <optional>

#include "sandbox/controllers.hpp"
#include "sandbox/deployment_util.hpp"
#include "sandbox/objects.hpp"

namespace pmo::sandbox {

namespace {

namespace du = deployutil;
using Json = nlohmann::json;
const std::string kDeployments = "apps/deployments";
const std::string kReplicaSets = "apps/replicasets";

bool isActive(const Json* rs) { return rs && du::replicas(*rs) > 0; }
std::string nameOf(const Json& o) { return metaString(o, "name"); }

// controller.ReplicaSetsByCreationTimestamp
bool createdBefore(const Json* a, const Json* b) {
  const std::string ta = metaString(*a, "creationTimestamp"), tb = metaString(*b, "creationTimestamp");
  return ta != tb ? ta < tb : nameOf(*a) < nameOf(*b);
}

long sum(const std::vector<Json*>& rss, const std::function<long(const Json&)>& f) {
  long n = 0;
  for (const Json* rs : rss)
    if (rs) n += f(*rs);
  return n;
}
long specTotal(const std::vector<Json*>& rss) { return sum(rss, [](const Json& r) { return du::replicas(r); }); }
long statusTotal(const std::vector<Json*>& rss, const char* field) {
  return sum(rss, [field](const Json& r) { return du::statusCount(r, field); });
}

// One sync of one Deployment: the working copies and the writes they make.
struct Sync {
  Sync(World& world, Json deployment) : w(world), d(std::move(deployment)) {}
  World& w;
  Json d;                 // written back once at the end when changed
  std::list<Json> owned;  // the ReplicaSets it controls (stable addresses)
  Json* newRS = nullptr;
  std::vector<Json*> oldRSs;
  std::chrono::system_clock::time_point nowTp = std::chrono::system_clock::now();
  std::string now = du::rfc3339(nowTp);
  std::optional<std::chrono::system_clock::time_point> recheckAt;  // requeueStuckDeployment

  std::vector<Json*> all() {
    std::vector<Json*> v = oldRSs;
    if (newRS) v.push_back(newRS);
    return v;
  }

  void event(const std::string& reason, const std::string& message) {
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
  void commit() {
    ObjectPtr cur = w.store.find(kDeployments, metaString(d, "namespace"), nameOf(d));
    if (!cur) return;
    if (ObjectPtr out = replaceInternal(w, kDeployments, cur, d)) d = *out;
  }

  // Stores `next` over `rs` (an update through the API: generation follows spec changes).
  void writeRS(Json& rs, Json next) {
    ObjectPtr cur = w.store.find(kReplicaSets, metaString(rs, "namespace"), nameOf(rs));
    if (!cur) return;
    if (next["spec"] != (*cur)["spec"]) next["metadata"]["generation"] = (*cur)["metadata"].value("generation", 1L) + 1;
    ObjectPtr out = replaceInternal(w, kReplicaSets, cur, std::move(next));
    if (out) rs = *out;
  }

  // scaleReplicaSet / scaleReplicaSetAndRecordEvent: true when the size changed.
  bool scaleRS(Json& rs, long newScale, std::string op = "") {
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
  long newRSNewReplicas(const Json& rs) {
    if (!du::isRollingUpdate(d)) return du::replicas(d);
    const long current = specTotal(all()) + (newRS ? 0 : du::replicas(rs));
    const long maxTotal = du::replicas(d) + du::maxSurge(d);
    if (current >= maxTotal) return du::replicas(rs);
    return du::replicas(rs) + std::min(maxTotal - current, du::replicas(d) - du::replicas(rs));
  }

  void setProgressing(const std::string& status, const std::string& reason, const std::string& message) {
    du::setCondition(d["status"], du::newCondition("Progressing", status, reason, message, now));
  }

  // ClaimReplicaSets: the ones it controls, and orphans its selector matches (adopted).
  void claim() {
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
  void getAll(bool create) {
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
  Json calculateStatus() {
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
  void syncRolloutStatus() {
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

  // cleanupDeployment: old ReplicaSets beyond revisionHistoryLimit, oldest revision first
  void cleanup() {
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
  void scale() {
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

  bool isScalingEvent() {
    getAll(false);
    for (Json* rs : all()) {
      if (!isActive(rs)) continue;
      const std::string desired = du::annotation(*rs, du::kDesiredReplicas);
      if (!desired.empty() && desired != std::to_string(du::replicas(d))) return true;
    }
    return false;
  }

  void checkPausedConditions() {
    if (!du::hasProgressDeadline(d)) return;
    const Json c = du::getCondition(d["status"], "Progressing");
    if (!c.is_null() && c.value("reason", "") == "ProgressDeadlineExceeded") return;
    const bool pausedCondition = !c.is_null() && c.value("reason", "") == "DeploymentPaused";
    const bool paused = d["spec"].value("paused", false);
    if (paused && !pausedCondition) setProgressing("Unknown", "DeploymentPaused", "Deployment is paused");
    else if (!paused && pausedCondition) setProgressing("Unknown", "DeploymentResumed", "Deployment is resumed");
    commit();
  }

  // sync (sync.go): paused or scaling
  void syncScaling() {
    getAll(false);
    scale();
    if (d["spec"].value("paused", false)) cleanup();
    d["status"] = calculateStatus();
  }

  // rolloutRolling (rolling.go)
  void rolloutRolling() {
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
  bool reconcileOld() {
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
  void rolloutRecreate() {
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
};

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
  Sync s(w_, *current);
  if (!s.d.contains("status") || !s.d["status"].is_object()) s.d["status"] = Json::object();
  s.claim();
  if (s.d["metadata"].contains("deletionTimestamp")) {
    s.getAll(false);
    s.d["status"] = s.calculateStatus();
  } else {
    s.checkPausedConditions();
    if (s.d["spec"].value("paused", false) || s.isScalingEvent()) s.syncScaling();
    else if (du::isRollingUpdate(s.d)) s.rolloutRolling();
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
