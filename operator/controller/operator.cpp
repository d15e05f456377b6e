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
// The label may be a hash of a long name: it is mapped back through the PhaseMaintenance
// store's index on it, never read as a name.
runtime::Mapper byOwnerLabel(const runtime::Store& pms) {
  return [&pms](const Json& o) { return keysByOwnerLabel(pms, o); };
}

// Events of a replica that lost leadership are dropped, as its writes are.
class FencedEventSink final : public EventSink {
 public:
  FencedEventSink(EventSink& inner, std::function<bool()> mayWrite) : inner_(inner), mayWrite_(std::move(mayWrite)) {}
  void event(const nlohmann::json& regarding, const std::string& type, const std::string& reason,
             const std::string& message) override {
    if (mayWrite_()) inner_.event(regarding, type, reason, message);
  }
  void post(const nlohmann::json& regarding, const PendingEvent& e) override {
    if (mayWrite_()) inner_.post(regarding, e);
  }

 private:
  EventSink& inner_;
  std::function<bool()> mayWrite_;
};

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
  pms_->store().addIndex(kOwnerLabelIndex, ownerLabelOf);

  view_ = std::make_unique<InformerClusterView>(pms_->store(), deployments_->store(), jobs_->store(),
                                                cronJobs_->store(), pods_->store());
  // Recoveries run on their own threads; the one that ends wakes its resource
  // (request keys are "<namespace>/<name>/<list>/<requestId>").
  recoveryExecutor_ = std::make_unique<RecoveryExecutor>(
      recoveries,
      [this](const std::string& requestKey) {
        const auto ns = requestKey.find('/');
        const auto name = requestKey.find('/', ns + 1);
        if (ns != std::string::npos && controller_) controller_->queue().add(requestKey.substr(0, name));
      },
      options_.recoveryExecutor);
  kube::Client* writer = &client_;
  EventSink* sink = &events;
  if (options_.leaderElect) {
    fenced_ = std::make_unique<runtime::FencedClient>(client_, [this] { return mayWrite(); });
    fencedEvents_ = std::make_unique<FencedEventSink>(events, [this] { return mayWrite(); });
    writer = fenced_.get();
    sink = fencedEvents_.get();
  }
  reconciler_ = std::make_unique<PhaseReconciler>(ReconcilerDeps{*writer, *view_, *sink, *recoveryExecutor_, clock_,
                                                                 options_.operatorImage, options_.metrics,
                                                                 options_.imagePolicy});
  runtime::ControllerOptions copts;
  copts.name = "phasemaintenance";
  copts.workers = options_.workers;
  copts.observer = options_.observer;
  controller_ = std::make_unique<runtime::Controller>(
      clock_, [this](const std::string& key) { return reconciler_->reconcile(key); }, copts);
  controller_->watch(*pms_, runtime::mappers::self());
  const runtime::Store& pmStore = pms_->store();
  controller_->watch(*jobs_, byOwnerLabel(pmStore));
  controller_->watch(*cronJobs_, byOwnerLabel(pmStore));
  controller_->watch(*pods_, byOwnerLabel(pmStore));
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
      lost_ = true;
      controller_->queue().shutdown();  // no key is handed out any more
    };
    cb.onNewLeader = [](const std::string& id) { log::info("leader observed", {{"identity", id}}); };
    kube::Client& leaseClient = options_.leaseClient ? *options_.leaseClient : client_;
    elector_ = std::make_unique<runtime::LeaderElector>(leaseClient, clock_, options_.leaderElection, cb);
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
  recoveryExecutor_->stop();          // recoveries running finish (the ledger records them)
  if (elector_) elector_->stop();     // then the lease is released
}

bool Operator::ready() const { return controller_->informersSynced(); }

bool Operator::healthy(std::chrono::seconds bound) const {
  if (!working_) return true;
  return clock_->now() - controller_->lastHeartbeat() <= bound;
}

bool Operator::leading() const { return elector_ ? elector_->isLeader() : true; }

bool Operator::mayWrite() const { return !elector_ || (elector_->isLeader() && !lost_.load()); }

bool Operator::leadershipLost() const {
  if (lost_.load()) return true;
  // Leading (work started) but past the renew deadline: the elector's renewal still hangs.
  return elector_ && working_.load() && !elector_->isLeader() && !stopping_.load();
}

}  // namespace pmo::controller
