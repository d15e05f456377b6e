#pragma once
// Leader election with a coordination.k8s.io/v1 Lease, as client-go does it.
//
// Guarantees:
// - At most one candidate believes it leads while clocks agree within the lease margin:
//   a lease is taken only when free (empty holder) or expired (renewTime +
//   leaseDurationSeconds <= now), and every write is an update guarded by
//   resourceVersion, so two candidates racing for it cannot both win (Conflict: re-read).
// - A leader that cannot renew for renewDeadline (or sees another holder) stops leading
//   and calls onStoppedLeading before it could be overtaken (renewDeadline < leaseDuration).
// - stop() releases a held lease (empty holder, leaseDurationSeconds 1) so another
//   candidate acquires at once, then calls onStoppedLeading.
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
  bool isLeader() const { return leading_.load(); }
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

  kube::Client& client_;
  std::shared_ptr<Clock> clock_;
  LeaderElectionOptions options_;
  LeaderCallbacks callbacks_;
  std::atomic<bool> leading_{false};
  std::string observedHolder_;
  kube::Json held_;  // the Lease as this replica last wrote it while leading; null otherwise
  std::chrono::system_clock::time_point heldRenewed_{};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
  bool started_ = false;
};

}  // namespace pmo::runtime
