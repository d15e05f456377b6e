#include "maintenance/migration/deployment_state.hpp"

namespace pmo::maintenance {
namespace {

long readInt(const Json& object, const Json::json_pointer& ptr, long fallback) {
  if (!object.contains(ptr)) return fallback;
  const Json& v = object.at(ptr);
  return v.is_number_integer() ? v.get<long>() : fallback;
}

}  // namespace

std::optional<std::size_t> containerIndex(const Json& deployment, const std::string& name) {
  const Json::json_pointer ptr("/spec/template/spec/containers");
  if (!deployment.contains(ptr) || !deployment.at(ptr).is_array()) return std::nullopt;
  const Json& list = deployment.at(ptr);
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].is_object() && list[i].value("name", "") == name) return i;
  }
  return std::nullopt;
}

std::string containerImage(const Json& deployment, const std::string& name) {
  const auto i = containerIndex(deployment, name);
  if (!i) return "";
  return deployment["spec"]["template"]["spec"]["containers"][*i].value("image", "");
}

int desiredReplicas(const Json& deployment) {
  return static_cast<int>(readInt(deployment, Json::json_pointer("/spec/replicas"), 1));
}

int observedReplicas(const Json& deployment) {
  return static_cast<int>(readInt(deployment, Json::json_pointer("/status/replicas"), 0));
}

bool isPaused(const Json& deployment) {
  const Json::json_pointer ptr("/spec/paused");
  return deployment.contains(ptr) && deployment.at(ptr).is_boolean() && deployment.at(ptr).get<bool>();
}

std::optional<std::string> annotation(const Json& object, const std::string& key) {
  if (!object.is_object() || !object.contains("metadata")) return std::nullopt;
  const Json& md = object["metadata"];
  if (!md.is_object() || !md.contains("annotations") || !md["annotations"].is_object()) return std::nullopt;
  const Json& a = md["annotations"];
  if (!a.contains(key) || !a[key].is_string()) return std::nullopt;
  return a[key].get<std::string>();
}

bool rolloutComplete(const Json& d) {
  if (isPaused(d)) return false;
  const long replicas = desiredReplicas(d);
  const long generation = readInt(d, Json::json_pointer("/metadata/generation"), 0);
  const long observed = readInt(d, Json::json_pointer("/status/observedGeneration"), -1);
  return observed >= generation &&
         readInt(d, Json::json_pointer("/status/updatedReplicas"), 0) == replicas &&
         readInt(d, Json::json_pointer("/status/availableReplicas"), 0) == replicas &&
         readInt(d, Json::json_pointer("/status/replicas"), 0) == replicas;
}

bool rolloutStuck(const Json& d) {
  const Json conds = d.value("/status/conditions"_json_pointer, Json::array());
  if (!conds.is_array()) return false;
  for (const auto& c : conds) {
    if (c.value("type", "") == "Progressing" && c.value("status", "") == "False" &&
        c.value("reason", "") == "ProgressDeadlineExceeded")
      return true;
  }
  return false;
}

std::string rolloutSummary(const Json& d) {
  return std::to_string(desiredReplicas(d)) + " desired, " +
         std::to_string(readInt(d, Json::json_pointer("/status/updatedReplicas"), 0)) + " updated, " +
         std::to_string(readInt(d, Json::json_pointer("/status/availableReplicas"), 0)) + " available" +
         (isPaused(d) ? ", paused" : "");
}

std::string pointerToken(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string lastWriterOf(const Json& d, const std::string& field, const std::string& self) {
  const Json entries = d.value("/metadata/managedFields"_json_pointer, Json::array());
  std::string best, bestTime;
  for (const auto& e : entries.is_array() ? entries : Json::array()) {
    if (!e.is_object()) continue;
    const std::string manager = e.value("manager", std::string());
    if (manager.empty() || manager == self) continue;
    const Json::json_pointer owned("/fieldsV1/f:spec/f:" + pointerToken(field));
    if (!e.contains(owned)) continue;
    const std::string time = e.value("time", std::string());
    if (best.empty() || time >= bestTime) best = manager, bestTime = time;
  }
  if (!best.empty()) return "field manager \"" + best + "\"";
  const Json::json_pointer label("/metadata/labels/app.kubernetes.io~1managed-by");
  if (d.contains(label) && d.at(label).is_string()) return d.at(label).get<std::string>() + " (label app.kubernetes.io/managed-by)";
  return "an unknown client";
}

void compactDeploymentForCache(Json& d) {
  if (!d.contains("metadata") || !d["metadata"].is_object()) return;
  Json& md = d["metadata"];
  if (md.contains("annotations") && md["annotations"].is_object())
    md["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
  if (!md.contains("managedFields") || !md["managedFields"].is_array()) return;
  Json compact = Json::array();
  for (const auto& e : md["managedFields"]) {
    if (!e.is_object()) continue;
    Json spec = Json::object();
    for (const char* f : {"f:replicas", "f:paused"}) {
      const Json::json_pointer p(std::string("/fieldsV1/f:spec/") + f);
      if (e.contains(p)) spec[f] = Json::object();
    }
    Json entry = {{"manager", e.value("manager", "")}, {"operation", e.value("operation", "")},
                  {"time", e.value("time", "")}};
    if (!spec.empty()) entry["fieldsV1"] = {{"f:spec", spec}};
    compact.push_back(entry);
  }
  md["managedFields"] = compact;
}

}  // namespace pmo::maintenance
