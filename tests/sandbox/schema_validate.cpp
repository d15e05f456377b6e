#include "sandbox/schema_validate.hpp"

#include <algorithm>
#include <optional>

#include "sandbox/schema_formats.hpp"
#include "sandbox/schema_gofmt.hpp"
#include "sandbox/schema_regex.hpp"
#include "sandbox/schema_values.hpp"

namespace pmo::sandbox {

namespace {

using Json = nlohmann::json;

// One kube-openapi error: an errors.Validation (code, Name, Value, Valid) or, for the
// allOf/anyOf/oneOf/not summaries, a plain error that names no field (Composite).
struct OpenApiError {
  enum Code { Composite, InvalidType, Required, TooLong, Enum, MaxItems, TooManyProperties, Other } code;
  std::string name;     // the value's path as kube-openapi writes it ("spec.x"; ".spec" at the root)
  std::string message;  // Error()
  Json value;           // Value (null: nil, except for Enum where it is the data)
  long long valid = -1;   // the bound of TooLong, MaxItems, TooManyProperties
  long long actual = -1;  // the count of MaxItems, TooManyProperties
  Json enumValues = nullptr;
};

struct Result {
  std::vector<OpenApiError> errors;
  long matches = 0;  // MatchCount: how much of a schema applied; anyOf/oneOf report the best failure
  bool valid() const { return errors.empty(); }
  void add(OpenApiError e) {  // Result.AddErrors: one report per message
    for (const auto& r : errors)
      if (r.message == e.message) return;
    errors.push_back(std::move(e));
  }
  void merge(const Result& o) {
    for (const auto& e : o.errors) add(e);
    matches += o.matches;
  }
};

Result fail(OpenApiError e) {
  Result r;
  r.add(std::move(e));
  return r;
}

long long asInt(const Json& n) { return n.is_number_integer() ? n.get<long long>() : values::truncate(n.get<double>()); }
std::string in(const std::string& path) { return path + " in body"; }

std::vector<std::string> typesOf(const Json& s) {  // ConvertJSONSchemaProps
  if (s.value("x-kubernetes-int-or-string", false)) return {"integer", "string"};
  std::string t = s.contains("type") && s["type"].is_string() ? s["type"].get<std::string>() : "";
  if (t.empty()) return {};
  return {t};
}

// StripUnsupportedFormatsPostProcess: a format kube-apiserver does not check is no format.
std::string formatOf(const Json& s) {
  if (!s.contains("format") || !s["format"].is_string()) return "";
  std::string f = s["format"].get<std::string>();
  return formats::supported(f) ? f : "";
}

class Validator {
 public:
  // SchemaValidator.Validate: every validator that applies to the value's kind, in order.
  Result validate(const Json& s, const Json& d, const std::string& path) {
    Result r;
    if (!s.is_object()) return r;
    if (d.is_null()) {
      r.merge(type(s, d, path));
      r.merge(enumeration(s, d, path));
      return r;
    }
    auto run = [&](const Result& sub) { r.merge(sub), ++r.matches; };
    if (!typesOf(s).empty() || !formatOf(s).empty()) run(type(s, d, path));
    run(combinators(s, d, path));
    if (d.is_string()) run(string(s, d.get<std::string>(), path));
    if (d.is_string() && !formatOf(s).empty()) run(format(s, d.get<std::string>(), path));
    if (d.is_number()) run(number(s, d, path));
    if (d.is_array()) run(array(s, d, path));
    run(enumeration(s, d, path));
    if (d.is_object()) run(object(s, d, path));
    ++r.matches;
    return r;
  }

 private:
  static OpenApiError invalidType(const std::string& path, const std::string& typeName, const std::string& value) {
    return {OpenApiError::InvalidType, path, in(path) + " must be of type " + typeName + ": " + gofmt::quoted(value),
            Json(value)};
  }

  Result type(const Json& s, const Json& d, const std::string& path) {
    Result ok;
    ok.matches = 1;
    auto types = typesOf(s);
    auto has = [&](const std::string& t) { return std::find(types.begin(), types.end(), t) != types.end(); };
    std::string joined;
    for (const auto& t : types) joined += (joined.empty() ? "" : ",") + t;
    if (d.is_null()) {
      if (!types.empty() && !has("null") && !s.value("nullable", false)) return fail(invalidType(path, joined, "null"));
      return ok;
    }
    const std::string got = values::goType(d), gotFormat = values::goFormat(d), format = formatOf(s);
    bool floatInt = got == "number" && values::isJsonInteger(d.get<double>()) && has("integer");
    bool intFloat = got == "integer" && has("number");
    bool stringOrSlice = d.is_string() || d.is_array();
    if (!stringOrSlice && !format.empty() && !(has(got) || gotFormat == format || floatInt || intFloat))
      return fail(invalidType(path, format, gotFormat));
    if (!(has("number") || has("integer")) && !format.empty() && stringOrSlice) return ok;
    if (!(has(got) || floatInt || intFloat)) return fail(invalidType(path, joined, got));
    return ok;
  }

  static OpenApiError composite(const std::string& message) { return {OpenApiError::Composite, "", message, nullptr}; }

  Result combinators(const Json& s, const Json& d, const std::string& path) {
    Result main;
    auto list = [&](const char* key) { return s.contains(key) && s[key].is_array() ? s[key] : Json::array(); };
    const std::string q = gofmt::quoted(path);
    if (Json anyOf = list("anyOf"); !anyOf.empty()) {
      std::optional<Result> best, success;
      for (const auto& sub : anyOf) {
        Result r = validate(sub, d, path);
        if (r.valid()) {
          best.reset();
          success = r;
          break;
        }
        if (!best || r.matches > best->matches) best = r;
      }
      if (!success) main.add(composite(q + " must validate at least one schema (anyOf)"));
      if (best) main.merge(*best);
      else if (success) main.merge(*success);
    }
    if (Json oneOf = list("oneOf"); !oneOf.empty()) {
      std::optional<Result> best, success;
      int validated = 0;
      for (const auto& sub : oneOf) {
        Result r = validate(sub, d, path);
        if (r.valid()) {
          ++validated;
          best.reset();
          if (!success) success = r;
          continue;
        }
        if (validated == 0 && (!best || r.matches > best->matches)) best = r;
      }
      if (validated != 1) {
        main.add(composite(q + " must validate one and only one schema (oneOf). " +
                           (validated == 0 ? "Found none valid"
                                           : "Found " + std::to_string(validated) + " valid alternatives")));
        if (best) main.merge(*best);
      } else {
        main.merge(*success);
      }
    }
    if (Json allOf = list("allOf"); !allOf.empty()) {
      std::size_t validated = 0;
      for (const auto& sub : allOf) {
        Result r = validate(sub, d, path);
        if (r.valid()) ++validated;
        main.merge(r);
      }
      if (validated != allOf.size())
        main.add(composite(q + " must validate all the schemas (allOf)" + (validated == 0 ? ". None validated" : "")));
    }
    if (s.contains("not") && s["not"].is_object() && validate(s["not"], d, path).valid())
      main.add(composite(q + " must not validate the schema (not)"));
    ++main.matches;
    return main;
  }

  // The first failing of maxLength, minLength, pattern; lengths in characters (runes).
  Result string(const Json& s, const std::string& v, const std::string& path) {
    const long long length = values::runeCount(v);
    if (s.contains("maxLength") && s["maxLength"].is_number() && length > asInt(s["maxLength"])) {
      long long max = asInt(s["maxLength"]);
      return fail({OpenApiError::TooLong, path, in(path) + " should be at most " + std::to_string(max) + " chars long",
                   Json(v), max});
    }
    if (s.contains("minLength") && s["minLength"].is_number() && length < asInt(s["minLength"]))
      return fail({OpenApiError::Other, path,
                   in(path) + " should be at least " + std::to_string(asInt(s["minLength"])) + " chars long", Json(v)});
    if (s.contains("pattern") && s["pattern"].is_string() && !s["pattern"].get<std::string>().empty()) {
      const std::string pattern = s["pattern"].get<std::string>();
      regex::Match m = regex::search(pattern, v);
      if (!m.error.empty())  // kube-openapi reports the compile error in place of a match
        return fail({OpenApiError::Other, path,
                     in(path) + " should match '" + pattern + ", but pattern is invalid: " + m.error + "'", Json(v)});
      if (!m.matched)
        return fail({OpenApiError::Other, path, in(path) + " should match '" + pattern + "'", Json(v)});
    }
    return {};
  }

  Result format(const Json& s, const std::string& v, const std::string& path) {
    const std::string f = formatOf(s);
    switch (formats::check(f, v)) {
      case formats::Check::Valid: return {};
      case formats::Check::Invalid: return fail(invalidType(path, f, v));
      case formats::Check::Unimplemented: break;
    }
    throw ApiError(501, "NotImplemented",
                   "the sandbox API server does not implement the OpenAPI format \"" + f + "\" that " +
                       (path.empty() ? "the schema" : path) + " declares; kube-apiserver would check it");
  }

  // numberValidator: multipleOf, minimum, maximum. An integer is compared with int64 bounds
  // (truncated, as MaximumNativeType converts them), a float with float64 ones.
  Result number(const Json& s, const Json& d, const std::string& path) {
    Result res;
    res.matches = 1;
    const bool isInt = d.is_number_integer();
    auto text = [&](double bound) { return isInt ? std::to_string(values::truncate(bound)) : gofmt::floatV(bound); };
    auto has = [&](const char* key) { return s.contains(key) && s[key].is_number(); };
    if (has("multipleOf")) {
      double f = s["multipleOf"].get<double>();
      bool positive = isInt ? values::truncate(f) > 0 : f > 0;
      bool multiple = true;
      if (positive && isInt) multiple = d.get<long long>() % values::truncate(f) == 0;
      if (positive && !isInt) multiple = values::isJsonInteger(f < 1 ? 1 / f * d.get<double>() : d.get<double>() / f);
      if (!positive)
        res.add({OpenApiError::Other, path, "factor MultipleOf declared for " + path + " must be positive: " + text(f),
                 isInt ? Json(values::truncate(f)) : Json(f)});
      else if (!multiple)
        res.add({OpenApiError::Other, path, in(path) + " should be a multiple of " + text(f), d});
    }
    auto bound = [&](const char* key, const char* exclusiveKey, bool below) {
      if (!has(key)) return;
      double m = s[key].get<double>();
      bool exclusive = s.value(exclusiveKey, false);
      bool outside;
      if (isInt) {
        long long v = d.get<long long>(), b = values::truncate(m);
        outside = below ? (exclusive ? v <= b : v < b) : (exclusive ? v >= b : v > b);
      } else {
        double v = d.get<double>();
        outside = below ? (exclusive ? v <= m : v < m) : (exclusive ? v >= m : v > m);
      }
      if (outside)
        res.add({OpenApiError::Other, path,
                 in(path) + " should be " + (below ? "greater than " : "less than ") + (exclusive ? "" : "or equal to ") +
                     text(m),
                 d});
    };
    bound("minimum", "exclusiveMinimum", true);
    bound("maximum", "exclusiveMaximum", false);
    return res;
  }

  Result array(const Json& s, const Json& d, const std::string& path) {
    Result r;
    if (s.contains("items") && s["items"].is_object())
      for (std::size_t i = 0; i < d.size(); ++i) r.merge(validate(s["items"], d[i], path + "[" + std::to_string(i) + "]"));
    const long long size = static_cast<long long>(d.size());
    if (s.contains("minItems") && s["minItems"].is_number() && size < asInt(s["minItems"]))
      r.add({OpenApiError::Other, path,
             in(path) + " should have at least " + std::to_string(asInt(s["minItems"])) + " items", Json(size)});
    if (s.contains("maxItems") && s["maxItems"].is_number() && size > asInt(s["maxItems"])) {
      long long max = asInt(s["maxItems"]);
      r.add({OpenApiError::MaxItems, path, in(path) + " should have at most " + std::to_string(max) + " items",
             Json(size), max, size});
    }
    if (s.value("uniqueItems", false))  // CRDs may not set it; honoured should one get through
      for (std::size_t i = 1; i < d.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
          if (values::deepEqual(d[i], d[j])) {
            r.add({OpenApiError::Other, path, in(path) + " shouldn't contain duplicates", nullptr});
            i = d.size();
            break;
          }
    ++r.matches;
    return r;
  }

  Result enumeration(const Json& s, const Json& d, const std::string& path) {
    if (!s.contains("enum") || !s["enum"].is_array() || s["enum"].empty()) return {};
    std::string list;
    for (const auto& e : s["enum"]) {
      if (!e.is_null() && values::enumMatches(d, e)) return {};
      list += (list.empty() ? "" : " ") + (e.is_string() ? e.get<std::string>() : gofmt::json(e));
    }
    return fail({OpenApiError::Enum, path, in(path) + " should be one of [" + list + "]", d, -1, -1, s["enum"]});
  }

  Result object(const Json& s, const Json& d, const std::string& path) {
    Result r;
    const long long size = static_cast<long long>(d.size());
    if (s.contains("minProperties") && s["minProperties"].is_number() && size < asInt(s["minProperties"]))
      r.add({OpenApiError::Other, path,
             in(path) + " should have at least " + std::to_string(asInt(s["minProperties"])) + " properties",
             Json(size)});
    if (s.contains("maxProperties") && s["maxProperties"].is_number() && size > asInt(s["maxProperties"])) {
      long long max = asInt(s["maxProperties"]);
      r.add({OpenApiError::TooManyProperties, path,
             in(path) + " should have at most " + std::to_string(max) + " properties", Json(size), max, size});
    }
    const Json props = s.contains("properties") && s["properties"].is_object() ? s["properties"] : Json::object();
    const Json additional = s.contains("additionalProperties") ? s["additionalProperties"] : Json();
    for (auto it = d.begin(); it != d.end(); ++it) {
      if (props.contains(it.key())) continue;
      if (additional.is_boolean() && !additional.get<bool>())
        r.add({OpenApiError::Other, path, path + "." + it.key() + " in body is a forbidden property", Json(it.key())});
      else if (additional.is_object())
        r.merge(validate(additional, *it, path + "." + it.key()));
    }
    for (auto it = d.begin(); it != d.end(); ++it)
      if (props.contains(it.key())) r.merge(validate(props[it.key()], *it, path.empty() ? it.key() : path + "." + it.key()));
    if (s.contains("required") && s["required"].is_array())
      for (const auto& k : s["required"])
        if (k.is_string() && !d.contains(k.get<std::string>()))
          r.add({OpenApiError::Required, path + "." + k.get<std::string>(),
                 in(path + "." + k.get<std::string>()) + " is required", nullptr});
    return r;
  }
};

// kubeOpenAPIResultToFieldErrors (with no parent path: a summary error names "<nil>").
FieldCause toCause(const OpenApiError& e) {
  std::string field = e.name.empty() || e.name == "." ? "<nil>" : e.name.substr(e.name[0] == '.' ? 1 : 0);
  const Json value = e.value.is_null() ? Json("") : e.value;
  switch (e.code) {
    case OpenApiError::Composite: return {"FieldValueInvalid", "<nil>", "Invalid value: \"\": " + e.message};
    case OpenApiError::Required: return {"FieldValueRequired", field, "Required value"};
    case OpenApiError::TooLong:
      return {"FieldValueTooLong", field, "Too long: may not be more than " + std::to_string(e.valid) + " bytes"};
    case OpenApiError::MaxItems:
    case OpenApiError::TooManyProperties:
      return {"FieldValueTooMany", field,
              "Too many: " + std::to_string(e.actual) + ": must have at most " + std::to_string(e.valid) + " items"};
    case OpenApiError::InvalidType:
      return {"FieldValueTypeInvalid", field, "Invalid value: " + gofmt::badValue(value) + ": " + e.message};
    case OpenApiError::Enum: {  // field.NotSupported; non-string values as JSON
      std::string supported;
      for (const auto& v : e.enumValues)
        supported += (supported.empty() ? "" : ", ") + gofmt::quoted(v.is_string() ? v.get<std::string>() : gofmt::json(v));
      return {"FieldValueNotSupported", field,
              "Unsupported value: " + gofmt::badValue(e.value) + (supported.empty() ? "" : ": supported values: " + supported)};
    }
    case OpenApiError::Other:
      return {"FieldValueInvalid", field, "Invalid value: " + gofmt::badValue(value) + ": " + e.message};
  }
  return {"FieldValueInvalid", field, e.message};
}

}  // namespace

std::vector<FieldCause> validateAgainstSchema(const nlohmann::json& schema, const nlohmann::json& object) {
  Validator v;
  Result r = v.validate(schema, object, "");
  std::vector<FieldCause> causes;
  for (const auto& e : r.errors) causes.push_back(toCause(e));
  return causes;
}

}  // namespace pmo::sandbox
