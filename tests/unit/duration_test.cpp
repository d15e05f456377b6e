// One duration grammar for the spec, the CLI flags and the CronJob arguments (issue 14: the
// spec accepted `500000us` and the purge command refused it, so every CronJob run exited 2).
#include "common/duration.hpp"

#include <gtest/gtest.h>

#include "common/args.hpp"
#include "maintenance/spec/schema.hpp"

namespace pmo {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ReadsGoDurations) {
  EXPECT_EQ(parseGoDuration("90s"), std::chrono::nanoseconds(90s));
  EXPECT_EQ(parseGoDuration("1h30m"), std::chrono::nanoseconds(90min));
  EXPECT_EQ(parseGoDuration("1.5h"), std::chrono::nanoseconds(90min));
  EXPECT_EQ(parseGoDuration("500000us"), std::chrono::nanoseconds(500ms));
  EXPECT_EQ(parseGoDuration("2562047h"), std::chrono::nanoseconds(2562047h));
  for (const char* bad : {"", "1d", "-5s", "5", "s", "1.s", "2562048h", "99999999999999999999999999999999999999h"})
    EXPECT_FALSE(parseGoDuration(bad).has_value()) << bad;
}

TEST(Duration, TheCliAcceptsWhatTheSpecAccepts) {
  for (const char* text : {"500000us", "250ms", "1.5s", "2m", "1h", "100ns"}) {
    ASSERT_TRUE(maintenance::schema::parseDuration(text).has_value()) << text;
    EXPECT_NO_THROW(args::parseDurationMs(text)) << text;
  }
  EXPECT_EQ(args::parseDurationMs("500000us"), 500);
  EXPECT_EQ(args::parseDurationMs("100ns"), 1) << "a positive duration never becomes 0, PostgreSQL's 'no limit'";
  EXPECT_EQ(args::parseDurationMs("0s"), 0);
  EXPECT_THROW(args::parseDurationMs("1d"), std::invalid_argument);
  EXPECT_THROW(args::parseDurationMs("2562048h"), std::invalid_argument);
}

}  // namespace
}  // namespace pmo
