// RBAC enforced for ServiceAccount tokens, as kube-apiserver's authorizer decides: Roles in
// their namespace, ClusterRoles through either binding, resourceNames, subresources,
// wildcards, watch as its own verb, the default discovery roles, and the 403's message.
#include "sandbox/rbac_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

TEST_F(RbacTest, ServiceAccountWithoutGrantsIsForbiddenWithTheApiServersMessage) {
  auto r = bot->get(configMaps(kNs));
  EXPECT_EQ(forbiddenMessage(r),
            "configmaps is forbidden: User \"system:serviceaccount:team:bot\" cannot list resource \"configmaps\" in "
            "API group \"\" in the namespace \"team\"");
  EXPECT_EQ(r.json()["details"], (nlohmann::json{{"kind", "configmaps"}}));
  EXPECT_EQ(r.json()["code"], 403);
  r = bot->get("/apis/apps/v1/namespaces/phase/deployments/x");
  EXPECT_EQ(forbiddenMessage(r),
            "deployments.apps \"x\" is forbidden: User \"system:serviceaccount:team:bot\" cannot get resource "
            "\"deployments\" in API group \"apps\" in the namespace \"phase\"")
      << "authorization comes before routing: a namespace that does not exist is not a 404";
  EXPECT_EQ(r.json()["details"], (nlohmann::json{{"kind", "deployments"}, {"group", "apps"}, {"name", "x"}}));
  EXPECT_EQ(forbiddenMessage(bot->get("/api/v1/namespaces")),
            "namespaces is forbidden: User \"system:serviceaccount:team:bot\" cannot list resource \"namespaces\" in "
            "API group \"\" at the cluster scope");
  bool logged = false;
  for (const auto& q : server->controls().requests())
    logged = logged || (q.user == kUser && q.verb == "list" && q.resource == "configmaps" && q.code == 403);
  EXPECT_TRUE(logged) << "denied requests are in the request log, with their user";
}

TEST_F(RbacTest, ARoleGrantsItsVerbsInItsNamespaceOnly) {
  ASSERT_EQ(client->post(configMaps(kNs), configMap("settings")).status, 201);
  role(kNs, "reader", {rule({""}, {"configmaps"}, {"get", "list"})});
  bind(kNs, "Role", "reader");
  EXPECT_EQ(bot->get(configMaps(kNs)).status, 200);
  EXPECT_EQ(bot->get(configMaps(kNs) + "/settings").status, 200);
  EXPECT_EQ(bot->get(configMaps(kNs) + "/absent").status, 404) << "allowed, then not found";
  EXPECT_EQ(forbiddenMessage(bot->post(configMaps(kNs), configMap("new"))),
            "configmaps is forbidden: User \"system:serviceaccount:team:bot\" cannot create resource \"configmaps\" "
            "in API group \"\" in the namespace \"team\"");
  EXPECT_EQ(bot->get(configMaps("default")).status, 403);
  EXPECT_EQ(bot->get("/api/v1/configmaps").status, 403) << "all namespaces is the cluster scope";
}

TEST_F(RbacTest, AClusterRoleGrantsInARoleBindingsNamespaceOrEverywhereByAClusterRoleBinding) {
  role("", "cm-reader", {rule({""}, {"configmaps"}, {"list"})});
  bind(kNs, "ClusterRole", "cm-reader");
  EXPECT_EQ(bot->get(configMaps(kNs)).status, 200);
  EXPECT_EQ(bot->get(configMaps("default")).status, 403);
  EXPECT_EQ(bot->get("/api/v1/configmaps").status, 403);
  bind("", "ClusterRole", "cm-reader");
  EXPECT_EQ(bot->get(configMaps("default")).status, 200);
  EXPECT_EQ(bot->get("/api/v1/configmaps").status, 200);
}

TEST_F(RbacTest, ABindingToAMissingRoleSaysSoInTheReason) {
  bind(kNs, "Role", "nope");
  EXPECT_EQ(forbiddenMessage(bot->get(configMaps(kNs))),
            "configmaps is forbidden: User \"system:serviceaccount:team:bot\" cannot list resource \"configmaps\" in "
            "API group \"\" in the namespace \"team\": RBAC: role.rbac.authorization.k8s.io \"nope\" not found");
}

TEST_F(RbacTest, ResourceNamesLimitRequestsThatNameTheObject) {
  role(kNs, "one", {rule({""}, {"configmaps"}, {"get", "list", "update"}, {"mine"})});
  bind(kNs, "Role", "one");
  ASSERT_EQ(client->post(configMaps(kNs), configMap("mine")).status, 201);
  EXPECT_EQ(bot->get(configMaps(kNs) + "/mine").status, 200);
  EXPECT_EQ(forbiddenMessage(bot->get(configMaps(kNs) + "/other")),
            "configmaps \"other\" is forbidden: User \"system:serviceaccount:team:bot\" cannot get resource "
            "\"configmaps\" in API group \"\" in the namespace \"team\"");
  EXPECT_EQ(bot->get(configMaps(kNs)).status, 403) << "a list names nothing";
  EXPECT_EQ(bot->get(configMaps(kNs) + "?fieldSelector=metadata.name%3Dmine").status, 200)
      << "a list by metadata.name names the object";
  EXPECT_EQ(bot->get(configMaps(kNs) + "?fieldSelector=metadata.name%3Dother").status, 403);
}

TEST_F(RbacTest, ASubresourceNeedsItsOwnRuleOrAWildcardForIt) {
  installWidgets();
  ASSERT_EQ(client->post(widgets(kNs), widget("w", 1, kNs)).status, 201);
  role(kNs, "widgets", {rule({"test.dev"}, {"widgets"}, {"get", "update"})});
  bind(kNs, "Role", "widgets");
  nlohmann::json w = bot->get(widgets(kNs) + "/w").json();
  w["status"] = {{"phase", "Ready"}};
  EXPECT_EQ(forbiddenMessage(bot->put(widgets(kNs) + "/w/status", w)),
            "widgets.test.dev \"w\" is forbidden: User \"system:serviceaccount:team:bot\" cannot update resource "
            "\"widgets/status\" in API group \"test.dev\" in the namespace \"team\"");
  EXPECT_EQ(bot->put(widgets(kNs) + "/w", w).status, 200);
  role(kNs, "statuses", {rule({"test.dev"}, {"*/status"}, {"update"})});
  bind(kNs, "Role", "statuses");
  w = bot->get(widgets(kNs) + "/w").json();
  w["status"] = {{"phase", "Ready"}};
  EXPECT_EQ(bot->put(widgets(kNs) + "/w/status", w).status, 200);
}

TEST_F(RbacTest, WildcardsMatchEveryVerbGroupAndResource) {
  role("", "all-configmap-verbs", {rule({""}, {"configmaps"}, {"*"})});
  bind(kNs, "ClusterRole", "all-configmap-verbs");
  EXPECT_EQ(bot->post(configMaps(kNs), configMap("a")).status, 201);
  EXPECT_EQ(bot->del(configMaps(kNs) + "/a").status, 200);
  EXPECT_EQ(bot->get("/api/v1/namespaces/team/secrets").status, 403);
  role("", "everything", {rule({"*"}, {"*"}, {"*"})});
  bind("", "ClusterRole", "everything");
  EXPECT_EQ(bot->get("/api/v1/namespaces/team/secrets").status, 200);
  EXPECT_EQ(bot->get("/apis/apps/v1/deployments").status, 200);
  EXPECT_EQ(bot->get("/sandbox/v1/requests").status, 403) << "a resource rule grants no path";
}

TEST_F(RbacTest, WatchIsItsOwnVerbAndDeleteWithoutANameIsDeletecollection) {
  role(kNs, "lister", {rule({""}, {"configmaps"}, {"list", "delete"})});
  bind(kNs, "Role", "lister");
  EXPECT_EQ(bot->get(configMaps(kNs) + "?watch=false").status, 200);
  EXPECT_NE(forbiddenMessage(bot->get(configMaps(kNs) + "?watch=1")).find("cannot watch resource \"configmaps\""),
            std::string::npos);
  EXPECT_NE(forbiddenMessage(bot->del(configMaps(kNs))).find("cannot deletecollection resource \"configmaps\""),
            std::string::npos);
}

TEST_F(RbacTest, EveryServiceAccountMayDiscoverButNotUseTheAdminEndpoints) {
  for (const char* path : {"/version", "/api", "/apis", "/api/v1", "/apis/apps/v1", "/openapi/v3", "/healthz"})
    EXPECT_EQ(bot->get(path).status, 200) << path;
  EXPECT_EQ(forbiddenMessage(bot->get("/sandbox/v1/requests")),
            "forbidden: User \"system:serviceaccount:team:bot\" cannot get path \"/sandbox/v1/requests\"");
  EXPECT_EQ(bot->post("/sandbox/v1/compact", nlohmann::json::object()).status, 403);
  for (const char* name : {"cluster-admin", "system:discovery", "system:basic-user", "system:public-info-viewer"}) {
    EXPECT_EQ(client->get(rbac("", "clusterroles") + "/" + name).status, 200) << name;
    EXPECT_EQ(client->get(rbac("", "clusterrolebindings") + "/" + name).status, 200) << name;
  }
}

TEST_F(RbacTest, ANonResourceUrlRuleGrantsItsPathsAndPrefixes) {
  role("", "admin-endpoints", {{{"verbs", {"get"}}, {"nonResourceURLs", {"/sandbox/v1/*"}}}});
  bind("", "ClusterRole", "admin-endpoints");
  EXPECT_EQ(bot->get("/sandbox/v1/requests").status, 200);
  EXPECT_EQ(bot->del("/sandbox/v1/requests").status, 403) << "the verb of a path is the HTTP method";
}

}  // namespace
}  // namespace pmo::sandbox::testing
