// Token bucket (rate_limiter.hpp). Tokens may go negative: a negative balance is the
// queue of callers already promised a future slot, which keeps the order fair.
#include "kube/rate_limiter.hpp"

#include <algorithm>

namespace pmo::kube {

RateLimiter::RateLimiter(double qps, int burst, NowFn now, SleepFn sleep)
    : qps_(qps), burst_(std::max(burst, 1)), now_(std::move(now)), sleep_(std::move(sleep)), tokens_(burst_) {}

RateLimiter::Clock::duration RateLimiter::reserve(Clock::time_point now) {
  if (qps_ <= 0) return Clock::duration::zero();
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_) {
    started_ = true;
    last_ = now;
  }
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * qps_);
    last_ = now;
  }
  tokens_ -= 1.0;
  if (tokens_ >= 0) return Clock::duration::zero();
  auto wait = std::chrono::duration<double>(-tokens_ / qps_);
  return std::chrono::duration_cast<Clock::duration>(wait);
}

void RateLimiter::wait() {
  Clock::duration delay = reserve(now_());
  if (delay > Clock::duration::zero()) sleep_(delay);
}

}  // namespace pmo::kube
