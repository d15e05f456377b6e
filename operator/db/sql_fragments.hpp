#pragma once
// SQL fragments shared by the vacuum, stats and recovery code (internal to pmo_db).
#include <string>

namespace pmo::db::sql {

// Renders a timestamptz expression as UTC text with microseconds,
// "2024-05-01T10:00:00.123456Z" (NULL stays NULL). Parsing that text back with
// ::timestamptz gives the same instant exactly, so it can be stored and compared.
inline std::string isoUtc(const std::string& expr) {
  return "to_char((" + expr + ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
}

}  // namespace pmo::db::sql
