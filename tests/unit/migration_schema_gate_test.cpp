// The schema gate in every pod (schema_gate.hpp): what the init container is, that the
// planner keeps it in the pod's own image with guarded, idempotent patches, removes it on
// deletion, and that its script waits boundedly with one log line.
#include "migration_test_world.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "maintenance/labels.hpp"

namespace pmo::maintenance {
namespace {

using testing::World;
using testing::actionsOf;
using testing::hasEvent;

const Json& initContainers(const std::optional<Json>& d) { return (*d)["spec"]["template"]["spec"]["initContainers"]; }

TEST(SchemaGate, RunsInThePodsOwnImageWithItsSettings) {
  World w;
  const Json& c = (*w.backend)["spec"]["template"]["spec"]["containers"][0];
  auto gate = schemagate::gateContainer(*w.backend, "backend");
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
  EXPECT_EQ(env[env.size() - 2], (Json{{"name", schemagate::kEnvTimeout}, {"value", "600"}}));
  EXPECT_FALSE(gate->contains("ports") || gate->contains("readinessProbe") || gate->contains("lifecycle"));
  EXPECT_FALSE(schemagate::gateContainer(*w.backend, "api").has_value());
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
  Json ops = schemagate::ensureGateOps(d, "backend", "phase");
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(ops[0], (Json{{"op", "test"}, {"path", "/spec/template/spec/initContainers"}, {"value", initContainers(w.backend)}}));
  d = d.patch(ops);
  EXPECT_TRUE(schemagate::ensureGateOps(d, "backend", "phase").empty());
  // A concurrent change of the init containers makes the planned patch fail as a whole.
  Json changed = *w.backend;
  changed["spec"]["template"]["spec"]["initContainers"].push_back({{"name", "wait-for-redis"}, {"image", "redis:7"}});
  EXPECT_THROW(changed.patch(ops), nlohmann::json::exception);
  // Without init containers the guard is the resourceVersion.
  Json bare = *w.worker;
  bare["spec"]["template"]["spec"].erase("initContainers");
  ops = schemagate::ensureGateOps(bare, "worker", "phase");
  EXPECT_EQ(ops[0]["path"], "/metadata/resourceVersion");
  // A stale gate (another image) is replaced in place, guarded by its old value.
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.local/phase/backend:v2.73.2";
  ops = schemagate::ensureGateOps(d, "backend", "phase");
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
  w.installGate();
  w.pm["metadata"]["deletionTimestamp"] = "2026-11-25T20:00:00Z";
  Plan p = planFinalize(w.observed());
  EXPECT_TRUE(actionsOf(p, Action::Kind::JsonPatch, "phasemaintenances").empty());  // not before the gate is gone
  w.apply(p);
  EXPECT_EQ(initContainers(w.backend).size(), 1u);
  EXPECT_EQ(initContainers(w.backend)[0]["name"], "wait-for-migrations");
  EXPECT_FALSE((*w.backend)["metadata"]["annotations"].contains(schemagate::kGateAnnotation));
  EXPECT_FALSE((*w.worker)["metadata"]["annotations"].contains(schemagate::kGateAnnotation));
  p = planFinalize(w.observed());
  EXPECT_EQ(actionsOf(p, Action::Kind::JsonPatch, "phasemaintenances").size(), 1u);
}

// Runs the gate's script with a fake `python` that fails `failures` times, then succeeds.
struct ScriptRun {
  int exitCode;
  std::string output;
};
ScriptRun runGateScript(int failures, int timeoutSeconds) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("pmo-gate-" + std::to_string(::getpid()) + "-" + std::to_string(failures));
  std::filesystem::create_directories(dir);
  {
    std::ofstream py(dir / "python");
    py << "#!/bin/sh\nn=$(cat " << (dir / "count").string() << " 2>/dev/null || echo 0)\n"
       << "echo $((n + 1)) > " << (dir / "count").string() << "\n"
       << "[ \"$*\" = 'manage.py migrate --check' ] || exit 9\n"
       << "if [ \"$n\" -lt " << failures << " ]; then echo 'Unapplied migration api.0099_x'; exit 1; fi\nexit 0\n";
  }
  std::filesystem::permissions(dir / "python", std::filesystem::perms::owner_all);
  { std::ofstream(dir / "gate.sh") << schemagate::gateScript(); }
  const std::string cmd = "cd " + dir.string() + " && PATH=" + dir.string() + ":$PATH " + schemagate::kEnvTimeout +
                          "=" + std::to_string(timeoutSeconds) + " " + schemagate::kEnvInterval +
                          "=1 /bin/sh gate.sh 2>&1";
  ScriptRun run{-1, ""};
  FILE* f = ::popen(cmd.c_str(), "r");
  char buf[512];
  while (f && std::fgets(buf, sizeof buf, f)) run.output += buf;
  const int status = f ? ::pclose(f) : -1;
  run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove_all(dir);
  return run;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

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

}  // namespace
}  // namespace pmo::maintenance
