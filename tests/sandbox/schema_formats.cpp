#include "sandbox/schema_formats.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <vector>

#include "sandbox/schema_goparse.hpp"
#include "sandbox/schema_regex.hpp"

namespace pmo::sandbox::formats {

namespace {

std::string normalized(const std::string& format) {  // strfmt.DefaultNameNormalizer
  std::string n = format;
  n.erase(std::remove(n.begin(), n.end(), '-'), n.end());
  return n;
}

bool matches(const char* pattern, const std::string& value) { return regex::search(pattern, value).matched; }

// regexp.MustCompile(`[\s-]+`) or `[^0-9]+`, then ReplaceAllString(s, "").
std::string withoutSpacesAndMinus(const std::string& s) {
  std::string out;
  for (char c : s)
    if (!(c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == '-')) out += c;
  return out;
}
std::string digitsOnly(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c >= '0' && c <= '9') out += c;
  return out;
}

// strfmt.IsHostname: the RFC 1034 pattern (letters and symbols of any script), at most 255
// bytes, labels of at most 63 bytes.
bool hostname(const std::string& s) {
  static const char* kHostname =
      "^([a-zA-Z0-9\\p{S}\\p{L}]((-?[a-zA-Z0-9\\p{S}\\p{L}]{0,62})?)|"
      "([a-zA-Z0-9\\p{S}\\p{L}](([a-zA-Z0-9-\\p{S}\\p{L}]{0,61}[a-zA-Z0-9\\p{S}\\p{L}])?)(\\.)){1,}"
      "([a-zA-Z\\p{L}]){2,63})$";
  if (!matches(kHostname, s) || s.size() > 255) return false;
  std::size_t start = 0;
  for (std::size_t dot; (dot = s.find('.', start)) != std::string::npos; start = dot + 1)
    if (dot - start > 63) return false;
  return s.size() - start <= 63;
}

// strfmt.IsDateTime: a full date, "t", then hh:mm:ss[.frac](z|±hh:mm), compared
// case-insensitively; the hour, minute and second are bounded as strings.
bool dateTime(const std::string& s) {
  if (s.size() < 4) return false;
  std::string lower = s;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    std::size_t t = lower.find('t', start);
    parts.push_back(lower.substr(start, t == std::string::npos ? std::string::npos : t - start));
    if (t == std::string::npos) break;
    start = t + 1;
  }
  if (parts.size() < 2 || !goparse::date(parts[0])) return false;
  const std::string& time = parts[1];
  if (!matches("^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$", time)) return false;
  return time.substr(0, 2) <= "23" && time.substr(3, 2) <= "59" && time.substr(6, 2) <= "59";
}

// strfmt.ParseDuration: time.ParseDuration, else any "<digits> <unit>" run with a unit
// spelled as one of its variants (a prefix of the longest one counts).
bool duration(const std::string& s) {
  if (goparse::duration(s)) return true;
  static const std::vector<std::vector<std::string>> kUnits = {
      {"ns", "nano"}, {"us", "\xC2\xB5s", "micro"}, {"ms", "milli"}, {"s", "sec"},
      {"m", "min"},   {"h", "hr", "hour"},          {"d", "day"},    {"w", "wk", "week"}};
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; };
  auto letterLen = [&](std::size_t i) -> std::size_t {  // [A-Za-zµ] at i
    if (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) return 1;
    return s.compare(i, 2, "\xC2\xB5") == 0 ? 2 : 0;
  };
  bool ok = false;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t p = i;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) ++p;
    std::size_t digitsEnd = p;
    while (p < s.size() && isSpace(s[p])) ++p;
    std::size_t unitStart = p;
    for (std::size_t n; (n = letterLen(p)) > 0;) p += n;
    if (digitsEnd == i || p == unitStart) {  // no match starting here
      ++i;
      continue;
    }
    std::string digits = s.substr(i, digitsEnd - i);
    digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
    if (digits.size() > 19 || (digits.size() == 19 && digits > "9223372036854775807")) return false;  // Atoi
    std::string unit = s.substr(unitStart, p - unitStart);
    for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& variants : kUnits)
      for (std::size_t v = 0; v < variants.size(); ++v)
        if ((v + 1 == variants.size() && unit.rfind(variants[v], 0) == 0) || unit == variants[v]) ok = true;
    i = p;
  }
  return ok;
}

bool isbn(const std::string& str, int version) {  // govalidator.IsISBN
  std::string s = withoutSpacesAndMinus(str);
  if (version == 10) {
    if (!matches("^(?:[0-9]{9}X|[0-9]{10})$", s)) return false;
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (i + 1) * (s[i] - '0');
    sum += 10 * (s[9] == 'X' ? 10 : s[9] - '0');
    return sum % 11 == 0;
  }
  if (!matches("^(?:[0-9]{13})$", s)) return false;
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (i % 2 ? 3 : 1) * (s[i] - '0');
  return (s[12] - '0') - ((10 - sum % 10) % 10) == 0;
}

bool creditCard(const std::string& str) {  // govalidator.IsCreditCard: pattern, then Luhn
  std::string s = digitsOnly(str);
  if (!matches("^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|"
               "3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\\d{3})\\d{11})$",
               s))
    return false;
  int sum = 0;
  bool twice = false;
  for (std::size_t i = s.size(); i-- > 0; twice = !twice) {
    int d = (s[i] - '0') * (twice ? 2 : 1);
    sum += d >= 10 ? d % 10 + 1 : d;
  }
  return sum % 10 == 0;
}

}  // namespace

bool supported(const std::string& format) {
  static const std::set<std::string> kSupported = {
      "bsonobjectid", "uri",        "email", "hostname", "ipv4",     "ipv6",     "cidr",
      "mac",          "uuid",       "uuid3", "uuid4",    "uuid5",    "isbn",     "isbn10",
      "isbn13",       "creditcard", "ssn",   "hexcolor", "rgbcolor", "byte",     "password",
      "date",         "duration",   "datetime"};
  return kSupported.count(normalized(format)) > 0;
}

Check check(const std::string& format, const std::string& v) {
  const std::string f = normalized(format);
  auto result = [](bool valid) { return valid ? Check::Valid : Check::Invalid; };
  static const char* kUuid = "(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$";
  static const char* kUuid3 = "(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$";
  static const char* kUuid4 = "(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$";
  static const char* kUuid5 = "(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$";
  if (f == "email" || f == "uri") return Check::Unimplemented;
  if (f == "password") return Check::Valid;
  if (f == "datetime") return result(dateTime(v));
  if (f == "date") return result(goparse::date(v));
  if (f == "duration") return result(duration(v));
  if (f == "uuid") return result(matches(kUuid, v));
  if (f == "uuid3") return result(matches(kUuid3, v));
  if (f == "uuid4") return result(matches(kUuid4, v));
  if (f == "uuid5") return result(matches(kUuid5, v));
  if (f == "byte")
    return result(matches("^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$", v));
  if (f == "hostname") return result(hostname(v));
  if (f == "ipv4") return result(goparse::ip(v, false) && v.find('.') != std::string::npos);
  if (f == "ipv6") return result(goparse::ip(v, true) && v.find(':') != std::string::npos);
  if (f == "cidr") return result(goparse::cidrSloppy(v));
  if (f == "mac") return result(goparse::mac(v));
  if (f == "bsonobjectid") return result(matches("^[0-9a-fA-F]{24}$", v));
  if (f == "isbn") return result(isbn(v, 10) || isbn(v, 13));
  if (f == "isbn10") return result(isbn(v, 10));
  if (f == "isbn13") return result(isbn(v, 13));
  if (f == "creditcard") return result(creditCard(v));
  if (f == "ssn") return result(v.size() == 11 && matches("^\\d{3}[- ]?\\d{2}[- ]?\\d{4}$", v));
  if (f == "hexcolor") return result(matches("^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", v));
  if (f == "rgbcolor") {
    const std::string n = "\\s*(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])\\s*";
    return result(matches(("^rgb\\(" + n + "," + n + "," + n + "\\)$").c_str(), v));
  }
  return Check::Valid;  // not a format kube-apiserver checks
}

}  // namespace pmo::sandbox::formats
