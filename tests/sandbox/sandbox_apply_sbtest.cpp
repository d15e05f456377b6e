// Server-side apply and metadata.managedFields (apply.hpp, managed_fields.hpp): creation by
// apply, no-op re-apply, removal of fields an applier drops, conflicts with their message
// and causes, force, shared ownership, and the GitOps-tool-versus-operator image scenario.
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;

const std::string kDeployments = "/apis/apps/v1/namespaces/default/deployments";

class ApplyTest : public SandboxTest {
 protected:
  void customize(Options& o) override { o.simulateDeployments = false; }
  Reply apply(const std::string& target, const std::string& body, const std::string& manager, bool force = false) {
    std::string q = target + "?fieldManager=" + manager + (force ? "&force=true" : "");
    return client->request("PATCH", q, body, "application/apply-patch+yaml");
  }
  // The fields `manager` (with `operation`) owns, as FieldsV1; null when it owns nothing.
  static Json owned(const Json& obj, const std::string& manager, const std::string& operation) {
    for (const auto& e : obj["metadata"].value("managedFields", Json::array()))
      if (e["manager"] == manager && e["operation"] == operation) return e["fieldsV1"];
    return nullptr;
  }
};

std::string deploymentYaml(const std::string& image, int replicas, bool withLabel = true) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n" +
         std::string(withLabel ? "  labels:\n    tier: front\n" : "") + "spec:\n  replicas: " + std::to_string(replicas) +
         "\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
         "    spec:\n      containers:\n      - name: backend\n        image: " + image + "\n";
}

TEST_F(ApplyTest, ApplyCreatesTheObjectAndRecordsTheAppliedFieldsInFieldsV1) {
  auto r = apply(kDeployments + "/web", deploymentYaml("nginx:1", 2), "flux");
  ASSERT_EQ(r.status, 201) << r.body;
  Json d = r.json();
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1");
  ASSERT_EQ(d["metadata"]["managedFields"].size(), 1u) << d.dump();
  Json e = d["metadata"]["managedFields"][0];
  EXPECT_EQ(e["manager"], "flux");
  EXPECT_EQ(e["operation"], "Apply");
  EXPECT_EQ(e["apiVersion"], "apps/v1");
  EXPECT_EQ(e["fieldsType"], "FieldsV1");
  EXPECT_FALSE(e.value("time", "").empty());
  const Json& f = e["fieldsV1"];
  EXPECT_EQ(f["f:metadata"]["f:labels"]["f:tier"], Json::object());
  EXPECT_EQ(f["f:spec"]["f:replicas"], Json::object());
  EXPECT_EQ(f["f:spec"]["f:selector"], Json::object());  // LabelSelector is atomic
  const Json& item = f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"backend\"}"];
  EXPECT_EQ(item, Json::parse(R"({".":{},"f:image":{},"f:name":{}})")) << f.dump();
  EXPECT_FALSE(f["f:metadata"].contains("f:name"));  // identity fields are never recorded
}

TEST_F(ApplyTest, ApplyRequiresAFieldManagerAndTheRightApiVersionAndName) {
  auto r = client->request("PATCH", kDeployments + "/web", deploymentYaml("nginx:1", 1), "application/apply-patch+yaml");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json()["message"], "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
  EXPECT_EQ(r.json()["details"]["causes"][0]["field"], "fieldManager");
  r = apply(kDeployments + "/web", "apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: web}\n", "flux");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["message"], "Incorrect version specified in apply patch. Specified patch version: apps/v2, expected: apps/v1");
  r = apply(kDeployments + "/other", deploymentYaml("nginx:1", 1), "flux");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["message"], "the name of the object (web) does not match the name on the URL (other)");
  r = apply(kDeployments + "/web", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  managedFields: []\n", "flux");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["message"], "metadata.managedFields must be nil");
  // force belongs to apply only
  r = client->request("PATCH", kDeployments + "/web?force=true", "{}", "application/merge-patch+json");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json()["details"]["causes"][0]["field"], "force");
  r = apply(kDeployments + "/web/status", deploymentYaml("nginx:1", 1), "flux");
  EXPECT_EQ(r.status, 415) << r.body;
  EXPECT_EQ(apply(kDeployments + "/web/scale", "{}", "flux").status, 415);
  r = client->request("POST", kDeployments + "?fieldManager=" + std::string(129, 'm'), "{}");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json()["message"], "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes");
}

TEST_F(ApplyTest, ReapplyingTheSameConfigurationWritesNothing) {
  auto first = apply(kDeployments + "/web", deploymentYaml("nginx:1", 2), "flux");
  ASSERT_EQ(first.status, 201) << first.body;
  auto again = apply(kDeployments + "/web", deploymentYaml("nginx:1", 2), "flux");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["metadata"]["resourceVersion"], first.json()["metadata"]["resourceVersion"]);
  EXPECT_EQ(again.json()["metadata"]["managedFields"], first.json()["metadata"]["managedFields"]);
  // JSON is YAML too
  Json asJson = again.json();
  asJson["metadata"].erase("managedFields");
  asJson["metadata"].erase("resourceVersion");
  auto third = apply(kDeployments + "/web", asJson.dump(), "flux");
  EXPECT_EQ(third.status, 200) << third.body;
}

TEST_F(ApplyTest, ApplyRemovesAFieldItAppliedBeforeAndNoLongerSets) {
  ASSERT_EQ(apply(kDeployments + "/web", deploymentYaml("nginx:1", 2, true), "flux").status, 201);
  auto r = apply(kDeployments + "/web", deploymentYaml("nginx:1", 2, false), "flux");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json()["metadata"].contains("labels")) << r.body;
  EXPECT_FALSE(owned(r.json(), "flux", "Apply")["f:metadata"].contains("f:labels"));
  // a field another manager owns as well stays
  ASSERT_EQ(apply(kDeployments + "/web", deploymentYaml("nginx:1", 2, true), "flux").status, 200);
  ASSERT_EQ(apply(kDeployments + "/web", deploymentYaml("nginx:1", 2, true), "argocd-controller").status, 200);
  r = apply(kDeployments + "/web", deploymentYaml("nginx:1", 2, false), "flux");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["metadata"]["labels"]["tier"], "front") << r.body;
}

TEST_F(ApplyTest, ChangingAFieldAnotherManagerOwnsIsAConflictUnlessForced) {
  Json dep = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"backend","image":"nginx:1"}]}}}})");
  auto created = client->request("POST", kDeployments + "?fieldManager=kubectl-client-side-apply", dep.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(owned(created.json(), "kubectl-client-side-apply", "Update")["f:spec"]["f:replicas"], Json::object());
  auto r = apply(kDeployments + "/web", deploymentYaml("nginx:1", 3), "flux");
  ASSERT_EQ(r.status, 409) << r.body;
  Json s = r.json();
  EXPECT_EQ(s["reason"], "Conflict");
  EXPECT_EQ(s["message"], "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas");
  ASSERT_EQ(s["details"]["causes"].size(), 1u);
  EXPECT_EQ(s["details"]["causes"][0]["reason"], "FieldManagerConflict");
  EXPECT_EQ(s["details"]["causes"][0]["field"], ".spec.replicas");
  EXPECT_EQ(s["details"]["causes"][0]["message"], "conflict with \"kubectl-client-side-apply\" using apps/v1");
  EXPECT_EQ(client->get(kDeployments + "/web").json()["spec"]["replicas"], 1);
  r = apply(kDeployments + "/web", deploymentYaml("nginx:1", 3), "flux", true);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["spec"]["replicas"], 3);
  EXPECT_EQ(owned(r.json(), "flux", "Apply")["f:spec"]["f:replicas"], Json::object());
  EXPECT_FALSE(owned(r.json(), "kubectl-client-side-apply", "Update")["f:spec"].contains("f:replicas"));
}

TEST_F(ApplyTest, TwoAppliersSettingTheSameValueShareTheField) {
  ASSERT_EQ(apply(kDeployments + "/web", deploymentYaml("nginx:1", 2), "flux").status, 201);
  auto r = apply(kDeployments + "/web", deploymentYaml("nginx:1", 2), "argocd-controller");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(owned(r.json(), "flux", "Apply")["f:spec"]["f:replicas"], Json::object());
  EXPECT_EQ(owned(r.json(), "argocd-controller", "Apply")["f:spec"]["f:replicas"], Json::object());
  // a different value now conflicts with the other applier (no apiVersion for appliers)
  r = apply(kDeployments + "/web", deploymentYaml("nginx:1", 5), "argocd-controller");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["message"], "Apply failed with 1 conflict: conflict with \"flux\": .spec.replicas");
}

TEST_F(ApplyTest, OperatorImageUpdateConflictsWithTheGitOpsToolUntilItForces) {
  ASSERT_EQ(apply(kDeployments + "/web", deploymentYaml("registry/app:1.0", 2), "flux").status, 201);
  // the operator patches the image; its manager comes from its User-Agent
  Json ops = Json::parse(R"([{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"registry/app:1.1"}])");
  auto patched = client->request("PATCH", kDeployments + "/web", ops.dump(), "application/json-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  // the test client's User-Agent is sandbox-test-client; the operator's names it
  patched = client->request("PATCH", kDeployments + "/web?fieldManager=phase-maintenance-operator",
                            Json::parse(R"([{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"registry/app:1.2"}])").dump(),
                            "application/json-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  Json d = patched.json();
  const std::string item = "k:{\"name\":\"backend\"}";
  EXPECT_EQ(owned(d, "phase-maintenance-operator", "Update")["f:spec"]["f:template"]["f:spec"]["f:containers"][item]["f:image"],
            Json::object()) << d.dump();
  EXPECT_FALSE(owned(d, "flux", "Apply")["f:spec"]["f:template"]["f:spec"]["f:containers"][item].contains("f:image"));
  EXPECT_TRUE(owned(d, "sandbox-test-client", "Update").is_null());  // its image was taken over in turn
  auto r = apply(kDeployments + "/web", deploymentYaml("registry/app:1.0", 2), "flux");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["message"],
            "Apply failed with 1 conflict: conflict with \"phase-maintenance-operator\" using apps/v1: "
            ".spec.template.spec.containers[name=\"backend\"].image");
  EXPECT_EQ(r.json()["details"]["causes"][0]["field"], ".spec.template.spec.containers[name=\"backend\"].image");
  r = apply(kDeployments + "/web", deploymentYaml("registry/app:1.0", 2), "flux", true);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["spec"]["template"]["spec"]["containers"][0]["image"], "registry/app:1.0");
  EXPECT_TRUE(owned(r.json(), "phase-maintenance-operator", "Update").is_null()) << r.body;
}

// The object with managedFields that do not decode: its first entry, and a copy with operation "Foo".
Json undecodable(Json o) {
  Json entry = o["metadata"]["managedFields"][0], bad = entry;
  bad["operation"] = "Foo";
  o["metadata"]["managedFields"] = Json::array({entry, bad});
  return o;
}

TEST_F(ApplyTest, UpdatesRecordTheirManagerAndUnchangedWritesChangeNothing) {
  Json cm = {{"metadata", {{"name", "c"}}}, {"data", {{"a", "1"}}}};
  auto created = client->post("/api/v1/namespaces/default/configmaps", cm);
  ASSERT_EQ(created.status, 201) << created.body;
  Json c = created.json();
  ASSERT_EQ(c["metadata"]["managedFields"].size(), 1u) << c.dump();
  EXPECT_EQ(c["metadata"]["managedFields"][0]["manager"], "sandbox-test-client");
  EXPECT_EQ(c["metadata"]["managedFields"][0]["operation"], "Update");
  EXPECT_EQ(c["metadata"]["managedFields"][0]["fieldsV1"], Json::parse(R"({"f:data":{".":{},"f:a":{}}})"));
  auto same = client->mergePatch("/api/v1/namespaces/default/configmaps/c", {{"data", {{"a", "1"}}}});
  EXPECT_EQ(same.json()["metadata"]["resourceVersion"], c["metadata"]["resourceVersion"]);
  auto put = client->put("/api/v1/namespaces/default/configmaps/c", same.json());
  EXPECT_EQ(put.json()["metadata"]["resourceVersion"], c["metadata"]["resourceVersion"]);
  // a change is recorded under the fieldManager given; [{}] resets the entries
  auto changed = client->request("PATCH", "/api/v1/namespaces/default/configmaps/c?fieldManager=editor",
                                 R"({"data":{"a":"2"}})", "application/merge-patch+json");
  ASSERT_EQ(changed.status, 200) << changed.body;
  // the creator keeps the data map itself (".": it added it), not the key it no longer set
  EXPECT_EQ(owned(changed.json(), "sandbox-test-client", "Update"), Json::parse(R"({"f:data":{}})")) << changed.body;
  EXPECT_EQ(owned(changed.json(), "editor", "Update"), Json::parse(R"({"f:data":{"f:a":{}}})"));
  // managedFields that do not decode are ignored: the live ones stay
  ASSERT_EQ(changed.json()["metadata"]["managedFields"].size(), 2u);
  Json bad = undecodable(changed.json());
  auto ignored = client->put("/api/v1/namespaces/default/configmaps/c", bad);
  ASSERT_EQ(ignored.status, 200) << ignored.body;
  EXPECT_EQ(ignored.json()["metadata"]["managedFields"], changed.json()["metadata"]["managedFields"]);
  auto reset = client->mergePatch("/api/v1/namespaces/default/configmaps/c", {{"metadata", {{"managedFields", {Json::object()}}}}});
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_FALSE(reset.json()["metadata"].contains("managedFields")) << reset.body;
}

TEST_F(ApplyTest, PortsAreKeyedByPortAndProtocolWithItsDefault) {
  auto r = apply("/api/v1/namespaces/default/services/db",
                 "apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  selector: {app: db}\n"
                 "  ports:\n  - {name: pg, port: 5432}\n  - {name: dns, port: 53, protocol: UDP}\n", "flux");
  ASSERT_EQ(r.status, 201) << r.body;
  Json ports = owned(r.json(), "flux", "Apply")["f:spec"]["f:ports"];
  EXPECT_TRUE(ports.contains("k:{\"port\":5432,\"protocol\":\"TCP\"}")) << ports.dump();
  EXPECT_TRUE(ports.contains("k:{\"port\":53,\"protocol\":\"UDP\"}")) << ports.dump();
  Json ops = Json::parse(R"([{"op":"replace","path":"/spec/ports/0/name","value":"postgres"}])");
  ASSERT_EQ(client->request("PATCH", "/api/v1/namespaces/default/services/db?fieldManager=ops", ops.dump(),
                            "application/json-patch+json").status, 200);
  r = apply("/api/v1/namespaces/default/services/db",
            "apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  ports:\n  - {name: pg, port: 5432}\n", "flux");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["details"]["causes"][0]["field"], ".spec.ports[port=5432,protocol=\"TCP\"].name");
}

TEST_F(ApplyTest, FieldsOfAnObjectNobodyManagedBelongToBeforeFirstApply) {
  Json ns = client->get("/api/v1/namespaces/default").json();
  ASSERT_FALSE(ns["metadata"].contains("managedFields")) << ns.dump();  // made by the sandbox itself
  auto r = apply("/api/v1/namespaces/default", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels: {team: a}\n", "flux");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(owned(r.json(), "flux", "Apply"), Json::parse(R"({"f:metadata":{"f:labels":{"f:team":{}}}})"));
  EXPECT_FALSE(owned(r.json(), "before-first-apply", "Update").is_null()) << r.body;
}

TEST_F(ApplyTest, CustomResourceListsFollowTheSchemaListType) {
  Json crd = widgetCrd();
  Json& props = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
  props["parts"]["x-kubernetes-list-type"] = "map";
  props["parts"]["x-kubernetes-list-map-keys"] = {"name"};
  props["parts"]["items"]["required"] = {"name"};
  props["tags"] = {{"type", "array"}, {"x-kubernetes-list-type", "set"}, {"items", {{"type", "string"}}}};
  props["args"] = {{"type", "array"}, {"items", {{"type", "string"}}}};
  ASSERT_EQ(client->post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status, 201);
  const std::string w = widgets() + "/w";
  const std::string head = "apiVersion: test.dev/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  size: 1\n";
  auto r = apply(w, head + "  parts: [{name: a, keep: 1}]\n  tags: [x]\n  args: [p]\n", "one");
  ASSERT_EQ(r.status, 201) << r.body;
  r = apply(w, "apiVersion: test.dev/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  parts: [{name: b}]\n  tags: [y]\n", "two");
  ASSERT_EQ(r.status, 200) << r.body;
  Json spec = r.json()["spec"];
  EXPECT_EQ(spec["parts"].size(), 2u) << spec.dump();  // merged by name
  EXPECT_EQ(spec["tags"], Json::array({"x", "y"}));      // a set: union
  Json f = owned(r.json(), "two", "Apply")["f:spec"];
  EXPECT_TRUE(f["f:parts"].contains("k:{\"name\":\"b\"}")) << f.dump();
  EXPECT_TRUE(f["f:tags"].contains("v:\"y\"")) << f.dump();
  // keys of a map the schema does not declare are owned themselves (".")
  r = apply(w, "apiVersion: test.dev/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  extra: {opts: {depth: 2}}\n", "three");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(owned(r.json(), "three", "Apply")["f:spec"]["f:extra"], Json::parse(R"({"f:opts":{".":{},"f:depth":{}}})"));
  EXPECT_EQ(owned(r.json(), "one", "Apply")["f:spec"]["f:args"], Json::object());
  // args is atomic: "two" replacing "one"'s list is a conflict on the whole list
  r = apply(w, "apiVersion: test.dev/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  args: [q]\n", "two");
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["message"], "Apply failed with 1 conflict: conflict with \"one\": .spec.args");
}

}  // namespace
}  // namespace pmo::sandbox::testing
