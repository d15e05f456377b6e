#pragma once
// What a break-glass recovery changed, one type per record, with its JSON beside it. The
// database side (db/recovery: the ledger, the CLI's summaries) and the planner (status
// records, the restore request) use the same types.
//
// Guarantees:
//  - One JSON form per type, camelCase, the same in the ledger, the CLI summary and status,
//    except OrganisationSsoState, whose status form (toStatusJson) keeps less: status is
//    bounded by the CRD's schema and stays small; the ledger keeps everything.
//  - NetworkPolicy reads tolerantly (a record of an older operator lacks organisationName)
//    and writes organisationName only when known, so such a record round-trips unchanged.
//    The other types are read strictly: a missing or wrong-typed field throws
//    nlohmann::json::exception (the ledger's records are complete).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::maintenance {

// A network access policy a reset changed: the ledger's record, the status record and the
// restore request.
struct NetworkPolicy {
  std::string id;
  std::string name;
  std::string organisationId;
  std::string organisationName;  // empty in records of older operators
  std::string updatedAt;  // after the reset, UTC exact to the microsecond (the restore compares it)
};

void to_json(nlohmann::json& j, const NetworkPolicy& p);
void from_json(const nlohmann::json& j, NetworkPolicy& p);

// A policy a restore left alone.
struct SkippedPolicy {
  std::string id;
  std::string name;
  std::string reason;  // "edited since ...", "deleted", "already global"
};

void to_json(nlohmann::json& j, const SkippedPolicy& p);
void from_json(const nlohmann::json& j, SkippedPolicy& p);

// An SSO provider of an organisation, as it was before a change.
struct SsoProviderState {
  std::string id;
  std::string providerType;
  std::string name;
  bool enabled = false;
};

void to_json(nlohmann::json& j, const SsoProviderState& p);
void from_json(const nlohmann::json& j, SsoProviderState& p);

// An organisation's SSO settings (before a change, or as `disable-sso --show` reads them).
struct OrganisationSsoState {
  std::string id;
  std::string name;
  bool requireSso = false;
  std::vector<SsoProviderState> providers;  // sorted by provider type, id
};

void to_json(nlohmann::json& j, const OrganisationSsoState& s);
void from_json(const nlohmann::json& j, OrganisationSsoState& s);
// What status.recoveries.disableSSOEnforcement[].before[] keeps of it:
// {"organisation": name, "requireSso", "providers": [{"id", "providerType", "enabled"}]}.
nlohmann::json toStatusJson(const OrganisationSsoState& s);

}  // namespace pmo::maintenance
