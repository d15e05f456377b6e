#include "runtime/leader_election.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "runtime/fenced_client.hpp"

#include "runtime/time_format.hpp"
#include "support/eventually.hpp"
#include "support/fake_client.hpp"

namespace pmo::runtime {
namespace {

using namespace std::chrono_literals;
using kube::resources::kLeases;
using Json = nlohmann::json;
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
  ASSERT_FALSE(b.tryAcquireOrRenew()) << "b sees the record now";
  clock->advance(15s);
  EXPECT_TRUE(b.tryAcquireOrRenew()) << "unchanged for 15 s of b's clock";
  EXPECT_EQ(holder(), "b");
  EXPECT_EQ(fake.peek(kLeases, "operators", "phase-maintenance-operator")->at("spec").at("leaseTransitions"), 1);
  EXPECT_FALSE(a.tryAcquireOrRenew()) << "the old leader cannot take it back while b renews";
}

// client-go's rule: expiry is judged by when this node saw the record change, on its own
// clock. The holder's renewTime says nothing: its clock may be hours off.
TEST_F(LeaderElectionTest, ExpiryIsJudgedByLocalObservationNotByTheHoldersRenewTime) {
  auto lease = [&](const std::string& renewTime) {
    return Json{{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "phase-maintenance-operator"}, {"namespace", "operators"}}},
                {"spec", {{"holderIdentity", "x"}, {"leaseDurationSeconds", 15}, {"renewTime", renewTime}}}};
  };
  // The holder's clock is an hour behind: by renewTime the lease expired long ago.
  fake.create(kLeases, "operators", lease(formatMicroTime(clock->wallNow() - 1h)));
  LeaderElector b(fake, clock, opts("b"), {});
  EXPECT_FALSE(b.tryAcquireOrRenew()) << "just seen: valid for 15 s of b's clock";
  clock->advance(10s);
  auto current = fake.get(kLeases, "operators", "phase-maintenance-operator");
  current["spec"]["renewTime"] = formatMicroTime(clock->wallNow() - 1h);  // x renews, skewed
  fake.update(kLeases, "operators", current);
  clock->advance(10s);
  EXPECT_FALSE(b.tryAcquireOrRenew()) << "x renewed 10 s ago as b saw it, whatever its renewTime says";
  EXPECT_EQ(holder(), "x");
  clock->advance(15s);
  EXPECT_TRUE(b.tryAcquireOrRenew()) << "no change seen for 15 s: expired";
  EXPECT_EQ(holder(), "b");

  // The holder's clock an hour ahead: renewTime in the future does not keep the lease.
  LeaderElector c(fake, clock, opts("c"), {});
  current = fake.get(kLeases, "operators", "phase-maintenance-operator");
  current["spec"]["holderIdentity"] = "y";
  current["spec"]["renewTime"] = formatMicroTime(clock->wallNow() + 1h);
  fake.update(kLeases, "operators", current);
  EXPECT_FALSE(c.tryAcquireOrRenew());
  clock->advance(15s);
  EXPECT_TRUE(c.tryAcquireOrRenew()) << "y stopped renewing 15 s ago; its future renewTime is ignored";
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

namespace pmo::runtime {
namespace {

// A client whose Lease updates block until released: a renewal in flight on a slow API server.
class HangingLeaseClient final : public kube::Client {
 public:
  explicit HangingLeaseClient(kube::Client& inner) : inner_(inner) {}
  void hang(bool on) {
    std::lock_guard<std::mutex> lock(m_);
    hang_ = on;
    cv_.notify_all();
  }
  int hanging() const { return hanging_.load(); }
  Json get(const kube::Resource& r, const std::string& ns, const std::string& n) override { return inner_.get(r, ns, n); }
  Json list(const kube::Resource& r, const std::string& ns, const kube::ListOptions& o = {}) override {
    return inner_.list(r, ns, o);
  }
  Json create(const kube::Resource& r, const std::string& ns, const Json& o) override { return inner_.create(r, ns, o); }
  Json update(const kube::Resource& r, const std::string& ns, const Json& o) override {
    std::unique_lock<std::mutex> lock(m_);
    ++hanging_;
    cv_.wait(lock, [&] { return !hang_; });
    --hanging_;
    lock.unlock();
    return inner_.update(r, ns, o);
  }
  Json updateStatus(const kube::Resource& r, const std::string& ns, const Json& o) override {
    return inner_.updateStatus(r, ns, o);
  }
  Json patch(const kube::Resource& r, const std::string& ns, const std::string& n, kube::PatchType t, const Json& p,
             bool s = false) override {
    return inner_.patch(r, ns, n, t, p, s);
  }
  void remove(const kube::Resource& r, const std::string& ns, const std::string& n,
              kube::Propagation p = kube::Propagation::Background,
              const std::optional<std::string>& rv = std::nullopt) override {
    inner_.remove(r, ns, n, p, rv);
  }
  std::unique_ptr<kube::WatchStream> watch(const kube::Resource& r, const std::string& ns,
                                           const kube::WatchOptions& o) override {
    return inner_.watch(r, ns, o);
  }
  std::string getRaw(const std::string& path) override { return inner_.getRaw(path); }

 private:
  kube::Client& inner_;
  std::mutex m_;
  std::condition_variable cv_;
  bool hang_ = false;
  std::atomic<int> hanging_{0};
};

TEST_F(LeaderElectionTest, LeadershipEndsAtTheRenewDeadlineWhileTheRenewalHangs) {
  HangingLeaseClient slow(fake);
  std::atomic<int> started{0}, stopped{0};
  LeaderElector a(slow, clock, opts("a"), {[&] { ++started; }, [&] { ++stopped; }, nullptr});
  a.start();
  ASSERT_TRUE(eventually([&] { return started == 1; }));
  ASSERT_TRUE(a.isLeader());
  slow.hang(true);
  // The next renewal is sent at most 2 s after the last one and hangs.
  ASSERT_TRUE(advanceUntil(*clock, [&] { return slow.hanging() == 1; }, 100ms));
  const auto hungAt = clock->now();
  ASSERT_TRUE(advanceUntil(*clock, [&] { return !a.isLeader(); }, 100ms));
  EXPECT_LE(clock->now() - hungAt, 10s) << "the deadline counts from the last renewal sent, not from a reply";
  EXPECT_EQ(stopped, 0) << "the elector thread is still blocked in its request";
  // The renewal finally lands, after the deadline: it does not count, this term is over.
  slow.hang(false);
  ASSERT_TRUE(eventually([&] { return stopped == 1; }));
  a.stop();
}

TEST(FencedClient, RefusesWritesOnceLeadershipEndedAndPassesReads) {
  FakeClient fake;
  std::atomic<bool> leading{true};
  FencedClient fenced(fake, [&] { return leading.load(); });
  const Json cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "c"}, {"namespace", "ns"}}}};
  ASSERT_NO_THROW(fenced.create(kube::resources::kConfigMaps, "ns", cm));
  leading = false;
  fake.clearRequests();
  EXPECT_THROW(fenced.create(kube::resources::kConfigMaps, "ns", cm), LeadershipLost);
  EXPECT_THROW(fenced.patch(kube::resources::kConfigMaps, "ns", "c", kube::PatchType::Merge, Json::object()),
               LeadershipLost);
  EXPECT_THROW(fenced.update(kube::resources::kConfigMaps, "ns", fake.get(kube::resources::kConfigMaps, "ns", "c")),
               LeadershipLost);
  EXPECT_THROW(fenced.remove(kube::resources::kConfigMaps, "ns", "c"), LeadershipLost);
  EXPECT_EQ(fake.count("*"), 1u) << "only the test's own get reached the server";
  EXPECT_NO_THROW(fenced.get(kube::resources::kConfigMaps, "ns", "c"));
}

}  // namespace
}  // namespace pmo::runtime
