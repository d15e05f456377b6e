#pragma once
// Server-side apply (PATCH with Content-Type application/apply-patch+yaml), as kube-apiserver
// does it with sigs.k8s.io/structured-merge-diff (merge/update.go Updater.Apply):
// - the applied configuration (YAML or JSON) merges into the live object: maps merge,
//   associative lists merge by key, sets by value, atomic lists and scalars are replaced
//   (managed_fields.hpp Shape says which is which);
// - the manager now owns exactly the fields of its configuration; fields it applied before
//   and omits now are removed unless another manager owns them;
// - changing a field another manager owns is a 409 naming each conflict, unless force=true,
//   which takes the field over; setting the value it already has shares the ownership;
// - an object that does not exist is created (201).
// Not implemented: apply on subresources (415), unions, the ancient-changes manager cap.
#include <string>
#include <utility>

#include "sandbox/http_types.hpp"
#include "sandbox/objects.hpp"

namespace pmo::sandbox {

bool isApplyPatch(const std::string& contentType);
// Create/Update/PatchOptions rules (apimachinery/pkg/apis/meta/v1/validation): 422 for a
// fieldManager longer than 128 bytes or with unprintable characters, force on a non-apply
// patch, or apply without fieldManager. `verb`: create, update or patch.
void validateWriteOptions(const HttpRequest& req, const std::string& verb, bool apply);
// 415 naming the feature when `t` is a subresource (status, scale): not implemented.
void refuseApplyOnSubresource(const Target& t);
// Requires the store lock. Returns the object and whether it was created.
std::pair<ObjectPtr, bool> applyObject(World& w, const Target& t, const std::string& body, bool force, bool dryRun);

}  // namespace pmo::sandbox
