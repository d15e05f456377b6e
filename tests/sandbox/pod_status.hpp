#pragma once
// The Pod objects the simulated ReplicaSet controller creates, and the status the simulated
// kubelet gives them, worded as the kubelet words them (pkg/kubelet/status/generate.go).
#include <nlohmann/json.hpp>

#include "sandbox/pod_schema.hpp"

namespace pmo::sandbox {

// A pod of the ReplicaSet: generateName `<rs>-`, the template's labels, annotations and spec,
// a controller owner reference, scheduled on the sandbox's node, each image resolved once
// (the containers' imageID: a tag the registry moves later does not change this pod).
nlohmann::json newPod(const nlohmann::json& rs, const nlohmann::json& podTemplate, SchemaModel& registry);
// The imageID the pod's (init) container `name` was started from; "" when unknown.
std::string podImageId(const nlohmann::json& pod, const std::string& name);
// `initializing`: an init container still runs (phase Pending, Initialized False, the first
// unfinished init container running). Otherwise Running, Ready as `ready` says; with
// `probing`, the container whose startup probe is the schema check is running but not
// started (and nothing is Ready).
nlohmann::json podStatus(const nlohmann::json& pod, bool initializing, bool ready, bool probing = false);
bool podReady(const nlohmann::json& pod);

}  // namespace pmo::sandbox
