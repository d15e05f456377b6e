#pragma once
// Seed data and snapshots for the recovery tests (recovery_pgtest.cpp, recovery_sso_pgtest.cpp).
#include <map>
#include <string>
#include <tuple>

#include <pqxx/pqxx>

namespace pmo::testing::recovery {

// Organisation names that would break string-built SQL.
inline const std::string kSpaceX = "SpaceX";
inline const std::string kHostile = "Acme'; DROP TABLE api_organisation;--";
inline const std::string kUnicode = "Ünïcødé \"quoted\" 🚀 $1 \\";
inline const std::string kNoPolicies = "Quiet";

// Four organisations (o-spacex, o-hostile, o-unicode, o-quiet) and policies:
//   p-spacex-office (global), p-spacex-vpn (global), p-spacex-team (not global),
//   p-hostile-all (global), p-unicode-all (global). updated_at is 2024-01-01 + a few
// microseconds, distinct per policy. SSO: o-spacex requires it with providers
// sso-spacex-google (enabled) and sso-spacex-okta (disabled); o-hostile requires it with
// sso-hostile-entra (enabled); o-unicode does not.
inline void seedRecoveryData(pqxx::connection& conn) {
  pqxx::work tx(conn);
  const std::tuple<const char*, std::string, bool> orgs[] = {
      {"o-spacex", kSpaceX, true}, {"o-hostile", kHostile, true}, {"o-unicode", kUnicode, false}, {"o-quiet", kNoPolicies, false}};
  for (const auto& [id, name, sso] : orgs) {
    tx.exec_params("INSERT INTO api_organisation (id, name, require_sso, updated_at)"
                   " VALUES ($1, $2, $3, TIMESTAMPTZ '2024-01-01 00:00:00+00')",
                   id, name, sso);
  }
  const std::tuple<const char*, const char*, const char*, bool, int> policies[] = {
      {"p-spacex-office", "office", "o-spacex", true, 1}, {"p-spacex-vpn", "vpn'; --", "o-spacex", true, 2},
      {"p-spacex-team", "team", "o-spacex", false, 3},    {"p-hostile-all", "all", "o-hostile", true, 4},
      {"p-unicode-all", "ß 🚀", "o-unicode", true, 5}};
  for (const auto& [id, name, org, global, micros] : policies) {
    tx.exec_params("INSERT INTO api_networkaccesspolicy (id, name, organisation_id, allowed_ips, is_global, updated_at)"
                   " VALUES ($1, $2, $3, '10.0.0.0/8', $4, TIMESTAMPTZ '2024-01-01 00:00:00+00' + $5 * interval '1 microsecond')",
                   id, name, org, global, micros);
  }
  const std::tuple<const char*, const char*, const char*, bool> providers[] = {
      {"sso-spacex-google", "o-spacex", "google", true},
      {"sso-spacex-okta", "o-spacex", "okta", false},
      {"sso-hostile-entra", "o-hostile", "entra_id", true}};
  for (const auto& [id, org, type, enabled] : providers) {
    tx.exec_params("INSERT INTO api_organisationssoprovider (id, organisation_id, provider_type, name, enabled, updated_at)"
                   " VALUES ($1, $2, $3::text, $3::text || ' provider', $4, TIMESTAMPTZ '2024-01-01 00:00:00+00')",
                   id, org, type, enabled);
  }
  tx.commit();
}

// Every row the recoveries may touch, as text: compare before and after to prove "nothing
// changed" (values and updated_at to the microsecond).
inline std::map<std::string, std::string> snapshot(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  std::map<std::string, std::string> out;
  for (const auto& r : tx.exec("SELECT 'policy ' || id, name || '|' || is_global || '|' || updated_at::text"
                               " FROM api_networkaccesspolicy"
                               " UNION ALL SELECT 'org ' || id, name || '|' || require_sso || '|' || updated_at::text"
                               " FROM api_organisation"
                               " UNION ALL SELECT 'sso ' || id, provider_type || '|' || enabled || '|' || updated_at::text"
                               " FROM api_organisationssoprovider")) {
    out[r[0].as<std::string>()] = r[1].as<std::string>();
  }
  return out;
}

inline long long count(pqxx::connection& conn, const std::string& sql) {
  pqxx::read_transaction tx(conn);
  return tx.exec1(sql)[0].as<long long>();
}

inline bool ledgerExists(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  return !tx.exec1("SELECT to_regclass('phase_maintenance_operator_recoveries')")[0].is_null();
}

}  // namespace pmo::testing::recovery
