#include "maintenance/auditlogs/termination_summary.hpp"

namespace pmo::maintenance {
namespace {

using Json = nlohmann::json;

// The last line of `text` that is a JSON object with a boolean "success".
std::optional<Json> lastSummaryObject(const std::string& text) {
  const std::string bounded =
      text.size() > kTerminationMessageLimit ? text.substr(0, kTerminationMessageLimit) : text;
  std::size_t end = bounded.size();
  while (end > 0) {
    std::size_t start = bounded.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    const std::string line = bounded.substr(start, end - start);
    end = start == 0 ? 0 : start - 1;
    if (line.find('{') == std::string::npos) continue;
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("success") && j["success"].is_boolean()) return j;
  }
  return std::nullopt;
}

template <class Summary>
std::optional<Summary> parseSummary(const std::string& terminationMessage) {
  const auto j = lastSummaryObject(terminationMessage);
  if (!j) return std::nullopt;
  return j->get<Summary>();  // from_json never throws (summaries.hpp)
}

}  // namespace

std::optional<PurgeSummary> parsePurgeSummary(const std::string& terminationMessage) {
  return parseSummary<PurgeSummary>(terminationMessage);
}

std::optional<VacuumSummary> parseVacuumSummary(const std::string& terminationMessage) {
  return parseSummary<VacuumSummary>(terminationMessage);
}

}  // namespace pmo::maintenance
