#include "sandbox/managed_fields.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <tuple>

#include "sandbox/api_error.hpp"
#include "sandbox/patch.hpp"

namespace pmo::sandbox {

namespace {

FieldPath child(FieldPath p, const std::string& key) {
  p.push_back(key);
  return p;
}

// What kube-apiserver's stripMeta manager never records (fieldmanager/internal/stripmeta.go).
nlohmann::json stripped(const nlohmann::json& o) {
  nlohmann::json c = o.is_object() ? o : nlohmann::json::object();
  c.erase("apiVersion");
  c.erase("kind");
  if (c.contains("metadata") && c["metadata"].is_object())
    for (const char* f : {"name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation",
                          "managedFields", "resourceVersion"})
      c["metadata"].erase(f);
  return c;
}

// Every path of `v` at `p` (compare: a side that is absent adds or removes all of them).
void allPaths(const nlohmann::json& v, const Shape& s, const FieldPath& p, FieldSet& out) {
  out.insert(p);
  if (v.is_object() && !s.atomicMap()) {
    for (auto it = v.begin(); it != v.end(); ++it) allPaths(*it, s.field(it.key()), child(p, "f:" + it.key()), out);
  } else if (v.is_array()) {
    std::vector<std::string> keys;
    Shape::List kind = s.list(v, v, keys);
    if (kind == Shape::List::Atomic) return;
    for (const auto& item : v) allPaths(item, s.items(), child(p, Shape::itemKey(kind, keys, item)), out);
  }
}

void compareAt(const nlohmann::json* a, const nlohmann::json* b, const Shape& s, const FieldPath& p, Comparison& c) {
  if (!a) return allPaths(*b, s, p, c.added);
  if (!b) return allPaths(*a, s, p, c.removed);
  if (a->is_object() && b->is_object() && !s.atomicMap()) {
    for (auto it = a->begin(); it != a->end(); ++it) {
      auto other = b->find(it.key());
      compareAt(&*it, other == b->end() ? nullptr : &*other, s.field(it.key()), child(p, "f:" + it.key()), c);
    }
    for (auto it = b->begin(); it != b->end(); ++it)
      if (!a->contains(it.key())) compareAt(nullptr, &*it, s.field(it.key()), child(p, "f:" + it.key()), c);
    return;
  }
  if (a->is_array() && b->is_array()) {
    std::vector<std::string> keys;
    Shape::List kind = s.list(*a, *b, keys);
    if (kind != Shape::List::Atomic) {
      std::map<std::string, const nlohmann::json*> before, after;
      for (const auto& i : *a) before.emplace(Shape::itemKey(kind, keys, i), &i);
      for (const auto& i : *b) after.emplace(Shape::itemKey(kind, keys, i), &i);
      for (const auto& [k, i] : before) compareAt(i, after.count(k) ? after[k] : nullptr, s.items(), child(p, k), c);
      for (const auto& [k, i] : after)
        if (!before.count(k)) compareAt(nullptr, i, s.items(), child(p, k), c);
      return;
    }
  }
  if (*a != *b) c.modified.insert(p);
}

void toFieldSet(const nlohmann::json& v, const Shape& s, const FieldPath& p, FieldSet& out) {
  if (v.is_object() && !s.atomicMap()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const FieldPath cp = child(p, "f:" + it.key());
      toFieldSet(*it, s.field(it.key()), cp, out);
      if (!s.declares(it.key())) out.insert(cp);
    }
    return;
  }
  if (v.is_array()) {
    std::vector<std::string> keys;
    Shape::List kind = s.list(v, v, keys);
    if (kind != Shape::List::Atomic) {
      for (const auto& item : v) {
        FieldPath ip = child(p, Shape::itemKey(kind, keys, item));
        out.insert(ip);
        if (kind == Shape::List::Map) toFieldSet(item, s.items(), ip, out);
      }
      return;
    }
  }
  out.insert(p);
}

void decodeNode(const nlohmann::json& node, const FieldPath& p, FieldSet& out) {
  if (!node.is_object()) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    FieldPath c = child(p, it.key());
    if (it.key() == "." || it->empty()) out.insert(it.key() == "." ? p : c);
    else decodeNode(*it, c, out);
  }
}

void collapse(nlohmann::json& node) {
  for (auto& [k, v] : node.items()) {
    if (k == ".") continue;
    if (v.size() == 1 && v.contains(".")) v = nlohmann::json::object();
    else collapse(v);
  }
}

std::string valueString(const nlohmann::json& v) { return v.is_null() ? "null" : goValue(v); }

}  // namespace

Shape Shape::of(const Target& t) {
  Shape s;
  s.root_ = true;
  s.custom_ = t.type->custom;
  auto it = t.type->schemas.find(t.version);
  if (s.custom_ && it != t.type->schemas.end()) s.schema_ = &it->second;
  return s;
}

Shape Shape::field(const std::string& name) const {
  Shape s;
  s.name_ = name;
  s.custom_ = custom_ && !(root_ && name == "metadata");
  if (s.custom_ && schema_) {
    const auto props = schema_->find("properties");
    const auto extra = schema_->find("additionalProperties");
    if (props != schema_->end() && props->contains(name)) s.schema_ = &(*props)[name];
    else if (extra != schema_->end() && extra->is_object()) s.schema_ = &*extra;
  }
  return s;
}

Shape Shape::items() const {
  Shape s = *this;  // a list's shape is never the root's
  s.schema_ = nullptr;
  if (custom_ && schema_ && schema_->contains("items") && (*schema_)["items"].is_object()) s.schema_ = &(*schema_)["items"];
  return s;
}

bool Shape::declares(const std::string& name) const {
  if (!custom_) return true;  // built-ins: treated as declared everywhere
  if (!schema_) return false;
  const auto props = schema_->find("properties");
  return props != schema_->end() && props->is_object() && props->contains(name);
}

bool Shape::atomicMap() const {
  if (custom_) return schema_ && schema_->value("x-kubernetes-map-type", "") == "atomic";
  // LabelSelector is +structType=atomic, Service selector and nodeSelector +mapType=atomic.
  return name_ == "selector" || name_ == "nodeSelector";
}

Shape::List Shape::list(const nlohmann::json& a, const nlohmann::json& b, std::vector<std::string>& keys) const {
  keys.clear();
  if (custom_) {
    if (!schema_) return List::Atomic;
    std::string type = schema_->value("x-kubernetes-list-type", "atomic");
    if (type == "set") return List::Set;
    if (type != "map") return List::Atomic;
    for (const auto& k : schema_->value("x-kubernetes-list-map-keys", nlohmann::json::array()))
      if (k.is_string()) keys.push_back(k.get<std::string>());
    return keys.empty() ? List::Atomic : List::Map;
  }
  // ObjectMeta.Finalizers is +listType=set; other lists of scalars are atomic.
  bool scalars = std::all_of(a.begin(), a.end(), [](const auto& e) { return e.is_primitive(); }) &&
                 std::all_of(b.begin(), b.end(), [](const auto& e) { return e.is_primitive(); });
  if (name_ == "finalizers" && scalars) return List::Set;
  std::string key = strategicMergeKey(name_, a, b);
  if (key.empty()) return List::Atomic;
  keys.push_back(key);
  // ContainerPort and ServicePort are +listMapKey=<port> +listMapKey=protocol
  if (name_ == "ports" && (key == "containerPort" || key == "port")) keys.push_back("protocol");
  return List::Map;
}

std::string Shape::itemKey(List kind, const std::vector<std::string>& keys, const nlohmann::json& item) {
  if (kind == List::Set) return "v:" + item.dump();
  nlohmann::json k = nlohmann::json::object();
  for (const auto& name : keys) {
    if (name == "protocol" && item.is_object() && !item.contains(name)) {
      k[name] = "TCP";  // the key's default (core/v1 +default="TCP"), as structured-merge-diff uses it
      continue;
    }
    if (!item.is_object() || !item.contains(name))
      throw ApiError(500, "InternalError",
                     "Internal error occurred: associative list with keys has an element that omits key field " +
                         goQuote(name) + " (and doesn't have default value)");
    k[name] = item[name];
  }
  return "k:" + k.dump();
}

bool ManagerEntry::same(const ManagerEntry& o) const {
  return manager == o.manager && operation == o.operation && subresource == o.subresource &&
         (operation == "Apply" || apiVersion == o.apiVersion);
}

FieldSet fieldsV1ToSet(const nlohmann::json& fieldsV1) {
  FieldSet out;
  decodeNode(fieldsV1, {}, out);
  return out;
}

nlohmann::json setToFieldsV1(const FieldSet& set) {
  nlohmann::json root = nlohmann::json::object();
  for (const auto& path : set) {
    if (path.empty()) continue;
    nlohmann::json* node = &root;
    for (const auto& k : path) {
      node = &(*node)[k];
      if (!node->is_object()) *node = nlohmann::json::object();
    }
    (*node)["."] = nlohmann::json::object();
  }
  collapse(root);
  return root;
}

std::string pathString(const FieldPath& path) {
  std::string out;
  for (const auto& k : path) {
    std::string rest = k.substr(2);
    if (k.rfind("f:", 0) == 0) out += "." + rest;
    else if (k.rfind("v:", 0) == 0) out += "[=" + valueString(nlohmann::json::parse(rest, nullptr, false)) + "]";
    else if (k.rfind("i:", 0) == 0) out += "[" + rest + "]";
    else if (k.rfind("k:", 0) == 0) {
      std::string fields;
      const nlohmann::json keys = nlohmann::json::parse(rest, nullptr, false);
      for (auto it = keys.begin(); keys.is_object() && it != keys.end(); ++it) {
        const std::string& name = it.key();
        const nlohmann::json& v = *it;
        fields += (fields.empty() ? "" : ",") + name + "=" + valueString(v);
      }
      out += "[" + fields + "]";
    }
  }
  return out;
}

Managers decodeManagedFields(const nlohmann::json& managedFields) {
  Managers out;
  if (!managedFields.is_array()) return out;
  try {
    for (const auto& e : managedFields) {
      ManagerEntry m{e.at("manager").get<std::string>(), e.value("operation", ""), e.value("apiVersion", ""),
                     e.value("time", ""), e.value("subresource", ""),
                     fieldsV1ToSet(e.value("fieldsV1", nlohmann::json::object()))};
      if (m.operation != "Apply" && m.operation != "Update") return {};
      out.push_back(std::move(m));
    }
  } catch (const nlohmann::json::exception&) {
    return {};
  }
  return out;
}

nlohmann::json encodeManagedFields(const Managers& managers) {
  Managers sorted;
  for (const auto& m : managers)
    if (!m.fields.empty()) sorted.push_back(m);
  // fieldmanager/internal/managedfields.go sortEncodedManagedFields (RFC 3339 UTC sorts as time)
  std::stable_sort(sorted.begin(), sorted.end(), [](const ManagerEntry& p, const ManagerEntry& q) {
    return std::tie(p.operation, p.time, p.manager, p.apiVersion, p.subresource) <
           std::tie(q.operation, q.time, q.manager, q.apiVersion, q.subresource);
  });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : sorted) {
    nlohmann::json e = {{"manager", m.manager}, {"operation", m.operation}, {"apiVersion", m.apiVersion}};
    if (!m.time.empty()) e["time"] = m.time;
    e["fieldsType"] = "FieldsV1";
    e["fieldsV1"] = setToFieldsV1(m.fields);
    if (!m.subresource.empty()) e["subresource"] = m.subresource;
    out.push_back(std::move(e));
  }
  return out;
}

FieldSet appliedFields(const nlohmann::json& config, const Shape& shape) {
  FieldSet out;
  toFieldSet(stripped(config), shape, {}, out);
  out.erase(FieldPath{"f:metadata"});
  return out;
}

Comparison compareObjects(const nlohmann::json& before, const nlohmann::json& after, const Shape& shape) {
  Comparison c;
  nlohmann::json a = stripped(before), b = stripped(after);
  compareAt(&a, &b, shape, {}, c);
  for (auto* s : {&c.added, &c.modified, &c.removed}) s->erase(FieldPath{"f:metadata"});
  return c;
}

std::string managerFor(const Target& t) {
  if (!t.fieldManager.empty()) return t.fieldManager;
  return t.userAgent.substr(0, std::min<size_t>(t.userAgent.find('/'), 128));
}

void recordUpdate(Managers& managers, const nlohmann::json& before, const nlohmann::json& after, const Shape& shape,
                  const std::string& manager, const std::string& apiVersion, const std::string& subresource) {
  Comparison c = compareObjects(before, after, shape);
  FieldSet taken;
  std::set_union(c.modified.begin(), c.modified.end(), c.added.begin(), c.added.end(), std::inserter(taken, taken.end()));
  for (auto& m : managers) {
    FieldSet keep;
    for (const auto& p : m.fields)
      if (!taken.count(p) && !c.removed.count(p)) keep.insert(p);
    m.fields = std::move(keep);
  }
  if (!taken.empty()) {
    // managedfieldsupdater.go: the fields an operation took join its manager's, and only
    // then is the manager's time updated
    ManagerEntry mine{manager, "Update", apiVersion, nowRfc3339(), subresource, taken};
    auto it = std::find_if(managers.begin(), managers.end(), [&](const ManagerEntry& m) { return m.same(mine); });
    if (it == managers.end()) managers.push_back(std::move(mine));
    else {
      it->fields.insert(taken.begin(), taken.end());
      it->time = mine.time;
    }
  }
  managers.erase(std::remove_if(managers.begin(), managers.end(), [](const ManagerEntry& m) { return m.fields.empty(); }),
                 managers.end());
}

void stampUpdate(const Target& t, const nlohmann::json* before, nlohmann::json& next) {
  if (t.applied) return;
  nlohmann::json& meta = next["metadata"];
  const nlohmann::json given = meta.value("managedFields", nlohmann::json());
  Managers managers;
  const bool reset = given.is_array() && given.size() == 1 && given[0].is_object() && given[0].empty();
  if (!reset) {
    managers = decodeManagedFields(given);
    if (managers.empty() && before)
      managers = decodeManagedFields(before->value("metadata", nlohmann::json::object()).value("managedFields", nlohmann::json()));
  }
  recordUpdate(managers, before ? *before : nlohmann::json::object(), next, Shape::of(t), managerFor(t), t.type->apiVersion(t.version),
               t.subresource == "status" ? "status" : "");
  nlohmann::json encoded = encodeManagedFields(managers);
  if (encoded.empty()) meta.erase("managedFields");
  else meta["managedFields"] = std::move(encoded);
}

}  // namespace pmo::sandbox
