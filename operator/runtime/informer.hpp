#pragma once
// An Informer keeps a Store of one resource in step with the API server and tells
// handlers what changed. Per watched namespace it runs the watcher state machine:
//
//   list (paginated) --> watch from the list's resourceVersion --+--> stream ends: re-watch
//        ^                                                       |    from the last version
//        +------------- 410 Gone (relist at once) ---------------+    seen (bookmarks too)
//                                                                +--> other error: jittered,
//                                                                     capped backoff, re-watch
//
// Guarantees:
// - The store is updated before the handlers hear of the change, so a handler (or a
//   reconciler woken by it) reads at least that state.
// - A relist replaces the namespace's objects: vanished ones get a synthetic onDelete.
// - Handlers are called one at a time (never concurrently), from informer threads; they
//   should only enqueue work. onUpdate(old, new) with equal resourceVersions is a resync.
// - Never a hot loop: failed lists/watches and watches that end at once without an event
//   wait a backoff (initial 800 ms, doubling, jittered, capped at 30 s) on the Clock.
// - Objects pass through `transform` before they are stored (default: drop
//   metadata.managedFields), which keeps the cache small.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kube/client.hpp"
#include "runtime/clock.hpp"
#include "runtime/store.hpp"

namespace pmo::runtime {

struct EventHandlers {
  std::function<void(const Json& object)> onAdd;
  std::function<void(const Json& oldObject, const Json& newObject)> onUpdate;
  std::function<void(const Json& object)> onDelete;
};

using Transform = std::function<void(Json& object)>;
// Drops metadata.managedFields.
void stripManagedFields(Json& object);
// Also drops the kubectl.kubernetes.io/last-applied-configuration annotation (keeping the
// annotations map, even when that leaves it empty: the live object has one).
void stripManagedFieldsAndLastApplied(Json& object);

struct InformerOptions {
  kube::Resource resource;
  std::vector<std::string> namespaces;  // empty: all namespaces (one watch); else one watch each
  std::string labelSelector;
  std::string fieldSelector;
  Clock::Duration resyncPeriod = std::chrono::minutes(10);  // zero: no resync
  // Items per list page. Smaller than client-go's 500: a page is held parsed while it is
  // packed into the store, and 500 Deployments parsed are 4 MiB of the operator's peak.
  long pageSize = 100;
  int watchTimeoutSeconds = 300;
  Clock::Duration backoffInitial = std::chrono::milliseconds(800);
  Clock::Duration backoffMax = std::chrono::seconds(30);
  Transform transform = stripManagedFields;  // may be empty
  unsigned seed = 0;                         // jitter seed; 0: random
};

class Informer {
 public:
  Informer(kube::Client& client, std::shared_ptr<Clock> clock, InformerOptions options);
  ~Informer();  // stop()s
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Register before start().
  void addHandlers(EventHandlers handlers);
  Store& store() { return store_; }
  const Store& store() const { return store_; }
  const kube::Resource& resource() const { return options_.resource; }

  void start();
  // Cancels the watches and joins the threads; no handler runs after stop() returns.
  void stop();
  // True once every namespace was listed at least once.
  bool hasSynced() const;
  // Waits (real time) until hasSynced() or the timeout.
  bool waitForSync(std::chrono::milliseconds timeout) const;

 private:
  struct Reflector;
  void run(Reflector& r);
  bool relist(Reflector& r);
  enum class WatchEnd { Rewatch, Relist, Backoff };
  WatchEnd watchOnce(Reflector& r);
  void resyncLoop();
  bool sleepFor(Clock::Duration d);
  Clock::Duration nextBackoff(Reflector& r);
  void dispatchUpsert(ObjectPtr object);
  void dispatchDelete(const std::string& key, const Json& lastState);
  bool stopped() const;

  kube::Client& client_;
  std::shared_ptr<Clock> clock_;
  InformerOptions options_;
  Store store_;
  std::vector<EventHandlers> handlers_;
  std::vector<std::unique_ptr<Reflector>> reflectors_;
  std::thread resyncThread_;
  mutable std::mutex mutex_;  // guards stopped_, the reflectors' open streams, the rng
  std::condition_variable cv_;
  bool stopped_ = false;
  bool started_ = false;
  std::mutex dispatchMutex_;  // one writer + handler call at a time
  std::mt19937 rng_;
};

}  // namespace pmo::runtime
