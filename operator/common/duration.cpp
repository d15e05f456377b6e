#include "common/duration.hpp"

#include <cctype>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace pmo {

namespace {

std::optional<std::chrono::nanoseconds> parse(const std::string& text) {
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

}  // namespace

std::optional<std::chrono::nanoseconds> parseGoDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  try {
    return parse(text);
  } catch (const std::out_of_range&) {  // more digits than a long double holds
    return std::nullopt;
  }
}

}  // namespace pmo
