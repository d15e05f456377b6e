#include "sandbox/schema_values.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

namespace pmo::sandbox::values {

namespace {
constexpr double kTwoTo63 = 9223372036854775808.0;
}

void decodeLikeGo(nlohmann::json& v) {
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
    v = static_cast<double>(v.get<std::uint64_t>());
  else if (v.is_structured())
    for (auto& child : v) decodeLikeGo(child);
}

void storeLikeGo(nlohmann::json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < kTwoTo63) v = static_cast<std::int64_t>(d);
  } else if (v.is_structured()) {
    for (auto& child : v) storeLikeGo(child);
  }
}

long long truncate(double f) {
  if (!(f >= -kTwoTo63 && f < kTwoTo63)) return std::numeric_limits<long long>::min();
  return static_cast<long long>(f);
}

bool isJsonInteger(double f) {
  const double kMax = 9007199254740991.0, kEpsilon = 1e-9;  // 2^53 - 1
  if (std::isnan(f) || std::isinf(f) || f < -kMax || f > kMax) return false;
  // g is Go's float64(uint64(f)); on amd64 a negative f converts through int64
  double g = f < 0 ? static_cast<double>(static_cast<std::uint64_t>(static_cast<std::int64_t>(f)))
                   : static_cast<double>(static_cast<std::uint64_t>(f));
  double diff = std::fabs(f - g);
  if (f == g || f == static_cast<double>(static_cast<std::int64_t>(f))) return true;
  if (f == 0 || g == 0 || diff < std::numeric_limits<double>::denorm_min())
    return diff < kEpsilon * std::numeric_limits<double>::denorm_min();
  return diff / std::min(std::fabs(f) + std::fabs(g), std::numeric_limits<double>::max()) < kEpsilon;
}

std::string goType(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  return v.is_array() ? "array" : "object";
}

std::string goFormat(const nlohmann::json& v) {
  if (v.is_number_integer()) return "int64";
  return v.is_number() ? "float64" : "";
}

long long runeCount(const std::string& s) {
  long long n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // every byte but UTF-8 continuation bytes
  return n;
}

bool deepEqual(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() || b.is_number()) {
    if (a.is_number_integer() && b.is_number_integer()) return a.get<long long>() == b.get<long long>();
    if (a.is_number_float() && b.is_number_float()) return a.get<double>() == b.get<double>();
    return false;
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()) || !deepEqual(*it, b[it.key()])) return false;
    return true;
  }
  return a == b;
}

bool enumMatches(const nlohmann::json& d, const nlohmann::json& e) {
  if (d.is_null()) return false;
  if (e.is_string()) {
    if (d.is_string()) return d == e;
    if (!d.is_number_integer()) return false;
    long long r = d.get<long long>();  // string(rune): invalid code points become U+FFFD
    if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = 0xFFFD;
    std::string s;
    if (r < 0x80) s += char(r);
    else if (r < 0x800) s += char(0xC0 | (r >> 6)), s += char(0x80 | (r & 0x3F));
    else if (r < 0x10000) s += char(0xE0 | (r >> 12)), s += char(0x80 | ((r >> 6) & 0x3F)), s += char(0x80 | (r & 0x3F));
    else
      s += char(0xF0 | (r >> 18)), s += char(0x80 | ((r >> 12) & 0x3F)), s += char(0x80 | ((r >> 6) & 0x3F)),
          s += char(0x80 | (r & 0x3F));
    return s == e.get<std::string>();
  }
  if (e.is_number_integer()) {
    if (d.is_number_integer()) return d.get<long long>() == e.get<long long>();
    return d.is_number_float() && truncate(d.get<double>()) == e.get<long long>();
  }
  if (e.is_number_float()) return d.is_number() && d.get<double>() == e.get<double>();
  if (e.is_boolean()) return d.is_boolean() && d == e;
  return deepEqual(d, e);
}

}  // namespace pmo::sandbox::values
