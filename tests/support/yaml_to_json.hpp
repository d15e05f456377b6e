#pragma once
// YAML as nlohmann::json, typed as kubectl and sigs.k8s.io/yaml read it: quoted scalars are
// strings, plain scalars true/false/null/integers/floats by their YAML 1.1 spelling. Shared
// by the tests and the sandbox (server-side apply bodies are YAML).
#include <yaml-cpp/yaml.h>

#include <regex>
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::testing {

inline nlohmann::json yamlToJson(const YAML::Node& node) {
  using nlohmann::json;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yamlToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted: always a string
      static const std::regex integer("^[-+]?[0-9]+$");
      static const std::regex real("^[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?$");
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (s == "null" || s == "~" || s.empty()) return nullptr;
      if (std::regex_match(s, integer)) return std::stoll(s);
      if (std::regex_match(s, real)) return std::stod(s);
      return s;
    }
  }
  return nullptr;
}

}  // namespace pmo::testing
