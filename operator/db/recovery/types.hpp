#pragma once
// Values of the break-glass recoveries: what a request is, and what it changed.
// Pure: no libpqxx, so the reconciler's status code can use them. Every result has a
// JSON form (camelCase) that is also what the ledger stores, and fromJson reads it back.
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "maintenance/recovery/records.hpp"

namespace pmo::db {

// Identifies one request for the at-most-once ledger, e.g.
// "phase/my-phase/resetGlobalNetworkPolicies/2024-05-01-lockout". Empty: no ledger (a
// CLI run without --request-id).
struct RequestKey {
  std::string value;

  // namespace/name/action/requestId. Throws std::invalid_argument when a part is empty.
  static RequestKey of(const std::string& ns, const std::string& name, const std::string& action,
                       const std::string& requestId);
  bool empty() const { return value.empty(); }
  // The key of the restore that undoes this request: value + "/restore".
  RequestKey restoreKey() const;
};

inline constexpr const char* kActionResetNetworkPolicies = "resetGlobalNetworkPolicies";
inline constexpr const char* kActionRestoreNetworkPolicies = "restoreGlobalNetworkPolicies";
inline constexpr const char* kActionDisableSso = "disableSSOEnforcement";

// An organisation name that matched no row. The whole request is rejected; nothing was
// changed. Names are exact and case-sensitive, as in Phase's management commands.
class UnknownOrganisationError : public std::invalid_argument {
 public:
  explicit UnknownOrganisationError(std::vector<std::string> names);
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
};

struct Organisation {
  std::string id;
  std::string name;
};

// A policy a reset changed (dry run: would change; updatedAt the current value).
using PolicyChange = maintenance::NetworkPolicy;
// The records the planner shares (maintenance/recovery/records.hpp, their JSON beside them).
using SkippedPolicy = maintenance::SkippedPolicy;
using SsoProviderState = maintenance::SsoProviderState;
using OrganisationSsoState = maintenance::OrganisationSsoState;

struct NetworkResetResult {
  std::string requestKey;   // empty when no ledger was used
  bool dryRun = false;
  bool alreadyApplied = false;  // the ledger held this key: the recorded result, nothing changed now
  std::string appliedAt;        // server time of the change (dry run: of the look-up)
  bool allOrganisations = false;  // the request named no organisation
  std::vector<Organisation> organisations;  // as resolved (empty when allOrganisations)
  std::vector<PolicyChange> policies;       // changed (dry run: would change), sorted by org name, policy name, id
  std::size_t count() const { return policies.size(); }
};

struct RestoredPolicy {
  std::string id;
  std::string name;
  std::string organisationId;
  std::string updatedAt;  // after the restore
};

struct NetworkRestoreResult {
  std::string requestKey;
  bool alreadyApplied = false;
  std::string appliedAt;
  std::vector<RestoredPolicy> restored;
  std::vector<SkippedPolicy> skipped;
};

struct SsoDisableResult {
  std::string requestKey;
  bool dryRun = false;
  bool alreadyApplied = false;
  std::string appliedAt;
  bool disableProviders = false;
  std::vector<OrganisationSsoState> before;       // the state before the change, to re-enable from
  std::vector<std::string> enforcementLifted;     // ids of organisations whose require_sso went true -> false
  std::vector<std::string> providersDisabled;     // ids of providers whose enabled went true -> false
};

nlohmann::json toJson(const NetworkResetResult& r);
nlohmann::json toJson(const NetworkRestoreResult& r);
nlohmann::json toJson(const SsoDisableResult& r);
// Throw nlohmann::json::exception when a field is missing or of the wrong type.
NetworkResetResult networkResetResultFromJson(const nlohmann::json& j);
NetworkRestoreResult networkRestoreResultFromJson(const nlohmann::json& j);
SsoDisableResult ssoDisableResultFromJson(const nlohmann::json& j);

}  // namespace pmo::db
