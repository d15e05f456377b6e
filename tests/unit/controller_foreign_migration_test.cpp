// The reconciler's side of waiting for a foreign `manage.py migrate` Job (Phase's chart's
// hook): the Job informer sees only the operator's children, so the namespace's Jobs are
// read with one LIST, only in a pass about to start the migration Job or waiting for one.
#include <gtest/gtest.h>

#include "unit/controller_test_world.hpp"

namespace pmo::controller::testing {
namespace {

using namespace std::chrono_literals;
using Failure = runtime::ReconcileResult::Failure;

const char* kOwnJob = "phase-migrate-v2-73-2";

// The chart's hook Job (tests/fixtures/phase-chart), running.
Json startHookJob(FakeClient& fake) {
  Json job = fake.create(res::kJobs, "phase", loadFixture("phase-chart/migrations-hook-job.json"));
  job["status"] = {{"active", 1}, {"startTime", job["metadata"]["creationTimestamp"]}};
  return fake.updateStatus(res::kJobs, "phase", job);
}

void finishJob(FakeClient& fake, const std::string& name, const char* condition) {
  Json job = *fake.peek(res::kJobs, "phase", name);
  job["status"] = {{"conditions", Json::array({{{"type", condition}, {"status", "True"}}})}};
  fake.updateStatus(res::kJobs, "phase", job);
}

void passes(ControllerWorld& w, int n) {
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(w.reconcile().failure, Failure::None);
    w.clock->advance(6s);
  }
}

TEST(ForeignMigrationObservation, TheHookJobHoldsTheOperatorsJobAndOnlyAMovingResourceListsJobs) {
  ControllerWorld w;
  w.create("phase", ControllerWorld::spec());
  w.settle();
  startHookJob(w.fake);  // a hook left running by an earlier `helm upgrade`
  w.fake.clearRequests();
  passes(w, 3);
  EXPECT_EQ(w.fake.count("list", "jobs"), 0u) << "no LIST at rest";

  w.edit("phase", ControllerWorld::spec("v2.73.2"));
  passes(w, 4);
  EXPECT_FALSE(w.fake.peek(res::kJobs, "phase", kOwnJob).has_value());
  EXPECT_EQ(w.pm()["status"]["migration"].value("step", ""), "WaitingForForeignMigration");
  EXPECT_EQ(conditionReason(w.pm(), "Migrated"), "WaitingForForeignMigration");
  EXPECT_NE(conditionMessage(w.pm(), "Migrated").find("phase/phase-console-migrations"), std::string::npos);
  EXPECT_EQ(w.events.count("WaitingForForeignMigration"), 1);
  const std::size_t lists = w.fake.count("list", "jobs");
  EXPECT_GE(lists, 2u);
  EXPECT_LE(lists, 4u);  // one per pass while waiting, never more

  finishJob(w.fake, "phase-console-migrations", "Complete");
  passes(w, 1);
  EXPECT_TRUE(w.fake.peek(res::kJobs, "phase", kOwnJob).has_value());
  w.fake.clearRequests();
  passes(w, 3);  // its own Job running: nothing listed
  EXPECT_EQ(w.fake.count("list", "jobs"), 0u);
}

TEST(ForeignMigrationObservation, TheOperatorsOwnJobsAndFinishedOnesAreNotWaitedFor) {
  ControllerWorld w;
  w.create("phase", ControllerWorld::spec());
  w.settle();
  startHookJob(w.fake);
  finishJob(w.fake, "phase-console-migrations", "Failed");  // a failed hook: the operator's Job runs
  Json ours = loadFixture("phase-chart/migrations-hook-job.json");
  ours["metadata"]["name"] = "another-instances-migrate";
  ours["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "phase-maintenance-operator";
  w.fake.create(res::kJobs, "phase", ours);
  w.edit("phase", ControllerWorld::spec("v2.73.2"));
  passes(w, 3);
  EXPECT_TRUE(w.fake.peek(res::kJobs, "phase", kOwnJob).has_value()) << w.pm()["status"].dump();
}

TEST(ForeignMigrationObservation, AForbiddenListNamesTheMissingGrant) {
  ControllerWorld w;
  w.create("phase", ControllerWorld::spec());
  w.settle();
  w.fake.failRequests("list", "jobs", kube::ApiError(kube::ErrorReason::Forbidden, 403, "jobs.batch is forbidden"), -1);
  w.edit("phase", ControllerWorld::spec("v2.73.2"));
  std::string error;
  for (int i = 0; i < 3 && error.empty(); ++i) {
    try {
      const auto r = w.reconcile();
      if (r.failure != Failure::None) error = r.error;
    } catch (const std::exception& e) {
      error = e.what();
    }
    w.clock->advance(6s);
  }
  EXPECT_NE(error.find("may not list Jobs in namespace phase"), std::string::npos) << error;
  EXPECT_FALSE(w.fake.peek(res::kJobs, "phase", kOwnJob).has_value());
}

}  // namespace
}  // namespace pmo::controller::testing
