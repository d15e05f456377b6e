#include "sandbox/schema_regex.hpp"

#include <map>
#include <memory>
#include <mutex>

#include <re2/re2.h>

namespace pmo::sandbox::regex {

namespace {

// Go's regexp/syntax ErrorCode texts for RE2's error codes.
const char* goErrorCode(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape: return "invalid escape sequence";
    case RE2::ErrorBadCharClass: return "invalid character class";
    case RE2::ErrorBadCharRange: return "invalid character class range";
    case RE2::ErrorMissingBracket: return "missing closing ]";
    case RE2::ErrorMissingParen: return "missing closing )";
    case RE2::ErrorUnexpectedParen: return "unexpected )";
    case RE2::ErrorTrailingBackslash: return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument: return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize: return "invalid repeat count";
    case RE2::ErrorRepeatOp: return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp: return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8: return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture: return "invalid named capture";
    case RE2::ErrorPatternTooLarge: return "expression too large";
    default: return "regexp/syntax: internal error";
  }
}

const RE2& compiled(const std::string& pattern) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<RE2>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[pattern];
  if (!slot) {
    RE2::Options options;  // UTF-8, Perl classes, ^/$ at text ends, '.' not matching \n: Go's defaults
    options.set_log_errors(false);
    options.set_max_mem(64 << 20);  // Go's engine has no memory budget; do not fail large patterns early
    slot = std::make_unique<RE2>(pattern, options);
  }
  return *slot;  // RE2 objects are immutable after construction and safe to share
}

}  // namespace

Match search(const std::string& pattern, const std::string& value) {
  const RE2& re = compiled(pattern);
  if (!re.ok())
    return {false, std::string("error parsing regexp: ") + goErrorCode(re.error_code()) + ": `" +
                       re.error_arg() + "`"};
  return {RE2::PartialMatch(value, re), ""};
}

}  // namespace pmo::sandbox::regex
