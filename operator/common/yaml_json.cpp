#include "common/yaml_json.hpp"

#include <regex>

namespace pmo::yaml {

nlohmann::json toJson(const YAML::Node& node) {
  using nlohmann::json;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(toJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = toJson(kv.second);
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
      if (std::regex_match(s, integer)) {
        try {
          return std::stoll(s);
        } catch (const std::out_of_range&) {
          return std::stod(s);
        }
      }
      if (std::regex_match(s, real)) return std::stod(s);
      return s;
    }
  }
  return nullptr;
}

std::vector<nlohmann::json> loadAll(std::istream& in) {
  std::vector<nlohmann::json> docs;
  for (const auto& doc : YAML::LoadAll(in))
    if (doc.IsDefined() && !doc.IsNull()) docs.push_back(toJson(doc));
  return docs;
}

}  // namespace pmo::yaml
