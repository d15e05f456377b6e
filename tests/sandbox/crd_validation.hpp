#pragma once
// What kube-apiserver checks before it serves a CustomResourceDefinition, ported from
// apiextensions-apiserver (pkg/apis/apiextensions/validation/validation.go and
// pkg/apiserver/schema/{validation,complete}.go, schema/defaulting/validation.go):
// names, versions, printer columns, subresources, and that every version's schema is
// structural, with root metadata restricted to name/generateName, valid x-kubernetes-*
// combinations, and defaults that validate and survive pruning.
// x-kubernetes-validations are compiled and costed by the CEL evaluator (cel.hpp). Left out:
// conversion webhooks' reachability.
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox {

// The v1 defaults applied on every write (spec.names.singular/listKind, conversion).
void defaultCrd(nlohmann::json& crd);

// Field errors of `crd` (already defaulted); `old` is the stored CRD on update, else null.
std::vector<FieldCause> validateCrd(const nlohmann::json& crd, const nlohmann::json* old);

// Throws 422 Invalid with Kubernetes' message when validateCrd finds anything.
void requireValidCrd(const nlohmann::json& crd, const nlohmann::json* old);

}  // namespace pmo::sandbox
