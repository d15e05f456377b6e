// Resolving Phase's purge scope and counting what is in it. Read-only.
#include <map>

#include "db/purge/internal.hpp"
#include "db/purge/statements.hpp"

namespace pmo::db::purge_detail {
namespace {

// text[] literal: every element double-quoted, with \ and " escaped.
std::string textArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ",";
    out += "\"";
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += "\\";
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

}  // namespace

Scope resolveScope(pqxx::transaction_base& tx, const std::string& organisation, const std::string& appId) {
  Scope scope;
  const pqxx::result org = tx.exec_params(kOrganisationByNameSql, organisation);
  if (org.empty()) throw PurgeError("organisation \"" + organisation + "\" does not exist (names are matched exactly)");
  scope.organisationId = org[0][0].as<std::string>();

  const pqxx::result apps =
      appId.empty()
          ? tx.exec_params(kAppsOfOrganisationSql, scope.organisationId)
          : tx.exec_params(kAppOfOrganisationSql, scope.organisationId, appId);
  if (!appId.empty() && apps.empty())
    throw PurgeError("app \"" + appId + "\" is not an app of organisation \"" + organisation + "\"");
  for (const auto& row : apps) scope.appIds.push_back(row[0].as<std::string>());
  if (scope.appIds.empty()) return scope;

  const pqxx::result envs = tx.exec_params(kEnvironmentsOfAppsSql, textArray(scope.appIds));
  std::vector<std::string> ids;
  for (const auto& row : envs) {
    EnvironmentCount c;
    c.appId = row[0].as<std::string>();
    c.appName = row[1].as<std::string>();
    c.environmentId = row[2].as<std::string>();
    c.environmentName = row[3].as<std::string>();
    ids.push_back(c.environmentId);
    scope.environments.push_back(std::move(c));
  }
  scope.environmentArray = textArray(ids);
  return scope;
}

Matching countMatching(pqxx::transaction_base& tx, Scope& scope, std::int64_t cutoffMicros) {
  Matching m;
  for (auto& e : scope.environments) e.readEvents = 0;
  if (scope.environments.empty()) return m;
  const pqxx::result r = tx.exec_params(countMatchingSql(), scope.environmentArray, cutoffMicros);
  std::map<std::string, long long> byEnv;
  for (const auto& row : r) {
    const long long n = row[1].as<long long>();
    const std::int64_t oldest = row[2].as<std::int64_t>();
    byEnv[row[0].as<std::string>()] = n;
    if (m.total == 0 || oldest < m.oldestMicros) m.oldestMicros = oldest;
    m.total += n;
  }
  for (auto& e : scope.environments) e.readEvents = byEnv[e.environmentId];
  return m;
}

std::string rfc3339Micros(std::int64_t micros) {
  std::int64_t secs = micros / 1000000;
  std::int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  const time_t t = static_cast<time_t>(secs);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

}  // namespace pmo::db::purge_detail
