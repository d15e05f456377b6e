#pragma once
// For the authorization tests: ServiceAccounts, their tokens, and RBAC objects made by the
// admin, and a client that sends a ServiceAccount's token.
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {

inline nlohmann::json rule(std::vector<std::string> groups, std::vector<std::string> resources,
                           std::vector<std::string> verbs, std::vector<std::string> names = {}) {
  nlohmann::json r = {{"apiGroups", groups}, {"resources", resources}, {"verbs", verbs}};
  if (!names.empty()) r["resourceNames"] = names;
  return r;
}

class RbacTest : public SandboxTest {
 protected:
  static constexpr const char* kNs = "team";
  static constexpr const char* kSa = "bot";
  static constexpr const char* kUser = "system:serviceaccount:team:bot";

  void SetUp() override {
    SandboxTest::SetUp();
    ASSERT_EQ(client->post("/api/v1/namespaces", {{"metadata", {{"name", kNs}}}}).status, 201);
    createServiceAccount(kNs, kSa);
    bot = std::make_unique<Client>(server->url(), server->caPem(), server->controls().createServiceAccountToken(kNs, kSa));
  }
  void createServiceAccount(const std::string& ns, const std::string& name) {
    auto r = client->post("/api/v1/namespaces/" + ns + "/serviceaccounts", {{"metadata", {{"name", name}}}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  void create(const std::string& collection, const nlohmann::json& object) {
    auto r = client->post(collection, object);
    ASSERT_EQ(r.status, 201) << collection << ": " << r.body;
  }
  static std::string rbac(const std::string& ns, const std::string& resource) {
    return "/apis/rbac.authorization.k8s.io/v1/" + (ns.empty() ? "" : "namespaces/" + ns + "/") + resource;
  }
  // A Role (ns set) or ClusterRole with these rules.
  void role(const std::string& ns, const std::string& name, const std::vector<nlohmann::json>& rules) {
    create(rbac(ns, ns.empty() ? "clusterroles" : "roles"),
           {{"metadata", {{"name", name}}}, {"rules", nlohmann::json(rules)}});
  }
  // Binds the role of `roleKind` to the bot: a RoleBinding in `ns`, or a ClusterRoleBinding.
  void bind(const std::string& ns, const std::string& roleKind, const std::string& roleName) {
    create(rbac(ns, ns.empty() ? "clusterrolebindings" : "rolebindings"),
           {{"metadata", {{"name", roleName + "-bot"}}},
            {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", roleKind}, {"name", roleName}}},
            {"subjects", nlohmann::json::array({{{"kind", "ServiceAccount"}, {"name", kSa}, {"namespace", kNs}}})}});
  }
  static nlohmann::json configMap(const std::string& name) { return {{"metadata", {{"name", name}}}}; }
  static std::string configMaps(const std::string& ns) { return "/api/v1/namespaces/" + ns + "/configmaps"; }
  // The message of a 403, failing the test when the reply is something else.
  static std::string forbiddenMessage(const Reply& r) {
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.json().value("reason", ""), "Forbidden") << r.body;
    return r.json().value("message", "");
  }
  std::unique_ptr<Client> bot;
};

}  // namespace pmo::sandbox::testing
