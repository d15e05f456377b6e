#include "maintenance/auditlogs/termination_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include <nlohmann/json.hpp>

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

std::string text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

// A count: integers as they are, finite floats rounded; negative or missing -> 0.
long long count(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  constexpr long long kMax = std::numeric_limits<long long>::max();
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    return v > static_cast<std::uint64_t>(kMax) ? kMax : static_cast<long long>(v);
  }
  if (it->is_number_integer()) return std::max<long long>(0, it->get<long long>());
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (!std::isfinite(v) || v <= 0) return 0;
    return v >= 9.2e18 ? kMax : std::llround(v);
  }
  return 0;
}

// A signed count (bytes reclaimed can be negative when a plain VACUUM grew the file).
long long signedCount(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer() && !it->is_number_unsigned()) return it->get<long long>();
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (!std::isfinite(v) || std::fabs(v) >= 9.2e18) return 0;
    return std::llround(v);
  }
  return count(j, key);
}

double seconds(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  const double v = it->get<double>();
  return std::isfinite(v) && v > 0 ? v : 0;
}

std::optional<TableStatsSummary> tableStats(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return std::nullopt;
  TableStatsSummary s;
  s.table = text(*it, "table");
  s.totalBytes = count(*it, "totalBytes");
  s.tableBytes = count(*it, "tableBytes");
  s.indexBytes = count(*it, "indexBytes");
  s.liveTuples = count(*it, "liveTuples");
  s.deadTuples = count(*it, "deadTuples");
  s.checkedAt = text(*it, "checkedAt");
  return s;
}

}  // namespace

std::optional<PurgeSummary> parsePurgeSummary(const std::string& terminationMessage) {
  const auto j = lastSummaryObject(terminationMessage);
  if (!j) return std::nullopt;
  PurgeSummary s;
  s.organisation = text(*j, "organisation");
  s.appId = text(*j, "appId");
  s.retainDays = count(*j, "retainDays");
  s.cutoff = text(*j, "cutoff");
  s.deleted = count(*j, "deleted");
  s.tagRowsDeleted = count(*j, "tagRowsDeleted");
  s.remaining = count(*j, "remaining");
  s.batches = count(*j, "batches");
  s.durationSeconds = seconds(*j, "durationSeconds");
  s.rowsPerSecond = seconds(*j, "rowsPerSecond");
  s.dryRun = flag(*j, "dryRun");
  s.wouldDelete = count(*j, "wouldDelete");
  s.nothingToDo = flag(*j, "nothingToDo");
  s.stoppedEarly = flag(*j, "stoppedEarly");
  s.skippedLocked = count(*j, "skippedLocked");
  s.skippedReason = text(*j, "skippedReason");
  s.success = flag(*j, "success");
  s.error = text(*j, "error");
  return s;
}

std::optional<VacuumSummary> parseVacuumSummary(const std::string& terminationMessage) {
  const auto j = lastSummaryObject(terminationMessage);
  if (!j) return std::nullopt;
  VacuumSummary s;
  s.table = text(*j, "table");
  s.full = flag(*j, "full");
  s.method = text(*j, "method");
  s.skipped = flag(*j, "skipped");
  s.gaveUp = flag(*j, "gaveUp");
  s.before = tableStats(*j, "before");
  s.after = tableStats(*j, "after");
  s.bytesReclaimed = signedCount(*j, "bytesReclaimed");
  s.durationSeconds = seconds(*j, "durationSeconds");
  s.message = text(*j, "message");
  s.success = flag(*j, "success");
  s.error = text(*j, "error");
  return s;
}

}  // namespace pmo::maintenance
