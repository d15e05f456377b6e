// The Deployment patches touch only their fields and fail as a whole on a concurrent change.
#include "maintenance/migration/deployment_patch.hpp"

#include <gtest/gtest.h>

#include "maintenance/labels.hpp"
#include "runtime/informer.hpp"
#include "migration_test_world.hpp"

namespace pmo::maintenance {
namespace {

using testing::loadFixture;

Json backend() { return loadFixture("phase_backend_deployment.json"); }

// The document with only `paths` allowed to differ from `before`.
void expectOnlyChanged(const Json& before, const Json& after, std::vector<std::string> paths) {
  Json diff = Json::diff(before, after);
  for (const auto& op : diff) {
    const std::string p = op["path"];
    bool allowed = false;
    for (const auto& prefix : paths) allowed = allowed || p.rfind(prefix, 0) == 0;
    EXPECT_TRUE(allowed) << "unexpected change at " << p;
  }
}

TEST(DeploymentPatch, ImagePatchLocatesTheContainerByNameAndTestsTheOldImage) {
  Json d = backend();
  const Json ops = imageOps(d, "backend", "docker.io/phasehq/backend", "v2.73.2");
  ASSERT_FALSE(ops.empty());
  EXPECT_EQ(ops[0], (Json{{"op", "test"}, {"path", "/spec/template/spec/containers/0/name"}, {"value", "backend"}}));
  EXPECT_EQ(ops[1]["value"], "phasehq/backend:v2.72.0");
  const Json after = d.patch(ops);
  EXPECT_EQ(after["spec"]["template"]["spec"]["containers"][0]["image"], "docker.io/phasehq/backend:v2.73.2");
  expectOnlyChanged(d, after, {"/spec/template/spec/containers/0/image"});
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "phasehq/backend:v2.72.1";  // changed meanwhile
  EXPECT_THROW(d.patch(ops), nlohmann::json::exception);
}

TEST(DeploymentPatch, SameImageUnderAnotherSpellingIsNotPatched) {
  EXPECT_TRUE(imageOps(backend(), "backend", "docker.io/phasehq/backend", "v2.72.0").empty());
  EXPECT_TRUE(imageOps(backend(), "missing", "docker.io/phasehq/backend", "v2.73.2").empty());
}

TEST(DeploymentPatch, ExternalMigrationIsAddedOnceOrCorrectedInPlace) {
  Json d = backend();
  Json after = d.patch(externalMigrationOps(d, "backend"));
  const Json& env = after["spec"]["template"]["spec"]["containers"][0]["env"];
  EXPECT_EQ(env.back(), (Json{{"name", "EXTERNAL_MIGRATION"}, {"value", "true"}}));
  // what the entry was is recorded with the first change, for the finalizer to give it back
  expectOnlyChanged(d, after,
                    {"/spec/template/spec/containers/0/env",
                     "/metadata/annotations/maintenance.phase.dev~1external-migration-before"});
  EXPECT_EQ(after["metadata"]["annotations"][annotations::kExternalMigrationBefore], "absent");
  EXPECT_TRUE(externalMigrationOps(after, "backend").empty());

  Json wrong = d;
  wrong["spec"]["template"]["spec"]["containers"][0]["env"][1] = {{"name", "EXTERNAL_MIGRATION"}, {"value", "false"}};
  after = wrong.patch(externalMigrationOps(wrong, "backend"));
  EXPECT_EQ(after["spec"]["template"]["spec"]["containers"][0]["env"][1]["value"], "true");
  EXPECT_EQ(after["spec"]["template"]["spec"]["containers"][0]["env"].size(), 7u);
  EXPECT_EQ(after["metadata"]["annotations"][annotations::kExternalMigrationBefore],
            R"({"name":"EXTERNAL_MIGRATION","value":"false"})");

  Json noEnv = d;
  noEnv["spec"]["template"]["spec"]["containers"][0].erase("env");
  const Json ops = externalMigrationOps(noEnv, "backend");
  EXPECT_EQ(ops[1]["path"], "/metadata/resourceVersion");
  EXPECT_EQ(noEnv.patch(ops)["spec"]["template"]["spec"]["containers"][0]["env"].size(), 1u);
}

TEST(DeploymentPatch, ScaleDownRecordsReplicasAndReleaseRestoresThem) {
  Json d = backend();
  const Json down = scaleDownPatch(d);
  EXPECT_EQ(down[0], (Json{{"op", "test"}, {"path", "/spec/replicas"}, {"value", 2}}));
  Json scaled = d.patch(down);
  EXPECT_EQ(scaled["spec"]["replicas"], 0);
  EXPECT_EQ(scaled["metadata"]["annotations"][annotations::kReplicasBefore], "2");
  expectOnlyChanged(d, scaled, {"/spec/replicas", "/metadata/annotations/maintenance.phase.dev~1replicas-before-migration"});
  EXPECT_TRUE(scaleDownPatch(scaled).empty());  // never re-records 0
  Json restored = scaled.patch(releaseOps(scaled));
  EXPECT_EQ(restored, d);
  EXPECT_TRUE(releaseOps(restored).empty());
}

TEST(DeploymentPatch, PauseAnnotatesOnlyItsOwnPause) {
  Json d = backend();
  d["metadata"].erase("annotations");
  const Json ops = pausePatch(d);
  Json paused = d.patch(ops);
  EXPECT_TRUE(paused["spec"]["paused"].get<bool>());
  EXPECT_EQ(paused["metadata"]["annotations"][annotations::kPausedByOperator], "true");
  EXPECT_TRUE(pausePatch(paused).empty());
  Json resumed = paused.patch(releaseOps(paused));
  EXPECT_FALSE(resumed["spec"]["paused"].get<bool>());
  EXPECT_TRUE(resumed["metadata"]["annotations"].empty());

  Json theirs = backend();
  theirs["spec"]["paused"] = true;
  EXPECT_TRUE(pausePatch(theirs).empty());
  EXPECT_TRUE(releaseOps(theirs).empty());
}

// The informer's copy lacks kubectl's last-applied annotation; a patch planned on that copy
// and applied to the live object must keep it (issue 11: the whole map was added over it).
TEST(DeploymentPatch, PatchesPlannedOnTheCachedCopyKeepAnnotationsTheCacheDropped) {
  Json live = backend();
  live["metadata"]["annotations"] = {{"kubectl.kubernetes.io/last-applied-configuration", "{\"kind\":\"Deployment\"}"}};
  Json cached = live;
  runtime::stripManagedFieldsAndLastApplied(cached);
  for (const Json& ops : {scaleDownPatch(cached), pausePatch(cached)}) {
    ASSERT_FALSE(ops.empty());
    const Json patched = live.patch(ops);
    EXPECT_EQ(patched["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"],
              live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
        << ops.dump();
  }
}

}  // namespace
}  // namespace pmo::maintenance
