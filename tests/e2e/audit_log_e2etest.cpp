// The real operator binary against the sandbox: the purge and vacuum CronJobs are
// created, pruned, suspended during a migration, and their results reach status.
#include <gtest/gtest.h>

#include <iostream>

#include "e2e/operator_harness.hpp"
#include "e2e/tools_harness.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;

Json specWith(const Json& auditLogs, const std::string& version = "v2.72.0") {
  return {{"version", version},
          {"database", demoDatabase()},
          {"auditLogs", auditLogs}};
}

std::vector<Json> cronJobs(OperatorHarness& h) {
  const Json list = h.client().list(kube::resources::kCronJobs, "phase");
  return list.value("items", Json::array()).get<std::vector<Json>>();
}

bool allSuspended(OperatorHarness& h, bool suspended) {
  const auto cjs = cronJobs(h);
  if (cjs.empty()) return false;
  for (const auto& cj : cjs)
    if (cj["spec"].value("suspend", false) != suspended) return false;
  return true;
}

TEST(AuditLogE2E, CronJobsAreReconciledAndTheirResultsReachStatus) {
  sandbox::Options o = OperatorHarness::defaultSandboxOptions();
  o.jobDuration = 1500ms;
  OperatorHarness h(o);
  h.installCrdAndPhase();
  h.startOperator();
  const Json rules = {{"purge", Json::array({{{"organisation", "SpaceX"}, {"retainDays", 90}, {"schedule", "0 3 * * *"}}})},
                      {"vacuum", {{"schedule", "30 3 * * 0"}}}};
  h.applyPhaseMaintenance(specWith(rules));
  Json pm = h.waitForPm(
      [](const Json& p) { return conditionStatus(p, "AuditLogMaintenanceScheduled") == "True"; }, 60s, "the CronJobs");
  ASSERT_EQ(cronJobs(h).size(), 2u);
  const std::string purge = pm.value("/status/auditLogs/purge/0/name"_json_pointer, std::string());
  ASSERT_FALSE(purge.empty());
  const Json container = [&] {
    for (const auto& cj : cronJobs(h))
      if (cj["metadata"]["name"] == purge) return cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    return Json();
  }();
  EXPECT_EQ(container.value("image", ""), "phase-maintenance-operator:e2e");
  EXPECT_NE(container.dump().find("SpaceX"), std::string::npos);

  // A run of the purge CronJob; its pod's termination message is the command's summary.
  sandbox::JobBehaviour run;
  run.duration = 200ms;
  run.terminationMessage = R"({"organisation":"SpaceX","retainDays":90,"deleted":4242,"tagRowsDeleted":800,)"
                           R"("remaining":0,"batches":3,"durationSeconds":1.5,"success":true})";
  h.sandbox().controls().setJobBehaviour(purge, run);
  h.sandbox().controls().triggerCronJob("phase", purge);
  pm = h.waitForPm(
      [](const Json& p) { return p.value("/status/auditLogs/purge/0/lastResult/rowsDeleted"_json_pointer, 0) == 4242; },
      60s, "the purge result in status");
  EXPECT_TRUE(pm.value("/status/auditLogs/purge/0/lastResult/success"_json_pointer, false));

  // A migration suspends the CronJobs until it is over.
  h.applyPhaseMaintenance(specWith(rules, "v2.73.2"));
  EXPECT_TRUE(eventually([&] { return allSuspended(h, true); }, 30s)) << "CronJobs suspended while migrating";
  h.waitForPm([](const Json& p) { return p.value("/status/currentVersion"_json_pointer, std::string()) == "v2.73.2"; },
              60s, "the migration");
  EXPECT_TRUE(eventually([&] { return allSuspended(h, false); }, 30s)) << "CronJobs resumed after the migration";

  // A rule that goes takes its CronJob with it.
  Json fewer = rules;
  fewer.erase("vacuum");
  h.applyPhaseMaintenance(specWith(fewer, "v2.73.2"));
  EXPECT_TRUE(eventually([&] { return cronJobs(h).size() == 1; }, 30s)) << "the vacuum CronJob is pruned";
  // Every CronJob, Job, Pod, Event and Lease written on the way, against Kubernetes' schemas.
  expectStoredObjectsMatchKubernetesSchemas(h.kubeconfig());
}

// A zone kube-apiserver would refuse in a CronJob is refused in the spec: SpecValid=False
// names the field, the value and the fix, and no CronJob is written.
TEST(AuditLogE2E, UnknownTimeZoneIsReportedAsInvalidSpec) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.startOperator();
  Json rules = {{"purge", Json::array({{{"organisation", "SpaceX"}}})}, {"timeZone", "Mars/Olympus"}};
  h.applyPhaseMaintenance(specWith(rules));
  Json pm = h.waitForPm([](const Json& p) { return conditionStatus(p, "SpecValid") == "False"; }, 60s, "SpecValid=False");
  std::string message;
  for (const auto& c : pm["status"].value("conditions", Json::array()))
    if (c.value("type", "") == "SpecValid") message = c.value("message", "");
  EXPECT_NE(message.find("spec.auditLogs.timeZone: Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("Europe/Berlin"), std::string::npos) << message;
  EXPECT_TRUE(cronJobs(h).empty());

  rules["timeZone"] = "Europe/Berlin";
  h.applyPhaseMaintenance(specWith(rules));
  h.waitForPm([](const Json& p) { return conditionStatus(p, "AuditLogMaintenanceScheduled") == "True"; }, 60s,
              "the CronJob in Europe/Berlin");
  ASSERT_EQ(cronJobs(h).size(), 1u);
  EXPECT_EQ(cronJobs(h)[0]["spec"].value("timeZone", ""), "Europe/Berlin");
}

}  // namespace
}  // namespace pmo::testing
