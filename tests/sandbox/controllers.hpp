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
// Deployments: status.observedGeneration follows metadata.generation at once; a changed pod
// template sets updatedReplicas to 0, and after rolloutDuration replicas, updatedReplicas,
// readyReplicas and availableReplicas equal spec.replicas with Available and Progressing
// (NewReplicaSetAvailable). spec.paused: observedGeneration follows, nothing rolls out.
// Neither controller writes when nothing changed, so a cluster at rest stays at rest.
#include <map>
#include <set>
#include <string>

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

class DeploymentController {
 public:
  DeploymentController(World& w, TaskRunner& runner);
  void install();
  void resync();

 private:
  void reconcile(const std::string& ns, const std::string& name);
  void complete(const std::string& ns, const std::string& name, long generation);
  World& w_;
  TaskRunner& runner_;
  // guarded by the store lock
  std::map<std::string, std::string> rolledTemplate_;  // ns/name -> template of the serving ReplicaSet
  std::map<std::string, long> pending_;                // ns/name -> generation being rolled out
};

// Shared by the controllers: sets a condition, keeping timestamps when nothing changed.
void setCondition(nlohmann::json& status, const std::string& type, const std::string& value, const std::string& reason,
                  const std::string& message, bool withUpdateTime = false);

}  // namespace pmo::sandbox
