#include <set>

#include "db/recovery/internal.hpp"
#include "db/sql_fragments.hpp"

namespace pmo::db::detail {

std::vector<std::string> uniqueNames(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& n : names)
    if (seen.insert(n).second) out.push_back(n);
  return out;
}

std::vector<Organisation> resolveOrganisations(pqxx::transaction_base& tx, const std::vector<std::string>& names) {
  const std::vector<std::string> wanted = uniqueNames(names);
  const pqxx::result r = tx.exec_params(
      "SELECT n.name, o.id FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS n(name, ord)"
      " LEFT JOIN api_organisation o ON o.name = n.name ORDER BY n.ord",
      // Invalid UTF-8 cannot name a row of a UTF-8 database: replaced, it reports as unknown.
      nlohmann::json(wanted).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::vector<Organisation> found;
  std::vector<std::string> unknown;
  for (const auto& row : r) {
    if (row[1].is_null()) unknown.push_back(row[0].as<std::string>());
    else found.push_back({row[1].as<std::string>(), row[0].as<std::string>()});
  }
  if (!unknown.empty()) throw UnknownOrganisationError(unknown);
  return found;
}

std::string idsParam(const std::vector<Organisation>& organisations) {
  std::vector<std::string> ids;
  for (const auto& o : organisations) ids.push_back(o.id);
  return idsParam(ids);
}

std::string idsParam(const std::vector<std::string>& ids) { return nlohmann::json(ids).dump(); }

std::string transactionTime(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT " + sql::isoUtc("now()"))[0].as<std::string>();
}

}  // namespace pmo::db::detail
