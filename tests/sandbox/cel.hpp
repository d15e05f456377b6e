#pragma once
// x-kubernetes-validations of custom resources, evaluated as kube-apiserver does on every
// create and update. No C++ CEL implementation is packaged, so the rules run in one child
// process per sandbox process: tests/tools/cel_server.cjs on a real CEL implementation
// (@bufbuild/cel, installed by scripts/tools.sh). Without it, a write of a custom resource
// whose schema has rules answers 501 naming the missing evaluator: never a silent accept.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox {

// True when `schema` declares x-kubernetes-validations anywhere.
bool hasCelRules(const nlohmann::json& schema);

// What kube-apiserver refuses in the rules of a CRD version's `schema` (at `path`) before it
// serves the CRD: a rule that does not compile, or whose estimated cost is over the limits.
std::vector<FieldCause> celCompileErrors(const nlohmann::json& schema, const std::string& path);

// The rules' field errors for `object` (`old`: the stored object on update, else null);
// `key` names the schema (type and version), re-sent when the schema changes.
std::vector<FieldCause> celErrors(const std::string& key, const nlohmann::json& schema, const nlohmann::json& object,
                                  const nlohmann::json* old);

}  // namespace pmo::sandbox
