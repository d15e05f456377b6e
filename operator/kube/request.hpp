#pragma once
// Pure request building and response interpretation for the Kubernetes API (kube-rs
// style: requests are values built here and sent by the transport, http_client_cpprest).
//
// Guarantees: no I/O, no credentials (the transport adds the Authorization header);
// path segments and query values are percent-encoded; the same inputs always build the
// same request, so every shape is covered by unit tests.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kube/client.hpp"
#include "kube/errors.hpp"
#include "kube/resource.hpp"

namespace pmo::kube {

inline constexpr const char* kContentTypeJson = "application/json";
inline constexpr const char* kContentTypeMergePatch = "application/merge-patch+json";
inline constexpr const char* kContentTypeJsonPatch = "application/json-patch+json";
inline constexpr const char* kContentTypeStrategicMergePatch = "application/strategic-merge-patch+json";

struct HttpRequest {
  std::string method;       // GET POST PUT PATCH DELETE
  std::string path;         // absolute path with the query string, e.g. "/api/v1/pods?limit=5"
  std::string body;         // empty for GET
  std::string contentType;  // empty when there is no body
  std::string verb;         // API verb for metrics: get list watch create update patch delete
  std::string resource;     // plural, "+/status" for the subresource, for metrics and messages
};

namespace request {

// RFC 3986 unreserved characters pass; everything else becomes %XX.
std::string percentEncode(const std::string& value);

HttpRequest get(const Resource& r, const std::string& ns, const std::string& name);
HttpRequest list(const Resource& r, const std::string& ns, const ListOptions& opts);
HttpRequest watch(const Resource& r, const std::string& ns, const WatchOptions& opts);
HttpRequest create(const Resource& r, const std::string& ns, const Json& object);
// Name (and namespace, when `ns` is empty) come from the object's metadata; its
// metadata.resourceVersion travels in the body as the optimistic-concurrency precondition.
HttpRequest update(const Resource& r, const std::string& ns, const Json& object);
HttpRequest updateStatus(const Resource& r, const std::string& ns, const Json& object);
HttpRequest patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                  const Json& patch, bool statusSubresource);
HttpRequest remove(const Resource& r, const std::string& ns, const std::string& name, Propagation propagation,
                   const std::optional<std::string>& preconditionResourceVersion);
// A raw GET path ("/version", "/apis"): must start with '/'.
HttpRequest getRaw(const std::string& path);

const char* contentType(PatchType type);
const char* toString(Propagation propagation);

}  // namespace request

// Maps an HTTP error response to an ApiError. `body` is parsed as a metav1 Status when it
// is one (reason, message, details.retryAfterSeconds); `retryAfterHeader` is the raw
// Retry-After header value ("" when absent; delta-seconds only, HTTP dates are ignored).
// 409 with reason AlreadyExists is AlreadyExists, any other 409 Conflict; 410 or reason
// Expired/Gone is Gone. The message is the server's; without one it names the code and
// carries the start of the body.
ApiError errorFromResponse(int httpCode, const std::string& body, const std::string& retryAfterHeader = "");
// The same for a Status object already parsed (a watch ERROR event).
ApiError errorFromStatus(const Json& status, int fallbackCode = 0);

}  // namespace pmo::kube
