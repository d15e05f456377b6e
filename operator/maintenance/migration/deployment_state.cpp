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

}  // namespace pmo::maintenance
