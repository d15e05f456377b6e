#pragma once
// The API surface: authentication, fault injection, discovery, resources, admin endpoints.
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"
#include "sandbox/http_types.hpp"
#include "sandbox/objects.hpp"
#include "sandbox/world.hpp"

namespace pmo::sandbox {

struct Attributes;

HttpResponse jsonResponse(int status, const nlohmann::json& body);
HttpResponse errorResponse(const ApiError& e);

// A parsed resource path: /api/v1/... or /apis/<group>/<version>/...
struct ResourcePath {
  std::string group, version, ns, resource, name, subresource;
};
// False when `path` is not a resource path (discovery, or malformed).
bool parseResourcePath(const std::string& path, ResourcePath& out);
// The Kubernetes verb of a request to a resource path: get list watch create update patch
// delete deletecollection.
std::string verbFor(const HttpRequest& req, const ResourcePath& p);

// Discovery documents (/version, /api, /apis, group/version lists, /openapi); nullopt if
// the path is not one of them.
std::optional<HttpResponse> serveDiscovery(World& w, const HttpRequest& req);
// An authorized resource request (`attrs`: its authorizer attributes, for admission);
// admission checks go to `record`. nullopt: streamed (watch), logged when it began.
std::optional<HttpResponse> serveResource(World& w, const HttpRequest& req, ResponseStream& stream,
                                          RequestRecord& record, const Attributes& attrs);
// A list (list.cpp): consistent pages, resourceVersion/resourceVersionMatch, Table form.
HttpResponse serveList(World& w, const Target& t, const HttpRequest& req);
// A get's resourceVersion: nullopt once the store has it; waits briefly (the lock held by
// `lock` is released meanwhile), then the 504 kube-apiserver's watch cache answers.
std::optional<HttpResponse> awaitResourceVersion(World& w, std::unique_lock<std::mutex>& lock, const std::string& rv);
// 422 for watch options kube-apiserver refuses (resourceVersionMatch, sendInitialEvents).
void validateWatchOptions(const HttpRequest& req);
// `onBegin` runs just before the 200 stream begins (the request is logged then, not when
// the stream ends, which may be never in a test's life).
void serveWatch(World& w, const Target& t, const HttpRequest& req, ResponseStream& stream,
                const std::function<void()>& onBegin);
// Appends to the request log (Controls::requests), keeping the newest kMaxRequestRecords.
void logRequest(World& w, const RequestRecord& record);
// meta.k8s.io/v1 Table for `objects` (kubectl get).
nlohmann::json toTable(const ResourceType& type, const std::string& version, const std::vector<ObjectPtr>& objects,
                       const nlohmann::json& listMetadata, bool includeFullObject);
HttpResponse serveAdmin(World& w, Controls& controls, const HttpRequest& req);

// The whole handler given to the HTTP server.
std::optional<HttpResponse> handleRequest(World& w, Controls& controls, const HttpRequest& req,
                                          ResponseStream& stream);

}  // namespace pmo::sandbox
