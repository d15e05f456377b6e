// --max-duration and --deadline against a real database: the purge stops between batches,
// before the limit, says so in its summary, and counts exactly what is left.
#include <chrono>
#include <ctime>

#include "pg/purge_fixture.hpp"

namespace pmo::testing::purge_pg {
namespace {

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

}  // namespace
}  // namespace pmo::testing::purge_pg
