// Finalizers, garbage collection by owner reference, namespace deletion, CRD schema.
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
const std::string kCms = "/api/v1/namespaces/default/configmaps";

TEST_F(SandboxTest, FinalizerKeepsObjectUntilRemovedAndOwnedObjectsAreCollected) {
  auto owner = client->post(kCms, {{"metadata", {{"name", "owner"}, {"finalizers", {"test/hold"}}}}}).json();
  Json ref = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "owner"}, {"uid", owner["metadata"]["uid"]}};
  ASSERT_EQ(client->post(kCms, {{"metadata", {{"name", "child"}, {"ownerReferences", {ref}}}}}).status, 201);
  auto del = client->del(kCms + "/owner");
  ASSERT_EQ(del.status, 200);
  auto held = client->get(kCms + "/owner");
  ASSERT_EQ(held.status, 200);
  EXPECT_TRUE(held.json()["metadata"].contains("deletionTimestamp"));
  // new finalizers are refused while deleting; removing the last one deletes
  auto removed = client->mergePatch(kCms + "/owner", {{"metadata", {{"finalizers", nullptr}}}});
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(client->get(kCms + "/owner").status, 404);
  EXPECT_TRUE(eventually([&] { return client->get(kCms + "/child").status == 404; }));
}

TEST_F(SandboxTest, OrphanPropagationKeepsDependentsAndNamespaceDeletionEmptiesIt) {
  ASSERT_EQ(client->post("/api/v1/namespaces", {{"metadata", {{"name", "team"}}}}).status, 201);
  const std::string cms = "/api/v1/namespaces/team/configmaps";
  auto owner = client->post(cms, {{"metadata", {{"name", "owner"}}}}).json();
  Json ref = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "owner"}, {"uid", owner["metadata"]["uid"]}};
  client->post(cms, {{"metadata", {{"name", "child"}, {"ownerReferences", {ref}}}}});
  ASSERT_EQ(client->del(cms + "/owner", {{"propagationPolicy", "Orphan"}}).status, 200);
  EXPECT_TRUE(eventually([&] { return client->get(cms + "/owner").status == 404; }));
  auto child = client->get(cms + "/child");
  ASSERT_EQ(child.status, 200);
  EXPECT_FALSE(child.json()["metadata"].contains("ownerReferences"));
  ASSERT_EQ(client->del("/api/v1/namespaces/team").status, 200);
  EXPECT_TRUE(eventually([&] { return client->get("/api/v1/namespaces/team").status == 404; }));
  EXPECT_EQ(client->get(cms + "/child").status, 404);
}

TEST_F(SandboxTest, InvalidCustomResourceIsRejectedNamingTheField) {
  installWidgets();
  Json w = widget("bad", 1);
  w["spec"]["parts"] = {{{"name", "p"}, {"keep", -1}}};
  auto r = client->post(widgets(), w);
  ASSERT_EQ(r.status, 422) << r.body;
  Json s = r.json();
  EXPECT_EQ(s["reason"], "Invalid");
  EXPECT_EQ(s["message"],
            "Widget.test.dev \"bad\" is invalid: spec.parts[0].keep: Invalid value: -1: spec.parts[0].keep in body "
            "should be greater than or equal to 0");
  ASSERT_EQ(s["details"]["causes"].size(), 1u);
  EXPECT_EQ(s["details"]["causes"][0]["field"], "spec.parts[0].keep");
  EXPECT_EQ(s["details"]["causes"][0]["reason"], "FieldValueInvalid");

  Json missing = widget("m", 1);
  missing["spec"].erase("size");
  missing["spec"]["color"] = "green";
  missing["spec"]["version"] = "1.0";
  auto m = client->post(widgets(), missing).json();
  EXPECT_EQ(m["code"], 422);
  EXPECT_EQ(m["details"]["causes"].size(), 3u) << m.dump();
  EXPECT_NE(m["message"].get<std::string>().find("spec.size: Required value"), std::string::npos);
  EXPECT_NE(m["message"].get<std::string>().find("spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\""),
            std::string::npos);
  EXPECT_NE(m["message"].get<std::string>().find("spec.version in body should match '^v[0-9]+$'"), std::string::npos);
  Json typed = widget("t", 1);
  typed["spec"]["size"] = "one";
  EXPECT_EQ(client->post(widgets(), typed).status, 422);
}

TEST_F(SandboxTest, DefaultsAreAppliedAndUnknownFieldsPruned) {
  installWidgets();
  Json w = widget("d", 2);
  w["spec"]["parts"] = {{{"name", "p"}}};
  w["spec"]["backup"] = Json::object();
  w["spec"]["unknown"] = 1;
  w["spec"]["extra"] = {{"anything", {{"goes", true}}}};
  auto r = client->post(widgets(), w);
  ASSERT_EQ(r.status, 201) << r.body;
  Json o = r.json();
  EXPECT_EQ(o["spec"]["color"], "red");
  EXPECT_EQ(o["spec"]["parts"][0]["keep"], 7);
  EXPECT_EQ(o["spec"]["backup"]["enabled"], true);
  EXPECT_EQ(o["spec"]["backup"]["keep"], 5);
  EXPECT_FALSE(o["spec"].contains("unknown"));
  EXPECT_EQ(o["spec"]["extra"]["anything"]["goes"], true);
  // fieldValidation=Strict turns the unknown field into an error
  auto strict = client->request("POST", widgets() + "?fieldValidation=Strict", widget("s", 1).dump());
  EXPECT_EQ(strict.status, 201);
  Json bad = widget("s2", 1);
  bad["spec"]["unknown"] = 1;
  auto refused = client->request("POST", widgets() + "?fieldValidation=Strict", bad.dump());
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("unknown field \\\"spec.unknown\\\""), std::string::npos) << refused.body;
}

TEST_F(SandboxTest, DeletedCrdTakesItsObjectsAndStopsBeingServed) {
  installWidgets();
  ASSERT_EQ(client->post(widgets(), widget("w", 1)).status, 201);
  EXPECT_EQ(client->get("/apis/test.dev/v1").status, 200);
  ASSERT_EQ(client->del("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.dev").status, 200);
  EXPECT_TRUE(eventually([&] { return client->get(widgets()).status == 404; }));
  EXPECT_EQ(client->get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.dev").status, 404);
}

}  // namespace
}  // namespace pmo::sandbox::testing
