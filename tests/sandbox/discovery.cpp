// Discovery: /version, /api, /apis, /api/v1, /apis/<group>[/<version>], /healthz.
// Aggregated discovery (Accept: ...;g=apidiscovery.k8s.io;v=v2) is served as
// apidiscovery.k8s.io/v2 APIGroupDiscoveryList, which is what kubectl 1.32 asks for first.
#include <set>

#include "sandbox/api.hpp"
#include "sandbox/openapi.hpp"

namespace pmo::sandbox {

namespace {

const std::vector<std::string> kVerbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};

nlohmann::json resourceList(World& w, const std::string& group, const std::string& version) {
  nlohmann::json resources = nlohmann::json::array();
  for (const auto& t : w.types.all()) {
    if (t->group != group || !t->serves(version)) continue;
    nlohmann::json r = {{"name", t->resource},   {"singularName", t->singular}, {"namespaced", t->namespaced},
                        {"kind", t->kind},       {"verbs", kVerbs},             {"storageVersionHash", ""}};
    if (!t->shortNames.empty()) r["shortNames"] = t->shortNames;
    if (!t->categories.empty()) r["categories"] = t->categories;
    resources.push_back(r);
    auto sub = [&](const char* name, const std::string& kind, std::vector<std::string> verbs) {
      resources.push_back({{"name", t->resource + "/" + name}, {"singularName", ""}, {"namespaced", t->namespaced},
                           {"kind", kind}, {"verbs", verbs}});
    };
    if (t->statusSubresource) sub("status", t->kind, {"get", "patch", "update"});
    if (t->scaleSubresource) sub("scale", "Scale", {"get", "patch", "update"});
    if (t->logSubresource) sub("log", "Pod", {"get"});
  }
  return {{"kind", "APIResourceList"}, {"apiVersion", "v1"}, {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", resources}};
}

// group -> versions, preferred first
std::vector<std::pair<std::string, std::vector<std::string>>> groups(World& w) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& t : w.types.all()) {
    if (t->group.empty()) continue;
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first == t->group; });
    if (it == out.end()) {
      out.push_back({t->group, {}});
      it = out.end() - 1;
    }
    for (const auto& v : t->versions)
      if (std::find(it->second.begin(), it->second.end(), v) == it->second.end()) it->second.push_back(v);
  }
  return out;
}

nlohmann::json groupJson(const std::string& name, const std::vector<std::string>& versions) {
  nlohmann::json vs = nlohmann::json::array();
  for (const auto& v : versions) vs.push_back({{"groupVersion", name + "/" + v}, {"version", v}});
  return {{"name", name}, {"versions", vs}, {"preferredVersion", vs[0]}};
}

nlohmann::json aggregatedGroup(World& w, const std::string& group, const std::vector<std::string>& versions) {
  nlohmann::json vs = nlohmann::json::array();
  for (const auto& v : versions) {
    nlohmann::json rs = nlohmann::json::array();
    for (const auto& t : w.types.all()) {
      if (t->group != group || !t->serves(v)) continue;
      nlohmann::json r = {{"resource", t->resource},
                          {"responseKind", {{"group", group}, {"version", v}, {"kind", t->kind}}},
                          {"scope", t->namespaced ? "Namespaced" : "Cluster"},
                          {"singularResource", t->singular},
                          {"verbs", kVerbs}};
      if (!t->shortNames.empty()) r["shortNames"] = t->shortNames;
      if (!t->categories.empty()) r["categories"] = t->categories;
      nlohmann::json subs = nlohmann::json::array();
      auto sub = [&](const char* name, const std::string& g, const std::string& ver, const std::string& kind,
                     std::vector<std::string> verbs) {
        subs.push_back({{"subresource", name},
                        {"responseKind", {{"group", g}, {"version", ver}, {"kind", kind}}},
                        {"verbs", verbs}});
      };
      if (t->statusSubresource) sub("status", group, v, t->kind, {"get", "patch", "update"});
      if (t->scaleSubresource) sub("scale", "autoscaling", "v1", "Scale", {"get", "patch", "update"});
      if (t->logSubresource) sub("log", "", "v1", "Pod", {"get"});
      if (!subs.empty()) r["subresources"] = subs;
      rs.push_back(r);
    }
    vs.push_back({{"version", v}, {"resources", rs}, {"freshness", "Current"}});
  }
  nlohmann::json g = {{"metadata", {{"name", group}, {"creationTimestamp", nullptr}}}, {"versions", vs}};
  return g;
}

// The v2 (or v2beta1) version of aggregated discovery the client accepts, or "".
std::string aggregatedVersion(const HttpRequest& req) {
  std::string accept = req.header("accept");
  for (const char* v : {"v2", "v2beta1"}) {
    size_t start = 0;
    while (start < accept.size()) {
      size_t comma = accept.find(',', start);
      std::string part = accept.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (part.find("g=apidiscovery.k8s.io") != std::string::npos &&
          part.find(std::string("v=") + v + ";") != std::string::npos)
        return v;
      if (part.find("g=apidiscovery.k8s.io") != std::string::npos && part.size() >= std::strlen(v) + 2 &&
          part.compare(part.size() - std::strlen(v) - 2, std::string::npos, std::string("v=") + v) == 0)
        return v;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return "";
}

HttpResponse aggregated(World& w, bool core, const std::string& version) {
  nlohmann::json items = nlohmann::json::array();
  if (core) items.push_back(aggregatedGroup(w, "", {"v1"}));
  else
    for (const auto& [g, vs] : groups(w)) items.push_back(aggregatedGroup(w, g, vs));
  nlohmann::json body = {{"kind", "APIGroupDiscoveryList"}, {"apiVersion", "apidiscovery.k8s.io/" + version},
                         {"metadata", nlohmann::json::object()}, {"items", items}};
  return HttpResponse{200, "application/json;g=apidiscovery.k8s.io;v=" + version + ";as=APIGroupDiscoveryList",
                      body.dump(), {}};
}

}  // namespace

std::optional<HttpResponse> serveDiscovery(World& w, const HttpRequest& req) {
  const std::string& p = req.path;
  if (req.method != "GET") return std::nullopt;
  if (p == "/healthz" || p == "/livez" || p == "/readyz") return HttpResponse{200, "text/plain", "ok", {}};
  if (p == "/version")
    return jsonResponse(200, {{"major", "1"}, {"minor", "32"}, {"gitVersion", "v1.32.0-sandbox"},
                              {"gitCommit", "0000000000000000000000000000000000000000"}, {"gitTreeState", "clean"},
                              {"buildDate", "2024-12-11T00:00:00Z"}, {"goVersion", "go1.23.4"}, {"compiler", "gc"},
                              {"platform", "linux/amd64"}});
  if (p == "/api" || p == "/api/") {
    std::string v = aggregatedVersion(req);
    if (!v.empty()) return aggregated(w, true, v);
    return jsonResponse(200, {{"kind", "APIVersions"}, {"versions", {"v1"}},
                              {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", w.url.substr(w.url.find("://") + 3)}}}}});
  }
  if (p == "/apis" || p == "/apis/") {
    std::string v = aggregatedVersion(req);
    if (!v.empty()) return aggregated(w, false, v);
    nlohmann::json gs = nlohmann::json::array();
    for (const auto& [g, vs] : groups(w)) gs.push_back(groupJson(g, vs));
    return jsonResponse(200, {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", gs}});
  }
  if (p == "/api/v1") return jsonResponse(200, resourceList(w, "", "v1"));
  if (p.rfind("/openapi/", 0) == 0) return serveOpenApi(w, req);
  if (p.rfind("/apis/", 0) == 0) {
    std::string rest = p.substr(6);
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    size_t slash = rest.find('/');
    std::string group = rest.substr(0, slash);
    for (const auto& [g, vs] : groups(w)) {
      if (g != group) continue;
      if (slash == std::string::npos) {
        nlohmann::json body = groupJson(g, vs);
        body["kind"] = "APIGroup";
        body["apiVersion"] = "v1";
        return jsonResponse(200, body);
      }
      std::string version = rest.substr(slash + 1);
      if (std::find(vs.begin(), vs.end(), version) != vs.end()) return jsonResponse(200, resourceList(w, g, version));
    }
  }
  return std::nullopt;
}

}  // namespace pmo::sandbox
