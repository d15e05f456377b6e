#include "sandbox/apply.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>

#include "common/yaml_json.hpp"
#include "sandbox/api_error.hpp"
#include "sandbox/managed_fields.hpp"

namespace pmo::sandbox {

namespace {

// handlers/patch.go applyPatcher: the body is YAML (JSON being YAML too).
nlohmann::json parseConfig(const std::string& body) {
  nlohmann::json config = nlohmann::json::parse(body, nullptr, false);
  if (config.is_discarded()) {
    try {
      config = pmo::yaml::toJson(YAML::Load(body));
    } catch (const std::exception& e) {
      throw badRequest(std::string("error decoding patch: ") + e.what());
    }
  }
  if (!config.is_object()) throw badRequest("error decoding patch: the applied configuration is not an object");
  return config;
}

void dropNulls(nlohmann::json& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end();) {
      if (it->is_null()) it = v.erase(it);
      else dropNulls(*it++);
    }
  } else if (v.is_array()) {
    for (auto& e : v) dropNulls(e);
  }
}

nlohmann::json mergeValue(const nlohmann::json& live, const nlohmann::json& config, const Shape& s);

// typed/merge.go visitListItems: items of both keep the configuration's order, items only
// the live list has stay where they were relative to them.
nlohmann::json mergeList(const nlohmann::json& lhs, const nlohmann::json& rhs, const Shape& s) {
  std::vector<std::string> keys;
  const Shape::List kind = s.list(lhs, rhs, keys);
  if (kind == Shape::List::Atomic) return rhs;
  std::vector<std::string> lk, rk;
  std::map<std::string, const nlohmann::json*> left, right;
  for (const auto& i : lhs) lk.push_back(left.emplace(Shape::itemKey(kind, keys, i), &i).first->first);
  for (const auto& i : rhs) rk.push_back(right.emplace(Shape::itemKey(kind, keys, i), &i).first->first);
  std::vector<std::string> shared;
  for (const auto& k : rk)
    if (left.count(k)) shared.push_back(k);
  size_t nextShared = 0;
  std::set<std::string> merged;
  nlohmann::json out = nlohmann::json::array();
  auto take = [&](const std::string& k) {
    merged.insert(k);
    auto l = left.find(k);
    const nlohmann::json& r = *right[k];
    out.push_back(l != left.end() && kind == Shape::List::Map ? mergeValue(*l->second, r, s.items()) : r);
    if (nextShared < shared.size() && shared[nextShared] == k) ++nextShared;
  };
  size_t li = 0, ri = 0;
  while (li < lk.size() || ri < rk.size()) {
    if (li < lk.size() && ri < rk.size()) {
      if (lk[li] == rk[ri]) {
        take(rk[ri++]);
        ++li;
        continue;
      }
      if (right.count(lk[li]) && nextShared < shared.size() && shared[nextShared] != lk[li]) {
        ++li;
        continue;
      }
    }
    if (li < lk.size()) {
      if (!right.count(lk[li])) {
        out.push_back(lhs[li++]);
        continue;
      }
      if (merged.count(lk[li])) {
        ++li;
        continue;
      }
    }
    if (ri < rk.size()) take(rk[ri++]);
  }
  return out;
}

nlohmann::json mergeValue(const nlohmann::json& live, const nlohmann::json& config, const Shape& s) {
  if (live.is_object() && config.is_object() && !s.atomicMap()) {
    nlohmann::json out = live;
    for (auto it = config.begin(); it != config.end(); ++it) {
      auto l = live.find(it.key());
      out[it.key()] = l == live.end() ? *it : mergeValue(*l, *it, s.field(it.key()));
    }
    return out;
  }
  if (live.is_array() && config.is_array()) return mergeList(live, config, s);
  return config;
}

// typed.RemoveItems of one path; maps and lists the removal empties go too.
void removeAt(nlohmann::json& node, const FieldPath& path, size_t i, const Shape& s) {
  const std::string& k = path[i];
  const bool last = i + 1 == path.size();
  if (k.rfind("f:", 0) == 0) {
    const std::string name = k.substr(2);
    if (!node.is_object() || !node.contains(name)) return;
    if (last) {
      node.erase(name);
      return;
    }
    nlohmann::json& sub = node[name];
    removeAt(sub, path, i + 1, s.field(name));
    if ((sub.is_object() || sub.is_array()) && sub.empty()) node.erase(name);
    return;
  }
  if (!node.is_array()) return;
  std::vector<std::string> keys;
  const Shape::List kind = s.list(node, node, keys);
  if (kind == Shape::List::Atomic) return;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (Shape::itemKey(kind, keys, *it) != k) continue;
    if (last) node.erase(it);
    else removeAt(*it, path, i + 1, s.items());
    return;
  }
}

// fieldmanager/internal/conflict.go printManager
std::string printManager(const ManagerEntry& m) {
  std::string s = goQuote(m.manager);
  if (!m.subresource.empty()) s += " with subresource " + goQuote(m.subresource);
  if (m.operation == "Update") s += " using " + m.apiVersion;
  return s;
}

// fieldmanager/internal/conflict.go NewConflictError / getConflictMessage
ApiError conflictError(const std::vector<std::pair<ManagerEntry, FieldSet>>& conflicts) {
  nlohmann::json causes = nlohmann::json::array();
  size_t count = 0;
  std::map<std::string, std::vector<std::string>> byManager;
  std::string first;
  for (const auto& [m, paths] : conflicts)
    for (const auto& p : paths) {
      ++count;
      causes.push_back({{"reason", "FieldManagerConflict"}, {"message", "conflict with " + printManager(m)}, {"field", pathString(p)}});
      byManager[printManager(m)].push_back(pathString(p));
      if (first.empty()) first = "conflict with " + printManager(m) + ": " + pathString(p);
    }
  std::string message = "Apply failed with 1 conflict: " + first;
  if (count > 1) {
    message = "Apply failed with " + std::to_string(count) + " conflicts: ";
    std::string lines;
    for (const auto& [manager, paths] : byManager) {
      lines += (lines.empty() ? "" : "\n") + std::string("conflicts with ") + manager + ":";
      for (const auto& p : paths) lines += "\n- " + p;
    }
    message += lines;
  }
  return ApiError(409, "Conflict", message, {{"causes", causes}});
}

FieldSet minus(const FieldSet& a, const FieldSet& b) {
  FieldSet out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

}  // namespace

bool isApplyPatch(const std::string& contentType) {
  return contentType.substr(0, contentType.find(';')) == "application/apply-patch+yaml";
}

void validateWriteOptions(const HttpRequest& req, const std::string& verb, bool apply) {
  std::vector<FieldCause> causes;
  const std::string manager = req.param("fieldManager");
  if (verb == "patch" && !apply && !req.param("force").empty())
    causes.push_back({"FieldValueForbidden", "force", "Forbidden: may not be specified for non-apply patch"});
  if (apply && manager.empty())
    causes.push_back({"FieldValueRequired", "fieldManager", "Required value: is required for apply patch"});
  if (manager.size() > 128)
    causes.push_back({"FieldValueTooLong", "fieldManager", "Too long: may not be more than 128 bytes"});
  for (size_t i = 0; i < manager.size(); ++i) {
    const auto c = static_cast<unsigned char>(manager[i]);
    if (c >= 0x20 && c != 0x7f) continue;
    char code[16];
    std::snprintf(code, sizeof code, "U+%04X", c);
    causes.push_back({"FieldValueInvalid", "fieldManager",
                      "Invalid value: " + goQuote(manager) + ": invalid character " + code + " (at position " +
                          std::to_string(i) + ")"});
  }
  const std::string kind = verb == "create" ? "CreateOptions" : verb == "update" ? "UpdateOptions" : "PatchOptions";
  if (!causes.empty()) throw invalid(kind, "meta.k8s.io", "", causes);
}

void refuseApplyOnSubresource(const Target& t) {
  if (!t.subresource.empty())
    throw ApiError(415, "UnsupportedMediaType",
                   "the sandbox does not implement server-side apply (application/apply-patch+yaml) on subresources (" +
                       t.subresource + ")");
}

std::pair<ObjectPtr, bool> applyObject(World& w, const Target& target, const std::string& body, bool force,
                                       bool dryRun) {
  const ResourceType& type = *target.type;
  refuseApplyOnSubresource(target);
  nlohmann::json config = parseConfig(body);
  // fieldmanager/internal/structuredmerge.go Apply
  const std::string want = type.apiVersion(target.version);
  const std::string got = config["apiVersion"].is_string() ? config["apiVersion"].get<std::string>() : "";
  if (got != want)
    throw badRequest("Incorrect version specified in apply patch. Specified patch version: " + got + ", expected: " + want);
  const std::string kind = config["kind"].is_string() ? config["kind"].get<std::string>() : "";
  if (kind != type.kind)
    throw badRequest("the API version in the data (" + got + ") and kind (" + kind + ") do not match the URL (" + want +
                     ", " + type.kind + ")");
  if (!config["metadata"].is_object()) config["metadata"] = nlohmann::json::object();
  if (config["metadata"].contains("managedFields") && !config["metadata"]["managedFields"].is_null())
    throw badRequest("metadata.managedFields must be nil");
  dropNulls(config);
  if (type.statusSubresource) config.erase("status");  // a reset field of the main resource
  ObjectPtr cur = w.store.find(type.key(), target.ns, target.name);
  // handlers/rest.go checkName
  const std::string name = metaString(config, "name"), ns = metaString(config, "namespace");
  if (name != target.name && (!cur || !name.empty()))
    throw badRequest("the name of the object (" + name + ") does not match the name on the URL (" + target.name + ")");
  if (!ns.empty() && type.namespaced && ns != target.ns)
    throw badRequest("the namespace of the object (" + ns + ") does not match the namespace on the URL (" + target.ns + ")");

  Target t = target;
  t.applied = true;
  const Shape shape = Shape::of(t);
  nlohmann::json live = cur ? present(type, t.version, *cur) : nlohmann::json::object();
  Managers managers = cur ? decodeManagedFields(live["metadata"].value("managedFields", nlohmann::json())) : Managers{};
  // skipnonapplied.go: fields of an object nobody manages yet belong to "before-first-apply"
  if (cur && managers.empty()) recordUpdate(managers, nlohmann::json::object(), live, shape, "before-first-apply", want, "");

  ManagerEntry self{t.fieldManager, "Apply", want, "", "", appliedFields(config, shape)};
  auto mine = std::find_if(managers.begin(), managers.end(), [&](const ManagerEntry& m) { return m.same(self); });
  FieldSet last;
  if (mine != managers.end()) {
    last = mine->fields;
    self.time = mine->time;
    *mine = self;
  } else {
    managers.push_back(self);
  }
  // merge/update.go prune: what this manager applied last time and omits now, unless owned
  nlohmann::json merged = mergeValue(live, config, shape);
  FieldSet owned;
  for (const auto& m : managers) owned.insert(m.fields.begin(), m.fields.end());
  for (const auto& p : minus(last, owned)) removeAt(merged, p, 0, shape);

  // merge/update.go update: changing what another manager owns is a conflict
  const Comparison c = compareObjects(live, merged, shape);
  FieldSet touched = c.modified;
  touched.insert(c.added.begin(), c.added.end());
  std::vector<std::pair<ManagerEntry, FieldSet>> conflicts;
  for (auto& m : managers) {
    if (m.same(self)) continue;
    FieldSet mc;
    std::set_intersection(m.fields.begin(), m.fields.end(), touched.begin(), touched.end(), std::inserter(mc, mc.end()));
    if (!mc.empty()) conflicts.emplace_back(m, mc);
    m.fields = minus(minus(m.fields, mc), c.removed);
  }
  if (!force && !conflicts.empty()) throw conflictError(conflicts);
  const bool changed = !(c.added.empty() && c.modified.empty() && c.removed.empty());
  for (auto& m : managers)
    if (m.same(self) && changed) m.time = nowRfc3339();  // managedfieldsupdater.go: only when the object changed
  nlohmann::json encoded = encodeManagedFields(managers);
  if (encoded.empty()) merged["metadata"].erase("managedFields");
  else merged["metadata"]["managedFields"] = std::move(encoded);
  if (!cur) return {createObject(w, t, std::move(merged), dryRun), true};
  return {updateObject(w, t, std::move(merged), dryRun), false};
}

}  // namespace pmo::sandbox
