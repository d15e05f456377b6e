#pragma once
// How kube-apiserver (Go) prints JSON values in validation messages, so the sandbox's
// messages are byte-for-byte those of a real server:
// - quoted: strconv.Quote / %q;
// - floatV: %v of a float64 (shortest digits; %e form when the exponent is < -4 or >= 6);
// - badValue: field.Error's ErrorBody rendering of a bad value (strings quoted, int64,
//   float64 and bool with %v, null as "null", objects and arrays with %#v of
//   map[string]interface{} / []interface{}),
// as in k8s.io/apimachinery/pkg/util/validation/field/errors.go (ErrorBody) and Go's fmt.
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::sandbox::gofmt {

std::string quoted(const std::string& s);
std::string floatV(double d);
// %v of a decoded JSON number: int64 in decimal, float64 as floatV.
std::string numberV(const nlohmann::json& n);
// %#v of a decoded JSON value (map[string]interface {}{"a":1}, []interface {}{"x"}, ...).
std::string sharpV(const nlohmann::json& v);
std::string badValue(const nlohmann::json& v);
// encoding/json.Marshal of a decoded JSON value (floats as Go writes them, <, > and &
// escaped): how kube-apiserver lists non-string enum values.
std::string json(const nlohmann::json& v);

}  // namespace pmo::sandbox::gofmt
