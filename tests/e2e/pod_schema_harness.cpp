#include "e2e/pod_schema_harness.hpp"

#include "sandbox/pod_schema.hpp"

namespace pmo::testing {

PodSchemaCheck::PodSchemaCheck(OperatorHarness& h, std::string ns, std::vector<std::string> repositories)
    : h_(h), ns_(std::move(ns)), repositories_(std::move(repositories)) {
  // The first watch starts before the constructor returns, so nothing the scenario does is missed.
  kube::WatchOptions opts;
  opts.resourceVersion = "0";  // current pods as ADDED, then every change
  opts.timeoutSeconds = 60;
  stream_ = h_.client().watch(kube::resources::kPods, ns_, opts);
  thread_ = std::thread([this] { run(); });
}

PodSchemaCheck::~PodSchemaCheck() { finish(); }

void PodSchemaCheck::run() {
  std::string lastRv = "0";
  while (!stop_) {
    try {
      std::optional<kube::WatchEvent> e;
      while (!stop_ && (e = stream_->next())) {
        if (e->type == kube::WatchEventType::Error) throw std::runtime_error(e->object.dump());
        lastRv = e->object.value("/metadata/resourceVersion"_json_pointer, lastRv);
        if (e->type == kube::WatchEventType::Added || e->type == kube::WatchEventType::Modified) judge(e->object);
      }
      if (stop_) return;
      kube::WatchOptions opts;
      opts.resourceVersion = lastRv;
      opts.timeoutSeconds = 60;
      auto next = h_.client().watch(kube::resources::kPods, ns_, opts);
      std::lock_guard<std::mutex> lock(mutex_);
      stream_ = std::move(next);
    } catch (const std::exception& ex) {
      if (stop_) return;
      std::lock_guard<std::mutex> lock(mutex_);
      violations_.push_back(std::string("the pod watch failed, the check is incomplete: ") + ex.what());
      return;
    }
  }
}

void PodSchemaCheck::judge(const Json& pod) {
  bool ready = false;
  for (const auto& c : pod.value("/status/conditions"_json_pointer, Json::array()))
    if (c.value("type", "") == "Ready") ready = c.value("status", "") == "True";
  if (!ready) return;
  const std::string name = pod.value("/metadata/name"_json_pointer, std::string());
  const uint64_t rv = std::stoull(pod.value("/metadata/resourceVersion"_json_pointer, std::string("0")));
  for (const auto& c : pod.value("/spec/containers"_json_pointer, Json::array())) {
    const std::string image = c.value("image", "");
    bool phase = false;
    for (const auto& repo : repositories_) phase = phase || image.rfind(repo + ":", 0) == 0 || image.rfind(repo + "@", 0) == 0;
    if (!phase) continue;
    ++readySeen_;
    // the image the kubelet started (its imageID), not what the tag resolves to now
    std::string started = image;
    for (const auto& cs : pod.value("/status/containerStatuses"_json_pointer, Json::array()))
      if (cs.value("name", "") == c.value("name", "") && !cs.value("imageID", "").empty()) started = cs.value("imageID", "");
    const std::string version = h_.sandbox().controls().imageVersion(started);
    const std::string schema = h_.sandbox().controls().schemaVersionAt(ns_, rv);
    auto cmp = sandbox::compareVersions(version, schema);
    if (schema.empty() || !cmp || *cmp > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      violations_.push_back("pod " + name + " was Ready at resourceVersion " + std::to_string(rv) + " running " + image +
                            " (" + version + ") on a schema at " + (schema.empty() ? std::string("no migration") : schema));
    }
  }
}

std::vector<std::string> PodSchemaCheck::violations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return violations_;
}

void PodSchemaCheck::finish() {
  if (finished_) return;
  finished_ = true;
  stop_ = true;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stream_) stream_->cancel();
  }
  if (thread_.joinable()) thread_.join();
  for (const auto& v : violations()) ADD_FAILURE() << "schema promise broken: " << v;
}

}  // namespace pmo::testing
