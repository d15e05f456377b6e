// Ported from staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go,
// .../util/validation/field/errors.go, .../api/validation/generic.go and objectmeta.go,
// .../apis/meta/v1/validation/validation.go and .../api/validation/path/name.go (1.32): the
// rules and the wording of their messages, not the code.
#include "sandbox/validation_util.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace pmo::sandbox::validation {

namespace {

bool lowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return lowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// RegexError: "msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')" (the double space
// is Go's, from joining "'a', " and " or ").
std::string regexError(const std::string& msg, const std::string& fmt, const std::vector<std::string>& examples) {
  std::string out = msg + " (e.g. ";
  for (size_t i = 0; i < examples.size(); ++i) out += (i > 0 ? " or " : "") + ("'" + examples[i] + "', ");
  return out + "regex used for validation is '" + fmt + "')";
}

std::string maxLenError(size_t n) { return "must be no more than " + std::to_string(n) + " characters"; }

bool matchesLabel(const std::string& v, bool firstMustBeLetter) {
  if (v.empty()) return false;
  for (char c : v)
    if (!lowerAlnum(c) && c != '-') return false;
  if (firstMustBeLetter ? !(v[0] >= 'a' && v[0] <= 'z') : !lowerAlnum(v[0])) return false;
  return lowerAlnum(v.back());
}

bool matchesSubdomain(const std::string& v) {
  size_t start = 0;
  while (true) {
    size_t dot = v.find('.', start);
    if (!matchesLabel(v.substr(start, dot == std::string::npos ? std::string::npos : dot - start), false)) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool matchesQualifiedPart(const std::string& v) {
  if (v.empty() || !alnum(v.front()) || !alnum(v.back())) return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

const char* kLabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const char* kSubdomainFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const char* kQualifiedFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const char* kQualifiedMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

std::vector<std::string> chdirPrefix(const std::string& v) {
  if (v == ".") return {"must not be '.'"};
  if (v == "..") return {"must not be '..'"};
  if (v.rfind("..", 0) == 0) return {"must not start with '..'"};
  return {};
}

std::string causeBody(const std::string& kind, const std::string& shown, const std::string& detail) {
  std::string s = shown.empty() ? kind : kind + ": " + shown;
  return detail.empty() ? s : s + ": " + detail;
}

}  // namespace

void Errors::invalidAs(const std::string& path, const std::string& shown, const std::string& detail) {
  causes_.push_back({"FieldValueInvalid", path, causeBody("Invalid value", shown, detail)});
}
void Errors::invalid(const std::string& path, const Json& value, const std::string& detail) {
  invalidAs(path, goValue(value), detail);
}
void Errors::required(const std::string& path, const std::string& detail) {
  causes_.push_back({"FieldValueRequired", path, causeBody("Required value", "", detail)});
}
void Errors::forbidden(const std::string& path, const std::string& detail) {
  causes_.push_back({"FieldValueForbidden", path, causeBody("Forbidden", "", detail)});
}
void Errors::duplicate(const std::string& path, const Json& value) {
  causes_.push_back({"FieldValueDuplicate", path, causeBody("Duplicate value", goValue(value), "")});
}
void Errors::duplicateAs(const std::string& path, const std::string& shown) {
  causes_.push_back({"FieldValueDuplicate", path, causeBody("Duplicate value", shown, "")});
}
void Errors::notFound(const std::string& path, const Json& value) {
  causes_.push_back({"FieldValueNotFound", path, causeBody("Not found", goValue(value), "")});
}
void Errors::notSupported(const std::string& path, const Json& value, const std::vector<std::string>& supported) {
  std::string list;
  for (const auto& s : supported) list += (list.empty() ? "" : ", ") + goQuote(s);
  causes_.push_back({"FieldValueNotSupported", path,
                     causeBody("Unsupported value", goValue(value), list.empty() ? "" : "supported values: " + list)});
}
void Errors::tooLong(const std::string& path, size_t maxBytes) {
  causes_.push_back({"FieldValueTooLong", path,
                     causeBody("Too long", "", "must have at most " + std::to_string(maxBytes) + " bytes")});
}
void Errors::tooMany(const std::string& path, size_t actual, size_t max) {
  causes_.push_back({"FieldValueTooMany", path,
                     causeBody("Too many", std::to_string(actual), "must have at most " + std::to_string(max) + " items")});
}
void Errors::add(const Errors& other) { causes_.insert(causes_.end(), other.causes_.begin(), other.causes_.end()); }

void Errors::throwIfAny(const std::string& kind, const std::string& group, const std::string& name) const {
  if (causes_.empty()) return;
  // the message lists each distinct error once (field.ErrorList.ToAggregate); causes keep all
  std::vector<FieldCause> distinct;
  std::set<std::string> seen;
  for (const auto& c : causes_)
    if (seen.insert(c.field + ": " + c.message).second) distinct.push_back(c);
  ApiError e = pmo::sandbox::invalid(kind, group, name, distinct);
  nlohmann::json details = e.details();
  details["causes"] = nlohmann::json::array();
  for (const auto& c : causes_) details["causes"].push_back({{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
  throw ApiError(e.code(), e.reason(), e.what(), details);
}

std::vector<std::string> isDns1123Label(const std::string& v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(maxLenError(63));
  if (!matchesLabel(v, false))
    errs.push_back(matchesSubdomain(v) ? "must not contain dots"
                                       : regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                                                    "characters or '-', and must start and end with an alphanumeric "
                                                    "character",
                                                    kLabelFmt, {"my-name", "123-abc"}));
  return errs;
}

std::vector<std::string> isDns1123Subdomain(const std::string& v) {
  std::vector<std::string> errs;
  if (v.size() > 253) errs.push_back(maxLenError(253));
  if (!matchesSubdomain(v))
    errs.push_back(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
                              "or '.', and must start and end with an alphanumeric character",
                              kSubdomainFmt, {"example.com"}));
  return errs;
}

std::vector<std::string> isDns1035Label(const std::string& v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(maxLenError(63));
  if (!matchesLabel(v, true))
    errs.push_back(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
                              "an alphabetic character, and end with an alphanumeric character",
                              "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
  return errs;
}

std::vector<std::string> isQualifiedName(const std::string& v) {
  std::vector<std::string> errs;
  std::string name = v;
  size_t slash = v.find('/');
  if (slash != std::string::npos) {
    if (v.find('/', slash + 1) != std::string::npos)
      return {"a qualified name " + regexError(kQualifiedMsg, kQualifiedFmt, {"MyName", "my.name", "123-abc"}) +
              " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"};
    std::string prefix = v.substr(0, slash);
    name = v.substr(slash + 1);
    if (prefix.empty()) errs.push_back("prefix part must be non-empty");
    else
      for (const auto& m : isDns1123Subdomain(prefix)) errs.push_back("prefix part " + m);
  }
  if (name.empty()) errs.push_back("name part must be non-empty");
  else if (name.size() > 63) errs.push_back("name part " + maxLenError(63));
  if (!matchesQualifiedPart(name))
    errs.push_back("name part " + regexError(kQualifiedMsg, kQualifiedFmt, {"MyName", "my.name", "123-abc"}));
  return errs;
}

std::vector<std::string> isValidLabelValue(const std::string& v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back(maxLenError(63));
  if (!v.empty() && !matchesQualifiedPart(v))
    errs.push_back(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                              "or '.', and must start and end with an alphanumeric character",
                              "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", {"MyValue", "my_value", "12345"}));
  return errs;
}

std::vector<std::string> isConfigMapKey(const std::string& v) {
  std::vector<std::string> errs;
  if (v.size() > 253) errs.push_back(maxLenError(253));
  bool ok = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return alnum(c) || c == '-' || c == '.' || c == '_'; });
  if (!ok)
    errs.push_back(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                              "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  for (auto& m : chdirPrefix(v)) errs.push_back(m);
  return errs;
}

std::vector<std::string> isValidPortName(const std::string& v) {
  std::vector<std::string> errs;
  if (v.size() > 15) errs.push_back(maxLenError(15));
  if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return lowerAlnum(c) || c == '-'; }))
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (std::none_of(v.begin(), v.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
    errs.push_back("must contain at least one letter (a-z)");
  if (v.find("--") != std::string::npos) errs.push_back("must not contain consecutive hyphens");
  if (!v.empty() && (v.front() == '-' || v.back() == '-')) errs.push_back("must not begin or end with a hyphen");
  return errs;
}

std::string inclusiveRangeError(long long lo, long long hi) {
  return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", inclusive";
}

std::vector<std::string> isValidPortNum(long long port) {
  if (port >= 1 && port <= 65535) return {};
  return {inclusiveRangeError(1, 65535)};
}

// RelaxedEnvironmentVariableValidation is beta and on by default in 1.32.
std::vector<std::string> isRelaxedEnvVarName(const std::string& v) {
  std::vector<std::string> errs;
  if (v.empty()) errs.push_back("environment variable name must be non-empty");
  for (unsigned char c : v)
    if (c < 0x20 || c > 0x7e || c == '=') {
      errs.push_back("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  return errs;
}

std::vector<std::string> isValidPercent(const std::string& v) {
  bool ok = v.size() >= 2 && v.back() == '%' &&
            std::all_of(v.begin(), v.end() - 1, [](char c) { return c >= '0' && c <= '9'; });
  if (ok) return {};
  return {regexError("a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%",
                     {"1%", "93%"})};
}

std::vector<std::string> checkName(NameRule rule, const std::string& nameIn, bool prefix) {
  std::string name = nameIn;
  if (rule == NameRule::PathSegment) {
    std::vector<std::string> errs;
    if (!prefix && (name == "." || name == "..")) errs.push_back("may not be '" + name + "'");
    for (const char* bad : {"/", "%"})
      if (name.find(bad) != std::string::npos) errs.push_back(std::string("may not contain '") + bad + "'");
    return errs;
  }
  if (prefix && name.size() > 1 && name.back() == '-') name = name.substr(0, name.size() - 2) + "a";
  switch (rule) {
    case NameRule::Dns1123Label: return isDns1123Label(name);
    case NameRule::Dns1035Label: return isDns1035Label(name);
    default: return isDns1123Subdomain(name);
  }
}

std::string goMap(const Json& m) {
  if (!m.is_object()) return "map[string]string(nil)";
  std::string out = "map[string]string{";
  bool first = true;
  for (auto it = m.begin(); it != m.end(); ++it) {  // nlohmann keeps keys sorted, as fmt prints them
    out += (first ? "" : ", ") + goQuote(it.key()) + ":" + goQuote(it->is_string() ? it->get<std::string>() : "");
    first = false;
  }
  return out + "}";
}

std::string goStrings(const Json& list) {
  if (!list.is_array()) return "[]string(nil)";
  std::string out = "[]string{";
  for (size_t i = 0; i < list.size(); ++i)
    out += (i ? ", " : "") + goQuote(list[i].is_string() ? list[i].get<std::string>() : "");
  return out + "}";
}

std::string goLabelSelector(const Json& s) {
  std::string out = "v1.LabelSelector{MatchLabels:" + goMap(s.is_object() ? s.value("matchLabels", Json()) : Json()) +
                    ", MatchExpressions:";
  const Json exprs = s.is_object() ? s.value("matchExpressions", Json()) : Json();
  if (!exprs.is_array()) return out + "[]v1.LabelSelectorRequirement(nil)}";
  out += "[]v1.LabelSelectorRequirement{";
  for (size_t i = 0; i < exprs.size(); ++i)
    out += (i ? ", " : "") + std::string("v1.LabelSelectorRequirement{Key:") + goQuote(str(exprs[i], "key")) +
           ", Operator:" + goQuote(str(exprs[i], "operator")) + ", Values:" + goStrings(exprs[i].value("values", Json())) + "}";
  return out + "}}";
}

std::string intOrString(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string str(const Json& o, const char* key) {
  if (!o.is_object()) return "";
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

const Json& obj(const Json& o, const char* key) {
  static const Json empty = Json::object();
  if (!o.is_object()) return empty;
  auto it = o.find(key);
  return it != o.end() && it->is_object() ? *it : empty;
}

const Json& arr(const Json& o, const char* key) {
  static const Json empty = Json::array();
  if (!o.is_object()) return empty;
  auto it = o.find(key);
  return it != o.end() && it->is_array() ? *it : empty;
}

bool has(const Json& o, const char* key) { return o.is_object() && o.contains(key) && !o[key].is_null(); }

std::optional<long long> integer(const Json& o, const char* key) {
  if (!o.is_object()) return std::nullopt;
  auto it = o.find(key);
  if (it == o.end() || !it->is_number()) return std::nullopt;
  return it->is_number_float() ? static_cast<long long>(it->get<double>()) : it->get<long long>();
}

void nonNegative(Errors& e, const Json& o, const char* key, const std::string& path) {
  auto v = integer(o, key);
  if (v && *v < 0) e.invalidAs(path, std::to_string(*v), "must be greater than or equal to 0");
}

void validateLabels(Errors& e, const Json& labels, const std::string& path) {
  if (!labels.is_object()) return;
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    for (const auto& m : isQualifiedName(it.key())) e.invalid(path, Json(it.key()), m);
    std::string v = it->is_string() ? it->get<std::string>() : "";
    for (const auto& m : isValidLabelValue(v)) e.invalid(path, Json(v), m);
  }
}

void validateAnnotations(Errors& e, const Json& annotations, const std::string& path) {
  if (!annotations.is_object()) return;
  size_t total = 0;
  for (auto it = annotations.begin(); it != annotations.end(); ++it) {
    std::string lower = it.key();
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const auto& m : isQualifiedName(lower)) e.invalid(path, Json(it.key()), m);
    total += it.key().size() + (it->is_string() ? it->get<std::string>().size() : 0);
  }
  if (total > 256 * 1024) e.tooLong(path, 256 * 1024);
}

void validateLabelSelector(Errors& e, const Json& selector, const std::string& path) {
  if (!selector.is_object()) return;
  validateLabels(e, selector.value("matchLabels", Json::object()), path + ".matchLabels");
  const Json& exprs = arr(selector, "matchExpressions");
  for (size_t i = 0; i < exprs.size(); ++i) {
    const std::string p = path + ".matchExpressions[" + std::to_string(i) + "]";
    const std::string op = str(exprs[i], "operator");
    const Json& values = arr(exprs[i], "values");
    if (op == "In" || op == "NotIn") {
      if (values.empty()) e.required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!values.empty()) e.forbidden(p + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else {
      e.invalid(p + ".operator", Json(op), "not a valid selector operator");
    }
    const std::string key = str(exprs[i], "key");
    for (const auto& m : isQualifiedName(key)) e.invalid(p + ".key", Json(key), m);
    for (size_t j = 0; j < values.size(); ++j) {
      std::string v = values[j].is_string() ? values[j].get<std::string>() : "";
      for (const auto& m : isValidLabelValue(v)) e.invalid(p + ".values[" + std::to_string(j) + "]", Json(v), m);
    }
  }
}

bool selectorConvertible(const Json& selector) {
  for (const auto& x : arr(selector, "matchExpressions")) {
    const std::string op = str(x, "operator");
    if (op != "In" && op != "NotIn" && op != "Exists" && op != "DoesNotExist") return false;
  }
  return true;
}

bool selectorEmpty(const Json& selector) {
  return obj(selector, "matchLabels").empty() && arr(selector, "matchExpressions").empty();
}

bool selectorMatches(const Json& selector, const Json& labels) {
  auto label = [&](const std::string& k) -> std::optional<std::string> {
    if (!labels.is_object() || !labels.contains(k) || !labels[k].is_string()) return std::nullopt;
    return labels[k].get<std::string>();
  };
  const Json& ml = obj(selector, "matchLabels");
  for (auto it = ml.begin(); it != ml.end(); ++it)
    if (label(it.key()) != (it->is_string() ? it->get<std::string>() : "")) return false;
  for (const auto& x : arr(selector, "matchExpressions")) {
    auto v = label(str(x, "key"));
    const std::string op = str(x, "operator");
    bool in = false;
    for (const auto& want : arr(x, "values")) in = in || (v && want == *v);
    if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && !v) || (op == "DoesNotExist" && v))
      return false;
  }
  return true;
}

}  // namespace pmo::sandbox::validation
