// Static checks of the Helm chart's sources: the chart's CRD is the project's CRD; every
// value the templates use exists in values.yaml and is typed in values.schema.json; the
// RBAC rules are deploy/'s. What helm renders from them is checked with the real helm in
// tests/tools/helm_chart_test.cjs (values, deploy/ and Kubernetes' schemas).
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "spec_test_yaml.hpp"

namespace pmo::testing {
namespace {

const std::string kChart = "charts/phase-maintenance-operator";

std::string slurp(const std::string& relative) {
  std::ifstream in(sourcePath(relative), std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json findKind(const std::vector<nlohmann::json>& docs, const std::string& kind) {
  for (const auto& d : docs)
    if (d.value("kind", "") == kind) return d;
  throw std::runtime_error("no " + kind);
}

// The `.Values.a.b.c` paths used by every template.
std::set<std::string> valuePathsUsed() {
  std::set<std::string> out;
  const std::regex ref(R"(\.Values((?:\.[A-Za-z][A-Za-z0-9]*)+))");
  for (const auto& f : std::filesystem::directory_iterator(sourcePath(kChart + "/templates"))) {
    const std::string text = slurp(kChart + "/templates/" + f.path().filename().string());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), ref); it != std::sregex_iterator(); ++it)
      out.insert((*it)[1].str().substr(1));
  }
  return out;
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  return parts;
}

TEST(Chart, CarriesTheProjectsCrdByteForByte) {
  EXPECT_EQ(slurp(kChart + "/crds/maintenance.phase.dev_phasemaintenances.yaml"),
            slurp("crds/maintenance.phase.dev_phasemaintenances.yaml"))
      << "copy crds/maintenance.phase.dev_phasemaintenances.yaml into the chart's crds/";
}

TEST(Chart, EveryValueUsedExistsAndIsTyped) {
  const auto values = loadYamlDocuments(kChart + "/values.yaml").at(0);
  const auto schema = nlohmann::json::parse(slurp(kChart + "/values.schema.json"));
  const auto used = valuePathsUsed();
  ASSERT_FALSE(used.empty());
  for (const auto& path : used) {
    const nlohmann::json* v = &values;
    const nlohmann::json* s = &schema;
    for (const auto& part : split(path)) {
      ASSERT_TRUE(v->is_object() && v->contains(part)) << ".Values." << path << " is not in values.yaml";
      v = &(*v)[part];
      ASSERT_TRUE(s->contains("properties") && (*s)["properties"].contains(part))
          << ".Values." << path << " is not in values.schema.json";
      s = &(*s)["properties"][part];
    }
    EXPECT_TRUE(s->contains("type")) << ".Values." << path << " has no type in values.schema.json";
  }
}

TEST(Chart, DefaultValuesSatisfyTheSchemasEnums) {
  const auto values = loadYamlDocuments(kChart + "/values.yaml").at(0);
  const auto schema = nlohmann::json::parse(slurp(kChart + "/values.schema.json"));
  for (const auto& [key, prop] : schema["properties"].items()) {
    ASSERT_TRUE(values.contains(key)) << key << " is typed but has no default in values.yaml";
    if (prop.contains("enum")) {
      EXPECT_NE(std::find(prop["enum"].begin(), prop["enum"].end(), values[key]), prop["enum"].end()) << key;
    }
  }
  for (const auto& [key, value] : values.items()) {
    EXPECT_TRUE(schema["properties"].contains(key)) << key << " is in values.yaml but not typed in the schema";
  }
}

TEST(Chart, RbacTemplateRulesAreDeploysRules) {
  // The templates' rule lists (define "pmo.rules", "pmo.leaderElectionRules") are YAML on
  // their own; the Secret rule ("pmo.secretRule") is last, with resourceNames only when
  // secretNames is given, and is compared by helm_chart_test.cjs as rendered.
  const auto clusterWide = findKind(loadYamlDocuments("deploy/overlays/cluster-wide/rbac.yaml"), "ClusterRole")["rules"];
  auto withoutSecrets = clusterWide;
  ASSERT_EQ(withoutSecrets.back()["resources"], nlohmann::json::array({"secrets"})) << "the Secret rule comes last";
  withoutSecrets.erase(withoutSecrets.size() - 1);
  const auto parsed = yamlToJson(YAML::Load(helmDefine(slurp(kChart + "/templates/rbac.yaml"), "pmo.rules")));
  EXPECT_EQ(parsed, withoutSecrets);
  const auto leaderElection =
      yamlToJson(YAML::Load(helmDefine(slurp(kChart + "/templates/rbac.yaml"), "pmo.leaderElectionRules")));
  EXPECT_EQ(leaderElection, findKind(loadYamlDocuments("deploy/base/leader-election.yaml"), "Role")["rules"]);
}

// The namespaced Role (the default install) and the cluster-wide overlay's ClusterRole grant
// the same, but for the names the namespaced Role limits Secret reads to.
TEST(Chart, NamespacedRoleIsTheClusterRoleWithSecretReadsByName) {
  auto namespaced = findKind(loadYamlDocuments("deploy/namespaced/role.yaml"), "Role")["rules"];
  const auto clusterWide = findKind(loadYamlDocuments("deploy/overlays/cluster-wide/rbac.yaml"), "ClusterRole")["rules"];
  auto& secrets = namespaced.back();
  ASSERT_EQ(secrets["resources"], nlohmann::json::array({"secrets"}));
  ASSERT_FALSE(secrets.value("resourceNames", nlohmann::json::array()).empty())
      << "the default install reads only the Secrets it names";
  secrets.erase("resourceNames");
  EXPECT_EQ(namespaced, clusterWide);
}

}  // namespace
}  // namespace pmo::testing
