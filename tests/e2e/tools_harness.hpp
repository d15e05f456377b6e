#pragma once
// The third-party tools of the end-to-end tests, at the versions scripts/tools.sh pins
// (build/tools): the real helm, and Kubernetes' published schemas (kubernetes-models and
// @kubernetes/client-node's models, through node). A missing tool throws: the test fails.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace pmo::testing {

// helm with its cache, config and data in `home`, and `env` added.
RunResult helm(const std::vector<std::string>& args, const std::string& home,
               const std::map<std::string, std::string>& env = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(120));

// `helm template phase-maintenance charts/phase-maintenance-operator -n NAMESPACE --set ...`,
// parsed; throws with helm's message when it fails.
std::vector<nlohmann::json> helmTemplate(const std::vector<std::string>& setValues,
                                         const std::string& releaseNamespace = "phase-maintenance-system");

// Lists every object the API server behind `kubeconfig` stores and checks each built-in
// one against Kubernetes' published schemas (tests/tools/kube_objects_check.cjs). Adds a
// test failure naming each object and field that does not match; prints the tool's report.
void expectStoredObjectsMatchKubernetesSchemas(const std::string& kubeconfig);

}  // namespace pmo::testing
