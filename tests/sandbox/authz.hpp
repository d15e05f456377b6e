#pragma once
// Authorization as kube-apiserver's RBAC authorizer decides it, from the Roles,
// ClusterRoles and bindings in the store (rbac_bootstrap.cpp adds the defaults a cluster
// starts with). system:masters is allowed everything, before RBAC (the privileged-group
// authorizer). Not evaluated: aggregated ClusterRoles (aggregationRule: the real
// controller fills their rules; here their own `rules` are all they grant), impersonation.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"
#include "sandbox/authn.hpp"
#include "sandbox/http_types.hpp"
#include "sandbox/world.hpp"

namespace pmo::sandbox {

// authorizer.Attributes.
struct Attributes {
  UserInfo user;
  std::string verb;  // get list watch create update patch delete deletecollection; lower-case HTTP method for paths
  bool resourceRequest = false;
  std::string path;  // the URL path (non-resource requests are authorized by it)
  std::string group, version, resource, subresource, ns, name;
};

// What kube-apiserver's RequestInfoFactory makes of a request (requestinfo.go): /api and
// /apis paths with a resource are resource requests (namespace, resource, name,
// subresource; GET without a name is list, or watch with ?watch other than false/0, and a
// fieldSelector metadata.name=X names the object; DELETE without a name is
// deletecollection); everything else is a non-resource request with the HTTP verb.
Attributes requestAttributes(const HttpRequest& req, const UserInfo& user);

struct Decision {
  bool allowed = false;
  std::string reason;  // "RBAC: allowed by ...", or why rules could not be resolved
};

// Requires the store lock.
Decision authorizeLocked(World& w, const Attributes& a);
// Takes the store lock.
Decision authorize(World& w, const Attributes& a);

// The rules that apply to `user` in `ns` (SelfSubjectRulesReview): authorization.k8s.io/v1
// ResourceRule and NonResourceRule lists, and the errors met resolving role references.
struct Rules {
  nlohmann::json resourceRules = nlohmann::json::array();
  nlohmann::json nonResourceRules = nlohmann::json::array();
  std::string evaluationError;
};
Rules rulesFor(World& w, const UserInfo& user, const std::string& ns);

// Creates the ClusterRoles and ClusterRoleBindings every cluster starts with that the
// sandbox's users need: cluster-admin (system:masters), system:discovery and
// system:basic-user (system:authenticated), system:public-info-viewer. Requires the store lock.
void bootstrapRbac(World& w);

// 403 as kube-apiserver's WithAuthorization answers a denied request
// (responsewriters/errors.go Forbidden and forbiddenMessage).
ApiError forbidden(const Attributes& a, const std::string& reason);

}  // namespace pmo::sandbox
