#pragma once
// Finding the purge's or vacuum's one-line JSON summary (summaries.hpp) in its pod's
// termination message, for the audit-log planner to fill status.auditLogs.
//
// Guarantees:
//  - Never throws, whatever the text: garbage, truncation (the kubelet keeps at most
//    kTerminationMessageLimit bytes), wrong types, huge numbers. A message that is not a
//    summary gives nullopt; the caller then reports "summary unreadable".
//  - A summary is recognised by a JSON object with a boolean "success". When the message
//    holds several lines (e.g. progress output), the last line that is a summary wins.
//  - Fields are read as summaries.hpp from_json reads them: missing or of the wrong type
//    keep their defaults; counts are never negative.
#include <cstddef>
#include <optional>
#include <string>

#include "maintenance/auditlogs/summaries.hpp"

namespace pmo::maintenance {

inline constexpr std::size_t kTerminationMessageLimit = 4096;

std::optional<PurgeSummary> parsePurgeSummary(const std::string& terminationMessage);
std::optional<VacuumSummary> parseVacuumSummary(const std::string& terminationMessage);

}  // namespace pmo::maintenance
