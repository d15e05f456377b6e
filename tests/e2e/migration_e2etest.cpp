// The real operator binary against the sandbox API server: migration-gated upgrades.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "e2e/operator_harness.hpp"
#include "e2e/tools_harness.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;

Json managedSpec(const std::string& version, const std::string& gate = "HoldRollout") {
  return {{"version", version},
          {"database", demoDatabase()},
          {"migrations", {{"gate", gate}}}};
}

bool atVersion(const Json& pm, const std::string& v) {
  return pm.value("/status/currentVersion"_json_pointer, std::string()) == v &&
         conditionStatus(pm, "Ready") == "True";
}

// Follow mode: a PhaseMaintenance without a version, adopted at what runs (v2.72.0).
void followTheRunningVersion(OperatorHarness& h) {
  h.installCrdAndPhase();
  h.startOperator();
  Json spec = managedSpec("");
  spec.erase("version");
  h.applyPhaseMaintenance(spec);
  h.waitForPm([](const Json& p) { return atVersion(p, "v2.72.0"); }, 60s, "adoption of v2.72.0");
}

// Helm or GitOps moves the backend's and the worker's image, retrying on a conflict as they
// would (the operator may pause the worker between a read and a write).
void moveBothImagesTo(OperatorHarness& h, const std::string& image) {
  for (const std::string name : {"phase-console-backend", "phase-console-worker"}) {
    for (int attempt = 1;; ++attempt) {
      Json d = h.deployment(name);
      d["spec"]["template"]["spec"]["containers"][0]["image"] = image;
      try {
        h.client().update(kube::resources::kDeployments, "phase", d);
        break;
      } catch (const kube::ApiError& e) {
        if (e.reason() != kube::ErrorReason::Conflict || attempt == 5) throw;
      }
    }
  }
}

int jobsNamedLike(OperatorHarness& h, const std::string& part) {
  int n = 0;
  std::string names;
  for (const auto& j : h.jobs()) {
    const std::string name = j.value("/metadata/name"_json_pointer, std::string());
    names += name + " ";
    if (name.find(part) != std::string::npos) ++n;
  }
  if (n != 1) std::cerr << "jobs in phase: " << names << "\n";
  return n;
}

TEST(MigrationE2E, ManagedUpgradeRunsOneMigrationJobThenRollsOut) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.startOperator();
  h.applyPhaseMaintenance(managedSpec("v2.73.2"));
  const Json pm = h.waitForPm([](const Json& p) { return atVersion(p, "v2.73.2"); }, 60s, "currentVersion v2.73.2");
  EXPECT_EQ(conditionStatus(pm, "Migrated"), "True");
  EXPECT_EQ(jobsNamedLike(h, "migrate"), 1);
  const Json backend = h.deployment("phase-console-backend");
  EXPECT_EQ(imageTag(containerImage(backend, "backend")), "v2.73.2");
  EXPECT_EQ(imageTag(containerImage(h.deployment("phase-console-worker"), "worker")), "v2.73.2");
  bool external = false;
  for (const auto& e : backend["spec"]["template"]["spec"]["containers"][0]["env"])
    external = external || (e.value("name", "") == "EXTERNAL_MIGRATION" && e.value("value", "") == "true");
  EXPECT_TRUE(external) << "the backend must not run migrate itself on start";
  ASSERT_TRUE(pm["status"]["migrations"].is_array());
  EXPECT_EQ(pm["status"]["migrations"][0].value("result", ""), "Succeeded");
  // The migration Job, its Pod, the patched Deployments, Events and the Lease, against
  // Kubernetes' schemas.
  expectStoredObjectsMatchKubernetesSchemas(h.kubeconfig());
}

// Each step of a move is announced once: a reconcile that starts before the operator has
// seen its own last status write must not plan (and announce) the same step again.
TEST(MigrationE2E, EachStepOfAMoveIsAnnouncedOnce) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.startOperator();
  Json spec = managedSpec("v2.73.2");
  spec["migrations"]["backup"] = {{"enabled", true}, {"persistentVolumeClaim", "phase-backups"}};
  h.applyPhaseMaintenance(spec);
  h.waitForPm([](const Json& p) { return atVersion(p, "v2.73.2"); }, 60s, "currentVersion v2.73.2");
  std::map<std::string, long> counts;  // the operator's: the Deployment controller reports its scaling too
  for (const auto& e : h.events())
    if (e.value("/source/component"_json_pointer, std::string()) == "phase-maintenance-operator")
      counts[e.value("reason", "")] += e.value("count", 1L);
  for (const auto& [reason, count] : counts)
    EXPECT_EQ(count, 1) << "Event " << reason << " was emitted " << count << " times";
  EXPECT_GE(counts.size(), 4u) << ::testing::PrintToString(counts);
  if (::testing::Test::HasFailure()) std::cerr << h.operatorLog();
}

TEST(MigrationE2E, FailedMigrationKeepsTheOldVersionServing) {
  OperatorHarness h;
  sandbox::JobBehaviour fail;
  fail.succeed = false;
  fail.failureReason = "BackoffLimitExceeded";
  fail.log = "django.db.utils.ProgrammingError: relation already exists";
  h.sandbox().controls().setJobBehaviour("phase-migrate", fail);
  h.installCrdAndPhase();
  h.startOperator();
  h.applyPhaseMaintenance(managedSpec("v2.73.2"));
  const Json pm = h.waitForPm(
      [](const Json& p) { return conditionReason(p, "Migrated") == "MigrationFailed"; }, 60s, "MigrationFailed");
  EXPECT_EQ(conditionStatus(pm, "Migrated"), "False");
  EXPECT_EQ(imageTag(containerImage(h.deployment("phase-console-backend"), "backend")), "v2.72.0");
  EXPECT_EQ(imageTag(containerImage(h.deployment("phase-console-worker"), "worker")), "v2.72.0");
  std::string message;
  for (const auto& c : pm["status"]["conditions"])
    if (c.value("type", "") == "Migrated") message = c.value("message", "");
  EXPECT_NE(message.find("kubectl logs"), std::string::npos) << message;
  bool event = false;
  for (const auto& e : h.events()) event = event || e.value("reason", "") == "MigrationFailed";
  EXPECT_TRUE(event);
}

TEST(MigrationE2E, DowngradeIsRefusedAndNothingIsTouched) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.startOperator();
  h.applyPhaseMaintenance(managedSpec("v2.70.0"));
  const Json pm = h.waitForPm(
      [](const Json& p) { return conditionReason(p, "Migrated") == "DowngradeRefused"; }, 60s, "DowngradeRefused");
  EXPECT_EQ(jobsNamedLike(h, "migrate"), 0);
  EXPECT_EQ(imageTag(containerImage(h.deployment("phase-console-backend"), "backend")), "v2.72.0");
}

TEST(MigrationE2E, ScaleDownGateRestoresReplicasAfterTheMigration) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.startOperator();
  h.applyPhaseMaintenance(managedSpec("v2.73.2", "ScaleDown"));
  h.waitForPm([](const Json& p) { return atVersion(p, "v2.73.2"); }, 60s, "currentVersion v2.73.2");
  EXPECT_EQ(h.deployment("phase-console-backend")["spec"].value("replicas", -1), 2);
  EXPECT_EQ(h.deployment("phase-console-worker")["spec"].value("replicas", -1), 1);
}

TEST(MigrationE2E, FollowModeMigratesWhenTheImageMovesOutOfBand) {
  OperatorHarness h;
  followTheRunningVersion(h);
  // Helm or GitOps moves both images, retrying on a conflict as they would: the operator
  // pauses the worker as soon as it sees the backend move, maybe between a read and a write.
  moveBothImagesTo(h, "docker.io/phasehq/backend:v2.73.2");
  const Json pm = h.waitForPm([](const Json& p) { return atVersion(p, "v2.73.2"); }, 60s, "currentVersion v2.73.2");
  EXPECT_EQ(jobsNamedLike(h, "migrate"), 1) << pm["status"].dump(1) << h.operatorLog();
  EXPECT_FALSE(h.deployment("phase-console-backend")["spec"].value("paused", false));
}

// The wait-for-schema init container on backend and worker, in the pod's own image through
// an out-of-band image move, EXTERNAL_MIGRATION=true in Follow mode, and nothing of it left
// after the PhaseMaintenance is deleted.
std::optional<Json> gateOf(const Json& d) {
  for (const auto& c : d["spec"]["template"]["spec"].value("initContainers", Json::array()))
    if (c.value("name", "") == "wait-for-schema") return c;
  return std::nullopt;
}
std::string imageOf(const Json& d) { return d["spec"]["template"]["spec"]["containers"][0].value("image", ""); }

TEST(MigrationE2E, SchemaGateFollowsThePodsImageAndGoesWithThePhaseMaintenance) {
  OperatorHarness h;
  followTheRunningVersion(h);
  for (const std::string name : {"phase-console-backend", "phase-console-worker"}) {
    const Json d = h.deployment(name);
    const auto gate = gateOf(d);
    ASSERT_TRUE(gate.has_value()) << d.dump(1);
    EXPECT_EQ((*gate)["image"], imageOf(d));
    EXPECT_EQ(d["metadata"]["annotations"].value("maintenance.phase.dev/schema-gate", ""), "phase");
  }
  bool external = false;
  const Json backend = h.deployment("phase-console-backend");
  for (const auto& e : backend["spec"]["template"]["spec"]["containers"][0]["env"])
    external = external || (e.value("name", "") == "EXTERNAL_MIGRATION" && e.value("value", "") == "true");
  EXPECT_TRUE(external) << backend["spec"]["template"]["spec"]["containers"].dump(1);

  moveBothImagesTo(h, "docker.io/phasehq/backend:v2.73.2");
  h.waitForPm([](const Json& p) { return atVersion(p, "v2.73.2"); }, 60s, "currentVersion v2.73.2");
  for (const std::string name : {"phase-console-backend", "phase-console-worker"}) {
    const Json d = h.deployment(name);
    ASSERT_TRUE(gateOf(d).has_value());
    EXPECT_EQ((*gateOf(d))["image"], "docker.io/phasehq/backend:v2.73.2") << name;
  }

  h.client().remove(kube::resources::kPhaseMaintenances, "phase", "phase");
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline &&
         (gateOf(h.deployment("phase-console-backend")) || gateOf(h.deployment("phase-console-worker"))))
    std::this_thread::sleep_for(100ms);
  for (const std::string name : {"phase-console-backend", "phase-console-worker"}) {
    const Json d = h.deployment(name);
    EXPECT_FALSE(gateOf(d).has_value()) << name << h.operatorLog();
    EXPECT_FALSE(d["metadata"].value("annotations", Json::object()).contains("maintenance.phase.dev/schema-gate"));
  }
}

TEST(MigrationE2E, KilledOperatorResumesWithExactlyOneJobPerStep) {
  sandbox::Options o = OperatorHarness::defaultSandboxOptions();
  o.jobDuration = std::chrono::milliseconds(2500);
  OperatorHarness h(o);
  h.installCrdAndPhase();
  h.startOperator();
  h.applyPhaseMaintenance(managedSpec("v2.73.2"));
  // Kill it while the migration Job runs, then start a new one.
  h.waitForPm([](const Json& p) { return p.value("/status/migration/step"_json_pointer, std::string()) == "Migrating"; },
              60s, "the Migrating step");
  h.killOperator();
  h.startOperator();
  h.waitForPm([](const Json& p) { return atVersion(p, "v2.73.2"); }, 60s, "currentVersion v2.73.2 after a restart");
  EXPECT_EQ(jobsNamedLike(h, "migrate"), 1);
}

TEST(MigrationE2E, NoWritesAtRestBesidesTheLease) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.startOperator({"--leader-elect"});
  h.applyPhaseMaintenance(managedSpec("v2.73.2"));
  h.waitForPm([](const Json& p) { return atVersion(p, "v2.73.2"); }, 60s, "currentVersion v2.73.2");
  std::this_thread::sleep_for(3s);  // the last status write and Events settle
  h.sandbox().controls().clearRequests();
  std::this_thread::sleep_for(30s);
  std::vector<std::string> writes;
  for (const auto& r : h.sandbox().controls().requests()) {
    const bool write = r.verb != "get" && r.verb != "list" && r.verb != "watch";
    if (r.resource == "leases") continue;
    if (write || r.verb == "get" || r.verb == "list") writes.push_back(r.verb + " " + r.resource + " " + r.name);
  }
  EXPECT_TRUE(writes.empty()) << "requests at rest: " << ::testing::PrintToString(writes);
}

TEST(MigrationE2E, TwoReplicasElectOneLeaderThatAloneReconciles) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.startOperator({"--leader-elect"}, 0);
  h.startOperator({"--leader-elect"}, 1);
  h.applyPhaseMaintenance(managedSpec("v2.73.2"));
  h.waitForPm([](const Json& p) { return atVersion(p, "v2.73.2"); }, 60s, "currentVersion v2.73.2");
  const bool first = h.operatorLog(0).find("became the leader") != std::string::npos;
  const bool second = h.operatorLog(1).find("became the leader") != std::string::npos;
  EXPECT_NE(first, second) << "exactly one replica leads";
  const std::string follower = first ? h.operatorLog(1) : h.operatorLog(0);
  EXPECT_EQ(follower.find("reconcile"), std::string::npos) << "a follower does not reconcile:\n" << follower;
  // The leader stops on SIGTERM and releases the lease: the other takes over at once.
  EXPECT_EQ(h.stopOperator(first ? 0 : 1), 0);
  EXPECT_TRUE(eventually(
      [&] { return h.operatorLog(first ? 1 : 0).find("became the leader") != std::string::npos; }, 15s));
}

}  // namespace
}  // namespace pmo::testing
