#pragma once
// The vocabulary of kube-apiserver's validation, shared by the built-in kinds' validators:
// field errors worded as k8s.io/apimachinery/pkg/util/validation/field writes them, the
// name and key formats of k8s.io/apimachinery/pkg/util/validation, label selectors, and
// Go's %#v of the few values that appear in messages.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox::validation {

using Json = nlohmann::json;

// A field.ErrorList; `json` renders a value as the message shows it (goValue, goMap, ...).
class Errors {
 public:
  // `shown` as the message prints it (numbers bare, structs as %#v)
  void invalidAs(const std::string& path, const std::string& shown, const std::string& detail);
  void invalid(const std::string& path, const Json& value, const std::string& detail);
  void required(const std::string& path, const std::string& detail = "");
  void forbidden(const std::string& path, const std::string& detail);
  void duplicate(const std::string& path, const Json& value);
  void duplicateAs(const std::string& path, const std::string& shown);
  void notFound(const std::string& path, const Json& value);
  void notSupported(const std::string& path, const Json& value, const std::vector<std::string>& supported);
  void tooLong(const std::string& path, size_t maxBytes);
  void tooMany(const std::string& path, size_t actual, size_t max);
  void add(const Errors& other);
  bool empty() const { return causes_.empty(); }
  size_t size() const { return causes_.size(); }
  const std::vector<FieldCause>& causes() const { return causes_; }
  // 422 Invalid for kind/group/name unless empty.
  void throwIfAny(const std::string& kind, const std::string& group, const std::string& name) const;

 private:
  std::vector<FieldCause> causes_;
};

// staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go (1.32), each returning
// the messages it would; empty when valid.
std::vector<std::string> isDns1123Label(const std::string& v);
std::vector<std::string> isDns1123Subdomain(const std::string& v);
std::vector<std::string> isDns1035Label(const std::string& v);
std::vector<std::string> isQualifiedName(const std::string& v);
std::vector<std::string> isValidLabelValue(const std::string& v);
std::vector<std::string> isConfigMapKey(const std::string& v);
std::vector<std::string> isValidPortName(const std::string& v);
std::vector<std::string> isValidPortNum(long long port);
std::vector<std::string> isRelaxedEnvVarName(const std::string& v);
std::vector<std::string> isValidPercent(const std::string& v);
std::string inclusiveRangeError(long long lo, long long hi);

// Name rules per kind (apimachinery/pkg/api/validation/generic.go): `prefix` is the
// generateName case, where a trailing '-' is allowed.
enum class NameRule { Dns1123Subdomain, Dns1123Label, Dns1035Label, PathSegment };
std::vector<std::string> checkName(NameRule rule, const std::string& name, bool prefix);

// Go's %#v and friends for values in messages.
std::string goMap(const Json& stringMap);                // map[string]string{"a":"b"}
std::string goLabelSelector(const Json& selector);       // v1.LabelSelector{MatchLabels:..., ...}
std::string goStrings(const Json& list);                 // []string{"a", "b"}
std::string intOrString(const Json& v);                  // 5 or 25%

// Accessors that treat absent, null and wrongly typed values alike.
std::string str(const Json& o, const char* key);
const Json& obj(const Json& o, const char* key);  // {} unless an object
const Json& arr(const Json& o, const char* key);  // [] unless an array
bool has(const Json& o, const char* key);         // present and not null
std::optional<long long> integer(const Json& o, const char* key);

// ValidateNonnegativeField: "must be greater than or equal to 0".
void nonNegative(Errors& e, const Json& o, const char* key, const std::string& path);
// labels / annotations / label selectors (apimachinery/pkg/apis/meta/v1/validation).
void validateLabels(Errors& e, const Json& labels, const std::string& path);
void validateAnnotations(Errors& e, const Json& annotations, const std::string& path);
void validateLabelSelector(Errors& e, const Json& selector, const std::string& path);
// LabelSelectorAsSelector succeeds (every operator known).
bool selectorConvertible(const Json& selector);
bool selectorEmpty(const Json& selector);
bool selectorMatches(const Json& selector, const Json& labels);

}  // namespace pmo::sandbox::validation
