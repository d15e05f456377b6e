// Server: wires the store, the HTTP(S) listener, the garbage collector, the simulated
// controllers and the Controls together.
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "sandbox/api.hpp"
#include "sandbox/authn.hpp"
#include "sandbox/authz.hpp"
#include "sandbox/controllers.hpp"
#include "sandbox/gc.hpp"
#include "sandbox/http_server.hpp"
#include "sandbox/kubeconfig.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/tls.hpp"

namespace pmo::sandbox {

namespace {

class ControlsImpl : public Controls {
 public:
  ControlsImpl(World& w, JobController& jobs, DeploymentController& deployments, ReplicaSetController& replicaSets,
               HpaController& hpas)
      : w_(w), jobs_(jobs), deployments_(deployments), replicaSets_(replicaSets), hpas_(hpas) {}
  void setJobController(bool enabled) override {
    bool was = w_.jobsEnabled.exchange(enabled);
    if (enabled && !was) jobs_.resync();
  }
  void setDeploymentController(bool enabled) override {
    bool was = w_.deploymentsEnabled.exchange(enabled);
    if (enabled && !was) {
      replicaSets_.resync();
      deployments_.resync();
      hpas_.resync();
    }
  }
  void setJobBehaviour(const std::string& prefix, const JobBehaviour& b) override {
    std::lock_guard<std::mutex> lock(w_.behaviourMutex);
    w_.behaviours[prefix] = b;
  }
  void setDeploymentBehaviour(const std::string& prefix, const DeploymentBehaviour& b) override {
    {
      std::lock_guard<std::mutex> lock(w_.behaviourMutex);
      w_.deploymentBehaviours[prefix] = b;
    }
    replicaSets_.behaviourChanged();
  }
  void dropWatches() override {
    auto lock = w_.store.lock();
    w_.store.dropWatches();
  }
  void failNextRequests(int count, int code, const std::string& reason, int retryAfterSeconds) override {
    std::lock_guard<std::mutex> lock(w_.faultMutex);
    w_.faults.remaining = count;
    w_.faults.code = code;
    w_.faults.reason = reason;
    w_.faults.retryAfterSeconds = retryAfterSeconds;
    w_.faults.verb.clear();
    w_.faults.resource.clear();
  }
  void failNextRequestsTo(const std::string& verb, const std::string& resource, int count, int code,
                          const std::string& reason) override {
    failNextRequests(count, code, reason, 0);
    std::lock_guard<std::mutex> lock(w_.faultMutex);
    w_.faults.verb = verb;
    w_.faults.resource = resource;
  }
  void setResponseDelay(std::chrono::milliseconds delay) override {
    std::lock_guard<std::mutex> lock(w_.faultMutex);
    w_.faults.delay = delay;
  }
  void setResponseDelayFor(const std::string& user, const std::string& verb, const std::string& resource,
                           std::chrono::milliseconds delay) override {
    std::lock_guard<std::mutex> lock(w_.faultMutex);
    auto& rules = w_.faults.targetedDelays;
    rules.erase(std::remove_if(rules.begin(), rules.end(),
                               [&](const FaultState::TargetedDelay& d) {
                                 return d.user == user && d.verb == verb && d.resource == resource;
                               }),
                rules.end());
    if (delay.count() > 0) rules.push_back({user, verb, resource, delay});
  }
  void compact() override {
    auto lock = w_.store.lock();
    w_.store.compact();
  }
  std::vector<RequestRecord> requests() const override {
    std::lock_guard<std::mutex> lock(w_.requestMutex);
    return {w_.requests.begin(), w_.requests.end()};
  }
  void clearRequests() override {
    std::lock_guard<std::mutex> lock(w_.requestMutex);
    w_.requests.clear();
  }
  std::string triggerCronJob(const std::string& ns, const std::string& name) override {
    return jobs_.triggerCronJob(ns, name);
  }
  void setSchemaVersion(const std::string& ns, const std::string& version) override {
    auto lock = w_.store.lock();
    if (w_.schema.advance(ns, version, w_.store.currentRv(), true)) replicaSets_.schemaChanged(ns);
  }
  std::string schemaVersion(const std::string& ns) const override {
    auto lock = w_.store.lock();
    return w_.schema.version(ns);
  }
  std::string schemaVersionAt(const std::string& ns, uint64_t resourceVersion) const override {
    auto lock = w_.store.lock();
    return w_.schema.versionAt(ns, resourceVersion);
  }
  void setImageVersion(const std::string& image, const std::string& version) override {
    auto lock = w_.store.lock();
    w_.schema.setImageVersion(image, version);
  }
  std::string imageVersion(const std::string& image) const override {
    auto lock = w_.store.lock();
    return w_.schema.imageVersion(image);
  }
  void setHpaRecommendation(const std::string& ns, const std::string& name, long replicas) override {
    auto lock = w_.store.lock();
    w_.hpaRecommendations[ns + "/" + name] = replicas;
    hpas_.recommendationChanged(ns, name);
  }
  std::string createServiceAccountToken(const std::string& ns, const std::string& name,
                                        std::chrono::seconds expiration) override {
    auto lock = w_.store.lock();
    try {
      return issueServiceAccountToken(w_, ns, name, static_cast<long>(expiration.count()), {}).token;
    } catch (const ApiError& e) {
      throw std::runtime_error(e.what());
    }
  }

 private:
  World& w_;
  JobController& jobs_;
  DeploymentController& deployments_;
  ReplicaSetController& replicaSets_;
  HpaController& hpas_;
};

void writeFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
  if (!f) throw std::runtime_error("sandbox: cannot write " + path);
}

}  // namespace

struct Server::Impl {
  explicit Impl(Options o)
      : world(std::move(o)), gc(world), jobs(world, runner), deployments(world, runner), replicaSets(world, runner),
        hpas(world, runner), controls(world, jobs, deployments, replicaSets, hpas) {}
  World world;
  TaskRunner runner;
  GarbageCollector gc;
  JobController jobs;
  DeploymentController deployments;
  ReplicaSetController replicaSets;
  HpaController hpas;
  ControlsImpl controls;
  std::unique_ptr<HttpServer> http;
  std::string caPem;
  std::string kubeconfigPath;
  bool started = false;
  bool stopped = false;
};

Server::Server(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() { stop(); }

void Server::start() {
  if (impl_->started) throw std::logic_error("sandbox: start() called twice");
  impl_->started = true;
  World& w = impl_->world;
  std::string dir = w.options.dataDir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/pmo-sandbox.XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("sandbox: cannot create a temp dir");
    dir = tmpl;
    w.options.dataDir = dir;
  } else {
    ::mkdir(dir.c_str(), 0700);
  }
  std::optional<TlsMaterial> tls;
  if (w.options.tls) {
    Certificates c = generateCertificates(w.options.host);
    impl_->caPem = c.caPem;
    tls = TlsMaterial{c.certPem + c.caPem, c.keyPem};
    writeFile(dir + "/ca.crt", c.caPem);
  }
  impl_->jobs.install();
  impl_->deployments.install();
  impl_->replicaSets.install();
  impl_->hpas.install();
  {
    auto lock = w.store.lock();
    auto nsType = w.types.byKey("namespaces");
    for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
      nlohmann::json o = {{"metadata", {{"name", ns}}}};
      defaultOnCreate(w, *nsType, o);
      createInternal(w, *nsType, o);
    }
    bootstrapRbac(w);
  }
  impl_->runner.start();
  impl_->gc.start();
  Impl* impl = impl_.get();
  impl_->http = std::make_unique<HttpServer>(
      w.options.host, w.options.port, tls,
      [impl](const HttpRequest& req, ResponseStream& s) { return handleRequest(impl->world, impl->controls, req, s); });
  impl_->http->start();
  std::string host = w.options.host.find(':') != std::string::npos ? "[" + w.options.host + "]" : w.options.host;
  w.url = std::string(w.options.tls ? "https://" : "http://") + host + ":" + std::to_string(impl_->http->port());
  impl_->kubeconfigPath = dir + "/kubeconfig";
  writePrivateFile(impl_->kubeconfigPath, kubeconfigYaml(w.url, impl_->caPem, w.options.token));
}

void Server::stop() {
  if (!impl_ || !impl_->started || impl_->stopped) return;
  impl_->stopped = true;
  impl_->world.stopping = true;
  impl_->controls.dropWatches();
  if (impl_->http) impl_->http->stop();
  impl_->runner.stop();
  impl_->gc.stop();
}

int Server::port() const { return impl_->http ? impl_->http->port() : 0; }
std::string Server::url() const { return impl_->world.url; }
std::string Server::caPem() const { return impl_->caPem; }
std::string Server::kubeconfigPath() const { return impl_->kubeconfigPath; }
void Server::writeKubeconfig(const std::string& path, const std::string& token) const {
  writePrivateFile(path, kubeconfigYaml(impl_->world.url, impl_->caPem, token));
}
Controls& Server::controls() { return impl_->controls; }

}  // namespace pmo::sandbox
