#pragma once
// Authentication: who sent a request. Two kinds of bearer token, as on a cluster:
//  - the admin token (Options::token): user "sandbox-admin" in system:masters, which the
//    authorizer allows everything (kube-apiserver's privileged-group authorizer);
//  - ServiceAccount tokens, issued by the TokenRequest API
//    (POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token, `kubectl create token`) or
//    Controls::createServiceAccountToken: user system:serviceaccount:<ns>:<name>, valid until
//    they expire and only while that ServiceAccount (the same uid) exists.
// Anything else is 401: the sandbox has no anonymous user.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/http_types.hpp"
#include "sandbox/world.hpp"

namespace pmo::sandbox {

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

inline constexpr const char* kAdminUser = "sandbox-admin";
inline constexpr const char* kMastersGroup = "system:masters";
// The audience the API server accepts (kube-apiserver's --api-audiences default: its issuer).
inline constexpr const char* kApiAudience = "https://kubernetes.default.svc.cluster.local";

// The user of the request, or nullopt (401). Takes the store lock for the ServiceAccount.
std::optional<UserInfo> authenticate(World& w, const HttpRequest& req);

// authentication.k8s.io/v1 UserInfo as SelfSubjectReview reports it.
nlohmann::json userInfoJson(const UserInfo& user);

struct IssuedTokenView {
  std::string token;
  std::string expirationTimestamp;  // RFC 3339
  std::vector<std::string> audiences;
};
// Issues a token for the ServiceAccount. Requires the store lock; throws ApiError 404 when
// the ServiceAccount does not exist.
IssuedTokenView issueServiceAccountToken(World& w, const std::string& ns, const std::string& name,
                                         long expirationSeconds, std::vector<std::string> audiences);

// The TokenRequest subresource (authentication.k8s.io/v1 TokenRequest in, 201 with
// status.token out). Port of pkg/registry/core/serviceaccount/storage/token.go and
// pkg/apis/authentication/validation (expirationSeconds bounds).
HttpResponse serveTokenRequest(World& w, const HttpRequest& req, const std::string& ns, const std::string& name);

}  // namespace pmo::sandbox
