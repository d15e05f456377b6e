#include "maintenance/version.hpp"
#include "common/strings.hpp"

#include <cctype>

namespace pmo::maintenance {
namespace {

bool allDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// A numeric core component: digits, no leading zero unless it is "0".
bool parseCoreNumber(const std::string& s, unsigned long& out) {
  if (!allDigits(s) || s.size() > 9) return false;  // 9 digits never overflows
  if (s.size() > 1 && s[0] == '0') return false;
  out = std::stoul(s);
  return true;
}

bool validIdentifier(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  return true;
}

using pmo::split;

// Numeric strings of any length compared by value (leading zeros ignored).
int compareNumeric(const std::string& a, const std::string& b) {
  auto strip = [](const std::string& s) {
    auto i = s.find_first_not_of('0');
    return i == std::string::npos ? std::string() : s.substr(i);
  };
  std::string x = strip(a), y = strip(b);
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  return x.compare(y) < 0 ? -1 : (x.compare(y) > 0 ? 1 : 0);
}

int compareIdentifier(const std::string& a, const std::string& b) {
  bool na = allDigits(a), nb = allDigits(b);
  if (na && nb) return compareNumeric(a, b);
  if (na != nb) return na ? -1 : 1;  // numeric identifiers have lower precedence
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

template <typename T>
int cmp(T a, T b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

}  // namespace

std::string Version::canonical() const {
  if (latest) return "latest";
  std::string out = "v" + std::to_string(major) + "." + std::to_string(minor) + "." +
                    std::to_string(patch);
  for (std::size_t i = 0; i < preRelease.size(); ++i) out += (i == 0 ? "-" : ".") + preRelease[i];
  return out;
}

std::optional<Version> parseVersion(const std::string& text, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<Version> {
    if (error)
      *error = "\"" + text + "\" is not a Phase version (" + why +
               "): expected vMAJOR.MINOR.PATCH with an optional pre-release, e.g. v2.73.2 or "
               "v2.74.0-rc.1, or \"latest\"";
    return std::nullopt;
  };
  if (text.empty()) return fail("empty");
  if (text.size() > kVersionMaxLength) return fail("longer than 128 characters");
  Version v;
  v.text = text;
  if (text == "latest") {
    v.latest = true;
    return v;
  }
  std::string rest = text[0] == 'v' ? text.substr(1) : text;
  std::string core = rest, pre;
  if (auto dash = rest.find('-'); dash != std::string::npos) {
    core = rest.substr(0, dash);
    pre = rest.substr(dash + 1);
    if (pre.empty()) return fail("empty pre-release after '-'");
  }
  auto nums = split(core, '.');
  if (nums.size() != 3) return fail("needs three numbers MAJOR.MINOR.PATCH");
  if (!parseCoreNumber(nums[0], v.major) || !parseCoreNumber(nums[1], v.minor) ||
      !parseCoreNumber(nums[2], v.patch))
    return fail("MAJOR, MINOR and PATCH must be numbers without leading zeros");
  if (!pre.empty()) {
    for (auto& id : split(pre, '.')) {
      if (!validIdentifier(id)) return fail("pre-release identifiers are [0-9A-Za-z-]+ separated by '.'");
      v.preRelease.push_back(id);
    }
  }
  return v;
}

std::optional<int> compareVersions(const Version& a, const Version& b) {
  if (a.latest || b.latest) {
    if (a.latest && b.latest) return 0;
    return std::nullopt;
  }
  if (int c = cmp(a.major, b.major)) return c;
  if (int c = cmp(a.minor, b.minor)) return c;
  if (int c = cmp(a.patch, b.patch)) return c;
  // A release has higher precedence than any of its pre-releases.
  if (a.preRelease.empty() || b.preRelease.empty())
    return cmp(a.preRelease.empty() ? 1 : 0, b.preRelease.empty() ? 1 : 0);
  for (std::size_t i = 0; i < a.preRelease.size() && i < b.preRelease.size(); ++i)
    if (int c = compareIdentifier(a.preRelease[i], b.preRelease[i])) return c;
  return cmp(a.preRelease.size(), b.preRelease.size());
}

}  // namespace pmo::maintenance
