#include "sandbox/schema.hpp"

#include "sandbox/schema_listtype.hpp"
#include "sandbox/schema_validate.hpp"
#include "sandbox/schema_values.hpp"

namespace pmo::sandbox {

namespace {

bool nullable(const nlohmann::json* s) { return s && s->value("nullable", false); }
bool hasDefault(const nlohmann::json* s) { return s && s->contains("default"); }

// Pruning (structuralpruning.Prune), PruneNonNullableNullsWithoutDefaults and Default of
// apiextensions-apiserver: they follow the value's shape, whatever type the schema
// declares, and leave validation to validateAgainstSchema.
class Pruner {
 public:
  std::vector<std::string> pruned;

  void walk(const nlohmann::json& s, nlohmann::json& v, const std::string& path, bool root) {
    if (v.is_object()) walkObject(s, v, path, root);
    else if (v.is_array()) walkArray(s, v, path);
  }

 private:
  void walkObject(const nlohmann::json& s, nlohmann::json& v, const std::string& path, bool root) {
    const nlohmann::json empty = nlohmann::json::object();
    const auto& props = s.contains("properties") && s["properties"].is_object() ? s["properties"] : empty;
    bool preserve = s.value("x-kubernetes-preserve-unknown-fields", false);
    bool embedded = s.value("x-kubernetes-embedded-resource", false);
    const nlohmann::json* additional = nullptr;
    bool additionalAny = false;
    if (s.contains("additionalProperties")) {
      if (s["additionalProperties"].is_object()) additional = &s["additionalProperties"];
      else additionalAny = s["additionalProperties"].is_boolean() && s["additionalProperties"].get<bool>();
    }
    // a null a field may not hold, and that no default replaces, is dropped
    for (auto it = v.begin(); it != v.end();) {
      const nlohmann::json* ps = props.contains(it.key()) ? &props[it.key()] : additional;
      if (it->is_null() && ps && !nullable(ps) && !hasDefault(ps)) it = v.erase(it);
      else ++it;
    }
    for (auto it = props.begin(); it != props.end(); ++it)
      if (hasDefault(&*it) && (!v.contains(it.key()) || (v[it.key()].is_null() && !nullable(&*it))))
        v[it.key()] = (*it)["default"];
    for (auto it = v.begin(); it != v.end();) {
      const std::string& key = it.key();
      std::string child = path.empty() ? key : path + "." + key;
      if ((root || embedded) && (key == "apiVersion" || key == "kind" || key == "metadata")) {
        ++it;
        continue;
      }
      if (props.contains(key)) {
        walk(props[key], *it, child, false);
      } else if (additional) {
        if (it->is_null() && !nullable(additional) && hasDefault(additional)) *it = (*additional)["default"];
        walk(*additional, *it, child, false);
      } else if (!preserve && !additionalAny) {
        pruned.push_back(child);
        it = v.erase(it);
        continue;
      }
      ++it;
    }
  }

  void walkArray(const nlohmann::json& s, nlohmann::json& v, const std::string& path) {
    if (!s.contains("items") || !s["items"].is_object()) return;
    const nlohmann::json& items = s["items"];
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i].is_null() && !nullable(&items) && hasDefault(&items)) v[i] = items["default"];
      walk(items, v[i], path + "[" + std::to_string(i) + "]", false);
    }
  }
};

}  // namespace

SchemaResult applySchema(const nlohmann::json& schema, nlohmann::json& object) {
  values::decodeLikeGo(object);
  Pruner p;
  p.walk(schema, object, "", true);
  SchemaResult result{validateAgainstSchema(schema, object), std::move(p.pruned)};
  for (auto& c : validateListTypes(schema, object)) result.causes.push_back(std::move(c));
  values::storeLikeGo(object);
  return result;
}

std::vector<FieldCause> validateValue(const nlohmann::json& schema, nlohmann::json value) {
  values::decodeLikeGo(value);
  std::vector<FieldCause> causes = validateAgainstSchema(schema, value);
  for (auto& c : validateListTypes(schema, value)) causes.push_back(std::move(c));
  return causes;
}

}  // namespace pmo::sandbox
