#pragma once
// A network access policy a reset changed: one type for the database ledger (db/recovery),
// the status record and the restore request (maintenance/recovery/planner.hpp), with its
// one JSON form beside it.
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::maintenance {

struct NetworkPolicy {
  std::string id;
  std::string name;
  std::string organisationId;
  std::string organisationName;
  std::string updatedAt;  // after the reset, UTC exact to the microsecond (the restore compares it)
};

inline void to_json(nlohmann::json& j, const NetworkPolicy& p) {
  j = {{"id", p.id},
       {"name", p.name},
       {"organisationId", p.organisationId},
       {"organisationName", p.organisationName},
       {"updatedAt", p.updatedAt}};
}

// Missing keys read as empty: a record written by an older operator lacks organisationName.
inline void from_json(const nlohmann::json& j, NetworkPolicy& p) {
  p.id = j.value("id", "");
  p.name = j.value("name", "");
  p.organisationId = j.value("organisationId", "");
  p.organisationName = j.value("organisationName", "");
  p.updatedAt = j.value("updatedAt", "");
}

}  // namespace pmo::maintenance
