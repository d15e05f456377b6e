#pragma once
// JSON values as kube-apiserver holds them while it validates a custom resource: decoded
// by sigs.k8s.io/json with integers preserved (an integer literal that fits int64 is an
// int64, every other number a float64), compared with reflect.DeepEqual, measured in runes.
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::sandbox::values {

// A request body as Go decodes it: integers beyond int64 become floats.
void decodeLikeGo(nlohmann::json& v);
// The object as a later read returns it: Go writes a float64 without a fraction as plain
// digits (1.0 as 1), which decode as an integer when they fit int64.
void storeLikeGo(nlohmann::json& v);

long long truncate(double f);  // Go's int64(f) (out of range: the minimum, as on amd64)
bool isJsonInteger(double f);  // swag.IsFloat64AJSONInteger (a relative error below 1e-9 counts)
std::string goType(const nlohmann::json& v);    // the OpenAPI type of a decoded value
std::string goFormat(const nlohmann::json& v);  // "int64", "float64" or ""
long long runeCount(const std::string& s);      // utf8.RuneCountInString
// reflect.DeepEqual of decoded values: the int64 1 and the float64 1 differ.
bool deepEqual(const nlohmann::json& a, const nlohmann::json& b);
// basicCommonValidator: the data converted to the enum value's Go type, then DeepEqual
// (so a float 1.5 converts to the int64 1, an integer 65 to the string "A").
bool enumMatches(const nlohmann::json& data, const nlohmann::json& enumValue);

}  // namespace pmo::sandbox::values
