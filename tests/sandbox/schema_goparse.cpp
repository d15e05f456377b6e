#include "sandbox/schema_goparse.hpp"

#include <cstdint>

namespace pmo::sandbox::goparse {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go net's dtoi: decimal prefix of s from i; false when empty or >= 0xFFFFFF.
bool dtoi(const std::string& s, std::size_t& i, long& n) {
  std::size_t start = i;
  n = 0;
  for (; i < s.size() && isDigit(s[i]); ++i) {
    n = n * 10 + (s[i] - '0');
    if (n >= 0xFFFFFF) return false;
  }
  return i > start;
}

// A dotted IPv4 address occupying s[i..end). Strict: no leading zeros (netip).
bool ipv4(const std::string& s, std::size_t i, bool strict) {
  for (int field = 0; field < 4; ++field) {
    if (field > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    std::size_t start = i;
    long n = 0;
    if (!dtoi(s, i, n) || n > 0xFF) return false;
    if (strict && (i - start > 3 || (i - start > 1 && s[start] == '0'))) return false;
  }
  return i == s.size();
}

// Go 1.16 net.parseIPv6 (strict adds netip's limit of four hex digits per group).
bool ipv6(const std::string& s, bool strict) {
  const int kLen = 16;
  int ellipsis = -1, i = 0;
  std::size_t p = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    p = 2;
    if (p == s.size()) return true;
  }
  while (i < kLen) {
    std::size_t start = p;
    long n = 0;
    for (; p < s.size() && hexValue(s[p]) >= 0; ++p) {
      n = n * 16 + hexValue(s[p]);
      if (n >= 0xFFFFFF) return false;
    }
    if (p == start || n > 0xFFFF) return false;
    if (p < s.size() && s[p] == '.') {  // trailing IPv4
      if ((ellipsis < 0 && i != kLen - 4) || i + 4 > kLen) return false;
      if (!ipv4(s, start, strict)) return false;
      p = s.size();
      i += 4;
      break;
    }
    if (strict && p - start > 4) return false;
    i += 2;
    if (p == s.size()) break;
    if (s[p] != ':' || p + 1 == s.size()) return false;
    ++p;
    if (s[p] == ':') {
      if (ellipsis >= 0) return false;
      ellipsis = i;
      if (++p == s.size()) break;
    }
  }
  if (p != s.size()) return false;
  if (i < kLen) return ellipsis >= 0;
  return ellipsis < 0;  // an ellipsis must stand for at least one group
}

}  // namespace

bool ip(const std::string& s, bool strict) {
  for (char c : s) {  // Go dispatches on the first '.' or ':'
    if (c == '.') return ipv4(s, 0, strict);
    if (c == ':') return ipv6(s, strict);
  }
  return false;
}

bool cidrSloppy(const std::string& s) {
  std::size_t slash = s.find('/');
  if (slash == std::string::npos) return false;
  std::string addr = s.substr(0, slash);
  int bits = 32;
  if (!ipv4(addr, 0, false)) {
    bits = 128;
    if (!ipv6(addr, false)) return false;
  }
  std::size_t i = slash + 1;
  long n = 0;
  return dtoi(s, i, n) && i == s.size() && n <= bits;
}

bool mac(const std::string& s) {
  auto xtoi2 = [&](std::size_t at, char sep) {  // two hex digits, then sep or the end
    if (at + 2 > s.size() || hexValue(s[at]) < 0 || hexValue(s[at + 1]) < 0) return false;
    return at + 2 == s.size() || s[at + 2] == sep;
  };
  if (s.size() < 14) return false;
  if (s[2] == ':' || s[2] == '-') {
    if ((s.size() + 1) % 3 != 0) return false;
    std::size_t n = (s.size() + 1) / 3;
    if (n != 6 && n != 8 && n != 20) return false;
    for (std::size_t i = 0, x = 0; i < n; ++i, x += 3)
      if (!xtoi2(x, s[2])) return false;
    return true;
  }
  if (s[4] == '.') {
    if ((s.size() + 1) % 5 != 0) return false;
    std::size_t n = 2 * (s.size() + 1) / 5;
    if (n != 6 && n != 8 && n != 20) return false;
    for (std::size_t i = 0, x = 0; i < n; i += 2, x += 5) {
      if (hexValue(s[x]) < 0 || hexValue(s[x + 1]) < 0) return false;
      if (!xtoi2(x + 2, s[4])) return false;
    }
    return true;
  }
  return false;
}

bool duration(const std::string& text) {
  const std::uint64_t kLimit = std::uint64_t(1) << 63;
  std::string s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) neg = s[0] == '-', s.erase(0, 1);
  if (s == "0") return true;
  if (s.empty()) return false;
  std::uint64_t total = 0;
  std::size_t p = 0;
  while (p < s.size()) {
    if (!(s[p] == '.' || isDigit(s[p]))) return false;
    std::uint64_t v = 0, f = 0;
    double scale = 1;
    std::size_t start = p;
    for (; p < s.size() && isDigit(s[p]); ++p) {
      if (v > kLimit / 10) return false;
      v = v * 10 + std::uint64_t(s[p] - '0');
      if (v > kLimit) return false;
    }
    bool pre = p != start, post = false;
    if (p < s.size() && s[p] == '.') {
      std::size_t fracStart = ++p;
      bool overflow = false;
      for (; p < s.size() && isDigit(s[p]); ++p) {
        if (overflow) continue;
        if (f > (kLimit - 1) / 10) { overflow = true; continue; }
        std::uint64_t y = f * 10 + std::uint64_t(s[p] - '0');
        if (y > kLimit) { overflow = true; continue; }
        f = y, scale *= 10;
      }
      post = p != fracStart;
    }
    if (!pre && !post) return false;
    std::size_t unitStart = p;
    while (p < s.size() && !(s[p] == '.' || isDigit(s[p]))) ++p;
    std::string unit = s.substr(unitStart, p - unitStart);
    std::uint64_t mult = 0;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") mult = 1000;
    else if (unit == "ms") mult = 1000000;
    else if (unit == "s") mult = 1000000000ULL;
    else if (unit == "m") mult = 60ULL * 1000000000ULL;
    else if (unit == "h") mult = 3600ULL * 1000000000ULL;
    else return false;  // missing or unknown unit
    if (v > kLimit / mult) return false;
    v *= mult;
    if (f > 0) {
      v += static_cast<std::uint64_t>(static_cast<double>(f) * (static_cast<double>(mult) / scale));
      if (v > kLimit) return false;
    }
    total += v;
    if (total > kLimit) return false;
  }
  return neg || total <= kLimit - 1;
}

bool date(const std::string& s) {
  if (s.size() < 4) return false;
  // year: time's atoi over exactly four bytes, so a sign is allowed ("+123")
  std::size_t y0 = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (y0 == 4) return false;
  long year = 0;
  for (std::size_t i = y0; i < 4; ++i) {
    if (!isDigit(s[i])) return false;
    year = year * 10 + (s[i] - '0');
  }
  if (s[0] == '-') year = -year;
  auto twoDigits = [&](std::size_t at, int& out) {
    if (at + 2 > s.size() || !isDigit(s[at]) || !isDigit(s[at + 1])) return false;
    out = (s[at] - '0') * 10 + (s[at + 1] - '0');
    return true;
  };
  int month = 0, day = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !twoDigits(5, month) || !twoDigits(8, day)) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

}  // namespace pmo::sandbox::goparse
