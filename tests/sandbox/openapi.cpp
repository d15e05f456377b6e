// OpenAPI v3 as kubectl 1.32 uses it: /openapi/v3 lists one document per group/version;
// each document has the resource paths, whose PATCH operations declare the
// `fieldValidation` query parameter (so kubectl leaves validation to the server, which
// validates custom resources against their CRD schema), and, for custom resources, the
// CRD's schema as a component (so `kubectl explain` works). Built-in kinds have no schema
// here: kubectl then uses its compiled-in types. /openapi/v2 is not served (404); kubectl
// only falls back to it when v3 is missing.
#include "sandbox/openapi.hpp"

#include <set>

#include "sandbox/api.hpp"

namespace pmo::sandbox {

namespace {

std::string reverseGroup(const std::string& group) {
  if (group.empty()) return "io.k8s.api.core";
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = group.find('.', start);
    parts.push_back(group.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += (out.empty() ? "" : ".") + *it;
  return out;
}

nlohmann::json param(const char* name, const char* in = "query") {
  return {{"name", name}, {"in", in}, {"schema", {{"type", "string"}}}, {"uniqueItems", true}};
}

nlohmann::json operation(const ResourceType& t, const std::string& version, const std::string& action,
                         const std::string& schemaRef, bool patch) {
  nlohmann::json op = {{"operationId", action + t.kind},
                       {"x-kubernetes-action", action},
                       {"x-kubernetes-group-version-kind", {{"group", t.group}, {"version", version}, {"kind", t.kind}}},
                       {"responses", {{"200", {{"description", "OK"}}}}}};
  if (!schemaRef.empty())
    op["responses"]["200"]["content"] = {{"application/json", {{"schema", {{"$ref", schemaRef}}}}}};
  nlohmann::json params = nlohmann::json::array({param("dryRun"), param("fieldManager")});
  if (patch || action == "post" || action == "put") params.push_back(param("fieldValidation"));
  op["parameters"] = params;
  if (patch)
    op["requestBody"] = {{"content",
                          {{"application/json-patch+json", {{"schema", {{"type", "object"}}}}},
                           {"application/merge-patch+json", {{"schema", {{"type", "object"}}}}}}}};
  return op;
}

nlohmann::json groupVersionDoc(World& w, const std::string& group, const std::string& version) {
  nlohmann::json paths = nlohmann::json::object();
  nlohmann::json schemas = nlohmann::json::object();
  for (const auto& t : w.types.all()) {
    if (t->group != group || !t->serves(version)) continue;
    std::string base = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    std::string coll = base + (t->namespaced ? "/namespaces/{namespace}/" : "/") + t->resource;
    std::string ref;
    if (t->custom) {
      std::string name = reverseGroup(group) + "." + version + "." + t->kind;
      auto it = t->schemas.find(version);
      nlohmann::json s = it == t->schemas.end() ? nlohmann::json{{"type", "object"}} : it->second;
      s["x-kubernetes-group-version-kind"] = {{{"group", group}, {"version", version}, {"kind", t->kind}}};
      if (!s.contains("properties")) s["properties"] = nlohmann::json::object();
      s["properties"]["apiVersion"] = {{"type", "string"},
                                       {"description", "APIVersion defines the versioned schema of this representation of an object."}};
      s["properties"]["kind"] = {{"type", "string"}, {"description", "Kind is a string value representing the REST resource this object represents."}};
      s["properties"]["metadata"] = {{"type", "object"}, {"description", "Standard object's metadata."}};
      schemas[name] = s;
      ref = "#/components/schemas/" + name;
    }
    paths[coll] = {{"get", operation(*t, version, "list", "", false)}, {"post", operation(*t, version, "post", ref, false)}};
    paths[coll + "/{name}"] = {{"get", operation(*t, version, "get", ref, false)},
                               {"put", operation(*t, version, "put", ref, false)},
                               {"patch", operation(*t, version, "patch", ref, true)},
                               {"delete", operation(*t, version, "delete", "", false)}};
    if (t->statusSubresource)
      paths[coll + "/{name}/status"] = {{"get", operation(*t, version, "get", ref, false)},
                                        {"put", operation(*t, version, "put", ref, false)},
                                        {"patch", operation(*t, version, "patch", ref, true)}};
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0-sandbox"}}},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

std::set<std::pair<std::string, std::string>> groupVersions(World& w) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& t : w.types.all())
    for (const auto& v : t->versions) out.insert({t->group, v});
  return out;
}

}  // namespace

HttpResponse serveOpenApi(World& w, const HttpRequest& req) {
  const std::string& p = req.path;
  if (p == "/openapi/v3" || p == "/openapi/v3/") {
    nlohmann::json paths = nlohmann::json::object();
    for (const auto& [g, v] : groupVersions(w)) {
      std::string key = g.empty() ? "api/" + v : "apis/" + g + "/" + v;
      size_t hash = std::hash<std::string>{}(groupVersionDoc(w, g, v).dump());
      char buf[32];
      std::snprintf(buf, sizeof buf, "%016zX", hash);
      paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + buf}};
    }
    return jsonResponse(200, {{"paths", paths}});
  }
  const std::string prefix = "/openapi/v3/";
  if (p.rfind(prefix, 0) == 0) {
    std::string key = p.substr(prefix.size());
    for (const auto& [g, v] : groupVersions(w)) {
      std::string k = g.empty() ? "api/" + v : "apis/" + g + "/" + v;
      if (k == key) return jsonResponse(200, groupVersionDoc(w, g, v));
    }
  }
  return jsonResponse(404, statusJson(404, "NotFound", "the server could not find the requested resource",
                                      nlohmann::json::object()));
}

}  // namespace pmo::sandbox
