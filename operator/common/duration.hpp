#pragma once
// The one duration grammar of the operator: Go's time.ParseDuration (which CEL's duration()
// in the CRD's rules also reads) without a sign: one or more <digits>[.<digits>]<unit>, units
// ns, us, ms, s, m, h ("90s", "1h30m", "1.5h", "500000us"). The spec, the CLI flags and the
// CronJob arguments built from the spec all parse with it, so whatever the CRD accepts the
// commands accept too.
#include <chrono>
#include <optional>
#include <string>

namespace pmo {

// nullopt when `text` is not such a duration or exceeds what 64-bit nanoseconds hold (about
// 292 years, Go's limit). Fractions truncate to the nanosecond, as Go does.
std::optional<std::chrono::nanoseconds> parseGoDuration(const std::string& text);

}  // namespace pmo
