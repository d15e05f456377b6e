#include "sandbox/resource_types.hpp"

#include <algorithm>
#include <functional>

#include "sandbox/api_error.hpp"
#include "sandbox/cel.hpp"

namespace pmo::sandbox {

bool ResourceType::serves(const std::string& version) const {
  return std::find(versions.begin(), versions.end(), version) != versions.end();
}

namespace {
struct Builtin {
  const char* group;
  const char* version;
  const char* resource;
  const char* singular;
  const char* kind;
  bool namespaced;
  std::vector<std::string> shortNames;
  bool status;
  bool generation;
  std::vector<std::string> categories;
};
}  // namespace

TypeRegistry::TypeRegistry() {
  const std::vector<Builtin> builtins = {
      {"", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, true, false, {}},
      {"", "v1", "secrets", "secret", "Secret", true, {}, false, false, {}},
      {"", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, false, false, {}},
      {"", "v1", "pods", "pod", "Pod", true, {"po"}, true, false, {"all"}},
      {"", "v1", "events", "event", "Event", true, {"ev"}, false, false, {}},
      {"", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, {"pvc"}, true,
       false, {}},
      {"", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"}, false, false, {}},
      {"", "v1", "services", "service", "Service", true, {"svc"}, true, false, {"all"}},
      {"apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"}, true, true, {"all"}},
      {"apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, {"rs"}, true, true, {"all"}},
      {"batch", "v1", "jobs", "job", "Job", true, {}, true, true, {"all"}},
      {"batch", "v1", "cronjobs", "cronjob", "CronJob", true, {"cj"}, true, true, {"all"}},
      {"coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {}, false, false, {}},
      {"apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
       "CustomResourceDefinition", false, {"crd", "crds"}, true, true, {"api-extensions"}},
      {"rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, {}, false, false, {}},
      {"rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, {}, false, false, {}},
      {"rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, {}, false, false, {}},
      {"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false,
       {}, false, false, {}},
      {"policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, {"pdb"}, true,
       false, {}},
      {"networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, {"netpol"}, false,
       false, {}},
      // What Phase's Helm chart renders besides Deployments: its Postgres, its Ingress, its HPAs.
      {"apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, {"sts"}, true, true, {"all"}},
      {"networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, {"ing"}, true, true, {}},
      {"autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true,
       {"hpa"}, true, false, {"all"}},
  };
  for (const auto& b : builtins) {
    auto t = std::make_shared<ResourceType>();
    t->group = b.group;
    t->versions = {b.version};
    t->resource = b.resource;
    t->singular = b.singular;
    t->kind = b.kind;
    t->listKind = std::string(b.kind) + "List";
    t->namespaced = b.namespaced;
    t->shortNames = b.shortNames;
    t->categories = b.categories;
    t->statusSubresource = b.status;
    t->hasGeneration = b.generation;
    t->scaleSubresource = t->resource == "deployments" || t->resource == "replicasets";
    t->logSubresource = t->resource == "pods";
    add(t);
  }
}

void TypeRegistry::add(TypePtr t) {
  std::lock_guard<std::mutex> lock(mutex_);
  types_[t->key()] = std::move(t);
}

TypePtr TypeRegistry::find(const std::string& group, const std::string& version,
                           const std::string& resource) const {
  auto t = byKey(group.empty() ? resource : group + "/" + resource);
  if (t && t->serves(version)) return t;
  return nullptr;
}

TypePtr TypeRegistry::byKey(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = types_.find(key);
  return it == types_.end() ? nullptr : it->second;
}

TypePtr TypeRegistry::byKind(const std::string& group, const std::string& kind) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [k, t] : types_)
    if (t->group == group && t->kind == kind) return t;
  return nullptr;
}

std::vector<TypePtr> TypeRegistry::all() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<TypePtr> out;
  for (const auto& [k, t] : types_) out.push_back(t);
  return out;
}

void TypeRegistry::unregister(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = types_.find(key);
  if (it != types_.end() && it->second->custom) types_.erase(it);
}

static std::vector<std::string> strings(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

ResourceType typeFromCrd(const nlohmann::json& crd) {
  const std::string name = crd.value("/metadata/name"_json_pointer, std::string());
  std::vector<FieldCause> causes;
  const auto& spec = crd.value("spec", nlohmann::json::object());
  const auto& names = spec.value("names", nlohmann::json::object());
  ResourceType t;
  t.custom = true;
  t.group = spec.value("group", "");
  t.resource = names.value("plural", "");
  t.singular = names.value("singular", "");
  t.kind = names.value("kind", "");
  t.listKind = names.value("listKind", t.kind + "List");
  if (t.singular.empty()) {
    t.singular = t.kind;
    std::transform(t.singular.begin(), t.singular.end(), t.singular.begin(), ::tolower);
  }
  t.shortNames = strings(names.value("shortNames", nlohmann::json::array()));
  t.categories = strings(names.value("categories", nlohmann::json::array()));
  t.namespaced = spec.value("scope", "") != "Cluster";
  t.hasGeneration = true;
  if (t.group.empty()) causes.push_back({"FieldValueRequired", "spec.group", "Required value"});
  if (t.resource.empty()) causes.push_back({"FieldValueRequired", "spec.names.plural", "Required value"});
  if (t.kind.empty()) causes.push_back({"FieldValueRequired", "spec.names.kind", "Required value"});
  if (!t.group.empty() && !t.resource.empty() && name != t.resource + "." + t.group)
    causes.push_back({"FieldValueInvalid", "metadata.name",
                      "Invalid value: " + goQuote(name) + ": must be spec.names.plural+\".\"+spec.group"});
  const auto versions = spec.value("versions", nlohmann::json::array());
  if (versions.empty()) causes.push_back({"FieldValueRequired", "spec.versions", "Required value"});
  std::string storage;
  for (const auto& v : versions) {
    if (!v.value("served", true)) continue;
    std::string vn = v.value("name", "");
    if (v.value("storage", false)) storage = vn;
    t.versions.push_back(vn);
    if (v.contains("schema") && v["schema"].contains("openAPIV3Schema")) {
      const auto& schema = v["schema"]["openAPIV3Schema"];
      t.schemas[vn] = schema;
      if (hasCelRules(schema))
        t.celSchemaKeys[vn] = t.group + "/" + t.resource + "/" + vn + "#" +
                              std::to_string(std::hash<std::string>{}(schema.dump()));
    }
    const auto sub = v.value("subresources", nlohmann::json::object());
    if (sub.contains("status")) t.statusSubresource = true;
    if (sub.contains("scale")) t.scaleSubresource = false;  // scale for CRs is not simulated
    std::vector<PrinterColumn> cols;
    for (const auto& c : v.value("additionalPrinterColumns", nlohmann::json::array())) {
      PrinterColumn pc;
      pc.name = c.value("name", "");
      pc.type = c.value("type", "string");
      pc.format = c.value("format", "");
      pc.description = c.value("description", "");
      pc.jsonPath = c.value("jsonPath", "");
      pc.priority = c.value("priority", 0);
      cols.push_back(pc);
    }
    t.columns[vn] = cols;
  }
  if (!causes.empty()) throw invalid("CustomResourceDefinition", "apiextensions.k8s.io", name, causes);
  // storage version first, so it is the preferred version in discovery
  auto it = std::find(t.versions.begin(), t.versions.end(), storage);
  if (it != t.versions.end()) std::rotate(t.versions.begin(), it, it + 1);
  return t;
}

TypePtr TypeRegistry::registerCrd(const nlohmann::json& crd) {
  auto t = std::make_shared<ResourceType>(typeFromCrd(crd));
  add(t);
  return t;
}

}  // namespace pmo::sandbox
