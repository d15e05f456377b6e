#pragma once
// Leader election with a coordination.k8s.io/v1 Lease, as client-go's
// tools/leaderelection does it.
//
// Guarantees:
// - Expiry is judged by local observation, never by comparing another node's renewTime
//   with this node's clock: a candidate takes a held lease only when the record has not
//   changed for leaseDurationSeconds of its own monotonic clock since it last saw it
//   change. Clock skew between nodes does not matter; a newcomer waits one full lease
//   duration before it may take a lease it has just seen.
// - Every write is an update guarded by resourceVersion, so two candidates racing for a
//   lease cannot both win (Conflict: re-read).
// - Leadership is a deadline, not a flag: isLeader() is true only until renewDeadline
//   after the last successful renewal was sent, checked against the clock on each call.
//   A renewal still in flight when the deadline passes does not extend it; writes guarded
//   by isLeader() stop at the deadline even while the elector's own request hangs.
//   renewDeadline < leaseDuration leaves the rest of the lease as the margin within which
//   a write sent before the deadline lands before anyone else may lead.
// - The loop (start()) renews every retryPeriod and calls onStoppedLeading once the
//   deadline passed or another holder is seen. Followers try every retryPeriod
//   (jittered): one GET of the Lease each retryPeriod, as client-go.
// - stop() releases a held lease (empty holder, leaseDurationSeconds 1) so another
//   candidate acquires at once, then calls onStoppedLeading.
// The client should be the elector's own (see run.cpp): a request timeout shorter than
// renewDeadline, no client-side throttling, no 429 retries, so that Lease calls never
// queue behind the reconciler's traffic.
// Callbacks run on the elector's thread; onStartedLeading should start work and return.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kube/client.hpp"
#include "runtime/clock.hpp"

namespace pmo::runtime {

struct LeaderElectionOptions {
  std::string leaseName = "phase-maintenance-operator";
  std::string leaseNamespace;
  std::string identity;  // empty: defaultIdentity()
  Clock::Duration leaseDuration = std::chrono::seconds(15);
  Clock::Duration renewDeadline = std::chrono::seconds(10);
  Clock::Duration retryPeriod = std::chrono::seconds(2);
};

struct LeaderCallbacks {
  std::function<void()> onStartedLeading;
  std::function<void()> onStoppedLeading;
  std::function<void(const std::string& identity)> onNewLeader;  // optional; observed holder changed
};

class LeaderElector {
 public:
  LeaderElector(kube::Client& client, std::shared_ptr<Clock> clock, LeaderElectionOptions options,
                LeaderCallbacks callbacks);
  ~LeaderElector();  // stop()s
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Runs the acquire/renew loop on a thread of its own.
  void start();
  // Ends the loop; releases the lease if held and calls onStoppedLeading.
  void stop();
  // True while this candidate holds the lease and its renew deadline has not passed.
  // Thread-safe and cheap: the fence every write of the operator checks.
  bool isLeader() const;
  const std::string& identity() const { return options_.identity; }

  // One attempt to acquire or renew; true if this candidate holds the lease afterwards.
  // Never throws (API errors count as a failed attempt). The loop is built on it; tests
  // may drive it directly.
  bool tryAcquireOrRenew();
  // Gives the lease up if this candidate holds it. Never throws.
  void release();

  // "<hostname>_<random uuid>"
  static std::string defaultIdentity();

 private:
  void run();
  bool sleepFor(Clock::Duration d);
  void becomeFollower();
  void observe(const kube::Json& lease);  // the record as read or written, at clock now()
  bool observedLeaseValid(Clock::TimePoint now) const;
  void leadUntilDeadlineFrom(Clock::TimePoint sentAt);

  kube::Client& client_;
  std::shared_ptr<Clock> clock_;
  LeaderElectionOptions options_;
  LeaderCallbacks callbacks_;
  std::atomic<bool> leading_{false};
  // The end of leadership: renewDeadline after the last successful write was sent
  // (steady clock ticks); read by isLeader() from any thread.
  std::atomic<Clock::Duration::rep> leaderUntil_{0};
  // The elector thread's own view (client-go's observedRecord / observedTime).
  kube::Json observed_ = kube::Json::object();  // the Lease last read or written
  std::string observedSpec_;   // its spec as text: a change of it restarts observedTime_
  Clock::TimePoint observedTime_{};
  std::string reportedHolder_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool started_ = false;
};

}  // namespace pmo::runtime
