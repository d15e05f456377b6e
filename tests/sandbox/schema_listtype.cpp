#include "sandbox/schema_listtype.hpp"

#include <map>

#include "sandbox/schema_gofmt.hpp"

namespace pmo::sandbox {

namespace {

using Json = nlohmann::json;

// The identity Go's set check gives a value: scalars by dynamic type and value (so the
// int64 1 and the float64 1 differ), objects and arrays by their JSON encoding.
std::string identity(const Json& v) {
  if (v.is_structured()) return "j" + gofmt::json(v);
  if (v.is_string()) return "s" + v.get<std::string>();
  if (v.is_number_float()) return "f" + gofmt::floatV(v.get<double>());
  return std::string(v.is_number() ? "i" : "o") + v.dump();
}

// Indices whose value already occurred exactly once before (validateListSet).
std::vector<std::size_t> repeats(const std::vector<std::string>& ids) {
  std::map<std::string, int> seen;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (++seen[ids[i]] == 2) out.push_back(i);
  return out;
}

class ListTypes {
 public:
  std::vector<FieldCause> causes;

  void object(const Json& s, const Json& obj, const std::string& path) {
    if (!s.is_object() || !obj.is_object()) return;
    if (s.contains("additionalProperties") && s["additionalProperties"].is_object())
      for (auto it = obj.begin(); it != obj.end(); ++it) value(s["additionalProperties"], *it, path + "[" + it.key() + "]");
    if (s.contains("properties") && s["properties"].is_object())
      for (auto it = obj.begin(); it != obj.end(); ++it)
        if (s["properties"].contains(it.key()))
          value(s["properties"][it.key()], *it, path.empty() ? it.key() : path + "." + it.key());
  }

 private:
  void value(const Json& s, const Json& v, const std::string& path) {
    if (v.is_array()) array(s, v, path);
    else if (v.is_object()) object(s, v, path);
  }

  void duplicate(const std::string& path, std::size_t i, const Json& value) {
    causes.push_back({"FieldValueDuplicate", path + "[" + std::to_string(i) + "]",
                      "Duplicate value: " + gofmt::badValue(value)});
  }

  void array(const Json& s, const Json& list, const std::string& path) {
    const std::string type = s.value("x-kubernetes-list-type", "");
    if (type == "set") {
      std::vector<std::string> ids;
      for (const auto& item : list) ids.push_back(identity(item));
      for (std::size_t i : repeats(ids)) duplicate(path, i, list[i]);
    } else if (type == "map") {
      map(s, list, path);
    }
    if (s.contains("items"))
      for (std::size_t i = 0; i < list.size(); ++i) value(s["items"], list[i], path + "[" + std::to_string(i) + "]");
  }

  void map(const Json& s, const Json& list, const std::string& path) {
    for (std::size_t i = 0; i < list.size(); ++i)
      if (!list[i].is_null() && !list[i].is_object()) {
        causes.push_back({"FieldValueInvalid", path + "[" + std::to_string(i) + "]",
                          "Invalid value: " + gofmt::badValue(list[i]) + ": must be an object for an array of list-type map"});
        return;
      }
    const Json keys = s.contains("x-kubernetes-list-map-keys") ? s["x-kubernetes-list-map-keys"] : Json::array();
    std::vector<Json> tuples;  // the key fields each item sets (a null item sets none)
    std::vector<std::string> ids;
    for (const auto& item : list) {
      Json tuple = Json::object();
      for (const auto& k : keys)
        if (k.is_string() && item.is_object() && item.contains(k.get<std::string>()))
          tuple[k.get<std::string>()] = item[k.get<std::string>()];
      // one key: compared as the key's value, with "unset" a value of its own
      ids.push_back(keys.size() == 1 ? (tuple.empty() ? "unset" : identity(tuple.begin().value())) : identity(tuple));
      tuples.push_back(tuple);
    }
    for (std::size_t i : repeats(ids)) duplicate(path, i, tuples[i]);
  }
};

}  // namespace

std::vector<FieldCause> validateListTypes(const nlohmann::json& schema, const nlohmann::json& object) {
  ListTypes l;
  l.object(schema, object, "");
  return std::move(l.causes);
}

}  // namespace pmo::sandbox
