// `vacuum --method repack` against a real PostgreSQL with the pg_repack extension and the
// real pg_repack client: the space comes back, every row stays (also rows written while it
// runs), readers go on while it runs but wait during VACUUM FULL, a missing extension or a
// held table is refused with nothing changed, and the CLI runs it with no secret in sight.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "db/repack.hpp"
#include "db/vacuum.hpp"
#include "support/pg_fixture.hpp"
#include "support/phase_data.hpp"
#include "support/process.hpp"
#include "vacuum_support.hpp"

namespace pmo::db {
namespace {

using pmo::testing::ScratchDatabase;
using Clock = std::chrono::steady_clock;

class RepackPg : public ::testing::Test {
 protected:
  void load(long events, bool extension = true) {
    db_ = std::make_unique<ScratchDatabase>("repack");
    conn_ = db_->connect();
    pmo::testing::DataSpec spec;
    spec.organisations.push_back({"Org", 1, 2, events, events / 10});
    spec.taggedFraction = 0.2;
    orgs_ = pmo::testing::generatePhaseData(*conn_, spec);
    if (extension) db_->exec("CREATE EXTENSION pg_repack");
  }
  long long fileNode() { return db_->scalar("SELECT pg_relation_filenode('api_secretevent')"); }
  // Every row and every tag link, as one digest: equal digests, equal contents.
  std::string digest() {
    pqxx::read_transaction tx(*conn_);
    return tx
        .exec1("SELECT md5(coalesce(string_agg(e::text, ',' ORDER BY e.id), '')) || '/' ||"
               " (SELECT md5(coalesce(string_agg(secretevent_id || ':' || secrettag_id, ',' ORDER BY 1), ''))"
               "  FROM api_secretevent_tags) FROM api_secretevent e")[0]
        .as<std::string>();
  }
  // Runs it; the client's output lines are kept in clientLines_.
  VacuumResult run(VacuumMethod method, std::chrono::milliseconds budget = std::chrono::seconds(10)) {
    VacuumOptions o;
    o.method = method;
    o.lockTimeout = budget;
    return vacuumTable(db_->params(), o, {}, [this](const std::string& m) {
      if (m.rfind("pg_repack:", 0) == 0) clientLines_.push_back(m);
    });
  }
  std::vector<std::string> clientLines_;
  std::unique_ptr<ScratchDatabase> db_;
  std::unique_ptr<pqxx::connection> conn_;
  std::vector<pmo::testing::GeneratedOrg> orgs_;
};

TEST_F(RepackPg, ReturnsTheSpaceAndKeepsEveryRowIncludingThoseWrittenMeanwhile) {
  load(20000);
  db_->exec("DELETE FROM api_secretevent_tags; DELETE FROM api_secretevent WHERE event_type = 'R' AND id IN"
            " (SELECT id FROM api_secretevent WHERE event_type = 'R' ORDER BY id LIMIT 16000)");
  const std::string before = digest();
  const long long rowsBefore = db_->scalar("SELECT count(*) FROM api_secretevent");
  const long long nodeBefore = fileNode();

  // A writer at a steady pace during the repack: its rows must survive the swap.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::string writerError;
  const std::string environment = orgs_.at(0).environmentIds.at(0).at(0);
  std::thread writer([&] {
    try {
      auto c = db_->connect();
      while (!stop) {
        pqxx::work tx(*c);
        pmo::testing::insertEvent(tx, environment, 'R', "TIMESTAMPTZ '2100-01-01 00:00:00+00'", true);
        tx.commit();
        ++written;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    } catch (const std::exception& e) {
      writerError = e.what();
    }
  });
  const VacuumResult r = run(VacuumMethod::Repack);
  stop = true;
  writer.join();

  ASSERT_EQ(r.outcome, VacuumOutcome::Completed) << r.message;
  EXPECT_EQ(r.method, VacuumMethod::Repack);
  EXPECT_TRUE(writerError.empty()) << writerError;
  EXPECT_GT(written.load(), 0);
  EXPECT_NE(fileNode(), nodeBefore) << "the table was rebuilt into a new file";
  ASSERT_TRUE(r.after);
  EXPECT_LT(r.after->tableBytes, r.before.tableBytes / 2) << "the space of 16,000 deleted rows came back";
  EXPECT_GT(r.bytesReclaimed, 0);
  EXPECT_GE(r.lockAttempts, 1);
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM api_secretevent"), rowsBefore + written.load());
  EXPECT_FALSE(clientLines_.empty()) << "the client's output reaches the sink";
  db_->exec("DELETE FROM api_secretevent_tags WHERE secretevent_id IN (SELECT id FROM api_secretevent"
            " WHERE timestamp >= '2100-01-01'); DELETE FROM api_secretevent WHERE timestamp >= '2100-01-01'");
  EXPECT_EQ(digest(), before) << "every row that was there is there, unchanged";
  EXPECT_EQ(db_->scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'api_secretevent'"), 19)
      << "every index rebuilt";
  EXPECT_EQ(toJson(r).at("method"), "Repack");
}

// The point of Repack: during VACUUM FULL's rewrite every read waits; during a repack of the
// same table reads go on, held up at most by its brief exclusive locks.
TEST_F(RepackPg, ReadersGoOnDuringARepackButWaitForAVacuumFull) {
  load(80000);
  pmo::testing::ReadLoop reads(db_->connect(), std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  const auto fullStart = Clock::now();
  const VacuumResult full = run(VacuumMethod::Full);
  const auto fullEnd = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto repackStart = Clock::now();
  const VacuumResult repack = run(VacuumMethod::Repack);
  const auto repackEnd = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  reads.stop();

  ASSERT_EQ(full.outcome, VacuumOutcome::Completed) << full.message;
  ASSERT_EQ(repack.outcome, VacuumOutcome::Completed) << repack.message;
  EXPECT_TRUE(reads.error().empty()) << reads.error();
  const auto duringFull = reads.longest(fullStart, fullEnd);
  const auto duringRepack = reads.longest(repackStart, repackEnd);
  const auto fullRewriteMs = static_cast<long long>(full.durationSeconds * 1000);
  ::testing::Test::RecordProperty("longest_read_ms_vacuum_full", static_cast<int>(duringFull.count()));
  ::testing::Test::RecordProperty("longest_read_ms_repack", static_cast<int>(duringRepack.count()));
  std::cerr << "longest read: " << duringFull.count() << " ms during VACUUM FULL (rewrite " << fullRewriteMs
            << " ms), " << duringRepack.count() << " ms during the repack ("
            << static_cast<long long>(repack.durationSeconds * 1000) << " ms)\n";
  ASSERT_GE(fullRewriteMs, 300) << "the table is too small to tell the two apart";
  EXPECT_GE(duringFull.count(), fullRewriteMs / 2) << "readers wait for the whole VACUUM FULL rewrite";
  EXPECT_LT(duringRepack, std::chrono::milliseconds(300)) << "a reader was blocked during the repack";
  EXPECT_LT(duringRepack * 2, duringFull);
}

TEST_F(RepackPg, WithoutTheExtensionItNamesTheFixAndChangesNothing) {
  load(500, false);
  const long long node = fileNode();
  try {
    run(VacuumMethod::Repack);
    FAIL() << "expected a refusal";
  } catch (const DbError& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Permanent);
    EXPECT_NE(std::string(e.what()).find("install the pg_repack extension or use method Full"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("CREATE EXTENSION pg_repack"), std::string::npos)
        << "this server offers it: " << e.what();
  }
  EXPECT_EQ(fileNode(), node);
}

TEST_F(RepackPg, GivesUpBehindAHolderWithoutStallingReadersOrStartingTheClient) {
  load(500);
  auto holder = db_->connect();
  pqxx::work holderTx(*holder);
  holderTx.exec("SELECT count(*) FROM api_secretevent");
  const long long node = fileNode();
  pmo::testing::ReadLoop reads(db_->connect(), std::chrono::milliseconds(25));
  const auto start = Clock::now();
  const VacuumResult r = run(VacuumMethod::Repack, std::chrono::milliseconds(1500));
  const auto end = Clock::now();
  reads.stop();
  holderTx.abort();

  EXPECT_EQ(r.outcome, VacuumOutcome::GaveUp);
  EXPECT_NE(r.message.find("nothing was changed"), std::string::npos) << r.message;
  EXPECT_GT(r.lockAttempts, 2);
  EXPECT_LT(reads.longest(start, end), std::chrono::milliseconds(300));
  EXPECT_EQ(fileNode(), node);
  EXPECT_TRUE(clientLines_.empty()) << "the client never started";
}

TEST_F(RepackPg, CliRunsTheRealClientWithNoSecretInItsOutput) {
  load(3000);
  db_->exec("DELETE FROM api_secretevent_tags; DELETE FROM api_secretevent WHERE event_type = 'R'");
  pmo::testing::TempDir dir;
  const std::string password = db_->params().password.reveal();
  ASSERT_GE(password.size(), 8u);
  auto out = pmo::testing::runCli(
      {PMO_OPERATOR_BINARY, "vacuum", "--method", "repack", "--database-url=" + db_->url().reveal()},
      {{"PMO_TERMINATION_LOG", dir.path() + "/termination-log"}}, std::chrono::seconds(120));
  ASSERT_EQ(out.exitCode, 0) << out.err;
  const auto summary = nlohmann::json::parse(out.out);
  EXPECT_EQ(summary.at("method"), "Repack");
  EXPECT_EQ(summary.at("outcome"), "Completed");
  EXPECT_EQ(summary.at("full"), true);
  EXPECT_GT(summary.at("bytesReclaimed").get<long long>(), 0);
  EXPECT_NE(out.err.find("pg_repack: INFO: repacking table"), std::string::npos) << out.err;
  EXPECT_EQ(out.err.find(password), std::string::npos);
  EXPECT_EQ(out.out.find(password), std::string::npos);

  auto bad = pmo::testing::run({PMO_OPERATOR_BINARY, "vacuum", "--method", "optimise", "--database-url=x"});
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_NE(bad.err.find("--method must be plain, full or repack"), std::string::npos) << bad.err;
  auto contradiction = pmo::testing::run({PMO_OPERATOR_BINARY, "vacuum", "--full", "--method", "plain"});
  EXPECT_EQ(contradiction.exitCode, 2) << contradiction.err;
  auto noClient = pmo::testing::runCli({PMO_OPERATOR_BINARY, "vacuum", "--method", "repack", "--pg-repack",
                                     dir.path() + "/nothing", "--database-url=" + db_->url().reveal()});
  EXPECT_EQ(noClient.exitCode, 1);
  EXPECT_NE(noClient.err.find("use method Full"), std::string::npos) << noClient.err;
}

TEST(RepackClient, ArgumentsNeverKillOtherSessionsAndEnvironmentCarriesThePassword) {
  const auto args = repackArguments("api_secretevent", std::chrono::milliseconds(2500));
  EXPECT_EQ(args, (std::vector<std::string>{"--table=api_secretevent", "--no-order", "--wait-timeout=3",
                                            "--no-kill-backend", "--no-superuser-check", "--no-password"}));
  EXPECT_EQ(repackArguments("t", std::chrono::milliseconds(10)).at(2), "--wait-timeout=1");
  ConnectionParams p;
  p.host = "db.example";
  p.port = 6543;
  p.dbname = "phase_db";
  p.user = "phase_api";
  p.password = Secret("s3cr3t-pw");
  p.sslMode = "require";
  const auto env = repackEnvironment(p);
  EXPECT_EQ(env.at("PGHOST"), "db.example");
  EXPECT_EQ(env.at("PGPORT"), "6543");
  EXPECT_EQ(env.at("PGDATABASE"), "phase_db");
  EXPECT_EQ(env.at("PGUSER"), "phase_api");
  EXPECT_EQ(env.at("PGPASSWORD"), "s3cr3t-pw");
  EXPECT_EQ(env.at("PGSSLMODE"), "require");
  for (const auto& a : args) EXPECT_EQ(a.find("s3cr3t"), std::string::npos);
  EXPECT_THROW(findRepackClient("/nonexistent/pg_repack", ""), DbError);
  EXPECT_NE(findRepackClient("", "/nonexistent").find("pg_repack"), std::string::npos)
      << "found in /usr/lib/postgresql/*/bin (setup.sh installs postgresql-15-repack)";
}

}  // namespace
}  // namespace pmo::db
