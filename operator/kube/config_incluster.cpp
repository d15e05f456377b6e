// In-cluster configuration and the default loading order (config.hpp).
#include <cstdlib>

#include "kube/config.hpp"
#include "kube/config_files.hpp"

namespace pmo::kube {
namespace {
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
}  // namespace

InClusterEnv InClusterEnv::fromEnvironment() {
  InClusterEnv e;
  e.host = env("KUBERNETES_SERVICE_HOST");
  e.port = env("KUBERNETES_SERVICE_PORT");
  return e;
}

ClusterConfig loadInCluster(const InClusterEnv& e) {
  if (e.host.empty() || e.port.empty()) {
    throw ConfigError("not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  ClusterConfig cfg;
  cfg.source = "in-cluster service account (" + e.root + ")";
  bool ipv6 = e.host.find(':') != std::string::npos;
  cfg.server = "https://" + (ipv6 ? "[" + e.host + "]" : e.host) + ":" + e.port;

  const std::string caPath = e.root + "/ca.crt";
  std::string error;
  auto ca = detail::readSmallFile(caPath, error);
  if (!ca) throw ConfigError("in-cluster CA " + caPath + " cannot be read: " + error);
  cfg.caPem = *ca;
  cfg.caSource = "in-cluster CA " + caPath;

  try {
    cfg.token = TokenSource::file(e.root + "/token");
  } catch (const ConfigError& err) {
    throw ConfigError(std::string("in-cluster service-account token: ") + err.what());
  }

  auto ns = detail::readSmallFile(e.root + "/namespace", error);
  if (ns) {
    std::string value = *ns;
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
    if (!value.empty()) cfg.defaultNamespace = value;
  }
  return cfg;
}

ClusterConfig loadDefault(const std::string& explicitKubeconfig, const std::string& context) {
  if (!explicitKubeconfig.empty()) return loadKubeconfig(explicitKubeconfig, context);
  std::string fromEnv = resolveKubeconfigPath("", env("KUBECONFIG"), "");
  if (!fromEnv.empty()) return loadKubeconfig(fromEnv, context);
  InClusterEnv inCluster = InClusterEnv::fromEnvironment();
  if (!inCluster.host.empty()) return loadInCluster(inCluster);
  std::string home = resolveKubeconfigPath("", "", env("HOME"));
  if (home.empty()) {
    throw ConfigError("no Kubernetes configuration: pass --kubeconfig, set $KUBECONFIG, run in a cluster, "
                      "or create ~/.kube/config");
  }
  try {
    return loadKubeconfig(home, context);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string(e.what()) +
                      " (tried --kubeconfig, $KUBECONFIG, in-cluster, ~/.kube/config in that order)");
  }
}

}  // namespace pmo::kube
