#pragma once
// Validation of objects as kube-apiserver's registry strategies do it on create and update,
// after decoding and defaulting: object metadata for every kind (custom resources too), and
// the spec rules of the built-in kinds the operator and its install paths write (Deployment,
// Pod, Job, CronJob, Event, Lease, Secret, ConfigMap, Service, ServiceAccount, Namespace,
// RBAC), ported from Kubernetes 1.32's pkg/apis/*/validation. A rule the sandbox has not
// ported lets the object through; a ported rule refuses it with the real server's 422
// Invalid message and details.causes.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/resource_types.hpp"

namespace pmo::sandbox {

// fieldValidation of a write request: how unknown fields of built-ins (and of custom
// resources) are treated. Both drop them; Warn (the default) also warns, Strict fails.
enum class FieldValidation { Ignore, Warn, Strict };
// Parses the query parameter; throws 422 "CreateOptions.meta.k8s.io \"\" is invalid:
// fieldValidation: Unsupported value..." (UpdateOptions, PatchOptions by `verb`).
FieldValidation parseFieldValidation(const std::string& value, const std::string& verb);
// The Warning header value kube-apiserver sends for `text`: 299 - "text".
std::string warningHeader(const std::string& text);

// Drops unknown fields of a built-in object as decoding does; Strict: 400 "<Kind> in version
// \"v1\" cannot be handled as a <Kind>: strict decoding error: unknown field \"spec.foo\"";
// Warn: appends `unknown field "spec.foo"` to `warnings`. Wrongly typed values: 400.
void decodeBuiltinObject(const ResourceType& type, const std::string& version, nlohmann::json& object,
                         FieldValidation mode, std::vector<std::string>* warnings);

// Create: `object` is defaulted, named (generateName resolved) and namespaced.
void validateOnCreate(const ResourceType& type, const nlohmann::json& object);
// Update of the main resource or of a subresource ("status"); `object` is what would be stored.
void validateOnUpdate(const ResourceType& type, const std::string& version, const nlohmann::json& object,
                      const nlohmann::json& old, const std::string& subresource);

}  // namespace pmo::sandbox
