// The kubectl scenario of issue 2: the real kubectl (1.32) against the sandbox with the
// kubeconfig it writes, no extra flags: install the CRD and the operator's manifests, apply
// the examples, get (table and YAML), update, refuse an invalid resource with 422 naming
// the field, delete. Fails (never skips) when kubectl or the project files are missing.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "sandbox/test_fixture.hpp"

namespace pmo::sandbox::testing {
namespace {

namespace fs = std::filesystem;

struct CommandResult {
  int code;
  std::string output;
};

class KubectlTest : public SandboxTest {
 protected:
  CommandResult kubectl(const std::string& args, int timeoutSeconds = 60) {
    return kubectlAs(server->kubeconfigPath(), args, timeoutSeconds);
  }
  CommandResult kubectl(const std::string& args, const std::string& kubeconfig) {
    return kubectlAs(kubeconfig, args, 60);
  }
  CommandResult kubectlAs(const std::string& kubeconfig, const std::string& args, int timeoutSeconds) {
    std::string cmd = "cd '" + std::string(PMO_SOURCE_DIR) + "' && env KUBECONFIG='" + kubeconfig + "' HOME='" + home_ +
                      "' timeout " + std::to_string(timeoutSeconds) + " kubectl " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return {-1, "popen failed"};
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }
  void SetUp() override {
    SandboxTest::SetUp();
    char tmpl[] = "/tmp/pmo-kubectl-home.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    home_ = tmpl;  // kubectl's discovery cache lives here, fresh per test
  }
  void TearDown() override {
    SandboxTest::TearDown();
    std::error_code ec;
    fs::remove_all(home_, ec);
  }
  std::string home_;
};

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// A Deployment manifest for kubectl apply.
std::string deploymentYaml(const std::string& name, const std::string& image, int progressDeadlineSeconds = 600) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\n  namespace: default\nspec:\n  replicas: 2\n  progressDeadlineSeconds: " +
         std::to_string(progressDeadlineSeconds) + "\n  selector:\n    matchLabels:\n      app: " + name +
         "\n  template:\n    metadata:\n      labels:\n        app: " + name +
         "\n    spec:\n      containers:\n      - name: web\n        image: " + image + "\n";
}

std::string crdFile() {
  for (const auto& e : fs::directory_iterator(fs::path(PMO_SOURCE_DIR) / "crds"))
    if (e.path().filename().string().find("phasemaintenances") != std::string::npos) return e.path().string();
  return "";
}

TEST_F(KubectlTest, InstallApplyGetUpdateRejectAndDeleteWithRealKubectl) {
  CommandResult version = kubectl("version --client");
  ASSERT_EQ(version.code, 0) << "kubectl must be on PATH: " << version.output;
  const std::string crd = crdFile();
  ASSERT_FALSE(crd.empty()) << "crds/*phasemaintenances*.yaml is missing";
  const std::string minimal = std::string(PMO_SOURCE_DIR) + "/deploy/examples/minimal.yaml";
  const std::string complete = std::string(PMO_SOURCE_DIR) + "/deploy/examples/complete.yaml";
  ASSERT_TRUE(fs::exists(minimal) && fs::exists(complete));

  CommandResult r = kubectl("apply -f " + crd);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("customresourcedefinition.apiextensions.k8s.io/phasemaintenances.maintenance.phase.dev created"),
            std::string::npos) << r.output;
  // kubectl create sends protobuf for these built-ins; Phase's namespace exists before the
  // operator is installed (deploy/ grants the operator a Role in it)
  r = kubectl("create namespace phase");
  ASSERT_EQ(r.code, 0) << r.output;
  // the operator's own manifests (kustomize: namespace, CRD again, RBAC, Deployment, Service)
  r = kubectl("apply -k deploy/");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("unchanged"), std::string::npos) << r.output;  // the CRD was there already

  r = kubectl("create secret generic phase-console-secret -n phase --from-literal=DATABASE_PASSWORD=pw");
  ASSERT_EQ(r.code, 0) << r.output;
  r = kubectl("get secret phase-console-secret -n phase -o jsonpath={.data.DATABASE_PASSWORD}");
  EXPECT_EQ(r.output, "cHc=");
  r = kubectl("apply -f " + minimal);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("phasemaintenance.maintenance.phase.dev/phase created"), std::string::npos) << r.output;
  r = kubectl("apply -f " + complete);
  ASSERT_EQ(r.code, 0) << r.output;

  r = kubectl("get pm -n phase");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("NAME"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("AGE"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("phase "), std::string::npos) << r.output;

  r = kubectl("get pm phase -n phase -o yaml");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("kind: PhaseMaintenance"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("resourceVersion:"), std::string::npos);
  EXPECT_NE(r.output.find("kubectl.kubernetes.io/last-applied-configuration"), std::string::npos);

  // re-applying the same file changes nothing; a changed file is patched
  r = kubectl("apply -f " + complete);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("unchanged"), std::string::npos) << r.output;
  r = kubectl("label pm phase -n phase tier=gold");
  ASSERT_EQ(r.code, 0) << r.output;
  r = kubectl("get pm -n phase -l tier=gold -o name");
  EXPECT_EQ(r.output, "phasemaintenance.maintenance.phase.dev/phase\n");

  // retainDays: -1 is refused by the schema, naming the field
  std::string text;
  {
    std::ifstream in(complete);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string bad = std::regex_replace(text, std::regex("retainDays: [0-9]+"), "retainDays: -1",
                                       std::regex_constants::format_first_only);
  bad = std::regex_replace(bad, std::regex("name: [a-z0-9-]+\\n  namespace: phase"), "name: bad\n  namespace: phase",
                           std::regex_constants::format_first_only);
  const std::string badFile = home_ + "/bad.yaml";
  std::ofstream(badFile) << bad;
  r = kubectl("apply -f " + badFile);
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("is invalid: spec.auditLogs.purge[0].retainDays: Invalid value: -1: "
                          "spec.auditLogs.purge[0].retainDays in body should be greater than or equal to 0"),
            std::string::npos)
      << r.output;
  bool saw422 = false;
  for (const auto& rec : server->controls().requests())
    if (rec.resource == "phasemaintenances" && rec.verb == "create" && rec.code == 422) saw422 = true;
  EXPECT_TRUE(saw422);

  r = kubectl("delete -f " + minimal);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("deleted"), std::string::npos);
  r = kubectl("get pm phase -n phase");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("NotFound"), std::string::npos) << r.output;
  r = kubectl("delete namespace phase --wait=true --timeout=20s");
  EXPECT_EQ(r.code, 0) << r.output;
}

// A ServiceAccount's view with the real kubectl: `kubectl create serviceaccount`, `kubectl
// create token` (TokenRequest), then
// with that token `auth whoami` (SelfSubjectReview), `auth can-i` (SelfSubjectAccessReview,
// exit code 1 for "no"), `auth can-i --list` (SelfSubjectRulesReview), and a denied get
// printed as the API server's Forbidden.
TEST_F(KubectlTest, AServiceAccountsTokenIsAuthorizedByRbac) {
  const std::string manifest = home_ + "/bot.yaml";
  std::ofstream(manifest) << R"(apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: team}
rules:
  - {apiGroups: [""], resources: [configmaps], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
  - {kind: ServiceAccount, name: bot, namespace: team}
)";
  CommandResult r = kubectl("apply -f " + manifest);
  ASSERT_EQ(r.code, 0) << r.output;
  r = kubectl("create serviceaccount bot -n team");
  ASSERT_EQ(r.code, 0) << r.output;
  r = kubectl("create token bot -n team --duration=20m");
  ASSERT_EQ(r.code, 0) << r.output;
  std::string token = r.output.substr(0, r.output.find_last_not_of("\n") + 1);
  const std::string botConfig = home_ + "/bot-kubeconfig";
  server->writeKubeconfig(botConfig, token);

  r = kubectl("auth whoami", botConfig);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("system:serviceaccount:team:bot"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("system:serviceaccounts:team"), std::string::npos) << r.output;
  r = kubectl("auth can-i list configmaps -n team", botConfig);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "yes\n");
  r = kubectl("auth can-i patch deployments -n team", botConfig);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(r.output, "no\n");
  r = kubectl("auth can-i --list -n team", botConfig);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("configmaps"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("selfsubjectaccessreviews.authorization.k8s.io"), std::string::npos) << r.output;
  r = kubectl("get configmaps -n default", botConfig);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("Error from server (Forbidden): configmaps is forbidden: User "
                          "\"system:serviceaccount:team:bot\" cannot list resource \"configmaps\" in API group \"\" in "
                          "the namespace \"default\""),
            std::string::npos)
      << r.output;
  r = kubectl("get configmaps -n team", botConfig);
  EXPECT_EQ(r.code, 0) << r.output;
}

// Server-side apply through kubectl: create, an unchanged re-apply (no write), a conflict
// with `kubectl patch`'s manager, and --force-conflicts taking the field over.
TEST_F(KubectlTest, ServerSideApplyReapplyConflictAndForceWithRealKubectl) {
  const std::string file = home_ + "/deploy.yaml";
  auto write = [&](int replicas) {
    std::ofstream(file) << "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\n"
                           "spec:\n  replicas: " << replicas << "\n  selector:\n    matchLabels: {app: web}\n"
                           "  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n"
                           "      - name: backend\n        image: nginx:1\n";
  };
  write(2);
  CommandResult r = kubectl("apply --server-side -f " + file);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("deployment.apps/web serverside-applied"), std::string::npos) << r.output;
  auto rv = [&] { return kubectl("get deployment web -o jsonpath={.metadata.resourceVersion}").output; };
  r = kubectl("rollout status deployment web --timeout=20s");  // the simulated controller is at rest then
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string before = rv();
  r = kubectl("apply --server-side -f " + file);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(rv(), before);
  r = kubectl("get deployment web -o jsonpath={.metadata.managedFields[0].manager}");
  EXPECT_EQ(r.output, "kubectl");

  r = kubectl("patch deployment web --type merge -p '{\"spec\":{\"replicas\":4}}'");
  ASSERT_EQ(r.code, 0) << r.output;
  write(3);
  r = kubectl("apply --server-side -f " + file);
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("Apply failed with 1 conflict: conflict with \"kubectl-patch\" using apps/v1: .spec.replicas"),
            std::string::npos) << r.output;
  r = kubectl("apply --server-side --force-conflicts -f " + file);
  ASSERT_EQ(r.code, 0) << r.output;
  r = kubectl("get deployment web -o jsonpath={.spec.replicas}");
  EXPECT_EQ(r.output, "3");
}

TEST_F(KubectlTest, RolloutStatusHistoryUndoPauseAndScaleWithRealKubectl) {
  const std::string file = home_ + "/web.yaml";
  std::ofstream(file) << deploymentYaml("web", "nginx:1.25");
  CommandResult r = kubectl("apply -f " + file);
  ASSERT_EQ(r.code, 0) << r.output;
  r = kubectl("rollout status deployment/web --timeout=30s");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("deployment \"web\" successfully rolled out"), std::string::npos) << r.output;

  r = kubectl("set image deployment/web web=nginx:1.26");
  ASSERT_EQ(r.code, 0) << r.output;
  r = kubectl("rollout status deployment/web --timeout=30s");
  ASSERT_EQ(r.code, 0) << r.output;
  r = kubectl("rollout history deployment/web");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("REVISION"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\n1 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\n2 "), std::string::npos) << r.output;
  r = kubectl("rollout history deployment/web --revision=1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("nginx:1.25"), std::string::npos) << r.output;

  // undo: back to revision 1's template, which its old ReplicaSet serves again as revision 3
  r = kubectl("rollout undo deployment/web");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("deployment.apps/web rolled back"), std::string::npos) << r.output;
  r = kubectl("rollout status deployment/web --timeout=30s");
  ASSERT_EQ(r.code, 0) << r.output;
  r = kubectl("get deployment web -o jsonpath={.spec.template.spec.containers[0].image}");
  EXPECT_EQ(r.output, "nginx:1.25");
  r = kubectl("rollout history deployment/web");
  EXPECT_NE(r.output.find("\n3 "), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("\n1 "), std::string::npos) << r.output;
  r = kubectl("get rs -l app=web -o name");
  EXPECT_EQ(count(r.output, "replicaset.apps/web-"), 2u) << r.output;

  // paused: scaling still applies, the template waits
  ASSERT_EQ(kubectl("rollout pause deployment/web").code, 0);
  r = kubectl("scale deployment/web --replicas=3");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(kubectl("set image deployment/web web=nginx:1.27").code, 0);
  ASSERT_TRUE(eventually([&] { return kubectl("get deployment web -o jsonpath={.status.availableReplicas}").output == "3"; }));
  r = kubectl("rollout undo deployment/web");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("you cannot rollback a paused deployment"), std::string::npos) << r.output;
  ASSERT_EQ(kubectl("rollout resume deployment/web").code, 0);
  r = kubectl("rollout status deployment/web --timeout=30s");
  ASSERT_EQ(r.code, 0) << r.output;
  r = kubectl("get deployment web -o jsonpath={.status.updatedReplicas}");
  EXPECT_EQ(r.output, "3");
}

TEST_F(KubectlTest, RolloutStatusReportsAnExceededProgressDeadline) {
  server->controls().setDeploymentBehaviour("stuck", DeploymentBehaviour{std::chrono::milliseconds(-1), true});
  const std::string file = home_ + "/stuck.yaml";
  std::ofstream(file) << deploymentYaml("stuck", "nginx:1.25", 1);
  ASSERT_EQ(kubectl("apply -f " + file).code, 0);
  CommandResult r = kubectl("rollout status deployment/stuck --timeout=20s");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("deployment \"stuck\" exceeded its progress deadline"), std::string::npos) << r.output;
}

TEST_F(KubectlTest, GetWatchPrintsARowPerChangeWithRealKubectl) {
  ASSERT_EQ(kubectl("apply -f " + crdFile()).code, 0);
  ASSERT_EQ(kubectl("create namespace phase").code, 0);
  ASSERT_EQ(kubectl("apply -f deploy/examples/minimal.yaml").code, 0);
  std::thread changes([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    Client other(server->url(), server->caPem());
    other.mergePatch("/apis/maintenance.phase.dev/v1alpha1/namespaces/phase/phasemaintenances/phase",
                     {{"metadata", {{"labels", {{"tier", "gold"}}}}}});
  });
  CommandResult r = kubectl("get pm -n phase -w", 5);
  changes.join();
  EXPECT_EQ(r.code, 124) << "the watch runs until timeout ends it: " << r.output;
  EXPECT_EQ(count(r.output, "NAME"), 1u) << r.output;
  EXPECT_EQ(count(r.output, "\nphase "), 2u) << "the listed row, then the modified one: " << r.output;
  EXPECT_EQ(r.output.find("error"), std::string::npos) << r.output;

  const std::string file = home_ + "/web.yaml";
  std::ofstream(file) << deploymentYaml("web", "nginx:1.25");
  ASSERT_EQ(kubectl("apply -f " + file).code, 0);
  ASSERT_EQ(kubectl("rollout status deployment/web --timeout=30s").code, 0);
  std::thread rollout([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    Client other(server->url(), server->caPem());
    other.request("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
                  R"({"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}})",
                  "application/strategic-merge-patch+json");
  });
  r = kubectl("get deploy -w", 5);
  rollout.join();
  EXPECT_EQ(r.code, 124) << r.output;
  EXPECT_NE(r.output.find("UP-TO-DATE"), std::string::npos) << r.output;
  EXPECT_GE(count(r.output, "\nweb "), 3u) << "rows while the rollout moves: " << r.output;
  EXPECT_EQ(r.output.find("error"), std::string::npos) << r.output;
}

// The kubectl commands people run against a PhaseMaintenance and a Deployment: wait for a
// condition (timing out first, then met), describe, explain from the CRD's schema, and a
// foreground deletion that removes the Deployment only after its ReplicaSets.
TEST_F(KubectlTest, WaitDescribeExplainAndForegroundDeletionWithRealKubectl) {
  ASSERT_EQ(kubectl("apply -f " + crdFile()).code, 0);
  CommandResult r = kubectl("wait --for=condition=Established crd/phasemaintenances.maintenance.phase.dev --timeout=20s");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_EQ(kubectl("create namespace phase").code, 0);
  ASSERT_EQ(kubectl("apply -f deploy/examples/minimal.yaml").code, 0);

  r = kubectl("wait --for=condition=Ready pm/phase -n phase --timeout=2s");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("timed out waiting for the condition"), std::string::npos) << r.output;
  const std::string pm = "/apis/maintenance.phase.dev/v1alpha1/namespaces/phase/phasemaintenances/phase";
  nlohmann::json ready = {{"status",
                           {{"conditions",
                             {{{"type", "Ready"}, {"status", "True"}, {"reason", "Ready"}, {"message", "at v2.73.2"},
                               {"lastTransitionTime", "2026-11-30T00:00:00Z"}, {"observedGeneration", 1}}}}}}};
  ASSERT_EQ(client->mergePatch(pm + "/status", ready).status, 200);
  r = kubectl("wait --for=condition=Ready pm/phase -n phase --timeout=20s");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("phasemaintenance.maintenance.phase.dev/phase condition met"), std::string::npos) << r.output;

  r = kubectl("describe pm phase -n phase");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* part : {"Name:         phase", "Kind:         PhaseMaintenance", "Spec:", "Conditions:", "Ready"})
    EXPECT_NE(r.output.find(part), std::string::npos) << part << " in " << r.output;

  r = kubectl("explain phasemaintenance.spec.auditLogs.vacuum");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("FIELDS:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("schedule"), std::string::npos) << r.output;

  const std::string file = home_ + "/fg.yaml";
  std::ofstream(file) << deploymentYaml("fg", "nginx:1.25");
  ASSERT_EQ(kubectl("apply -f " + file).code, 0);
  ASSERT_EQ(kubectl("rollout status deployment/fg --timeout=30s").code, 0);
  r = kubectl("get rs -l app=fg -o name");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("replicaset.apps/fg-"), std::string::npos) << r.output;
  r = kubectl("delete deployment fg --cascade=foreground --timeout=30s");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("deployment.apps \"fg\" deleted"), std::string::npos) << r.output;
  r = kubectl("get rs,deploy -l app=fg -o name");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("fg"), std::string::npos) << "foreground deletion leaves nothing: " << r.output;
}

}  // namespace
}  // namespace pmo::sandbox::testing
