// --max-replication-lag against a real streaming standby of the test server (made here with
// tests/pg/standby.sh: pg_basebackup -R, its own port). With the standby's replay paused,
// pg_stat_replication's replay lag grows: the purge pauses between batches (and rather than
// pause past its deadline, stops), the summary says why, and once replay resumes it goes on
// and finishes exactly. An environment that cannot make a standby (no pg_basebackup, or the
// server refuses replication connections) fails the tests, saying why: CI must run them.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/purge/purge.hpp"
#include "db/session.hpp"
#include "pg/purge_support.hpp"
#include "support/pg_fixture.hpp"
#include "support/phase_data.hpp"

namespace pmo::testing {
namespace {

using namespace purge_cli;
using SteadyClock = std::chrono::steady_clock;

const char* kAcme = "Acme";
constexpr long kAcmeReads = 6000;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs tests/pg/standby.sh; the primary's password goes in the environment, not argv.
int standbyScript(const std::string& args, std::string& out, std::string& err) {
  const db::ConnectionParams p = adminParams();
  const std::string errPath = "/tmp/pmo-standby-" + std::to_string(::getpid()) + ".err";
  ::setenv("PMO_PRIMARY_HOST", p.host.c_str(), 1);
  ::setenv("PMO_PRIMARY_PORT", std::to_string(p.port).c_str(), 1);
  ::setenv("PMO_PRIMARY_USER", p.user.c_str(), 1);
  ::setenv("PGPASSWORD", p.password.reveal().c_str(), 1);
  const std::string cmd = std::string(PMO_SOURCE_DIR) + "/tests/pg/standby.sh " + args + " 2>" + errPath;
  out.clear();
  int status = -1;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, f)) out += buf;
    status = ::pclose(f);
  }
  ::unsetenv("PGPASSWORD");
  err = slurp(errPath);
  std::remove(errPath.c_str());
  return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class PurgeReplicationPg : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = "/tmp/pmo-standby-" + std::to_string(::getpid());
    std::string out, err;
    const int code = standbyScript("start " + dir_, out, err);
    if (code == 3) {
      setupError_ = "this environment cannot make a streaming standby (scripts/pg.sh's cluster must accept "
                    "replication connections): " + err;
    } else if (code != 0) {
      setupError_ = "tests/pg/standby.sh start failed (exit " + std::to_string(code) + "): " + err;
    } else {
      while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
      const auto nl = out.rfind('\n');
      standbyPort_ = std::atoi(out.substr(nl == std::string::npos ? 0 : nl + 1).c_str());
      if (standbyPort_ <= 0) setupError_ = "tests/pg/standby.sh printed no port: " + out;
    }
  }
  static void TearDownTestSuite() {
    std::string out, err;
    if (!dir_.empty()) standbyScript("stop " + dir_, out, err);
  }

  void SetUp() override {
    ASSERT_TRUE(setupError_.empty()) << setupError_;
    standby_ = adminParams();
    standby_.port = standbyPort_;
    standby_.dbname = "postgres";
    // Streaming, and caught up with everything the primary wrote so far (data included).
    db_ = std::make_unique<ScratchDatabase>("purge_repl");
    DataSpec spec;
    spec.days = 60;
    spec.organisations = {{kAcme, 1, 2, kAcmeReads, 0}, {"Other", 1, 1, 500, 50}};
    {
      auto conn = db_->connect();
      orgs_ = generatePhaseData(*conn, spec);
    }
    now_ = db_->scalar("SELECT (extract(epoch FROM now()) * 1000000)::bigint");
    otherEvents_ = db_->scalar("SELECT count(*) FROM api_secretevent") - kAcmeReads;
    ASSERT_TRUE(waitUntil(std::chrono::seconds(30), [&] {
      return db_->scalar("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") > 0;
    })) << "the standby never streamed from the primary";
    const std::string lsn = primaryLsn();
    ASSERT_TRUE(waitUntil(std::chrono::seconds(30), [&] {
      return standbyScalar("SELECT (pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn)::int") == 1;
    })) << "the standby did not replay up to " << lsn;
  }

  void TearDown() override {
    try {
      if (standbyPort_ > 0) resumeReplay();  // other tests' purges watch this standby too
    } catch (...) {
    }
  }

  template <typename Pred>
  static bool waitUntil(std::chrono::seconds limit, Pred pred) {
    const auto until = SteadyClock::now() + limit;
    while (SteadyClock::now() < until) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
  }

  std::string primaryLsn() {
    auto c = db_->connect();
    pqxx::nontransaction tx(*c);
    return tx.exec1("SELECT pg_current_wal_lsn()::text")[0].as<std::string>();
  }
  long long standbyScalar(const std::string& sql) {
    auto c = db::connect(standby_);
    pqxx::nontransaction tx(*c);
    return tx.exec1(sql)[0].as<long long>();
  }
  void pauseReplay() {
    standbyScalar("SELECT 1 FROM pg_wal_replay_pause()");
    ASSERT_TRUE(waitUntil(std::chrono::seconds(10), [&] {
      return standbyScalar("SELECT (pg_get_wal_replay_pause_state() = 'paused')::int") == 1;
    }));
  }
  void resumeReplay() { standbyScalar("SELECT 1 FROM pg_wal_replay_resume()"); }
  double replicationLagSeconds() {
    auto c = db_->connect();
    pqxx::nontransaction tx(*c);
    return tx.exec1("SELECT coalesce(extract(epoch FROM max(replay_lag)), 0)::float8 FROM pg_stat_replication")[0].as<double>();
  }
  long long acmeReads() {
    return db_->scalar("SELECT count(*) FROM api_secretevent e JOIN api_environment v ON v.id = e.environment_id"
                       " JOIN api_app a ON a.id = v.app_id WHERE a.organisation_id = '" + orgs_[0].id + "' AND event_type = 'R'");
  }
  long long otherEvents() { return db_->scalar("SELECT count(*) FROM api_secretevent") - acmeReads(); }

  static std::string dir_, setupError_;
  static int standbyPort_;
  db::ConnectionParams standby_;
  std::unique_ptr<ScratchDatabase> db_;
  std::vector<GeneratedOrg> orgs_;
  std::int64_t now_ = 0;
  long long otherEvents_ = 0;
};

std::string PurgeReplicationPg::dir_, PurgeReplicationPg::setupError_;
int PurgeReplicationPg::standbyPort_ = 0;

// Issue 13, "Gentle", ★: a purge never makes a replica fall behind. Replay paused, the lag
// grows past --max-replication-lag and the purge pauses between batches instead of
// finishing; replay resumed, it goes on and deletes exactly what it was asked to.
TEST_F(PurgeReplicationPg, AStandbyBehindMakesItPauseAndReplayResumingLetsItFinish) {
  ASSERT_EQ(acmeReads(), kAcmeReads);
  pauseReplay();
  db::PurgeOptions o;
  o.organisation = kAcme;
  o.retainDays = 0;
  o.nowMicrosOverride = now_;
  o.batchSizeCap = 50;  // 120 batches, 50 ms apart: 6 s and more without a back-off
  o.targetBatchDuration = std::chrono::milliseconds(50);
  o.sleepBetweenBatches = std::chrono::milliseconds(50);
  o.maxReplicationLag = std::chrono::milliseconds(500);
  o.deadline = std::chrono::system_clock::now() + std::chrono::seconds(40);  // bounds the run whatever happens
  std::mutex mu;
  std::vector<std::pair<SteadyClock::time_point, long long>> batches;  // end of each batch, rows deleted so far
  db::PurgeResult r;
  std::exception_ptr failure;
  std::thread purge([&] {
    try {
      db::runPurge(db_->params(), o, r, [&](const db::PurgeProgress& p) {
        std::lock_guard<std::mutex> lock(mu);
        batches.emplace_back(SteadyClock::now(), p.deleted);
      });
    } catch (...) {
      failure = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mu);
    batches.emplace_back(SteadyClock::time_point::max(), -1);  // marks the end
  });
  // Wait (at most 20 s) for a gap of 0.7 s after a batch while replay is paused: a pause
  // 14 times the --sleep, which only the lag explains. Or for the purge to end (a failure).
  long long deletedWhilePaused = -1;
  double lagSeen = 0;
  const bool paused = waitUntil(std::chrono::seconds(20), [&] {
    std::lock_guard<std::mutex> lock(mu);
    if (batches.empty()) return false;
    if (batches.back().second < 0) return true;
    if (SteadyClock::now() - batches.back().first < std::chrono::milliseconds(700)) return false;
    deletedWhilePaused = batches.back().second;
    return true;
  });
  if (deletedWhilePaused >= 0) lagSeen = replicationLagSeconds();
  const auto resumedAt = SteadyClock::now();
  resumeReplay();
  purge.join();  // bounded by o.deadline
  if (failure) std::rethrow_exception(failure);
  EXPECT_TRUE(paused && deletedWhilePaused >= 0) << "the purge never paused while the standby's replay was paused";
  EXPECT_LT(deletedWhilePaused, kAcmeReads) << "it finished while the standby replayed nothing";
  EXPECT_GT(lagSeen, 0.5) << "pg_stat_replication did not show the lag the purge reacted to";
  long long batchesAfterResume = 0;
  for (const auto& b : batches)
    if (b.first > resumedAt && b.second >= 0) ++batchesAfterResume;
  EXPECT_GT(batchesAfterResume, 0) << "nothing happened after replay resumed";
  EXPECT_FALSE(r.stoppedEarly);
  EXPECT_EQ(r.deleted, kAcmeReads);
  EXPECT_EQ(r.remaining, 0);
  EXPECT_EQ(acmeReads(), 0);
  EXPECT_EQ(otherEvents(), otherEvents_);
  EXPECT_GT(r.backoffs, 0);
  EXPECT_GE(r.backoffSeconds, 0.7);
  const auto summary = db::purgeSummary(o, r);
  EXPECT_EQ(summary["backoffs"], r.backoffs);
  EXPECT_TRUE(summary.contains("backoffReason")) << summary.dump();
}

// With a deadline, a back-off that would pause past it stops the run between batches
// instead; the binary's summary says it stopped early, at the deadline, and that the last
// back-off was for the standby's lag; what is left is counted exactly.
TEST_F(PurgeReplicationPg, AStandbyBehindUntilTheDeadlineStopsItAndTheSummarySaysWhy) {
  pauseReplay();
  const ProcessResult run = runOperator({"purge", kAcme, "--retain", "0", "--batch-size", "50", "--sleep", "50ms",
                                         "--max-replication-lag", "500ms", "--max-duration", "5s", "--database-url",
                                         db_->url().reveal()},
                                        {}, std::chrono::seconds(30));
  const double lagSeen = replicationLagSeconds();
  resumeReplay();
  ASSERT_EQ(run.exitCode, 0) << run.err;
  const auto nl = run.out.find('\n');
  ASSERT_NE(nl, std::string::npos) << run.err;
  const auto s = nlohmann::json::parse(run.out.substr(0, nl));
  EXPECT_EQ(s["stoppedEarly"], true) << s.dump();
  EXPECT_NE(s.value("stopReason", "").find("deadline"), std::string::npos) << s.dump();
  EXPECT_GT(s["backoffs"].get<long long>(), 0) << s.dump();
  EXPECT_NE(s.value("backoffReason", "").find("replication lag"), std::string::npos) << s.dump();
  EXPECT_NE(run.err.find("replication lag"), std::string::npos) << run.err;
  EXPECT_GT(lagSeen, 0.5);
  const long long deleted = s["deleted"].get<long long>();
  EXPECT_GT(s["remaining"].get<long long>(), 0) << "it finished while the standby replayed nothing";
  EXPECT_EQ(deleted + s["remaining"].get<long long>(), kAcmeReads);
  EXPECT_EQ(acmeReads(), kAcmeReads - deleted) << "the summary counts exactly what went";
  EXPECT_EQ(otherEvents(), otherEvents_);
  EXPECT_LT(s["durationSeconds"].get<double>(), 6.0) << s.dump();
}

}  // namespace
}  // namespace pmo::testing
