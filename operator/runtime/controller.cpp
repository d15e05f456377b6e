#include "runtime/controller.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace pmo::runtime {

namespace mappers {

Mapper self() {
  return [](const Json& object) { return std::vector<std::string>{objectKey(object)}; };
}

Mapper ownersOfKind(const std::string& apiGroup, const std::string& kind) {
  return [apiGroup, kind](const Json& object) {
    std::vector<std::string> keys;
    const Json& md = object.at("metadata");
    const std::string ns = md.value("namespace", "");
    if (!md.contains("ownerReferences")) return keys;
    for (const auto& ref : md["ownerReferences"]) {
      const std::string apiVersion = ref.value("apiVersion", "");
      const auto slash = apiVersion.find('/');
      const std::string group = slash == std::string::npos ? "" : apiVersion.substr(0, slash);
      if (ref.value("kind", "") != kind || group != apiGroup) continue;
      const std::string name = ref.value("name", "");
      keys.push_back(ns.empty() ? name : ns + "/" + name);
    }
    return keys;
  };
}

}  // namespace mappers

Controller::Controller(std::shared_ptr<Clock> clock, Reconciler reconcile, ControllerOptions options)
    : clock_(std::move(clock)), reconcile_(std::move(reconcile)), options_(std::move(options)),
      queue_(clock_, options_.rateLimit), heartbeat_(clock_->now()) {}

Controller::~Controller() { stop(); }

void Controller::watch(Informer& informer, Mapper mapper) {
  informers_.push_back(&informer);
  EventHandlers h;
  h.onAdd = [this, mapper](const Json& obj) { enqueue(mapper(obj), true); };
  h.onUpdate = [this, mapper](const Json& oldObj, const Json& newObj) {
    const bool resync = resourceVersionOf(oldObj) == resourceVersionOf(newObj);
    std::vector<std::string> keys = mapper(newObj);
    if (!resync) {
      // An owner change (e.g. a re-parented object) must wake the old owner too.
      for (auto& k : mapper(oldObj)) {
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(std::move(k));
      }
    }
    enqueue(keys, !resync);
  };
  h.onDelete = [this, mapper](const Json& obj) { enqueue(mapper(obj), true); };
  informer.addHandlers(std::move(h));
}

void Controller::enqueue(const std::vector<std::string>& keys, bool isChange) {
  for (const auto& key : keys) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (isChange) {
        terminal_.erase(key);
      } else if (terminal_.count(key)) {
        continue;  // a resync does not retry a terminal failure
      }
    }
    queue_.add(key);
  }
}

void Controller::startInformers() {
  if (informersStarted_) return;
  informersStarted_ = true;
  for (auto* inf : informers_) inf->start();
}

void Controller::start() {
  startInformers();
  if (workersRunning_ || stopping_) return;
  workersRunning_ = true;
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { worker(); });
}

void Controller::stop() {
  stopping_ = true;
  if (informersStarted_) {
    for (auto* inf : informers_) inf->stop();
  }
  queue_.shutdown();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
  workersRunning_ = false;
}

bool Controller::informersSynced() const {
  return std::all_of(informers_.begin(), informers_.end(), [](const Informer* i) { return i->hasSynced(); });
}

Clock::TimePoint Controller::lastHeartbeat() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return heartbeat_;
}

void Controller::heartbeat() {
  const auto now = clock_->now();
  std::lock_guard<std::mutex> lock(mutex_);
  heartbeat_ = std::max(heartbeat_, now);
}

void Controller::worker() {
  // Wait for the caches: reconciling against a partial cache would see objects as missing.
  while (!stopping_ && !informersSynced()) {
    heartbeat();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  while (!stopping_) {
    heartbeat();
    auto key = queue_.getFor(options_.heartbeatInterval);
    if (!key) continue;
    processOne(*key);
    queue_.done(*key);
  }
}

void Controller::processOne(const std::string& key) {
  const auto start = clock_->now();
  std::string outcome;
  log::Fields fields{{"controller", options_.name}, {"key", key}};
  try {
    const ReconcileResult result = reconcile_(key);
    if (result.failure == ReconcileResult::Failure::Terminal) throw TerminalError(result.error);
    if (result.failure == ReconcileResult::Failure::Backoff) throw std::runtime_error(result.error);
    queue_.forget(key);
    if (result.requeueAfter) {
      outcome = "requeue";
      queue_.addAfter(key, *result.requeueAfter);
      fields["requeueAfterMs"] = std::chrono::duration_cast<std::chrono::milliseconds>(*result.requeueAfter).count();
    } else {
      outcome = "success";
    }
  } catch (const TerminalError& e) {
    outcome = "terminal";
    queue_.forget(key);
    std::lock_guard<std::mutex> lock(mutex_);
    terminal_.insert(key);
    fields["error"] = e.what();
  } catch (const std::exception& e) {
    outcome = "error";
    queue_.addRateLimited(key);
    fields["error"] = e.what();
    fields["retries"] = queue_.numRequeues(key);
    if (options_.observer) options_.observer->retried(options_.name);
  }
  const auto elapsed = clock_->now() - start;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  fields["outcome"] = outcome;
  fields["durationMs"] = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  if (outcome == "error" || outcome == "terminal") {
    log::error("reconcile", fields);
  } else {
    log::info("reconcile", fields);
  }
  if (options_.observer) options_.observer->reconciled(options_.name, outcome, seconds);
}

}  // namespace pmo::runtime
