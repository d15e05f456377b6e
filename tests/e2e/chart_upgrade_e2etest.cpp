// Phase's Helm chart as the reference install (issue 11): the chart-shaped release
// (tests/fixtures/phase-chart) on the sandbox, the real operator binary, and Helm's moves.
// A PodSchemaCheck watches every pod of the namespace through each whole scenario: no pod of
// a Phase version newer than the schema is ever Ready.
#include <gtest/gtest.h>

#include <iostream>
#include <thread>

#include "e2e/operator_harness.hpp"
#include "e2e/pod_schema_harness.hpp"
#include "support/phase_chart.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;
namespace chart = phase_chart;
namespace res = kube::resources;
const std::string kNs = "phase";
const std::string kOld = chart::kVersion;  // v2.73.2, what the release runs and the schema has
const std::string kNew = "v2.74.0";
const std::string kMirror = "registry.internal.example/phasehq/backend";

kube::Resource resourceOf(const Json& o) {
  const std::string api = o.value("apiVersion", ""), path = chart::collection(o);
  const auto slash = api.find('/');
  return {slash == std::string::npos ? "" : api.substr(0, slash), api.substr(slash == std::string::npos ? 0 : slash + 1),
          path.substr(path.rfind('/') + 1), o.value("kind", ""), true};
}

// The release as `helm install` leaves it (hooks done: the schema has the chart's version),
// with `repository` as global.images.backend.repository and `version` as global.version.
void installChart(OperatorHarness& h, const std::string& repository = chart::kRepository,
                  const std::string& version = kOld) {
  h.installCrd();
  h.client().create(res::kNamespaces, "", {{"metadata", {{"name", kNs}}}});
  h.client().create(res::kSecrets, kNs,
                    {{"metadata", {{"name", chart::kSecret}}}, {"stringData", {{"DATABASE_PASSWORD", "not-a-real-password"}}}});
  for (Json o : chart::release(kNs)) {
    if (o["kind"] == "Deployment") chart::setVersion(o, version, repository);
    h.client().create(resourceOf(o), kNs, o);
  }
  h.sandbox().controls().setSchemaVersion(kNs, h.sandbox().controls().imageVersion(repository + ":" + version));
}

// spec for the chart's release: its Deployments and containers, its database values
// (database.host, .port, .name, .user) and the phaseSecrets Secret.
Json chartSpec(const std::string& gate = "HoldRollout") {
  return {{"workloads",
           {{"backend", {{"deployment", chart::kBackend}, {"container", "backend"}}},
            {"worker", {{"deployment", chart::kWorker}, {"container", "worker"}}}}},
          {"database",
           {{"host", "phase-console-postgres"}, {"port", 5432}, {"name", "postgres-db-name"}, {"user", "postgres-user"},
            {"passwordSecretRef", {{"name", chart::kSecret}, {"key", "DATABASE_PASSWORD"}}}}},
          {"migrations", {{"gate", gate}}}};
}

bool hasGate(const Json& d) {
  for (const auto& c : d.value("/spec/template/spec/initContainers"_json_pointer, Json::array()))
    if (c.value("name", "") == "wait-for-schema") return true;
  return false;
}

bool hasProbe(const Json& d) {
  for (const auto& c : d.value("/spec/template/spec/containers"_json_pointer, Json::array()))
    if (c.value("/startupProbe/exec/command/2"_json_pointer, std::string()).find("migrate --check") != std::string::npos)
      return true;
  return false;
}

std::string gateImage(const Json& d) {
  for (const auto& c : d.value("/spec/template/spec/initContainers"_json_pointer, Json::array()))
    if (c.value("name", "") == "wait-for-schema") return c.value("image", "");
  return "";
}

bool atVersion(const Json& pm, const std::string& v) {
  return pm.value("/status/currentVersion"_json_pointer, std::string()) == v && conditionStatus(pm, "Ready") == "True";
}

// What `helm upgrade --set global.version=V` changes in the Deployments (a three-way
// strategic merge patch of the image only: the operator's gate container stays).
void helmSetVersion(OperatorHarness& h, const std::string& version, const std::string& repository = chart::kRepository) {
  for (const auto& [name, container] : {std::pair<std::string, std::string>{chart::kBackend, "backend"}, {chart::kWorker, "worker"}})
    h.client().patch(res::kDeployments, kNs, name, kube::PatchType::StrategicMerge,
                     {{"spec", {{"template", {{"spec", {{"containers", {{{"name", container}, {"image", repository + ":" + version}}}}}}}}}}});
}

std::vector<Json> pods(OperatorHarness& h, const std::string& app) {
  kube::ListOptions o;
  o.labelSelector = "app=" + app;
  return h.client().list(res::kPods, kNs, o)["items"].get<std::vector<Json>>();
}

bool ready(const Json& pod) {
  for (const auto& c : pod.value("/status/conditions"_json_pointer, Json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

int readyPods(OperatorHarness& h, const std::string& app, const std::string& image) {
  int n = 0;
  for (const auto& p : pods(h, app))
    n += ready(p) && p["spec"]["containers"][0].value("image", "") == image;
  return n;
}

std::vector<Json> migrationJobs(OperatorHarness& h) {
  std::vector<Json> out;
  for (const auto& j : h.jobs())
    if (j.value("/metadata/name"_json_pointer, std::string()) != chart::kHookJob) out.push_back(j);
  return out;
}

template <class F>
bool eventually(F f, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return f();
}

// Adopted and gated: the release at kOld, the operator's gate on both pod templates.
void adopt(OperatorHarness& h, const Json& spec, const std::string& version = kOld) {
  h.applyPhaseMaintenance(spec);
  h.waitForPm([&](const Json& p) { return atVersion(p, version); }, 60s, "adoption of " + version);
  ASSERT_TRUE(eventually([&] { return hasGate(h.deployment(chart::kBackend)) && hasGate(h.deployment(chart::kWorker)); }, 30s))
      << "the operator keeps a wait-for-schema init container on the chart's pod templates\n" << h.operatorLog();
}

// The operator is down while Helm (or a GitOps tool) changes the image: a three-way strategic
// merge of the main containers' image only, which keeps the operator's init container with
// the OLD image and its startup probe (the chart renders none). The new pods' init container
// passes (old image, old schema); their startup probe runs the check in the NEW image and
// keeps them not Ready. The old pod keeps serving; the operator started later migrates and
// the new pods become Ready. PodSchemaCheck watches every pod throughout.
TEST(ChartUpgradeE2E, AHelmImageChangeWithTheOperatorStoppedWaitsInThePodsUntilTheOperatorMigrates) {
  OperatorHarness h;
  installChart(h);
  PodSchemaCheck check(h, kNs, {chart::kRepository});
  h.startOperator();
  adopt(h, chartSpec());
  ASSERT_TRUE(eventually([&] { return readyPods(h, "backend", std::string(chart::kRepository) + ":" + kOld) == 1; }, 30s));
  h.stopOperator();
  helmSetVersion(h, kNew);  // helm upgrade --no-hooks, or a GitOps tool, while the operator is down
  const std::string next = std::string(chart::kRepository) + ":" + kNew;
  for (const char* name : {chart::kBackend, chart::kWorker}) {
    const Json d = h.deployment(name);
    EXPECT_TRUE(hasProbe(d)) << name << ": Helm's merge keeps the operator's startup probe";
    EXPECT_NE(gateImage(d), containerImage(d, name == std::string(chart::kBackend) ? "backend" : "worker"))
        << "the init container's image is stale while the operator is down";
  }
  ASSERT_TRUE(eventually([&] { return pods(h, "backend").size() == 2; }, 20s)) << "maxSurge 1: a new pod next to the old";
  std::this_thread::sleep_for(3s);  // ten times the sandbox's time to Ready
  EXPECT_EQ(readyPods(h, "backend", next), 0) << "a pod of " << kNew << " is Ready before its migrations";
  EXPECT_EQ(readyPods(h, "worker", next), 0) << "a worker pod of " << kNew << " is Ready before its migrations";
  for (const auto& p : pods(h, "backend")) {
    if (p["spec"]["containers"][0].value("image", "") != next) continue;
    EXPECT_FALSE(p.value("/status/containerStatuses/0/started"_json_pointer, true))
        << "the stale init container let it start; the startup probe in its own image holds it";
  }
  EXPECT_EQ(readyPods(h, "backend", std::string(chart::kRepository) + ":" + kOld), 1) << "the old pod keeps serving";
  EXPECT_EQ(h.sandbox().controls().schemaVersion(kNs), kOld);
  h.startOperator({}, 1);
  const Json pm = h.waitForPm([&](const Json& p) { return atVersion(p, kNew); }, 90s, "the move to " + kNew);
  EXPECT_EQ(h.sandbox().controls().schemaVersion(kNs), kNew);
  EXPECT_TRUE(eventually([&] { return readyPods(h, "backend", next) == 1 && readyPods(h, "worker", next) == 1; }, 30s));
  check.finish();
  EXPECT_GT(check.readyPodsSeen(), 0);
  if (::testing::Test::HasFailure()) std::cerr << h.operatorLog(1);
}

TEST(ChartUpgradeE2E, AHelmUpgradeDuringAScaleDownMigrationIsScaledBackToZeroWithAnEvent) {
  OperatorHarness h;
  installChart(h);
  PodSchemaCheck check(h, kNs, {chart::kRepository});
  sandbox::JobBehaviour slow;
  slow.duration = 6s;
  h.sandbox().controls().setJobBehaviour("phase-migrate", slow);
  h.startOperator();
  adopt(h, chartSpec("ScaleDown"));
  helmSetVersion(h, kNew);
  h.waitForPm([](const Json& p) { return conditionReason(p, "Migrated") == "Migrating"; }, 30s, "Migrating");
  ASSERT_TRUE(eventually([&] { return h.deployment(chart::kBackend)["spec"].value("replicas", 1) == 0; }, 20s));
  // helm upgrade renders replicas: 1 again
  h.client().patch(res::kDeployments, kNs, chart::kBackend, kube::PatchType::StrategicMerge, {{"spec", {{"replicas", 1}}}});
  EXPECT_TRUE(eventually([&] { return h.deployment(chart::kBackend)["spec"].value("replicas", 1) == 0; }, 10s))
      << "the ScaleDown gate is held while migrating\n" << h.operatorLog();
  bool announced = false;
  for (const auto& e : h.events())
    if (e.value("/source/component"_json_pointer, std::string()) == "phase-maintenance-operator" &&
        e.value("reason", "") == "GateReasserted" && e.value("message", "").find(chart::kBackend) != std::string::npos)
      announced = true;
  EXPECT_TRUE(announced) << "an Event names the Deployment whose replicas were restored";
  h.waitForPm([&](const Json& p) { return atVersion(p, kNew); }, 90s, "the move to " + kNew);
  check.finish();
  if (::testing::Test::HasFailure()) std::cerr << h.operatorLog();
}

// Managed mode's `Conflict`: set back once, then stop reverting and name the manager and
// the chart's global.version.
TEST(ChartUpgradeE2E, ManagedModeUnderAChartThatKeepsItsOwnVersionReportsAConflictAndDoesNotFlap) {
  OperatorHarness h;
  installChart(h);
  PodSchemaCheck check(h, kNs, {chart::kRepository});
  h.startOperator();
  Json spec = chartSpec();
  spec["version"] = kNew;
  h.applyPhaseMaintenance(spec);
  h.waitForPm([&](const Json& p) { return atVersion(p, kNew); }, 90s, "Managed move to " + kNew);
  // every helm upgrade sets the chart's global.version back
  for (int upgrade = 0; upgrade < 3; ++upgrade) {
    helmSetVersion(h, kOld);
    std::this_thread::sleep_for(1500ms);
  }
  const Json pm = h.waitForPm([](const Json& p) { return conditionStatus(p, "Conflict") == "True"; }, 30s, "Conflict");
  std::string message;
  for (const auto& c : pm["status"]["conditions"])
    if (c["type"] == "Conflict") message = c.value("message", "");
  EXPECT_NE(message.find("global.version"), std::string::npos) << message;
  // no flapping: the image stays as the chart set it
  const std::string image = containerImage(h.deployment(chart::kBackend), "backend");
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(containerImage(h.deployment(chart::kBackend), "backend"), image);
  check.finish();
  if (::testing::Test::HasFailure()) std::cerr << h.operatorLog();
}

// The operator's migration Job starts only after the chart's post-upgrade hook Job (which it
// does not own and cannot turn off) finished, and says why it waits meanwhile.
TEST(ChartUpgradeE2E, TheChartsHookJobRunningIsWaitedForBeforeTheOperatorsMigration) {
  OperatorHarness h;
  installChart(h);
  PodSchemaCheck check(h, kNs, {chart::kRepository});
  sandbox::JobBehaviour hook;
  hook.duration = 12s;  // long enough that the operator meets it running, even on a loaded machine
  h.sandbox().controls().setJobBehaviour(chart::kHookJob, hook);
  h.startOperator();
  adopt(h, chartSpec());
  // helm upgrade: the Deployments first, then the post-upgrade hook Job
  helmSetVersion(h, kNew);
  Json job = chart::object("migrations-hook-job", kNs);
  chart::setVersion(job, kNew);
  h.client().create(res::kJobs, kNs, job);
  const std::string hookId = kNs + "/" + chart::kHookJob;
  h.waitForPm(
      [&](const Json& p) {
        return conditionReason(p, "Migrated") == "WaitingForForeignMigration" &&
               p.value("/status/migration/message"_json_pointer, std::string()).find(hookId) != std::string::npos;
      },
      30s, "Migrated=False, WaitingForForeignMigration naming " + hookId);
  EXPECT_TRUE(migrationJobs(h).empty()) << "the operator's Job was created while the hook runs";
  h.waitForPm([&](const Json& p) { return atVersion(p, kNew); }, 90s, "the move to " + kNew);
  int waitEvents = 0;
  for (const auto& e : h.events())
    waitEvents += e.value("reason", "") == "WaitingForForeignMigration" &&
                  e.value("message", "").find(hookId) != std::string::npos;
  EXPECT_EQ(waitEvents, 1) << "one Normal Event when the wait starts";
  const Json hookJob = h.client().get(res::kJobs, kNs, chart::kHookJob);
  const std::string hookDone = hookJob.value("/status/completionTime"_json_pointer, std::string());
  ASSERT_FALSE(hookDone.empty());
  for (const auto& j : migrationJobs(h))
    EXPECT_GE(j.value("/metadata/creationTimestamp"_json_pointer, std::string()), hookDone)
        << j["metadata"]["name"] << " started while the chart's hook Job was migrating";
  check.finish();
  if (::testing::Test::HasFailure()) std::cerr << h.operatorLog();
}

// Follow mode with global.images.backend.repository set to a mirror: the migration Job runs
// exactly the mirror's image, and no pod of the mirror's v2.74.0 is Ready before it ran (the
// startup probe checks in the pod's own image, whatever the init container's).
TEST(ChartUpgradeE2E, FollowModeWithAMirroredRepositoryMigratesWithTheMirrorsImage) {
  OperatorHarness h;
  installChart(h, kMirror);
  PodSchemaCheck check(h, kNs, {kMirror, chart::kRepository});
  h.startOperator();
  adopt(h, chartSpec());
  helmSetVersion(h, kNew, kMirror);
  h.waitForPm([&](const Json& p) { return atVersion(p, kNew); }, 90s, "the move to " + kNew);
  const auto jobs = migrationJobs(h);
  ASSERT_FALSE(jobs.empty());
  EXPECT_EQ(jobs.back().value("/spec/template/spec/containers/0/image"_json_pointer, std::string()), kMirror + ":" + kNew)
      << "the migration runs exactly the image the Deployment names";
  EXPECT_EQ(containerImage(h.deployment(chart::kBackend), "backend"), kMirror + ":" + kNew);
  check.finish();
  if (::testing::Test::HasFailure()) std::cerr << h.operatorLog();
}

TEST(ChartUpgradeE2E, TheChartsLatestDefaultNeverServesANewerImageOnAnOlderSchema) {
  OperatorHarness h;
  const std::string latest = std::string(chart::kRepository) + ":latest";
  h.sandbox().controls().setImageVersion(latest, kOld);  // what `latest` pulled at install
  installChart(h, chart::kRepository, "latest");
  PodSchemaCheck check(h, kNs, {chart::kRepository});
  h.startOperator();
  h.applyPhaseMaintenance(chartSpec());
  ASSERT_TRUE(eventually([&] { return hasGate(h.deployment(chart::kBackend)); }, 60s)) << h.operatorLog();
  // the rollout that added the gate is over: one pod, gated, Ready
  ASSERT_TRUE(eventually([&] {
    const auto ps = pods(h, "backend");
    return ps.size() == 1 && ready(ps[0]) && hasGate(Json{{"spec", {{"template", {{"spec", ps[0]["spec"]}}}}}});
  }, 60s));
  // the registry's latest moves on; the HPA (or a restarted node) starts one more pod
  h.sandbox().controls().setImageVersion(latest, kNew);
  h.sandbox().controls().setHpaRecommendation(kNs, chart::kBackend, 2);
  ASSERT_TRUE(eventually([&] { return pods(h, "backend").size() == 2; }, 20s));
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(readyPods(h, "backend", latest), 1) << "the pod that pulled " << kNew << " waits for its migrations";
  check.finish();
  EXPECT_GT(check.readyPodsSeen(), 0);
  if (::testing::Test::HasFailure()) std::cerr << h.operatorLog();
}

std::vector<Json> templates(OperatorHarness& h) {
  std::vector<Json> out;
  for (const char* name : {chart::kBackend, chart::kWorker}) {
    const Json d = h.deployment(name);
    out.push_back(d["spec"]["template"]["spec"]);
  }
  return out;
}

// migrations.podGate: false takes the init container and the probe out (one rollout) and
// keeps EXTERNAL_MIGRATION: the operator still migrates.
TEST(ChartUpgradeE2E, PodGateFalseTakesTheGateOutAndKeepsExternalMigration) {
  OperatorHarness h;
  installChart(h);
  PodSchemaCheck check(h, kNs, {chart::kRepository});
  h.startOperator();
  adopt(h, chartSpec());
  ASSERT_TRUE(eventually([&] { return hasProbe(h.deployment(chart::kBackend)) && hasProbe(h.deployment(chart::kWorker)); }, 10s));
  Json spec = chartSpec();
  spec["migrations"]["podGate"] = false;
  h.applyPhaseMaintenance(spec);
  ASSERT_TRUE(eventually([&] {
    for (const char* name : {chart::kBackend, chart::kWorker}) {
      const Json d = h.deployment(name);
      if (hasGate(d) || hasProbe(d) || d.value("/metadata/annotations"_json_pointer, Json::object()).contains("maintenance.phase.dev/schema-gate"))
        return false;
    }
    return true;
  }, 30s)) << h.operatorLog();
  const Json env = h.deployment(chart::kBackend)["spec"]["template"]["spec"]["containers"][0]["env"];
  bool external = false;
  for (const auto& e : env)
    external = external || (e.value("name", "") == "EXTERNAL_MIGRATION" && e.value("value", "") == "true");
  EXPECT_TRUE(external) << env.dump();
  // Without the gate the promise does not hold (the Deployment controller starts new pods before
  // any operator pass): the check ends here, and the move still migrates.
  check.finish();
  helmSetVersion(h, kNew);
  h.waitForPm([&](const Json& p) { return atVersion(p, kNew); }, 90s, "the move to " + kNew);
  EXPECT_FALSE(hasGate(h.deployment(chart::kBackend)));
  EXPECT_FALSE(hasProbe(h.deployment(chart::kBackend)));
  if (::testing::Test::HasFailure()) std::cerr << h.operatorLog();
}

// Deleting the PhaseMaintenance gives the chart's Deployments back as Helm rendered them: no
// init container, no probe, no annotation and no EXTERNAL_MIGRATION of the operator's (else
// Phase's start.sh would never migrate again once the operator is gone).
TEST(ChartUpgradeE2E, DeletingThePhaseMaintenanceLeavesNoneOfTheOperatorsChanges) {
  OperatorHarness h;
  installChart(h);
  PodSchemaCheck check(h, kNs, {chart::kRepository});
  const std::vector<Json> rendered = templates(h);
  h.startOperator();
  adopt(h, chartSpec());
  ASSERT_NE(templates(h), rendered);
  h.client().remove(res::kPhaseMaintenances, kNs, "phase");
  ASSERT_TRUE(eventually([&] {
    try {
      h.client().get(res::kPhaseMaintenances, kNs, "phase");
      return false;
    } catch (const kube::ApiError& e) {
      return e.reason() == kube::ErrorReason::NotFound;
    }
  }, 30s)) << "the finalizer is removed once the Deployments are given back\n" << h.operatorLog();
  const std::vector<Json> after = templates(h);
  EXPECT_EQ(after[0], rendered[0]) << after[0].dump(1);
  EXPECT_EQ(after[1], rendered[1]) << after[1].dump(1);
  for (const char* name : {chart::kBackend, chart::kWorker}) {
    const Json annotations = h.deployment(name).value("/metadata/annotations"_json_pointer, Json::object());
    for (auto it = annotations.begin(); it != annotations.end(); ++it)
      EXPECT_NE(it.key().rfind("maintenance.phase.dev/", 0), 0u) << name << " keeps " << it.key() << "=" << it->dump();
  }
  check.finish();
  if (::testing::Test::HasFailure()) std::cerr << h.operatorLog();
}

}  // namespace
}  // namespace pmo::testing

namespace pmo::testing {
namespace {

std::string conditionMessage(const Json& pm, const std::string& type) {
  for (const auto& c : pm.value("/status/conditions"_json_pointer, Json::array()))
    if (c.value("type", "") == type) return c.value("message", "");
  return "";
}

// Schema ahead: the release migrated to kNew, then Helm sets the older kOld with the operator
// down. The new pods' (stale) init container has kNew and passes; their startup probe runs in
// kOld and finds migrations that image does not know: under ScaleDown no pod of kOld is ever
// Ready, under HoldRollout they are. The operator started later refuses the downgrade and
// reports SchemaAhead either way.
void olderTagThanTheSchema(const std::string& gate) {
  OperatorHarness h;
  installChart(h, chart::kRepository, kNew);
  PodSchemaCheck check(h, kNs, {chart::kRepository});
  h.startOperator();
  adopt(h, chartSpec(gate), kNew);
  const std::string older = std::string(chart::kRepository) + ":" + kOld;
  ASSERT_TRUE(eventually([&] { return readyPods(h, "backend", std::string(chart::kRepository) + ":" + kNew) == 1; }, 30s));
  h.stopOperator();
  helmSetVersion(h, kOld);
  ASSERT_TRUE(eventually([&] { return !pods(h, "backend").empty(); }, 20s));
  if (gate == "ScaleDown") {
    std::this_thread::sleep_for(3s);  // ten times the sandbox's time to Ready
    EXPECT_EQ(readyPods(h, "backend", older), 0) << "a pod of " << kOld << " is Ready on the schema of " << kNew;
    EXPECT_EQ(readyPods(h, "worker", older), 0);
  } else {
    EXPECT_TRUE(eventually([&] { return readyPods(h, "backend", older) == 1 && readyPods(h, "worker", older) == 1; }, 20s))
        << "HoldRollout: the previous version starts on the newer schema";
  }
  h.startOperator({}, 1);
  const Json pm = h.waitForPm([](const Json& p) { return conditionStatus(p, "SchemaAhead") == "True"; }, 30s,
                              "SchemaAhead");
  const std::string message = conditionMessage(pm, "SchemaAhead");
  EXPECT_EQ(conditionReason(pm, "SchemaAhead"), "ImageOlderThanSchema");
  for (const std::string& part : {std::string("Deployment \"") + chart::kBackend + "\" runs " + older,
                                 "older than " + kNew, "set the image back to " + std::string(chart::kRepository) + ":" + kNew,
                                 std::string(gate == "ScaleDown" ? "does not let its pods start" : "start with a warning")})
    EXPECT_NE(message.find(part), std::string::npos) << part << " in: " << message;
  EXPECT_EQ(conditionReason(pm, "Migrated"), "DowngradeRefused");
  if (gate == "ScaleDown") {
    EXPECT_EQ(readyPods(h, "backend", older), 0);
    EXPECT_EQ(readyPods(h, "backend", std::string(chart::kRepository) + ":" + kNew), 1) << "the pod of " << kNew << " serves";
  }
  check.finish();
  if (::testing::Test::HasFailure()) std::cerr << h.operatorLog(1);
}

TEST(ChartUpgradeE2E, AnOlderTagThanTheSchemaNeverGetsReadyUnderScaleDownAndIsReported) { olderTagThanTheSchema("ScaleDown"); }
TEST(ChartUpgradeE2E, AnOlderTagThanTheSchemaStartsUnderHoldRolloutAndIsReported) { olderTagThanTheSchema("HoldRollout"); }

}  // namespace
}  // namespace pmo::testing
