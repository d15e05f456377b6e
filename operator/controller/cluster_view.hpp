#pragma once
// What the reconciler reads: the informer caches, seen through one small interface so
// the reconciler does not know (or care) whether data came from a cache (docs/architecture.md,
// controller-runtime). InformerClusterView reads the runtime's Stores; tests may read a
// FakeClient directly.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::runtime {
class Store;
}

namespace pmo::controller {

using Json = nlohmann::json;

class ClusterView {
 public:
  virtual ~ClusterView() = default;
  virtual std::optional<Json> phaseMaintenance(const std::string& ns, const std::string& name) const = 0;
  virtual std::optional<Json> deployment(const std::string& ns, const std::string& name) const = 0;
  // Children controlled by the PhaseMaintenance with this uid (ownerReferences), and, for
  // jobs, the Jobs of its CronJobs too; pods: those of such Jobs.
  virtual std::vector<Json> jobsOf(const std::string& ns, const std::string& ownerUid) const = 0;
  virtual std::vector<Json> cronJobsOf(const std::string& ns, const std::string& ownerUid) const = 0;
  virtual std::vector<Json> podsOfJobs(const std::string& ns, const std::vector<std::string>& jobUids) const = 0;
};

// Index names the stores must carry (InformerClusterView::indexes()).
inline constexpr const char* kOwnerUidIndex = "ownerUid";

// Reads the informers' stores. Jobs, CronJobs and Pods stores need the kOwnerUidIndex
// index (ownerUidIndex()).
class InformerClusterView final : public ClusterView {
 public:
  InformerClusterView(const runtime::Store& pms, const runtime::Store& deployments, const runtime::Store& jobs,
                      const runtime::Store& cronJobs, const runtime::Store& pods)
      : pms_(pms), deployments_(deployments), jobs_(jobs), cronJobs_(cronJobs), pods_(pods) {}

  std::optional<Json> phaseMaintenance(const std::string& ns, const std::string& name) const override;
  std::optional<Json> deployment(const std::string& ns, const std::string& name) const override;
  std::vector<Json> jobsOf(const std::string& ns, const std::string& ownerUid) const override;
  std::vector<Json> cronJobsOf(const std::string& ns, const std::string& ownerUid) const override;
  std::vector<Json> podsOfJobs(const std::string& ns, const std::vector<std::string>& jobUids) const override;

 private:
  const runtime::Store& pms_;
  const runtime::Store& deployments_;
  const runtime::Store& jobs_;
  const runtime::Store& cronJobs_;
  const runtime::Store& pods_;
};

// The uids of an object's owners: the index function for kOwnerUidIndex.
std::vector<std::string> ownerUids(const Json& object);

}  // namespace pmo::controller
