#pragma once
// Pure rules of the Deployment controller, ported from kubernetes/kubernetes
// pkg/controller/deployment/util/deployment_util.go (and controller_utils.go's hash), on
// the JSON objects the sandbox stores. No store, no clock but `now` where asked.
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::sandbox::deployutil {

using Json = nlohmann::json;

inline constexpr const char* kRevision = "deployment.kubernetes.io/revision";
inline constexpr const char* kRevisionHistory = "deployment.kubernetes.io/revision-history";
inline constexpr const char* kDesiredReplicas = "deployment.kubernetes.io/desired-replicas";
inline constexpr const char* kMaxReplicas = "deployment.kubernetes.io/max-replicas";
inline constexpr const char* kHashLabel = "pod-template-hash";

long replicas(const Json& o);           // spec.replicas (default 1)
long statusCount(const Json& o, const char* field);  // status.<field>, 0 when absent
bool isRollingUpdate(const Json& d);    // spec.strategy.type (default RollingUpdate)
long maxSurge(const Json& d);           // ResolveFenceposts, surge rounded up
long maxUnavailable(const Json& d);     // ResolveFenceposts, unavailable rounded down, <= replicas
bool hasProgressDeadline(const Json& d);  // progressDeadlineSeconds (default 600) != MaxInt32
long progressDeadlineSeconds(const Json& d);
long revisionHistoryLimit(const Json& d);   // default 10

// controller.ComputeHash: a stable hash of the pod template, as rand.SafeEncodeString spells it.
std::string podTemplateHash(const Json& podTemplate);
// EqualIgnoreHash: templates equal once pod-template-hash is removed (and absent == empty,
// as Go's semantic equality of typed objects has it).
bool equalIgnoreHash(const Json& a, const Json& b);
// The revision annotation (0 when absent or not a number).
long revision(const Json& rs);
std::string annotation(const Json& o, const char* key);
// LabelSelector (matchLabels, matchExpressions) against a labels map.
bool selectorMatches(const Json& labelSelector, const Json& labels);

// SetNewReplicaSetAnnotations: copies the Deployment's annotations (but the skipped ones),
// raises the revision (recording the old one in revision-history), and, for a ReplicaSet
// about to be created, the desired/max replicas. True when `rs` changed.
bool setNewReplicaSetAnnotations(const Json& d, Json& rs, long newRevision, bool exists);
// SetReplicasAnnotations: true when changed.
bool setReplicasAnnotations(Json& rs, long desired, long max);
// SetDeploymentRevision: true when changed.
bool setDeploymentRevision(Json& d, const std::string& revision);

// Conditions as deployment_util.go sets them (timestamps second-granular, RFC 3339).
Json newCondition(const std::string& type, const std::string& status, const std::string& reason,
                  const std::string& message, const std::string& now);
Json getCondition(const Json& status, const std::string& type);  // null when absent
// SetDeploymentCondition: no change when status and reason are equal; keeps
// lastTransitionTime when only the reason changes; the condition moves to the end.
void setCondition(Json& status, Json condition);
void removeCondition(Json& status, const std::string& type);

// DeploymentComplete / DeploymentProgressing / DeploymentTimedOut (progress.go helpers).
bool deploymentComplete(const Json& d, const Json& newStatus);
bool deploymentProgressing(const Json& d, const Json& newStatus);
bool deploymentTimedOut(const Json& d, const Json& newStatus, std::chrono::system_clock::time_point now);
// When a stuck rollout must be checked again (lastUpdateTime + progressDeadlineSeconds).
std::chrono::system_clock::time_point progressDeadline(const Json& d, const Json& condition);

}  // namespace pmo::sandbox::deployutil
