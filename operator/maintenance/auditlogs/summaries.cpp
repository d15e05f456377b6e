#include "maintenance/auditlogs/summaries.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pmo::maintenance {
namespace {

using Json = nlohmann::json;

// Tolerant readers: a key that is missing or of the wrong type gives the default.

std::string text(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<std::string> optionalText(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
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

std::optional<TableStats> tableStats(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return std::nullopt;
  return it->get<TableStats>();
}

Json optionalJson(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }
Json optionalJson(const std::optional<TableStats>& v) { return v ? Json(*v) : Json(nullptr); }

}  // namespace

double TableStats::deadRatio() const {
  const auto all = liveTuples + deadTuples;
  return all <= 0 ? 0.0 : static_cast<double>(deadTuples) / static_cast<double>(all);
}

void to_json(Json& j, const TableStats& s) {
  j = {
      {"table", s.table},
      {"checkedAt", s.checkedAt},
      {"currentUser", s.currentUser},
      {"currentDatabase", s.currentDatabase},
      {"owner", s.owner},
      {"currentUserCanVacuum", s.currentUserCanVacuum},
      {"tableBytes", s.tableBytes},
      {"indexBytes", s.indexBytes},
      {"totalBytes", s.totalBytes},
      {"liveTuples", s.liveTuples},
      {"deadTuples", s.deadTuples},
      {"deadRatio", s.deadRatio()},
      {"lastVacuum", optionalJson(s.lastVacuum)},
      {"lastAutovacuum", optionalJson(s.lastAutovacuum)},
      {"lastAnalyze", optionalJson(s.lastAnalyze)},
      {"lastAutoanalyze", optionalJson(s.lastAutoanalyze)},
  };
}

void from_json(const Json& j, TableStats& s) {
  s = TableStats{};
  if (!j.is_object()) return;
  s.table = text(j, "table");
  s.checkedAt = text(j, "checkedAt");
  s.currentUser = text(j, "currentUser");
  s.currentDatabase = text(j, "currentDatabase");
  s.owner = text(j, "owner");
  s.currentUserCanVacuum = flag(j, "currentUserCanVacuum");
  s.tableBytes = count(j, "tableBytes");
  s.indexBytes = count(j, "indexBytes");
  s.totalBytes = count(j, "totalBytes");
  s.liveTuples = count(j, "liveTuples");
  s.deadTuples = count(j, "deadTuples");
  s.lastVacuum = optionalText(j, "lastVacuum");
  s.lastAutovacuum = optionalText(j, "lastAutovacuum");
  s.lastAnalyze = optionalText(j, "lastAnalyze");
  s.lastAutoanalyze = optionalText(j, "lastAutoanalyze");
}

void to_json(Json& j, const PurgeSummary& s) {
  j = {
      {"organisation", s.organisation},
      {"appId", s.appId.empty() ? Json(nullptr) : Json(s.appId)},
      {"retainDays", s.retainDays},
      {"cutoff", s.cutoff},
      {"deleted", s.deleted},
      {"tagRowsDeleted", s.tagRowsDeleted},
      {"remaining", s.remaining},
      {"batches", s.batches},
      {"durationSeconds", s.durationSeconds},
      {"rowsPerSecond", s.rowsPerSecond},
      {"longestBatchSeconds", s.longestBatchSeconds},
      {"dryRun", s.dryRun},
      {"nothingToDo", s.nothingToDo},
      {"matchedAtStart", s.matchedAtStart},
      {"backoffs", s.backoffs},
      {"backoffSeconds", s.backoffSeconds},
      {"stoppedEarly", s.stoppedEarly},
      {"skippedLocked", s.skippedLocked},
      {"success", s.success},
  };
  if (s.dryRun) j["wouldDelete"] = s.wouldDelete;
  if (s.backoffs > 0) j["backoffReason"] = s.backoffReason;
  if (!s.deadline.empty()) j["deadline"] = s.deadline;
  if (!s.stopReason.empty()) j["stopReason"] = s.stopReason;
  if (s.skippedLocked > 0) j["skippedReason"] = s.skippedReason;
  if (!s.error.empty()) j["error"] = s.error;
}

void from_json(const Json& j, PurgeSummary& s) {
  s = PurgeSummary{};
  if (!j.is_object()) return;
  s.organisation = text(j, "organisation");
  s.appId = text(j, "appId");
  s.retainDays = count(j, "retainDays");
  s.cutoff = text(j, "cutoff");
  s.deleted = count(j, "deleted");
  s.tagRowsDeleted = count(j, "tagRowsDeleted");
  s.remaining = count(j, "remaining");
  s.batches = count(j, "batches");
  s.durationSeconds = seconds(j, "durationSeconds");
  s.rowsPerSecond = seconds(j, "rowsPerSecond");
  s.longestBatchSeconds = seconds(j, "longestBatchSeconds");
  s.dryRun = flag(j, "dryRun");
  s.wouldDelete = count(j, "wouldDelete");
  s.nothingToDo = flag(j, "nothingToDo");
  s.matchedAtStart = count(j, "matchedAtStart");
  s.backoffs = count(j, "backoffs");
  s.backoffSeconds = seconds(j, "backoffSeconds");
  s.backoffReason = text(j, "backoffReason");
  s.stoppedEarly = flag(j, "stoppedEarly");
  s.deadline = text(j, "deadline");
  s.stopReason = text(j, "stopReason");
  s.skippedLocked = count(j, "skippedLocked");
  s.skippedReason = text(j, "skippedReason");
  s.success = flag(j, "success");
  s.error = text(j, "error");
}

void to_json(Json& j, const VacuumSummary& s) {
  j = {{"table", s.table}, {"method", s.method}, {"success", s.success}};
  if (!s.error.empty()) j["error"] = s.error;
  if (s.outcome.empty()) return;
  j["outcome"] = s.outcome;
  j["full"] = s.full;
  j["skipped"] = s.skipped;
  j["gaveUp"] = s.gaveUp;
  j["message"] = s.message;
  j["before"] = optionalJson(s.before);
  j["after"] = optionalJson(s.after);
  j["bytesReclaimed"] = s.bytesReclaimed;
  j["durationSeconds"] = s.durationSeconds;
  j["lockAttempts"] = s.lockAttempts;
}

void from_json(const Json& j, VacuumSummary& s) {
  s = VacuumSummary{};
  if (!j.is_object()) return;
  s.table = text(j, "table");
  s.method = text(j, "method");
  s.outcome = text(j, "outcome");
  s.full = flag(j, "full");
  s.skipped = flag(j, "skipped");
  s.gaveUp = flag(j, "gaveUp");
  s.message = text(j, "message");
  s.before = tableStats(j, "before");
  s.after = tableStats(j, "after");
  s.bytesReclaimed = signedCount(j, "bytesReclaimed");
  s.durationSeconds = seconds(j, "durationSeconds");
  s.lockAttempts = count(j, "lockAttempts");
  s.success = flag(j, "success");
  s.error = text(j, "error");
}

}  // namespace pmo::maintenance
