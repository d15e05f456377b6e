#include "e2e/tools_harness.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <iostream>
#include <sstream>
#include <stdexcept>

#include "common/yaml_json.hpp"

namespace pmo::testing {
namespace {

std::string existing(const char* what, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::runtime_error(std::string(what) + " " + path + " is missing: run scripts/tools.sh (scripts/setup.sh does)");
  return path;
}

}  // namespace

RunResult helm(const std::vector<std::string>& args, const std::string& home,
               const std::map<std::string, std::string>& env, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {existing("helm", PMO_HELM_BINARY)};
  argv.insert(argv.end(), args.begin(), args.end());
  std::map<std::string, std::string> all = {
      {"HELM_CACHE_HOME", home + "/cache"}, {"HELM_CONFIG_HOME", home + "/config"}, {"HELM_DATA_HOME", home + "/data"}};
  all.insert(env.begin(), env.end());
  return run(argv, all, timeout);
}

std::vector<nlohmann::json> helmTemplate(const std::vector<std::string>& setValues, const std::string& releaseNamespace) {
  TempDir home;
  std::vector<std::string> args = {"template", "phase-maintenance", std::string(PMO_SOURCE_DIR) + "/charts/phase-maintenance-operator",
                                   "--namespace", releaseNamespace};
  for (const auto& v : setValues) {
    args.push_back("--set");
    args.push_back(v);
  }
  const RunResult r = helm(args, home.path());
  if (r.exitCode != 0) throw std::runtime_error("helm template failed:\n" + r.err);
  std::istringstream in(r.out);
  return yaml::loadAll(in);
}

void expectStoredObjectsMatchKubernetesSchemas(const std::string& kubeconfig) {
  const RunResult r = run({PMO_NODE_BINARY, std::string(PMO_SOURCE_DIR) + "/tests/tools/kube_objects_check.cjs", kubeconfig},
                          {{"NODE_PATH", existing("node_modules", PMO_NODE_MODULES)}}, std::chrono::seconds(60));
  EXPECT_EQ(r.exitCode, 0) << "objects the API server stores do not match Kubernetes' published schemas:\n"
                           << r.out << r.err;
  if (r.exitCode == 0) std::cout << r.out;
}

}  // namespace pmo::testing
