#pragma once
// Structural-schema handling of custom resources as kube-apiserver does it: pruning of
// unknown fields, defaulting, then validation against openAPIV3Schema (types, required,
// enum, pattern, minimum/maximum, minLength/maxLength, minItems/maxItems, nullable,
// x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string). CEL rules
// (x-kubernetes-validations) are NOT evaluated.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox {

struct SchemaResult {
  std::vector<FieldCause> causes;   // empty: valid
  std::vector<std::string> pruned;  // paths of dropped unknown fields ("spec.foo")
};

// Prunes, defaults and validates `object` (a whole custom resource) in place.
SchemaResult applySchema(const nlohmann::json& schema, nlohmann::json& object);

// Validates a value (not a whole resource) against `schema` without defaulting it, as the CRD
// validation checks a schema's `default`. Causes' fields are relative to the value.
std::vector<FieldCause> validateValue(const nlohmann::json& schema, nlohmann::json value);

}  // namespace pmo::sandbox
