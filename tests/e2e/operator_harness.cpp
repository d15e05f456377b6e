#include "e2e/operator_harness.hpp"

#include <signal.h>

#include <fstream>
#include <regex>
#include <sstream>
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
  client_ = std::make_unique<kube::HttpClient>(kube::loadKubeconfig(sandbox_->kubeconfigPath()));
}

OperatorHarness::~OperatorHarness() {
  for (auto& op : operators_) {
    if (op) op->kill();
  }
  sandbox_->stop();
}

void OperatorHarness::installCrdAndPhase(const std::string& password, const std::string& host, int port) {
  client_->create(res::kCustomResourceDefinitions, "", loadCrd());
  std::ifstream in(sourcePath("deploy/examples/demo/phase-instance.yaml"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  text = std::regex_replace(text, std::regex("@DATABASE_PASSWORD@"), password);
  text = std::regex_replace(text, std::regex("@DATABASE_HOST@"), host);
  text = std::regex_replace(text, std::regex("@DATABASE_PORT@"), std::to_string(port));
  for (const auto& doc : YAML::LoadAll(text)) {
    Json obj = yamlToJson(doc);
    const std::string kind = obj.value("kind", "");
    const std::string ns = obj.value("/metadata/namespace"_json_pointer, std::string());
    if (kind == "Namespace") client_->create(res::kNamespaces, "", obj);
    else if (kind == "Secret") {
      // stringData is written by the API server into data; the sandbox stores as sent.
      Json data = Json::object();
      for (auto& [k, v] : obj["stringData"].items()) {
        const std::string s = v.get<std::string>();
        static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string out;
        int val = 0, bits = -6;
        for (unsigned char c : s) {
          val = (val << 8) + c;
          bits += 8;
          while (bits >= 0) {
            out.push_back(tbl[(val >> bits) & 0x3F]);
            bits -= 6;
          }
        }
        if (bits > -6) out.push_back(tbl[((val << 8) >> (bits + 8)) & 0x3F]);
        while (out.size() % 4) out.push_back('=');
        data[k] = out;
      }
      obj.erase("stringData");
      obj["data"] = data;
      client_->create(res::kSecrets, ns, obj);
    } else if (kind == "Deployment") {
      client_->create(res::kDeployments, ns, obj);
    }
  }
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
  if (static_cast<int>(operators_.size()) <= index) operators_.resize(index + 1);
  std::vector<std::string> argv = {PMO_OPERATOR_BINARY, "run", "--kubeconfig", kubeconfig(),
                                   "--metrics-bind-address", "127.0.0.1:0", "--operator-image",
                                   "phase-maintenance-operator:e2e", "--log-level", "debug"};
  argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
  operators_[index] = std::make_unique<Process>(argv, std::map<std::string, std::string>{{"POD_NAMESPACE", "phase"}},
                                                dir_.path() + "/operator-" + std::to_string(index) + ".log");
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
  const bool ok = eventually(
      [&] {
        try {
          last = phaseMaintenance();
          return pred(last);
        } catch (const std::exception&) {
          return false;
        }
      },
      timeout, std::chrono::milliseconds(100));
  if (!ok) {
    std::string log = operatorLog();
    if (log.size() > 6000) log = log.substr(log.size() - 6000);
    ADD_FAILURE() << "timed out waiting for " << what << "\nstatus: " << last.value("status", Json()).dump(2)
                  << "\noperator log tail:\n"
                  << log;
  }
  return last;
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
