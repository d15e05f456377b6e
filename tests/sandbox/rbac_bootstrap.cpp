// The default RBAC policy a cluster bootstraps, the part the sandbox's users rely on: port of
// plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (ClusterRoles,
// ClusterRoleBindings). Left out: the controllers' and nodes' roles (the sandbox's
// simulated controllers are not API clients) and the aggregated admin/edit/view roles.
#include "sandbox/authz.hpp"
#include "sandbox/objects.hpp"

namespace pmo::sandbox {

namespace {

nlohmann::json metadata(const std::string& name) {
  return {{"name", name},
          {"labels", {{"kubernetes.io/bootstrapping", "rbac-defaults"}}},
          {"annotations", {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}};
}

nlohmann::json urls(std::vector<std::string> paths) {
  return {{"verbs", {"get"}}, {"nonResourceURLs", paths}};
}

}  // namespace

void bootstrapRbac(World& w) {
  const nlohmann::json roles = {
      {{"metadata", metadata("cluster-admin")},
       {"rules",
        {{{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}}, {{"verbs", {"*"}}, {"nonResourceURLs", {"*"}}}}}},
      {{"metadata", metadata("system:discovery")},
       {"rules", nlohmann::json::array({urls({"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                        "/readyz", "/version", "/version/"})})}},
      {{"metadata", metadata("system:basic-user")},
       {"rules",
        {{{"verbs", {"create"}},
          {"apiGroups", {"authorization.k8s.io"}},
          {"resources", {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}}},
         {{"verbs", {"create"}}, {"apiGroups", {"authentication.k8s.io"}}, {"resources", {"selfsubjectreviews"}}}}}},
      {{"metadata", metadata("system:public-info-viewer")},
       {"rules", nlohmann::json::array({urls({"/healthz", "/livez", "/readyz", "/version", "/version/"})})}},
  };
  auto group = [](const char* name) {
    return nlohmann::json{{"kind", "Group"}, {"apiGroup", "rbac.authorization.k8s.io"}, {"name", name}};
  };
  const std::vector<std::pair<std::string, nlohmann::json>> bindings = {
      {"cluster-admin", nlohmann::json::array({group("system:masters")})},
      {"system:discovery", nlohmann::json::array({group("system:authenticated")})},
      {"system:basic-user", nlohmann::json::array({group("system:authenticated")})},
      {"system:public-info-viewer",
       nlohmann::json::array({group("system:authenticated"), group("system:unauthenticated")})},
  };
  auto roleType = w.types.byKey("rbac.authorization.k8s.io/clusterroles");
  auto bindingType = w.types.byKey("rbac.authorization.k8s.io/clusterrolebindings");
  for (const auto& role : roles) createInternal(w, *roleType, role);
  for (const auto& [name, subjects] : bindings)
    createInternal(w, *bindingType,
                   {{"metadata", metadata(name)},
                    {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", name}}},
                    {"subjects", subjects}});
}

}  // namespace pmo::sandbox
