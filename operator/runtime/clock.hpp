#pragma once
// Time as a parameter (docs/architecture.md, principle 5). Everything in the runtime that waits,
// backs off, schedules or stamps a time asks a Clock, so tests drive time by hand with
// FakeClock and never sleep to see a transition.
//
// Two readings: now() is monotonic (deadlines, backoff, durations); wallNow() is the
// calendar time written into API objects (Lease renewTime, Event timestamps).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace pmo::runtime {

class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual WallTime wallNow() const = 0;

  // Blocks the caller, who holds `lock` (the mutex `cv` waits with), until `deadline`
  // on this clock may have passed or `cv` is notified. Spurious returns are allowed:
  // callers re-check their condition and now() in a loop.
  virtual void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         TimePoint deadline) const = 0;
};

// The process clock: std::chrono::steady_clock and system_clock.
class RealClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 TimePoint deadline) const override {
    cv.wait_until(lock, deadline);
  }
};

std::shared_ptr<Clock> realClock();

// A clock that moves only when advance() is called. Both readings move together.
// waitUntil() returns after at most ~2 ms of real time so that waiters notice an
// advance promptly; their loops re-check now() and wait again while time stands still.
class FakeClock final : public Clock {
 public:
  // Starts at an arbitrary steady point and at `wallStart` (default 2026-01-01T00:00:00Z).
  explicit FakeClock(WallTime wallStart = WallTime(std::chrono::seconds(1767225600)));

  TimePoint now() const override;
  WallTime wallNow() const override;
  void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 TimePoint deadline) const override;

  void advance(Duration d);

 private:
  mutable std::mutex mutex_;
  TimePoint steady_;
  WallTime wall_;
};

}  // namespace pmo::runtime
