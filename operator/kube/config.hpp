#pragma once
// Where the API server is and how to authenticate to it: from a kubeconfig file or from
// the in-cluster service account. Loading is the only I/O; the result is plain data
// (plus a TokenSource that re-reads a rotating token file).
//
// Supported auth: bearer token (inline or file), client certificate and key (file or
// inline data). Anything else in a kubeconfig user (exec credential plugins,
// auth-provider, username/password) is a ConfigError that names it. Only the FIRST file
// of a colon-separated $KUBECONFIG is read (kubectl merges them; we do not).
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/secret.hpp"

namespace pmo::kube {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The bearer token. Either a fixed value or a file that is re-read whenever its
// identity, size or modification time changes (kubelet rotates bound service-account
// tokens by swapping a symlink), and at least every `maxAge` regardless.
// Thread-safe. A file that cannot be read after it was read once keeps the last token
// (the caller gets 401 and retries) instead of failing every request.
class TokenSource {
 public:
  static std::shared_ptr<TokenSource> fixed(Secret token);
  // Throws ConfigError when the file cannot be read now.
  static std::shared_ptr<TokenSource> file(std::string path,
                                           std::chrono::seconds maxAge = std::chrono::seconds(60));

  Secret current();
  // Forces a re-read on the next current() (after a 401).
  void invalidate();
  const std::string& path() const { return path_; }  // empty for a fixed token

 private:
  TokenSource() = default;
  void reload(bool mustSucceed);

  std::mutex mu_;
  Secret token_;
  std::string path_;
  std::chrono::seconds maxAge_{60};
  std::chrono::steady_clock::time_point readAt_{};
  struct FileStamp {
    unsigned long long dev = 0, ino = 0, size = 0;
    long long mtimeSec = 0, mtimeNsec = 0;
    bool operator==(const FileStamp& o) const {
      return dev == o.dev && ino == o.ino && size == o.size && mtimeSec == o.mtimeSec && mtimeNsec == o.mtimeNsec;
    }
  };
  FileStamp stamp_;
  bool stale_ = false;
};

struct ClusterConfig {
  std::string server;                 // "https://10.0.0.1:443", no trailing slash
  std::string caPem;                  // empty: the system's trusted roots
  std::string caSource;               // where caPem came from, for error messages
  bool insecureSkipTLSVerify = false;
  std::string clientCertificatePem;   // with clientKeyPem: mutual TLS
  Secret clientKeyPem;
  std::shared_ptr<TokenSource> token; // null: no bearer token
  std::string defaultNamespace = "default";
  std::string source;                 // "kubeconfig /path (context c)" or "in-cluster"
};

// Which kubeconfig file to read: `explicitPath` if set, else the first entry of
// `kubeconfigEnv`, else `home`/.kube/config. Empty when there is none of these.
std::string resolveKubeconfigPath(const std::string& explicitPath, const std::string& kubeconfigEnv,
                                  const std::string& home);

// Parses kubeconfig text. `baseDir` resolves relative file paths; `context` empty means
// current-context; `sourceName` names the file in messages.
ClusterConfig parseKubeconfig(const std::string& yamlText, const std::string& baseDir, const std::string& context,
                              const std::string& sourceName);
ClusterConfig loadKubeconfig(const std::string& path, const std::string& context = "");

struct InClusterEnv {
  std::string host;  // $KUBERNETES_SERVICE_HOST
  std::string port;  // $KUBERNETES_SERVICE_PORT
  std::string root = "/var/run/secrets/kubernetes.io/serviceaccount";
  static InClusterEnv fromEnvironment();
};
ClusterConfig loadInCluster(const InClusterEnv& env);

// The operator's order (as controller-runtime): --kubeconfig, $KUBECONFIG, in-cluster
// when KUBERNETES_SERVICE_HOST is set, ~/.kube/config. The error lists what was tried.
ClusterConfig loadDefault(const std::string& explicitKubeconfig, const std::string& context);

// Strict base64 (standard alphabet, '=' padding optional, ASCII whitespace ignored).
// Returns nullopt on any other character or an impossible length.
std::optional<std::string> base64Decode(const std::string& text);

}  // namespace pmo::kube
