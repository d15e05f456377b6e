// Cron schedules as Kubernetes accepts them, and the next fire time the runtime requeues at.
#include <gtest/gtest.h>

#include <ctime>
#include <regex>

#include "maintenance/spec/cron.hpp"

using namespace pmo::maintenance;

namespace {

// "2024-02-28 23:59" UTC as a time point, without the local time zone.
TimePoint at(int y, int mo, int d, int h, int mi, int s = 0) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string fmt(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M %a", &tm);
  return buf;
}

std::string next(const std::string& expr, TimePoint after) {
  std::string error;
  auto s = parseCron(expr, &error);
  EXPECT_TRUE(s.has_value()) << expr << ": " << error;
  if (!s) return "invalid";
  auto n = nextCronTime(*s, after);
  return n ? fmt(*n) : "never";
}

std::string errorOf(const std::string& expr) {
  std::string error;
  EXPECT_FALSE(parseCron(expr, &error).has_value()) << expr;
  return error;
}

}  // namespace

TEST(Cron, AcceptsWhatKubernetesAccepts) {
  for (const char* ok : {"0 3 * * *", "*/15 * * * *", "0 0-23/2 * * *", "5,35 * * * MON-FRI",
                         "0 0 1 JAN,jul *", "0 12 ? * sun", "30 3 * * 0",
                         "0 0 1-31/7 * *", "59 23 31 12 6", "0 5/10 * * *", "@daily", "@hourly",
                         "@weekly", "@monthly", "@yearly", "@annually", "@midnight", "0\t3 * * *"}) {
    std::string error;
    EXPECT_TRUE(parseCron(ok, &error).has_value()) << ok << ": " << error;
    EXPECT_TRUE(std::regex_match(std::string(ok), std::regex(kCronPattern))) << ok;
  }
}

TEST(Cron, RejectsWrongFieldCount) {
  EXPECT_NE(errorOf("0 3 * *").find("4 fields, not 5"), std::string::npos);
  EXPECT_NE(errorOf("0 0 3 * * *").find("6 fields, not 5"), std::string::npos);
  EXPECT_NE(errorOf("").find("empty"), std::string::npos);
}

TEST(Cron, RejectsOutOfRangeValuesNamingTheField) {
  EXPECT_NE(errorOf("60 * * * *").find("minute field: \"60\" is outside 0-59"), std::string::npos);
  EXPECT_NE(errorOf("0 24 * * *").find("hour field"), std::string::npos);
  EXPECT_NE(errorOf("0 0 0 * *").find("day-of-month field: \"0\" is outside 1-31"), std::string::npos);
  EXPECT_NE(errorOf("0 0 * 13 *").find("month field"), std::string::npos);
  EXPECT_NE(errorOf("0 0 * * 7").find("day-of-week field: \"7\" is outside 0-6"), std::string::npos);
}

TEST(Cron, RejectsMalformedElements) {
  EXPECT_NE(errorOf("*/0 * * * *").find("positive"), std::string::npos);
  EXPECT_NE(errorOf("5-1 * * * *").find("begins after it ends"), std::string::npos);
  EXPECT_NE(errorOf("1-2-3 * * * *").find("more than one '-'"), std::string::npos);
  EXPECT_NE(errorOf("*/2/3 * * * *").find("more than one '/'"), std::string::npos);
  EXPECT_NE(errorOf("0 0 * * FUNDAY").find("not a number or a name"), std::string::npos);
  EXPECT_NE(errorOf("MON 0 * * *").find("minute field: \"MON\" is not a number"), std::string::npos);
  EXPECT_NE(errorOf("1,,2 * * * *").find("empty list element"), std::string::npos);
  EXPECT_NE(errorOf("-1 * * * *").find("minute field"), std::string::npos);
}

TEST(Cron, RejectsUnsupportedDescriptorsAndPrefixes) {
  EXPECT_NE(errorOf("@every 1h").find("@every is not supported"), std::string::npos);
  EXPECT_NE(errorOf("@fortnightly").find("unknown descriptor"), std::string::npos);
  EXPECT_NE(errorOf("TZ=UTC 0 3 * * *").find("timeZone"), std::string::npos);
  EXPECT_NE(errorOf(" 0 3 * * *").find("whitespace"), std::string::npos);
  EXPECT_NE(errorOf(std::string(129, '*')).find("128"), std::string::npos);
}

TEST(Cron, ErrorShowsTheExpectedForm) {
  EXPECT_NE(errorOf("daily").find("\"minute hour day-of-month month day-of-week\""), std::string::npos);
}

TEST(Cron, NextFireTimeIsStrictlyAfterAndOnTheMinute) {
  EXPECT_EQ(next("0 3 * * *", at(2024, 5, 1, 2, 59, 30)), "2024-05-01 03:00 Wed");
  EXPECT_EQ(next("0 3 * * *", at(2024, 5, 1, 3, 0, 0)), "2024-05-02 03:00 Thu");
  EXPECT_EQ(next("*/15 * * * *", at(2024, 5, 1, 10, 7)), "2024-05-01 10:15 Wed");
  EXPECT_EQ(next("* * * * *", at(2024, 5, 1, 10, 7, 59)), "2024-05-01 10:08 Wed");
}

TEST(Cron, NextFireTimeCrossesMonthYearAndLeapDay) {
  EXPECT_EQ(next("30 3 * * 0", at(2024, 12, 30, 0, 0)), "2025-01-05 03:30 Sun");
  EXPECT_EQ(next("0 0 29 2 *", at(2024, 3, 1, 0, 0)), "2028-02-29 00:00 Tue");
  EXPECT_EQ(next("@yearly", at(2024, 6, 1, 0, 0)), "2025-01-01 00:00 Wed");
  EXPECT_EQ(next("@monthly", at(2024, 1, 31, 12, 0)), "2024-02-01 00:00 Thu");
  EXPECT_EQ(next("0 0 31 * *", at(2024, 4, 1, 0, 0)), "2024-05-31 00:00 Fri");
}

TEST(Cron, DayOfMonthAndDayOfWeekBothRestrictedMeansEither) {
  // The 13th or any Friday: after Wed 2024-05-01 the first is Fri 2024-05-03.
  EXPECT_EQ(next("0 0 13 * FRI", at(2024, 5, 1, 0, 0)), "2024-05-03 00:00 Fri");
  // With '*' in day-of-month only the weekday counts.
  EXPECT_EQ(next("0 0 * * FRI", at(2024, 5, 3, 0, 0)), "2024-05-10 00:00 Fri");
  // A step over '*' is a restriction (Kubernetes: "*/2" is not a star).
  EXPECT_EQ(next("0 0 */10 * MON", at(2024, 5, 1, 0, 0)), "2024-05-06 00:00 Mon");
}

TEST(Cron, NeverFiringScheduleHasNoNextTime) {
  EXPECT_EQ(next("0 0 30 2 *", at(2024, 1, 1, 0, 0)), "never");
  EXPECT_EQ(next("0 0 31 4 *", at(2024, 1, 1, 0, 0)), "never");
}

TEST(Cron, NamesAreCaseInsensitive) {
  auto a = parseCron("0 0 * jan-MAR Mon-fri");
  auto b = parseCron("0 0 * 1-3 1-5");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->months, b->months);
  EXPECT_EQ(a->weekdays, b->weekdays);
}
