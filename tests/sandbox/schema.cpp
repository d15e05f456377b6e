#include "sandbox/schema.hpp"

#include <map>
#include <mutex>
#include <regex>

namespace pmo::sandbox {

namespace {

// Compiled patterns are cached: std::regex construction is slow.
const std::regex* compiled(const std::string& pattern) {
  static std::mutex m;
  static std::map<std::string, std::unique_ptr<std::regex>> cache;
  std::lock_guard<std::mutex> lock(m);
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second.get();
  std::unique_ptr<std::regex> re;
  try {
    re = std::make_unique<std::regex>(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    re = nullptr;  // a pattern std::regex cannot read (RE2-only syntax) is not enforced
  }
  return (cache[pattern] = std::move(re)).get();
}

std::string typeName(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

std::string numberText(const nlohmann::json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (d == static_cast<double>(static_cast<long long>(d))) return std::to_string(static_cast<long long>(d));
  }
  return v.dump();
}

class Walker {
 public:
  SchemaResult result;
  bool applyDefaults = true;

  void walk(const nlohmann::json& s, nlohmann::json& v, const std::string& path, bool root) {
    if (v.is_null()) {
      if (!s.value("nullable", false)) typeError(s, v, path);
      return;
    }
    if (!checkType(s, v, path)) return;
    if (s.contains("enum") && s["enum"].is_array()) checkEnum(s["enum"], v, path);
    if (v.is_object()) walkObject(s, v, path, root);
    else if (v.is_array()) walkArray(s, v, path);
    else if (v.is_string()) checkString(s, v.get<std::string>(), path);
    else if (v.is_number()) checkNumber(s, v, path);
  }

 private:
  void add(const std::string& reason, const std::string& path, const std::string& message) {
    result.causes.push_back({reason, path, message});
  }

  void typeError(const nlohmann::json& s, const nlohmann::json& v, const std::string& path) {
    std::string want = s.value("type", "");
    if (want.empty()) return;
    add("FieldValueInvalid", path,
        "Invalid value: \"" + typeName(v) + "\": " + path + " in body must be of type " + want + ": \"" +
            typeName(v) + "\"");
  }

  bool checkType(const nlohmann::json& s, const nlohmann::json& v, const std::string& path) {
    if (s.value("x-kubernetes-int-or-string", false)) {
      if (v.is_string() || v.is_number_integer() || v.is_number_unsigned()) return true;
      add("FieldValueInvalid", path,
          "Invalid value: \"" + typeName(v) + "\": " + path + " in body must be of type integer,string: \"" +
              typeName(v) + "\"");
      return false;
    }
    std::string want = s.value("type", "");
    if (want.empty()) return true;
    std::string got = typeName(v);
    bool ok = want == got || (want == "number" && got == "integer");
    if (!ok) typeError(s, v, path);
    return ok;
  }

  void checkEnum(const nlohmann::json& values, const nlohmann::json& v, const std::string& path) {
    for (const auto& e : values)
      if (e == v) return;
    std::string list;
    for (const auto& e : values) list += (list.empty() ? "" : ", ") + goValue(e);
    add("FieldValueNotSupported", path, "Unsupported value: " + goValue(v) + ": supported values: " + list);
  }

  void walkObject(const nlohmann::json& s, nlohmann::json& v, const std::string& path, bool root) {
    const nlohmann::json empty = nlohmann::json::object();
    const auto& props = s.contains("properties") ? s["properties"] : empty;
    bool preserve = s.value("x-kubernetes-preserve-unknown-fields", false);
    bool embedded = s.value("x-kubernetes-embedded-resource", false);
    const nlohmann::json* additional = nullptr;
    bool additionalAny = false;
    if (s.contains("additionalProperties")) {
      if (s["additionalProperties"].is_object()) additional = &s["additionalProperties"];
      else additionalAny = s["additionalProperties"].is_boolean() && s["additionalProperties"].get<bool>();
    }
    // nulls of non-nullable properties are dropped before defaulting, as the API server does
    for (auto it = v.begin(); it != v.end();) {
      const nlohmann::json* ps = props.contains(it.key()) ? &props[it.key()] : additional;
      if (it->is_null() && ps && !ps->value("nullable", false)) it = v.erase(it);
      else ++it;
    }
    for (auto it = props.begin(); it != props.end(); ++it)
      if (applyDefaults && !v.contains(it.key()) && it->contains("default")) v[it.key()] = (*it)["default"];
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
        walk(*additional, *it, child, false);
      } else if (!preserve && !additionalAny) {
        result.pruned.push_back(child);
        it = v.erase(it);
        continue;
      }
      ++it;
    }
    if (s.contains("required"))
      for (const auto& r : s["required"])
        if (r.is_string() && !v.contains(r.get<std::string>()))
          add("FieldValueRequired", path.empty() ? r.get<std::string>() : path + "." + r.get<std::string>(),
              "Required value");
  }

  void walkArray(const nlohmann::json& s, nlohmann::json& v, const std::string& path) {
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>())
      add("FieldValueTooMany", path,
          "Too many: " + std::to_string(v.size()) + ": must have at most " + s["maxItems"].dump() + " items");
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>())
      add("FieldValueInvalid", path,
          "Invalid value: " + std::to_string(v.size()) + ": " + path + " in body should have at least " +
              s["minItems"].dump() + " items");
    if (!s.contains("items") || !s["items"].is_object()) return;
    for (size_t i = 0; i < v.size(); ++i) walk(s["items"], v[i], path + "[" + std::to_string(i) + "]", false);
  }

  void checkString(const nlohmann::json& s, const std::string& v, const std::string& path) {
    if (s.contains("maxLength") && v.size() > s["maxLength"].get<size_t>())
      add("FieldValueTooLong", path, "Too long: may not be more than " + s["maxLength"].dump() + " bytes");
    if (s.contains("minLength") && v.size() < s["minLength"].get<size_t>())
      add("FieldValueInvalid", path,
          "Invalid value: " + goQuote(v) + ": " + path + " in body should be at least " + s["minLength"].dump() +
              " chars long");
    if (s.contains("pattern") && s["pattern"].is_string()) {
      const std::regex* re = compiled(s["pattern"].get<std::string>());
      if (re && !std::regex_search(v, *re))
        add("FieldValueInvalid", path,
            "Invalid value: " + goQuote(v) + ": " + path + " in body should match '" +
                s["pattern"].get<std::string>() + "'");
    }
  }

  void checkNumber(const nlohmann::json& s, const nlohmann::json& v, const std::string& path) {
    double d = v.get<double>();
    if (s.contains("minimum") && s["minimum"].is_number()) {
      double m = s["minimum"].get<double>();
      bool exclusive = s.value("exclusiveMinimum", false);
      if (exclusive ? d <= m : d < m)
        add("FieldValueInvalid", path,
            "Invalid value: " + numberText(v) + ": " + path + " in body should be greater than " +
                (exclusive ? "" : "or equal to ") + numberText(s["minimum"]));
    }
    if (s.contains("maximum") && s["maximum"].is_number()) {
      double m = s["maximum"].get<double>();
      bool exclusive = s.value("exclusiveMaximum", false);
      if (exclusive ? d >= m : d > m)
        add("FieldValueInvalid", path,
            "Invalid value: " + numberText(v) + ": " + path + " in body should be less than " +
                (exclusive ? "" : "or equal to ") + numberText(s["maximum"]));
    }
  }
};

}  // namespace

SchemaResult applySchema(const nlohmann::json& schema, nlohmann::json& object) {
  Walker w;
  w.walk(schema, object, "", true);
  return std::move(w.result);
}

std::vector<FieldCause> validateValue(const nlohmann::json& schema, nlohmann::json value) {
  Walker w;
  w.applyDefaults = false;
  w.walk(schema, value, "", false);
  return std::move(w.result.causes);
}

}  // namespace pmo::sandbox
