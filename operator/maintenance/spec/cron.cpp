#include "maintenance/spec/cron.hpp"
#include "common/strings.hpp"

#include <array>
#include <cctype>
#include <sstream>
#include <vector>

namespace pmo::maintenance {
namespace {

struct FieldSpec {
  const char* name;
  unsigned min;
  unsigned max;
  const char* const* names;  // lower-case names for min.., or nullptr
};

const char* const kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec", nullptr};
const char* const kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", nullptr};

const std::array<FieldSpec, 5> kFields = {{{"minute", 0, 59, nullptr},
                                          {"hour", 0, 23, nullptr},
                                          {"day-of-month", 1, 31, nullptr},
                                          {"month", 1, 12, kMonthNames},
                                          {"day-of-week", 0, 6, kDayNames}}};

using pmo::split;

bool parseNumber(const std::string& s, unsigned& out) {
  if (s.empty() || s.size() > 4) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  out = static_cast<unsigned>(std::stoul(s));
  return true;
}

bool parseValue(const std::string& s, const FieldSpec& f, unsigned& out) {
  if (parseNumber(s, out)) return true;
  if (!f.names) return false;
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (unsigned i = 0; f.names[i]; ++i)
    if (lower == f.names[i]) {
      out = f.min + i;
      return true;
    }
  return false;
}

// Parses one comma-separated element into bits. Returns an empty string or the reason.
std::string parseRange(const std::string& expr, const FieldSpec& f, std::uint64_t& bits,
                       bool& star) {
  auto rangeAndStep = split(expr, '/');
  if (rangeAndStep.size() > 2) return "\"" + expr + "\" has more than one '/'";
  auto lowHigh = split(rangeAndStep[0], '-');
  unsigned start = 0, end = 0, step = 1;
  bool isStar = false;
  if (rangeAndStep[0] == "*" || rangeAndStep[0] == "?") {
    start = f.min;
    end = f.max;
    isStar = true;
  } else {
    if (lowHigh.size() > 2) return "\"" + expr + "\" has more than one '-'";
    if (!parseValue(lowHigh[0], f, start))
      return "\"" + lowHigh[0] + "\" is not a number" + (f.names ? " or a name" : "");
    end = start;
    if (lowHigh.size() == 2 && !parseValue(lowHigh[1], f, end))
      return "\"" + lowHigh[1] + "\" is not a number" + (f.names ? " or a name" : "");
  }
  if (rangeAndStep.size() == 2) {
    if (!parseNumber(rangeAndStep[1], step)) return "step \"" + rangeAndStep[1] + "\" is not a number";
    if (step == 0) return "step in \"" + expr + "\" must be a positive number";
    if (!isStar && lowHigh.size() == 1) end = f.max;  // "a/n" means a to the maximum
    if (step > 1) isStar = false;
  }
  if (start < f.min || end > f.max)
    return "\"" + expr + "\" is outside " + std::to_string(f.min) + "-" + std::to_string(f.max);
  if (start > end) return "range \"" + expr + "\" begins after it ends";
  for (unsigned v = start; v <= end; v += step) bits |= std::uint64_t{1} << v;
  star = star || isStar;
  return {};
}

const char* descriptor(const std::string& d) {
  if (d == "@yearly" || d == "@annually") return "0 0 1 1 *";
  if (d == "@monthly") return "0 0 1 * *";
  if (d == "@weekly") return "0 0 * * 0";
  if (d == "@daily" || d == "@midnight") return "0 0 * * *";
  if (d == "@hourly") return "0 * * * *";
  return nullptr;
}

// Days since 1970-01-01 for a civil date, and back (H. Hinnant's algorithms).
long daysFromCivil(long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

void civilFromDays(long z, long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<long>(yoe) + era * 400 + (m <= 2);
}

bool has(std::uint64_t bits, unsigned n) { return (bits >> n) & 1u; }

}  // namespace

std::optional<CronSchedule> parseCron(const std::string& expression, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<CronSchedule> {
    if (error)
      *error = "\"" + expression + "\" is not a cron schedule: " + why +
               " (expected five fields \"minute hour day-of-month month day-of-week\", "
               "e.g. \"0 3 * * *\", or @hourly/@daily/@weekly/@monthly/@yearly)";
    return std::nullopt;
  };
  if (expression.size() > kCronMaxLength) return fail("longer than 128 characters");
  if (expression.empty()) return fail("empty");
  if (std::isspace(static_cast<unsigned char>(expression.front())) ||
      std::isspace(static_cast<unsigned char>(expression.back())))
    return fail("leading or trailing whitespace");
  std::string text = expression;
  if (text[0] == '@') {
    if (text.rfind("@every", 0) == 0) return fail("@every is not supported");
    const char* expanded = descriptor(text);
    if (!expanded) return fail("unknown descriptor " + text);
    text = expanded;
  }
  if (text.rfind("TZ=", 0) == 0 || text.rfind("CRON_TZ=", 0) == 0)
    return fail("a time zone prefix is not supported, set spec.auditLogs.timeZone instead");
  std::istringstream in(text);
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() != 5)
    return fail("has " + std::to_string(fields.size()) + " fields, not 5");
  CronSchedule s;
  s.text = expression;
  std::uint64_t bits[5] = {0, 0, 0, 0, 0};
  bool stars[5] = {false, false, false, false, false};
  for (std::size_t i = 0; i < 5; ++i) {
    for (const auto& part : split(fields[i], ',')) {
      if (part.empty()) return fail(std::string(kFields[i].name) + " field has an empty list element");
      std::string why = parseRange(part, kFields[i], bits[i], stars[i]);
      if (!why.empty()) return fail(std::string(kFields[i].name) + " field: " + why);
    }
  }
  s.minutes = bits[0];
  s.hours = static_cast<std::uint32_t>(bits[1]);
  s.days = static_cast<std::uint32_t>(bits[2]);
  s.months = static_cast<std::uint32_t>(bits[3]);
  s.weekdays = static_cast<std::uint32_t>(bits[4]);
  s.dayOfMonthStar = stars[2];
  s.dayOfWeekStar = stars[4];
  return s;
}

std::optional<TimePoint> nextCronTime(const CronSchedule& s, TimePoint after) {
  using namespace std::chrono;
  const long afterMinutes = static_cast<long>(
      floor<minutes>(after.time_since_epoch()).count());
  long t = afterMinutes + 1;  // minutes since the epoch, strictly after `after`
  const long limit = afterMinutes + 5L * 366 * 24 * 60;
  while (t <= limit) {
    long dayIndex = t >= 0 ? t / 1440 : -((-t + 1439) / 1440);
    unsigned minuteOfDay = static_cast<unsigned>(t - dayIndex * 1440);
    long y;
    unsigned m, d;
    civilFromDays(dayIndex, y, m, d);
    if (!has(s.months, m)) {  // first minute of next month
      t = (m == 12 ? daysFromCivil(y + 1, 1, 1) : daysFromCivil(y, m + 1, 1)) * 1440;
      continue;
    }
    unsigned weekday = static_cast<unsigned>(((dayIndex % 7) + 11) % 7);  // 1970-01-01: Thu
    bool domMatch = has(s.days, d), dowMatch = has(s.weekdays, weekday);
    bool dayMatch = (s.dayOfMonthStar || s.dayOfWeekStar) ? (domMatch && dowMatch)
                                                          : (domMatch || dowMatch);
    if (!dayMatch) {
      t = (dayIndex + 1) * 1440;
      continue;
    }
    if (!has(s.hours, minuteOfDay / 60)) {
      t = dayIndex * 1440 + (minuteOfDay / 60 + 1) * 60;
      continue;
    }
    if (!has(s.minutes, minuteOfDay % 60)) {
      ++t;
      continue;
    }
    return TimePoint(duration_cast<TimePoint::duration>(minutes(t)));
  }
  return std::nullopt;
}

}  // namespace pmo::maintenance
