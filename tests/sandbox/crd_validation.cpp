// CustomResourceDefinition validation outside the schemas, after
// apiextensions-apiserver pkg/apis/apiextensions/validation/validation.go
// (ValidateCustomResourceDefinition, ...Spec, ...Names, ...ColumnDefinition, ...Subresources).
#include "sandbox/crd_validation.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "sandbox/cel.hpp"
#include "sandbox/crd_validation_internal.hpp"
#include "sandbox/validation_util.hpp"

namespace pmo::sandbox {

namespace crdcheck {

FieldCause notSupported(const std::string& path, const nlohmann::json& value, const std::vector<std::string>& valid) {
  std::string list;
  for (const auto& v : valid) list += (list.empty() ? "" : ", ") + goQuote(v);
  return {"FieldValueNotSupported", path, "Unsupported value: " + goValue(value) + ": supported values: " + list};
}

std::string joined(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace crdcheck

using namespace crdcheck;

namespace {

const std::vector<std::string> kColumnTypes = {"boolean", "date", "integer", "number", "string"};
const std::vector<std::string> kColumnFormats = {"byte", "date", "date-time", "double", "float", "int32", "int64",
                                                 "password"};

std::string str(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

void checkDnsLabel(Errors& errs, const std::string& path, const std::string& value, const std::string& prefix = "") {
  auto e = validation::isDns1035Label(value);
  if (!e.empty()) errs.push_back(invalidValue(path, value, prefix + joined(e, ",")));
}

void validateNames(Errors& errs, const nlohmann::json& names, const std::string& p) {
  for (const char* key : {"plural", "singular", "kind", "listKind"})
    if (str(names, key).empty()) errs.push_back(required(p + "." + key));
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  if (!str(names, "plural").empty()) checkDnsLabel(errs, p + ".plural", str(names, "plural"));
  if (!str(names, "singular").empty()) checkDnsLabel(errs, p + ".singular", str(names, "singular"));
  for (const char* key : {"kind", "listKind"}) {
    std::string v = str(names, key);
    auto e = validation::isDns1035Label(lower(v));
    if (!v.empty() && !e.empty())
      errs.push_back(invalidValue(p + "." + key, v, "may have mixed case, but should otherwise match: " + joined(e, ",")));
  }
  if (!str(names, "kind").empty() && str(names, "kind") == str(names, "listKind"))
    errs.push_back(invalidValue(p + ".listKind", str(names, "listKind"), "kind and listKind may not be the same"));
  for (const char* key : {"shortNames", "categories"}) {
    const auto list = names.value(key, nlohmann::json::array());
    for (size_t i = 0; i < list.size(); ++i)
      checkDnsLabel(errs, p + "." + key + "[" + std::to_string(i) + "]", list[i].is_string() ? list[i].get<std::string>() : "");
  }
}

// validateSimpleJSONPath: only "starts with a dot" is checked at creation.
void checkSimplePath(Errors& errs, const std::string& path, const std::string& value) {
  if (value.empty()) errs.push_back(invalidValue(path, value, "must not be empty"));
  else if (value[0] != '.') errs.push_back(invalidValue(path, value, "must be a simple json path starting with ."));
}

void validateColumn(Errors& errs, const nlohmann::json& c, const std::string& p) {
  if (str(c, "name").empty()) errs.push_back(required(p + ".name"));
  const std::string type = str(c, "type");
  const std::string oneOf = "must be one of " + joined(kColumnTypes, ",");
  if (type.empty()) errs.push_back(required(p + ".type", oneOf));
  else if (std::find(kColumnTypes.begin(), kColumnTypes.end(), type) == kColumnTypes.end())
    errs.push_back(invalidValue(p + ".type", type, oneOf));
  const std::string format = str(c, "format");
  if (!format.empty() && std::find(kColumnFormats.begin(), kColumnFormats.end(), format) == kColumnFormats.end())
    errs.push_back(invalidValue(p + ".format", format, "must be one of " + joined(kColumnFormats, ",")));
  const std::string jsonPath = str(c, "jsonPath");
  if (jsonPath.empty()) errs.push_back(required(p + ".JSONPath"));
  else checkSimplePath(errs, p + ".JSONPath", jsonPath);
}

void validateScale(Errors& errs, const nlohmann::json& scale, const std::string& p) {
  struct Path { const char* key; const char* prefix; const char* under; };
  for (const Path& k : {Path{"specReplicasPath", ".spec.", ".spec"}, Path{"statusReplicasPath", ".status.", ".status"}}) {
    const std::string v = str(scale, k.key);
    const std::string fp = p + ".scale." + k.key;
    if (v.empty()) {
      errs.push_back(required(fp));
      continue;
    }
    size_t before = errs.size();
    checkSimplePath(errs, fp, v);
    if (errs.size() == before && v.rfind(k.prefix, 0) != 0)
      errs.push_back(invalidValue(fp, v, std::string("should be a json path under ") + k.under));
  }
  const std::string sel = str(scale, "labelSelectorPath");
  if (!sel.empty()) {
    size_t before = errs.size();
    checkSimplePath(errs, p + ".scale.labelSelectorPath", sel);
    if (errs.size() == before && sel.rfind(".spec.", 0) != 0 && sel.rfind(".status.", 0) != 0)
      errs.push_back(invalidValue(p + ".scale.labelSelectorPath", sel, "should be a json path under either .spec or .status"));
  }
}

// The schema's own rules, then, only when they hold (as validation.go skips CEL on schema
// errors), whether its x-kubernetes-validations compile within the cost limits.
void validateVersionSchema(Errors& errs, const nlohmann::json& schema, const std::string& path, bool statusEnabled) {
  Errors schemaErrs = validateSchema(schema, path, statusEnabled);
  if (schemaErrs.empty() && hasCelRules(schema)) schemaErrs = celCompileErrors(schema, path);
  for (auto& e : schemaErrs) errs.push_back(std::move(e));
}

void validateVersions(Errors& errs, const nlohmann::json& spec) {
  const auto versions = spec.value("versions", nlohmann::json::array());
  int storage = 0;
  std::set<std::string> seen;
  bool unique = true;
  for (size_t i = 0; i < versions.size(); ++i) {
    const auto& v = versions[i];
    const std::string p = "spec.versions[" + std::to_string(i) + "]";
    const std::string name = str(v, "name");
    if (v.value("storage", false)) ++storage;
    if (!seen.insert(name).second) unique = false;
    checkDnsLabel(errs, p + ".name", name);
    const bool deprecated = v.value("deprecated", false);
    if (v.contains("deprecationWarning")) {
      const std::string w = str(v, "deprecationWarning");
      if (!deprecated) errs.push_back(invalidValue(p + ".deprecationWarning", w, "can only be set for deprecated versions"));
      else if (w.empty()) errs.push_back(invalidValue(p + ".deprecationWarning", w, "must not be an empty string"));
      else if (w.size() > 256) errs.push_back(invalidValue(p + ".deprecationWarning", w, "must be <= 256 characters long"));
    }
    const auto sub = v.value("subresources", nlohmann::json::object());
    const bool statusEnabled = sub.contains("status");
    if (!v.contains("schema") || !v["schema"].is_object() || !v["schema"].contains("openAPIV3Schema"))
      errs.push_back(required(p + ".schema.openAPIV3Schema", "schemas are required"));
    else
      validateVersionSchema(errs, v["schema"]["openAPIV3Schema"], p + ".schema.openAPIV3Schema", statusEnabled);
    if (sub.contains("scale")) validateScale(errs, sub["scale"], p + ".subresources");
    const auto cols = v.value("additionalPrinterColumns", nlohmann::json::array());
    for (size_t c = 0; c < cols.size(); ++c)
      validateColumn(errs, cols[c], p + ".additionalPrinterColumns[" + std::to_string(c) + "]");
  }
  if (versions.empty()) errs.push_back(required("spec.versions", "must have exactly one version marked as storage version"));
  if (!unique) errs.push_back(invalidValue("spec.versions", "...", "must contain unique version names"));
  if (storage != 1 && !versions.empty())
    errs.push_back(invalidValue("spec.versions", "...", "must have exactly one version marked as storage version"));
}

void validateConversion(Errors& errs, const nlohmann::json& spec) {
  if (!spec.contains("conversion")) return;
  const auto& c = spec["conversion"];
  const std::string strategy = str(c, "strategy");
  if (strategy.empty()) errs.push_back(required("spec.conversion.strategy"));
  else if (strategy != "None" && strategy != "Webhook")
    errs.push_back(notSupported("spec.conversion.strategy", strategy, {"None", "Webhook"}));
  if (strategy == "Webhook") {
    if (!c.contains("webhook") || !c["webhook"].contains("clientConfig"))
      errs.push_back(required("spec.conversion.webhookClientConfig", "required when strategy is set to Webhook"));
  } else if (c.contains("webhook")) {
    errs.push_back(forbidden("spec.conversion.webhookClientConfig", "should not be set when strategy is not set to Webhook"));
  }
}

void validateImmutable(Errors& errs, const nlohmann::json& spec, const nlohmann::json& oldSpec, bool established) {
  auto same = [&](const nlohmann::json::json_pointer& ptr, const std::string& path) {
    nlohmann::json now = spec.value(ptr, nlohmann::json()), before = oldSpec.value(ptr, nlohmann::json());
    if (now != before) errs.push_back(invalidValue(path, now, "field is immutable"));
  };
  if (established) {
    same("/scope"_json_pointer, "spec.scope");
    same("/names/kind"_json_pointer, "spec.names.kind");
  }
  same("/group"_json_pointer, "spec.group");
  same("/names/plural"_json_pointer, "spec.names.plural");
}

bool isEstablished(const nlohmann::json& crd) {
  for (const auto& c : crd.value("/status/conditions"_json_pointer, nlohmann::json::array()))
    if (c.value("type", "") == "Established" && c.value("status", "") == "True") return true;
  return false;
}

}  // namespace

void defaultCrd(nlohmann::json& crd) {
  if (!crd.contains("spec") || !crd["spec"].is_object()) return;
  auto& spec = crd["spec"];
  if (spec.contains("names") && spec["names"].is_object()) {
    auto& names = spec["names"];
    std::string kind = str(names, "kind");
    if (str(names, "singular").empty() && !kind.empty()) {
      for (auto& ch : kind) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      names["singular"] = kind;
    }
    if (str(names, "listKind").empty() && !str(names, "kind").empty()) names["listKind"] = str(names, "kind") + "List";
  }
  if (!spec.contains("conversion")) spec["conversion"] = {{"strategy", "None"}};
}

std::vector<FieldCause> validateCrd(const nlohmann::json& crd, const nlohmann::json* old) {
  Errors errs;
  const auto spec = crd.value("spec", nlohmann::json::object());
  const std::string name = crd.value("/metadata/name"_json_pointer, std::string());
  const std::string group = str(spec, "group");
  const auto names = spec.value("names", nlohmann::json::object());
  std::vector<std::string> nameErrs = validation::isDns1123Subdomain(name);
  if (name != str(names, "plural") + "." + group) nameErrs.push_back("must be spec.names.plural+\".\"+spec.group");
  if (!nameErrs.empty()) errs.push_back(invalidValue("metadata.name", name, joined(nameErrs, ", ")));

  // validateAPIApproval: groups under k8s.io and kubernetes.io need the approval annotation
  auto protectedGroup = [](const std::string& g) {
    for (const std::string suffix : {"k8s.io", "kubernetes.io"})
      if (g == suffix || (g.size() > suffix.size() && g.compare(g.size() - suffix.size() - 1, std::string::npos, "." + suffix) == 0))
        return true;
    return false;
  };
  const std::string approval = crd.value("/metadata/annotations/api-approved.kubernetes.io"_json_pointer, std::string());
  if (protectedGroup(group) && approval.empty())
    errs.push_back(required("metadata.annotations[api-approved.kubernetes.io]",
                            "protected groups must have approval annotation \"api-approved.kubernetes.io\", see "
                            "https://github.com/kubernetes/enhancements/pull/1111"));

  if (group.empty()) errs.push_back(required("spec.group"));
  else if (auto e = validation::isDns1123Subdomain(group); !e.empty()) errs.push_back(invalidValue("spec.group", group, joined(e, ",")));
  else if (group.find('.') == std::string::npos)
    errs.push_back(invalidValue("spec.group", group, "should be a domain with at least one dot"));

  const std::string scope = str(spec, "scope");
  if (scope.empty()) errs.push_back(required("spec.scope"));
  else if (scope != "Cluster" && scope != "Namespaced")
    errs.push_back(notSupported("spec.scope", scope, {"Cluster", "Namespaced"}));

  if (spec.value("preserveUnknownFields", false))
    errs.push_back(invalidValue("spec.preserveUnknownFields", true,
                                "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in "
                                "spec.versions[*].schema instead"));
  validateVersions(errs, spec);
  validateNames(errs, names, "spec.names");
  validateConversion(errs, spec);
  if (old) validateImmutable(errs, spec, old->value("spec", nlohmann::json::object()), isEstablished(*old));
  return errs;
}

void requireValidCrd(const nlohmann::json& crd, const nlohmann::json* old) {
  Errors errs = validateCrd(crd, old);
  if (!errs.empty())
    throw invalid("CustomResourceDefinition", "apiextensions.k8s.io",
                  crd.value("/metadata/name"_json_pointer, std::string()), errs);
}

}  // namespace pmo::sandbox
