// Break-glass decisions: once per requestId, restores when due, bounded audit trail.
#include <gtest/gtest.h>

#include "maintenance/recovery/planner.hpp"

namespace pmo::maintenance {
namespace {

TimePoint at(const char* t) { return parseTime(t).value(); }

Observed observed() {
  Observed in;
  in.object = {{"metadata", {{"name", "phase"}, {"namespace", "phase-ns"}, {"uid", "uid-pm"}, {"generation", 2}}},
               {"status", Json::object()}};
  in.now = at("2026-11-25T20:00:00Z");
  return in;
}

// A policy changed at the reset's time, its fields named (never positional).
NetworkPolicy policy(const std::string& id, const std::string& name, const std::string& orgId,
                     const std::string& orgName) {
  NetworkPolicy p;
  p.id = id;
  p.name = name;
  p.organisationId = orgId;
  p.organisationName = orgName;
  p.updatedAt = "2026-11-25T20:00:00.123456Z";
  return p;
}

SsoProviderState provider(const std::string& id, const std::string& type, bool enabled) {
  SsoProviderState p;
  p.id = id;
  p.providerType = type;
  p.name = type + " sign-in";
  p.enabled = enabled;
  return p;
}

OrganisationSsoState ssoBefore(const std::string& name, bool requireSso, std::vector<SsoProviderState> providers = {}) {
  OrganisationSsoState o;
  o.id = "id-" + name;
  o.name = name;
  o.requireSso = requireSso;
  o.providers = std::move(providers);
  return o;
}

NetworkResetRecord reset(const std::string& id, const std::string& restoreAfter = "") {
  NetworkResetRecord r;
  r.requestId = id;
  r.appliedAt = "2026-11-25T20:00:00.123456Z";
  r.organisations = {"SpaceX"};
  for (const auto& [id, name] : {std::pair{"p1", "office"}, std::pair{"p2", "vpn"}, std::pair{"p3", "ci"}})
    r.policies.push_back(policy(id, name, "org-1", "SpaceX"));
  r.restoreAfter = restoreAfter;
  if (!restoreAfter.empty()) r.restoreAfterDuration = std::chrono::hours(2);
  return r;
}

TEST(RecoveryPlanner, ANewRequestIdIsRun) {
  Observed in = observed();
  in.spec.recovery.resetGlobalNetworkPolicies = ResetNetworkPoliciesRequest{"r-42", {"SpaceX"}, "2h"};
  in.spec.recovery.disableSSOEnforcement = DisableSSORequest{"s-1", {"SpaceX"}, true};
  const RecoveryDecision d = planRecovery(in);
  ASSERT_EQ(d.run.size(), 2u);
  EXPECT_EQ(d.run[0].action, RecoveryAction::ResetNetworkPolicies);
  EXPECT_EQ(d.run[0].requestId, "r-42");
  EXPECT_EQ(d.run[0].organisations, std::vector<std::string>{"SpaceX"});
  EXPECT_EQ(d.run[0].restoreAfter, std::chrono::milliseconds(std::chrono::hours(2)));
  EXPECT_EQ(d.run[1].action, RecoveryAction::DisableSSO);
  EXPECT_TRUE(d.run[1].disableProviders);
  EXPECT_TRUE(d.restore.empty());
}

TEST(RecoveryPlanner, NoRequestIdNoRun) {
  Observed in = observed();
  in.spec.recovery.resetGlobalNetworkPolicies = ResetNetworkPoliciesRequest{"", {}, ""};
  EXPECT_TRUE(planRecovery(in).empty());
}

TEST(RecoveryPlanner, ARecordedRequestIsNeverDecidedAgain) {
  Observed in = observed();
  in.spec.recovery.resetGlobalNetworkPolicies = ResetNetworkPoliciesRequest{"r-42", {"SpaceX"}, ""};
  in.spec.recovery.disableSSOEnforcement = DisableSSORequest{"s-1", {"SpaceX"}, false};
  Json status = Json::object();
  recordNetworkReset(status, reset("r-42"), 2, in.now);
  SsoDisableRecord sso{"s-1", "2026-11-25T20:00:01Z", {"SpaceX"}, false, 1, {ssoBefore("SpaceX", true)}};
  recordSSODisable(status, sso, 2, in.now);
  in.object["status"] = status;
  const RecoveryDecision d = planRecovery(in);
  EXPECT_TRUE(d.empty());
  EXPECT_FALSE(d.requeueAfter);
}

TEST(RecoveryPlanner, RecordsTheResetWithAMessageConditionAndEvent) {
  Json status = Json::object();
  const Action ev = recordNetworkReset(status, reset("r-42", "2h"), 2, at("2026-11-25T20:00:01Z"));
  const Json& e = status["recoveries"]["resetGlobalNetworkPolicies"][0];
  EXPECT_EQ(e["requestId"], "r-42");
  EXPECT_EQ(e["rowsChanged"], 3);
  EXPECT_EQ(e["organisations"], Json::array({"SpaceX"}));
  EXPECT_EQ(e["policies"][0]["updatedAt"], "2026-11-25T20:00:00.123456Z");
  EXPECT_EQ(e["restoreAt"], "2026-11-25T22:00:00Z");
  EXPECT_EQ(e["restoreAfter"], "2h");
  const std::string msg = e["message"];
  EXPECT_EQ(msg.rfind("request r-42: 3 global network access policies made non-global in SpaceX", 0), 0u) << msg;
  EXPECT_EQ(ev.kind, Action::Kind::Event);
  EXPECT_EQ(ev.reason, recovery_reasons::kApplied);
  EXPECT_EQ(ev.message, msg);
  const auto c = getCondition(status, conditions::kRecovered);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, "True");
  EXPECT_EQ(c->message, msg);
}

TEST(RecoveryPlanner, RestoresWhenDueAndRequeuesUntilThen) {
  Observed in = observed();
  Json status = Json::object();
  recordNetworkReset(status, reset("r-42", "2h"), 2, in.now);
  in.object["status"] = status;

  in.now = at("2026-11-25T21:30:00Z");
  RecoveryDecision d = planRecovery(in);
  EXPECT_TRUE(d.restore.empty());
  EXPECT_EQ(d.requeueAfter, std::chrono::milliseconds(std::chrono::minutes(30)));

  in.now = at("2026-11-25T22:00:00Z");
  d = planRecovery(in);
  ASSERT_EQ(d.restore.size(), 1u);
  EXPECT_EQ(d.restore[0].requestId, "r-42");
  ASSERT_EQ(d.restore[0].policies.size(), 3u);
  EXPECT_EQ(d.restore[0].policies[1].id, "p2");
  EXPECT_EQ(d.restore[0].policies[1].updatedAt, "2026-11-25T20:00:00.123456Z");
}

// A reset of every organisation of a large instance: status keeps the count and the first
// kMaxRecordedPolicies policies, and names the ledger key that holds them all; a restore
// that skipped many keeps the first ones and the count. The entry stays a few kilobytes.
TEST(RecoveryPlanner, ALargeResetKeepsCountsAndTheFirstPoliciesInStatus) {
  Observed in = observed();
  NetworkResetRecord r = reset("all-1", "2h");
  r.organisations = {};
  r.ledgerKey = "phase-ns/phase/resetGlobalNetworkPolicies/all-1";
  r.policies.clear();
  for (int i = 0; i < 5000; ++i)
    r.policies.push_back(policy("policy-" + std::to_string(i), "name-" + std::to_string(i),
                                "org-" + std::to_string(i / 3), "Organisation " + std::to_string(i / 3)));
  Json status = Json::object();
  const Action ev = recordNetworkReset(status, r, 2, in.now);
  const Json& e = status["recoveries"]["resetGlobalNetworkPolicies"][0];
  EXPECT_EQ(e["rowsChanged"], 5000);
  ASSERT_EQ(e["policies"].size(), kMaxRecordedPolicies);
  EXPECT_EQ(e["policies"][0]["id"], "policy-0");
  EXPECT_EQ(e["policies"][kMaxRecordedPolicies - 1]["id"], "policy-" + std::to_string(kMaxRecordedPolicies - 1));
  EXPECT_EQ(e["ledgerKey"], r.ledgerKey);
  EXPECT_NE(ev.message.find("reset-network-policies --show phase-ns/phase/resetGlobalNetworkPolicies/all-1"),
            std::string::npos)
      << ev.message;

  std::vector<SkippedPolicy> skipped;
  for (int i = 0; i < 4000; ++i) skipped.push_back({"policy-" + std::to_string(i), "n", "edited since 2026-11-25T21:00:00Z"});
  const Action restored = recordNetworkRestore(status, {"all-1", "2026-11-25T22:00:03Z", {"policy-4999"}, skipped}, 2,
                                               at("2026-11-25T22:00:03Z"));
  const Json& after = status["recoveries"]["resetGlobalNetworkPolicies"][0];
  EXPECT_EQ(after["skippedCount"], 4000);
  EXPECT_EQ(after["skipped"].size(), kMaxRecordedPolicies);
  EXPECT_EQ(after["rowsChanged"], 5000);
  EXPECT_NE(restored.message.find("and 3980 more"), std::string::npos) << restored.message;
  EXPECT_LT(restored.message.size(), 2048u);
  EXPECT_LT(status.dump().size(), 16u * 1024) << "the whole recovery status of a 5,000-policy reset";

  // The restore is still decided from the bounded entry (the database reads the full list).
  in.object["status"] = status;
  status["recoveries"]["resetGlobalNetworkPolicies"][0].erase("restoredAt");
  in.object["status"] = status;
  in.now = at("2026-11-25T23:00:00Z");
  const RecoveryDecision d = planRecovery(in);
  ASSERT_EQ(d.restore.size(), 1u);
  EXPECT_EQ(d.restore[0].requestId, "all-1");
}

TEST(RecoveryPlanner, ARecordedRestoreEndsIt) {
  Observed in = observed();
  Json status = Json::object();
  recordNetworkReset(status, reset("r-42", "2h"), 2, in.now);
  const Action ev = recordNetworkRestore(status, {"r-42", "2026-11-25T22:00:03Z", {"p1", "p3"}, {{"p2", "vpn", "edited since 2026-11-25T21:00:00Z"}}}, 2,
                                         at("2026-11-25T22:00:03Z"));
  const Json& e = status["recoveries"]["resetGlobalNetworkPolicies"][0];
  EXPECT_EQ(e["restoredAt"], "2026-11-25T22:00:03Z");
  EXPECT_EQ(e["restored"], 2);
  EXPECT_EQ(e["skipped"][0]["id"], "p2");
  EXPECT_EQ(e["skipped"][0]["reason"], "edited since 2026-11-25T21:00:00Z");
  EXPECT_EQ(e["result"], "Applied");
  EXPECT_EQ(e["rowsChanged"], 3);  // the reset's record is kept
  EXPECT_EQ(ev.reason, recovery_reasons::kRestored);
  EXPECT_NE(ev.message.find("2 network access policies made global again, 1 skipped"), std::string::npos) << ev.message;
  EXPECT_EQ(status["recoveries"]["resetGlobalNetworkPolicies"].size(), 1u);
  in.object["status"] = status;
  in.now = at("2026-11-26T00:00:00Z");
  const RecoveryDecision d = planRecovery(in);
  EXPECT_TRUE(d.empty());
  EXPECT_FALSE(d.requeueAfter);
}

TEST(RecoveryPlanner, NothingChangedMeansNothingToRestore) {
  Observed in = observed();
  NetworkResetRecord r = reset("r-0", "2h");
  r.policies.clear();
  Json status = Json::object();
  recordNetworkReset(status, r, 2, in.now);
  EXPECT_FALSE(status["recoveries"]["resetGlobalNetworkPolicies"][0].contains("restoreAt"));
  in.object["status"] = status;
  in.now += std::chrono::hours(3);
  EXPECT_TRUE(planRecovery(in).empty());
}

TEST(RecoveryPlanner, ListsAreNewestFirstAndCappedButKeepAPendingRestore) {
  Json status = Json::object();
  TimePoint now = at("2026-11-25T20:00:00Z");
  recordNetworkReset(status, reset("pending", "2h"), 2, now);
  for (int i = 0; i < 14; ++i) recordNetworkReset(status, reset("r-" + std::to_string(i)), 2, now);
  const Json& list = status["recoveries"]["resetGlobalNetworkPolicies"];
  ASSERT_EQ(list.size(), kMaxRecoveryRecords);
  EXPECT_EQ(list[0]["requestId"], "r-13");
  EXPECT_EQ(list[kMaxRecoveryRecords - 1]["requestId"], "pending");
  EXPECT_EQ(list[kMaxRecoveryRecords - 2]["requestId"], "r-5");

  Json sso = Json::object();
  for (int i = 0; i < 12; ++i)
    recordSSODisable(sso, {"s-" + std::to_string(i), "t", {"SpaceX"}, false, 0, {}}, 2, now);
  EXPECT_EQ(sso["recoveries"]["disableSSOEnforcement"].size(), kMaxRecoveryRecords);
  EXPECT_EQ(sso["recoveries"]["disableSSOEnforcement"][0]["requestId"], "s-11");
}

TEST(RecoveryPlanner, RecordingTheSameRequestTwiceKeepsOneEntry) {
  Json status = Json::object();
  recordNetworkReset(status, reset("r-42"), 2, at("2026-11-25T20:00:00Z"));
  recordNetworkReset(status, reset("r-42"), 2, at("2026-11-25T20:00:05Z"));  // alreadyApplied from the ledger
  EXPECT_EQ(status["recoveries"]["resetGlobalNetworkPolicies"].size(), 1u);
}

TEST(RecoveryPlanner, AnUnknownOrganisationIsRejectedOnceAndNotRetried) {
  Observed in = observed();
  in.spec.recovery.resetGlobalNetworkPolicies = ResetNetworkPoliciesRequest{"r-9", {"Nope"}, ""};
  Json status = Json::object();
  setCondition(status, {conditions::kDatabaseReachable, "True", "Connected", "ok"}, 2, in.now);
  ASSERT_EQ(planRecovery(in).run.size(), 1u);
  const Action ev = recordRejection(
      status, {RecoveryAction::ResetNetworkPolicies, "r-9", {"Nope"}, "unknown organisation \"Nope\""}, 2, in.now);
  EXPECT_EQ(ev.reason, recovery_reasons::kRejected);
  EXPECT_EQ(ev.eventType, "Warning");
  const auto c = getCondition(status, conditions::kRecovered);
  EXPECT_EQ(c->status, "False");
  EXPECT_EQ(c->reason, recovery_reasons::kRejected);
  EXPECT_NE(c->message.find("unknown organisation \"Nope\""), std::string::npos);
  EXPECT_EQ(getCondition(status, conditions::kDatabaseReachable)->status, "True");
  const Json& e = status["recoveries"]["resetGlobalNetworkPolicies"][0];
  EXPECT_EQ(e["rowsChanged"], 0);
  EXPECT_EQ(e["result"], "Rejected");
  EXPECT_EQ(e["message"].get<std::string>().rfind("rejected:", 0), 0u);
  in.object["status"] = status;
  EXPECT_TRUE(planRecovery(in).empty());
}

TEST(RecoveryPlanner, AnUnparseableRestoreAfterOrNoSsoOrganisationIsRejectedBeforeAnyWork) {
  Observed in = observed();
  in.spec.recovery.resetGlobalNetworkPolicies = ResetNetworkPoliciesRequest{"r-1", {}, "soon"};
  in.spec.recovery.disableSSOEnforcement = DisableSSORequest{"s-1", {}, false};
  const RecoveryDecision d = planRecovery(in);
  EXPECT_TRUE(d.run.empty());
  ASSERT_EQ(d.rejected.size(), 2u);
  EXPECT_NE(d.rejected[0].reason.find("restoreAfter \"soon\""), std::string::npos);
  EXPECT_EQ(d.rejected[1].action, RecoveryAction::DisableSSO);
}

// Issue 14: restoreAfter was accepted up to Go's 292 years and overflowed now + restoreAfter.
TEST(RecoveryPlanner, RestoreAfterIsBetweenAMomentAndThirtyDays) {
  for (const std::string text : {"2562047h", "721h", "0s", "0.1ns"}) {
    Observed in = observed();
    in.spec.recovery.resetGlobalNetworkPolicies = ResetNetworkPoliciesRequest{"r-1", {}, text};
    const RecoveryDecision d = planRecovery(in);
    EXPECT_TRUE(d.run.empty()) << text;
    ASSERT_EQ(d.rejected.size(), 1u) << text;
    EXPECT_NE(d.rejected[0].reason.find("restoreAfter \"" + text + "\""), std::string::npos) << d.rejected[0].reason;
  }
  for (const std::string text : {"720h", "250000us", "1h30m"}) {
    Observed in = observed();
    in.spec.recovery.resetGlobalNetworkPolicies = ResetNetworkPoliciesRequest{"r-1", {}, text};
    const RecoveryDecision d = planRecovery(in);
    ASSERT_EQ(d.run.size(), 1u) << text;
    ASSERT_TRUE(d.run[0].restoreAfter.has_value()) << text;
    EXPECT_GT(d.run[0].restoreAfter->count(), 0) << text;
  }
}

TEST(RecoveryPlanner, TheSsoRecordKeepsTheStateBefore) {
  Json status = Json::object();
  SsoDisableRecord r{"s-7", "2026-11-25T20:00:00Z", {"SpaceX", "Acme"}, true, 3,
                     {ssoBefore("SpaceX", true, {provider("prov-1", "google", true), provider("prov-2", "okta", true)}),
                      ssoBefore("Acme", false)}};
  const Action ev = recordSSODisable(status, r, 2, at("2026-11-25T20:00:00Z"));
  const Json& e = status["recoveries"]["disableSSOEnforcement"][0];
  EXPECT_EQ(e["rowsChanged"], 3);
  EXPECT_EQ(e["disableProviders"], true);
  EXPECT_EQ(e["before"][0]["organisation"], "SpaceX");
  EXPECT_EQ(e["before"][0]["requireSso"], true);
  EXPECT_EQ(e["before"][0]["providers"][1]["providerType"], "okta");
  EXPECT_EQ(e["before"][0]["providers"][1]["enabled"], true);
  EXPECT_EQ(e["before"][1].dump(), R"({"organisation":"Acme","providers":[],"requireSso":false})")
      << "status keeps names and settings; ids of organisations and provider names stay in the ledger";
  EXPECT_EQ(e["before"][0]["providers"][0].dump(), R"({"enabled":true,"id":"prov-1","providerType":"google"})");
  EXPECT_EQ(ev.message, "request s-7: SSO enforcement lifted in SpaceX, 2 SSO providers disabled (kept, can be "
                        "re-enabled); Phase may ask for SSO for up to 60 s more (its cached decision)");
  EXPECT_EQ(getCondition(status, conditions::kRecovered)->reason, recovery_reasons::kSSOEnforcementDisabled);
}

}  // namespace
}  // namespace pmo::maintenance
