#pragma once
// metadata.managedFields as kube-apiserver keeps them (sigs.k8s.io/structured-merge-diff,
// k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager): which manager owns which field, in
// the FieldsV1 format (`f:spec`, `k:{"name":"app"}` for an associative list item, `v:"x"` for
// a set item, `.` for a node that is itself owned).
//
// Guarantees: a write that changes nothing changes no managedFields (no timestamp bump); the
// entries come out sorted as the real server sorts them (operation, time, manager); an
// object nobody manages carries no managedFields at all.
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/objects.hpp"

namespace pmo::sandbox {

// A field path as FieldsV1 keys: {"f:spec", "f:containers", "k:{\"name\":\"app\"}", "f:image"}.
using FieldPath = std::vector<std::string>;
using FieldSet = std::set<FieldPath>;

// How the values under one field merge, from the type: custom resources by their schema's
// x-kubernetes-list-type / -list-map-keys / -map-type (lists without them are atomic),
// built-ins by patch.cpp's strategic-merge keys (metadata of custom resources too).
class Shape {
 public:
  enum class List { Atomic, Set, Map };
  static Shape of(const Target& t);
  Shape field(const std::string& name) const;
  Shape items() const;
  bool atomicMap() const;
  // A field the type declares (custom resources: schema properties); an applied key of a map
  // (additionalProperties, untyped) is owned itself, not only its leaves (typed/tofieldset.go).
  bool declares(const std::string& name) const;
  // How the list that is `a` in one object and `b` in the other merges; `keys` for Map.
  List list(const nlohmann::json& a, const nlohmann::json& b, std::vector<std::string>& keys) const;
  // The path element of `item` in such a list ("k:{...}" or "v:..."); throws ApiError 500 when an
  // item of an associative list lacks a key (structured-merge-diff refuses it too).
  static std::string itemKey(List kind, const std::vector<std::string>& keys, const nlohmann::json& item);

 private:
  const nlohmann::json* schema_ = nullptr;  // custom resources: the schema node, null when untyped
  bool custom_ = false;
  bool root_ = false;
  std::string name_;  // the field's name (built-ins)
};

struct Comparison {
  FieldSet added, modified, removed;
};

struct ManagerEntry {
  std::string manager, operation, apiVersion, time, subresource;
  FieldSet fields;
  // The manager's identity (fieldmanager BuildManagerIdentifier): the apiVersion counts for Update only.
  bool same(const ManagerEntry& o) const;
};
using Managers = std::vector<ManagerEntry>;

FieldSet fieldsV1ToSet(const nlohmann::json& fieldsV1);
nlohmann::json setToFieldsV1(const FieldSet& set);
// ".spec.template.spec.containers[name=\"app\"].image", as conflicts are reported.
std::string pathString(const FieldPath& path);
// Empty when any entry does not decode (the caller then falls back, as DecodeManagedFields' callers do).
Managers decodeManagedFields(const nlohmann::json& managedFields);
// Sorted; entries owning nothing are dropped.
nlohmann::json encodeManagedFields(const Managers& managers);

// typed.ToFieldSet of an applied configuration: its leaves and list items (metadata's
// identity fields left out, as kube-apiserver's stripMeta manager does).
FieldSet appliedFields(const nlohmann::json& config, const Shape& shape);
// typed.Compare of two versions of an object, with the same fields left out.
Comparison compareObjects(const nlohmann::json& before, const nlohmann::json& after, const Shape& shape);

// The manager of a non-apply write: the fieldManager query parameter, else the User-Agent up
// to its first '/' (handlers/rest.go managerOrUserAgent).
std::string managerFor(const Target& t);
// An Update by `manager` from `before` to `after` (merge.Updater.Update): it takes the fields it
// changed or added from every other manager, removed fields are nobody's.
void recordUpdate(Managers& managers, const nlohmann::json& before, const nlohmann::json& after, const Shape& shape,
                  const std::string& manager, const std::string& apiVersion, const std::string& subresource);
// Sets `next`'s metadata.managedFields for a create (before null) or update by t's manager.
// The base is the managedFields the client sent when they decode to something, else the live
// object's; `[{}]` resets them. No-op when t.applied (apply.cpp has set them).
void stampUpdate(const Target& t, const nlohmann::json* before, nlohmann::json& next);

}  // namespace pmo::sandbox
