// The purge deletes exactly the rows Phase's purge_app_logs would (phase-facts.md,
// "Audit-log purge"): scope by organisation or app, the cutoff to the microsecond, a dry
// run, hostile names, unknown scopes, and a --retain that would reach before the year 1.
#include <cstdint>
#include <limits>

#include "pg/purge_fixture.hpp"

namespace pmo::testing::purge_pg {
namespace {

TEST_F(PurgePg, OrgScopeDeletesOnlyItsOldReadEventsAndTheirTags) {
  expectSurvivors(kAcme, "", now_ - 30 * kDay);
  const long long tagsBefore = tags();
  const db::PurgeResult r = db::runPurge(db_->params(), options(kAcme));
  EXPECT_EQ(r.deleted, expectedGone_);
  EXPECT_GT(r.deleted, 150);  // about half of 400 reads over 60 days
  EXPECT_EQ(r.remaining, 0);
  EXPECT_GT(r.batches, 1);
  EXPECT_EQ(r.tagRowsDeleted, tagsBefore - tags());
  EXPECT_GT(r.tagRowsDeleted, 0);
  checkSurvivors();
}

TEST_F(PurgePg, AppScopeTouchesOnlyThatApp) {
  const std::string app = orgs_[0].appIds[1];
  expectSurvivors(kAcme, app, now_ - 30 * kDay);
  auto o = options(kAcme);
  o.appId = app;
  const db::PurgeResult r = db::runPurge(db_->params(), o);
  EXPECT_EQ(r.deleted, expectedGone_);
  EXPECT_GT(r.deleted, 50);
  checkSurvivors();
}

TEST_F(PurgePg, RetainZeroDeletesEveryReadEventOfTheOrganisation) {
  expectSurvivors(kAcme, "", now_);
  auto o = options(kAcme);
  o.retainDays = 0;
  const db::PurgeResult r = db::runPurge(db_->params(), o);
  EXPECT_EQ(r.deleted, 400);
  checkSurvivors();
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent e JOIN api_environment v ON v.id = e.environment_id "
                        "JOIN api_app a ON a.id = v.app_id WHERE a.organisation_id = '" + orgs_[0].id + "' AND event_type <> 'R'"),
            120);
}

TEST_F(PurgePg, CutoffIsInclusiveToTheMicrosecond) {
  const std::int64_t cutoff = now_ - 7 * kDay;
  auto at = [](std::int64_t us) { return "TIMESTAMPTZ 'epoch' + " + std::to_string(us) + "::bigint * INTERVAL '1 microsecond'"; };
  std::string atCutoff, after, before, createAtCutoff;
  {
    auto conn = db_->connect();
    pqxx::work tx(*conn);
    const std::string env = orgs_[0].environmentIds[0][0];
    atCutoff = insertEvent(tx, env, 'R', at(cutoff), true);
    after = insertEvent(tx, env, 'R', at(cutoff + 1), true);
    before = insertEvent(tx, env, 'R', at(cutoff - 1), false);
    createAtCutoff = insertEvent(tx, env, 'C', at(cutoff), true);
    tx.commit();
  }
  expectSurvivors(kAcme, "", cutoff);
  auto o = options(kAcme);
  o.retainDays = 7;
  db::runPurge(db_->params(), o);
  checkSurvivors();
  auto exists = [&](const std::string& id) { return db_->scalar("SELECT count(*) FROM api_secretevent WHERE id = '" + id + "'"); };
  EXPECT_EQ(exists(atCutoff), 0);
  EXPECT_EQ(exists(before), 0);
  EXPECT_EQ(exists(after), 1);
  EXPECT_EQ(exists(createAtCutoff), 1);
}

// A real run counts what is in scope at the start on a second connection beside its first
// batches (from a snapshot taken before them): the same exact figures as a dry run's.
TEST_F(PurgePg, ARealRunReportsTheExactCountAtTheStartPerEnvironment) {
  auto o = options(kAcme);
  o.retainDays = 0;
  const db::PurgeResult r = db::runPurge(db_->params(), o);
  expectAllDeletedAndCounted(r, 400);
  EXPECT_EQ(r.environments.size(), 4u);
}

TEST_F(PurgePg, DryRunCountsPerEnvironmentAndDeletesNothing) {
  const long long e0 = events(), t0 = tags();
  auto o = options(kAcme);
  o.dryRun = true;
  const db::PurgeResult r = db::runPurge(db_->params(), o);
  EXPECT_EQ(events(), e0);
  EXPECT_EQ(tags(), t0);
  ASSERT_EQ(r.environments.size(), 4u);
  long long sum = 0;
  for (const auto& env : r.environments) {
    EXPECT_EQ(env.readEvents,
              db_->scalar("SELECT count(*) FROM api_secretevent WHERE event_type = 'R' AND environment_id = '" + env.environmentId +
                          "' AND \"timestamp\" <= TIMESTAMPTZ 'epoch' + " + std::to_string(now_ - 30 * kDay) +
                          "::bigint * INTERVAL '1 microsecond'"));
    sum += env.readEvents;
  }
  EXPECT_EQ(r.matchedAtStart, sum);
  EXPECT_EQ(r.remaining, sum);
  EXPECT_EQ(r.deleted, 0);
}

TEST_F(PurgePg, HostileOrganisationNameIsJustAName) {
  expectSurvivors(kHostile, "", now_);
  const ProcessResult r = runOperator({"purge", kHostile, "--retain", "0", "--batch-size", "40", "--database-url", db_->url().reveal()});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto s = summaryOf(r);
  EXPECT_EQ(s["organisation"], kHostile);
  EXPECT_EQ(s["deleted"], 150);
  EXPECT_EQ(s["success"], true);
  checkSurvivors();
  // A near miss of the name is another organisation: exact match only.
  const ProcessResult near = runOperator({"purge", "acme", "--retain", "0", "--database-url", db_->url().reveal()});
  EXPECT_EQ(near.exitCode, 1);
}

TEST_F(PurgePg, UnknownOrganisationFailsAndDeletesNothing) {
  const long long e0 = events(), t0 = tags();
  const ProcessResult r = runOperator({"purge", "No Such Org", "--retain", "0", "--database-url", db_->url().reveal()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("\"No Such Org\" does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(summaryOf(r)["success"], false);
  EXPECT_EQ(events(), e0);
  EXPECT_EQ(tags(), t0);
}

TEST_F(PurgePg, AppOfAnotherOrganisationFailsAndDeletesNothing) {
  const long long e0 = events();
  auto o = options(kAcme);
  o.appId = orgs_[1].appIds[0];  // belongs to "Other"
  o.retainDays = 0;
  EXPECT_THROW(db::runPurge(db_->params(), o), db::PurgeError);
  const ProcessResult r = runOperator({"purge", kAcme, "--app-id", orgs_[1].appIds[0], "--retain", "0", "--database-url", db_->url().reveal()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("is not an app of organisation"), std::string::npos) << r.err;
  EXPECT_EQ(events(), e0);
}

TEST_F(PurgePg, OrganisationWithoutAppsIsNothingToDo) {
  {
    auto conn = db_->connect();
    insertBareOrganisation(*conn, "Empty Org");
  }
  const long long e0 = events();
  // Phase's variables instead of --database-url.
  const auto& p = db_->params();
  const ProcessResult r = runOperator({"purge", "Empty Org"}, {{"DATABASE_HOST", p.host}, {"DATABASE_PORT", std::to_string(p.port)},
                                                             {"DATABASE_NAME", p.dbname}, {"DATABASE_USER", p.user},
                                                             {"DATABASE_PASSWORD", p.password.reveal()}});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.err.find("nothing to do"), std::string::npos) << r.err;
  EXPECT_EQ(summaryOf(r)["nothingToDo"], true);
  EXPECT_EQ(events(), e0);
}

// Issue 13: --retain 213503982 wrapped the cutoff past now and would have deleted every read
// event. Phase's own command overflows (and deletes nothing) for any cutoff before the year 1.
TEST(PurgeCutoff, IsWithinYearOneAndNowOrRefused) {
  const std::int64_t now = 1796083200LL * 1000000LL;  // 2026-12-01T00:00:00Z
  EXPECT_EQ(db::purgeCutoffMicros(now, 0), now);
  EXPECT_EQ(db::purgeCutoffMicros(now, 90), now - 90LL * 86400LL * 1000000LL);
  const long maxDays = (1796083200L + 62135596800L) / 86400L;
  EXPECT_GE(db::purgeCutoffMicros(now, maxDays), -62135596800LL * 1000000LL);
  for (long days : {maxDays + 1, 213503982L, 106751992L, std::numeric_limits<long>::max(), -1L})
    EXPECT_THROW(db::purgeCutoffMicros(now, days), std::invalid_argument) << days;
}

TEST_F(PurgePg, ARetainReachingBeforeYearOneIsRefusedAndDeletesNothing) {
  const long long e0 = events(), t0 = tags();
  for (const char* dryRun : {"--dry-run", ""}) {
    std::vector<std::string> args = {"purge", kAcme, "--retain", "213503982", "--database-url", db_->url().reveal()};
    if (*dryRun) args.push_back(dryRun);
    const ProcessResult r = runOperator(args);
    EXPECT_EQ(r.exitCode, 1) << r.err;
    EXPECT_NE(r.err.find("--retain 213503982 days reaches back before the year 1"), std::string::npos) << r.err;
    EXPECT_EQ(summaryOf(r)["success"], false);
  }
  EXPECT_EQ(events(), e0);
  EXPECT_EQ(tags(), t0);
}

}  // namespace
}  // namespace pmo::testing::purge_pg
