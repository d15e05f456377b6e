// Kubeconfig and in-cluster loading (kube/config.hpp): every field variant and every error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kube/config.hpp"

namespace pmo::kube {
namespace {

namespace fs = std::filesystem;

// base64 of "CA-PEM", "CERT-PEM", "KEY-PEM"
constexpr const char* kCaB64 = "Q0EtUEVN";
constexpr const char* kCertB64 = "Q0VSVC1QRU0=";
constexpr const char* kKeyB64 = "S0VZLVBFTQ==";

class KubeConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "pmo-kubecfg-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    fs::path p = fs::path(dir_) / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  // A kubeconfig with one cluster "c", context "ctx" (and "other") and user `userYaml`.
  std::string kubeconfig(const std::string& clusterYaml, const std::string& userYaml,
                         const std::string& currentContext = "ctx") {
    std::ostringstream y;
    y << "apiVersion: v1\nkind: Config\n";
    if (!currentContext.empty()) y << "current-context: " << currentContext << "\n";
    y << "clusters:\n- name: c\n  cluster:\n" << clusterYaml
      << "- name: c2\n  cluster:\n    server: https://other.example:6443/\n"
      << "contexts:\n- name: ctx\n  context: {cluster: c, user: u, namespace: phase}\n"
      << "- name: other\n  context: {cluster: c2, user: u}\n"
      << "users:\n- name: u\n  user:\n" << userYaml;
    return write("kubeconfig", y.str());
  }

  std::string errorOf(const std::function<void()>& f) {
    try {
      f();
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected ConfigError";
    return "";
  }

  std::string dir_;
};

TEST_F(KubeConfig, InlineDataAndTokenFromCurrentContext) {
  auto path = kubeconfig(std::string("    server: https://127.0.0.1:6443/\n    certificate-authority-data: ") + kCaB64 + "\n",
                         "    token: abc.def\n");
  ClusterConfig cfg = loadKubeconfig(path);
  EXPECT_EQ(cfg.server, "https://127.0.0.1:6443");  // trailing slash dropped
  EXPECT_EQ(cfg.caPem, "CA-PEM");
  EXPECT_NE(cfg.caSource.find("certificate-authority-data"), std::string::npos);
  EXPECT_EQ(cfg.defaultNamespace, "phase");
  ASSERT_TRUE(cfg.token);
  EXPECT_EQ(cfg.token->current().reveal(), "abc.def");
  EXPECT_FALSE(cfg.insecureSkipTLSVerify);
  EXPECT_TRUE(cfg.clientCertificatePem.empty());
  EXPECT_NE(cfg.source.find("context ctx"), std::string::npos);
}

TEST_F(KubeConfig, NamedContextOverridesCurrentAndDefaultsNamespace) {
  auto path = kubeconfig("    server: https://a:1\n", "    token: t\n");
  ClusterConfig cfg = loadKubeconfig(path, "other");
  EXPECT_EQ(cfg.server, "https://other.example:6443");
  EXPECT_EQ(cfg.defaultNamespace, "default");
  EXPECT_TRUE(cfg.caPem.empty());
  EXPECT_EQ(cfg.caSource, "the system's trusted CAs");
}

TEST_F(KubeConfig, RelativeFilePathsResolveAgainstTheKubeconfigDirectory) {
  write("pki/ca.crt", "CA-FILE");
  write("pki/client.crt", "CERT-FILE");
  write("pki/client.key", "KEY-FILE");
  auto path = kubeconfig("    server: https://a:1\n    certificate-authority: pki/ca.crt\n",
                         "    client-certificate: pki/client.crt\n    client-key: " + dir_ + "/pki/client.key\n");
  ClusterConfig cfg = loadKubeconfig(path);
  EXPECT_EQ(cfg.caPem, "CA-FILE");
  EXPECT_EQ(cfg.caSource, "certificate-authority " + dir_ + "/pki/ca.crt");
  EXPECT_EQ(cfg.clientCertificatePem, "CERT-FILE");
  EXPECT_EQ(cfg.clientKeyPem.reveal(), "KEY-FILE");
  EXPECT_FALSE(cfg.token);
}

TEST_F(KubeConfig, ClientCertificateAndKeyData) {
  auto path = kubeconfig("    server: https://a:1\n    insecure-skip-tls-verify: true\n",
                         std::string("    client-certificate-data: ") + kCertB64 + "\n    client-key-data: " + kKeyB64 + "\n");
  ClusterConfig cfg = loadKubeconfig(path);
  EXPECT_EQ(cfg.clientCertificatePem, "CERT-PEM");
  EXPECT_EQ(cfg.clientKeyPem.reveal(), "KEY-PEM");
  EXPECT_TRUE(cfg.insecureSkipTLSVerify);
}

TEST_F(KubeConfig, TokenFileWinsOverTokenAndIsReReadWhenItRotates) {
  write("token", "first-token\n");
  auto path = kubeconfig("    server: https://a:1\n", "    token: inline\n    tokenFile: token\n");
  ClusterConfig cfg = loadKubeconfig(path);
  ASSERT_TRUE(cfg.token);
  EXPECT_EQ(cfg.token->path(), dir_ + "/token");
  EXPECT_EQ(cfg.token->current().reveal(), "first-token");
  // kubelet-style rotation: a new file renamed over the old one (new inode).
  write("token.new", "second-token-longer");
  fs::rename(fs::path(dir_) / "token.new", fs::path(dir_) / "token");
  EXPECT_EQ(cfg.token->current().reveal(), "second-token-longer");
  // In-place rewrite of the same length: caught by invalidate() (what a 401 triggers).
  write("token", "third-token-longer!");
  cfg.token->invalidate();
  EXPECT_EQ(cfg.token->current().reveal(), "third-token-longer!");
  // A vanished or empty file keeps the last good token instead of failing requests.
  fs::remove(fs::path(dir_) / "token");
  EXPECT_EQ(cfg.token->current().reveal(), "third-token-longer!");
  write("token", "");
  EXPECT_EQ(cfg.token->current().reveal(), "third-token-longer!");
}

TEST_F(KubeConfig, TokenFileThatCannotBeReadAtLoadIsAnError) {
  auto path = kubeconfig("    server: https://a:1\n", "    tokenFile: missing-token\n");
  std::string msg = errorOf([&] { loadKubeconfig(path); });
  EXPECT_NE(msg.find("tokenFile"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir_ + "/missing-token"), std::string::npos) << msg;
}

TEST_F(KubeConfig, MissingFileNamesThePath) {
  std::string msg = errorOf([&] { loadKubeconfig(dir_ + "/nope"); });
  EXPECT_NE(msg.find("cannot read kubeconfig " + dir_ + "/nope"), std::string::npos) << msg;
}

TEST_F(KubeConfig, MissingContextListsTheContexts) {
  auto path = kubeconfig("    server: https://a:1\n", "    token: t\n");
  std::string msg = errorOf([&] { loadKubeconfig(path, "prod"); });
  EXPECT_NE(msg.find("context \"prod\" not found"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ctx, other"), std::string::npos) << msg;
}

TEST_F(KubeConfig, NoCurrentContextAsksForOne) {
  auto path = kubeconfig("    server: https://a:1\n", "    token: t\n", "");
  EXPECT_NE(errorOf([&] { loadKubeconfig(path); }).find("no current-context"), std::string::npos);
}

TEST_F(KubeConfig, MissingClusterOrUserEntriesAreNamed) {
  auto noCluster = write("k1", "current-context: x\ncontexts:\n- name: x\n  context: {cluster: gone, user: u}\n");
  EXPECT_NE(errorOf([&] { loadKubeconfig(noCluster); }).find("cluster \"gone\""), std::string::npos);
  auto noUser = write("k2",
                      "current-context: x\nclusters:\n- name: c\n  cluster: {server: https://a:1}\n"
                      "contexts:\n- name: x\n  context: {cluster: c, user: ghost}\n");
  EXPECT_NE(errorOf([&] { loadKubeconfig(noUser); }).find("user \"ghost\""), std::string::npos);
  auto noServer = write("k3",
                        "current-context: x\nclusters:\n- name: c\n  cluster: {}\n"
                        "contexts:\n- name: x\n  context: {cluster: c}\n");
  EXPECT_NE(errorOf([&] { loadKubeconfig(noServer); }).find("has no server"), std::string::npos);
  auto badScheme = write("k4",
                         "current-context: x\nclusters:\n- name: c\n  cluster: {server: 'tcp://a:1'}\n"
                         "contexts:\n- name: x\n  context: {cluster: c}\n");
  EXPECT_NE(errorOf([&] { loadKubeconfig(badScheme); }).find("must start with https://"), std::string::npos);
  EXPECT_NE(errorOf([&] { loadKubeconfig(write("k5", "a: [unclosed")); }).find("not valid YAML"), std::string::npos);
}

TEST_F(KubeConfig, ExecPluginAuthProviderAndBasicAuthAreNamedAsUnsupported) {
  auto exec = kubeconfig("    server: https://a:1\n",
                         "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: aws\n");
  std::string msg = errorOf([&] { loadKubeconfig(exec); });
  EXPECT_NE(msg.find("exec credential plugins are not supported: use a token or client certificate"),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("(aws)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("user \"u\""), std::string::npos) << msg;

  auto provider = kubeconfig("    server: https://a:1\n", "    auth-provider:\n      name: gcp\n");
  msg = errorOf([&] { loadKubeconfig(provider); });
  EXPECT_NE(msg.find("auth-provider \"gcp\""), std::string::npos) << msg;

  auto basic = kubeconfig("    server: https://a:1\n", "    username: admin\n    password: hunter2\n");
  msg = errorOf([&] { loadKubeconfig(basic); });
  EXPECT_NE(msg.find("username/password"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << "a password leaked into the message";
}

TEST_F(KubeConfig, BadBase64NamesTheFieldAndNotTheData) {
  auto ca = kubeconfig("    server: https://a:1\n    certificate-authority-data: '%%%notbase64'\n", "    token: t\n");
  std::string msg = errorOf([&] { loadKubeconfig(ca); });
  EXPECT_NE(msg.find("certificate-authority-data of cluster \"c\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid base64"), std::string::npos) << msg;

  auto key = kubeconfig("    server: https://a:1\n",
                        std::string("    client-certificate-data: ") + kCertB64 + "\n    client-key-data: 'sekr*t'\n");
  msg = errorOf([&] { loadKubeconfig(key); });
  EXPECT_NE(msg.find("client-key-data"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("sekr*t"), std::string::npos) << "key material leaked into the message";
}

TEST_F(KubeConfig, MissingReferencedFilesAndHalfAClientPairAreErrors) {
  auto ca = kubeconfig("    server: https://a:1\n    certificate-authority: nope.crt\n", "    token: t\n");
  std::string msg = errorOf([&] { loadKubeconfig(ca); });
  EXPECT_NE(msg.find("certificate-authority " + dir_ + "/nope.crt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file"), std::string::npos) << msg;

  auto half = kubeconfig("    server: https://a:1\n", std::string("    client-certificate-data: ") + kCertB64 + "\n");
  EXPECT_NE(errorOf([&] { loadKubeconfig(half); }).find("without a key"), std::string::npos);
}

TEST_F(KubeConfig, ResolvesWhichFileToRead) {
  EXPECT_EQ(resolveKubeconfigPath("/explicit", "/env1:/env2", "/home/u"), "/explicit");
  EXPECT_EQ(resolveKubeconfigPath("", "/env1:/env2", "/home/u"), "/env1");  // first of the list only
  EXPECT_EQ(resolveKubeconfigPath("", "", "/home/u"), "/home/u/.kube/config");
  EXPECT_EQ(resolveKubeconfigPath("", "", ""), "");
}

TEST_F(KubeConfig, InClusterReadsTheServiceAccountFiles) {
  write("sa/token", "sa-token\n");
  write("sa/ca.crt", "SA-CA");
  write("sa/namespace", "phase-system\n");
  ClusterConfig cfg = loadInCluster({"10.96.0.1", "443", dir_ + "/sa"});
  EXPECT_EQ(cfg.server, "https://10.96.0.1:443");
  EXPECT_EQ(cfg.caPem, "SA-CA");
  EXPECT_EQ(cfg.caSource, "in-cluster CA " + dir_ + "/sa/ca.crt");
  EXPECT_EQ(cfg.defaultNamespace, "phase-system");
  ASSERT_TRUE(cfg.token);
  EXPECT_EQ(cfg.token->current().reveal(), "sa-token");
  write("sa/token", "rotated-sa-token");
  EXPECT_EQ(cfg.token->current().reveal(), "rotated-sa-token");
  EXPECT_EQ(loadInCluster({"fd00::1", "443", dir_ + "/sa"}).server, "https://[fd00::1]:443");
}

TEST_F(KubeConfig, InClusterErrorsNameWhatIsMissing) {
  EXPECT_NE(errorOf([&] { loadInCluster({"", "", dir_}); }).find("KUBERNETES_SERVICE_HOST"), std::string::npos);
  write("sa/token", "t");
  std::string msg = errorOf([&] { loadInCluster({"h", "443", dir_ + "/sa"}); });
  EXPECT_NE(msg.find("in-cluster CA " + dir_ + "/sa/ca.crt"), std::string::npos) << msg;
  write("sa2/ca.crt", "CA");
  msg = errorOf([&] { loadInCluster({"h", "443", dir_ + "/sa2"}); });
  EXPECT_NE(msg.find("service-account token"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir_ + "/sa2/token"), std::string::npos) << msg;
  write("sa2/token", "t");
  EXPECT_EQ(loadInCluster({"h", "443", dir_ + "/sa2"}).defaultNamespace, "default");  // namespace file optional
}

TEST(KubeBase64, DecodesStrictly) {
  EXPECT_EQ(base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(base64Decode("aGVsbG8"), "hello");  // padding optional
  EXPECT_EQ(base64Decode("aGVs\nbG8=\n"), "hello");
  EXPECT_EQ(base64Decode(""), "");
  EXPECT_EQ(base64Decode("+/+/"), std::string("\xfb\xff\xbf", 3));
  EXPECT_FALSE(base64Decode("a"));
  EXPECT_FALSE(base64Decode("aGVs-G8="));
  EXPECT_FALSE(base64Decode("aG=VsbG8"));
  EXPECT_FALSE(base64Decode("aGVsbG8==="));
}

}  // namespace
}  // namespace pmo::kube
