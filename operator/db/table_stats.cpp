#include "db/table_stats.hpp"

#include <cstdio>
#include <stdexcept>

#include "db/session.hpp"
#include "db/sql_fragments.hpp"

namespace pmo::db {
namespace {

bool identStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool identChar(char c) { return identStart(c) || (c >= '0' && c <= '9') || c == '$'; }

std::string quotePart(const std::string& part, const std::string& whole) {
  if (part.empty() || part.size() > 63 || !identStart(part[0])) {
    throw std::invalid_argument("table name \"" + whole +
                                "\": each part must start with a letter or _ and be 1-63 characters long");
  }
  for (char c : part) {
    if (!identChar(c)) {
      throw std::invalid_argument("table name \"" + whole +
                                  "\": only letters, digits, _ and $ are allowed (\"name\" or \"schema.name\")");
    }
  }
  return "\"" + part + "\"";  // no quote can be inside: the characters were checked above
}

std::optional<std::string> optionalText(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

}  // namespace

std::string quoteTableName(const std::string& table) {
  const auto dot = table.find('.');
  if (dot == std::string::npos) return quotePart(table, table);
  if (table.find('.', dot + 1) != std::string::npos) {
    throw std::invalid_argument("table name \"" + table + "\": expected \"name\" or \"schema.name\"");
  }
  return quotePart(table.substr(0, dot), table) + "." + quotePart(table.substr(dot + 1), table);
}

TableStats readTableStats(pqxx::connection& conn, const std::string& table) {
  const std::string quoted = quoteTableName(table);
  pqxx::read_transaction tx(conn);
  // The name travels as a parameter ($1) and is resolved by to_regclass: no SQL text is
  // built from it. The user may vacuum when superuser, table owner or database owner.
  const pqxx::result r = tx.exec_params(
      "SELECT " + sql::isoUtc("now()") + ", current_user, current_database(),"
      " pg_get_userbyid(c.relowner),"
      " (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
      "   OR pg_has_role(current_user, c.relowner, 'MEMBER')"
      "   OR pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'MEMBER'),"
      " pg_relation_size(c.oid), pg_indexes_size(c.oid), pg_total_relation_size(c.oid),"
      " coalesce(s.n_live_tup, 0), coalesce(s.n_dead_tup, 0), " +
          sql::isoUtc("s.last_vacuum") + ", " + sql::isoUtc("s.last_autovacuum") + ", " +
          sql::isoUtc("s.last_analyze") + ", " + sql::isoUtc("s.last_autoanalyze") +
          " FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
          " WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'm')",
      quoted);
  if (r.empty()) {
    const pqxx::row where = tx.exec1("SELECT current_database(), current_setting('search_path')");
    throw DbError(ErrorKind::Permanent, "42P01",
                  "table \"" + table + "\" does not exist in database \"" + where[0].as<std::string>() +
                      "\" (search_path " + where[1].as<std::string>() +
                      "): check --table and that the database is Phase's");
  }
  const pqxx::row row = r[0];
  TableStats s;
  s.table = table;
  s.checkedAt = row[0].as<std::string>();
  s.currentUser = row[1].as<std::string>();
  s.currentDatabase = row[2].as<std::string>();
  s.owner = row[3].as<std::string>();
  s.currentUserCanVacuum = row[4].as<bool>();
  s.tableBytes = row[5].as<std::int64_t>();
  s.indexBytes = row[6].as<std::int64_t>();
  s.totalBytes = row[7].as<std::int64_t>();
  s.liveTuples = row[8].as<std::int64_t>();
  s.deadTuples = row[9].as<std::int64_t>();
  s.lastVacuum = optionalText(row[10]);
  s.lastAutovacuum = optionalText(row[11]);
  s.lastAnalyze = optionalText(row[12]);
  s.lastAutoanalyze = optionalText(row[13]);
  tx.commit();
  return s;
}

std::string humanBytes(std::int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  const bool negative = bytes < 0;
  double v = static_cast<double>(negative ? -bytes : bytes);
  int u = 0;
  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%s%lld B", negative ? "-" : "", static_cast<long long>(v));
  else std::snprintf(buf, sizeof buf, "%s%.1f %s", negative ? "-" : "", v, units[u]);
  return buf;
}

}  // namespace pmo::db
