// One owner per Deployment (controller/ownership.hpp), through the reconciler against the
// FakeClient: the first PhaseMaintenance claims, a second naming the same Deployments is
// in Conflict and writes nothing, and deleting the first hands over.
#include <gtest/gtest.h>

#include "controller/ownership.hpp"
#include "unit/controller_test_world.hpp"

namespace pmo::controller::testing {
namespace {

using namespace std::chrono_literals;

std::string claimOn(const Json& deployment) {
  return deployment.value("/metadata/annotations"_json_pointer, Json::object()).value(ownership::kOwnedBy, "");
}

// The operator's writes to Deployments (not the status the test's rollOut() writes).
std::size_t deploymentWrites(const FakeClient& fake) {
  std::size_t n = 0;
  for (const auto& q : fake.requests())
    if (q.resource == "deployments" && q.subresource.empty() && (q.verb == "patch" || q.verb == "update")) ++n;
  return n;
}

struct Ownership : ::testing::Test {
  ControllerWorld w;
  Json backend() { return *w.fake.peek(res::kDeployments, "phase", "phase-console-backend"); }
  Json worker() { return *w.fake.peek(res::kDeployments, "phase", "phase-console-worker"); }
  void settle(const std::string& name) { w.settle(name); }
};

TEST_F(Ownership, TheFirstClaimsItsDeploymentsWithAGuardedPatch) {
  const Json a = w.create("a", ControllerWorld::spec());
  settle("a");
  const std::string mine = "phase/a/" + a["metadata"]["uid"].get<std::string>();
  EXPECT_EQ(claimOn(backend()), mine);
  EXPECT_EQ(claimOn(worker()), mine);
  EXPECT_EQ(w.pm("a")["status"].value("phase", ""), "Ready") << w.pm("a")["status"].dump();
  w.fake.clearRequests();
  w.reconcile("a");
  EXPECT_TRUE(w.fake.requests().empty()) << "claimed once, quiet at rest";
}

TEST_F(Ownership, ASecondOneIsInConflictNamingTheFirstAndWritesNothing) {
  w.create("a", ControllerWorld::spec());
  settle("a");
  w.create("b", ControllerWorld::spec("v2.73.2"));  // would move the image if it could
  w.fake.clearRequests();
  settle("b");
  const Json b = w.pm("b");
  EXPECT_EQ(conditionReason(b, "Conflict"), "DeploymentClaimed") << b["status"].dump();
  EXPECT_NE(conditionMessage(b, "Conflict").find("PhaseMaintenance phase/a"), std::string::npos);
  EXPECT_EQ(b["status"].value("phase", ""), "Blocked");
  EXPECT_NE(conditionMessage(b, "Ready").find("Conflict"), std::string::npos) << conditionMessage(b, "Ready");
  EXPECT_EQ(deploymentWrites(w.fake), 0u);
  EXPECT_TRUE(w.fake.objects(res::kJobs).empty());
  EXPECT_EQ(w.events.count("Conflict"), 1);
  EXPECT_LE(w.fake.count("update", "phasemaintenances"), 1u) << "status written once";
  EXPECT_EQ(claimOn(backend()).rfind("phase/a/", 0), 0u);
}

TEST_F(Ownership, DeletingTheFirstReleasesItsClaimAndTheSecondTakesOver) {
  w.create("a", ControllerWorld::spec());
  settle("a");
  const Json b0 = w.create("b", ControllerWorld::spec());
  settle("b");
  ASSERT_EQ(conditionReason(w.pm("b"), "Conflict"), "DeploymentClaimed");

  w.fake.remove(res::kPhaseMaintenances, "phase", "a");
  settle("a");
  EXPECT_FALSE(w.fake.peek(res::kPhaseMaintenances, "phase", "a")) << "the finalizer went";
  EXPECT_EQ(claimOn(backend()), "");

  settle("b");
  const std::string mine = "phase/b/" + b0["metadata"]["uid"].get<std::string>();
  EXPECT_EQ(claimOn(backend()), mine);
  EXPECT_EQ(claimOn(worker()), mine);
  const Json b = w.pm("b");
  EXPECT_EQ(conditionReason(b, "Conflict"), "") << b["status"].dump();
  EXPECT_EQ(b["status"].value("phase", ""), "Ready");
}

TEST_F(Ownership, AClaimWhoseOwnerIsGoneIsTakenOver) {
  Json d = backend();
  d["metadata"]["annotations"][ownership::kOwnedBy] = "phase/gone/uid-404";
  w.fake.update(res::kDeployments, "phase", d);
  const Json a = w.create("a", ControllerWorld::spec());
  settle("a");
  EXPECT_EQ(claimOn(backend()), "phase/a/" + a["metadata"]["uid"].get<std::string>());
  EXPECT_EQ(conditionReason(w.pm("a"), "Conflict"), "");
}

TEST_F(Ownership, DeletingOneInConflictLeavesTheOwnersDeploymentsAlone) {
  w.create("a", ControllerWorld::spec());
  settle("a");
  w.create("b", ControllerWorld::spec());
  settle("b");
  const Json before = backend();
  w.fake.clearRequests();
  w.fake.remove(res::kPhaseMaintenances, "phase", "b");
  settle("b");
  EXPECT_FALSE(w.fake.peek(res::kPhaseMaintenances, "phase", "b"));
  EXPECT_EQ(deploymentWrites(w.fake), 0u);
  EXPECT_EQ(backend(), before);
}

// The claim patch carries its guard: a Deployment changed since it was read is not claimed
// over (the patch's `test` fails), and the reconcile plans again.
TEST(OwnershipClaims, AreGuardedByATest) {
  ControllerWorld w;
  const Json a = w.create("a", ControllerWorld::spec());
  maintenance::Observed in;
  in.object = a;
  in.backend = *w.fake.peek(res::kDeployments, "phase", "phase-console-backend");
  const auto check = ownership::checkClaims(in, w.view);
  ASSERT_EQ(check.claims.size(), 1u);
  EXPECT_EQ(check.claims[0].patch[0]["op"], "test");
  Json d = *in.backend;
  d["metadata"]["labels"]["touched"] = "yes";
  w.fake.update(res::kDeployments, "phase", d);
  EXPECT_THROW(w.fake.patch(res::kDeployments, "phase", "phase-console-backend", kube::PatchType::Json,
                            check.claims[0].patch),
               kube::ApiError);
}

}  // namespace
}  // namespace pmo::controller::testing
