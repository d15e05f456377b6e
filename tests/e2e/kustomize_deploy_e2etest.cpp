// The kubectl install paths, end to end, both of them: `kubectl kustomize deploy/` (the
// default, namespaced) and `deploy/overlays/cluster-wide` build, the output applies to the
// sandbox with the real kubectl (after Phase's namespace exists, as README orders it), and
// the operator started as the applied Deployment runs it (its args and env, read back from
// the API server, and a token of its ServiceAccount, authorized by the RBAC just applied)
// reconciles the minimal example.
#include <gtest/gtest.h>

#include <cctype>
#include <iostream>
#include <set>
#include <sstream>

#include "../unit/spec_test_yaml.hpp"
#include "e2e/operator_harness.hpp"
#include "e2e/tools_harness.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// What `kubectl apply` prints for a created object: "deployment.apps/NAME created".
std::string createdLine(const Json& obj) {
  const std::string apiVersion = obj.value("apiVersion", "");
  const auto slash = apiVersion.find('/');
  const std::string group = slash == std::string::npos ? "" : apiVersion.substr(0, slash);
  return lower(obj.value("kind", "")) + (group.empty() ? "" : "." + group) + "/" +
         obj.value("/metadata/name"_json_pointer, std::string()) + " created";
}

// The value of `field` in the first JSON log line whose msg is `message`.
std::string logField(const std::string& log, const std::string& message, const std::string& field) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const Json rec = Json::parse(line, nullptr, false);
    if (!rec.is_discarded() && rec.value("msg", "") == message) return rec.value(field, "");
  }
  return "";
}

void expectInstallReconcilesTheExample(const std::string& folder, const std::set<std::string>& expectedKinds) {
  OperatorHarness h;
  const std::map<std::string, std::string> env = {{"KUBECONFIG", h.kubeconfig()}, {"HOME", h.dir()}};
  h.installPhase();  // the demo Phase instance: its namespace exists before the operator is installed

  const RunResult built = run({"kubectl", "kustomize", sourcePath(folder)}, env, 60s);
  ASSERT_EQ(built.exitCode, 0) << "kubectl kustomize " << folder << " (kubectl must be on PATH):\n" << built.err;
  std::vector<Json> objects;
  std::set<std::string> kinds;
  for (const auto& doc : YAML::LoadAll(built.out)) {
    objects.push_back(yamlToJson(doc));
    kinds.insert(objects.back().value("kind", ""));
  }
  EXPECT_EQ(kinds, expectedKinds);

  const RunResult applied = run({"kubectl", "apply", "-f", "-"}, env, 60s, built.out);
  ASSERT_EQ(applied.exitCode, 0) << "kubectl apply of the kustomize output:\n" << applied.out << applied.err;
  for (const auto& obj : objects) EXPECT_NE(applied.out.find(createdLine(obj)), std::string::npos) << applied.out;

  // The Deployment as the API server holds it, and a Pod as its ReplicaSet would make.
  const std::string ns = loadYamlDocuments("deploy/base/kustomization.yaml").at(0).at("namespace");
  const Json deployment = h.client().get(kube::resources::kDeployments, ns, "phase-maintenance-operator");
  const Json podTemplate = deployment.at("/spec/template"_json_pointer);
  const std::string podName = "phase-maintenance-operator-6b7f9d8c4-q5zkw";
  Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", podTemplate.value("metadata", Json::object())},
              {"spec", podTemplate.at("spec")}};
  pod["metadata"]["name"] = podName;
  pod["metadata"]["namespace"] = ns;
  h.client().create(kube::resources::kPods, ns, pod);
  const Json& container = podTemplate.at("/spec/containers/0"_json_pointer);
  // Its token is the one a Pod of that ServiceAccount gets, with the grants just applied.
  h.runOperatorAs(ns, podTemplate.at("/spec/serviceAccountName"_json_pointer).get<std::string>());
  h.startOperatorAsContainer(container, ns, podName);

  // The example as a user applies it.
  const RunResult example = run({"kubectl", "apply", "-f", sourcePath("deploy/examples/minimal.yaml")}, env, 60s);
  ASSERT_EQ(example.exitCode, 0) << example.out << example.err;
  const Json pm = h.waitForPm(
      [](const Json& p) {
        return conditionStatus(p, "Ready") == "True" && p.value("/status/observedGeneration"_json_pointer, 0L) ==
                                                            p.value("/metadata/generation"_json_pointer, -1L);
      },
      45s, "the minimal example Ready at its generation");
  EXPECT_EQ(pm.value("/status/currentVersion"_json_pointer, std::string()), "v2.72.0")
      << "Follow mode adopts the backend's version";
  EXPECT_EQ(logField(h.operatorLog(), "operator starting", "operatorImage"), container.value("image", ""))
      << "the operator runs its CronJobs in its own image, OPERATOR_IMAGE:\n"
      << h.operatorLog();
  const Json lease = h.client().get(kube::resources::kLeases, ns, "phase-maintenance-operator");
  EXPECT_FALSE(lease.value("/spec/holderIdentity"_json_pointer, std::string()).empty())
      << "--leader-elect from the Deployment: the Lease in " << ns << " is held";
  expectStoredObjectsMatchKubernetesSchemas(h.kubeconfig());
}

TEST(KustomizeDeployE2E, NamespacedDefaultAppliesAndTheOperatorItDescribesReconcilesTheExample) {
  expectInstallReconcilesTheExample(
      "deploy", {"Namespace", "CustomResourceDefinition", "ServiceAccount", "Role", "RoleBinding", "Deployment", "Service"});
}

TEST(KustomizeDeployE2E, ClusterWideOverlayAppliesAndTheOperatorItDescribesReconcilesTheExample) {
  expectInstallReconcilesTheExample("deploy/overlays/cluster-wide",
                                    {"Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole",
                                     "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service"});
}

}  // namespace
}  // namespace pmo::testing
