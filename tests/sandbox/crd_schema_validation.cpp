// A CRD version's openAPIV3Schema must be structural before kube-apiserver serves it
// (apiextensions-apiserver pkg/apiserver/schema/validation.go, complete.go): a type on every
// node, root metadata restricted to name/generateName, nothing structural inside
// allOf/anyOf/oneOf/not, consistent x-kubernetes-* extensions. The other schema rules and the
// defaults are in crd_schema_openapi.cpp.
#include <algorithm>

#include "sandbox/crd_validation_internal.hpp"
#include "sandbox/schema_regex.hpp"

namespace pmo::sandbox::crdcheck {

namespace {

enum class Level { Root, Item, Field };


}  // namespace

std::string patternError(const std::string& pattern) { return regex::search(pattern, "").error; }

namespace {

// anyOf: [{type: integer}, {type: string}] exactly: the two IntOrString exceptions.
bool intOrStringAnyOf(const json& s) {
  auto it = s.find("anyOf");
  return it != s.end() && *it == json::array({{{"type", "integer"}}, {{"type", "string"}}});
}
bool intOrStringAllOf(const json& s) {
  auto it = s.find("allOf");
  return it != s.end() && it->is_array() && !it->empty() && intOrStringAnyOf((*it)[0]);
}

// ---- structural invariants (ValidateStructural) ----

class Structural {
 public:
  Errors errs;

  void node(const json& s, Level lvl, const std::string& p) {
    if (!s.is_object()) return;
    const std::string t = type(s);
    if (t == "array" && !itemSchema(s)) errs.push_back(required(p + ".items", "must be specified"));
    if (const json* items = itemSchema(s)) node(*items, Level::Item, p + ".items");
    for (auto it = props(s).begin(); it != props(s).end(); ++it) node(*it, Level::Field, key(p + ".properties", it.key()));
    if (s.contains("additionalProperties")) {
      if (lvl == Level::Root) errs.push_back(forbidden(p + ".additionalProperties", "must not be used at the root"));
      if (const json* a = additionalSchema(s)) node(*a, Level::Field, p + ".additionalProperties");
    }
    const bool intOrString = flag(s, "x-kubernetes-int-or-string");
    const bool preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
    const bool embedded = flag(s, "x-kubernetes-embedded-resource");
    if (intOrString && preserve)
      errs.push_back(invalidValue(p + ".x-kubernetes-preserve-unknown-fields", true, "must be false if x-kubernetes-int-or-string is true"));
    if (intOrString && embedded)
      errs.push_back(invalidValue(p + ".x-kubernetes-embedded-resource", true, "must be false if x-kubernetes-int-or-string is true"));
    valueValidation(s, intOrStringAnyOf(s), intOrStringAllOf(s), p);

    const bool checkMetadata = lvl == Level::Root || embedded;
    if (embedded && t != "object") {
      if (t.empty()) errs.push_back(required(p + ".type", "must be object if x-kubernetes-embedded-resource is true"));
      else errs.push_back(invalidValue(p + ".type", t, "must be object if x-kubernetes-embedded-resource is true"));
    } else if (t.empty() && !intOrString && !preserve) {
      static const char* where[] = {"must not be empty at the root", "must not be empty for specified array items",
                                    "must not be empty for specified object fields"};
      errs.push_back(required(p + ".type", where[static_cast<int>(lvl)]));
    }
    if (embedded && s.contains("additionalProperties"))
      errs.push_back(forbidden(p + ".additionalProperties", "must not be used if x-kubernetes-embedded-resource is set"));
    if (lvl == Level::Root && !t.empty() && t != "object")
      errs.push_back(invalidValue(p + ".type", t, "must be object at the root"));
    for (const char* field : {"kind", "apiVersion"})
      if (checkMetadata && props(s).contains(field) && type(props(s)[field]) != "string")
        errs.push_back(invalidValue(key(p + ".properties", field) + ".type", type(props(s)[field]), "must be string"));
    if (props(s).contains("metadata")) metadata(props(s)["metadata"], checkMetadata, lvl, key(p + ".properties", "metadata"));
    if (embedded && !preserve && props(s).empty())
      errs.push_back(required(p + ".properties",
                              "must not be empty if x-kubernetes-embedded-resource is true without "
                              "x-kubernetes-preserve-unknown-fields"));
  }

 private:
  // At the root, metadata may say `type: object` (and restrict name/generateName) and nothing
  // else: kube-apiserver owns ObjectMeta's schema.
  void metadata(const json& s, bool checkMetadata, Level lvl, const std::string& p) {
    if (checkMetadata && type(s) != "object") errs.push_back(invalidValue(p + ".type", type(s), "must be object"));
    if (lvl != Level::Root || !s.is_object()) return;
    json rest = s;
    rest.erase("type");
    rest.erase("default");
    rest.erase("example");
    rest.erase("externalDocs");
    const json& ps = props(s);
    bool onlyNames = (ps.size() == 2 && ps.contains("name") && ps.contains("generateName")) ||
                     (ps.size() == 1 && (ps.contains("name") || ps.contains("generateName")));
    if (onlyNames || ps.empty()) rest.erase("properties");
    bool anything = false;
    for (auto it = rest.begin(); it != rest.end(); ++it) anything = anything || has(rest, it.key().c_str());
    if (anything)
      errs.push_back(forbidden(p, "must not specify anything other than name and generateName, but metadata is implicitly specified"));
  }

  void valueValidation(const json& s, bool skipAnyOf, bool skipFirstAllOfAnyOf, const std::string& p) {
    if (!skipAnyOf) junctor(s, "anyOf", p, -1);
    junctor(s, "allOf", p, skipFirstAllOfAnyOf ? 0 : -1);
    junctor(s, "oneOf", p, -1);
    if (s.contains("not") && s["not"].is_object()) nested(s["not"], false, p + ".not");
    if (has(s, "pattern") && s["pattern"].is_string()) {
      std::string err = patternError(s["pattern"].get<std::string>());
      if (!err.empty())
        errs.push_back(invalidValue(p + ".pattern", s["pattern"], "must be a valid regular expression, but isn't: " + err));
    }
  }

  void junctor(const json& s, const char* name, const std::string& p, int skipAnyOfAt) {
    auto it = s.find(name);
    if (it == s.end() || !it->is_array()) return;
    for (size_t i = 0; i < it->size(); ++i) nested((*it)[i], static_cast<int>(i) == skipAnyOfAt, idx(p + "." + name, i));
  }

  // Inside a junctor only value validations may appear.
  void nested(const json& v, bool skipAnyOf, const std::string& p) {
    if (!v.is_object()) return;
    valueValidation(v, skipAnyOf, false, p);
    if (const json* items = itemSchema(v)) nested(*items, false, p + ".items");
    for (auto it = props(v).begin(); it != props(v).end(); ++it) nested(*it, false, key(p + ".properties", it.key()));
    struct Rule { const char* key; const char* detail; };
    static const Rule rules[] = {
        {"type", "must be empty to be structural"},
        {"additionalProperties", "must be undefined to be structural"},
        {"default", "must be undefined to be structural"},
        {"title", "must be empty to be structural"},
        {"description", "must be empty to be structural"},
        {"nullable", "must be false to be structural"},
        {"x-kubernetes-preserve-unknown-fields", "must be false to be structural"},
        {"x-kubernetes-embedded-resource", "must be false to be structural"},
        {"x-kubernetes-int-or-string", "must be false to be structural"},
        {"x-kubernetes-list-map-keys", "must be empty to be structural"},
        {"x-kubernetes-list-type", "must be undefined to be structural"},
        {"x-kubernetes-map-type", "must be undefined to be structural"},
        {"x-kubernetes-validations", "must be empty to be structural"},
    };
    for (const Rule& r : rules)
      if (has(v, r.key)) errs.push_back(forbidden(p + "." + r.key, r.detail));
    if (props(v).contains("metadata"))
      errs.push_back(forbidden(key(p + ".properties", "metadata"), "must not be specified in a nested context"));
  }
};

// Every property or items named inside the root's junctors exists in the structural part.
void completeness(const json* s, const json& v, const std::string& sPath, const std::string& vPath, bool top, Errors& errs) {
  if (!s) {
    errs.push_back(required(sPath, "because it is defined in " + vPath));
    return;
  }
  for (const char* name : {"allOf", "anyOf", "oneOf"}) {
    auto it = v.find(name);
    if (it == v.end() || !it->is_array()) continue;
    for (size_t i = 0; i < it->size(); ++i) completeness(s, (*it)[i], sPath, idx(vPath + "." + name, i), false, errs);
  }
  if (v.contains("not") && v["not"].is_object()) completeness(s, v["not"], sPath, vPath + ".not", false, errs);
  if (top) return;
  if (const json* vi = itemSchema(v)) completeness(itemSchema(*s), *vi, sPath + ".items", vPath + ".items", false, errs);
  for (auto it = props(v).begin(); it != props(v).end(); ++it) {
    const json& sp = props(*s);
    const json* child = sp.contains(it.key()) ? &sp[it.key()] : nullptr;
    completeness(child, *it, key(sPath + ".properties", it.key()), key(vPath + ".properties", it.key()), false, errs);
  }
}

}  // namespace

Errors structuralErrors(const json& schema, const std::string& path) {
  Structural check;
  check.node(schema, Level::Root, path);
  completeness(&schema, schema, path, path, true, check.errs);
  // ValidateStructural sorts by the printed error, so the order does not depend on map order
  std::sort(check.errs.begin(), check.errs.end(), [](const FieldCause& a, const FieldCause& b) {
    return a.field + ": " + a.message < b.field + ": " + b.message;
  });
  return std::move(check.errs);
}

}  // namespace pmo::sandbox::crdcheck
