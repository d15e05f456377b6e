#pragma once
// A kube::Client that refuses writes once this replica may no longer write: every create,
// update, patch and delete first asks `mayWrite` (the leader elector's deadline-based
// isLeader()) and throws LeadershipLost instead of sending when it says no. Reads and
// watches pass through, so a follower's caches stay warm.
//
// Guarantee: no write leaves through this client after leadership ended, whatever the
// reconcile in flight does next; combined with HttpClientOptions::beforeSend (which asks
// the same question before each attempt, 429 retries included) no write is sent late.
#include <functional>
#include <stdexcept>

#include "kube/client.hpp"

namespace pmo::runtime {

class LeadershipLost : public std::runtime_error {
 public:
  explicit LeadershipLost(const std::string& what)
      : std::runtime_error("not the leader any more; " + what + " not sent") {}
};

class FencedClient final : public kube::Client {
 public:
  FencedClient(kube::Client& inner, std::function<bool()> mayWrite)
      : inner_(inner), mayWrite_(std::move(mayWrite)) {}

  kube::Json get(const kube::Resource& r, const std::string& ns, const std::string& name) override {
    return inner_.get(r, ns, name);
  }
  kube::Json list(const kube::Resource& r, const std::string& ns, const kube::ListOptions& opts = {}) override {
    return inner_.list(r, ns, opts);
  }
  kube::Json create(const kube::Resource& r, const std::string& ns, const kube::Json& object) override;
  kube::Json update(const kube::Resource& r, const std::string& ns, const kube::Json& object) override;
  kube::Json updateStatus(const kube::Resource& r, const std::string& ns, const kube::Json& object) override;
  kube::Json patch(const kube::Resource& r, const std::string& ns, const std::string& name, kube::PatchType type,
                   const kube::Json& patch, bool statusSubresource = false) override;
  void remove(const kube::Resource& r, const std::string& ns, const std::string& name,
              kube::Propagation propagation = kube::Propagation::Background,
              const std::optional<std::string>& preconditionResourceVersion = std::nullopt) override;
  std::unique_ptr<kube::WatchStream> watch(const kube::Resource& r, const std::string& ns,
                                           const kube::WatchOptions& opts) override {
    return inner_.watch(r, ns, opts);
  }
  std::string getRaw(const std::string& path) override { return inner_.getRaw(path); }

 private:
  void fence(const char* verb, const kube::Resource& r) const;

  kube::Client& inner_;
  std::function<bool()> mayWrite_;
};

}  // namespace pmo::runtime
