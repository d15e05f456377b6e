// CronJob schedules and time zones as kube-apiserver 1.32 checks them:
// - github.com/robfig/cron/v3 parser.go: ParseStandard (5 fields, or a descriptor such as
//   @daily / @every <duration>, an optional TZ= / CRON_TZ= prefix), with its error texts;
// - Go's time.ParseDuration (for @every) and time.LoadLocation (the tz database: the zone
//   files of /usr/share/zoneinfo, as the tzdata bundled into kube-apiserver has them).
#include <sys/stat.h>

#include <algorithm>

#include <fstream>

#include "sandbox/validation_kinds.hpp"

namespace pmo::sandbox::validation {

namespace {

struct Bounds {
  unsigned min, max;
  std::vector<std::string> names;  // index + min = value
};

const Bounds kSeconds{0, 59, {}}, kMinutes{0, 59, {}}, kHours{0, 23, {}}, kDom{1, 31, {}},
    kMonths{1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
    kDow{0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}};

std::vector<std::string> split(const std::string& s, char sep, bool dropEmpty) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    std::string part = s.substr(start, at == std::string::npos ? std::string::npos : at - start);
    if (!(dropEmpty && part.empty())) out.push_back(part);
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

std::vector<std::string> fields(const std::string& s) {  // strings.Fields
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// strconv.Atoi, then robfig's mustParseInt (negative numbers refused).
std::optional<std::string> mustParseInt(const std::string& expr, unsigned& out) {
  size_t i = 0;
  bool neg = false;
  if (i < expr.size() && (expr[i] == '+' || expr[i] == '-')) neg = expr[i++] == '-';
  if (i == expr.size() || expr.find_first_not_of("0123456789", i) != std::string::npos)
    return "failed to parse int from " + expr + ": strconv.Atoi: parsing " + goQuote(expr) + ": invalid syntax";
  if (expr.size() - i > 18)
    return "failed to parse int from " + expr + ": strconv.Atoi: parsing " + goQuote(expr) + ": value out of range";
  long long n = std::stoll(expr.substr(i));
  if (neg && n != 0) return "negative number (-" + std::to_string(n) + ") not allowed: " + expr;
  if (n > 0xffffffffLL) n = 0xffffffffLL;  // beyond every bound anyway
  out = static_cast<unsigned>(n);
  return std::nullopt;
}

std::optional<std::string> parseIntOrName(const std::string& expr, const Bounds& b, unsigned& out) {
  std::string lower = expr;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (size_t i = 0; i < b.names.size(); ++i)
    if (b.names[i] == lower) {
      out = static_cast<unsigned>(i) + b.min;
      return std::nullopt;
    }
  return mustParseInt(expr, out);
}

std::optional<std::string> getRange(const std::string& expr, const Bounds& b) {
  auto rangeAndStep = split(expr, '/', false);
  auto lowAndHigh = split(rangeAndStep[0], '-', false);
  unsigned start = 0, end = 0, step = 1;
  if (lowAndHigh[0] == "*" || lowAndHigh[0] == "?") {
    start = b.min;
    end = b.max;
  } else {
    if (auto err = parseIntOrName(lowAndHigh[0], b, start)) return err;
    if (lowAndHigh.size() == 1) end = start;
    else if (lowAndHigh.size() == 2) {
      if (auto err = parseIntOrName(lowAndHigh[1], b, end)) return err;
    } else {
      return "too many hyphens: " + expr;
    }
  }
  if (rangeAndStep.size() == 2) {
    if (auto err = mustParseInt(rangeAndStep[1], step)) return err;
    if (lowAndHigh.size() == 1) end = b.max;  // "N/step" means "N-max/step"
  } else if (rangeAndStep.size() > 2) {
    return "too many slashes: " + expr;
  }
  if (start < b.min) return "beginning of range (" + std::to_string(start) + ") below minimum (" + std::to_string(b.min) + "): " + expr;
  if (end > b.max) return "end of range (" + std::to_string(end) + ") above maximum (" + std::to_string(b.max) + "): " + expr;
  if (start > end) return "beginning of range (" + std::to_string(start) + ") beyond end of range (" + std::to_string(end) + "): " + expr;
  if (step == 0) return "step of range should be a positive number: " + expr;
  return std::nullopt;
}

std::optional<std::string> getField(const std::string& field, const Bounds& b) {
  for (const auto& expr : split(field, ',', true))
    if (auto err = getRange(expr, b)) return err;
  return std::nullopt;
}

// time.ParseDuration's error, or nullopt.
std::optional<std::string> durationError(const std::string& orig) {
  const std::string invalid = "time: invalid duration " + goQuote(orig);
  std::string s = orig;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s = s.substr(1);
  if (s == "0") return std::nullopt;
  if (s.empty()) return invalid;
  static const std::vector<std::string> units = {"ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h"};
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return invalid;
    size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    bool pre = i > 0, post = false;
    if (i < s.size() && s[i] == '.') {
      size_t j = ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      post = i > j;
    }
    if (!pre && !post) return invalid;
    size_t u = i;
    while (u < s.size() && s[u] != '.' && !(s[u] >= '0' && s[u] <= '9')) ++u;
    if (u == i) return "time: missing unit in duration " + goQuote(orig);
    const std::string unit = s.substr(i, u - i);
    if (std::find(units.begin(), units.end(), unit) == units.end())
      return "time: unknown unit " + goQuote(unit) + " in duration " + goQuote(orig);
    s = s.substr(u);
  }
  return std::nullopt;
}

bool isTzif(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in && std::string(magic, 4) == "TZif";
}

}  // namespace

std::optional<std::string> loadLocationError(const std::string& name) {
  if (name.empty() || name == "UTC" || name == "Local") return std::nullopt;
  if (name.find("..") != std::string::npos || name[0] == '/' || name[0] == '\\') return "time: invalid location name";
  // the bundled database has the zones only: not Debian's posix/ and right/ copies
  const bool bundled = name.rfind("posix/", 0) != 0 && name.rfind("right/", 0) != 0 && name != "localtime" &&
                       name != "posixrules";
  if (bundled && isTzif("/usr/share/zoneinfo/" + name)) return std::nullopt;
  return "unknown time zone " + name;
}

std::optional<std::string> cronScheduleError(const std::string& specIn) {
  std::string spec = specIn;
  if (spec.empty()) return "empty spec string";
  if (spec.rfind("TZ=", 0) == 0 || spec.rfind("CRON_TZ=", 0) == 0) {
    size_t space = spec.find(' ');
    size_t eq = spec.find('=');
    const std::string loc = spec.substr(eq + 1, space == std::string::npos ? std::string::npos : space - eq - 1);
    if (auto err = loadLocationError(loc)) return "provided bad location " + loc + ": " + *err;
    spec = space == std::string::npos ? "" : spec.substr(space);
    spec = spec.substr(std::min(spec.find_first_not_of(" \t\n\r\v\f"), spec.size()));
  }
  if (spec.rfind("@", 0) == 0) {
    for (const char* d : {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
      if (spec == d) return std::nullopt;
    const std::string every = "@every ";
    if (spec.rfind(every, 0) == 0) {
      if (auto err = durationError(spec.substr(every.size()))) return "failed to parse duration " + spec + ": " + *err;
      return std::nullopt;
    }
    return "unrecognized descriptor: " + spec;
  }
  auto f = fields(spec);
  if (f.size() != 5) {
    std::string shown = "[";
    for (size_t i = 0; i < f.size(); ++i) shown += (i ? " " : "") + f[i];
    return "expected exactly 5 fields, found " + std::to_string(f.size()) + ": " + shown + "]";
  }
  const Bounds* bounds[] = {&kMinutes, &kHours, &kDom, &kMonths, &kDow};
  if (auto err = getField("0", kSeconds)) return err;
  for (size_t i = 0; i < 5; ++i)
    if (auto err = getField(f[i], *bounds[i])) return err;
  return std::nullopt;
}

}  // namespace pmo::sandbox::validation
