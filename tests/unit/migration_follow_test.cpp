// Follow mode (spec.version empty): the backend Deployment's image tag is the target; the
// operator pauses the Deployments, migrates, then resumes them. And deletion.
#include "migration_test_world.hpp"

#include "maintenance/labels.hpp"

namespace pmo::maintenance {
namespace {

using testing::World;
using testing::actionsOf;
using testing::conditionReason;
using testing::hasEvent;
using testing::pausedByOperator;

World followingAt(const std::string& version) {
  World w;
  w.setImages(version);
  w.rollDeployments();
  w.settle();
  EXPECT_EQ(w.pm["status"]["currentVersion"], version);
  return w;
}

TEST(MigrationFollow, AdoptsTheRunningTagAndStaysQuiet) {
  World w = followingAt("v2.72.0");
  EXPECT_EQ(conditionReason(w.pm["status"], conditions::kMigrated), reasons::kUpToDate);
  Plan p = w.plan();
  EXPECT_TRUE(p.actions.empty());
  EXPECT_EQ(p.status, w.pm["status"]);
  // Follow mode edits the template only for the schema gate and EXTERNAL_MIGRATION=true
  // (Phase's start.sh would otherwise run its own migrate at every start).
  EXPECT_EQ((*w.backend)["spec"]["template"]["spec"]["containers"][0]["env"].back(),
            (Json{{"name", "EXTERNAL_MIGRATION"}, {"value", "true"}}));
  EXPECT_EQ(w.image(w.backend), "phasehq/backend:v2.72.0");
  EXPECT_EQ(w.gate(w.backend)["name"], schemagate::kGateContainer);
}

TEST(MigrationFollow, PausesMigratesAndResumesOnAnImageChange) {
  World w = followingAt("v2.72.0");
  w.spec.migrations.backup = {true, "phase-backups", 3, "postgres:15"};
  w.setImages("v2.73.2");  // helm upgrade
  Plan p = w.runUntil(Step::Pending);  // the pass that sees the image pauses
  EXPECT_TRUE(hasEvent(p, "MigrationStarted"));
  EXPECT_TRUE(hasEvent(p, "WorkloadsPaused"));
  EXPECT_EQ(p.status["targetVersion"], "v2.73.2");
  EXPECT_TRUE(pausedByOperator(*w.backend));
  EXPECT_TRUE(pausedByOperator(*w.worker));
  p = w.runUntil(Step::BackingUp);
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create)[0]->name, "phase-backup-v2-72-0-to-v2-73-2");
  w.finishJob("phase-backup-v2-72-0-to-v2-73-2", true);
  p = w.runUntil(Step::Migrating);
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create)[0]->object["spec"]["template"]["spec"]["containers"][0]["image"],
            "phasehq/backend:v2.73.2");  // exactly the Deployment's image
  w.finishJob("phase-migrate-v2-73-2", true);
  w.rollDeployments();  // paused: nothing rolls yet
  p = w.runUntil(Step::RollingOut);
  EXPECT_FALSE((*w.backend)["spec"]["paused"].get<bool>());
  EXPECT_FALSE((*w.backend)["metadata"]["annotations"].contains(annotations::kPausedByOperator));
  EXPECT_EQ(w.image(w.backend), "phasehq/backend:v2.73.2");  // the chart's image, untouched
  w.rollDeployments();
  p = w.step();
  EXPECT_EQ(p.status["currentVersion"], "v2.73.2");
  EXPECT_TRUE(hasEvent(p, reasons::kRolloutComplete));
  EXPECT_TRUE(w.plan().actions.empty());
}

TEST(MigrationFollow, FailedMigrationKeepsTheDeploymentsPaused) {
  World w = followingAt("v2.72.0");
  w.setImages("v2.73.2");
  w.runUntil(Step::Migrating);
  w.finishJob("phase-migrate-v2-73-2", false, "DeadlineExceeded", "Job was active longer than specified deadline");
  Plan p = w.step();
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kMigrationFailed);
  EXPECT_NE(getCondition(p.status, conditions::kMigrated)->message.find("stay paused"), std::string::npos);
  EXPECT_TRUE(pausedByOperator(*w.backend));
  EXPECT_TRUE(w.step().actions.empty());
}

TEST(MigrationFollow, RefusesDowngradeByPausingTheDeployments) {
  World w = followingAt("v2.73.2");
  w.setImages("v2.72.0");
  Plan p = w.step();
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kDowngradeRefused);
  EXPECT_NE(getCondition(p.status, conditions::kMigrated)->message.find("paused"), std::string::npos);
  EXPECT_TRUE(hasEvent(p, reasons::kDowngradeRefused));
  EXPECT_TRUE(pausedByOperator(*w.backend));
  EXPECT_TRUE(pausedByOperator(*w.worker));
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
  EXPECT_TRUE(w.step().actions.empty());
  w.setImages("v2.73.2");  // the user sets the image back: the Deployments resume
  w.settle();
  EXPECT_FALSE((*w.backend)["spec"]["paused"].get<bool>());
  EXPECT_EQ(conditionReason(w.pm["status"], conditions::kMigrated), reasons::kUpToDate);
}

TEST(MigrationFollow, NeverUnpausesAPauseItDidNotMake) {
  World w = followingAt("v2.72.0");
  (*w.worker)["spec"]["paused"] = true;  // paused by a person
  w.setImages("v2.73.2");
  w.runUntil(Step::Pending);
  EXPECT_FALSE((*w.worker)["metadata"].contains("annotations") &&
               (*w.worker)["metadata"]["annotations"].contains(annotations::kPausedByOperator));
  w.runUntil(Step::Migrating);
  w.finishJob("phase-migrate-v2-73-2", true);
  w.runUntil(Step::RollingOut);
  EXPECT_TRUE((*w.worker)["spec"]["paused"].get<bool>());
  EXPECT_FALSE((*w.backend)["spec"]["paused"].get<bool>());
}

TEST(MigrationFinalizer, RestoresReplicasAndUnpausesThenRemovesTheFinalizer) {
  World w;
  (*w.backend)["spec"]["replicas"] = 0;
  (*w.backend)["metadata"]["annotations"][annotations::kReplicasBefore] = "2";
  (*w.worker)["spec"]["paused"] = true;
  (*w.worker)["metadata"]["annotations"] = {{annotations::kPausedByOperator, "true"}};
  w.pm["metadata"]["deletionTimestamp"] = "2026-11-25T20:00:00Z";
  w.pm["status"]["migration"] = {{"from", "v2.72.0"}, {"to", "v2.73.2"}, {"step", "Migrating"}};
  Plan p = planFinalize(w.observed());
  EXPECT_EQ(actionsOf(p, Action::Kind::JsonPatch, "deployments").size(), 2u);
  EXPECT_TRUE(actionsOf(p, Action::Kind::JsonPatch, "phasemaintenances").empty());
  EXPECT_TRUE(hasEvent(p, "MigrationAbandoned"));
  EXPECT_EQ(p.status["phase"], "Deleting");
  w.apply(p);
  EXPECT_EQ((*w.backend)["spec"]["replicas"], 2);
  EXPECT_FALSE((*w.worker)["spec"]["paused"].get<bool>());
  p = planFinalize(w.observed());
  ASSERT_EQ(actionsOf(p, Action::Kind::JsonPatch, "phasemaintenances").size(), 1u);
  EXPECT_FALSE(hasEvent(p, "MigrationAbandoned"));
  w.apply(p);
  EXPECT_TRUE(w.pm["metadata"]["finalizers"].empty());
}

TEST(MigrationFinalizer, LeavesAPauseItDidNotMake) {
  World w;
  (*w.worker)["spec"]["paused"] = true;
  w.pm["metadata"]["deletionTimestamp"] = "2026-11-25T20:00:00Z";
  Plan p = planFinalize(w.observed());
  EXPECT_TRUE(actionsOf(p, Action::Kind::JsonPatch, "deployments").empty());
  EXPECT_EQ(actionsOf(p, Action::Kind::JsonPatch, "phasemaintenances").size(), 1u);
}

TEST(MigrationFinalizer, FinishesWhenTheDeploymentsAreGone) {
  World w;
  w.backend.reset();
  w.worker.reset();
  w.pm["metadata"]["deletionTimestamp"] = "2026-11-25T20:00:00Z";
  EXPECT_EQ(actionsOf(planFinalize(w.observed()), Action::Kind::JsonPatch, "phasemaintenances").size(), 1u);
}

TEST(MigrationFinalizer, EnsureFinalizerAddsItOnceWithAGuard) {
  World w;
  EXPECT_FALSE(ensureFinalizer(w.observed()).has_value());
  w.pm["metadata"]["finalizers"] = Json::array({"other.example/keep"});
  auto a = ensureFinalizer(w.observed());
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->resource, "phasemaintenances");
  EXPECT_EQ(a->patch[0]["op"], "test");
  w.pm = w.pm.patch(a->patch);
  EXPECT_EQ(w.pm["metadata"]["finalizers"], Json::array({"other.example/keep", annotations::kFinalizer}));
  w.pm["metadata"].erase("finalizers");
  a = ensureFinalizer(w.observed());
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->patch[0]["path"], "/metadata/resourceVersion");
  w.pm["metadata"]["deletionTimestamp"] = "2026-11-25T20:00:00Z";
  EXPECT_FALSE(ensureFinalizer(w.observed()).has_value());
}

}  // namespace
}  // namespace pmo::maintenance
