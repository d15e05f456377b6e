// A request's authorizer attributes, and the 403 for a denied one. Ports of
// staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go (NewRequestInfo) and
// staging/src/k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go
// (Forbidden, forbiddenMessage) with apimachinery's errors.NewForbidden.
#include <algorithm>
#include <cctype>

#include "sandbox/authz.hpp"

namespace pmo::sandbox {

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size() && path[start] == '/') ++start;
  size_t end = path.size();
  while (end > start && path[end - 1] == '/') --end;
  if (start >= end) return parts;
  const std::string trimmed = path.substr(start, end - start);
  size_t i = 0;
  while (true) {
    const size_t slash = trimmed.find('/', i);
    parts.push_back(trimmed.substr(i, slash == std::string::npos ? std::string::npos : slash - i));
    if (slash == std::string::npos) break;
    i = slash + 1;
  }
  return parts;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The X of a field selector that requires metadata.name=X (or ==X) among its terms.
std::string exactName(const std::string& selector) {
  size_t start = 0;
  while (start <= selector.size()) {
    const size_t comma = selector.find(',', start);
    const std::string term = selector.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    for (const char* prefix : {"metadata.name==", "metadata.name="})
      if (term.rfind(prefix, 0) == 0) return term.substr(std::string(prefix).size());
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return "";
}

// path.IsValidPathSegmentName: not "." or "..", no '/' or '%'.
bool validPathSegment(const std::string& name) {
  return name != "." && name != ".." && name.find('/') == std::string::npos && name.find('%') == std::string::npos;
}

// Forbidden's sanitizer: the message may quote a request path.
std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

}  // namespace

Attributes requestAttributes(const HttpRequest& req, const UserInfo& user) {
  Attributes a;
  a.user = user;
  a.path = req.path;
  a.verb = lower(req.method);
  std::vector<std::string> parts = splitPath(req.path);
  if (parts.size() < 3 || (parts[0] != "api" && parts[0] != "apis")) return a;
  const bool grouped = parts[0] == "apis";
  parts.erase(parts.begin());
  if (grouped) {
    if (parts.size() < 3) return a;
    a.group = parts[0];
    parts.erase(parts.begin());
  }
  a.resourceRequest = true;
  a.version = parts[0];
  parts.erase(parts.begin());
  if (parts[0] == "proxy" || parts[0] == "watch") {  // the deprecated /api/v1/watch/... forms
    a.verb = parts[0];
    parts.erase(parts.begin());
    if (parts.empty()) return a;
  } else {
    const std::string& m = req.method;
    a.verb = m == "POST" ? "create" : (m == "GET" || m == "HEAD") ? "get" : m == "PUT" ? "update"
             : m == "PATCH" ? "patch" : m == "DELETE" ? "delete" : "";
  }
  if (parts[0] == "namespaces") {
    if (parts.size() > 1) {
      a.ns = parts[1];
      if (parts.size() > 2 && parts[2] != "status" && parts[2] != "finalize") parts.erase(parts.begin(), parts.begin() + 2);
    }
  }
  if (parts.size() >= 3 && a.verb != "proxy") a.subresource = parts[2];
  if (parts.size() >= 2) a.name = parts[1];
  a.resource = parts[0];
  if (a.name.empty() && a.verb == "get") {
    auto watch = req.query.find("watch");
    a.verb = watch == req.query.end() || lower(watch->second) == "false" || watch->second == "0" ? "list" : "watch";
    const std::string name = exactName(req.param("fieldSelector"));
    if (!name.empty() && validPathSegment(name)) a.name = name;
  }
  if (a.name.empty() && a.verb == "delete") a.verb = "deletecollection";
  return a;
}

ApiError forbidden(const Attributes& a, const std::string& reason) {
  std::string msg;
  if (!a.resourceRequest) {
    msg = "User " + goQuote(a.user.name) + " cannot " + a.verb + " path " + goQuote(a.path);
  } else {
    const std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
    msg = "User " + goQuote(a.user.name) + " cannot " + a.verb + " resource " + goQuote(resource) + " in API group " +
          goQuote(a.group) + (a.ns.empty() ? " at the cluster scope" : " in the namespace " + goQuote(a.ns));
  }
  msg = sanitize(msg);
  if (!reason.empty()) msg += ": " + reason;
  nlohmann::json details = nlohmann::json::object();
  if (!a.name.empty()) details["name"] = a.name;
  if (!a.group.empty()) details["group"] = a.group;
  if (!a.resource.empty()) details["kind"] = a.resource;
  std::string message;
  if (a.resource.empty() && a.group.empty()) message = "forbidden: " + msg;
  else if (a.name.empty()) message = qualifiedResource(a.resource, a.group) + " is forbidden: " + msg;
  else message = qualifiedResource(a.resource, a.group) + " " + goQuote(a.name) + " is forbidden: " + msg;
  return ApiError(403, "Forbidden", message, details);
}

}  // namespace pmo::sandbox
