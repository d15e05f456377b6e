// Start-up of the real operator binary: a blip of the API server is waited out, a refusal
// no retry can fix ends the process with the reason.
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "e2e/operator_harness.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;

TEST(StartupE2E, ABlipOfTheApiServerAtStartIsWaitedOutNotAnExit) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.applyPhaseMaintenance({{"database", demoDatabase()}});
  h.installOperatorRbac();  // before the blip: the failures are the operator's
  // /version answers 500 and 503 before it answers: in a cluster an exit here would be
  // CrashLoopBackOff. (A 429 is retried by the client itself, after Retry-After.)
  h.sandbox().controls().failNextRequests(6, 503, "ServiceUnavailable");
  h.startOperator();
  const Json pm = h.waitForPm([](const Json& p) { return conditionStatus(p, "Ready") == "True"; }, 60s,
                              "Ready after a start-up blip");
  EXPECT_EQ(conditionStatus(pm, "Ready"), "True");
  const std::string log = h.operatorLog();
  EXPECT_NE(log.find("cannot reach the Kubernetes API server; retrying"), std::string::npos) << log;
  EXPECT_EQ(h.stopOperator(), 0);
}

TEST(StartupE2E, AWrongTokenEndsTheProcessNamingTheRefusal) {
  OperatorHarness h;
  std::ifstream in(h.kubeconfig());
  std::string kubeconfig((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string tokenKey = "token: ";
  const size_t at = kubeconfig.find(tokenKey);
  ASSERT_NE(at, std::string::npos) << kubeconfig;
  const size_t end = kubeconfig.find('\n', at);
  kubeconfig.replace(at + tokenKey.size(), end - at - tokenKey.size(), "not-the-token");
  const std::string wrong = h.dir() + "/wrong-token.kubeconfig";
  std::ofstream(wrong) << kubeconfig;

  h.startOperatorWith({"run", "--kubeconfig", wrong, "--metrics-bind-address", "0", "--operator-image", "op:test"}, {});
  int code = -1;
  for (int i = 0; i < 100 && code < 0; ++i) {
    std::this_thread::sleep_for(100ms);
    const std::string log = h.operatorLog();
    if (log.find("refused the operator") != std::string::npos) code = h.stopOperator();
  }
  const std::string log = h.operatorLog();
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("refused the operator"), std::string::npos) << log;
  EXPECT_NE(log.find("Unauthorized"), std::string::npos) << log;
  EXPECT_EQ(log.find("not-the-token"), std::string::npos) << "the token must never be printed: " << log;
}

}  // namespace
}  // namespace pmo::testing
