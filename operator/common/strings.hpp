#pragma once
// Small string helpers shared by the parsers.
#include <string>
#include <vector>

namespace pmo {

// Splits on every `sep`; empty fields are kept ("a,,b" -> "a", "", "b"; "" -> "").
inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string::size_type start = 0;
  for (;;) {
    const auto pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) return parts;
    start = pos + 1;
  }
}

}  // namespace pmo
