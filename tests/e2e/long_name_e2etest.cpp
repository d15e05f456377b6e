// Issue 12, item 6: a PhaseMaintenance whose name is 253 characters (the limit of a DNS
// subdomain) is served like any other: its Events are created (their names bounded), its
// children carry a valid, hashed owner label, and their changes wake it through the
// operator's index (the migration completes without waiting for a periodic resync).
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "e2e/operator_harness.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;
namespace res = kube::resources;

TEST(LongNameE2E, A253CharacterNameMigratesWithEventsAndValidLabels) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.startOperator();
  const std::string name = std::string(120, 'p') + "." + std::string(132, 'q');
  ASSERT_EQ(name.size(), 253u);
  h.client().create(res::kPhaseMaintenances, "phase",
                    {{"apiVersion", "maintenance.phase.dev/v1alpha1"},
                     {"kind", "PhaseMaintenance"},
                     {"metadata", {{"name", name}, {"namespace", "phase"}}},
                     {"spec", {{"version", "v2.73.2"}, {"database", demoDatabase()}}}});
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  Json pm;
  while (std::chrono::steady_clock::now() < deadline) {
    pm = h.client().get(res::kPhaseMaintenances, "phase", name);
    if (pm.value("/status/currentVersion"_json_pointer, std::string()) == "v2.73.2" &&
        conditionStatus(pm, "Ready") == "True")
      break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(conditionStatus(pm, "Ready"), "True") << pm["status"].dump() << "\n" << h.operatorLog();

  const std::regex labelValue("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
  const auto jobs = h.jobs();
  ASSERT_FALSE(jobs.empty());
  for (const auto& j : jobs) {
    const std::string owner = j["metadata"]["labels"].value("maintenance.phase.dev/owner", "");
    EXPECT_LE(owner.size(), 63u);
    EXPECT_TRUE(std::regex_match(owner, labelValue)) << owner;
    // Not the name cut to 63 characters (which two long names can share): a hash of it.
    EXPECT_NE(owner, name.substr(0, 63));
    EXPECT_TRUE(std::regex_match(owner, std::regex(".*-[0-9a-f]{8}"))) << owner;
  }
  int events = 0;
  for (const auto& e : h.events()) {
    if (e["involvedObject"].value("name", "") != name) continue;
    ++events;
    EXPECT_LE(e["metadata"]["name"].get<std::string>().size(), 253u);
  }
  EXPECT_GT(events, 0) << "no Event about the long-named resource";
}

}  // namespace
}  // namespace pmo::testing
