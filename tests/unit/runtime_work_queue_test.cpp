#include "runtime/work_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/eventually.hpp"

namespace pmo::runtime {
namespace {

using namespace std::chrono_literals;

struct WorkQueueTest : ::testing::Test {
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
};

TEST_F(WorkQueueTest, DeduplicatesKeysNotYetTaken) {
  WorkQueue q(clock);
  q.add("ns/a");
  q.add("ns/a");
  q.add("ns/b");
  EXPECT_EQ(q.length(), 2u);
  EXPECT_EQ(q.get(), "ns/a");
  EXPECT_EQ(q.get(), "ns/b");
  EXPECT_EQ(q.length(), 0u);
}

TEST_F(WorkQueueTest, KeyAddedWhileProcessingIsHandedOutAgainOnlyAfterDone) {
  WorkQueue q(clock);
  q.add("ns/a");
  auto k = q.get();
  ASSERT_EQ(k, "ns/a");
  q.add("ns/a");
  q.add("ns/a");
  EXPECT_EQ(q.length(), 0u) << "a key in flight must not be handed to a second worker";
  std::optional<std::string> second = "unset";
  std::atomic<bool> returned{false};
  std::thread t([&] { second = q.getFor(1s); returned = true; });
  ASSERT_TRUE(testing::advanceUntil(*clock, [&] { return returned.load(); }, 100ms));
  t.join();
  EXPECT_EQ(second, std::nullopt) << "getFor gives up after its timeout";
  q.done("ns/a");
  EXPECT_EQ(q.length(), 1u);
  EXPECT_EQ(q.get(), "ns/a");
  q.done("ns/a");
  EXPECT_EQ(q.length(), 0u);
}

TEST_F(WorkQueueTest, TwoWorkersNeverHoldTheSameKey) {
  WorkQueue q(realClock());
  std::atomic<int> inFlight{0}, maxInFlight{0}, processed{0};
  auto worker = [&] {
    while (auto k = q.get()) {
      const int n = ++inFlight;
      int m = maxInFlight.load();
      while (n > m && !maxInFlight.compare_exchange_weak(m, n)) {}
      std::this_thread::sleep_for(1ms);
      --inFlight;
      ++processed;
      q.done(*k);
    }
  };
  std::thread w1(worker), w2(worker);
  for (int i = 0; i < 50; ++i) {
    q.add("ns/same");
    std::this_thread::sleep_for(200us);
  }
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (q.length() > 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(5ms);
  q.shutdown();
  w1.join();
  w2.join();
  EXPECT_EQ(maxInFlight.load(), 1);
  EXPECT_GE(processed.load(), 1);
  EXPECT_LT(processed.load(), 50) << "adds of a queued key must coalesce";
}

TEST_F(WorkQueueTest, AddAfterBecomesReadyWhenTheClockReachesTheDelay) {
  WorkQueue q(clock);
  q.addAfter("ns/a", 10s);
  EXPECT_EQ(q.length(), 0u);
  EXPECT_EQ(q.delayedCount(), 1u);
  clock->advance(9s);
  EXPECT_EQ(q.length(), 0u);
  clock->advance(1s);
  EXPECT_EQ(q.length(), 1u);
  EXPECT_EQ(q.get(), "ns/a");
}

TEST_F(WorkQueueTest, AddAfterKeepsTheEarliestPendingTime) {
  WorkQueue q(clock);
  q.addAfter("ns/a", 10s);
  q.addAfter("ns/a", 60s);
  q.addAfter("ns/a", 5s);
  clock->advance(5s);
  EXPECT_EQ(q.length(), 1u);
  EXPECT_EQ(q.get(), "ns/a");
  q.done("ns/a");
  clock->advance(60s);
  EXPECT_EQ(q.length(), 0u) << "superseded delays must not fire again";
}

TEST_F(WorkQueueTest, BlockedGetWakesWhenTheFakeClockPassesADelay) {
  WorkQueue q(clock);
  q.addAfter("ns/a", 30s);
  std::optional<std::string> got;
  std::atomic<bool> returned{false};
  std::thread t([&] { got = q.get(); returned = true; });
  clock->advance(30s);  // the delay is fixed at addAfter(): one advance suffices
  ASSERT_TRUE(testing::eventually([&] { return returned.load(); }));
  t.join();
  EXPECT_EQ(got, "ns/a");
}

TEST(RateLimiter, BackoffDoublesFromFiveMillisecondsAndIsCapped) {
  RateLimitOptions opts;
  opts.qps = 0;  // per-key backoff alone
  opts.maxDelay = 1000s;
  RateLimiter rl(opts, Clock::TimePoint{});
  const Clock::TimePoint t{};
  EXPECT_EQ(rl.when("k", t), Clock::Duration(5ms));
  EXPECT_EQ(rl.when("k", t), Clock::Duration(10ms));
  EXPECT_EQ(rl.when("k", t), Clock::Duration(20ms));
  EXPECT_EQ(rl.when("k", t), Clock::Duration(40ms));
  EXPECT_EQ(rl.when("other", t), Clock::Duration(5ms)) << "backoff is per key";
  for (int i = 0; i < 30; ++i) rl.when("k", t);
  EXPECT_EQ(rl.when("k", t), Clock::Duration(1000s));
  for (int i = 0; i < 100; ++i) rl.when("k", t);
  EXPECT_EQ(rl.when("k", t), Clock::Duration(1000s)) << "no overflow past the cap";
  EXPECT_EQ(rl.numRequeues("k"), 136);
}

TEST(RateLimiter, TokenBucketDelaysBeyondTheBurst) {
  RateLimitOptions opts;
  opts.baseDelay = 0ms;
  opts.qps = 10;
  opts.burst = 3;
  Clock::TimePoint t{};
  RateLimiter rl(opts, t);
  EXPECT_EQ(rl.when("a", t), Clock::Duration::zero());
  EXPECT_EQ(rl.when("b", t), Clock::Duration::zero());
  EXPECT_EQ(rl.when("c", t), Clock::Duration::zero());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(rl.when("d", t)), 100ms);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(rl.when("e", t)), 200ms);
  t += 1s;  // refills 10 tokens, capped at the burst
  EXPECT_EQ(rl.when("f", t), Clock::Duration::zero());
}

TEST_F(WorkQueueTest, AddRateLimitedBacksOffAndForgetResets) {
  WorkQueue q(clock);
  q.addRateLimited("ns/a");
  EXPECT_EQ(q.length(), 0u);
  clock->advance(5ms);
  ASSERT_EQ(q.get(), "ns/a");
  q.done("ns/a");
  q.addRateLimited("ns/a");
  clock->advance(9ms);
  EXPECT_EQ(q.length(), 0u);
  clock->advance(1ms);
  ASSERT_EQ(q.get(), "ns/a");
  q.done("ns/a");
  EXPECT_EQ(q.numRequeues("ns/a"), 2);
  q.forget("ns/a");
  EXPECT_EQ(q.numRequeues("ns/a"), 0);
  q.addRateLimited("ns/a");
  clock->advance(5ms);
  EXPECT_EQ(q.length(), 1u) << "after forget the backoff starts again at the base delay";
}

// A failing key woken by events (a rollout's Deployment updates) between its retries: those
// failures are absorbed by the retry already due, so the backoff grows once per retry.
TEST_F(WorkQueueTest, FailuresOfEventPassesBeforeTheDueRetryDoNotGrowTheBackoff) {
  WorkQueue q(clock);
  q.addRateLimited("ns/a");  // first failure: retry in 5 ms
  for (int event = 0; event < 10; ++event) {
    q.add("ns/a");
    ASSERT_EQ(q.get(), "ns/a");
    q.done("ns/a");
    q.addRateLimited("ns/a");  // failed again before the retry was due
  }
  EXPECT_EQ(q.numRequeues("ns/a"), 1);
  clock->advance(5ms);
  ASSERT_EQ(q.get(), "ns/a") << "the retry scheduled by the first failure still fires";
  q.done("ns/a");
  q.addRateLimited("ns/a");  // the retry failed: now it counts
  EXPECT_EQ(q.numRequeues("ns/a"), 2);
  clock->advance(9ms);
  EXPECT_EQ(q.length(), 0u);
  clock->advance(1ms);
  EXPECT_EQ(q.length(), 1u) << "the second retry after 10 ms, not after 5 ms * 2^11";
}

// A far-off planned wake-up (a requeueAfter of an hour) does not absorb a failure: the
// failure gets its own short retry.
TEST_F(WorkQueueTest, AFarPlannedWakeUpDoesNotDelayAFailuresRetry) {
  WorkQueue q(clock);
  q.addAfter("ns/a", 1h);
  q.addRateLimited("ns/a");
  EXPECT_EQ(q.numRequeues("ns/a"), 1);
  clock->advance(5ms);
  EXPECT_EQ(q.length(), 1u);
}

TEST_F(WorkQueueTest, ShutdownWakesBlockedGetAndLetsTheInFlightItemFinish) {
  WorkQueue q(realClock());
  q.add("ns/a");
  auto inFlight = q.get();
  ASSERT_EQ(inFlight, "ns/a");
  std::optional<std::string> got = "unset";
  std::thread t([&] { got = q.get(); });
  std::this_thread::sleep_for(10ms);
  q.shutdown();
  t.join();
  EXPECT_EQ(got, std::nullopt);
  EXPECT_TRUE(q.shuttingDown());
  q.add("ns/b");
  q.done("ns/a");  // the in-flight worker finishes normally
  EXPECT_EQ(q.length(), 0u);
  EXPECT_EQ(q.get(), std::nullopt);
}

}  // namespace
}  // namespace pmo::runtime
