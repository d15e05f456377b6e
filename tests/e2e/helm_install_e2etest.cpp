// The Helm install path, end to end, with the real helm 3.17 (scripts/tools.sh): `helm
// install` of the chart into the sandbox, the operator started as the installed
// Deployment runs it (its args and env, read back from the API server, and a token of its
// ServiceAccount) reconciling the minimal example, then `helm upgrade --wait`, `helm rollback` and `helm uninstall`, as a
// user runs them. Every object stored on the way must match Kubernetes' published schemas.
// A helm step that fails prints the API requests the sandbox refused during it.
#include <gtest/gtest.h>

#include <sstream>

#include "../unit/spec_test_yaml.hpp"
#include "e2e/operator_harness.hpp"
#include "e2e/tools_harness.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;

const std::string kRelease = "phase-maintenance";
const std::string kNamespace = "phase-maintenance-system";
const std::string kFullname = "phase-maintenance-phase-maintenance-operator";
const kube::Resource kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false};

// The requests of a step that the sandbox answered with an error, one line each, so a
// failed helm command says which request the sandbox refused and how.
std::string refusedRequests(OperatorHarness& h) {
  std::ostringstream out;
  for (const auto& q : h.sandbox().controls().requests()) {
    if (q.code < 400 || (q.code == 404 && q.verb == "get")) continue;  // helm reads before it creates
    out << "  " << q.code << " " << q.verb << " " << (q.group.empty() ? "" : q.group + "/") << q.resource
        << (q.ns.empty() ? "" : " -n " + q.ns) << (q.name.empty() ? "" : " " + q.name) << "  (" << q.userAgent << ")\n";
  }
  const std::string lines = out.str();
  return lines.empty() ? "  (no request was refused)\n" : lines;
}

class HelmRun {
 public:
  explicit HelmRun(OperatorHarness& h) : h_(h) {}
  // Runs helm with the sandbox's kubeconfig; on failure the test fails with helm's output
  // and the refused requests of this step.
  bool operator()(const std::string& what, std::vector<std::string> args, std::chrono::seconds timeout = 60s) {
    h_.sandbox().controls().clearRequests();
    last_ = helm(args, home_.path(), {{"KUBECONFIG", h_.kubeconfig()}, {"HOME", home_.path()}}, timeout);
    EXPECT_EQ(last_.exitCode, 0) << what << " failed:\n"
                                 << last_.out << last_.err << "\nrequests the sandbox refused meanwhile:\n"
                                 << refusedRequests(h_);
    return last_.exitCode == 0;
  }
  const RunResult& last() const { return last_; }

 private:
  OperatorHarness& h_;
  TempDir home_;
  RunResult last_;
};

Json operatorContainer(OperatorHarness& h) {
  return h.client().get(kube::resources::kDeployments, kNamespace, kFullname).at("/spec/template/spec/containers/0"_json_pointer);
}

// A Pod of the Deployment, as its ReplicaSet would make it (the operator reads its image).
void createOperatorPod(OperatorHarness& h, const std::string& name) {
  const Json deployment = h.client().get(kube::resources::kDeployments, kNamespace, kFullname);
  const Json& tpl = deployment.at("/spec/template"_json_pointer);
  Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", tpl.value("metadata", Json::object())}, {"spec", tpl.at("spec")}};
  pod["metadata"]["name"] = name;
  pod["metadata"]["namespace"] = kNamespace;
  h.client().create(kube::resources::kPods, kNamespace, pod);
}

bool readyAtGeneration(const Json& pm) {
  return conditionStatus(pm, "Ready") == "True" &&
         pm.value("/status/observedGeneration"_json_pointer, 0L) == pm.value("/metadata/generation"_json_pointer, -1L);
}

bool hasArg(const Json& container, const std::string& arg) {
  for (const auto& a : container.value("args", Json::array()))
    if (a == arg) return true;
  return false;
}

int releaseRevision(HelmRun& helmRun) {
  if (!helmRun("helm status", {"status", kRelease, "--namespace", kNamespace, "--output", "json"})) return -1;
  return Json::parse(helmRun.last().out).value("version", -1);
}

TEST(HelmInstallE2E, InstallUpgradeRollbackUninstallWhileTheInstalledOperatorReconciles) {
  OperatorHarness h;
  HelmRun helmRun(h);
  const std::string chart = sourcePath("charts/phase-maintenance-operator");

  // install: the CRD from crds/, then the templates.
  ASSERT_TRUE(helmRun("helm install", {"install", kRelease, chart, "--namespace", kNamespace, "--create-namespace",
                                       "--set", "image.repository=registry.example/phase-maintenance-operator"}));
  EXPECT_EQ(releaseRevision(helmRun), 1);
  EXPECT_NO_THROW(h.client().get(kube::resources::kCustomResourceDefinitions, "", "phasemaintenances.maintenance.phase.dev"))
      << "helm installs the chart's crds/";
  const Json installed = operatorContainer(h);
  EXPECT_EQ(installed.value("image", ""), "registry.example/phase-maintenance-operator:0.1.0");

  // The operator as the installed Deployment runs it, with a token of its ServiceAccount
  // (authorized by the RBAC helm installed), reconciling the minimal example.
  createOperatorPod(h, kFullname + "-6b7f9d8c4-q5zkw");
  h.runOperatorAs(kNamespace, h.client()
                                  .get(kube::resources::kDeployments, kNamespace, kFullname)
                                  .at("/spec/template/spec/serviceAccountName"_json_pointer)
                                  .get<std::string>());
  h.startOperatorAsContainer(installed, kNamespace, kFullname + "-6b7f9d8c4-q5zkw");
  h.installPhase();
  h.client().create(kube::resources::kPhaseMaintenances, "phase", loadYamlDocuments("deploy/examples/minimal.yaml").at(0));
  Json pm = h.waitForPm(readyAtGeneration, 45s, "the minimal example Ready under the helm-installed operator");
  EXPECT_EQ(pm.value("/status/currentVersion"_json_pointer, std::string()), "v2.72.0");
  const Json lease = h.client().get(kube::resources::kLeases, kNamespace, "phase-maintenance-operator");
  EXPECT_FALSE(lease.value("/spec/holderIdentity"_json_pointer, std::string()).empty())
      << "--leader-elect from the chart: the Lease in the release namespace is held";

  // upgrade --wait: a new pod template; helm waits for the Deployment's new ReplicaSet.
  const bool upgraded = helmRun("helm upgrade --wait", {"upgrade", kRelease, chart, "--namespace", kNamespace, "--reuse-values",
                                                         "--set", "logLevel=debug", "--wait", "--timeout", "30s"},
                                60s);
  EXPECT_TRUE(hasArg(operatorContainer(h), "--log-level=debug")) << operatorContainer(h).dump();
  if (upgraded) {
    EXPECT_EQ(releaseRevision(helmRun), 2);
  }
  // The upgraded operator takes over and keeps the example Ready.
  EXPECT_EQ(h.stopOperator(0), 0);
  createOperatorPod(h, kFullname + "-7c8d9e0f5-a1b2c");
  h.startOperatorAsContainer(operatorContainer(h), kNamespace, kFullname + "-7c8d9e0f5-a1b2c", {}, 1);
  pm = h.waitForPm(readyAtGeneration, 30s, "the example still Ready under the upgraded operator");

  // rollback to revision 1: the old pod template again.
  if (helmRun("helm rollback", {"rollback", kRelease, "1", "--namespace", kNamespace})) {
    EXPECT_FALSE(hasArg(operatorContainer(h), "--log-level=debug")) << operatorContainer(h).dump();
    EXPECT_TRUE(hasArg(operatorContainer(h), "--log-level=info")) << operatorContainer(h).dump();
    EXPECT_EQ(releaseRevision(helmRun), 3) << "install, upgrade (even a failed one) and rollback are three revisions";
  }

  // Everything stored so far, helm's, the operator's and the sandbox controllers'.
  expectStoredObjectsMatchKubernetesSchemas(h.kubeconfig());

  // uninstall: the templates' objects go, the CRD (from crds/) and the resources stay.
  EXPECT_EQ(h.stopOperator(1), 0);
  if (helmRun("helm uninstall", {"uninstall", kRelease, "--namespace", kNamespace, "--wait", "--timeout", "30s"})) {
    EXPECT_THROW(h.client().get(kube::resources::kDeployments, kNamespace, kFullname), kube::ApiError);
    EXPECT_THROW(h.client().get(kClusterRoles, "", kFullname), kube::ApiError);
    EXPECT_NO_THROW(h.client().get(kube::resources::kCustomResourceDefinitions, "", "phasemaintenances.maintenance.phase.dev"))
        << "helm never deletes crds/";
    EXPECT_NO_THROW(h.phaseMaintenance());
  }
}

}  // namespace
}  // namespace pmo::testing
