#include "maintenance/migration/pod_template.hpp"

#include <set>

#include "maintenance/migration/deployment_state.hpp"

namespace pmo::maintenance {
namespace {

const Json& templateSpec(const Json& deployment) {
  static const Json kEmpty = Json::object();
  const Json::json_pointer ptr("/spec/template/spec");
  return deployment.contains(ptr) && deployment.at(ptr).is_object() ? deployment.at(ptr) : kEmpty;
}

bool statelessVolume(const Json& v) {
  for (const char* kind : {"secret", "configMap", "projected", "downwardAPI", "emptyDir"})
    if (v.contains(kind)) return true;
  return false;
}

std::set<std::string> keptVolumeNames(const Json& spec) {
  std::set<std::string> names;
  if (spec.contains("volumes") && spec["volumes"].is_array())
    for (const auto& v : spec["volumes"])
      if (v.is_object() && statelessVolume(v)) names.insert(v.value("name", ""));
  return names;
}

}  // namespace

Json derivedPodSpec(const Json& deployment) {
  const Json& spec = templateSpec(deployment);
  Json out = Json::object();
  for (const char* key : {"serviceAccountName", "serviceAccount", "automountServiceAccountToken",
                          "imagePullSecrets", "securityContext", "nodeSelector", "tolerations",
                          "affinity", "priorityClassName", "hostAliases", "dnsPolicy", "dnsConfig",
                          "enableServiceLinks", "runtimeClassName"}) {
    if (spec.contains(key)) out[key] = spec[key];
  }
  const auto kept = keptVolumeNames(spec);
  if (!kept.empty()) {
    Json volumes = Json::array();
    for (const auto& v : spec["volumes"])
      if (kept.count(v.value("name", ""))) volumes.push_back(v);
    out["volumes"] = volumes;
  }
  out["restartPolicy"] = "Never";
  return out;
}

std::optional<Json> derivedContainer(const Json& deployment, const std::string& containerName) {
  const auto index = containerIndex(deployment, containerName);
  if (!index) return std::nullopt;
  const Json& spec = templateSpec(deployment);
  const Json& c = spec["containers"][*index];
  Json out = Json::object();
  for (const char* key : {"name", "image", "env", "envFrom", "workingDir", "securityContext",
                          "resources", "imagePullPolicy"}) {
    if (c.contains(key)) out[key] = c[key];
  }
  if (c.contains("volumeMounts") && c["volumeMounts"].is_array()) {
    const auto kept = keptVolumeNames(spec);
    Json mounts = Json::array();
    for (const auto& m : c["volumeMounts"])
      if (kept.count(m.value("name", ""))) mounts.push_back(m);
    if (!mounts.empty()) out["volumeMounts"] = mounts;
  }
  return out;
}

}  // namespace pmo::maintenance
