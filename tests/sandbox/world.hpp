#pragma once
// Everything the sandbox's handlers, controllers and garbage collector share.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sandbox/pod_schema.hpp"
#include "sandbox/resource_types.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/store.hpp"

namespace pmo::sandbox {

struct FaultState {
  int remaining = 0;
  int code = 500;
  std::string reason = "InternalError";
  int retryAfterSeconds = 0;
  std::string verb, resource;  // only requests with this verb / resource ("" = any) fail
  std::chrono::milliseconds delay{0};
  // Delays of some requests only: by user, verb and resource ("" = any); the longest
  // matching one (or `delay`) applies.
  struct TargetedDelay {
    std::string user, verb, resource;
    std::chrono::milliseconds delay{0};
  };
  std::vector<TargetedDelay> targetedDelays;
};

inline constexpr size_t kMaxRequestRecords = 500000;

// A ServiceAccount token the sandbox issued (authn.cpp).
struct IssuedToken {
  std::string ns, name, uid;  // the ServiceAccount; a recreated one (new uid) does not match
  std::string credentialId;   // the token's jti
  std::vector<std::string> audiences;
  std::chrono::system_clock::time_point expiry;
};

struct World {
  explicit World(Options o) : options(std::move(o)), store(options.historyLimit) {
    jobsEnabled = options.simulateJobs;
    deploymentsEnabled = options.simulateDeployments;
  }
  Options options;
  TypeRegistry types;
  Store store;

  std::mutex faultMutex;
  FaultState faults;

  mutable std::mutex requestMutex;
  std::deque<RequestRecord> requests;  // the newest kMaxRequestRecords

  std::mutex tokenMutex;
  std::map<std::string, IssuedToken> tokens;  // by token

  std::atomic<bool> jobsEnabled{true};
  std::atomic<bool> deploymentsEnabled{true};
  std::mutex behaviourMutex;
  std::map<std::string, JobBehaviour> behaviours;  // by Job name prefix
  JobBehaviour behaviourFor(const std::string& jobName);
  std::map<std::string, DeploymentBehaviour> deploymentBehaviours;  // by Deployment name prefix
  DeploymentBehaviour deploymentBehaviourFor(const std::string& deploymentName);

  // guarded by the store lock
  std::map<std::string, std::string> podLogs;  // "ns/name" -> log
  SchemaModel schema;                          // each namespace's Phase schema (pod_schema.hpp)
  std::map<std::string, long> hpaRecommendations;  // "ns/name" -> replicas the metrics call for
  bool gcDirty = false;
  std::condition_variable gcWake;  // waits with the store mutex

  std::atomic<bool> stopping{false};  // set by Server::stop(): watches end
  std::string url;  // set at start: "https://127.0.0.1:PORT"
};

inline JobBehaviour World::behaviourFor(const std::string& jobName) {
  std::lock_guard<std::mutex> lock(behaviourMutex);
  const JobBehaviour* best = nullptr;
  size_t bestLen = 0;
  for (const auto& [prefix, b] : behaviours)
    if (jobName.compare(0, prefix.size(), prefix) == 0 && (!best || prefix.size() >= bestLen)) {
      best = &b;
      bestLen = prefix.size();
    }
  JobBehaviour out = best ? *best : JobBehaviour{};
  if (out.duration.count() < 0) out.duration = options.jobDuration;
  return out;
}

inline DeploymentBehaviour World::deploymentBehaviourFor(const std::string& name) {
  std::lock_guard<std::mutex> lock(behaviourMutex);
  DeploymentBehaviour out;
  size_t bestLen = 0;
  bool found = false;
  for (const auto& [prefix, b] : deploymentBehaviours)
    if (name.compare(0, prefix.size(), prefix) == 0 && (!found || prefix.size() >= bestLen)) {
      out = b;
      bestLen = prefix.size();
      found = true;
    }
  if (out.readyAfter.count() < 0) out.readyAfter = options.rolloutDuration;
  return out;
}

}  // namespace pmo::sandbox
