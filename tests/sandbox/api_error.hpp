#pragma once
// Errors of the sandbox API, shaped as metav1.Status exactly like kube-apiserver sends them.
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::sandbox {

// Thrown by handlers; the HTTP layer turns it into a Status body with `code`.
class ApiError : public std::runtime_error {
 public:
  ApiError(int code, std::string reason, const std::string& message, nlohmann::json details = nullptr)
      : std::runtime_error(message), code_(code), reason_(std::move(reason)), details_(std::move(details)) {}
  int code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const nlohmann::json& details() const { return details_; }
  nlohmann::json status() const;

 private:
  int code_;
  std::string reason_;
  nlohmann::json details_;
};

// "phasemaintenances.maintenance.phase.dev" or "pods" (core group).
std::string qualifiedResource(const std::string& resource, const std::string& group);

nlohmann::json statusJson(int code, const std::string& reason, const std::string& message,
                          const nlohmann::json& details = nullptr);
ApiError notFound(const std::string& resource, const std::string& group, const std::string& name);
ApiError alreadyExists(const std::string& resource, const std::string& group, const std::string& name);
ApiError conflict(const std::string& resource, const std::string& group, const std::string& name,
                  const std::string& why);
ApiError badRequest(const std::string& message);
// One field error as kube-apiserver reports it (field.Error).
struct FieldCause {
  std::string reason;   // FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, ...
  std::string field;    // "spec.auditLogs.purge[0].retainDays"
  std::string message;  // "Invalid value: -1: spec... in body should be greater than or equal to 0"
};
// 422 "<Kind>.<group> \"name\" is invalid: field: message[, ...]" with details.causes.
ApiError invalid(const std::string& kind, const std::string& group, const std::string& name,
                 const std::vector<FieldCause>& causes);

// Go's %q for the strings the API server quotes in messages.
std::string goQuote(const std::string& s);
// How kube-apiserver prints a value in "Invalid value: X": strings quoted, numbers bare.
std::string goValue(const nlohmann::json& v);

}  // namespace pmo::sandbox
