#pragma once
// One sync of one Deployment by the simulated Deployment controller
// (deployment_controller.cpp): the working copies of the Deployment and the ReplicaSets it
// controls, and the steps of kubernetes' pkg/controller/deployment on them. Requires the
// store lock for its whole life. deployment_sync.cpp: ReplicaSets, revisions and status
// (sync.go, progress.go); deployment_rollout.cpp: rolling, recreate, scaling, cleanup
// (rolling.go, recreate.go, sync.go).
#include <chrono>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "runtime/time_format.hpp"
#include "sandbox/deployment_util.hpp"
#include "sandbox/world.hpp"

namespace pmo::sandbox {

// Store keys of the kinds the Deployment controller reads and writes.
inline const std::string kDeployments = "apps/deployments";
inline const std::string kReplicaSets = "apps/replicasets";

struct DeploymentSync {
  using Json = nlohmann::json;
  DeploymentSync(World& world, Json deployment) : w(world), d(std::move(deployment)) {}
  World& w;
  Json d;                 // written back by commit()
  std::list<Json> owned;  // the ReplicaSets it controls (stable addresses)
  Json* newRS = nullptr;  // the one whose template is the Deployment's
  std::vector<Json*> oldRSs;
  std::chrono::system_clock::time_point nowTp = std::chrono::system_clock::now();
  std::string now = runtime::formatTime(nowTp);
  std::optional<std::chrono::system_clock::time_point> recheckAt;  // requeueStuckDeployment

  // The helpers of the steps below, on ReplicaSets (deployment_util.go, controller_utils.go).
  static std::string nameOf(const Json& o) { return metaString(o, "name"); }
  // controller.ReplicaSetsByCreationTimestamp
  static bool createdBefore(const Json* a, const Json* b) {
    const std::string ta = metaString(*a, "creationTimestamp"), tb = metaString(*b, "creationTimestamp");
    return ta != tb ? ta < tb : metaString(*a, "name") < metaString(*b, "name");
  }
  static bool isActive(const Json* rs) { return rs && deployutil::replicas(*rs) > 0; }
  // GetReplicaCountForReplicaSets (spec) and the status sums
  static long specTotal(const std::vector<Json*>& rss) {
    long n = 0;
    for (const auto* rs : rss)
      if (rs) n += deployutil::replicas(*rs);
    return n;
  }
  static long statusTotal(const std::vector<Json*>& rss, const char* field) {
    long n = 0;
    for (const auto* rs : rss)
      if (rs) n += deployutil::statusCount(*rs, field);
    return n;
  }

  std::vector<Json*> all() {
    std::vector<Json*> v = oldRSs;
    if (newRS) v.push_back(newRS);
    return v;
  }

  // A core/v1 Event on the Deployment from "deployment-controller" (ScalingReplicaSet).
  void event(const std::string& reason, const std::string& message);
  // Writes the Deployment (status and annotations) where the real controller calls
  // UpdateStatus, so watchers see the same steps; no write when nothing changed.
  void commit();
  // Stores `next` over `rs` (an update through the API: generation follows spec changes).
  void writeRS(Json& rs, Json next);
  // scaleReplicaSet / scaleReplicaSetAndRecordEvent: true when the size changed.
  bool scaleRS(Json& rs, long newScale, std::string op = "");
  // NewRSNewReplicas
  long newRSNewReplicas(const Json& rs);
  // The Progressing condition as SetDeploymentCondition sets it.
  void setProgressing(const std::string& status, const std::string& reason, const std::string& message);
  // ClaimReplicaSets: the ones it controls, and orphans its selector matches (adopted).
  void claim();
  // getAllReplicaSetsAndSyncRevision (+ getNewReplicaSet)
  void getAll(bool create);
  // calculateStatus (sync.go)
  Json calculateStatus();
  // syncRolloutStatus (progress.go), with requeueStuckDeployment's recheck time
  void syncRolloutStatus();
  // checkPausedConditions: DeploymentPaused / DeploymentResumed, written at once.
  void checkPausedConditions();

  // cleanupDeployment: old ReplicaSets beyond revisionHistoryLimit, oldest revision first
  void cleanup();
  // scale (sync.go): a scaling event, or a paused Deployment's replicas
  void scale();
  // isScalingEvent: an active ReplicaSet's desired-replicas differs from spec.replicas.
  bool isScalingEvent();
  // sync (sync.go): paused or scaling
  void syncScaling();
  // rolloutRolling (rolling.go)
  void rolloutRolling();
  // reconcileOldReplicaSets: unhealthy old replicas first, then within maxUnavailable
  bool reconcileOld();
  // rolloutRecreate (recreate.go): old ones to 0, wait for their pods, then the new one
  void rolloutRecreate();
};

}  // namespace pmo::sandbox
