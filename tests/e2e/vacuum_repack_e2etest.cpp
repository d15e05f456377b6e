// The real operator binary against the sandbox and a real PostgreSQL with pg_repack: the
// vacuum CronJob written for `method: Repack` runs, as its pod would (same command, args
// and environment), the real pg_repack client against the database, and its summary
// reaches status. No password on the way.
#include <gtest/gtest.h>

#include "e2e/operator_harness.hpp"
#include "support/pg_fixture.hpp"
#include "support/phase_data.hpp"
#include "support/process.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;

Json vacuumCronJob(OperatorHarness& h) {
  const Json list = h.client().list(kube::resources::kCronJobs, "phase");
  for (const auto& cj : list.value("items", Json::array()))
    if (cj["metadata"]["name"].get<std::string>().find("vacuum") != std::string::npos) return cj;
  return Json();
}

TEST(VacuumRepackE2E, TheCronJobForMethodRepackRebuildsTheRealTableAndReportsIt) {
  ScratchDatabase db("e2e_repack");
  {
    auto conn = db.connect();
    DataSpec data;
    data.organisations.push_back({"SpaceX", 1, 2, 6000, 600});
    data.taggedFraction = 0;
    generatePhaseData(*conn, data);
  }
  db.exec("CREATE EXTENSION pg_repack; DELETE FROM api_secretevent WHERE event_type = 'R'");
  const long long nodeBefore = db.scalar("SELECT pg_relation_filenode('api_secretevent')");
  const std::string password = db.params().password.reveal();

  OperatorHarness h;
  h.installCrdAndPhase(password, db.params().host, db.params().port);
  h.startOperator();
  const Json database = scratchDatabaseSpec(db);
  h.applyPhaseMaintenance({{"version", "v2.72.0"},
                           {"database", database},
                           {"auditLogs", {{"vacuum", {{"method", "Repack"}, {"lockTimeout", "10s"}}}}}});
  Json pm = h.waitForPm([](const Json& p) { return conditionStatus(p, "AuditLogMaintenanceScheduled") == "True"; },
                        60s, "the vacuum CronJob");
  EXPECT_EQ(pm.value("/status/auditLogs/vacuum/method"_json_pointer, std::string()), "Repack");
  const Json cj = vacuumCronJob(h);
  ASSERT_TRUE(cj.is_object());
  const Json container = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];

  // The pod, as the kubelet would start it: the container's args and env, the password
  // from the Secret the env names.
  std::vector<std::string> argv = {PMO_OPERATOR_BINARY};
  for (const auto& a : container["args"]) argv.push_back(a.get<std::string>());
  EXPECT_EQ(std::vector<std::string>(argv.begin() + 1, argv.end()),
            (std::vector<std::string>{"vacuum", "--method", "repack", "--lock-timeout", "10s"}));
  std::map<std::string, std::string> env;
  for (const auto& e : container["env"]) {
    if (e.contains("value")) {
      env[e["name"]] = e["value"];
    } else {
      ASSERT_EQ(e["name"], "DATABASE_PASSWORD");
      EXPECT_EQ(e["valueFrom"]["secretKeyRef"]["name"], "phase-console-secret");
      env[e["name"]] = password;
    }
  }
  TempDir dir;
  env["PMO_TERMINATION_LOG"] = dir.path() + "/termination-log";
  const RunResult pod = run(argv, env, 120s);
  ASSERT_EQ(pod.exitCode, 0) << pod.err;
  const Json summary = Json::parse(pod.out);
  EXPECT_EQ(summary.at("method"), "Repack");
  EXPECT_EQ(summary.at("outcome"), "Completed");
  EXPECT_GT(summary.at("bytesReclaimed").get<long long>(), 0);
  EXPECT_NE(db.scalar("SELECT pg_relation_filenode('api_secretevent')"), nodeBefore) << "rebuilt";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_secretevent"), 600);
  EXPECT_EQ(pod.err.find(password), std::string::npos);

  // Its summary, as the pod's termination message, reaches status.
  sandbox::JobBehaviour job;
  job.duration = 200ms;
  job.terminationMessage = readFile(dir.path() + "/termination-log");
  const std::string name = cj["metadata"]["name"];
  h.sandbox().controls().setJobBehaviour(name, job);
  h.sandbox().controls().triggerCronJob("phase", name);
  pm = h.waitForPm(
      [&](const Json& p) {
        return p.value("/status/auditLogs/vacuum/lastResult/bytesReclaimed"_json_pointer, 0LL) ==
               summary.at("bytesReclaimed").get<long long>();
      },
      60s, "the repack's result in status");
  EXPECT_TRUE(pm.value("/status/auditLogs/vacuum/lastResult/success"_json_pointer, false));
  EXPECT_TRUE(eventually(
      [&] {
        for (const auto& e : h.events())  // the Event says what ran: a repack, not a VACUUM FULL
          if (e.value("message", "").find("repack of api_secretevent") != std::string::npos) return true;
        return false;
      },
      30s))
      << "an Event naming the repack";
  EXPECT_EQ(pm.dump().find(password), std::string::npos);
  EXPECT_EQ(h.operatorLog().find(password), std::string::npos);
}

}  // namespace
}  // namespace pmo::testing
