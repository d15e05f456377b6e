// Network access lockout: turn global policies off (scoped, recorded) and back on.
#include <algorithm>
#include <tuple>

#include "db/recovery/recovery.hpp"
#include "db/recovery/internal.hpp"
#include "db/sql_fragments.hpp"

namespace pmo::db {
namespace {

// Scope of a request: "all organisations" ($1 = true) or the ids in $2.
constexpr const char* kPolicyScope =
    "p.is_global AND ($1::boolean OR p.organisation_id IN (SELECT jsonb_array_elements_text($2::jsonb)))";

std::vector<PolicyChange> policiesFrom(const pqxx::result& r) {
  std::vector<PolicyChange> out;
  for (const auto& row : r) {
    PolicyChange p;
    p.id = row[0].as<std::string>();
    p.name = row[1].as<std::string>();
    p.organisationId = row[2].as<std::string>();
    p.organisationName = row[3].as<std::string>();
    p.updatedAt = row[4].as<std::string>();
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const PolicyChange& a, const PolicyChange& b) {
    return std::tie(a.organisationName, a.name, a.id) < std::tie(b.organisationName, b.name, b.id);
  });
  return out;
}

NetworkResetResult resetIn(pqxx::transaction_base& tx, const RequestKey& key,
                           const std::vector<std::string>& organisations, bool dryRun) {
  NetworkResetResult r;
  r.requestKey = key.value;
  r.dryRun = dryRun;
  r.appliedAt = detail::transactionTime(tx);
  r.allOrganisations = organisations.empty();
  if (!r.allOrganisations) r.organisations = detail::resolveOrganisations(tx, organisations);
  const std::string ids = detail::idsParam(r.organisations);
  const std::string columns =
      "p.id, p.name, p.organisation_id, o.name, " + sql::isoUtc("p.updated_at");
  const std::string statement =
      dryRun ? "SELECT " + columns + " FROM api_networkaccesspolicy p JOIN api_organisation o ON o.id = p.organisation_id WHERE " +
                   kPolicyScope
             : "UPDATE api_networkaccesspolicy p SET is_global = false, updated_at = now()"
               " FROM api_organisation o WHERE o.id = p.organisation_id AND " +
                   std::string(kPolicyScope) + " RETURNING " + columns;
  r.policies = policiesFrom(tx.exec_params(statement, r.allOrganisations, ids));
  return r;
}

}  // namespace

NetworkResetResult resetGlobalNetworkPolicies(pqxx::connection& conn, const RequestKey& key,
                                              const std::vector<std::string>& organisations, bool dryRun) {
  if (dryRun) {
    pqxx::read_transaction tx(conn);
    NetworkResetResult r = resetIn(tx, key, organisations, true);
    tx.commit();
    return r;
  }
  const LedgerOutcome outcome = applyOnce(conn, key, kActionResetNetworkPolicies, [&](pqxx::work& tx) {
    return toJson(resetIn(tx, key, organisations, false));
  });
  NetworkResetResult r = networkResetResultFromJson(outcome.result);
  r.alreadyApplied = outcome.alreadyApplied;
  return r;
}

NetworkResetResult resetGlobalNetworkPolicies(const ConnectionParams& params, const RetryPolicy& retry,
                                              const RequestKey& key,
                                              const std::vector<std::string>& organisations, bool dryRun) {
  return detail::runRetrying<NetworkResetResult>(params, retry, [&](pqxx::connection& conn) {
    return resetGlobalNetworkPolicies(conn, key, organisations, dryRun);
  });
}

namespace {

// The policies the reset under `resetKey` changed: its ledger record when there is one (the
// full list: the operator's status keeps only the first few), else `changed` as given.
std::vector<PolicyChange> recordedChanges(pqxx::transaction_base& tx, const RequestKey& resetKey,
                                          const std::vector<PolicyChange>& changed) {
  const auto entry = findRecovery(tx, resetKey);
  if (!entry || entry->action != kActionResetNetworkPolicies) return changed;
  return networkResetResultFromJson(entry->result).policies;
}

NetworkRestoreResult restoreIn(pqxx::transaction_base& tx, const RequestKey& resetKey,
                               const std::vector<PolicyChange>& given) {
  const RequestKey key = resetKey.restoreKey();
  NetworkRestoreResult r;
  r.requestKey = key.value;
  r.appliedAt = detail::transactionTime(tx);
  for (const auto& c : recordedChanges(tx, resetKey, given)) {
    // Exactly the recorded version: updated_at equal to the microsecond, still not global.
    const pqxx::result done = tx.exec_params(
        "UPDATE api_networkaccesspolicy SET is_global = true, updated_at = now()"
        " WHERE id = $1 AND updated_at = $2::timestamptz AND NOT is_global"
        " RETURNING name, organisation_id, " + sql::isoUtc("updated_at"),
        c.id, c.updatedAt);
    if (!done.empty()) {
      r.restored.push_back({c.id, done[0][0].as<std::string>(), done[0][1].as<std::string>(), done[0][2].as<std::string>()});
      continue;
    }
    const pqxx::result now = tx.exec_params(
        "SELECT name, is_global, " + sql::isoUtc("updated_at") + " FROM api_networkaccesspolicy WHERE id = $1", c.id);
    std::string reason;
    if (now.empty()) reason = "deleted";
    else if (now[0][2].as<std::string>() != c.updatedAt)
      reason = "edited since: updated_at is " + now[0][2].as<std::string>() + ", recorded " + c.updatedAt;
    else reason = "already global";
    r.skipped.push_back({c.id, now.empty() ? c.name : now[0][0].as<std::string>(), reason});
  }
  return r;
}

}  // namespace

NetworkRestoreResult restoreGlobalNetworkPolicies(pqxx::connection& conn, const RequestKey& key,
                                                  const std::vector<PolicyChange>& changed) {
  const RequestKey restoreKey = key.restoreKey();
  const LedgerOutcome outcome = applyOnce(conn, restoreKey, kActionRestoreNetworkPolicies, [&](pqxx::work& tx) {
    return toJson(restoreIn(tx, key, changed));
  });
  NetworkRestoreResult r = networkRestoreResultFromJson(outcome.result);
  r.alreadyApplied = outcome.alreadyApplied;
  return r;
}

NetworkRestoreResult restoreGlobalNetworkPolicies(const ConnectionParams& params, const RetryPolicy& retry,
                                                  const RequestKey& key, const std::vector<PolicyChange>& changed) {
  return detail::runRetrying<NetworkRestoreResult>(
      params, retry, [&](pqxx::connection& conn) { return restoreGlobalNetworkPolicies(conn, key, changed); });
}

}  // namespace pmo::db
