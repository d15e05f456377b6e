#include "runtime/clock.hpp"

namespace pmo::runtime {

std::shared_ptr<Clock> realClock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<RealClock>();
  return clock;
}

FakeClock::FakeClock(WallTime wallStart) : steady_(TimePoint(std::chrono::hours(1000))), wall_(wallStart) {}

Clock::TimePoint FakeClock::now() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return steady_;
}

Clock::WallTime FakeClock::wallNow() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wall_;
}

void FakeClock::waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          TimePoint deadline) const {
  if (now() >= deadline) return;
  cv.wait_for(lock, std::chrono::milliseconds(2));
}

void FakeClock::advance(Duration d) {
  std::lock_guard<std::mutex> lock(mutex_);
  steady_ += d;
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
}

}  // namespace pmo::runtime
