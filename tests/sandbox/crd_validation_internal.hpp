#pragma once
// Shared by the crd_*.cpp files: schema nodes read as Go decodes them, and field errors
// written the way k8s.io/apimachinery/pkg/util/validation/field prints them.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox::crdcheck {

using Errors = std::vector<FieldCause>;
using json = nlohmann::json;

// Schema nodes read as Go decodes them into JSONSchemaProps.
// Set in Go's sense: absent, false, "" and empty junctor lists are the zero value.
inline bool has(const json& s, const char* key) {
  auto it = s.find(key);
  if (it == s.end() || it->is_null()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) return !it->get<std::string>().empty();
  return true;
}
inline bool flag(const json& s, const char* key) { return s.value(key, false) == true; }
inline std::string type(const json& s) { return s.is_object() ? s.value("type", "") : ""; }
inline const json& props(const json& s) {
  static const json empty = json::object();
  auto it = s.find("properties");
  return it != s.end() && it->is_object() ? *it : empty;
}
inline const json* itemSchema(const json& s) {
  auto it = s.find("items");
  return it != s.end() && it->is_object() ? &*it : nullptr;
}
inline const json* additionalSchema(const json& s) {
  auto it = s.find("additionalProperties");
  return it != s.end() && it->is_object() ? &*it : nullptr;
}
inline std::string key(const std::string& path, const std::string& k) { return path + "[" + k + "]"; }
inline std::string idx(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

inline FieldCause required(const std::string& path, const std::string& detail = "") {
  return {"FieldValueRequired", path, detail.empty() ? "Required value" : "Required value: " + detail};
}
inline FieldCause invalidValue(const std::string& path, const nlohmann::json& value, const std::string& detail) {
  return {"FieldValueInvalid", path, "Invalid value: " + goValue(value) + ": " + detail};
}
inline FieldCause forbidden(const std::string& path, const std::string& detail) {
  return {"FieldValueForbidden", path, "Forbidden: " + detail};
}
FieldCause notSupported(const std::string& path, const nlohmann::json& value, const std::vector<std::string>& valid);

std::string joined(const std::vector<std::string>& parts, const std::string& sep);

// ValidateStructural's errors (sorted as it sorts them) for the schema at `path`.
Errors structuralErrors(const nlohmann::json& schema, const std::string& path);
// "" when Go's regexp (RE2) accepts `pattern`, else its "error parsing regexp: ..." text.
std::string patternError(const std::string& pattern);

// The schema of one version (openAPIV3Schema at `path`): structural, x-kubernetes-* rules,
// unsupported keywords, defaults. `statusEnabled`: the version has a status subresource.
Errors validateSchema(const nlohmann::json& schema, const std::string& path, bool statusEnabled);

}  // namespace pmo::sandbox::crdcheck
