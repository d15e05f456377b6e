// `vacuum`: VACUUM (ANALYZE) of the audit-log table, FULL only when asked and then
// under a lock timeout, with the guide's checks and a before/after report.
#include <iostream>

#include "cli/db_command.hpp"
#include "cli/stats_output.hpp"
#include "db/vacuum.hpp"

namespace pmo::cli {
namespace {

void declareVacuumFlags(args::Spec& spec) {
  spec.flag({"table", "TABLE", "table to vacuum: name or schema.name", false, db::kAuditLogTable});
  spec.flag({"full", "", "VACUUM FULL: rewrite the table and return space to the OS (locks the table)", false, ""});
  spec.flag({"lock-timeout", "DURATION", "with --full: how long to wait for the table lock before giving up", false,
             "5s"});
  spec.flag({"min-dead-tuples", "N", "skip unless the table has at least N dead tuples", false, ""});
  spec.flag({"min-dead-ratio", "R", "skip unless dead / (live + dead) is at least R (0-1)", false, ""});
}

db::VacuumOptions optionsFrom(const args::Parsed& p) {
  db::VacuumOptions o;
  o.table = p.get("table", db::kAuditLogTable);
  db::quoteTableName(o.table);  // a malformed name is a usage error, before connecting
  o.full = p.has("full");
  try {
    o.lockTimeout = std::chrono::milliseconds(args::parseDurationMs(p.get("lock-timeout", "5s")));
  } catch (const std::invalid_argument& e) {
    throw args::UsageError(std::string("--lock-timeout: ") + e.what());
  }
  if (o.lockTimeout.count() <= 0) throw args::UsageError("--lock-timeout must be positive");
  if (p.has("min-dead-tuples")) {
    o.minDeadTuples = p.getLong("min-dead-tuples", 0);
    if (*o.minDeadTuples < 0) throw args::UsageError("--min-dead-tuples must not be negative");
  }
  if (p.has("min-dead-ratio")) {
    o.minDeadRatio = p.getDouble("min-dead-ratio", 0);
    if (*o.minDeadRatio < 0 || *o.minDeadRatio > 1) throw args::UsageError("--min-dead-ratio must be between 0 and 1");
  }
  return o;
}

DbOutcome vacuum(const db::VacuumOptions& options, const db::ConnectionParams& params) {
  std::cerr << "vacuum: " << (options.full ? "VACUUM (FULL, ANALYZE, VERBOSE) " : "VACUUM (ANALYZE, VERBOSE) ")
            << options.table << " on " << params.describe() << "\n";
  const db::VacuumResult r = db::vacuumTable(
      params, options, {},
      [](const std::string& message) {
        std::string indented;  // the server's multi-line report, kept under its first line
        for (char c : message) indented += c == '\n' ? std::string("\n            ") : std::string(1, c);
        std::cerr << "  postgres: " << indented << "\n";
      });
  printConnectionCheck(std::cerr, r.before);
  printStatsTable(std::cerr, r.before, r.after);
  if (r.outcome == db::VacuumOutcome::Completed) {
    std::cerr << "vacuum: done in " << r.durationSeconds << " s, reclaimed " << db::humanBytes(r.bytesReclaimed)
              << (options.full ? "" : " (plain VACUUM makes space reusable; it rarely shrinks the file)") << "\n";
  } else {
    std::cerr << "vacuum: " << (r.skipped() ? "skipped: " : "") << r.message << "\n";
  }
  nlohmann::json summary = db::toJson(r);
  summary["success"] = !r.gaveUp();
  return {r.gaveUp() ? kExitFailure : kExitOk, summary};
}

DbInvocation prepareVacuum(const args::Parsed& parsed) {
  const db::VacuumOptions options = optionsFrom(parsed);
  DbInvocation invocation;
  invocation.run = [options](const db::ConnectionParams& params) { return vacuum(options, params); };
  invocation.failureSummary = [table = options.table](const std::exception&) {
    return nlohmann::json{{"table", table}};
  };
  return invocation;
}

const DbCommandRegistrar kVacuum(
    {"vacuum", "VACUUM the audit-log table (FULL only when asked, with a lock timeout)", 30,
     "[--table TABLE] [--full] [--lock-timeout DURATION] [--min-dead-tuples N] [--min-dead-ratio R]",
     "Runs VACUUM (ANALYZE, VERBOSE) on a table (default api_secretevent), which is safe while Phase\n"
     "runs, and prints its size, tuples and vacuum times before and after, and a one-line JSON summary\n"
     "on stdout (also written to the termination log).\n"
     "--full runs VACUUM (FULL, ANALYZE, VERBOSE) instead: it returns space to the operating system but\n"
     "holds an ACCESS EXCLUSIVE lock (no secret can be read meanwhile) and needs free disk for a copy of\n"
     "the table. It waits at most --lock-timeout for that lock and otherwise gives up, changing nothing.\n"
     "Exit codes: 0 vacuumed or skipped, 1 failed or gave up (FULL could not get its lock), 2 bad usage.",
     declareVacuumFlags, prepareVacuum});

}  // namespace
}  // namespace pmo::cli
