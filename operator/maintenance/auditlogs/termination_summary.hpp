#pragma once
// The one-line JSON summaries that the `purge` and `vacuum` subcommands write to their
// pod's termination message (cli/db_flags.hpp writeSummary), read back by the audit-log
// planner to fill status.auditLogs.
//
// Guarantees:
//  - Never throws, whatever the text: garbage, truncation (the kubelet keeps at most
//    kTerminationMessageLimit bytes), wrong types, huge numbers. A message that is not a
//    summary gives nullopt; the caller then reports "summary unreadable".
//  - A summary is recognised by a JSON object with a boolean "success". When the message
//    holds several lines (e.g. progress output), the last line that is a summary wins.
//  - Fields of the wrong type or missing keep their defaults; counts are never negative.
#include <optional>
#include <string>

namespace pmo::maintenance {

inline constexpr std::size_t kTerminationMessageLimit = 4096;

struct PurgeSummary {
  std::string organisation;
  std::string appId;  // empty: every app
  long long retainDays = 0;
  std::string cutoff;
  long long deleted = 0;
  long long tagRowsDeleted = 0;
  long long remaining = 0;
  long long batches = 0;
  double durationSeconds = 0;
  double rowsPerSecond = 0;
  bool dryRun = false;
  long long wouldDelete = 0;  // dry run: what a real run would delete
  bool nothingToDo = false;
  bool stoppedEarly = false;  // hit --deadline / --max-duration; `remaining` rows are left
  long long skippedLocked = 0;  // rows left because another transaction held them
  std::string skippedReason;
  bool success = false;
  std::string error;  // set when !success
};

// A table's size and tuples as the vacuum measured them (db::TableStats' JSON).
struct TableStatsSummary {
  std::string table;
  long long totalBytes = 0;
  long long tableBytes = 0;
  long long indexBytes = 0;
  long long liveTuples = 0;
  long long deadTuples = 0;
  std::string checkedAt;  // server time of the measurement
};

struct VacuumSummary {
  std::string table;
  bool full = false;
  std::string method;    // "Plain", "Full", "Repack"; empty from versions before it existed
  bool skipped = false;  // below --min-dead-tuples / --min-dead-ratio: nothing done
  bool gaveUp = false;   // FULL could not get its lock within --lock-timeout
  std::optional<TableStatsSummary> before;
  std::optional<TableStatsSummary> after;  // set when the vacuum completed
  long long bytesReclaimed = 0;
  double durationSeconds = 0;
  std::string message;  // why skipped or gave up
  bool success = false;
  std::string error;
};

std::optional<PurgeSummary> parsePurgeSummary(const std::string& terminationMessage);
std::optional<VacuumSummary> parseVacuumSummary(const std::string& terminationMessage);

}  // namespace pmo::maintenance
