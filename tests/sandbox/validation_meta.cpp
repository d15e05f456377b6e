// ObjectMeta on create and update: staging/src/k8s.io/apimachinery/pkg/api/validation/
// objectmeta.go (ValidateObjectMeta, ValidateObjectMetaUpdate, ValidateOwnerReferences,
// ValidateFinalizers) and pkg/apis/core/validation/validation.go (validateKubeFinalizerName).
#include "sandbox/validation_kinds.hpp"

namespace pmo::sandbox::validation {

namespace {

// schema.FromAPIVersionAndKind: the version part of "group/version" or "version".
std::string versionOf(const std::string& apiVersion) {
  size_t slash = apiVersion.find('/');
  if (slash == std::string::npos) return apiVersion;
  if (apiVersion.find('/', slash + 1) != std::string::npos) return "";  // not a group/version
  return apiVersion.substr(slash + 1);
}

std::string goBoolPtr(const Json& ref, const char* key) {
  return has(ref, key) && ref[key].is_boolean() ? std::string("(*bool)(") + (ref[key].get<bool>() ? "true" : "false") + ")"
                                                : "(*bool)(nil)";
}

std::string goOwnerReference(const Json& r) {
  return "v1.OwnerReference{APIVersion:" + goQuote(str(r, "apiVersion")) + ", Kind:" + goQuote(str(r, "kind")) +
         ", Name:" + goQuote(str(r, "name")) + ", UID:" + goQuote(str(r, "uid")) +
         ", Controller:" + goBoolPtr(r, "controller") + ", BlockOwnerDeletion:" + goBoolPtr(r, "blockOwnerDeletion") + "}";
}

void ownerReferences(Errors& e, const Json& refs) {
  const std::string path = "metadata.ownerReferences";
  std::string firstController;
  for (const auto& r : refs.is_array() ? refs : Json::array()) {
    const std::string apiVersion = str(r, "apiVersion"), kind = str(r, "kind");
    if (versionOf(apiVersion).empty()) e.invalid(path + ".apiVersion", Json(apiVersion), "version must not be empty");
    if (kind.empty()) e.invalid(path + ".kind", Json(kind), "must not be empty");
    if (str(r, "name").empty()) e.invalid(path + ".name", Json(""), "must not be empty");
    if (str(r, "uid").empty()) e.invalid(path + ".uid", Json(""), "must not be empty");
    if (apiVersion == "v1" && kind == "Event")
      e.invalidAs(path, goOwnerReference(r), "/v1, Kind=Event is disallowed from being an owner");
    if (r.value("controller", false) == true) {
      const std::string name = kind + "/" + str(r, "name");
      if (firstController.empty()) {
        firstController = name;
      } else {
        std::string all = "[]v1.OwnerReference{";
        for (size_t i = 0; i < refs.size(); ++i) all += (i ? ", " : "") + goOwnerReference(refs[i]);
        e.invalidAs(path, all + "}",
                    "Only one reference can have Controller set to true. Found \"true\" in references for " +
                        firstController + " and " + name);
      }
    }
  }
}

void finalizers(Errors& e, const Json& list, bool kubeFinalizers) {
  if (!list.is_array()) return;
  bool orphan = false, foreground = false;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string f = list[i].is_string() ? list[i].get<std::string>() : "";
    for (const auto& m : isQualifiedName(f)) e.invalid("metadata.finalizers", Json(f), m);
    orphan = orphan || f == "orphan";
    foreground = foreground || f == "foregroundDeletion";
  }
  if (orphan && foreground)
    e.invalidAs("metadata.finalizers", goStrings(list), "finalizer orphan and foregroundDeletion cannot be both set");
  if (!kubeFinalizers) return;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string f = list[i].is_string() ? list[i].get<std::string>() : "";
    if (f.find('/') == std::string::npos && f != "kubernetes" && f != "orphan" && f != "foregroundDeletion")
      e.invalid("metadata.finalizers[" + std::to_string(i) + "]", Json(f),
                "name is neither a standard finalizer name nor is it fully qualified");
  }
}

void common(Errors& e, const Json& meta, bool kubeFinalizers) {
  validateLabels(e, meta.value("labels", Json::object()), "metadata.labels");
  validateAnnotations(e, meta.value("annotations", Json::object()), "metadata.annotations");
  ownerReferences(e, meta.value("ownerReferences", Json::array()));
  finalizers(e, meta.value("finalizers", Json::array()), kubeFinalizers);
}

}  // namespace

void objectMeta(Errors& e, const Json& meta, NameRule rule, bool kubeFinalizers) {
  const std::string generateName = str(meta, "generateName");
  if (!generateName.empty())
    for (const auto& m : checkName(rule, generateName, true)) e.invalid("metadata.generateName", Json(generateName), m);
  const std::string name = str(meta, "name");
  if (name.empty()) e.required("metadata.name", "name or generateName is required");
  else
    for (const auto& m : checkName(rule, name, false)) e.invalid("metadata.name", Json(name), m);
  common(e, meta, kubeFinalizers);
}

void objectMetaUpdate(Errors& e, const Json& meta, const Json& oldMeta, bool kubeFinalizers) {
  if (str(meta, "name") != str(oldMeta, "name"))
    e.invalid("metadata.name", Json(str(meta, "name")), "field is immutable");
  common(e, meta, kubeFinalizers);
}

}  // namespace pmo::sandbox::validation
