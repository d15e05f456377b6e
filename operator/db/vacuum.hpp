#pragma once
// VACUUM or an online rebuild of one table (by default Phase's audit log) with the guide's
// checks around it.
//
// Guarantees:
// - Plain VACUUM (ANALYZE, VERBOSE) by default: it never blocks readers or writers.
// - VACUUM (FULL, ANALYZE, VERBOSE) only when asked. Its ACCESS EXCLUSIVE lock is asked
//   for in short attempts (lock_timeout `lockAttempt`) with jittered pauses between them
//   (common/lock_retry.hpp), for at most `lockTimeout` in all: while another session
//   holds the table, readers wait at most one attempt behind the request, never the whole
//   budget. When no attempt is granted it gives up (outcome GaveUp) and nothing is changed.
//   Once granted it holds the lock for the whole rewrite: no secret can be read meanwhile.
// - Repack rebuilds the table online with the pg_repack client (db/repack.hpp): readers
//   and writers go on during the copy; only its two brief exclusive locks stop them.
//   Refused with a message naming the fix when the server lacks the extension or the
//   image the client. It runs only after a probe got the table lock by the same short
//   attempts as VACUUM FULL, and the client never cancels or terminates other sessions.
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

// Plain: VACUUM (ANALYZE). Full: VACUUM FULL. Repack: pg_repack (online).
enum class VacuumMethod { Plain, Full, Repack };
const char* toString(VacuumMethod method);  // "Plain", "Full", "Repack"
// "plain", "full", "repack" in any case; nullopt for anything else.
std::optional<VacuumMethod> parseVacuumMethod(const std::string& text);

struct VacuumOptions {
  std::string table = kAuditLogTable;
  VacuumMethod method = VacuumMethod::Plain;
  // Full and Repack: the total time spent asking for the table's ACCESS EXCLUSIVE lock
  // before giving up; must be > 0.
  std::chrono::milliseconds lockTimeout{5000};
  // Full and the repack's probe: the lock_timeout of one attempt, the longest a reader
  // waits behind the request; must be > 0.
  std::chrono::milliseconds lockAttempt{50};
  std::string repackClient;  // Repack: path of pg_repack; empty: looked up (findRepackClient)
  // Skip (outcome Skipped) unless the table has at least this many dead tuples AND at
  // least this dead / (live + dead) ratio. Unset: no threshold.
  std::optional<std::int64_t> minDeadTuples;
  std::optional<double> minDeadRatio;
};

enum class VacuumOutcome { Completed, Skipped, GaveUp };
const char* toString(VacuumOutcome outcome);

struct VacuumResult {
  std::string table;
  VacuumMethod method = VacuumMethod::Plain;
  VacuumOutcome outcome = VacuumOutcome::Completed;
  std::string message;          // why skipped / why it gave up and what to do; empty when completed
  TableStats before;
  std::optional<TableStats> after;  // set when Completed
  std::int64_t bytesReclaimed = 0;  // before.totalBytes - after.totalBytes (0 unless Completed)
  double durationSeconds = 0;       // of the VACUUM statement or the repack itself
  int lockAttempts = 0;             // Full, Repack: attempts at the table lock (0 for Plain)
  bool full() const { return method != VacuumMethod::Plain; }  // the table is rewritten
  bool skipped() const { return outcome == VacuumOutcome::Skipped; }
  bool gaveUp() const { return outcome == VacuumOutcome::GaveUp; }
};

// The one-line summary (maintenance::VacuumSummary): success unless it gave up.
nlohmann::json toJson(const VacuumResult& result);

// Pure: the reason to skip, or nullopt to go ahead.
std::optional<std::string> skipReason(const TableStats& before, const VacuumOptions& options);

// Receives the server's VERBOSE report or the repack client's output, one message at a time.
using VacuumMessageSink = std::function<void(const std::string& message)>;

// Reads the stats, decides, vacuums, reads the stats again. Throws std::invalid_argument
// for bad options or table names and DbError for database failures (after retries) and
// for a repack the server or the image cannot do (the message names the fix).
VacuumResult vacuumTable(const ConnectionParams& params, const VacuumOptions& options,
                         const RetryPolicy& retry = {}, const VacuumMessageSink& onMessage = nullptr);

}  // namespace pmo::db
