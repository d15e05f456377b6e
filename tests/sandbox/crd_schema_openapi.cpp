// The rest of a CRD schema's validation, after apiextensions-apiserver
// pkg/apis/apiextensions/validation/validation.go (validateCustomResourceDefinitionValidation,
// ValidateCustomResourceDefinitionOpenAPISchema, specStandardValidatorV3, validateMapListKeysMapSet)
// and pkg/apiserver/schema/defaulting/validation.go (ValidateDefaults).
#include <set>

#include "sandbox/crd_validation_internal.hpp"
#include "sandbox/schema.hpp"

namespace pmo::sandbox::crdcheck {

namespace {

const std::vector<std::string> kTypes = {"array", "boolean", "integer", "number", "object", "string"};
const std::vector<std::string> kRuleReasons = {"FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid",
                                               "FieldValueRequired"};
// The fields a root schema may set when the status subresource is enabled, as JSON keys
// (allowedFieldsAtRootSchema).
const std::set<std::string> kRootFieldsWithStatus = {
    "description", "type", "format", "title", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf", "required", "items",
    "properties", "externalDocs", "example", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations"};

bool hasNewline(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }
std::string trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// cel.ValidFieldPath: `.a.b`, `['c']` and `[0]` steps that exist in the schema.
bool fieldPathValid(const json& schema, const std::string& path) {
  const json* s = &schema;
  size_t i = 0;
  while (i < path.size()) {
    std::string name;
    if (path[i] == '.') {
      size_t j = i + 1;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      name = path.substr(i + 1, j - i - 1);
      i = j;
    } else if (path.compare(i, 2, "['") == 0) {
      size_t j = path.find("']", i + 2);
      if (j == std::string::npos) return false;
      name = path.substr(i + 2, j - i - 2);
      i = j + 2;
    } else if (path[i] == '[') {
      size_t j = path.find(']', i);
      if (j == std::string::npos || !itemSchema(*s)) return false;
      s = itemSchema(*s);
      i = j + 1;
      continue;
    } else {
      return false;
    }
    if (name.empty()) return false;
    if (props(*s).contains(name)) s = &props(*s)[name];
    else if (const json* a = additionalSchema(*s)) s = a;
    else return false;
  }
  return true;
}

// The state specStandardValidatorV3 carries down the tree.
struct Context {
  bool allowDefaults = true;
  std::string disallowReason;
  bool insideResourceMeta = false;
};

class OpenApi {
 public:
  Errors errs;

  void node(const json& s, const std::string& p, const Context& c, bool isRoot) {
    if (!s.is_object()) return;
    standard(s, p, c);
    if (flag(s, "uniqueItems"))
      errs.push_back(forbidden(p + ".uniqueItems", "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
    if (s.contains("additionalProperties")) {
      const json& a = s["additionalProperties"];
      if (!props(s).empty() && (a.is_object() || a == false))
        errs.push_back(forbidden(p + ".additionalProperties", "additionalProperties and properties are mutual exclusive"));
      Context sub = c;
      if (c.insideResourceMeta) forbidDefaults(sub, "inside additionalProperties applying to object metadata");
      if (a.is_object()) node(a, p + ".additionalProperties", sub, false);
    }
    const bool embedded = flag(s, "x-kubernetes-embedded-resource");
    for (auto it = props(s).begin(); it != props(s).end(); ++it) {
      Context sub = c;
      const std::string& k = it.key();
      if ((isRoot || embedded) && (k == "metadata" || k == "kind" || k == "apiVersion")) {
        sub.insideResourceMeta = true;
        if (isRoot) forbidDefaults(sub, "in top-level " + k);
      }
      node(*it, key(p + ".properties", k), sub, false);
    }
    if (s.contains("not")) node(s["not"], p + ".not", c, false);
    for (const char* j : {"allOf", "oneOf", "anyOf"})
      if (s.contains(j) && s[j].is_array())
        for (size_t i = 0; i < s[j].size(); ++i) node(s[j][i], idx(p + "." + j, i), c, false);
    if (const json* items = itemSchema(s)) node(*items, p + ".items", c, false);
    else if (s.contains("items") && s["items"].is_array())
      for (size_t i = 0; i < s["items"].size(); ++i) node(s["items"][i], idx(p + ".items", i), c, false);
    if (s.contains("x-kubernetes-preserve-unknown-fields") && s["x-kubernetes-preserve-unknown-fields"] == false)
      errs.push_back(invalidValue(p + ".x-kubernetes-preserve-unknown-fields", false, "must be true or undefined"));
    mapType(s, p);
    listType(s, p);
    mapListKeys(s, p);
    rules(s, p);
  }

 private:
  static void forbidDefaults(Context& c, const std::string& reason) {
    c.allowDefaults = false;
    c.disallowReason = reason;
  }

  void standard(const json& s, const std::string& p, const Context& c) {
    const std::string t = type(s);
    if (!t.empty() && t != "null" && std::find(kTypes.begin(), kTypes.end(), t) == kTypes.end())
      errs.push_back(notSupported(p + ".type", t, kTypes));
    if (s.contains("default") && !c.allowDefaults)
      errs.push_back(forbidden(p + ".default", "must not be set" + (c.disallowReason.empty() ? "" : " " + c.disallowReason)));
    struct Unsupported { const char* key; const char* path; const char* detail; };
    static const Unsupported unsupported[] = {
        {"id", "id", "id is not supported"},
        {"additionalItems", "additionalItems", "additionalItems is not supported"},
        {"patternProperties", "patternProperties", "patternProperties is not supported"},
        {"definitions", "definitions", "definitions is not supported"},
        {"dependencies", "dependencies", "dependencies is not supported"},
        {"$ref", "$ref", "$ref is not supported"},
    };
    for (const auto& u : unsupported)
      if (has(s, u.key) && !(s[u.key].is_object() && s[u.key].empty()))
        errs.push_back(forbidden(p + "." + u.path, u.detail));
    if (t == "null") errs.push_back(forbidden(p + ".type", "type cannot be set to null, use nullable as an alternative"));
    if (s.contains("items") && s["items"].is_array())
      errs.push_back(forbidden(p + ".items", "items must be a schema object and not an array"));
    if (c.insideResourceMeta && flag(s, "x-kubernetes-embedded-resource"))
      errs.push_back(forbidden(p + ".x-kubernetes-embedded-resource", "must not be used inside of resource meta"));
  }

  void mapType(const json& s, const std::string& p) {
    if (!s.contains("x-kubernetes-map-type")) return;
    const std::string t = type(s);
    const json& m = s["x-kubernetes-map-type"];
    if (t.empty()) errs.push_back(required(p + ".type", "must be object if x-kubernetes-map-type is specified"));
    else if (t != "object") errs.push_back(invalidValue(p + ".type", t, "must be object if x-kubernetes-map-type is specified"));
    if (m != "atomic" && m != "granular")
      errs.push_back(notSupported(p + ".x-kubernetes-map-type", m, {"atomic", "granular"}));
  }

  void listType(const json& s, const std::string& p) {
    const std::string t = type(s);
    const bool hasListType = s.contains("x-kubernetes-list-type");
    const json listType = hasListType ? s["x-kubernetes-list-type"] : json();
    const json* items = itemSchema(s);
    if (hasListType && t != "array") {
      if (t.empty()) errs.push_back(required(p + ".type", "must be array if x-kubernetes-list-type is specified"));
      else errs.push_back(invalidValue(p + ".type", t, "must be array if x-kubernetes-list-type is specified"));
    } else if (listType == "set" && items) {
      const std::string it = type(*items);
      if (it == "array" && items->contains("x-kubernetes-list-type") && (*items)["x-kubernetes-list-type"] != "atomic")
        errs.push_back(invalidValue(p + ".items.x-kubernetes-list-type", (*items)["x-kubernetes-list-type"],
                                    "must be atomic as item of a list with x-kubernetes-list-type=set"));
      if (it == "object" && items->value("x-kubernetes-map-type", "") != "atomic")
        errs.push_back(invalidValue(p + ".items.x-kubernetes-map-type", listType,
                                    "must be atomic as item of a list with x-kubernetes-list-type=set"));
    }
    if (hasListType && listType != "atomic" && listType != "set" && listType != "map")
      errs.push_back(notSupported(p + ".x-kubernetes-list-type", listType, {"atomic", "set", "map"}));
    const json keys = s.value("x-kubernetes-list-map-keys", json::array());
    if (!keys.empty()) {
      if (!hasListType) errs.push_back(required(p + ".x-kubernetes-list-type", "must be map if x-kubernetes-list-map-keys is non-empty"));
      else if (listType != "map")
        errs.push_back(invalidValue(p + ".x-kubernetes-list-type", listType, "must be map if x-kubernetes-list-map-keys is non-empty"));
    }
    if (listType != "map") return;
    if (keys.empty()) errs.push_back(required(p + ".x-kubernetes-list-map-keys", "must not be empty if x-kubernetes-list-type is map"));
    if (!s.contains("items")) errs.push_back(required(p + ".items", "must have a schema if x-kubernetes-list-type is map"));
    else if (!items) errs.push_back(invalidValue(p + ".items", s["items"], "must only have a single schema if x-kubernetes-list-type is map"));
    if (!items) return;
    if (type(*items) != "object") {
      errs.push_back(invalidValue(p + ".items.type", type(*items), "must be object if parent array's x-kubernetes-list-type is map"));
      return;
    }
    std::set<std::string> seen;
    for (const auto& k : keys) {
      const std::string name = k.is_string() ? k.get<std::string>() : "";
      if (props(*items).contains(name)) {
        const std::string kt = type(props(*items)[name]);
        if (kt == "array" || kt == "object")
          errs.push_back(invalidValue(key(p + ".items.properties", name) + ".type", type(*items),
                                      "must be a scalar type if parent array's x-kubernetes-list-type is map"));
      } else {
        errs.push_back(invalidValue(p + ".x-kubernetes-list-map-keys", keys, "entries must all be names of item properties"));
      }
      if (!seen.insert(name).second)
        errs.push_back(invalidValue(p + ".x-kubernetes-list-map-keys", keys, "must not contain duplicate entries"));
    }
  }

  // Items of set and map lists are never null; map keys are required or defaulted, never null.
  void mapListKeys(const json& s, const std::string& p) {
    const json* items = itemSchema(s);
    const json lt = s.value("x-kubernetes-list-type", json());
    if (!items || (lt != "set" && lt != "map")) return;
    if (flag(*items, "nullable"))
      errs.push_back(forbidden(p + ".items.nullable", "cannot be nullable when x-kubernetes-list-type is " + lt.get<std::string>()));
    if (lt != "map") return;
    const json req = items->value("required", json::array());
    for (const auto& k : s.value("x-kubernetes-list-map-keys", json::array())) {
      const std::string name = k.is_string() ? k.get<std::string>() : "";
      if (!props(*items).contains(name)) continue;
      const json& ks = props(*items)[name];
      if (std::find(req.begin(), req.end(), k) == req.end() && !ks.contains("default"))
        errs.push_back(required(key(p + ".items.properties", name) + ".default",
                                "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"));
      if (flag(ks, "nullable"))
        errs.push_back(forbidden(key(p + ".items.properties", name) + ".nullable",
                                 "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"));
    }
  }

  // The fields of x-kubernetes-validations that can be checked without compiling CEL.
  void rules(const json& s, const std::string& p) {
    const json list = s.value("x-kubernetes-validations", json::array());
    for (size_t i = 0; i < list.size(); ++i) {
      const json& r = list[i];
      const std::string rp = idx(p + ".x-kubernetes-validations", i);
      const std::string rule = trimmed(r.value("rule", "")), message = r.value("message", "");
      const std::string msgExpr = r.value("messageExpression", "");
      if (rule.empty()) errs.push_back(required(rp + ".rule", "rule is not specified"));
      else if (!message.empty() && trimmed(message).empty())
        errs.push_back(invalidValue(rp + ".message", message, "message must be non-empty if specified"));
      else if (hasNewline(trimmed(message)))
        errs.push_back(invalidValue(rp + ".message", message, "message must not contain line breaks"));
      else if (hasNewline(rule) && trimmed(message).empty())
        errs.push_back(required(rp + ".message", "message must be specified if rule contains line breaks"));
      if (!msgExpr.empty() && trimmed(msgExpr).empty())
        errs.push_back(required(rp + ".messageExpression", "messageExpression must be non-empty if specified"));
      if (r.contains("reason") &&
          std::find(kRuleReasons.begin(), kRuleReasons.end(), r.value("reason", "")) == kRuleReasons.end())
        errs.push_back(notSupported(rp + ".reason", r["reason"], kRuleReasons));
      const std::string fieldPath = r.value("fieldPath", "");
      if (!fieldPath.empty() && trimmed(fieldPath).empty())
        errs.push_back(invalidValue(rp + ".fieldPath", fieldPath, "fieldPath must be non-empty if specified"));
      if (hasNewline(fieldPath))
        errs.push_back(invalidValue(rp + ".fieldPath", fieldPath, "fieldPath must not contain line breaks"));
      if (!fieldPath.empty() && !fieldPathValid(s, fieldPath))
        errs.push_back(invalidValue(rp + ".fieldPath", fieldPath, "fieldPath must be a valid path"));
    }
  }
};

// pruning.Prune would drop a field of `value`: one the schema does not know.
bool hasUnknownFields(const json& s, const json& value, bool resourceRoot) {
  if (value.is_array()) {
    const json* items = itemSchema(s);
    for (const auto& v : value)
      if (items && hasUnknownFields(*items, v, flag(*items, "x-kubernetes-embedded-resource"))) return true;
    return false;
  }
  if (!value.is_object() || flag(s, "x-kubernetes-preserve-unknown-fields")) return false;
  const json* additional = additionalSchema(s);
  const bool anyAdditional = s.value("additionalProperties", json()) == true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& k = it.key();
    if (resourceRoot && (k == "apiVersion" || k == "kind" || k == "metadata")) continue;
    const json* child = props(s).contains(k) ? &props(s)[k] : additional;
    if (!child && !anyAdditional) return true;
    if (child && hasUnknownFields(*child, *it, flag(*child, "x-kubernetes-embedded-resource"))) return true;
  }
  return false;
}

// ValidateDefaults: each default validates against its own schema and survives pruning.
// Defaults under additionalProperties are not visited (they are forbidden there).
void defaults(const json& s, const std::string& p, bool insideMeta, bool resourceRoot, Errors& errs) {
  if (!s.is_object()) return;
  const bool embedded = resourceRoot || flag(s, "x-kubernetes-embedded-resource");
  if (embedded) insideMeta = false;
  if (s.contains("default") && !insideMeta) {
    const json& d = s["default"];
    if (hasUnknownFields(s, d, embedded)) errs.push_back(invalidValue(p + ".default", d, "must not have unknown fields"));
    // field paths are relative to the default; the default itself is "<nil>" (a nil field.Path)
    for (auto& c : validateValue(s, d)) {
      const bool self = c.field.empty() || c.field == "<nil>";
      errs.push_back({c.reason, p + ".default" + (self ? "" : "." + c.field), c.message});
    }
  }
  if (const json* items = itemSchema(s)) defaults(*items, p + ".items", insideMeta, false, errs);
  for (auto it = props(s).begin(); it != props(s).end(); ++it) {
    bool meta = insideMeta || (embedded && (it.key() == "metadata" || it.key() == "apiVersion" || it.key() == "kind"));
    defaults(*it, key(p + ".properties", it.key()), meta, false, errs);
  }
}

}  // namespace

Errors validateSchema(const json& schema, const std::string& path, bool statusEnabled) {
  Errors errs;
  if (!schema.is_object()) return {invalidValue(path, schema, "must be an object")};
  if (statusEnabled) {
    if (has(schema, "type") && type(schema) != "object")
      errs.push_back(invalidValue(path + ".type", type(schema),
                                  "only \"object\" is allowed as the type at the root of the schema if the status "
                                  "subresource is enabled"));
    for (auto it = schema.begin(); it != schema.end(); ++it)
      if (has(schema, it.key().c_str()) && !kRootFieldsWithStatus.count(it.key())) {
        errs.push_back(invalidValue(path, "object",
                                    "only [Description Type Format Title Maximum ExclusiveMaximum Minimum "
                                    "ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems "
                                    "MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields "
                                    "XValidations] fields are allowed at the root of the schema if the status "
                                    "subresource is enabled"));
        break;
      }
  }
  if (flag(schema, "nullable")) errs.push_back(forbidden(path + ".nullable", "nullable cannot be true at the root"));
  Errors structural = structuralErrors(schema, path);
  errs.insert(errs.end(), structural.begin(), structural.end());
  if (structural.empty()) defaults(schema, path, false, true, errs);
  OpenApi openApi;
  openApi.node(schema, path, Context{}, true);
  errs.insert(errs.end(), openApi.errs.begin(), openApi.errs.end());
  return errs;
}

}  // namespace pmo::sandbox::crdcheck
