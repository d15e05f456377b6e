#pragma once
// The OwnerReferencesPermissionEnforcement admission plugin, which clusters that enforce
// ownership (OpenShift, hardened kube-apiservers) run: changing an object's
// ownerReferences on update needs `delete` on the object, and setting
// blockOwnerDeletion: true on a reference needs `update` on the owner's `finalizers`
// subresource. Runs after validation, on the object about to be stored.
#include <functional>

#include <nlohmann/json.hpp>

#include "sandbox/authz.hpp"

namespace pmo::sandbox {

// The admission check for a create/update/patch request with attributes `request`
// (Target::admit). Each owner authorization it makes is appended to `checks`. Throws
// ApiError 403 with kube-apiserver's message. Called with the store lock held.
std::function<void(const nlohmann::json* old, const nlohmann::json& next)> ownerReferencesAdmission(
    World& w, const Attributes& request, std::vector<AuthorizationCheck>& checks);

}  // namespace pmo::sandbox
