#pragma once
// The PhaseMaintenance reconciler: reads the caches into maintenance::Observed, runs the
// pure planners (migration, audit-log CronJobs, recoveries), executes their actions and
// writes the status — once, and only when it changed.
//
// Guarantees:
// - Level-based and restart-safe: everything is derived from the caches and the status;
//   children have deterministic names, so a restarted operator finds what it made.
// - Quiet at rest: with nothing to do it sends no request at all (no status write, no
//   Secret read, no Event).
// - A bad spec is reported (SpecValid=False naming the field and the fix) and returned as
//   a terminal outcome: not retried until the object changes. Never a crash, never a hot loop.
// - One path: observe -> act -> write the status once -> finish (reconcile_path.hpp), and
//   one outcome (runtime::ReconcileResult) returned from one place; failures already
//   recorded in status come back as ReconcileResult::backoff, not as exceptions.
//   An image outside the admin's policy (imagePolicy) makes the spec invalid the same way:
//   no child is written, no recovery runs.
// - suspend: true changes nothing but the status.
// - Never plans on a state it has itself moved past: after a reconcile that wrote to the
//   PhaseMaintenance, the key waits (briefly, then requeues) until the cache shows a
//   newer version than the one that reconcile started from, so a child's watch event
//   that arrives first cannot make it redo (and re-announce) the step it just took.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/action_executor.hpp"
#include "controller/cluster_view.hpp"
#include "controller/recovery_runner.hpp"
#include "kube/client.hpp"
#include "maintenance/spec/image_policy.hpp"
#include "runtime/clock.hpp"
#include "runtime/controller.hpp"

namespace pmo::controller {

struct Acted;

// What the reconciler counts (Prometheus counters in the operator; no-ops in tests).
struct ReconcilerMetrics {
  std::function<void(const std::string& result)> migrationFinished;  // Succeeded|Failed|DowngradeRefused
  std::function<void(long long rows)> rowsPurged;
  std::function<void(long long bytes)> bytesReclaimed;
};

struct ReconcilerDeps {
  kube::Client& client;        // writes, and Secret reads (never cached)
  const ClusterView& view;     // reads
  EventSink& events;
  RecoveryRunner& recoveries;  // break-glass work against Postgres
  std::shared_ptr<runtime::Clock> clock;
  std::string operatorImage;   // the image CronJobs run unless spec.operatorImage is set
  ReconcilerMetrics metrics;
  maintenance::ImagePolicy imagePolicy;  // run --allowed-images: outside it the spec is invalid
};

class PhaseReconciler {
 public:
  explicit PhaseReconciler(ReconcilerDeps deps) : d_(std::move(deps)) {}
  runtime::ReconcileResult reconcile(const std::string& key);

 private:
  runtime::ReconcileResult reconcileFresh(const std::string& key, const nlohmann::json& pm);
  // After the status write: the Events of the facts it recorded, the writes that must
  // follow it (deletion), and the outcome.
  runtime::ReconcileResult finish(const nlohmann::json& pm, Acted acted);
  // True while the cached object is still a version that a reconcile's own writes have
  // superseded (bounded: after kOwnWriteWait the cache is trusted again).
  bool ownWriteUnseen(const std::string& key, const std::string& cachedVersion);
  void rememberOwnWrite(const std::string& key, std::vector<std::string> superseded);

  ReconcilerDeps d_;
  struct Unseen {
    std::vector<std::string> superseded;
    runtime::Clock::TimePoint at;
  };
  std::mutex unseenMu_;
  std::unordered_map<std::string, Unseen> unseen_;
};

// The keys of the PhaseMaintenances (of `pmsInNamespace`) that name `deployment` as their
// backend or worker: the mapper that makes a Deployment change wake its owner.
std::vector<std::string> keysNamingDeployment(const std::vector<nlohmann::json>& pmsInNamespace,
                                              const nlohmann::json& deployment);

}  // namespace pmo::controller
