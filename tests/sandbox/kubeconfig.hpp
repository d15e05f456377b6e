#pragma once
// Writes the kubeconfig people and kubectl use to reach the sandbox: one cluster (server
// URL, certificate-authority-data), one user (token), context "sandbox", current.
#include <string>

namespace pmo::sandbox {

std::string kubeconfigYaml(const std::string& server, const std::string& caPem, const std::string& token);
// Writes `content` to `path` with mode 0600 (it holds the token). Throws on failure.
void writePrivateFile(const std::string& path, const std::string& content);
std::string base64(const std::string& data);

}  // namespace pmo::sandbox
