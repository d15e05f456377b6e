#include "runtime/work_queue.hpp"

#include <algorithm>
#include <cmath>

namespace pmo::runtime {

RateLimiter::RateLimiter(RateLimitOptions options, Clock::TimePoint start)
    : options_(options), tokens_(options.burst), last_(start) {}

Clock::Duration RateLimiter::bucketDelay(Clock::TimePoint now) {
  if (options_.qps <= 0) return Clock::Duration::zero();
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    tokens_ = std::min<double>(options_.burst, tokens_ + elapsed * options_.qps);
    last_ = now;
  }
  tokens_ -= 1.0;  // reserve a token; a negative balance is time owed
  if (tokens_ >= 0) return Clock::Duration::zero();
  return std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(-tokens_ / options_.qps));
}

Clock::Duration RateLimiter::nextBackoff(const std::string& key) const {
  const int n = numRequeues(key);
  // base * 2^n without overflow: stop doubling once past the cap.
  if (n < 62) {
    const double d = std::chrono::duration<double>(options_.baseDelay).count() * std::ldexp(1.0, n);
    if (d < std::chrono::duration<double>(options_.maxDelay).count())
      return std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(d));
  }
  return options_.maxDelay;
}

Clock::Duration RateLimiter::when(const std::string& key, Clock::TimePoint now) {
  const Clock::Duration backoff = nextBackoff(key);
  ++failures_[key];
  return std::max(backoff, bucketDelay(now));
}

void RateLimiter::forget(const std::string& key) { failures_.erase(key); }

int RateLimiter::numRequeues(const std::string& key) const {
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

WorkQueue::WorkQueue(std::shared_ptr<Clock> clock, RateLimitOptions options)
    : clock_(std::move(clock)), limiter_(options, clock_->now()) {}

void WorkQueue::addLocked(const std::string& key) {
  if (shutdown_ || dirty_.count(key)) return;
  dirty_.insert(key);
  if (processing_.count(key)) return;  // re-queued by done()
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  addLocked(key);
}

void WorkQueue::addAfter(const std::string& key, Clock::Duration delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (shutdown_) return;
  if (delay <= Clock::Duration::zero()) {
    addLocked(key);
    return;
  }
  const auto at = clock_->now() + delay;
  auto it = delayedAt_.find(key);
  if (it != delayedAt_.end() && it->second <= at) return;  // an earlier wake-up is pending
  delayedAt_[key] = at;
  delayed_.push({at, key});
  cv_.notify_all();  // a waiting get() may need an earlier deadline
}

void WorkQueue::addRateLimited(const std::string& key) {
  Clock::Duration delay;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = clock_->now();
    auto pending = delayedAt_.find(key);
    if (pending != delayedAt_.end() && pending->second <= now + limiter_.nextBackoff(key)) return;
    delay = limiter_.when(key, now);
  }
  addAfter(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  limiter_.forget(key);
}

int WorkQueue::numRequeues(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return limiter_.numRequeues(key);
}

void WorkQueue::promoteDueLocked() {
  const auto now = clock_->now();
  while (!delayed_.empty() && delayed_.top().at <= now) {
    Delayed d = delayed_.top();
    delayed_.pop();
    auto it = delayedAt_.find(d.key);
    if (it == delayedAt_.end() || it->second != d.at) continue;  // superseded by an earlier time
    delayedAt_.erase(it);
    addLocked(d.key);
  }
}

std::optional<std::string> WorkQueue::getUntil(std::optional<Clock::TimePoint> deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (shutdown_) return std::nullopt;
    promoteDueLocked();
    if (!queue_.empty()) break;
    const auto now = clock_->now();
    if (deadline && now >= *deadline) return std::nullopt;
    // Wake for the earliest of: the caller's deadline, the next delayed key, one minute.
    auto wake = now + std::chrono::minutes(1);
    if (!delayed_.empty()) wake = std::min(wake, delayed_.top().at);
    if (deadline) wake = std::min(wake, *deadline);
    clock_->waitUntil(lock, cv_, wake);
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  return key;
}

std::optional<std::string> WorkQueue::get() { return getUntil(std::nullopt); }

std::optional<std::string> WorkQueue::getFor(Clock::Duration timeout) { return getUntil(clock_->now() + timeout); }

void WorkQueue::done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  processing_.erase(key);
  if (dirty_.count(key) && !shutdown_) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::shutdown() {
  std::lock_guard<std::mutex> lock(mutex_);
  shutdown_ = true;
  queue_.clear();
  dirty_.clear();
  delayed_ = {};
  delayedAt_.clear();
  cv_.notify_all();
}

bool WorkQueue::shuttingDown() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return shutdown_;
}

std::size_t WorkQueue::length() {
  std::lock_guard<std::mutex> lock(mutex_);
  promoteDueLocked();
  return queue_.size();
}

std::size_t WorkQueue::delayedCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return delayedAt_.size();
}

}  // namespace pmo::runtime
