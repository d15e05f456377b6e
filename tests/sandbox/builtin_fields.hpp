#pragma once
// Decoding of the built-in kinds as kube-apiserver decodes a JSON body into its Go types
// (sigs.k8s.io/json: case-sensitive field names): a field the kind's schema does not
// declare is unknown and dropped; a value of the wrong JSON type fails the request with
// 400 BadRequest. The schema is Kubernetes 1.32's published OpenAPI, compiled into
// builtin_fields_data.cpp by tools/gen_builtin_fields.js.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::sandbox {

namespace fields_data {
struct Root {
  const char* group;
  const char* kind;
  const char* model;
};
struct Type {
  const char* model;
  const char* goName;
  const char* fields;  // "name=code name=code ...", see builtin_fields_data.cpp
};
extern const std::vector<Root> kRoots;
extern const std::vector<Type> kTypes;
}  // namespace fields_data

// True when the fields of group/kind are known (every built-in kind the sandbox serves).
bool knowsFields(const std::string& group, const std::string& kind);

// Drops the fields of `object` that its kind does not declare and returns their paths as
// the API server names them ("spec.foo", "spec.template.spec.containers[0].bar"), in key
// order. Throws ApiError 400 "<Kind> in version \"v1\" cannot be handled as a <Kind>:
// json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type
// int32" (or the Quantity / base64 error) on the first value of the wrong type.
std::vector<std::string> decodeBuiltin(const std::string& group, const std::string& kind,
                                       const std::string& version, nlohmann::json& object);

// The field names of a model ("V1Volume"), for validators that count a union's members.
std::vector<std::string> modelFields(const std::string& model);

}  // namespace pmo::sandbox
