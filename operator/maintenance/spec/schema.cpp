#include "maintenance/spec/schema.hpp"

#include <cctype>
#include <limits>
#include <map>
#include <mutex>
#include <regex>

#include "common/duration.hpp"

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
  if (text.size() > kDurationMax) return std::nullopt;
  return parseGoDuration(text);
}

}  // namespace pmo::maintenance::schema
