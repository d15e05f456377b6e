#pragma once
// Test helpers for the CRD and example tests: YAML files as nlohmann::json (as kubectl
// sends them), the CRD's schema, and a small OpenAPI checker for the constraints the CRD
// uses (type, enum, pattern, bounds, lengths, list sizes), so examples and defaults can be
// checked against the schema without an API server.
#include <yaml-cpp/yaml.h>

#include "common/yaml_json.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::testing {

inline nlohmann::json yamlToJson(const YAML::Node& node) { return pmo::yaml::toJson(node); }

inline std::string sourcePath(const std::string& relative) {
  return std::string(PMO_SOURCE_DIR) + "/" + relative;
}

// Every document of a YAML file. Throws (failing the test) when the file is missing.
inline std::vector<nlohmann::json> loadYamlDocuments(const std::string& relative) {
  std::ifstream in(sourcePath(relative));
  if (!in) throw std::runtime_error("cannot open " + sourcePath(relative));
  std::vector<nlohmann::json> docs;
  for (const auto& doc : YAML::LoadAll(in))
    if (doc.IsDefined() && !doc.IsNull()) docs.push_back(yamlToJson(doc));
  return docs;
}

// The body of `{{- define "NAME" -}} ... {{- end -}}` in a Helm template: for defines
// that are plain YAML (the chart's RBAC rules). Throws when the define is missing.
inline std::string helmDefine(const std::string& templateText, const std::string& name) {
  const std::string open = "{{- define \"" + name + "\" -}}";
  const auto begin = templateText.find(open);
  if (begin == std::string::npos) throw std::runtime_error("no define \"" + name + "\" in the template");
  const auto body = templateText.find('\n', begin) + 1;
  const auto end = templateText.find("{{- end -}}", body);
  if (end == std::string::npos) throw std::runtime_error("define \"" + name + "\" has no {{- end -}}");
  return templateText.substr(body, end - body);
}

inline nlohmann::json loadCrd() {
  auto docs = loadYamlDocuments("crds/maintenance.phase.dev_phasemaintenances.yaml");
  if (docs.size() != 1) throw std::runtime_error("the CRD file must hold exactly one document");
  return docs[0];
}

inline const nlohmann::json& openApiSchema(const nlohmann::json& crd) {
  return crd.at("spec").at("versions").at(0).at("schema").at("openAPIV3Schema");
}

// Checks `value` against `schema` for the constraints the CRD uses; appends "path: why".
inline void checkAgainstSchema(const nlohmann::json& schema, const nlohmann::json& value,
                               const std::string& path, std::vector<std::string>& problems) {
  auto problem = [&](const std::string& why) { problems.push_back(path + ": " + why); };
  if (schema.value("x-kubernetes-int-or-string", false)) {
    if (!value.is_string() && !value.is_number_integer()) problem("must be an integer or a string");
  } else if (schema.contains("type")) {
    const std::string type = schema["type"];
    bool ok = (type == "object" && value.is_object()) || (type == "array" && value.is_array()) ||
              (type == "string" && value.is_string()) || (type == "boolean" && value.is_boolean()) ||
              (type == "integer" && value.is_number_integer()) || (type == "number" && value.is_number());
    if (!ok) return problem("must be of type " + type);
  }
  if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end())
    problem("not in enum");
  if (value.is_string()) {
    const std::string s = value;
    std::size_t length = 0;  // in characters, as Kubernetes counts maxLength
    for (unsigned char c : s) length += (c & 0xC0) != 0x80;
    if (schema.contains("maxLength") && length > schema["maxLength"].get<std::size_t>()) problem("too long");
    if (schema.contains("minLength") && length < schema["minLength"].get<std::size_t>()) problem("too short");
    if (schema.contains("pattern") && !std::regex_match(s, std::regex(schema["pattern"].get<std::string>())))
      problem("does not match " + schema["pattern"].get<std::string>());
  }
  if (value.is_number()) {
    if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) problem("below minimum");
    if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>()) problem("above maximum");
  }
  if (value.is_array()) {
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>()) problem("too many items");
    for (std::size_t i = 0; i < value.size() && schema.contains("items"); ++i)
      checkAgainstSchema(schema["items"], value[i], path + "[" + std::to_string(i) + "]", problems);
  }
  if (value.is_object()) {
    if (schema.contains("maxProperties") && value.size() > schema["maxProperties"].get<std::size_t>())
      problem("too many properties");
    for (const auto& req : schema.value("required", nlohmann::json::array()))
      if (!value.contains(req.get<std::string>())) problem("missing required " + req.get<std::string>());
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (schema.contains("properties") && schema["properties"].contains(it.key()))
        checkAgainstSchema(schema["properties"][it.key()], *it, path + "." + it.key(), problems);
      else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object())
        checkAgainstSchema(schema["additionalProperties"], *it, path + "." + it.key(), problems);
      else if (!schema.value("x-kubernetes-preserve-unknown-fields", false) && path != "" &&
               path.rfind(".metadata", 0) != 0)
        problem("unknown field " + it.key());
    }
  }
}

// Applies the schema's defaults to `value` as the API server does: a missing property with
// a default gets it, then defaulting continues inside objects and list items.
inline void applyDefaults(const nlohmann::json& schema, nlohmann::json& value) {
  if (value.is_object() && schema.contains("properties")) {
    for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) {
      if ((!value.contains(it.key()) || value[it.key()].is_null()) && it->contains("default"))
        value[it.key()] = (*it)["default"];
      if (value.contains(it.key())) applyDefaults(*it, value[it.key()]);
    }
  }
  if (value.is_array() && schema.contains("items"))
    for (auto& item : value) applyDefaults(schema["items"], item);
}

}  // namespace pmo::testing
