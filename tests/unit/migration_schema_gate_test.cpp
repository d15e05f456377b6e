// The schema gate in every pod (schema_gate.hpp): what the init container is, that the
// planner keeps it in the pod's own image with guarded, idempotent patches, removes it on
// deletion, and that its script waits boundedly with one log line.
#include "migration_test_world.hpp"

#include "gate_script_runner.hpp"
#include "maintenance/labels.hpp"

namespace pmo::maintenance {
namespace {

using testing::World;
using testing::actionsOf;
using testing::hasEvent;
using testing::ScriptRun;
using testing::runScript;
using testing::count;

const Json& initContainers(const std::optional<Json>& d) { return (*d)["spec"]["template"]["spec"]["initContainers"]; }
Json& containerOf(std::optional<Json>& d) { return (*d)["spec"]["template"]["spec"]["containers"][0]; }
const char* kProbePath = "/spec/template/spec/containers/0/startupProbe";

// The unit fixture's backend carries a startupProbe of its own (an HTTP check); Phase's chart
// renders none. Tests of the operator's probe start from the chart's shape.
void chartShaped(World& w) { containerOf(w.backend).erase("startupProbe"); }

bool touches(const Json& ops, const std::string& path) {
  for (const auto& o : ops)
    if (o["op"] != "test" && o["path"] == path) return true;
  return false;
}

TEST(SchemaGate, RunsInThePodsOwnImageWithItsSettings) {
  World w;
  const Json& c = (*w.backend)["spec"]["template"]["spec"]["containers"][0];
  auto gate = schemagate::gateContainer(*w.backend, "backend", MigrationGate::HoldRollout);
  ASSERT_TRUE(gate.has_value());
  EXPECT_EQ((*gate)["name"], "wait-for-schema");
  EXPECT_EQ((*gate)["image"], c["image"]);
  EXPECT_EQ((*gate)["envFrom"], c["envFrom"]);
  EXPECT_EQ((*gate)["volumeMounts"], c["volumeMounts"]);  // same pod: the *_FILE secrets are there
  EXPECT_EQ((*gate)["securityContext"], c["securityContext"]);
  EXPECT_EQ((*gate)["workingDir"], "/app");  // Phase's backend Dockerfile: WORKDIR /app
  EXPECT_EQ((*gate)["command"][0], "/bin/sh");
  EXPECT_NE((*gate)["command"][2].get<std::string>().find("python manage.py migrate --check"), std::string::npos);
  const Json env = (*gate)["env"];
  EXPECT_EQ(env[4]["valueFrom"]["secretKeyRef"]["key"], "DATABASE_PASSWORD");  // by reference, as in the container
  EXPECT_EQ(env[env.size() - 3], (Json{{"name", schemagate::kEnvTimeout}, {"value", "600"}}));
  EXPECT_EQ(env.back(), (Json{{"name", schemagate::kEnvMode}, {"value", "HoldRollout"}}));
  EXPECT_FALSE(gate->contains("ports") || gate->contains("readinessProbe") || gate->contains("lifecycle"));
  EXPECT_FALSE(schemagate::gateContainer(*w.backend, "api", MigrationGate::HoldRollout).has_value());
}

TEST(SchemaGate, IsAddedAfterTheChartsInitContainersOnceAndThenQuiet) {
  World w;
  w.spec.version = "v2.72.0";
  Plan p = w.step();
  EXPECT_TRUE(hasEvent(p, "SchemaGateAdded"));
  ASSERT_EQ(actionsOf(p, Action::Kind::JsonPatch, "deployments").size(), 2u);  // one write per Deployment
  ASSERT_EQ(initContainers(w.backend).size(), 2u);
  EXPECT_EQ(initContainers(w.backend)[0]["name"], "wait-for-migrations");
  EXPECT_EQ(w.gate(w.backend)["image"], "phasehq/backend:v2.72.0");
  EXPECT_EQ(w.gate(w.worker)["image"], "phasehq/backend:v2.72.0");
  EXPECT_EQ((*w.backend)["metadata"]["annotations"][schemagate::kGateAnnotation], "phase");
  EXPECT_EQ((*w.backend)["metadata"]["annotations"]["meta.helm.sh/release-name"], "phase-console");  // kept
  EXPECT_EQ((*w.worker)["metadata"]["annotations"][schemagate::kGateAnnotation], "phase");
  w.settle();
  Plan again = w.plan();
  EXPECT_TRUE(again.actions.empty()) << again.actions.front().describe();
  EXPECT_EQ(initContainers(w.backend).size(), 2u);
}

TEST(SchemaGate, PatchesAreGuardedAndIdempotent) {
  World w;
  Json d = *w.backend;
  Json ops = schemagate::ensureGateOps(d, "backend", "phase", MigrationGate::HoldRollout);
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(ops[0], (Json{{"op", "test"}, {"path", "/spec/template/spec/initContainers"}, {"value", initContainers(w.backend)}}));
  d = d.patch(ops);
  EXPECT_TRUE(schemagate::ensureGateOps(d, "backend", "phase", MigrationGate::HoldRollout).empty());
  // A concurrent change of the init containers makes the planned patch fail as a whole.
  Json changed = *w.backend;
  changed["spec"]["template"]["spec"]["initContainers"].push_back({{"name", "wait-for-redis"}, {"image", "redis:7"}});
  EXPECT_THROW(changed.patch(ops), nlohmann::json::exception);
  // Without init containers the guard is the resourceVersion.
  Json bare = *w.worker;
  bare["spec"]["template"]["spec"].erase("initContainers");
  ops = schemagate::ensureGateOps(bare, "worker", "phase", MigrationGate::HoldRollout);
  EXPECT_EQ(ops[0]["path"], "/metadata/resourceVersion");
  // A stale gate (another image) is replaced in place, guarded by its old value.
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.local/phase/backend:v2.73.2";
  ops = schemagate::ensureGateOps(d, "backend", "phase", MigrationGate::HoldRollout);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0]["op"], "test");
  EXPECT_EQ(ops[1]["op"], "replace");
  EXPECT_EQ(ops[1]["value"]["image"], "registry.local/phase/backend:v2.73.2");
}

TEST(SchemaGate, FollowsAManagedUpgradeInTheSameWrite) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.installGate();
  w.runUntil(Step::Migrating);
  w.finishJob("phase-migrate-v2-73-2", true);
  Plan p = w.runUntil(Step::RollingOut);
  const auto patches = actionsOf(p, Action::Kind::JsonPatch, "deployments");
  ASSERT_EQ(patches.size(), 2u);  // image and gate together: one template change, one rollout
  EXPECT_EQ(w.image(w.backend), "docker.io/phasehq/backend:v2.73.2");
  EXPECT_EQ(w.gate(w.backend)["image"], "docker.io/phasehq/backend:v2.73.2");
  EXPECT_EQ(w.gate(w.worker)["image"], "docker.io/phasehq/backend:v2.73.2");
}

TEST(SchemaGate, SetsExternalMigrationInFollowMode) {
  World w;
  w.step();
  const Json env = (*w.backend)["spec"]["template"]["spec"]["containers"][0]["env"];
  EXPECT_EQ(env.back(), (Json{{"name", "EXTERNAL_MIGRATION"}, {"value", "true"}}));
}

TEST(SchemaGate, IsRemovedWhenThePhaseMaintenanceIsDeleted) {
  World w;
  chartShaped(w);
  const Json envBefore = (*w.backend)["spec"]["template"]["spec"]["containers"][0]["env"];
  w.installGate();
  ASSERT_TRUE(containerOf(w.backend).contains("startupProbe"));
  w.pm["metadata"]["deletionTimestamp"] = "2026-11-25T20:00:00Z";
  Plan p = planFinalize(w.observed());
  EXPECT_TRUE(actionsOf(p, Action::Kind::JsonPatch, "phasemaintenances").empty());  // not before the gate is gone
  w.apply(p);
  EXPECT_EQ(initContainers(w.backend).size(), 1u);
  EXPECT_EQ(initContainers(w.backend)[0]["name"], "wait-for-migrations");
  EXPECT_FALSE((*w.backend)["metadata"]["annotations"].contains(schemagate::kGateAnnotation));
  EXPECT_FALSE((*w.worker)["metadata"]["annotations"].contains(schemagate::kGateAnnotation));
  EXPECT_FALSE(containerOf(w.backend).contains("startupProbe"));
  EXPECT_FALSE(containerOf(w.worker).contains("startupProbe"));
  // Phase's start.sh migrates again once the operator is gone: the entry it added is taken back
  EXPECT_EQ(containerOf(w.backend)["env"], envBefore);
  EXPECT_FALSE((*w.backend)["metadata"]["annotations"].contains(annotations::kExternalMigrationBefore));
  p = planFinalize(w.observed());
  EXPECT_EQ(actionsOf(p, Action::Kind::JsonPatch, "phasemaintenances").size(), 1u);
}

ScriptRun runGateScript(int failures, int timeoutSeconds) { return runScript(schemagate::gateScript(), failures, timeoutSeconds); }


TEST(SchemaGate, ScriptWaitsWithOneLineThenLetsThePodStart) {
  const ScriptRun run = runGateScript(2, 30);
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(count(run.output, schemagate::kWaitingLogPrefix), 1u) << run.output;
  EXPECT_NE(run.output.find("Unapplied migration api.0099_x"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("has every migration"), std::string::npos) << run.output;
}

TEST(SchemaGate, ScriptGivesUpAfterItsBoundSoTheKubeletRetries) {
  const ScriptRun run = runGateScript(1000, 1);
  EXPECT_EQ(run.exitCode, 1) << run.output;
  EXPECT_EQ(count(run.output, schemagate::kWaitingLogPrefix), 1u) << run.output;
  EXPECT_NE(run.output.find("after 1s"), std::string::npos) << run.output;
}

TEST(SchemaGate, ScriptPassesAtOnceOnAMigratedSchema) {
  const ScriptRun run = runGateScript(0, 30);
  EXPECT_EQ(run.exitCode, 0);
  EXPECT_EQ(count(run.output, schemagate::kWaitingLogPrefix), 0u) << run.output;
}

TEST(SchemaGate, StartupProbeRunsTheSameCheckOnceInTheContainersOwnImage) {
  World w;
  auto probe = schemagate::startupProbe(*w.backend, "backend", MigrationGate::HoldRollout);
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ((*probe)["exec"]["command"][0], "/bin/sh");
  const std::string script = (*probe)["exec"]["command"][2];
  EXPECT_EQ(script.rfind(schemagate::kProbeMarker, 0), 0u);
  EXPECT_NE(script.find(schemagate::checkScript()), std::string::npos) << "one check for the init container and the probe";
  EXPECT_NE(schemagate::gateScript().find(schemagate::checkScript()), std::string::npos);
  EXPECT_EQ((*probe)["successThreshold"], 1);  // kube-apiserver refuses anything else on a startup probe
  EXPECT_EQ((*probe)["periodSeconds"], schemagate::kDefaultIntervalSeconds);
  EXPECT_EQ((*probe)["failureThreshold"], schemagate::kDefaultTimeoutSeconds / schemagate::kDefaultIntervalSeconds);
  EXPECT_EQ((*probe)["timeoutSeconds"], schemagate::kProbeTimeoutSeconds);
  EXPECT_TRUE(schemagate::isGateProbe(*probe));
  EXPECT_FALSE(schemagate::isGateProbe(Json{{"httpGet", {{"path", "/"}, {"port", 8000}}}}));
  // the gate's own settings, when the container sets them, pace the probe too
  containerOf(w.backend)["env"].push_back({{"name", schemagate::kEnvInterval}, {"value", "10"}});
  containerOf(w.backend)["env"].push_back({{"name", schemagate::kEnvTimeout}, {"value", "305"}});
  probe = schemagate::startupProbe(*w.backend, "backend", MigrationGate::HoldRollout);
  EXPECT_EQ((*probe)["periodSeconds"], 10);
  EXPECT_EQ((*probe)["failureThreshold"], 31);
  EXPECT_FALSE(schemagate::startupProbe(*w.backend, "api", MigrationGate::HoldRollout).has_value());
}

TEST(SchemaGate, ProbeScriptChecksOnceAndSaysWhatItWaitsFor) {
  int calls = 0;
  ScriptRun run = runScript(schemagate::probeScript(MigrationGate::HoldRollout), 1000, 30, &calls);
  EXPECT_EQ(run.exitCode, 1) << run.output;
  EXPECT_EQ(calls, 1) << "the kubelet repeats the probe, the script does not loop";
  EXPECT_EQ(count(run.output, schemagate::kWaitingLogPrefix), 1u) << run.output;
  EXPECT_NE(run.output.find("Unapplied migration api.0099_x"), std::string::npos) << run.output;
  run = runScript(schemagate::probeScript(MigrationGate::HoldRollout), 0, 30, &calls);
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(calls, 1);
}

TEST(SchemaGate, ProbeIsAddedGuardedThenQuietAndAStaleOneReplaced) {
  World w;
  chartShaped(w);
  Json d = *w.backend;
  auto gate = schemagate::ensureGate(d, "backend", "phase", MigrationGate::HoldRollout);
  EXPECT_FALSE(gate.foreignProbe);
  ASSERT_TRUE(touches(gate.ops, kProbePath));
  bool guarded = false;
  for (const auto& o : gate.ops)
    guarded = guarded || (o["op"] == "test" && o["path"] == "/spec/template/spec/containers/0" &&
                          o["value"] == containerOf(w.backend));
  EXPECT_TRUE(guarded) << "the container as planned from guards the add" << gate.ops.dump();
  // a concurrent change of the container (a probe set meanwhile) fails the patch as a whole
  Json changed = d;
  changed["spec"]["template"]["spec"]["containers"][0]["startupProbe"] = {{"tcpSocket", {{"port", 8000}}}};
  EXPECT_THROW(changed.patch(gate.ops), nlohmann::json::exception);
  // a status write (another resourceVersion) does not
  Json moved = d;
  moved["metadata"]["resourceVersion"] = "99999";
  EXPECT_NO_THROW(moved.patch(gate.ops));
  d = d.patch(gate.ops);
  EXPECT_EQ(d.at(Json::json_pointer(kProbePath)), *schemagate::startupProbe(d, "backend", MigrationGate::HoldRollout));
  EXPECT_TRUE(schemagate::ensureGateOps(d, "backend", "phase", MigrationGate::HoldRollout).empty());
  // as kube-apiserver stores it (defaults filled, a zero initialDelaySeconds): already right
  Json stored = d;
  stored["spec"]["template"]["spec"]["containers"][0]["startupProbe"]["initialDelaySeconds"] = 0;
  auto& gc = stored["spec"]["template"]["spec"]["initContainers"].back();
  gc["terminationMessagePath"] = "/dev/termination-log";
  gc["terminationMessagePolicy"] = "File";
  gc["imagePullPolicy"] = "IfNotPresent";
  EXPECT_TRUE(schemagate::ensureGateOps(stored, "backend", "phase", MigrationGate::HoldRollout).empty()) << schemagate::ensureGateOps(stored, "backend", "phase", MigrationGate::HoldRollout).dump();
  // a stale probe of the operator's (another pace) is replaced in place, guarded by its old value
  Json stale = d;
  stale["spec"]["template"]["spec"]["containers"][0]["startupProbe"]["periodSeconds"] = 7;
  Json ops = schemagate::ensureGateOps(stale, "backend", "phase", MigrationGate::HoldRollout);
  ASSERT_EQ(ops.size(), 2u) << ops.dump();
  EXPECT_EQ(ops[0], (Json{{"op", "test"}, {"path", kProbePath}, {"value", stale.at(Json::json_pointer(kProbePath))}}));
  EXPECT_EQ(ops[1]["op"], "replace");
  EXPECT_EQ(stale.patch(ops).at(Json::json_pointer(kProbePath)), *schemagate::startupProbe(d, "backend", MigrationGate::HoldRollout));
}

TEST(SchemaGate, AForeignStartupProbeIsLeftAloneAndReportedOnce) {
  World w;
  const Json foreign = {{"httpGet", {{"path", "/493"}, {"port", 8000}}}, {"failureThreshold", 30}};
  containerOf(w.backend)["startupProbe"] = foreign;
  auto gate = schemagate::ensureGate(*w.backend, "backend", "phase", MigrationGate::HoldRollout);
  EXPECT_TRUE(gate.foreignProbe);
  EXPECT_FALSE(touches(gate.ops, kProbePath)) << gate.ops.dump();
  EXPECT_TRUE(schemagate::removeGateOps(w.backend->patch(gate.ops)).size() > 0);
  EXPECT_FALSE(touches(schemagate::removeGateOps(w.backend->patch(gate.ops)), kProbePath)) << "never removed either";
  Plan p = w.step();
  EXPECT_TRUE(hasEvent(p, "SchemaGateProbeSkipped"));
  EXPECT_EQ(containerOf(w.backend)["startupProbe"], foreign);
  EXPECT_EQ(w.gate(w.backend)["name"], "wait-for-schema") << "the init container still gates";
  w.settle();
  Plan again = w.plan();
  EXPECT_TRUE(again.actions.empty()) << again.actions.front().describe();
  EXPECT_FALSE(hasEvent(again, "SchemaGateProbeSkipped")) << "not every pass";
}

TEST(SchemaGate, PodGateFalseRemovesInitContainerProbeAndAnnotationButKeepsExternalMigration) {
  World w;
  chartShaped(w);
  w.installGate();
  w.spec.migrations.podGate = false;
  Plan p = w.step();
  EXPECT_TRUE(hasEvent(p, "SchemaGateRemoved"));
  for (auto* d : {&w.backend, &w.worker}) {
    EXPECT_EQ(initContainers(*d).size(), 1u);
    EXPECT_FALSE(containerOf(*d).contains("startupProbe"));
    EXPECT_FALSE((**d)["metadata"]["annotations"].contains(schemagate::kGateAnnotation));
  }
  EXPECT_EQ(containerOf(w.backend)["env"].back(), (Json{{"name", "EXTERNAL_MIGRATION"}, {"value", "true"}}));
  w.settle();
  Plan again = w.plan();
  EXPECT_TRUE(again.actions.empty()) << again.actions.front().describe();
  // and back on: added again
  w.spec.migrations.podGate = true;
  p = w.step();
  EXPECT_TRUE(hasEvent(p, "SchemaGateAdded"));
  EXPECT_TRUE(containerOf(w.worker).contains("startupProbe"));
}

TEST(SchemaGate, ExternalMigrationIsGivenBackAsTheUserHadIt) {
  // the user's own "true": not the operator's, left on deletion
  World own;
  containerOf(own.backend)["env"].push_back({{"name", "EXTERNAL_MIGRATION"}, {"value", "true"}});
  own.step();
  EXPECT_FALSE((*own.backend)["metadata"]["annotations"].contains(annotations::kExternalMigrationBefore));
  EXPECT_TRUE(externalMigrationReleaseOps(*own.backend).empty());
  // the user's "false": set to true while the operator runs, "false" again on deletion
  World w;
  const Json userEntry = {{"name", "EXTERNAL_MIGRATION"}, {"value", "false"}};
  containerOf(w.backend)["env"].push_back(userEntry);
  const Json envBefore = containerOf(w.backend)["env"];
  w.step();
  EXPECT_EQ(containerOf(w.backend)["env"].back()["value"], "true");
  EXPECT_EQ((*w.backend)["metadata"]["annotations"][annotations::kExternalMigrationBefore], userEntry.dump());
  w.settle();
  EXPECT_TRUE(w.plan().actions.empty()) << "recorded once";
  w.pm["metadata"]["deletionTimestamp"] = "2026-11-25T20:00:00Z";
  w.apply(planFinalize(w.observed()));
  EXPECT_EQ(containerOf(w.backend)["env"], envBefore);
  // changed since by someone else: left as it is, only the record goes
  World other;
  other.step();
  auto& env = containerOf(other.backend)["env"];
  env.back()["value"] = "yes";
  Json ops = externalMigrationReleaseOps(*other.backend);
  ASSERT_EQ(ops.size(), 2u) << ops.dump();
  EXPECT_EQ(ops[1]["op"], "remove");
  EXPECT_EQ(ops[1]["path"], "/metadata/annotations/maintenance.phase.dev~1external-migration-before");
}

}  // namespace
}  // namespace pmo::maintenance
