// `stats`: the self-hosting guide's diagnostics for the audit-log table.
#include <iostream>

#include "cli/db_command.hpp"
#include "cli/stats_output.hpp"
#include "cli/text_table.hpp"
#include "db/session.hpp"

namespace pmo::cli {

void printConnectionCheck(std::ostream& os, const db::TableStats& s) {
  os << "database \"" << s.currentDatabase << "\" as user \"" << s.currentUser << "\" at " << s.checkedAt
     << " (table \"" << s.table << "\", owner \"" << s.owner << "\")\n";
}

void printStatsTable(std::ostream& os, const db::TableStats& b, const std::optional<db::TableStats>& a) {
  std::vector<std::string> header = {"", a ? "before" : "value"};
  if (a) {
    header.push_back("after");
    header.push_back("change");
  }
  TextTable t(header);
  auto bytes = [&](const char* label, std::int64_t db::TableStats::*field) {
    std::vector<std::string> row = {label, db::humanBytes(b.*field) + " (" + std::to_string(b.*field) + ")"};
    if (a) {
      row.push_back(db::humanBytes((*a).*field) + " (" + std::to_string((*a).*field) + ")");
      row.push_back(db::humanBytes((*a).*field - b.*field));
    }
    t.add(row);
  };
  auto count = [&](const char* label, std::int64_t db::TableStats::*field) {
    std::vector<std::string> row = {label, std::to_string(b.*field)};
    if (a) {
      row.push_back(std::to_string((*a).*field));
      row.push_back(std::to_string((*a).*field - b.*field));
    }
    t.add(row);
  };
  auto when = [&](const char* label, std::optional<std::string> db::TableStats::*field) {
    std::vector<std::string> row = {label, (b.*field).value_or("never")};
    if (a) row.push_back(((*a).*field).value_or("never"));
    t.add(row);
  };
  bytes("table size", &db::TableStats::tableBytes);
  bytes("index size", &db::TableStats::indexBytes);
  bytes("total size", &db::TableStats::totalBytes);
  count("live tuples", &db::TableStats::liveTuples);
  count("dead tuples", &db::TableStats::deadTuples);
  when("last vacuum", &db::TableStats::lastVacuum);
  when("last autovacuum", &db::TableStats::lastAutovacuum);
  when("last analyze", &db::TableStats::lastAnalyze);
  when("last autoanalyze", &db::TableStats::lastAutoanalyze);
  t.print(os);
}

namespace {

void declareStatsFlags(args::Spec& spec) {
  spec.flag({"table", "TABLE", "table to inspect: name or schema.name", false, db::kAuditLogTable});
  spec.flag({"output", "FORMAT", "table (for people) or json (one line)", false, "table"});
}

DbInvocation prepareStats(const args::Parsed& parsed) {
  const std::string output = parsed.get("output", "table");
  if (output != "table" && output != "json") throw args::UsageError("--output: expected table or json, got \"" + output + "\"");
  const std::string table = parsed.get("table", db::kAuditLogTable);
  db::quoteTableName(table);  // a malformed name is a usage error, before connecting
  DbInvocation invocation;
  invocation.run = [output, table](const db::ConnectionParams& params) {
    db::TableStats stats;
    db::withRetry(params, {}, [&](pqxx::connection& conn) { stats = db::readTableStats(conn, table); });
    if (output == "json") {
      std::cout << nlohmann::json(stats).dump() << "\n";
    } else {
      printConnectionCheck(std::cout, stats);
      printStatsTable(std::cout, stats, std::nullopt);
    }
    return DbOutcome{kExitOk, nullptr};  // a report for people, not a summary
  };
  invocation.failureSummary = nullptr;  // read only: nothing to report to the operator
  return invocation;
}

const DbCommandRegistrar kStats({"stats", "Show size, tuples and vacuum times of the audit-log table", 40,
                                 "[--table TABLE] [--output table|json]",
                                 "Prints the self-hosting guide's diagnostics for a table (default api_secretevent):\n"
                                 "current user and database, table, index and total size, live and dead tuples, and the\n"
                                 "last (auto)vacuum and (auto)analyze. Read only.\n"
                                 "Exit codes: 0 printed, 1 database error or no such table, 2 bad usage.",
                                 declareStatsFlags, prepareStats});

}  // namespace
}  // namespace pmo::cli
