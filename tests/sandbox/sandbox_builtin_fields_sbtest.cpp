// Built-in objects are decoded and their metadata and core kinds validated as kube-apiserver
// 1.32 does: unknown fields per fieldValidation (Warning header, strict 400), type errors,
// names per kind, labels, annotations, owner references, finalizers, Secrets, ConfigMaps,
// Services, Namespaces, Events, Leases and RBAC.
#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
const std::string kDeploys = "/apis/apps/v1/namespaces/default/deployments";
const std::string kCms = "/api/v1/namespaces/default/configmaps";
const std::string kSecrets = "/api/v1/namespaces/default/secrets";
const std::string kServices = "/api/v1/namespaces/default/services";
const std::string kRbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/default/";

Json deploymentJson(const std::string& name) {
  return {{"metadata", {{"name", name}}},
          {"spec",
           {{"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec", {{"containers", {{{"name", "app"}, {"image", "phase:v1"}}}}}}}}}}};
}

void expectInvalid(const Reply& r, const std::string& message) {
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json()["reason"], "Invalid");
  EXPECT_EQ(r.json()["message"], message);
  EXPECT_FALSE(r.json()["details"]["causes"].empty());
}

TEST_F(SandboxTest, UnknownFieldsOfBuiltinsAreDroppedWithAWarningByDefault) {
  Json d = deploymentJson("web");
  d["spec"]["foo"] = 1;
  d["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always";
  auto r = client->post(kDeploys, d);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.warnings, (std::vector<std::string>{"299 - \"unknown field \\\"spec.foo\\\"\"",
                                                  "299 - \"unknown field \\\"spec.template.spec.containers[0].imagePullPolice\\\"\""}));
  Json stored = client->get(kDeploys + "/web").json();
  EXPECT_FALSE(stored["spec"].contains("foo"));
  EXPECT_FALSE(stored["spec"]["template"]["spec"]["containers"][0].contains("imagePullPolice"));
  // Ignore drops silently; a known-fields-only write has no warning
  d["metadata"]["name"] = "quiet";
  auto ignored = client->post(kDeploys + "?fieldValidation=Ignore", d);
  EXPECT_EQ(ignored.status, 201);
  EXPECT_TRUE(ignored.warnings.empty());
  EXPECT_TRUE(client->post(kDeploys, deploymentJson("clean")).warnings.empty());
}

TEST_F(SandboxTest, StrictFieldValidationRefusesUnknownFieldsOfBuiltins) {
  Json d = deploymentJson("web");
  d["spec"]["foo"] = 1;
  d["metadata"]["Labels"] = {{"a", "b"}};  // field names are case-sensitive
  auto r = client->post(kDeploys + "?fieldValidation=Strict", d);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["message"],
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field "
            "\"metadata.Labels\", unknown field \"spec.foo\"");
  ASSERT_EQ(client->post(kDeploys, deploymentJson("web")).status, 201);
  auto p = client->request("PATCH", kDeploys + "/web?fieldValidation=Strict", R"({"spec":{"bar":true}})",
                           "application/merge-patch+json");
  ASSERT_EQ(p.status, 400) << p.body;
  auto bad = client->post(kDeploys + "?fieldValidation=Loose", deploymentJson("x"));
  expectInvalid(bad, "CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"Loose\": "
                     "supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"");
}

TEST_F(SandboxTest, ValuesOfTheWrongTypeAreABadRequest) {
  Json d = deploymentJson("web");
  d["spec"]["replicas"] = "3";
  auto r = client->post(kDeploys, d);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["message"],
            "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go "
            "struct field DeploymentSpec.spec.replicas of type int32");
  d = deploymentJson("web");
  d["spec"]["template"]["spec"]["containers"] = {{"name", "app"}};
  EXPECT_EQ(client->post(kDeploys, d).json()["message"],
            "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal object into Go "
            "struct field PodSpec.spec.template.spec.containers of type []v1.Container");
  d = deploymentJson("web");
  d["spec"]["template"]["spec"]["containers"][0]["resources"] = {{"limits", {{"cpu", "lots"}}}};
  EXPECT_EQ(client->post(kDeploys, d).json()["message"],
            "Deployment in version \"v1\" cannot be handled as a Deployment: quantities must match the regular "
            "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  d["spec"]["template"]["spec"]["containers"][0]["resources"] = {{"limits", {{"cpu", 1}, {"memory", "512Mi"}}}};
  EXPECT_EQ(client->post(kDeploys, d).status, 201);  // a Quantity may be a number
  auto s = client->post(kSecrets, {{"metadata", {{"name", "s"}}}, {"data", {{"k", "not base64!"}}}});
  ASSERT_EQ(s.status, 400) << s.body;
  EXPECT_EQ(s.json()["message"], "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 3");
}

TEST_F(SandboxTest, UnknownFieldsOfCustomResourcesAreWarnedAbout) {
  installWidgets();
  Json w = widget("w", 1);
  w["spec"]["shape"] = "round";
  auto r = client->post(widgets(), w);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.warnings, (std::vector<std::string>{"299 - \"unknown field \\\"spec.shape\\\"\""}));
}

TEST_F(SandboxTest, NamesFollowTheRuleOfTheirKind) {
  expectInvalid(client->post(kCms, {{"metadata", {{"name", "Bad"}}}}),
                "ConfigMap \"Bad\" is invalid: metadata.name: Invalid value: \"Bad\": a lowercase RFC 1123 subdomain "
                "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
                "alphanumeric character (e.g. 'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  expectInvalid(client->post("/api/v1/namespaces", {{"metadata", {{"name", "a.b"}}}}),
                "Namespace \"a.b\" is invalid: metadata.name: Invalid value: \"a.b\": must not contain dots");
  Json svc = {{"metadata", {{"name", "1svc"}}}, {"spec", {{"ports", {{{"port", 80}}}}}}};
  expectInvalid(client->post(kServices, svc),
                "Service \"1svc\" is invalid: metadata.name: Invalid value: \"1svc\": a DNS-1035 label must consist of "
                "lower case alphanumeric characters or '-', start with an alphabetic character, and end with an "
                "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                "'[a-z]([-a-z0-9]*[a-z0-9])?')");
  Json role = {{"metadata", {{"name", "a/b"}}}, {"rules", Json::array()}};
  expectInvalid(client->post(kRbac + "roles", role),
                "Role.rbac.authorization.k8s.io \"a/b\" is invalid: metadata.name: Invalid value: \"a/b\": may not "
                "contain '/'");
  role["metadata"]["name"] = "system:leader-election";  // RBAC names are path segments, not DNS names
  EXPECT_EQ(client->post(kRbac + "roles", role).status, 201);
  auto gen = client->post(kCms, {{"metadata", {{"generateName", "Bad-"}}}});
  ASSERT_EQ(gen.status, 422) << gen.body;
  EXPECT_EQ(gen.json()["details"]["causes"][0]["field"], "metadata.generateName");
}

TEST_F(SandboxTest, LabelsAnnotationsOwnerReferencesAndFinalizersAreChecked) {
  expectInvalid(client->post(kCms, {{"metadata", {{"name", "c"}, {"labels", {{"app", "bad value"}}}}}}),
                "ConfigMap \"c\" is invalid: metadata.labels: Invalid value: \"bad value\": a valid label must be an "
                "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  expectInvalid(client->post(kCms, {{"metadata", {{"name", "c"}, {"annotations", {{"big", std::string(262145, 'x')}}}}}}),
                "ConfigMap \"c\" is invalid: metadata.annotations: Too long: must have at most 262144 bytes");
  Json ref = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "owner"}};
  expectInvalid(client->post(kCms, {{"metadata", {{"name", "c"}, {"ownerReferences", {ref}}}}}),
                "ConfigMap \"c\" is invalid: metadata.ownerReferences.uid: Invalid value: \"\": must not be empty");
  expectInvalid(client->post(kCms, {{"metadata", {{"name", "c"}, {"finalizers", {"hold"}}}}}),
                "ConfigMap \"c\" is invalid: metadata.finalizers[0]: Invalid value: \"hold\": name is neither a "
                "standard finalizer name nor is it fully qualified");
  ASSERT_EQ(client->post(kCms, {{"metadata", {{"name", "c"}}}}).status, 201);
  expectInvalid(client->mergePatch(kCms + "/c", {{"metadata", {{"labels", {{"-x", "y"}}}}}}),
                "ConfigMap \"c\" is invalid: metadata.labels: Invalid value: \"-x\": name part must consist of "
                "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
}

TEST_F(SandboxTest, SecretAndConfigMapKeysSizesAndImmutabilityAreChecked) {
  expectInvalid(client->post(kSecrets, {{"metadata", {{"name", "s"}}}, {"stringData", {{"a b", "x"}}}}),
                "Secret \"s\" is invalid: data[a b]: Invalid value: \"a b\": a valid config key must consist of "
                "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
                "used for validation is '[-._a-zA-Z0-9]+')");
  expectInvalid(client->post(kSecrets, {{"metadata", {{"name", "s"}}}, {"stringData", {{"k", std::string(1048577, 'x')}}}}),
                "Secret \"s\" is invalid: data: Too long: must have at most 1048576 bytes");
  expectInvalid(client->post(kSecrets, {{"metadata", {{"name", "tls"}}}, {"type", "kubernetes.io/tls"}}),
                "Secret \"tls\" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]");
  ASSERT_EQ(client->post(kSecrets, {{"metadata", {{"name", "s"}}}, {"stringData", {{"k", "v"}}}}).status, 201);
  expectInvalid(client->mergePatch(kSecrets + "/s", {{"type", "kubernetes.io/basic-auth"}, {"stringData", {{"username", "u"}}}}),
                "Secret \"s\" is invalid: type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable");
  expectInvalid(client->post(kCms, {{"metadata", {{"name", "c"}}}, {"data", {{"k", "v"}}}, {"binaryData", {{"k", "dg=="}}}}),
                "ConfigMap \"c\" is invalid: data[k]: Invalid value: \"k\": duplicate of key present in binaryData");
  ASSERT_EQ(client->post(kCms, {{"metadata", {{"name", "frozen"}}}, {"data", {{"k", "v"}}}, {"immutable", true}}).status, 201);
  expectInvalid(client->mergePatch(kCms + "/frozen", {{"data", {{"k", "w"}}}}),
                "ConfigMap \"frozen\" is invalid: data: Forbidden: field is immutable when `immutable` is set");
}

TEST_F(SandboxTest, ServicePortsAreChecked) {
  expectInvalid(client->post(kServices, {{"metadata", {{"name", "svc"}}}, {"spec", Json::object()}}),
                "Service \"svc\" is invalid: spec.ports: Required value");
  Json svc = {{"metadata", {{"name", "svc"}}}, {"spec", {{"ports", {{{"port", 0}}, {{"port", 81}, {"name", "b"}}}}}}};
  expectInvalid(client->post(kServices, svc),
                "Service \"svc\" is invalid: [spec.ports[0].name: Required value, spec.ports[0].port: Invalid value: 0: "
                "must be between 1 and 65535, inclusive]");
  svc["spec"] = {{"ports", {{{"port", 80}, {"targetPort", "Http_Port"}}}}, {"type", "Magic"}};
  auto r = client->post(kServices, svc);
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("spec.type: Unsupported value: \\\"Magic\\\": supported values: \\\"ClusterIP\\\", "
                        "\\\"ExternalName\\\", \\\"LoadBalancer\\\", \\\"NodePort\\\""),
            std::string::npos);
  EXPECT_NE(r.body.find("spec.ports[0].targetPort: Invalid value: \\\"Http_Port\\\""), std::string::npos);
}

TEST_F(SandboxTest, LeasesEventsAndRbacAreChecked) {
  Json lease = {{"metadata", {{"name", "leader"}}}, {"spec", {{"leaseDurationSeconds", 0}}}};
  expectInvalid(client->post("/apis/coordination.k8s.io/v1/namespaces/default/leases", lease),
                "Lease.coordination.k8s.io \"leader\" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be "
                "greater than 0");
  Json ev = {{"metadata", {{"name", "e"}}}, {"involvedObject", {{"kind", "Pod"}, {"namespace", "other"}}}, {"reason", "X"}};
  expectInvalid(client->post("/api/v1/namespaces/default/events", ev),
                "Event \"e\" is invalid: involvedObject.namespace: Invalid value: \"other\": does not match event.namespace");
  Json role = {{"metadata", {{"name", "r"}}}, {"rules", {{{"apiGroups", {""}}, {"resources", {"pods"}}}}}};
  expectInvalid(client->post(kRbac + "roles", role),
                "Role.rbac.authorization.k8s.io \"r\" is invalid: rules[0].verbs: Required value: verbs must contain at "
                "least one value");
  Json rb = {{"metadata", {{"name", "rb"}}},
             {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "r"}}},
             {"subjects", {{{"kind", "ServiceAccount"}, {"name", "op"}, {"namespace", "default"}}}}};
  ASSERT_EQ(client->post(kRbac + "rolebindings", rb).status, 201);
  expectInvalid(client->mergePatch(kRbac + "rolebindings/rb", {{"roleRef", {{"name", "other"}}}}),
                "RoleBinding.rbac.authorization.k8s.io \"rb\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"
                "\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"other\"}: cannot change roleRef");
  rb["metadata"]["name"] = "rb2";
  rb["subjects"][0]["kind"] = "Robot";
  expectInvalid(client->post(kRbac + "rolebindings", rb),
                "RoleBinding.rbac.authorization.k8s.io \"rb2\" is invalid: subjects[0].kind: Unsupported value: "
                "\"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"");
}

}  // namespace
}  // namespace pmo::sandbox::testing
