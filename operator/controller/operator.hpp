#pragma once
// The operator as one object: the informers (PhaseMaintenances, Deployments, and the
// operator's own Jobs, CronJobs and Pods), the controller running PhaseReconciler, and
// optional leader election. The binary's `run` wraps it with the HTTP client, the
// Postgres recovery runner, the probe/metrics server and signal handling; tests can run
// it in-process against a fake or the sandbox.
//
// Guarantees: only the leader reconciles (the caches warm up meanwhile); losing the lease
// stops the work and is reported by leadershipLost(); stop() lets the reconcile in
// flight finish, then releases the lease.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "controller/phase_reconciler.hpp"
#include "runtime/controller.hpp"
#include "runtime/informer.hpp"
#include "runtime/leader_election.hpp"

namespace pmo::controller {

struct OperatorOptions {
  std::vector<std::string> namespaces;  // empty: all namespaces
  int workers = 2;
  std::chrono::seconds resyncPeriod{600};
  bool leaderElect = false;
  runtime::LeaderElectionOptions leaderElection;
  std::string operatorImage;
  ReconcilerMetrics metrics;
  maintenance::ImagePolicy imagePolicy;  // run --allowed-images
  runtime::ReconcileObserver* observer = nullptr;  // not owned
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
  bool leadershipLost() const { return lost_.load(); }
  runtime::Controller& controller() { return *controller_; }

 private:
  void startWork();

  kube::Client& client_;
  std::shared_ptr<runtime::Clock> clock_;
  OperatorOptions options_;
  std::unique_ptr<runtime::Informer> pms_, deployments_, jobs_, cronJobs_, pods_;
  std::unique_ptr<InformerClusterView> view_;
  std::unique_ptr<PhaseReconciler> reconciler_;
  std::unique_ptr<runtime::Controller> controller_;
  std::unique_ptr<runtime::LeaderElector> elector_;
  std::atomic<bool> working_{false};
  std::atomic<bool> lost_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace pmo::controller
