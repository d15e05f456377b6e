#pragma once
// x-kubernetes-list-type uniqueness as kube-apiserver checks custom resources after schema
// validation (apiextensions-apiserver pkg/apiserver/schema/listtype/validation.go,
// ValidateListSetsAndMaps): a `set` may not repeat an item, a `map` may not repeat the
// tuple of its x-kubernetes-list-map-keys. Each repeated value is reported once, at the
// index where it first repeats, as "Duplicate value: ...".
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox {

std::vector<FieldCause> validateListTypes(const nlohmann::json& schema, const nlohmann::json& object);

}  // namespace pmo::sandbox
