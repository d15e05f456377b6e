#include "sandbox/api_error.hpp"

#include <cstdio>

namespace pmo::sandbox {

nlohmann::json statusJson(int code, const std::string& reason, const std::string& message,
                          const nlohmann::json& details) {
  nlohmann::json s = {{"kind", "Status"},
                      {"apiVersion", "v1"},
                      {"metadata", nlohmann::json::object()},
                      {"status", code < 400 ? "Success" : "Failure"},
                      {"message", message},
                      {"reason", reason},
                      {"code", code}};
  if (!details.is_null()) s["details"] = details;
  return s;
}

nlohmann::json ApiError::status() const { return statusJson(code_, reason_, what(), details_); }

std::string qualifiedResource(const std::string& resource, const std::string& group) {
  return group.empty() ? resource : resource + "." + group;
}

static nlohmann::json details(const std::string& resource, const std::string& group, const std::string& name) {
  nlohmann::json d = {{"name", name}, {"kind", resource}};
  if (!group.empty()) d["group"] = group;
  return d;
}

ApiError notFound(const std::string& resource, const std::string& group, const std::string& name) {
  return ApiError(404, "NotFound", qualifiedResource(resource, group) + " \"" + name + "\" not found",
                  details(resource, group, name));
}

ApiError alreadyExists(const std::string& resource, const std::string& group, const std::string& name) {
  return ApiError(409, "AlreadyExists", qualifiedResource(resource, group) + " \"" + name + "\" already exists",
                  details(resource, group, name));
}

ApiError conflict(const std::string& resource, const std::string& group, const std::string& name,
                  const std::string& why) {
  return ApiError(409, "Conflict",
                  "Operation cannot be fulfilled on " + qualifiedResource(resource, group) + " \"" + name +
                      "\": " + why,
                  details(resource, group, name));
}

ApiError badRequest(const std::string& message) { return ApiError(400, "BadRequest", message); }

ApiError invalid(const std::string& kind, const std::string& group, const std::string& name,
                 const std::vector<FieldCause>& causes) {
  std::string list;
  nlohmann::json jc = nlohmann::json::array();
  for (const auto& c : causes) {
    if (!list.empty()) list += ", ";
    list += c.field + ": " + c.message;
    jc.push_back({{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
  }
  if (causes.size() > 1) list = "[" + list + "]";
  std::string qualifiedKind = group.empty() ? kind : kind + "." + group;
  nlohmann::json d = {{"name", name}, {"kind", kind}, {"causes", jc}};
  if (!group.empty()) d["group"] = group;
  return ApiError(422, "Invalid", qualifiedKind + " \"" + name + "\" is invalid: " + list, d);
}

std::string goQuote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string goValue(const nlohmann::json& v) {
  if (v.is_string()) return goQuote(v.get<std::string>());
  if (v.is_null()) return "\"null\"";
  return v.dump();
}

}  // namespace pmo::sandbox
