#pragma once
// Errors of the Kubernetes API, typed by the Status reason the server sent (or by what
// went wrong on the way to it). Messages are the server's own and never carry
// credentials: the transport does not put headers or bodies of requests into them.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace pmo::kube {

enum class ErrorReason {
  BadRequest,         // 400
  Unauthorized,       // 401
  Forbidden,          // 403
  NotFound,           // 404
  MethodNotAllowed,   // 405
  AlreadyExists,      // 409, reason AlreadyExists
  Conflict,           // 409, stale resourceVersion
  Gone,               // 410 / reason Expired: the resourceVersion was compacted; relist
  Invalid,            // 422
  TooManyRequests,    // 429, honour retryAfter
  ServerError,        // 5xx
  Timeout,            // client-side or 504 / reason Timeout
  ConnectionRefused,  // nothing listening, DNS failure, TLS failure
  Unknown,
};

const char* toString(ErrorReason reason);

class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorReason reason, int httpCode, std::string message,
           std::optional<std::chrono::seconds> retryAfter = std::nullopt)
      : std::runtime_error(std::move(message)), reason_(reason), code_(httpCode), retryAfter_(retryAfter) {}

  ErrorReason reason() const { return reason_; }
  int code() const { return code_; }  // 0 when no HTTP response was received
  const std::optional<std::chrono::seconds>& retryAfter() const { return retryAfter_; }

  // Worth retrying later with the same request (after backoff / Retry-After).
  bool transient() const {
    return reason_ == ErrorReason::TooManyRequests || reason_ == ErrorReason::ServerError ||
           reason_ == ErrorReason::Timeout || reason_ == ErrorReason::ConnectionRefused;
  }

 private:
  ErrorReason reason_;
  int code_;
  std::optional<std::chrono::seconds> retryAfter_;
};

inline bool isNotFound(const std::exception& e) {
  auto* a = dynamic_cast<const ApiError*>(&e);
  return a && a->reason() == ErrorReason::NotFound;
}
inline bool isConflict(const std::exception& e) {
  auto* a = dynamic_cast<const ApiError*>(&e);
  return a && a->reason() == ErrorReason::Conflict;
}
inline bool isAlreadyExists(const std::exception& e) {
  auto* a = dynamic_cast<const ApiError*>(&e);
  return a && a->reason() == ErrorReason::AlreadyExists;
}

}  // namespace pmo::kube
