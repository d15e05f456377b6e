#pragma once
// Break-glass recoveries against Phase's database, called by the operator's
// reconciler itself and by the CLI subcommands.
//
// Guarantees, for every function here:
// - One transaction per call: either every change and its ledger row are committed, or
//   nothing is.
// - Every value (organisation names, ids, timestamps, keys) travels as a query
//   parameter; SQL metacharacters in names are data, never SQL.
// - An unknown organisation name rejects the whole request (UnknownOrganisationError
//   naming it) before anything is changed, and leaves no ledger row.
// - At most once per RequestKey (when the key is not empty): the ledger row is written
//   in the same transaction as the change (see db/recovery/ledger.hpp). Calling again with
//   the same key, after a crash, a lost status write or a commit whose outcome was in
//   doubt, changes nothing and returns the recorded result with alreadyApplied = true.
//   Two concurrent callers with one key: one applies, the other waits for it and then
//   returns its result with alreadyApplied = true.
// - Dry runs read only: no change, no ledger row, no ledger table created.
//
// The pqxx::connection& forms let libpqxx and database errors through (classify with
// classifyCurrentException); the ConnectionParams forms connect, retry transient
// failures with a fresh connection (safe: the ledger makes a repeat a no-op, and a
// failed transaction changed nothing) and throw DbError, or UnknownOrganisationError /
// std::invalid_argument unchanged, since retrying those cannot help.
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "db/connection.hpp"
#include "db/recovery/ledger.hpp"
#include "db/recovery/types.hpp"
#include "db/session.hpp"

namespace pmo::db {

// Sets is_global = false and updated_at = now() on every global network access policy of
// the named organisations (all organisations when `organisations` is empty, as Phase's
// guide does). Names are exact; duplicates are ignored. The result lists each policy
// changed with its new updated_at, which restoreGlobalNetworkPolicies needs.
NetworkResetResult resetGlobalNetworkPolicies(pqxx::connection& conn, const RequestKey& key,
                                              const std::vector<std::string>& organisations, bool dryRun);
NetworkResetResult resetGlobalNetworkPolicies(const ConnectionParams& params, const RetryPolicy& retry,
                                              const RequestKey& key,
                                              const std::vector<std::string>& organisations, bool dryRun);

// Sets is_global = true (and updated_at = now()) again on exactly the policies the reset
// recorded under `key` changed (its ledger row's full list; `changed` only when the ledger
// has no such row, e.g. an empty key), whose updated_at still equals the recorded value to
// the microsecond and that are still not global; every other one is skipped with the
// reason (edited since, deleted, already global). Ledger key: key.restoreKey().
NetworkRestoreResult restoreGlobalNetworkPolicies(pqxx::connection& conn, const RequestKey& key,
                                                  const std::vector<PolicyChange>& changed);
NetworkRestoreResult restoreGlobalNetworkPolicies(const ConnectionParams& params, const RetryPolicy& retry,
                                                  const RequestKey& key, const std::vector<PolicyChange>& changed);

// Sets require_sso = false (and updated_at = now()) on each named organisation that
// requires SSO; with disableProviders, also enabled = false on its enabled
// api_organisationssoprovider rows (kept, not deleted, so they can be re-enabled). The
// result holds the state before the change. `organisations` must not be empty.
SsoDisableResult disableSSOEnforcement(pqxx::connection& conn, const RequestKey& key,
                                       const std::vector<std::string>& organisations, bool disableProviders,
                                       bool dryRun);
SsoDisableResult disableSSOEnforcement(const ConnectionParams& params, const RetryPolicy& retry,
                                       const RequestKey& key, const std::vector<std::string>& organisations,
                                       bool disableProviders, bool dryRun);

// require_sso and the SSO providers of one organisation (read only). Throws
// UnknownOrganisationError.
OrganisationSsoState showSSO(pqxx::connection& conn, const std::string& organisation);

}  // namespace pmo::db
