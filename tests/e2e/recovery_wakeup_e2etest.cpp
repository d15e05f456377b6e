// Recoveries and what they wait for, with the real operator binary: a recovery waiting for
// its password Secret runs within seconds of the Secret appearing (no backoff grown to
// minutes), and recoveries against unreachable databases run off the reconcile workers, so
// other resources are reconciled meanwhile.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "e2e/operator_harness.hpp"
#include "support/eventually.hpp"
#include "support/pg_fixture.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;
namespace res = kube::resources;

std::string recordedRequest(const Json& pm) {
  return pm.value("/status/recoveries/resetGlobalNetworkPolicies/0/requestId"_json_pointer, std::string());
}

Json secret(const std::string& ns, const std::string& name, const std::string& password) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"stringData", {{"DATABASE_PASSWORD", password}}}};
}

Json resetRequest(const Json& database, const std::string& requestId) {
  return {{"version", "v2.72.0"},
          {"database", database},
          {"recovery",
           {{"resetGlobalNetworkPolicies", {{"requestId", requestId}, {"organisations", Json::array({"SpaceX"})}}}}}};
}

TEST(RecoveryWakeupE2E, ARecoveryRunsWithinSecondsOfItsSecretAppearing) {
  ScratchDatabase db("e2e_recovery_wakeup");
  db.exec("INSERT INTO api_organisation (id, name) VALUES ('o1', 'SpaceX');"
          "INSERT INTO api_networkaccesspolicy (id, name, organisation_id, allowed_ips, is_global) VALUES "
          "('p1', 'Office', 'o1', '203.0.113.0/24', true);");
  const std::string password = db.params().password.reveal();
  OperatorHarness h;
  h.installCrdAndPhase(password, db.params().host, db.params().port);
  h.startOperator();
  Json database = scratchDatabaseSpec(db);
  database["passwordSecretRef"] = {{"name", "late-secret"}, {"key", "DATABASE_PASSWORD"}};
  h.applyPhaseMaintenance(resetRequest(database, "late-1"));
  h.waitForPm([](const Json& p) { return conditionReason(p, "DatabaseReachable") == "SecretNotFound"; }, 30s,
              "DatabaseReachable=False SecretNotFound");
  // Long enough for a doubling backoff to have grown past what the check below allows.
  std::this_thread::sleep_for(25s);
  h.client().create(res::kSecrets, "phase", secret("phase", "late-secret", password));
  const auto created = std::chrono::steady_clock::now();
  h.waitForPm([](const Json& p) { return recordedRequest(p) == "late-1"; }, 30s, "the recovery recorded");
  EXPECT_LE(std::chrono::steady_clock::now() - created, 10s) << "the Secret is read again within seconds";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_networkaccesspolicy WHERE NOT is_global"), 1);
  EXPECT_EQ(h.operatorLog().find(password), std::string::npos);
}

// A loopback port that completes the TCP handshake (the kernel does) and then never
// answers: a client waits out its whole connect timeout, as with a dead database host.
class Blackhole {
 public:
  Blackhole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0)
      throw std::runtime_error("Blackhole: cannot listen");
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Blackhole() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(RecoveryWakeupE2E, UnreachableDatabasesDoNotStallAnotherResourcesReconcile) {
  Blackhole dead;
  OperatorHarness h;
  h.installCrd();
  auto pmIn = [&](const std::string& ns, const Json& spec) {
    h.applyAll({{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}});
    h.client().create(res::kSecrets, ns, secret(ns, "phase-console-secret", "not-a-real-password"));
    h.client().create(res::kPhaseMaintenances, ns,
                      {{"apiVersion", "maintenance.phase.dev/v1alpha1"},
                       {"kind", "PhaseMaintenance"},
                       {"metadata", {{"name", "phase"}, {"namespace", ns}}},
                       {"spec", spec}});
  };
  h.startOperator();  // 2 workers, the default
  Json database = demoDatabase("127.0.0.1", dead.port());
  database["sslMode"] = "disable";
  const auto deadCreated = std::chrono::steady_clock::now();
  pmIn("dead-1", resetRequest(database, "r1"));
  pmIn("dead-2", resetRequest(database, "r2"));
  // Both recoveries are connecting now (each attempt waits out a 5 s connect timeout).
  ASSERT_TRUE(eventually(
      [&] {
        return conditionReason(h.client().get(res::kPhaseMaintenances, "dead-1", "phase"), "DatabaseReachable") != "" &&
               conditionReason(h.client().get(res::kPhaseMaintenances, "dead-2", "phase"), "DatabaseReachable") != "";
      },
      20000ms))
      << h.operatorLog();
  pmIn("live", {{"version", "v2.72.0"}, {"database", demoDatabase()}});
  const auto created = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually(
      [&] {
        return h.client().get(res::kPhaseMaintenances, "live", "phase").value("/status/observedGeneration"_json_pointer,
                                                                              0L) >= 1;
      },
      15000ms))
      << h.operatorLog();
  EXPECT_LE(std::chrono::steady_clock::now() - created, 3s) << "reconciled while the dead databases are tried";
  EXPECT_EQ(conditionReason(h.client().get(res::kPhaseMaintenances, "dead-1", "phase"), "DatabaseReachable"),
            "RecoveryInProgress");
  // The dead databases did hold their attempts for the connect timeouts meanwhile.
  ASSERT_TRUE(eventually(
      [&] {
        return conditionReason(h.client().get(res::kPhaseMaintenances, "dead-1", "phase"), "DatabaseReachable") ==
               "Unreachable";
      },
      30000ms))
      << h.client().get(res::kPhaseMaintenances, "dead-1", "phase").value("status", Json()).dump() << "\n"
      << h.operatorLog();
  EXPECT_GE(std::chrono::steady_clock::now() - deadCreated, 5s) << "each attempt waits out a 5 s connect timeout";
}

}  // namespace
}  // namespace pmo::testing
