// FakeClient's patches: JSON Patch (RFC 6902; a failing `test` is Invalid 422) and merge
// patch (RFC 7386; strategic merge applied as merge), on the object or its status.
#include "support/fake_client_internal.hpp"

namespace pmo::testing {

using kube::ApiError;
using kube::ErrorReason;
using namespace fake_detail;

Json FakeClient::patch(const kube::Resource& r, const std::string& ns, const std::string& name, kube::PatchType type,
                       const Json& patch, bool statusSubresource) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->enter({"patch", r.plural, ns, name, statusSubresource ? "status" : ""});
  auto& objs = state_->objects[resKey(r)];
  const std::string key = objKey(r.namespaced ? ns : "", name);
  auto it = objs.find(key);
  if (it == objs.end()) throw notFound(r, name);
  Json patched = it->second;
  try {
    if (type == kube::PatchType::Json) {
      patched = patched.patch(patch);
    } else {
      patched.merge_patch(patch);
    }
  } catch (const nlohmann::json::exception& e) {
    throw ApiError(ErrorReason::Invalid, 422, std::string("the patch could not be applied: ") + e.what());
  }
  const std::string rv = patched["metadata"].value("resourceVersion", "");
  if (rv != it->second["metadata"].value("resourceVersion", "")) throw conflict(r, name);
  // A status patch changes only status; a main-resource patch never changes status.
  Json obj = it->second;
  if (statusSubresource) {
    if (patched.contains("status")) obj["status"] = patched["status"]; else obj.erase("status");
  } else {
    obj = patched;
    if (it->second.contains("status")) obj["status"] = it->second["status"]; else obj.erase("status");
  }
  return commit(*state_, r, key, std::move(obj), it->second);
}

}  // namespace pmo::testing
