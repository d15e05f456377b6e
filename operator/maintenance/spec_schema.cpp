#include "maintenance/spec_schema.hpp"

#include <cctype>
#include <limits>
#include <map>
#include <mutex>
#include <regex>

namespace pmo::maintenance::schema {

namespace {

// An RE2 pattern as std::regex ECMAScript reads it: outside brackets, \s and \S become RE2's
// ASCII classes ([\t\n\f\r ]: a vertical tab or a no-break space is not space) and '.' any
// byte but \n (ECMAScript's also stops at \r). Byte-wise classes accept the same strings as
// RE2's rune-wise ones here, because every class in these patterns either lists ASCII only or
// excludes ASCII only.
std::string ecmaScriptOf(const char* re2) {
  std::string out;
  bool inClass = false;
  for (const char* p = re2; *p; ++p) {
    if (*p == '\\' && p[1]) {
      if (!inClass && p[1] == 's') out += "[\\t\\n\\f\\r ]";
      else if (!inClass && p[1] == 'S') out += "[^\\t\\n\\f\\r ]";
      else out += p[0], out += p[1];
      ++p;
      continue;
    }
    if (*p == '[') inClass = true;
    else if (*p == ']') inClass = false;
    if (*p == '.' && !inClass) out += "[^\\n]";
    else out += *p;
  }
  return out;
}

}  // namespace

bool matches(const char* pattern, const std::string& value) {
  static std::mutex mutex;
  static std::map<const char*, std::regex> compiled;
  const std::regex* re = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = compiled.find(pattern);
    if (it == compiled.end())
      it = compiled.emplace(pattern, std::regex(ecmaScriptOf(pattern), std::regex::ECMAScript)).first;
    re = &it->second;  // std::map nodes are stable; entries are never erased
  }
  return std::regex_match(value, *re);
}

std::size_t characterCount(const std::string& value) {
  std::size_t n = 0;
  for (unsigned char c : value) n += (c & 0xC0) != 0x80;  // every byte but a UTF-8 continuation byte
  return n;
}

std::optional<std::chrono::nanoseconds> parseDuration(const std::string& text) {
  if (text.empty() || text.size() > kDurationMax) return std::nullopt;
  constexpr long double kMax = static_cast<long double>(std::numeric_limits<std::int64_t>::max());
  long double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) return std::nullopt;
    long double number = std::stold(text.substr(start, i - start));
    if (i < text.size() && text[i] == '.') {
      std::size_t fracStart = ++i;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
      if (i == fracStart) return std::nullopt;
      number += std::stold("0." + text.substr(fracStart, i - fracStart));
    }
    long double unit = 0;
    auto rest = text.substr(i);
    if (rest.rfind("ns", 0) == 0) unit = 1, i += 2;
    else if (rest.rfind("us", 0) == 0) unit = 1e3, i += 2;
    else if (rest.rfind("ms", 0) == 0) unit = 1e6, i += 2;
    else if (rest.rfind("s", 0) == 0) unit = 1e9, i += 1;
    else if (rest.rfind("m", 0) == 0) unit = 60e9, i += 1;
    else if (rest.rfind("h", 0) == 0) unit = 3600e9, i += 1;
    else return std::nullopt;
    total += number * unit;
    if (total > kMax) return std::nullopt;
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total));  // truncates like Go
}

}  // namespace pmo::maintenance::schema
