#include "runtime/informer.hpp"

#include <algorithm>
#include <unordered_set>

#include "common/log.hpp"

namespace pmo::runtime {

void stripManagedFields(Json& object) {
  if (object.contains("metadata") && object["metadata"].is_object()) object["metadata"].erase("managedFields");
}

void stripManagedFieldsAndLastApplied(Json& object) {
  stripManagedFields(object);
  if (!object.contains("metadata")) return;
  auto& md = object["metadata"];
  // The map stays, even empty: it tells the patch builders the live object has one, so
  // they add keys to it instead of adding a whole map over the one holding last-applied.
  if (md.contains("annotations") && md["annotations"].is_object())
    md["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
}

struct Informer::Reflector {
  std::string ns;  // "" = all namespaces
  std::thread thread;
  std::atomic<bool> synced{false};
  std::string resourceVersion;
  kube::WatchStream* stream = nullptr;  // open watch, guarded by Informer::mutex_
  Clock::Duration backoff{};
};


Informer::Informer(kube::Client& client, std::shared_ptr<Clock> clock, InformerOptions options)
    : client_(client), clock_(std::move(clock)), options_(std::move(options)),
      rng_(options_.seed ? options_.seed : std::random_device{}()) {
  if (options_.namespaces.empty() || !options_.resource.namespaced) {
    reflectors_.push_back(std::make_unique<Reflector>());
  } else {
    for (const auto& ns : options_.namespaces) {
      reflectors_.push_back(std::make_unique<Reflector>());
      reflectors_.back()->ns = ns;
    }
  }
  for (auto& r : reflectors_) r->backoff = options_.backoffInitial;
}

Informer::~Informer() { stop(); }

void Informer::addHandlers(EventHandlers handlers) { handlers_.push_back(std::move(handlers)); }

void Informer::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_ || stopped_) return;
  started_ = true;
  for (auto& r : reflectors_) {
    Reflector* rp = r.get();
    r->thread = std::thread([this, rp] { run(*rp); });
  }
  if (options_.resyncPeriod > Clock::Duration::zero()) resyncThread_ = std::thread([this] { resyncLoop(); });
}

void Informer::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_ && !started_) return;
    stopped_ = true;
    for (auto& r : reflectors_) {
      if (r->stream) r->stream->cancel();
    }
    cv_.notify_all();
  }
  for (auto& r : reflectors_) {
    if (r->thread.joinable()) r->thread.join();
  }
  if (resyncThread_.joinable()) resyncThread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  started_ = false;
}

bool Informer::stopped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopped_;
}

bool Informer::hasSynced() const {
  return std::all_of(reflectors_.begin(), reflectors_.end(), [](const auto& r) { return r->synced.load(); });
}

bool Informer::waitForSync(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!hasSynced()) {
    if (std::chrono::steady_clock::now() >= deadline || stopped()) return hasSynced();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

bool Informer::sleepFor(Clock::Duration d) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = clock_->now() + d;
  while (!stopped_ && clock_->now() < deadline) clock_->waitUntil(lock, cv_, deadline);
  return !stopped_;
}

Clock::Duration Informer::nextBackoff(Reflector& r) {
  double jitter;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jitter = std::uniform_real_distribution<double>(0.0, 0.5)(rng_);
  }
  const Clock::Duration base = std::min(r.backoff, options_.backoffMax);
  r.backoff = std::min(r.backoff * 2, options_.backoffMax);
  const auto d = base + std::chrono::duration_cast<Clock::Duration>(base * jitter);
  return std::min(d, options_.backoffMax);
}

void Informer::dispatchUpsert(ObjectPtr object) {
  ObjectPtr old = store_.upsert(object);
  for (const auto& h : handlers_) {
    if (old) {
      if (h.onUpdate) h.onUpdate(*old, *object);
    } else if (h.onAdd) {
      h.onAdd(*object);
    }
  }
}

void Informer::dispatchDelete(const std::string& key, const Json& lastState) {
  ObjectPtr old = store_.erase(key);
  if (!old) return;  // never known: nothing to tell
  for (const auto& h : handlers_) {
    if (h.onDelete) h.onDelete(lastState);
  }
}

bool Informer::relist(Reflector& r) {
  kube::ListOptions opts;
  opts.labelSelector = options_.labelSelector;
  opts.fieldSelector = options_.fieldSelector;
  opts.limit = options_.pageSize;
  // Page by page: only one page is ever held as parsed JSON (the cache keeps objects
  // compact), so a large relist does not spike the operator's memory.
  std::unordered_set<std::string> seen;
  const std::string resourceVersion = client_.listPages(options_.resource, r.ns, opts, [&](Json& items) {
    std::lock_guard<std::mutex> dispatch(dispatchMutex_);
    for (auto& item : items) {
      if (options_.transform) options_.transform(item);
      std::string key = objectKey(item);
      const bool unchanged = store_.resourceVersion(key) == resourceVersionOf(item);  // since last seen
      seen.insert(std::move(key));
      if (!unchanged) dispatchUpsert(std::make_shared<const Json>(std::move(item)));
    }
  });
  std::lock_guard<std::mutex> dispatch(dispatchMutex_);
  if (stopped()) return false;
  for (const auto& key : store_.keys(r.ns)) {
    if (seen.count(key)) continue;
    ObjectPtr gone = store_.get(key);
    if (gone) dispatchDelete(key, *gone);  // synthetic delete: vanished while we were away
  }
  r.resourceVersion = resourceVersion;
  r.synced = true;
  return true;
}

Informer::WatchEnd Informer::watchOnce(Reflector& r) {
  kube::WatchOptions opts;
  opts.labelSelector = options_.labelSelector;
  opts.fieldSelector = options_.fieldSelector;
  opts.resourceVersion = r.resourceVersion;
  opts.allowBookmarks = true;
  opts.timeoutSeconds = options_.watchTimeoutSeconds;
  std::unique_ptr<kube::WatchStream> stream = client_.watch(options_.resource, r.ns, opts);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return WatchEnd::Rewatch;
    r.stream = stream.get();
  }
  struct Unregister {
    Informer* self;
    Reflector& r;
    ~Unregister() {
      std::lock_guard<std::mutex> lock(self->mutex_);
      r.stream = nullptr;
    }
  } unregister{this, r};

  const auto started = clock_->now();
  std::size_t events = 0;
  while (auto ev = stream->next()) {
    ++events;
    using T = kube::WatchEventType;
    if (ev->type == T::Error) {
      const int code = ev->object.value("code", 0);
      if (code == 410) return WatchEnd::Relist;
      log::warn("watch error event", {{"resource", options_.resource.plural}, {"namespace", r.ns},
                                      {"code", code}, {"message", ev->object.value("message", "")}});
      return WatchEnd::Backoff;
    }
    const std::string rv = resourceVersionOf(ev->object);
    if (ev->type != T::Bookmark) {
      Json obj = std::move(ev->object);
      if (options_.transform) options_.transform(obj);
      std::lock_guard<std::mutex> dispatch(dispatchMutex_);
      if (stopped()) return WatchEnd::Rewatch;
      if (ev->type == T::Deleted) {
        dispatchDelete(objectKey(obj), obj);
      } else {
        dispatchUpsert(std::make_shared<const Json>(std::move(obj)));
      }
    }
    if (!rv.empty()) r.resourceVersion = rv;
    r.backoff = options_.backoffInitial;
  }
  // A watch that ends at once without an event is treated like an error: no hot loop.
  if (events == 0 && clock_->now() - started < std::chrono::seconds(1)) return WatchEnd::Backoff;
  return WatchEnd::Rewatch;
}

void Informer::run(Reflector& r) {
  bool needList = true;
  while (!stopped()) {
    try {
      if (needList) {
        if (!relist(r)) break;
        needList = false;
        r.backoff = options_.backoffInitial;
      }
      switch (watchOnce(r)) {
        case WatchEnd::Rewatch: break;
        case WatchEnd::Relist:
          log::info("watch expired, relisting", {{"resource", options_.resource.plural}, {"namespace", r.ns}});
          needList = true;
          break;
        case WatchEnd::Backoff:
          if (!sleepFor(nextBackoff(r))) return;
          break;
      }
    } catch (const kube::ApiError& e) {
      if (e.reason() == kube::ErrorReason::Gone) {
        needList = true;
        continue;
      }
      Clock::Duration wait = nextBackoff(r);
      if (e.retryAfter()) wait = std::max<Clock::Duration>(wait, *e.retryAfter());
      log::warn(needList ? "list failed" : "watch failed",
                {{"resource", options_.resource.plural}, {"namespace", r.ns}, {"code", e.code()},
                 {"error", e.what()}, {"retryInMs", std::chrono::duration_cast<std::chrono::milliseconds>(wait).count()}});
      if (!sleepFor(wait)) return;
    } catch (const std::exception& e) {
      Clock::Duration wait = nextBackoff(r);
      log::warn("informer error", {{"resource", options_.resource.plural}, {"namespace", r.ns}, {"error", e.what()}});
      if (!sleepFor(wait)) return;
    }
  }
}

void Informer::resyncLoop() {
  while (sleepFor(options_.resyncPeriod)) {
    if (!hasSynced()) continue;
    std::lock_guard<std::mutex> dispatch(dispatchMutex_);
    for (const auto& obj : store_.list()) {
      for (const auto& h : handlers_) {
        if (h.onUpdate) h.onUpdate(*obj, *obj);
      }
    }
  }
}

}  // namespace pmo::runtime
