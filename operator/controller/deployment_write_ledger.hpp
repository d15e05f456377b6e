#pragma once
// The operator's own Deployment writes that its cache has not shown yet.
//
// A write to a Deployment (a claim, a gate or image patch, a restore on deletion) wakes
// every PhaseMaintenance naming it by its watch event; but the key may also be woken
// sooner (its own requeue, an event of the other Deployment) while the cache still holds
// the version that write replaced. Planned from that version, the same write would go
// again and its guard (`test`) would refuse it with a 422: a request spent on a plan the
// operator already knows to be stale.
//
// Guarantees:
// - Every write sent through the ledger is forwarded unchanged (it is a kube::Client).
// - After a successful patch or update of a Deployment, unseen() is true while the cache
//   still shows the version the cache held when the write was sent, and for at most
//   `wait` after the write: a watch event lost or late never stalls a key for longer.
// - Any other version in the cache (the write's result, or another writer's change) ends
//   the wait: resourceVersions are compared for equality only (they are opaque).
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "controller/cluster_view.hpp"
#include "kube/client.hpp"
#include "runtime/clock.hpp"

namespace pmo::controller {

class DeploymentWriteLedger final : public kube::Client {
 public:
  DeploymentWriteLedger(kube::Client& inner, const ClusterView& view, std::shared_ptr<runtime::Clock> clock,
                        std::chrono::milliseconds wait)
      : inner_(inner), view_(view), clock_(std::move(clock)), wait_(wait) {}

  // True while the cached Deployment `ns/name` at `cachedVersion` is one an own write replaced.
  bool unseen(const std::string& ns, const std::string& name, const std::string& cachedVersion);

  kube::Json get(const kube::Resource& r, const std::string& ns, const std::string& name) override {
    return inner_.get(r, ns, name);
  }
  kube::Json list(const kube::Resource& r, const std::string& ns, const kube::ListOptions& opts) override {
    return inner_.list(r, ns, opts);
  }
  kube::Json create(const kube::Resource& r, const std::string& ns, const kube::Json& object) override {
    return inner_.create(r, ns, object);
  }
  kube::Json update(const kube::Resource& r, const std::string& ns, const kube::Json& object) override;
  kube::Json updateStatus(const kube::Resource& r, const std::string& ns, const kube::Json& object) override {
    return inner_.updateStatus(r, ns, object);
  }
  kube::Json patch(const kube::Resource& r, const std::string& ns, const std::string& name, kube::PatchType type,
                   const kube::Json& patch, bool statusSubresource) override;
  void remove(const kube::Resource& r, const std::string& ns, const std::string& name, kube::Propagation propagation,
              const std::optional<std::string>& preconditionResourceVersion) override {
    inner_.remove(r, ns, name, propagation, preconditionResourceVersion);
  }
  std::unique_ptr<kube::WatchStream> watch(const kube::Resource& r, const std::string& ns,
                                           const kube::WatchOptions& opts) override {
    return inner_.watch(r, ns, opts);
  }
  std::string getRaw(const std::string& path) override { return inner_.getRaw(path); }

 private:
  // The cache's version of the Deployment as the write is sent.
  std::string cachedVersion(const std::string& ns, const std::string& name) const;
  void remember(const std::string& ns, const std::string& name, const std::string& replaced);

  struct Written {
    std::string replaced;
    runtime::Clock::TimePoint at;
  };
  kube::Client& inner_;
  const ClusterView& view_;
  std::shared_ptr<runtime::Clock> clock_;
  std::chrono::milliseconds wait_;
  std::mutex mu_;
  std::unordered_map<std::string, Written> written_;
};

}  // namespace pmo::controller
