#include "sandbox/schema_gofmt.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace pmo::sandbox::gofmt {

namespace {

// Decodes one UTF-8 rune at s[i]; returns its length, or 0 for an invalid byte.
std::size_t decodeRune(const std::string& s, std::size_t i, char32_t& r) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  r = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    r = (r << 6) | (b(k) & 0x3F);
  }
  static const char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (r < kMin[n] || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return 0;
  return n;
}

// unicode.IsPrint for the runes that show up in practice: ASCII graphic and space, and any
// other rune except controls, format characters, separators and private use. (Go's table
// is larger; this covers the characters Kubernetes users type.)
bool isPrint(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  if (r < 0xA0 || r == 0xA0 || r == 0xAD || r == 0x061C || r == 0x1680 || r == 0x180E) return false;
  if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) || (r >= 0x205F && r <= 0x206F)) return false;
  if (r == 0x3000 || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || r == 0xFFFE || r == 0xFFFF) return false;
  if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000) return false;
  return true;
}

std::string hex(const char* fmt, unsigned long v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    char32_t r = 0;
    std::size_t n = decodeRune(s, i, r);
    if (n == 0) {
      out += hex("\\x%02x", static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    if (r == '"' || r == '\\') out += '\\', out += static_cast<char>(r);
    else if (isPrint(r)) out.append(s, i, n);
    else if (r == '\a') out += "\\a";
    else if (r == '\b') out += "\\b";
    else if (r == '\f') out += "\\f";
    else if (r == '\n') out += "\\n";
    else if (r == '\r') out += "\\r";
    else if (r == '\t') out += "\\t";
    else if (r == '\v') out += "\\v";
    else if (r < 0x20 || r == 0x7F) out += hex("\\x%02x", r);
    else if (r < 0x10000) out += hex("\\u%04x", r);
    else out += hex("\\U%08x", r);
    i += n;
  }
  return out + "\"";
}

std::string floatV(double d) {
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);  // shortest
  std::string sci(buf, res.ptr);
  std::string out;
  if (sci[0] == '-') out = "-", sci.erase(0, 1);
  std::size_t e = sci.find('e');
  std::string digits;
  for (std::size_t i = 0; i < e; ++i)
    if (sci[i] != '.') digits += sci[i];
  int exp = std::stoi(sci.substr(e + 1));
  int nd = static_cast<int>(digits.size());
  if (exp < -4 || exp >= 6) {  // Go's 'g' with shortest precision: %e form
    out += digits[0];
    if (nd > 1) out += "." + digits.substr(1);
    std::string x = std::to_string(exp < 0 ? -exp : exp);
    return out + "e" + (exp < 0 ? "-" : "+") + (x.size() < 2 ? "0" + x : x);
  }
  int dp = exp + 1;  // digits before the decimal point
  if (dp <= 0) return out + "0." + std::string(-dp, '0') + digits;
  if (nd <= dp) return out + digits + std::string(dp - nd, '0');
  return out + digits.substr(0, dp) + "." + digits.substr(dp);
}

std::string numberV(const nlohmann::json& n) {
  if (n.is_number_float()) return floatV(n.get<double>());
  return n.dump();
}

std::string sharpV(const nlohmann::json& v) {
  if (v.is_null()) return "interface {}(nil)";
  if (v.is_string()) return quoted(v.get<std::string>());
  if (v.is_number()) return numberV(v);
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  std::string out = v.is_array() ? "[]interface {}{" : "map[string]interface {}{";
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {  // objects: keys sorted, as fmt prints maps
    if (!first) out += ", ";
    first = false;
    if (v.is_object()) out += quoted(it.key()) + ":";
    out += sharpV(*it);
  }
  return out + "}";
}

std::string badValue(const nlohmann::json& v) {
  if (v.is_null()) return "\"null\"";
  if (v.is_string()) return quoted(v.get<std::string>());
  if (v.is_number() || v.is_boolean()) return v.is_boolean() ? (v.get<bool>() ? "true" : "false") : numberV(v);
  return sharpV(v);
}

std::string json(const nlohmann::json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>(), a = std::fabs(d);
    char buf[64];
    bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
    auto res = std::to_chars(buf, buf + sizeof buf, d, exp ? std::chars_format::scientific : std::chars_format::fixed);
    std::string out(buf, res.ptr);
    std::size_t e = out.find("e-0");  // Go writes 1e-07 as 1e-7
    if (e != std::string::npos) out.erase(e + 2, 1);
    return out;
  }
  if (v.is_string()) {
    std::string out = v.dump();
    for (const char* c : {"<", ">", "&"})
      for (std::size_t p; (p = out.find(c)) != std::string::npos;)
        out.replace(p, 1, hex("\\u%04x", static_cast<unsigned char>(*c)));
    return out;
  }
  if (!v.is_structured()) return v.dump();
  std::string out = v.is_array() ? "[" : "{";
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!first) out += ",";
    first = false;
    if (v.is_object()) out += json(it.key()) + ":";
    out += json(*it);
  }
  return out + (v.is_array() ? "]" : "}");
}

}  // namespace pmo::sandbox::gofmt
