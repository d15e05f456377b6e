// The purge against a real PostgreSQL with Phase's Django-shaped schema: exactly the
// right rows go (phase-facts.md, "Audit-log purge"), and it is safe to kill, to run
// twice at once, and to point at a wrong or unreachable database.
#include <atomic>
#include <cstdint>
#include <ctime>
#include <limits>
#include <thread>

#include <nlohmann/json.hpp>

#include "db/purge/purge.hpp"
#include "pg/purge_support.hpp"
#include "support/pg_fixture.hpp"
#include "support/phase_data.hpp"

namespace pmo::testing {
namespace {

using namespace purge_cli;

const char* kAcme = "Acme";
const char* kHostile = "Robert'); DELETE FROM api_secretevent; -- \"Ünïcødé\" ☃";
constexpr std::int64_t kDay = 86400LL * 1000000LL;

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

nlohmann::json summaryOf(const ProcessResult& r) {
  const auto nl = r.out.find('\n');
  EXPECT_NE(nl, std::string::npos) << "no summary line; stderr: " << r.err;
  EXPECT_EQ(nl + 1, r.out.size()) << "stdout must be exactly one line: " << r.out;
  return nlohmann::json::parse(r.out.substr(0, nl));
}

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

TEST_F(PurgePg, MaxDurationStopsCleanlyAndReportsWhatIsLeft) {
  const long long total = events();
  const auto t0 = std::chrono::steady_clock::now();
  const ProcessResult r = runOperator({"purge", kAcme, "--retain", "0", "--batch-size", "10", "--sleep", "100ms",
                                       "--max-duration", "600ms", "--database-url", db_->url().reveal()});
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto s = summaryOf(r);
  EXPECT_EQ(s["stoppedEarly"], true);
  EXPECT_NE(s.value("stopReason", "").find("deadline"), std::string::npos) << s.dump();
  EXPECT_GT(s["deleted"].get<long long>(), 0);
  EXPECT_GT(s["remaining"].get<long long>(), 0);
  EXPECT_EQ(s["deleted"].get<long long>() + s["remaining"].get<long long>(), 400);
  EXPECT_EQ(s["deleted"].get<long long>(), total - events()) << "the summary counts exactly what went";
  // It stops between batches, before the limit (one recount after it at most).
  EXPECT_LT(s["durationSeconds"].get<double>(), 0.9) << s.dump();
  EXPECT_LT(wall, 3.0);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent_tags t LEFT JOIN api_secretevent e ON e.id = t.secretevent_id WHERE e.id IS NULL"), 0);
}

// "2026-11-30T17:10:02Z" for now + `ahead` (whole seconds: the flag's resolution).
std::string rfc3339In(std::chrono::milliseconds ahead) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + ahead);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

TEST_F(PurgePg, ADeadlineStopsBetweenBatchesBeforeIt) {
  const long long total = events();
  const std::string deadline = rfc3339In(std::chrono::milliseconds(2000));  // 1-2 s from now
  const ProcessResult r = runOperator({"purge", kAcme, "--retain", "0", "--batch-size", "5", "--sleep", "100ms", "--deadline",
                                       deadline, "--database-url", db_->url().reveal()});
  const auto ended = std::chrono::system_clock::now();
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto s = summaryOf(r);
  EXPECT_EQ(s["stoppedEarly"], true) << s.dump();
  EXPECT_EQ(s["deadline"].get<std::string>().substr(0, 19), deadline.substr(0, 19));
  EXPECT_GT(s["deleted"].get<long long>(), 0);
  EXPECT_GT(s["remaining"].get<long long>(), 0);
  EXPECT_EQ(s["deleted"].get<long long>(), total - events());
  EXPECT_EQ(s["deleted"].get<long long>() + s["remaining"].get<long long>(), 400);
  std::tm tm{};
  strptime(deadline.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  const auto deadlineAt = std::chrono::system_clock::from_time_t(timegm(&tm));
  EXPECT_LT(ended, deadlineAt + std::chrono::milliseconds(500)) << "ran past its deadline";
  // The next run finishes the work.
  const ProcessResult rest = runOperator({"purge", kAcme, "--retain", "0", "--database-url", db_->url().reveal()});
  ASSERT_EQ(rest.exitCode, 0) << rest.err;
  EXPECT_EQ(summaryOf(rest)["deleted"], s["remaining"]);
  EXPECT_EQ(summaryOf(rest)["stoppedEarly"], false);
}

TEST_F(PurgePg, ADeadlineAlreadyPastDeletesNothingAndSaysSo) {
  const long long e0 = events(), t0 = tags();
  const ProcessResult r = runOperator({"purge", kAcme, "--retain", "0", "--deadline", "2020-01-01T00:00:00Z", "--database-url",
                                       db_->url().reveal()});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const auto s = summaryOf(r);
  EXPECT_EQ(s["stoppedEarly"], true);
  EXPECT_EQ(s["deleted"], 0);
  EXPECT_EQ(s["batches"], 0);
  EXPECT_EQ(s["remaining"], 400);
  EXPECT_NE(r.err.find("stopped at the deadline"), std::string::npos) << r.err;
  EXPECT_EQ(events(), e0);
  EXPECT_EQ(tags(), t0);
}

TEST_F(PurgePg, KillNineThenRerunEndsLikeOneCleanRun) {
  expectSurvivors(kAcme, "", now_);
  const long long total = events();
  {
    Process p({"purge", kAcme, "--retain", "0", "--batch-size", "5", "--sleep", "20ms", "--database-url", db_->url().reveal()});
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (events() > total - 60 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    p.kill9();
    p.wait(std::chrono::seconds(10));
  }
  const long long afterKill = events();
  EXPECT_LT(afterKill, total);
  EXPECT_GT(afterKill, total - 400) << "the first run should have been killed before finishing";
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent_tags t LEFT JOIN api_secretevent e ON e.id = t.secretevent_id WHERE e.id IS NULL"), 0);
  const ProcessResult r = runOperator({"purge", kAcme, "--retain", "0", "--database-url", db_->url().reveal()});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(summaryOf(r)["deleted"].get<long long>(), afterKill - db_->scalar("SELECT count(*) FROM expected_events"));
  checkSurvivors();
}

TEST_F(PurgePg, TwoConcurrentPurgesBothFinishWithTheRightTotal) {
  expectSurvivors(kAcme, "", now_);
  // A short lock timeout: if either purge ever waited for the other's locks it would hit
  // it and say so ("transient error") on stderr.
  std::vector<std::string> args{"purge", kAcme, "--retain", "0", "--batch-size", "7", "--sleep", "2ms",
                                "--lock-timeout", "500ms", "--database-url", db_->url().reveal()};
  Process a(args), b(args);
  const ProcessResult ra = a.wait(), rb = b.wait();
  ASSERT_EQ(ra.exitCode, 0) << ra.err;
  ASSERT_EQ(rb.exitCode, 0) << rb.err;
  const long long da = summaryOf(ra)["deleted"], db = summaryOf(rb)["deleted"];
  EXPECT_EQ(da + db, 400);
  EXPECT_EQ(ra.err.find("transient error"), std::string::npos) << ra.err;
  EXPECT_EQ(rb.err.find("transient error"), std::string::npos) << rb.err;
  checkSurvivors();
}

TEST_F(PurgePg, RowsHeldByAnotherTransactionAreSkippedNotWaitedFor) {
  expectSurvivors(kAcme, "", now_);
  auto holder = db_->connect();
  pqxx::work held(*holder);
  const pqxx::result locked = held.exec_params(
      "SELECT e.id FROM api_secretevent e JOIN api_environment v ON v.id = e.environment_id JOIN api_app a ON a.id = v.app_id "
      "WHERE a.organisation_id = $1 AND e.event_type = 'R' ORDER BY e.\"timestamp\" LIMIT 3 FOR UPDATE", orgs_[0].id);
  ASSERT_EQ(locked.size(), 3u);
  auto o = options(kAcme);
  o.retainDays = 0;
  o.lockTimeout = std::chrono::milliseconds(200);
  const auto t0 = std::chrono::steady_clock::now();
  const db::PurgeResult r = db::runPurge(db_->params(), o);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  EXPECT_EQ(r.deleted, 397);
  EXPECT_EQ(r.remaining, 3);
  for (const auto& row : locked)
    EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent WHERE id = '" + row[0].as<std::string>() + "'"), 1);
  held.abort();
  const db::PurgeResult rerun = db::runPurge(db_->params(), o);
  EXPECT_EQ(rerun.deleted, 3);
  EXPECT_EQ(rerun.remaining, 0);
  checkSurvivors();
}

// Issue 13, defect 2: a transaction holding FOR UPDATE on the tag rows of some target
// events made the purge hit lock timeouts and exit 1. Those events (and their tag rows)
// are now left, at once, and the summary says how many and why.
TEST_F(PurgePg, HeldTagRowsLeaveTheirEventsAndNeverFailTheRun) {
  expectSurvivors(kAcme, "", now_);
  auto holder = db_->connect();
  pqxx::work held(*holder);
  const pqxx::result heldEvents = held.exec_params(
      "SELECT DISTINCT ON (e.\"timestamp\", e.id) e.id FROM api_secretevent e JOIN api_secretevent_tags t ON t.secretevent_id = e.id"
      " JOIN api_environment v ON v.id = e.environment_id JOIN api_app a ON a.id = v.app_id"
      " WHERE a.organisation_id = $1 AND e.event_type = 'R' ORDER BY e.\"timestamp\", e.id LIMIT 3", orgs_[0].id);
  ASSERT_EQ(heldEvents.size(), 3u);
  std::string ids = "'" + heldEvents[0][0].as<std::string>() + "','" + heldEvents[1][0].as<std::string>() + "','" +
                    heldEvents[2][0].as<std::string>() + "'";
  const long long heldTags = held.exec("SELECT count(*) FROM (SELECT id FROM api_secretevent_tags WHERE secretevent_id IN (" +
                                       ids + ") FOR UPDATE) x")[0][0].as<long long>();
  ASSERT_GE(heldTags, 3);
  const auto t0 = std::chrono::steady_clock::now();
  const ProcessResult r = runOperator({"purge", kAcme, "--retain", "0", "--batch-size", "40", "--lock-timeout", "2s",
                                       "--database-url", db_->url().reveal()});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.err.find("transient error"), std::string::npos) << "waited for a held row: " << r.err;
  EXPECT_LT(seconds, 2.0) << "a held tag row was waited on (lock timeout 2 s)";
  const auto s = summaryOf(r);
  EXPECT_EQ(s["deleted"], 397);
  EXPECT_EQ(s["remaining"], 3);
  EXPECT_EQ(s["skippedLocked"], 3);
  EXPECT_NE(s.value("skippedReason", "").find("held by another transaction"), std::string::npos) << s.dump();
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent WHERE id IN (" + ids + ")"), 3);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent_tags WHERE secretevent_id IN (" + ids + ")"), heldTags);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent_tags t LEFT JOIN api_secretevent e ON e.id = t.secretevent_id WHERE e.id IS NULL"), 0);
  held.abort();
  const ProcessResult rerun = runOperator({"purge", kAcme, "--retain", "0", "--database-url", db_->url().reveal()});
  ASSERT_EQ(rerun.exitCode, 0) << rerun.err;
  EXPECT_EQ(summaryOf(rerun)["deleted"], 3);
  EXPECT_EQ(summaryOf(rerun)["skippedLocked"], 0);
  checkSurvivors();
}

// Issue 13: a held event row cost a whole lock_timeout per batch; it is now skipped at once.
TEST_F(PurgePg, HeldEventRowsAreSkippedWithoutWaitingForTheLockTimeout) {
  expectSurvivors(kAcme, "", now_);
  auto holder = db_->connect();
  pqxx::work held(*holder);
  // One held row in each of several batches (every 60th read event in heap order).
  const pqxx::result locked = held.exec_params(
      "SELECT id FROM (SELECT e.id, row_number() OVER (ORDER BY e.ctid) n FROM api_secretevent e"
      " JOIN api_environment v ON v.id = e.environment_id JOIN api_app a ON a.id = v.app_id"
      " WHERE a.organisation_id = $1 AND e.event_type = 'R') x WHERE n % 60 = 1", orgs_[0].id);
  ASSERT_GE(locked.size(), 6u);
  std::string ids;
  for (const auto& row : locked) ids += (ids.empty() ? "'" : ",'") + row[0].as<std::string>() + "'";
  held.exec("SELECT 1 FROM api_secretevent WHERE id IN (" + ids + ") FOR UPDATE");
  auto o = options(kAcme);
  o.retainDays = 0;
  o.lockTimeout = std::chrono::milliseconds(2000);
  int retries = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const db::PurgeResult r = db::runPurge(db_->params(), o, nullptr, [&](const db::DbError&, int) { ++retries; });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(retries, 0);
  const long long n = static_cast<long long>(locked.size());
  EXPECT_EQ(r.deleted, 400 - n);
  EXPECT_EQ(r.remaining, n);
  EXPECT_EQ(r.skippedLocked, n);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent WHERE id IN (" + ids + ")"), n);
  held.abort();
  EXPECT_EQ(db::runPurge(db_->params(), o).deleted, n);
  checkSurvivors();
}

// Issue 13, defect 3: after a failure the summary said deleted 0, batches 0, cutoff "".
TEST_F(PurgePg, AFailedRunReportsWhatItDidBeforeFailing) {
  const long long total = events();
  const std::string termlog = "/tmp/pmo-purge-failed-termlog-" + std::to_string(::getpid());
  ProcessResult r;
  {
    Process p({"purge", kAcme, "--retain", "0", "--batch-size", "5", "--sleep", "20ms", "--database-url", db_->url().reveal()},
              {{"PMO_TERMINATION_LOG", termlog}});
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (events() > total - 40 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    // A table the purge needs goes away mid-run (not a transient error: no retry).
    auto conn = db_->connect();
    pqxx::nontransaction(*conn).exec("ALTER TABLE api_secretevent_tags RENAME TO api_secretevent_tags_away");
    r = p.wait(std::chrono::seconds(30));
    pqxx::nontransaction(*conn).exec("ALTER TABLE api_secretevent_tags_away RENAME TO api_secretevent_tags");
  }
  ASSERT_EQ(r.exitCode, 1) << r.err;
  const auto s = summaryOf(r);
  EXPECT_EQ(s["success"], false);
  EXPECT_NE(s.value("error", "").find("api_secretevent_tags"), std::string::npos) << s.dump();
  const long long gone = total - events();
  EXPECT_GE(gone, 40);
  EXPECT_LT(gone, 400);
  EXPECT_EQ(s["deleted"].get<long long>(), gone) << s.dump();
  EXPECT_GE(s["batches"].get<long long>(), 8) << s.dump();
  EXPECT_EQ(s["cutoff"].get<std::string>().size(), std::string("2026-01-01T00:00:00.000000Z").size()) << s.dump();
  EXPECT_GT(s["durationSeconds"].get<double>(), 0.0);
  std::ifstream in(termlog);
  std::string line;
  std::getline(in, line);
  std::remove(termlog.c_str());
  EXPECT_EQ(line + "\n", r.out);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent_tags t LEFT JOIN api_secretevent e ON e.id = t.secretevent_id WHERE e.id IS NULL"), 0);
}

// Issue 13, "Gentle": a session that waits on the purge's locks makes it back off (the load
// monitor sees it in pg_stat_activity); with the monitor off it does not.
TEST_F(PurgePg, SessionsWaitingOnItsLocksMakeItBackOff) {
  {
    // Each batch holds its locks at least 300 ms, so a waiter is there to be seen.
    auto conn = db_->connect();
    pqxx::nontransaction tx(*conn);
    tx.exec("CREATE FUNCTION pmo_test_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$");
    tx.exec("CREATE TRIGGER pmo_test_slow AFTER DELETE ON api_secretevent FOR EACH STATEMENT EXECUTE FUNCTION pmo_test_slow()");
  }
  auto purgeWithAWaiter = [&](bool backOff) {
    std::atomic<bool> stop{false};
    std::thread waiter([&] {
      // Phase-like DDL or a VACUUM FULL would queue the same way: a SHARE lock waits for
      // the batch's ROW EXCLUSIVE, then is released at once.
      auto c = db_->connect();
      while (!stop) {
        pqxx::work tx(*c);
        tx.exec("LOCK TABLE api_secretevent IN SHARE MODE");
        tx.commit();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
    auto o = options(kAcme);
    o.retainDays = 0;
    o.backOffUnderLoad = backOff;
    db::PurgeResult r;
    try {
      r = db::runPurge(db_->params(), o);
    } catch (...) {
      stop = true;
      waiter.join();
      throw;
    }
    stop = true;
    waiter.join();
    return r;
  };
  const db::PurgeResult off = purgeWithAWaiter(false);
  EXPECT_EQ(off.backoffs, 0);
  EXPECT_GT(off.deleted, 0);
  // Put the rows back for the second run: the survivors check covers both.
  auto conn = db_->connect();
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent e JOIN api_environment v ON v.id = e.environment_id"
                        " JOIN api_app a ON a.id = v.app_id WHERE a.organisation_id = '" + orgs_[0].id + "' AND event_type = 'R'"),
            0);
  {
    pqxx::work tx(*conn);
    for (int i = 0; i < 200; ++i)
      insertEvent(tx, orgs_[0].environmentIds[0][i % 2], 'R',
                  "now() - INTERVAL '" + std::to_string(40 + i % 10) + " days'", i % 3 == 0);
    tx.commit();
  }
  const db::PurgeResult on = purgeWithAWaiter(true);
  EXPECT_EQ(on.deleted, 200);
  EXPECT_GT(on.backoffs, 0);
  EXPECT_NE(on.backoffReason.find("wait on its locks"), std::string::npos) << on.backoffReason;
  EXPECT_GT(on.backoffSeconds, 0.0);
  const auto summary = db::purgeSummary(options(kAcme), on);
  EXPECT_EQ(summary["backoffs"], on.backoffs);
}

TEST_F(PurgePg, ConnectionKilledMidRunIsRetriedAndTheRunFinishes) {
  expectSurvivors(kAcme, "", now_);
  const long long total = events();
  auto params = db_->params();
  params.applicationName = "pmo-purge-kill-test-" + std::to_string(::getpid());
  auto o = options(kAcme);
  o.retainDays = 0;
  o.batchSizeCap = 5;
  o.sleepBetweenBatches = std::chrono::milliseconds(20);
  o.retry = db::RetryPolicy{6, std::chrono::milliseconds(20)};
  std::atomic<int> retries{0};
  db::PurgeResult r;
  std::string failure;
  std::thread purge([&] {
    try {
      r = db::runPurge(params, o, nullptr, [&](const db::DbError&, int) { ++retries; });
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  // Once it is well under way, terminate its backend (as a failover or an admin would).
  long long terminated = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (terminated == 0 && std::chrono::steady_clock::now() < until) {
    if (events() <= total - 40)
      terminated = db_->scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '" +
                               params.applicationName + "'");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  purge.join();
  ASSERT_EQ(failure, "");
  EXPECT_EQ(terminated, 1);
  EXPECT_GE(retries.load(), 1);
  // Every row exactly once across the reconnect; only a batch whose commit raced the kill
  // can have done its work without its count coming back (at most the 5-row cap).
  EXPECT_LE(r.deleted, 400);
  EXPECT_GE(r.deleted, 395);
  EXPECT_EQ(r.remaining, 0);
  checkSurvivors();
}

TEST_F(PurgePg, WrongPasswordIsAClearErrorWithoutThePassword) {
  auto p = db_->params();
  p.password = Secret("Wr0ng-Pa55word-xyzzy");
  const ProcessResult r = runOperator({"purge", kAcme, "--database-url", databaseUrl(p).reveal()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("password authentication failed"), std::string::npos) << r.err;
  EXPECT_EQ((r.err + r.out).find("Wr0ng-Pa55word-xyzzy"), std::string::npos) << r.err << r.out;
  EXPECT_EQ((r.err + r.out).find(db_->params().password.reveal()), std::string::npos);
}

TEST_F(PurgePg, UnreachableDatabaseIsAClearErrorWithoutThePassword) {
  auto p = db_->params();
  p.port = 1;  // nothing listens there
  p.password = Secret("Unreachable-Secret-42");
  const ProcessResult r = runOperator({"purge", kAcme, "--database-url", databaseUrl(p).reveal()}, {}, std::chrono::seconds(90));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("cannot reach the database"), std::string::npos) << r.err;
  EXPECT_EQ((r.err + r.out).find("Unreachable-Secret-42"), std::string::npos) << r.err << r.out;
}

// Issue 13, defect 4: a missing database was retried 6 times as if transient.
TEST_F(PurgePg, AMissingDatabaseFailsAtOnceWithoutRetries) {
  auto p = db_->params();
  p.dbname = "no_such_database";
  const ProcessResult r = runOperator({"purge", kAcme, "--database-url", databaseUrl(p).reveal()}, {}, std::chrono::seconds(60));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("database \"no_such_database\" does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("transient error"), std::string::npos) << "retried: " << r.err;
}

TEST_F(PurgePg, BadFlagsExitTwoWithUsage) {
  const ProcessResult r = runOperator({"purge", kAcme, "--retain", "-3"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("Usage: phase-maintenance-operator purge"), std::string::npos);
  EXPECT_EQ(runOperator({"purge", kAcme, "--bogus"}).exitCode, 2);
  EXPECT_EQ(runOperator({"purge", kAcme, "--sleep", "soon"}).exitCode, 2);
  const ProcessResult help = runOperator({"purge", "--help"});
  EXPECT_EQ(help.exitCode, 0);
  for (const char* flag : {"--retain", "--app-id", "--dry-run", "--batch-size", "--max-batch-duration", "--sleep", "--deadline",
                           "--max-duration", "--lock-timeout", "--statement-timeout", "--database-url"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
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

TEST_F(PurgePg, SummaryGoesToTheTerminationLog) {
  const std::string path = "/tmp/pmo-purge-termlog-" + std::to_string(::getpid());
  const ProcessResult r = runOperator({"purge", kAcme, "--dry-run", "--database-url", db_->url().reveal()}, {{"PMO_TERMINATION_LOG", path}});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::remove(path.c_str());
  EXPECT_EQ(line + "\n", r.out);
  EXPECT_EQ(summaryOf(r)["dryRun"], true);
}

}  // namespace
}  // namespace pmo::testing
