#include "observability/health.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "support/eventually.hpp"
#include "support/fake_client.hpp"

namespace pmo::observability {
namespace {

using namespace std::chrono_literals;
using runtime::FakeClock;

using testing::advanceUntil;
using testing::eventually;

TEST(Health, JoinsTheReasonsOfFailingChecks) {
  Health h;
  EXPECT_TRUE(h.ready().ok);
  EXPECT_EQ(h.ready().reason, "ok");
  h.addReadinessCheck("a", [] { return std::optional<std::string>(); });
  h.addReadinessCheck("b", [] { return std::optional<std::string>("not yet"); });
  h.addReadinessCheck("c", []() -> std::optional<std::string> { throw std::runtime_error("boom"); });
  const auto s = h.ready();
  EXPECT_FALSE(s.ok);
  EXPECT_EQ(s.reason, "b: not yet; c: check threw: boom");
  EXPECT_TRUE(h.live().ok);
}

TEST(Health, ReadyOnlyWhenEveryCacheSynced) {
  testing::FakeClient fake;
  auto clock = std::make_shared<FakeClock>();
  fake.failRequests("list", "jobs", kube::ApiError(kube::ErrorReason::ServerError, 500, "down"), 1);
  runtime::InformerOptions po;
  po.resource = kube::resources::kPhaseMaintenances;
  runtime::InformerOptions jo;
  jo.resource = kube::resources::kJobs;
  runtime::Informer pms(fake, clock, po), jobs(fake, clock, jo);
  Health h;
  h.addReadinessCheck("informers", informersSynced({&pms, &jobs}));
  EXPECT_EQ(h.ready().reason, "informers: caches not synced: phasemaintenances, jobs");
  pms.start();
  jobs.start();
  ASSERT_TRUE(pms.waitForSync(3000ms));
  EXPECT_EQ(h.ready().reason, "informers: caches not synced: jobs");
  ASSERT_TRUE(advanceUntil(*clock, [&] { return jobs.hasSynced(); }));
  EXPECT_TRUE(h.ready().ok);
  pms.stop();
  jobs.stop();
}

TEST(Health, LiveWhileTheWorkerLoopHeartbeats) {
  auto clock = std::make_shared<FakeClock>();
  runtime::ControllerOptions o;
  o.name = "pm";
  o.heartbeatInterval = 5s;
  o.workers = 1;  // liveness follows the freshest worker; with one, a stuck reconcile shows
  std::atomic<bool> block{false}, entered{false};
  runtime::Controller c(clock, [&](const std::string&) {
    entered = true;
    while (block) std::this_thread::sleep_for(1ms);
    return runtime::ReconcileResult::done();
  }, o);
  Health h;
  h.addLivenessCheck("controller", controllerHeartbeat(c, clock, 60s));
  clock->advance(10min);
  EXPECT_TRUE(h.live().ok) << "a follower's idle controller (workers not started) is live";
  c.start();
  ASSERT_TRUE(eventually([&] { return c.lastHeartbeat() >= clock->now(); }));
  EXPECT_TRUE(h.live().ok);
  block = true;
  c.queue().add("ns/stuck");
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  clock->advance(61s);  // the only worker is stuck in a reconcile: no heartbeat
  std::this_thread::sleep_for(10ms);
  const auto s = h.live();
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.reason.find("worker loop of pm silent"), std::string::npos) << s.reason;
  block = false;
  ASSERT_TRUE(eventually([&] { return h.live().ok; }));
  c.stop();
}

}  // namespace
}  // namespace pmo::observability
