// Issue 12, item 1: two PhaseMaintenances naming the same Deployments. The first claims
// them; the second says Conflict (naming the first) and writes nothing to them, instead of
// patching the image back and forth; deleting the first hands the Deployments over.
// Judged from the sandbox's request log.
#include <gtest/gtest.h>

#include <thread>

#include "e2e/operator_harness.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;
namespace res = kube::resources;

Json managedSpec(const std::string& version) { return {{"version", version}, {"database", demoDatabase()}}; }

bool atVersion(const Json& pm, const std::string& v) {
  return pm.value("/status/currentVersion"_json_pointer, std::string()) == v && conditionStatus(pm, "Ready") == "True";
}

std::string conditionMessage(const Json& pm, const std::string& type) {
  for (const auto& c : pm.value("/status/conditions"_json_pointer, Json::array()))
    if (c.value("type", "") == type) return c.value("message", "");
  return "";
}

Json waitForNamed(OperatorHarness& h, const std::string& name, const std::function<bool(const Json&)>& pred,
                  std::chrono::seconds timeout, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Json last;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      last = h.client().get(res::kPhaseMaintenances, "phase", name);
      if (pred(last)) return last;
    } catch (const kube::ApiError&) {
    }
    std::this_thread::sleep_for(200ms);
  }
  ADD_FAILURE() << "timed out waiting for " << what << "; last: " << last.dump() << "\n"
                << h.operatorLog().substr(h.operatorLog().size() > 4000 ? h.operatorLog().size() - 4000 : 0);
  return last;
}

// The operator's writes (not reads, not the Lease) in the request log since it was cleared.
std::vector<std::string> operatorWrites(OperatorHarness& h, const std::string& resource = "") {
  std::vector<std::string> out;
  for (const auto& r : h.sandbox().controls().requests()) {
    if (r.user != h.operatorUser() || r.resource == "leases") continue;
    if (r.verb == "get" || r.verb == "list" || r.verb == "watch") continue;
    if (!resource.empty() && r.resource != resource) continue;
    out.push_back(r.verb + " " + r.resource + " " + r.name);
  }
  return out;
}

TEST(OwnershipE2E, ASecondResourceNamingClaimedDeploymentsWaitsInConflictThenTakesOver) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.startOperator();
  h.applyPhaseMaintenance(managedSpec("v2.73.2"));
  h.waitForPm([](const Json& p) { return atVersion(p, "v2.73.2"); }, 60s, "the first at v2.73.2");

  // A rival that would move the same Deployments to another version.
  h.client().create(res::kPhaseMaintenances, "phase",
                    {{"apiVersion", "maintenance.phase.dev/v1alpha1"},
                     {"kind", "PhaseMaintenance"},
                     {"metadata", {{"name", "rival"}, {"namespace", "phase"}}},
                     {"spec", managedSpec("v2.74.0")}});
  const Json rival = waitForNamed(
      h, "rival", [](const Json& p) { return conditionStatus(p, "Conflict") == "True"; }, 60s, "the rival's Conflict");
  EXPECT_NE(conditionMessage(rival, "Conflict").find("PhaseMaintenance phase/phase"), std::string::npos)
      << conditionMessage(rival, "Conflict");
  EXPECT_EQ(conditionStatus(rival, "Ready"), "False");

  // No fight: over 10 s the operator writes nothing at all, the image stays.
  std::this_thread::sleep_for(2s);
  h.sandbox().controls().clearRequests();
  std::this_thread::sleep_for(10s);
  EXPECT_TRUE(operatorWrites(h).empty()) << ::testing::PrintToString(operatorWrites(h));
  EXPECT_EQ(imageTag(containerImage(h.deployment("phase-console-backend"), "backend")), "v2.73.2");
  int conflictEvents = 0;
  for (const auto& e : h.events())
    if (e.value("reason", "") == "Conflict") conflictEvents += e.value("count", 1);
  EXPECT_EQ(conflictEvents, 1);

  // Deleting the first releases the claim; the rival takes over and moves to its version,
  // with a bounded number of writes to the Deployments.
  h.sandbox().controls().clearRequests();
  h.client().remove(res::kPhaseMaintenances, "phase", "phase");
  const Json after = waitForNamed(
      h, "rival", [](const Json& p) { return atVersion(p, "v2.74.0"); }, 90s, "the rival at v2.74.0");
  EXPECT_NE(conditionStatus(after, "Conflict"), "True");
  EXPECT_EQ(imageTag(containerImage(h.deployment("phase-console-backend"), "backend")), "v2.74.0");
  EXPECT_EQ(imageTag(containerImage(h.deployment("phase-console-worker"), "worker")), "v2.74.0");
  const auto deploymentWrites = operatorWrites(h, "deployments");
  EXPECT_LE(deploymentWrites.size(), 12u) << ::testing::PrintToString(deploymentWrites);
  EXPECT_LE(operatorWrites(h).size(), 60u) << ::testing::PrintToString(operatorWrites(h));
}

}  // namespace
}  // namespace pmo::testing
