// Port of plugin/pkg/admission/gc/gc_admission.go (gcPermissionsEnforcement.Validate,
// isChangingOwnerReference, newBlockingOwnerDeletionRefs, ownerRefToDeleteAttributeRecords)
// with admission.NewForbidden's naming of the object.
#include "sandbox/owner_admission.hpp"

namespace pmo::sandbox {

namespace {

nlohmann::json ownerRefs(const nlohmann::json* o) {
  if (!o || !o->contains("metadata") || !(*o)["metadata"].is_object()) return nlohmann::json::array();
  const auto& m = (*o)["metadata"];
  auto it = m.find("ownerReferences");
  return it != m.end() && it->is_array() ? *it : nlohmann::json::array();
}

bool blocking(const nlohmann::json& ref) { return ref.value("blockOwnerDeletion", false) == true; }

// References that are blocking in `next` and were not (absent, or not blocking) in `old`.
std::vector<nlohmann::json> newBlockingRefs(const nlohmann::json& next, const nlohmann::json* old) {
  std::vector<nlohmann::json> out;
  const nlohmann::json before = ownerRefs(old);
  for (const auto& ref : ownerRefs(&next)) {
    if (!blocking(ref)) continue;
    const nlohmann::json* previous = nullptr;
    for (const auto& b : before)  // indexByUID: the last reference with that uid
      if (b.value("uid", "") == ref.value("uid", "")) previous = &b;
    if (!old || !previous || !blocking(*previous)) out.push_back(ref);
  }
  return out;
}

ApiError forbiddenBy(const Attributes& request, const nlohmann::json& next, const std::string& why) {
  std::string name = request.name.empty() ? metaString(next, "name") : request.name;
  if (name.empty()) name = "Unknown";
  nlohmann::json details = {{"name", name}, {"kind", request.resource}};
  if (!request.group.empty()) details["group"] = request.group;
  return ApiError(403, "Forbidden",
                  qualifiedResource(request.resource, request.group) + " " + goQuote(name) + " is forbidden: " + why,
                  details);
}

}  // namespace

std::function<void(const nlohmann::json*, const nlohmann::json&)> ownerReferencesAdmission(
    World& w, const Attributes& request, std::vector<AuthorizationCheck>& checks) {
  return [&w, request, &checks](const nlohmann::json* old, const nlohmann::json& next) {
    if (request.group.empty() && request.resource == "pods" && request.subresource == "status") return;  // whitelisted
    if (ownerRefs(old) == ownerRefs(&next)) return;  // not changing owner references
    if (old) {  // a creator could as well not have created it: only updates need delete
      Attributes del = request;
      del.verb = "delete";
      const Decision d = authorizeLocked(w, del);
      if (!d.allowed)
        throw forbiddenBy(request, next, "cannot set an ownerRef on a resource you can't delete: " + d.reason + ", <nil>");
    }
    const auto refs = newBlockingRefs(next, old);
    if (refs.empty()) return;
    Attributes any;
    any.user = request.user;
    any.resourceRequest = true;
    any.verb = "update";
    any.group = "*";
    any.resource = "*";
    any.subresource = "finalizers";
    any.name = "*";
    if (authorizeLocked(w, any).allowed) return;
    for (const auto& ref : refs) {
      const std::string apiVersion = ref.value("apiVersion", ""), kind = ref.value("kind", "");
      const size_t slash = apiVersion.find('/');
      const std::string group = slash == std::string::npos ? "" : apiVersion.substr(0, slash);
      const std::string version = slash == std::string::npos ? apiVersion : apiVersion.substr(slash + 1);
      TypePtr type = w.types.byKind(group, kind);
      if (!type || !type->serves(version))
        throw forbiddenBy(request, next,
                          "cannot set blockOwnerDeletion in this case because cannot find RESTMapping for APIVersion " +
                              apiVersion + " Kind " + kind + ": no matches for kind " + goQuote(kind) +
                              " in version " + goQuote(apiVersion));
      Attributes finalizers;
      finalizers.user = request.user;
      finalizers.resourceRequest = true;
      finalizers.verb = "update";
      finalizers.group = type->group;
      finalizers.version = version;
      finalizers.resource = type->resource;
      finalizers.subresource = "finalizers";
      finalizers.name = ref.value("name", "");
      if (type->namespaced) finalizers.ns = request.ns;
      const Decision d = authorizeLocked(w, finalizers);
      checks.push_back({"update", type->group, type->resource + "/finalizers", finalizers.ns, finalizers.name, d.allowed});
      if (!d.allowed)
        throw forbiddenBy(request, next,
                          "cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set "
                          "finalizers on: " + d.reason + ", <nil>");
    }
  };
}

}  // namespace pmo::sandbox
