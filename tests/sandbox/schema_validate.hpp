#pragma once
// Validation of a custom resource against its openAPIV3Schema, ported from what
// kube-apiserver 1.32 runs: k8s.io/kube-openapi/pkg/validation/validate (SchemaValidator:
// type, allOf/anyOf/oneOf/not, string, format, number, array, enum and object validators,
// in that order, errors de-duplicated by message) and apiextensions-apiserver's
// kubeOpenAPIResultToFieldErrors (pkg/apiserver/validation/validation.go), which turns
// them into field errors. `object` holds values as Go decodes JSON: integers that fit
// int64 are integers, every other number a float (see applySchema).
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox {

// The field errors of `object`, in kube-apiserver's order. Throws ApiError 501 when the
// schema asks for a `format` the sandbox does not implement (email, uri).
std::vector<FieldCause> validateAgainstSchema(const nlohmann::json& schema, const nlohmann::json& object);

}  // namespace pmo::sandbox
