// CRUD semantics of the sandbox API server: resourceVersion, conflicts, generation, status
// subresource, selectors, pagination, patches, auth.
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;

long rvOf(const Json& o) { return std::stol(o["metadata"]["resourceVersion"].get<std::string>()); }

TEST_F(SandboxTest, CreateGetUpdateDeleteWithIncreasingResourceVersion) {
  Json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "a"}}}, {"data", {{"k", "1"}}}};
  auto created = client->post("/api/v1/namespaces/default/configmaps", cm);
  ASSERT_EQ(created.status, 201) << created.body;
  Json c = created.json();
  EXPECT_FALSE(c["metadata"]["uid"].get<std::string>().empty());
  EXPECT_FALSE(c["metadata"]["creationTimestamp"].get<std::string>().empty());
  auto got = client->get("/api/v1/namespaces/default/configmaps/a");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json()["data"]["k"], "1");
  c["data"]["k"] = "2";
  auto updated = client->put("/api/v1/namespaces/default/configmaps/a", c);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_GT(rvOf(updated.json()), rvOf(c));
  // a second configmap gets a later resourceVersion than everything before (one global counter)
  Json cm2 = cm;
  cm2["metadata"]["name"] = "b";
  auto second = client->post("/api/v1/namespaces/default/configmaps", cm2);
  EXPECT_GT(rvOf(second.json()), rvOf(updated.json()));
  EXPECT_EQ(client->del("/api/v1/namespaces/default/configmaps/a").status, 200);
  auto gone = client->get("/api/v1/namespaces/default/configmaps/a");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.json()["reason"], "NotFound");
  EXPECT_EQ(gone.json()["message"], "configmaps \"a\" not found");
}

TEST_F(SandboxTest, StaleUpdateIsConflictAndDuplicateCreateIsAlreadyExists) {
  Json cm = {{"metadata", {{"name", "a"}}}, {"data", {{"k", "1"}}}};
  Json c = client->post("/api/v1/namespaces/default/configmaps", cm).json();
  Json fresh = c;
  fresh["data"]["k"] = "2";
  ASSERT_EQ(client->put("/api/v1/namespaces/default/configmaps/a", fresh).status, 200);
  c["data"]["k"] = "3";  // still carries the old resourceVersion
  auto stale = client->put("/api/v1/namespaces/default/configmaps/a", c);
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.json()["reason"], "Conflict");
  auto dup = client->post("/api/v1/namespaces/default/configmaps", cm);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.json()["reason"], "AlreadyExists");
  EXPECT_EQ(client->post("/api/v1/namespaces/nowhere/configmaps", cm).status, 404);
}

TEST_F(SandboxTest, GenerationIncreasesOnSpecChangesOnlyAndStatusGoesThroughSubresource) {
  installWidgets();
  auto created = client->post(widgets(), widget("w", 1));
  ASSERT_EQ(created.status, 201) << created.body;
  Json w = created.json();
  EXPECT_EQ(w["metadata"]["generation"], 1);
  // metadata change: same generation
  auto labelled = client->mergePatch(widgets() + "/w", {{"metadata", {{"labels", {{"a", "b"}}}}}});
  ASSERT_EQ(labelled.status, 200) << labelled.body;
  EXPECT_EQ(labelled.json()["metadata"]["generation"], 1);
  // status through the main resource is ignored
  auto ignored = client->mergePatch(widgets() + "/w", {{"status", {{"phase", "Ready"}}}});
  EXPECT_FALSE(ignored.json().contains("status"));
  // status through /status is written and does not bump generation
  auto st = client->mergePatch(widgets() + "/w/status", {{"status", {{"phase", "Ready"}}}, {"spec", {{"size", 9}}}});
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(st.json()["status"]["phase"], "Ready");
  EXPECT_EQ(st.json()["spec"]["size"], 1);
  EXPECT_EQ(st.json()["metadata"]["generation"], 1);
  // spec change: generation 2
  auto spec = client->mergePatch(widgets() + "/w", {{"spec", {{"size", 2}}}});
  EXPECT_EQ(spec.json()["metadata"]["generation"], 2);
  EXPECT_EQ(spec.json()["status"]["phase"], "Ready");
}

TEST_F(SandboxTest, LabelAndFieldSelectorsAndPagination) {
  for (auto [name, tier] : std::vector<std::pair<std::string, std::string>>{{"a", "web"}, {"b", "db"}, {"c", "web"}, {"d", ""}}) {
    Json cm = {{"metadata", {{"name", name}}}};
    if (!tier.empty()) cm["metadata"]["labels"] = {{"tier", tier}};
    ASSERT_EQ(client->post("/api/v1/namespaces/default/configmaps", cm).status, 201);
  }
  auto names = [&](const std::string& query) {
    std::vector<std::string> out;
    const Json list = client->get("/api/v1/namespaces/default/configmaps?" + query).json();
    for (const auto& i : list["items"])
      out.push_back(i["metadata"]["name"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("labelSelector=tier%3Dweb"), (V{"a", "c"}));
  EXPECT_EQ(names("labelSelector=tier%3D%3Dweb"), (V{"a", "c"}));
  EXPECT_EQ(names("labelSelector=tier!%3Dweb"), (V{"b", "d"}));
  EXPECT_EQ(names("labelSelector=tier+in+(db,web)"), (V{"a", "b", "c"}));
  EXPECT_EQ(names("labelSelector=tier+notin+(web)"), (V{"b", "d"}));
  EXPECT_EQ(names("labelSelector=tier"), (V{"a", "b", "c"}));
  EXPECT_EQ(names("labelSelector=!tier"), (V{"d"}));
  EXPECT_EQ(names("fieldSelector=metadata.name%3Db"), (V{"b"}));
  auto page = client->get("/api/v1/namespaces/default/configmaps?limit=3").json();
  ASSERT_EQ(page["items"].size(), 3u);
  std::string cont = page["metadata"]["continue"];
  auto rest = client->get("/api/v1/namespaces/default/configmaps?limit=3&continue=" + cont).json();
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["metadata"]["name"], "d");
  EXPECT_FALSE(rest["metadata"].contains("continue"));
}

TEST_F(SandboxTest, GenerateNameJsonPatchTestAndUnauthorized) {
  auto c = client->post("/api/v1/namespaces/default/configmaps", {{"metadata", {{"generateName", "gen-"}}}});
  ASSERT_EQ(c.status, 201) << c.body;
  std::string name = c.json()["metadata"]["name"];
  EXPECT_EQ(name.rfind("gen-", 0), 0u);
  EXPECT_EQ(name.size(), 9u);
  auto failed = client->jsonPatch("/api/v1/namespaces/default/configmaps/" + name,
                                  Json::array({{{"op", "test"}, {"path", "/metadata/name"}, {"value", "other"}}}));
  EXPECT_EQ(failed.status, 422);
  auto ok = client->jsonPatch("/api/v1/namespaces/default/configmaps/" + name,
                              Json::array({{{"op", "test"}, {"path", "/metadata/name"}, {"value", name}},
                                           {{"op", "add"}, {"path", "/data"}, {"value", {{"x", "y"}}}}}));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["data"]["x"], "y");
  Client wrong(server->url(), server->caPem(), "wrong-token");
  auto denied = wrong.get("/api/v1/namespaces");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.json()["reason"], "Unauthorized");
}

TEST_F(SandboxTest, TableOutputUsesPrinterColumns) {
  installWidgets();
  ASSERT_EQ(client->post(widgets(), widget("w", 4)).status, 201);
  auto t = client->get(widgets(), "application/json;as=Table;v=v1;g=meta.k8s.io,application/json").json();
  EXPECT_EQ(t["kind"], "Table");
  ASSERT_EQ(t["columnDefinitions"].size(), 3u);
  EXPECT_EQ(t["columnDefinitions"][1]["name"], "Size");
  EXPECT_EQ(t["rows"][0]["cells"][0], "w");
  EXPECT_EQ(t["rows"][0]["cells"][1], 4);
}

TEST_F(SandboxTest, RequestLogRecordsVerbsAndFaultsAreInjected) {
  server->controls().clearRequests();
  client->get("/api/v1/namespaces/default/configmaps");
  client->post("/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", "x"}}}});
  auto reqs = server->controls().requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].verb, "list");
  EXPECT_EQ(reqs[1].verb, "create");
  EXPECT_EQ(reqs[1].resource, "configmaps");
  EXPECT_EQ(reqs[1].code, 201);
  EXPECT_EQ(reqs[1].userAgent, Client::kUserAgent);
  server->controls().failNextRequests(2, 429, "TooManyRequests", 3);
  auto r = client->get("/api/v1/namespaces/default/configmaps/x");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.json()["details"]["retryAfterSeconds"], 3);
  EXPECT_EQ(client->get("/api/v1/namespaces/default/configmaps/x").status, 429);
  EXPECT_EQ(client->get("/api/v1/namespaces/default/configmaps/x").status, 200);
}

TEST_F(SandboxTest, AFaultCanTargetOneVerbOfOneResource) {
  ASSERT_EQ(client->post("/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", "x"}}}}).status, 201);
  server->controls().failNextRequestsTo("update", "configmaps", 1, 409, "Conflict");
  EXPECT_EQ(client->get("/api/v1/namespaces/default/configmaps/x").status, 200) << "a get is not targeted";
  auto current = client->get("/api/v1/namespaces/default/configmaps/x").json();
  EXPECT_EQ(client->put("/api/v1/namespaces/default/configmaps/x", current).status, 409);
  EXPECT_EQ(client->put("/api/v1/namespaces/default/configmaps/x", current).status, 200) << "only once";
}

class PlainSandboxTest : public SandboxTest {
  void customize(Options& o) override {
    o.tls = false;
    o.token = "";
  }
};

TEST_F(PlainSandboxTest, ServesPlainHttpWithoutAuth) {
  EXPECT_EQ(server->url().rfind("http://127.0.0.1:", 0), 0u);
  EXPECT_EQ(client->get("/api/v1/namespaces/default").status, 200);
  EXPECT_EQ(client->get("/version").json()["major"], "1");
}

}  // namespace
}  // namespace pmo::sandbox::testing
