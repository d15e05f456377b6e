#include "controller/cluster_view.hpp"

#include "maintenance/labels.hpp"
#include "maintenance/owner.hpp"
#include "runtime/store.hpp"

namespace pmo::controller {

std::vector<std::string> ownerUids(const Json& object) {
  std::vector<std::string> out;
  const auto refs = object.value("/metadata/ownerReferences"_json_pointer, Json::array());
  for (const auto& ref : refs) {
    if (ref.contains("uid") && ref["uid"].is_string()) out.push_back(ref["uid"].get<std::string>());
  }
  return out;
}

std::vector<std::string> ownerLabelOf(const Json& pm) {
  return {maintenance::ownerLabelValue(pm.value("/metadata/name"_json_pointer, std::string()))};
}

std::vector<std::string> keysByOwnerLabel(const runtime::Store& pms, const Json& child) {
  const auto labels = child.value("/metadata/labels"_json_pointer, Json::object());
  const std::string owner = labels.value(maintenance::labels::kOwner, std::string());
  if (owner.empty()) return {};
  const std::string ns = child.value("/metadata/namespace"_json_pointer, std::string());
  std::vector<std::string> keys;
  for (const auto& pm : pms.byIndex(kOwnerLabelIndex, owner))
    if (pm->value("/metadata/namespace"_json_pointer, std::string()) == ns) keys.push_back(runtime::objectKey(*pm));
  return keys;
}

namespace {

std::optional<Json> copyOf(const runtime::Store& store, const std::string& ns, const std::string& name) {
  return store.getCopy(ns + "/" + name);
}

std::vector<Json> ownedBy(const runtime::Store& store, const std::string& ns, const std::string& uid) {
  std::vector<Json> out;
  for (const auto& obj : store.byIndex(kOwnerUidIndex, uid)) {
    if (obj->value("/metadata/namespace"_json_pointer, std::string()) == ns) out.push_back(*obj);
  }
  return out;
}

std::string uidOf(const Json& o) { return o.value("/metadata/uid"_json_pointer, std::string()); }

}  // namespace

std::optional<Json> InformerClusterView::phaseMaintenance(const std::string& ns, const std::string& name) const {
  return copyOf(pms_, ns, name);
}

std::optional<Json> InformerClusterView::deployment(const std::string& ns, const std::string& name) const {
  return copyOf(deployments_, ns, name);
}

std::vector<Json> InformerClusterView::jobsOf(const std::string& ns, const std::string& ownerUid) const {
  std::vector<Json> out = ownedBy(jobs_, ns, ownerUid);
  for (const auto& cj : ownedBy(cronJobs_, ns, ownerUid)) {
    for (auto& j : ownedBy(jobs_, ns, uidOf(cj))) out.push_back(std::move(j));
  }
  return out;
}

std::vector<Json> InformerClusterView::cronJobsOf(const std::string& ns, const std::string& ownerUid) const {
  return ownedBy(cronJobs_, ns, ownerUid);
}

std::vector<Json> InformerClusterView::podsOfJobs(const std::string& ns, const std::vector<std::string>& jobUids) const {
  std::vector<Json> out;
  for (const auto& uid : jobUids) {
    for (auto& p : ownedBy(pods_, ns, uid)) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace pmo::controller
