#include "sandbox/api.hpp"

#include <thread>

#include "sandbox/authn.hpp"
#include "sandbox/authz.hpp"
#include "sandbox/reviews.hpp"

namespace pmo::sandbox {

HttpResponse jsonResponse(int status, const nlohmann::json& body) {
  // Strings from a request may hold bytes that are not UTF-8: replaced, never a failed answer.
  return HttpResponse{status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), {}};
}

HttpResponse errorResponse(const ApiError& e) { return jsonResponse(e.code(), e.status()); }

bool parseResourcePath(const std::string& path, ResourcePath& out) {
  std::vector<std::string> seg;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string s = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!s.empty()) seg.push_back(s);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  size_t i;
  if (seg.size() >= 3 && seg[0] == "api") {
    out.version = seg[1];
    i = 2;
  } else if (seg.size() >= 4 && seg[0] == "apis") {
    out.group = seg[1];
    out.version = seg[2];
    i = 3;
  } else {
    return false;
  }
  std::vector<std::string> rest(seg.begin() + static_cast<long>(i), seg.end());
  if (rest.size() >= 3 && rest[0] == "namespaces" && !(rest.size() == 3 && (rest[2] == "status" || rest[2] == "finalize"))) {
    out.ns = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) return false;
  out.resource = rest[0];
  if (rest.size() > 1) out.name = rest[1];
  if (rest.size() > 2) out.subresource = rest[2];
  return true;
}

namespace {

// A resource request that passed authorization: the TokenRequest and self-review APIs,
// else the stored resources.
std::optional<HttpResponse> serveApi(World& w, const HttpRequest& req, const ResourcePath& rp, const Attributes& attrs,
                                     ResponseStream& stream, RequestRecord& record) {
  if (rp.group.empty() && rp.resource == "serviceaccounts" && rp.subresource == "token" && !rp.ns.empty())
    return serveTokenRequest(w, req, rp.ns, rp.name);
  if (auto review = serveReview(w, req, rp, attrs.user)) return review;
  return serveResource(w, req, stream, record, attrs);
}

}  // namespace

// The order of kube-apiserver's handler chain: authentication (401), then (the sandbox's
// stand-in for priority and fairness) injected faults, then authorization (403), then the
// handler. Admin endpoints are non-resource paths: the admin's token (system:masters) may
// use them, a ServiceAccount only with a nonResourceURLs grant.
std::optional<HttpResponse> handleRequest(World& w, Controls& controls, const HttpRequest& req,
                                          ResponseStream& stream) {
  const std::optional<UserInfo> user = authenticate(w, req);
  if (!user) return jsonResponse(401, statusJson(401, "Unauthorized", "Unauthorized"));
  const Attributes attrs = requestAttributes(req, *user);
  if (req.path.rfind("/sandbox/v1/", 0) == 0) {
    const Decision d = authorize(w, attrs);
    if (!d.allowed) return errorResponse(forbidden(attrs, d.reason));
    return serveAdmin(w, controls, req);
  }

  ResourcePath rp;
  const bool isResource = parseResourcePath(req.path, rp);
  const std::string verb = isResource ? verbFor(req, rp) : "";
  const std::string resource = rp.subresource.empty() ? rp.resource : rp.resource + "/" + rp.subresource;
  FaultState fault;
  {
    std::lock_guard<std::mutex> lock(w.faultMutex);
    fault = w.faults;
    const bool matches = (fault.verb.empty() || fault.verb == verb) && (fault.resource.empty() || fault.resource == resource);
    if (!matches) fault.remaining = 0;
    else if (w.faults.remaining > 0) --w.faults.remaining;
    for (const auto& d : fault.targetedDelays) {
      if ((d.user.empty() || d.user == user->name) && (d.verb.empty() || d.verb == verb) &&
          (d.resource.empty() || d.resource == resource))
        fault.delay = std::max(fault.delay, d.delay);
    }
  }
  // In steps, so that a long delay ends when the server stops (its World goes away then).
  for (const auto until = std::chrono::steady_clock::now() + fault.delay;
       !w.stopping && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(20), until - std::chrono::steady_clock::now()));

  RequestRecord record;
  record.at = std::chrono::system_clock::now();
  record.userAgent = req.header("user-agent");
  record.user = user->name;
  if (isResource) {
    record.group = rp.group;
    record.resource = resource;
    record.ns = rp.ns;
    record.name = rp.name;
    record.verb = verb;
  }
  std::optional<HttpResponse> response;
  if (fault.remaining > 0) {
    HttpResponse r = jsonResponse(fault.code, statusJson(fault.code, fault.reason,
                                                         "sandbox: injected failure (" + fault.reason + ")",
                                                         fault.retryAfterSeconds > 0
                                                             ? nlohmann::json{{"retryAfterSeconds", fault.retryAfterSeconds}}
                                                             : nlohmann::json(nullptr)));
    if (fault.retryAfterSeconds > 0) r.headers.push_back({"Retry-After", std::to_string(fault.retryAfterSeconds)});
    response = r;
  } else if (const Decision d = authorize(w, attrs); !d.allowed) {
    response = errorResponse(forbidden(attrs, d.reason));
  } else if (!isResource) {
    response = serveDiscovery(w, req);
    if (!response)
      response = jsonResponse(404, statusJson(404, "NotFound", "the server could not find the requested resource",
                                              nlohmann::json::object()));
    return response;
  } else {
    try {
      response = serveApi(w, req, rp, attrs, stream, record);
    } catch (const ApiError& e) {
      response = errorResponse(e);
    }
    if (!response) return response;  // a watch, logged when its stream began
  }
  record.code = response->status;
  if (!record.verb.empty()) logRequest(w, record);
  return response;
}

void logRequest(World& w, const RequestRecord& record) {
  std::lock_guard<std::mutex> lock(w.requestMutex);
  w.requests.push_back(record);
  if (w.requests.size() > kMaxRequestRecords) w.requests.pop_front();
}

}  // namespace pmo::sandbox
