// The self-review APIs: SelfSubjectAccessReview and SelfSubjectRulesReview
// (authorization.k8s.io/v1, `kubectl auth can-i [--list]`) and SelfSubjectReview
// (authentication.k8s.io/v1, `kubectl auth whoami`). Ports of
// pkg/registry/authorization/selfsubjectaccessreview/rest.go,
// pkg/registry/authorization/selfsubjectrulesreview/rest.go,
// pkg/apis/authorization/validation/validation.go (ValidateSelfSubjectAccessReviewSpec),
// pkg/registry/authentication/selfsubjectreview/rest.go. The reviews are not stored.
#include "sandbox/reviews.hpp"

#include "sandbox/api.hpp"
#include "sandbox/protobuf.hpp"

namespace pmo::sandbox {

namespace {

nlohmann::json parseReview(const HttpRequest& req, const std::string& kind) {
  if (req.header("content-type").rfind("application/vnd.kubernetes.protobuf", 0) == 0)
    return decodeKubeProtobuf(req.body);  // kubectl auth sends protobuf
  nlohmann::json body = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) throw badRequest("the object provided is unrecognized: not a " + kind);
  return body;
}

std::string str(const nlohmann::json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

HttpResponse accessReview(World& w, const HttpRequest& req, const UserInfo& user) {
  nlohmann::json review = parseReview(req, "SelfSubjectAccessReview");
  const nlohmann::json spec = review.value("spec", nlohmann::json::object());
  const bool hasResource = spec.contains("resourceAttributes") && spec["resourceAttributes"].is_object();
  const bool hasNonResource = spec.contains("nonResourceAttributes") && spec["nonResourceAttributes"].is_object();
  if (hasResource && hasNonResource)
    throw invalid("SelfSubjectAccessReview", "authorization.k8s.io", "",
                  {{"FieldValueInvalid", "spec.nonResourceAttributes",
                    "Invalid value: authorization.NonResourceAttributes{Path:" +
                        goQuote(str(spec["nonResourceAttributes"], "path")) +
                        ", Verb:" + goQuote(str(spec["nonResourceAttributes"], "verb")) +
                        "}: cannot be specified in combination with resourceAttributes"}});
  if (!hasResource && !hasNonResource)
    throw invalid("SelfSubjectAccessReview", "authorization.k8s.io", "",
                  {{"FieldValueInvalid", "spec.resourceAttributes",
                    "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be "
                    "specified"}});
  Attributes a;
  a.user = user;
  if (hasResource) {
    const auto& r = spec["resourceAttributes"];
    a.resourceRequest = true;
    a.verb = str(r, "verb");
    a.ns = str(r, "namespace");
    a.group = str(r, "group");
    a.version = str(r, "version");
    a.resource = str(r, "resource");
    a.subresource = str(r, "subresource");
    a.name = str(r, "name");
  } else {
    a.verb = str(spec["nonResourceAttributes"], "verb");
    a.path = str(spec["nonResourceAttributes"], "path");
  }
  const Decision d = authorize(w, a);
  nlohmann::json status = {{"allowed", d.allowed}};
  if (!d.reason.empty()) status["reason"] = d.reason;
  return jsonResponse(201, {{"kind", "SelfSubjectAccessReview"},
                            {"apiVersion", "authorization.k8s.io/v1"},
                            {"metadata", {{"creationTimestamp", nullptr}}},
                            {"spec", spec},
                            {"status", status}});
}

HttpResponse rulesReview(World& w, const HttpRequest& req, const UserInfo& user) {
  const nlohmann::json review = parseReview(req, "SelfSubjectRulesReview");
  const std::string ns = str(review.value("spec", nlohmann::json::object()), "namespace");
  if (ns.empty()) throw badRequest("no namespace on request");
  const Rules rules = rulesFor(w, user, ns);
  nlohmann::json status = {{"resourceRules", rules.resourceRules},
                           {"nonResourceRules", rules.nonResourceRules},
                           {"incomplete", false}};
  if (!rules.evaluationError.empty()) status["evaluationError"] = rules.evaluationError;
  return jsonResponse(201, {{"kind", "SelfSubjectRulesReview"},
                            {"apiVersion", "authorization.k8s.io/v1"},
                            {"metadata", {{"creationTimestamp", nullptr}}},
                            {"spec", nlohmann::json::object()},
                            {"status", status}});
}

HttpResponse subjectReview(const HttpRequest& req, const UserInfo& user) {
  parseReview(req, "SelfSubjectReview");
  return jsonResponse(201, {{"kind", "SelfSubjectReview"},
                            {"apiVersion", "authentication.k8s.io/v1"},
                            {"metadata", {{"creationTimestamp", nullptr}}},
                            {"status", {{"userInfo", userInfoJson(user)}}}});
}

}  // namespace

std::optional<HttpResponse> serveReview(World& w, const HttpRequest& req, const ResourcePath& p,
                                        const UserInfo& user) {
  const bool authorization = p.group == "authorization.k8s.io" && p.version == "v1";
  const bool authentication = p.group == "authentication.k8s.io" && p.version == "v1";
  const bool known = (authorization && (p.resource == "selfsubjectaccessreviews" || p.resource == "selfsubjectrulesreviews")) ||
                     (authentication && p.resource == "selfsubjectreviews");
  if (!known || !p.ns.empty() || !p.subresource.empty()) return std::nullopt;
  if (req.method != "POST" || !p.name.empty())
    throw ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  if (p.resource == "selfsubjectaccessreviews") return accessReview(w, req, user);
  if (p.resource == "selfsubjectrulesreviews") return rulesReview(w, req, user);
  return subjectReview(req, user);
}

}  // namespace pmo::sandbox
