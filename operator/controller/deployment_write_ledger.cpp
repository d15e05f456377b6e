#include "controller/deployment_write_ledger.hpp"

namespace pmo::controller {

namespace {
bool isDeployments(const kube::Resource& r) { return r.plural == kube::resources::kDeployments.plural; }
std::string versionOf(const kube::Json& o) { return o.value("/metadata/resourceVersion"_json_pointer, std::string()); }
}  // namespace

std::string DeploymentWriteLedger::cachedVersion(const std::string& ns, const std::string& name) const {
  const auto d = view_.deployment(ns, name);
  return d ? versionOf(*d) : std::string();
}

void DeploymentWriteLedger::remember(const std::string& ns, const std::string& name, const std::string& replaced) {
  if (replaced.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  written_[ns + "/" + name] = {replaced, clock_->now()};
}

bool DeploymentWriteLedger::unseen(const std::string& ns, const std::string& name, const std::string& cachedVersion) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = written_.find(ns + "/" + name);
  if (it == written_.end()) return false;
  if (it->second.replaced == cachedVersion && clock_->now() - it->second.at < wait_) return true;
  written_.erase(it);
  return false;
}

kube::Json DeploymentWriteLedger::update(const kube::Resource& r, const std::string& ns, const kube::Json& object) {
  if (!isDeployments(r)) return inner_.update(r, ns, object);
  const std::string name = object.value("/metadata/name"_json_pointer, std::string());
  const std::string before = cachedVersion(ns, name);
  kube::Json out = inner_.update(r, ns, object);
  remember(ns, name, before);
  return out;
}

kube::Json DeploymentWriteLedger::patch(const kube::Resource& r, const std::string& ns, const std::string& name,
                                        kube::PatchType type, const kube::Json& body, bool statusSubresource) {
  if (!isDeployments(r) || statusSubresource) return inner_.patch(r, ns, name, type, body, statusSubresource);
  const std::string before = cachedVersion(ns, name);
  kube::Json out = inner_.patch(r, ns, name, type, body, statusSubresource);
  remember(ns, name, before);
  return out;
}

}  // namespace pmo::controller
