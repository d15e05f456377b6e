// The controller layer against the FakeClient: what reaches status when a write fails,
// re-planning on a status conflict, and Events told once per fact.
#include <gtest/gtest.h>

#include "unit/controller_test_world.hpp"

namespace pmo::controller::testing {
namespace {

using namespace std::chrono_literals;
using Failure = runtime::ReconcileResult::Failure;

// The user suspends the resource once the operator created it: the object before the
// edit and after it.
std::pair<Json, Json> suspendedAfterItsFirstWrite(ControllerWorld& w) {
  w.create("phase", ControllerWorld::spec());
  Json old = w.pm();
  Json suspended = ControllerWorld::spec();
  suspended["suspend"] = true;
  return {std::move(old), w.edit("phase", suspended)};
}

TEST(PhaseReconciler, AtRestSendsNoRequest) {
  ControllerWorld w;
  w.create("phase", ControllerWorld::spec());
  w.settle();
  EXPECT_EQ(w.pm()["status"].value("phase", ""), "Ready") << w.pm()["status"].dump();
  w.fake.clearRequests();
  EXPECT_EQ(w.reconcile().failure, Failure::None);
  EXPECT_EQ(w.fake.requests().size(), 0u);
}

TEST(PhaseReconciler, AnInvalidSpecIsTerminalWithOneWarning) {
  ControllerWorld w;
  Json spec = ControllerWorld::spec();
  spec["database"].erase("host");
  w.create("phase", spec);
  const auto first = w.reconcile();
  EXPECT_EQ(first.failure, Failure::Terminal);
  EXPECT_NE(first.error.find("spec.database.host"), std::string::npos) << first.error;
  EXPECT_EQ(conditionReason(w.pm(), "SpecValid"), "InvalidSpec");
  w.clock->advance(10s);
  EXPECT_EQ(w.reconcile().failure, Failure::Terminal);
  EXPECT_EQ(w.events.count("InvalidSpec"), 1);
}

// A child write refused for good reaches status within the reconcile, as a value the
// controller backs off on, and one Warning Event however often it is retried.
TEST(PhaseReconciler, ARefusedJobCreateReachesStatusAndBacksOff) {
  ControllerWorld w;
  w.fake.failRequests("create", "jobs",
                      kube::ApiError(kube::ErrorReason::Forbidden, 403, "jobs.batch is forbidden: quota exceeded"), -1);
  w.create("phase", ControllerWorld::spec());
  w.settle();
  w.edit("phase", ControllerWorld::spec("v2.73.2"));
  // The first pass records the move; every one after it tries the Job and is refused.
  int refusals = 0;
  runtime::ReconcileResult r;
  for (int i = 0; i < 4; ++i) {
    r = w.reconcile();
    if (r.failure == Failure::Backoff) ++refusals;
    w.clock->advance(10s);
  }
  EXPECT_GE(refusals, 3);
  EXPECT_EQ(r.failure, Failure::Backoff);
  EXPECT_NE(r.error.find("HTTP 403"), std::string::npos) << r.error;
  const Json pm = w.pm();
  EXPECT_EQ(conditionReason(pm, "Migrated"), "WriteRefused") << pm["status"].dump();
  EXPECT_NE(conditionMessage(pm, "Migrated").find("quota exceeded"), std::string::npos);
  EXPECT_EQ(conditionReason(pm, "Ready"), pm["status"].value("phase", "")) << "Ready does not say it";
  EXPECT_EQ(w.events.count("WriteRefused"), 1);
  EXPECT_TRUE(w.fake.objects(res::kJobs).empty());
}

// A transient error of the status write itself propagates (the controller's backoff) and
// nothing recorded is claimed: no Event of the step before its status is written.
TEST(PhaseReconciler, AFailedStatusWritePostsNoEventAndTheRetryPostsOnce) {
  ControllerWorld w;
  w.create("phase", ControllerWorld::spec());
  w.settle();
  const auto before = w.events.posted().size();
  w.edit("phase", ControllerWorld::spec("v2.73.2"));
  w.fake.failRequests("update", "phasemaintenances",
                      kube::ApiError(kube::ErrorReason::ServerError, 500, "etcd leader changed"), 1);
  EXPECT_THROW(w.reconcile(), kube::ApiError);
  EXPECT_EQ(w.events.posted().size(), before) << w.events.posted().back().reason;
  w.reconcile();
  ASSERT_GT(w.events.posted().size(), before);
  const std::string reason = w.events.posted().back().reason;
  EXPECT_EQ(w.events.count(reason), 1) << reason;
}

// The status computed from an old object is not put on a newer one: the conflict re-reads
// and re-plans (here: the user suspended it meanwhile).
TEST(PhaseReconciler, AStatusConflictRereadsAndReplans) {
  ControllerWorld w;
  const auto [old, edited] = suspendedAfterItsFirstWrite(w);
  w.view.pinPhaseMaintenance(old);  // the cache has not seen the edit
  w.fake.clearRequests();
  EXPECT_EQ(w.reconcile().failure, Failure::None);
  const Json pm = w.pm();
  EXPECT_EQ(pm["status"].value("phase", ""), "Suspended") << pm["status"].dump();
  EXPECT_EQ(pm["status"].value("observedGeneration", 0L), edited["metadata"].value("generation", 0L));
  EXPECT_EQ(w.fake.count("get", "phasemaintenances"), 1u);
  EXPECT_EQ(w.fake.count("update", "phasemaintenances"), 2u);
}

// The cache may next show the version the retry replaced: that is the reconcile's own
// write not yet seen, so the key waits instead of planning from it.
TEST(PhaseReconciler, TheOwnWriteGuardCoversTheVersionReadAfterAConflict) {
  ControllerWorld w;
  const auto [old, edited] = suspendedAfterItsFirstWrite(w);
  w.view.pinPhaseMaintenance(old);
  w.reconcile();
  w.view.pinPhaseMaintenance(edited);
  w.fake.clearRequests();
  const auto r = w.reconcile();
  ASSERT_TRUE(r.requeueAfter.has_value());
  EXPECT_LE(*r.requeueAfter, 1s);
  EXPECT_TRUE(w.fake.requests().empty());
}

TEST(PhaseReconciler, ConflictsThatDoNotEndGoToBackoffWithoutAnEvent) {
  ControllerWorld w;
  w.create("phase", ControllerWorld::spec());
  w.settle();
  w.edit("phase", ControllerWorld::spec("v2.73.2"));
  w.fake.clearRequests();
  const auto before = w.events.posted().size();
  w.fake.failRequests("update", "phasemaintenances",
                      kube::ApiError(kube::ErrorReason::Conflict, 409, "the object has been modified"), -1);
  const auto r = w.reconcile();
  EXPECT_EQ(r.failure, Failure::Backoff);
  EXPECT_NE(r.error.find("conflict"), std::string::npos) << r.error;
  EXPECT_LE(w.fake.count("update", "phasemaintenances"), 3u) << "re-planned without bound";
  EXPECT_EQ(w.events.posted().size(), before);
}

// A recovery's Event carries the ledger's request key, so a sink that names Events by it
// posts the fact once even when the ledger answers the same request again.
TEST(PhaseReconciler, RecoveryEventsAreKeyedByTheLedgersRequestKey) {
  ControllerWorld w;
  Json spec = ControllerWorld::spec();
  spec["recovery"] = {{"resetGlobalNetworkPolicies", {{"requestId", "lockout-1"}}}};
  w.create("phase", spec);
  w.fake.failRequests("update", "phasemaintenances",
                      kube::ApiError(kube::ErrorReason::ServerError, 500, "etcd leader changed"), 1);
  EXPECT_THROW(w.reconcile(), kube::ApiError);  // applied in the database, status lost
  EXPECT_TRUE(w.events.posted().empty());
  w.reconcile();
  ASSERT_EQ(w.recoveries.resets, 2) << "the ledger is asked again; it answers at most once";
  std::vector<PendingEvent> keyed;
  for (const auto& e : w.events.posted())
    if (!e.factKey.empty()) keyed.push_back(e);
  ASSERT_EQ(keyed.size(), 1u);
  EXPECT_EQ(keyed[0].factKey, w.recoveries.keys.front());
  EXPECT_EQ(keyed[0].factKey, "phase/phase/resetGlobalNetworkPolicies/lockout-1");
}

// A deletion restores the Deployments; the key is woken again (its own requeue, the other
// Deployment's event) before the cache shows the restore: it waits for the Deployments'
// watch events instead of sending the restore again from the old copies, which the
// patch's `test` would refuse (422).
TEST(PhaseReconciler, ADeploymentWriteNotYetCachedIsNotSentAgain) {
  ControllerWorld w;
  w.create("phase", ControllerWorld::spec());
  w.settle();
  ASSERT_EQ(w.pm()["status"].value("phase", ""), "Ready") << w.pm()["status"].dump();
  w.fake.remove(res::kPhaseMaintenances, "phase", "phase");
  const Json backend = *w.fake.peek(res::kDeployments, "phase", "phase-console-backend");
  const Json worker = *w.fake.peek(res::kDeployments, "phase", "phase-console-worker");
  w.fake.clearRequests();
  w.reconcile();
  ASSERT_GE(w.fake.count("patch", "deployments"), 1u) << "the deletion restores the Deployments";
  w.view.pinDeployment(backend);  // the cache has not seen the restore
  w.view.pinDeployment(worker);
  w.fake.clearRequests();
  const auto r = w.reconcile();
  EXPECT_EQ(w.fake.count("patch", "deployments"), 0u);
  EXPECT_TRUE(w.fake.requests().empty());
  ASSERT_TRUE(r.requeueAfter.has_value());
  EXPECT_LE(*r.requeueAfter, 1s);

  // Bounded: a watch event that never comes stalls the key no longer than the wait.
  w.clock->advance(10s);
  w.reconcile();
  EXPECT_GE(w.fake.requests().size(), 1u);
  // Once the cache shows the write, the deletion goes on from it.
  w.view.unpin();
  w.fake.clearRequests();
  w.reconcile();
  EXPECT_EQ(w.fake.count("patch", "deployments"), 2u) << "the claims are given back";
}

// The first reconcile adds the finalizer, then its claim meets a Deployment changed since
// the cache read it (422): the reconcile ends there. The finalizer patch's version is the
// current one; the next reconcile plans from it instead of waiting for a newer one.
TEST(PhaseReconciler, AStaleClaimAfterTheFinalizerPatchDoesNotStallTheKey) {
  ControllerWorld w;
  w.fake.create(res::kPhaseMaintenances, "phase",
                Json{{"apiVersion", "maintenance.phase.dev/v1alpha1"},
                     {"kind", "PhaseMaintenance"},
                     {"metadata", {{"name", "phase"}}},
                     {"spec", ControllerWorld::spec()}});
  Json old = *w.fake.peek(res::kDeployments, "phase", "phase-console-backend");
  old["metadata"]["resourceVersion"] = "1";  // a version the server has moved past
  w.view.pinDeployment(old);
  w.reconcile();
  ASSERT_FALSE(w.pm()["metadata"].value("finalizers", Json::array()).empty());
  ASSERT_EQ(w.fake.count("patch", "deployments"), 1u) << "the claim, refused";
  w.view.unpin();
  w.fake.clearRequests();
  w.reconcile();
  EXPECT_GE(w.fake.count("patch", "deployments"), 2u) << "the claims, taken without waiting";
}

}  // namespace
}  // namespace pmo::controller::testing
