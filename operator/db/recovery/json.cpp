// JSON forms of the recovery results: status fields for the reconciler, the CLI summary,
// and what the ledger stores (so a repeated request returns exactly what was recorded).
#include "db/recovery/types.hpp"

namespace pmo::db {

using nlohmann::json;

// nlohmann's conversion hooks for the element types found by ADL: Organisation and
// RestoredPolicy here, the records the planner shares in maintenance/recovery/records.cpp.
void to_json(json& j, const Organisation& o) { j = {{"id", o.id}, {"name", o.name}}; }
void from_json(const json& j, Organisation& o) {
  j.at("id").get_to(o.id);
  j.at("name").get_to(o.name);
}


void to_json(json& j, const RestoredPolicy& p) {
  j = {{"id", p.id}, {"name", p.name}, {"organisationId", p.organisationId}, {"updatedAt", p.updatedAt}};
}
void from_json(const json& j, RestoredPolicy& p) {
  j.at("id").get_to(p.id);
  j.at("name").get_to(p.name);
  j.at("organisationId").get_to(p.organisationId);
  j.at("updatedAt").get_to(p.updatedAt);
}

namespace {
std::string joinQuoted(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return out;
}
}  // namespace

UnknownOrganisationError::UnknownOrganisationError(std::vector<std::string> names)
    : std::invalid_argument("unknown organisation" + std::string(names.size() == 1 ? " " : "s ") + joinQuoted(names) +
                            " (names are exact and case-sensitive): the request was rejected and nothing was changed"),
      names_(std::move(names)) {}

RequestKey RequestKey::of(const std::string& ns, const std::string& name, const std::string& action,
                          const std::string& requestId) {
  if (ns.empty() || name.empty() || action.empty() || requestId.empty()) {
    throw std::invalid_argument("a request key needs a namespace, a name, an action and a requestId");
  }
  return RequestKey{ns + "/" + name + "/" + action + "/" + requestId};
}

RequestKey RequestKey::restoreKey() const { return RequestKey{value.empty() ? value : value + "/restore"}; }

json toJson(const NetworkResetResult& r) {
  return {{"action", kActionResetNetworkPolicies},
          {"requestKey", r.requestKey},
          {"dryRun", r.dryRun},
          {"alreadyApplied", r.alreadyApplied},
          {"appliedAt", r.appliedAt},
          {"allOrganisations", r.allOrganisations},
          {"organisations", r.organisations},
          {"policies", r.policies},
          {"count", r.count()}};
}

NetworkResetResult networkResetResultFromJson(const json& j) {
  NetworkResetResult r;
  j.at("requestKey").get_to(r.requestKey);
  j.at("dryRun").get_to(r.dryRun);
  j.at("alreadyApplied").get_to(r.alreadyApplied);
  j.at("appliedAt").get_to(r.appliedAt);
  j.at("allOrganisations").get_to(r.allOrganisations);
  j.at("organisations").get_to(r.organisations);
  j.at("policies").get_to(r.policies);
  return r;
}

json toJson(const NetworkRestoreResult& r) {
  return {{"action", kActionRestoreNetworkPolicies},
          {"requestKey", r.requestKey},
          {"alreadyApplied", r.alreadyApplied},
          {"appliedAt", r.appliedAt},
          {"restored", r.restored},
          {"skipped", r.skipped},
          {"restoredCount", r.restored.size()},
          {"skippedCount", r.skipped.size()}};
}

NetworkRestoreResult networkRestoreResultFromJson(const json& j) {
  NetworkRestoreResult r;
  j.at("requestKey").get_to(r.requestKey);
  j.at("alreadyApplied").get_to(r.alreadyApplied);
  j.at("appliedAt").get_to(r.appliedAt);
  j.at("restored").get_to(r.restored);
  j.at("skipped").get_to(r.skipped);
  return r;
}

json toJson(const SsoDisableResult& r) {
  return {{"action", kActionDisableSso},
          {"requestKey", r.requestKey},
          {"dryRun", r.dryRun},
          {"alreadyApplied", r.alreadyApplied},
          {"appliedAt", r.appliedAt},
          {"disableProviders", r.disableProviders},
          {"before", r.before},
          {"enforcementLifted", r.enforcementLifted},
          {"providersDisabled", r.providersDisabled},
          {"organisationsChanged", r.enforcementLifted.size()},
          {"providersChanged", r.providersDisabled.size()}};
}

SsoDisableResult ssoDisableResultFromJson(const json& j) {
  SsoDisableResult r;
  j.at("requestKey").get_to(r.requestKey);
  j.at("dryRun").get_to(r.dryRun);
  j.at("alreadyApplied").get_to(r.alreadyApplied);
  j.at("appliedAt").get_to(r.appliedAt);
  j.at("disableProviders").get_to(r.disableProviders);
  j.at("before").get_to(r.before);
  j.at("enforcementLifted").get_to(r.enforcementLifted);
  j.at("providersDisabled").get_to(r.providersDisabled);
  return r;
}

}  // namespace pmo::db
