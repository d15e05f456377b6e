// A `manage.py migrate` Job the operator does not own (Phase's chart's hook Job) running in
// the namespace: the operator's migration Job waits for it, gates held, in the step
// WaitingForForeignMigration; and which Jobs count as such.
#include "migration_test_world.hpp"

#include "maintenance/labels.hpp"
#include "maintenance/migration/foreign_jobs.hpp"
#include "maintenance/owner.hpp"

namespace pmo::maintenance {
namespace {

using testing::World;
using testing::actionsOf;
using testing::conditionReason;
using testing::hasEvent;
using testing::pausedByOperator;

const char* kHook = "phase-console-migrations";
const char* kOwnJob = "phase-migrate-v2-73-2";

// The chart's hook Job as it renders (tests/fixtures/phase-chart), running since `started`.
Json hookJob(const std::string& started = "2026-11-25T19:59:58Z") {
  Json j = testing::loadFixture("phase-chart/migrations-hook-job.json");
  j["metadata"]["namespace"] = "phase";
  j["metadata"]["creationTimestamp"] = started;
  j["status"] = {{"active", 1}, {"startTime", started}};
  return j;
}

Json* nsJob(World& w, const std::string& name) {
  for (auto& j : w.namespaceJobs)
    if (j["metadata"]["name"] == name) return &j;
  return nullptr;
}

void finish(Json& job, const char* condition) {
  job["status"] = {{"conditions", Json::array({{{"type", condition}, {"status", "True"}}})}};
}

std::string migratedMessage(const World& w) {
  auto c = getCondition(w.pm["status"], conditions::kMigrated);
  return c ? c->message : "";
}

World followingAt(const std::string& version) {
  World w;
  w.setImages(version);
  w.rollDeployments();
  w.settle();
  return w;
}

int events(const Plan& p, const std::string& reason) {
  int n = 0;
  for (const auto& a : p.actions) n += a.kind == Action::Kind::Event && a.reason == reason;
  return n;
}

TEST(MigrationForeignJob, FollowModeHoldsTheOperatorsJobWhileTheChartsHookJobMigrates) {
  World w = followingAt("v2.72.0");
  w.setImages("v2.73.2");  // helm upgrade: the Deployments, then the post-upgrade hook
  w.namespaceJobs.push_back(hookJob());
  Plan p = w.runUntil(Step::WaitingForForeignMigration);
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
  EXPECT_TRUE(pausedByOperator(*w.backend));  // the gate held first
  EXPECT_TRUE(pausedByOperator(*w.worker));
  EXPECT_EQ(w.pm["status"]["phase"], "Migrating");
  EXPECT_EQ(conditionReason(w.pm["status"], conditions::kMigrated), "WaitingForForeignMigration");
  EXPECT_NE(migratedMessage(w).find("Job phase/phase-console-migrations"), std::string::npos) << migratedMessage(w);
  EXPECT_NE(migratedMessage(w).find("no lock"), std::string::npos);
  EXPECT_EQ(events(p, "WaitingForForeignMigration"), 1);
  ASSERT_TRUE(p.requeueAfter.has_value());
  EXPECT_GE(*p.requeueAfter, std::chrono::seconds(5));  // polled, never hot

  // Still running: the next pass waits quietly (no Event, no status change, no write).
  const Json before = w.pm["status"];
  p = w.step();
  EXPECT_TRUE(p.actions.empty());
  EXPECT_EQ(w.pm["status"], before);
  EXPECT_EQ(w.at(), Step::WaitingForForeignMigration);

  finish(*nsJob(w, kHook), "Complete");
  p = w.runUntil(Step::Migrating);
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create)[0]->name, kOwnJob);
}

TEST(MigrationForeignJob, ManagedModeWaitsWithTheScaleDownGateHeld) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.gate = MigrationGate::ScaleDown;
  w.namespaceJobs.push_back(hookJob());
  w.runUntil(Step::ScalingDown);
  w.rollDeployments();
  w.runUntil(Step::WaitingForForeignMigration);
  EXPECT_EQ((*w.backend)["spec"]["replicas"], 0);
  EXPECT_EQ((*w.worker)["spec"]["replicas"], 0);
  EXPECT_EQ(w.job(kOwnJob), nullptr);
  w.namespaceJobs.clear();  // hook-delete-policy hook-succeeded: Helm deletes it
  w.runUntil(Step::Migrating);
  EXPECT_NE(w.job(kOwnJob), nullptr);
}

TEST(MigrationForeignJob, AFailedForeignJobStillLetsTheOperatorsJobRunAndReportItsOwnResult) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.namespaceJobs.push_back(hookJob());
  w.runUntil(Step::WaitingForForeignMigration);
  finish(*nsJob(w, kHook), "Failed");
  w.runUntil(Step::Migrating);
  w.finishJob(kOwnJob, true);
  Plan p = w.runUntil(Step::RollingOut);
  EXPECT_EQ(conditionReason(p.status, conditions::kMigrated), reasons::kMigrationSucceeded);
}

TEST(MigrationForeignJob, PastTheMigrationDeadlineItIsStillWaitedForWithAWarningNamingTheFix) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.namespaceJobs.push_back(hookJob());
  w.runUntil(Step::WaitingForForeignMigration);
  w.now += std::chrono::seconds(w.spec.migrations.activeDeadlineSeconds) + std::chrono::seconds(5);
  Plan p = w.step();
  EXPECT_EQ(w.at(), Step::WaitingForForeignMigration);
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
  EXPECT_EQ(conditionReason(w.pm["status"], conditions::kMigrated), reasons::kForeignMigrationOverdue);
  EXPECT_NE(migratedMessage(w).find("kubectl delete job -n phase phase-console-migrations"), std::string::npos);
  EXPECT_NE(migratedMessage(w).find("activeDeadlineSeconds (1800s)"), std::string::npos);
  EXPECT_EQ(events(p, reasons::kForeignMigrationOverdue), 1);
  w.now += std::chrono::minutes(10);
  p = w.step();
  EXPECT_TRUE(p.actions.empty());  // the Warning once; the wait goes on quietly
  w.namespaceJobs.clear();         // the user deleted it
  w.runUntil(Step::Migrating);
  EXPECT_NE(w.job(kOwnJob), nullptr);
}

TEST(MigrationForeignJob, TheNamespaceIsListedOnlyWhenTheOperatorsJobIsAboutToStart) {
  World w = followingAt("v2.72.0");
  w.namespaceJobs.push_back(hookJob());  // even a running one is not looked for at rest
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(w.step().actions.empty());
  EXPECT_EQ(w.foreignLists, 0);
  w.namespaceJobs.clear();
  w.setImages("v2.73.2");
  w.runUntil(Step::Migrating);
  EXPECT_EQ(w.foreignLists, 1);  // the pass that created the Job
  w.namespaceJobs.push_back(hookJob("2026-11-25T20:00:30Z"));  // the hook starts after ours
  for (int i = 0; i < 3; ++i) w.step();
  EXPECT_EQ(w.foreignLists, 1);
  EXPECT_EQ(w.at(), Step::Migrating);  // ours runs on: never waited for once it started
}

TEST(MigrationForeignJob, WithoutTheListThePlannerAsksForItAndCreatesNothing) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.runUntil(Step::Pending);
  Plan p = planMigration(w.observed());  // foreignJobs not read
  EXPECT_TRUE(p.needsForeignJobs);
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create, "jobs").empty());
  Observed listed = w.observed();
  listed.foreignJobs.emplace();
  p = planMigration(listed);
  EXPECT_FALSE(p.needsForeignJobs);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create, "jobs").size(), 1u);
}

TEST(MigrationForeignJob, ARetryAfterAFailedMigrationWaitsForAForeignJobToo) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.runUntil(Step::Migrating);
  w.finishJob(kOwnJob, false);
  w.runUntil(Step::Failed);
  w.namespaceJobs.push_back(hookJob());  // someone runs migrate by hand meanwhile
  w.jobs.clear();                        // and deletes the failed Job to retry
  Plan p = w.step();
  EXPECT_TRUE(hasEvent(p, "MigrationRetried"));
  EXPECT_EQ(w.at(), Step::WaitingForForeignMigration);
  EXPECT_EQ(w.job(kOwnJob), nullptr);
}

// --- which Jobs count ---

Json container(Json command, Json args = Json()) {
  Json c = {{"name", "c"}, {"image", "phasehq/backend:v2.73.2"}, {"command", std::move(command)}};
  if (!args.is_null()) c["args"] = std::move(args);
  return c;
}

TEST(MigrationForeignJob, RecognisesMigrateInArgvItemsAndInShellScriptsButNotCheckOrPlan) {
  EXPECT_TRUE(runsMigrate(hookJob()["spec"]["template"]["spec"]["containers"][0]));
  EXPECT_TRUE(runsMigrate(container({"python"}, {"manage.py", "migrate", "--noinput"})));
  EXPECT_TRUE(runsMigrate(container({"/usr/local/bin/python", "/app/manage.py", "migrate", "api"})));
  EXPECT_TRUE(runsMigrate(container({"sh", "-c", "cd /app && python manage.py migrate --noinput; echo done"})));
  EXPECT_TRUE(runsMigrate(container({"/bin/bash", "-ec"}, {"python manage.py migrate --check || python manage.py migrate"})));
  EXPECT_TRUE(runsMigrate(container({"django-admin", "migrate"})));
  EXPECT_FALSE(runsMigrate(container({"python", "manage.py", "migrate", "--check"})));
  EXPECT_FALSE(runsMigrate(container({"sh", "-c", "python manage.py migrate --check && gunicorn backend.wsgi"})));
  EXPECT_FALSE(runsMigrate(container({"python", "manage.py", "migrate", "--plan"})));
  EXPECT_FALSE(runsMigrate(container({"python", "manage.py", "showmigrations"})));
  EXPECT_FALSE(runsMigrate(container({"python", "manage.py", "makemigrations"})));
  EXPECT_FALSE(runsMigrate(container({"sh", "-c", "echo manage.py; echo migrate"})));
  EXPECT_FALSE(runsMigrate(container({"/app/scripts/start.sh"})));
}

TEST(MigrationForeignJob, CountsOnlyRunningJobsThatAreNotTheOperatorsOwn) {
  EXPECT_TRUE(isForeignMigration(hookJob()));
  Json pending = hookJob();
  pending.erase("status");  // created, no pod yet: it will run
  EXPECT_TRUE(isForeignMigration(pending));
  Json init = hookJob();  // migrate in an init container
  auto& podSpec = init["spec"]["template"]["spec"];
  podSpec["initContainers"].push_back(podSpec["containers"][0]);
  podSpec["containers"][0]["command"] = {"true"};
  EXPECT_TRUE(isForeignMigration(init));

  for (const char* c : {"Complete", "Failed"}) {
    Json done = hookJob();
    finish(done, c);
    EXPECT_FALSE(isForeignMigration(done)) << c;
  }
  Json suspended = hookJob();
  suspended["spec"]["suspend"] = true;
  suspended["status"] = Json::object();
  EXPECT_FALSE(isForeignMigration(suspended));
  Json labelled = hookJob();
  labelled["metadata"]["labels"][labels::kManagedBy] = labels::kManagedByValue;
  EXPECT_FALSE(isForeignMigration(labelled));
  Json owned = hookJob();  // another PhaseMaintenance's, whatever its labels
  owned["metadata"]["ownerReferences"] = {{{"apiVersion", kGroupVersion}, {"kind", kKind}, {"name", "other"},
                                           {"uid", "u"}, {"controller", true}}};
  EXPECT_FALSE(isForeignMigration(owned));
  Json check = hookJob();
  check["spec"]["template"]["spec"]["containers"][0]["command"] = {"python", "manage.py", "migrate", "--check"};
  EXPECT_FALSE(isForeignMigration(check));
}

}  // namespace
}  // namespace pmo::maintenance
