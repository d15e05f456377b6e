// Kubeconfig loading (config.hpp). Reads one file; every error names the file, the
// context/cluster/user entry and the field, and never carries a token or key.
#include <yaml-cpp/yaml.h>

#include <optional>

#include "kube/config.hpp"
#include "kube/config_files.hpp"

namespace pmo::kube {
namespace {

struct Source {
  std::string file;     // for messages
  std::string baseDir;  // for relative paths
};

// The `inner` map of the entry called `name` in a named list (clusters, contexts, users);
// nullopt when there is no such entry. An entry with an empty body is an empty map.
std::optional<YAML::Node> findNamed(const YAML::Node& list, const std::string& name, const char* inner) {
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const auto& entry : list) {
    if (entry.IsMap() && entry["name"] && entry["name"].as<std::string>("") == name) {
      YAML::Node body = entry[inner];
      return (body && body.IsMap()) ? body : YAML::Node(YAML::NodeType::Map);
    }
  }
  return std::nullopt;
}

std::string names(const YAML::Node& list) {
  std::string out;
  if (list && list.IsSequence()) {
    for (const auto& entry : list) {
      if (!entry.IsMap() || !entry["name"]) continue;
      out += (out.empty() ? "" : ", ") + entry["name"].as<std::string>("");
    }
  }
  return out.empty() ? "none" : out;
}

std::string str(const YAML::Node& map, const char* key) {
  if (!map || !map.IsMap() || !map[key] || !map[key].IsScalar()) return "";
  return map[key].as<std::string>("");
}

// The bytes of `<field>-data` (base64) or of the file named by `<field>`; "" when neither.
std::string fileOrData(const YAML::Node& map, const std::string& field, const std::string& what,
                       const Source& src) {
  std::string data = str(map, (field + "-data").c_str());
  if (!data.empty()) {
    auto decoded = base64Decode(data);
    if (!decoded) {
      throw ConfigError(field + "-data of " + what + " in kubeconfig " + src.file + " is not valid base64");
    }
    return *decoded;
  }
  std::string path = str(map, field.c_str());
  if (path.empty()) return "";
  std::string resolved = detail::resolvePath(path, src.baseDir);
  std::string error;
  auto bytes = detail::readSmallFile(resolved, error);
  if (!bytes) {
    throw ConfigError(field + " " + resolved + " of " + what + " in kubeconfig " + src.file + " cannot be read: " +
                      error);
  }
  return *bytes;
}

void rejectUnsupportedAuth(const YAML::Node& user, const std::string& what, const Source& src) {
  const std::string where = what + " in kubeconfig " + src.file;
  if (user["exec"]) {
    std::string command = str(user["exec"], "command");
    throw ConfigError(where + " uses an exec credential plugin" + (command.empty() ? "" : " (" + command + ")") +
                      ": exec credential plugins are not supported: use a token or client certificate");
  }
  if (user["auth-provider"]) {
    std::string name = str(user["auth-provider"], "name");
    throw ConfigError(where + " uses auth-provider" + (name.empty() ? "" : " \"" + name + "\"") +
                      ": auth providers are not supported: use a token or client certificate");
  }
  if (user["username"] || user["password"]) {
    throw ConfigError(where + " uses username/password (basic auth): not supported: use a token or client certificate");
  }
}

void applyUser(const YAML::Node& user, const std::string& userName, const Source& src, ClusterConfig& cfg) {
  const std::string what = "user \"" + userName + "\"";
  rejectUnsupportedAuth(user, what, src);
  cfg.clientCertificatePem = fileOrData(user, "client-certificate", what, src);
  cfg.clientKeyPem = Secret(fileOrData(user, "client-key", what, src));
  if (cfg.clientCertificatePem.empty() != cfg.clientKeyPem.empty()) {
    throw ConfigError(what + " in kubeconfig " + src.file +
                      " has a client certificate without a key or a key without a certificate: give both");
  }
  std::string tokenFile = str(user, "tokenFile");
  std::string token = str(user, "token");
  if (!tokenFile.empty()) {  // as client-go: the file wins, since it rotates
    try {
      cfg.token = TokenSource::file(detail::resolvePath(tokenFile, src.baseDir));
    } catch (const ConfigError& e) {
      throw ConfigError(std::string("tokenFile of ") + what + " in kubeconfig " + src.file + ": " + e.what());
    }
  } else if (!token.empty()) {
    cfg.token = TokenSource::fixed(Secret(token));
  }
}

}  // namespace

std::string resolveKubeconfigPath(const std::string& explicitPath, const std::string& kubeconfigEnv,
                                  const std::string& home) {
  if (!explicitPath.empty()) return explicitPath;
  if (!kubeconfigEnv.empty()) {
    std::string first = kubeconfigEnv.substr(0, kubeconfigEnv.find(':'));
    if (!first.empty()) return first;
  }
  if (!home.empty()) return home + "/.kube/config";
  return "";
}

ClusterConfig parseKubeconfig(const std::string& yamlText, const std::string& baseDir, const std::string& context,
                              const std::string& sourceName) {
  Source src{sourceName, baseDir};
  YAML::Node loaded;
  try {
    loaded = YAML::Load(yamlText);
  } catch (const YAML::Exception& e) {
    throw ConfigError("kubeconfig " + src.file + " is not valid YAML: " + e.what());
  }
  if (!loaded.IsMap()) throw ConfigError("kubeconfig " + src.file + " is not a YAML mapping");
  const YAML::Node root = loaded;  // const: lookups must not insert keys

  std::string contextName = context.empty() ? str(root, "current-context") : context;
  if (contextName.empty()) {
    throw ConfigError("kubeconfig " + src.file + " has no current-context: choose one with --context (contexts: " +
                      names(root["contexts"]) + ")");
  }
  // Separate optionals on purpose: assigning a YAML::Node overwrites the node it refers to.
  std::optional<YAML::Node> foundContext = findNamed(root["contexts"], contextName, "context");
  if (!foundContext) {
    throw ConfigError("context \"" + contextName + "\" not found in kubeconfig " + src.file + " (contexts: " +
                      names(root["contexts"]) + ")");
  }
  const YAML::Node ctx = *foundContext;
  std::string clusterName = str(ctx, "cluster");
  std::optional<YAML::Node> foundCluster = findNamed(root["clusters"], clusterName, "cluster");
  if (clusterName.empty() || !foundCluster) {
    throw ConfigError("cluster \"" + clusterName + "\" of context \"" + contextName + "\" not found in kubeconfig " +
                      src.file + " (clusters: " + names(root["clusters"]) + ")");
  }
  const YAML::Node cluster = *foundCluster;

  ClusterConfig cfg;
  cfg.source = "kubeconfig " + src.file + " (context " + contextName + ")";
  cfg.server = str(cluster, "server");
  while (!cfg.server.empty() && cfg.server.back() == '/') cfg.server.pop_back();
  if (cfg.server.empty()) {
    throw ConfigError("cluster \"" + clusterName + "\" in kubeconfig " + src.file + " has no server");
  }
  if (cfg.server.rfind("https://", 0) != 0 && cfg.server.rfind("http://", 0) != 0) {
    throw ConfigError("server \"" + cfg.server + "\" of cluster \"" + clusterName + "\" in kubeconfig " + src.file +
                      " must start with https:// or http://");
  }
  const std::string clusterWhat = "cluster \"" + clusterName + "\"";
  cfg.caPem = fileOrData(cluster, "certificate-authority", clusterWhat, src);
  if (!cfg.caPem.empty()) {
    cfg.caSource = str(cluster, "certificate-authority-data").empty()
                       ? "certificate-authority " + detail::resolvePath(str(cluster, "certificate-authority"), baseDir)
                       : "certificate-authority-data of " + clusterWhat + " in kubeconfig " + src.file;
  } else {
    cfg.caSource = "the system's trusted CAs";
  }
  cfg.insecureSkipTLSVerify = cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>(false);

  std::string ns = str(ctx, "namespace");
  if (!ns.empty()) cfg.defaultNamespace = ns;

  std::string userName = str(ctx, "user");
  if (!userName.empty()) {
    std::optional<YAML::Node> user = findNamed(root["users"], userName, "user");
    if (!user) {
      throw ConfigError("user \"" + userName + "\" of context \"" + contextName + "\" not found in kubeconfig " +
                        src.file + " (users: " + names(root["users"]) + ")");
    }
    applyUser(*user, userName, src, cfg);
  }
  return cfg;
}

ClusterConfig loadKubeconfig(const std::string& path, const std::string& context) {
  std::string error;
  auto text = detail::readSmallFile(path, error);
  if (!text) throw ConfigError("cannot read kubeconfig " + path + ": " + error);
  size_t slash = path.rfind('/');
  std::string baseDir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  return parseKubeconfig(*text, baseDir, context, path);
}

}  // namespace pmo::kube
