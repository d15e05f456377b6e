#pragma once
// RFC 3339 timestamps as the Kubernetes API writes them: metav1.Time
// ("2026-01-01T00:00:00Z") and metav1.MicroTime ("2026-01-01T00:00:00.000000Z"). UTC only
// on output; offsets are accepted on input.
#include <optional>
#include <string>

#include "runtime/clock.hpp"

namespace pmo::runtime {

std::string formatTime(Clock::WallTime t);       // seconds precision
std::string formatMicroTime(Clock::WallTime t);  // microseconds precision
std::optional<Clock::WallTime> parseTime(const std::string& text);

}  // namespace pmo::runtime
