// Two operator replicas with leader election against a sandbox that turns slow for the
// leader's Lease renewals: the leader must stop writing before the follower may take over,
// so that no two replicas write in the same second (the sandbox's request log tells them
// apart: each runs as its own ServiceAccount).
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "e2e/operator_harness.hpp"
#include "e2e/replicas_harness.hpp"
#include "support/eventually.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

long secondOf(const sandbox::RequestRecord& q) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(q.at.time_since_epoch()).count());
}

std::string describe(const std::vector<sandbox::RequestRecord>& writes) {
  std::string out;
  for (const auto& q : writes)
    out += std::to_string(secondOf(q) % 1000) + " " + q.verb + " " + q.resource + " " + q.name + "\n";
  return out;
}

bool led(OperatorHarness& h, int index) { return h.operatorLog(index).find("became the leader") != std::string::npos; }

TEST(LeaderElectionE2E, ALeaderWhoseRenewalsHangStopsWritingBeforeTheOtherTakesOver) {
  OperatorHarness h;
  h.installCrdAndPhase();
  const Replica a = primaryReplica(h);
  const Replica b = addReplicaAccount(h, "phase-maintenance-operator-b");
  startReplica(h, a, 0, {"--leader-elect"});
  ASSERT_TRUE(eventually([&] { return led(h, 0); }, 20000ms)) << h.operatorLog(0);
  startReplica(h, b, 1, {"--leader-elect"});
  Json spec = {{"version", "v2.72.0"}, {"database", demoDatabase()}, {"migrations", {{"backoffLimit", 2}}}};
  h.applyPhaseMaintenance(spec);
  h.waitForPm([](const Json& p) { return conditionStatus(p, "Ready") == "True"; }, 60s, "Ready");

  // The API server turns slow for a's Lease updates only: 25 s, longer than the lease.
  h.sandbox().controls().setResponseDelayFor(a.user, "update", "leases", 25s);
  // Meanwhile the resource keeps changing, so whoever believes it leads has writes to make.
  const auto until = std::chrono::steady_clock::now() + 45s;
  int n = 0;
  while (std::chrono::steady_clock::now() < until && !led(h, 1)) {
    spec["migrations"]["backoffLimit"] = 2 + (++n % 2);
    h.applyPhaseMaintenance(spec);
    std::this_thread::sleep_for(700ms);
  }
  ASSERT_TRUE(led(h, 1)) << "b took over\n" << h.operatorLog(1);
  for (int i = 0; i < 6; ++i) {  // b has writes to make too
    spec["migrations"]["backoffLimit"] = 2 + (++n % 2);
    h.applyPhaseMaintenance(spec);
    std::this_thread::sleep_for(700ms);
  }
  const long generation = h.phaseMaintenance()["metadata"].value("generation", 0L);
  h.waitForPm([&](const Json& p) { return p.value("/status/observedGeneration"_json_pointer, 0L) == generation; }, 30s,
              "b reconciles the last change");
  h.sandbox().controls().setResponseDelayFor(a.user, "update", "leases", 0ms);

  const auto log = h.sandbox().controls().requests();
  const auto writesA = writesOf(log, a.user), writesB = writesOf(log, b.user);
  ASSERT_FALSE(writesA.empty());
  ASSERT_FALSE(writesB.empty()) << "b wrote once it led";
  std::set<long> secondsA;
  for (const auto& q : writesA) secondsA.insert(secondOf(q));
  for (const auto& q : writesB)
    EXPECT_EQ(secondsA.count(secondOf(q)), 0u) << "a and b both wrote in one second\na:\n"
                                                 << describe(writesA) << "b:\n" << describe(writesB);
  EXPECT_LT(writesA.back().at, writesB.front().at) << "a's last write precedes b's first";
  EXPECT_NE(h.operatorLog(0).find("lost the leader lease"), std::string::npos) << h.operatorLog(0);
}

}  // namespace
}  // namespace pmo::testing
