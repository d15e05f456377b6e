// The purge when things go wrong: an honest summary of a failed run, a lost connection
// retried, clear errors without the password for a wrong password, an unreachable or
// missing database, bad flags, and the summary in the termination log.
#include <chrono>
#include <fstream>

#include "pg/purge_fixture.hpp"

namespace pmo::testing::purge_pg {
namespace {

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

// The exact count at the start runs on a second connection beside the first batches. A
// role allowed one connection cannot open it: the purge then counts before its first batch
// on its own connection, and the run and its summary are the same.
TEST_F(PurgePg, WithoutASecondConnectionItCountsBeforeTheFirstBatch) {
  expectSurvivors(kAcme, "", now_);
  const std::string role = "pmo_one_conn_" + std::to_string(::getpid());
  const std::string password = "One-Conn-Pw-" + std::to_string(::getpid());
  db_->exec("CREATE ROLE " + role + " LOGIN CONNECTION LIMIT 1 PASSWORD '" + password + "';"
            "GRANT ALL ON ALL TABLES IN SCHEMA public TO " + role);
  struct DropRole {
    ScratchDatabase& db;
    std::string role;
    ~DropRole() {
      try {
        db.exec("DROP OWNED BY " + role + "; DROP ROLE " + role);
      } catch (...) {
      }
    }
  } dropRole{*db_, role};
  auto p = db_->params();
  p.user = role;
  p.password = Secret(password);
  auto o = options(kAcme);
  o.retainDays = 0;
  o.backOffUnderLoad = false;  // the load monitor would want a connection too
  const db::PurgeResult r = db::runPurge(p, o);
  expectAllDeletedAndCounted(r, 400);
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
}  // namespace pmo::testing::purge_pg
