#pragma once
// The self-hosting guide's diagnostics for one table (by default Phase's audit log,
// api_secretevent): who and where we are, how big the table and its indexes are, how
// many live and dead tuples the statistics system counts, and when it was last
// vacuumed and analysed.
//
// Guarantees: read-only (one READ ONLY transaction); the table name is validated and
// quoted as an identifier, never concatenated raw into SQL. Tuple counts come from
// pg_stat_user_tables, which is an estimate that the server updates about once a
// second (and resets after a crash); sizes are exact.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace pmo::db {

inline constexpr const char* kAuditLogTable = "api_secretevent";

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

nlohmann::json toJson(const TableStats& stats);

// Validates a table name ("name" or "schema.name"; each part a plain SQL identifier:
// a letter or _, then letters, digits, _ or $, at most 63 bytes) and returns it quoted
// ("\"public\".\"api_secretevent\""). The name is case-sensitive as written. Throws
// std::invalid_argument naming the rule that was broken.
std::string quoteTableName(const std::string& table);

// Reads the diagnostics. Throws DbError (Permanent, SQLSTATE 42P01) when the table does
// not exist, std::invalid_argument for a malformed name, and lets libpqxx errors
// through for the caller's classifyCurrentException / withRetry.
TableStats readTableStats(pqxx::connection& conn, const std::string& table = kAuditLogTable);

// "1.5 GiB", "490 MiB", "812 B": for people; JSON carries the exact byte counts.
std::string humanBytes(std::int64_t bytes);

}  // namespace pmo::db
