#include "runtime/leader_election.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "runtime/time_format.hpp"
#include "support/eventually.hpp"
#include "support/fake_client.hpp"

namespace pmo::runtime {
namespace {

using namespace std::chrono_literals;
using kube::resources::kLeases;
using testing::FakeClient;

using testing::advanceUntil;
using testing::eventually;

struct LeaderElectionTest : ::testing::Test {
  FakeClient fake;
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();

  LeaderElectionOptions opts(const std::string& id) {
    LeaderElectionOptions o;
    o.leaseNamespace = "operators";
    o.identity = id;
    return o;
  }
  std::string holder() { return fake.peek(kLeases, "operators", "phase-maintenance-operator")->at("spec").value("holderIdentity", ""); }
};

TEST(TimeFormat, RoundTripsMicroTimeAndAcceptsOffsets) {
  const auto t = Clock::WallTime(std::chrono::seconds(1767225600) + std::chrono::microseconds(123456));
  EXPECT_EQ(formatMicroTime(t), "2026-01-01T00:00:00.123456Z");
  EXPECT_EQ(formatTime(t), "2026-01-01T00:00:00Z");
  EXPECT_EQ(parseTime("2026-01-01T00:00:00.123456Z"), t);
  EXPECT_EQ(parseTime("2026-01-01T01:00:00.123456+01:00"), t);
  EXPECT_EQ(parseTime("garbage"), std::nullopt);
}

TEST_F(LeaderElectionTest, OnlyOneOfTwoCandidatesLeads) {
  LeaderElector a(fake, clock, opts("a"), {});
  LeaderElector b(fake, clock, opts("b"), {});
  EXPECT_TRUE(a.tryAcquireOrRenew());
  EXPECT_FALSE(b.tryAcquireOrRenew());
  clock->advance(2s);
  EXPECT_TRUE(a.tryAcquireOrRenew()) << "renewal";
  clock->advance(14s);
  EXPECT_FALSE(b.tryAcquireOrRenew()) << "renewed 14 s ago, lease lasts 15 s";
  EXPECT_EQ(holder(), "a");
  const auto lease = *fake.peek(kLeases, "operators", "phase-maintenance-operator");
  EXPECT_EQ(lease["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(lease["spec"]["renewTime"], formatMicroTime(clock->wallNow() - 14s));
}

TEST_F(LeaderElectionTest, AnExpiredLeaseHandsOver) {
  LeaderElector a(fake, clock, opts("a"), {});
  LeaderElector b(fake, clock, opts("b"), {});
  ASSERT_TRUE(a.tryAcquireOrRenew());
  clock->advance(15s);
  EXPECT_TRUE(b.tryAcquireOrRenew());
  EXPECT_EQ(holder(), "b");
  EXPECT_EQ(fake.peek(kLeases, "operators", "phase-maintenance-operator")->at("spec").at("leaseTransitions"), 1);
  EXPECT_FALSE(a.tryAcquireOrRenew()) << "the old leader cannot take it back while b renews";
}

TEST_F(LeaderElectionTest, ReleaseHandsOverAtOnce) {
  LeaderElector a(fake, clock, opts("a"), {});
  LeaderElector b(fake, clock, opts("b"), {});
  ASSERT_TRUE(a.tryAcquireOrRenew());
  ASSERT_FALSE(b.tryAcquireOrRenew());
  a.release();
  EXPECT_EQ(holder(), "");
  EXPECT_TRUE(b.tryAcquireOrRenew()) << "no waiting for expiry after a release";
  b.release();
  b.release();  // idempotent; never throws
  a.release();  // not the holder: leaves the lease alone
  EXPECT_EQ(holder(), "");
}

TEST_F(LeaderElectionTest, ConflictIsAFailedAttemptThenReread) {
  LeaderElector a(fake, clock, opts("a"), {});
  ASSERT_TRUE(a.tryAcquireOrRenew());
  // A conflict on the renewal without a read: the same attempt reads the lease and renews.
  fake.failRequests("update", "leases", kube::ApiError(kube::ErrorReason::Conflict, 409, "modified"), 1);
  EXPECT_TRUE(a.tryAcquireOrRenew());
  // A conflict on that write too: the attempt fails; the next one re-reads.
  fake.failRequests("update", "leases", kube::ApiError(kube::ErrorReason::Conflict, 409, "modified"), 2);
  EXPECT_FALSE(a.tryAcquireOrRenew());
  EXPECT_TRUE(a.tryAcquireOrRenew());
  // A real stale write: b read the lease, a renewed, b's update carries a stale version.
  auto stale = fake.get(kLeases, "operators", "phase-maintenance-operator");
  clock->advance(2s);
  ASSERT_TRUE(a.tryAcquireOrRenew());
  stale["spec"]["holderIdentity"] = "b";
  EXPECT_THROW(fake.update(kLeases, "operators", stale), kube::ApiError);
  EXPECT_EQ(holder(), "a");
}

TEST_F(LeaderElectionTest, TheLeaderRenewsWithOneUpdateAndNoRead) {
  LeaderElector a(fake, clock, opts("a"), {});
  ASSERT_TRUE(a.tryAcquireOrRenew());
  fake.clearRequests();
  for (int i = 0; i < 3; ++i) {
    clock->advance(2s);
    ASSERT_TRUE(a.tryAcquireOrRenew());
  }
  std::vector<std::string> verbs;
  for (const auto& r : fake.requests()) verbs.push_back(r.verb + " " + r.resource);
  EXPECT_EQ(verbs, (std::vector<std::string>{"update leases", "update leases", "update leases"}));
  EXPECT_EQ(holder(), "a");
  // Once its own lease has expired (a long pause), it reads before it writes again.
  clock->advance(60s);
  fake.clearRequests();
  ASSERT_TRUE(a.tryAcquireOrRenew());
  ASSERT_FALSE(fake.requests().empty());
  EXPECT_EQ(fake.requests().front().verb, "get");
}

TEST_F(LeaderElectionTest, LoopLeadsLosesAfterRenewDeadlineAndReleasesOnStop) {
  std::atomic<int> started{0}, stopped{0};
  std::atomic<Clock::TimePoint::rep> lostAt{0};
  LeaderElector a(fake, clock, opts("a"),
                  {[&] { ++started; }, [&] { lostAt = clock->now().time_since_epoch().count(); ++stopped; }, nullptr});
  LeaderElector b(fake, clock, opts("b"), {});
  a.start();
  ASSERT_TRUE(eventually([&] { return started == 1; }));
  EXPECT_TRUE(a.isLeader());
  // The API server refuses every write: renewals fail until renewDeadline (10 s) passes.
  fake.failRequests("update", "leases", kube::ApiError(kube::ErrorReason::ServerError, 500, "etcd down"), -1);
  const auto failingSince = clock->now();
  ASSERT_TRUE(advanceUntil(*clock, [&] { return stopped == 1; }));
  EXPECT_FALSE(a.isLeader());
  const auto lost = Clock::TimePoint(Clock::Duration(lostAt.load()));
  EXPECT_GE(lost - failingSince, 10s) << "not before renewDeadline";
  EXPECT_LE(lost - failingSince, 15s) << "before the lease could expire for others";
  fake.clearFailures();
  // Still its name on the lease: it takes it back on the next attempt (no other candidate).
  ASSERT_TRUE(advanceUntil(*clock, [&] { return started == 2; }));
  a.stop();
  EXPECT_EQ(stopped, 2);
  EXPECT_EQ(holder(), "");
  EXPECT_TRUE(b.tryAcquireOrRenew()) << "released: b takes over at once";
}

}  // namespace
}  // namespace pmo::runtime
