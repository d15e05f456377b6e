#pragma once
// The Pod objects the simulated ReplicaSet controller creates, and the status the simulated
// kubelet gives them, worded as the kubelet words them (pkg/kubelet/status/generate.go).
#include <nlohmann/json.hpp>

namespace pmo::sandbox {

// A pod of the ReplicaSet: generateName `<rs>-`, the template's labels, annotations and spec,
// a controller owner reference, scheduled on the sandbox's node.
nlohmann::json newPod(const nlohmann::json& rs, const nlohmann::json& podTemplate);
// `initializing`: an init container still runs (phase Pending, Initialized False, the first
// unfinished init container running). Otherwise Running, Ready as `ready` says.
nlohmann::json podStatus(const nlohmann::json& pod, bool initializing, bool ready);
bool podReady(const nlohmann::json& pod);

}  // namespace pmo::sandbox
