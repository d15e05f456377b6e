#include "e2e/operator_harness.hpp"

#include <signal.h>

#include <algorithm>
#include <regex>
#include <thread>

#include "../unit/spec_test_yaml.hpp"

namespace pmo::testing {

namespace res = kube::resources;

sandbox::Options OperatorHarness::defaultSandboxOptions() {
  sandbox::Options o;
  o.jobDuration = std::chrono::milliseconds(300);
  o.rolloutDuration = std::chrono::milliseconds(300);
  o.bookmarkInterval = std::chrono::seconds(2);
  return o;
}

OperatorHarness::OperatorHarness(sandbox::Options options) {
  options.dataDir = dir_.path() + "/sandbox";
  sandbox_ = std::make_unique<sandbox::Server>(options);
  sandbox_->start();
  kube::HttpClientOptions clientOptions;
  clientOptions.userAgent = kTestUserAgent;  // so the sandbox's request log tells the test from the operator
  client_ = std::make_unique<kube::HttpClient>(kube::loadKubeconfig(sandbox_->kubeconfigPath()), clientOptions);
}

OperatorHarness::~OperatorHarness() {
  for (auto& op : operators_) {
    if (op) op->kill();
  }
  sandbox_->stop();
}

void OperatorHarness::installCrdAndPhase(const std::string& password, const std::string& host, int port) {
  installCrd();
  installPhase(password, host, port);
}

void OperatorHarness::installCrd() { client_->create(res::kCustomResourceDefinitions, "", loadCrd()); }

void OperatorHarness::installPhase(const std::string& password, const std::string& host, int port) {
  std::string text = readFile(sourcePath("deploy/examples/demo/phase-instance.yaml"));
  if (text.empty()) throw std::runtime_error("deploy/examples/demo/phase-instance.yaml is missing or empty");
  text = std::regex_replace(text, std::regex("@DATABASE_PASSWORD@"), password);
  text = std::regex_replace(text, std::regex("@DATABASE_HOST@"), host);
  text = std::regex_replace(text, std::regex("@DATABASE_PORT@"), std::to_string(port));
  for (const auto& doc : YAML::LoadAll(text)) {
    const Json obj = yamlToJson(doc);
    const std::string kind = obj.value("kind", "");
    const std::string ns = obj.value("/metadata/namespace"_json_pointer, std::string());
    if (kind == "Namespace") client_->create(res::kNamespaces, "", obj);
    else if (kind == "Secret") client_->create(res::kSecrets, ns, obj);  // the server folds stringData into data
    else if (kind == "Deployment") {
      client_->create(res::kDeployments, ns, obj);
      // An installed Phase ran its migrations: the sandbox's schema is at the image's version,
      // so the operator's wait-for-schema gate lets these pods start.
      const std::string image = obj.value("/spec/template/spec/containers/0/image"_json_pointer, std::string());
      if (sandbox_->controls().schemaVersion(ns).empty())
        sandbox_->controls().setSchemaVersion(ns, sandbox_->controls().imageVersion(image));
    } else {
      throw std::runtime_error("phase-instance.yaml: no resource for kind " + kind);
    }
  }
}

namespace {

// The admin's way to create what installOperatorRbac applies.
kube::Resource resourceOf(const std::string& kind) {
  static const std::map<std::string, kube::Resource> kinds = {
      {"Namespace", res::kNamespaces},
      {"ServiceAccount", {"", "v1", "serviceaccounts", "ServiceAccount", true}},
      {"ClusterRole", {"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false}},
      {"ClusterRoleBinding", {"rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false}},
      {"Role", {"rbac.authorization.k8s.io", "v1", "roles", "Role", true}},
      {"RoleBinding", {"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true}}};
  auto it = kinds.find(kind);
  if (it == kinds.end()) throw std::runtime_error("OperatorHarness::applyAll: no resource for kind " + kind);
  return it->second;
}

// The objects `kubectl kustomize` builds from a folder of this repository.
std::vector<Json> kustomizeBuild(const std::string& kustomization) {
  const RunResult built = run({"kubectl", "kustomize", sourcePath(kustomization)}, {}, std::chrono::seconds(60));
  if (built.exitCode != 0)
    throw std::runtime_error("kubectl kustomize " + kustomization + " (kubectl must be on PATH): " + built.err);
  std::vector<Json> objects;
  for (const auto& doc : YAML::LoadAll(built.out)) objects.push_back(yamlToJson(doc));
  return objects;
}

}  // namespace

void OperatorHarness::applyAll(const std::vector<Json>& objects) {
  for (const auto& obj : objects) {
    const kube::Resource r = resourceOf(obj.value("kind", ""));
    try {
      client_->create(r, r.namespaced ? obj.at("/metadata/namespace"_json_pointer).get<std::string>() : "", obj);
    } catch (const kube::ApiError& e) {
      if (e.reason() != kube::ErrorReason::AlreadyExists) throw;
    }
  }
}

void OperatorHarness::installOperatorRbac(const std::string& kustomization) {
  std::vector<Json> objects;
  std::string ns, serviceAccount;
  for (const Json& doc : kustomizeBuild(kustomization)) {
    const std::string kind = doc.value("kind", "");
    if (kind != "Namespace" && kind != "ServiceAccount" && kind.find("Role") == std::string::npos) continue;
    if (kind == "ServiceAccount") {
      serviceAccount = doc["metadata"]["name"];
      ns = doc["metadata"]["namespace"];
    }
    objects.push_back(doc);
  }
  if (serviceAccount.empty()) throw std::runtime_error(kustomization + " installs no ServiceAccount");
  applyAll(objects);
  runOperatorAs(ns, serviceAccount);
}

void OperatorHarness::runOperatorAs(const std::string& ns, const std::string& serviceAccount) {
  sandbox_->writeKubeconfig(operatorKubeconfig(),
                            sandbox_->controls().createServiceAccountToken(ns, serviceAccount, std::chrono::hours(24)));
  operatorNamespace_ = ns;
  operatorUser_ = "system:serviceaccount:" + ns + ":" + serviceAccount;
}

void OperatorHarness::applyPhaseMaintenance(const Json& spec) {
  Json pm = {{"apiVersion", "maintenance.phase.dev/v1alpha1"},
             {"kind", "PhaseMaintenance"},
             {"metadata", {{"name", "phase"}, {"namespace", "phase"}}},
             {"spec", spec}};
  try {
    Json current = client_->get(res::kPhaseMaintenances, "phase", "phase");
    current["spec"] = spec;
    client_->update(res::kPhaseMaintenances, "phase", current);
  } catch (const kube::ApiError& e) {
    if (e.reason() != kube::ErrorReason::NotFound) throw;
    client_->create(res::kPhaseMaintenances, "phase", pm);
  }
}

Json OperatorHarness::phaseMaintenance() { return client_->get(res::kPhaseMaintenances, "phase", "phase"); }
Json OperatorHarness::deployment(const std::string& name) { return client_->get(res::kDeployments, "phase", name); }

std::vector<Json> OperatorHarness::jobs() {
  const Json list = client_->list(res::kJobs, "phase");  // keep the list alive while iterating
  return list.value("items", Json::array()).get<std::vector<Json>>();
}

std::vector<Json> OperatorHarness::events() {
  const Json list = client_->list(res::kEvents, "phase");
  return list.value("items", Json::array()).get<std::vector<Json>>();
}

void OperatorHarness::startOperator(const std::vector<std::string>& extraArgs, int index) {
  if (operatorNamespace_.empty()) installOperatorRbac();
  std::vector<std::string> args = {"run", "--kubeconfig", operatorKubeconfig(), "--metrics-bind-address", "127.0.0.1:0",
                                   "--operator-image", "phase-maintenance-operator:e2e", "--log-level", "debug"};
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  startOperatorWith(args, {{"POD_NAMESPACE", operatorNamespace_}}, index);
}

void OperatorHarness::startOperatorWith(const std::vector<std::string>& args,
                                        const std::map<std::string, std::string>& env, int index) {
  if (static_cast<int>(operators_.size()) <= index) operators_.resize(index + 1);
  std::vector<std::string> argv = {PMO_OPERATOR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  operators_[index] =
      std::make_unique<Process>(argv, env, dir_.path() + "/operator-" + std::to_string(index) + ".log");
}

void OperatorHarness::startOperatorAsContainer(const Json& container, const std::string& podNamespace,
                                               const std::string& podName, const std::vector<std::string>& extraArgs,
                                               int index) {
  if (container.contains("command"))
    throw std::runtime_error("the container overrides the image's entrypoint: " + container["command"].dump());
  std::vector<std::string> args;
  bool nextIsAddress = false;
  for (const auto& a : container.value("args", Json::array())) {
    const std::string arg = a.get<std::string>();
    if (nextIsAddress) {
      args.push_back("127.0.0.1:0");
      nextIsAddress = false;
    } else if (arg.rfind("--metrics-bind-address=", 0) == 0) {
      args.push_back("--metrics-bind-address=127.0.0.1:0");
    } else {
      nextIsAddress = arg == "--metrics-bind-address";
      args.push_back(arg);
    }
  }
  if (operatorNamespace_.empty()) installOperatorRbac();
  args.push_back("--kubeconfig=" + operatorKubeconfig());
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  std::map<std::string, std::string> env;
  for (const auto& e : container.value("env", Json::array())) {
    const std::string name = e.value("name", "");
    const std::string field = e.value("/valueFrom/fieldRef/fieldPath"_json_pointer, std::string());
    if (e.contains("value")) env[name] = e["value"].get<std::string>();
    else if (field == "metadata.name") env[name] = podName;
    else if (field == "metadata.namespace") env[name] = podNamespace;
    else throw std::runtime_error("cannot resolve env " + name + " outside a cluster: " + e.dump());
  }
  startOperatorWith(args, env, index);
}

bool OperatorHarness::operatorRunning(int index) {
  return index >= 0 && static_cast<std::size_t>(index) < operators_.size() && operators_[index] &&
         operators_[index]->running();
}

void OperatorHarness::killOperator(int index) { operators_.at(index)->kill(); }

int OperatorHarness::stopOperator(int index) {
  operators_.at(index)->signal(SIGTERM);
  return operators_.at(index)->wait(std::chrono::seconds(20));
}

std::string OperatorHarness::operatorLog(int index) const {
  return readFile(dir_.path() + "/operator-" + std::to_string(index) + ".log");
}

Json OperatorHarness::waitForPm(const std::function<bool(const Json&)>& pred, std::chrono::seconds timeout,
                                const std::string& what) {
  Json last;
  bool exited = false;
  const bool ok = eventually(
      [&] {
        exited = !operators_.empty() &&
                 std::none_of(operators_.begin(), operators_.end(), [](const auto& op) { return op && op->running(); });
        if (exited) return true;  // nothing left to wait for
        try {
          last = phaseMaintenance();
          return pred(last);
        } catch (const std::exception&) {
          return false;
        }
      },
      timeout, std::chrono::milliseconds(100));
  if (!ok || exited) {
    if (exited) {
      try {
        last = phaseMaintenance();  // for the message, and callers reading the result
      } catch (const std::exception&) {
      }
    }
    std::string log = operatorLog();
    if (log.size() > 6000) log = log.substr(log.size() - 6000);
    ADD_FAILURE() << (exited ? "the operator exited while waiting for " : "timed out waiting for ") << what
                  << "\nstatus: " << last.value("status", Json()).dump(2) << "\noperator log tail:\n"
                  << log;
  }
  return last;
}

Json scratchDatabaseSpec(const ScratchDatabase& db) {
  Json database = demoDatabase(db.params().host, db.params().port);
  database["name"] = db.name();
  database["user"] = db.params().user;
  database["sslMode"] = "disable";
  return database;
}

Json demoDatabase(const std::string& host, int port) {
  Json db = {{"host", host},
             {"name", "phase_db"},
             {"user", "phase_api"},
             {"passwordSecretRef", {{"name", "phase-console-secret"}, {"key", "DATABASE_PASSWORD"}}}};
  if (port > 0) db["port"] = port;
  return db;
}

std::string imageTag(const std::string& image) {
  const auto colon = image.rfind(':');
  return colon == std::string::npos ? "" : image.substr(colon + 1);
}

std::string containerImage(const Json& deployment, const std::string& container) {
  for (const auto& c : deployment["spec"]["template"]["spec"]["containers"]) {
    if (c.value("name", "") == container) return c.value("image", "");
  }
  return "";
}

std::string conditionStatus(const Json& pm, const std::string& type) {
  for (const auto& c : pm.value("/status/conditions"_json_pointer, Json::array()))
    if (c.value("type", "") == type) return c.value("status", "");
  return "";
}

std::string conditionReason(const Json& pm, const std::string& type) {
  for (const auto& c : pm.value("/status/conditions"_json_pointer, Json::array()))
    if (c.value("type", "") == type) return c.value("reason", "");
  return "";
}

}  // namespace pmo::testing
