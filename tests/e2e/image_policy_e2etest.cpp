// The admin's image policy, end to end: the operator run with --allowed-images refuses a
// PhaseMaintenance that names an image outside it (SpecValid=False naming the field and the
// fix) and writes no child for it; the same resource with an allowed image migrates.
#include <gtest/gtest.h>

#include <thread>

#include "e2e/operator_harness.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;

// The operator's writes to children so far: creates, updates, patches and deletes of
// Jobs, CronJobs and Deployments.
std::vector<std::string> childWrites(OperatorHarness& h) {
  std::vector<std::string> out;
  for (const auto& q : h.sandbox().controls().requests()) {
    if (q.user != h.operatorUser()) continue;
    const bool write = q.verb == "create" || q.verb == "update" || q.verb == "patch" || q.verb == "delete";
    if (write && (q.resource == "jobs" || q.resource == "cronjobs" || q.resource == "deployments"))
      out.push_back(q.verb + " " + q.resource + " " + q.name);
  }
  return out;
}

TEST(ImagePolicyE2E, AnImageOutsideTheAllowedPrefixesIsRefusedWithNoChildWrite) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.startOperator({"--allowed-images", "docker.io/phasehq/", "--allowed-images=postgres:15"});
  Json spec = {{"version", "v2.73.2"},
               {"backendImage", "evil.example/phasehq/backend"},
               {"database", demoDatabase("127.0.0.1", 1)},
               {"auditLogs",
                {{"purge", Json::array({{{"organisation", "SpaceX"}, {"retainDays", 90}, {"schedule", "0 3 * * *"}}})}}}};
  h.applyPhaseMaintenance(spec);
  const Json refused =
      h.waitForPm([](const Json& p) { return conditionStatus(p, "SpecValid") == "False"; }, 30s, "SpecValid=False");
  std::string message;
  for (const auto& c : refused.value("/status/conditions"_json_pointer, Json::array()))
    if (c.value("type", "") == "SpecValid") message = c.value("message", "");
  EXPECT_NE(message.find("spec.backendImage: Invalid value: \"evil.example/phasehq/backend:v2.73.2\""),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("--allowed-images"), std::string::npos) << message;
  EXPECT_NE(message.find("docker.io/phasehq/, postgres:15"), std::string::npos) << message;
  std::this_thread::sleep_for(1s);  // a reconcile that went on would have written by now
  EXPECT_TRUE(childWrites(h).empty()) << ::testing::PrintToString(childWrites(h));
  EXPECT_TRUE(h.jobs().empty());

  // The same resource with the backend's own image is valid and migrates.
  spec.erase("backendImage");
  h.applyPhaseMaintenance(spec);
  h.waitForPm(
      [](const Json& p) {
        return conditionStatus(p, "SpecValid") == "True" &&
               p.value("/status/currentVersion"_json_pointer, std::string()) == "v2.73.2";
      },
      45s, "migrated to v2.73.2 with an allowed image");
  EXPECT_FALSE(childWrites(h).empty());
}

}  // namespace
}  // namespace pmo::testing
