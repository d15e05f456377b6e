#include "controller/operator.hpp"

#include "common/log.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/migration/deployment_state.hpp"
#include "runtime/store.hpp"

namespace pmo::controller {
namespace {

namespace labels = maintenance::labels;

runtime::InformerOptions informerFor(const kube::Resource& r, const OperatorOptions& o, std::string selector = "") {
  runtime::InformerOptions opts;
  opts.resource = r;
  opts.namespaces = o.namespaces;
  opts.labelSelector = std::move(selector);
  opts.resyncPeriod = o.resyncPeriod;
  opts.transform = runtime::stripManagedFieldsAndLastApplied;
  return opts;
}

// Children carry the owner label on the object, its Job template and its Pod template,
// so one mapper wakes the PhaseMaintenance for a CronJob, its Jobs and their Pods alike.
runtime::Mapper byOwnerLabel() {
  return [](const Json& o) -> std::vector<std::string> {
    const auto lbls = o.value("/metadata/labels"_json_pointer, Json::object());
    const std::string owner = lbls.value(labels::kOwner, std::string());
    if (owner.empty()) return {};
    return {o.value("/metadata/namespace"_json_pointer, std::string()) + "/" + owner};
  };
}

}  // namespace

Operator::Operator(kube::Client& client, EventSink& events, RecoveryRunner& recoveries,
                   std::shared_ptr<runtime::Clock> clock, OperatorOptions options)
    : client_(client), clock_(std::move(clock)), options_(std::move(options)) {
  namespace res = kube::resources;
  const std::string ours = std::string(labels::kManagedBy) + "=" + labels::kManagedByValue;
  pms_ = std::make_unique<runtime::Informer>(client_, clock_, informerFor(res::kPhaseMaintenances, options_));
  auto deploymentOpts = informerFor(res::kDeployments, options_);
  deploymentOpts.transform = maintenance::compactDeploymentForCache;  // keeps who wrote replicas/paused
  deployments_ = std::make_unique<runtime::Informer>(client_, clock_, deploymentOpts);
  jobs_ = std::make_unique<runtime::Informer>(client_, clock_, informerFor(res::kJobs, options_, ours));
  cronJobs_ = std::make_unique<runtime::Informer>(client_, clock_, informerFor(res::kCronJobs, options_, ours));
  pods_ = std::make_unique<runtime::Informer>(client_, clock_, informerFor(res::kPods, options_, ours));
  for (auto* inf : {jobs_.get(), cronJobs_.get(), pods_.get()}) inf->store().addIndex(kOwnerUidIndex, ownerUids);

  view_ = std::make_unique<InformerClusterView>(pms_->store(), deployments_->store(), jobs_->store(),
                                                cronJobs_->store(), pods_->store());
  reconciler_ = std::make_unique<PhaseReconciler>(ReconcilerDeps{client_, *view_, events, recoveries, clock_,
                                                                 options_.operatorImage, options_.metrics});
  runtime::ControllerOptions copts;
  copts.name = "phasemaintenance";
  copts.workers = options_.workers;
  copts.observer = options_.observer;
  controller_ = std::make_unique<runtime::Controller>(
      clock_, [this](const std::string& key) { return reconciler_->reconcile(key); }, copts);
  controller_->watch(*pms_, runtime::mappers::self());
  controller_->watch(*jobs_, byOwnerLabel());
  controller_->watch(*cronJobs_, byOwnerLabel());
  controller_->watch(*pods_, byOwnerLabel());
  const runtime::Store& pmStore = pms_->store();
  controller_->watch(*deployments_, [&pmStore](const Json& deployment) {
    std::vector<Json> pms;
    for (const auto& p : pmStore.listNamespace(deployment.value("/metadata/namespace"_json_pointer, std::string())))
      pms.push_back(*p);
    return keysNamingDeployment(pms, deployment);
  });

  if (options_.leaderElect) {
    runtime::LeaderCallbacks cb;
    cb.onStartedLeading = [this] {
      log::info("became the leader; starting to reconcile");
      if (options_.onLeadership) options_.onLeadership(true);
      startWork();
    };
    cb.onStoppedLeading = [this] {
      if (options_.onLeadership) options_.onLeadership(false);
      if (stopping_) return;
      log::error("lost the leader lease; stopping work (the process exits so that it restarts as a follower)");
      lost_ = true;
    };
    cb.onNewLeader = [](const std::string& id) { log::info("leader observed", {{"identity", id}}); };
    elector_ = std::make_unique<runtime::LeaderElector>(client_, clock_, options_.leaderElection, cb);
  }
}

Operator::~Operator() { stop(); }

void Operator::startWork() {
  bool expected = false;
  if (working_.compare_exchange_strong(expected, true)) controller_->start();
}

void Operator::start() {
  if (elector_) {
    controller_->startInformers();  // followers keep warm caches, so a new leader starts at once
    elector_->start();
  } else {
    if (options_.onLeadership) options_.onLeadership(true);
    startWork();
  }
}

void Operator::stop() {
  if (stopping_.exchange(true)) return;
  controller_->stop();                // the reconcile in flight finishes first; informers stop
  if (elector_) elector_->stop();     // then the lease is released
}

bool Operator::ready() const { return controller_->informersSynced(); }

bool Operator::healthy(std::chrono::seconds bound) const {
  if (!working_) return true;
  return clock_->now() - controller_->lastHeartbeat() <= bound;
}

bool Operator::leading() const { return elector_ ? elector_->isLeader() : true; }

}  // namespace pmo::controller
