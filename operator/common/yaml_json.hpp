#pragma once
// YAML documents as the JSON kubectl sends for them: maps, sequences, and plain scalars
// typed as booleans, null, integers and floats; quoted scalars always strings.
#include <yaml-cpp/yaml.h>

#include <istream>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::yaml {

nlohmann::json toJson(const YAML::Node& node);

// Every non-empty document of a stream. Throws YAML::Exception on malformed input.
std::vector<nlohmann::json> loadAll(std::istream& in);

}  // namespace pmo::yaml
