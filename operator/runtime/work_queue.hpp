#pragma once
// A level-based queue of object keys ("namespace/name"), as in client-go's
// RateLimitingQueue. It holds keys, never events: the reconciler re-reads state.
//
// Guarantees:
// - Deduplicated: a key added any number of times before a worker takes it is handed out once.
// - One worker per key: a key added while it is being processed is handed out again only
//   after done(key), so two workers never reconcile the same key at once.
// - addAfter(key, d) makes the key ready at clock.now() + d (the earliest of several
//   pending delays wins); addRateLimited(key) delays by max(per-key exponential backoff,
//   global token bucket). forget(key) resets the key's backoff (call it on success).
// - The backoff grows with the retries it schedules, not with every failure: a failure of a
//   pass that an event brought in while a retry is already due no later than this failure's
//   own backoff is absorbed by that retry (no count, no new wake-up). A rollout's stream of
//   child events therefore cannot push a failing key's next retry out to the cap.
// - shutdown() wakes every blocked get() (which then returns nullopt) and drops keys not
//   yet handed out; a key already handed out is finished normally by its worker.
// Every method is thread-safe.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/clock.hpp"

namespace pmo::runtime {

struct RateLimitOptions {
  // Per-key exponential backoff: baseDelay * 2^failures, capped (client-go's default).
  Clock::Duration baseDelay = std::chrono::milliseconds(5);
  Clock::Duration maxDelay = std::chrono::seconds(1000);
  // Global token bucket shared by every key (client-go's default: 10 qps, burst 100).
  double qps = 10.0;
  int burst = 100;
};

// The delay policy of addRateLimited(), usable alone. Not thread-safe by itself.
class RateLimiter {
 public:
  explicit RateLimiter(RateLimitOptions options, Clock::TimePoint start);
  // The delay for the key's next retry; counts a failure.
  Clock::Duration when(const std::string& key, Clock::TimePoint now);
  // The per-key backoff when() would give next, without counting a failure.
  Clock::Duration nextBackoff(const std::string& key) const;
  void forget(const std::string& key);
  int numRequeues(const std::string& key) const;

 private:
  Clock::Duration bucketDelay(Clock::TimePoint now);

  RateLimitOptions options_;
  std::unordered_map<std::string, int> failures_;
  double tokens_;
  Clock::TimePoint last_;
};

class WorkQueue {
 public:
  explicit WorkQueue(std::shared_ptr<Clock> clock, RateLimitOptions options = {});
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void add(const std::string& key);
  void addAfter(const std::string& key, Clock::Duration delay);
  void addRateLimited(const std::string& key);
  void forget(const std::string& key);
  int numRequeues(const std::string& key) const;

  // Blocks until a key is ready; nullopt once shut down. The caller must call done(key).
  std::optional<std::string> get();
  // Like get() but gives up after `timeout` of clock time (nullopt).
  std::optional<std::string> getFor(Clock::Duration timeout);
  void done(const std::string& key);

  void shutdown();
  bool shuttingDown() const;

  // Keys ready to be handed out (the queue-depth metric); excludes delayed keys.
  std::size_t length();
  // Keys waiting for a delay to pass.
  std::size_t delayedCount() const;

 private:
  void addLocked(const std::string& key);
  void promoteDueLocked();
  std::optional<std::string> getUntil(std::optional<Clock::TimePoint> deadline);

  struct Delayed {
    Clock::TimePoint at;
    std::string key;
    bool operator>(const Delayed& o) const { return at > o.at; }
  };

  std::shared_ptr<Clock> clock_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;       // queued or to be re-queued after done()
  std::unordered_set<std::string> processing_;  // handed out, done() not yet called
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<Delayed>> delayed_;
  std::unordered_map<std::string, Clock::TimePoint> delayedAt_;  // earliest pending time per key
  RateLimiter limiter_;
  bool shutdown_ = false;
};

}  // namespace pmo::runtime
