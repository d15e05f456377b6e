#pragma once
// Client-side token bucket (client-go's QPS/burst): at most `burst` requests at once,
// refilled at `qps` tokens per second. Thread-safe. Time is a parameter: reserve() takes
// `now` and only computes; wait() reads the injected clock and sleeps through the
// injected sleeper, so tests drive it with a fake clock and never sleep.
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

namespace pmo::kube {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  using NowFn = std::function<Clock::time_point()>;
  using SleepFn = std::function<void(Clock::duration)>;

  // qps <= 0 disables the limit. burst < 1 is treated as 1.
  RateLimiter(double qps, int burst, NowFn now = [] { return Clock::now(); },
              SleepFn sleep = [](Clock::duration d) { std::this_thread::sleep_for(d); });

  // Takes one token (possibly borrowing from the future) and returns how long the caller
  // must wait before using it: zero while the bucket has tokens. Reservations are
  // first-come, first-served: concurrent callers get increasing delays.
  Clock::duration reserve(Clock::time_point now);
  // reserve(now()) and sleep for the delay.
  void wait();

  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  const double qps_;
  const int burst_;
  NowFn now_;
  SleepFn sleep_;
  std::mutex mu_;
  double tokens_;
  Clock::time_point last_{};
  bool started_ = false;
};

}  // namespace pmo::kube
