// The purge never blocks and is never blocked: rows another transaction holds are skipped
// at once and left for the next run, two purges at once share the work, a kill -9 loses
// nothing, and sessions waiting on its locks make it back off.
#include <atomic>
#include <chrono>
#include <thread>

#include "pg/purge_fixture.hpp"

namespace pmo::testing::purge_pg {
namespace {

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

}  // namespace
}  // namespace pmo::testing::purge_pg
