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
// - Likewise, while a Deployment the PhaseMaintenance names is cached at a version one of
//   the operator's own writes replaced (DeploymentWriteLedger), the key waits for that
//   Deployment's watch event instead of planning the same write again from it.
// - A status write that meets a Conflict re-reads the object and plans again (bounded);
//   every version its writes replaced, the re-read ones included, is in the guard above.
// - Events are posted only after the status write that records their fact succeeded.
// - One owner per Deployment (ownership.hpp): a second PhaseMaintenance naming a claimed
//   Deployment reports Conflict and writes nothing else.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/action_executor.hpp"
#include "controller/cluster_view.hpp"
#include "controller/deployment_write_ledger.hpp"
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
  explicit PhaseReconciler(ReconcilerDeps deps)
      : ledger_(deps.client, deps.view, deps.clock, kOwnDeploymentWriteWait), d_(withLedger(std::move(deps))) {}
  runtime::ReconcileResult reconcile(const std::string& key);

 private:
  runtime::ReconcileResult reconcileFresh(const std::string& key, const nlohmann::json& pm);
  // After the status write: the Events of the facts it recorded, the writes that must
  // follow it (deletion), and the outcome.
  // The object as the API server has it now; nullopt when it is gone.
  std::optional<nlohmann::json> readFresh(const nlohmann::json& pm);
  runtime::ReconcileResult finish(const nlohmann::json& pm, Acted acted);
  // True while the cached object is still a version that a reconcile's own writes have
  // superseded (bounded: after kOwnWriteWait the cache is trusted again).
  bool ownWriteUnseen(const std::string& key, const std::string& cachedVersion);
  void rememberOwnWrite(const std::string& key, std::vector<std::string> superseded);

  // Bounds the wait for the cache to show an own Deployment write (DeploymentWriteLedger).
  static constexpr std::chrono::milliseconds kOwnDeploymentWriteWait{5000};
  ReconcilerDeps withLedger(ReconcilerDeps deps) {
    return ReconcilerDeps{ledger_,          deps.view,  deps.events,  deps.recoveries, std::move(deps.clock),
                          std::move(deps.operatorImage), std::move(deps.metrics), std::move(deps.imagePolicy)};
  }
  // True while a Deployment this PhaseMaintenance names is cached at a version an own
  // write replaced: its watch event will wake the key.
  bool ownDeploymentWriteUnseen(const nlohmann::json& pm);

  DeploymentWriteLedger ledger_;  // every write goes through it (d_.client)
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
