#pragma once
// PATCH bodies: JSON merge patch (RFC 7386), JSON Patch (RFC 6902, including `test`) and
// strategic merge patch for built-in kinds, approximated: lists of objects that all carry
// a merge key (name, containerPort, port, uid, type, ip, devicePath, mountPath) merge by
// that key, `$patch: delete`/`replace` and `$deleteFromPrimitiveList/` are honoured, and
// `$setElementOrder/`/`$retainKeys` directives are dropped; every other list is replaced.
// Server-side apply (application/apply-patch+yaml) is apply.hpp's.
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::sandbox {

// Returns the patched object; throws ApiError (400 bad body, 415 type, 422 failed test).
nlohmann::json applyPatch(const std::string& contentType, const nlohmann::json& current,
                          const std::string& body, bool allowStrategic);

// The merge key of the built-in list `field` given two versions of it (`a`, `b`): the key
// every element of both carries (volumeMounts: mountPath, volumeDevices: devicePath, ports:
// containerPort or port, else the first of name, containerPort, port, uid, type, ip,
// devicePath, mountPath); "" when the list
// is replaced as a whole. Server-side apply takes built-in associative lists from here too.
std::string strategicMergeKey(const std::string& field, const nlohmann::json& a, const nlohmann::json& b);

}  // namespace pmo::sandbox
