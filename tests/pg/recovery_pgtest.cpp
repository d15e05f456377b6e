// Network-policy reset and restore against a real PostgreSQL with Phase's schema: exact
// scope, dry runs, unknown organisations, hostile names, the at-most-once ledger
// (repeat, concurrency, rollback) and the microsecond-exact restore.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "db/recovery/recovery.hpp"
#include "pg/recovery_support.hpp"
#include "support/pg_fixture.hpp"
#include "support/process.hpp"

namespace pmo::db {
namespace {

using namespace pmo::testing::recovery;
using pmo::testing::ScratchDatabase;

class NetworkRecoveryPg : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<ScratchDatabase>("recovery");
    conn_ = db_->connect();
    seedRecoveryData(*conn_);
  }
  bool isGlobal(const std::string& id) {
    pqxx::read_transaction tx(*conn_);
    return tx.exec_params1("SELECT count(*) FROM api_networkaccesspolicy WHERE is_global AND id = $1", id)[0].as<int>() == 1;
  }
  void exec(const std::string& sql) {
    pqxx::work tx(*conn_);
    tx.exec0(sql);
    tx.commit();
  }
  std::set<std::string> ids(const std::vector<PolicyChange>& policies) {
    std::set<std::string> out;
    for (const auto& p : policies) out.insert(p.id);
    return out;
  }
  std::unique_ptr<ScratchDatabase> db_;
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(NetworkRecoveryPg, ResetOfAllOrganisationsTurnsOffEveryGlobalPolicyAndNothingElse) {
  const auto before = snapshot(*conn_);
  const NetworkResetResult r = resetGlobalNetworkPolicies(*conn_, RequestKey{}, {}, false);

  EXPECT_TRUE(r.allOrganisations);
  EXPECT_FALSE(r.alreadyApplied);
  EXPECT_EQ(r.count(), 4u);
  EXPECT_EQ(ids(r.policies), (std::set<std::string>{"p-spacex-office", "p-spacex-vpn", "p-hostile-all", "p-unicode-all"}));
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_networkaccesspolicy WHERE is_global"), 0);
  const auto after = snapshot(*conn_);
  EXPECT_EQ(after.at("policy p-spacex-team"), before.at("policy p-spacex-team")) << "a non-global policy is not touched";
  for (const auto& p : r.policies) {
    EXPECT_EQ(p.updatedAt, r.appliedAt) << "updated_at = now() of the transaction, reported exactly";
  }
  EXPECT_FALSE(ledgerExists(*conn_)) << "no request key: no ledger";
}

TEST_F(NetworkRecoveryPg, ResetOfANamedOrganisationWithSqlMetacharactersChangesOnlyItsPolicies) {
  const NetworkResetResult r = resetGlobalNetworkPolicies(*conn_, RequestKey{}, {kHostile}, false);

  ASSERT_EQ(r.count(), 1u);
  EXPECT_EQ(r.policies[0].id, "p-hostile-all");
  EXPECT_EQ(r.policies[0].organisationName, kHostile);
  ASSERT_EQ(r.organisations.size(), 1u);
  EXPECT_EQ(r.organisations[0].id, "o-hostile");
  EXPECT_FALSE(isGlobal("p-hostile-all"));
  EXPECT_TRUE(isGlobal("p-spacex-office"));
  EXPECT_TRUE(isGlobal("p-spacex-vpn"));
  EXPECT_TRUE(isGlobal("p-unicode-all"));
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_organisation"), 4) << "the name was data, not SQL";
}

TEST_F(NetworkRecoveryPg, ResetOfSeveralNamedOrganisationsIncludingUnicodeAndDuplicates) {
  const NetworkResetResult r = resetGlobalNetworkPolicies(*conn_, RequestKey{}, {kUnicode, kSpaceX, kUnicode}, false);
  EXPECT_EQ(ids(r.policies), (std::set<std::string>{"p-spacex-office", "p-spacex-vpn", "p-unicode-all"}));
  ASSERT_EQ(r.organisations.size(), 2u);
  EXPECT_EQ(r.organisations[0].name, kUnicode);
  EXPECT_TRUE(isGlobal("p-hostile-all"));
}

TEST_F(NetworkRecoveryPg, OrganisationWithoutGlobalPoliciesIsNothingToDo) {
  const auto before = snapshot(*conn_);
  const NetworkResetResult r = resetGlobalNetworkPolicies(*conn_, RequestKey{"t/quiet"}, {kNoPolicies}, false);
  EXPECT_EQ(r.count(), 0u);
  EXPECT_EQ(snapshot(*conn_), before);
}

TEST_F(NetworkRecoveryPg, DryRunChangesNothingAndCreatesNoLedger) {
  const auto before = snapshot(*conn_);
  const NetworkResetResult r = resetGlobalNetworkPolicies(*conn_, RequestKey{"t/dry"}, {kSpaceX}, true);
  EXPECT_TRUE(r.dryRun);
  EXPECT_EQ(ids(r.policies), (std::set<std::string>{"p-spacex-office", "p-spacex-vpn"}));
  EXPECT_EQ(snapshot(*conn_), before);
  EXPECT_FALSE(ledgerExists(*conn_));
}

TEST_F(NetworkRecoveryPg, UnknownOrganisationRejectsTheWholeRequestAndChangesNothing) {
  const auto before = snapshot(*conn_);
  try {
    resetGlobalNetworkPolicies(*conn_, RequestKey{"t/unknown"}, {kSpaceX, "Nope", "spacex"}, false);
    FAIL() << "expected UnknownOrganisationError";
  } catch (const UnknownOrganisationError& e) {
    EXPECT_EQ(e.names(), (std::vector<std::string>{"Nope", "spacex"})) << "names are exact and case-sensitive";
    EXPECT_NE(std::string(e.what()).find("\"Nope\""), std::string::npos) << e.what();
  }
  EXPECT_EQ(snapshot(*conn_), before);
  EXPECT_FALSE(findRecovery(*conn_, RequestKey{"t/unknown"})) << "a rejected request leaves no ledger row";
}

TEST_F(NetworkRecoveryPg, RepeatedRequestKeyChangesNothingAndReturnsTheRecordedResult) {
  const RequestKey key = RequestKey::of("phase", "my-phase", kActionResetNetworkPolicies, "lockout-1");
  const NetworkResetResult first = resetGlobalNetworkPolicies(*conn_, key, {kSpaceX}, false);
  ASSERT_EQ(first.count(), 2u);
  // Someone turns a policy back on; a repeat of the same request must leave it alone.
  exec("UPDATE api_networkaccesspolicy SET is_global = true WHERE id = 'p-spacex-office'");
  const auto before = snapshot(*conn_);

  const NetworkResetResult again = resetGlobalNetworkPolicies(*conn_, key, {kSpaceX}, false);
  EXPECT_TRUE(again.alreadyApplied);
  EXPECT_EQ(toJson(again).at("policies"), toJson(first).at("policies"));
  EXPECT_EQ(again.appliedAt, first.appliedAt);
  EXPECT_EQ(snapshot(*conn_), before);
  const auto entry = findRecovery(*conn_, key);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->action, kActionResetNetworkPolicies);
  EXPECT_EQ(entry->appliedAt, first.appliedAt);
}

TEST_F(NetworkRecoveryPg, ConcurrentCallersWithOneKeyApplyOnce) {
  const RequestKey key{"phase/my-phase/resetGlobalNetworkPolicies/race"};
  constexpr int kCallers = 6;
  std::atomic<int> ready{0};
  std::vector<std::future<NetworkResetResult>> results;
  for (int i = 0; i < kCallers; ++i) {
    results.push_back(std::async(std::launch::async, [&] {
      auto conn = db_->connect();
      ++ready;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (ready < kCallers && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      return resetGlobalNetworkPolicies(*conn, key, {}, false);
    }));
  }
  int applied = 0;
  std::string appliedAt;
  for (auto& f : results) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    const NetworkResetResult r = f.get();
    if (!r.alreadyApplied) ++applied;
    EXPECT_EQ(r.count(), 4u) << "every caller reports what the one application changed";
    if (appliedAt.empty()) appliedAt = r.appliedAt;
    EXPECT_EQ(r.appliedAt, appliedAt);
  }
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM phase_maintenance_operator_recoveries"), 1);
}

// Deterministic form of the race: the second caller is seen waiting on the ledger's
// primary key while the first is inside its transaction, and then returns its result.
TEST_F(NetworkRecoveryPg, SecondCallerWaitsOnTheKeyAndReturnsTheFirstCallersResult) {
  const RequestKey key{"t/blocking"};
  ensureLedger(*conn_);
  auto connA = db_->connect();
  auto connB = db_->connect();
  const int pidB = connB->backendpid();
  std::promise<void> releaseA;
  std::shared_future<void> released = releaseA.get_future().share();
  std::atomic<bool> aInside{false};
  auto a = std::async(std::launch::async, [&] {
    return applyOnce(*connA, key, "test", [&](pqxx::work& tx) {
      tx.exec0("UPDATE api_networkaccesspolicy SET is_global = false WHERE id = 'p-spacex-office'");
      aInside = true;
      released.wait_for(std::chrono::seconds(20));
      return nlohmann::json{{"who", "A"}};
    });
  });
  ASSERT_TRUE(pmo::testing::eventually([&] { return aInside.load(); }, std::chrono::seconds(10)));
  std::atomic<bool> bApplied{false};
  auto b = std::async(std::launch::async, [&] {
    return applyOnce(*connB, key, "test", [&](pqxx::work&) {
      bApplied = true;
      return nlohmann::json{{"who", "B"}};
    });
  });
  const bool bWaits = pmo::testing::eventually(
      [&] {
        return count(*conn_, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid = " +
                                 std::to_string(pidB)) == 1;
      },
      std::chrono::seconds(10));
  releaseA.set_value();
  ASSERT_EQ(a.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  ASSERT_EQ(b.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_TRUE(bWaits) << "B should wait on A's uncommitted ledger row";
  const LedgerOutcome ra = a.get(), rb = b.get();
  EXPECT_FALSE(ra.alreadyApplied);
  EXPECT_TRUE(rb.alreadyApplied);
  EXPECT_EQ(rb.result, (nlohmann::json{{"who", "A"}}));
  EXPECT_FALSE(bApplied);
}

TEST_F(NetworkRecoveryPg, FailedApplicationLeavesNoLedgerRowSoARetryApplies) {
  const RequestKey key{"t/retry"};
  EXPECT_THROW(applyOnce(*conn_, key, "test",
                         [](pqxx::work& tx) -> nlohmann::json {
                           tx.exec0("UPDATE api_networkaccesspolicy SET is_global = false");
                           throw std::runtime_error("simulated failure before COMMIT");
                         }),
               std::runtime_error);
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_networkaccesspolicy WHERE is_global"), 4) << "rolled back";
  EXPECT_FALSE(findRecovery(*conn_, key));
  const LedgerOutcome second = applyOnce(*conn_, key, "test", [](pqxx::work&) { return nlohmann::json{{"ok", true}}; });
  EXPECT_FALSE(second.alreadyApplied);
}

TEST_F(NetworkRecoveryPg, KeyReusedForAnotherActionIsRejected) {
  const RequestKey key{"t/mixed"};
  applyOnce(*conn_, key, "one", [](pqxx::work&) { return nlohmann::json::object(); });
  EXPECT_THROW(applyOnce(*conn_, key, "two", [](pqxx::work&) { return nlohmann::json::object(); }),
               std::invalid_argument);
}

TEST_F(NetworkRecoveryPg, RestoreRestoresExactlyTheChangedPoliciesAndSkipsOneEditedSince) {
  const RequestKey key{"phase/my-phase/resetGlobalNetworkPolicies/timed"};
  const NetworkResetResult reset = resetGlobalNetworkPolicies(*conn_, key, {kSpaceX, kHostile, kUnicode}, false);
  ASSERT_EQ(reset.count(), 4u);
  // Edited since: one microsecond later is a different version. Deleted: gone.
  exec("UPDATE api_networkaccesspolicy SET updated_at = updated_at + interval '1 microsecond' WHERE id = 'p-spacex-vpn';"
       "DELETE FROM api_networkaccesspolicy WHERE id = 'p-unicode-all'");

  const NetworkRestoreResult r = restoreGlobalNetworkPolicies(*conn_, key, reset.policies);
  EXPECT_EQ(r.requestKey, key.value + "/restore");
  std::set<std::string> restored, skipped;
  for (const auto& p : r.restored) restored.insert(p.id);
  std::map<std::string, std::string> reasons;
  for (const auto& p : r.skipped) reasons[p.id] = p.reason;
  EXPECT_EQ(restored, (std::set<std::string>{"p-spacex-office", "p-hostile-all"}));
  ASSERT_EQ(reasons.size(), 2u);
  EXPECT_EQ(reasons["p-spacex-vpn"].rfind("edited since", 0), 0u) << reasons["p-spacex-vpn"];
  EXPECT_EQ(reasons["p-unicode-all"], "deleted");
  EXPECT_TRUE(isGlobal("p-spacex-office"));
  EXPECT_TRUE(isGlobal("p-hostile-all"));
  EXPECT_FALSE(isGlobal("p-spacex-vpn"));
  EXPECT_FALSE(isGlobal("p-spacex-team")) << "never changed by the reset, so never restored";

  const auto before = snapshot(*conn_);
  const NetworkRestoreResult again = restoreGlobalNetworkPolicies(*conn_, key, reset.policies);
  EXPECT_TRUE(again.alreadyApplied);
  EXPECT_EQ(again.restored.size(), 2u);
  EXPECT_EQ(snapshot(*conn_), before);
}

TEST_F(NetworkRecoveryPg, RetryingFormReportsUnknownOrganisationWithItsOwnType) {
  EXPECT_THROW(resetGlobalNetworkPolicies(db_->params(), RetryPolicy{2, std::chrono::milliseconds(10)}, RequestKey{},
                                          {"Nope"}, false),
               UnknownOrganisationError);
  const auto r = resetGlobalNetworkPolicies(db_->params(), RetryPolicy{}, RequestKey{"t/params"}, {kSpaceX}, false);
  EXPECT_EQ(r.count(), 2u);
}

TEST_F(NetworkRecoveryPg, WrongPasswordIsAnAuthErrorThatNeverContainsThePassword) {
  ConnectionParams wrong = db_->params();
  const std::string password = "Wr0ng-pa55word-" + std::to_string(::getpid());
  wrong.password = Secret(password);
  try {
    resetGlobalNetworkPolicies(wrong, RetryPolicy{3, std::chrono::milliseconds(10)}, RequestKey{}, {}, false);
    FAIL() << "expected an authentication failure";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Auth) << e.what();
    EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
  }
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_networkaccesspolicy WHERE is_global"), 4);
}

// The CLI, as a person in a shell uses it: tables on stderr, one JSON line on stdout.
class RecoveryCliPg : public NetworkRecoveryPg {
 protected:
  pmo::testing::RunResult cli(std::vector<std::string> args, const std::string& url) {
    args.insert(args.begin(), PMO_OPERATOR_BINARY);
    args.push_back("--database-url=" + url);
    return pmo::testing::run(args, {{"PMO_TERMINATION_LOG", dir_.path() + "/termination-log"}}, std::chrono::seconds(60));
  }
  pmo::testing::TempDir dir_;
};

TEST_F(RecoveryCliPg, ResetWithRequestIdIsAppliedOnceAndSummarised) {
  const std::string url = db_->url().reveal();
  auto first = cli({"reset-network-policies", "--org", kHostile, "--request-id", "r1"}, url);
  ASSERT_EQ(first.exitCode, 0) << first.err;
  const auto summary = nlohmann::json::parse(first.out);
  EXPECT_EQ(summary.at("count"), 1);
  EXPECT_EQ(summary.at("alreadyApplied"), false);
  EXPECT_NE(first.err.find("p-hostile-all"), std::string::npos) << first.err;
  EXPECT_EQ(nlohmann::json::parse(pmo::testing::readFile(dir_.path() + "/termination-log")), summary);

  auto again = cli({"reset-network-policies", "--org", kHostile, "--request-id", "r1"}, url);
  ASSERT_EQ(again.exitCode, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out).at("alreadyApplied"), true);

  auto restore = cli({"reset-network-policies", "--restore", "--request-id", "r1"}, url);
  ASSERT_EQ(restore.exitCode, 0) << restore.err;
  EXPECT_EQ(nlohmann::json::parse(restore.out).at("restoredCount"), 1);
  EXPECT_TRUE(isGlobal("p-hostile-all"));
}

// A reset of every organisation of a large instance: the ledger row keeps every policy
// (the operator's status only the first few and the ledgerKey); `--show` prints them all,
// by request id or by key; and the restore reads the ledger's list, so a caller holding only
// the first policies (the operator's bounded status) still restores every one.
TEST_F(RecoveryCliPg, ShowPrintsEveryPolicyOfALargeResetAndTheRestoreUsesTheLedgersList) {
  exec("INSERT INTO api_networkaccesspolicy (id, name, organisation_id, allowed_ips, is_global, updated_at)"
       " SELECT 'p-big-' || i, 'big ' || i, 'o-quiet', '10.0.0.0/8', true, TIMESTAMPTZ '2024-01-01 00:00:00+00'"
       " FROM generate_series(1, 60) AS i");
  const RequestKey key{"phase/my-phase/resetGlobalNetworkPolicies/big-1"};
  const NetworkResetResult reset = resetGlobalNetworkPolicies(*conn_, key, {}, false);
  ASSERT_EQ(reset.count(), 64u);
  const std::string url = db_->url().reveal();

  for (const std::string& request : {std::string("big-1"), key.value}) {
    auto shown = cli({"reset-network-policies", "--show", request}, url);
    ASSERT_EQ(shown.exitCode, 0) << shown.err;
    const auto summary = nlohmann::json::parse(shown.out);
    ASSERT_EQ(summary.at("runs").size(), 1u) << request;
    EXPECT_EQ(summary.at("runs").at(0).at("ledgerKey"), key.value);
    EXPECT_EQ(summary.at("runs").at(0).at("reset").at("policies").size(), 64u);
    EXPECT_NE(shown.err.find("p-big-60"), std::string::npos) << shown.err;
    EXPECT_NE(shown.err.find("64 policies made non-global"), std::string::npos) << shown.err;
  }
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_networkaccesspolicy WHERE is_global"), 0) << "--show changes nothing";

  const std::vector<PolicyChange> firstOnly(reset.policies.begin(), reset.policies.begin() + 20);
  const NetworkRestoreResult restored = restoreGlobalNetworkPolicies(*conn_, key, firstOnly);
  EXPECT_EQ(restored.restored.size(), 64u) << "the ledger's list, not the caller's first 20";
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_networkaccesspolicy WHERE is_global"), 64);

  auto withRestore = cli({"reset-network-policies", "--show", "big-1"}, url);
  ASSERT_EQ(withRestore.exitCode, 0) << withRestore.err;
  EXPECT_EQ(nlohmann::json::parse(withRestore.out).at("runs").at(0).at("restore").at("restoredCount"), 64);
  auto unknown = cli({"reset-network-policies", "--show", "never-ran"}, url);
  EXPECT_EQ(unknown.exitCode, 1);
  EXPECT_NE(unknown.err.find("no run is recorded as \"never-ran\""), std::string::npos) << unknown.err;
}

TEST_F(RecoveryCliPg, UnknownOrganisationExitsOneNamingItAndChangesNothing) {
  const auto before = snapshot(*conn_);
  auto r = cli({"reset-network-policies", "--org", kSpaceX, "--org", "Nope"}, db_->url().reveal());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("unknown organisation \"Nope\""), std::string::npos) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("success"), false);
  EXPECT_EQ(snapshot(*conn_), before);
}

TEST_F(RecoveryCliPg, WrongPasswordErrorShowsNoPassword) {
  ConnectionParams wrong = db_->params();
  const std::string password = "cli-Wr0ng-" + std::to_string(::getpid());
  wrong.password = Secret(password);
  auto r = cli({"reset-network-policies", "--dry-run"}, pmo::testing::databaseUrl(wrong).reveal());
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("password authentication failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(password), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find(password), std::string::npos) << r.out;
}

}  // namespace
}  // namespace pmo::db
