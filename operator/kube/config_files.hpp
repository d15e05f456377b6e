#pragma once
// Internal to kube/config*: reading the small files a configuration points at.
#include <optional>
#include <string>

namespace pmo::kube::detail {

// The whole file, or nullopt with `error` set to the OS reason ("No such file or directory").
std::optional<std::string> readSmallFile(const std::string& path, std::string& error);
// Relative paths resolve against `baseDir` (the kubeconfig's directory).
std::string resolvePath(const std::string& path, const std::string& baseDir);

}  // namespace pmo::kube::detail
