// Issue 12, item 2: a child write the API server refuses for good reaches status with the
// server's own words, in the condition it belongs to, with one Warning Event, and the
// operator retries with backoff until the cause is gone.
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/operator_harness.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;

std::string conditionMessage(const Json& pm, const std::string& type) {
  for (const auto& c : pm.value("/status/conditions"_json_pointer, Json::array()))
    if (c.value("type", "") == type) return c.value("message", "");
  return "";
}

TEST(RefusedWritesE2E, ARefusedCronJobReachesStatusOnceAndHealsWhenAccepted) {
  OperatorHarness h;
  h.installCrdAndPhase();
  // Every CronJob create is refused with 422, as kube-apiserver answers an invalid one.
  h.sandbox().controls().failNextRequestsTo("create", "cronjobs", 1000, 422, "Invalid");
  h.startOperator();
  const Json rules = {{"purge", Json::array({{{"organisation", "SpaceX"}, {"retainDays", 90}, {"schedule", "0 3 * * *"}}})}};
  h.applyPhaseMaintenance({{"version", "v2.72.0"}, {"database", demoDatabase()}, {"auditLogs", rules}});
  Json pm = h.waitForPm([](const Json& p) { return conditionReason(p, "AuditLogMaintenanceScheduled") == "WriteRefused"; },
                        60s, "the refusal in status");
  const std::string message = conditionMessage(pm, "AuditLogMaintenanceScheduled");
  EXPECT_NE(message.find("the API server refused create cronjobs/"), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 422"), std::string::npos) << message;
  EXPECT_NE(message.find("injected failure (Invalid)"), std::string::npos) << message;
  EXPECT_EQ(conditionStatus(pm, "AuditLogMaintenanceScheduled"), "False");
  EXPECT_EQ(conditionStatus(pm, "Ready"), "False");

  // Retried with the controller's exponential backoff, not hot: the gaps between attempts
  // grow (5 ms doubling, capped at minutes), and one Warning Event says it.
  std::this_thread::sleep_for(4s);
  // Attempts closer than 20 ms count as one burst: the adoption's rollout (the schema gate)
  // sends Deployment events, and each wakes the key at once, as in client-go. The backoff is
  // judged between bursts; those event passes do not lengthen it (runtime/work_queue.hpp).
  std::vector<std::chrono::system_clock::time_point> attempts;
  for (const auto& q : h.sandbox().controls().requests())
    if (q.verb == "create" && q.resource == "cronjobs" && (attempts.empty() || q.at - attempts.back() >= 20ms))
      attempts.push_back(q.at);
  ASSERT_GE(attempts.size(), 3u);
  EXPECT_LE(attempts.size(), 16u) << "retried hot";
  const auto firstGap = attempts[2] - attempts[1];
  const auto lastGap = attempts.back() - attempts[attempts.size() - 2];
  std::string gaps;
  for (std::size_t i = 1; i < attempts.size(); ++i)
    gaps += std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(attempts[i] - attempts[i - 1]).count()) + "ms ";
  EXPECT_GE(lastGap, 100ms) << "the backoff did not grow: " << gaps;
  EXPECT_GT(lastGap, 4 * firstGap) << "the backoff did not grow: " << gaps;
  int warnings = 0;
  for (const auto& e : h.events())
    if (e.value("reason", "") == "WriteRefused") warnings += e.value("count", 1);
  EXPECT_EQ(warnings, 1);

  // The cause is gone: the next attempt creates the CronJob and the condition heals. The
  // retry is due within the backoff of the few retries made so far (seconds), not at the
  // cap that counting every event pass's failure reached (up to 1000 s).
  h.sandbox().controls().failNextRequests(0, 500, "InternalError");
  pm = h.waitForPm([](const Json& p) { return conditionStatus(p, "AuditLogMaintenanceScheduled") == "True"; }, 20s,
                   "the CronJob created after the refusal ended");
  EXPECT_EQ(conditionStatus(pm, "Ready"), "True");
}

}  // namespace
}  // namespace pmo::testing
