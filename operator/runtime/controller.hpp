#pragma once
// A level-based controller: informers map changes to keys in a WorkQueue, N workers call
// reconcile(key). The reconciler re-reads what it needs from the informers' stores.
//
// Outcome policy (the one error policy):
//   ReconcileResult::done()          success; wait for the next change. Backoff is reset.
//   ReconcileResult::after(d)        success; reconcile again in d (e.g. next schedule time).
//   ReconcileResult::terminal(why)   logged and counted; not retried until a watched object
//   (or throw TerminalError)         mapping to this key changes (a resync does not count).
//   ReconcileResult::backoff(why)    a failure already reported (e.g. in status): retried
//   (or throw anything else)         with per-key exponential backoff + global limit.
// A reconciler that has recorded its failure returns it as a value; exceptions are for the
// failures it did not anticipate (a transient API error mid-way).
// Each reconcile logs one line: controller, key, outcome, durationMs (and the error).
//
// Guarantees: one reconcile per key at a time; workers start only after every watched
// informer has synced, so a reconciler never mistakes a cold cache for a missing object;
// stop() stops the informers, lets the reconciles in flight finish, then returns.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "runtime/clock.hpp"
#include "runtime/informer.hpp"
#include "runtime/work_queue.hpp"

namespace pmo::runtime {

struct ReconcileResult {
  enum class Failure { None, Backoff, Terminal };
  std::optional<Clock::Duration> requeueAfter;  // nullopt: wait for a change
  Failure failure = Failure::None;
  std::string error;  // Backoff, Terminal: what failed, for the log

  static ReconcileResult done() { return ReconcileResult(); }
  static ReconcileResult after(Clock::Duration d) {
    ReconcileResult r;
    r.requeueAfter = d;
    return r;
  }
  static ReconcileResult backoff(std::string why) { return failed(Failure::Backoff, std::move(why)); }
  static ReconcileResult terminal(std::string why) { return failed(Failure::Terminal, std::move(why)); }

 private:
  static ReconcileResult failed(Failure f, std::string why) {
    ReconcileResult r;
    r.failure = f;
    r.error = std::move(why);
    return r;
  }
};

// A failure that retrying cannot fix (an invalid spec): reported, not retried.
class TerminalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Reconciler = std::function<ReconcileResult(const std::string& key)>;
// Maps a changed object to the keys to reconcile.
using Mapper = std::function<std::vector<std::string>(const Json& object)>;

namespace mappers {
// The object's own key.
Mapper self();
// The keys of the object's owners of `kind` in `apiGroup` (e.g. "maintenance.phase.dev"),
// in the object's namespace.
Mapper ownersOfKind(const std::string& apiGroup, const std::string& kind);
}  // namespace mappers

// Reconcile outcomes as metrics see them: "success", "requeue", "error", "terminal".
class ReconcileObserver {
 public:
  virtual ~ReconcileObserver() = default;
  virtual void reconciled(const std::string& controller, const std::string& outcome, double seconds) = 0;
  virtual void retried(const std::string& controller) = 0;
};

struct ControllerOptions {
  std::string name = "controller";
  int workers = 2;
  RateLimitOptions rateLimit;
  ReconcileObserver* observer = nullptr;  // not owned; may be null
  // Idle workers wake this often to heartbeat (see lastHeartbeat()).
  Clock::Duration heartbeatInterval = std::chrono::seconds(5);
};

class Controller {
 public:
  Controller(std::shared_ptr<Clock> clock, Reconciler reconcile, ControllerOptions options = {});
  ~Controller();  // stop()s
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Before start(): every change seen by `informer` enqueues mapper(object). The informer
  // is not owned; the controller starts and stops it.
  void watch(Informer& informer, Mapper mapper);

  // Starts the informers only (idempotent). With leader election, call this on every
  // replica so followers keep warm caches (and become ready), and start() once leading.
  void startInformers();
  // Starts the informers and the workers; returns at once.
  void start();
  // Stops the informers and the workers; the reconciles in flight finish first.
  void stop();
  bool workersRunning() const { return workersRunning_.load(); }

  bool informersSynced() const;
  // The last time any worker loop was alive (idle or after a reconcile); for liveness.
  // Stale only when every worker is stuck (or the loop died).
  Clock::TimePoint lastHeartbeat() const;
  WorkQueue& queue() { return queue_; }
  const std::string& name() const { return options_.name; }

 private:
  void enqueue(const std::vector<std::string>& keys, bool isChange);
  void worker();
  void processOne(const std::string& key);
  void heartbeat();

  std::shared_ptr<Clock> clock_;
  Reconciler reconcile_;
  ControllerOptions options_;
  WorkQueue queue_;
  std::vector<Informer*> informers_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> workersRunning_{false};
  bool informersStarted_ = false;
  mutable std::mutex mutex_;  // guards terminal_, heartbeat_
  std::unordered_set<std::string> terminal_;  // keys parked after a TerminalError
  Clock::TimePoint heartbeat_;
};

}  // namespace pmo::runtime
