#pragma once
// Cron schedules as Kubernetes CronJobs accept them (robfig/cron ParseStandard): five
// fields "minute hour day-of-month month day-of-week" with numbers, '*', '?', ranges
// "a-b", steps "*/n", "a-b/n", "a/n" (a to the field's maximum), comma lists, month names
// JAN-DEC and weekday names SUN-SAT (any case), or one of @yearly @annually @monthly
// @weekly @daily @midnight @hourly. "@every" and "TZ=" prefixes are refused: the CronJob's
// own timeZone field is the supported way to pick a zone.
//
// Guarantees: parseCron never throws; a rejection names the field and what is wrong.
// When both day-of-month and day-of-week are restricted (neither starts with '*' or '?'),
// a day matches if EITHER matches, as in cron(8) and Kubernetes.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace pmo::maintenance {

// The CRD's pattern for schedules; parseCron accepts a subset of what it matches.
inline constexpr const char* kCronPattern =
    "^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|"
    "[0-9A-Za-z*?,/-]+([ \\t]+[0-9A-Za-z*?,/-]+){4})$";
inline constexpr std::size_t kCronMaxLength = 128;

struct CronSchedule {
  std::uint64_t minutes = 0;   // bit n: minute n (0-59)
  std::uint32_t hours = 0;     // bit n: hour n (0-23)
  std::uint32_t days = 0;      // bit n: day of month n (1-31)
  std::uint32_t months = 0;    // bit n: month n (1-12)
  std::uint32_t weekdays = 0;  // bit n: weekday n (0 = Sunday .. 6)
  bool dayOfMonthStar = false;  // field began with '*' or '?' (and had no step > 1)
  bool dayOfWeekStar = false;
  std::string text;
};

std::optional<CronSchedule> parseCron(const std::string& expression, std::string* error = nullptr);

using TimePoint = std::chrono::system_clock::time_point;

// The first fire time strictly after `after`, on a whole minute, in UTC. nullopt when the
// schedule never fires within five years of `after` (e.g. "0 0 30 2 *", February 30th).
std::optional<TimePoint> nextCronTime(const CronSchedule& schedule, TimePoint after);

}  // namespace pmo::maintenance
