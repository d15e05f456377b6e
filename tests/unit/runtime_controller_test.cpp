#include "runtime/controller.hpp"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "support/eventually.hpp"
#include "support/fake_client.hpp"

namespace pmo::runtime {
namespace {

using namespace std::chrono_literals;
using kube::resources::kDeployments;
using kube::resources::kJobs;
using kube::resources::kPhaseMaintenances;
using testing::FakeClient;

using testing::advanceUntil;
using testing::eventually;

Json pm(const std::string& ns, const std::string& name, const std::string& deployment) {
  return Json{{"metadata", {{"namespace", ns}, {"name", name}}},
              {"spec", {{"workloads", {{"backend", {{"deployment", deployment}}}}}}}};
}

struct Calls {
  std::mutex mu;
  std::map<std::string, int> byKey;
  void hit(const std::string& k) {
    std::lock_guard<std::mutex> l(mu);
    ++byKey[k];
  }
  int of(const std::string& k) {
    std::lock_guard<std::mutex> l(mu);
    return byKey[k];
  }
};

struct ControllerTest : ::testing::Test {
  FakeClient fake;
  std::shared_ptr<FakeClock> clock = std::make_shared<FakeClock>();
  Calls calls;

  InformerOptions opts(const kube::Resource& r) {
    InformerOptions o;
    o.resource = r;
    o.seed = 1;
    return o;
  }
};

TEST(Mappers, OwnersOfKindMapsToTheOwnerInTheSameNamespace) {
  Json job{{"metadata",
            {{"namespace", "phase"},
             {"name", "migrate"},
             {"ownerReferences",
              Json::array({{{"apiVersion", "maintenance.phase.dev/v1alpha1"}, {"kind", "PhaseMaintenance"}, {"name", "pm1"}},
                           {{"apiVersion", "apps/v1"}, {"kind", "PhaseMaintenance"}, {"name", "other-group"}},
                           {{"apiVersion", "maintenance.phase.dev/v1alpha1"}, {"kind", "Other"}, {"name", "x"}}})}}}};
  EXPECT_EQ(mappers::ownersOfKind("maintenance.phase.dev", "PhaseMaintenance")(job),
            std::vector<std::string>{"phase/pm1"});
  EXPECT_EQ(mappers::self()(job), std::vector<std::string>{"phase/migrate"});
  EXPECT_TRUE(mappers::ownersOfKind("maintenance.phase.dev", "PhaseMaintenance")(Json{{"metadata", {{"name", "n"}}}})
                  .empty());
}

TEST_F(ControllerTest, ReconcilesOwnersAndCustomMappedObjects) {
  fake.create(kPhaseMaintenances, "phase", pm("phase", "pm1", "backend"));
  Informer pms(fake, clock, opts(kPhaseMaintenances));
  Informer jobs(fake, clock, opts(kJobs));
  Informer deployments(fake, clock, opts(kDeployments));
  Controller c(clock, [&](const std::string& key) { calls.hit(key); return ReconcileResult::done(); });
  c.watch(pms, mappers::self());
  c.watch(jobs, mappers::ownersOfKind("maintenance.phase.dev", "PhaseMaintenance"));
  // "each PhaseMaintenance that names this Deployment", read from the PM cache
  c.watch(deployments, [&](const Json& d) {
    std::vector<std::string> keys;
    const std::string ns = d["metadata"]["namespace"], name = d["metadata"]["name"];
    for (const auto& p : pms.store().listNamespace(ns)) {
      if ((*p)["spec"]["workloads"]["backend"].value("deployment", "") == name) keys.push_back(objectKey(*p));
    }
    return keys;
  });
  c.start();
  ASSERT_TRUE(eventually([&] { return calls.of("phase/pm1") == 1; }));

  fake.create(kJobs, "phase",
              Json{{"metadata",
                    {{"name", "migrate-v2"},
                     {"ownerReferences", Json::array({{{"apiVersion", "maintenance.phase.dev/v1alpha1"},
                                                       {"kind", "PhaseMaintenance"}, {"name", "pm1"}}})}}}});
  ASSERT_TRUE(eventually([&] { return calls.of("phase/pm1") == 2; }));
  fake.create(kDeployments, "phase", Json{{"metadata", {{"name", "backend"}}}});
  ASSERT_TRUE(eventually([&] { return calls.of("phase/pm1") == 3; }));
  fake.create(kDeployments, "phase", Json{{"metadata", {{"name", "unrelated"}}}});
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(calls.of("phase/pm1"), 3);
  EXPECT_EQ(calls.of("phase/unrelated"), 0);
  c.stop();
}

TEST_F(ControllerTest, TerminalErrorIsNotRetriedUntilTheObjectChanges) {
  fake.create(kPhaseMaintenances, "phase", pm("phase", "bad", "backend"));
  InformerOptions o = opts(kPhaseMaintenances);
  o.resyncPeriod = 1min;
  Informer pms(fake, clock, o);
  Controller c(clock, [&](const std::string& key) -> ReconcileResult {
    calls.hit(key);
    throw TerminalError("spec.version: \"banana\" is not a version; set it like v2.73.2");
  });
  c.watch(pms, mappers::self());
  c.start();
  ASSERT_TRUE(eventually([&] { return calls.of("phase/bad") == 1; }));
  clock->advance(1000s);  // past any backoff, and several resyncs
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(calls.of("phase/bad"), 1) << "neither backoff nor resync retries a terminal error";
  EXPECT_EQ(c.queue().numRequeues("phase/bad"), 0);

  auto cur = fake.get(kPhaseMaintenances, "phase", "bad");
  cur["spec"]["version"] = "v2.73.2";
  fake.update(kPhaseMaintenances, "phase", cur);
  ASSERT_TRUE(eventually([&] { return calls.of("phase/bad") == 2; }));
  c.stop();
}

TEST_F(ControllerTest, RequeueAfterReconcilesAgainAtTheGivenTime) {
  fake.create(kPhaseMaintenances, "phase", pm("phase", "pm1", "backend"));
  Informer pms(fake, clock, opts(kPhaseMaintenances));
  Controller c(clock, [&](const std::string& key) {
    calls.hit(key);
    return ReconcileResult::after(30s);
  });
  c.watch(pms, mappers::self());
  c.start();
  ASSERT_TRUE(eventually([&] { return calls.of("phase/pm1") == 1 && c.queue().delayedCount() == 1; }));
  clock->advance(29s);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(calls.of("phase/pm1"), 1);
  clock->advance(1s);
  ASSERT_TRUE(eventually([&] { return calls.of("phase/pm1") == 2; }));
  c.stop();
}

TEST_F(ControllerTest, OtherErrorsAreRetriedWithBackoff) {
  fake.create(kPhaseMaintenances, "phase", pm("phase", "pm1", "backend"));
  Informer pms(fake, clock, opts(kPhaseMaintenances));
  struct Observer : ReconcileObserver {
    std::mutex mu;
    std::vector<std::string> outcomes;
    int retries = 0;
    void reconciled(const std::string&, const std::string& outcome, double) override {
      std::lock_guard<std::mutex> l(mu);
      outcomes.push_back(outcome);
    }
    void retried(const std::string&) override {
      std::lock_guard<std::mutex> l(mu);
      ++retries;
    }
  } observer;
  ControllerOptions co;
  co.observer = &observer;
  co.name = "pm";
  Controller c(clock, [&](const std::string& key) -> ReconcileResult {
    calls.hit(key);
    if (calls.of(key) < 3) throw kube::ApiError(kube::ErrorReason::Conflict, 409, "conflict");
    return ReconcileResult::done();
  }, co);
  c.watch(pms, mappers::self());
  c.start();
  ASSERT_TRUE(eventually([&] { return calls.of("phase/pm1") == 1; }));
  ASSERT_TRUE(eventually([&] { return c.queue().numRequeues("phase/pm1") == 1 && c.queue().delayedCount() == 1; }));
  clock->advance(5ms);
  ASSERT_TRUE(eventually([&] { return c.queue().numRequeues("phase/pm1") == 2 && c.queue().delayedCount() == 1; }));
  EXPECT_EQ(calls.of("phase/pm1"), 2);
  clock->advance(9ms);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(calls.of("phase/pm1"), 2) << "second retry waits 10 ms";
  clock->advance(1ms);
  ASSERT_TRUE(eventually([&] { return calls.of("phase/pm1") == 3; }));
  ASSERT_TRUE(eventually([&] { return c.queue().numRequeues("phase/pm1") == 0; })) << "success forgets the backoff";
  c.stop();
  std::lock_guard<std::mutex> l(observer.mu);
  EXPECT_EQ(observer.outcomes, (std::vector<std::string>{"error", "error", "success"}));
  EXPECT_EQ(observer.retries, 2);
}

TEST_F(ControllerTest, StopLetsTheReconcileInFlightFinish) {
  fake.create(kPhaseMaintenances, "phase", pm("phase", "pm1", "backend"));
  Informer pms(fake, clock, opts(kPhaseMaintenances));
  std::atomic<bool> entered{false}, finished{false};
  Controller c(clock, [&](const std::string&) {
    entered = true;
    std::this_thread::sleep_for(50ms);
    finished = true;
    return ReconcileResult::done();
  });
  c.watch(pms, mappers::self());
  c.start();
  ASSERT_TRUE(eventually([&] { return entered.load(); }));
  c.stop();
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(fake.openWatches(), 0u) << "stop() stops the informers";
}

TEST_F(ControllerTest, WorkersWaitForEveryCacheAndHeartbeat) {
  fake.failRequests("list", "jobs", kube::ApiError(kube::ErrorReason::ServerError, 500, "down"), 1);
  fake.create(kPhaseMaintenances, "phase", pm("phase", "pm1", "backend"));
  Informer pms(fake, clock, opts(kPhaseMaintenances));
  Informer jobs(fake, clock, opts(kJobs));
  Controller c(clock, [&](const std::string& key) { calls.hit(key); return ReconcileResult::done(); });
  c.watch(pms, mappers::self());
  c.watch(jobs, mappers::ownersOfKind("maintenance.phase.dev", "PhaseMaintenance"));
  c.start();
  ASSERT_TRUE(eventually([&] { return pms.hasSynced(); }));
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(c.informersSynced());
  EXPECT_EQ(calls.of("phase/pm1"), 0) << "no reconcile against a cold Jobs cache";
  const auto before = c.lastHeartbeat();
  ASSERT_TRUE(advanceUntil(*clock, [&] { return calls.of("phase/pm1") == 1; }));  // past the Jobs list backoff
  ASSERT_TRUE(eventually([&] { return c.lastHeartbeat() > before; }));
  c.stop();
}

}  // namespace
}  // namespace pmo::runtime
