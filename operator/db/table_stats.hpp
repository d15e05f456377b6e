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

#include <pqxx/pqxx>

#include "maintenance/auditlogs/summaries.hpp"

namespace pmo::db {

inline constexpr const char* kAuditLogTable = "api_secretevent";

// The diagnostics, and their JSON form, are a pure value the vacuum's summary shares.
using TableStats = maintenance::TableStats;

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
