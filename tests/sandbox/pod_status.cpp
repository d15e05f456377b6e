#include "sandbox/pod_status.hpp"

#include "sandbox/controllers.hpp"
#include "sandbox/objects.hpp"
#include "sandbox/pod_schema.hpp"

namespace pmo::sandbox {

namespace {
std::string names(const nlohmann::json& containers) {
  std::string out;
  for (const auto& c : containers) out += (out.empty() ? "" : " ") + c.value("name", "");
  return "[" + out + "]";
}

nlohmann::json containerStatus(const nlohmann::json& pod, const nlohmann::json& c, const nlohmann::json& state, bool ready,
                               bool started) {
  std::string id = podImageId(pod, c.value("name", ""));
  if (id.empty()) id = c.value("image", "") + "@sha256:" + std::string(64, '0');
  return {{"name", c.value("name", "")}, {"image", c.value("image", "")}, {"imageID", id}, {"ready", ready},
          {"started", started}, {"restartCount", 0}, {"state", state}};
}
}  // namespace

std::string podImageId(const nlohmann::json& pod, const std::string& name) {
  const auto& status = pod.value("status", nlohmann::json::object());
  for (const char* list : {"initContainerStatuses", "containerStatuses"})
    for (const auto& cs : status.value(list, nlohmann::json::array()))
      if (cs.value("name", "") == name) return cs.value("imageID", "");
  return "";
}

nlohmann::json newPod(const nlohmann::json& rs, const nlohmann::json& tmpl, SchemaModel& registry) {
  const auto& meta = tmpl.value("metadata", nlohmann::json::object());
  nlohmann::json pod = {
      {"metadata",
       {{"generateName", metaString(rs, "name") + "-"},
        {"namespace", metaString(rs, "namespace")},
        {"labels", meta.value("labels", nlohmann::json::object())},
        {"ownerReferences",
         {{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", metaString(rs, "name")},
           {"uid", metaString(rs, "uid")}, {"controller", true}, {"blockOwnerDeletion", true}}}}}},
      {"spec", tmpl.value("spec", nlohmann::json::object())}};
  if (meta.contains("annotations")) pod["metadata"]["annotations"] = meta["annotations"];
  pod["spec"]["nodeName"] = "sandbox-node";
  const std::string now = nowRfc3339();
  pod["status"] = {{"phase", "Pending"}, {"startTime", now}, {"podIP", "10.244.1.10"}};
  for (const auto& [list, statuses] : {std::pair<const char*, const char*>{"initContainers", "initContainerStatuses"},
                                       {"containers", "containerStatuses"}}) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : pod["spec"].value(list, nlohmann::json::array()))
      out.push_back({{"name", c.value("name", "")}, {"image", c.value("image", "")},
                     {"imageID", registry.resolvedImageId(c.value("image", ""))}, {"ready", false},
                     {"started", false}, {"restartCount", 0}, {"state", {{"waiting", {{"reason", "PodInitializing"}}}}}});
    if (!out.empty()) pod["status"][statuses] = out;
  }
  return pod;
}

nlohmann::json podStatus(const nlohmann::json& pod, bool initializing, bool ready, bool probing) {
  if (probing) ready = false;
  nlohmann::json status = pod.value("status", nlohmann::json::object());
  const auto& spec = pod.value("spec", nlohmann::json::object());
  const auto inits = spec.value("initContainers", nlohmann::json::array());
  const auto containers = spec.value("containers", nlohmann::json::array());
  const std::string started = status.value("startTime", nowRfc3339());
  status["phase"] = initializing ? "Pending" : "Running";
  nlohmann::json initStatuses = nlohmann::json::array();
  for (const auto& c : inits) {
    const bool waiting = initializing && c.value("name", "") == kSchemaGateContainer;
    nlohmann::json state = waiting ? nlohmann::json{{"running", {{"startedAt", started}}}}
                                   : nlohmann::json{{"terminated",
                                                     {{"exitCode", 0}, {"reason", "Completed"}, {"startedAt", started},
                                                      {"finishedAt", started}}}};
    initStatuses.push_back(containerStatus(pod, c, state, !waiting, waiting));
  }
  if (initStatuses.empty()) status.erase("initContainerStatuses");
  else status["initContainerStatuses"] = initStatuses;
  const nlohmann::json* probed = probing ? schemaProbeContainer(spec) : nullptr;
  nlohmann::json statuses = nlohmann::json::array();
  for (const auto& c : containers) {
    const bool starting = probed && probed->value("name", "") == c.value("name", "");
    statuses.push_back(initializing ? containerStatus(pod, c, {{"waiting", {{"reason", "PodInitializing"}}}}, false, false)
                                    : containerStatus(pod, c, {{"running", {{"startedAt", started}}}}, ready, !starting));
  }
  status["containerStatuses"] = statuses;
  setCondition(status, "PodScheduled", "True", "", "");
  if (initializing) {
    nlohmann::json pending = nlohmann::json::array();
    for (const auto& c : inits)
      if (c.value("name", "") == kSchemaGateContainer) pending.push_back(c);
    setCondition(status, "Initialized", "False", "ContainersNotInitialized",
                 "containers with incomplete status: " + names(pending));
  } else {
    setCondition(status, "Initialized", "True", "", "");
  }
  const std::string notReady = "containers with unready status: " + names(containers);
  setCondition(status, "ContainersReady", ready ? "True" : "False", ready ? "" : "ContainersNotReady",
               ready ? "" : notReady);
  setCondition(status, "Ready", ready ? "True" : "False", ready ? "" : "ContainersNotReady", ready ? "" : notReady);
  // the kubelet leaves reason and message out when they are empty
  for (auto& c : status["conditions"]) {
    if (c.value("reason", "").empty()) c.erase("reason");
    if (c.value("message", "").empty()) c.erase("message");
  }
  return status;
}

bool podReady(const nlohmann::json& pod) {
  for (const auto& c : pod.value("status", nlohmann::json::object()).value("conditions", nlohmann::json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

}  // namespace pmo::sandbox
