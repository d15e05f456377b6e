#pragma once
// The object store: one global resourceVersion counter, objects per resource type, the
// event history for watch replay, and the open watches.
//
// Guarantees: every mutation takes one lock, gets the next resourceVersion and appends one
// event; watchers and listeners see events in resourceVersion order, each once. Callers do
// read-modify-write under `lock()` so optimistic concurrency checks are atomic.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::sandbox {

using ObjectPtr = std::shared_ptr<const nlohmann::json>;

struct StoreEvent {
  std::string type;  // ADDED MODIFIED DELETED
  uint64_t rv = 0;
  std::string typeKey;
  std::string ns;
  ObjectPtr object;
  ObjectPtr previous;  // null for ADDED
};

struct Watcher {
  std::string typeKey;
  std::string ns;  // "" all
  uint64_t fromRv = 0;  // events at or before this resourceVersion are not delivered
  std::deque<StoreEvent> queue;  // guarded by the store mutex
  bool dropped = false;
  std::condition_variable cv;
};

class Store {
 public:
  explicit Store(size_t historyLimit);

  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(mutex_); }
  std::mutex& mutex() { return mutex_; }

  // --- everything below requires the lock ---
  uint64_t currentRv() const { return rv_; }
  ObjectPtr find(const std::string& typeKey, const std::string& ns, const std::string& name) const;
  // Objects of a type in key order (namespace, name), "" ns: all namespaces.
  std::vector<ObjectPtr> list(const std::string& typeKey, const std::string& ns) const;
  // Objects of a type as they were right after resourceVersion `rv`, in key order, rebuilt
  // from the kept history. Requires compactedRv() <= rv <= currentRv().
  std::vector<ObjectPtr> listAt(const std::string& typeKey, const std::string& ns, uint64_t rv) const;
  // Waits on `lock` (this store's) until currentRv() >= rv or `until`; true when reached.
  bool waitForRv(std::unique_lock<std::mutex>& lock, uint64_t rv, std::chrono::steady_clock::time_point until);
  // Visits every stored object of every type.
  void forEach(const std::function<void(const std::string& typeKey, const ObjectPtr&)>& f) const;
  // Stores `object` (setting metadata.resourceVersion) and emits ADDED or MODIFIED.
  ObjectPtr put(const std::string& typeKey, nlohmann::json object);
  // Removes the object and emits DELETED carrying `last` (with a new resourceVersion).
  ObjectPtr erase(const std::string& typeKey, nlohmann::json last);
  // Removes every object of a type without events (CRD deleted after its objects are gone).
  void dropType(const std::string& typeKey);

  // Registers a watch from `fromRv` (0: now). Replays kept events newer than fromRv; a
  // fromRv in the future delivers nothing until the store passes it (as the watch cache).
  // Returns null when fromRv is older than the kept history (the caller answers 410).
  std::shared_ptr<Watcher> watch(const std::string& typeKey, const std::string& ns, uint64_t fromRv);
  void unwatch(const std::shared_ptr<Watcher>& w);
  void dropWatches();
  void compact();
  uint64_t compactedRv() const { return compactedRv_; }
  // Called under the lock for each event; must not block or call back into the store.
  void addListener(std::function<void(const StoreEvent&)> listener);

 private:
  static std::string objectKey(const nlohmann::json& o);
  void emit(StoreEvent e);

  std::mutex mutex_;
  std::condition_variable rvAdvanced_;
  uint64_t rv_ = 1;
  uint64_t compactedRv_ = 1;
  size_t historyLimit_;
  std::map<std::string, std::map<std::string, ObjectPtr>> objects_;
  std::deque<StoreEvent> history_;
  std::vector<std::shared_ptr<Watcher>> watchers_;
  std::vector<std::function<void(const StoreEvent&)>> listeners_;
};

// Small helpers on object metadata.
std::string metaString(const nlohmann::json& o, const char* field);
std::string nowRfc3339();
std::string newUid();

}  // namespace pmo::sandbox
