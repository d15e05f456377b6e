// The audit-log planner: CronJobs reconciled to the spec, suspension around migrations,
// results from termination messages, and no writes at rest.
#include <gtest/gtest.h>

#include "maintenance/auditlogs/planner.hpp"
#include "maintenance/auditlogs/cronjob_builder.hpp"
#include "maintenance/labels.hpp"

namespace pmo::maintenance {
namespace {

const char* kPurgeOk =
    R"({"organisation":"SpaceX","appId":null,"retainDays":90,"cutoff":"2026-08-27T03:00:00Z","deleted":1200,)"
    R"("tagRowsDeleted":240,"remaining":0,"batches":3,"durationSeconds":2.5,"rowsPerSecond":480,"dryRun":false,)"
    R"("nothingToDo":false,"stoppedEarly":false,"success":true})";
const char* kVacuumOk =
    R"({"table":"api_secretevent","full":false,"skipped":false,"gaveUp":false,"message":"","bytesReclaimed":4096,)"
    R"("durationSeconds":1.5,"before":{"totalBytes":9000,"deadTuples":50},"after":{"table":"api_secretevent",)"
    R"("totalBytes":4904,"tableBytes":4000,"indexBytes":904,"liveTuples":10,"deadTuples":0,)"
    R"("checkedAt":"2026-11-25T03:31:00Z"},"success":true})";

// An in-memory API server for CronJobs, Jobs and Pods, applying plans as the reconciler does.
struct World {
  Observed in;
  int nextRv = 1;

  World() {
    in.object = {{"apiVersion", "maintenance.phase.dev/v1alpha1"},
                 {"kind", "PhaseMaintenance"},
                 {"metadata", {{"name", "phase"}, {"namespace", "phase-ns"}, {"uid", "uid-pm"}, {"generation", 4}}},
                 {"status", Json::object()}};
    in.spec.database = {"db", 5432, "phase_db", "phase_api", {"phase-console-secret", "DATABASE_PASSWORD"}, "prefer", {}};
    in.spec.auditLogs.purge = {{"SpaceX", 90, "", "0 3 * * *"}, {"Acme", 30, "app-1", "0 4 * * *"}};
    in.spec.auditLogs.vacuum = VacuumSpec{"30 3 * * 0", false, "5s", 0, ""};
    in.operatorImage = "ghcr.io/x/pmo:1.0";
    in.now = parseTime("2026-11-25T02:58:00Z").value();
  }

  Json* cronJob(const std::string& name) {
    for (auto& cj : in.cronJobs)
      if (cj["metadata"]["name"] == name) return &cj;
    return nullptr;
  }

  // Executes the writes (with API-server defaulting) and stores the status.
  void apply(const AuditLogPlan& p) {
    for (const auto& a : p.actions) {
      if (a.kind == Action::Kind::Create) {
        Json o = a.object;
        o["metadata"]["uid"] = "uid-" + a.name;
        o["metadata"]["resourceVersion"] = std::to_string(nextRv++);
        o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst";
        o["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent";
        in.cronJobs.push_back(o);
      } else if (a.kind == Action::Kind::Update) {
        Json* cj = cronJob(a.name);
        ASSERT_TRUE(cj);
        ASSERT_EQ(a.object["metadata"]["resourceVersion"], (*cj)["metadata"]["resourceVersion"]);
        Json o = a.object;
        o["metadata"]["resourceVersion"] = std::to_string(nextRv++);
        if (cj->contains("status")) o["status"] = (*cj)["status"];
        *cj = o;
      } else if (a.kind == Action::Kind::Delete) {
        for (auto it = in.cronJobs.begin(); it != in.cronJobs.end(); ++it) {
          if ((*it)["metadata"]["name"] == a.name) {
            in.cronJobs.erase(it);
            break;
          }
        }
      }
    }
    in.object["status"] = p.status;
  }

  AuditLogPlan settle(bool migrating = false) {
    AuditLogPlan p = planAuditLogs(in, migrating);
    apply(p);
    return p;
  }

  // The CronJob controller ran `jobName` at `finished`; its pod left `message`.
  void finishJob(const std::string& cronJobName, const std::string& jobName, bool succeeded,
                 const std::string& finished, const std::string& message, bool withPod = true) {
    Json* cj = cronJob(cronJobName);
    ASSERT_TRUE(cj);
    (*cj)["status"]["lastScheduleTime"] = "2026-11-25T03:00:00Z";
    Json cond = {{"type", succeeded ? "Complete" : "Failed"}, {"status", "True"}, {"lastTransitionTime", finished}};
    if (!succeeded) cond["reason"] = "BackoffLimitExceeded", cond["message"] = "Job has reached the specified backoff limit";
    Json job = {{"metadata",
                 {{"name", jobName},
                  {"uid", "uid-" + jobName},
                  {"labels", (*cj)["spec"]["jobTemplate"]["metadata"]["labels"]},
                  {"ownerReferences",
                   {{{"kind", "CronJob"}, {"name", cronJobName}, {"uid", (*cj)["metadata"]["uid"]}, {"controller", true}}}}}},
                {"status", {{"conditions", {cond}}}}};
    if (succeeded) job["status"]["completionTime"] = finished;
    in.jobs.push_back(job);
    if (!withPod) return;
    in.pods.push_back({{"metadata",
                        {{"name", jobName + "-abcde"},
                         {"creationTimestamp", "2026-11-25T03:00:01Z"},
                         {"labels", {{"batch.kubernetes.io/job-name", jobName}}},
                         {"ownerReferences", {{{"kind", "Job"}, {"name", jobName}, {"uid", "uid-" + jobName}}}}}},
                       {"status",
                        {{"containerStatuses",
                          {{{"name", "purge"}, {"state", {{"terminated", {{"exitCode", succeeded ? 0 : 1}, {"message", message}}}}}}}}}}});
  }

  std::string purgeName(std::size_t i) const { return purgeCronJobName("phase", in.spec.auditLogs.purge[i]); }
};

std::vector<const Action*> ofKind(const Plan& p, Action::Kind kind) {
  std::vector<const Action*> out;
  for (const auto& a : p.actions)
    if (a.kind == kind) out.push_back(&a);
  return out;
}

TEST(AuditLogPlanner, CreatesOneCronJobPerRuleAndOneForVacuum) {
  World w;
  const AuditLogPlan p = planAuditLogs(w.in, false);
  const auto creates = ofKind(p, Action::Kind::Create);
  ASSERT_EQ(creates.size(), 3u);
  EXPECT_EQ(creates[0]->resource, "cronjobs");
  EXPECT_EQ(creates[0]->name, w.purgeName(0));
  EXPECT_EQ(creates[2]->name, "phase-vacuum");
  const auto c = getCondition(p.status, conditions::kAuditLogMaintenanceScheduled);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, "True");
  EXPECT_EQ(c->reason, audit_reasons::kScheduled);
  EXPECT_NE(c->message.find(w.purgeName(1) + " (0 4 * * *)"), std::string::npos) << c->message;
  ASSERT_EQ(p.status["auditLogs"]["purge"].size(), 2u);
  EXPECT_EQ(p.status["auditLogs"]["purge"][1]["appId"], "app-1");
  EXPECT_EQ(p.status["auditLogs"]["vacuum"]["schedule"], "30 3 * * 0");
}

TEST(AuditLogPlanner, MakesNoWritesAndKeepsTheStatusAtRest) {
  World w;
  w.settle();
  w.finishJob(w.purgeName(0), "spacex-1", true, "2026-11-25T03:00:30Z", kPurgeOk);
  w.in.now = parseTime("2026-11-25T03:05:00Z").value();
  w.settle();
  for (int i = 0; i < 3; ++i) {
    const AuditLogPlan p = planAuditLogs(w.in, false);
    EXPECT_TRUE(p.actions.empty()) << p.actions.front().describe();
    EXPECT_EQ(p.status, w.in.object["status"]);
    EXPECT_EQ(p.newRowsPurged, 0);
    w.in.now += std::chrono::minutes(7);
  }
}

TEST(AuditLogPlanner, AScheduleChangeIsAnUpdateWithTheResourceVersion) {
  World w;
  w.settle();
  const std::string uid = w.cronJob(w.purgeName(0))->at("metadata").at("uid");
  w.in.spec.auditLogs.purge[0].schedule = "15 2 * * *";
  const AuditLogPlan p = w.settle();
  ASSERT_EQ(p.actions.size(), 1u);
  EXPECT_EQ(p.actions[0].kind, Action::Kind::Update);
  EXPECT_EQ(p.actions[0].name, w.purgeName(0));  // the name is the rule's identity, not its schedule
  EXPECT_EQ((*w.cronJob(w.purgeName(0)))["spec"]["schedule"], "15 2 * * *");
  EXPECT_EQ((*w.cronJob(w.purgeName(0)))["metadata"]["uid"], uid);
  EXPECT_TRUE(planAuditLogs(w.in, false).actions.empty());
}

TEST(AuditLogPlanner, ARemovedRuleIsPrunedAndForeignCronJobsAreLeftAlone) {
  World w;
  w.settle();
  Json foreign = *w.cronJob("phase-vacuum");
  foreign["metadata"]["name"] = "someone-elses";
  foreign["metadata"]["ownerReferences"][0]["uid"] = "uid-other";
  w.in.cronJobs.push_back(foreign);
  const std::string gone = w.purgeName(1);
  w.in.spec.auditLogs.purge.pop_back();
  const AuditLogPlan p = w.settle();
  ASSERT_EQ(p.actions.size(), 1u);
  EXPECT_EQ(p.actions[0].kind, Action::Kind::Delete);
  EXPECT_EQ(p.actions[0].name, gone);
  EXPECT_EQ(p.status["auditLogs"]["purge"].size(), 1u);
  EXPECT_TRUE(w.cronJob("someone-elses"));
}

TEST(AuditLogPlanner, SuspendsEveryCronJobDuringAMigrationAndResumesAfter) {
  World w;
  w.settle();
  const AuditLogPlan during = w.settle(/*migrating=*/true);
  EXPECT_EQ(ofKind(during, Action::Kind::Update).size(), 3u);
  for (const auto& cj : w.in.cronJobs) EXPECT_EQ(cj["spec"]["suspend"], true);
  EXPECT_EQ(getCondition(during.status, conditions::kAuditLogMaintenanceScheduled)->reason,
            audit_reasons::kSuspendedForMigration);
  EXPECT_EQ(during.status["auditLogs"]["purge"][0]["suspended"], true);
  EXPECT_FALSE(during.requeueAfter);  // nothing runs while suspended
  EXPECT_TRUE(planAuditLogs(w.in, true).actions.empty());

  const AuditLogPlan after = w.settle(/*migrating=*/false);
  EXPECT_EQ(ofKind(after, Action::Kind::Update).size(), 3u);
  for (const auto& cj : w.in.cronJobs) EXPECT_EQ(cj["spec"]["suspend"], false);
  EXPECT_EQ(getCondition(after.status, conditions::kAuditLogMaintenanceScheduled)->reason, audit_reasons::kScheduled);
}

TEST(AuditLogPlanner, CopiesASuccessfulPurgeOnceWithOneEventAndCount) {
  World w;
  w.settle();
  w.finishJob(w.purgeName(0), "spacex-1", true, "2026-11-25T03:00:30Z", kPurgeOk);
  w.in.now = parseTime("2026-11-25T03:01:00Z").value();
  const AuditLogPlan p = w.settle();
  const Json& entry = p.status["auditLogs"]["purge"][0];
  ASSERT_TRUE(entry.contains("lastResult") && entry["lastResult"].contains("rowsDeleted")) << p.status.dump();
  EXPECT_EQ(entry["lastScheduleTime"], "2026-11-25T03:00:00Z");
  EXPECT_EQ(entry["lastResult"]["job"], "spacex-1");
  EXPECT_EQ(entry["lastResult"]["success"], true);
  EXPECT_EQ(entry["lastResult"]["rowsDeleted"], 1200);
  EXPECT_EQ(entry["lastResult"]["remaining"], 0);
  EXPECT_EQ(entry["lastResult"]["finishedAt"], "2026-11-25T03:00:30Z");
  EXPECT_NE(entry["lastResult"]["message"].get<std::string>().find("deleted 1200 read events older than 90 days"),
            std::string::npos);
  const auto events = ofKind(p, Action::Kind::Event);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->reason, audit_reasons::kPurgeSucceeded);
  EXPECT_EQ(events[0]->eventType, "Normal");
  EXPECT_EQ(p.newRowsPurged, 1200);

  const AuditLogPlan again = planAuditLogs(w.in, false);
  EXPECT_TRUE(again.actions.empty());
  EXPECT_EQ(again.newRowsPurged, 0);
}

TEST(AuditLogPlanner, AFailedPurgeIsAWarningThatNamesTheJobAndItsLogs) {
  World w;
  w.settle();
  w.finishJob(w.purgeName(0), "spacex-2", false, "2026-11-25T03:10:00Z",
              R"({"organisation":"SpaceX","deleted":0,"success":false,"error":"could not connect to db:5432"})");
  w.in.now = parseTime("2026-11-25T03:11:00Z").value();
  const AuditLogPlan p = w.settle();
  const Json& r = p.status["auditLogs"]["purge"][0]["lastResult"];
  EXPECT_EQ(r["success"], false);
  const std::string msg = r["message"];
  EXPECT_NE(msg.find("could not connect to db:5432"), std::string::npos) << msg;
  EXPECT_NE(msg.find("kubectl logs -n phase-ns job/spacex-2"), std::string::npos) << msg;
  const auto events = ofKind(p, Action::Kind::Event);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->reason, audit_reasons::kPurgeFailed);
  EXPECT_EQ(events[0]->eventType, "Warning");
}

TEST(AuditLogPlanner, GarbageInTheTerminationMessageGivesTheJobsOutcome) {
  World w;
  w.settle();
  w.finishJob(w.purgeName(0), "spacex-3", true, "2026-11-25T03:00:30Z", "{\"organisation\":\"Spa\xff");
  w.in.now = parseTime("2026-11-25T03:01:00Z").value();
  const AuditLogPlan p = w.settle();
  const Json& r = p.status["auditLogs"]["purge"][0]["lastResult"];
  EXPECT_EQ(r["success"], true);
  EXPECT_EQ(r["message"].get<std::string>().rfind(kSummaryUnreadable, 0), 0u) << r["message"];
  EXPECT_FALSE(r.contains("rowsDeleted"));
  EXPECT_EQ(p.newRowsPurged, 0);
  EXPECT_EQ(ofKind(p, Action::Kind::Event).size(), 1u);
}

// Issue 13: rows a purge left because another transaction held them show as a warning.
TEST(AuditLogPlanner, RowsLeftBecauseTheyWereHeldShowAsAWarning) {
  World w;
  w.settle();
  w.finishJob(w.purgeName(0), "spacex-held", true, "2026-11-25T03:00:30Z",
              R"({"organisation":"SpaceX","retainDays":90,"cutoff":"2026-08-27T03:00:00.000000Z","deleted":997,"remaining":3,)"
              R"("batches":4,"skippedLocked":3,"skippedReason":"held by another transaction","success":true})");
  w.in.now = parseTime("2026-11-25T03:01:00Z").value();
  const Json r = w.settle().status["auditLogs"]["purge"][0]["lastResult"];
  EXPECT_EQ(r["success"], true);
  EXPECT_EQ(r["rowsDeleted"], 997);
  EXPECT_EQ(r.value("warning", ""), "3 read events left for the next run: held by another transaction") << r.dump();
}

// Issue 13: a failed purge's status says what it did before failing.
TEST(AuditLogPlanner, AFailedPurgeSaysWhatItDeletedBeforeFailing) {
  World w;
  w.settle();
  w.finishJob(w.purgeName(0), "spacex-failed", false, "2026-11-25T03:00:30Z",
              R"({"organisation":"SpaceX","retainDays":90,"cutoff":"2026-08-27T03:00:00.000000Z","deleted":1500,"remaining":200,)"
              R"("batches":6,"success":false,"error":"terminating connection"})");
  w.in.now = parseTime("2026-11-25T03:01:00Z").value();
  const Json r = w.settle().status["auditLogs"]["purge"][0]["lastResult"];
  EXPECT_EQ(r["success"], false);
  EXPECT_EQ(r["rowsDeleted"], 1500);
  EXPECT_NE(r["message"].get<std::string>().find("before failing it deleted 1500 read events in 6 batches (cutoff "
                                                  "2026-08-27T03:00:00.000000Z)"),
            std::string::npos) << r.dump();
  EXPECT_FALSE(r.contains("warning"));
}

TEST(AuditLogPlanner, WaitsBrieflyForThePodThenRecordsWithoutIt) {
  World w;
  w.settle();
  w.finishJob(w.purgeName(0), "spacex-4", true, "2026-11-25T03:00:30Z", "", /*withPod=*/false);
  w.in.now = parseTime("2026-11-25T03:00:40Z").value();
  const AuditLogPlan early = w.settle();
  EXPECT_FALSE(early.status["auditLogs"]["purge"][0].contains("lastResult"));
  ASSERT_TRUE(early.requeueAfter);
  EXPECT_LE(*early.requeueAfter, std::chrono::milliseconds(kPodGraceRequeue));
  w.in.now = parseTime("2026-11-25T03:02:00Z").value();
  const AuditLogPlan late = w.settle();
  EXPECT_EQ(late.status["auditLogs"]["purge"][0]["lastResult"]["job"], "spacex-4");
  EXPECT_EQ(late.status["auditLogs"]["purge"][0]["lastResult"]["success"], true);
}

TEST(AuditLogPlanner, TheNewestFinishedJobWinsAndRunningOnesAreIgnored) {
  World w;
  w.settle();
  w.finishJob(w.purgeName(0), "spacex-old", false, "2026-11-24T03:00:30Z", R"({"success":false,"error":"x"})");
  w.finishJob(w.purgeName(0), "spacex-new", true, "2026-11-25T03:00:30Z", kPurgeOk);
  Json running = w.in.jobs.back();
  running["metadata"]["name"] = "spacex-running";
  running["status"] = Json::object();
  w.in.jobs.push_back(running);
  w.in.now = parseTime("2026-11-25T03:05:00Z").value();
  const AuditLogPlan p = w.settle();
  EXPECT_EQ(p.status["auditLogs"]["purge"][0]["lastResult"]["job"], "spacex-new");
  EXPECT_EQ(ofKind(p, Action::Kind::Event).size(), 1u);
}

TEST(AuditLogPlanner, AVacuumFillsTheTableAndCountsBytesReclaimed) {
  World w;
  w.settle();
  w.finishJob("phase-vacuum", "vac-1", true, "2026-11-25T03:31:05Z", kVacuumOk);
  w.in.now = parseTime("2026-11-25T03:32:00Z").value();
  const AuditLogPlan p = w.settle();
  const Json& v = p.status["auditLogs"]["vacuum"];
  EXPECT_EQ(v["lastResult"]["bytesReclaimed"], 4096);
  EXPECT_EQ(v["lastResult"]["skipped"], false);
  const Json& t = p.status["auditLogs"]["table"];
  EXPECT_EQ(t["name"], "api_secretevent");
  EXPECT_EQ(t["totalBytes"], 4904);
  EXPECT_EQ(t["deadTuples"], 0);
  EXPECT_EQ(t["measuredAt"], "2026-11-25T03:31:00Z");
  EXPECT_EQ(p.newBytesReclaimed, 4096);
  ASSERT_EQ(ofKind(p, Action::Kind::Event).size(), 1u);
  EXPECT_EQ(ofKind(p, Action::Kind::Event)[0]->reason, audit_reasons::kVacuumSucceeded);
}

TEST(AuditLogPlanner, WithoutThePasswordSecretNothingIsCreatedAndTheConditionSaysWhy) {
  World w;
  w.in.passwordSecretFound = false;
  const AuditLogPlan p = planAuditLogs(w.in, false);
  EXPECT_TRUE(ofKind(p, Action::Kind::Create).empty());
  const auto c = getCondition(p.status, conditions::kAuditLogMaintenanceScheduled);
  EXPECT_EQ(c->status, "False");
  EXPECT_EQ(c->reason, audit_reasons::kSecretNotFound);
  EXPECT_NE(c->message.find("phase-ns/phase-console-secret"), std::string::npos) << c->message;
  ASSERT_TRUE(p.requeueAfter);
  EXPECT_LE(*p.requeueAfter, std::chrono::milliseconds(kSecretMissingRequeue));

  w.in.passwordSecretFound = true;  // existing CronJobs are still suspended without it
  w.settle();
  w.in.passwordSecretFound = false;
  EXPECT_EQ(ofKind(planAuditLogs(w.in, true), Action::Kind::Update).size(), 3u);
}

TEST(AuditLogPlanner, NothingConfiguredPrunesAndSaysNotConfigured) {
  World w;
  w.settle();
  w.in.spec.auditLogs.purge.clear();
  w.in.spec.auditLogs.vacuum.reset();
  const AuditLogPlan p = w.settle();
  EXPECT_EQ(ofKind(p, Action::Kind::Delete).size(), 3u);
  EXPECT_FALSE(p.status.contains("auditLogs"));
  const auto c = getCondition(p.status, conditions::kAuditLogMaintenanceScheduled);
  EXPECT_EQ(c->status, "False");
  EXPECT_EQ(c->reason, audit_reasons::kNotConfigured);
  EXPECT_TRUE(planAuditLogs(w.in, false).actions.empty());
}

TEST(AuditLogPlanner, RequeuesShortlyAfterTheNextScheduledRunAtMostHourly) {
  World w;  // now 02:58, SpaceX purge at 03:00
  const AuditLogPlan p = w.settle();
  ASSERT_TRUE(p.requeueAfter);
  EXPECT_EQ(*p.requeueAfter, std::chrono::milliseconds(std::chrono::seconds(150)));
  w.in.now = parseTime("2026-11-25T05:00:00Z").value();  // next run tomorrow 03:00
  EXPECT_EQ(*planAuditLogs(w.in, false).requeueAfter, std::chrono::milliseconds(kMaxScheduleRequeue));
}

TEST(AuditLogPlanner, HostileOrganisationNamesAreOneArgumentOfAValidCronJob) {
  World w;
  w.in.spec.auditLogs.purge = {{"x'; DROP TABLE api_app;-- 火星", 1, "", "0 3 * * *"}};
  w.in.spec.auditLogs.vacuum.reset();
  const AuditLogPlan p = planAuditLogs(w.in, false);
  ASSERT_EQ(p.actions.size(), 1u);
  const Json& args = p.actions[0].object["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"];
  EXPECT_EQ(args.back(), "x'; DROP TABLE api_app;-- 火星");
  EXPECT_LE(p.actions[0].name.size(), kMaxCronJobNameLength);
}

}  // namespace
}  // namespace pmo::maintenance
