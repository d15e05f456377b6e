// SSO lockout: lift require_sso (and optionally disable the providers), keeping the state
// before the change so that it can be put back.
#include <map>
#include <stdexcept>

#include "db/recovery/recovery.hpp"
#include "db/recovery/internal.hpp"

namespace pmo::db {
namespace {

// The SSO state of the organisations, in their given order. With lock, the rows are
// locked until the transaction ends, so the state read is the state changed.
std::vector<OrganisationSsoState> readSsoState(pqxx::transaction_base& tx, const std::vector<Organisation>& orgs,
                                               bool lock) {
  const std::string ids = detail::idsParam(orgs);
  const std::string forUpdate = lock ? " FOR UPDATE" : "";
  std::map<std::string, bool> requireSso;
  for (const auto& row : tx.exec_params("SELECT id, require_sso FROM api_organisation"
                                        " WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))" + forUpdate,
                                        ids)) {
    requireSso[row[0].as<std::string>()] = row[1].as<bool>();
  }
  std::map<std::string, std::vector<SsoProviderState>> providers;
  for (const auto& row : tx.exec_params("SELECT organisation_id, id, provider_type, name, enabled"
                                        " FROM api_organisationssoprovider"
                                        " WHERE organisation_id IN (SELECT jsonb_array_elements_text($1::jsonb))"
                                        " ORDER BY provider_type, id" + forUpdate,
                                        ids)) {
    providers[row[0].as<std::string>()].push_back(
        {row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<std::string>(""), row[4].as<bool>()});
  }
  std::vector<OrganisationSsoState> out;
  for (const auto& o : orgs) out.push_back({o.id, o.name, requireSso[o.id], providers[o.id]});
  return out;
}

SsoDisableResult disableIn(pqxx::transaction_base& tx, const RequestKey& key,
                           const std::vector<std::string>& organisations, bool disableProviders, bool dryRun) {
  SsoDisableResult r;
  r.requestKey = key.value;
  r.dryRun = dryRun;
  r.disableProviders = disableProviders;
  r.appliedAt = detail::transactionTime(tx);
  const std::vector<Organisation> orgs = detail::resolveOrganisations(tx, organisations);
  r.before = readSsoState(tx, orgs, !dryRun);
  if (dryRun) {
    for (const auto& o : r.before) {
      if (o.requireSso) r.enforcementLifted.push_back(o.id);
      for (const auto& p : o.providers)
        if (disableProviders && p.enabled) r.providersDisabled.push_back(p.id);
    }
    return r;
  }
  const std::string ids = detail::idsParam(orgs);
  // Only rows that change are touched (and get a new updated_at); ids come back in the
  // order of `before`, sorted below by walking it.
  std::map<std::string, bool> lifted, disabled;
  for (const auto& row : tx.exec_params("UPDATE api_organisation SET require_sso = false, updated_at = now()"
                                        " WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND require_sso"
                                        " RETURNING id",
                                        ids)) {
    lifted[row[0].as<std::string>()] = true;
  }
  if (disableProviders) {
    for (const auto& row : tx.exec_params("UPDATE api_organisationssoprovider SET enabled = false, updated_at = now()"
                                          " WHERE organisation_id IN (SELECT jsonb_array_elements_text($1::jsonb))"
                                          " AND enabled RETURNING id",
                                          ids)) {
      disabled[row[0].as<std::string>()] = true;
    }
  }
  for (const auto& o : r.before) {
    if (lifted.count(o.id)) r.enforcementLifted.push_back(o.id);
    for (const auto& p : o.providers)
      if (disabled.count(p.id)) r.providersDisabled.push_back(p.id);
  }
  return r;
}

}  // namespace

SsoDisableResult disableSSOEnforcement(pqxx::connection& conn, const RequestKey& key,
                                       const std::vector<std::string>& organisations, bool disableProviders,
                                       bool dryRun) {
  if (organisations.empty()) {
    throw std::invalid_argument("name at least one organisation: SSO enforcement is lifted per organisation");
  }
  if (dryRun) {
    pqxx::read_transaction tx(conn);
    SsoDisableResult r = disableIn(tx, key, organisations, disableProviders, true);
    tx.commit();
    return r;
  }
  const LedgerOutcome outcome = applyOnce(conn, key, kActionDisableSso, [&](pqxx::work& tx) {
    return toJson(disableIn(tx, key, organisations, disableProviders, false));
  });
  SsoDisableResult r = ssoDisableResultFromJson(outcome.result);
  r.alreadyApplied = outcome.alreadyApplied;
  return r;
}

SsoDisableResult disableSSOEnforcement(const ConnectionParams& params, const RetryPolicy& retry,
                                       const RequestKey& key, const std::vector<std::string>& organisations,
                                       bool disableProviders, bool dryRun) {
  return detail::runRetrying<SsoDisableResult>(params, retry, [&](pqxx::connection& conn) {
    return disableSSOEnforcement(conn, key, organisations, disableProviders, dryRun);
  });
}

OrganisationSsoState showSSO(pqxx::connection& conn, const std::string& organisation) {
  pqxx::read_transaction tx(conn);
  const auto orgs = detail::resolveOrganisations(tx, {organisation});
  OrganisationSsoState s = readSsoState(tx, orgs, false).front();
  tx.commit();
  return s;
}

}  // namespace pmo::db
