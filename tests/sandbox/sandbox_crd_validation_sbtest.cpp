// The sandbox refuses the CRDs kube-apiserver refuses, with its messages (crd_validation.cpp).
#include "sandbox/test_fixture.hpp"
#include "unit/spec_test_yaml.hpp"

namespace pmo::sandbox::testing {
namespace {

using Json = nlohmann::json;
const std::string kCrds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const std::string kSchema = "spec.versions[0].schema.openAPIV3Schema";

Json projectCrd() { return pmo::testing::loadYamlDocuments("crds/maintenance.phase.dev_phasemaintenances.yaml").at(0); }

// The causes' "field: message" lines of a 422, or the body when it is not one.
std::vector<std::string> causes(const Reply& r) {
  std::vector<std::string> out;
  if (r.status != 422) return {"HTTP " + std::to_string(r.status) + ": " + r.body};
  const Json body = r.json();
  for (const auto& c : body["details"]["causes"])
    out.push_back(c.value("field", "") + ": " + c.value("message", ""));
  return out;
}

Json withSchema(Json schema) {
  Json crd = widgetCrd();
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] = std::move(schema);
  return crd;
}

class CrdValidation : public SandboxTest {};

TEST_F(CrdValidation, TheProjectsCrdIsAcceptedAndTheChartsCopyIsTheSame) {
  auto r = client->post(kCrds, projectCrd());
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(pmo::testing::loadYamlDocuments("charts/phase-maintenance-operator/crds/maintenance.phase.dev_phasemaintenances.yaml"),
            pmo::testing::loadYamlDocuments("crds/maintenance.phase.dev_phasemaintenances.yaml"));
}

// The first wave's CRD: a description on the root metadata schema.
TEST_F(CrdValidation, DescribedRootMetadataIsRefusedWithKubernetesMessage) {
  Json crd = projectCrd();
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["metadata"]["description"] = "Standard object metadata";
  auto r = client->post(kCrds, crd);
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.json()["message"],
            "CustomResourceDefinition.apiextensions.k8s.io \"phasemaintenances.maintenance.phase.dev\" is invalid: " +
                kSchema +
                ".properties[metadata]: Forbidden: must not specify anything other than name and generateName, but "
                "metadata is implicitly specified");
  EXPECT_EQ(r.json()["details"]["causes"][0]["reason"], "FieldValueForbidden");
  EXPECT_EQ(client->get(kCrds + "/phasemaintenances.maintenance.phase.dev").status, 404);
}

TEST_F(CrdValidation, RootMetadataMayRestrictNameAndGenerateNameOnly) {
  Json bad = withSchema({{"type", "object"},
                         {"properties", {{"metadata", {{"type", "object"}, {"properties", {{"labels", {{"type", "object"}}}}}}}}}});
  EXPECT_EQ(causes(client->post(kCrds, bad)),
            std::vector<std::string>{kSchema + ".properties[metadata]: Forbidden: must not specify anything other than "
                                               "name and generateName, but metadata is implicitly specified"});
  Json ok = widgetCrd();
  auto& props = ok["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"];
  props["metadata"] = {{"type", "object"}, {"properties", {{"name", {{"type", "string"}, {"maxLength", 40}}}}}};
  EXPECT_EQ(client->post(kCrds, ok).status, 201);
}

TEST_F(CrdValidation, EveryNodeNeedsATypeAndArraysNeedItems) {
  Json bad = withSchema({{"type", "object"},
                         {"properties",
                          {{"spec", {{"type", "object"}, {"properties", {{"size", {{"minimum", 0}}}, {"parts", {{"type", "array"}}}}}}}}}});
  EXPECT_EQ(causes(client->post(kCrds, bad)),
            (std::vector<std::string>{
                kSchema + ".properties[spec].properties[parts].items: Required value: must be specified",
                kSchema + ".properties[spec].properties[size].type: Required value: must not be empty for specified object fields"}));
}

// With a status subresource a real server also refuses any junctor at the root: none here.
TEST_F(CrdValidation, JunctorsMayOnlyValidateValues) {
  auto withoutStatus = [](Json crd) {
    crd["spec"]["versions"][0].erase("subresources");
    return crd;
  };
  Json bad = withSchema({{"type", "object"},
                         {"properties", {{"spec", {{"type", "object"}, {"properties", {{"a", {{"type", "string"}}}}}}}}},
                         {"anyOf", {{{"properties", {{"spec", {{"description", "no"}}}}}}, {{"required", {"spec"}}}}}});
  EXPECT_EQ(causes(client->post(kCrds, withoutStatus(bad))),
            std::vector<std::string>{kSchema + ".anyOf[0].properties[spec].description: Forbidden: must be empty to be structural"});
  Json incomplete = withSchema({{"type", "object"}, {"anyOf", {{{"properties", {{"spec", {{"minProperties", 1}}}}}}}}});
  EXPECT_EQ(causes(client->post(kCrds, withoutStatus(incomplete))),
            std::vector<std::string>{kSchema + ".properties[spec]: Required value: because it is defined in " + kSchema +
                                     ".anyOf[0].properties[spec]"});
}

TEST_F(CrdValidation, ListTypeRulesAndKeys) {
  Json items = {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}, {"size", {{"type", "integer"}}}}}};
  Json mapList = {{"type", "array"}, {"x-kubernetes-list-type", "map"}, {"x-kubernetes-list-map-keys", {"name"}}, {"items", items}};
  Json bad = withSchema({{"type", "object"}, {"properties", {{"spec", {{"type", "object"}, {"properties", {{"parts", mapList}}}}}}}});
  EXPECT_EQ(causes(client->post(kCrds, bad)),
            std::vector<std::string>{kSchema + ".properties[spec].properties[parts].items.properties[name].default: Required value: "
                                               "this property is in x-kubernetes-list-map-keys, so it must have a default or "
                                               "be a required property"});
  Json wrong = withSchema({{"type", "object"},
                           {"properties", {{"tags", {{"type", "string"}, {"x-kubernetes-list-type", "bag"}}}}}});
  EXPECT_EQ(causes(client->post(kCrds, wrong)),
            (std::vector<std::string>{
                kSchema + ".properties[tags].type: Invalid value: \"string\": must be array if x-kubernetes-list-type is specified",
                kSchema + ".properties[tags].x-kubernetes-list-type: Unsupported value: \"bag\": supported values: \"atomic\", \"set\", \"map\""}));
  mapList["items"]["required"] = {"name"};
  Json ok = withSchema({{"type", "object"}, {"properties", {{"spec", {{"type", "object"}, {"properties", {{"parts", mapList}}}}}}}});
  EXPECT_EQ(client->post(kCrds, ok).status, 201);

}

TEST_F(CrdValidation, DefaultsMustValidateAndSurvivePruning) {
  Json bad = withSchema(
      {{"type", "object"},
       {"properties",
        {{"spec", {{"type", "object"},
                   {"properties",
                    {{"color", {{"type", "string"}, {"enum", {"red", "blue"}}, {"default", "green"}}},
                     {"backup", {{"type", "object"}, {"properties", {{"keep", {{"type", "integer"}}}}}, {"default", {{"keep", 1}, {"extra", true}}}}}}}}}}}});
  auto c = causes(client->post(kCrds, bad));
  ASSERT_EQ(c.size(), 2u) << ::testing::PrintToString(c);
  EXPECT_EQ(c[0], kSchema + ".properties[spec].properties[backup].default: Invalid value: {\"extra\":true,\"keep\":1}: must not have unknown fields");
  EXPECT_EQ(c[1], kSchema + ".properties[spec].properties[color].default: Unsupported value: \"green\": supported values: \"red\", \"blue\"");

  Json topLevel = widgetCrd();
  topLevel["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["kind"] = {{"type", "string"}, {"default", "Widget"}};
  EXPECT_EQ(causes(client->post(kCrds, topLevel)),
            std::vector<std::string>{kSchema + ".properties[kind].default: Forbidden: must not be set in top-level kind"});
}

TEST_F(CrdValidation, UnsupportedKeywordsAndBadPatterns) {
  Json bad = withSchema({{"type", "object"},
                         {"properties", {{"a", {{"type", "string"}, {"pattern", "([a-z]"}}},
                                         {"b", {{"type", "array"}, {"uniqueItems", true}, {"items", {{"type", "string"}}}}},
                                         {"c", {{"type", "object"}, {"$ref", "#/definitions/x"}}}}}});
  auto c = causes(client->post(kCrds, bad));
  ASSERT_EQ(c.size(), 3u) << ::testing::PrintToString(c);
  EXPECT_EQ(c[0].rfind(kSchema + ".properties[a].pattern: Invalid value: \"([a-z]\": must be a valid regular expression, but isn't: ", 0), 0u) << c[0];
  EXPECT_EQ(c[1], kSchema + ".properties[b].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic");
  EXPECT_EQ(c[2], kSchema + ".properties[c].$ref: Forbidden: $ref is not supported");
}

TEST_F(CrdValidation, NamesVersionsAndPrinterColumns) {
  Json crd = widgetCrd();
  crd["spec"]["names"]["shortNames"] = {"W_D"};
  crd["spec"]["versions"][0]["additionalPrinterColumns"] = {{{"name", "Size"}, {"type", "int"}, {"jsonPath", "spec.size"}}};
  crd["spec"]["versions"].push_back(crd["spec"]["versions"][0]);
  auto c = causes(client->post(kCrds, crd));
  EXPECT_EQ(c, (std::vector<std::string>{
                   "spec.versions[0].additionalPrinterColumns[0].type: Invalid value: \"int\": must be one of boolean,date,integer,number,string",
                   "spec.versions[0].additionalPrinterColumns[0].JSONPath: Invalid value: \"spec.size\": must be a simple json path starting with .",
                   "spec.versions[1].additionalPrinterColumns[0].type: Invalid value: \"int\": must be one of boolean,date,integer,number,string",
                   "spec.versions[1].additionalPrinterColumns[0].JSONPath: Invalid value: \"spec.size\": must be a simple json path starting with .",
                   "spec.versions: Invalid value: \"...\": must contain unique version names",
                   "spec.versions: Invalid value: \"...\": must have exactly one version marked as storage version",
                   "spec.names.shortNames[0]: Invalid value: \"W_D\": a DNS-1035 label must consist of lower case alphanumeric "
                   "characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. "
                   "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"}));
}

TEST_F(CrdValidation, GroupAndPluralAreImmutable) {
  installWidgets();
  auto stored = client->get(kCrds + "/widgets.test.dev").json();
  stored["spec"]["names"]["kind"] = "Gadget";
  auto r = client->put(kCrds + "/widgets.test.dev", stored);
  EXPECT_EQ(causes(r), std::vector<std::string>{"spec.names.kind: Invalid value: \"Gadget\": field is immutable"});
  stored["spec"]["names"]["kind"] = "Widget";
  stored["spec"]["versions"][0]["additionalPrinterColumns"][0]["name"] = "Count";
  EXPECT_EQ(client->put(kCrds + "/widgets.test.dev", stored).status, 200);
}

// A rule that does not compile, or costs more than a real server allows (a quadratic rule on
// an unbounded list), makes the CRD invalid, as validation.go decides before serving it.
TEST_F(CrdValidation, CelRulesMustCompileWithinTheCostBudget) {
  Json spec = {{"type", "object"},
               {"properties", {{"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
               {"x-kubernetes-validations", {{{"rule", "self.tags.all(a, self.tags.all(b, a == b || a != b))"}}}}};
  Json schema = {{"type", "object"}, {"properties", {{"spec", spec}}}};
  auto c = causes(client->post(kCrds, withSchema(schema)));
  ASSERT_EQ(c.size(), 2u) << ::testing::PrintToString(c);
  EXPECT_EQ(c[0].rfind(kSchema + ".properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost "
                                 "exceeds budget by factor of ", 0), 0u) << c[0];
  EXPECT_EQ(c[1].rfind(kSchema + ": Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 "
                                 "schema exceeds budget", 0), 0u) << c[1];

  spec["x-kubernetes-validations"] = {{{"rule", "self.nosuchfield == 1"}}};
  schema["properties"]["spec"] = spec;
  c = causes(client->post(kCrds, withSchema(schema)));
  ASSERT_EQ(c.size(), 1u) << ::testing::PrintToString(c);
  EXPECT_NE(c[0].find(".properties[spec].x-kubernetes-validations[0].rule: Invalid value: "), std::string::npos) << c[0];
  EXPECT_NE(c[0].find("compilation failed"), std::string::npos) << c[0];

  spec["properties"]["tags"]["maxItems"] = 10;
  spec["properties"]["tags"]["items"]["maxLength"] = 20;
  spec["x-kubernetes-validations"] = {{{"rule", "self.tags.all(a, self.tags.all(b, a == b || a != b))"}}};
  schema["properties"]["spec"] = spec;
  EXPECT_EQ(client->post(kCrds, withSchema(schema)).status, 201) << "bounded, the same rule is cheap enough";
}

// x-kubernetes-validations run on every write (cel.cpp, through tests/tools/cel_server.cjs).
TEST_F(CrdValidation, CelRulesOfTheProjectCrdRunOnEveryWrite) {
  ASSERT_EQ(client->post(kCrds, projectCrd()).status, 201);
  const std::string pms = "/apis/maintenance.phase.dev/v1alpha1/namespaces/default/phasemaintenances";
  Json pm = {{"apiVersion", "maintenance.phase.dev/v1alpha1"},
             {"kind", "PhaseMaintenance"},
             {"metadata", {{"name", "phase"}}},
             {"spec",
              {{"database", {{"host", "db"}, {"name", "phase_db"}, {"user", "phase_api"},
                             {"passwordSecretRef", {{"name", "phase-console-secret"}}}}},
               {"workloads", {{"backend", {{"deployment", "same"}}}, {"worker", {{"deployment", "same"}}}}}}}};
  Reply r;
  ASSERT_TRUE(eventually([&] {  // the CRD is served once registered
    r = client->post(pms, pm);
    return r.status != 404;
  }));
  EXPECT_EQ(causes(r), std::vector<std::string>{"spec.workloads: Invalid value: \"object\": backend and worker must "
                                                "name different Deployments"});
  pm["spec"]["workloads"]["worker"]["deployment"] = "other";
  pm["spec"]["migrations"] = {{"backup", {{"enabled", true}}}};
  EXPECT_EQ(causes(client->post(pms, pm)),
            std::vector<std::string>{"spec.migrations.backup.persistentVolumeClaim: Invalid value: \"object\": "
                                     "persistentVolumeClaim is required when enabled is true"});
  pm["spec"]["migrations"]["backup"]["persistentVolumeClaim"] = "phase-backups";
  ASSERT_EQ(client->post(pms, pm).status, 201);
  // An update leaving the rule's value as it was is not checked again (ratcheting); one that
  // breaks it is refused.
  auto stored = client->get(pms + "/phase").json();
  stored["spec"]["workloads"]["worker"]["deployment"] = "same";
  EXPECT_EQ(causes(client->put(pms + "/phase", stored)),
            std::vector<std::string>{"spec.workloads: Invalid value: \"object\": backend and worker must name "
                                     "different Deployments"});
}

}  // namespace
}  // namespace pmo::sandbox::testing
