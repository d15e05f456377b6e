// The real operator binary against the sandbox and a real PostgreSQL: break-glass
// recoveries are carried out once, survive a lost status write, and leak no password.
#include <gtest/gtest.h>

#include "e2e/operator_harness.hpp"
#include "support/pg_fixture.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;

const char* kOrgs = R"SQL(
INSERT INTO api_organisation (id, name) VALUES ('o1', 'SpaceX'), ('o2', 'Acme');
INSERT INTO api_networkaccesspolicy (id, name, organisation_id, allowed_ips, is_global) VALUES
  ('p1', 'Office', 'o1', '203.0.113.0/24', true),
  ('p2', 'VPN', 'o1', '198.51.100.7/32', true),
  ('p3', 'HQ', 'o2', '192.0.2.0/24', true);
)SQL";

Json specFor(const ScratchDatabase& db, const std::string& requestId) {
  return {{"version", "v2.72.0"},
          {"database", scratchDatabaseSpec(db)},
          {"recovery",
           {{"resetGlobalNetworkPolicies", {{"requestId", requestId}, {"organisations", Json::array({"SpaceX"})}}}}}};
}

std::string recordedRequest(const Json& pm) {
  return pm.value("/status/recoveries/resetGlobalNetworkPolicies/0/requestId"_json_pointer, std::string());
}

TEST(RecoveryE2E, ARequestIsCarriedOutOnceEvenAfterALostStatusWrite) {
  ScratchDatabase db("e2e_recovery");
  db.exec(kOrgs);
  const std::string password = db.params().password.reveal();
  OperatorHarness h;
  h.installCrdAndPhase(password, db.params().host, db.params().port);
  h.startOperator();
  h.applyPhaseMaintenance(specFor(db, "lockout-1"));
  Json pm = h.waitForPm([](const Json& p) { return recordedRequest(p) == "lockout-1"; }, 60s, "the recovery record");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_networkaccesspolicy WHERE NOT is_global AND organisation_id = 'o1'"), 2);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_networkaccesspolicy WHERE is_global AND organisation_id = 'o2'"), 1);
  EXPECT_EQ(pm.value("/status/recoveries/resetGlobalNetworkPolicies/0/rowsChanged"_json_pointer, -1), 2);
  bool event = false;
  for (const auto& e : h.events()) event = event || e.value("reason", "") == "RecoveryApplied";
  EXPECT_TRUE(event);

  // The operator dies right after the commit, before its status write: simulate it by
  // erasing the record and making one policy global again by hand. The restarted
  // operator must find the request in the ledger and change nothing.
  h.killOperator();
  db.exec("UPDATE api_networkaccesspolicy SET is_global = true WHERE id = 'p1'");
  pm = h.phaseMaintenance();
  pm["status"].erase("recoveries");
  h.client().updateStatus(kube::resources::kPhaseMaintenances, "phase", pm);
  h.startOperator();
  pm = h.waitForPm([](const Json& p) { return recordedRequest(p) == "lockout-1"; }, 60s, "the record restored");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_networkaccesspolicy WHERE is_global AND id = 'p1'"), 1)
      << "a handled requestId must never be applied again";
  EXPECT_EQ(db.scalar("SELECT count(*) FROM phase_maintenance_operator_recoveries"), 1);

  // No password anywhere a person or a tool can read.
  EXPECT_EQ(h.operatorLog().find(password), std::string::npos);
  EXPECT_EQ(pm.dump().find(password), std::string::npos);
  for (const auto& e : h.events()) EXPECT_EQ(e.dump().find(password), std::string::npos);
}

TEST(RecoveryE2E, AnUnknownOrganisationRejectsTheRequestAndChangesNothing) {
  ScratchDatabase db("e2e_recovery_unknown");
  db.exec(kOrgs);
  OperatorHarness h;
  h.installCrdAndPhase(db.params().password.reveal(), db.params().host, db.params().port);
  h.startOperator();
  Json spec = specFor(db, "r-unknown");
  spec["recovery"]["resetGlobalNetworkPolicies"]["organisations"] = Json::array({"SpaceX", "Nope'; DROP TABLE x;--"});
  h.applyPhaseMaintenance(spec);
  const Json pm = h.waitForPm([](const Json& p) { return recordedRequest(p) == "r-unknown"; }, 60s, "the rejection");
  EXPECT_EQ(conditionReason(pm, "RecoveryApplied"), "RecoveryRejected");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_networkaccesspolicy WHERE NOT is_global"), 0);
}

TEST(RecoveryE2E, AWrongPasswordSaysDatabaseUnreachableWithoutThePassword) {
  ScratchDatabase db("e2e_recovery_auth");
  db.exec(kOrgs);
  const std::string wrong = "wrong-password-7f3a9c";
  OperatorHarness h;
  h.installCrdAndPhase(wrong, db.params().host, db.params().port);
  h.startOperator();
  h.applyPhaseMaintenance(specFor(db, "r-auth"));
  const Json pm = h.waitForPm([](const Json& p) { return conditionStatus(p, "DatabaseReachable") == "False"; }, 60s,
                              "DatabaseReachable=False");
  EXPECT_EQ(pm.dump().find(wrong), std::string::npos);
  EXPECT_EQ(h.operatorLog().find(wrong), std::string::npos);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM api_networkaccesspolicy WHERE NOT is_global"), 0);
}

}  // namespace
}  // namespace pmo::testing
