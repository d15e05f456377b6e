// Failure at each step, retries, a stuck rollout, missing references, and a target that
// moves while a migration is in flight.
#include "migration_test_world.hpp"

#include "maintenance/labels.hpp"
#include "maintenance/owner.hpp"

namespace pmo::maintenance {
namespace {

using testing::World;
using testing::actionsOf;
using testing::conditionReason;
using testing::conditionStatus;
using testing::hasEvent;

constexpr const char* kBackupJob = "phase-backup-v2-72-0-to-v2-73-2";
constexpr const char* kMigrateJob = "phase-migrate-v2-73-2";

// A ScaleDown move from v2.72.0 to v2.73.2 whose migration Job failed, at Step::Failed.
World failedScaleDownMigration() {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.gate = MigrationGate::ScaleDown;
  w.runUntil(Step::ScalingDown);
  w.rollDeployments();  // the old pods stop
  w.runUntil(Step::Migrating);
  w.finishJob(kMigrateJob, false);
  w.runUntil(Step::Failed);
  return w;
}

std::string migratedMessage(const Json& status) { return getCondition(status, conditions::kMigrated)->message; }

TEST(MigrationFailure, FailedBackupStopsBeforeTouchingDeployments) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.backup = {true, "phase-backups", 5, "postgres:15"};
  w.spec.migrations.gate = MigrationGate::ScaleDown;
  w.installGate();
  const Json backendBefore = *w.backend;
  w.runUntil(Step::BackingUp);
  w.finishJob(kBackupJob, false);
  Plan p = w.step();
  EXPECT_EQ(w.at(), Step::Failed);
  EXPECT_EQ(p.status["phase"], "Failed");
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kBackupFailed);
  EXPECT_NE(migratedMessage(p.status).find("kubectl logs -n phase job/" + std::string(kBackupJob)), std::string::npos);
  EXPECT_NE(migratedMessage(p.status).find("kubectl delete job -n phase " + std::string(kBackupJob)), std::string::npos);
  EXPECT_TRUE(hasEvent(p, reasons::kBackupFailed));
  EXPECT_EQ(p.status["migrations"][0]["result"], "Failed");
  EXPECT_EQ(*w.backend, backendBefore);  // the gate comes after the backup
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
  Plan again = w.plan();
  EXPECT_TRUE(again.actions.empty());
  EXPECT_EQ(again.status, w.pm["status"]);
  EXPECT_FALSE(again.requeueAfter.has_value());
}

TEST(MigrationFailure, FailedMigrationKeepsTheOldVersionAndSaysHowToRetry) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.runUntil(Step::Migrating);
  w.pods.push_back({{"metadata", {{"name", "phase-migrate-v2-73-2-x1"}, {"labels", {{"job-name", kMigrateJob}}},
                                  {"creationTimestamp", "2026-11-25T20:00:05Z"}}},
                    {"status", {{"containerStatuses", Json::array({{{"name", "migrate"},
                                  {"state", {{"terminated", {{"exitCode", 1},
                                  {"message", "django.db.utils.ProgrammingError: column already exists\n"}}}}}}})}}}});
  w.finishJob(kMigrateJob, false);
  Plan p = w.step();
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kMigrationFailed);
  const std::string msg = migratedMessage(p.status);
  EXPECT_NE(msg.find("BackoffLimitExceeded"), std::string::npos) << msg;
  EXPECT_NE(msg.find("column already exists"), std::string::npos) << msg;
  EXPECT_NE(msg.find("kubectl logs -n phase job/phase-migrate-v2-73-2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("keep running v2.72.0"), std::string::npos) << msg;
  EXPECT_TRUE(hasEvent(p, reasons::kMigrationFailed));
  EXPECT_EQ(p.status["migrations"][0]["result"], "Failed");
  EXPECT_EQ(w.image(w.backend), "phasehq/backend:v2.72.0");
  EXPECT_TRUE(actionsOf(p, Action::Kind::JsonPatch).empty());
}

TEST(MigrationFailure, DeletingTheFailedJobRetriesIt) {
  World w = failedScaleDownMigration();
  EXPECT_EQ((*w.backend)["spec"]["replicas"], 0);  // ScaleDown: stays at 0 after a failure
  w.jobs.clear();                                  // kubectl delete job
  Plan p = w.step();
  EXPECT_TRUE(hasEvent(p, "MigrationRetried"));
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create)[0]->name, kMigrateJob);
  EXPECT_EQ(w.at(), Step::Migrating);
  w.finishJob(kMigrateJob, true);
  w.settle();
  EXPECT_EQ(w.pm["status"]["currentVersion"], "v2.73.2");
  EXPECT_EQ((*w.backend)["spec"]["replicas"], 2);
  EXPECT_EQ(w.pm["status"]["migrations"][0]["result"], "Succeeded");
  EXPECT_EQ(w.pm["status"]["migrations"][1]["result"], "Failed");
}

TEST(MigrationFailure, ReportsAStuckRollout) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.runUntil(Step::Migrating);
  w.finishJob(kMigrateJob, true);
  w.runUntil(Step::RollingOut);
  (*w.backend)["status"]["conditions"] = Json::array(
      {{{"type", "Progressing"}, {"status", "False"}, {"reason", "ProgressDeadlineExceeded"}}});
  Plan p = w.step();
  EXPECT_EQ(conditionReason(p.status, conditions::kRolledOut), reasons::kRolloutStuck);
  EXPECT_NE(getCondition(p.status, conditions::kRolledOut)->message.find("kubectl rollout status -n phase"),
            std::string::npos);
  EXPECT_TRUE(hasEvent(p, reasons::kRolloutStuck));
  EXPECT_EQ(conditionStatus(p.status, conditions::kMigrated), "True");
  EXPECT_EQ(p.status["currentVersion"], "v2.72.0");
  EXPECT_TRUE(p.requeueAfter.has_value());
  EXPECT_FALSE(hasEvent(w.step(), reasons::kRolloutStuck));  // once
}

TEST(MigrationFailure, MissingDeploymentNamesTheFieldWithoutAHotLoop) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.worker.reset();
  Plan p = w.step();
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kDeploymentNotFound);
  EXPECT_NE(migratedMessage(p.status).find("spec.workloads.worker.deployment"), std::string::npos);
  EXPECT_EQ(p.requeueAfter, std::chrono::milliseconds(30000));
  EXPECT_TRUE(hasEvent(p, reasons::kDeploymentNotFound));
  EXPECT_FALSE(hasEvent(w.plan(), reasons::kDeploymentNotFound));
}

TEST(MigrationFailure, MissingContainerListsTheContainers) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.backend.container = "api";
  Plan p = w.step();
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kContainerNotFound);
  EXPECT_NE(migratedMessage(p.status).find("spec.workloads.backend.container"), std::string::npos);
  EXPECT_NE(migratedMessage(p.status).find("its containers are: backend"), std::string::npos);
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
}

TEST(MigrationFailure, MissingPasswordSecretBlocksTheBackup) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.backup = {true, "phase-backups", 5, "postgres:15"};
  w.spec.database.passwordSecretRef = {"phase-console-secret", "DATABASE_PASSWORD"};
  w.secretFound = false;
  Plan p = w.runUntil(Step::BackingUp);
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kSecretNotFound);
  EXPECT_NE(migratedMessage(p.status).find("spec.database.passwordSecretRef"), std::string::npos);
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
  EXPECT_EQ(p.requeueAfter, std::chrono::milliseconds(30000));
  w.secretFound = true;
  EXPECT_EQ(actionsOf(w.step(), Action::Kind::Create).size(), 1u);
}

TEST(MigrationFailure, ReplacesAJobLeftByAnEarlierMoveToTheSameVersion) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  Json old = {{"metadata", {{"name", kMigrateJob}, {"annotations", {{annotations::kMigrationRun, "2026-01-01T00:00:00Z"}}}}},
              {"status", {{"succeeded", 1}}}};
  w.jobs.push_back(old);
  Plan p = w.runUntil(Step::Migrating);
  ASSERT_EQ(actionsOf(p, Action::Kind::Delete).size(), 1u);  // never trusted as this move's result
  EXPECT_EQ(w.at(), Step::Migrating);
  p = w.step();
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  EXPECT_EQ(p.actions[0].object["metadata"]["annotations"][annotations::kMigrationRun], "2026-11-25T20:00:00.000000Z");
}

TEST(MigrationRetarget, AbandonsAMoveWhoseMigrationHasNotStarted) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.backup = {true, "phase-backups", 5, "postgres:15"};
  w.runUntil(Step::BackingUp);  // backup running
  w.spec.version = "v2.74.0";
  w.now += std::chrono::seconds(30);
  Plan p = w.step();
  ASSERT_EQ(actionsOf(p, Action::Kind::Delete).size(), 1u);
  EXPECT_EQ(actionsOf(p, Action::Kind::Delete)[0]->name, kBackupJob);
  EXPECT_TRUE(hasEvent(p, "MigrationSuperseded"));
  EXPECT_TRUE(hasEvent(p, "MigrationStarted"));
  EXPECT_EQ(p.status["migration"]["from"], "v2.72.0");
  EXPECT_EQ(p.status["migration"]["to"], "v2.74.0");
}

TEST(MigrationRetarget, AbandoningDeletesABackupJobTheCacheHasNotSeenYet) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.backup = {true, "phase-backups", 5, "postgres:15"};
  w.runUntil(Step::BackingUp);  // backup Job created
  w.jobs.clear();  // ...but the Job informer has not delivered it when the target moves
  w.spec.version = "v2.74.0";
  Plan p = w.plan();
  ASSERT_EQ(actionsOf(p, Action::Kind::Delete).size(), 1u) << "else its pg_dump runs on, orphaned";
  EXPECT_EQ(actionsOf(p, Action::Kind::Delete)[0]->name, kBackupJob);
}

TEST(MigrationRetarget, LetsARunningMigrationFinishThenMovesOn) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.runUntil(Step::Migrating);  // migration Job running
  w.spec.version = "v2.74.0";
  Plan p = w.step();
  EXPECT_TRUE(actionsOf(p, Action::Kind::Delete).empty());
  EXPECT_EQ(p.status["migration"]["to"], "v2.73.2");
  EXPECT_NE(p.status["migration"]["message"].get<std::string>().find("finishes first"), std::string::npos);
  w.finishJob(kMigrateJob, true);
  p = w.step();
  EXPECT_EQ(p.status["currentVersion"], "v2.73.2");  // the schema is at v2.73.2
  EXPECT_EQ(p.status["migrations"][0]["result"], "Succeeded");
  EXPECT_EQ(p.status["migration"]["from"], "v2.73.2");
  EXPECT_EQ(p.status["migration"]["to"], "v2.74.0");
  w.runUntil(Step::Migrating);
  w.finishJob("phase-migrate-v2-74-0", true);
  w.settle();
  EXPECT_EQ(w.pm["status"]["currentVersion"], "v2.74.0");
  EXPECT_EQ(w.image(w.backend), "docker.io/phasehq/backend:v2.74.0");
}

TEST(MigrationRetarget, SettingTheVersionBackAfterAFailureRestoresTheWorkloads) {
  World w = failedScaleDownMigration();
  w.spec.version = "v2.72.0";
  w.settle();
  EXPECT_FALSE(w.pm["status"].contains("migration"));
  EXPECT_EQ((*w.backend)["spec"]["replicas"], 2);
  EXPECT_EQ((*w.worker)["spec"]["replicas"], 1);
  EXPECT_EQ(conditionReason(w.pm["status"], conditions::kMigrated), reasons::kUpToDate);
  EXPECT_EQ(w.pm["status"]["currentVersion"], "v2.72.0");
}

}  // namespace
}  // namespace pmo::maintenance
