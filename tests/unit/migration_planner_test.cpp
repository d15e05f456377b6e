// The Managed-mode walk through every step, and the quiet state at rest.
#include "migration_test_world.hpp"

#include "maintenance/labels.hpp"

namespace pmo::maintenance {
namespace {

using testing::World;
using testing::actionsOf;
using testing::conditionReason;
using testing::conditionStatus;
using testing::hasEvent;

Json planAsJson(const Plan& p) {
  Json actions = Json::array();
  for (const auto& a : p.actions)
    actions.push_back({{"kind", static_cast<int>(a.kind)}, {"resource", a.resource}, {"name", a.name},
                       {"object", a.object}, {"patch", a.patch}, {"reason", a.reason}, {"message", a.message}});
  return {{"actions", actions}, {"status", p.status},
          {"requeue", p.requeueAfter ? p.requeueAfter->count() : -1}};
}

TEST(MigrationPlanner, AdoptsTheRunningVersionOnFirstSight) {
  World w;
  w.spec.version = "v2.72.0";
  Plan p = w.step();
  EXPECT_EQ(p.status["currentVersion"], "v2.72.0");
  EXPECT_EQ(p.status["targetVersion"], "v2.72.0");
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kVersionAdopted);
  EXPECT_TRUE(hasEvent(p, reasons::kVersionAdopted));
  EXPECT_FALSE(p.status.contains("migration"));
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
}

TEST(MigrationPlanner, MakesNoWritesAtRest) {
  World w;
  w.spec.version = "v2.72.0";
  w.settle();
  const Json before = w.pm["status"];
  Plan p = w.plan();
  EXPECT_TRUE(p.actions.empty()) << p.actions.front().describe();
  EXPECT_EQ(p.status, before);
  EXPECT_FALSE(p.requeueAfter.has_value());
  EXPECT_EQ(p.status["phase"], "Ready");
  EXPECT_EQ(conditionStatus(p.status, conditions::kRolledOut), "True");
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kUpToDate);
}

TEST(MigrationPlanner, SamePlanForTheSameInput) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.backup = {true, "phase-backups", 5, "postgres:15"};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(planAsJson(w.plan()), planAsJson(w.plan())) << "pass " << i;
    w.step();
    if (w.job("phase-backup-v2-72-0-to-v2-73-2")) w.finishJob("phase-backup-v2-72-0-to-v2-73-2", true);
  }
}

TEST(MigrationPlanner, ABackupJobMissingOnlyFromALaggingCacheIsNotAnnouncedAgain) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.backup = {true, "phase-backups", 5, "postgres:15"};
  Plan p = w.runUntil(Step::BackingUp);
  ASSERT_TRUE(hasEvent(p, "BackupStarted"));
  w.jobs.clear();  // the Job informer has not delivered it yet
  p = w.plan();
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u) << "the create is repeated (AlreadyExists is success)";
  EXPECT_FALSE(hasEvent(p, "BackupStarted")) << "but it is no new backup";
}

TEST(MigrationPlanner, UpgradesWithBackupAndHoldRollout) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.backup = {true, "phase-backups", 5, "postgres:15"};
  w.installGate();
  const Json backendBefore = *w.backend, workerBefore = *w.worker;

  Plan p = w.runUntil(Step::Pending);  // the move is recorded before anything is created
  EXPECT_TRUE(hasEvent(p, "MigrationStarted"));
  EXPECT_EQ(p.status["migration"]["from"], "v2.72.0");
  EXPECT_EQ(p.status["migration"]["to"], "v2.73.2");
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());

  p = w.runUntil(Step::BackingUp);
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create)[0]->name, "phase-backup-v2-72-0-to-v2-73-2");
  EXPECT_EQ(p.status["phase"], "BackingUp");
  EXPECT_TRUE(w.step().actions.empty() || actionsOf(w.plan(), Action::Kind::Create).empty());

  w.finishJob("phase-backup-v2-72-0-to-v2-73-2", true);
  p = w.runUntil(Step::Migrating);
  EXPECT_TRUE(hasEvent(p, "BackupSucceeded"));
  EXPECT_EQ(p.status["migration"]["backupPath"], "/backups/phase/v2.72.0-to-v2.73.2-20261125T200000.dump");
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create)[0]->name, "phase-migrate-v2-73-2");
  EXPECT_EQ(w.at(), Step::Migrating);
  EXPECT_EQ(*w.backend, backendBefore);  // HoldRollout: untouched while migrating
  EXPECT_EQ(*w.worker, workerBefore);
  EXPECT_TRUE(actionsOf(w.step(), Action::Kind::Create).empty());

  w.finishJob("phase-migrate-v2-73-2", true);
  p = w.runUntil(Step::RollingOut);
  EXPECT_TRUE(hasEvent(p, reasons::kMigrationSucceeded));
  EXPECT_EQ(actionsOf(p, Action::Kind::JsonPatch, "deployments").size(), 2u);
  EXPECT_EQ(w.image(w.backend), "docker.io/phasehq/backend:v2.73.2");
  EXPECT_EQ(w.image(w.worker), "docker.io/phasehq/backend:v2.73.2");
  const Json env = (*w.backend)["spec"]["template"]["spec"]["containers"][0]["env"];
  EXPECT_EQ(env.back(), (Json{{"name", "EXTERNAL_MIGRATION"}, {"value", "true"}}));
  EXPECT_EQ(w.at(), Step::RollingOut);
  EXPECT_EQ(p.status.value("currentVersion", ""), "v2.72.0");  // not before the rollout

  p = w.step();  // the rollout has not happened yet
  EXPECT_EQ(conditionReason(p.status, conditions::kRolledOut), reasons::kRollingOut);
  w.rollDeployments();
  p = w.step();
  EXPECT_TRUE(hasEvent(p, reasons::kRolloutComplete));
  EXPECT_EQ(p.status["currentVersion"], "v2.73.2");
  EXPECT_FALSE(p.status.contains("migration"));
  EXPECT_EQ(p.status["phase"], "Ready");
  ASSERT_EQ(p.status["migrations"].size(), 1u);
  EXPECT_EQ(p.status["migrations"][0]["result"], "Succeeded");
  EXPECT_EQ(p.status["migrations"][0]["migrationJob"], "phase-migrate-v2-73-2");
  EXPECT_EQ(p.status["migrations"][0]["backupPath"], "/backups/phase/v2.72.0-to-v2.73.2-20261125T200000.dump");
  EXPECT_TRUE(w.plan().actions.empty());
}

TEST(MigrationPlanner, ScaleDownGateRecordsAndRestoresReplicas) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.gate = MigrationGate::ScaleDown;
  Plan p = w.runUntil(Step::ScalingDown);
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
  EXPECT_EQ((*w.backend)["spec"]["replicas"], 0);
  EXPECT_EQ((*w.worker)["spec"]["replicas"], 0);
  EXPECT_EQ((*w.backend)["metadata"]["annotations"][annotations::kReplicasBefore], "2");
  EXPECT_EQ((*w.worker)["metadata"]["annotations"][annotations::kReplicasBefore], "1");

  p = w.step();  // old pods still running: no migration yet
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
  EXPECT_EQ(p.status["migration"]["message"], "waiting for 3 backend and worker pods to stop");
  w.rollDeployments();
  p = w.runUntil(Step::Migrating);
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  w.finishJob("phase-migrate-v2-73-2", true);
  w.settle();
  EXPECT_EQ((*w.backend)["spec"]["replicas"], 2);
  EXPECT_EQ((*w.worker)["spec"]["replicas"], 1);
  EXPECT_FALSE((*w.backend)["metadata"]["annotations"].contains(annotations::kReplicasBefore));
  EXPECT_FALSE((*w.worker).contains("/metadata/annotations"_json_pointer) &&
               (*w.worker)["metadata"]["annotations"].contains(annotations::kReplicasBefore));
  EXPECT_EQ(w.pm["status"]["currentVersion"], "v2.73.2");
}

TEST(MigrationPlanner, WaitsForARunningPurgeJobBeforeMigrating) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.jobs.push_back({{"metadata", {{"name", "phase-purge-spacex-28731"},
                                  {"labels", {{labels::kComponent, labels::kComponentPurge}, {labels::kOwner, "phase"}}}}},
                    {"status", {{"active", 1}}}});
  Plan p = w.runUntil(Step::WaitingForMaintenanceJobs);
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
  EXPECT_EQ(p.requeueAfter, std::chrono::milliseconds(10000));
  w.jobs[0]["status"] = {{"succeeded", 1}};
  p = w.runUntil(Step::Migrating);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
}

TEST(MigrationPlanner, RefusesDowngradeWithoutOptIn) {
  World w;
  w.managedAt("v2.73.2", "v2.72.0");
  w.installGate();
  Plan p = w.step();
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kDowngradeRefused);
  const std::string msg = getCondition(p.status, conditions::kMigrated)->message;
  EXPECT_NE(msg.find("v2.73.2"), std::string::npos);
  EXPECT_NE(msg.find("v2.72.0"), std::string::npos);
  EXPECT_NE(msg.find("allowDowngrade: true"), std::string::npos);
  EXPECT_TRUE(hasEvent(p, reasons::kDowngradeRefused));
  EXPECT_TRUE(actionsOf(p, Action::Kind::JsonPatch).empty());
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
  EXPECT_EQ(p.status["migrations"][0]["result"], "DowngradeRefused");
  EXPECT_EQ(p.status["phase"], "Failed");
  Plan again = w.plan();  // the Event and the history entry are not repeated
  EXPECT_TRUE(again.actions.empty());
  EXPECT_EQ(again.status, w.pm["status"]);
}

TEST(MigrationPlanner, MigratesADowngradeWhenAllowed) {
  World w;
  w.managedAt("v2.73.2", "v2.72.0");
  w.setImages("v2.73.2");
  w.spec.migrations.allowDowngrade = true;
  Plan p = w.runUntil(Step::Pending);
  EXPECT_TRUE(hasEvent(p, "MigrationStarted"));
  p = w.runUntil(Step::Migrating);
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create)[0]->name, "phase-migrate-v2-72-0");
}

TEST(MigrationPlanner, WarnsAboutTheLatestTag) {
  World w;
  w.managedAt("v2.72.0", "latest");
  Plan p = w.step();
  EXPECT_EQ(conditionStatus(p.status, conditions::kMutableVersion), "True");
  EXPECT_EQ(conditionReason(p.status, conditions::kMutableVersion), reasons::kMutableTag);
  EXPECT_NE(getCondition(p.status, conditions::kMutableVersion)->message.find("cannot be tracked per version"),
            std::string::npos);
  EXPECT_TRUE(hasEvent(p, reasons::kMutableTag));
  EXPECT_EQ(w.at(), Step::Pending);  // a move to latest still migrates once
  EXPECT_EQ(conditionStatus(w.settle().status, conditions::kMutableVersion), "True");
}

TEST(MigrationPlanner, BringsADriftedImageBackInManagedMode) {
  World w;
  w.spec.version = "v2.72.0";
  w.settle();
  w.setImages("v2.74.0");  // someone ran kubectl set image
  Plan p = w.step();
  EXPECT_TRUE(hasEvent(p, "VersionDrift"));
  EXPECT_EQ(w.image(w.backend), "docker.io/phasehq/backend:v2.72.0");
  EXPECT_EQ(w.image(w.worker), "docker.io/phasehq/backend:v2.72.0");
  w.rollDeployments();
  EXPECT_TRUE(w.plan().actions.empty());
}

}  // namespace
}  // namespace pmo::maintenance
