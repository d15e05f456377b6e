// Who a request is: the admin token, ServiceAccount tokens (TokenRequest, the admin
// endpoint), and what ends them; the self-review APIs; and the
// OwnerReferencesPermissionEnforcement admission rule.
#include "sandbox/rbac_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

std::string tokenPath(const std::string& ns, const std::string& name) {
  return "/api/v1/namespaces/" + ns + "/serviceaccounts/" + name + "/token";
}

TEST_F(RbacTest, ATokenEndsWithItsServiceAccountAndUnknownTokensAre401) {
  EXPECT_EQ(bot->get("/version").status, 200);
  ASSERT_EQ(client->del("/api/v1/namespaces/team/serviceaccounts/bot").status, 200);
  auto r = bot->get("/version");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.json().value("reason", ""), "Unauthorized");
  createServiceAccount(kNs, kSa);
  EXPECT_EQ(bot->get("/version").status, 401) << "a recreated ServiceAccount (new uid) does not revive old tokens";
  EXPECT_EQ(Client(server->url(), server->caPem(), "not-a-token").get("/version").status, 401);
  EXPECT_EQ(Client(server->url(), server->caPem(), "").get("/version").status, 401) << "no anonymous user";
  EXPECT_THROW(server->controls().createServiceAccountToken(kNs, "ghost"), std::runtime_error);
}

TEST_F(RbacTest, TokenRequestMintsATokenForAnExistingServiceAccount) {
  auto r = client->post(tokenPath(kNs, kSa), {{"apiVersion", "authentication.k8s.io/v1"},
                                              {"kind", "TokenRequest"},
                                              {"spec", {{"expirationSeconds", 1200}}}});
  ASSERT_EQ(r.status, 201) << r.body;
  const auto tr = r.json();
  EXPECT_EQ(tr["kind"], "TokenRequest");
  EXPECT_EQ(tr["spec"]["expirationSeconds"], 1200);
  EXPECT_EQ(tr["spec"]["audiences"], nlohmann::json::array({"https://kubernetes.default.svc.cluster.local"}));
  const std::string token = tr["status"]["token"];
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2) << "JWT-shaped: " << token;
  auto whoami = Client(server->url(), server->caPem(), token)
                    .post("/apis/authentication.k8s.io/v1/selfsubjectreviews", {{"kind", "SelfSubjectReview"}});
  ASSERT_EQ(whoami.status, 201) << whoami.body;
  EXPECT_EQ(whoami.json()["status"]["userInfo"]["username"], kUser);

  r = client->post(tokenPath(kNs, kSa), {{"spec", {{"expirationSeconds", 60}}}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json().value("message", ""),
            "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 60: may not "
            "specify a duration less than 10 minutes");
  r = client->post(tokenPath(kNs, "ghost"), nlohmann::json::object());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json().value("message", ""), "serviceaccounts \"ghost\" not found");
  r = client->post(tokenPath(kNs, kSa), {{"spec", {{"audiences", nlohmann::json::array({"vault"})}}}});
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(Client(server->url(), server->caPem(), r.json()["status"]["token"]).get("/version").status, 401)
      << "a token for another audience is no credential for the API server";
  EXPECT_EQ(forbiddenMessage(bot->post(tokenPath(kNs, kSa), nlohmann::json::object())),
            "serviceaccounts \"bot\" is forbidden: User \"system:serviceaccount:team:bot\" cannot create resource "
            "\"serviceaccounts/token\" in API group \"\" in the namespace \"team\"");
}

TEST_F(RbacTest, TheAdminEndpointMintsTokens) {
  auto r = client->post("/sandbox/v1/serviceaccounts/team/bot/token", nlohmann::json::object());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Client(server->url(), server->caPem(), r.json()["token"]).get("/api").status, 200);
  EXPECT_EQ(client->post("/sandbox/v1/serviceaccounts/team/ghost/token", nlohmann::json::object()).status, 404);
}

TEST_F(RbacTest, SelfReviewsAnswerForTheCaller) {
  role(kNs, "reader", {rule({""}, {"configmaps"}, {"get", "list"})});
  bind(kNs, "Role", "reader");
  auto can = [&](const nlohmann::json& attributes) {
    auto r = bot->post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                       {{"apiVersion", "authorization.k8s.io/v1"}, {"kind", "SelfSubjectAccessReview"}, {"spec", attributes}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["status"];
  };
  auto allowed = can({{"resourceAttributes", {{"namespace", kNs}, {"verb", "list"}, {"resource", "configmaps"}}}});
  EXPECT_EQ(allowed["allowed"], true);
  EXPECT_EQ(allowed["reason"],
            "RBAC: allowed by RoleBinding \"reader-bot/team\" of Role \"reader\" to ServiceAccount \"bot/team\"");
  EXPECT_EQ(can({{"resourceAttributes", {{"namespace", "default"}, {"verb", "list"}, {"resource", "configmaps"}}}})
                .value("allowed", true),
            false);
  EXPECT_EQ(can({{"nonResourceAttributes", {{"path", "/version"}, {"verb", "get"}}}})["allowed"], true);
  auto bad = bot->post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {{"spec", nlohmann::json::object()}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.json().value("message", ""),
            "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: "
            "\"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified");

  auto rules = bot->post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", {{"spec", {{"namespace", kNs}}}});
  ASSERT_EQ(rules.status, 201) << rules.body;
  EXPECT_NE(rules.json()["status"]["resourceRules"].dump().find("configmaps"), std::string::npos) << rules.body;
  EXPECT_NE(rules.json()["status"]["nonResourceRules"].dump().find("/version"), std::string::npos) << rules.body;
  EXPECT_EQ(bot->post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", {{"spec", nlohmann::json::object()}})
                .status,
            400);

  auto self = bot->post("/apis/authentication.k8s.io/v1/selfsubjectreviews", nlohmann::json::object());
  ASSERT_EQ(self.status, 201);
  EXPECT_EQ(self.json()["status"]["userInfo"]["groups"],
            nlohmann::json::array({"system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"}));
  auto admin = client->post("/apis/authentication.k8s.io/v1/selfsubjectreviews", nlohmann::json::object()).json();
  EXPECT_EQ(admin["status"]["userInfo"]["username"], "sandbox-admin");
  EXPECT_EQ(client->get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews").status, 405);
}

class OwnerReferencesTest : public RbacTest {
 protected:
  void SetUp() override {
    RbacTest::SetUp();
    installWidgets();
    auto r = client->post(widgets(kNs), widget("owner", 1, kNs));
    ASSERT_EQ(r.status, 201);
    ownerUid = r.json()["metadata"]["uid"];
    role(kNs, "cm-writer", {rule({""}, {"configmaps"}, {"create", "get", "update"})});
    bind(kNs, "Role", "cm-writer");
  }
  nlohmann::json child(const std::string& name, bool block) {
    return {{"metadata",
             {{"name", name},
              {"ownerReferences",
               nlohmann::json::array({{{"apiVersion", "test.dev/v1"}, {"kind", "Widget"}, {"name", "owner"},
                                       {"uid", ownerUid}, {"controller", true}, {"blockOwnerDeletion", block}}})}}}};
  }
  std::string ownerUid;
};

TEST_F(OwnerReferencesTest, BlockOwnerDeletionNeedsUpdateOnTheOwnersFinalizers) {
  EXPECT_EQ(bot->post(configMaps(kNs), child("free", false)).status, 201) << "a reference that does not block is free";
  EXPECT_EQ(forbiddenMessage(bot->post(configMaps(kNs), child("blocking", true))),
            "configmaps \"blocking\" is forbidden: cannot set blockOwnerDeletion if an ownerReference refers to a "
            "resource you can't set finalizers on: , <nil>");
  role(kNs, "finalizers", {rule({"test.dev"}, {"widgets/finalizers"}, {"update"}, {"owner"})});
  bind(kNs, "Role", "finalizers");
  EXPECT_EQ(bot->post(configMaps(kNs), child("blocking", true)).status, 201);
  bool checked = false;
  for (const auto& q : server->controls().requests())
    for (const auto& c : q.admissionChecks)
      checked = checked || (q.code == 201 && c.verb == "update" && c.group == "test.dev" &&
                            c.resource == "widgets/finalizers" && c.ns == kNs && c.name == "owner" && c.allowed);
  EXPECT_TRUE(checked) << "the request log names the owner check admission made";
}

TEST_F(OwnerReferencesTest, ChangingOwnerReferencesOnUpdateNeedsDelete) {
  ASSERT_EQ(bot->post(configMaps(kNs), configMap("plain")).status, 201);
  nlohmann::json cm = bot->get(configMaps(kNs) + "/plain").json();
  cm["metadata"]["ownerReferences"] = child("plain", false)["metadata"]["ownerReferences"];
  EXPECT_EQ(forbiddenMessage(bot->put(configMaps(kNs) + "/plain", cm)),
            "configmaps \"plain\" is forbidden: cannot set an ownerRef on a resource you can't delete: , <nil>");
  EXPECT_EQ(client->put(configMaps(kNs) + "/plain", cm).status, 200) << "the admin may";
}

}  // namespace
}  // namespace pmo::sandbox::testing
