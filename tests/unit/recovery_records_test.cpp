// The records a recovery changed: one JSON form each, shared by the database ledger, the
// CLI and status (maintenance/recovery/records.hpp).
#include <gtest/gtest.h>

#include "maintenance/recovery/records.hpp"

namespace pmo::maintenance {
namespace {

using Json = nlohmann::json;

TEST(RecoveryRecords, APolicyOfAnOlderOperatorRoundTripsUnchanged) {
  const Json older = Json::parse(R"({"id":"p1","name":"office","organisationId":"o1","updatedAt":"t"})");
  const auto p = older.get<NetworkPolicy>();
  EXPECT_EQ(p.organisationName, "");
  EXPECT_EQ(Json(p), older);
  NetworkPolicy named = p;
  named.organisationName = "SpaceX";
  EXPECT_EQ(Json(named).dump(),
            R"({"id":"p1","name":"office","organisationId":"o1","organisationName":"SpaceX","updatedAt":"t"})");
  EXPECT_EQ(Json(named).get<NetworkPolicy>().organisationName, "SpaceX");
}

TEST(RecoveryRecords, SkippedPoliciesAndSsoStatesReadBackAsWritten) {
  SkippedPolicy skipped;
  skipped.id = "p2";
  skipped.name = "vpn";
  skipped.reason = "deleted";
  EXPECT_EQ(Json(skipped).dump(), R"({"id":"p2","name":"vpn","reason":"deleted"})");
  EXPECT_EQ(Json(skipped).get<SkippedPolicy>().reason, "deleted");

  OrganisationSsoState org;
  org.id = "o1";
  org.name = "SpaceX";
  org.requireSso = true;
  SsoProviderState google;
  google.id = "prov-1";
  google.providerType = "google";
  google.name = "Google";
  google.enabled = true;
  org.providers.push_back(google);
  EXPECT_EQ(Json(org).dump(), R"({"id":"o1","name":"SpaceX","providers":[{"enabled":true,"id":"prov-1",)"
                              R"("name":"Google","providerType":"google"}],"requireSso":true})");
  const auto back = Json(org).get<OrganisationSsoState>();
  EXPECT_EQ(Json(back), Json(org));
  EXPECT_EQ(toStatusJson(org).dump(),
            R"({"organisation":"SpaceX","providers":[{"enabled":true,"id":"prov-1","providerType":"google"}],)"
            R"("requireSso":true})");
}

TEST(RecoveryRecords, AnIncompleteLedgerRecordIsAnError) {
  EXPECT_THROW(Json::parse(R"({"id":"p2","name":"vpn"})").get<SkippedPolicy>(), nlohmann::json::exception);
  EXPECT_THROW(Json::parse(R"({"id":"o1","name":"x","requireSso":"yes","providers":[]})").get<OrganisationSsoState>(),
               nlohmann::json::exception);
}

}  // namespace
}  // namespace pmo::maintenance
