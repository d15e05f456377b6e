#pragma once
// Structural-schema handling of custom resources as kube-apiserver 1.32 does it, in its
// order: pruning of unknown fields and of nulls a field may not hold, defaulting, then
// validation against openAPIV3Schema (schema_validate.hpp: type as Go decodes JSON,
// nullable, enum, allOf/anyOf/oneOf/not, maxLength/minLength in characters, pattern with
// RE2 semantics, format, minimum/maximum/multipleOf, items bounds, uniqueItems,
// min/maxProperties, required) and of x-kubernetes-list-type set/map uniqueness
// (schema_listtype.hpp). CEL rules (x-kubernetes-validations) run in cel.hpp.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox {

struct SchemaResult {
  std::vector<FieldCause> causes;   // empty: valid
  std::vector<std::string> pruned;  // paths of dropped unknown fields ("spec.foo")
};

// Prunes, defaults and validates `object` (a whole custom resource) in place; numbers end
// as a later read from kube-apiserver returns them (1.0 is stored as 1). Throws ApiError
// 501 for a schema feature the sandbox leaves out (format email or uri).
SchemaResult applySchema(const nlohmann::json& schema, nlohmann::json& object);

// Validates a value (not a whole resource) against `schema` without defaulting it, as the CRD
// validation checks a schema's `default`. Causes' fields are relative to the value.
std::vector<FieldCause> validateValue(const nlohmann::json& schema, nlohmann::json value);

}  // namespace pmo::sandbox
