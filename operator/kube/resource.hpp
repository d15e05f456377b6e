#pragma once
// The API resources the operator talks to, as group/version/plural. Pure data.
#include <string>

namespace pmo::kube {

struct Resource {
  std::string group;    // "" for the core group
  std::string version;  // "v1", "v1alpha1"
  std::string plural;   // "deployments"
  std::string kind;     // "Deployment"
  bool namespaced = true;

  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
  // "/api/v1" or "/apis/apps/v1"
  std::string basePath() const { return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version; }
  // Collection path; ns empty means all namespaces (or a cluster-scoped resource).
  std::string collectionPath(const std::string& ns) const {
    if (namespaced && !ns.empty()) return basePath() + "/namespaces/" + ns + "/" + plural;
    return basePath() + "/" + plural;
  }
  std::string objectPath(const std::string& ns, const std::string& name) const {
    return collectionPath(ns) + "/" + name;
  }
  friend bool operator==(const Resource& a, const Resource& b) {
    return a.group == b.group && a.version == b.version && a.plural == b.plural;
  }
};

namespace resources {
inline const Resource kNamespaces{"", "v1", "namespaces", "Namespace", false};
inline const Resource kSecrets{"", "v1", "secrets", "Secret", true};
inline const Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
inline const Resource kPods{"", "v1", "pods", "Pod", true};
inline const Resource kEvents{"", "v1", "events", "Event", true};
inline const Resource kPersistentVolumeClaims{"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true};
inline const Resource kDeployments{"apps", "v1", "deployments", "Deployment", true};
inline const Resource kJobs{"batch", "v1", "jobs", "Job", true};
inline const Resource kCronJobs{"batch", "v1", "cronjobs", "CronJob", true};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true};
inline const Resource kCustomResourceDefinitions{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                                                 "CustomResourceDefinition", false};
inline const Resource kPhaseMaintenances{"maintenance.phase.dev", "v1alpha1", "phasemaintenances",
                                         "PhaseMaintenance", true};
}  // namespace resources

}  // namespace pmo::kube
