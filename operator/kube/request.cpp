// Pure request building: see request.hpp. Query parameters follow the API server's
// names exactly (labelSelector, fieldSelector, limit, continue, resourceVersion,
// watch, allowWatchBookmarks, timeoutSeconds, propagationPolicy).
#include "kube/request.hpp"

#include <utility>
#include <vector>

namespace pmo::kube::request {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

std::string withQuery(std::string path, const Query& query) {
  char sep = '?';
  for (const auto& [key, value] : query) {
    path += sep;
    path += key;
    path += '=';
    path += percentEncode(value);
    sep = '&';
  }
  return path;
}

std::string collection(const Resource& r, const std::string& ns) {
  if (r.namespaced && !ns.empty()) {
    return r.basePath() + "/namespaces/" + percentEncode(ns) + "/" + r.plural;
  }
  return r.basePath() + "/" + r.plural;
}

std::string object(const Resource& r, const std::string& ns, const std::string& name) {
  if (name.empty()) {
    throw ApiError(ErrorReason::BadRequest, 0, "a " + r.kind + " request needs a name (resource " + r.plural + ")");
  }
  if (r.namespaced && ns.empty()) {
    throw ApiError(ErrorReason::BadRequest, 0,
                   r.kind + " " + name + " is namespaced: the request needs a namespace");
  }
  return collection(r, ns) + "/" + percentEncode(name);
}

std::string metadataString(const Json& object, const char* field) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto it = meta->find(field);
  return (it != meta->end() && it->is_string()) ? it->get<std::string>() : "";
}

HttpRequest put(const Resource& r, const std::string& ns, const Json& obj, bool status) {
  std::string name = metadataString(obj, "name");
  std::string effectiveNs = ns.empty() ? metadataString(obj, "namespace") : ns;
  HttpRequest req{"PUT", object(r, effectiveNs, name) + (status ? "/status" : ""), obj.dump(), kContentTypeJson,
                  "update", r.plural + (status ? "/status" : "")};
  return req;
}

}  // namespace

std::string percentEncode(const std::string& value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

HttpRequest get(const Resource& r, const std::string& ns, const std::string& name) {
  return {"GET", object(r, ns, name), "", "", "get", r.plural};
}

HttpRequest list(const Resource& r, const std::string& ns, const ListOptions& opts) {
  Query q;
  if (!opts.labelSelector.empty()) q.emplace_back("labelSelector", opts.labelSelector);
  if (!opts.fieldSelector.empty()) q.emplace_back("fieldSelector", opts.fieldSelector);
  if (opts.limit > 0) q.emplace_back("limit", std::to_string(opts.limit));
  if (!opts.continueToken.empty()) q.emplace_back("continue", opts.continueToken);
  if (!opts.resourceVersion.empty()) q.emplace_back("resourceVersion", opts.resourceVersion);
  return {"GET", withQuery(collection(r, ns), q), "", "", "list", r.plural};
}

HttpRequest watch(const Resource& r, const std::string& ns, const WatchOptions& opts) {
  Query q{{"watch", "1"}};
  if (!opts.labelSelector.empty()) q.emplace_back("labelSelector", opts.labelSelector);
  if (!opts.fieldSelector.empty()) q.emplace_back("fieldSelector", opts.fieldSelector);
  if (!opts.resourceVersion.empty()) q.emplace_back("resourceVersion", opts.resourceVersion);
  if (opts.allowBookmarks) q.emplace_back("allowWatchBookmarks", "true");
  if (opts.timeoutSeconds > 0) q.emplace_back("timeoutSeconds", std::to_string(opts.timeoutSeconds));
  return {"GET", withQuery(collection(r, ns), q), "", "", "watch", r.plural};
}

HttpRequest create(const Resource& r, const std::string& ns, const Json& obj) {
  std::string effectiveNs = ns.empty() ? metadataString(obj, "namespace") : ns;
  if (r.namespaced && effectiveNs.empty()) {
    throw ApiError(ErrorReason::BadRequest, 0, "creating a " + r.kind + " needs a namespace");
  }
  return {"POST", collection(r, effectiveNs), obj.dump(), kContentTypeJson, "create", r.plural};
}

HttpRequest update(const Resource& r, const std::string& ns, const Json& obj) { return put(r, ns, obj, false); }

HttpRequest updateStatus(const Resource& r, const std::string& ns, const Json& obj) { return put(r, ns, obj, true); }

HttpRequest patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                  const Json& patchBody, bool statusSubresource) {
  if (type == PatchType::Json && !patchBody.is_array()) {
    throw ApiError(ErrorReason::BadRequest, 0, "a JSON Patch must be an array of operations");
  }
  return {"PATCH", object(r, ns, name) + (statusSubresource ? "/status" : ""), patchBody.dump(), contentType(type),
          "patch", r.plural + (statusSubresource ? "/status" : "")};
}

HttpRequest remove(const Resource& r, const std::string& ns, const std::string& name, Propagation propagation,
                   const std::optional<std::string>& preconditionResourceVersion) {
  Json options{{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"propagationPolicy", toString(propagation)}};
  if (preconditionResourceVersion) {
    options["preconditions"] = {{"resourceVersion", *preconditionResourceVersion}};
  }
  return {"DELETE", object(r, ns, name), options.dump(), kContentTypeJson, "delete", r.plural};
}

HttpRequest getRaw(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    throw ApiError(ErrorReason::BadRequest, 0, "a raw API path must start with '/': " + path);
  }
  return {"GET", path, "", "", "get", path};
}

const char* contentType(PatchType type) {
  switch (type) {
    case PatchType::Merge: return kContentTypeMergePatch;
    case PatchType::Json: return kContentTypeJsonPatch;
    case PatchType::StrategicMerge: return kContentTypeStrategicMergePatch;
  }
  return kContentTypeMergePatch;
}

const char* toString(Propagation propagation) {
  switch (propagation) {
    case Propagation::Background: return "Background";
    case Propagation::Foreground: return "Foreground";
    case Propagation::Orphan: return "Orphan";
  }
  return "Background";
}

}  // namespace pmo::kube::request
