#pragma once
// VACUUM of one table (by default Phase's audit log) with the guide's checks around it.
//
// Guarantees:
// - Plain VACUUM (ANALYZE, VERBOSE) by default: it never blocks readers or writers.
// - VACUUM (FULL, ANALYZE, VERBOSE) only when asked, and always under lock_timeout: if
//   the ACCESS EXCLUSIVE lock is not granted in time it gives up (outcome GaveUp),
//   instead of queueing behind readers and so blocking every secret read. Nothing is
//   changed in that case.
// - Runs outside any transaction block (VACUUM cannot run inside one).
// - Transient errors (connection loss, too many connections, ...) are retried with a
//   fresh connection; VACUUM is safe to repeat.
// - Refuses, with a message saying what to do, when current_user may not vacuum the
//   table (PostgreSQL would otherwise skip it with only a warning).
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "db/connection.hpp"
#include "db/session.hpp"
#include "db/table_stats.hpp"

namespace pmo::db {

struct VacuumOptions {
  std::string table = kAuditLogTable;
  bool full = false;
  std::chrono::milliseconds lockTimeout{5000};  // FULL only; must be > 0
  // Skip (outcome Skipped) unless the table has at least this many dead tuples AND at
  // least this dead / (live + dead) ratio. Unset: no threshold.
  std::optional<std::int64_t> minDeadTuples;
  std::optional<double> minDeadRatio;
};

enum class VacuumOutcome { Completed, Skipped, GaveUp };
const char* toString(VacuumOutcome outcome);

struct VacuumResult {
  std::string table;
  bool full = false;
  VacuumOutcome outcome = VacuumOutcome::Completed;
  std::string message;          // why skipped / why it gave up and what to do; empty when completed
  TableStats before;
  std::optional<TableStats> after;  // set when Completed
  std::int64_t bytesReclaimed = 0;  // before.totalBytes - after.totalBytes (0 unless Completed)
  double durationSeconds = 0;       // of the VACUUM statement itself
  bool skipped() const { return outcome == VacuumOutcome::Skipped; }
  bool gaveUp() const { return outcome == VacuumOutcome::GaveUp; }
};

// {"table","full","outcome","skipped","gaveUp","message","before","after",
//  "bytesReclaimed","durationSeconds"}
nlohmann::json toJson(const VacuumResult& result);

// Pure: the reason to skip, or nullopt to go ahead.
std::optional<std::string> skipReason(const TableStats& before, const VacuumOptions& options);

// Receives the server's VERBOSE report, one message at a time (INFO lines).
using VacuumMessageSink = std::function<void(const std::string& message)>;

// Reads the stats, decides, vacuums, reads the stats again. Throws std::invalid_argument
// for bad options or table names and DbError for database failures (after retries).
VacuumResult vacuumTable(const ConnectionParams& params, const VacuumOptions& options,
                         const RetryPolicy& retry = {}, const VacuumMessageSink& onMessage = nullptr);

}  // namespace pmo::db
