// Lifting SSO enforcement against a real PostgreSQL with Phase's schema: the state before
// is recorded, providers are disabled (never deleted) only when asked, dry runs and
// unknown organisations change nothing, a repeated key changes nothing.
#include <gtest/gtest.h>

#include "db/recovery/recovery.hpp"
#include "pg/recovery_support.hpp"
#include "support/pg_fixture.hpp"
#include "support/process.hpp"

namespace pmo::db {
namespace {

using namespace pmo::testing::recovery;
using pmo::testing::ScratchDatabase;

class SsoRecoveryPg : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<ScratchDatabase>("sso");
    conn_ = db_->connect();
    seedRecoveryData(*conn_);
  }
  std::unique_ptr<ScratchDatabase> db_;
  std::unique_ptr<pqxx::connection> conn_;
};

TEST_F(SsoRecoveryPg, ShowReportsRequireSsoAndProviders) {
  const OrganisationSsoState s = showSSO(*conn_, kSpaceX);
  EXPECT_EQ(s.id, "o-spacex");
  EXPECT_TRUE(s.requireSso);
  ASSERT_EQ(s.providers.size(), 2u);
  EXPECT_EQ(s.providers[0].providerType, "google");
  EXPECT_TRUE(s.providers[0].enabled);
  EXPECT_EQ(s.providers[1].providerType, "okta");
  EXPECT_FALSE(s.providers[1].enabled);
  EXPECT_THROW(showSSO(*conn_, "Nope"), UnknownOrganisationError);
}

TEST_F(SsoRecoveryPg, LiftsEnforcementOnlyAndRecordsTheStateBefore) {
  const auto before = snapshot(*conn_);
  const SsoDisableResult r = disableSSOEnforcement(*conn_, RequestKey{}, {kSpaceX, kUnicode}, false, false);

  EXPECT_EQ(r.enforcementLifted, (std::vector<std::string>{"o-spacex"})) << "o-unicode did not require SSO";
  EXPECT_TRUE(r.providersDisabled.empty());
  ASSERT_EQ(r.before.size(), 2u);
  EXPECT_EQ(r.before[0].name, kSpaceX);
  EXPECT_TRUE(r.before[0].requireSso);
  EXPECT_EQ(r.before[0].providers.size(), 2u);
  EXPECT_EQ(r.before[1].name, kUnicode);
  EXPECT_FALSE(r.before[1].requireSso);

  const auto after = snapshot(*conn_);
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_organisation WHERE require_sso"), 1) << "o-hostile untouched";
  EXPECT_NE(after.at("org o-spacex"), before.at("org o-spacex"));
  EXPECT_EQ(after.at("org o-unicode"), before.at("org o-unicode")) << "unchanged rows keep their updated_at";
  for (const char* id : {"sso sso-spacex-google", "sso sso-spacex-okta", "sso sso-hostile-entra"}) {
    EXPECT_EQ(after.at(id), before.at(id)) << id << ": providers are left alone without disableProviders";
  }
}

TEST_F(SsoRecoveryPg, DisableProvidersKeepsTheRowsAndDisablesOnlyThoseEnabled) {
  const SsoDisableResult r = disableSSOEnforcement(*conn_, RequestKey{}, {kHostile, kSpaceX}, true, false);
  EXPECT_EQ(r.enforcementLifted, (std::vector<std::string>{"o-hostile", "o-spacex"}));
  EXPECT_EQ(r.providersDisabled, (std::vector<std::string>{"sso-hostile-entra", "sso-spacex-google"}));
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_organisationssoprovider"), 3) << "kept, not deleted";
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_organisationssoprovider WHERE enabled"), 0);
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_organisation WHERE require_sso"), 0);
  // The state before says which providers were enabled, so they can be re-enabled.
  ASSERT_EQ(r.before.size(), 2u);
  EXPECT_TRUE(r.before[0].providers.at(0).enabled);
  EXPECT_EQ(r.before[1].providers.at(1).providerType, "okta");
  EXPECT_FALSE(r.before[1].providers.at(1).enabled);
}

TEST_F(SsoRecoveryPg, DryRunChangesNothingAndSaysWhatWouldChange) {
  const auto before = snapshot(*conn_);
  const SsoDisableResult r = disableSSOEnforcement(*conn_, RequestKey{"t/dry"}, {kSpaceX}, true, true);
  EXPECT_TRUE(r.dryRun);
  EXPECT_EQ(r.enforcementLifted, (std::vector<std::string>{"o-spacex"}));
  EXPECT_EQ(r.providersDisabled, (std::vector<std::string>{"sso-spacex-google"}));
  EXPECT_EQ(snapshot(*conn_), before);
  EXPECT_FALSE(ledgerExists(*conn_));
}

TEST_F(SsoRecoveryPg, UnknownOrganisationChangesNothing) {
  const auto before = snapshot(*conn_);
  try {
    disableSSOEnforcement(*conn_, RequestKey{"t/unknown"}, {kSpaceX, kHostile + " "}, true, false);
    FAIL() << "expected UnknownOrganisationError";
  } catch (const UnknownOrganisationError& e) {
    EXPECT_EQ(e.names(), (std::vector<std::string>{kHostile + " "}));
  }
  EXPECT_EQ(snapshot(*conn_), before);
  EXPECT_FALSE(findRecovery(*conn_, RequestKey{"t/unknown"}));
}

TEST_F(SsoRecoveryPg, NoOrganisationIsAUsageError) {
  EXPECT_THROW(disableSSOEnforcement(*conn_, RequestKey{}, {}, false, false), std::invalid_argument);
}

TEST_F(SsoRecoveryPg, RepeatedKeyChangesNothingAndReturnsTheStateBeforeTheFirstRun) {
  const RequestKey key = RequestKey::of("phase", "my-phase", kActionDisableSso, "sso-1");
  const SsoDisableResult first = disableSSOEnforcement(*conn_, key, {kSpaceX}, false, false);
  {
    pqxx::work tx(*conn_);
    tx.exec0("UPDATE api_organisation SET require_sso = true WHERE id = 'o-spacex'");  // re-enabled by an admin
    tx.commit();
  }
  const auto before = snapshot(*conn_);
  const SsoDisableResult again = disableSSOEnforcement(*conn_, key, {kSpaceX}, false, false);
  EXPECT_TRUE(again.alreadyApplied);
  EXPECT_EQ(toJson(again).at("before"), toJson(first).at("before"));
  EXPECT_EQ(again.enforcementLifted, first.enforcementLifted);
  EXPECT_EQ(snapshot(*conn_), before);
}

TEST_F(SsoRecoveryPg, CliShowAndDisableProviders) {
  pmo::testing::TempDir dir;
  const std::map<std::string, std::string> env = {{"PMO_TERMINATION_LOG", dir.path() + "/log"}};
  const std::string url = "--database-url=" + db_->url().reveal();
  auto show = pmo::testing::run({PMO_OPERATOR_BINARY, "disable-sso", "--org", kSpaceX, "--show", url}, env);
  ASSERT_EQ(show.exitCode, 0) << show.err;
  EXPECT_NE(show.err.find("sso-spacex-google"), std::string::npos) << show.err;
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_organisation WHERE require_sso"), 2) << "--show changes nothing";

  auto disable = pmo::testing::run(
      {PMO_OPERATOR_BINARY, "disable-sso", "--org", kSpaceX, "--disable-enforcement", "--disable-providers", url}, env);
  ASSERT_EQ(disable.exitCode, 0) << disable.err;
  const auto summary = nlohmann::json::parse(disable.out);
  EXPECT_EQ(summary.at("providersDisabled"), (nlohmann::json{"sso-spacex-google"}));
  EXPECT_EQ(summary.at("before").at(0).at("requireSso"), true);
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_organisationssoprovider WHERE enabled"), 1);

  auto unknown =
      pmo::testing::run({PMO_OPERATOR_BINARY, "disable-sso", "--org", "Nope", "--disable-enforcement", url}, env);
  EXPECT_EQ(unknown.exitCode, 1);
  EXPECT_NE(unknown.err.find("\"Nope\""), std::string::npos) << unknown.err;
}

// As Phase's disable_org_sso: without an action flag nothing changes, and the message says
// which flag to pass. --disable-providers alone is refused too (SSO still enforced with its
// providers disabled would lock everyone out).
TEST_F(SsoRecoveryPg, CliWithoutAnActionFlagChangesNothingAndNamesTheFlag) {
  pmo::testing::TempDir dir;
  const std::map<std::string, std::string> env = {{"PMO_TERMINATION_LOG", dir.path() + "/log"}};
  const std::string url = "--database-url=" + db_->url().reveal();
  const auto before = snapshot(*conn_);
  auto bare = pmo::testing::run({PMO_OPERATOR_BINARY, "disable-sso", "--org", kSpaceX, url}, env);
  EXPECT_EQ(bare.exitCode, 2) << bare.err;
  EXPECT_NE(bare.err.find("nothing changed: pass --disable-enforcement"), std::string::npos) << bare.err;
  auto providersOnly =
      pmo::testing::run({PMO_OPERATOR_BINARY, "disable-sso", "--org", kSpaceX, "--disable-providers", url}, env);
  EXPECT_EQ(providersOnly.exitCode, 2) << providersOnly.err;
  EXPECT_NE(providersOnly.err.find("--disable-providers only goes with it"), std::string::npos) << providersOnly.err;
  EXPECT_EQ(snapshot(*conn_), before) << "nothing changed";

  auto lifted =
      pmo::testing::run({PMO_OPERATOR_BINARY, "disable-sso", "--org", kSpaceX, "--disable-enforcement", url}, env);
  ASSERT_EQ(lifted.exitCode, 0) << lifted.err;
  EXPECT_EQ(count(*conn_, "SELECT count(*) FROM api_organisation WHERE require_sso"), 1);
  EXPECT_NE(lifted.err.find("Redis for 60 s"), std::string::npos) << lifted.err;
}

}  // namespace
}  // namespace pmo::db
