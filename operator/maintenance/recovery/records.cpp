#include "maintenance/recovery/records.hpp"

namespace pmo::maintenance {

using nlohmann::json;

void to_json(json& j, const NetworkPolicy& p) {
  j = {{"id", p.id}, {"name", p.name}, {"organisationId", p.organisationId}, {"updatedAt", p.updatedAt}};
  if (!p.organisationName.empty()) j["organisationName"] = p.organisationName;
}

void from_json(const json& j, NetworkPolicy& p) {
  p.id = j.value("id", "");
  p.name = j.value("name", "");
  p.organisationId = j.value("organisationId", "");
  p.organisationName = j.value("organisationName", "");
  p.updatedAt = j.value("updatedAt", "");
}

void to_json(json& j, const SkippedPolicy& p) { j = {{"id", p.id}, {"name", p.name}, {"reason", p.reason}}; }

void from_json(const json& j, SkippedPolicy& p) {
  j.at("id").get_to(p.id);
  j.at("name").get_to(p.name);
  j.at("reason").get_to(p.reason);
}

void to_json(json& j, const SsoProviderState& p) {
  j = {{"id", p.id}, {"providerType", p.providerType}, {"name", p.name}, {"enabled", p.enabled}};
}

void from_json(const json& j, SsoProviderState& p) {
  j.at("id").get_to(p.id);
  j.at("providerType").get_to(p.providerType);
  j.at("name").get_to(p.name);
  j.at("enabled").get_to(p.enabled);
}

void to_json(json& j, const OrganisationSsoState& s) {
  j = {{"id", s.id}, {"name", s.name}, {"requireSso", s.requireSso}, {"providers", s.providers}};
}

void from_json(const json& j, OrganisationSsoState& s) {
  j.at("id").get_to(s.id);
  j.at("name").get_to(s.name);
  j.at("requireSso").get_to(s.requireSso);
  j.at("providers").get_to(s.providers);
}

json toStatusJson(const OrganisationSsoState& s) {
  json providers = json::array();
  for (const auto& p : s.providers)
    providers.push_back({{"id", p.id}, {"providerType", p.providerType}, {"enabled", p.enabled}});
  return {{"organisation", s.name}, {"requireSso", s.requireSso}, {"providers", std::move(providers)}};
}

}  // namespace pmo::maintenance
