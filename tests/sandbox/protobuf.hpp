#pragma once
// kubectl sends some built-ins as Kubernetes protobuf (`kubectl create namespace`,
// `create configmap`, `create secret`, `create serviceaccount`, `create token`, `auth`).
// This decodes that envelope for Namespace, ConfigMap and Secret (ObjectMeta name,
// generateName, namespace, labels, annotations, finalizers; data, binaryData, stringData,
// type, immutable), ServiceAccount (secrets, imagePullSecrets, automountServiceAccountToken),
// TokenRequest (audiences, expirationSeconds, boundObjectRef) and the self-reviews into the
// JSON the rest of the sandbox handles. Other kinds in protobuf get 415, and clients fall
// back to JSON only by config.
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::sandbox {

// Throws ApiError 415 for kinds it cannot decode and 400 for malformed input.
nlohmann::json decodeKubeProtobuf(const std::string& body);

}  // namespace pmo::sandbox
