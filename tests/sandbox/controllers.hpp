#pragma once
// Simulated controllers, switchable at run time (World::jobsEnabled, deploymentsEnabled).
//
// Jobs: a new (unsuspended) Job gets a Pod <job>-xxxxx at once (Running; labels job-name,
// controller-uid; owner reference) and status startTime/active=1; after its JobBehaviour
// duration the Pod terminates (containerStatuses[].state.terminated with exitCode, reason
// and the behaviour's terminationMessage; pods/log serves behaviour.log) and the Job gets
// succeeded=1 and Complete, or failed=1 and Failed with the behaviour's reason. A Job owned
// by a CronJob updates the CronJob's active list and lastSuccessfulTime, and the CronJob's
// history limits are applied.
// Deployments (deployment_controller.cpp): the real controller's algorithm
// (pkg/controller/deployment): owned ReplicaSets <deployment>-<pod-template-hash> with
// revisions, rolling updates bounded by maxSurge/maxUnavailable, Recreate, proportional
// scaling (also while paused), rollback by template, revision history pruning, Progressing
// and Available conditions with ProgressDeadlineExceeded, ScalingReplicaSet Events.
// ReplicaSets (replicaset_controller.cpp): status follows spec.replicas with Pod objects that
// become ready after the DeploymentBehaviour's readyAfter (default Options::rolloutDuration),
// never when `stuck`, and, when their template has the schema gate, only once the namespace's
// schema has their version (pod_schema.hpp); scale-down removes unready pods first.
// HorizontalPodAutoscalers (hpa_controller.cpp): set their target's replicas within
// [minReplicas, maxReplicas].
// No controller writes when nothing changed, so a cluster at rest stays at rest.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sandbox/task_runner.hpp"
#include "sandbox/world.hpp"

namespace pmo::sandbox {

class JobController {
 public:
  JobController(World& w, TaskRunner& runner);
  void install();  // registers the store listener
  void resync();   // picks up Jobs created while disabled
  // Creates a Job from the CronJob's jobTemplate now; returns the Job's name. Throws ApiError.
  std::string triggerCronJob(const std::string& ns, const std::string& name);

 private:
  void start(const std::string& ns, const std::string& name, const std::string& uid);
  void finish(const std::string& ns, const std::string& name, const std::string& uid, const std::string& pod,
              const JobBehaviour& b);
  void updateCronJob(const nlohmann::json& job, bool succeeded, const std::string& completionTime);
  World& w_;
  TaskRunner& runner_;
  std::set<std::string> started_;  // job uids, guarded by the store lock
};

class ReplicaSetController {
 public:
  ReplicaSetController(World& w, TaskRunner& runner);
  void install();
  void resync();
  void behaviourChanged();  // pods not ready yet follow the new DeploymentBehaviour
  void schemaChanged(const std::string& ns);  // gated pods look at the schema again; needs the store lock

 private:
  struct SimPod {
    std::string name;
    std::chrono::system_clock::time_point readyAt;  // max(): never (stuck, or gated)
    bool gated = false;                             // still waiting in the schema gate
    bool probing = false;                           // running, its schema startup probe not passed yet
  };
  void enqueue(const std::string& ns, const std::string& name);
  void sync(const std::string& ns, const std::string& name);
  std::vector<SimPod> adopt(const nlohmann::json& rs, std::chrono::system_clock::time_point now,
                            const DeploymentBehaviour& b);
  DeploymentBehaviour behaviourOf(const nlohmann::json& rs) const;
  World& w_;
  TaskRunner& runner_;
  // guarded by the store lock
  std::set<std::string> queued_;                       // ns/name
  std::map<std::string, std::vector<SimPod>> pods_;    // rs uid -> its pods
};

class HpaController {
 public:
  HpaController(World& w, TaskRunner& runner);
  void install();
  void resync();
  void recommendationChanged(const std::string& ns, const std::string& name);

 private:
  void enqueue(const std::string& ns, const std::string& name);
  void sync(const std::string& ns, const std::string& name);
  World& w_;
  TaskRunner& runner_;
  std::set<std::string> queued_;  // ns/name, guarded by the store lock
};

class DeploymentController {
 public:
  DeploymentController(World& w, TaskRunner& runner);
  void install();
  void resync();

 private:
  void enqueue(const std::string& ns, const std::string& name);
  void enqueueNamespace(const std::string& ns);  // an orphaned ReplicaSet: any Deployment may adopt it
  void sync(const std::string& ns, const std::string& name);
  World& w_;
  TaskRunner& runner_;
  // guarded by the store lock
  std::set<std::string> queued_;  // ns/name
  std::map<std::string, std::chrono::system_clock::time_point> recheck_;  // ns/name -> progress check due
};

// Shared by the controllers: sets a condition, keeping timestamps when nothing changed.
void setCondition(nlohmann::json& status, const std::string& type, const std::string& value, const std::string& reason,
                  const std::string& message, bool withUpdateTime = false);

}  // namespace pmo::sandbox
