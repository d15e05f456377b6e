// The decode step of kube-apiserver for built-in kinds. Unknown-field paths follow
// sigs.k8s.io/json's strict errors (".field", "[index]"); type errors follow Go's
// encoding/json UnmarshalTypeError ("into Go struct field <Struct>.<json path without
// indices> of type <Go type>"); Quantity errors resource.ParseQuantity's; base64 errors
// encoding/base64's.
#include "sandbox/builtin_fields.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "sandbox/api_error.hpp"

namespace pmo::sandbox {

namespace {

using Json = nlohmann::json;

struct Model {
  std::string goName;
  std::map<std::string, std::string> fields;  // json name -> code
};

const std::map<std::string, Model>& models() {
  static const std::map<std::string, Model> table = [] {
    std::map<std::string, Model> t;
    for (const auto& type : fields_data::kTypes) {
      Model m;
      m.goName = type.goName;
      std::istringstream in(type.fields);
      std::string item;
      while (in >> item) {
        size_t eq = item.find('=');
        m.fields[item.substr(0, eq)] = item.substr(eq + 1);
      }
      t[type.model] = std::move(m);
    }
    return t;
  }();
  return table;
}

const char* rootModel(const std::string& group, const std::string& kind) {
  for (const auto& r : fields_data::kRoots)
    if (group == r.group && kind == r.kind) return r.model;
  return nullptr;
}

std::string goType(const std::string& code) {
  if (code == "s") return "string";
  if (code == "y") return "[]uint8";
  if (code == "b") return "bool";
  if (code == "i32" || code == "i64") return code == "i32" ? "int32" : "int64";
  if (code == "f") return "float64";
  if (code == "t") return "v1.Time";
  if (code == "tm") return "v1.MicroTime";
  if (code == "q") return "resource.Quantity";
  if (code == "x") return "intstr.IntOrString";
  if (code == "a") return "interface {}";
  if (code[0] == '[') return "[]" + goType(code.substr(1));
  if (code[0] == '{') return "map[string]" + goType(code.substr(1));
  return "v1." + models().at(code).goName;
}

std::string jsonKind(const Json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "bool";
  if (v.is_number()) return "number";
  if (v.is_array()) return "array";
  return "object";
}

// resource.ParseQuantity's grammar: a signed decimal, then a binary (Ki..Ei) or decimal
// (n u m "" k M G T P E) suffix or an exponent (e3, E-2).
bool validQuantity(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0, dots = 0, start = i;
  for (; i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); ++i) (s[i] == '.' ? dots : digits)++;
  if (digits == 0 || dots > 1 || i == start) return false;
  const std::string suffix = s.substr(i);
  static const char* known[] = {"", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  for (const char* k : known)
    if (suffix == k) return true;
  if (suffix[0] != 'e' && suffix[0] != 'E') return false;
  size_t j = 1;
  if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) ++j;
  if (j == suffix.size()) return false;
  for (; j < suffix.size(); ++j)
    if (suffix[j] < '0' || suffix[j] > '9') return false;
  return true;
}

// The offset encoding/base64.StdEncoding reports for a malformed (padded) value, or nullopt.
std::optional<size_t> base64Error(const std::string& s) {
  auto isB64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  };
  size_t n = s.size();
  size_t pad = 0;
  while (pad < 2 && pad < n && s[n - 1 - pad] == '=') ++pad;
  for (size_t i = 0; i < n - pad; ++i)
    if (!isB64(s[i])) return i;
  if (n % 4 != 0) return (n / 4) * 4 + (n % 4 == 1 ? 0 : n % 4);
  return std::nullopt;
}

struct Walker {
  std::vector<std::string> unknown;
  std::optional<std::string> error;  // the first decode error, as Go words it

  void fail(const std::string& message) {
    if (!error) error = message;
  }
  void typeError(const Json& v, const std::string& code, const std::string& structName, const std::string& goPath,
                 const std::string& shownType = "") {
    std::string value = jsonKind(v);
    if (v.is_number() && (code == "i32" || code == "i64" || code == "x")) value = "number " + v.dump();
    fail("json: cannot unmarshal " + value + " into Go struct field " + structName + "." + goPath + " of type " +
         (shownType.empty() ? goType(code) : shownType));
  }

  void value(Json& v, const std::string& code, const std::string& path, const std::string& goPath,
             const std::string& structName) {
    if (v.is_null() || code == "a") return;
    if (code == "s" || code == "t" || code == "tm") {
      if (!v.is_string()) typeError(v, code, structName, goPath, "string");
    } else if (code == "y") {
      if (!v.is_string()) typeError(v, code, structName, goPath);
      else if (auto at = base64Error(v.get<std::string>())) fail("illegal base64 data at input byte " + std::to_string(*at));
    } else if (code == "b") {
      if (!v.is_boolean()) typeError(v, code, structName, goPath);
    } else if (code == "i32" || code == "i64") {
      bool ok = v.is_number_integer();
      if (ok && code == "i32") {
        long long n = v.is_number_unsigned() ? static_cast<long long>(v.get<unsigned long long>()) : v.get<long long>();
        ok = n >= -2147483648LL && n <= 2147483647LL;
      }
      if (!ok) typeError(v, code, structName, goPath);
    } else if (code == "f") {
      if (!v.is_number()) typeError(v, code, structName, goPath);
    } else if (code == "x") {
      if (v.is_number_integer()) return;
      if (!v.is_string()) typeError(v, code, structName, goPath, v.is_number() || v.is_boolean() ? "int32" : "");
    } else if (code == "q") {
      std::string text = v.is_string() ? v.get<std::string>() : v.is_number() ? v.dump() : "";
      if (!validQuantity(text))
        fail("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    } else if (code[0] == '[') {
      if (!v.is_array()) return typeError(v, code, structName, goPath);
      for (size_t i = 0; i < v.size(); ++i) value(v[i], code.substr(1), path + "[" + std::to_string(i) + "]", goPath, structName);
    } else if (code[0] == '{') {
      if (!v.is_object()) return typeError(v, code, structName, goPath);
      for (auto it = v.begin(); it != v.end(); ++it) value(*it, code.substr(1), path + "." + it.key(), goPath, structName);
    } else {
      if (!v.is_object()) return typeError(v, code, structName, goPath);
      object(v, code, path, goPath);
    }
  }

  void object(Json& o, const std::string& model, const std::string& path, const std::string& goPath) {
    const Model& m = models().at(model);
    std::vector<std::string> drop;
    for (auto it = o.begin(); it != o.end(); ++it) {
      const std::string sub = path.empty() ? it.key() : path + "." + it.key();
      auto f = m.fields.find(it.key());
      if (f == m.fields.end()) {
        unknown.push_back(sub);
        drop.push_back(it.key());
        continue;
      }
      value(*it, f->second, sub, goPath.empty() ? it.key() : goPath + "." + it.key(), m.goName);
    }
    for (const auto& k : drop) o.erase(k);
  }
};

}  // namespace

bool knowsFields(const std::string& group, const std::string& kind) { return rootModel(group, kind) != nullptr; }

std::vector<std::string> decodeBuiltin(const std::string& group, const std::string& kind, const std::string& version,
                                       Json& object) {
  const char* root = rootModel(group, kind);
  if (!root || !object.is_object()) return {};
  Walker w;
  w.object(object, root, "", "");
  if (w.error)
    throw badRequest(kind + " in version " + goQuote(version) + " cannot be handled as a " + kind + ": " + *w.error);
  return w.unknown;
}

std::vector<std::string> modelFields(const std::string& model) {
  std::vector<std::string> out;
  auto it = models().find(model);
  if (it == models().end()) return out;
  for (const auto& [name, code] : it->second.fields) out.push_back(name);
  return out;
}

}  // namespace pmo::sandbox
