// Stats and VACUUM of the audit-log table against a real PostgreSQL with Phase's schema:
// sane numbers, dead tuples gone after VACUUM, space returned by FULL, FULL giving up
// (not hanging) behind a reader's lock, thresholds that skip, safe table names, the CLI.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "db/vacuum.hpp"
#include "support/pg_fixture.hpp"
#include "support/phase_data.hpp"
#include "support/process.hpp"
#include "vacuum_support.hpp"

namespace pmo::db {
namespace {

using pmo::testing::ScratchDatabase;

constexpr long kEvents = 4000;  // all reads, so "delete reads" leaves dead tuples to count

class AuditTablePg : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<ScratchDatabase>("vacuum");
    conn_ = db_->connect();
    pmo::testing::DataSpec spec;
    spec.organisations.push_back({"Org", 1, 2, kEvents, 0});
    spec.taggedFraction = 0;
    pmo::testing::generatePhaseData(*conn_, spec);
  }
  // Deletes `n` events and makes the server publish the counts now (it otherwise
  // flushes table statistics at most once a second, when the session is idle).
  void deleteEvents(long n) {
    pqxx::work tx(*conn_);
    tx.exec0("DELETE FROM api_secretevent WHERE id IN (SELECT id FROM api_secretevent ORDER BY id LIMIT " +
             std::to_string(n) + ")");
    tx.exec("SELECT pg_stat_force_next_flush()");
    lastDeleteXid_ = tx.exec1("SELECT txid_current() & 4294967295")[0].as<long long>();
    tx.commit();
  }
  // Statistics are published asynchronously: wait (bounded) until they show `pred`.
  TableStats statsWhen(const std::function<bool(const TableStats&)>& pred) {
    TableStats s;
    pmo::testing::eventually([&] { return pred(s = readTableStats(*conn_)); }, std::chrono::seconds(15),
                             std::chrono::milliseconds(100));
    return s;
  }
  // VACUUM keeps rows that a transaction older than the DELETE may still see. VACUUM FULL
  // is stricter still: it runs with a snapshot of its own, whose xmin is the oldest
  // transaction running anywhere on the server (here: other test processes loading data).
  // Wait until none is older than the DELETE, so the figures below depend on the code
  // under test, not on what runs beside it.
  void waitForNoOlderSnapshots() {
    const bool quiet = pmo::testing::eventually(
        [&] {
          return db_->scalar("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ("
                             " backend_xmin::text::bigint <= " + std::to_string(lastDeleteXid_) +
                             " OR backend_xid::text::bigint <= " + std::to_string(lastDeleteXid_) + ")") == 0;
        },
        std::chrono::seconds(60), std::chrono::milliseconds(100));
    ASSERT_TRUE(quiet) << horizonHolders();
  }
  // Sessions anywhere on the server holding back the removal horizon (failure diagnostics).
  std::string horizonHolders() {
    auto c = db_->connect();
    pqxx::read_transaction tx(*c);
    std::string out;
    for (const auto& r : tx.exec("SELECT coalesce(datname, '-') || ' pid ' || pid || ' ' || coalesce(backend_type, '') ||"
                                 " ' xmin ' || coalesce(backend_xmin::text, '-') || ' xid ' || coalesce(backend_xid::text, '-') ||"
                                 " ' ' || left(coalesce(query, ''), 80) FROM pg_stat_activity"
                                 " WHERE backend_xmin IS NOT NULL OR backend_xid IS NOT NULL")) {
      out += "\n  " + r[0].as<std::string>();
    }
    return out.empty() ? "no session holds a snapshot now" : "sessions with snapshots:" + out;
  }
  std::unique_ptr<ScratchDatabase> db_;
  std::unique_ptr<pqxx::connection> conn_;
  long long lastDeleteXid_ = 0;
};

TEST_F(AuditTablePg, StatsAreSaneAfterInsertsAndDeletes) {
  TableStats s = statsWhen([](const TableStats& t) { return t.liveTuples == kEvents; });
  EXPECT_EQ(s.liveTuples, kEvents);
  EXPECT_EQ(s.deadTuples, 0);
  EXPECT_EQ(s.table, "api_secretevent");
  EXPECT_EQ(s.currentDatabase, db_->name());
  EXPECT_EQ(s.currentUser, db_->params().user);
  EXPECT_TRUE(s.currentUserCanVacuum);
  EXPECT_GT(s.tableBytes, 8192 * 10);
  EXPECT_GT(s.indexBytes, s.tableBytes / 4) << "19 indexes";
  EXPECT_GE(s.totalBytes, s.tableBytes + s.indexBytes);
  EXPECT_EQ(s.checkedAt.size(), std::string("2024-05-01T10:00:00.123456Z").size()) << s.checkedAt;

  deleteEvents(1000);
  s = statsWhen([](const TableStats& t) { return t.deadTuples == 1000; });
  EXPECT_EQ(s.deadTuples, 1000);
  EXPECT_EQ(s.liveTuples, kEvents - 1000);
  EXPECT_NEAR(s.deadRatio(), 0.25, 1e-9);
  EXPECT_FALSE(s.lastVacuum);
  const nlohmann::json j = s;
  EXPECT_EQ(j.at("deadTuples"), 1000);
  EXPECT_TRUE(j.at("lastVacuum").is_null());
}

TEST_F(AuditTablePg, VacuumRemovesDeadTuplesAndReportsBeforeAndAfter) {
  deleteEvents(1500);
  statsWhen([](const TableStats& t) { return t.deadTuples == 1500; });
  waitForNoOlderSnapshots();
  std::vector<std::string> messages;
  const VacuumResult r = vacuumTable(db_->params(), VacuumOptions{}, {},
                                     [&](const std::string& m) { messages.push_back(m); });
  EXPECT_EQ(r.outcome, VacuumOutcome::Completed);
  EXPECT_FALSE(r.full());
  EXPECT_EQ(r.method, VacuumMethod::Plain);
  EXPECT_EQ(r.before.deadTuples, 1500);
  ASSERT_TRUE(r.after);
  EXPECT_EQ(r.after->deadTuples, 0);
  EXPECT_EQ(r.after->liveTuples, kEvents - 1500);
  EXPECT_TRUE(r.after->lastVacuum);
  EXPECT_TRUE(r.after->lastAnalyze);
  EXPECT_EQ(r.bytesReclaimed, r.before.totalBytes - r.after->totalBytes);
  EXPECT_GE(r.durationSeconds, 0.0);
  EXPECT_FALSE(messages.empty()) << "VERBOSE output reaches the sink";
}

TEST_F(AuditTablePg, VacuumFullReturnsSpace) {
  deleteEvents(3500);
  statsWhen([](const TableStats& t) { return t.deadTuples == 3500; });
  waitForNoOlderSnapshots();
  VacuumOptions o;
  o.method = VacuumMethod::Full;
  const VacuumResult r = vacuumTable(db_->params(), o);
  ASSERT_EQ(r.outcome, VacuumOutcome::Completed) << r.message;
  ASSERT_TRUE(r.after);
  EXPECT_LT(r.after->tableBytes, r.before.tableBytes / 2) << horizonHolders();
  EXPECT_GT(r.bytesReclaimed, 0);
  EXPECT_EQ(toJson(r).at("bytesReclaimed"), r.bytesReclaimed);
}

TEST_F(AuditTablePg, VacuumFullGivesUpBehindAReaderInsteadOfQueueing) {
  auto reader = db_->connect();
  pqxx::work readerTx(*reader);
  readerTx.exec("SELECT count(*) FROM api_secretevent");  // holds ACCESS SHARE until it ends
  const long long fileBefore = db_->scalar("SELECT pg_relation_filenode('api_secretevent')");

  VacuumOptions o;
  o.method = VacuumMethod::Full;
  o.lockTimeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  const VacuumResult r = vacuumTable(db_->params(), o);
  const auto took = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(r.outcome, VacuumOutcome::GaveUp);
  EXPECT_TRUE(r.gaveUp());
  EXPECT_FALSE(r.after);
  EXPECT_NE(r.message.find("--lock-timeout"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("0.3s"), std::string::npos) << r.message;
  EXPECT_LT(took, std::chrono::seconds(5)) << "gave up after the lock timeout, did not wait for the reader";
  readerTx.abort();
  EXPECT_EQ(db_->scalar("SELECT pg_relation_filenode('api_secretevent')"), fileBefore) << "table not rewritten";
}

// A queued ACCESS EXCLUSIVE request blocks every later reader of the table. VACUUM FULL
// therefore asks for its lock in short attempts with pauses between them: while another
// session holds the table, the secret reads around it wait milliseconds, never the whole
// --lock-timeout, and a refused run changes nothing.
TEST_F(AuditTablePg, RefusedVacuumFullStallsReadersOnlyForMoments) {
  auto holder = db_->connect();
  pqxx::work holderTx(*holder);
  holderTx.exec("SELECT count(*) FROM api_secretevent");  // ACCESS SHARE until it ends
  const long long fileBefore = db_->scalar("SELECT pg_relation_filenode('api_secretevent')");
  pmo::testing::ReadLoop reads(db_->connect(), std::chrono::milliseconds(25));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  VacuumOptions o;
  o.method = VacuumMethod::Full;
  o.lockTimeout = std::chrono::seconds(2);
  const auto start = std::chrono::steady_clock::now();
  const VacuumResult r = vacuumTable(db_->params(), o);
  const auto end = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  reads.stop();

  EXPECT_EQ(r.outcome, VacuumOutcome::GaveUp);
  EXPECT_NE(r.message.find("nothing was changed"), std::string::npos) << r.message;
  EXPECT_GE(end - start, std::chrono::milliseconds(1500)) << "kept trying for its whole budget";
  EXPECT_LT(end - start, std::chrono::seconds(4)) << "and not much longer";
  EXPECT_TRUE(reads.error().empty()) << reads.error();
  EXPECT_GT(reads.count(), 20u);
  const auto longest = reads.longest(start, end);
  ::testing::Test::RecordProperty("longest_read_ms_refused", static_cast<int>(longest.count()));
  std::cerr << "longest read while a VACUUM FULL was refused for 2 s: " << longest.count() << " ms\n";
  EXPECT_LT(longest, std::chrono::milliseconds(300)) << "a reader waited behind the queued lock request";
  holderTx.abort();
  EXPECT_EQ(db_->scalar("SELECT pg_relation_filenode('api_secretevent')"), fileBefore) << "table not rewritten";
}

TEST_F(AuditTablePg, VacuumFullWaitingForAHolderLetsReadersThroughUntilGranted) {
  auto holder = db_->connect();
  auto holderTx = std::make_unique<pqxx::work>(*holder);
  holderTx->exec("SELECT count(*) FROM api_secretevent");
  const long long fileBefore = db_->scalar("SELECT pg_relation_filenode('api_secretevent')");
  pmo::testing::ReadLoop reads(db_->connect(), std::chrono::milliseconds(25));
  const auto start = std::chrono::steady_clock::now();
  const auto release = start + std::chrono::milliseconds(1200);
  std::thread releaser([&] {
    std::this_thread::sleep_until(release);
    holderTx->commit();
  });

  VacuumOptions o;
  o.method = VacuumMethod::Full;
  o.lockTimeout = std::chrono::seconds(20);
  const VacuumResult r = vacuumTable(db_->params(), o);
  const auto end = std::chrono::steady_clock::now();
  releaser.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  reads.stop();

  ASSERT_EQ(r.outcome, VacuumOutcome::Completed) << r.message;
  EXPECT_GE(end - start, std::chrono::milliseconds(1100)) << "it could not have the lock before the holder let go";
  EXPECT_NE(db_->scalar("SELECT pg_relation_filenode('api_secretevent')"), fileBefore) << "table rewritten";
  EXPECT_TRUE(reads.error().empty()) << reads.error();
  // Reads that started well before the release: the lock was only ever requested for moments.
  const auto whileWaiting = reads.longest(start, release - std::chrono::milliseconds(200));
  const auto whileGranted = reads.longest(release - std::chrono::milliseconds(200), end);
  ::testing::Test::RecordProperty("longest_read_ms_waiting", static_cast<int>(whileWaiting.count()));
  ::testing::Test::RecordProperty("longest_read_ms_granted", static_cast<int>(whileGranted.count()));
  std::cerr << "longest read: " << whileWaiting.count() << " ms while VACUUM FULL waited, " << whileGranted.count()
            << " ms around its grant (rewrite of " << r.durationSeconds << " s)\n";
  EXPECT_LT(whileWaiting, std::chrono::milliseconds(300)) << "a reader waited behind the queued lock request";
}

TEST_F(AuditTablePg, ThresholdsSkipWhenThereIsLittleToReclaim) {
  deleteEvents(100);
  statsWhen([](const TableStats& t) { return t.deadTuples == 100; });
  VacuumOptions tuples;
  tuples.minDeadTuples = 101;
  const VacuumResult byCount = vacuumTable(db_->params(), tuples);
  EXPECT_TRUE(byCount.skipped());
  EXPECT_NE(byCount.message.find("--min-dead-tuples"), std::string::npos) << byCount.message;
  EXPECT_FALSE(byCount.after);

  VacuumOptions ratio;
  ratio.minDeadRatio = 0.5;  // 100 / 4000
  EXPECT_TRUE(vacuumTable(db_->params(), ratio).skipped());
  EXPECT_FALSE(readTableStats(*conn_).lastVacuum) << "skipped means not vacuumed";

  tuples.minDeadTuples = 100;
  EXPECT_EQ(vacuumTable(db_->params(), tuples).outcome, VacuumOutcome::Completed);
}

TEST_F(AuditTablePg, TableNamesAreValidatedAndQuoted) {
  EXPECT_EQ(quoteTableName("api_secretevent"), "\"api_secretevent\"");
  EXPECT_EQ(quoteTableName("public.api_secretevent"), "\"public\".\"api_secretevent\"");
  for (const char* bad : {"", "api_secretevent; DROP TABLE api_app", "a\"b", "1abc", "a.b.c", "a.", "x y"}) {
    EXPECT_THROW(quoteTableName(bad), std::invalid_argument) << bad;
  }
  VacuumOptions o;
  o.table = "api_secretevent; DROP TABLE api_app";
  EXPECT_THROW(vacuumTable(db_->params(), o), std::invalid_argument);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'api_app'"), 1);
  try {
    readTableStats(*conn_, "no_such_table");
    FAIL() << "expected an error";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_NE(std::string(e.what()).find("no_such_table"), std::string::npos);
  }
  EXPECT_EQ(readTableStats(*conn_, "public.api_app").table, "public.api_app");
}

TEST_F(AuditTablePg, UserWhoMayNotVacuumIsToldSoInsteadOfASilentNoOp) {
  const std::string role = "pmo_vacuum_reader_" + std::to_string(::getpid());  // roles are cluster-wide
  db_->exec("CREATE ROLE " + role + " LOGIN PASSWORD 'reader-pw'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
  ConnectionParams reader = db_->params();
  reader.user = role;
  reader.password = Secret("reader-pw");
  try {
    vacuumTable(reader, VacuumOptions{});
    ADD_FAILURE() << "expected a refusal";
  } catch (const DbError& e) {
    EXPECT_EQ(e.sqlstate(), "42501");
    EXPECT_NE(std::string(e.what()).find(role), std::string::npos) << e.what();
  }
  db_->exec("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM " + role + "; DROP ROLE " + role);
}

TEST_F(AuditTablePg, CliVacuumAndStatsPrintTablesAndAOneLineJsonSummary) {
  pmo::testing::TempDir dir;
  const std::string log = dir.path() + "/termination-log";
  const std::string url = "--database-url=" + db_->url().reveal();
  auto skipped = pmo::testing::runCli({PMO_OPERATOR_BINARY, "vacuum", "--min-dead-tuples", "1000000", url},
                                   {{"PMO_TERMINATION_LOG", log}});
  ASSERT_EQ(skipped.exitCode, 0) << skipped.err;
  const auto summary = nlohmann::json::parse(skipped.out);
  EXPECT_EQ(summary.at("skipped"), true);
  EXPECT_EQ(summary.at("command"), "vacuum");
  EXPECT_EQ(nlohmann::json::parse(pmo::testing::readFile(log)), summary);
  EXPECT_NE(skipped.err.find("dead tuples"), std::string::npos) << skipped.err;

  auto vacuumed = pmo::testing::runCli({PMO_OPERATOR_BINARY, "vacuum", url}, {{"PMO_TERMINATION_LOG", log}});
  ASSERT_EQ(vacuumed.exitCode, 0) << vacuumed.err;
  EXPECT_EQ(nlohmann::json::parse(vacuumed.out).at("outcome"), "Completed");
  EXPECT_NE(vacuumed.err.find(db_->name()), std::string::npos) << "prints current_database as the guide checks";

  auto stats = pmo::testing::runCli({PMO_OPERATOR_BINARY, "stats", "--output", "json", url});
  ASSERT_EQ(stats.exitCode, 0) << stats.err;
  EXPECT_FALSE(nlohmann::json::parse(stats.out).at("lastVacuum").is_null());

  auto badTable = pmo::testing::runCli({PMO_OPERATOR_BINARY, "stats", "--table", "x;y", url});
  EXPECT_EQ(badTable.exitCode, 2) << badTable.err;

  auto lockedOut = pmo::testing::runCli({PMO_OPERATOR_BINARY, "vacuum", "--lock-timeout", "0s", "--full", url});
  EXPECT_EQ(lockedOut.exitCode, 2) << "a FULL that may wait forever is refused";
}

}  // namespace
}  // namespace pmo::db
