// The gates of a move hold from the pass that sees it and on every pass after: Follow mode
// pauses first, ScaleDown stays at 0, what another client undoes is done again with an
// Event naming it, and the migration Job runs the Deployment's own image.
#include "migration_test_world.hpp"

#include "maintenance/labels.hpp"
#include "maintenance/migration/deployment_state.hpp"

namespace pmo::maintenance {
namespace {

using testing::World;
using testing::actionsOf;
using testing::hasEvent;
using testing::pausedByOperator;

World followingAt(const std::string& version) {
  World w;
  w.setImages(version);
  w.settle();
  return w;
}

std::string eventMessage(const Plan& p, const std::string& reason) {
  for (const auto& a : p.actions)
    if (a.kind == Action::Kind::Event && a.reason == reason) return a.message;
  return "";
}

Json purgeJob() {
  return {{"metadata", {{"name", "phase-purge-spacex-28731"},
                        {"labels", {{labels::kComponent, labels::kComponentPurge}, {labels::kOwner, "phase"}}}}},
          {"status", {{"active", 1}}}};
}

TEST(MigrationHold, FollowModePausesInThePassThatSeesTheNewImage) {
  World w = followingAt("v2.72.0");
  w.jobs.push_back(purgeJob());  // a long purge: the pause does not wait for it
  w.setImages("v2.73.2");        // helm upgrade
  Plan p = w.step();
  EXPECT_TRUE(hasEvent(p, "MigrationStarted"));
  EXPECT_TRUE(hasEvent(p, "WorkloadsPaused"));
  EXPECT_TRUE(pausedByOperator(*w.backend));
  EXPECT_TRUE(pausedByOperator(*w.worker));
  EXPECT_TRUE(actionsOf(p, Action::Kind::Create).empty());
  ASSERT_EQ(actionsOf(p, Action::Kind::JsonPatch, "deployments").size(), 2u);  // pause and gate image: one write
  EXPECT_EQ(w.gate(w.backend)["image"], "phasehq/backend:v2.73.2");
  w.runUntil(Step::WaitingForMaintenanceJobs);
  EXPECT_TRUE(pausedByOperator(*w.backend));
}

TEST(MigrationHold, FollowModeMigratesWithTheDeploymentsOwnImage) {
  World w = followingAt("v2.72.0");
  const std::string mirrored = "registry.corp.local/mirror/phase-backend:v2.73.2@sha256:" + std::string(64, 'a');
  for (auto* d : {&*w.backend, &*w.worker}) (*d)["spec"]["template"]["spec"]["containers"][0]["image"] = mirrored;
  Plan p = w.runUntil(Step::Migrating);
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create)[0]->object["spec"]["template"]["spec"]["containers"][0]["image"], mirrored);
  EXPECT_NE(w.pm["status"]["migration"]["message"].get<std::string>().find(mirrored), std::string::npos);
}

TEST(MigrationHold, ManagedModeMigratesWithBackendImage) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  Plan p = w.runUntil(Step::Migrating);
  ASSERT_EQ(actionsOf(p, Action::Kind::Create).size(), 1u);
  EXPECT_EQ(actionsOf(p, Action::Kind::Create)[0]->object["spec"]["template"]["spec"]["containers"][0]["image"],
            "docker.io/phasehq/backend:v2.73.2");
}

TEST(MigrationHold, PausesAgainWhatAnotherManagerUnpausedAndNamesIt) {
  World w = followingAt("v2.72.0");
  w.setImages("v2.73.2");
  w.runUntil(Step::Migrating);
  (*w.backend)["spec"]["paused"] = false;  // helm upgrade --force, or a person
  (*w.backend)["metadata"]["managedFields"] = Json::array(
      {{{"manager", "phase-maintenance-operator"}, {"operation", "Update"}, {"time", "2026-11-25T20:00:09Z"},
        {"fieldsV1", {{"f:spec", {{"f:paused", Json::object()}}}}}},
       {{"manager", "helm"}, {"operation", "Update"}, {"time", "2026-11-25T20:00:10Z"},
        {"fieldsV1", {{"f:spec", {{"f:paused", Json::object()}, {"f:replicas", Json::object()}}}}}}});
  Plan p = w.step();
  EXPECT_TRUE(pausedByOperator(*w.backend));
  EXPECT_NE(eventMessage(p, "GateReasserted").find("unpaused by field manager \"helm\""), std::string::npos)
      << eventMessage(p, "GateReasserted");
  EXPECT_TRUE(w.plan().actions.empty() || !hasEvent(w.plan(), "GateReasserted"));  // once
}

TEST(MigrationHold, ScaleDownHoldsAgainstAHelmUpgradeWhileMigrating) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.spec.migrations.gate = MigrationGate::ScaleDown;
  w.runUntil(Step::ScalingDown);
  w.rollDeployments();
  w.runUntil(Step::Migrating);
  (*w.backend)["spec"]["replicas"] = 2;  // helm upgrade renders replicaCount
  (*w.worker)["spec"]["replicas"] = 1;
  Plan p = w.step();
  EXPECT_EQ((*w.backend)["spec"]["replicas"], 0);
  EXPECT_EQ((*w.worker)["spec"]["replicas"], 0);
  EXPECT_NE(eventMessage(p, "GateReasserted").find("scaled to 2 by Helm (label app.kubernetes.io/managed-by)"),
            std::string::npos)
      << eventMessage(p, "GateReasserted");
  EXPECT_EQ((*w.backend)["metadata"]["annotations"][annotations::kReplicasBefore], "2");  // still the count to restore
  w.finishJob("phase-migrate-v2-73-2", true);
  w.settle();
  EXPECT_EQ((*w.backend)["spec"]["replicas"], 2);
}

TEST(MigrationHold, ANewImageMidMoveRetargetsAndStaysPaused) {
  World w = followingAt("v2.72.0");
  w.spec.migrations.backup = {true, "phase-backups", 3, "postgres:15"};
  w.setImages("v2.73.2");
  w.runUntil(Step::BackingUp);
  w.now += std::chrono::seconds(20);
  w.setImages("v2.74.0");  // another helm upgrade before the first finished
  Plan p = w.step();
  EXPECT_TRUE(hasEvent(p, "MigrationSuperseded"));
  EXPECT_EQ(w.pm["status"]["migration"]["to"], "v2.74.0");
  EXPECT_TRUE(pausedByOperator(*w.backend));
  EXPECT_EQ(w.gate(w.worker)["image"], "phasehq/backend:v2.74.0");
}

TEST(MigrationHold, CacheTransformKeepsOnlyWhoWroteReplicasAndPaused) {
  Json d = {{"metadata",
             {{"annotations", {{"kubectl.kubernetes.io/last-applied-configuration", "{...}"}}},
              {"managedFields",
               Json::array({{{"manager", "argocd-controller"}, {"operation", "Apply"}, {"time", "t1"},
                             {"fieldsV1", {{"f:spec", {{"f:replicas", Json::object()}, {"f:template", {{"f:x", 1}}}}}}}}})}}}};
  compactDeploymentForCache(d);
  EXPECT_TRUE(d["metadata"]["annotations"].empty());
  EXPECT_EQ(d["metadata"]["managedFields"][0]["fieldsV1"],
            (Json{{"f:spec", {{"f:replicas", Json::object()}, {"f:template", Json::object()}}}}));
  EXPECT_EQ(lastWriterOf(d, "replicas", "phase-maintenance-operator"), "field manager \"argocd-controller\"");
  EXPECT_EQ(lastWriterOf(d, "paused", "phase-maintenance-operator"), "an unknown client");
}

}  // namespace
}  // namespace pmo::maintenance

namespace pmo::maintenance {
namespace {

void helmSetsImages(World& w, const std::string& tag) {
  w.setImages(tag);
  for (auto* d : {&*w.backend, &*w.worker})
    (*d)["metadata"]["managedFields"] = Json::array(
        {{{"manager", "helm"}, {"operation", "Update"}, {"time", "2026-11-25T21:00:00Z"},
          {"fieldsV1", {{"f:spec", {{"f:template", Json::object()}}}}}}});
}

TEST(MigrationConflict, ManagedModeRevertsOnceThenReportsConflictWithoutFlapping) {
  World w;
  w.spec.version = "v2.72.0";
  w.settle();
  helmSetsImages(w, "v2.74.0");  // helm upgrade with the chart's own global.version
  Plan p = w.step();
  EXPECT_TRUE(hasEvent(p, "VersionDrift"));
  EXPECT_EQ(w.image(w.backend), "docker.io/phasehq/backend:v2.72.0");
  w.settle();
  helmSetsImages(w, "v2.74.0");  // the next helm upgrade sets it again
  p = w.step();
  EXPECT_FALSE(hasEvent(p, "VersionDrift"));
  EXPECT_EQ(w.image(w.backend), "phasehq/backend:v2.74.0");  // left alone
  const auto c = getCondition(w.pm["status"], conditions::kConflict);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->status, "True");
  EXPECT_EQ(c->reason, reasons::kImageSetByAnotherManager);
  EXPECT_NE(c->message.find("field manager \"helm\""), std::string::npos) << c->message;
  EXPECT_NE(c->message.find("global.version"), std::string::npos) << c->message;
  EXPECT_NE(c->message.find("Follow mode"), std::string::npos) << c->message;
  EXPECT_TRUE(hasEvent(p, reasons::kImageSetByAnotherManager));
  for (int i = 0; i < 3; ++i) {  // no flapping: no image write, no repeated Event
    Plan again = w.step();
    for (const auto* a : actionsOf(again, Action::Kind::JsonPatch, "deployments"))
      EXPECT_EQ(a->patch.dump().find("/containers/0/image"), std::string::npos) << a->patch.dump();
    EXPECT_FALSE(hasEvent(again, reasons::kImageSetByAnotherManager));
  }
  helmSetsImages(w, "v2.72.0");  // the fix: the chart's global.version matches spec.version
  p = w.step();
  EXPECT_EQ(getCondition(w.pm["status"], conditions::kConflict)->status, "False");
}

TEST(MigrationConflict, ANewSpecVersionForgetsTheRevertRecord) {
  World w;
  w.spec.version = "v2.72.0";
  w.settle();
  helmSetsImages(w, "v2.74.0");
  w.step();
  EXPECT_TRUE(w.pm["status"].contains("versionDrift"));
  w.spec.version = "v2.73.2";
  w.runUntil(Step::Migrating);
  w.finishJob("phase-migrate-v2-73-2", true);
  w.settle();
  EXPECT_FALSE(w.pm["status"].contains("versionDrift"));
}

}  // namespace
}  // namespace pmo::maintenance
