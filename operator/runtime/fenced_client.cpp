#include "runtime/fenced_client.hpp"

namespace pmo::runtime {

void FencedClient::fence(const char* verb, const kube::Resource& r) const {
  if (!mayWrite_()) throw LeadershipLost(std::string(verb) + " " + r.plural);
}

kube::Json FencedClient::create(const kube::Resource& r, const std::string& ns, const kube::Json& object) {
  fence("create", r);
  return inner_.create(r, ns, object);
}

kube::Json FencedClient::update(const kube::Resource& r, const std::string& ns, const kube::Json& object) {
  fence("update", r);
  return inner_.update(r, ns, object);
}

kube::Json FencedClient::updateStatus(const kube::Resource& r, const std::string& ns, const kube::Json& object) {
  fence("update", r);
  return inner_.updateStatus(r, ns, object);
}

kube::Json FencedClient::patch(const kube::Resource& r, const std::string& ns, const std::string& name,
                               kube::PatchType type, const kube::Json& patch, bool statusSubresource) {
  fence("patch", r);
  return inner_.patch(r, ns, name, type, patch, statusSubresource);
}

void FencedClient::remove(const kube::Resource& r, const std::string& ns, const std::string& name,
                          kube::Propagation propagation, const std::optional<std::string>& preconditionResourceVersion) {
  fence("delete", r);
  inner_.remove(r, ns, name, propagation, preconditionResourceVersion);
}

}  // namespace pmo::runtime
