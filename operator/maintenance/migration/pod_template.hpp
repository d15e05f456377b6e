#pragma once
// The pod of a migration or backup Job, derived from the backend Deployment's pod
// template (docs/architecture.md, "State machines").
#include <optional>
#include <string>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance {

// What the derived pod keeps of the backend's pod template:
//  - pod level: serviceAccountName (and the deprecated serviceAccount),
//    automountServiceAccountToken, imagePullSecrets, securityContext, nodeSelector,
//    tolerations, affinity, priorityClassName, hostAliases, dnsPolicy, dnsConfig,
//    enableServiceLinks, runtimeClassName;
//  - volumes that carry no state and can be mounted by any number of pods: secret,
//    configMap, projected, downwardAPI, emptyDir. A PersistentVolumeClaim (possibly
//    ReadWriteOnce, held by the running backend), hostPath and the rest are dropped with
//    their mounts.
// Never kept: the template's labels and annotations (its labels match the backend
// Service's selector: a copy would route user traffic to the Job's pod), initContainers
// (the chart's wait-for-migrations would wait forever on an empty database), other
// containers (sidecars keep a Job from completing), restartPolicy (Never is set).
Json derivedPodSpec(const Json& deployment);

// The named container of the backend's template reduced to what a one-shot command
// needs: name, image, env, envFrom, volumeMounts (of kept volumes), workingDir,
// securityContext, resources, imagePullPolicy. Dropped: ports, probes (liveness,
// readiness, startup), lifecycle, args, command. nullopt when the container is missing.
std::optional<Json> derivedContainer(const Json& deployment, const std::string& containerName);

}  // namespace pmo::maintenance
