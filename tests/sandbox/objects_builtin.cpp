// Defaults the API server's registry strategies apply when a built-in object is created.
#include "sandbox/objects.hpp"

#include <atomic>

#include "sandbox/kubeconfig.hpp"

namespace pmo::sandbox {

namespace {

void setDefault(nlohmann::json& o, const char* key, const nlohmann::json& value) {
  if (!o.contains(key) || o[key].is_null()) o[key] = value;
}

void defaultPodSpec(nlohmann::json& spec) {
  if (!spec.is_object()) return;
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "schedulerName", "default-scheduler");
  setDefault(spec, "securityContext", nlohmann::json::object());
  if (spec.contains("containers") && spec["containers"].is_array())
    for (auto& c : spec["containers"]) {
      setDefault(c, "terminationMessagePath", "/dev/termination-log");
      setDefault(c, "terminationMessagePolicy", "File");
      setDefault(c, "imagePullPolicy", "IfNotPresent");
      setDefault(c, "resources", nlohmann::json::object());
    }
}

void defaultJob(nlohmann::json& job, const std::string& uid) {
  auto& spec = job["spec"];
  setDefault(spec, "parallelism", 1);
  setDefault(spec, "completions", 1);
  setDefault(spec, "backoffLimit", 6);
  setDefault(spec, "completionMode", "NonIndexed");
  setDefault(spec, "suspend", false);
  setDefault(spec, "podReplacementPolicy", "TerminatingOrFailed");
  const std::string name = job["metadata"].value("name", "");
  if (!spec.value("manualSelector", false)) {
    spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
    auto& labels = spec["template"]["metadata"]["labels"];
    labels["batch.kubernetes.io/controller-uid"] = uid;
    labels["batch.kubernetes.io/job-name"] = name;
    labels["controller-uid"] = uid;
    labels["job-name"] = name;
  }
  if (spec["template"].contains("spec")) defaultPodSpec(spec["template"]["spec"]);
}

}  // namespace

void normalizeSecret(nlohmann::json& secret) {
  if (!secret.contains("stringData") || !secret["stringData"].is_object()) return;
  for (auto it = secret["stringData"].begin(); it != secret["stringData"].end(); ++it)
    if (it->is_string()) secret["data"][it.key()] = base64(it->get<std::string>());
  secret.erase("stringData");
}

void defaultOnCreate(World&, const ResourceType& type, nlohmann::json& o) {
  const std::string& r = type.resource;
  if (r == "secrets") {
    normalizeSecret(o);
    if (!o.contains("type")) o["type"] = "Opaque";
  } else if (r == "namespaces") {
    o["spec"]["finalizers"] = {"kubernetes"};
    o["status"] = {{"phase", "Active"}};
    o["metadata"]["labels"]["kubernetes.io/metadata.name"] = o["metadata"].value("name", "");
  } else if (r == "deployments") {
    auto& spec = o["spec"];
    setDefault(spec, "replicas", 1);
    setDefault(spec, "revisionHistoryLimit", 10);
    setDefault(spec, "progressDeadlineSeconds", 600);
    setDefault(spec, "strategy",
               {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", "25%"}, {"maxSurge", "25%"}}}});
    if (spec.contains("template") && spec["template"].contains("spec")) defaultPodSpec(spec["template"]["spec"]);
    o["status"] = nlohmann::json::object();
  } else if (r == "replicasets") {
    setDefault(o["spec"], "replicas", 1);
    if (o["spec"].contains("template") && o["spec"]["template"].contains("spec"))
      defaultPodSpec(o["spec"]["template"]["spec"]);
    o["status"] = {{"replicas", 0}};
  } else if (r == "jobs") {
    // the selector names the uid the object is about to get: reserve it now
    std::string uid = newUid();
    o["metadata"]["uid"] = uid;
    defaultJob(o, uid);
    o["status"] = nlohmann::json::object();
  } else if (r == "cronjobs") {
    auto& spec = o["spec"];
    setDefault(spec, "concurrencyPolicy", "Allow");
    setDefault(spec, "suspend", false);
    setDefault(spec, "successfulJobsHistoryLimit", 3);
    setDefault(spec, "failedJobsHistoryLimit", 1);
    o["status"] = nlohmann::json::object();
  } else if (r == "pods") {
    if (o.contains("spec")) defaultPodSpec(o["spec"]);
    o["status"] = {{"phase", "Pending"}, {"qosClass", "BestEffort"}};
  } else if (r == "services") {
    static std::atomic<int> next{10};
    auto& spec = o["spec"];
    setDefault(spec, "type", "ClusterIP");
    setDefault(spec, "sessionAffinity", "None");
    if (spec.value("clusterIP", "") != "None") {
      int n = next++;
      spec["clusterIP"] = "10.96." + std::to_string((n / 250) % 250) + "." + std::to_string(n % 250 + 1);
      spec["clusterIPs"] = {spec["clusterIP"]};
    }
    o["status"] = {{"loadBalancer", nlohmann::json::object()}};
  } else if (r == "persistentvolumeclaims") {
    o["status"] = {{"phase", "Bound"}};
  } else if (r == "customresourcedefinitions") {
    const auto names = o["spec"].value("names", nlohmann::json::object());
    nlohmann::json accepted = names;
    if (!accepted.contains("singular") && accepted.contains("kind")) {
      std::string s = accepted["kind"].get<std::string>();
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      accepted["singular"] = s;
    }
    if (!accepted.contains("listKind") && accepted.contains("kind"))
      accepted["listKind"] = accepted["kind"].get<std::string>() + "List";
    const std::string now = nowRfc3339();
    o["status"] = {
        {"acceptedNames", accepted},
        {"conditions",
         {{{"type", "NamesAccepted"}, {"status", "True"}, {"reason", "NoConflicts"},
           {"message", "no conflicts found"}, {"lastTransitionTime", now}},
          {{"type", "Established"}, {"status", "True"}, {"reason", "InitialNamesAccepted"},
           {"message", "the initial names have been accepted"}, {"lastTransitionTime", now}}}},
        {"storedVersions", nlohmann::json::array()}};
    for (const auto& v : o["spec"].value("versions", nlohmann::json::array()))
      if (v.value("storage", false)) o["status"]["storedVersions"].push_back(v.value("name", ""));
    setDefault(o["spec"], "conversion", {{"strategy", "None"}});
  }
}

}  // namespace pmo::sandbox
