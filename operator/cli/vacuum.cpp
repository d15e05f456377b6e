// `vacuum`: VACUUM (ANALYZE) of the audit-log table; VACUUM FULL or an online pg_repack
// only when asked, their table lock asked for in short attempts within a budget; with the
// guide's checks and a before/after report.
#include <iostream>

#include "cli/db_command.hpp"
#include "cli/stats_output.hpp"
#include "db/repack.hpp"
#include "db/vacuum.hpp"

namespace pmo::cli {
namespace {

constexpr long long kMaxLockAttemptMs = 1000;

void declareVacuumFlags(args::Spec& spec) {
  spec.flag({"table", "TABLE", "table to vacuum: name or schema.name", false, db::kAuditLogTable});
  spec.flag({"method", "METHOD", "plain (VACUUM), full (VACUUM FULL, locks the table) or repack (pg_repack, online)",
             false, "plain"});
  spec.flag({"full", "", "the same as --method full", false, ""});
  spec.flag({"lock-timeout", "DURATION",
             "full and repack: total time to keep asking for the table lock before giving up", false, "5s"});
  spec.flag({"lock-attempt", "DURATION",
             "full and repack: one attempt at the table lock, the longest a reader waits behind it (at most 1s)",
             false, "50ms"});
  spec.flag({"pg-repack", "PATH", "repack: the pg_repack client (default: on PATH or in /usr/lib/postgresql/*/bin)",
             false, ""});
  spec.flag({"min-dead-tuples", "N", "skip unless the table has at least N dead tuples", false, ""});
  spec.flag({"min-dead-ratio", "R", "skip unless dead / (live + dead) is at least R (0-1)", false, ""});
}

std::chrono::milliseconds durationFlag(const args::Parsed& p, const std::string& name, const std::string& fallback) {
  try {
    return std::chrono::milliseconds(args::parseDurationMs(p.get(name, fallback)));
  } catch (const std::invalid_argument& e) {
    throw args::UsageError("--" + name + ": " + e.what());
  }
}

db::VacuumOptions optionsFrom(const args::Parsed& p) {
  db::VacuumOptions o;
  o.table = p.get("table", db::kAuditLogTable);
  db::quoteTableName(o.table);  // a malformed name is a usage error, before connecting
  if (p.has("method")) {
    const auto method = db::parseVacuumMethod(p.get("method"));
    if (!method) throw args::UsageError("--method must be plain, full or repack, not \"" + p.get("method") + "\"");
    o.method = *method;
    if (p.has("full") && o.method == db::VacuumMethod::Plain)
      throw args::UsageError("--full contradicts --method plain: drop one of them");
  } else if (p.has("full")) {
    o.method = db::VacuumMethod::Full;
  }
  o.lockTimeout = durationFlag(p, "lock-timeout", "5s");
  if (o.lockTimeout.count() <= 0) throw args::UsageError("--lock-timeout must be positive");
  o.lockAttempt = durationFlag(p, "lock-attempt", "50ms");
  if (o.lockAttempt.count() <= 0 || o.lockAttempt.count() > kMaxLockAttemptMs)
    throw args::UsageError("--lock-attempt must be between 1ms and 1s: every reader may wait that long behind it");
  o.repackClient = p.get("pg-repack", "");
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

const char* describe(db::VacuumMethod method) {
  switch (method) {
    case db::VacuumMethod::Plain: return "VACUUM (ANALYZE, VERBOSE) ";
    case db::VacuumMethod::Full: return "VACUUM (FULL, ANALYZE, VERBOSE) ";
    case db::VacuumMethod::Repack: return "pg_repack (online rebuild) of ";
  }
  return "";
}

DbOutcome vacuum(const db::VacuumOptions& options, const db::ConnectionParams& params) {
  std::cerr << "vacuum: " << describe(options.method) << options.table << " on " << params.describe() << "\n";
  const db::VacuumResult r = db::vacuumTable(
      params, options, {},
      [](const std::string& message) {
        if (message.rfind("pg_repack: ", 0) == 0) {  // the client's own output, line by line
          std::cerr << "  " << message << "\n";
          return;
        }
        std::string indented;  // the server's multi-line report, kept under its first line
        for (char c : message) indented += c == '\n' ? std::string("\n            ") : std::string(1, c);
        std::cerr << "  postgres: " << indented << "\n";
      });
  printConnectionCheck(std::cerr, r.before);
  printStatsTable(std::cerr, r.before, r.after);
  if (r.outcome == db::VacuumOutcome::Completed) {
    std::cerr << "vacuum: done in " << r.durationSeconds << " s, reclaimed " << db::humanBytes(r.bytesReclaimed)
              << (r.full() ? "" : " (plain VACUUM makes space reusable; it rarely shrinks the file)") << "\n";
  } else {
    std::cerr << "vacuum: " << (r.skipped() ? "skipped: " : "") << r.message << "\n";
  }
  return {r.gaveUp() ? kExitFailure : kExitOk, db::toJson(r)};
}

DbInvocation prepareVacuum(const args::Parsed& parsed) {
  const db::VacuumOptions options = optionsFrom(parsed);
  DbInvocation invocation;
  invocation.run = [options](const db::ConnectionParams& params) { return vacuum(options, params); };
  invocation.failureSummary = [table = options.table, method = options.method](const std::exception&) {
    maintenance::VacuumSummary failed;  // no outcome: only table and method are written
    failed.table = table;
    failed.method = db::toString(method);
    return nlohmann::json(failed);
  };
  return invocation;
}

const DbCommandRegistrar kVacuum(
    {"vacuum", "VACUUM the audit-log table (FULL or an online pg_repack only when asked)", 30,
     "[--table TABLE] [--method plain|full|repack] [--full] [--lock-timeout DURATION] [--lock-attempt DURATION]\n"
     "       [--pg-repack PATH] [--min-dead-tuples N] [--min-dead-ratio R]",
     "Runs VACUUM (ANALYZE, VERBOSE) on a table (default api_secretevent), which is safe while Phase\n"
     "runs, and prints its size, tuples and vacuum times before and after, and a one-line JSON summary\n"
     "on stdout (also written to the termination log).\n"
     "--method full (or --full) runs VACUUM (FULL, ANALYZE, VERBOSE) instead: it returns space to the\n"
     "operating system but holds an ACCESS EXCLUSIVE lock for the whole rewrite (no secret can be read\n"
     "meanwhile) and needs free disk for a copy of the table. It asks for that lock in attempts of\n"
     "--lock-attempt with pauses between them, so readers wait at most one attempt behind it, for at\n"
     "most --lock-timeout in all; then it gives up, changing nothing.\n"
     "--method repack rebuilds the table online with the pg_repack client (the server needs the pg_repack\n"
     "extension): reads and writes go on during the copy; only two brief exclusive locks stop them. It\n"
     "also needs free disk for a copy, never cancels other sessions, and gives up like FULL.\n"
     "Exit codes: 0 vacuumed or skipped, 1 failed or gave up (no table lock), 2 bad usage.",
     declareVacuumFlags, prepareVacuum});

}  // namespace
}  // namespace pmo::cli
