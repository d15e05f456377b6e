#pragma once
// The fixture of the purge PostgreSQL tests (tests/pg/purge_*_pgtest.cpp): a scratch
// database with Phase's schema and three organisations' audit logs, the expected survivors
// of a purge, and the binary's one-line summary.
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/purge/purge.hpp"
#include "pg/purge_support.hpp"
#include "support/pg_fixture.hpp"
#include "support/phase_data.hpp"

// Not in an anonymous namespace: the tests of every purge_*_pgtest.cpp file belong to the
// one test suite PurgePg, which gtest requires to have one fixture class.
namespace pmo::testing::purge_pg {

using namespace purge_cli;

inline const char* const kAcme = "Acme";
inline const char* const kHostile = "Robert'); DELETE FROM api_secretevent; -- \"Ünïcødé\" ☃";
inline constexpr std::int64_t kDay = 86400LL * 1000000LL;

class PurgePg : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<ScratchDatabase>("purge");
    DataSpec spec;
    spec.days = 60;
    spec.organisations = {{kAcme, 2, 2, 400, 120}, {"Other", 1, 2, 200, 60}, {kHostile, 1, 2, 150, 30}};
    auto conn = db_->connect();
    orgs_ = generatePhaseData(*conn, spec);
    now_ = db_->scalar("SELECT (extract(epoch FROM now()) * 1000000)::bigint");
  }

  // Records the rows that must survive a purge of `orgName` (optionally one app) with
  // cutoff `cutoffMicros`: everything except that scope's read events at or before it.
  void expectSurvivors(const std::string& orgName, const std::string& appId, std::int64_t cutoffMicros) {
    auto conn = db_->connect();
    pqxx::work tx(*conn);
    tx.exec("DROP TABLE IF EXISTS expected_events, expected_tags");
    tx.exec_params(
        "CREATE TABLE expected_events AS SELECT e.id FROM api_secretevent e WHERE e.id NOT IN ("
        " SELECT e2.id FROM api_secretevent e2 JOIN api_environment v ON v.id = e2.environment_id"
        " JOIN api_app a ON a.id = v.app_id JOIN api_organisation o ON o.id = a.organisation_id"
        " WHERE o.name = $1 AND ($2 = '' OR a.id = $2) AND e2.event_type = 'R'"
        " AND e2.\"timestamp\" <= TIMESTAMPTZ 'epoch' + $3::bigint * INTERVAL '1 microsecond')",
        orgName, appId, cutoffMicros);
    tx.exec("CREATE TABLE expected_tags AS SELECT t.id FROM api_secretevent_tags t JOIN expected_events e ON e.id = t.secretevent_id");
    tx.commit();
    expectedGone_ = db_->scalar("SELECT count(*) FROM api_secretevent") - db_->scalar("SELECT count(*) FROM expected_events");
  }

  // The database holds exactly the expected survivors and no orphan tag rows.
  // A run that found `rows` in scope at its start and deleted them all, counted per environment.
  static void expectAllDeletedAndCounted(const db::PurgeResult& r, long long rows) {
    EXPECT_EQ(r.matchedAtStart, rows);
    EXPECT_EQ(r.deleted, rows);
    EXPECT_EQ(r.remaining, 0);
    long long perEnvironment = 0;
    for (const auto& e : r.environments) perEnvironment += e.readEvents;
    EXPECT_EQ(perEnvironment, rows);
  }
  void checkSurvivors() {
    EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent"), db_->scalar("SELECT count(*) FROM expected_events"));
    EXPECT_EQ(db_->scalar("SELECT count(*) FROM expected_events x LEFT JOIN api_secretevent e USING (id) WHERE e.id IS NULL"), 0);
    EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent_tags"), db_->scalar("SELECT count(*) FROM expected_tags"));
    EXPECT_EQ(db_->scalar("SELECT count(*) FROM expected_tags x LEFT JOIN api_secretevent_tags t USING (id) WHERE t.id IS NULL"), 0);
    EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent_tags t LEFT JOIN api_secretevent e ON e.id = t.secretevent_id WHERE e.id IS NULL"), 0);
  }

  db::PurgeOptions options(const std::string& org) {
    db::PurgeOptions o;
    o.organisation = org;
    o.nowMicrosOverride = now_;
    o.batchSizeCap = 50;
    o.targetBatchDuration = std::chrono::milliseconds(50);
    return o;
  }

  std::vector<std::string> urlArgs() { return {"--database-url", db_->url().reveal()}; }
  long long events() { return db_->scalar("SELECT count(*) FROM api_secretevent"); }
  long long tags() { return db_->scalar("SELECT count(*) FROM api_secretevent_tags"); }

  std::unique_ptr<ScratchDatabase> db_;
  std::vector<GeneratedOrg> orgs_;
  std::int64_t now_ = 0;
  long long expectedGone_ = 0;
};

inline nlohmann::json summaryOf(const ProcessResult& r) {
  const auto nl = r.out.find('\n');
  EXPECT_NE(nl, std::string::npos) << "no summary line; stderr: " << r.err;
  EXPECT_EQ(nl + 1, r.out.size()) << "stdout must be exactly one line: " << r.out;
  return nlohmann::json::parse(r.out.substr(0, nl));
}

// "2026-11-30T17:10:02Z" for now + `ahead` (whole seconds: the flag's resolution).
inline std::string rfc3339In(std::chrono::milliseconds ahead) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + ahead);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace pmo::testing::purge_pg
