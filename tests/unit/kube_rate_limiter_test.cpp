// Token bucket with a fake clock (kube/rate_limiter.hpp): no test sleeps.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "kube/rate_limiter.hpp"

namespace pmo::kube {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

TEST(KubeRateLimiter, BurstPassesThenRequestsAreSpacedByQps) {
  RateLimiter limiter(10, 3);
  Clock::time_point t0{};
  EXPECT_EQ(limiter.reserve(t0), Clock::duration::zero());
  EXPECT_EQ(limiter.reserve(t0), Clock::duration::zero());
  EXPECT_EQ(limiter.reserve(t0), Clock::duration::zero());
  EXPECT_EQ(limiter.reserve(t0), Clock::duration(100ms));  // 1 token per 100 ms
  EXPECT_EQ(limiter.reserve(t0), Clock::duration(200ms));  // queued behind the previous
}

TEST(KubeRateLimiter, RefillsWithTimeUpToBurst) {
  RateLimiter limiter(2, 2);
  Clock::time_point t0{};
  limiter.reserve(t0);
  limiter.reserve(t0);
  EXPECT_EQ(limiter.reserve(t0 + 500ms), Clock::duration::zero());  // one token back after 0.5 s
  EXPECT_GT(limiter.reserve(t0 + 500ms), Clock::duration::zero());
  // A long pause does not bank more than `burst` tokens.
  Clock::time_point later = t0 + 1h;
  EXPECT_EQ(limiter.reserve(later), Clock::duration::zero());
  EXPECT_EQ(limiter.reserve(later), Clock::duration::zero());
  EXPECT_EQ(limiter.reserve(later), Clock::duration(500ms));
}

TEST(KubeRateLimiter, ZeroQpsDisablesTheLimit) {
  RateLimiter limiter(0, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.reserve(Clock::time_point{}), Clock::duration::zero());
}

TEST(KubeRateLimiter, WaitSleepsThroughTheInjectedSleeper) {
  Clock::time_point now{};
  std::vector<Clock::duration> slept;
  RateLimiter limiter(4, 1, [&] { return now; }, [&](Clock::duration d) { slept.push_back(d); });
  limiter.wait();
  limiter.wait();
  ASSERT_EQ(slept.size(), 1u);
  EXPECT_EQ(slept[0], Clock::duration(250ms));
}

TEST(KubeRateLimiter, ConcurrentCallersEachGetADistinctSlot) {
  RateLimiter limiter(100, 1);
  Clock::time_point t0{};
  constexpr int kThreads = 4, kEach = 50;
  std::vector<std::vector<Clock::duration>> delays(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) delays[t].push_back(limiter.reserve(t0));
    });
  }
  for (auto& th : threads) th.join();
  std::vector<Clock::duration> all;
  for (auto& d : delays) all.insert(all.end(), d.begin(), d.end());
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_NEAR(std::chrono::duration<double>(all[i]).count(), i * 0.01, 1e-6) << i;
  }
}

}  // namespace
}  // namespace pmo::kube
