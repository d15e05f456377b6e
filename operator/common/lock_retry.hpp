#pragma once
// How a statement that needs an ACCESS EXCLUSIVE lock (VACUUM FULL, a repack's swap) asks
// for it without stalling the table's readers.
//
// A lock request that waits in the queue blocks every later request on the table, readers
// included, for as long as it waits. So the lock is asked for in short attempts (each
// under a lock_timeout of `attempt`), with a random pause between them in which the queue
// is empty and readers pass, until `budget` has been spent. A reader then waits at most
// one attempt behind the request, never the whole budget.
//
// Guarantees: no attempt ends after the budget; every pause is within [minPause,
// maxPause] and shortened so that a last attempt still fits; the schedule is a pure
// function of the elapsed time and the seed (tests pass their own).
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace pmo {

struct LockRetryPolicy {
  std::chrono::milliseconds budget{5000};   // total time spent asking; must be > 0
  std::chrono::milliseconds attempt{50};    // lock_timeout of one attempt; must be > 0
  std::chrono::milliseconds minPause{150};  // between attempts: readers pass meanwhile
  std::chrono::milliseconds maxPause{400};
};

class LockRetrySchedule {
 public:
  // Throws std::invalid_argument for a non-positive budget or attempt, or pauses out of order.
  LockRetrySchedule(LockRetryPolicy policy, std::uint64_t seed);

  // The lock_timeout of the next attempt when `elapsed` has been spent since the first
  // one began, or nullopt when the budget is spent.
  std::optional<std::chrono::milliseconds> nextAttempt(std::chrono::milliseconds elapsed) const;
  // How long to pause after an attempt was refused at `elapsed`: jittered, never so long
  // that no attempt fits in the budget afterwards (0 when only one more fits at once).
  std::chrono::milliseconds pauseAfterRefusal(std::chrono::milliseconds elapsed);

  const LockRetryPolicy& policy() const { return policy_; }

 private:
  LockRetryPolicy policy_;
  std::mt19937_64 random_;
};

}  // namespace pmo
