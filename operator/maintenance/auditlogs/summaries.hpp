#pragma once
// The one-line JSON summaries of the `purge` and `vacuum` subcommands: one type each, with
// its one JSON form beside it. `db` fills them (db/purge/purge.hpp purgeSummary,
// db/vacuum.hpp toJson) and the CLI writes them to stdout and the pod's termination message;
// the audit-log planner reads them back (termination_summary.hpp) into status.auditLogs.
//
// Guarantees:
//  - to_json writes what every version wrote before: the same keys, the same JSON types,
//    the same keys left out (see each type), so Jobs of either version read the same.
//  - from_json never throws and tolerates what an older or a broken writer left: fields
//    missing or of the wrong type keep their defaults, counts are never negative, huge
//    numbers saturate, non-finite durations read as 0.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::maintenance {

// One table's diagnostics (db/table_stats.hpp reads them; `stats` prints them; the vacuum's
// summary carries them before and after).
struct TableStats {
  std::string table;            // as requested: "api_secretevent" or "schema.table"
  std::string checkedAt;        // server's now(), UTC, "2024-05-01T10:00:00.123456Z"
  std::string currentUser;
  std::string currentDatabase;
  std::string owner;            // the table's owner role
  bool currentUserCanVacuum = false;  // superuser, table owner or database owner (PostgreSQL 15 rule)
  std::int64_t tableBytes = 0;  // pg_relation_size: the main fork (heap data)
  std::int64_t indexBytes = 0;  // pg_indexes_size
  std::int64_t totalBytes = 0;  // pg_total_relation_size: heap, indexes, TOAST, FSM, VM
  std::int64_t liveTuples = 0;  // n_live_tup
  std::int64_t deadTuples = 0;  // n_dead_tup
  std::optional<std::string> lastVacuum, lastAutovacuum, lastAnalyze, lastAutoanalyze;  // UTC, as checkedAt

  // dead / (live + dead); 0 for an empty table.
  double deadRatio() const;
};

// Also written: "deadRatio" (derived, not read back); a missing last* time is null.
void to_json(nlohmann::json& j, const TableStats& s);
void from_json(const nlohmann::json& j, TableStats& s);

struct PurgeSummary {
  std::string organisation;
  std::string appId;  // empty: every app; written as null
  long long retainDays = 0;
  std::string cutoff;
  long long deleted = 0;
  long long tagRowsDeleted = 0;
  long long remaining = 0;
  long long batches = 0;
  double durationSeconds = 0;
  double rowsPerSecond = 0;
  double longestBatchSeconds = 0;
  bool dryRun = false;
  long long wouldDelete = 0;  // dry run: what a real run would delete; written only for a dry run
  bool nothingToDo = false;
  long long matchedAtStart = 0;
  long long backoffs = 0;
  double backoffSeconds = 0;
  std::string backoffReason;  // the latest; written only when backoffs > 0
  bool stoppedEarly = false;  // hit --deadline / --max-duration; `remaining` rows are left
  std::string deadline;       // the run's deadline when it had one; written only then
  std::string stopReason;     // why it stopped early; written only when set
  long long skippedLocked = 0;  // rows left because another transaction held them
  std::string skippedReason;    // written only when skippedLocked > 0
  bool success = false;
  std::string error;  // set when !success; written only when set
};

void to_json(nlohmann::json& j, const PurgeSummary& s);
void from_json(const nlohmann::json& j, PurgeSummary& s);

struct VacuumSummary {
  std::string table;
  std::string method;   // "Plain", "Full", "Repack"; empty from versions before it existed
  // "Completed", "Skipped", "GaveUp". Empty: the run failed before it measured anything, and
  // only table, method, success and error are written.
  std::string outcome;
  bool full = false;
  bool skipped = false;  // below --min-dead-tuples / --min-dead-ratio: nothing done
  bool gaveUp = false;   // FULL or repack could not get its lock within --lock-timeout
  std::string message;   // why skipped or gave up
  std::optional<TableStats> before;
  std::optional<TableStats> after;  // set when the vacuum completed; written as null otherwise
  long long bytesReclaimed = 0;     // may be negative: a plain VACUUM can grow the file
  double durationSeconds = 0;
  long long lockAttempts = 0;
  bool success = false;
  std::string error;  // written only when set
};

void to_json(nlohmann::json& j, const VacuumSummary& s);
void from_json(const nlohmann::json& j, VacuumSummary& s);

}  // namespace pmo::maintenance
