#pragma once
// kubectl sends some built-ins as Kubernetes protobuf (`kubectl create namespace`,
// `create configmap`, `create secret`, `create serviceaccount`, `create token`, `auth`).
// This decodes that envelope for Namespace, ConfigMap and Secret (ObjectMeta name,
// generateName, namespace, labels, annotations, finalizers; data, binaryData, stringData,
// type, immutable), ServiceAccount (secrets, imagePullSecrets, automountServiceAccountToken),
// TokenRequest (audiences, expirationSeconds, boundObjectRef) and the self-reviews into the
// JSON the rest of the sandbox handles. Other kinds in protobuf get 415, and clients fall
// back to JSON only by config.
// DeleteOptions, the body of a DELETE, is decoded too.
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::sandbox {

// Throws ApiError 415 for kinds it cannot decode and 400 for malformed input.
nlohmann::json decodeKubeProtobuf(const std::string& body);

// A DELETE's body as client-go sends it in protobuf (helm uninstall): meta/v1 DeleteOptions
// (gracePeriodSeconds 1, preconditions 2 {uid 1, resourceVersion 2}, orphanDependents 3,
// propagationPolicy 4, dryRun 5; staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto)
// as its JSON form. Throws ApiError 400 for malformed input or another kind.
nlohmann::json decodeDeleteOptionsProtobuf(const std::string& body);

}  // namespace pmo::sandbox
