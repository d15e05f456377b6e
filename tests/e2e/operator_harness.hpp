#pragma once
// End-to-end harness: the sandbox API server in-process (its Controls at hand), the real
// operator binary as a child process pointed at the sandbox with its ServiceAccount's token
// (authorized by RBAC, as on a cluster), and an API client with the admin's token for the
// test's own reads and writes. Everything is torn down by the destructor.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kube/config.hpp"
#include "kube/http_client.hpp"
#include "sandbox/sandbox.hpp"
#include "support/pg_fixture.hpp"
#include "support/process.hpp"

namespace pmo::testing {

using Json = nlohmann::json;

class OperatorHarness {
 public:
  // The User-Agent of client(); the operator sends kube::HttpClientOptions' default.
  static constexpr const char* kTestUserAgent = "pmo-e2e-test";

  explicit OperatorHarness(sandbox::Options options = defaultSandboxOptions());
  ~OperatorHarness();

  static sandbox::Options defaultSandboxOptions();

  sandbox::Server& sandbox() { return *sandbox_; }
  kube::Client& client() { return *client_; }
  const std::string& dir() const { return dir_.path(); }
  std::string kubeconfig() const { return sandbox_->kubeconfigPath(); }

  // Installs the project's CRD and the demo Phase instance (namespace phase, Secret
  // phase-console-secret, backend and worker Deployments at v2.72.0).
  void installCrdAndPhase(const std::string& databasePassword = "not-a-real-password",
                          const std::string& databaseHost = "127.0.0.1", int databasePort = 5432);
  void installCrd();
  void installPhase(const std::string& databasePassword = "not-a-real-password",
                    const std::string& databaseHost = "127.0.0.1", int databasePort = 5432);
  // Creates (or replaces the spec of) the PhaseMaintenance phase/phase.
  void applyPhaseMaintenance(const Json& spec);
  Json phaseMaintenance();
  Json deployment(const std::string& name);
  std::vector<Json> jobs();
  std::vector<Json> events();

  // The operator runs as a ServiceAccount, authorized by RBAC as on a cluster: the one
  // deploy/overlays/cluster-wide installs, with its grants in every namespace, unless a test
  // chose another with runOperatorAs(). installOperatorRbac(K) applies the Namespace,
  // ServiceAccount and RBAC objects of `kubectl kustomize K` (as `kubectl apply -k K` would;
  // "deploy" is the namespaced default, whose Roles need the watched namespaces to exist)
  // and runs the operator as that ServiceAccount; the first startOperator* does it with the
  // cluster-wide overlay when no ServiceAccount was chosen.
  void installOperatorRbac(const std::string& kustomization = "deploy/overlays/cluster-wide");
  // Creates the objects as the admin (Namespace, ServiceAccount and RBAC kinds; an object
  // that exists already is left as it is).
  void applyAll(const std::vector<Json>& objects);
  // From now on the operator's kubeconfig carries a token of this ServiceAccount, and its
  // POD_NAMESPACE (startOperator) is `ns`.
  void runOperatorAs(const std::string& ns, const std::string& serviceAccount);
  // dir/operator-kubeconfig: the sandbox with the operator's ServiceAccount token.
  std::string operatorKubeconfig() const { return dir_.path() + "/operator-kubeconfig"; }
  // The user the operator's requests come from: "system:serviceaccount:<ns>:<name>".
  const std::string& operatorUser() const { return operatorUser_; }

  // Starts operator number `index` (its log: dir/operator-<index>.log) against the
  // sandbox as the operator's ServiceAccount, with debug logs, probes on a free loopback
  // port, a fixed --operator-image and POD_NAMESPACE set to the ServiceAccount's namespace.
  void startOperator(const std::vector<std::string>& extraArgs = {}, int index = 0);
  // Starts the operator binary with exactly these arguments (after argv[0]) and extra
  // environment variables.
  void startOperatorWith(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                         int index = 0);
  // Starts the operator as a Pod of `container` (a Deployment's container, the binary
  // being the image's entrypoint) would run it: its args and env, fieldRefs resolved to
  // the Pod's name and namespace; only what cannot work outside a cluster replaced: the
  // metrics address becomes a free loopback port, and --kubeconfig points at the sandbox
  // with the operator's ServiceAccount token (there is no in-cluster token file).
  // `extraArgs` are appended.
  void startOperatorAsContainer(const Json& container, const std::string& podNamespace, const std::string& podName,
                                const std::vector<std::string>& extraArgs = {}, int index = 0);
  void killOperator(int index = 0);      // SIGKILL
  bool operatorRunning(int index = 0);   // started and not exited
  int stopOperator(int index = 0);       // SIGTERM; returns the exit code
  std::string operatorLog(int index = 0) const;

  // Polls the PhaseMaintenance until `pred` holds; on timeout, or as soon as every
  // operator started has exited, fails the test with the last status and the operator's
  // log tail.
  Json waitForPm(const std::function<bool(const Json&)>& pred, std::chrono::seconds timeout,
                 const std::string& what);

 private:
  TempDir dir_;
  std::unique_ptr<sandbox::Server> sandbox_;
  std::unique_ptr<kube::HttpClient> client_;
  std::vector<std::unique_ptr<Process>> operators_;
  std::string operatorNamespace_;  // of the operator's ServiceAccount, "" until chosen
  std::string operatorUser_;
};

// spec.database for the demo Phase instance installCrdAndPhase installs: its Secret and
// key; host and port where the test's database (or none) listens.
Json demoDatabase(const std::string& host = "127.0.0.1", int port = 0);

// spec.database for a test database: demoDatabase() at its host and port, with its name and
// user, TLS off (the test cluster's loopback listener).
Json scratchDatabaseSpec(const ScratchDatabase& db);

// "v2.73.2" from "docker.io/phasehq/backend:v2.73.2".
std::string imageTag(const std::string& image);
std::string containerImage(const Json& deployment, const std::string& container);
std::string conditionStatus(const Json& pm, const std::string& type);
std::string conditionReason(const Json& pm, const std::string& type);

}  // namespace pmo::testing
