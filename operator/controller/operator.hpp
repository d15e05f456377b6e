#pragma once
// The operator as one object: the informers (PhaseMaintenances, Deployments, and the
// operator's own Jobs, CronJobs and Pods), the controller running PhaseReconciler, and
// optional leader election. The binary's `run` wraps it with the HTTP client, the
// Postgres recovery runner, the probe/metrics server and signal handling; tests can run
// it in-process against a fake or the sandbox.
//
// Guarantees: only the leader reconciles (the caches warm up meanwhile). With leader
// election every write of the reconciler (API writes and Events) goes through a fence
// that asks the elector's deadline-based isLeader() first, so the moment leadership ends
// no further write is sent, even by a reconcile in flight; the work queue then stops
// handing out keys and leadershipLost() reports it (the binary exits and restarts as a
// follower). stop() lets the reconcile in flight finish, then releases the lease.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "controller/phase_reconciler.hpp"
#include "controller/recovery_executor.hpp"
#include "runtime/controller.hpp"
#include "runtime/fenced_client.hpp"
#include "runtime/informer.hpp"
#include "runtime/leader_election.hpp"

namespace pmo::controller {

struct OperatorOptions {
  std::vector<std::string> namespaces;  // empty: all namespaces
  int workers = 2;
  std::chrono::seconds resyncPeriod{600};
  bool leaderElect = false;
  runtime::LeaderElectionOptions leaderElection;
  // The elector's own client (a request timeout below renewDeadline, no client-side
  // throttling or 429 retries); null: the operator's client.
  kube::Client* leaseClient = nullptr;
  std::string operatorImage;
  ReconcilerMetrics metrics;
  maintenance::ImagePolicy imagePolicy;  // run --allowed-images
  runtime::ReconcileObserver* observer = nullptr;  // not owned
  RecoveryExecutorOptions recoveryExecutor;
  std::function<void(bool leading)> onLeadership;  // metrics: leader gauge
};

class Operator {
 public:
  Operator(kube::Client& client, EventSink& events, RecoveryRunner& recoveries, std::shared_ptr<runtime::Clock> clock,
           OperatorOptions options);
  ~Operator();
  Operator(const Operator&) = delete;
  Operator& operator=(const Operator&) = delete;

  void start();
  void stop();

  bool ready() const;  // caches synced
  bool healthy(std::chrono::seconds bound) const;  // worker loop alive (or not leading)
  bool leading() const;
  // True once leadership ended: the elector said so, or its renew deadline passed while
  // its renewal is still in flight.
  bool leadershipLost() const;
  // Whether this replica may write now (always without leader election).
  bool mayWrite() const;
  runtime::Controller& controller() { return *controller_; }

 private:
  void startWork();

  kube::Client& client_;
  std::unique_ptr<kube::Client> fenced_;
  std::unique_ptr<EventSink> fencedEvents_;
  std::shared_ptr<runtime::Clock> clock_;
  OperatorOptions options_;
  std::unique_ptr<runtime::Informer> pms_, deployments_, jobs_, cronJobs_, pods_;
  std::unique_ptr<InformerClusterView> view_;
  std::unique_ptr<RecoveryExecutor> recoveryExecutor_;  // the database work, off the workers
  std::unique_ptr<PhaseReconciler> reconciler_;
  std::unique_ptr<runtime::Controller> controller_;
  std::unique_ptr<runtime::LeaderElector> elector_;
  std::atomic<bool> working_{false};
  std::atomic<bool> lost_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace pmo::controller
