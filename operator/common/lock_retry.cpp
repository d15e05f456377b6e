#include "common/lock_retry.hpp"

#include <algorithm>
#include <stdexcept>

namespace pmo {

using std::chrono::milliseconds;

LockRetrySchedule::LockRetrySchedule(LockRetryPolicy policy, std::uint64_t seed) : policy_(policy), random_(seed) {
  if (policy_.budget.count() <= 0) throw std::invalid_argument("the lock budget must be positive");
  if (policy_.attempt.count() <= 0) throw std::invalid_argument("a lock attempt must last a positive time");
  if (policy_.minPause.count() < 0 || policy_.maxPause < policy_.minPause)
    throw std::invalid_argument("lock retry pauses must satisfy 0 <= minPause <= maxPause");
}

std::optional<milliseconds> LockRetrySchedule::nextAttempt(milliseconds elapsed) const {
  const milliseconds remaining = policy_.budget - elapsed;
  if (remaining.count() <= 0) return std::nullopt;
  return std::min(policy_.attempt, remaining);
}

milliseconds LockRetrySchedule::pauseAfterRefusal(milliseconds elapsed) {
  std::uniform_int_distribution<long long> pick(policy_.minPause.count(), policy_.maxPause.count());
  const milliseconds pause(pick(random_));
  // Leave room for one full attempt, or for whatever is left when less than that remains.
  const milliseconds room = policy_.budget - elapsed - policy_.attempt;
  return std::max(milliseconds(0), std::min(pause, room));
}

}  // namespace pmo
