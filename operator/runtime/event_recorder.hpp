#pragma once
// Records core/v1 Events about objects, as `kubectl describe` shows them.
//
// Guarantees:
// - Never throws into the caller: a failed write is logged (warn) and dropped; an Event
//   is a notification, not state.
// - Repeats are folded: an Event identical to a recent one (same object uid, type, reason,
//   message) patches that Event's count and lastTimestamp instead of creating another.
//   The cache of recent Events is in memory, bounded (LRU), and lost on restart.
// - Messages are truncated to 1024 bytes.
// - Names are DNS subdomains of at most 253 characters, whatever the object's name.
// Callers' duty: messages must never contain secrets (passwords, tokens, connection
// strings with credentials); Events are readable by anyone who can read the namespace.
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "kube/client.hpp"
#include "runtime/clock.hpp"

namespace pmo::runtime {

enum class EventType { Normal, Warning };

struct EventRecorderOptions {
  std::string component = "phase-maintenance-operator";
  std::string host;             // source.host / reportingInstance (e.g. the pod name); optional
  std::size_t cacheSize = 4096;  // recent Events remembered for de-duplication
};

class EventRecorder {
 public:
  EventRecorder(kube::Client& client, std::shared_ptr<Clock> clock, EventRecorderOptions options = {});

  // `object` is the involved object as read from the API (apiVersion, kind, metadata).
  // `reason` is UpperCamelCase (e.g. MigrationStarted).
  void record(const kube::Json& object, EventType type, const std::string& reason, const std::string& message);
  void normal(const kube::Json& object, const std::string& reason, const std::string& message) {
    record(object, EventType::Normal, reason, message);
  }
  void warning(const kube::Json& object, const std::string& reason, const std::string& message) {
    record(object, EventType::Warning, reason, message);
  }
  // The Event of one fact, identified by `factKey` (e.g. a recovery's request key): its
  // name is derived from the object's uid, the key and the reason, so it is created at
  // most once, also across restarts and replicas (a second create meets AlreadyExists and
  // is dropped). Never folded or counted.
  void recordOnce(const kube::Json& object, EventType type, const std::string& reason, const std::string& message,
                  const std::string& factKey);

 private:
  struct Entry {
    std::string key;
    std::string ns;
    std::string name;
    long count;
  };
  kube::Json build(const kube::Json& object, const char* type, const std::string& reason, const std::string& message,
                   const std::string& ns, const std::string& name, const std::string& now) const;
  void remember(Entry entry);

  kube::Client& client_;
  std::shared_ptr<Clock> clock_;
  EventRecorderOptions options_;
  std::mutex mutex_;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::uint64_t sequence_ = 0;
};

}  // namespace pmo::runtime
