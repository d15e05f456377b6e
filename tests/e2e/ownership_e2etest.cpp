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

// The operator's writes (not reads, not the Lease) in the request log since it was cleared,
// refused ones included: "verb resource name code".
std::vector<std::string> operatorWrites(OperatorHarness& h, const std::string& resource = "") {
  std::vector<std::string> out;
  for (const auto& r : h.sandbox().controls().requests()) {
    if (r.user != h.operatorUser() || r.resource == "leases") continue;
    if (r.verb == "get" || r.verb == "list" || r.verb == "watch") continue;
    if (!resource.empty() && r.resource != resource) continue;
    out.push_back(r.verb + " " + r.resource + " " + r.name + " " + std::to_string(r.code));
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
  // The hand-over takes 11 successful writes to the Deployments: the first's restore (2) and
  // claim release (2), the rival's claims (2) and its migration's patches. A write refused
  // by its guard (422: a failed `test`) is counted apart. The operator sends none from a
  // cache that has not shown its own earlier write to that Deployment (it waits for the
  // watch event). But the rival's claim of a Deployment without a claim is guarded by its
  // resourceVersion, and the sandbox's Deployment controller (a writer the request log does
  // not show) moves that version while it rolls out the restore: under load the rival may
  // send the claim from a version just replaced, and the refusal is the guard doing its job;
  // the watch event with the new version plans it again. So a few refusals are allowed, not
  // a run of them; any other failure (a 409, a 500) is not.
  const auto deploymentWrites = operatorWrites(h, "deployments");
  std::size_t succeeded = 0, refused = 0, other = 0;
  for (const auto& w : deploymentWrites) {
    const int code = std::stoi(w.substr(w.rfind(' ') + 1));
    if (code >= 200 && code < 300) ++succeeded;
    else if (code == 422) ++refused;
    else ++other;
  }
  EXPECT_LE(succeeded, 11u) << ::testing::PrintToString(deploymentWrites);
  EXPECT_LE(refused, 2u) << ::testing::PrintToString(deploymentWrites);
  EXPECT_EQ(other, 0u) << ::testing::PrintToString(deploymentWrites);
  EXPECT_LE(operatorWrites(h).size(), 60u) << ::testing::PrintToString(operatorWrites(h));
}

}  // namespace
}  // namespace pmo::testing
