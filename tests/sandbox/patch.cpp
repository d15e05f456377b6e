#include "sandbox/patch.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox {

namespace {

const char* const kMergeKeys[] = {"name", "containerPort", "port", "uid", "type", "ip", "devicePath", "mountPath"};

// Lists whose merge key is not the first of kMergeKeys their elements carry (their elements
// may also have a `name`): k8s.io/api/core/v1/types.go patchMergeKey (container ports by
// containerPort, service ports by port).
const std::pair<const char*, const char*> kFieldMergeKeys[] = {
    {"volumeMounts", "mountPath"}, {"volumeDevices", "devicePath"}, {"ports", "containerPort"}, {"ports", "port"}};

}  // namespace

std::string strategicMergeKey(const std::string& field, const nlohmann::json& a, const nlohmann::json& b) {
  std::vector<const char*> keys;
  for (const auto& fk : kFieldMergeKeys)
    if (field == fk.first) keys.push_back(fk.second);
  keys.insert(keys.end(), std::begin(kMergeKeys), std::end(kMergeKeys));
  for (const char* k : keys) {
    bool all = true;
    for (const auto* list : {&a, &b})
      for (const auto& e : *list)
        if (!e.is_object() || (!e.contains(k) && !e.contains("$patch"))) all = false;
    if (all && !(a.empty() && b.empty())) return k;
  }
  return "";
}

namespace {

void strategicMerge(nlohmann::json& target, const nlohmann::json& patch);

nlohmann::json mergeList(const std::string& field, const nlohmann::json& current, const nlohmann::json& patch) {
  std::string key = strategicMergeKey(field, current, patch);
  if (key.empty()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : patch)
      if (!(e.is_object() && e.contains("$patch"))) out.push_back(e);
    return out;
  }
  nlohmann::json out = current;
  for (const auto& p : patch) {
    if (p.value("$patch", "") == "replace") return nlohmann::json::array();
    auto it = std::find_if(out.begin(), out.end(), [&](const nlohmann::json& e) {
      return e.contains(key) && p.contains(key) && e[key] == p[key];
    });
    if (p.value("$patch", "") == "delete") {
      if (it != out.end()) out.erase(it);
      continue;
    }
    if (it != out.end()) strategicMerge(*it, p);
    else {
      nlohmann::json fresh = nlohmann::json::object();
      strategicMerge(fresh, p);
      out.push_back(fresh);
    }
  }
  return out;
}

void strategicMerge(nlohmann::json& target, const nlohmann::json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = nlohmann::json::object();
  if (patch.value("$patch", "") == "replace") {
    target = nlohmann::json::object();
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& k = it.key();
    if (k == "$patch" || k == "$retainKeys" || k.rfind("$setElementOrder/", 0) == 0) continue;
    if (k.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string field = k.substr(std::string("$deleteFromPrimitiveList/").size());
      if (target.contains(field) && target[field].is_array()) {
        auto& list = target[field];
        for (const auto& v : *it) list.erase(std::remove(list.begin(), list.end(), v), list.end());
      }
      continue;
    }
    if (it->is_null()) {
      target.erase(k);
    } else if (it->is_object()) {
      if (it->value("$patch", "") == "delete") {
        target.erase(k);
        continue;
      }
      strategicMerge(target[k], *it);
    } else if (it->is_array() && target.contains(k) && target[k].is_array()) {
      target[k] = mergeList(k, target[k], *it);
    } else if (it->is_array()) {
      target[k] = mergeList(k, nlohmann::json::array(), *it);
    } else {
      target[k] = *it;
    }
  }
}

nlohmann::json parse(const std::string& body) {
  try {
    return nlohmann::json::parse(body);
  } catch (const std::exception& e) {
    throw badRequest(std::string("error decoding patch: ") + e.what());
  }
}

}  // namespace

nlohmann::json applyPatch(const std::string& contentType, const nlohmann::json& current, const std::string& body,
                          bool allowStrategic) {
  std::string type = contentType.substr(0, contentType.find(';'));
  if (type == "application/merge-patch+json") {
    nlohmann::json out = current;
    out.merge_patch(parse(body));
    return out;
  }
  if (type == "application/json-patch+json") {
    nlohmann::json ops = parse(body);
    if (!ops.is_array()) throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    try {
      return current.patch(ops);
    } catch (const nlohmann::json::exception& e) {
      // kube-apiserver answers a failed operation (also a failed `test`) with 422
      throw ApiError(422, "Invalid", std::string("the server rejected our request: ") + e.what());
    }
  }
  if (type == "application/strategic-merge-patch+json") {
    if (!allowStrategic)
      throw ApiError(415, "UnsupportedMediaType",
                     "the body of the request was in an unknown format - accepted media types include: "
                     "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
    nlohmann::json out = current;
    strategicMerge(out, parse(body));
    return out;
  }
  throw ApiError(415, "UnsupportedMediaType",
                 "the body of the request was in an unknown format - accepted media types include: "
                 "application/json-patch+json, application/merge-patch+json" +
                     std::string(allowStrategic ? ", application/strategic-merge-patch+json" : "") +
                     ", application/apply-patch+yaml");
}

}  // namespace pmo::sandbox
